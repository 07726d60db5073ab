// SPDX-License-Identifier: GPL-2.0
/*
 * Non-inline wrappers of the static inline kernel helpers that rust/sync/
 * needs and that the 6.12 Rust bindings do not reach. Each one does exactly
 * what its body says; rust/sync/waitqueue.rs states when it may be called.
 */
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

/*
 * A waiter on luasync's queues: the kernel's entry, and since when it waits
 * (shown by the debugfs view). rust/sync/waitqueue.rs (Waiter) lays it out
 * the same way: the same two fields, in this order, #[repr(C)].
 */
struct luasync_waiter {
	struct wait_queue_entry entry;
	unsigned long since;	/* jiffies: a plain load, where ktime_get() reads the clock */
};

unsigned long luasync_wq_lock(struct wait_queue_head *wq);
void luasync_wq_unlock(struct wait_queue_head *wq, unsigned long flags);
void luasync_wq_enqueue(struct wait_queue_head *wq, struct luasync_waiter *waiter);
void luasync_wq_dequeue(struct wait_queue_head *wq, struct luasync_waiter *waiter);
void luasync_wq_show_waiters(struct wait_queue_head *wq, struct seq_file *m);
void luasync_wq_wake_locked(struct wait_queue_head *wq, int nr);
void luasync_wq_wake(struct wait_queue_head *wq, int nr, const u32 *queued);
void luasync_set_current_interruptible(void);
void luasync_wq_begin(struct wait_queue_head *wq, struct luasync_waiter *waiter);
void luasync_set_current_running(void);
bool luasync_current_should_abort(void);
void luasync_sleep(ktime_t *deadline, u64 slack);
int luasync_wq_round(struct wait_queue_head *wq, ktime_t *deadline, u64 slack, bool expired);
void luasync_wq_leave(struct wait_queue_head *wq, struct luasync_waiter *waiter);
void luasync_wq_lock_begin(struct wait_queue_head *wq, struct luasync_waiter *waiter);
void luasync_wq_leave_unlock(struct wait_queue_head *wq, struct luasync_waiter *waiter);

unsigned long luasync_wq_lock(struct wait_queue_head *wq)
{
	unsigned long flags;

	spin_lock_irqsave(&wq->lock, flags);
	return flags;
}

void luasync_wq_unlock(struct wait_queue_head *wq, unsigned long flags)
{
	spin_unlock_irqrestore(&wq->lock, flags);
}

/* Queues the current task at the tail, as an exclusive waiter that stays queued when woken. */
void luasync_wq_enqueue(struct wait_queue_head *wq, struct luasync_waiter *waiter)
{
	init_waitqueue_entry(&waiter->entry, current);
	waiter->entry.flags |= WQ_FLAG_EXCLUSIVE;
	waiter->since = jiffies;
	__add_wait_queue_entry_tail(wq, &waiter->entry);
}

void luasync_wq_dequeue(struct wait_queue_head *wq, struct luasync_waiter *waiter)
{
	__remove_wait_queue(wq, &waiter->entry);
}

/*
 * Prints " waiter <pid> (<comm>) <ms> ms" for every task queued on @wq, under
 * its lock: a waker or waiter of that queue waits at most for this loop.
 */
void luasync_wq_show_waiters(struct wait_queue_head *wq, struct seq_file *m)
{
	struct wait_queue_entry *entry;
	unsigned long flags;
	unsigned long now = jiffies;

	spin_lock_irqsave(&wq->lock, flags);
	list_for_each_entry(entry, &wq->head, entry) {
		struct luasync_waiter *waiter = container_of(entry, struct luasync_waiter, entry);
		struct task_struct *task = entry->private;

		seq_printf(m, " waiter %d (%s) %u ms", task_pid_nr(task), task->comm,
			   jiffies_to_msecs(now - waiter->since));
	}
	spin_unlock_irqrestore(&wq->lock, flags);
}

/*
 * Wakes up to @nr exclusive waiters, all of them when @nr is 0, as
 * __wake_up_locked() does, with @wq's lock held. For one waiter whose entry
 * is first on the queue, exclusive, and made by luasync_wq_enqueue() or
 * luasync_wq_begin() (so its wake function is default_wake_function()), that
 * walk would first call try_to_wake_up(task, TASK_NORMAL, 0) on it and stop
 * if the task was asleep: wake_up_process() is that call, without the walk
 * and its indirect call. A task that was awake already (woken, not yet off
 * the queue) makes it walk the queue as the kernel does, from the first
 * entry, which is tried again: a waiter of wait_until() cannot have gone to
 * sleep meanwhile (it sets its state under this lock), and one of wait_any()
 * that did is woken by it, as a walk started a moment later would have.
 */
static __always_inline void luasync_wq_wake_some(struct wait_queue_head *wq, int nr)
{
	struct wait_queue_entry *first;

	/* Nobody queued (the close of an object nobody waits on): no walk. */
	first = list_first_entry_or_null(&wq->head, struct wait_queue_entry, entry);
	if (first == NULL)
		return;
	if (nr == 1) {
		if ((first->flags & WQ_FLAG_EXCLUSIVE) &&
		    first->func == default_wake_function && wake_up_process(first->private))
			return;
	}
	__wake_up_locked(wq, TASK_NORMAL, nr);
}

/*
 * luasync_wq_wake_some() for Rust, @wq's lock held. The waker below has it
 * inline: a call from one to the other costs a waker about 12 instructions.
 */
void luasync_wq_wake_locked(struct wait_queue_head *wq, int nr)
{
	luasync_wq_wake_some(wq, nr);
}

/*
 * As luasync_wq_wake_some(), taking @wq's lock around it, and only if the
 * count of waiters that @queued points to (changed under that lock) is not 0
 * there, so that watchers are not woken when no waiter is: one call for a
 * waker.
 */
void luasync_wq_wake(struct wait_queue_head *wq, int nr, const u32 *queued)
{
	unsigned long flags;

	spin_lock_irqsave(&wq->lock, flags);
	if (READ_ONCE(*queued) != 0)
		luasync_wq_wake_some(wq, nr);
	spin_unlock_irqrestore(&wq->lock, flags);
}

void luasync_set_current_interruptible(void)
{
	set_current_state(TASK_INTERRUPTIBLE);
}

void luasync_set_current_running(void)
{
	__set_current_state(TASK_RUNNING);
}

/*
 * A wait ends with "interrupted" when a signal is pending or when the caller
 * is a kernel thread that kthread_stop() asked to stop. (On 6.12 kthread_stop()
 * also sets TIF_NOTIFY_SIGNAL; the explicit test does not rely on that, which
 * a task can keep signal_pending() from seeing: PF_NO_NOTIFY_SIGNAL.) A poll
 * from interrupt context never is: current is then whatever task the
 * interrupt came in, whose signals are not the poller's.
 */
static __always_inline bool luasync_should_abort(void)
{
	if (!in_task())
		return false;
	if (signal_pending(current))
		return true;
	return (current->flags & PF_KTHREAD) && kthread_should_stop();
}

/* luasync_should_abort(), for Rust; luasync_wq_round() has it inline. */
bool luasync_current_should_abort(void)
{
	return luasync_should_abort();
}

/*
 * Sleeps in the state the caller set until woken or, unless @deadline is
 * NULL, until that absolute CLOCK_MONOTONIC time, @slack ns later at most.
 * Whether it was woken early is not said: the caller looks at the clock.
 */
void luasync_sleep(ktime_t *deadline, u64 slack)
{
	if (deadline != NULL)
		schedule_hrtimeout_range(deadline, slack, HRTIMER_MODE_ABS);
	else
		schedule();
}

/*
 * The start of a wait on @wq, whose lock the caller holds: @waiter queued as
 * luasync_wq_enqueue() queues it, and the task state set for the first
 * round (see luasync_wq_round()).
 */
void luasync_wq_begin(struct wait_queue_head *wq, struct luasync_waiter *waiter)
{
	luasync_wq_enqueue(wq, waiter);
	__set_current_state(TASK_INTERRUPTIBLE);
}

/* What luasync_wq_round() did; rust/sync/waitqueue.rs has the same values. */
enum luasync_wq_round {
	LUASYNC_WQ_SLEPT = 0,
	LUASYNC_WQ_INTERRUPTED = 1,
	LUASYNC_WQ_TIMEOUT = 2,
};

/*
 * One round of a wait on @wq whose condition the caller just found false
 * and whose queue it found open, holding @wq's lock, in the state
 * luasync_wq_begin() or the previous round set. Gives up, in the kernel's
 * order, when a signal or a stop is pending (luasync_should_abort()), then
 * when @expired. Otherwise lets the lock go, sleeps as luasync_sleep() does
 * until woken or @deadline, takes the lock again, and sets the state for
 * the next round before the caller looks at the condition again.
 *
 * A caller that may sleep took the lock with interrupts on, so the lock goes
 * with spin_unlock_irq() and comes back with spin_lock_irq(), as
 * __wait_for_common() does: the flags the caller saved still say "on" for
 * its final unlock, and the round saves and restores none of its own.
 *
 * The state is a plain store, as do_wait_for_common() makes: whoever wakes a
 * waiter of the queue takes its lock first, and so sees it once the waiter
 * let the lock go. schedule() does not sleep for a signal or a
 * kthread_stop() (TIF_NOTIFY_SIGNAL) that comes after the check, and the
 * next round sees it. A waiter that also looks at something a waker changes
 * without that lock puts a full barrier between this store and the look.
 */
int luasync_wq_round(struct wait_queue_head *wq, ktime_t *deadline, u64 slack, bool expired)
{
	if (luasync_should_abort())
		return LUASYNC_WQ_INTERRUPTED;
	if (expired)
		return LUASYNC_WQ_TIMEOUT;
	spin_unlock_irq(&wq->lock);
	luasync_sleep(deadline, slack);
	spin_lock_irq(&wq->lock);
	__set_current_state(TASK_INTERRUPTIBLE);
	return LUASYNC_WQ_SLEPT;
}

/* The end of a wait, under @wq's lock: @waiter off the queue, the task running. */
void luasync_wq_leave(struct wait_queue_head *wq, struct luasync_waiter *waiter)
{
	__remove_wait_queue(wq, &waiter->entry);
	__set_current_state(TASK_RUNNING);
}

/*
 * @wq's lock taken, then luasync_wq_begin(): the start of a wait whose
 * caller may sleep, so has interrupts on, and takes the lock with
 * spin_lock_irq() as __wait_for_common() does.
 */
void luasync_wq_lock_begin(struct wait_queue_head *wq, struct luasync_waiter *waiter)
{
	spin_lock_irq(&wq->lock);
	luasync_wq_begin(wq, waiter);
}

/* luasync_wq_leave(), then @wq's lock let go with interrupts on: the end of the above. */
void luasync_wq_leave_unlock(struct wait_queue_head *wq, struct luasync_waiter *waiter)
{
	luasync_wq_leave(wq, waiter);
	spin_unlock_irq(&wq->lock);
}

/*
 * The table of waits of deadlock detection (rust/sync/deadlock.rs): one
 * spinlock for the module, taken with interrupts saved because the queue
 * locks it nests in are.
 */
static DEFINE_SPINLOCK(luasync_waits);

unsigned long luasync_waits_lock(void);
void luasync_waits_unlock(unsigned long flags);

unsigned long luasync_waits_lock(void)
{
	unsigned long flags;

	spin_lock_irqsave(&luasync_waits, flags);
	return flags;
}

void luasync_waits_unlock(unsigned long flags)
{
	spin_unlock_irqrestore(&luasync_waits, flags);
}

void luasync_wq_watch(struct wait_queue_head *wq, struct luasync_waiter *waiter);

/*
 * Queues the current task as a watcher: woken by every wake-up of the queue
 * (its close included), and, not being exclusive, never counted as one of
 * the waiters a wake-up was meant for. The debugfs view lists it among the
 * queue's waiters.
 */
void luasync_wq_watch(struct wait_queue_head *wq, struct luasync_waiter *waiter)
{
	init_waitqueue_entry(&waiter->entry, current);
	waiter->since = jiffies;
	__add_wait_queue(wq, &waiter->entry);
}
