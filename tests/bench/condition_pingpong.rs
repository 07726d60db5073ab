// SPDX-License-Identifier: GPL-2.0

//! A ping-pong over `rust/sync/`'s condition: two threads pass a turn back and forth under
//! one mutex, each waiting on the condition until the turn is its own, as a condition
//! variable is used. The table sets it beside the completion ping-pong, the kernel's way
//! of handing over between two threads.

use core::{
    num::NonZeroUsize,
    sync::atomic::{AtomicU32, AtomicU64, Ordering},
};
use kernel::{c_str, prelude::*, sync::Arc, time::Ktime};

use crate::kthread::KThread;
use crate::sync::{Condition, Mutex, Owner, Timeout};

/// How long a measurement may take: a hang guard, not a measure.
const GAME_MS: u32 = 600_000;

/// Whose turn it is.
const PING: u32 = 0;
const PONG: u32 = 1;

/// What the two threads share.
#[pin_data]
struct Table {
    #[pin]
    mutex: Mutex,
    #[pin]
    turns: Condition,
    /// Changed only with the mutex held.
    turn: AtomicU32,
}

impl Table {
    fn new() -> impl PinInit<Self, Error> {
        kernel::try_pin_init!(Self {
            mutex <- Mutex::new(false),
            turns <- Condition::new(),
            turn: AtomicU32::new(PING),
        })
    }

    /// `rounds` turns of player `me` (holding the mutex): wait for its turn, hand the turn
    /// to the other. The ping side starts by handing it over. `false` if a wait failed.
    fn play(&self, me: Owner, mine: u32, rounds: u32) -> bool {
        let other = mine ^ 1;
        for _ in 0..rounds {
            if mine == PING {
                self.pass(other);
            }
            while self.turn.load(Ordering::Relaxed) != mine {
                if self.turns.wait(&self.mutex, me, Timeout::Infinite).is_err() {
                    return false;
                }
            }
            if mine == PONG {
                self.pass(other);
            }
        }
        true
    }

    /// Gives the turn to `to` and wakes the other player.
    fn pass(&self, to: u32) {
        self.turn.store(to, Ordering::Relaxed);
        self.turns.signal();
    }

    /// Locks the mutex for `me`, runs `f`, unlocks; `false` if anything failed.
    fn holding(&self, me: Owner, f: impl FnOnce() -> bool) -> bool {
        if self.mutex.lock(me, Timeout::Infinite).is_err() {
            return false;
        }
        let played = f();
        // A failed wait may have left the mutex with nobody: then unlock fails, harmlessly.
        let unlocked = self.mutex.unlock(me).is_ok();
        played && unlocked
    }
}

/// `n` round trips between two kernel threads over one condition and its mutex, after one
/// untimed round trip that makes sure both run; both threads on CPU `cpu` if given
/// (online: the caller checked).
pub(crate) fn pingpong(n: u32, cpu: Option<u32>) -> Option<u64> {
    let rounds = n.checked_add(1)?;
    let table = Arc::pin_init(Table::new(), GFP_KERNEL).ok()?;
    let took = Arc::new(AtomicU64::new(0), GFP_KERNEL).ok()?;
    let ping_owner = Owner::new(NonZeroUsize::MIN);
    let pong_owner = Owner::new(NonZeroUsize::MIN.checked_add(1)?);
    let responder = {
        let table = table.clone();
        KThread::spawn(cpu, c_str!("lsbench-cpong"), move || {
            let done = table.holding(pong_owner, || table.play(pong_owner, PONG, rounds));
            i32::from(!done)
        })
        .ok()?
    };
    let starter = {
        let took = took.clone();
        KThread::spawn(cpu, c_str!("lsbench-cping"), move || {
            let done = table.holding(ping_owner, || {
                if !table.play(ping_owner, PING, 1) {
                    return false;
                }
                let start = Ktime::ktime_get().to_ns();
                let played = table.play(ping_owner, PING, n);
                let ns = Ktime::ktime_get().to_ns().saturating_sub(start);
                took.store(u64::try_from(ns).unwrap_or(0), Ordering::Relaxed);
                played
            });
            i32::from(!done)
        })
        .ok()?
    };
    let ended = starter.join_within(GAME_MS).is_some() && responder.join_within(GAME_MS).is_some();
    // A thread that did not end is stopped here: its wait returns interrupted.
    let codes = (starter.stop(), responder.stop());
    (ended && codes == (0, 0)).then(|| took.load(Ordering::Relaxed))
}
