/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The baseline of the luasync bench (kernel_baseline.c, kernel_scale.c), as
 * baseline.rs calls it: each function times one measurement on the kernel's
 * own primitive and returns the nanoseconds it took, or a negative errno.
 */
#ifndef LUASYNC_BENCH_KERNEL_BASELINE_H
#define LUASYNC_BENCH_KERNEL_BASELINE_H

#include <linux/types.h>

s64 luasync_bench_kernel_lock_unlock(u32 n);
s64 luasync_bench_kernel_trylock_unlock(u32 n);
s64 luasync_bench_kernel_complete_try_wait(u32 n);
s64 luasync_bench_kernel_down_up(u32 n);
s64 luasync_bench_kernel_read_unlock(u32 n);
s64 luasync_bench_kernel_write_unlock(u32 n);
s64 luasync_bench_kernel_pingpong(u32 n, int ping_cpu, int pong_cpu);
bool luasync_bench_cpu_online(unsigned int cpu);

struct task_struct;

/* kernel_scale.c: how the cost grows with the work. */
s64 luasync_bench_kernel_contend_mutex(u32 nthreads, u32 ops);
s64 luasync_bench_kernel_contend_semaphore(u32 nthreads, u32 ops);
s64 luasync_bench_kernel_release_all(u32 nwaiters);
s64 luasync_bench_kernel_objects_complete(u32 count, u32 n);
s64 luasync_bench_kernel_objects_lock(u32 count, u32 n);
/* Whether @task sleeps (not running, off its CPU). */
bool luasync_bench_task_sleeping(struct task_struct *task);

#endif
