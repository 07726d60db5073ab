// SPDX-License-Identifier: GPL-2.0

//! A counting semaphore.

use core::sync::atomic::{AtomicU32, Ordering};
use kernel::init::PinInit;
use kernel::prelude::pin_data;

use super::waitqueue::{lock_class, LockClass, WaitQueue};
use super::{Timeout, UpError, WaitError};

static CLASS: LockClass = lock_class!("luasync_semaphore");

/// A counting semaphore. Uncontended `down` and `up` are one atomic operation each; the
/// queue's lock is taken only to wait or to wake. `up(n)` wakes up to `n` waiters; a
/// waiter that times out or is interrupted never consumes a count.
#[pin_data]
pub struct Semaphore {
    /// The count; taken and given with atomic operations, without the queue's lock when
    /// nobody waits.
    count: AtomicU32,
    #[pin]
    queue: WaitQueue<()>,
}

impl Semaphore {
    /// The largest count a semaphore can hold (`INT_MAX`, so it fits a Lua integer and a C
    /// `int` alike).
    pub const MAX_COUNT: u32 = i32::MAX as u32;

    /// An initialiser for a semaphore holding `count`, clamped to [`Semaphore::MAX_COUNT`].
    pub fn new(count: u32) -> impl PinInit<Self> {
        kernel::pin_init!(Self {
            count: AtomicU32::new(count.min(Self::MAX_COUNT)),
            queue <- WaitQueue::new((), &CLASS),
        })
    }

    /// Initialises a semaphore in place, holding `count` clamped to [`Semaphore::MAX_COUNT`].
    ///
    /// # Safety
    ///
    /// `slot` must be valid for writes and aligned for `Self`, and the semaphore must not
    /// move until it is dropped with `ptr::drop_in_place`.
    pub unsafe fn init_at(slot: *mut Self, count: u32) {
        // SAFETY: the caller's guarantees are those of `init_in_place`.
        unsafe { super::init_in_place(slot, Self::new(count)) }
    }

    /// Takes one count, sleeping at most `timeout` while there is none.
    pub fn down(&self, timeout: Timeout) -> Result<(), WaitError> {
        if self.try_down() {
            return Ok(());
        }
        self.down_not_free(timeout)
    }

    /// Takes one count as [`Semaphore::down`] does, for a caller whose
    /// [`Semaphore::try_down`] just failed: the first look is under the queue's lock.
    pub fn down_not_free(&self, timeout: Timeout) -> Result<(), WaitError> {
        self.queue.wait_until(timeout, |()| self.try_down())
    }

    /// Takes one count if there is one, without sleeping.
    pub fn try_down(&self) -> bool {
        self.count
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |c| c.checked_sub(1))
            .is_ok()
    }

    /// Adds `n` counts and wakes up to `n` waiters. Never sleeps.
    pub fn up(&self, n: u32) -> Result<(), UpError> {
        if n == 0 {
            return Err(UpError::Zero);
        }
        let added = self
            .count
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |c| {
                c.checked_add(n).filter(|&sum| sum <= Self::MAX_COUNT)
            });
        if added.is_err() {
            return Err(UpError::Overflow);
        }
        self.queue.wake_waiters(Some(n));
        Ok(())
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

    /// The current count.
    pub fn count(&self) -> u32 {
        self.count.load(Ordering::SeqCst)
    }
}
