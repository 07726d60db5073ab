// SPDX-License-Identifier: GPL-2.0

//! Semaphore: counting, bounds, wake-ups, and waiters that give up without a count.

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use kernel::{c_str, prelude::*, sync::Arc};

use super::{semaphore, JOIN_MS, SLEEP_MS, WAKE_MS};
use crate::ktap::{check, check_eq, measured, Outcome};
use crate::kthread::KThread;
use crate::observe::{allow_signal, poll_until, sleeps, Ms, Stopwatch};
use crate::sync::{Semaphore, Timeout, UpError};
use crate::verdict::Seen;

/// `try_down` takes a count when there is one and fails without sleeping otherwise.
pub(crate) fn semaphore_try_down() -> Outcome {
    let s = semaphore(1)?;
    let before = sleeps();
    let took = (s.try_down(), s.try_down());
    check_eq!(sleeps().wrapping_sub(before), 0, "sleeps in try_down()");
    check_eq!(took, (true, false), "two try_down() at count 1");
    check_eq!(s.count(), 0, "count after them");
    Ok(())
}

/// `up(0)` is `Zero`, an up past `MAX_COUNT` is `Overflow`, both leave the count alone;
/// an initial count above `MAX_COUNT` is clamped.
pub(crate) fn semaphore_up_errors() -> Outcome {
    let max = Semaphore::MAX_COUNT;
    check_eq!(max, i32::MAX.unsigned_abs(), "MAX_COUNT");
    let s = semaphore(5)?;
    check_eq!(s.up(0), Err(UpError::Zero), "up(0)");
    check_eq!(s.up(max), Err(UpError::Overflow), "up(MAX_COUNT) at 5");
    check_eq!(s.up(u32::MAX), Err(UpError::Overflow), "up(u32::MAX) at 5");
    check_eq!(s.count(), 5, "count after the refused ups");
    let s = semaphore(max.saturating_sub(1))?;
    check_eq!(s.up(1), Ok(()), "up(1) to MAX_COUNT");
    check_eq!(s.count(), max, "count at the maximum");
    check_eq!(s.up(1), Err(UpError::Overflow), "up(1) at MAX_COUNT");
    check_eq!(s.count(), max, "count after the refused up");
    check_eq!(
        semaphore(u32::MAX)?.count(),
        max,
        "a semaphore made with u32::MAX"
    );
    check_eq!(
        semaphore(max.saturating_add(1))?.count(),
        max,
        "a semaphore made with MAX_COUNT + 1"
    );
    Ok(())
}

const BOUND: u32 = 2;
const WORKERS: usize = 4;
const ROUNDS: u32 = 20_000;

/// What the workers of the contention case share besides the semaphore.
struct Holders {
    /// Workers holding a count right now.
    now: AtomicU32,
    /// The most seen at once.
    max: AtomicU32,
    /// Times a worker saw `count()` above the initial count.
    above: AtomicU32,
    /// Set by a worker that failed, so the others stop early.
    abort: AtomicBool,
}

/// 4 workers take and give back counts of a semaphore of 2, 20,000 times each: never
/// more than 2 hold one at once, the count never exceeds 2, and it ends at 2.
pub(crate) fn semaphore_bound_under_contention() -> Outcome {
    let s = semaphore(BOUND)?;
    let holders = Arc::new(
        Holders {
            now: AtomicU32::new(0),
            max: AtomicU32::new(0),
            above: AtomicU32::new(0),
            abort: AtomicBool::new(false),
        },
        GFP_KERNEL,
    )?;
    let watch = Stopwatch::start();
    let mut workers = KVec::new();
    for _ in 0..WORKERS {
        let (s, h) = (s.clone(), holders.clone());
        let worker = KThread::spawn(None, c_str!("lsst-sem"), move || {
            for _ in 0..ROUNDS {
                if h.abort.load(Ordering::Relaxed) {
                    return Seen::Wrong.code();
                }
                let downed = Seen::from(s.down(Timeout::Millis(WAKE_MS)));
                if downed != Seen::Ok {
                    h.abort.store(true, Ordering::Relaxed);
                    return downed.code();
                }
                let now = h.now.fetch_add(1, Ordering::Relaxed).saturating_add(1);
                h.max.fetch_max(now, Ordering::Relaxed);
                if s.count() > BOUND {
                    h.above.fetch_add(1, Ordering::Relaxed);
                }
                h.now.fetch_sub(1, Ordering::Relaxed);
                if s.up(1).is_err() {
                    h.abort.store(true, Ordering::Relaxed);
                    return Seen::Wrong.code();
                }
            }
            Seen::Ok.code()
        })?;
        workers.push(worker, GFP_KERNEL)?;
    }
    let mut results = [None; WORKERS];
    for (result, worker) in results.iter_mut().zip(workers.iter()) {
        *result = Seen::of(worker.join_within(600_000));
    }
    let max = holders.max.load(Ordering::Relaxed);
    measured(format_args!(
        "{} workers x {} down/up of a semaphore of {}: {}, at most {} holders at once",
        WORKERS,
        ROUNDS,
        BOUND,
        Ms(watch.elapsed_ns()),
        max
    ));
    check_eq!(results, [Some(Seen::Ok); WORKERS], "the workers' results");
    check!(max <= BOUND, "{} holders at once, bound {}", max, BOUND);
    check_eq!(
        holders.above.load(Ordering::Relaxed),
        0,
        "counts seen above the bound"
    );
    check_eq!(s.count(), BOUND, "the final count");
    Ok(())
}

/// A waiter interrupted by a signal takes no count: the next `up(1)` is still there.
pub(crate) fn semaphore_interrupted_waiter_keeps_count() -> Outcome {
    let s = semaphore(0)?;
    let waiter = {
        let s = s.clone();
        KThread::spawn(None, c_str!("lsst-sigdown"), move || {
            allow_signal();
            Seen::from(s.down(Timeout::Millis(WAKE_MS))).code()
        })?
    };
    let slept = waiter.sleeps_within(SLEEP_MS);
    waiter.signal();
    let seen = Seen::of(waiter.join_within(JOIN_MS));
    let left = s.count();
    check!(slept, "the waiter never slept");
    check_eq!(seen, Some(Seen::Interrupted), "the signalled down");
    check_eq!(left, 0, "count after the interrupted down");
    check_eq!(s.up(1), Ok(()), "up(1)");
    check_eq!(s.count(), 1, "count after up(1)");
    check!(s.try_down(), "the count is not there for the next taker");
    Ok(())
}

/// Starts `n` threads that each take one count of `s`, waiting at most [`WAKE_MS`].
fn downers(s: &Arc<Semaphore>, n: usize) -> Result<KVec<KThread>> {
    let mut threads = KVec::new();
    for _ in 0..n {
        let s = s.clone();
        let thread = KThread::spawn(None, c_str!("lsst-down"), move || {
            Seen::from(s.down(Timeout::Millis(WAKE_MS))).code()
        })?;
        threads.push(thread, GFP_KERNEL)?;
    }
    Ok(threads)
}

/// `up(3)` with 5 waiters lets exactly 3 through; the other 2 wait on and end with
/// `Interrupted` when stopped.
pub(crate) fn semaphore_up3_wakes_3_of_5() -> Outcome {
    let s = semaphore(0)?;
    let threads = downers(&s, 5)?;
    let asleep = threads.iter().filter(|t| t.sleeps_within(SLEEP_MS)).count();
    check_eq!(s.up(3), Ok(()), "up(3)");
    let three = poll_until(JOIN_MS, || {
        threads.iter().filter(|t| t.finished().is_some()).count() >= 3
    });
    let left = s.count();
    let (mut ok, mut interrupted) = (0usize, 0usize);
    for thread in threads {
        match Seen::from_code(thread.stop()) {
            Seen::Ok => ok = ok.saturating_add(1),
            Seen::Interrupted => interrupted = interrupted.saturating_add(1),
            _ => {}
        }
    }
    check_eq!(asleep, 5, "waiters seen asleep before up(3)");
    check!(three, "fewer than 3 waiters returned after up(3)");
    check_eq!(left, 0, "count once 3 waiters returned");
    check_eq!(
        (ok, interrupted),
        (3, 2),
        "(got a count, stopped while waiting)"
    );
    check_eq!(s.count(), 0, "the final count");
    Ok(())
}

/// `up(3)` with a single waiter lets it through and keeps the other 2 counts.
pub(crate) fn semaphore_up_beyond_waiters_keeps_count() -> Outcome {
    let s = semaphore(0)?;
    let waiter = {
        let s = s.clone();
        KThread::spawn(None, c_str!("lsst-down"), move || {
            Seen::from(s.down(Timeout::Millis(WAKE_MS))).code()
        })?
    };
    let slept = waiter.sleeps_within(SLEEP_MS);
    check_eq!(s.up(3), Ok(()), "up(3)");
    let seen = Seen::of(waiter.join_within(JOIN_MS));
    check!(slept, "the waiter never slept");
    check_eq!(seen, Some(Seen::Ok), "the waiter");
    check_eq!(s.count(), 2, "the counts left");
    Ok(())
}
