// SPDX-License-Identifier: GPL-2.0

//! The rows of the second table: how the cost grows with the work, on both sides. Their
//! names are those of the Lua-level rows (`tests/bench/lua/measure.lua`), which
//! `tests/bench/tables.awk` puts beside them.

use crate::{baseline, luasync_scale};

/// Operations per contention measurement, split among the threads.
const CONTEND_OPS: u32 = 10_000;

/// Operations per live-objects measurement.
const OBJECT_OPS: u32 = 100_000;

/// The live objects of the rows with few, and with many.
const FEW: u32 = 8;
const MANY: u32 = 100_000;

/// One row of the table.
#[derive(Clone, Copy)]
pub(crate) enum Scale {
    /// Threads each doing lock + unlock of one mutex.
    ContendMutex(u32),
    /// Threads each doing down + up of one semaphore of 1.
    ContendSemaphore(u32),
    /// Waiters released by one `complete_all()`.
    ReleaseAll(u32),
    /// complete + try_wait, round robin over live completions.
    ObjectsComplete(u32),
    /// lock + unlock, round robin over live mutexes.
    ObjectsLock(u32),
}

impl Scale {
    /// Every row, in table order.
    pub(crate) const ALL: [Scale; 15] = [
        Scale::ContendMutex(1),
        Scale::ContendMutex(2),
        Scale::ContendMutex(4),
        Scale::ContendMutex(8),
        Scale::ContendSemaphore(1),
        Scale::ContendSemaphore(2),
        Scale::ContendSemaphore(4),
        Scale::ContendSemaphore(8),
        Scale::ReleaseAll(1),
        Scale::ReleaseAll(8),
        Scale::ReleaseAll(64),
        Scale::ObjectsComplete(FEW),
        Scale::ObjectsComplete(MANY),
        Scale::ObjectsLock(FEW),
        Scale::ObjectsLock(MANY),
    ];

    /// The row's name, as the Lua level names it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Scale::ContendMutex(_) => "mutex_lock+unlock",
            Scale::ContendSemaphore(_) => "semaphore_down+up",
            Scale::ReleaseAll(_) => "completeall",
            Scale::ObjectsComplete(_) => "objects_complete+wait(0)",
            Scale::ObjectsLock(_) => "objects_lock+unlock",
        }
    }

    /// The work: threads, waiters or live objects.
    pub(crate) fn work(self) -> u32 {
        match self {
            Scale::ContendMutex(n)
            | Scale::ContendSemaphore(n)
            | Scale::ReleaseAll(n)
            | Scale::ObjectsComplete(n)
            | Scale::ObjectsLock(n) => n,
        }
    }

    /// Operations per thread of a contention row.
    fn ops_per_thread(self) -> u32 {
        CONTEND_OPS.checked_div(self.work()).unwrap_or(0)
    }

    /// Operations per measurement: a release of all the waiters is one.
    pub(crate) fn count(self) -> u32 {
        match self {
            Scale::ContendMutex(n) | Scale::ContendSemaphore(n) => {
                n.saturating_mul(self.ops_per_thread())
            }
            Scale::ReleaseAll(_) => 1,
            Scale::ObjectsComplete(_) | Scale::ObjectsLock(_) => OBJECT_OPS,
        }
    }

    /// Times the row on `rust/sync/`: nanoseconds for [`Scale::count`] operations.
    pub(crate) fn luasync(self) -> Option<u64> {
        let ops = self.ops_per_thread();
        match self {
            Scale::ContendMutex(n) => luasync_scale::contend_mutex(n, ops),
            Scale::ContendSemaphore(n) => luasync_scale::contend_semaphore(n, ops),
            Scale::ReleaseAll(n) => luasync_scale::release_all(n),
            Scale::ObjectsComplete(n) => luasync_scale::objects_complete(n, OBJECT_OPS),
            Scale::ObjectsLock(n) => luasync_scale::objects_lock(n, OBJECT_OPS),
        }
    }

    /// Times the row on the kernel's primitive: nanoseconds for [`Scale::count`]
    /// operations.
    pub(crate) fn kernel(self) -> Option<u64> {
        let ops = self.ops_per_thread();
        match self {
            Scale::ContendMutex(n) => baseline::contend_mutex(n, ops),
            Scale::ContendSemaphore(n) => baseline::contend_semaphore(n, ops),
            Scale::ReleaseAll(n) => baseline::release_all(n),
            Scale::ObjectsComplete(n) => baseline::objects_complete(n, OBJECT_OPS),
            Scale::ObjectsLock(n) => baseline::objects_lock(n, OBJECT_OPS),
        }
    }
}
