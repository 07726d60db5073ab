// SPDX-License-Identifier: GPL-2.0

//! A waiter that gives up (signal or timeout) just as what it waits for is released never
//! swallows that release: the next waiter gets it.
//!
//! Each round: a primitive with nothing to take, a first waiter and a second one queued
//! behind it, then one release racing with the first waiter giving up. Whichever side
//! wins, the release must reach someone: the first waiter gets it (and passes it on), or
//! the second one does, well before its own timeout.

use core::sync::atomic::{AtomicI64, Ordering};
use kernel::{c_str, prelude::*, sync::Arc, time::Ktime};

use super::{completion, mutex, owner, semaphore, JOIN_MS, SLEEP_MS, WAKE_MS};
use crate::ktap::{check, check_eq, measured, Outcome};
use crate::kthread::KThread;
use crate::observe::{allow_signal, NS_PER_MS};
use crate::sync::{Completion, Mutex, Semaphore, Timeout};
use crate::verdict::Seen;

const ROUNDS: u32 = 20;

/// The timeout of the first waiter in the timeout races.
const SHORT_MS: u64 = 50;

/// A primitive seen as one unit that waiters take and give back.
trait Subject: Send + Sync + 'static {
    /// A new primitive whose unit is taken (by token 0, for a mutex).
    fn taken() -> Result<Arc<Self>>;
    /// Takes the unit for token `who`.
    fn take(&self, who: usize, timeout: Timeout) -> Seen;
    /// Gives the unit back as token `who`; whether that was accepted.
    fn give(&self, who: usize) -> bool;
    /// Whether the unit is free, and only one.
    fn one_free(&self) -> bool;
}

impl Subject for Completion {
    fn taken() -> Result<Arc<Self>> {
        completion()
    }
    fn take(&self, _who: usize, timeout: Timeout) -> Seen {
        self.wait(timeout).into()
    }
    fn give(&self, _who: usize) -> bool {
        self.complete();
        true
    }
    fn one_free(&self) -> bool {
        self.try_wait() && !self.done()
    }
}

impl Subject for Mutex {
    fn taken() -> Result<Arc<Self>> {
        let m = mutex(false)?;
        if m.try_lock(owner(0)) {
            Ok(m)
        } else {
            Err(EBUSY)
        }
    }
    fn take(&self, who: usize, timeout: Timeout) -> Seen {
        self.lock(owner(who), timeout).into()
    }
    fn give(&self, who: usize) -> bool {
        self.unlock(owner(who)).is_ok()
    }
    fn one_free(&self) -> bool {
        !self.is_locked()
    }
}

impl Subject for Semaphore {
    fn taken() -> Result<Arc<Self>> {
        semaphore(0)
    }
    fn take(&self, _who: usize, timeout: Timeout) -> Seen {
        self.down(timeout).into()
    }
    fn give(&self, _who: usize) -> bool {
        self.up(1).is_ok()
    }
    fn one_free(&self) -> bool {
        self.count() == 1
    }
}

/// How the first waiter gives up.
#[derive(Clone, Copy)]
enum GiveUp {
    /// A signal sent right before or right after the release.
    Signal,
    /// Its short timeout, which the release is aimed at.
    Timeout,
}

/// Starts a waiter that takes the unit for `who` and, if it got it, gives it back. It
/// writes the time it started waiting to `started`.
fn waiter<S: Subject>(
    s: &Arc<S>,
    who: usize,
    timeout: Timeout,
    signals: bool,
    started: &Arc<AtomicI64>,
) -> Result<KThread> {
    let (s, started) = (s.clone(), started.clone());
    KThread::spawn(None, c_str!("lsst-race"), move || {
        if signals {
            allow_signal();
        }
        started.store(Ktime::ktime_get().to_ns(), Ordering::Relaxed);
        let seen = s.take(who, timeout);
        if seen == Seen::Ok && !s.give(who) {
            return Seen::Wrong.code();
        }
        seen.code()
    })
}

/// One round; returns what the first waiter saw.
fn round<S: Subject>(how: GiveUp, n: u32) -> core::result::Result<Seen, crate::ktap::Failed> {
    let s = S::taken()?;
    let started = Arc::new(AtomicI64::new(0), GFP_KERNEL)?;
    let (first_timeout, signals) = match how {
        GiveUp::Signal => (Timeout::Millis(WAKE_MS), true),
        GiveUp::Timeout => (Timeout::Millis(SHORT_MS), false),
    };
    let first = waiter(&s, 1, first_timeout, signals, &started)?;
    let first_slept = first.sleeps_within(SLEEP_MS);
    let second = waiter(
        &s,
        2,
        Timeout::Millis(WAKE_MS),
        false,
        &Arc::new(AtomicI64::new(0), GFP_KERNEL)?,
    )?;
    let second_slept = second.sleeps_within(SLEEP_MS);
    let released = match how {
        GiveUp::Signal if n % 2 == 0 => {
            let given = s.give(0);
            first.signal();
            given
        }
        GiveUp::Signal => {
            first.signal();
            s.give(0)
        }
        GiveUp::Timeout => {
            // Aim the release at the first waiter's deadline, from 2 ms before to 2 ms
            // after it across the rounds: this only chooses where the race happens, the
            // checks below hold whichever side wins.
            let offset_ns = (i64::from(n % 5) - 2) * 1_000_000;
            let deadline = started
                .load(Ordering::Relaxed)
                .saturating_add(i64::try_from(SHORT_MS.saturating_mul(NS_PER_MS)).unwrap_or(0))
                .saturating_add(offset_ns);
            while Ktime::ktime_get().to_ns() < deadline {
                core::hint::spin_loop();
            }
            s.give(0)
        }
    };
    let first_seen = Seen::of(first.join_within(JOIN_MS));
    let second_seen = Seen::of(second.join_within(JOIN_MS));
    // On a loaded host the first waiter's short timeout can run out before the poll sees it
    // asleep; its timeout then proves it waited (the unit was taken all along).
    let first_waited =
        first_slept || (matches!(how, GiveUp::Timeout) && first_seen == Some(Seen::Timeout));
    check!(
        first_waited && second_slept,
        "round {}: a waiter never slept (first: {}, second: {})",
        n,
        first_slept,
        second_slept
    );
    check!(released, "round {}: the release was refused", n);
    let gave_up = match how {
        GiveUp::Signal => Seen::Interrupted,
        GiveUp::Timeout => Seen::Timeout,
    };
    let first_seen = match first_seen {
        Some(seen) if seen == Seen::Ok || seen == gave_up => seen,
        other => {
            check_eq!(other, Some(gave_up), "round {}: the first waiter", n);
            gave_up
        }
    };
    check_eq!(
        second_seen,
        Some(Seen::Ok),
        "round {}: the second waiter",
        n
    );
    check!(
        s.one_free(),
        "round {}: the unit is not free, or not once, at the end",
        n
    );
    Ok(first_seen)
}

fn not_swallowed<S: Subject>(what: &str, how: GiveUp) -> Outcome {
    let (mut got, mut gave_up) = (0u32, 0u32);
    for n in 0..ROUNDS {
        match round::<S>(how, n)? {
            Seen::Ok => got = got.saturating_add(1),
            _ => gave_up = gave_up.saturating_add(1),
        }
    }
    let why = match how {
        GiveUp::Signal => "a signal",
        GiveUp::Timeout => "its timeout",
    };
    measured(format_args!(
        "{} race with {}: the first waiter got the release {} times, gave up {} times",
        what, why, got, gave_up
    ));
    Ok(())
}

/// A completion's `complete()` reaches the second waiter when the first is signalled.
pub(crate) fn wakeup_completion_not_swallowed_by_signal() -> Outcome {
    not_swallowed::<Completion>("completion", GiveUp::Signal)
}

/// A mutex's handoff reaches the second waiter when the first is signalled.
pub(crate) fn wakeup_mutex_not_swallowed_by_signal() -> Outcome {
    not_swallowed::<Mutex>("mutex", GiveUp::Signal)
}

/// A semaphore's count reaches the second waiter when the first is signalled.
pub(crate) fn wakeup_semaphore_not_swallowed_by_signal() -> Outcome {
    not_swallowed::<Semaphore>("semaphore", GiveUp::Signal)
}

/// A completion's `complete()` reaches the second waiter when the first times out.
pub(crate) fn wakeup_completion_not_swallowed_by_timeout() -> Outcome {
    not_swallowed::<Completion>("completion", GiveUp::Timeout)
}

/// A mutex's handoff reaches the second waiter when the first times out.
pub(crate) fn wakeup_mutex_not_swallowed_by_timeout() -> Outcome {
    not_swallowed::<Mutex>("mutex", GiveUp::Timeout)
}

/// A semaphore's count reaches the second waiter when the first times out.
pub(crate) fn wakeup_semaphore_not_swallowed_by_timeout() -> Outcome {
    not_swallowed::<Semaphore>("semaphore", GiveUp::Timeout)
}
