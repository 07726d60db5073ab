// SPDX-License-Identifier: GPL-2.0

//! The kernel's own primitives, timed in C (`kernel_baseline.c`).

extern "C" {
    fn luasync_bench_kernel_lock_unlock(n: u32) -> i64;
    fn luasync_bench_kernel_trylock_unlock(n: u32) -> i64;
    fn luasync_bench_kernel_complete_try_wait(n: u32) -> i64;
    fn luasync_bench_kernel_down_up(n: u32) -> i64;
    fn luasync_bench_kernel_read_unlock(n: u32) -> i64;
    fn luasync_bench_kernel_write_unlock(n: u32) -> i64;
    fn luasync_bench_kernel_pingpong(n: u32, ping_cpu: i32, pong_cpu: i32) -> i64;
    fn luasync_bench_cpu_online(cpu: u32) -> bool;
}

/// Nanoseconds from a C timing function, or `None` for its negative errno.
fn ns(ret: i64) -> Option<u64> {
    u64::try_from(ret).ok()
}

/// `n` uncontended `mutex_lock()` + `mutex_unlock()`.
pub(crate) fn lock_unlock(n: u32) -> Option<u64> {
    // SAFETY: the C function has no preconditions.
    ns(unsafe { luasync_bench_kernel_lock_unlock(n) })
}

/// `n` uncontended `mutex_trylock()` + `mutex_unlock()`.
pub(crate) fn try_lock_unlock(n: u32) -> Option<u64> {
    // SAFETY: the C function has no preconditions.
    ns(unsafe { luasync_bench_kernel_trylock_unlock(n) })
}

/// `n` `complete()` + `try_wait_for_completion()`.
pub(crate) fn complete_try_wait(n: u32) -> Option<u64> {
    // SAFETY: the C function has no preconditions.
    ns(unsafe { luasync_bench_kernel_complete_try_wait(n) })
}

/// `n` uncontended `down_interruptible()` + `up()`.
pub(crate) fn down_up(n: u32) -> Option<u64> {
    // SAFETY: the C function has no preconditions.
    ns(unsafe { luasync_bench_kernel_down_up(n) })
}

/// `n` uncontended `down_read_interruptible()` + `up_read()`.
pub(crate) fn read_unlock(n: u32) -> Option<u64> {
    // SAFETY: the C function has no preconditions.
    ns(unsafe { luasync_bench_kernel_read_unlock(n) })
}

/// `n` uncontended `down_write_killable()` + `up_write()`.
pub(crate) fn write_unlock(n: u32) -> Option<u64> {
    // SAFETY: the C function has no preconditions.
    ns(unsafe { luasync_bench_kernel_write_unlock(n) })
}

/// Whether CPU `cpu` is online.
pub(crate) fn cpu_online(cpu: u32) -> bool {
    // SAFETY: reads the online mask; no preconditions.
    unsafe { luasync_bench_cpu_online(cpu) }
}

/// `n` ping-pong round trips between two kernel threads over two `struct completion`,
/// each thread on its CPU if given (online: the caller checked).
pub(crate) fn pingpong(n: u32, ping_cpu: Option<u32>, pong_cpu: Option<u32>) -> Option<u64> {
    let cpu = |c: Option<u32>| c.map_or(Some(-1), |c| i32::try_from(c).ok());
    let (ping_cpu, pong_cpu) = (cpu(ping_cpu)?, cpu(pong_cpu)?);
    // SAFETY: the C function may sleep; the bench calls it from its module init, in
    // process context, holding no lock; the CPUs are online or negative.
    ns(unsafe { luasync_bench_kernel_pingpong(n, ping_cpu, pong_cpu) })
}

extern "C" {
    fn luasync_bench_kernel_contend_mutex(nthreads: u32, ops: u32) -> i64;
    fn luasync_bench_kernel_contend_semaphore(nthreads: u32, ops: u32) -> i64;
    fn luasync_bench_kernel_release_all(nwaiters: u32) -> i64;
    fn luasync_bench_kernel_objects_complete(count: u32, n: u32) -> i64;
    fn luasync_bench_kernel_objects_lock(count: u32, n: u32) -> i64;
}

/// `nthreads` threads each doing `ops` `mutex_lock()` + `mutex_unlock()` of one mutex.
pub(crate) fn contend_mutex(nthreads: u32, ops: u32) -> Option<u64> {
    // SAFETY: the C function may sleep; the bench calls it from its module init, in
    // process context, holding no lock.
    ns(unsafe { luasync_bench_kernel_contend_mutex(nthreads, ops) })
}

/// `nthreads` threads each doing `ops` `down_interruptible()` + `up()` of one semaphore.
pub(crate) fn contend_semaphore(nthreads: u32, ops: u32) -> Option<u64> {
    // SAFETY: as in `contend_mutex`.
    ns(unsafe { luasync_bench_kernel_contend_semaphore(nthreads, ops) })
}

/// `complete_all()` releasing `nwaiters` threads asleep in `wait_for_completion()`.
pub(crate) fn release_all(nwaiters: u32) -> Option<u64> {
    // SAFETY: as in `contend_mutex`.
    ns(unsafe { luasync_bench_kernel_release_all(nwaiters) })
}

/// `n` `complete()` + `try_wait_for_completion()`, round robin over `count` completions.
pub(crate) fn objects_complete(count: u32, n: u32) -> Option<u64> {
    // SAFETY: as in `contend_mutex`.
    ns(unsafe { luasync_bench_kernel_objects_complete(count, n) })
}

/// `n` `mutex_lock()` + `mutex_unlock()`, round robin over `count` mutexes.
pub(crate) fn objects_lock(count: u32, n: u32) -> Option<u64> {
    // SAFETY: as in `contend_mutex`.
    ns(unsafe { luasync_bench_kernel_objects_lock(count, n) })
}
