//! Userspace test double of `rust/sync/`: the same API and semantics, built on std's
//! `Mutex` and `Condvar`.
//!
//! Interruption: the kernel reports `Interrupted` when a signal is pending or the kernel
//! thread was asked to stop, and then every later wait of that thread returns at once.
//! Here the same is driven by a per-thread stop flag ([`interrupt`]), which the harness
//! sets to stop a worker thread (its `stop()`), or which a script sets on itself.

pub mod interrupt;

mod completion;
mod mutex;
mod semaphore;
mod timeout;
mod waitcell;

pub use completion::Completion;
pub use mutex::{LockError, Mutex, Owner, UnlockError};
pub use semaphore::{Semaphore, UpError};
pub use timeout::Timeout;

/// Why a blocking call returned without what it waited for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitError {
    /// The timeout passed.
    Timeout,
    /// The calling thread was asked to stop.
    Interrupted,
}
