// SPDX-License-Identifier: GPL-2.0

//! `wait_any`: the first source that gives, and only it; woken by any source; a wake-up
//! of a source not taken goes on to its next waiter; closed sources, timeouts and stops.

use kernel::{c_str, prelude::*, sync::Arc};

use super::{channel, completion, owner, semaphore, JOIN_MS, SLEEP_MS, WAKE_MS};
use crate::ktap::{check, check_eq, Outcome};
use crate::kthread::KThread;
use crate::observe::unpreempted;
use crate::sync::{wait_any, Completion, Semaphore, Source, Timeout, WaitAnyError, WaitError};
use crate::verdict::Seen;

type Sources<'a> = [Source<'a, u32>];

fn index(result: Result<usize, WaitAnyError>) -> i32 {
    match result {
        Ok(i) => i32::try_from(i).unwrap_or(-1),
        Err(WaitAnyError::Closed(i)) => 100 + i32::try_from(i).unwrap_or(0),
        Err(WaitAnyError::Wait(e)) => -i32::from(Seen::from(Err::<(), _>(e)).code() as u8),
        Err(WaitAnyError::NoMemory) => -100,
    }
}

/// With several sources ready, the first in order is taken, and nothing else.
pub(crate) fn wait_any_takes_the_first_ready_only() -> Outcome {
    let (c, s) = (completion()?, semaphore(1)?);
    c.complete();
    let taken = wait_any::<u32>(
        &mut [Source::Semaphore(&s), Source::Completion(&c)],
        Timeout::Millis(0),
    );
    check_eq!(taken, Ok(0), "the first ready source");
    check_eq!(
        (s.count(), c.done()),
        (0, true),
        "(semaphore count, completion done)"
    );
    let m = super::mutex(false)?;
    let taken = wait_any::<u32>(&mut [Source::Mutex(&m, owner(1))], Timeout::Infinite);
    check_eq!(taken, Ok(0), "a free mutex");
    check!(m.owner_is(owner(1)), "the mutex is held by the owner");
    Ok(())
}

/// A thread asleep on a completion and a semaphore is woken by either, and takes only
/// what woke it.
pub(crate) fn wait_any_woken_by_any_source() -> Outcome {
    for second in [false, true] {
        let (c, s) = (completion()?, semaphore(0)?);
        let waiter = {
            let (c, s) = (c.clone(), s.clone());
            KThread::spawn(None, c_str!("lsst-any"), move || {
                index(wait_any::<u32>(
                    &mut [Source::Completion(&c), Source::Semaphore(&s)],
                    Timeout::Millis(WAKE_MS),
                ))
            })?
        };
        let slept = waiter.sleeps_within(SLEEP_MS);
        if second {
            check_eq!(s.up(1), Ok(()), "up(1)");
        } else {
            c.complete();
        }
        let got = waiter.join_within(JOIN_MS);
        check!(slept, "the waiter never slept");
        check_eq!(got, Some(i32::from(second)), "the source that woke it");
        check_eq!(
            (c.done(), s.count()),
            (false, 0),
            "(completion done, count) left"
        );
    }
    Ok(())
}

/// A waiter of `wait_any` woken by a source it does not take passes that wake-up on: a
/// plain waiter of the same source still gets it.
///
/// Everything runs on CPU 0: the any-waiter (on `b`, then `a`) and a plain waiter of `a`
/// sleep; then, without being preempted, a third thread completes `a` (waking the
/// any-waiter, queued first) and then `b`. The any-waiter finds both ready and takes `b`,
/// the first in its order, so the plain waiter of `a` depends on the wake-up passed on.
pub(crate) fn wait_any_passes_a_wakeup_on() -> Outcome {
    let (a, b) = (completion()?, completion()?);
    let any = {
        let (a, b) = (a.clone(), b.clone());
        KThread::spawn(Some(0), c_str!("lsst-any"), move || {
            index(wait_any::<u32>(
                &mut [Source::Completion(&b), Source::Completion(&a)],
                Timeout::Millis(WAKE_MS),
            ))
        })?
    };
    let any_slept = any.sleeps_within(SLEEP_MS);
    let plain = {
        let a = a.clone();
        KThread::spawn(Some(0), c_str!("lsst-plain"), move || {
            Seen::from(a.wait(Timeout::Millis(WAKE_MS))).code()
        })?
    };
    let plain_slept = plain.sleeps_within(SLEEP_MS);
    let waker = {
        let (a, b) = (a.clone(), b.clone());
        KThread::spawn(Some(0), c_str!("lsst-waker"), move || {
            unpreempted(|| {
                a.complete();
                b.complete();
            });
            0
        })?
    };
    let woke = waker.join_within(JOIN_MS);
    let (got_any, got_plain) = (
        any.join_within(JOIN_MS),
        Seen::of(plain.join_within(JOIN_MS)),
    );
    check_eq!(
        (any_slept, plain_slept),
        (true, true),
        "(any-waiter, plain waiter) asleep"
    );
    check_eq!(woke, Some(0), "the waker");
    check_eq!(
        got_any,
        Some(0),
        "the any-waiter took b, the first of its sources"
    );
    check_eq!(
        got_plain,
        Some(Seen::Ok),
        "the plain waiter of a got the wake-up passed on"
    );
    check_eq!(
        (a.done(), b.done()),
        (false, false),
        "both completions were taken once"
    );
    Ok(())
}

/// A closed source ends the wait with its index; a poll and a timeout end it without.
pub(crate) fn wait_any_closed_and_timeout() -> Outcome {
    let (c, ch) = (completion()?, channel(1)?);
    let sources: &mut Sources<'_> = &mut [Source::Completion(&c), Source::Receive(&ch, &mut None)];
    check_eq!(
        wait_any(sources, Timeout::Millis(0)),
        Err(WaitAnyError::Wait(WaitError::Timeout)),
        "a poll of nothing ready"
    );
    check_eq!(
        wait_any(sources, Timeout::Millis(20)),
        Err(WaitAnyError::Wait(WaitError::Timeout)),
        "a 20 ms wait of nothing ready"
    );
    let waiter = {
        let (c, ch) = (c.clone(), ch.clone());
        KThread::spawn(None, c_str!("lsst-any"), move || {
            let mut slot = None;
            index(wait_any(
                &mut [Source::Completion(&c), Source::Receive(&ch, &mut slot)],
                Timeout::Infinite,
            ))
        })?
    };
    let slept = waiter.sleeps_within(SLEEP_MS);
    ch.close();
    check!(slept, "the waiter never slept");
    check_eq!(waiter.join_within(JOIN_MS), Some(101), "closed: source 1");
    Ok(())
}

/// `kthread_stop()` of a thread in an infinite `wait_any`: `Interrupted`, nothing taken.
pub(crate) fn wait_any_stop_interrupts() -> Outcome {
    let (c, s): (Arc<Completion>, Arc<Semaphore>) = (completion()?, semaphore(0)?);
    let waiter = {
        let (c, s) = (c.clone(), s.clone());
        KThread::spawn(None, c_str!("lsst-any"), move || {
            index(wait_any::<u32>(
                &mut [Source::Completion(&c), Source::Semaphore(&s)],
                Timeout::Infinite,
            ))
        })?
    };
    let slept = waiter.sleeps_within(SLEEP_MS);
    let got = waiter.stop();
    check!(slept, "the waiter never slept");
    check_eq!(
        got,
        index(Err(WaitAnyError::Wait(WaitError::Interrupted))),
        "the stopped wait"
    );
    c.complete();
    check!(c.try_wait(), "the completion is there for the next waiter");
    Ok(())
}
