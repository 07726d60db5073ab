// SPDX-License-Identifier: GPL-2.0

//! Mutex rules that one thread can check: ownership, refusals, deadlock, recursion.

use super::{mutex, owner, WAKE_MS};
use crate::ktap::{check, check_eq, Outcome};
use crate::observe::sleeps;
use crate::sync::{LockError, Timeout, UnlockError};

/// `try_lock` takes a free mutex, and fails without sleeping on a held one, even for
/// its holder.
pub(crate) fn mutex_try_lock() -> Outcome {
    let m = mutex(false)?;
    check!(
        !m.is_recursive(),
        "a mutex made non-recursive says it is recursive"
    );
    let before = sleeps();
    let first = m.try_lock(owner(0));
    let other = m.try_lock(owner(1));
    let again = m.try_lock(owner(0));
    check_eq!(sleeps().wrapping_sub(before), 0, "sleeps in try_lock()");
    check!(first, "try_lock() of a free mutex failed");
    check!(!other, "try_lock() by another owner succeeded");
    check!(
        !again,
        "try_lock() by the holder of a non-recursive mutex succeeded"
    );
    check!(m.owner_is(owner(0)), "the owner is not the first locker");
    check!(!m.owner_is(owner(1)), "the other owner is the owner");
    check_eq!(m.unlock(owner(0)), Ok(()), "unlock");
    check!(!m.is_locked(), "locked after the only unlock");
    check!(m.try_lock(owner(1)), "try_lock() after unlock");
    check_eq!(m.unlock(owner(1)), Ok(()), "unlock by the second owner");
    Ok(())
}

/// Unlock by a non-owner and unlock of an unlocked mutex are refused, distinctly, and
/// change nothing.
pub(crate) fn mutex_unlock_refused() -> Outcome {
    let m = mutex(false)?;
    check_eq!(
        m.unlock(owner(0)),
        Err(UnlockError::NotLocked),
        "unlock of an unlocked mutex"
    );
    check!(!m.is_locked(), "the refused unlock locked the mutex");
    check_eq!(
        m.lock(owner(0), Timeout::Millis(WAKE_MS)),
        Ok(()),
        "lock of a free mutex"
    );
    check!(m.is_locked(), "not locked after lock()");
    check_eq!(
        m.unlock(owner(1)),
        Err(UnlockError::NotOwner),
        "unlock by a non-owner"
    );
    check!(m.owner_is(owner(0)), "the refused unlock changed the owner");
    check_eq!(m.unlock(owner(0)), Ok(()), "unlock by the owner");
    check!(!m.is_locked(), "locked after the owner's unlock");
    check!(!m.owner_is(owner(0)), "still the owner after unlock");
    check_eq!(
        m.unlock(owner(0)),
        Err(UnlockError::NotLocked),
        "a second unlock"
    );
    Ok(())
}

/// Locking a non-recursive mutex again by its holder is `Deadlock`, at once, and does
/// not deepen the hold.
pub(crate) fn mutex_relock_is_deadlock() -> Outcome {
    let m = mutex(false)?;
    check_eq!(
        m.lock(owner(0), Timeout::Millis(WAKE_MS)),
        Ok(()),
        "lock of a free mutex"
    );
    let before = sleeps();
    let relock = m.lock(owner(0), Timeout::Millis(WAKE_MS));
    check_eq!(sleeps().wrapping_sub(before), 0, "sleeps in the relock");
    check_eq!(relock, Err(LockError::Deadlock), "relock by the holder");
    check!(m.owner_is(owner(0)), "the relock changed the owner");
    check_eq!(m.unlock(owner(0)), Ok(()), "unlock");
    check!(!m.is_locked(), "the failed relock deepened the hold");
    Ok(())
}

/// A recursive mutex counts its holder's depth: three locks need three unlocks, and
/// other owners are refused until the last one.
pub(crate) fn mutex_recursive_counts_depth() -> Outcome {
    let m = mutex(true)?;
    check!(m.is_recursive(), "a mutex made recursive says it is not");
    check_eq!(
        m.lock(owner(0), Timeout::Millis(WAKE_MS)),
        Ok(()),
        "first lock"
    );
    check_eq!(
        m.lock(owner(0), Timeout::Millis(WAKE_MS)),
        Ok(()),
        "second lock"
    );
    check!(m.try_lock(owner(0)), "third lock, by try_lock()");
    for left in (1..=3).rev() {
        check!(
            !m.try_lock(owner(1)),
            "another owner got it with {} holds left",
            left
        );
        check_eq!(
            m.unlock(owner(0)),
            Ok(()),
            "unlock with {} holds left",
            left
        );
        check_eq!(
            m.is_locked(),
            left > 1,
            "locked after an unlock with {} holds left",
            left
        );
    }
    check_eq!(
        m.unlock(owner(0)),
        Err(UnlockError::NotLocked),
        "a fourth unlock"
    );
    check!(m.try_lock(owner(1)), "another owner after the last unlock");
    check_eq!(m.unlock(owner(1)), Ok(()), "unlock by the other owner");
    Ok(())
}
