/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The baseline of the luasync bench (kernel_baseline.c), as baseline.rs calls it:
 * each function runs @n iterations of one operation on the kernel's own
 * primitive and returns the nanoseconds they took, or a negative errno.
 */
#ifndef LUASYNC_BENCH_KERNEL_BASELINE_H
#define LUASYNC_BENCH_KERNEL_BASELINE_H

#include <linux/types.h>

s64 luasync_bench_kernel_lock_unlock(u32 n);
s64 luasync_bench_kernel_trylock_unlock(u32 n);
s64 luasync_bench_kernel_complete_try_wait(u32 n);
s64 luasync_bench_kernel_down_up(u32 n);
s64 luasync_bench_kernel_pingpong(u32 n, int ping_cpu, int pong_cpu);
bool luasync_bench_cpu_online(unsigned int cpu);

#endif
