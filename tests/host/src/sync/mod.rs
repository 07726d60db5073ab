//! Userspace test double of `rust/sync/`: the same API and semantics, built on std's
//! `Mutex` and `Condvar`.
//!
//! Interruption: the kernel reports `Interrupted` when a signal is pending or the kernel
//! thread was asked to stop, and then every later wait of that thread returns at once.
//! Here the same is driven by a per-thread stop flag ([`interrupt`]), which the harness
//! sets to stop a worker thread (its `stop()`), or which a script sets on itself.

pub mod alloc;
mod channel;
pub mod interrupt;
mod waitany;

#[path = "../../../../rust/sync/api.rs"]
mod api;
mod completion;
mod condition;
#[path = "../../../../rust/sync/cycle.rs"]
mod cycle;
mod deadlock;
mod mutex;
mod rwsem;
mod semaphore;
mod timeout;
mod waitcell;

// The types the classes see are the kernel module's own: rust/sync/api.rs and
// rust/sync/cycle.rs use nothing of the kernel.
pub use api::{CondError, LockError, Owner, Timeout, UnlockError, UpError, WaitError};
pub use channel::{Channel, Letter, SendError};
pub use completion::Completion;
pub use condition::Condition;
pub use cycle::{Cycle, Link, LockKind, LockName, MAX_HOPS};
pub use mutex::Mutex;
pub use rwsem::Rwsem;
pub use semaphore::Semaphore;
pub use waitany::{wait_any, Source, WaitAnyError};
