// SPDX-License-Identifier: GPL-2.0

//! A reader-writer semaphore whose holders are owner tokens, as the mutex's are.

use core::sync::atomic::Ordering;
use kernel::alloc::{flags, KVec};
use kernel::init::PinInit;
use kernel::prelude::pin_data;

use super::alloc::Gfp;
use super::cycle::{Held, LockKind, LockName};
use super::deadlock;
use super::waitqueue::{lock_class, Guard, LockClass, WaitQueue};
use super::{LockError, Owner, Timeout, UnlockError};

static CLASS: LockClass = lock_class!("luasync_rwsem");

/// One owner's read holds.
#[derive(Clone, Copy)]
struct Reader {
    owner: usize,
    holds: u32,
}

/// The state under the queue's lock.
struct State {
    /// The owners holding read locks, one entry each; its spare capacity covers `reserved`.
    readers: KVec<Reader>,
    /// Entries kept free for the readers waiting, so that taking the lock never allocates.
    reserved: usize,
    /// Owners sleeping for the write lock: while there is one, new readers wait.
    writers_waiting: u32,
    /// Owners sleeping for a read lock.
    readers_waiting: u32,
    /// Waiting readers let in before the next writer: the readers that were waiting when
    /// the last writer unlocked.
    admitted: u32,
}

impl State {
    fn reader(&mut self, owner: Owner) -> Option<&mut Reader> {
        self.readers.iter_mut().find(|r| r.owner == owner.token())
    }

    /// Whether an entry for a new reader fits without allocating, besides those reserved.
    fn has_room(&self) -> bool {
        self.readers.len().saturating_add(self.reserved) < self.readers.capacity()
    }

    /// Adds a reader entry; there is room for it.
    fn add_reader(&mut self, owner: Owner) -> bool {
        self.readers
            .push(
                Reader {
                    owner: owner.token(),
                    holds: 1,
                },
                flags::GFP_NOWAIT,
            )
            .is_ok()
    }
}

/// How many reader entries the first allocation makes room for.
const FIRST_CAPACITY: usize = 4;

/// A reader-writer semaphore: any number of owners may hold it for reading at once, or one
/// owner for writing.
///
/// Policy, so that neither side starves:
/// - an owner waiting for the write lock makes new readers wait (writers are not starved
///   by a stream of readers);
/// - when a writer unlocks, the readers waiting at that moment go in before the next
///   writer (readers are not starved by a stream of writers);
/// - an owner that holds a read lock gets another at once, even with a writer waiting
///   (it would otherwise wait for a writer that waits for it);
/// - an owner that holds the write lock gets a read lock at once, counted as a read hold:
///   after `write_unlock` it is still a reader (a downgrade);
/// - asking for the write lock while holding either side is `Deadlock`.
///
/// Every change that can let a waiter in wakes all waiters, which re-check under the lock.
/// The write side has a holder word ([`Held`]), so deadlock detection follows it; read
/// holds are counted per owner, in entries allocated outside the lock.
#[pin_data]
pub struct Rwsem {
    /// The writer's token, or 0; written under the queue's lock.
    held: Held,
    #[pin]
    queue: WaitQueue<State>,
}

impl Rwsem {
    /// An initialiser for an rwsem nobody holds.
    pub fn new() -> impl PinInit<Self> {
        kernel::pin_init!(Self {
            held: Held::new(LockKind::Rwsem),
            queue <- WaitQueue::new(
                State {
                    readers: KVec::new(),
                    reserved: 0,
                    writers_waiting: 0,
                    readers_waiting: 0,
                    admitted: 0,
                },
                &CLASS
            ),
        })
    }

    /// Initialises an rwsem in place.
    ///
    /// # Safety
    ///
    /// `slot` must be valid for writes and aligned for `Self`, and the rwsem must not move
    /// until it is dropped with `ptr::drop_in_place`.
    pub unsafe fn init_at(slot: *mut Self) {
        // SAFETY: the caller's guarantees are those of `init_in_place`.
        unsafe { super::init_in_place(slot, Self::new()) }
    }

    fn writer(&self) -> usize {
        self.held.owner()
    }

    /// Makes room for one more reader entry than those reserved: allocates a bigger array
    /// without the lock, then swaps it in if it is still needed. The guard is released and
    /// taken again.
    fn grow<'a>(
        &'a self,
        guard: Guard<'a, State>,
        gfp: Gfp,
    ) -> Result<Guard<'a, State>, LockError> {
        let wanted = guard
            .readers
            .capacity()
            .saturating_mul(2)
            .max(FIRST_CAPACITY);
        drop(guard);
        let mut bigger =
            KVec::with_capacity(wanted, gfp.flags()).map_err(|_| LockError::NoMemory)?;
        let mut guard = self.queue.lock();
        if !guard.has_room() && bigger.capacity() > guard.readers.capacity() {
            for &reader in guard.readers.iter() {
                // Within the new capacity: it is larger than the old one.
                bigger
                    .push(reader, flags::GFP_NOWAIT)
                    .map_err(|_| LockError::NoMemory)?;
            }
            core::mem::swap(&mut guard.readers, &mut bigger);
        }
        // The smaller array, or the unused one, is freed here, under the lock: `kfree`
        // never sleeps.
        drop(bigger);
        Ok(guard)
    }

    /// Takes a read lock for `owner` if that needs no wait, with the lock held: `Ok(true)`
    /// when taken, `Ok(false)` when it must wait (room for its entry is then there), or
    /// the guard back to grow the entries.
    fn read_now(&self, state: &mut State, owner: Owner) -> Result<bool, LockError> {
        if let Some(reader) = state.reader(owner) {
            reader.holds = reader.holds.checked_add(1).ok_or(LockError::Deadlock)?;
            return Ok(true);
        }
        if !state.has_room() {
            return Err(LockError::NoMemory);
        }
        let writer = self.writer();
        let mine = writer == owner.token();
        if mine || (writer == 0 && state.writers_waiting == 0) {
            return Ok(state.add_reader(owner));
        }
        Ok(false)
    }

    /// The locked part of a read lock that needs no wait, growing the entries as needed;
    /// gives back the guard and whether it took the lock.
    fn read_or_queue<'a>(
        &'a self,
        owner: Owner,
        gfp: Gfp,
    ) -> Result<(Guard<'a, State>, bool), LockError> {
        let mut guard = self.queue.lock();
        loop {
            match self.read_now(&mut guard, owner) {
                Ok(taken) => return Ok((guard, taken)),
                Err(LockError::NoMemory) => guard = self.grow(guard, gfp)?,
                Err(error) => return Err(error),
            }
        }
    }

    /// Takes a read lock for `owner`, sleeping at most `timeout` while a writer holds the
    /// rwsem or waits for it. `gfp` says how to allocate the entry of a new reader.
    pub fn read(&self, owner: Owner, timeout: Timeout, gfp: Gfp) -> Result<(), LockError> {
        let (mut guard, taken) = self.read_or_queue(owner, gfp)?;
        if taken {
            return Ok(());
        }
        // There is room for this reader's entry: keep it while waiting.
        guard.reserved = guard.reserved.saturating_add(1);
        guard.readers_waiting = guard.readers_waiting.saturating_add(1);
        let waited = deadlock::checked(owner, &self.held, timeout, || {
            self.wait_read(&mut guard, owner, timeout)
        });
        guard.reserved = guard.reserved.saturating_sub(1);
        guard.readers_waiting = guard.readers_waiting.saturating_sub(1);
        if waited.is_err() && guard.admitted > guard.readers_waiting {
            // Admitted readers that gave up no longer hold the next writer back.
            guard.admitted = guard.readers_waiting;
            guard.wake(None);
        }
        waited
    }

    /// Waits, as a counted waiting reader, until it may read.
    fn wait_read(
        &self,
        guard: &mut Guard<'_, State>,
        owner: Owner,
        timeout: Timeout,
    ) -> Result<(), LockError> {
        guard
            .wait_until(timeout, |state| {
                let writer = self.writer();
                let free = writer == 0 && (state.writers_waiting == 0 || state.admitted > 0);
                if !free {
                    return false;
                }
                state.admitted = state.admitted.saturating_sub(1);
                state.add_reader(owner)
            })
            .map_err(LockError::Wait)
    }

    /// Takes a read lock for `owner` if that needs no wait. Never sleeps.
    pub fn try_read(&self, owner: Owner, gfp: Gfp) -> Result<bool, LockError> {
        self.read_or_queue(owner, gfp).map(|(_, taken)| taken)
    }

    /// Whether `owner` may take the write lock now.
    fn may_write(&self, state: &State) -> bool {
        self.writer() == 0 && state.readers.is_empty() && state.admitted == 0
    }

    /// Takes the write lock for `owner`, sleeping at most `timeout` while others hold the
    /// rwsem. `Deadlock` if `owner` holds either side already; `Cycle` if sleeping would
    /// close a cycle of waits.
    pub fn write(&self, owner: Owner, timeout: Timeout) -> Result<(), LockError> {
        let mut guard = self.queue.lock();
        if self.writer() == owner.token() || guard.reader_of(owner) {
            return Err(LockError::Deadlock);
        }
        if self.may_write(&guard) {
            self.held.word().store(owner.token(), Ordering::SeqCst);
            return Ok(());
        }
        guard.writers_waiting = guard.writers_waiting.saturating_add(1);
        let take = |state: &mut State| {
            if !self.may_write(state) {
                return false;
            }
            self.held.word().store(owner.token(), Ordering::SeqCst);
            true
        };
        let waited = deadlock::checked(owner, &self.held, timeout, || {
            guard.wait_until(timeout, take).map_err(LockError::Wait)
        });
        guard.writers_waiting = guard.writers_waiting.saturating_sub(1);
        if waited.is_err() && guard.writers_waiting == 0 {
            // The readers this writer held back may go in now.
            guard.wake(None);
        }
        waited
    }

    /// Takes the write lock for `owner` if that needs no wait. Never sleeps.
    pub fn try_write(&self, owner: Owner) -> bool {
        let guard = self.queue.lock();
        if guard.reader_of(owner) || !self.may_write(&guard) {
            return false;
        }
        self.held.word().store(owner.token(), Ordering::SeqCst);
        true
    }

    /// Gives back one of `owner`'s read locks; the last reader out wakes the waiters.
    /// Never sleeps.
    pub fn read_unlock(&self, owner: Owner) -> Result<(), UnlockError> {
        let mut guard = self.queue.lock();
        let at = guard
            .readers
            .iter()
            .position(|r| r.owner == owner.token())
            .ok_or(UnlockError::NotLocked)?;
        let last = guard.readers.len().saturating_sub(1);
        let readers = guard.readers.as_mut_slice();
        let gone = match readers.get_mut(at) {
            Some(reader) if reader.holds > 1 => {
                reader.holds -= 1;
                false
            }
            _ => {
                readers.swap(at, last);
                true
            }
        };
        if gone {
            // SAFETY: the entry moved to the end is plain data (`Copy`), so shortening the
            // array by one needs no drop.
            unsafe { guard.readers.set_len(last) };
            if guard.readers.is_empty() {
                guard.wake(None);
            }
        }
        Ok(())
    }

    /// Gives back `owner`'s write lock; the readers waiting then go in first. Never sleeps.
    pub fn write_unlock(&self, owner: Owner) -> Result<(), UnlockError> {
        let mut guard = self.queue.lock();
        match self.writer() {
            0 => return Err(UnlockError::NotLocked),
            writer if writer != owner.token() => return Err(UnlockError::NotOwner),
            _ => {}
        }
        self.held.word().store(0, Ordering::SeqCst);
        guard.admitted = guard.readers_waiting;
        guard.wake(None);
        Ok(())
    }

    /// Closes it: every waiter, now and later, gives up with
    /// [`WaitError::Closed`](super::WaitError::Closed) unless
    /// what it waits for is there. Never sleeps.
    pub fn close(&self) {
        self.queue.close();
    }

    /// Whether it was closed.
    pub fn is_closed(&self) -> bool {
        self.queue.is_closed()
    }

    /// How many read locks `owner` holds.
    pub fn reads_held(&self, owner: Owner) -> u32 {
        self.queue
            .with(|state| state.reader(owner).map_or(0, |r| r.holds))
    }

    /// How many owners hold read locks.
    pub fn readers(&self) -> u32 {
        self.queue
            .with(|state| u32::try_from(state.readers.len()).unwrap_or(u32::MAX))
    }

    /// Who holds the write lock, if anyone does (a snapshot, for display).
    pub fn write_holder(&self) -> Option<Owner> {
        core::num::NonZeroUsize::new(self.writer()).map(Owner::new)
    }

    /// Whether `owner` holds the write lock.
    pub fn writer_is(&self, owner: Owner) -> bool {
        self.writer() == owner.token()
    }

    /// Whether anyone holds the write lock.
    pub fn is_written(&self) -> bool {
        self.writer() != 0
    }

    /// Its kernel wait queue heads (null: none), for the port's debugfs view.
    pub fn wait_heads(&self) -> [*mut core::ffi::c_void; 2] {
        [self.queue.head(), core::ptr::null_mut()]
    }

    /// Its name in deadlock reports: "rwsem" and a number no other rwsem has.
    pub fn name(&self) -> LockName {
        self.held.name()
    }
}

impl State {
    fn reader_of(&self, owner: Owner) -> bool {
        self.readers.iter().any(|r| r.owner == owner.token())
    }
}
