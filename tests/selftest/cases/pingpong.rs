// SPDX-License-Identifier: GPL-2.0

//! Ping-pong: two threads hand a turn back and forth 100,000 times; a lost wake-up would
//! stop the game (a bounded wait ends with `Timeout`) instead of hanging it.

use core::sync::atomic::{AtomicU64, Ordering};
use kernel::{c_str, prelude::*, sync::Arc};

use super::{completion, semaphore, WAKE_MS};
use crate::ktap::{check, check_eq, measured, Outcome};
use crate::kthread::KThread;
use crate::observe::{cpu_online, Ms, Stopwatch, NS_PER_MS};
use crate::sync::{Completion, Semaphore, Timeout};
use crate::verdict::Seen;

const ROUND_TRIPS: u32 = 100_000;

/// How long the game may take in all: a hang guard, not a measure.
const GAME_MS: u32 = 600_000;

/// One direction of the game.
trait Turn: Send + Sync + 'static {
    /// A new direction with no turn pending.
    fn new_turn() -> Result<Arc<Self>>;
    /// Hands the turn over; whether that was accepted.
    fn pass(&self) -> bool;
    /// Waits for the turn, at most [`WAKE_MS`].
    fn wait_turn(&self) -> Seen;
    /// Takes the turn if it is there, without sleeping.
    fn try_turn(&self) -> bool;
    /// Whether a turn is pending.
    fn pending(&self) -> bool;
}

impl Turn for Completion {
    fn new_turn() -> Result<Arc<Self>> {
        completion()
    }
    fn pass(&self) -> bool {
        self.complete();
        true
    }
    fn wait_turn(&self) -> Seen {
        self.wait(Timeout::Millis(WAKE_MS)).into()
    }
    fn try_turn(&self) -> bool {
        self.try_wait()
    }
    fn pending(&self) -> bool {
        self.done()
    }
}

impl Turn for Semaphore {
    fn new_turn() -> Result<Arc<Self>> {
        semaphore(0)
    }
    fn pass(&self) -> bool {
        self.up(1).is_ok()
    }
    fn wait_turn(&self) -> Seen {
        self.down(Timeout::Millis(WAKE_MS)).into()
    }
    fn try_turn(&self) -> bool {
        self.try_down()
    }
    fn pending(&self) -> bool {
        self.count() != 0
    }
}

/// Plays `round_trips` rounds as the starter without ever sleeping: hands the turn over on
/// `theirs`, then spins on `mine` until the turn comes back, for [`SPIN_MS`] at most each.
fn play_spinning<T: Turn>(round_trips: u32, mine: &T, theirs: &T) -> Seen {
    for _ in 0..round_trips {
        if !theirs.pass() {
            return Seen::Wrong;
        }
        let watch = Stopwatch::start();
        while !mine.try_turn() {
            if watch.elapsed_ns() > SPIN_MS * NS_PER_MS {
                return Seen::Timeout;
            }
            core::hint::spin_loop();
        }
    }
    Seen::Ok
}

/// How long the spinning starter waits for one turn at most.
const SPIN_MS: u64 = WAKE_MS;

/// Plays `round_trips` rounds: waits for its turn on `mine` and hands it over on
/// `theirs`, handing over first when it is the `first` player.
fn play<T: Turn>(first: bool, round_trips: u32, mine: &T, theirs: &T) -> Seen {
    for _ in 0..round_trips {
        if first && !theirs.pass() {
            return Seen::Wrong;
        }
        let seen = mine.wait_turn();
        if seen != Seen::Ok {
            return seen;
        }
        if !first && !theirs.pass() {
            return Seen::Wrong;
        }
    }
    Seen::Ok
}

/// Plays the game between a starter on `cpus.0` and a responder on `cpus.1`; the starter
/// spins for its turns instead of sleeping when `spinning`.
fn pingpong<T: Turn>(what: &str, cpus: (u32, u32), round_trips: u32, spinning: bool) -> Outcome {
    let (ping, pong) = (T::new_turn()?, T::new_turn()?);
    let took = Arc::new(AtomicU64::new(0), GFP_KERNEL)?;
    let responder = {
        let (ping, pong) = (ping.clone(), pong.clone());
        KThread::spawn(Some(cpus.1), c_str!("lsst-pong"), move || {
            play(false, round_trips, &*ping, &*pong).code()
        })?
    };
    let starter = {
        let (ping, pong, took) = (ping.clone(), pong.clone(), took.clone());
        KThread::spawn(Some(cpus.0), c_str!("lsst-ping"), move || {
            let watch = Stopwatch::start();
            let seen = if spinning {
                play_spinning(round_trips, &*pong, &*ping)
            } else {
                play(true, round_trips, &*pong, &*ping)
            };
            took.store(watch.elapsed_ns(), Ordering::Relaxed);
            seen.code()
        })?
    };
    let started = Seen::of(starter.join_within(GAME_MS));
    let responded = Seen::of(responder.join_within(GAME_MS));
    let ns = took.load(Ordering::Relaxed);
    measured(format_args!(
        "{} ping-pong on CPUs {} and {}{}: {} round trips in {}, {} ns per round trip",
        what,
        cpus.0,
        cpus.1,
        if spinning {
            ", the starter spinning"
        } else {
            ""
        },
        round_trips,
        Ms(ns),
        ns / u64::from(round_trips.max(1))
    ));
    check_eq!(started, Some(Seen::Ok), "the starting thread");
    check_eq!(responded, Some(Seen::Ok), "the responding thread");
    check!(!ping.pending() && !pong.pending(), "a turn is left over");
    Ok(())
}

/// 100,000 round trips over two completions, both threads on CPU 0 (the boot CPU, always
/// online): every hand-over is a sleep and a wake-up on one CPU, and the game's length
/// does not depend on how fast the other CPU of a loaded, emulated machine wakes up.
pub(crate) fn pingpong_completion_100000() -> Outcome {
    pingpong::<Completion>("completion", (0, 0), ROUND_TRIPS, false)
}

/// 100,000 round trips over two semaphores, on CPU 0.
pub(crate) fn pingpong_semaphore_100000() -> Outcome {
    pingpong::<Semaphore>("semaphore", (0, 0), ROUND_TRIPS, false)
}

/// Round trips of the games across CPUs: each costs a cross-CPU wake-up, about a
/// millisecond on the emulated machine at worst.
const ROUND_TRIPS_ACROSS: u32 = 5_000;

/// Across CPUs 0 and 1, where a waker and a waiter really run at once: `complete()` and
/// `up()` change their atomic without the queue's lock and wake only a waiter they see
/// counted in, so a wake-up lost in that protocol stops the game. First both players
/// sleep for their turns; then the starter spins for them, so that it hands the next turn
/// over while the responder is still on its way to sleep, the moment that protocol is
/// about. The suite's machine has two CPUs: with one, the case fails rather than pass
/// without playing.
fn pingpong_across<T: Turn>(what: &str) -> Outcome {
    check!(
        cpu_online(1),
        "CPU 1 is not online: this case needs two CPUs"
    );
    pingpong::<T>(what, (0, 1), ROUND_TRIPS_ACROSS, false)?;
    pingpong::<T>(what, (0, 1), ROUND_TRIPS_SPINNING, true)
}

/// Round trips of the games across CPUs with the starter spinning: no cross-CPU wake-up of
/// the starter, so they are quicker.
const ROUND_TRIPS_SPINNING: u32 = 20_000;

/// 5,000 round trips over two completions, across CPUs.
pub(crate) fn pingpong_completion_across_cpus() -> Outcome {
    pingpong_across::<Completion>("completion")
}

/// 5,000 round trips over two semaphores, across CPUs.
pub(crate) fn pingpong_semaphore_across_cpus() -> Outcome {
    pingpong_across::<Semaphore>("semaphore")
}
