// SPDX-License-Identifier: GPL-2.0
/*
 * How the cost of the kernel's own primitives grows with the work, timed the
 * way scale.rs times rust/sync/ and tests/bench/lua/measure.lua times the
 * Lua classes: threads contending for one struct mutex or struct semaphore,
 * complete_all() releasing waiters, operations spread over many live
 * objects. Each function returns the nanoseconds its measurement took, or a
 * negative errno.
 */
#include <linux/completion.h>
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/semaphore.h>
#include <linux/slab.h>

#include "kernel_baseline.h"

/* How long the waiters of a release may take to fall asleep: a hang guard. */
#define SCALE_SLEEP_MS	20000

static s64 elapsed_ns(ktime_t start)
{
	return ktime_to_ns(ktime_sub(ktime_get(), start));
}

bool luasync_bench_task_sleeping(struct task_struct *task)
{
	return READ_ONCE(task->__state) != TASK_RUNNING && !READ_ONCE(task->on_cpu);
}

/* Polls until every task sleeps; false after SCALE_SLEEP_MS. */
static bool all_sleeping(struct task_struct **tasks, u32 n)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(SCALE_SLEEP_MS);
	u32 i;

	for (i = 0; i < n; i++) {
		while (!luasync_bench_task_sleeping(tasks[i])) {
			if (time_after(jiffies, deadline))
				return false;
			schedule_timeout_uninterruptible(1);
		}
	}
	return true;
}

/* The threads of one measurement: each released by @go, each ups @done once through. */
struct scale_game {
	struct completion go;
	struct semaphore done;
	struct mutex mutex;
	struct semaphore sem;
	u32 ops;
	bool failed;
};

static int scale_locker(void *data)
{
	struct scale_game *g = data;
	u32 i;

	wait_for_completion(&g->go);
	for (i = 0; i < g->ops; i++) {
		mutex_lock(&g->mutex);
		mutex_unlock(&g->mutex);
	}
	up(&g->done);
	return 0;
}

static int scale_downer(void *data)
{
	struct scale_game *g = data;
	u32 i;

	wait_for_completion(&g->go);
	for (i = 0; i < g->ops; i++) {
		if (down_interruptible(&g->sem)) {
			WRITE_ONCE(g->failed, true);
			break;
		}
		up(&g->sem);
	}
	up(&g->done);
	return 0;
}

static int scale_waiter(void *data)
{
	struct scale_game *g = data;

	wait_for_completion(&g->go);
	up(&g->done);
	return 0;
}

/*
 * Starts @n threads running @fn on @g, waits until they all sleep on @g->go,
 * then times complete_all(&g->go) until every thread has upped @g->done.
 */
static s64 scale_play(struct scale_game *g, int (*fn)(void *), u32 n)
{
	struct task_struct **tasks;
	ktime_t start;
	s64 ns = 0;
	u32 i, started;

	tasks = kcalloc(n, sizeof(*tasks), GFP_KERNEL);
	if (tasks == NULL)
		return -ENOMEM;
	for (started = 0; started < n; started++) {
		struct task_struct *t = kthread_create(fn, g, "lsbench-kscale");

		if (IS_ERR(t)) {
			ns = PTR_ERR(t);
			break;
		}
		get_task_struct(t);
		wake_up_process(t);
		tasks[started] = t;
	}
	if (ns == 0 && !all_sleeping(tasks, n))
		ns = -ETIMEDOUT;
	start = ktime_get();
	/* Also releases the threads of a failed start, which then end by themselves. */
	complete_all(&g->go);
	for (i = 0; i < started; i++)
		down(&g->done);
	if (ns == 0)
		ns = READ_ONCE(g->failed) ? -EINTR : elapsed_ns(start);
	for (i = 0; i < started; i++)
		kthread_stop_put(tasks[i]);
	kfree(tasks);
	return ns;
}

static s64 scale_game(int (*fn)(void *), u32 nthreads, u32 ops)
{
	struct scale_game *g = kzalloc(sizeof(*g), GFP_KERNEL);
	s64 ns;

	if (g == NULL)
		return -ENOMEM;
	init_completion(&g->go);
	sema_init(&g->done, 0);
	mutex_init(&g->mutex);
	sema_init(&g->sem, 1);
	g->ops = ops;
	ns = scale_play(g, fn, nthreads);
	kfree(g);
	return ns;
}

/* @nthreads threads each doing @ops mutex_lock() + mutex_unlock() of one mutex. */
s64 luasync_bench_kernel_contend_mutex(u32 nthreads, u32 ops)
{
	return scale_game(scale_locker, nthreads, ops);
}

/* @nthreads threads each doing @ops down_interruptible() + up() of one semaphore of 1. */
s64 luasync_bench_kernel_contend_semaphore(u32 nthreads, u32 ops)
{
	return scale_game(scale_downer, nthreads, ops);
}

/* complete_all() releasing @nwaiters threads asleep in wait_for_completion(). */
s64 luasync_bench_kernel_release_all(u32 nwaiters)
{
	return scale_game(scale_waiter, nwaiters, 0);
}

/* Frees @objs[0..@n) and the array. */
static void free_objects(void **objs, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		kfree(objs[i]);
	kvfree(objs);
}

/* @count objects of @size bytes, each allocated on its own as the classes' are. */
static void **new_objects(u32 count, size_t size)
{
	void **objs = kvcalloc(count, sizeof(*objs), GFP_KERNEL);
	u32 i;

	if (objs == NULL)
		return NULL;
	for (i = 0; i < count; i++) {
		objs[i] = kmalloc(size, GFP_KERNEL);
		if (objs[i] == NULL) {
			free_objects(objs, i);
			return NULL;
		}
	}
	return objs;
}

/* @n complete() + try_wait_for_completion(), round robin over @count completions. */
s64 luasync_bench_kernel_objects_complete(u32 count, u32 n)
{
	struct completion **objs = (struct completion **)new_objects(count, sizeof(**objs));
	bool failed = false;
	ktime_t start;
	s64 ns;
	u32 i;

	if (objs == NULL)
		return -ENOMEM;
	for (i = 0; i < count; i++)
		init_completion(objs[i]);
	start = ktime_get();
	for (i = 0; i < n; i++) {
		struct completion *c = objs[i % count];

		complete(c);
		if (!try_wait_for_completion(c))
			failed = true;
	}
	ns = failed ? -EAGAIN : elapsed_ns(start);
	free_objects((void **)objs, count);
	return ns;
}

/* @n mutex_lock() + mutex_unlock(), round robin over @count mutexes. */
s64 luasync_bench_kernel_objects_lock(u32 count, u32 n)
{
	struct mutex **objs = (struct mutex **)new_objects(count, sizeof(**objs));
	ktime_t start;
	s64 ns;
	u32 i;

	if (objs == NULL)
		return -ENOMEM;
	for (i = 0; i < count; i++)
		mutex_init(objs[i]);
	start = ktime_get();
	for (i = 0; i < n; i++) {
		struct mutex *m = objs[i % count];

		mutex_lock(m);
		mutex_unlock(m);
	}
	ns = elapsed_ns(start);
	free_objects((void **)objs, count);
	return ns;
}
