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
    TABLE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
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
