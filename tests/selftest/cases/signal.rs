// SPDX-License-Identifier: GPL-2.0

//! A signal to a thread asleep in a wait ends the wait with `Interrupted`, and takes
//! nothing from the primitive.

use kernel::c_str;

use super::{completion, mutex, owner, semaphore, JOIN_MS, SLEEP_MS, WAKE_MS};
use crate::ktap::{check, check_eq, measured, Outcome};
use crate::kthread::KThread;
use crate::observe::{allow_signal, Ms, Stopwatch};
use crate::sync::Timeout;
use crate::verdict::Seen;

/// Starts a thread that accepts the signal and runs `wait`, signals it once it sleeps,
/// and checks that the wait ended with `Interrupted`. `release` makes the wait succeed,
/// so that a thread the signal did not wake still ends before it is stopped.
fn signal_interrupts(
    what: &str,
    wait: impl FnOnce() -> Seen + Send + 'static,
    release: impl FnOnce(),
) -> Outcome {
    let waiter = KThread::spawn(None, c_str!("lsst-signal"), move || {
        allow_signal();
        wait().code()
    })?;
    let slept = waiter.sleeps_within(SLEEP_MS);
    let watch = Stopwatch::start();
    waiter.signal();
    let seen = Seen::of(waiter.join_within(JOIN_MS));
    let ns = watch.elapsed_ns();
    if seen.is_none() {
        release();
    }
    measured(format_args!(
        "{} returned {} after the signal",
        what,
        Ms(ns)
    ));
    check!(slept, "the {} never slept", what);
    check_eq!(seen, Some(Seen::Interrupted), "the signalled {}", what);
    Ok(())
}

/// A signal ends a completion wait.
pub(crate) fn signal_interrupts_completion_wait() -> Outcome {
    let c = completion()?;
    let waiting = c.clone();
    signal_interrupts(
        "completion wait",
        move || waiting.wait(Timeout::Millis(WAKE_MS)).into(),
        || c.complete_all(),
    )?;
    check!(!c.done(), "the completion is done");
    Ok(())
}

/// A signal ends a mutex lock; the holder keeps the mutex.
pub(crate) fn signal_interrupts_mutex_lock() -> Outcome {
    let m = mutex(false)?;
    check_eq!(
        m.lock(owner(0), Timeout::Infinite),
        Ok(()),
        "lock of a free mutex"
    );
    let waiting = m.clone();
    signal_interrupts(
        "mutex lock",
        move || waiting.lock(owner(1), Timeout::Millis(WAKE_MS)).into(),
        || {
            let _ = m.unlock(owner(0));
        },
    )?;
    check!(m.owner_is(owner(0)), "the holder lost the mutex");
    check_eq!(m.unlock(owner(0)), Ok(()), "unlock by the holder");
    check!(!m.is_locked(), "locked after the holder's unlock");
    Ok(())
}

/// A signal ends a semaphore down; the count stays 0.
pub(crate) fn signal_interrupts_semaphore_down() -> Outcome {
    let s = semaphore(0)?;
    let waiting = s.clone();
    signal_interrupts(
        "semaphore down",
        move || waiting.down(Timeout::Millis(WAKE_MS)).into(),
        || {
            let _ = s.up(1);
        },
    )?;
    check_eq!(s.count(), 0, "count after the interrupted down");
    Ok(())
}
