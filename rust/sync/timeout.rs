// SPDX-License-Identifier: GPL-2.0

//! How long a blocking call may sleep.

use kernel::ffi::c_long;
use kernel::bindings;

/// `MAX_SCHEDULE_TIMEOUT`: `schedule_timeout` sleeps without a timer.
const MAX_SCHEDULE_TIMEOUT: c_long = c_long::MAX;

/// `MAX_JIFFY_OFFSET`: what `__msecs_to_jiffies` returns for values it cannot represent.
const MAX_JIFFY_OFFSET: c_long = (c_long::MAX >> 1) - 1;

/// How long a blocking call may sleep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timeout {
    /// Sleep until woken or interrupted.
    Infinite,
    /// Sleep at most this many milliseconds; `Millis(0)` does not sleep at all.
    Millis(u64),
}

impl Timeout {
    /// The Lua convention: a negative count means [`Timeout::Infinite`], 0 means poll.
    pub fn from_millis(ms: i64) -> Self {
        match u64::try_from(ms) {
            Ok(ms) => Self::Millis(ms),
            Err(_) => Self::Infinite,
        }
    }

    /// The timeout in jiffies for `schedule_timeout`: 0 for a poll, otherwise rounded up
    /// and one jiffy more, because the current jiffy is already partly over and a wait must
    /// never end before the time asked for. Values too large for the timer clamp to
    /// `MAX_SCHEDULE_TIMEOUT`.
    pub(crate) fn to_jiffies(self) -> c_long {
        let ms = match self {
            Self::Infinite => return MAX_SCHEDULE_TIMEOUT,
            Self::Millis(0) => return 0,
            Self::Millis(ms) => ms,
        };
        // `__msecs_to_jiffies` takes an `unsigned int` and maps everything above `INT_MAX`
        // to `MAX_JIFFY_OFFSET`, so larger values saturate there too.
        let ms = u32::try_from(ms).unwrap_or(u32::MAX);
        // SAFETY: a pure conversion with no preconditions.
        let jiffies = unsafe { bindings::__msecs_to_jiffies(ms) };
        match c_long::try_from(jiffies) {
            Ok(j) if j < MAX_JIFFY_OFFSET => j.saturating_add(1),
            _ => MAX_SCHEDULE_TIMEOUT,
        }
    }
}
