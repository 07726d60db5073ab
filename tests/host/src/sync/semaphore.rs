//! Semaphore double: a counting semaphore with the kernel module's limits.

use super::waitcell::WaitCell;
use super::{Timeout, UpError, WaitError};

/// A counting semaphore.
pub struct Semaphore {
    count: WaitCell<u32>,
}

fn take(count: &mut u32) -> bool {
    if *count == 0 {
        return false;
    }
    *count -= 1;
    true
}

impl Semaphore {
    /// The largest count.
    pub const MAX_COUNT: u32 = i32::MAX as u32;

    /// Initialises a semaphore in place; `count` is clamped to [`Semaphore::MAX_COUNT`].
    ///
    /// # Safety
    ///
    /// As `Completion::init_at`.
    pub unsafe fn init_at(slot: *mut Self, count: u32) {
        // SAFETY: the caller guarantees `slot` is valid and aligned for writes.
        unsafe {
            slot.write(Self {
                count: WaitCell::new(count.min(Self::MAX_COUNT)),
            })
        }
    }

    /// Takes one count, waiting at most `timeout` for one.
    pub fn down(&self, timeout: Timeout) -> Result<(), WaitError> {
        self.count.wait_until(timeout, take)
    }

    /// As `down`, for a caller whose `try_down` just failed (the module's skips a look).
    pub fn down_not_free(&self, timeout: Timeout) -> Result<(), WaitError> {
        self.down(timeout)
    }

    /// Takes one count if there is one.
    pub fn try_down(&self) -> bool {
        self.count.with(take)
    }

    /// Adds `n` to the count.
    pub fn up(&self, n: u32) -> Result<(), UpError> {
        if n == 0 {
            return Err(UpError::Zero);
        }
        self.count.update(|count| match count.checked_add(n) {
            Some(sum) if sum <= Self::MAX_COUNT => {
                *count = sum;
                Ok(())
            }
            _ => Err(UpError::Overflow),
        })
    }

    /// Closes it: every waiter, now and later, gives up with `Closed` unless what it
    /// waits for is there.
    pub fn close(&self) {
        self.count.close();
    }

    /// No kernel wait queue here.
    pub fn wait_heads(&self) -> [*mut std::ffi::c_void; 2] {
        [std::ptr::null_mut(); 2]
    }

    /// Whether it was closed.
    pub fn is_closed(&self) -> bool {
        self.count.is_closed()
    }

    /// The current count.
    pub fn count(&self) -> u32 {
        self.count.with(|count| *count)
    }
}
