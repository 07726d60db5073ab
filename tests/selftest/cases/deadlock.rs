// SPDX-License-Identifier: GPL-2.0

//! Deadlock detection: a wait that would close a cycle of waits between owners fails with
//! `Cycle` instead of sleeping, whoever starts waiting last; chains longer than the bound
//! are not followed; locking in one order never reports a cycle.

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use kernel::{c_str, new_spinlock, prelude::*, sync::Arc, sync::SpinLock};

use super::{completion, mutex, owner, rwsem, JOIN_MS, SLEEP_MS, WAKE_MS};
use crate::ktap::{check, check_eq, measured, Outcome};
use crate::kthread::KThread;
use crate::observe::{Ms, Stopwatch};
use crate::sync::alloc::Gfp;
use crate::sync::{Cycle, Link, LockError, LockKind, Mutex, Timeout, MAX_HOPS};
use crate::verdict::Seen;

/// Where a thread leaves the cycle it was told about.
type Found = Arc<SpinLock<Option<Cycle>>>;

fn found() -> Result<Found> {
    Arc::pin_init(new_spinlock!(None), GFP_KERNEL)
}

/// What a lock returned, keeping the cycle of a `Cycle`.
fn seen(result: Result<(), LockError>, found: &Found) -> Seen {
    if let Err(LockError::Cycle(cycle)) = result {
        *found.lock() = Some(cycle);
    }
    Seen::from(result)
}

/// Prints a cycle as a diagnostic.
fn show(what: &str, cycle: &Cycle) {
    pr_info!("# {}: {}\n", what, cycle);
}

/// Starts a thread that locks `first` as `who`, completes `locked`, waits for `go`, then
/// locks `second` (without a timeout that matters): if that fails it gives `first` back at
/// once; if it succeeds it gives both back.
fn crosser(
    who: usize,
    first: &Arc<Mutex>,
    second: &Arc<Mutex>,
    locked: &Arc<crate::sync::Completion>,
    go: &Arc<crate::sync::Completion>,
    found: &Found,
) -> Result<KThread> {
    let (first, second, locked, go, found) = (
        first.clone(),
        second.clone(),
        locked.clone(),
        go.clone(),
        found.clone(),
    );
    KThread::spawn(None, c_str!("lsst-cross"), move || {
        if first.lock(owner(who), Timeout::Millis(WAKE_MS)).is_err() {
            return Seen::Wrong.code();
        }
        locked.complete();
        if go.wait(Timeout::Millis(WAKE_MS)).is_err() {
            let _ = first.unlock(owner(who));
            return Seen::Wrong.code();
        }
        let result = seen(second.lock(owner(who), Timeout::Millis(WAKE_MS)), &found);
        if result == Seen::Ok && second.unlock(owner(who)).is_err() {
            return Seen::Wrong.code();
        }
        if first.unlock(owner(who)).is_err() {
            return Seen::Wrong.code();
        }
        result.code()
    })
}

/// ABBA, 50 rounds: two threads each hold one mutex and, released at once, lock the
/// other's. Exactly one of them is told `Cycle` (whichever records its wait second), gives
/// its mutex back, and the other then gets it.
pub(crate) fn deadlock_abba_two_threads() -> Outcome {
    const ROUNDS: u32 = 50;
    let mut first_cycle = None;
    let mut cycles_of = [0u32; 2];
    for round in 0..ROUNDS {
        let (a, b) = (mutex(false)?, mutex(false)?);
        let (locked, go) = (completion()?, completion()?);
        let (fa, fb) = (found()?, found()?);
        let ta = crosser(1, &a, &b, &locked, &go, &fa)?;
        let tb = crosser(2, &b, &a, &locked, &go, &fb)?;
        for _ in 0..2 {
            check_eq!(
                Seen::from(locked.wait(Timeout::Millis(WAKE_MS))),
                Seen::Ok,
                "round {}: a thread locked its first mutex",
                round
            );
        }
        go.complete_all();
        let seen = (
            Seen::of(ta.join_within(JOIN_MS)),
            Seen::of(tb.join_within(JOIN_MS)),
        );
        let told = match seen {
            (Some(Seen::Cycle), Some(Seen::Ok)) => 0,
            (Some(Seen::Ok), Some(Seen::Cycle)) => 1,
            _ => {
                check!(
                    false,
                    "round {}: the threads saw {:?}, not one Cycle and one Ok",
                    round,
                    seen
                );
                0
            }
        };
        cycles_of[told] += 1;
        let kept = if told == 0 { *fa.lock() } else { *fb.lock() };
        let Some(cycle) = kept else {
            check!(false, "round {}: no cycle kept", round);
            return Ok(());
        };
        // Thread A (owner 1) holds a and asks for b; thread B (owner 2) the other way.
        let (me, other, asked, held) = if told == 0 {
            (owner(1).token(), owner(2).token(), b.name(), a.name())
        } else {
            (owner(2).token(), owner(1).token(), a.name(), b.name())
        };
        check_eq!(cycle.waiter(), me, "round {}: the waiter", round);
        check_eq!(cycle.len(), 2, "round {}: links", round);
        check!(
            cycle.links().all(|l| l.lock.kind == LockKind::Mutex),
            "round {}: a link is not a mutex",
            round
        );
        check_eq!(
            (cycle.link(0), cycle.link(1)),
            (
                Some(Link {
                    lock: asked,
                    holder: other
                }),
                Some(Link {
                    lock: held,
                    holder: me
                })
            ),
            "round {}: the cycle",
            round
        );
        check!(
            !a.is_locked() && !b.is_locked(),
            "round {}: a mutex is held at the end",
            round
        );
        if first_cycle.is_none() {
            first_cycle = Some(cycle);
        }
    }
    if let Some(cycle) = &first_cycle {
        show("the first round's cycle", cycle);
    }
    measured(format_args!(
        "{} ABBA rounds: the first locker was told {} times, the second {} times",
        ROUNDS, cycles_of[0], cycles_of[1]
    ));
    Ok(())
}

/// Starts a thread that locks `held` as `who`, completes `locked`, waits for `go`, then
/// locks `wanted` with `timeout`, and gives back what it holds.
fn chained(
    who: usize,
    held: &Arc<Mutex>,
    wanted: &Arc<Mutex>,
    timeout: Timeout,
    locked: &Arc<crate::sync::Completion>,
    go: &Arc<crate::sync::Completion>,
    found: &Found,
) -> Result<KThread> {
    let (held, wanted, locked, go, found) = (
        held.clone(),
        wanted.clone(),
        locked.clone(),
        go.clone(),
        found.clone(),
    );
    KThread::spawn(None, c_str!("lsst-chain"), move || {
        if held.lock(owner(who), Timeout::Millis(WAKE_MS)).is_err() {
            return Seen::Wrong.code();
        }
        locked.complete();
        if go.wait(Timeout::Millis(WAKE_MS)).is_err() {
            let _ = held.unlock(owner(who));
            return Seen::Wrong.code();
        }
        let result = seen(wanted.lock(owner(who), timeout), &found);
        if result == Seen::Ok && wanted.unlock(owner(who)).is_err() {
            return Seen::Wrong.code();
        }
        if held.unlock(owner(who)).is_err() {
            return Seen::Wrong.code();
        }
        result.code()
    })
}

/// How a ring of threads went: what the last thread saw and the cycle it was told,
/// whether every other thread slept before the next one started waiting and every mutex
/// was free at the end, and what each thread saw.
struct Ring {
    last: Option<Seen>,
    cycle: Option<Cycle>,
    ok: bool,
    seen: KVec<Option<Seen>>,
}

/// A ring of `n` threads: each locks its own mutex, then, one after the other (each once
/// the previous one sleeps), thread i asks for the mutex of thread i + 1, the last for
/// thread 0's. The last thread closes the ring; once it gives its own mutex back, every
/// other thread gets the one it waits for.
fn ring(n: usize, last_timeout: Timeout) -> Result<Ring> {
    let mut locks = KVec::new();
    for _ in 0..n {
        locks.push(mutex(false)?, GFP_KERNEL)?;
    }
    let locked = completion()?;
    let last_found = found()?;
    let mut threads = KVec::new();
    let mut gos = KVec::new();
    let mut ok = true;
    for i in 0..n {
        let last = i + 1 == n;
        let timeout = if last {
            last_timeout
        } else {
            Timeout::Millis(WAKE_MS)
        };
        let f = if last { last_found.clone() } else { found()? };
        let go = completion()?;
        let t = chained(
            i + 1,
            &locks[i],
            &locks[(i + 1) % n],
            timeout,
            &locked,
            &go,
            &f,
        )?;
        ok &= locked.wait(Timeout::Millis(WAKE_MS)).is_ok();
        threads.push(t, GFP_KERNEL)?;
        gos.push(go, GFP_KERNEL)?;
    }
    for (i, (t, go)) in threads.iter().zip(gos.iter()).enumerate() {
        go.complete();
        if i + 1 < n {
            ok &= t.sleeps_within(SLEEP_MS);
        }
    }
    let mut seen = KVec::new();
    for t in threads.iter() {
        seen.push(Seen::of(t.join_within(JOIN_MS)), GFP_KERNEL)?;
    }
    let last = seen.last().copied().flatten();
    let cycle = *last_found.lock();
    ok &= locks.iter().all(|m| !m.is_locked());
    Ok(Ring {
        last,
        cycle,
        ok,
        seen,
    })
}

/// Three threads in a ring: the third to wait is told the cycle of three links.
pub(crate) fn deadlock_three_owners() -> Outcome {
    let Ring {
        last,
        cycle,
        ok,
        seen,
    } = ring(3, Timeout::Millis(WAKE_MS))?;
    check!(ok, "a thread never slept, or a mutex is held at the end");
    check_eq!(last, Some(Seen::Cycle), "the last thread");
    check_eq!(
        seen.get(..2),
        Some(&[Some(Seen::Ok); 2][..]),
        "the other threads"
    );
    let Some(cycle) = cycle else {
        check!(false, "no cycle kept");
        return Ok(());
    };
    show("three owners", &cycle);
    check_eq!(cycle.len(), 3, "links");
    let holders: [usize; 3] = [owner(1).token(), owner(2).token(), owner(3).token()];
    let got: KVec<usize> = {
        let mut v = KVec::new();
        for l in cycle.links() {
            v.push(l.holder, GFP_KERNEL)?;
        }
        v
    };
    check_eq!(&got[..], &holders[..], "the holders along the cycle");
    check_eq!(cycle.waiter(), owner(3).token(), "the waiter");
    Ok(())
}

/// The walk follows at most `MAX_HOPS` (12) links: a ring of that many threads is reported,
/// a ring of one more is not (its last thread sleeps, until its short timeout).
pub(crate) fn deadlock_bound_of_the_walk() -> Outcome {
    let at = ring(MAX_HOPS, Timeout::Millis(WAKE_MS))?;
    check!(
        at.ok,
        "ring of {}: a thread never slept, or a mutex is held",
        MAX_HOPS
    );
    check_eq!(
        at.last,
        Some(Seen::Cycle),
        "the last of a ring of {}",
        MAX_HOPS
    );
    check_eq!(
        at.cycle.map(|c| c.len()),
        Some(MAX_HOPS),
        "links of the ring of {}",
        MAX_HOPS
    );
    let past = ring(MAX_HOPS + 1, Timeout::Millis(100))?;
    check!(
        past.ok,
        "ring of {}: a thread never slept, or a mutex is held",
        MAX_HOPS + 1
    );
    check_eq!(
        past.last,
        Some(Seen::Timeout),
        "the last of a ring of {}",
        MAX_HOPS + 1
    );
    check!(past.cycle.is_none(), "a cycle was reported past the bound");
    Ok(())
}

/// Through an rwsem's write side: A writes the rwsem and waits for B's mutex; B asking to
/// write, or to read, the rwsem is told the cycle. A gets the mutex once B gives it back.
pub(crate) fn deadlock_through_rwsem_write() -> Outcome {
    for read in [false, true] {
        let (r, m) = (rwsem()?, mutex(false)?);
        check_eq!(
            m.lock(owner(2), Timeout::Infinite),
            Ok(()),
            "B locks the mutex"
        );
        let fa = found()?;
        let a = {
            let (r, m, fa) = (r.clone(), m.clone(), fa.clone());
            KThread::spawn(None, c_str!("lsst-rwcross"), move || {
                if r.write(owner(1), Timeout::Millis(WAKE_MS)).is_err() {
                    return Seen::Wrong.code();
                }
                let result = seen(m.lock(owner(1), Timeout::Millis(WAKE_MS)), &fa);
                if result == Seen::Ok && m.unlock(owner(1)).is_err() {
                    return Seen::Wrong.code();
                }
                if r.write_unlock(owner(1)).is_err() {
                    return Seen::Wrong.code();
                }
                result.code()
            })?
        };
        let slept = a.sleeps_within(SLEEP_MS);
        let written = r.writer_is(owner(1));
        let result = if read {
            r.read(owner(2), Timeout::Millis(WAKE_MS), Gfp::Kernel)
        } else {
            r.write(owner(2), Timeout::Millis(WAKE_MS))
        };
        let unlocked = m.unlock(owner(2));
        let a_seen = Seen::of(a.join_within(JOIN_MS));
        check!(slept && written, "A never wrote the rwsem and slept");
        let Err(LockError::Cycle(cycle)) = result else {
            check!(
                false,
                "B's {} returned {:?}, not a cycle",
                if read { "read" } else { "write" },
                result
            );
            return Ok(());
        };
        show(if read { "rwsem read" } else { "rwsem write" }, &cycle);
        check_eq!(cycle.len(), 2, "links");
        check_eq!(
            (cycle.link(0), cycle.link(1)),
            (
                Some(Link {
                    lock: r.name(),
                    holder: owner(1).token()
                }),
                Some(Link {
                    lock: m.name(),
                    holder: owner(2).token()
                })
            ),
            "the cycle"
        );
        check_eq!(unlocked, Ok(()), "B's unlock");
        check_eq!(a_seen, Some(Seen::Ok), "A");
        check!(
            !r.is_written() && r.readers() == 0 && !m.is_locked(),
            "held at the end"
        );
    }
    Ok(())
}

/// 6 threads lock random non-empty sets of 4 mutexes, always in the same order, with
/// infinite waits, 2,000 times each, now and then sleeping with their locks held: heavy
/// contention, and never a cycle reported. The case holds every mutex until every thread
/// sleeps for one, so each thread is contended at least once.
pub(crate) fn deadlock_none_in_ordered_stress() -> Outcome {
    const THREADS: usize = 6;
    const ROUNDS: u32 = 2_000;
    let mut locks = KVec::new();
    for _ in 0..4 {
        let m = mutex(false)?;
        check_eq!(
            m.lock(owner(99), Timeout::Infinite),
            Ok(()),
            "the starting hold"
        );
        locks.push(m, GFP_KERNEL)?;
    }
    let locks = Arc::new(locks, GFP_KERNEL)?;
    let abort = Arc::new(AtomicBool::new(false), GFP_KERNEL)?;
    let sleeps = Arc::new(AtomicU32::new(0), GFP_KERNEL)?;
    let watch = Stopwatch::start();
    let mut threads = KVec::new();
    for i in 0..THREADS {
        let (locks, abort, sleeps) = (locks.clone(), abort.clone(), sleeps.clone());
        let t = KThread::spawn(None, c_str!("lsst-ordered"), move || {
            let me = owner(i + 1);
            let mut x = (i as u32).wrapping_mul(2_654_435_761).wrapping_add(1);
            for round in 0..ROUNDS {
                if abort.load(Ordering::Relaxed) {
                    return Seen::Wrong.code();
                }
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                let set = ((x >> 8) as usize & 0xf).max(1);
                for (k, m) in locks.iter().enumerate() {
                    if set & (1 << k) == 0 {
                        continue;
                    }
                    if !m.try_lock(me) {
                        sleeps.fetch_add(1, Ordering::Relaxed);
                        let result = Seen::from(m.lock(me, Timeout::Infinite));
                        if result != Seen::Ok {
                            abort.store(true, Ordering::Relaxed);
                            return result.code();
                        }
                    }
                }
                if round % 50 == 0 {
                    // SAFETY: sleeps the calling thread, which holds no spinlock.
                    unsafe { kernel::bindings::msleep(1) };
                }
                for (k, m) in locks.iter().enumerate().rev() {
                    if set & (1 << k) != 0 && m.unlock(me).is_err() {
                        abort.store(true, Ordering::Relaxed);
                        return Seen::Wrong.code();
                    }
                }
            }
            Seen::Ok.code()
        })?;
        threads.push(t, GFP_KERNEL)?;
    }
    let mut all_slept = true;
    for t in threads.iter() {
        all_slept &= t.sleeps_within(SLEEP_MS);
    }
    for m in locks.iter() {
        check_eq!(m.unlock(owner(99)), Ok(()), "the end of the starting hold");
    }
    let mut seen = [None; THREADS];
    for (seen, t) in seen.iter_mut().zip(threads.iter()) {
        *seen = Seen::of(t.join_within(600_000));
    }
    measured(format_args!(
        "{} threads x {} ordered lock sets, {} contended locks: {}",
        THREADS,
        ROUNDS,
        sleeps.load(Ordering::Relaxed),
        Ms(watch.elapsed_ns())
    ));
    check!(all_slept, "a thread never slept for the starting hold");
    check_eq!(seen, [Some(Seen::Ok); THREADS], "the threads");
    check!(
        sleeps.load(Ordering::Relaxed) >= THREADS as u32,
        "fewer contended locks than threads"
    );
    check!(
        locks.iter().all(|m| !m.is_locked()),
        "a mutex is held at the end"
    );
    Ok(())
}
