// SPDX-License-Identifier: GPL-2.0

//! The table of waits: which owner sleeps waiting for which lock, so that an owner about to
//! sleep can see whether its wait would close a cycle (see [`super::cycle`]).
//!
//! Only the slow path touches it: an owner that found the lock taken and is about to sleep
//! for it (a poll never sleeps and never looks). The uncontended lock and unlock do not.
//!
//! # Locking
//!
//! One spinlock for the whole module (`luasync_waits`, taken with interrupts saved, in
//! `wait_helpers.c`) guards the table. A waiter, holding its lock's queue spinlock, takes
//! it once to walk the chain of waits from the lock it wants and, finding no cycle, to add
//! its own record; then it sleeps; when its wait is over it takes it again to remove the
//! record. The walk reads each lock's holder (an atomic word, [`Held`]) under this lock
//! too, and takes no other lock: so the only order is "a queue's lock, then this one".
//!
//! Records live on their waiter's stack, and point to the lock the waiter waits for, which
//! the waiter keeps alive while it waits: every pointer the walk follows is valid while it
//! holds the table's lock.
//!
//! # Why no cycle is missed
//!
//! Owners A1 .. An deadlock when each Ai waits for a lock Li held by the next one (An's
//! lock held by A1), and all of them sleep for good. Each added its record under the
//! table's lock, so the records were added in some order; let Ak be the last. When Ak
//! walked, every other Ai had already added its record, and cannot have removed it since
//! (it waits for good). Every Ai held the lock of the previous one before it started
//! waiting (an owner runs one call at a time: while it waits it neither takes nor gives
//! back anything), and wrote itself into that lock's holder word before taking the table's
//! lock to add its record; Ak, the walker, holds its own lock already. So Ak's walk reads
//! every link of the cycle as it is and comes back to Ak, unless the cycle is longer than
//! [`MAX_HOPS`](super::cycle::MAX_HOPS). The same argument for two owners starting to wait
//! at once: the one that takes the table's lock second sees the record of the first.
//!
//! Conversely, a reported cycle is one that was there when the walk read it: every owner
//! in it had a record, that is, was waiting or about to. An owner whose wait is ending at
//! that moment (its timeout fired, it has not removed its record yet) still counts as
//! waiting: the report is then about a cycle that its timeout was breaking.
//!
//! An owner token is assumed to wait in one place at a time (a Lunatik runtime runs one
//! call at a time); with several records for one owner, the walk follows the first.

use core::cell::UnsafeCell;
use core::marker::PhantomData;
use core::ptr;

use super::cycle::{find_cycle, Cycle, Held};
use super::{LockError, Owner, Timeout};

extern "C" {
    fn luasync_waits_lock() -> kernel::ffi::c_ulong;
    fn luasync_waits_unlock(flags: kernel::ffi::c_ulong);
}

/// How many lists the table hashes owners into.
const BUCKETS: usize = 64;

/// One owner waiting for a lock. It lives on the waiter's stack, where the table points to
/// it between [`wait_for`] and the drop of the [`Waiting`] it returned.
struct Record {
    owner: usize,
    lock: *const Held,
    next: *mut Record,
}

impl Record {
    /// An empty record, to be given to [`wait_for`].
    const fn new() -> Self {
        Self {
            owner: 0,
            lock: ptr::null(),
            next: ptr::null_mut(),
        }
    }
}

/// The records, one singly linked list per bucket.
struct Table(UnsafeCell<[*mut Record; BUCKETS]>);

// SAFETY: the lists are only read or changed with `luasync_waits_lock` held.
unsafe impl Sync for Table {}

static TABLE: Table = Table(UnsafeCell::new([ptr::null_mut(); BUCKETS]));

/// The table's lock, held.
struct Locked {
    flags: kernel::ffi::c_ulong,
    /// The saved interrupt flags belong to this CPU.
    _not_send: PhantomData<*mut ()>,
}

impl Locked {
    fn new() -> Self {
        // SAFETY: a plain spinlock; released by `Drop`.
        let flags = unsafe { luasync_waits_lock() };
        Self {
            flags,
            _not_send: PhantomData,
        }
    }

    /// The head of the list of `owner`'s bucket.
    fn head(&self, owner: usize) -> *mut *mut Record {
        let heads = TABLE.0.get().cast::<*mut Record>();
        // The index is below `BUCKETS`, inside the array.
        heads.wrapping_add(owner % BUCKETS)
    }

    /// The lock `owner` waits for, if it waits for one.
    fn find<'a>(&self, owner: usize) -> Option<&'a Held> {
        // SAFETY: the table's lock is held; every record in the lists is alive (its waiter
        // removes it before its frame ends) and points to a lock its waiter keeps alive. The
        // references live only while the walk holds the lock (see `wait_for`).
        unsafe {
            let mut at = *self.head(owner);
            while let Some(record) = at.as_ref() {
                if record.owner == owner {
                    return record.lock.as_ref();
                }
                at = record.next;
            }
        }
        None
    }

    /// Adds `record`, whose owner and lock are set.
    ///
    /// # Safety
    ///
    /// `record` must stay valid and in place until [`Locked::remove`] takes it out.
    unsafe fn insert(&self, record: *mut Record) {
        // SAFETY: the table's lock is held; the caller guarantees `record` is valid.
        unsafe {
            let head = self.head((*record).owner);
            (*record).next = *head;
            *head = record;
        }
    }

    /// Takes `record` out of the table.
    ///
    /// # Safety
    ///
    /// `record` must have been added by [`Locked::insert`] and not removed since.
    unsafe fn remove(&self, record: *mut Record) {
        // SAFETY: the table's lock is held; every record in the list is valid.
        unsafe {
            let mut link = self.head((*record).owner);
            while !(*link).is_null() {
                if *link == record {
                    *link = (*record).next;
                    return;
                }
                link = ptr::addr_of_mut!((**link).next);
            }
        }
    }
}

impl Drop for Locked {
    fn drop(&mut self) {
        // SAFETY: taken by `new` with these flags.
        unsafe { luasync_waits_unlock(self.flags) };
    }
}

/// A wait recorded in the table; dropping it removes the record. It must be dropped, not
/// forgotten: the table points into the record it borrows.
struct Waiting<'a> {
    record: *mut Record,
    _borrows: PhantomData<&'a mut Record>,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        let table = Locked::new();
        // SAFETY: `wait_for` added the record, which the borrow keeps in place.
        unsafe { table.remove(self.record) };
    }
}

/// Records that `owner` is about to sleep waiting for `lock`, unless the chain of waits
/// from `lock` comes back to `owner`: then nothing is recorded, and the cycle is returned.
/// The walk and the record are one hold of the table's lock. Never sleeps.
fn wait_for<'a>(
    record: &'a mut Record,
    owner: Owner,
    lock: &'a Held,
) -> Result<Waiting<'a>, Cycle> {
    let table = Locked::new();
    if let Some(cycle) = find_cycle(owner.token(), lock, |holder| table.find(holder)) {
        return Err(cycle);
    }
    record.owner = owner.token();
    record.lock = lock;
    record.next = ptr::null_mut();
    let record: *mut Record = record;
    // SAFETY: the record is borrowed for `'a` by the `Waiting` returned, whose drop
    // removes it.
    unsafe { table.insert(record) };
    Ok(Waiting {
        record,
        _borrows: PhantomData,
    })
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
    let mut record = Record::new();
    let waiting = wait_for(&mut record, owner, lock).map_err(LockError::Cycle)?;
    let waited = wait();
    drop(waiting);
    waited
}
