//! How long a blocking call may sleep (same contract as the kernel's).

use std::time::{Duration, Instant};

use super::Timeout;

impl Timeout {
    /// The instant the wait must end, `None` for no end.
    pub(crate) fn deadline(self, now: Instant) -> Option<Instant> {
        now.checked_add(Duration::from_millis(self.bound_ms()?))
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
        assert_eq!(
            Timeout::Millis(Timeout::FOREVER_ABOVE_MS + 1).deadline(now),
            None
        );
        assert!(Timeout::Millis(Timeout::FOREVER_ABOVE_MS)
            .deadline(now)
            .is_some());
        assert_eq!(
            Timeout::Millis(10).deadline(now),
            Some(now + Duration::from_millis(10))
        );
    }
}
