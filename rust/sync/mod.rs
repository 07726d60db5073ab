// SPDX-License-Identifier: GPL-2.0

//! Completion, mutex, semaphore, channel, condition variable and reader-writer semaphore
//! for kernel threads, with interruptible timed waits, a wait on several of them at once,
//! and deadlock detection for the locks that have an owner (see `deadlock`).
//!
//! Nothing here knows of Lua. Every blocking call takes a [`Timeout`] and returns
//! `Err(WaitError::Interrupted)` when a signal is pending or when the caller is a kernel
//! thread that `kthread_stop()` asked to stop, so stopping a waiting thread never hangs. A
//! caller that gets [`WaitError::Interrupted`] must return rather than wait again: every
//! later wait of a stopped thread returns at once. Calls that never sleep (`complete`,
//! `complete_all`, `up`, `try_lock`, `try_down`, `try_wait`, `done`, `unlock`, `signal`,
//! `broadcast`, `try_read`, `try_write`, `read_unlock`, `write_unlock`) take the
//! primitive's spinlock with interrupts saved and are safe in any context.
//!
//! Each primitive lives where the caller allocates it: either built with its `new`
//! initialiser (`KBox::pin_init`, `Arc::pin_init`), or initialised in place with `init_at`
//! in memory someone else owns (a Lunatik object's private data).
//!
//! A module that links this code declares it `pub mod sync;` and also links its C half,
//! `wait_helpers.c` (the static inline kernel helpers Rust cannot call): each module its own
//! object, e.g. a one-line C file of the module that includes `rust/sync/wait_helpers.c`.

pub mod alloc;
mod api;
mod channel;
mod completion;
mod condition;
pub(crate) mod cycle;
pub(crate) mod deadlock;
mod mutex;
mod rwsem;
mod semaphore;
mod timeout;
mod waitany;
pub(crate) mod waitqueue;

pub use api::{CondError, LockError, Owner, Timeout, UnlockError, UpError, WaitError};
pub use channel::{Channel, Letter, SendError};
pub use completion::Completion;
pub use condition::Condition;
pub use cycle::{Cycle, Link, LockKind, LockName, MAX_HOPS};
pub use mutex::Mutex;
pub use rwsem::Rwsem;
pub use semaphore::Semaphore;
pub use waitany::{wait_any, Source, WaitAnyError};

/// Runs a pin-initialiser in place.
///
/// # Safety
///
/// `slot` must be valid for writes and aligned for `T`, and the value must not move until it
/// is dropped in place.
unsafe fn init_in_place<T>(slot: *mut T, init: impl kernel::init::PinInit<T>) {
    // SAFETY: the caller guarantees `slot` is valid, aligned and stays pinned. The
    // initialisers of this module cannot fail (their error type is `Infallible`).
    let done = unsafe { init.__pinned_init(slot) };
    // The error type is uninhabited: there is nothing to handle.
    let Ok(()) = done;
}
