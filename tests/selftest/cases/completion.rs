// SPDX-License-Identifier: GPL-2.0

//! Completion: counted `done`, as the kernel's `struct completion`.

use kernel::{c_str, prelude::*};

use super::{completion, JOIN_MS, SLEEP_MS, WAKE_MS};
use crate::ktap::{check, check_eq, Outcome};
use crate::kthread::KThread;
use crate::observe::sleeps;
use crate::sync::{Timeout, WaitError};
use crate::verdict::Seen;

/// A completion made before the wait lets the wait through at once, and only once.
pub(crate) fn completion_complete_before_wait() -> Outcome {
    let c = completion()?;
    c.complete();
    check!(c.done(), "not done after complete()");
    let before = sleeps();
    let waited = c.wait(Timeout::Millis(WAKE_MS));
    check_eq!(
        sleeps().wrapping_sub(before),
        0,
        "sleeps of a wait that had its completion"
    );
    check_eq!(waited, Ok(()), "wait after complete()");
    check!(
        !c.done(),
        "still done after the wait consumed the completion"
    );
    check_eq!(
        c.wait(Timeout::Millis(0)),
        Err(WaitError::Timeout),
        "a second wait"
    );
    Ok(())
}

/// A thread asleep in a wait is released by a later `complete()`.
pub(crate) fn completion_wait_before_complete() -> Outcome {
    let c = completion()?;
    let waiter = {
        let c = c.clone();
        KThread::spawn(None, c_str!("lsst-wait"), move || {
            Seen::from(c.wait(Timeout::Millis(WAKE_MS))).code()
        })?
    };
    let slept = waiter.sleeps_within(SLEEP_MS);
    let early = Seen::of(waiter.finished());
    c.complete();
    let seen = Seen::of(waiter.join_within(JOIN_MS));
    check!(slept, "the waiter never slept (finished: {:?})", early);
    check_eq!(early, None, "the waiter finished before complete()");
    check_eq!(seen, Some(Seen::Ok), "the waiter's result");
    check!(!c.done(), "the waiter did not consume the completion");
    Ok(())
}

/// Three `complete()` let exactly three waits through; the fourth times out.
pub(crate) fn completion_counted() -> Outcome {
    let c = completion()?;
    for _ in 0..3 {
        c.complete();
    }
    for i in 0..3 {
        check_eq!(c.wait(Timeout::Millis(WAKE_MS)), Ok(()), "wait {} of 3", i);
    }
    check_eq!(
        c.wait(Timeout::Millis(10)),
        Err(WaitError::Timeout),
        "the fourth wait"
    );
    Ok(())
}

/// `complete_all()` releases 8 threads asleep in a wait, and every later wait until
/// `reinit()`.
pub(crate) fn completion_complete_all_releases_8_threads() -> Outcome {
    let c = completion()?;
    let mut waiters = KVec::new();
    for _ in 0..8 {
        let c = c.clone();
        let waiter = KThread::spawn(None, c_str!("lsst-all"), move || {
            Seen::from(c.wait(Timeout::Millis(WAKE_MS))).code()
        })?;
        waiters.push(waiter, GFP_KERNEL)?;
    }
    let mut asleep = 0usize;
    for waiter in waiters.iter() {
        if waiter.sleeps_within(SLEEP_MS) {
            asleep = asleep.saturating_add(1);
        }
    }
    c.complete_all();
    let mut released = 0usize;
    for waiter in waiters.iter() {
        if Seen::of(waiter.join_within(JOIN_MS)) == Some(Seen::Ok) {
            released = released.saturating_add(1);
        }
    }
    check_eq!(asleep, 8, "threads seen asleep before complete_all()");
    check_eq!(released, 8, "threads released by complete_all()");
    for _ in 0..3 {
        check!(c.done(), "not done after complete_all()");
        check_eq!(c.wait(Timeout::Millis(0)), Ok(()), "a later wait");
        check!(c.try_wait(), "a later try_wait()");
    }
    c.reinit();
    check!(!c.done(), "done after reinit()");
    check_eq!(
        c.wait(Timeout::Millis(0)),
        Err(WaitError::Timeout),
        "a wait after reinit()"
    );
    Ok(())
}

/// `reinit()` forgets pending completions; the completion then counts again from zero.
pub(crate) fn completion_reinit() -> Outcome {
    let c = completion()?;
    c.complete();
    c.complete();
    c.reinit();
    check!(!c.done(), "done after reinit()");
    check!(!c.try_wait(), "try_wait() succeeded after reinit()");
    check_eq!(
        c.wait(Timeout::Millis(0)),
        Err(WaitError::Timeout),
        "wait after reinit()"
    );
    c.complete();
    check!(c.try_wait(), "try_wait() after a new complete()");
    check!(!c.try_wait(), "a second try_wait() after one complete()");
    Ok(())
}

/// `done()` peeks, `try_wait()` consumes one; neither sleeps.
pub(crate) fn completion_try_wait_and_done() -> Outcome {
    let c = completion()?;
    let before = sleeps();
    let fresh = (c.done(), c.try_wait());
    c.complete();
    let peeks = (c.done(), c.done());
    let took = (c.try_wait(), c.try_wait());
    let after = c.done();
    let slept = sleeps().wrapping_sub(before);
    check_eq!(
        fresh,
        (false, false),
        "done() and try_wait() of a new completion"
    );
    check_eq!(peeks, (true, true), "done() twice after one complete()");
    check_eq!(took, (true, false), "try_wait() twice after one complete()");
    check!(!after, "done() after try_wait() consumed the completion");
    check_eq!(slept, 0, "sleeps in done() and try_wait()");
    Ok(())
}

/// Waits each waiter of [`completion_counted_across_threads`] makes.
const WAITS_EACH: u32 = 5_000;

/// Waiters and completers of [`completion_counted_across_threads`].
const WAITERS: u32 = 4;
const COMPLETERS: u32 = 2;

/// Completers and waiters on both CPUs, unpinned, with every third take a `try_wait()`
/// first: the count is an atomic that `complete()` and `try_wait()` change without the
/// queue's lock, so this races the lock-free paths against each other and against
/// sleeping waiters. Every completion must be taken exactly once: a lost or doubled count
/// leaves one over, or lets a wait through too many and leaves another waiting for one
/// that never comes (its bounded wait times out). Lost wake-ups are the cross-CPU
/// ping-pong's case, where each one stops the game.
pub(crate) fn completion_counted_across_threads() -> Outcome {
    let c = completion()?;
    let total = WAITS_EACH * WAITERS;
    let per_completer = total / COMPLETERS;
    let mut threads = KVec::new();
    for _ in 0..WAITERS {
        let c = c.clone();
        let waiter = KThread::spawn(None, c_str!("lsst-take"), move || {
            for i in 0..WAITS_EACH {
                if i % 3 == 0 && c.try_wait() {
                    continue;
                }
                let seen = Seen::from(c.wait(Timeout::Millis(WAKE_MS)));
                if seen != Seen::Ok {
                    return seen.code();
                }
            }
            Seen::Ok.code()
        })?;
        threads.push(waiter, GFP_KERNEL)?;
    }
    for _ in 0..COMPLETERS {
        let c = c.clone();
        let completer = KThread::spawn(None, c_str!("lsst-give"), move || {
            for _ in 0..per_completer {
                c.complete();
            }
            Seen::Ok.code()
        })?;
        threads.push(completer, GFP_KERNEL)?;
    }
    let mut ended = 0usize;
    for thread in threads.iter() {
        // Generous: a lost wake-up ends a waiter with `Timeout` after WAKE_MS, well before.
        if Seen::of(thread.join_within(JOIN_MS.saturating_mul(60))) == Some(Seen::Ok) {
            ended = ended.saturating_add(1);
        }
    }
    check_eq!(
        ended,
        (WAITERS + COMPLETERS) as usize,
        "threads that took or gave every completion"
    );
    check_eq!(c.pending(), 0, "completions left over");
    Ok(())
}
