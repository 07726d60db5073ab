// SPDX-License-Identifier: GPL-2.0
/*
 * The baseline of the luasync bench: the kernel's own struct mutex, struct
 * completion, struct semaphore and struct rw_semaphore, timed in C the way tests/bench/ times
 * rust/sync/ in Rust. Each function runs @n iterations of one operation and
 * returns the nanoseconds they took (CLOCK_MONOTONIC), or a negative errno when
 * an operation failed.
 */
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/limits.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/sched/task.h>
#include <linux/semaphore.h>
#include <linux/slab.h>

#include "kernel_baseline.h"

static DEFINE_MUTEX(bench_mutex);
static DECLARE_COMPLETION(bench_completion);
static DEFINE_SEMAPHORE(bench_semaphore, 1);
static DECLARE_RWSEM(bench_rwsem);

static s64 elapsed_ns(ktime_t start)
{
	return ktime_to_ns(ktime_sub(ktime_get(), start));
}

/* Uncontended mutex_lock() + mutex_unlock(). */
s64 luasync_bench_kernel_lock_unlock(u32 n)
{
	ktime_t start = ktime_get();
	u32 i;

	for (i = 0; i < n; i++) {
		mutex_lock(&bench_mutex);
		mutex_unlock(&bench_mutex);
	}
	return elapsed_ns(start);
}

/* Uncontended mutex_trylock() + mutex_unlock(). */
s64 luasync_bench_kernel_trylock_unlock(u32 n)
{
	ktime_t start = ktime_get();
	bool failed = false;
	u32 i;

	for (i = 0; i < n; i++) {
		if (mutex_trylock(&bench_mutex))
			mutex_unlock(&bench_mutex);
		else
			failed = true;
	}
	return failed ? -EBUSY : elapsed_ns(start);
}

/* complete() + try_wait_for_completion(), with nobody waiting. */
s64 luasync_bench_kernel_complete_try_wait(u32 n)
{
	ktime_t start = ktime_get();
	bool failed = false;
	u32 i;

	for (i = 0; i < n; i++) {
		complete(&bench_completion);
		if (!try_wait_for_completion(&bench_completion))
			failed = true;
	}
	return failed ? -EAGAIN : elapsed_ns(start);
}

/* Uncontended down_interruptible() + up() (rust/sync/'s down is interruptible too). */
s64 luasync_bench_kernel_down_up(u32 n)
{
	ktime_t start = ktime_get();
	bool failed = false;
	u32 i;

	for (i = 0; i < n; i++) {
		if (down_interruptible(&bench_semaphore))
			failed = true;
		else
			up(&bench_semaphore);
	}
	return failed ? -EINTR : elapsed_ns(start);
}

/* Uncontended down_read_interruptible() + up_read() (rust/sync/'s read is interruptible). */
s64 luasync_bench_kernel_read_unlock(u32 n)
{
	ktime_t start = ktime_get();
	bool failed = false;
	u32 i;

	for (i = 0; i < n; i++) {
		if (down_read_interruptible(&bench_rwsem))
			failed = true;
		else
			up_read(&bench_rwsem);
	}
	return failed ? -EINTR : elapsed_ns(start);
}

/*
 * Uncontended down_write_killable() + up_write(): the kernel has no interruptible
 * write lock, and killable is the nearest to rust/sync/'s interruptible one.
 */
s64 luasync_bench_kernel_write_unlock(u32 n)
{
	ktime_t start = ktime_get();
	bool failed = false;
	u32 i;

	for (i = 0; i < n; i++) {
		if (down_write_killable(&bench_rwsem))
			failed = true;
		else
			up_write(&bench_rwsem);
	}
	return failed ? -EINTR : elapsed_ns(start);
}

struct kernel_pingpong {
	struct completion ping;
	struct completion pong;
	struct completion finished;
	u32 rounds;
	s64 ns;
};

/* The responding side: waits for each ping and answers with a pong. */
static int kernel_pong(void *data)
{
	struct kernel_pingpong *pp = data;
	u32 i;

	for (i = 0; i <= pp->rounds; i++) {
		wait_for_completion(&pp->ping);
		complete(&pp->pong);
	}
	return 0;
}

/* The starting side: one untimed round trip, then @rounds timed ones. */
static int kernel_ping(void *data)
{
	struct kernel_pingpong *pp = data;
	ktime_t start;
	u32 i;

	complete(&pp->ping);
	wait_for_completion(&pp->pong);

	start = ktime_get();
	for (i = 0; i < pp->rounds; i++) {
		complete(&pp->ping);
		wait_for_completion(&pp->pong);
	}
	pp->ns = elapsed_ns(start);
	complete(&pp->finished);
	return 0;
}

/*
 * Starts a kernel thread, bound to @cpu unless it is negative, and takes a
 * task_struct reference for kthread_stop_put().
 */
static struct task_struct *spawn_player(int (*fn)(void *), struct kernel_pingpong *pp,
					int cpu, const char *name)
{
	struct task_struct *task = kthread_create(fn, pp, "%s", name);

	if (!IS_ERR(task)) {
		get_task_struct(task);
		if (cpu >= 0)
			kthread_bind(task, cpu);
		wake_up_process(task);
	}
	return task;
}

/* Whether @cpu exists and is online. */
bool luasync_bench_cpu_online(unsigned int cpu)
{
	return cpu < nr_cpu_ids && cpu_online(cpu);
}

/*
 * @n round trips between two kernel threads over two completions, each thread
 * bound to its CPU unless that is negative (the caller checks that the CPUs are
 * online). Both threads end by themselves; the caller waits for that before
 * stopping them, so that kthread_stop() does not wake them while they play.
 */
s64 luasync_bench_kernel_pingpong(u32 n, int ping_cpu, int pong_cpu)
{
	struct kernel_pingpong *pp;
	struct task_struct *pong, *ping;
	s64 ns;
	u32 i;

	if (n == U32_MAX)
		return -EINVAL;
	pp = kzalloc(sizeof(*pp), GFP_KERNEL);
	if (!pp)
		return -ENOMEM;
	init_completion(&pp->ping);
	init_completion(&pp->pong);
	init_completion(&pp->finished);
	pp->rounds = n;

	pong = spawn_player(kernel_pong, pp, pong_cpu, "lsbench-kpong");
	if (IS_ERR(pong)) {
		ns = PTR_ERR(pong);
		goto out;
	}
	ping = spawn_player(kernel_ping, pp, ping_cpu, "lsbench-kping");
	if (IS_ERR(ping)) {
		/* The responder waits for pings that will not come: give it all of them. */
		for (i = 0; i <= n; i++)
			complete(&pp->ping);
		kthread_stop_put(pong);
		ns = PTR_ERR(ping);
		goto out;
	}

	wait_for_completion(&pp->finished);
	kthread_stop_put(ping);
	kthread_stop_put(pong);
	ns = pp->ns;
out:
	kfree(pp);
	return ns;
}
