// SPDX-License-Identifier: GPL-2.0

//! A completion with the semantics of the kernel's `struct completion`.

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
#[pin_data]
pub struct Completion {
    #[pin]
    queue: WaitQueue<u32>,
}

impl Completion {
    /// An initialiser for a completion that is not done.
    pub fn new() -> impl PinInit<Self> {
        kernel::pin_init!(Self {
            queue <- WaitQueue::new(0, &CLASS),
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
        let mut done = self.queue.lock();
        if *done != ALL {
            *done += 1;
        }
        done.wake(Some(1));
    }

    /// Releases all current and future waits until [`Completion::reinit`]. Never sleeps.
    pub fn complete_all(&self) {
        let mut done = self.queue.lock();
        *done = ALL;
        done.wake(None);
    }

    /// Waits until completed, consuming one completion.
    pub fn wait(&self, timeout: Timeout) -> Result<(), WaitError> {
        self.queue.lock().wait_until(timeout, take)
    }

    /// Consumes one completion if there is one, without sleeping.
    pub fn try_wait(&self) -> bool {
        self.queue.with(take)
    }

    /// Whether a wait would succeed now; consumes nothing. Never sleeps.
    pub fn done(&self) -> bool {
        self.queue.with(|done| *done > 0)
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
        self.queue.with(|done| *done)
    }

    /// Makes the completion not done again. Never sleeps.
    pub fn reinit(&self) {
        self.queue.with(|done| *done = 0);
    }
}

/// Consumes one completion, unless completed for all.
fn take(done: &mut u32) -> bool {
    match *done {
        0 => false,
        ALL => true,
        _ => {
            *done -= 1;
            true
        }
    }
}
