// SPDX-License-Identifier: GPL-2.0

//! A wait queue whose spinlock also guards the state of the primitive built on it.
//!
//! Every primitive in this module is a [`WaitQueue`] around its own small state: the
//! queue's spinlock (taken with interrupts saved, so the non-sleeping operations work in
//! any context) protects both the state and the list of waiters. A waiter re-checks its
//! condition under that lock after every wake-up and leaves the queue under the same lock
//! hold in which it finds the condition false, so:
//!
//! - a waker that changed the state and woke a waiter cannot lose that wake-up: either the
//!   waiter sees the change when it re-takes the lock, or it had already left the queue
//!   and the wake-up went to the next waiter;
//! - a waiter that times out or is interrupted only gives up when the condition is false,
//!   so it never swallows a count, a completion or a lock handoff meant for another.
//!
//! A wait ends in the kernel's order (`do_wait_for_common`): what it waits for first, then
//! the queue being closed ([`WaitQueue::close`]: nothing will ever come), then a pending
//! signal or stop, then the timeout. So a poll (timeout 0) of a stopped thread answers
//! "interrupted".
//!
//! A primitive may also keep its state in atomics and change it without the lock (the
//! uncontended fast paths of the mutex and the semaphore). Its waker then makes the change
//! first and calls [`WaitQueue::wake_waiters`], which reads the queue's waiter count; a
//! waiter counts itself in before its first `take`. Both sides use sequentially consistent
//! operations, so either the waker sees the waiter counted in and takes the lock to wake
//! it, or the waiter's `take` sees the change: no wake-up falls between the two.

use core::cell::UnsafeCell;
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{fence, AtomicBool, AtomicU32, Ordering};
use kernel::prelude::pin_data;
use kernel::{bindings, init::PinInit, pin_init, str::CStr, sync::LockClassKey, types::Opaque};

use super::timeout::{self, Deadline};
use super::{Timeout, WaitError};

extern "C" {
    fn luasync_wq_lock(wq: *mut bindings::wait_queue_head) -> kernel::ffi::c_ulong;
    fn luasync_wq_unlock(wq: *mut bindings::wait_queue_head, flags: kernel::ffi::c_ulong);
    fn luasync_wq_enqueue(wq: *mut bindings::wait_queue_head, waiter: *mut Waiter);
    fn luasync_wq_dequeue(wq: *mut bindings::wait_queue_head, waiter: *mut Waiter);
    fn luasync_wq_wake_locked(wq: *mut bindings::wait_queue_head, nr: kernel::ffi::c_int);
    fn luasync_wq_wake(
        wq: *mut bindings::wait_queue_head,
        nr: kernel::ffi::c_int,
        queued: *const u32,
    );
    fn luasync_wq_watch(wq: *mut bindings::wait_queue_head, waiter: *mut Waiter);
    fn luasync_set_current_interruptible();
    fn luasync_wq_begin(wq: *mut bindings::wait_queue_head, waiter: *mut Waiter);
    fn luasync_wq_lock_begin(wq: *mut bindings::wait_queue_head, waiter: *mut Waiter);
    fn luasync_wq_leave_unlock(wq: *mut bindings::wait_queue_head, waiter: *mut Waiter);
    fn luasync_set_current_running();
    fn luasync_current_should_abort() -> bool;
    fn luasync_sleep(deadline: *mut bindings::ktime_t, slack: u64);
    fn luasync_wq_round(
        wq: *mut bindings::wait_queue_head,
        deadline: *mut bindings::ktime_t,
        slack: u64,
        expired: bool,
    ) -> kernel::ffi::c_int;
    fn luasync_wq_leave(wq: *mut bindings::wait_queue_head, waiter: *mut Waiter);
}

/// A waiter on a queue: the kernel's entry, and since when it waits, in jiffies (for the
/// debugfs view). `wait_helpers.c` (`struct luasync_waiter`) lays it out the same way: the
/// same two fields, in this order.
#[repr(C)]
pub(crate) struct Waiter {
    entry: Opaque<bindings::wait_queue_entry>,
    since: Opaque<kernel::ffi::c_ulong>,
}

impl Waiter {
    /// A waiter to be queued; `luasync_wq_enqueue` or `luasync_wq_begin` initialises it.
    pub(crate) fn uninit() -> Self {
        Self {
            entry: Opaque::uninit(),
            since: Opaque::uninit(),
        }
    }

    fn get(&self) -> *mut Waiter {
        // The fields are `Opaque`: C writes them through this pointer.
        core::ptr::from_ref(self).cast_mut()
    }
}

/// The lockdep name and class of the queues of one kind of primitive.
pub(crate) struct LockClass {
    name: &'static CStr,
    key: &'static LockClassKey,
}

impl LockClass {
    /// One lockdep class per kind of primitive: all completions share one, and so on.
    pub(crate) const fn new(name: &'static CStr, key: &'static LockClassKey) -> Self {
        Self { name, key }
    }

    fn key_ptr(&self) -> *mut bindings::lock_class_key {
        // `LockClassKey` is `#[repr(transparent)]` over `Opaque<lock_class_key>`, itself
        // `#[repr(transparent)]` over the C struct, so the pointers are the same.
        core::ptr::from_ref(self.key)
            .cast::<bindings::lock_class_key>()
            .cast_mut()
    }
}

/// Declares the lockdep class of a kind of primitive.
macro_rules! lock_class {
    ($name:literal) => {
        $crate::sync::waitqueue::LockClass::new(kernel::c_str!($name), kernel::static_lock_class!())
    };
}
pub(crate) use lock_class;

/// A `struct wait_queue_head` together with the state its spinlock protects.
#[pin_data]
pub(crate) struct WaitQueue<T> {
    #[pin]
    head: Opaque<bindings::wait_queue_head>,
    state: UnsafeCell<T>,
    /// How many tasks are queued; changed under the lock, read without it.
    queued: AtomicU32,
    /// Set once, under the lock, by `close`; read under the lock.
    closed: AtomicBool,
}

// SAFETY: the state is only reached through a `Guard`, which holds the queue's spinlock;
// the queue itself is a kernel object usable from any thread. `T: Send` because the state
// is handed from one thread to another through the lock.
unsafe impl<T: Send> Send for WaitQueue<T> {}
// SAFETY: as above, all shared access to the state is serialised by the spinlock.
unsafe impl<T: Send> Sync for WaitQueue<T> {}

impl<T> WaitQueue<T> {
    /// Initialises an empty queue holding `state`, in the lockdep class `class`.
    pub(crate) fn new(state: T, class: &'static LockClass) -> impl PinInit<Self> {
        let name = class.name;
        let key = class.key_ptr();
        pin_init!(Self {
            // SAFETY: `slot` is valid for writes while the closure runs; `name` and `key` are
            // statics, so they outlive the queue as `__init_waitqueue_head` requires.
            head <- Opaque::ffi_init(|slot| unsafe {
                bindings::__init_waitqueue_head(slot, name.as_char_ptr(), key)
            }),
            state: UnsafeCell::new(state),
            queued: AtomicU32::new(0),
            closed: AtomicBool::new(false),
        })
    }

    /// Takes the queue's spinlock with interrupts saved. Never sleeps.
    pub(crate) fn lock(&self) -> Guard<'_, T> {
        // SAFETY: `head` was initialised by `new` and is pinned with `self`.
        let flags = unsafe { luasync_wq_lock(self.head.get()) };
        Guard {
            queue: self,
            flags,
            _not_send: PhantomData,
        }
    }

    /// Wakes up to `nr` waiters (all when `None`) if any is queued; for primitives that
    /// changed their atomic state without the lock. Never sleeps.
    pub(crate) fn wake_waiters(&self, nr: Option<u32>) {
        if self.queued.load(Ordering::SeqCst) != 0 {
            // SAFETY: `head` was initialised by `new` and is pinned with `self`; the helper
            // takes its lock around the wake-up, as `__wake_up_locked` requires, and reads
            // the waiter count (an `AtomicU32`, laid out as a `u32`) with `READ_ONCE` under
            // it, as `Guard::wake` does: no waiter counted, no wake-up.
            unsafe { luasync_wq_wake(self.head.get(), wake_count(nr), self.queued.as_ptr()) };
        }
    }

    /// Closes the queue: every waiter, now and later, gives up with [`WaitError::Closed`]
    /// unless what it waits for is there. Never sleeps.
    pub(crate) fn close(&self) {
        let _guard = self.lock();
        self.closed.store(true, Ordering::Relaxed);
        // Not `Guard::wake`, which skips a queue with no waiter counted: watchers are not
        // counted, and a close must reach them too.
        // SAFETY: the guard holds the queue's lock, as `__wake_up_locked` requires.
        unsafe { luasync_wq_wake_locked(self.head.get(), 0) };
    }

    /// Whether the queue was closed.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }

    /// Queues the current task with `entry` as a watcher: woken by the queue's close, and by
    /// any wake-up that finds a waiter counted, but never taking one meant for a waiter,
    /// and not counted as one (so a waker that finds no waiter does not wake it). For a task that sleeps on
    /// another queue and must also notice this one closing. Never sleeps.
    ///
    /// # Safety
    ///
    /// `entry` must stay where it is, and be given to [`WaitQueue::unwatch`] before it goes.
    pub(crate) unsafe fn watch(&self, entry: &Waiter) {
        let _guard = self.lock();
        // SAFETY: the lock is held; the caller keeps `entry` in place until `unwatch`.
        unsafe { luasync_wq_watch(self.head.get(), entry.get()) };
    }

    /// Whether the queue was closed, as a task that watches it (see [`WaitQueue::watch`])
    /// must read it while it waits on another queue: after setting its task state, for
    /// which the full barrier here stands between that store and this read. The close
    /// takes only this queue's lock, not that of the queue the watcher sleeps on, and its
    /// wake-up has the same barrier between its store and its read of the task state: so
    /// either the watcher sees the close, or the close finds the task asleep and wakes it.
    pub(crate) fn closed_for_watcher(&self) -> bool {
        fence(Ordering::SeqCst);
        self.is_closed()
    }

    /// Takes a watcher's `entry` off the queue. Never sleeps.
    ///
    /// # Safety
    ///
    /// `entry` must have been queued here by [`WaitQueue::watch`] and not taken off since.
    pub(crate) unsafe fn unwatch(&self, entry: &Waiter) {
        let _guard = self.lock();
        // SAFETY: the lock is held; the caller queued `entry` here.
        unsafe { luasync_wq_dequeue(self.head.get(), entry.get()) };
    }

    /// The kernel's wait queue head, for the port's debugfs view of the waiters.
    pub(crate) fn head(&self) -> *mut core::ffi::c_void {
        self.head.get().cast()
    }

    /// Counts a waiter out, under the lock. Every change of the count is made under the
    /// lock, so a load and a store lose none, and need no locked instruction: a waker that
    /// reads the old count only takes the lock for nothing (see [`Guard::wake`]). Counting
    /// in is a sequentially consistent read-modify-write instead, the barrier between the
    /// waiter's count and its next `take` that the wakers' protocol needs.
    fn count_out(&self) {
        let queued = self.queued.load(Ordering::Relaxed);
        self.queued
            .store(queued.saturating_sub(1), Ordering::Relaxed);
    }

    /// Waits as [`Guard::wait_until`] does, taking the lock itself: for a caller that has
    /// nothing to do under the lock before it waits (its fast path looked without it). A
    /// wait that may sleep takes the lock with interrupts on and queues the caller in one
    /// call into C, and leaves the queue and lets the lock go in one more, where a guard's
    /// wait makes two calls of each.
    pub(crate) fn wait_until(
        &self,
        timeout: Timeout,
        mut take: impl FnMut(&mut T) -> bool,
    ) -> Result<(), WaitError> {
        let deadline = timeout.deadline();
        if deadline == Deadline::Now {
            return self.lock().wait_until(timeout, take);
        }
        let head = self.head.get();
        let entry = Waiter::uninit();
        // SAFETY: `head` was initialised by `new` and is pinned with `self`; a wait that is
        // not a poll is made where its caller may sleep (the precondition of every sleeping
        // wait, the kernel's included), so interrupts are on and the helper's
        // `spin_lock_irq` saves nothing that its `spin_unlock_irq` would lose; `entry` lives
        // on this stack frame, is not moved, and is removed from the queue below, under the
        // lock, before the frame ends.
        unsafe { luasync_wq_lock_begin(head, entry.get()) };
        // SAFETY: the lock is held, taken with interrupts on; the caller was queued just
        // above and leaves below. No other reference to the state exists on this thread:
        // reaching it takes the lock (a guard, `with`), and a guard held here would have kept
        // `luasync_wq_lock_begin` spinning.
        let result = unsafe { self.rounds(deadline, &mut take) };
        // SAFETY: the lock is held, taken with interrupts on by `luasync_wq_lock_begin`,
        // and `entry` is on the queue since then.
        unsafe { luasync_wq_leave_unlock(head, entry.get()) };
        result
    }

    /// The rounds of a wait whose caller is queued: counts it in, looks with `take`, and
    /// sleeps until `take` succeeds or the wait gives up; counts it out.
    ///
    /// # Safety
    ///
    /// The caller holds the lock, taken with interrupts on; it has queued itself with
    /// `luasync_wq_begin` or `luasync_wq_lock_begin`, and leaves the queue, under the lock,
    /// after this returns. Nothing else on this thread reaches the state meanwhile.
    unsafe fn rounds(
        &self,
        deadline: Deadline,
        mut take: impl FnMut(&mut T) -> bool,
    ) -> Result<(), WaitError> {
        let head = self.head.get();
        // The task state is set before `take` first looks, and again by every round below
        // before it looks again: a waker that changes what `take` reads after it looked then
        // finds the task interruptible and wakes it, so the sleep returns at once. Wakers of
        // this queue take its lock before they wake, so they see the state; a `take` that
        // reads the close of a queue the task watches reads it with
        // `WaitQueue::closed_for_watcher`, which has the barrier that case needs.
        // Counted in before the next `take`: see the module documentation.
        self.queued.fetch_add(1, Ordering::SeqCst);
        let mut at = match deadline {
            Deadline::At(at) => Some(at),
            Deadline::Never | Deadline::Now => None,
        };
        let mut expired = false;
        let result = loop {
            // SAFETY: the lock is held (this function's contract), and this is the only
            // reference to the state until `take` returns.
            if take(unsafe { &mut *self.state.get() }) {
                break Ok(());
            }
            if self.closed.load(Ordering::Relaxed) {
                break Err(WaitError::Closed);
            }
            // Gives up (interrupted, then timed out), or sleeps and sets the state again.
            // SAFETY: the lock is held, taken with interrupts on (this function's contract).
            // The helper lets it go with `spin_unlock_irq` and takes it again with
            // `spin_lock_irq` before it returns from a sleep, so nothing reads the state
            // without it and the flags the lock was taken with, if any, still restore
            // interrupts on; the task state is set; the deadline pointer is null or a valid
            // absolute `CLOCK_MONOTONIC` time that lives across the call.
            let round = unsafe { luasync_wq_round(head, at_ptr(&mut at), TIMER_SLACK_NS, expired) };
            match round {
                ROUND_INTERRUPTED => break Err(WaitError::Interrupted),
                ROUND_TIMEOUT => break Err(WaitError::Timeout),
                _ => {}
            }
            expired = matches!(deadline, Deadline::At(at) if timeout::now() >= at);
        };
        self.count_out();
        result
    }

    /// Locks, then applies `f` to the state.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        let mut guard = self.lock();
        f(&mut guard)
    }
}

/// A queue as [`wait_any`](super::wait_any) sees it, whatever state it guards.
pub(crate) trait Queue {
    /// Queues the current task with `entry`, exclusive, and counts it in, under the lock.
    ///
    /// # Safety
    ///
    /// `entry` must stay where it is, and be given to [`Queue::dequeue`] before it goes.
    unsafe fn enqueue(&self, entry: &Waiter);

    /// Takes `entry` off the queue and counts it out, under the lock.
    ///
    /// # Safety
    ///
    /// `entry` must have been queued here by [`Queue::enqueue`] and not taken off since.
    unsafe fn dequeue(&self, entry: &Waiter);

    /// Whether the queue was closed.
    fn closed(&self) -> bool;

    /// Wakes one waiter, if any is queued.
    fn wake_one(&self);
}

impl<T> Queue for WaitQueue<T> {
    unsafe fn enqueue(&self, entry: &Waiter) {
        let _guard = self.lock();
        // SAFETY: the lock is held; the caller keeps `entry` in place until `dequeue`.
        unsafe { luasync_wq_enqueue(self.head.get(), entry.get()) };
        self.queued.fetch_add(1, Ordering::SeqCst);
    }

    unsafe fn dequeue(&self, entry: &Waiter) {
        let _guard = self.lock();
        self.count_out();
        // SAFETY: the lock is held; the caller queued `entry` here.
        unsafe { luasync_wq_dequeue(self.head.get(), entry.get()) };
    }

    fn closed(&self) -> bool {
        self.is_closed()
    }

    fn wake_one(&self) {
        self.wake_waiters(Some(1));
    }
}

/// The current task's state, for [`wait_any`](super::wait_any), which sets it before
/// looking at its queues, so that a wake-up that comes after the look makes the sleep
/// return.
pub(crate) fn set_interruptible() {
    // SAFETY: only changes the state of the current task.
    unsafe { luasync_set_current_interruptible() };
}

/// Back to running, once a wait is over.
pub(crate) fn set_running() {
    // SAFETY: only changes the state of the current task.
    unsafe { luasync_set_current_running() };
}

/// Whether the current task's wait must end with [`WaitError::Interrupted`].
pub(crate) fn should_abort() -> bool {
    // SAFETY: only reads the current task's flags.
    unsafe { luasync_current_should_abort() }
}

/// The queue's spinlock, held; it is released when the guard is dropped.
pub(crate) struct Guard<'a, T> {
    queue: &'a WaitQueue<T>,
    flags: kernel::ffi::c_ulong,
    /// The saved interrupt flags belong to this CPU: the guard must stay on this thread.
    _not_send: PhantomData<*mut ()>,
}

impl<T> Guard<'_, T> {
    /// Wakes up to `nr` exclusive waiters; all of them when `nr` is `None`.
    pub(crate) fn wake(&self, nr: Option<u32>) {
        // Every waiter is counted under this lock: an empty queue needs no walk.
        if self.queue.queued.load(Ordering::Relaxed) == 0 {
            return;
        }
        // SAFETY: the guard holds the queue's lock, as `__wake_up_locked` requires.
        unsafe { luasync_wq_wake_locked(self.queue.head.get(), wake_count(nr)) };
    }

    /// Why a poll whose `take` just failed ends, in the kernel's order after the success:
    /// closed, then interrupted, then the timeout.
    fn poll_failure(&self) -> WaitError {
        if self.queue.closed.load(Ordering::Relaxed) {
            WaitError::Closed
        } else if should_abort() {
            WaitError::Interrupted
        } else {
            WaitError::Timeout
        }
    }

    /// Sleeps until `take` succeeds on the state, the queue is closed, the caller is
    /// interrupted (a signal is pending, or it is a kernel thread asked to stop), or the
    /// timeout passes.
    ///
    /// `take` runs under the lock, first once the caller is queued and then after every
    /// wake-up; it either consumes what the caller waits for and returns `true`, or changes
    /// nothing. A success found after the deadline is still a success. Queueing costs more
    /// than a look, so a caller looks first, as the fast paths of every class here do.
    /// A poll (`Deadline::Now`) looks once and never queues.
    ///
    /// Anything but a poll may sleep, so it is called only where its caller may: no
    /// spinlock held, interrupts on. Its sleeps let the lock go with interrupts on, as
    /// `wait_for_completion()` does.
    pub(crate) fn wait_until(
        &mut self,
        timeout: Timeout,
        mut take: impl FnMut(&mut T) -> bool,
    ) -> Result<(), WaitError> {
        let deadline = timeout.deadline();
        // A poll looks once and gives up.
        if deadline == Deadline::Now {
            if take(&mut **self) {
                return Ok(());
            }
            return Err(self.poll_failure());
        }
        let head = self.queue.head.get();
        let entry = Waiter::uninit();
        // SAFETY: the lock is held; `entry` lives on this stack frame, is not moved, and is
        // removed from the queue below, under the lock, before the frame ends.
        unsafe { luasync_wq_begin(head, entry.get()) };
        // SAFETY: the guard holds the lock, taken with interrupts on (a wait that is not a
        // poll is made where its caller may sleep); the caller was queued just above and
        // leaves below; `&mut self` keeps the guard's own way to the state unused meanwhile.
        let result = unsafe { self.queue.rounds(deadline, &mut take) };
        // SAFETY: the lock is held and `entry` is on the queue since `luasync_wq_begin`.
        unsafe { luasync_wq_leave(head, entry.get()) };
        result
    }
}

/// Up to `nr` waiters as the kernel's wake-ups count them: 0 means all of them (`None`), so
/// a count is clamped to at least one.
fn wake_count(nr: Option<u32>) -> kernel::ffi::c_int {
    match nr {
        Some(n) => kernel::ffi::c_int::try_from(n.max(1)).unwrap_or(kernel::ffi::c_int::MAX),
        None => 0,
    }
}

/// `luasync_wq_round` gave up: a signal or a stop is pending (`LUASYNC_WQ_INTERRUPTED`).
const ROUND_INTERRUPTED: kernel::ffi::c_int = 1;
/// `luasync_wq_round` gave up: the deadline passed (`LUASYNC_WQ_TIMEOUT`).
const ROUND_TIMEOUT: kernel::ffi::c_int = 2;

/// How much later than its deadline a timed sleep may end, so the timer can be batched with
/// others (the kernel's default timer slack for normal tasks).
const TIMER_SLACK_NS: u64 = 50_000;

/// Sleeps in the state the caller set, until woken, or until `deadline`.
pub(crate) fn sleep(deadline: Deadline) {
    let mut at = match deadline {
        Deadline::At(at) => Some(at),
        Deadline::Never => None,
        // A poll never gets here: it returns before queueing.
        Deadline::Now => return,
    };
    // SAFETY: no spinlock is held and the task state is set; the pointer is null or a
    // valid absolute `CLOCK_MONOTONIC` time that lives across the call.
    unsafe { luasync_sleep(at_ptr(&mut at), TIMER_SLACK_NS) };
}

/// The deadline as `luasync_sleep` takes it: null for none.
fn at_ptr(at: &mut Option<bindings::ktime_t>) -> *mut bindings::ktime_t {
    at.as_mut()
        .map_or(core::ptr::null_mut(), core::ptr::from_mut)
}

impl<T> Deref for Guard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard holds the lock that serialises every access to the state.
        unsafe { &*self.queue.state.get() }
    }
}

impl<T> DerefMut for Guard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the lock, and `&mut self` makes this the only reference.
        unsafe { &mut *self.queue.state.get() }
    }
}

impl<T> Drop for Guard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: the guard holds the lock, taken with these flags.
        unsafe { luasync_wq_unlock(self.queue.head.get(), self.flags) };
    }
}
