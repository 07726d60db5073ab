//! Table of waits double: which owner waits for which lock, under one std mutex, walked
//! by the module's own `find_cycle` (`rust/sync/cycle.rs`). As in the kernel, the walk and
//! the record are one hold of the table's lock, and the walk reads holders from their
//! atomic words, never taking a lock's own state lock: a waiter takes the table's lock
//! without holding any other.

use std::sync::Mutex;

use super::cycle::{find_cycle, Held};
use super::{LockError, Owner, Timeout};

/// One waiting owner and the lock it waits for.
struct Record {
    owner: usize,
    lock: *const Held,
}

// SAFETY: the pointer is only followed under the table's lock, while the waiter that
// recorded it keeps the lock alive (it removes the record before it returns).
unsafe impl Send for Record {}

static TABLE: Mutex<Vec<Record>> = Mutex::new(Vec::new());

fn table() -> std::sync::MutexGuard<'static, Vec<Record>> {
    TABLE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs `wait`, in which `owner` sleeps for `lock` at most `timeout`, recorded in the table
/// for its duration; or, if that record would close a cycle of waits, returns
/// [`LockError::Cycle`] without running it. A poll never sleeps: it runs without a look.
pub(crate) fn checked(
    owner: Owner,
    lock: &Held,
    timeout: Timeout,
    wait: impl FnOnce() -> Result<(), LockError>,
) -> Result<(), LockError> {
    if timeout == Timeout::Millis(0) {
        return wait();
    }
    let me = owner.token();
    let record: *const Held = lock;
    {
        let mut records = table();
        let waits_for = |holder: usize| {
            records
                .iter()
                .find(|r| r.owner == holder)
                // SAFETY: see `Record`: the table's lock is held.
                .and_then(|r| unsafe { r.lock.as_ref() })
        };
        if let Some(cycle) = find_cycle(me, lock, waits_for) {
            return Err(LockError::Cycle(cycle));
        }
        records.push(Record {
            owner: me,
            lock: record,
        });
    }
    let waited = wait();
    let mut records = table();
    if let Some(at) = records
        .iter()
        .position(|r| r.owner == me && std::ptr::eq(r.lock, record))
    {
        records.swap_remove(at);
    }
    waited
}

#[cfg(test)]
mod tests {
    use super::super::cycle::{find_cycle, Held, LockKind, MAX_HOPS};
    use std::sync::atomic::Ordering;

    /// Locks held by owners 1..=n, owner i waiting for the lock of owner i + 1 (the last
    /// waits for nothing).
    fn chain(n: usize) -> Vec<Held> {
        let locks: Vec<Held> = (0..n).map(|_| Held::new(LockKind::Mutex)).collect();
        for (i, lock) in locks.iter().enumerate() {
            lock.word().store(i + 1, Ordering::SeqCst);
        }
        locks
    }

    /// The lock owner `o` waits for in a chain: the next owner's.
    fn waits<'a>(locks: &'a [Held], upto: usize) -> impl Fn(usize) -> Option<&'a Held> {
        move |o| if o < upto { locks.get(o) } else { None }
    }

    #[test]
    fn a_free_lock_ends_the_walk() {
        let free = Held::new(LockKind::Mutex);
        assert_eq!(find_cycle(7, &free, |_| None), None);
    }

    #[test]
    fn an_owner_that_waits_for_nothing_ends_the_walk() {
        let locks = chain(3);
        assert_eq!(find_cycle(99, &locks[0], waits(&locks, 3)), None);
    }

    #[test]
    fn a_chain_back_to_the_waiter_is_a_cycle() {
        let locks = chain(3);
        // Owner 3 asks for owner 1's lock; 1 waits for 2's, 2 for 3's.
        let cycle = find_cycle(3, &locks[0], waits(&locks, 3)).expect("a cycle");
        assert_eq!(cycle.waiter(), 3);
        let holders: Vec<usize> = cycle.links().map(|l| l.holder).collect();
        assert_eq!(holders, [1, 2, 3]);
        let ids: Vec<u32> = cycle.links().map(|l| l.lock.id).collect();
        let want: Vec<u32> = locks.iter().map(|l| l.name().id).collect();
        assert_eq!(ids, want);
    }

    #[test]
    fn the_walk_stops_at_its_bound() {
        let at = chain(MAX_HOPS);
        let found = find_cycle(MAX_HOPS, &at[0], waits(&at, MAX_HOPS));
        assert_eq!(found.map(|c| c.len()), Some(MAX_HOPS));
        let past = chain(MAX_HOPS + 1);
        assert_eq!(
            find_cycle(MAX_HOPS + 1, &past[0], waits(&past, MAX_HOPS + 1)),
            None
        );
    }

    #[test]
    fn a_cycle_among_others_is_not_the_waiters() {
        let locks = chain(2);
        // Owners 1 and 2 wait for each other; owner 9 asks for owner 1's lock.
        let loops = |o: usize| match o {
            1 => locks.get(1),
            2 => locks.first(),
            _ => None,
        };
        assert_eq!(find_cycle(9, &locks[0], loops), None);
    }
}
