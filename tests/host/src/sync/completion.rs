//! Completion double: a counted `done`, as the kernel's `struct completion`.

use super::waitcell::WaitCell;
use super::{Timeout, WaitError};

/// `done` value meaning "completed for everyone until `reinit`".
const ALL: u32 = u32::MAX;

/// A counted completion.
pub struct Completion {
    done: WaitCell<u32>,
}

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

impl Completion {
    /// Initialises a completion in place.
    ///
    /// # Safety
    ///
    /// `slot` must be valid for writes and aligned for `Self`, and the completion must not
    /// move until it is dropped with `ptr::drop_in_place`.
    pub unsafe fn init_at(slot: *mut Self) {
        // SAFETY: the caller guarantees `slot` is valid and aligned for writes.
        unsafe {
            slot.write(Self {
                done: WaitCell::new(0),
            })
        }
    }

    /// Releases one waiter, now or later.
    pub fn complete(&self) {
        self.done.update(|done| {
            if *done < ALL - 1 {
                *done += 1;
            }
        });
    }

    /// Releases every waiter until `reinit`.
    pub fn complete_all(&self) {
        self.done.update(|done| *done = ALL);
    }

    /// Waits until completed, consuming one completion.
    pub fn wait(&self, timeout: Timeout) -> Result<(), WaitError> {
        self.done.wait_until(timeout, take)
    }

    /// As `wait`, for a caller whose `try_wait` just failed (the module's skips a look).
    pub fn wait_not_done(&self, timeout: Timeout) -> Result<(), WaitError> {
        self.wait(timeout)
    }

    /// Consumes one completion if there is one.
    pub fn try_wait(&self) -> bool {
        self.done.with(take)
    }

    /// Whether a wait would succeed now.
    pub fn done(&self) -> bool {
        self.done.with(|done| *done > 0)
    }

    /// Closes it: every waiter, now and later, gives up with `Closed` unless what it
    /// waits for is there.
    pub fn close(&self) {
        self.done.close();
    }

    /// No kernel wait queue here.
    pub fn wait_heads(&self) -> [*mut std::ffi::c_void; 2] {
        [std::ptr::null_mut(); 2]
    }

    /// Whether it was closed.
    pub fn is_closed(&self) -> bool {
        self.done.is_closed()
    }

    /// How many waits would succeed now (`u32::MAX`: every one).
    pub fn pending(&self) -> u32 {
        self.done.with(|done| *done)
    }

    /// Not done any more.
    pub fn reinit(&self) {
        self.done.with(|done| *done = 0);
    }
}
