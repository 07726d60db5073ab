// SPDX-License-Identifier: GPL-2.0

//! A condition variable, waited on with a [`Mutex`] held, as with POSIX's
//! `pthread_cond_wait`.

use core::ptr;
use kernel::bindings;
use kernel::init::PinInit;
use kernel::prelude::pin_data;

use super::waitqueue::{lock_class, LockClass, WaitQueue, Waiter};
use super::{CondError, LockError, Mutex, Owner, Timeout, WaitError};

static CLASS: LockClass = lock_class!("luasync_condition");

/// One waiter, on its own stack, linked in the condition's list from before it releases
/// the mutex until it is signalled (the signaller unlinks it) or gives up (it unlinks
/// itself). Every field is read and written under the condition's lock only.
struct Node {
    /// Set by the signaller that unlinked it.
    signalled: bool,
    /// The waiting task, which the signaller wakes.
    task: *mut bindings::task_struct,
    prev: *mut Node,
    next: *mut Node,
}

/// The waiters, oldest first.
struct Waiters {
    head: *mut Node,
    tail: *mut Node,
    len: u32,
}

// SAFETY: the nodes are only reached under the condition's lock, whatever the thread; each
// belongs to a waiter that unlinks it (or sees it unlinked) under that lock before its
// frame ends.
unsafe impl Send for Waiters {}

impl Waiters {
    /// Links `node` last.
    ///
    /// # Safety
    ///
    /// `node` must be valid and unlinked, and stay in place until it is unlinked.
    unsafe fn push(&mut self, node: *mut Node) {
        // SAFETY: the caller guarantees `node`; the linked nodes are valid.
        unsafe {
            (*node).prev = self.tail;
            (*node).next = ptr::null_mut();
            match self.tail.as_mut() {
                Some(tail) => tail.next = node,
                None => self.head = node,
            }
        }
        self.tail = node;
        self.len = self.len.saturating_add(1);
    }

    /// Unlinks `node`.
    ///
    /// # Safety
    ///
    /// `node` must be linked here.
    unsafe fn unlink(&mut self, node: *mut Node) {
        // SAFETY: `node` and its neighbours are linked here, so valid.
        unsafe {
            let (prev, next) = ((*node).prev, (*node).next);
            match prev.as_mut() {
                Some(prev) => prev.next = next,
                None => self.head = next,
            }
            match next.as_mut() {
                Some(next) => next.prev = prev,
                None => self.tail = prev,
            }
            (*node).prev = ptr::null_mut();
            (*node).next = ptr::null_mut();
        }
        self.len = self.len.saturating_sub(1);
    }

    /// Unlinks the oldest waiter, marks it signalled and wakes it; whether there was one.
    fn signal_first(&mut self) -> bool {
        let node = self.head;
        if node.is_null() {
            return false;
        }
        // SAFETY: `node` is linked here, so valid; its waiter cannot leave before this lock
        // is released (it unlinks itself, or sees the flag, under this lock), so its task is
        // alive. Waking a task that is not asleep does nothing.
        unsafe {
            self.unlink(node);
            (*node).signalled = true;
            bindings::wake_up_process((*node).task);
        }
        true
    }
}

/// A condition variable. `wait` links the caller in the condition's list before it
/// releases the mutex, so a signal sent at any time after the release reaches it; a signal
/// sent when nobody waits is lost, as with POSIX condition variables. `signal` wakes the
/// oldest waiter, `broadcast` every waiter; neither sleeps.
#[pin_data]
pub struct Condition {
    #[pin]
    queue: WaitQueue<Waiters>,
}

impl Condition {
    /// An initialiser for a condition nobody waits on.
    pub fn new() -> impl PinInit<Self> {
        kernel::pin_init!(Self {
            queue <- WaitQueue::new(
                Waiters {
                    head: ptr::null_mut(),
                    tail: ptr::null_mut(),
                    len: 0,
                },
                &CLASS
            ),
        })
    }

    /// Initialises a condition in place.
    ///
    /// # Safety
    ///
    /// `slot` must be valid for writes and aligned for `Self`, and the condition must not
    /// move until it is dropped with `ptr::drop_in_place`.
    pub unsafe fn init_at(slot: *mut Self) {
        // SAFETY: the caller's guarantees are those of `init_in_place`.
        unsafe { super::init_in_place(slot, Self::new()) }
    }

    /// Wakes the oldest waiter, if any. Never sleeps.
    pub fn signal(&self) {
        self.queue.lock().signal_first();
    }

    /// Wakes every waiter. Never sleeps.
    pub fn broadcast(&self) {
        let mut waiters = self.queue.lock();
        while waiters.signal_first() {}
    }

    /// How many tasks wait on it.
    pub fn waiters(&self) -> u32 {
        self.queue.with(|waiters| waiters.len)
    }

    /// Releases `mutex`, which `owner` must hold (every level of a recursive hold), waits
    /// at most `timeout` for a signal, then takes the mutex back, as deep as it was, without
    /// a timeout.
    ///
    /// The mutex is held again when this returns `Ok` or [`CondError::Wait`] (timeout, the
    /// condition closed), and not held with [`CondError::Lost`]: the wait was interrupted
    /// (the caller must return, so the mutex is not waited for), the mutex was closed, or
    /// taking it back was interrupted or would have closed a cycle of waits.
    pub fn wait(&self, mutex: &Mutex, owner: Owner, timeout: Timeout) -> Result<(), CondError> {
        if !mutex.owner_is(owner) {
            return Err(CondError::NotHeld);
        }
        if self.queue.is_closed() {
            return Err(CondError::Wait(WaitError::Closed));
        }
        let mut node = Node {
            signalled: false,
            // SAFETY: reads the current task pointer; no preconditions.
            task: unsafe { bindings::get_current() },
            prev: ptr::null_mut(),
            next: ptr::null_mut(),
        };
        // From here on the node is only reached through this pointer, under the lock.
        let node: *mut Node = &mut node;
        // SAFETY: the node stays on this frame and is unlinked below, under the lock,
        // before the frame ends.
        unsafe { self.queue.lock().push(node) };
        // Linked before the release: a signal sent after it finds the node.
        let depth = match mutex.unlock_all(owner) {
            Ok(depth) => depth,
            Err(_) => {
                // SAFETY: linked just above, and only a signaller unlinks it otherwise.
                unsafe { self.unlink_unsignalled(node) };
                return Err(CondError::NotHeld);
            }
        };
        let watch = Waiter::uninit();
        // SAFETY: `watch` stays on this frame and is taken off below.
        unsafe { mutex.watch(&watch) };
        let mut mutex_closed = false;
        let waited = {
            let mut waiters = self.queue.lock();
            let waited = waiters.wait_until(timeout, |_| {
                // SAFETY: the lock is held; the node is valid until this frame ends.
                if unsafe { (*node).signalled } {
                    return true;
                }
                mutex_closed = mutex.closed_for_watcher();
                mutex_closed
            });
            // SAFETY: as above; a node that was not signalled is still linked.
            if !unsafe { (*node).signalled } {
                // SAFETY: it is linked here.
                unsafe { waiters.unlink(node) };
            }
            waited
        };
        // SAFETY: queued by `watch` above.
        unsafe { mutex.unwatch(&watch) };
        if mutex_closed {
            return Err(CondError::Lost(LockError::Wait(WaitError::Closed)));
        }
        if waited == Err(WaitError::Interrupted) {
            return Err(CondError::Lost(LockError::Wait(WaitError::Interrupted)));
        }
        mutex
            .lock_at(owner, depth, Timeout::Infinite)
            .map_err(CondError::Lost)?;
        waited.map_err(CondError::Wait)
    }

    /// Unlinks a node that no signaller took.
    ///
    /// # Safety
    ///
    /// `node` must be linked in this condition's list, or have been signalled.
    unsafe fn unlink_unsignalled(&self, node: *mut Node) {
        let mut waiters = self.queue.lock();
        // SAFETY: the lock is held and the node is valid.
        if !unsafe { (*node).signalled } {
            // SAFETY: not signalled, so still linked.
            unsafe { waiters.unlink(node) };
        }
    }

    /// Closes it: every waiter, now and later, gives up with [`WaitError::Closed`] (and
    /// takes its mutex back). Never sleeps.
    pub fn close(&self) {
        self.queue.close();
    }

    /// Whether it was closed.
    pub fn is_closed(&self) -> bool {
        self.queue.is_closed()
    }

    /// Its kernel wait queue heads (null: none), for the port's debugfs view.
    pub fn wait_heads(&self) -> [*mut core::ffi::c_void; 2] {
        [self.queue.head(), core::ptr::null_mut()]
    }
}
