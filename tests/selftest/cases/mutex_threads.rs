// SPDX-License-Identifier: GPL-2.0

//! Mutex across kernel threads: mutual exclusion, timeouts, handoff, and an owner token
//! that is not tied to a task.

use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use kernel::{c_str, prelude::*, sync::Arc};

use super::{mutex, owner, JOIN_MS, SLEEP_MS, WAKE_MS};
use crate::ktap::{check, check_eq, measured, Outcome};
use crate::kthread::KThread;
use crate::observe::{Ms, Stopwatch, NS_PER_MS};
use crate::sync::Timeout;
use crate::verdict::Seen;

const THREADS: usize = 4;
const INCREMENTS: u64 = 100_000;

/// How long the counting threads may take in all: a hang guard, not a measure.
const COUNT_MS: u32 = 600_000;

/// What the counting threads share besides the mutex.
struct Tally {
    /// Incremented under the mutex with a separate load and store, so that two holders
    /// at once would lose increments.
    counter: AtomicU64,
    /// Threads inside the critical section right now.
    inside: AtomicU32,
    /// Times a thread entered while another was inside.
    overlaps: AtomicU32,
    /// Set by a thread that failed, so the others stop early.
    abort: AtomicBool,
}

/// 4 threads, each with its own owner token, increment a counter 100,000 times each
/// under the mutex; the count is exact and no two threads were ever inside at once.
pub(crate) fn mutex_counter_4_threads_100000() -> Outcome {
    let m = mutex(false)?;
    let tally = Arc::new(
        Tally {
            counter: AtomicU64::new(0),
            inside: AtomicU32::new(0),
            overlaps: AtomicU32::new(0),
            abort: AtomicBool::new(false),
        },
        GFP_KERNEL,
    )?;
    let watch = Stopwatch::start();
    let mut threads = KVec::new();
    for i in 0..THREADS {
        let (m, tally) = (m.clone(), tally.clone());
        let thread = KThread::spawn(None, c_str!("lsst-count"), move || {
            let me = owner(i);
            for _ in 0..INCREMENTS {
                if tally.abort.load(Ordering::Relaxed) {
                    return Seen::Wrong.code();
                }
                let locked = Seen::from(m.lock(me, Timeout::Millis(WAKE_MS)));
                if locked != Seen::Ok {
                    tally.abort.store(true, Ordering::Relaxed);
                    return locked.code();
                }
                if tally.inside.fetch_add(1, Ordering::Relaxed) != 0 {
                    tally.overlaps.fetch_add(1, Ordering::Relaxed);
                }
                let v = tally.counter.load(Ordering::Relaxed);
                tally.counter.store(v.wrapping_add(1), Ordering::Relaxed);
                tally.inside.fetch_sub(1, Ordering::Relaxed);
                let unlocked = Seen::from(m.unlock(me));
                if unlocked != Seen::Ok {
                    tally.abort.store(true, Ordering::Relaxed);
                    return unlocked.code();
                }
            }
            Seen::Ok.code()
        })?;
        threads.push(thread, GFP_KERNEL)?;
    }
    let mut results = [None; THREADS];
    for (result, thread) in results.iter_mut().zip(threads.iter()) {
        *result = Seen::of(thread.join_within(COUNT_MS));
    }
    let ns = watch.elapsed_ns();
    let expected = INCREMENTS.saturating_mul(THREADS as u64);
    let counted = tally.counter.load(Ordering::Relaxed);
    measured(format_args!(
        "{} threads x {} lock/unlock: {} in all",
        THREADS,
        INCREMENTS,
        Ms(ns)
    ));
    check_eq!(results, [Some(Seen::Ok); THREADS], "the threads' results");
    check_eq!(
        tally.overlaps.load(Ordering::Relaxed),
        0,
        "entries while another held it"
    );
    check_eq!(counted, expected, "the counter");
    check!(!m.is_locked(), "locked after every thread unlocked");
    Ok(())
}

/// An infinite relock by the holder is `Deadlock` too, not a hang (in a thread, so that
/// a hang fails the case instead of the module load).
pub(crate) fn mutex_relock_infinite_is_deadlock() -> Outcome {
    let m = mutex(false)?;
    let thread = {
        let m = m.clone();
        KThread::spawn(None, c_str!("lsst-relock"), move || {
            if m.lock(owner(0), Timeout::Millis(WAKE_MS)).is_err() {
                return Seen::Wrong.code();
            }
            let relock = Seen::from(m.lock(owner(0), Timeout::Infinite));
            if m.unlock(owner(0)).is_err() {
                return Seen::Wrong.code();
            }
            relock.code()
        })?
    };
    check_eq!(
        Seen::of(thread.join_within(JOIN_MS)),
        Some(Seen::Deadlock),
        "the relock"
    );
    check!(!m.is_locked(), "locked after the thread's unlock");
    Ok(())
}

/// A timed lock of a held mutex, from another thread, times out no earlier than asked
/// and leaves the holder in place.
pub(crate) fn mutex_timed_lock_times_out() -> Outcome {
    const ASKED_MS: u64 = 50;
    let m = mutex(false)?;
    check_eq!(
        m.lock(owner(0), Timeout::Infinite),
        Ok(()),
        "lock of a free mutex"
    );
    let took = Arc::new(AtomicU64::new(0), GFP_KERNEL)?;
    let thread = {
        let (m, took) = (m.clone(), took.clone());
        KThread::spawn(None, c_str!("lsst-timed"), move || {
            let watch = Stopwatch::start();
            let seen = Seen::from(m.lock(owner(1), Timeout::Millis(ASKED_MS)));
            took.store(watch.elapsed_ns(), Ordering::Relaxed);
            seen.code()
        })?
    };
    let seen = Seen::of(thread.join_within(JOIN_MS));
    let ns = took.load(Ordering::Relaxed);
    measured(format_args!(
        "a {} ms lock of a held mutex took {}",
        ASKED_MS,
        Ms(ns)
    ));
    check_eq!(seen, Some(Seen::Timeout), "the timed lock");
    check!(
        ns >= ASKED_MS.saturating_mul(NS_PER_MS),
        "it timed out early"
    );
    check!(m.owner_is(owner(0)), "the holder lost the mutex");
    check_eq!(m.unlock(owner(0)), Ok(()), "unlock by the holder");
    Ok(())
}

/// Starts a thread that locks `m` for `who` with `timeout`, checks that it holds it,
/// and unlocks it.
fn locker(m: &Arc<crate::sync::Mutex>, who: usize, timeout: Timeout) -> Result<KThread> {
    let m = m.clone();
    KThread::spawn(None, c_str!("lsst-locker"), move || {
        let seen = Seen::from(m.lock(owner(who), timeout));
        if seen != Seen::Ok {
            return seen.code();
        }
        if !m.owner_is(owner(who)) {
            return Seen::Wrong.code();
        }
        Seen::from(m.unlock(owner(who))).code()
    })
}

/// One holder, two waiters: the first in line has a short timeout and gives up, the
/// second still gets the lock when the holder unlocks.
pub(crate) fn mutex_handoff_after_timeout() -> Outcome {
    let m = mutex(false)?;
    check_eq!(
        m.lock(owner(0), Timeout::Infinite),
        Ok(()),
        "lock of a free mutex"
    );
    let short = locker(&m, 1, Timeout::Millis(100))?;
    let short_slept = short.sleeps_within(SLEEP_MS);
    let long = locker(&m, 2, Timeout::Millis(WAKE_MS))?;
    let long_slept = long.sleeps_within(SLEEP_MS);
    let short_seen = Seen::of(short.join_within(JOIN_MS));
    let held = m.owner_is(owner(0));
    let unlocked = m.unlock(owner(0));
    let long_seen = Seen::of(long.join_within(JOIN_MS));
    check!(short_slept && long_slept, "a waiter never slept");
    check_eq!(short_seen, Some(Seen::Timeout), "the short waiter");
    check!(held, "the holder lost the mutex while it held it");
    check_eq!(unlocked, Ok(()), "unlock by the holder");
    check_eq!(long_seen, Some(Seen::Ok), "the long waiter");
    check!(!m.is_locked(), "locked after the long waiter's unlock");
    Ok(())
}

/// A waiter on a recursive mutex gets it only at its holder's last unlock.
pub(crate) fn mutex_recursive_waiter_after_last_unlock() -> Outcome {
    let m = mutex(true)?;
    for depth in 1..=3 {
        check_eq!(
            m.lock(owner(0), Timeout::Infinite),
            Ok(()),
            "lock at depth {}",
            depth
        );
    }
    let waiter = locker(&m, 1, Timeout::Millis(WAKE_MS))?;
    let slept = waiter.sleeps_within(SLEEP_MS);
    let mut early = None;
    for _ in 0..2 {
        let unlocked = m.unlock(owner(0));
        check_eq!(unlocked, Ok(()), "unlock of an inner hold");
        if early.is_none() {
            early = Seen::of(waiter.finished());
        }
        check!(
            m.owner_is(owner(0)),
            "the holder lost the mutex before its last unlock"
        );
    }
    check_eq!(m.unlock(owner(0)), Ok(()), "the last unlock");
    let seen = Seen::of(waiter.join_within(JOIN_MS));
    check!(slept, "the waiter never slept");
    check_eq!(early, None, "the waiter finished before the last unlock");
    check_eq!(seen, Some(Seen::Ok), "the waiter");
    Ok(())
}

/// A lock taken by an owner token in one kernel thread is unlocked with the same token
/// in another; a third owner is refused meanwhile, and a waiter gets the lock after.
pub(crate) fn mutex_owner_crosses_kthreads() -> Outcome {
    let m = mutex(false)?;
    let run = |f: fn(&crate::sync::Mutex) -> Seen| -> Result<Option<Seen>> {
        let m = m.clone();
        let thread = KThread::spawn(None, c_str!("lsst-token"), move || f(&m).code())?;
        Ok(Seen::of(thread.join_within(JOIN_MS)))
    };
    let locked = run(|m| m.lock(owner(0), Timeout::Millis(WAKE_MS)).into())?;
    check_eq!(locked, Some(Seen::Ok), "lock in the first thread");
    check!(
        m.owner_is(owner(0)),
        "the token does not hold the mutex after its thread ended"
    );
    let waiter = locker(&m, 2, Timeout::Millis(WAKE_MS))?;
    let slept = waiter.sleeps_within(SLEEP_MS);
    let stranger = run(|m| m.unlock(owner(1)).into())?;
    check_eq!(stranger, Some(Seen::NotOwner), "unlock by another token");
    let unlocked = run(|m| m.unlock(owner(0)).into())?;
    check_eq!(
        unlocked,
        Some(Seen::Ok),
        "unlock with the same token in a second thread"
    );
    check!(slept, "the waiter never slept");
    check_eq!(
        Seen::of(waiter.join_within(JOIN_MS)),
        Some(Seen::Ok),
        "the waiter"
    );
    check!(!m.is_locked(), "locked at the end");
    Ok(())
}
