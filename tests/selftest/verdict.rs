// SPDX-License-Identifier: GPL-2.0

//! What a test thread saw, carried in its return value.
//!
//! A thread's closure returns an `i32` (what `kthread_stop()` hands back); these are the
//! values the cases give it, and their names for the diagnostics.

use crate::sync::{CondError, LockError, UnlockError, WaitError};

/// A kernel thread's closure returns one of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Seen {
    /// The wait, lock or unlock succeeded.
    Ok,
    /// `WaitError::Timeout`.
    Timeout,
    /// `WaitError::Interrupted`.
    Interrupted,
    /// `LockError::Deadlock`.
    Deadlock,
    /// `UnlockError::NotOwner`.
    NotOwner,
    /// `UnlockError::NotLocked`.
    NotLocked,
    /// `WaitError::Closed`.
    Closed,
    /// `LockError::Cycle`: the wait would have closed a cycle of waits.
    Cycle,
    /// `LockError::NoMemory`.
    NoMemory,
    /// `CondError::Lost(LockError::Wait(WaitError::Interrupted))`: a condition wait was
    /// interrupted and its mutex is not held.
    LostInterrupted,
    /// `CondError::Lost(LockError::Wait(WaitError::Closed))`: a condition wait's mutex was
    /// closed.
    LostClosed,
    /// Something the thread checked for itself was wrong.
    Wrong,
    /// Not a value of this enum (such as `-EINTR` for a thread that never ran).
    Unknown,
}

impl Seen {
    /// The closure's return value.
    pub(crate) fn code(self) -> i32 {
        match self {
            Self::Ok => 0,
            Self::Timeout => 1,
            Self::Interrupted => 2,
            Self::Deadlock => 3,
            Self::NotOwner => 4,
            Self::NotLocked => 5,
            Self::Wrong => 6,
            Self::Closed => 8,
            Self::Cycle => 9,
            Self::NoMemory => 10,
            Self::LostInterrupted => 11,
            Self::LostClosed => 12,
            Self::Unknown => 7,
        }
    }

    /// The inverse of [`Seen::code`].
    pub(crate) fn from_code(code: i32) -> Self {
        match code {
            0 => Self::Ok,
            1 => Self::Timeout,
            2 => Self::Interrupted,
            3 => Self::Deadlock,
            4 => Self::NotOwner,
            5 => Self::NotLocked,
            6 => Self::Wrong,
            8 => Self::Closed,
            9 => Self::Cycle,
            10 => Self::NoMemory,
            11 => Self::LostInterrupted,
            12 => Self::LostClosed,
            _ => Self::Unknown,
        }
    }

    /// What a `join_within` or `finished` result says; `None` (still running) is kept.
    pub(crate) fn of(code: Option<i32>) -> Option<Self> {
        code.map(Self::from_code)
    }
}

impl From<Result<(), WaitError>> for Seen {
    fn from(r: Result<(), WaitError>) -> Self {
        match r {
            Ok(()) => Self::Ok,
            Err(WaitError::Timeout) => Self::Timeout,
            Err(WaitError::Interrupted) => Self::Interrupted,
            Err(WaitError::Closed) => Self::Closed,
        }
    }
}

impl From<Result<(), LockError>> for Seen {
    fn from(r: Result<(), LockError>) -> Self {
        match r {
            Ok(()) => Self::Ok,
            Err(LockError::Deadlock) => Self::Deadlock,
            Err(LockError::Cycle(_)) => Self::Cycle,
            Err(LockError::NoMemory) => Self::NoMemory,
            Err(LockError::Wait(e)) => Self::from(Err::<(), WaitError>(e)),
        }
    }
}

impl From<Result<(), UnlockError>> for Seen {
    fn from(r: Result<(), UnlockError>) -> Self {
        match r {
            Ok(()) => Self::Ok,
            Err(UnlockError::NotOwner) => Self::NotOwner,
            Err(UnlockError::NotLocked) => Self::NotLocked,
        }
    }
}

impl From<Result<(), CondError>> for Seen {
    fn from(r: Result<(), CondError>) -> Self {
        match r {
            Ok(()) => Self::Ok,
            Err(CondError::NotHeld) => Self::NotOwner,
            Err(CondError::Wait(e)) => Self::from(Err::<(), WaitError>(e)),
            Err(CondError::Lost(LockError::Wait(WaitError::Interrupted))) => Self::LostInterrupted,
            Err(CondError::Lost(LockError::Wait(WaitError::Closed))) => Self::LostClosed,
            Err(CondError::Lost(LockError::Cycle(_))) => Self::Cycle,
            Err(CondError::Lost(_)) => Self::Wrong,
        }
    }
}
