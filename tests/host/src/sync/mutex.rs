//! Mutex double: a lock owned by an opaque token.

use super::waitcell::WaitCell;
use super::{LockError, Owner, Timeout, UnlockError};

struct State {
    owner: Option<Owner>,
    depth: u32,
    recursive: bool,
}

impl State {
    fn try_take(&mut self, owner: Owner) -> Result<bool, LockError> {
        match self.owner {
            None => {
                self.owner = Some(owner);
                self.depth = 1;
                Ok(true)
            }
            Some(holder) if holder == owner => {
                if !self.recursive || self.depth == u32::MAX {
                    return Err(LockError::Deadlock);
                }
                self.depth += 1;
                Ok(true)
            }
            Some(_) => Ok(false),
        }
    }
}

/// A sleeping lock owned by a token.
pub struct Mutex {
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
                state: WaitCell::new(State {
                    owner: None,
                    depth: 0,
                    recursive,
                }),
            })
        }
    }

    /// Locks for `owner`, waiting at most `timeout` while another owner holds it.
    pub fn lock(&self, owner: Owner, timeout: Timeout) -> Result<(), LockError> {
        if self.state.with(|s| s.try_take(owner))? {
            return Ok(());
        }
        self.state
            .wait_until(timeout, |s| matches!(s.try_take(owner), Ok(true)))
            .map_err(LockError::Wait)
    }

    /// Locks if that needs no wait.
    pub fn try_lock(&self, owner: Owner) -> bool {
        self.state.with(|s| matches!(s.try_take(owner), Ok(true)))
    }

    /// Releases one level of `owner`'s hold.
    pub fn unlock(&self, owner: Owner) -> Result<(), UnlockError> {
        self.state.update(|s| match s.owner {
            None => Err(UnlockError::NotLocked),
            Some(holder) if holder != owner => Err(UnlockError::NotOwner),
            Some(_) => {
                s.depth = s.depth.saturating_sub(1);
                if s.depth == 0 {
                    s.owner = None;
                }
                Ok(())
            }
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
        self.state.with(|st| st.owner.map(|o| (o, st.depth)))
    }

    /// Whether anyone holds the mutex.
    pub fn is_locked(&self) -> bool {
        self.state.with(|s| s.owner.is_some())
    }

    /// Whether `owner` holds it.
    pub fn owner_is(&self, owner: Owner) -> bool {
        self.state.with(|s| s.owner == Some(owner))
    }

    /// Whether it was created recursive.
    pub fn is_recursive(&self) -> bool {
        self.state.with(|s| s.recursive)
    }
}
