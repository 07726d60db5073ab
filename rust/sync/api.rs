// SPDX-License-Identifier: GPL-2.0

//! The kernel-independent part of the API: timeouts, owner tokens and errors.
//!
//! This file uses nothing of the kernel, so the userspace double of this module that the
//! host tests build (`tests/host`) includes it as it is, and both sides share one
//! definition of every type the Lua classes see.

use core::num::NonZeroUsize;

use super::cycle::Cycle;

/// How long a blocking call may sleep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timeout {
    /// Sleep until woken or interrupted.
    Infinite,
    /// Sleep at most this many milliseconds; `Millis(0)` does not sleep at all.
    Millis(u64),
}

impl Timeout {
    /// Timeouts longer than this many milliseconds (`INT_MAX`, about 24.8 days) never end,
    /// as `msecs_to_jiffies` treats them.
    pub const FOREVER_ABOVE_MS: u64 = i32::MAX as u64;

    /// The Lua convention: a negative count means [`Timeout::Infinite`], 0 means poll.
    pub fn from_millis(ms: i64) -> Self {
        match u64::try_from(ms) {
            Ok(ms) => Self::Millis(ms),
            Err(_) => Self::Infinite,
        }
    }

    /// How many milliseconds the wait may last, or `None` when it has no end.
    pub fn bound_ms(self) -> Option<u64> {
        match self {
            Self::Millis(ms) if ms <= Self::FOREVER_ABOVE_MS => Some(ms),
            _ => None,
        }
    }
}

/// Why a blocking call returned without what it waited for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitError {
    /// The timeout passed.
    Timeout,
    /// A signal is pending, or the calling kernel thread was asked to stop.
    Interrupted,
    /// The primitive was closed while waited on: it will never give what was waited for.
    Closed,
}

/// Who holds a mutex: an opaque non-zero token chosen by the caller (the Lua layer passes
/// its runtime), so a lock taken in one call can be released in a later call with the
/// same token, even from another task. The kernel's `struct mutex` forbids that, which is
/// why the mutex here is not a `struct mutex`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Owner(NonZeroUsize);

impl Owner {
    /// Wraps a token.
    pub fn new(token: NonZeroUsize) -> Self {
        Self(token)
    }

    /// The token.
    pub fn token(self) -> usize {
        self.0.get()
    }
}

/// Why taking a lock (a mutex, a side of an rwsem) failed; nothing was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockError {
    /// The caller already holds it in a way that makes waiting for it never end: a
    /// non-recursive mutex (or a recursive one at its depth limit), or either side of an
    /// rwsem for its write side.
    Deadlock,
    /// Sleeping for it would close this cycle of waits between owners, so the caller did
    /// not sleep.
    Cycle(Cycle),
    /// The wait ended without the lock.
    Wait(WaitError),
    /// No memory to count a new reader of an rwsem.
    NoMemory,
}

/// Why a wait on a condition did not end with a signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CondError {
    /// The caller does not hold the mutex: nothing was done.
    NotHeld,
    /// The timeout passed, or the condition was closed; the caller holds the mutex again,
    /// as deep as before.
    Wait(WaitError),
    /// The caller does not hold the mutex any more: the wait was interrupted, the mutex was
    /// closed, or taking it back failed (interrupted, closed, or a cycle of waits).
    Lost(LockError),
}

/// Why unlocking a mutex failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnlockError {
    /// Another owner holds the mutex.
    NotOwner,
    /// Nobody holds the mutex.
    NotLocked,
}

/// Why `up` on a semaphore failed; the count is unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpError {
    /// `up(0)`: a release must release something.
    Zero,
    /// The count would pass the semaphore's maximum.
    Overflow,
}
