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
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

/// The most links the walk follows. Past it the walk assumes there is no cycle, and the
/// waiter sleeps: its timeout, or a stop, still ends the wait. 12 runtimes in one cycle is
/// beyond what a Lunatik system runs, and a bound this size keeps [`Cycle`], which every
/// lock's `Result` can carry, around 100 bytes.
pub const MAX_HOPS: usize = 12;

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

/// A lock's stable name: its kind and a number given when it was made, not given to
/// another lock of that kind before 2^32 more were made (addresses would be reused soon,
/// and would leak kernel addresses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockName {
    /// What the lock is.
    pub kind: LockKind,
    /// Its number, from 1.
    pub id: u32,
}

impl fmt::Display for LockName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.name(), self.id)
    }
}

/// The last number given to a mutex, and to an rwsem.
static LAST_MUTEX: AtomicU32 = AtomicU32::new(0);
static LAST_RWSEM: AtomicU32 = AtomicU32::new(0);

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
                // 0 is skipped when the count wraps: numbers start at 1.
                id: last.fetch_add(1, Ordering::Relaxed).wrapping_add(1).max(1),
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
    /// Its holder's token (`u32::MAX` for a token that does not fit 32 bits).
    pub holder: usize,
}

/// A cycle of waits that a new wait would close: `waiter` waits for the first link's lock,
/// whose holder waits for the next link's lock, ..., whose holder is `waiter` again.
///
/// Stored compactly (it is `Copy` and travels in every lock's error): owner tokens and lock
/// numbers in 32 bits, the kinds as bits. The port's tokens and the locks' numbers count
/// from 1 and stay far below 2^32; a token that did not fit would read `u32::MAX`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cycle {
    waiter: u32,
    len: u8,
    /// Bit i set: link i's lock is an rwsem.
    rwsems: u16,
    ids: [u32; MAX_HOPS],
    holders: [u32; MAX_HOPS],
}

const _: () = assert!(MAX_HOPS <= 16);

/// A token as the cycle keeps it.
fn narrow(token: usize) -> u32 {
    u32::try_from(token).unwrap_or(u32::MAX)
}

impl Cycle {
    /// The owner whose wait would have closed the cycle.
    pub fn waiter(&self) -> usize {
        self.waiter as usize
    }

    /// How many links it has.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Whether it has no link (never, for a cycle the walk found).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Link `i`, from the lock the waiter asked for (0) to the one it holds.
    pub fn link(&self, i: usize) -> Option<Link> {
        if i >= self.len() {
            return None;
        }
        let kind = if self.rwsems & (1 << i) != 0 {
            LockKind::Rwsem
        } else {
            LockKind::Mutex
        };
        Some(Link {
            lock: LockName {
                kind,
                id: *self.ids.get(i)?,
            },
            holder: *self.holders.get(i)? as usize,
        })
    }

    /// The links, in order.
    pub fn links(&self) -> impl Iterator<Item = Link> + '_ {
        (0..self.len()).filter_map(|i| self.link(i))
    }

    /// Appends a link; false when the cycle is full.
    fn push(&mut self, lock: LockName, holder: usize) -> bool {
        let i = self.len();
        let (Some(id), Some(slot)) = (self.ids.get_mut(i), self.holders.get_mut(i)) else {
            return false;
        };
        *id = lock.id;
        *slot = narrow(holder);
        if lock.kind == LockKind::Rwsem {
            self.rwsems |= 1 << i;
        }
        self.len += 1;
        true
    }
}

/// "owner 3 waits for mutex 7 held by owner 4, which waits for mutex 5 held by owner 3".
impl fmt::Display for Cycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "owner {}", self.waiter)?;
        for (i, link) in self.links().enumerate() {
            let which = if i == 0 { "" } else { ", which" };
            write!(
                f,
                "{which} waits for {} held by owner {}",
                link.lock, link.holder
            )?;
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
        waiter: narrow(me),
        len: 0,
        rwsems: 0,
        ids: [0; MAX_HOPS],
        holders: [0; MAX_HOPS],
    };
    let mut lock = start;
    loop {
        let holder = lock.owner();
        if holder == 0 || !cycle.push(lock.name(), holder) {
            return None;
        }
        if holder == me {
            return Some(cycle);
        }
        lock = waits_for(holder)?;
    }
}
