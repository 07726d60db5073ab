// SPDX-License-Identifier: GPL-2.0

//! How the cost of `rust/sync/` grows with the work, timed the way `kernel_scale.c` times
//! the kernel's primitives: threads contending for one lock, `complete_all()` releasing
//! waiters, operations spread over many live objects.

use core::{
    ffi::c_void,
    num::NonZeroUsize,
    sync::atomic::{AtomicBool, Ordering},
};
use kernel::{bindings, c_str, prelude::*, sync::Arc, time::Ktime};

use crate::kthread::KThread;
use crate::sync::{Completion, Mutex, Owner, Semaphore, Timeout};

extern "C" {
    /// Takes a `struct task_struct *` (opaque here: it is only passed on).
    fn luasync_bench_task_sleeping(task: *mut c_void) -> bool;
}

/// How long the threads of a measurement may take to fall asleep: a hang guard.
const SLEEP_MS: u32 = 20_000;

/// What the threads of one measurement share.
#[pin_data]
struct Game {
    /// Released (`complete_all`) once every thread sleeps on it.
    #[pin]
    go: Completion,
    /// Upped by each thread once it is through.
    #[pin]
    done: Semaphore,
    #[pin]
    mutex: Mutex,
    /// A semaphore of 1.
    #[pin]
    semaphore: Semaphore,
    failed: AtomicBool,
}

/// What each thread does once released.
#[derive(Clone, Copy)]
enum Role {
    /// `ops` lock + unlock of the mutex.
    Lock(u32),
    /// `ops` down + up of the semaphore.
    Down(u32),
    /// Nothing: it was released.
    Wait,
}

impl Game {
    /// The body of thread `index`: returns whether every operation succeeded.
    fn play(&self, role: Role, index: usize) -> bool {
        if self.go.wait(Timeout::Infinite).is_err() {
            return false;
        }
        let me = Owner::new(NonZeroUsize::MIN.saturating_add(index));
        match role {
            Role::Lock(ops) => (0..ops).all(|_| {
                self.mutex.lock(me, Timeout::Infinite).is_ok() && self.mutex.unlock(me).is_ok()
            }),
            Role::Down(ops) => (0..ops).all(|_| {
                self.semaphore.down(Timeout::Infinite).is_ok() && self.semaphore.up(1).is_ok()
            }),
            Role::Wait => true,
        }
    }
}

/// Polls until every thread sleeps; false after [`SLEEP_MS`].
fn all_sleeping(threads: &[KThread]) -> bool {
    let deadline = Ktime::ktime_get()
        .to_ns()
        .saturating_add(i64::from(SLEEP_MS).saturating_mul(1_000_000));
    threads.iter().all(|t| loop {
        // SAFETY: the handle holds a reference to the task until it is dropped.
        if unsafe { luasync_bench_task_sleeping(t.task.as_ptr().cast()) } {
            break true;
        }
        if Ktime::ktime_get().to_ns() > deadline {
            break false;
        }
        // SAFETY: sleeping one jiffy in process context, holding no lock.
        unsafe { bindings::schedule_timeout_uninterruptible(1) };
    })
}

/// Starts `n` threads playing `role`, waits until they all sleep on `go`, then times
/// `complete_all()` until every thread is through.
fn play(role: Role, n: u32) -> Option<u64> {
    let game = Arc::pin_init(
        pin_init!(Game {
            go <- Completion::new(),
            done <- Semaphore::new(0),
            mutex <- Mutex::new(false),
            semaphore <- Semaphore::new(1),
            failed: AtomicBool::new(false),
        }),
        GFP_KERNEL,
    )
    .ok()?;
    let mut threads = KVec::with_capacity(usize::try_from(n).ok()?, GFP_KERNEL).ok()?;
    let mut started = true;
    for index in 0..usize::try_from(n).ok()? {
        let g = game.clone();
        let spawned = KThread::spawn(None, c_str!("lsbench-scale"), move || {
            let ok = g.play(role, index);
            if !ok {
                g.failed.store(true, Ordering::Relaxed);
            }
            // Never fails: the count stays far below the maximum.
            let _ = g.done.up(1);
            i32::from(!ok)
        });
        match spawned.map(|t| threads.push(t, GFP_KERNEL)) {
            Ok(Ok(())) => {}
            // A thread that was not kept is stopped as its handle drops.
            _ => {
                started = false;
                break;
            }
        }
    }
    let asleep = started && all_sleeping(&threads);
    let start = Ktime::ktime_get().to_ns();
    // Also releases the threads of a failed start, which then end by themselves.
    game.go.complete_all();
    let through = threads
        .iter()
        .all(|_| game.done.down(Timeout::Infinite).is_ok());
    let ns = Ktime::ktime_get().to_ns().saturating_sub(start);
    drop(threads);
    (asleep && through && !game.failed.load(Ordering::Relaxed))
        .then(|| u64::try_from(ns).ok())
        .flatten()
}

/// `nthreads` threads each doing `ops` lock + unlock of one mutex.
pub(crate) fn contend_mutex(nthreads: u32, ops: u32) -> Option<u64> {
    play(Role::Lock(ops), nthreads)
}

/// `nthreads` threads each doing `ops` down + up of one semaphore of 1.
pub(crate) fn contend_semaphore(nthreads: u32, ops: u32) -> Option<u64> {
    play(Role::Down(ops), nthreads)
}

/// `complete_all()` releasing `nwaiters` threads asleep in `wait()`.
pub(crate) fn release_all(nwaiters: u32) -> Option<u64> {
    play(Role::Wait, nwaiters)
}

/// `count` objects made by `new`, each allocated on its own as the classes' are.
fn objects<T>(count: u32, new: impl Fn() -> Option<Arc<T>>) -> Option<KVVec<Arc<T>>> {
    let mut objs = KVVec::with_capacity(usize::try_from(count).ok()?, GFP_KERNEL).ok()?;
    for _ in 0..count {
        objs.push(new()?, GFP_KERNEL).ok()?;
    }
    Some(objs)
}

/// Times `n` runs of `op` on the objects, round robin: `None` if any failed.
fn round_robin<T>(objs: &[Arc<T>], n: u32, op: impl Fn(&T) -> bool) -> Option<u64> {
    let count = objs.len();
    let start = Ktime::ktime_get().to_ns();
    let mut failed = false;
    for i in 0..usize::try_from(n).ok()? {
        match objs.get(i.checked_rem(count)?) {
            Some(obj) if op(obj) => {}
            _ => failed = true,
        }
    }
    let ns = Ktime::ktime_get().to_ns().saturating_sub(start);
    (!failed).then(|| u64::try_from(ns).ok()).flatten()
}

/// `n` complete + try_wait, round robin over `count` completions.
pub(crate) fn objects_complete(count: u32, n: u32) -> Option<u64> {
    let objs = objects(count, || Arc::pin_init(Completion::new(), GFP_KERNEL).ok())?;
    round_robin(&objs, n, |c| {
        c.complete();
        c.try_wait()
    })
}

/// `n` lock + unlock, round robin over `count` mutexes.
pub(crate) fn objects_lock(count: u32, n: u32) -> Option<u64> {
    let objs = objects(count, || Arc::pin_init(Mutex::new(false), GFP_KERNEL).ok())?;
    let me = Owner::new(NonZeroUsize::MIN);
    round_robin(&objs, n, |m| {
        m.lock(me, Timeout::Infinite).is_ok() && m.unlock(me).is_ok()
    })
}
