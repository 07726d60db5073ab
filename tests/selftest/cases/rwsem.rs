// SPDX-License-Identifier: GPL-2.0

//! Rwsem: shared readers, an exclusive writer, the policy that starves neither side, and
//! the refusals that stand for waits that would never end.

use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use kernel::{c_str, prelude::*, sync::Arc};

use super::{owner, rwsem, JOIN_MS, SLEEP_MS, WAKE_MS};
use crate::ktap::{check, check_eq, measured, Outcome};
use crate::kthread::KThread;
use crate::observe::{sleeps, Ms, Stopwatch};
use crate::sync::alloc::Gfp;
use crate::sync::{LockError, Rwsem, Timeout, UnlockError, WaitError};
use crate::verdict::Seen;

const GFP: Gfp = Gfp::Kernel;

/// Readers share it, a writer excludes everyone, the non-blocking calls never sleep.
pub(crate) fn rwsem_readers_share_writer_excludes() -> Outcome {
    let r = rwsem()?;
    let before = sleeps();
    check_eq!(
        r.read(owner(1), Timeout::Millis(0), GFP),
        Ok(()),
        "a first reader"
    );
    check_eq!(r.try_read(owner(2), GFP), Ok(true), "a second reader");
    check_eq!(r.readers(), 2, "readers");
    check!(!r.try_write(owner(3)), "trywrite with readers in succeeded");
    check_eq!(
        r.write(owner(3), Timeout::Millis(0)),
        Err(LockError::Wait(WaitError::Timeout)),
        "a write poll with readers in"
    );
    check_eq!(sleeps().wrapping_sub(before), 0, "sleeps in the polls");
    check_eq!(r.read_unlock(owner(1)), Ok(()), "first unread");
    check_eq!(r.read_unlock(owner(2)), Ok(()), "second unread");
    check_eq!(
        r.read_unlock(owner(2)),
        Err(UnlockError::NotLocked),
        "an unread without a read lock"
    );
    check!(r.try_write(owner(3)), "trywrite of a free rwsem failed");
    check!(
        r.writer_is(owner(3)) && r.is_written(),
        "the writer is not the writer"
    );
    check_eq!(
        r.try_read(owner(1), GFP),
        Ok(false),
        "tryread under a writer"
    );
    check_eq!(
        r.read(owner(1), Timeout::Millis(20), GFP),
        Err(LockError::Wait(WaitError::Timeout)),
        "a timed read under a writer"
    );
    check_eq!(
        r.write_unlock(owner(1)),
        Err(UnlockError::NotOwner),
        "unwrite by another"
    );
    check_eq!(r.write_unlock(owner(3)), Ok(()), "unwrite");
    check_eq!(
        r.write_unlock(owner(3)),
        Err(UnlockError::NotLocked),
        "a second unwrite"
    );
    check!(!r.is_written() && r.readers() == 0, "held at the end");
    Ok(())
}

/// Asking for the write side while holding either side is `Deadlock`, at once; a reader
/// reads again at once; the writer may read too, and stays a reader after its unwrite.
pub(crate) fn rwsem_refusals_and_nesting() -> Outcome {
    let r = rwsem()?;
    check_eq!(r.read(owner(1), Timeout::Infinite, GFP), Ok(()), "read");
    check_eq!(
        r.write(owner(1), Timeout::Infinite),
        Err(LockError::Deadlock),
        "write while reading"
    );
    check!(!r.try_write(owner(1)), "trywrite while reading succeeded");
    check_eq!(
        r.read(owner(1), Timeout::Infinite, GFP),
        Ok(()),
        "a second read"
    );
    check_eq!(r.reads_held(owner(1)), 2, "read holds");
    check_eq!(r.readers(), 1, "reading owners");
    check_eq!(r.read_unlock(owner(1)), Ok(()), "unread");
    check_eq!(r.read_unlock(owner(1)), Ok(()), "unread");
    check_eq!(r.write(owner(2), Timeout::Infinite), Ok(()), "write");
    check_eq!(
        r.write(owner(2), Timeout::Infinite),
        Err(LockError::Deadlock),
        "write again"
    );
    check_eq!(
        r.read(owner(2), Timeout::Infinite, GFP),
        Ok(()),
        "read by the writer"
    );
    check_eq!(
        r.try_read(owner(3), GFP),
        Ok(false),
        "tryread by another under the writer"
    );
    check_eq!(r.write_unlock(owner(2)), Ok(()), "unwrite");
    check_eq!(r.reads_held(owner(2)), 1, "read holds of the former writer");
    check_eq!(
        r.try_read(owner(3), GFP),
        Ok(true),
        "tryread by another after the unwrite"
    );
    check_eq!(r.read_unlock(owner(3)), Ok(()), "unread");
    check_eq!(r.read_unlock(owner(2)), Ok(()), "unread");
    check!(r.try_write(owner(4)), "trywrite at the end");
    check_eq!(r.write_unlock(owner(4)), Ok(()), "unwrite");
    Ok(())
}

/// Starts a thread that takes `r` for writing as `who` with `timeout`, records the order
/// in which it got in, holds it until `release`, and gives it back.
fn writer(
    r: &Arc<Rwsem>,
    who: usize,
    timeout: Timeout,
    order: &Arc<AtomicU32>,
    got: &Arc<AtomicU32>,
    release: &Arc<AtomicBool>,
) -> Result<KThread> {
    let (r, order, got, release) = (r.clone(), order.clone(), got.clone(), release.clone());
    KThread::spawn(None, c_str!("lsst-writer"), move || {
        let seen = Seen::from(r.write(owner(who), timeout));
        if seen != Seen::Ok {
            return seen.code();
        }
        got.store(order.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
        while !release.load(Ordering::SeqCst) {
            // SAFETY: sleeps the calling thread, which holds no spinlock.
            unsafe { kernel::bindings::msleep(1) };
        }
        Seen::from(r.write_unlock(owner(who))).code()
    })
}

/// Starts a thread that takes `r` for reading as `who`, records the order in which it got
/// in, and gives it back.
fn reader(
    r: &Arc<Rwsem>,
    who: usize,
    timeout: Timeout,
    order: &Arc<AtomicU32>,
    got: &Arc<AtomicU32>,
) -> Result<KThread> {
    let (r, order, got) = (r.clone(), order.clone(), got.clone());
    KThread::spawn(None, c_str!("lsst-reader"), move || {
        let seen = Seen::from(r.read(owner(who), timeout, GFP));
        if seen != Seen::Ok {
            return seen.code();
        }
        got.store(order.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
        Seen::from(r.read_unlock(owner(who))).code()
    })
}

fn counter() -> Result<Arc<AtomicU32>> {
    Ok(Arc::new(AtomicU32::new(0), GFP_KERNEL)?)
}

/// A writer waiting behind a reader holds back a new reader (which times out), not the
/// reader that is in (it reads again at once); the writer gets in when that reader is out.
pub(crate) fn rwsem_waiting_writer_blocks_new_readers() -> Outcome {
    let r = rwsem()?;
    let (order, w_got) = (counter()?, counter()?);
    let release = Arc::new(AtomicBool::new(true), GFP_KERNEL)?;
    check_eq!(
        r.read(owner(1), Timeout::Infinite, GFP),
        Ok(()),
        "the first reader"
    );
    let w = writer(&r, 2, Timeout::Millis(WAKE_MS), &order, &w_got, &release)?;
    let slept = w.sleeps_within(SLEEP_MS);
    let new_try = r.try_read(owner(3), GFP);
    let new_timed = r.read(owner(3), Timeout::Millis(20), GFP);
    let again = r.read(owner(1), Timeout::Millis(0), GFP);
    let w_early = w_got.load(Ordering::SeqCst);
    check!(slept, "the writer never slept");
    check_eq!(
        new_try,
        Ok(false),
        "tryread by a new reader with a writer waiting"
    );
    check_eq!(
        new_timed,
        Err(LockError::Wait(WaitError::Timeout)),
        "a timed read by a new reader with a writer waiting"
    );
    check_eq!(again, Ok(()), "a second read by the reader that is in");
    check_eq!(w_early, 0, "the writer got in while the reader was in");
    check_eq!(r.read_unlock(owner(1)), Ok(()), "unread");
    check_eq!(r.read_unlock(owner(1)), Ok(()), "the last unread");
    check_eq!(
        Seen::of(w.join_within(JOIN_MS)),
        Some(Seen::Ok),
        "the writer"
    );
    check_eq!(w_got.load(Ordering::SeqCst), 1, "the writer's turn");
    Ok(())
}

/// When a writer gives the rwsem back, the reader that waited goes in before a writer that
/// waited too.
pub(crate) fn rwsem_waiting_readers_before_next_writer() -> Outcome {
    let r = rwsem()?;
    let (order, r_got, w_got) = (counter()?, counter()?, counter()?);
    let release = Arc::new(AtomicBool::new(true), GFP_KERNEL)?;
    check_eq!(
        r.write(owner(1), Timeout::Infinite),
        Ok(()),
        "the first writer"
    );
    let rd = reader(&r, 2, Timeout::Millis(WAKE_MS), &order, &r_got)?;
    let rd_slept = rd.sleeps_within(SLEEP_MS);
    let w = writer(&r, 3, Timeout::Millis(WAKE_MS), &order, &w_got, &release)?;
    let w_slept = w.sleeps_within(SLEEP_MS);
    check_eq!(r.write_unlock(owner(1)), Ok(()), "unwrite");
    let rd_seen = Seen::of(rd.join_within(JOIN_MS));
    let w_seen = Seen::of(w.join_within(JOIN_MS));
    check!(rd_slept && w_slept, "a waiter never slept");
    check_eq!(
        (rd_seen, w_seen),
        (Some(Seen::Ok), Some(Seen::Ok)),
        "the reader and the writer"
    );
    check_eq!(
        (r_got.load(Ordering::SeqCst), w_got.load(Ordering::SeqCst)),
        (1, 2),
        "the turns of the reader and the writer"
    );
    Ok(())
}

/// A writer waiting behind a reader is stopped: the reader it held back goes in.
pub(crate) fn rwsem_stopped_writer_lets_readers_in() -> Outcome {
    let r = rwsem()?;
    let (order, r_got, w_got) = (counter()?, counter()?, counter()?);
    let release = Arc::new(AtomicBool::new(true), GFP_KERNEL)?;
    check_eq!(
        r.read(owner(1), Timeout::Infinite, GFP),
        Ok(()),
        "the first reader"
    );
    let w = writer(&r, 2, Timeout::Infinite, &order, &w_got, &release)?;
    let w_slept = w.sleeps_within(SLEEP_MS);
    let rd = reader(&r, 3, Timeout::Millis(WAKE_MS), &order, &r_got)?;
    let rd_slept = rd.sleeps_within(SLEEP_MS);
    let w_seen = Seen::from_code(w.stop());
    let rd_seen = Seen::of(rd.join_within(JOIN_MS));
    check!(w_slept && rd_slept, "a waiter never slept");
    check_eq!(w_seen, Seen::Interrupted, "the stopped writer");
    check_eq!(rd_seen, Some(Seen::Ok), "the reader it held back");
    check_eq!(r.read_unlock(owner(1)), Ok(()), "unread");
    Ok(())
}

/// What the threads of the stress share.
struct Inside {
    readers: AtomicU32,
    writers: AtomicU32,
    overlaps: AtomicU32,
    reads: AtomicU64,
    stop: AtomicBool,
}

/// 4 readers read in a loop, without pause, while a writer writes 200 times: the writer
/// gets every one of its turns (it is not starved), and no reader was ever in with it.
pub(crate) fn rwsem_writer_not_starved_by_4_readers() -> Outcome {
    const WRITES: u32 = 200;
    let r = rwsem()?;
    let inside = Arc::new(
        Inside {
            readers: AtomicU32::new(0),
            writers: AtomicU32::new(0),
            overlaps: AtomicU32::new(0),
            reads: AtomicU64::new(0),
            stop: AtomicBool::new(false),
        },
        GFP_KERNEL,
    )?;
    let mut readers = KVec::new();
    for who in 1..=4 {
        let (r, inside) = (r.clone(), inside.clone());
        let t = KThread::spawn(None, c_str!("lsst-rdloop"), move || {
            while !inside.stop.load(Ordering::Relaxed) {
                let seen = Seen::from(r.read(owner(who), Timeout::Millis(WAKE_MS), GFP));
                if seen != Seen::Ok {
                    return seen.code();
                }
                inside.readers.fetch_add(1, Ordering::SeqCst);
                if inside.writers.load(Ordering::SeqCst) != 0 {
                    inside.overlaps.fetch_add(1, Ordering::Relaxed);
                }
                inside.reads.fetch_add(1, Ordering::Relaxed);
                inside.readers.fetch_sub(1, Ordering::SeqCst);
                if r.read_unlock(owner(who)).is_err() {
                    return Seen::Wrong.code();
                }
            }
            Seen::Ok.code()
        })?;
        readers.push(t, GFP_KERNEL)?;
    }
    let watch = Stopwatch::start();
    let w = {
        let (r, inside) = (r.clone(), inside.clone());
        KThread::spawn(None, c_str!("lsst-wrloop"), move || {
            for _ in 0..WRITES {
                let seen = Seen::from(r.write(owner(9), Timeout::Millis(WAKE_MS)));
                if seen != Seen::Ok {
                    return seen.code();
                }
                inside.writers.fetch_add(1, Ordering::SeqCst);
                if inside.readers.load(Ordering::SeqCst) != 0 {
                    inside.overlaps.fetch_add(1, Ordering::Relaxed);
                }
                inside.writers.fetch_sub(1, Ordering::SeqCst);
                if r.write_unlock(owner(9)).is_err() {
                    return Seen::Wrong.code();
                }
            }
            Seen::Ok.code()
        })?
    };
    let w_seen = Seen::of(w.join_within(600_000));
    let ns = watch.elapsed_ns();
    inside.stop.store(true, Ordering::Relaxed);
    let mut r_seen = [None; 4];
    for (seen, t) in r_seen.iter_mut().zip(readers.iter()) {
        *seen = Seen::of(t.join_within(JOIN_MS));
    }
    measured(format_args!(
        "{} writes among 4 looping readers ({} reads): {}",
        WRITES,
        inside.reads.load(Ordering::Relaxed),
        Ms(ns)
    ));
    check_eq!(w_seen, Some(Seen::Ok), "the writer");
    check_eq!(r_seen, [Some(Seen::Ok); 4], "the readers");
    check_eq!(
        inside.overlaps.load(Ordering::Relaxed),
        0,
        "readers in with the writer"
    );
    check!(!r.is_written() && r.readers() == 0, "held at the end");
    Ok(())
}

/// Many reader owners at once make the entries grow; every one is counted and given back.
pub(crate) fn rwsem_100_reader_owners() -> Outcome {
    let r = rwsem()?;
    for who in 1..=100 {
        check_eq!(
            r.read(owner(who), Timeout::Millis(0), GFP),
            Ok(()),
            "read by owner {}",
            who
        );
    }
    check_eq!(r.readers(), 100, "reading owners");
    check!(!r.try_write(owner(0)), "trywrite with 100 readers in");
    for who in (1..=100).rev() {
        check_eq!(r.read_unlock(owner(who)), Ok(()), "unread by owner {}", who);
    }
    check_eq!(r.readers(), 0, "reading owners at the end");
    check!(r.try_write(owner(0)), "trywrite at the end");
    check_eq!(r.write_unlock(owner(0)), Ok(()), "unwrite");
    Ok(())
}
