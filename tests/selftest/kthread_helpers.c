// SPDX-License-Identifier: GPL-2.0
/*
 * What the self-test needs from the kernel that is a static inline function, and so
 * cannot be called from Rust in 6.12.
 */
#include <linux/cpumask.h>
#include <linux/preempt.h>
#include <linux/signal.h>

void luasync_selftest_allow_signal(int sig);

/* Lets the calling kernel thread receive @sig (kernel threads ignore signals by default). */
void luasync_selftest_allow_signal(int sig)
{
	allow_signal(sig);
}

void luasync_selftest_preempt_disable(void);
void luasync_selftest_preempt_enable(void);

/* Keeps the calling thread on its CPU, unpreempted, until the enable. */
void luasync_selftest_preempt_disable(void)
{
	preempt_disable();
}

void luasync_selftest_preempt_enable(void)
{
	preempt_enable();
}

bool luasync_selftest_cpu_online(unsigned int cpu);

/* Whether @cpu exists and is online. */
bool luasync_selftest_cpu_online(unsigned int cpu)
{
	return cpu < nr_cpu_ids && cpu_online(cpu);
}
