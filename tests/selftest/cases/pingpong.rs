// SPDX-License-Identifier: GPL-2.0

//! Ping-pong: two threads hand a turn back and forth 100,000 times; a lost wake-up would
//! stop the game (a bounded wait ends with `Timeout`) instead of hanging it.

use core::sync::atomic::{AtomicU64, Ordering};
use kernel::{c_str, prelude::*, sync::Arc};

use super::{completion, semaphore, WAKE_MS};
use crate::ktap::{check, check_eq, measured, Outcome};
use crate::kthread::KThread;
use crate::observe::{Ms, Stopwatch};
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
    fn pending(&self) -> bool {
        self.count() != 0
    }
}

/// Plays [`ROUND_TRIPS`] rounds: waits for its turn on `mine` and hands it over on
/// `theirs`, handing over first when it is the `first` player.
fn play<T: Turn>(first: bool, mine: &T, theirs: &T) -> Seen {
    for _ in 0..ROUND_TRIPS {
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

fn pingpong<T: Turn>(what: &str) -> Outcome {
    let (ping, pong) = (T::new_turn()?, T::new_turn()?);
    let took = Arc::new(AtomicU64::new(0), GFP_KERNEL)?;
    // Both threads on CPU 0 (the boot CPU, always online), so that every hand-over is a
    // sleep and a wake-up on one CPU and the game's length does not depend on how fast
    // the other CPU of a loaded, emulated machine wakes up. Hand-overs between CPUs are
    // exercised by the contention and race cases.
    let cpu = Some(0);
    let responder = {
        let (ping, pong) = (ping.clone(), pong.clone());
        KThread::spawn(cpu, c_str!("lsst-pong"), move || {
            play(false, &*ping, &*pong).code()
        })?
    };
    let starter = {
        let (ping, pong, took) = (ping.clone(), pong.clone(), took.clone());
        KThread::spawn(cpu, c_str!("lsst-ping"), move || {
            let watch = Stopwatch::start();
            let seen = play(true, &*pong, &*ping);
            took.store(watch.elapsed_ns(), Ordering::Relaxed);
            seen.code()
        })?
    };
    let started = Seen::of(starter.join_within(GAME_MS));
    let responded = Seen::of(responder.join_within(GAME_MS));
    let ns = took.load(Ordering::Relaxed);
    measured(format_args!(
        "{} ping-pong on one CPU: {} round trips in {}, {} ns per round trip",
        what,
        ROUND_TRIPS,
        Ms(ns),
        ns / u64::from(ROUND_TRIPS)
    ));
    check_eq!(started, Some(Seen::Ok), "the starting thread");
    check_eq!(responded, Some(Seen::Ok), "the responding thread");
    check!(!ping.pending() && !pong.pending(), "a turn is left over");
    Ok(())
}

/// 100,000 round trips over two completions.
pub(crate) fn pingpong_completion_100000() -> Outcome {
    pingpong::<Completion>("completion")
}

/// 100,000 round trips over two semaphores.
pub(crate) fn pingpong_semaphore_100000() -> Outcome {
    pingpong::<Semaphore>("semaphore")
}
