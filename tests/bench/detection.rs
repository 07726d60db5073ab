// SPDX-License-Identifier: GPL-2.0

//! What deadlock detection costs a waiter: the walk along the chain of waits and the
//! record of its own wait, which a lock's slow path runs before every sleep (the fast path,
//! an uncontended lock, never runs it). Timed without the sleep itself, for chains of
//! several lengths, built from records of owners that "wait" while the measurement runs.

use core::num::NonZeroUsize;

use kernel::time::Ktime;

use crate::sync::cycle::Held;
use crate::sync::deadlock;
use crate::sync::{LockKind, Owner, Timeout, MAX_HOPS};

/// Walks per measurement.
pub(crate) const WALKS: u32 = 100_000;

/// The chain lengths of the table's rows: a holder that waits for nothing (every contended
/// lock without a chain), a chain of four holders, and the longest the walk follows.
pub(crate) const CHAINS: [usize; 3] = [1, 4, MAX_HOPS];

/// The owner with token `token`; the walker is 1, the holders 2 and up.
fn owner(token: usize) -> Option<Owner> {
    NonZeroUsize::new(token).map(Owner::new)
}

/// Nanoseconds for [`WALKS`] waits of owner 1 for a lock whose holder starts a chain of
/// `links` holders, each but the last waiting for the lock of the next; `None` if the chain
/// is out of the walk's reach or a walk failed (it never should: there is no cycle).
pub(crate) fn walks(links: usize) -> Option<u64> {
    if links == 0 || links > MAX_HOPS {
        return None;
    }
    let locks: [Held; MAX_HOPS] = core::array::from_fn(|_| Held::new(LockKind::Mutex));
    // Lock `i` is held by owner `i + 2`: lock 0 by the first holder, and so on.
    for (i, lock) in locks.iter().take(links).enumerate() {
        lock.word()
            .store(i.checked_add(2)?, core::sync::atomic::Ordering::SeqCst);
    }
    chain(&locks, 1, links)
}

/// Records that holder `at + 1` waits for lock `at` (held by the next), for every holder
/// from `at` to the last, then times the walks: the records stay in the table for as long
/// as the measurement runs, as those of sleeping owners would.
fn chain(locks: &[Held; MAX_HOPS], at: usize, links: usize) -> Option<u64> {
    if at >= links {
        return time_walks(locks.first()?);
    }
    let next = at.checked_add(1)?;
    let waiter = owner(next)?;
    let mut took = None;
    let recorded = deadlock::checked(waiter, locks.get(at)?, Timeout::Infinite, || {
        took = chain(locks, next, links);
        Ok(())
    });
    recorded.ok().and(took)
}

/// Times [`WALKS`] waits of owner 1 for `first`, each a walk, a record and its removal,
/// with an empty wait in between.
fn time_walks(first: &Held) -> Option<u64> {
    let me = owner(1)?;
    let start = Ktime::ktime_get().to_ns();
    let mut failed = false;
    for _ in 0..WALKS {
        failed |= deadlock::checked(me, first, Timeout::Infinite, || Ok(())).is_err();
    }
    let ns = Ktime::ktime_get().to_ns().saturating_sub(start);
    (!failed).then(|| u64::try_from(ns).ok()).flatten()
}
