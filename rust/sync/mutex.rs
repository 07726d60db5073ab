// SPDX-License-Identifier: GPL-2.0

//! A sleeping lock owned by an opaque token rather than by a task.

use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use kernel::init::PinInit;
use kernel::prelude::pin_data;

use super::waitqueue::{lock_class, LockClass, WaitQueue};
use super::{LockError, Owner, Timeout, UnlockError};

static CLASS: LockClass = lock_class!("luasync_mutex");

/// A sleeping mutual-exclusion lock held by an [`Owner`] token, optionally recursive.
///
/// Uncontended lock and unlock are one atomic operation each, as with the kernel's
/// `struct mutex`; the queue's lock is taken only to wait or to wake. Unlock wakes exactly
/// one waiter; a waiter that times out or is interrupted never takes a handoff meant for
/// another with it (see `waitqueue`).
#[pin_data]
pub struct Mutex {
    /// The holder's token, or 0 when free. Taken with a compare-and-swap, without the
    /// queue's lock when nobody waits.
    owner: AtomicUsize,
    /// How many times the holder locked it; only the holder changes it.
    depth: AtomicU32,
    recursive: bool,
    #[pin]
    queue: WaitQueue<()>,
}

impl Mutex {
    /// An initialiser for an unlocked mutex.
    pub fn new(recursive: bool) -> impl PinInit<Self> {
        kernel::pin_init!(Self {
            owner: AtomicUsize::new(0),
            depth: AtomicU32::new(0),
            recursive,
            queue <- WaitQueue::new((), &CLASS),
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

    /// Takes the mutex for `owner` if it is free.
    fn acquire(&self, owner: Owner) -> bool {
        let taken = self
            .owner
            .compare_exchange(0, owner.token(), Ordering::SeqCst, Ordering::SeqCst)
            .is_ok();
        if taken {
            self.depth.store(1, Ordering::Relaxed);
        }
        taken
    }

    /// For the holder locking again: one level deeper if the mutex is recursive, else (or
    /// at the depth limit) `Deadlock`, since waiting would never end.
    fn relock(&self) -> Result<(), LockError> {
        if !self.recursive {
            return Err(LockError::Deadlock);
        }
        let depth = self.depth.load(Ordering::Relaxed);
        match depth.checked_add(1) {
            Some(deeper) => {
                self.depth.store(deeper, Ordering::Relaxed);
                Ok(())
            }
            None => Err(LockError::Deadlock),
        }
    }

    /// Locks for `owner`, sleeping at most `timeout` while another owner holds it.
    pub fn lock(&self, owner: Owner, timeout: Timeout) -> Result<(), LockError> {
        if self.acquire(owner) {
            return Ok(());
        }
        if self.owner_is(owner) {
            return self.relock();
        }
        // The caller does not hold the mutex and cannot come to hold it while it waits, so
        // only `acquire` can end the wait.
        self.queue
            .lock()
            .wait_until(timeout, |()| self.acquire(owner))
            .map_err(LockError::Wait)
    }

    /// Locks for `owner` if that needs no sleep: the mutex is free, or `owner` holds this
    /// recursive mutex. Never sleeps.
    pub fn try_lock(&self, owner: Owner) -> bool {
        self.acquire(owner) || (self.owner_is(owner) && self.relock().is_ok())
    }

    /// Releases one level of `owner`'s hold; the last one frees the mutex and wakes one
    /// waiter. Never sleeps.
    pub fn unlock(&self, owner: Owner) -> Result<(), UnlockError> {
        match self.owner.load(Ordering::SeqCst) {
            0 => return Err(UnlockError::NotLocked),
            holder if holder != owner.token() => return Err(UnlockError::NotOwner),
            _ => {}
        }
        let depth = self.depth.load(Ordering::Relaxed).saturating_sub(1);
        self.depth.store(depth, Ordering::Relaxed);
        if depth == 0 {
            self.owner.store(0, Ordering::SeqCst);
            self.queue.wake_waiters(Some(1));
        }
        Ok(())
    }

    /// Closes it: every waiter, now and later, gives up with [`WaitError::Closed`](super::WaitError::Closed) unless
    /// what it waits for is there. Never sleeps.
    pub fn close(&self) {
        self.queue.close();
    }

    /// Its kernel wait queue heads (null: none), for the port's debugfs view.
    pub fn wait_heads(&self) -> [*mut core::ffi::c_void; 2] {
        [self.queue.head(), core::ptr::null_mut()]
    }

    /// Whether it was closed.
    pub fn is_closed(&self) -> bool {
        self.queue.is_closed()
    }

    /// Its queue, for `wait_any`.
    pub(crate) fn queue(&self) -> &dyn super::waitqueue::Queue {
        &self.queue
    }

    /// Who holds the mutex and how deep, if anyone does (a snapshot, for display).
    pub fn holder(&self) -> Option<(Owner, u32)> {
        let token = core::num::NonZeroUsize::new(self.owner.load(Ordering::SeqCst))?;
        Some((Owner::new(token), self.depth.load(Ordering::Relaxed)))
    }

    /// Whether anyone holds the mutex.
    pub fn is_locked(&self) -> bool {
        self.owner.load(Ordering::SeqCst) != 0
    }

    /// Whether `owner` holds the mutex.
    pub fn owner_is(&self, owner: Owner) -> bool {
        self.owner.load(Ordering::SeqCst) == owner.token()
    }

    /// Whether the mutex was created recursive.
    pub fn is_recursive(&self) -> bool {
        self.recursive
    }
}
