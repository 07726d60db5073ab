//! How long a blocking call may sleep (same contract as the kernel's).

use std::time::{Duration, Instant};

/// Timeouts above this many milliseconds wait forever.
const CLAMP_MS: u64 = i32::MAX as u64;

/// How long a blocking call may sleep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timeout {
    /// Sleep until woken or interrupted.
    Infinite,
    /// Sleep at most this many milliseconds; `Millis(0)` never sleeps.
    Millis(u64),
}

impl Timeout {
    /// The Lua convention: negative = [`Timeout::Infinite`], 0 = poll, else milliseconds.
    pub fn from_millis(ms: i64) -> Self {
        match u64::try_from(ms) {
            Ok(ms) => Self::Millis(ms),
            Err(_) => Self::Infinite,
        }
    }

    /// The instant the wait must end, `None` for no end. As in the kernel, where
    /// `msecs_to_jiffies` maps every value above `INT_MAX` to "forever", such values have
    /// no end.
    pub(crate) fn deadline(self, now: Instant) -> Option<Instant> {
        match self {
            Self::Infinite => None,
            Self::Millis(ms) if ms > CLAMP_MS => None,
            Self::Millis(ms) => now.checked_add(Duration::from_millis(ms)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lua_convention() {
        assert_eq!(Timeout::from_millis(-1), Timeout::Infinite);
        assert_eq!(Timeout::from_millis(i64::MIN), Timeout::Infinite);
        assert_eq!(Timeout::from_millis(0), Timeout::Millis(0));
        assert_eq!(Timeout::from_millis(25), Timeout::Millis(25));
        assert_eq!(
            Timeout::from_millis(i64::MAX),
            Timeout::Millis(i64::MAX as u64)
        );
    }

    #[test]
    fn huge_timeouts_have_no_deadline() {
        let now = Instant::now();
        assert_eq!(Timeout::Infinite.deadline(now), None);
        assert_eq!(Timeout::Millis(u64::MAX).deadline(now), None);
        assert_eq!(Timeout::Millis(CLAMP_MS + 1).deadline(now), None);
        assert!(Timeout::Millis(CLAMP_MS).deadline(now).is_some());
        assert_eq!(
            Timeout::Millis(10).deadline(now),
            Some(now + Duration::from_millis(10))
        );
    }
}
