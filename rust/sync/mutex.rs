// SPDX-License-Identifier: GPL-2.0

//! A sleeping lock owned by an opaque token rather than by a task.

use core::sync::atomic::{AtomicU32, Ordering};
use kernel::init::PinInit;
use kernel::prelude::pin_data;

use super::cycle::{Held, LockKind, LockName};
use super::deadlock;
use super::waitqueue::{lock_class, LockClass, WaitQueue, Waiter};
use super::{LockError, Owner, Timeout, UnlockError};

static CLASS: LockClass = lock_class!("luasync_mutex");

/// A sleeping mutual-exclusion lock held by an [`Owner`] token, optionally recursive.
///
/// Uncontended lock and unlock are one atomic operation each, as with the kernel's
/// `struct mutex`; the queue's lock is taken only to wait or to wake. Unlock wakes exactly
/// one waiter; a waiter that times out or is interrupted never takes a handoff meant for
/// another with it (see `waitqueue`). Before sleeping, a waiter checks that its wait does
/// not close a cycle of waits (see `deadlock`).
#[pin_data]
pub struct Mutex {
    /// The holder's token, or 0 when free, and the mutex's name. Taken with a
    /// compare-and-swap, without the queue's lock when nobody waits.
    held: Held,
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
            held: Held::new(LockKind::Mutex),
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
            .held
            .word()
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

    /// Locks for `owner`, sleeping at most `timeout` while another owner holds it. Before
    /// sleeping, fails with `Cycle` if the holder, or the holder of what it waits for, and
    /// so on, comes back to `owner`.
    pub fn lock(&self, owner: Owner, timeout: Timeout) -> Result<(), LockError> {
        if self.acquire(owner) {
            return Ok(());
        }
        if self.owner_is(owner) {
            return self.relock();
        }
        self.wait(owner, timeout)
    }

    /// The slow path of `lock`, for an `owner` that does not hold the mutex and cannot come
    /// to hold it while it waits, so that only `acquire` can end the wait.
    fn wait(&self, owner: Owner, timeout: Timeout) -> Result<(), LockError> {
        let mut guard = self.queue.lock();
        if self.acquire(owner) {
            return Ok(());
        }
        deadlock::checked(owner, &self.held, timeout, || {
            guard
                .wait_until(timeout, |()| self.acquire(owner))
                .map_err(LockError::Wait)
        })
    }

    /// Locks for `owner`, who does not hold it, as `lock` does, then sets the depth of its
    /// hold to `depth` (at least 1): what [`Mutex::unlock_all`] gave back.
    pub fn lock_at(&self, owner: Owner, depth: u32, timeout: Timeout) -> Result<(), LockError> {
        if self.owner_is(owner) {
            return Err(LockError::Deadlock);
        }
        if !self.acquire(owner) {
            self.wait(owner, timeout)?;
        }
        self.depth.store(depth.max(1), Ordering::Relaxed);
        Ok(())
    }

    /// Locks for `owner` if that needs no sleep: the mutex is free, or `owner` holds this
    /// recursive mutex. Never sleeps.
    pub fn try_lock(&self, owner: Owner) -> bool {
        self.acquire(owner) || (self.owner_is(owner) && self.relock().is_ok())
    }

    /// Checks that `owner` holds the mutex.
    fn check_holder(&self, owner: Owner) -> Result<(), UnlockError> {
        match self.held.owner() {
            0 => Err(UnlockError::NotLocked),
            holder if holder != owner.token() => Err(UnlockError::NotOwner),
            _ => Ok(()),
        }
    }

    /// Frees the mutex and wakes one waiter.
    fn release(&self) {
        self.depth.store(0, Ordering::Relaxed);
        self.held.word().store(0, Ordering::SeqCst);
        self.queue.wake_waiters(Some(1));
    }

    /// Releases one level of `owner`'s hold; the last one frees the mutex and wakes one
    /// waiter. Never sleeps.
    pub fn unlock(&self, owner: Owner) -> Result<(), UnlockError> {
        self.check_holder(owner)?;
        let depth = self.depth.load(Ordering::Relaxed).saturating_sub(1);
        if depth == 0 {
            self.release();
        } else {
            self.depth.store(depth, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Releases every level of `owner`'s hold at once, freeing the mutex and waking one
    /// waiter, and returns how deep the hold was. Never sleeps.
    pub fn unlock_all(&self, owner: Owner) -> Result<u32, UnlockError> {
        self.check_holder(owner)?;
        let depth = self.depth.load(Ordering::Relaxed).max(1);
        self.release();
        Ok(depth)
    }

    /// Closes it: every waiter, now and later, gives up with
    /// [`WaitError::Closed`](super::WaitError::Closed) unless what it waits for is there.
    /// Never sleeps.
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

    /// Queues the current task with `entry` to be woken when the mutex is closed (and by
    /// its other wake-ups), without waiting for it. Never sleeps.
    ///
    /// # Safety
    ///
    /// As [`WaitQueue::watch`].
    pub(crate) unsafe fn watch(&self, entry: &Waiter) {
        // SAFETY: as the caller guarantees.
        unsafe { self.queue.watch(entry) }
    }

    /// Whether it was closed, read by a task that watches it ([`Mutex::watch`]) while it
    /// waits on another queue: see [`WaitQueue::closed_for_watcher`].
    pub(crate) fn closed_for_watcher(&self) -> bool {
        self.queue.closed_for_watcher()
    }

    /// Takes back an entry of [`Mutex::watch`]. Never sleeps.
    ///
    /// # Safety
    ///
    /// As [`WaitQueue::unwatch`].
    pub(crate) unsafe fn unwatch(&self, entry: &Waiter) {
        // SAFETY: as the caller guarantees.
        unsafe { self.queue.unwatch(entry) }
    }

    /// Who holds the mutex and how deep, if anyone does (a snapshot, for display).
    pub fn holder(&self) -> Option<(Owner, u32)> {
        let token = core::num::NonZeroUsize::new(self.held.owner())?;
        Some((Owner::new(token), self.depth.load(Ordering::Relaxed)))
    }

    /// Whether anyone holds the mutex.
    pub fn is_locked(&self) -> bool {
        self.held.owner() != 0
    }

    /// Whether `owner` holds the mutex.
    pub fn owner_is(&self, owner: Owner) -> bool {
        self.held.owner() == owner.token()
    }

    /// Whether the mutex was created recursive.
    pub fn is_recursive(&self) -> bool {
        self.recursive
    }

    /// Its name in deadlock reports: "mutex" and a number no other mutex has.
    pub fn name(&self) -> LockName {
        self.held.name()
    }
}
