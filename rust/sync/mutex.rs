// SPDX-License-Identifier: GPL-2.0

//! A sleeping lock owned by an opaque token rather than by a task.

use kernel::prelude::pin_data;
use core::num::NonZeroUsize;
use kernel::init::PinInit;

use super::waitqueue::{lock_class, LockClass, WaitQueue};
use super::{Timeout, WaitError};

static CLASS: LockClass = lock_class!("luasync_mutex");

/// Who holds a [`Mutex`]: an opaque non-zero token chosen by the caller (the Lua layer
/// passes its runtime), so a lock taken in one call can be released in a later call with
/// the same token, even from another task. The kernel's `struct mutex` forbids that, which
/// is why this is not a `struct mutex`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Owner(NonZeroUsize);

impl Owner {
    /// Wraps a token.
    pub fn new(token: NonZeroUsize) -> Self {
        Self(token)
    }
}

/// Why [`Mutex::lock`] failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockError {
    /// The caller already holds this non-recursive mutex (or a recursive one at its depth
    /// limit): waiting would never end.
    Deadlock,
    /// The wait ended without the lock.
    Wait(WaitError),
}

/// Why [`Mutex::unlock`] failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnlockError {
    /// Another owner holds the mutex.
    NotOwner,
    /// Nobody holds the mutex.
    NotLocked,
}

struct State {
    owner: Option<Owner>,
    depth: u32,
    recursive: bool,
}

impl State {
    /// Takes the lock for `owner` if it is free, or deepens a recursive hold. `Err` when
    /// `owner` already holds it and may not lock again; `Ok(false)` when another holds it.
    fn try_take(&mut self, owner: Owner) -> Result<bool, LockError> {
        match self.owner {
            None => {
                self.owner = Some(owner);
                self.depth = 1;
                Ok(true)
            }
            Some(holder) if holder == owner => match self.depth.checked_add(1) {
                Some(depth) if self.recursive => {
                    self.depth = depth;
                    Ok(true)
                }
                _ => Err(LockError::Deadlock),
            },
            Some(_) => Ok(false),
        }
    }
}

/// A sleeping mutual-exclusion lock held by an [`Owner`] token, optionally recursive.
///
/// Unlock wakes exactly one waiter; a waiter that times out or is interrupted never takes
/// a handoff meant for another with it (see `waitqueue`).
#[pin_data]
pub struct Mutex {
    #[pin]
    queue: WaitQueue<State>,
}

impl Mutex {
    /// An initialiser for an unlocked mutex.
    pub fn new(recursive: bool) -> impl PinInit<Self> {
        let state = State {
            owner: None,
            depth: 0,
            recursive,
        };
        kernel::pin_init!(Self {
            queue <- WaitQueue::new(state, &CLASS),
        })
    }

    /// Initialises an unlocked mutex in place.
    ///
    /// # Safety
    ///
    /// `slot` must be valid for writes and aligned for `Self`, and the mutex must not move
    /// until it is dropped with `ptr::drop_in_place`.
    pub unsafe fn init_at(slot: *mut Self, recursive: bool) {
        // SAFETY: the caller's guarantees are those of `init_in_place`.
        unsafe { super::init_in_place(slot, Self::new(recursive)) }
    }

    /// Locks for `owner`, sleeping at most `timeout` while another owner holds it.
    pub fn lock(&self, owner: Owner, timeout: Timeout) -> Result<(), LockError> {
        let mut state = self.queue.lock();
        match state.try_take(owner) {
            Ok(true) => return Ok(()),
            Ok(false) => {}
            Err(e) => return Err(e),
        }
        // From here on the caller is not the holder, and cannot become it while it waits,
        // so `try_take` can only succeed or report "held by another".
        state
            .wait_until(timeout, |s| matches!(s.try_take(owner), Ok(true)))
            .map_err(LockError::Wait)
    }

    /// Locks for `owner` if that needs no sleep: the mutex is free, or `owner` holds this
    /// recursive mutex. Never sleeps.
    pub fn try_lock(&self, owner: Owner) -> bool {
        self.queue.with(|s| matches!(s.try_take(owner), Ok(true)))
    }

    /// Releases one level of `owner`'s hold; the last one frees the mutex and wakes one
    /// waiter. Never sleeps.
    pub fn unlock(&self, owner: Owner) -> Result<(), UnlockError> {
        let mut state = self.queue.lock();
        match state.owner {
            None => return Err(UnlockError::NotLocked),
            Some(holder) if holder != owner => return Err(UnlockError::NotOwner),
            Some(_) => {}
        }
        state.depth = state.depth.saturating_sub(1);
        if state.depth == 0 {
            state.owner = None;
            state.wake(Some(1));
        }
        Ok(())
    }

    /// Whether anyone holds the mutex.
    pub fn is_locked(&self) -> bool {
        self.queue.with(|s| s.owner.is_some())
    }

    /// Whether `owner` holds the mutex.
    pub fn owner_is(&self, owner: Owner) -> bool {
        self.queue.with(|s| s.owner == Some(owner))
    }

    /// Whether the mutex was created recursive.
    pub fn is_recursive(&self) -> bool {
        self.queue.with(|s| s.recursive)
    }
}
