// SPDX-License-Identifier: GPL-2.0

//! `kthread_stop()` of a thread asleep in an infinite wait returns promptly, and the
//! thread saw `Interrupted`.
//!
//! `kthread_stop()` itself waits without a bound, so another thread calls it while the
//! case waits for that thread with a bound; if the stop hangs, the case fails and then
//! releases the wait, so that the stuck thread and the stopper both end.

use core::sync::atomic::{AtomicU64, Ordering};
use kernel::{c_str, prelude::*, sync::Arc};

use super::{completion, mutex, owner, semaphore, JOIN_MS, SLEEP_MS};
use crate::ktap::{check, check_eq, measured, Outcome};
use crate::kthread::KThread;
use crate::observe::{Ms, Stopwatch};
use crate::sync::Timeout;
use crate::verdict::Seen;

fn stop_ends_wait(
    what: &str,
    wait: impl FnOnce() -> Seen + Send + 'static,
    release: impl FnOnce(),
) -> Outcome {
    let victim = KThread::spawn(None, c_str!("lsst-victim"), move || wait().code())?;
    let slept = victim.sleeps_within(SLEEP_MS);
    let early = Seen::of(victim.finished());
    let took = Arc::new(AtomicU64::new(u64::MAX), GFP_KERNEL)?;
    let stopper = {
        let took = took.clone();
        KThread::spawn(None, c_str!("lsst-stopper"), move || {
            let watch = Stopwatch::start();
            let code = victim.stop();
            took.store(watch.elapsed_ns(), Ordering::Relaxed);
            code
        })?
    };
    let seen = Seen::of(stopper.join_within(JOIN_MS));
    if seen.is_none() {
        release();
        // The stopper's own stop waits for the victim, which the release lets go.
        drop(stopper);
    }
    measured(format_args!(
        "kthread_stop() of a thread in an infinite {} returned after {}",
        what,
        Ms(took.load(Ordering::Relaxed))
    ));
    check!(slept, "the {} never slept (finished: {:?})", what, early);
    check_eq!(
        seen,
        Some(Seen::Interrupted),
        "what the stopped {} saw",
        what
    );
    Ok(())
}

/// Stopping a thread in an infinite completion wait.
pub(crate) fn kthread_stop_ends_completion_wait() -> Outcome {
    let c = completion()?;
    let waiting = c.clone();
    stop_ends_wait(
        "completion wait",
        move || waiting.wait(Timeout::Infinite).into(),
        || c.complete_all(),
    )?;
    check!(!c.done(), "the completion is done");
    Ok(())
}

/// Stopping a thread in an infinite lock of a held mutex.
pub(crate) fn kthread_stop_ends_mutex_lock() -> Outcome {
    let m = mutex(false)?;
    check_eq!(
        m.lock(owner(0), Timeout::Infinite),
        Ok(()),
        "lock of a free mutex"
    );
    let waiting = m.clone();
    stop_ends_wait(
        "mutex lock",
        move || waiting.lock(owner(1), Timeout::Infinite).into(),
        || {
            let _ = m.unlock(owner(0));
        },
    )?;
    check!(m.owner_is(owner(0)), "the holder lost the mutex");
    check_eq!(m.unlock(owner(0)), Ok(()), "unlock by the holder");
    Ok(())
}

/// Stopping a thread in an infinite down of an empty semaphore.
pub(crate) fn kthread_stop_ends_semaphore_down() -> Outcome {
    let s = semaphore(0)?;
    let waiting = s.clone();
    stop_ends_wait(
        "semaphore down",
        move || waiting.down(Timeout::Infinite).into(),
        || {
            let _ = s.up(1);
        },
    )?;
    check_eq!(s.count(), 0, "count after the stopped down");
    Ok(())
}
