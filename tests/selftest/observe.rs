// SPDX-License-Identifier: GPL-2.0

//! What the cases observe besides return values: time, sleeps, thread states, signals.

use core::fmt;
use kernel::{bindings, time::Ktime};

use crate::kthread::KThread;

extern "C" {
    fn luasync_selftest_allow_signal(sig: kernel::ffi::c_int);
    fn luasync_selftest_preempt_disable();
    fn luasync_selftest_preempt_enable();
    fn luasync_selftest_cpu_online(cpu: kernel::ffi::c_uint) -> bool;
}

/// The signal the cases send to a waiting thread.
pub(crate) const SIGNAL: kernel::ffi::c_int = bindings::SIGUSR1 as kernel::ffi::c_int;

/// Nanoseconds in a millisecond.
pub(crate) const NS_PER_MS: u64 = 1_000_000;

/// Lets the calling kernel thread receive [`SIGNAL`]; kernel threads ignore signals
/// unless they ask for them.
pub(crate) fn allow_signal() {
    // SAFETY: changes the signal disposition of the calling thread only.
    unsafe { luasync_selftest_allow_signal(SIGNAL) };
}

/// Runs `f` with preemption off: no other thread runs on this CPU meanwhile. `f` must not
/// sleep.
pub(crate) fn unpreempted<R>(f: impl FnOnce() -> R) -> R {
    // SAFETY: paired with the enable below; `f` does not sleep (the caller's promise).
    unsafe { luasync_selftest_preempt_disable() };
    let r = f();
    // SAFETY: paired with the disable above.
    unsafe { luasync_selftest_preempt_enable() };
    r
}

/// Whether CPU `cpu` exists and is online.
pub(crate) fn cpu_online(cpu: u32) -> bool {
    // SAFETY: only reads the online mask.
    unsafe { luasync_selftest_cpu_online(cpu) }
}

/// A start time on `CLOCK_MONOTONIC`.
pub(crate) struct Stopwatch(i64);

impl Stopwatch {
    /// Starts measuring now.
    pub(crate) fn start() -> Self {
        Self(Ktime::ktime_get().to_ns())
    }

    /// Nanoseconds since [`Stopwatch::start`].
    pub(crate) fn elapsed_ns(&self) -> u64 {
        let now = Ktime::ktime_get().to_ns();
        u64::try_from(now.saturating_sub(self.0)).unwrap_or(0)
    }
}

/// A duration in nanoseconds, shown in milliseconds with three decimals.
pub(crate) struct Ms(pub(crate) u64);

impl fmt::Display for Ms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let us = self.0 / 1000;
        write!(f, "{}.{:03} ms", us / 1000, us % 1000)
    }
}

/// The length of one jiffy in nanoseconds.
pub(crate) fn jiffy_ns() -> u64 {
    // SAFETY: a pure conversion.
    let us = unsafe { bindings::jiffies_to_usecs(1) };
    u64::from(us).saturating_mul(1000)
}

/// How many times the calling task has slept (voluntary context switches). A call that
/// never sleeps leaves it unchanged; being preempted does not count.
pub(crate) fn sleeps() -> kernel::ffi::c_ulong {
    // SAFETY: the current task is alive while it runs, and `nvcsw` is only written by the
    // scheduler when this task switches out, never while it reads its own counter.
    unsafe { core::ptr::read_volatile(core::ptr::addr_of!((*bindings::get_current()).nvcsw)) }
}

/// Checks `cond` about once a millisecond until it holds or `ms` milliseconds pass.
///
/// This only observes: the cases use it to see that a thread has gone to sleep in a
/// wait, which the thread itself cannot announce once it sleeps. Every result a case
/// asserts is ordered by the primitives or by atomics, never by how long this took.
pub(crate) fn poll_until(ms: u32, mut cond: impl FnMut() -> bool) -> bool {
    let watch = Stopwatch::start();
    let limit = u64::from(ms).saturating_mul(NS_PER_MS);
    loop {
        if cond() {
            return true;
        }
        if watch.elapsed_ns() > limit {
            return false;
        }
        // SAFETY: sleeps the calling task, which is in process context and holds no lock.
        unsafe { bindings::msleep(1) };
    }
}

impl KThread {
    /// What the thread's closure returned, if it has returned already.
    pub(crate) fn finished(&self) -> Option<i32> {
        self.join_within(0)
    }

    /// Whether the thread is in an interruptible sleep (as in a wait of `rust/sync/`).
    pub(crate) fn is_sleeping(&self) -> bool {
        // SAFETY: the handle holds a reference to the task; `__state` is a word the
        // scheduler writes with `WRITE_ONCE` and other CPUs read with `READ_ONCE`.
        let state =
            unsafe { core::ptr::read_volatile(core::ptr::addr_of!((*self.task.as_ptr()).__state)) };
        state == bindings::TASK_INTERRUPTIBLE
    }

    /// Waits at most `ms` milliseconds for the thread to sleep interruptibly.
    pub(crate) fn sleeps_within(&self, ms: u32) -> bool {
        poll_until(ms, || self.is_sleeping())
    }

    /// Sends [`SIGNAL`] to the thread.
    pub(crate) fn signal(&self) {
        // SAFETY: the handle holds a reference to the task.
        unsafe { bindings::send_sig(SIGNAL, self.task.as_ptr(), 0) };
    }
}
