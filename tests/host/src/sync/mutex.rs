//! Mutex double: a lock owned by an opaque token, with the kernel module's deadlock
//! detection.

use super::cycle::{Held, LockKind, LockName};
use super::deadlock;
use super::waitcell::WaitCell;
use super::{LockError, Owner, Timeout, UnlockError};

/// What the cell's lock guards besides the holder word, which changes only under it.
struct State {
    depth: u32,
    recursive: bool,
}

/// A sleeping lock owned by a token.
pub struct Mutex {
    held: Held,
    state: WaitCell<State>,
}

impl Mutex {
    /// Initialises a mutex in place.
    ///
    /// # Safety
    ///
    /// As `Completion::init_at`.
    pub unsafe fn init_at(slot: *mut Self, recursive: bool) {
        // SAFETY: the caller guarantees `slot` is valid and aligned for writes.
        unsafe {
            slot.write(Self {
                held: Held::new(LockKind::Mutex),
                state: WaitCell::new(State {
                    depth: 0,
                    recursive,
                }),
            })
        }
    }

    /// Takes it for `owner` if it is free, or one level deeper for its recursive holder.
    fn try_take(&self, s: &mut State, owner: Owner) -> Result<bool, LockError> {
        match self.held.owner() {
            0 => {
                self.held
                    .word()
                    .store(owner.token(), std::sync::atomic::Ordering::SeqCst);
                s.depth = 1;
                Ok(true)
            }
            holder if holder == owner.token() => {
                if !s.recursive || s.depth == u32::MAX {
                    return Err(LockError::Deadlock);
                }
                s.depth += 1;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Locks for `owner`, waiting at most `timeout` while another owner holds it; fails
    /// with `Cycle` instead of sleeping in a cycle of waits.
    pub fn lock(&self, owner: Owner, timeout: Timeout) -> Result<(), LockError> {
        if self.state.with(|s| self.try_take(s, owner))? {
            return Ok(());
        }
        deadlock::checked(owner, &self.held, timeout, || {
            self.state
                .wait_until(timeout, |s| matches!(self.try_take(s, owner), Ok(true)))
                .map_err(LockError::Wait)
        })
    }

    /// Locks for `owner`, who does not hold it, then sets the depth of its hold.
    pub fn lock_at(&self, owner: Owner, depth: u32, timeout: Timeout) -> Result<(), LockError> {
        if self.owner_is(owner) {
            return Err(LockError::Deadlock);
        }
        self.lock(owner, timeout)?;
        self.state.with(|s| s.depth = depth.max(1));
        Ok(())
    }

    /// Locks if that needs no wait.
    pub fn try_lock(&self, owner: Owner) -> bool {
        self.state
            .with(|s| matches!(self.try_take(s, owner), Ok(true)))
    }

    fn check_holder(&self, owner: Owner) -> Result<(), UnlockError> {
        match self.held.owner() {
            0 => Err(UnlockError::NotLocked),
            holder if holder != owner.token() => Err(UnlockError::NotOwner),
            _ => Ok(()),
        }
    }

    /// Releases one level of `owner`'s hold.
    pub fn unlock(&self, owner: Owner) -> Result<(), UnlockError> {
        self.state.update(|s| {
            self.check_holder(owner)?;
            s.depth = s.depth.saturating_sub(1);
            if s.depth == 0 {
                self.held
                    .word()
                    .store(0, std::sync::atomic::Ordering::SeqCst);
            }
            Ok(())
        })
    }

    /// Releases every level of `owner`'s hold; how deep it was.
    pub fn unlock_all(&self, owner: Owner) -> Result<u32, UnlockError> {
        self.state.update(|s| {
            self.check_holder(owner)?;
            let depth = s.depth.max(1);
            s.depth = 0;
            self.held
                .word()
                .store(0, std::sync::atomic::Ordering::SeqCst);
            Ok(depth)
        })
    }

    /// Closes it: every waiter, now and later, gives up with `Closed` unless what it
    /// waits for is there.
    pub fn close(&self) {
        self.state.close();
    }

    /// No kernel wait queue here.
    pub fn wait_heads(&self) -> [*mut std::ffi::c_void; 2] {
        [std::ptr::null_mut(); 2]
    }

    /// Whether it was closed.
    pub fn is_closed(&self) -> bool {
        self.state.is_closed()
    }

    /// Who holds the mutex and how deep, if anyone does.
    pub fn holder(&self) -> Option<(Owner, u32)> {
        self.state.with(|st| {
            std::num::NonZeroUsize::new(self.held.owner()).map(|o| (Owner::new(o), st.depth))
        })
    }

    /// Whether anyone holds the mutex.
    pub fn is_locked(&self) -> bool {
        self.held.owner() != 0
    }

    /// Whether `owner` holds it.
    pub fn owner_is(&self, owner: Owner) -> bool {
        self.held.owner() == owner.token()
    }

    /// Whether it was created recursive.
    pub fn is_recursive(&self) -> bool {
        self.state.with(|s| s.recursive)
    }

    /// Its name in deadlock reports.
    pub fn name(&self) -> LockName {
        self.held.name()
    }
}
