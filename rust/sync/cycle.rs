// SPDX-License-Identifier: GPL-2.0

//! The kernel-independent half of deadlock detection: the names of locks, the word that
//! says who holds a lock, and the walk along a chain of waits.
//!
//! A lock that has one owner at a time (a mutex, the write side of an rwsem) keeps its
//! owner's token in a [`Held`]. Before an owner sleeps waiting for such a lock, it follows
//! the chain "this lock is held by B, B waits for lock X, X is held by C, ..." with
//! [`find_cycle`]; if the chain comes back to the owner itself, sleeping would never end.
//! Where the waits are recorded, and why the walk sees a consistent chain, is the business
//! of the table that records them (`deadlock.rs` in the kernel).
//!
//! This file uses nothing of the kernel, so the userspace double of this module that the
//! host tests build includes it as it is: both sides share one walk.

use core::fmt;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// The most links the walk follows. Past it the walk assumes there is no cycle, and the
/// waiter sleeps: its timeout, or a stop, still ends the wait.
pub const MAX_HOPS: usize = 16;

/// The kinds of locks that have an owner to follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockKind {
    /// A mutex.
    Mutex,
    /// The write side of a reader-writer semaphore.
    Rwsem,
}

impl LockKind {
    /// The kind's name, as the Lua classes are named.
    pub fn name(self) -> &'static str {
        match self {
            Self::Mutex => "mutex",
            Self::Rwsem => "rwsem",
        }
    }
}

/// A lock's stable name: its kind and a number given when it was made, never given to
/// another lock of that kind (addresses would be reused, and would leak kernel addresses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockName {
    /// What the lock is.
    pub kind: LockKind,
    /// Its number, from 1.
    pub id: u64,
}

impl fmt::Display for LockName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.name(), self.id)
    }
}

/// The last number given to a mutex, and to an rwsem.
static LAST_MUTEX: AtomicU64 = AtomicU64::new(0);
static LAST_RWSEM: AtomicU64 = AtomicU64::new(0);

/// Who holds a lock that has one owner at a time: an owner token, or 0 when free. The
/// lock changes it with atomic operations; the walk reads it.
pub(crate) struct Held {
    owner: AtomicUsize,
    name: LockName,
}

impl Held {
    /// A free lock of `kind`, with a new number.
    pub(crate) fn new(kind: LockKind) -> Self {
        let last = match kind {
            LockKind::Mutex => &LAST_MUTEX,
            LockKind::Rwsem => &LAST_RWSEM,
        };
        Self {
            owner: AtomicUsize::new(0),
            name: LockName {
                kind,
                id: last.fetch_add(1, Ordering::Relaxed).wrapping_add(1),
            },
        }
    }

    /// The holder's token, or 0.
    pub(crate) fn owner(&self) -> usize {
        self.owner.load(Ordering::SeqCst)
    }

    /// The word itself, for the lock's own atomic operations.
    pub(crate) fn word(&self) -> &AtomicUsize {
        &self.owner
    }

    /// The lock's name.
    pub(crate) fn name(&self) -> LockName {
        self.name
    }
}

/// One link of a chain of waits: `lock`, held by the owner `holder`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Link {
    /// The lock waited for.
    pub lock: LockName,
    /// Its holder's token.
    pub holder: usize,
}

/// A cycle of waits that a new wait would close: `waiter` waits for the first link's lock,
/// whose holder waits for the next link's lock, ..., whose holder is `waiter` again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cycle {
    waiter: usize,
    len: usize,
    links: [Link; MAX_HOPS],
}

impl Cycle {
    /// The owner whose wait would have closed the cycle.
    pub fn waiter(&self) -> usize {
        self.waiter
    }

    /// The links, from the lock the waiter asked for to the one it holds.
    pub fn links(&self) -> &[Link] {
        self.links.get(..self.len).unwrap_or(&[])
    }
}

/// "owner 3 waits for mutex 7 held by owner 4, which waits for mutex 5 held by owner 3".
impl fmt::Display for Cycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "owner {}", self.waiter)?;
        for (i, link) in self.links().iter().enumerate() {
            let which = if i == 0 { "" } else { ", which" };
            write!(f, "{which} waits for {} held by owner {}", link.lock, link.holder)?;
        }
        Ok(())
    }
}

/// Follows the chain of waits from `start`, the lock `me` is about to wait for: its holder,
/// the lock that holder waits for (`waits_for`), that lock's holder, and so on. Returns the
/// cycle if the chain comes back to `me` within [`MAX_HOPS`] links; `None` if it ends at a
/// free lock or at an owner that waits for nothing, or goes on longer.
///
/// The caller makes the chain stable enough to be read: see the table of waits.
pub(crate) fn find_cycle<'a>(
    me: usize,
    start: &'a Held,
    waits_for: impl Fn(usize) -> Option<&'a Held>,
) -> Option<Cycle> {
    let mut cycle = Cycle {
        waiter: me,
        len: 0,
        links: [Link {
            lock: start.name(),
            holder: 0,
        }; MAX_HOPS],
    };
    let mut lock = start;
    for slot in cycle.links.iter_mut() {
        let holder = lock.owner();
        if holder == 0 {
            return None;
        }
        *slot = Link {
            lock: lock.name(),
            holder,
        };
        cycle.len += 1;
        if holder == me {
            return Some(cycle);
        }
        lock = waits_for(holder)?;
    }
    None
}
