// SPDX-License-Identifier: GPL-2.0

//! Condition: no signal lost after the mutex's release, one waiter per signal, every
//! waiter per broadcast, and the mutex held again (or not) as the result says.

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use kernel::{c_str, prelude::*, sync::Arc};

use super::{completion, condition, mutex, owner, JOIN_MS, SLEEP_MS, WAKE_MS};
use crate::ktap::{check, check_eq, measured, Outcome};
use crate::kthread::KThread;
use crate::observe::{cpu_online, poll_until, Ms, Stopwatch, NS_PER_MS};
use crate::sync::{CondError, Condition, Mutex, Timeout, WaitError};
use crate::verdict::Seen;

/// Whether a result leaves the mutex held: a signal, a timeout, the condition closed.
fn holds_after(seen: Seen) -> bool {
    matches!(seen, Seen::Ok | Seen::Timeout | Seen::Closed)
}

/// Starts a thread that locks `m` for `who`, completes `locked` if given, waits on `cv`
/// with `timeout`, checks that it holds the mutex exactly when the result says so, gives
/// it back, and returns what the wait returned (`Wrong` if the hold was not as said).
fn waiter(
    cv: &Arc<Condition>,
    m: &Arc<Mutex>,
    who: usize,
    timeout: Timeout,
    locked: Option<Arc<crate::sync::Completion>>,
) -> Result<KThread> {
    let (cv, m) = (cv.clone(), m.clone());
    KThread::spawn(None, c_str!("lsst-cvwait"), move || {
        if m.lock(owner(who), Timeout::Millis(WAKE_MS)).is_err() {
            return Seen::Wrong.code();
        }
        if let Some(locked) = locked {
            locked.complete();
        }
        let seen = Seen::from(cv.wait(&m, owner(who), timeout));
        let held = m.owner_is(owner(who));
        if held && m.unlock(owner(who)).is_err() {
            return Seen::Wrong.code();
        }
        if held != holds_after(seen) {
            return Seen::Wrong.code();
        }
        seen.code()
    })
}

/// 200 rounds: a waiter locks the mutex and waits; the case locks the mutex (which it
/// gets only once the waiter released it inside `wait`) and signals at once. The waiter
/// was linked before the release, so it gets that signal every time.
pub(crate) fn condition_signal_after_release_not_lost() -> Outcome {
    const ROUNDS: u32 = 200;
    for round in 0..ROUNDS {
        let (cv, m, locked) = (condition()?, mutex(false)?, completion()?);
        let w = waiter(&cv, &m, 1, Timeout::Millis(WAKE_MS), Some(locked.clone()))?;
        check_eq!(
            Seen::from(locked.wait(Timeout::Millis(WAKE_MS))),
            Seen::Ok,
            "round {}: the waiter locked",
            round
        );
        check_eq!(
            Seen::from(m.lock(owner(0), Timeout::Millis(WAKE_MS))),
            Seen::Ok,
            "round {}: lock after the waiter's release",
            round
        );
        cv.signal();
        check_eq!(m.unlock(owner(0)), Ok(()), "round {}: unlock", round);
        check_eq!(
            Seen::of(w.join_within(JOIN_MS)),
            Some(Seen::Ok),
            "round {}: the waiter",
            round
        );
    }
    Ok(())
}

/// Three waiters: one signal takes exactly one of them off the condition and wakes it;
/// a broadcast takes the other two.
pub(crate) fn condition_signal_one_broadcast_all() -> Outcome {
    let (cv, m) = (condition()?, mutex(false)?);
    let mut waiters = KVec::new();
    for who in 1..=3 {
        waiters.push(
            waiter(&cv, &m, who, Timeout::Millis(WAKE_MS), None)?,
            GFP_KERNEL,
        )?;
    }
    let queued = poll_until(SLEEP_MS, || cv.waiters() == 3);
    cv.signal();
    let after_signal = cv.waiters();
    let returned = poll_until(JOIN_MS, || {
        waiters.iter().filter(|w| w.finished().is_some()).count() == 1
    });
    let still = cv.waiters();
    cv.broadcast();
    let after_broadcast = cv.waiters();
    let mut seen = [None; 3];
    for (seen, w) in seen.iter_mut().zip(waiters.iter()) {
        *seen = Seen::of(w.join_within(JOIN_MS));
    }
    check!(queued, "three waiters never waited together");
    check_eq!(after_signal, 2, "waiters left after one signal");
    check!(returned, "the signalled waiter never returned");
    check_eq!(still, 2, "waiters left once the signalled one returned");
    check_eq!(after_broadcast, 0, "waiters left after the broadcast");
    check_eq!(seen, [Some(Seen::Ok); 3], "the waiters");
    Ok(())
}

/// A timed wait without a signal times out no earlier than asked, holding the mutex
/// again.
pub(crate) fn condition_timeout_holds_mutex_again() -> Outcome {
    const ASKED_MS: u64 = 50;
    let (cv, m) = (condition()?, mutex(false)?);
    let took = Arc::new(AtomicU64::new(0), GFP_KERNEL)?;
    let w = {
        let (cv, m, took) = (cv.clone(), m.clone(), took.clone());
        KThread::spawn(None, c_str!("lsst-cvtime"), move || {
            if m.lock(owner(1), Timeout::Infinite).is_err() {
                return Seen::Wrong.code();
            }
            let watch = Stopwatch::start();
            let seen = Seen::from(cv.wait(&m, owner(1), Timeout::Millis(ASKED_MS)));
            took.store(watch.elapsed_ns(), Ordering::Relaxed);
            if m.unlock(owner(1)).is_err() {
                return Seen::Wrong.code();
            }
            seen.code()
        })?
    };
    let seen = Seen::of(w.join_within(JOIN_MS));
    let ns = took.load(Ordering::Relaxed);
    measured(format_args!(
        "a {} ms condition wait took {}",
        ASKED_MS,
        Ms(ns)
    ));
    check_eq!(
        seen,
        Some(Seen::Timeout),
        "the timed wait (then unlock by its thread)"
    );
    check!(
        ns >= ASKED_MS.saturating_mul(NS_PER_MS),
        "it timed out early"
    );
    check!(!m.is_locked(), "locked at the end");
    Ok(())
}

/// A recursive hold three deep is released whole during the wait (another owner can take
/// the mutex) and comes back three deep.
pub(crate) fn condition_recursive_depth_restored() -> Outcome {
    let (cv, m) = (condition()?, mutex(true)?);
    let w = {
        let (cv, m) = (cv.clone(), m.clone());
        KThread::spawn(None, c_str!("lsst-cvdeep"), move || {
            for _ in 0..3 {
                if m.lock(owner(1), Timeout::Infinite).is_err() {
                    return Seen::Wrong.code();
                }
            }
            let seen = Seen::from(cv.wait(&m, owner(1), Timeout::Millis(WAKE_MS)));
            for _ in 0..3 {
                if m.unlock(owner(1)).is_err() {
                    return Seen::Wrong.code();
                }
            }
            if m.unlock(owner(1)) != Err(crate::sync::UnlockError::NotLocked) {
                return Seen::Wrong.code();
            }
            seen.code()
        })?
    };
    let queued = poll_until(SLEEP_MS, || cv.waiters() == 1);
    let free = m.try_lock(owner(0));
    let unlocked = m.unlock(owner(0));
    cv.signal();
    let seen = Seen::of(w.join_within(JOIN_MS));
    check!(queued, "the waiter never waited");
    check!(
        free,
        "another owner could not take the mutex during the wait"
    );
    check_eq!(unlocked, Ok(()), "unlock by the other owner");
    check_eq!(
        seen,
        Some(Seen::Ok),
        "the waiter (three unlocks, then a refused fourth)"
    );
    Ok(())
}

/// A thread stopped in an infinite wait returns without taking the mutex back.
pub(crate) fn condition_stop_returns_without_mutex() -> Outcome {
    let (cv, m) = (condition()?, mutex(false)?);
    let w = waiter(&cv, &m, 1, Timeout::Infinite, None)?;
    let slept = w.sleeps_within(SLEEP_MS);
    let seen = Seen::from_code(w.stop());
    check!(slept, "the waiter never slept");
    check_eq!(seen, Seen::LostInterrupted, "what the stopped waiter saw");
    check!(
        !m.is_locked(),
        "the mutex is held after the interrupted wait"
    );
    check_eq!(cv.waiters(), 0, "waiters left");
    Ok(())
}

/// A signalled waiter that finds the mutex taken sleeps for it; stopped there, it returns
/// without the mutex, which stays with its holder.
pub(crate) fn condition_relock_interrupted() -> Outcome {
    let (cv, m, locked) = (condition()?, mutex(false)?, completion()?);
    let w = waiter(&cv, &m, 1, Timeout::Infinite, Some(locked.clone()))?;
    check_eq!(
        Seen::from(locked.wait(Timeout::Millis(WAKE_MS))),
        Seen::Ok,
        "the waiter locked"
    );
    check_eq!(
        Seen::from(m.lock(owner(0), Timeout::Millis(WAKE_MS))),
        Seen::Ok,
        "lock after the waiter's release"
    );
    cv.signal();
    // Woken, it is no longer asleep on the condition: asleep again, it waits for the mutex.
    let slept = w.sleeps_within(SLEEP_MS);
    let seen = Seen::from_code(w.stop());
    let held = m.owner_is(owner(0));
    check_eq!(m.unlock(owner(0)), Ok(()), "unlock by the holder");
    check!(slept, "the signalled waiter never slept for the mutex");
    check_eq!(seen, Seen::LostInterrupted, "what the stopped waiter saw");
    check!(held, "the holder lost the mutex");
    Ok(())
}

/// Closing the mutex wakes a waiter of the condition, which returns without it; closing
/// the condition wakes a waiter, which returns holding its mutex.
pub(crate) fn condition_close_wakes_waiters() -> Outcome {
    let (cv, m) = (condition()?, mutex(false)?);
    let w = waiter(&cv, &m, 1, Timeout::Infinite, None)?;
    let slept = w.sleeps_within(SLEEP_MS);
    m.close();
    let mutex_closed = Seen::of(w.join_within(JOIN_MS));
    check!(slept, "the waiter never slept (mutex case)");
    check_eq!(
        mutex_closed,
        Some(Seen::LostClosed),
        "the waiter when the mutex closed"
    );

    let (cv, m) = (condition()?, mutex(false)?);
    let w = waiter(&cv, &m, 1, Timeout::Infinite, None)?;
    let slept = w.sleeps_within(SLEEP_MS);
    cv.close();
    let closed = Seen::of(w.join_within(JOIN_MS));
    check!(slept, "the waiter never slept (condition case)");
    check_eq!(
        closed,
        Some(Seen::Closed),
        "the waiter when the condition closed"
    );
    check_eq!(
        Seen::from(cv.wait(&m, owner(0), Timeout::Infinite)),
        Seen::NotOwner,
        "a wait without the mutex"
    );
    check_eq!(m.lock(owner(0), Timeout::Infinite), Ok(()), "lock");
    check_eq!(
        cv.wait(&m, owner(0), Timeout::Infinite),
        Err(CondError::Wait(WaitError::Closed)),
        "a wait on a closed condition"
    );
    check!(m.owner_is(owner(0)), "the refused wait gave the mutex away");
    check_eq!(m.unlock(owner(0)), Ok(()), "unlock");
    Ok(())
}

/// Rounds of [`condition_mutex_close_races_the_sleep`].
const CLOSE_RACE_ROUNDS: u32 = 1_500;

/// The close's delay after the release, in spins: from none to past the waiter's sleep.
const CLOSE_RACE_SPINS: u32 = 20_000;

/// A waiter on CPU 1 locks a mutex and waits on a condition without a timeout; CPU 0
/// closes the mutex as soon as it sees the mutex released inside the wait, after a delay
/// that changes from round to round, so that the close lands anywhere on the waiter's way
/// to sleep. The waiter watches the mutex's queue, whose close takes no lock of the
/// condition's queue: if the close came after the waiter looked at the mutex and before
/// its task state said it sleeps, the close's wake-up found it running and was lost, and
/// the waiter slept on, never to return. Every round it must return `LostClosed` at once.
pub(crate) fn condition_mutex_close_races_the_sleep() -> Outcome {
    check!(
        cpu_online(1),
        "CPU 1 is not online: this case needs two CPUs"
    );
    let mut seed: u32 = 0x2545_f491;
    for round in 0..CLOSE_RACE_ROUNDS {
        let (cv, m) = (condition()?, mutex(false)?);
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let delay = seed % CLOSE_RACE_SPINS;
        // Started first, on CPU 0: it sees the waiter say it took the mutex, then the mutex
        // released inside the wait, and closes it `delay` counted spins later (not `spin_loop()`: a
        // pause is far coarser than the window under emulation).
        let locked = Arc::new(AtomicU32::new(0), GFP_KERNEL)?;
        let closer = {
            let (m, locked) = (m.clone(), locked.clone());
            KThread::spawn(Some(0), c_str!("lsst-cvclose"), move || {
                let watch = Stopwatch::start();
                while locked.load(Ordering::SeqCst) == 0 || m.is_locked() {
                    if watch.elapsed_ns() > WAKE_MS * NS_PER_MS {
                        return Seen::Timeout.code();
                    }
                }
                let mut spins = 0u32;
                while core::hint::black_box(spins) < delay {
                    spins = spins.wrapping_add(1);
                }
                m.close();
                Seen::Ok.code()
            })?
        };
        let w = {
            let (cv, m) = (cv.clone(), m.clone());
            KThread::spawn(Some(1), c_str!("lsst-cvrace"), move || {
                if m.lock(owner(1), Timeout::Millis(WAKE_MS)).is_err() {
                    return Seen::Wrong.code();
                }
                locked.store(1, Ordering::SeqCst);
                Seen::from(cv.wait(&m, owner(1), Timeout::Infinite)).code()
            })?
        };
        let closed = Seen::of(closer.join_within(JOIN_MS));
        let seen = Seen::of(w.join_within(JOIN_MS));
        check_eq!(closed, Some(Seen::Ok), "round {}: the closer", round);
        check_eq!(
            seen,
            Some(Seen::LostClosed),
            "round {}: the waiter when the mutex closed",
            round
        );
    }
    Ok(())
}

/// A signal or broadcast nobody waits for is not kept: a later wait times out. A wait
/// without the mutex, or with another owner's, is refused and changes nothing.
pub(crate) fn condition_signal_not_kept_and_refusals() -> Outcome {
    let (cv, m) = (condition()?, mutex(false)?);
    cv.signal();
    cv.broadcast();
    check_eq!(m.lock(owner(0), Timeout::Infinite), Ok(()), "lock");
    let waited = cv.wait(&m, owner(0), Timeout::Millis(20));
    check_eq!(
        waited,
        Err(CondError::Wait(WaitError::Timeout)),
        "a wait after them"
    );
    check!(m.owner_is(owner(0)), "the mutex after the timed-out wait");
    check_eq!(
        cv.wait(&m, owner(1), Timeout::Millis(20)),
        Err(CondError::NotHeld),
        "a wait by another owner"
    );
    check!(m.owner_is(owner(0)), "the refused wait changed the owner");
    check_eq!(m.unlock(owner(0)), Ok(()), "unlock");
    check_eq!(cv.waiters(), 0, "waiters left");
    Ok(())
}

/// Counts of the ping-pong below.
struct Counts {
    turn: AtomicU32,
}

/// Two threads pass a turn 10,000 times through one mutex and one condition, each waiting
/// while it is not its turn: every wake-up arrives (no wait times out).
pub(crate) fn condition_pingpong_10000() -> Outcome {
    const ROUNDS: u32 = 10_000;
    let (cv, m) = (condition()?, mutex(false)?);
    let counts = Arc::new(
        Counts {
            turn: AtomicU32::new(0),
        },
        GFP_KERNEL,
    )?;
    let watch = Stopwatch::start();
    let mut players = KVec::new();
    for me in 0..2u32 {
        let (cv, m, counts) = (cv.clone(), m.clone(), counts.clone());
        let player = KThread::spawn(None, c_str!("lsst-cvpong"), move || {
            let who = owner(me as usize + 1);
            for _ in 0..ROUNDS {
                if m.lock(who, Timeout::Millis(WAKE_MS)).is_err() {
                    return Seen::Wrong.code();
                }
                while counts.turn.load(Ordering::Relaxed) % 2 != me {
                    let seen = Seen::from(cv.wait(&m, who, Timeout::Millis(WAKE_MS)));
                    if seen != Seen::Ok {
                        let _ = m.unlock(who);
                        return seen.code();
                    }
                }
                counts.turn.fetch_add(1, Ordering::Relaxed);
                cv.signal();
                if m.unlock(who).is_err() {
                    return Seen::Wrong.code();
                }
            }
            Seen::Ok.code()
        })?;
        players.push(player, GFP_KERNEL)?;
    }
    let mut seen = [None; 2];
    for (seen, p) in seen.iter_mut().zip(players.iter()) {
        *seen = Seen::of(p.join_within(600_000));
    }
    measured(format_args!(
        "{} condition round trips between 2 threads: {}",
        ROUNDS,
        Ms(watch.elapsed_ns())
    ));
    check_eq!(seen, [Some(Seen::Ok); 2], "the players");
    check_eq!(
        counts.turn.load(Ordering::Relaxed),
        2 * ROUNDS,
        "turns taken"
    );
    Ok(())
}
