// SPDX-License-Identifier: GPL-2.0

//! When a timed wait ends, on the kernel's monotonic clock.

use kernel::bindings;

use super::Timeout;

/// When a wait that started now must end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Deadline {
    /// Do not sleep.
    Now,
    /// At this `CLOCK_MONOTONIC` time, in nanoseconds (`ktime_t`).
    At(bindings::ktime_t),
    /// Never: the timeout was infinite, or too long to represent.
    Never,
}

impl Timeout {
    /// The deadline of a wait that starts now.
    ///
    /// Waits sleep on a high-resolution timer until this monotonic-clock time rather than
    /// counting jiffies: a jiffies timeout can end early in wall-clock terms (the current
    /// jiffy is partly over, and ticks that a busy or virtual machine delayed are caught up
    /// at once), and a wait must never report a timeout before the time asked for has
    /// passed.
    pub(crate) fn deadline(self) -> Deadline {
        let ms = match self.bound_ms() {
            None => return Deadline::Never,
            Some(0) => return Deadline::Now,
            Some(ms) => ms,
        };
        // SAFETY: reads the monotonic clock; no preconditions.
        let now = unsafe { bindings::ktime_get() };
        let at = i64::try_from(ms)
            .ok()
            .and_then(|ms| ms.checked_mul(1_000_000))
            .and_then(|ns| ns.checked_add(now));
        match at {
            Some(at) => Deadline::At(at),
            None => Deadline::Never,
        }
    }
}

/// The current `CLOCK_MONOTONIC` time.
pub(crate) fn now() -> bindings::ktime_t {
    // SAFETY: reads the monotonic clock; no preconditions.
    unsafe { bindings::ktime_get() }
}
