// SPDX-License-Identifier: GPL-2.0

//! A completion with the semantics of the kernel's `struct completion`.

use core::sync::atomic::{AtomicU32, Ordering};
use kernel::init::PinInit;
use kernel::prelude::pin_data;

use super::waitqueue::{lock_class, LockClass, WaitQueue};
use super::{Timeout, WaitError};

static CLASS: LockClass = lock_class!("luasync_completion");

/// `done` value meaning "completed for everyone until `reinit`", as in the kernel.
const ALL: u32 = u32::MAX;

/// A counted completion: each [`Completion::complete`] releases one waiter, now or later;
/// [`Completion::complete_all`] releases every current and future wait until
/// [`Completion::reinit`].
///
/// Unlike the kernel's, the count is an atomic kept beside the queue, not under its lock:
/// `complete` with nobody waiting and `try_wait` are one atomic operation each, and the lock
/// is taken only to wait or to wake (the waker's protocol of [`WaitQueue::wake_waiters`]).
#[pin_data]
pub struct Completion {
    /// Completions not yet consumed; [`ALL`]: every wait succeeds until `reinit`.
    done: AtomicU32,
    #[pin]
    queue: WaitQueue<()>,
}

impl Completion {
    /// An initialiser for a completion that is not done.
    pub fn new() -> impl PinInit<Self> {
        kernel::pin_init!(Self {
            done: AtomicU32::new(0),
            queue <- WaitQueue::new((), &CLASS),
        })
    }

    /// Initialises a completion in place.
    ///
    /// # Safety
    ///
    /// `slot` must be valid for writes and aligned for `Self`, and the completion must not
    /// move until it is dropped with `ptr::drop_in_place`.
    pub unsafe fn init_at(slot: *mut Self) {
        // SAFETY: the caller's guarantees are those of `init_in_place`.
        unsafe { super::init_in_place(slot, Self::new()) }
    }

    /// Releases one waiter, or the next wait if none is waiting. Never sleeps.
    pub fn complete(&self) {
        // Saturates at `ALL`, as the kernel's does (`done != UINT_MAX`): a count that
        // reaches it means "completed for all".
        let _ = self
            .done
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |d| {
                (d != ALL).then(|| d + 1)
            });
        self.queue.wake_waiters(Some(1));
    }

    /// Releases all current and future waits until [`Completion::reinit`]. Never sleeps.
    pub fn complete_all(&self) {
        self.done.store(ALL, Ordering::SeqCst);
        self.queue.wake_waiters(None);
    }

    /// Waits until completed, consuming one completion.
    pub fn wait(&self, timeout: Timeout) -> Result<(), WaitError> {
        if self.try_wait() {
            return Ok(());
        }
        self.wait_not_done(timeout)
    }

    /// Waits as [`Completion::wait`] does, for a caller whose [`Completion::try_wait`] just
    /// failed: the first look is under the queue's lock.
    pub fn wait_not_done(&self, timeout: Timeout) -> Result<(), WaitError> {
        self.queue.wait_until(timeout, |()| self.try_wait())
    }

    /// Consumes one completion if there is one, without sleeping.
    pub fn try_wait(&self) -> bool {
        // Completed for all: nothing to write, so the waiters that `complete_all` released
        // do not all write to one cache line.
        let mut done = self.done.load(Ordering::SeqCst);
        loop {
            match done {
                0 => return false,
                ALL => return true,
                _ => match self.done.compare_exchange_weak(
                    done,
                    done - 1,
                    Ordering::SeqCst,
                    Ordering::SeqCst,
                ) {
                    Ok(_) => return true,
                    Err(now) => done = now,
                },
            }
        }
    }

    /// Whether a wait would succeed now; consumes nothing. Never sleeps.
    pub fn done(&self) -> bool {
        self.done.load(Ordering::SeqCst) > 0
    }

    /// Closes it: every waiter, now and later, gives up with [`WaitError::Closed`] unless
    /// what it waits for is there. Never sleeps.
    pub fn close(&self) {
        self.queue.close();
    }

    /// Its kernel wait queue heads (null: none), for the port's debugfs view.
    pub fn wait_heads(&self) -> [*mut core::ffi::c_void; 2] {
        [self.queue.head(), core::ptr::null_mut()]
    }

    /// Whether it was closed.
    pub fn is_closed(&self) -> bool {
        self.queue.is_closed()
    }

    /// Its queue, for `wait_any`.
    pub(crate) fn queue(&self) -> &dyn super::waitqueue::Queue {
        &self.queue
    }

    /// How many waits would succeed now (`u32::MAX`: every one, until `reinit`).
    pub fn pending(&self) -> u32 {
        self.done.load(Ordering::SeqCst)
    }

    /// Makes the completion not done again. Never sleeps.
    pub fn reinit(&self) {
        self.done.store(0, Ordering::SeqCst);
    }
}
