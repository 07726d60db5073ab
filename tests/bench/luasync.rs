// SPDX-License-Identifier: GPL-2.0

//! `rust/sync/`'s primitives, timed the way `kernel_baseline.c` times the kernel's.

use core::{
    num::NonZeroUsize,
    sync::atomic::{AtomicU64, Ordering},
};
use kernel::{c_str, prelude::*, sync::Arc, time::Ktime};

use crate::kthread::KThread;
use crate::sync::{alloc::Gfp, Completion, Mutex, Owner, Rwsem, Semaphore, Timeout};

/// How long a ping-pong measurement may take: a hang guard, not a measure.
const GAME_MS: u32 = 600_000;

/// The primitives the uncontended loops use, made once.
pub(crate) struct Subjects {
    mutex: Arc<Mutex>,
    completion: Arc<Completion>,
    semaphore: Arc<Semaphore>,
    rwsem: Arc<Rwsem>,
}

impl Subjects {
    /// A free mutex, a completion not done, a semaphore of 1, a free rwsem.
    pub(crate) fn new() -> Result<Self> {
        Ok(Self {
            mutex: Arc::pin_init(Mutex::new(false), GFP_KERNEL)?,
            completion: Arc::pin_init(Completion::new(), GFP_KERNEL)?,
            semaphore: Arc::pin_init(Semaphore::new(1), GFP_KERNEL)?,
            rwsem: Arc::pin_init(Rwsem::new(), GFP_KERNEL)?,
        })
    }
}

/// The owner token of the bench.
fn me() -> Owner {
    Owner::new(NonZeroUsize::MIN)
}

/// Times `n` runs of `op`: the nanoseconds, or `None` if any run failed.
fn timed(n: u32, mut op: impl FnMut() -> bool) -> Option<u64> {
    let start = Ktime::ktime_get().to_ns();
    let mut failed = false;
    for _ in 0..n {
        if !op() {
            failed = true;
        }
    }
    let ns = Ktime::ktime_get().to_ns().saturating_sub(start);
    if failed {
        None
    } else {
        u64::try_from(ns).ok()
    }
}

/// `n` uncontended `lock()` + `unlock()`.
pub(crate) fn lock_unlock(s: &Subjects, n: u32) -> Option<u64> {
    let m = &*s.mutex;
    timed(n, || {
        m.lock(me(), Timeout::Infinite).is_ok() && m.unlock(me()).is_ok()
    })
}

/// `n` uncontended `try_lock()` + `unlock()`.
pub(crate) fn try_lock_unlock(s: &Subjects, n: u32) -> Option<u64> {
    let m = &*s.mutex;
    timed(n, || m.try_lock(me()) && m.unlock(me()).is_ok())
}

/// `n` `complete()` + `try_wait()`.
pub(crate) fn complete_try_wait(s: &Subjects, n: u32) -> Option<u64> {
    let c = &*s.completion;
    timed(n, || {
        c.complete();
        c.try_wait()
    })
}

/// `n` uncontended `down()` + `up(1)`.
pub(crate) fn down_up(s: &Subjects, n: u32) -> Option<u64> {
    let sem = &*s.semaphore;
    timed(n, || {
        sem.down(Timeout::Infinite).is_ok() && sem.up(1).is_ok()
    })
}

/// `n` uncontended `read()` + `read_unlock()`.
pub(crate) fn read_unlock(s: &Subjects, n: u32) -> Option<u64> {
    let r = &*s.rwsem;
    timed(n, || {
        r.read(me(), Timeout::Infinite, Gfp::Kernel).is_ok() && r.read_unlock(me()).is_ok()
    })
}

/// `n` uncontended `write()` + `write_unlock()`.
pub(crate) fn write_unlock(s: &Subjects, n: u32) -> Option<u64> {
    let r = &*s.rwsem;
    timed(n, || {
        r.write(me(), Timeout::Infinite).is_ok() && r.write_unlock(me()).is_ok()
    })
}

/// `n` ping-pong round trips between two kernel threads over two completions, after one
/// untimed round trip that makes sure both run; each thread on its CPU if given (online:
/// the caller checked). Waits are infinite on both sides, as `wait_for_completion()` in
/// the baseline.
pub(crate) fn pingpong(n: u32, ping_cpu: Option<u32>, pong_cpu: Option<u32>) -> Option<u64> {
    let rounds = n.checked_add(1)?;
    let ping = Arc::pin_init(Completion::new(), GFP_KERNEL).ok()?;
    let pong = Arc::pin_init(Completion::new(), GFP_KERNEL).ok()?;
    let took = Arc::new(AtomicU64::new(0), GFP_KERNEL).ok()?;
    let responder = {
        let (ping, pong) = (ping.clone(), pong.clone());
        KThread::spawn(pong_cpu, c_str!("lsbench-pong"), move || {
            for _ in 0..rounds {
                if ping.wait(Timeout::Infinite).is_err() {
                    return 1;
                }
                pong.complete();
            }
            0
        })
        .ok()?
    };
    let starter = {
        let took = took.clone();
        KThread::spawn(ping_cpu, c_str!("lsbench-ping"), move || {
            let round_trip = || {
                ping.complete();
                pong.wait(Timeout::Infinite).is_ok()
            };
            if !round_trip() {
                return 1;
            }
            match timed(n, round_trip) {
                Some(ns) => {
                    took.store(ns, Ordering::Relaxed);
                    0
                }
                None => 1,
            }
        })
        .ok()?
    };
    let ended = starter.join_within(GAME_MS).is_some() && responder.join_within(GAME_MS).is_some();
    // A thread that did not end is stopped here: its wait returns `Interrupted`.
    let codes = (starter.stop(), responder.stop());
    if ended && codes == (0, 0) {
        Some(took.load(Ordering::Relaxed))
    } else {
        None
    }
}
