// SPDX-License-Identifier: GPL-2.0

//! Timeouts: the Lua convention, polls that never sleep, and timed waits that end no
//! earlier than asked and not much later.

use kernel::c_str;

use super::{completion, mutex, owner, semaphore, JOIN_MS, SLEEP_MS};
use crate::ktap::{check, check_eq, measured, Outcome};
use crate::kthread::KThread;
use crate::observe::{jiffy_ns, sleeps, Ms, Stopwatch, NS_PER_MS};
use crate::sync::{LockError, Timeout, WaitError};
use crate::verdict::Seen;

/// Scheduling slack allowed after a timeout on top of two jiffies: generous, because the
/// test VM runs under emulation on a shared machine.
const SLACK_MS: u64 = 50;

/// Negative is infinite, 0 is a poll, the rest are milliseconds.
pub(crate) fn timeout_from_millis() -> Outcome {
    check_eq!(
        Timeout::from_millis(-1),
        Timeout::Infinite,
        "from_millis(-1)"
    );
    check_eq!(
        Timeout::from_millis(i64::MIN),
        Timeout::Infinite,
        "from_millis(i64::MIN)"
    );
    check_eq!(
        Timeout::from_millis(0),
        Timeout::Millis(0),
        "from_millis(0)"
    );
    check_eq!(
        Timeout::from_millis(7),
        Timeout::Millis(7),
        "from_millis(7)"
    );
    check_eq!(
        Timeout::from_millis(i64::MAX),
        Timeout::Millis(i64::MAX.unsigned_abs()),
        "from_millis(i64::MAX)"
    );
    Ok(())
}

/// A 0 ms wait on each unavailable primitive fails with `Timeout` without sleeping.
pub(crate) fn timeout_zero_polls_without_sleeping() -> Outcome {
    let c = completion()?;
    let m = mutex(false)?;
    let s = semaphore(0)?;
    check_eq!(
        m.lock(owner(0), Timeout::Infinite),
        Ok(()),
        "lock of a free mutex"
    );

    let before = sleeps();
    let watch = Stopwatch::start();
    let waited = c.wait(Timeout::Millis(0));
    let locked = m.lock(owner(1), Timeout::Millis(0));
    let downed = s.down(Timeout::Millis(0));
    let ns = watch.elapsed_ns();
    let slept = sleeps().wrapping_sub(before);
    measured(format_args!("three 0 ms polls took {} in all", Ms(ns)));

    check_eq!(waited, Err(WaitError::Timeout), "completion wait(0)");
    check_eq!(
        locked,
        Err(LockError::Wait(WaitError::Timeout)),
        "lock(0) of a held mutex"
    );
    check_eq!(downed, Err(WaitError::Timeout), "down(0) at count 0");
    check_eq!(slept, 0, "sleeps during the polls");
    check!(m.owner_is(owner(0)), "the poll changed the mutex's owner");
    Ok(())
}

/// Runs `wait` with a `ms` timeout on something that never becomes available, and checks
/// that it ends with `Timeout` no earlier than `ms` and within two jiffies plus slack.
fn not_early(what: &str, ms: u64, wait: impl FnOnce(Timeout) -> Result<(), WaitError>) -> Outcome {
    let watch = Stopwatch::start();
    let result = wait(Timeout::Millis(ms));
    let ns = watch.elapsed_ns();
    let asked = ms.saturating_mul(NS_PER_MS);
    let limit = asked
        .saturating_add(jiffy_ns().saturating_mul(2))
        .saturating_add(SLACK_MS.saturating_mul(NS_PER_MS));
    measured(format_args!(
        "{} with a {} ms timeout returned after {}",
        what,
        ms,
        Ms(ns)
    ));
    check_eq!(result, Err(WaitError::Timeout), "{} result", what);
    check!(
        ns >= asked,
        "{} returned {} before its timeout",
        what,
        Ms(asked.saturating_sub(ns))
    );
    check!(
        ns <= limit,
        "{} returned after {}, limit {}",
        what,
        Ms(ns),
        Ms(limit)
    );
    Ok(())
}

fn completion_not_early(ms: u64) -> Outcome {
    let c = completion()?;
    not_early("completion wait", ms, |t| c.wait(t))
}

/// A 10 ms completion wait times out no earlier than 10 ms.
pub(crate) fn timeout_10ms_not_early() -> Outcome {
    completion_not_early(10)
}

/// A 50 ms completion wait times out no earlier than 50 ms.
pub(crate) fn timeout_50ms_not_early() -> Outcome {
    completion_not_early(50)
}

/// A 100 ms completion wait times out no earlier than 100 ms.
pub(crate) fn timeout_100ms_not_early() -> Outcome {
    completion_not_early(100)
}

/// A timed lock of a mutex held by another owner times out no earlier than asked.
pub(crate) fn timeout_mutex_lock_not_early() -> Outcome {
    let m = mutex(false)?;
    check_eq!(
        m.lock(owner(0), Timeout::Infinite),
        Ok(()),
        "lock of a free mutex"
    );
    not_early("mutex lock", 20, |t| match m.lock(owner(1), t) {
        Ok(()) => Ok(()),
        Err(LockError::Wait(e)) => Err(e),
        // Reported as a wrong result by `not_early`.
        Err(LockError::Deadlock | LockError::Cycle(_) | LockError::NoMemory) => {
            Err(WaitError::Interrupted)
        }
    })?;
    check!(m.owner_is(owner(0)), "the timed-out lock changed the owner");
    Ok(())
}

/// A timed down of an empty semaphore times out no earlier than asked.
pub(crate) fn timeout_semaphore_down_not_early() -> Outcome {
    let s = semaphore(0)?;
    not_early("semaphore down", 20, |t| s.down(t))?;
    check_eq!(s.count(), 0, "count after a timed-out down");
    Ok(())
}

/// The largest timeout is a long sleep, not a wrapped short one: a thread waiting
/// `u64::MAX` ms sleeps until it is completed.
pub(crate) fn timeout_huge_does_not_wrap() -> Outcome {
    let c = completion()?;
    let waiter = {
        let c = c.clone();
        KThread::spawn(None, c_str!("lsst-huge"), move || {
            Seen::from(c.wait(Timeout::Millis(u64::MAX))).code()
        })?
    };
    let slept = waiter.sleeps_within(SLEEP_MS);
    let early = Seen::of(waiter.finished());
    c.complete();
    let seen = Seen::of(waiter.join_within(JOIN_MS));
    check!(slept, "the waiter never slept (finished: {:?})", early);
    check_eq!(early, None, "the waiter finished before it was completed");
    check_eq!(seen, Some(Seen::Ok), "the waiter's result");
    Ok(())
}
