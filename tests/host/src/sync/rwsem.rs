//! Rwsem double: the kernel module's policy (see `rust/sync/rwsem.rs`) on a wait cell,
//! with its deadlock detection on the write side.

use std::sync::atomic::Ordering;

use super::alloc::Gfp;
use super::cycle::{Held, LockKind, LockName};
use super::deadlock;
use super::waitcell::WaitCell;
use super::{LockError, Owner, Timeout, UnlockError};

struct State {
    /// Owners holding read locks, and how many each.
    readers: Vec<(usize, u32)>,
    writers_waiting: u32,
    readers_waiting: u32,
    /// Waiting readers let in before the next writer.
    admitted: u32,
}

impl State {
    fn reader(&mut self, owner: Owner) -> Option<&mut (usize, u32)> {
        self.readers.iter_mut().find(|r| r.0 == owner.token())
    }
}

/// A reader-writer semaphore whose holders are owner tokens.
pub struct Rwsem {
    /// The writer's token, or 0; changed under the cell's lock.
    held: Held,
    state: WaitCell<State>,
}

impl Rwsem {
    /// Initialises an rwsem in place.
    ///
    /// # Safety
    ///
    /// As `Completion::init_at`.
    pub unsafe fn init_at(slot: *mut Self) {
        // SAFETY: the caller guarantees `slot` is valid and aligned for writes.
        unsafe {
            slot.write(Self {
                held: Held::new(LockKind::Rwsem),
                state: WaitCell::new(State {
                    readers: Vec::new(),
                    writers_waiting: 0,
                    readers_waiting: 0,
                    admitted: 0,
                }),
            })
        }
    }

    fn writer(&self) -> usize {
        self.held.owner()
    }

    /// A read lock now if that needs no wait; else counts `owner` in as a waiting reader.
    fn read_now(&self, s: &mut State, owner: Owner, wait: bool) -> Result<bool, LockError> {
        if let Some(reader) = s.reader(owner) {
            reader.1 = reader.1.checked_add(1).ok_or(LockError::Deadlock)?;
            return Ok(true);
        }
        let writer = self.writer();
        if writer == owner.token() || (writer == 0 && s.writers_waiting == 0) {
            s.readers.push((owner.token(), 1));
            return Ok(true);
        }
        if wait {
            s.readers_waiting += 1;
        }
        Ok(false)
    }

    /// Takes a read lock, waiting at most `timeout` while a writer holds it or waits.
    pub fn read(&self, owner: Owner, timeout: Timeout, _gfp: Gfp) -> Result<(), LockError> {
        if self.state.with(|s| self.read_now(s, owner, true))? {
            return Ok(());
        }
        let waited = deadlock::checked(owner, &self.held, timeout, || {
            self.state
                .wait_until(timeout, |s| {
                    let free = self.writer() == 0 && (s.writers_waiting == 0 || s.admitted > 0);
                    if free {
                        s.admitted = s.admitted.saturating_sub(1);
                        s.readers.push((owner.token(), 1));
                    }
                    free
                })
                .map_err(LockError::Wait)
        });
        self.state.update(|s| {
            s.readers_waiting -= 1;
            if waited.is_err() && s.admitted > s.readers_waiting {
                s.admitted = s.readers_waiting;
            }
        });
        waited
    }

    /// Takes a read lock if that needs no wait.
    pub fn try_read(&self, owner: Owner, _gfp: Gfp) -> Result<bool, LockError> {
        self.state.with(|s| self.read_now(s, owner, false))
    }

    fn may_write(&self, s: &State) -> bool {
        self.writer() == 0 && s.readers.is_empty() && s.admitted == 0
    }

    /// Takes the write lock, waiting at most `timeout` while others hold it.
    pub fn write(&self, owner: Owner, timeout: Timeout) -> Result<(), LockError> {
        let now = self.state.with(|s| {
            if self.writer() == owner.token() || s.reader(owner).is_some() {
                return Err(LockError::Deadlock);
            }
            if self.may_write(s) {
                self.held.word().store(owner.token(), Ordering::SeqCst);
                return Ok(true);
            }
            s.writers_waiting += 1;
            Ok(false)
        })?;
        if now {
            return Ok(());
        }
        let waited = deadlock::checked(owner, &self.held, timeout, || {
            self.state
                .wait_until(timeout, |s| {
                    let free = self.may_write(s);
                    if free {
                        self.held.word().store(owner.token(), Ordering::SeqCst);
                    }
                    free
                })
                .map_err(LockError::Wait)
        });
        self.state.update(|s| s.writers_waiting -= 1);
        waited
    }

    /// Takes the write lock if that needs no wait.
    pub fn try_write(&self, owner: Owner) -> bool {
        self.state.with(|s| {
            if s.reader(owner).is_some() || !self.may_write(s) {
                return false;
            }
            self.held.word().store(owner.token(), Ordering::SeqCst);
            true
        })
    }

    /// Gives back one of `owner`'s read locks.
    pub fn read_unlock(&self, owner: Owner) -> Result<(), UnlockError> {
        self.state.update(|s| {
            let at = s
                .readers
                .iter()
                .position(|r| r.0 == owner.token())
                .ok_or(UnlockError::NotLocked)?;
            s.readers[at].1 -= 1;
            if s.readers[at].1 == 0 {
                s.readers.swap_remove(at);
            }
            Ok(())
        })
    }

    /// Gives back `owner`'s write lock; the readers waiting go in first.
    pub fn write_unlock(&self, owner: Owner) -> Result<(), UnlockError> {
        self.state.update(|s| {
            match self.writer() {
                0 => return Err(UnlockError::NotLocked),
                writer if writer != owner.token() => return Err(UnlockError::NotOwner),
                _ => {}
            }
            self.held.word().store(0, Ordering::SeqCst);
            s.admitted = s.readers_waiting;
            Ok(())
        })
    }

    /// Closes it: every waiter, now and later, gives up with `Closed`.
    pub fn close(&self) {
        self.state.close();
    }

    /// Whether it was closed.
    pub fn is_closed(&self) -> bool {
        self.state.is_closed()
    }

    /// How many read locks `owner` holds.
    pub fn reads_held(&self, owner: Owner) -> u32 {
        self.state.with(|s| s.reader(owner).map_or(0, |r| r.1))
    }

    /// How many owners hold read locks.
    pub fn readers(&self) -> u32 {
        self.state
            .with(|s| u32::try_from(s.readers.len()).unwrap_or(u32::MAX))
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

    /// No kernel wait queue here.
    pub fn wait_heads(&self) -> [*mut std::ffi::c_void; 2] {
        [std::ptr::null_mut(); 2]
    }

    /// Its name in deadlock reports.
    pub fn name(&self) -> LockName {
        self.held.name()
    }
}
