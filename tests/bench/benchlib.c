// SPDX-License-Identifier: GPL-2.0
/*
 * luasync_benchlib: what the Lua-level bench (tests/bench/lua/) needs and
 * Lunatik's Lua lacks. A Lunatik library, linked into luasync_testlib.ko:
 *
 *   local benchlib = require("luasync_benchlib")
 *   benchlib.pin(cpu)        -- the calling kernel thread runs on CPU cpu only
 *                            -- (nil: on every CPU again); returns the CPU it
 *                            -- runs on, or nil and "error -ERRNO"
 *   benchlib.cpu()           -- the CPU the caller runs on now
 *   local p = benchlib.profile([period_us])
 *                            -- samples every online CPU every period_us
 *                            -- (default 250) until p:stop()
 *   benchlib.profiled()      -- counts the calling thread's samples too (the
 *                            -- thread that started the profile is counted)
 *   p:pause(), p:resume()    -- samples are dropped while paused
 *   p:samples()              -- the samples of the counted threads so far
 *   p:stop()                 -- a table: samples (of the counted threads),
 *                            -- idle, other (other threads), lost (buffer
 *                            -- full), period_us, and top = {{n, name}, ...},
 *                            -- the functions the counted threads were in,
 *                            -- most samples first, named as %ps names them
 *                            -- ("_raw_spin_unlock_irqrestore < caller" for
 *                            -- the unlock helpers)
 *
 * The profiler. The test kernel has neither ftrace nor a PMU under QEMU's
 * TCG, and Rust code gets no mcount in 6.12, so it samples: an hrtimer per
 * CPU records the kernel instruction pointer that its interrupt interrupted
 * (get_irq_regs()), when the running thread is one of the counted ones. So
 * it sees only what runs with interrupts enabled: the time of a section
 * with interrupts off lands on the instruction that enables them again
 * (_raw_spin_unlock_irqrestore and the like). Each sample is then charged
 * to the function that holds its address (kallsyms); a sample in one of
 * those unlock helpers, frameless leaves whose return address is on the top
 * of the stack, is charged to the helper and its caller, so the profile says
 * whose section with interrupts off it was. One profile at a time;
 * the profile object's __gc stops it if the script did not, so no timer
 * outlives the runtime (which holds this module until it closes).
 * Test support only: never loaded outside the VM.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpumask.h>
#include <linux/ctype.h>
#include <linux/hex.h>
#include <linux/hrtimer.h>
#include <linux/kallsyms.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/sort.h>
#include <linux/uaccess.h>
#include <linux/string.h>
#include <asm/irq_regs.h>
#include <asm/ptrace.h>

#include <lunatik.h>

#define BENCH_PROFILE_MT	"luasync_benchlib.profile"
#define BENCH_PERIOD_US		250
#define BENCH_MAX_SAMPLES	(1 << 16)	/* per CPU */
#define BENCH_MAX_TASKS		16
#define BENCH_TOP		256	/* functions ranked */

/* A sample: the interrupted instruction, and the word on the top of its stack. */
struct bench_sample {
	unsigned long ip;
	unsigned long top;
};

/* One CPU's sampler. */
struct bench_slot {
	struct hrtimer timer;
	struct bench_sample *samples;
	unsigned int n;
	unsigned int idle, other, lost;
};

/* The profile in progress; bench_lock guards starting and stopping it. */
static DEFINE_MUTEX(bench_lock);
static struct {
	void *owner;		/* the userdata of the running profile, or NULL */
	struct bench_slot *slots;	/* nr_cpu_ids of them */
	ktime_t period;
	bool paused;
	unsigned int ntasks;
	struct task_struct *tasks[BENCH_MAX_TASKS];	/* compared, never followed */
} bench;

/* A function (and the caller of an unlock helper, or 0) and the samples charged to it. */
struct bench_fn {
	unsigned long addr;
	unsigned long caller;
	unsigned long n;
};

/* What p:stop() returns, built in a Lua userdata so that a raise leaks nothing. */
struct bench_result {
	unsigned long samples, idle, other, lost;
	unsigned int ntop;
	struct bench_fn top[BENCH_TOP];
	char name[2 * KSYM_SYMBOL_LEN + 4];	/* of one entry, "function < caller" */
};

static bool bench_counted(struct task_struct *task)
{
	unsigned int i, n = smp_load_acquire(&bench.ntasks);

	for (i = 0; i < n; i++)
		if (READ_ONCE(bench.tasks[i]) == task)
			return true;
	return false;
}

static enum hrtimer_restart bench_sample(struct hrtimer *timer)
{
	struct bench_slot *slot = container_of(timer, struct bench_slot, timer);
	struct pt_regs *regs = get_irq_regs();

	if (!READ_ONCE(bench.paused)) {
		if (is_idle_task(current))
			slot->idle++;
		else if (!bench_counted(current) || regs == NULL || user_mode(regs))
			slot->other++;
		else if (slot->n < BENCH_MAX_SAMPLES) {
			struct bench_sample *sample = &slot->samples[slot->n++];

			sample->ip = instruction_pointer(regs);
			if (get_kernel_nofault(sample->top, (unsigned long *)kernel_stack_pointer(regs)))
				sample->top = 0;
		} else
			slot->lost++;
	}
	hrtimer_forward_now(timer, bench.period);
	return HRTIMER_RESTART;
}

/* Runs on each CPU: its timer must be started there to stay there. */
static void bench_arm(void *unused)
{
	struct bench_slot *slot = &bench.slots[smp_processor_id()];

	hrtimer_start(&slot->timer, bench.period, HRTIMER_MODE_REL_PINNED_HARD);
}

static void bench_free_slots(void)
{
	unsigned int cpu;

	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		kvfree(bench.slots[cpu].samples);
	kfree(bench.slots);
	bench.slots = NULL;
}

/* Starts a profile owned by @owner: 0, or a negative errno. Holds bench_lock. */
static int bench_start(void *owner, unsigned int period_us)
{
	unsigned int cpu;

	if (bench.owner != NULL)
		return -EBUSY;
	bench.slots = kcalloc(nr_cpu_ids, sizeof(*bench.slots), GFP_KERNEL);
	if (bench.slots == NULL)
		return -ENOMEM;
	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		struct bench_slot *slot = &bench.slots[cpu];

		slot->samples = kvmalloc_array(BENCH_MAX_SAMPLES, sizeof(*slot->samples), GFP_KERNEL);
		if (slot->samples == NULL) {
			bench_free_slots();
			return -ENOMEM;
		}
		hrtimer_init(&slot->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
		slot->timer.function = bench_sample;
	}
	bench.owner = owner;
	bench.period = ns_to_ktime((u64)period_us * NSEC_PER_USEC);
	WRITE_ONCE(bench.paused, false);
	WRITE_ONCE(bench.tasks[0], current);
	smp_store_release(&bench.ntasks, 1);
	on_each_cpu(bench_arm, NULL, 1);
	return 0;
}

/* By function, then by caller: equal keys end up next to each other. */
static int bench_cmp_key(const void *a, const void *b)
{
	const struct bench_fn *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->caller < y->caller ? -1 : x->caller > y->caller;
}

static int bench_cmp_top(const void *a, const void *b)
{
	const struct bench_fn *x = a, *y = b;

	return x->n > y->n ? -1 : x->n < y->n;
}

/*
 * The start of the function holding @addr, as kallsyms knows it: @addr minus
 * the offset that "name+0xOFF/0xSIZE [module]" gives; 0 when no symbol holds
 * it. @unlock tells whether that function is one of the helpers that enable
 * interrupts again (_raw_spin_unlock_irq, _raw_spin_unlock_irqrestore).
 */
static unsigned long bench_function(unsigned long addr, bool *unlock)
{
	char buf[KSYM_SYMBOL_LEN];
	unsigned long offset = 0;
	const char *p;

	sprint_symbol(buf, addr);
	p = strchr(buf, '+');
	if (p == NULL || strncmp(p, "+0x", 3) != 0 || p == buf)
		return 0;
	if (unlock != NULL)
		*unlock = strncmp(buf, "_raw_spin_unlock_irq", strlen("_raw_spin_unlock_irq")) == 0;
	for (p += 3; isxdigit(*p); p++)
		offset = offset * 16 + hex_to_bin(*p);
	return offset <= addr ? addr - offset : 0;
}

/*
 * Charges the samples @all[0..@n) to their functions (in @keys, @n of them)
 * and fills @res with the BENCH_TOP keys that got most samples. A sample no
 * symbol holds is charged to its own address.
 */
static void bench_rank(const struct bench_sample *all, struct bench_fn *keys, size_t n,
		       struct bench_result *res)
{
	unsigned long last = 0, fn = 0;
	size_t i, j, nruns = 0;
	bool unlock = false;

	for (i = 0; i < n; i++) {
		keys[i].addr = all[i].ip;
		keys[i].caller = all[i].top;
		keys[i].n = 1;
	}
	/* One kallsyms lookup per distinct address, and per caller of an unlock helper. */
	sort(keys, n, sizeof(*keys), bench_cmp_key, NULL);
	for (i = 0; i < n; i = j) {
		unsigned long caller;

		if (i == 0 || keys[i].addr != last) {
			last = keys[i].addr;
			fn = bench_function(last, &unlock);
		}
		caller = unlock ? bench_function(keys[i].caller, NULL) : 0;

		for (j = i; j < n && keys[j].addr == keys[i].addr && keys[j].caller == keys[i].caller; j++)
			;
		while (i < j) {
			keys[i].addr = fn ? fn : keys[i].addr;
			keys[i++].caller = caller;
		}
	}
	sort(keys, n, sizeof(*keys), bench_cmp_key, NULL);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && bench_cmp_key(&keys[j], &keys[i]) == 0; j++)
			;
		keys[nruns] = keys[i];
		keys[nruns++].n = j - i;
	}
	sort(keys, nruns, sizeof(*keys), bench_cmp_top, NULL);
	res->ntop = min_t(size_t, nruns, BENCH_TOP);
	memcpy(res->top, keys, res->ntop * sizeof(*keys));
}

/*
 * Stops the profile of @owner; with @res, ranks its samples there. Holds
 * bench_lock. False if @owner's profile is not the one running.
 */
static bool bench_stop(void *owner, struct bench_result *res)
{
	struct bench_sample *all = NULL;
	struct bench_fn *keys = NULL;
	unsigned int cpu;
	size_t n = 0;

	if (owner == NULL || bench.owner != owner)
		return false;
	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		hrtimer_cancel(&bench.slots[cpu].timer);
	smp_store_release(&bench.ntasks, 0);
	if (res != NULL) {
		memset(res, 0, sizeof(*res));
		for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
			struct bench_slot *slot = &bench.slots[cpu];

			res->samples += slot->n;
			res->idle += slot->idle;
			res->other += slot->other;
			res->lost += slot->lost;
		}
		all = kvmalloc_array(res->samples ? res->samples : 1, sizeof(*all), GFP_KERNEL);
		keys = kvmalloc_array(res->samples ? res->samples : 1, sizeof(*keys), GFP_KERNEL);
	}
	if (all != NULL && keys != NULL) {
		for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
			struct bench_slot *slot = &bench.slots[cpu];

			memcpy(all + n, slot->samples, slot->n * sizeof(*all));
			n += slot->n;
		}
		bench_rank(all, keys, n, res);
	}
	kvfree(keys);
	kvfree(all);
	bench_free_slots();
	bench.owner = NULL;
	return true;
}

static void bench_checksleep(lua_State *L, const char *what)
{
	if (lunatik_isirq(lunatik_toruntime(L)->opt))
		luaL_error(L, "luasync_benchlib: %s: cannot sleep in this runtime", what);
}

static int benchlib_pin(lua_State *L)
{
	const struct cpumask *mask = cpu_possible_mask;
	int ret;

	if (!lua_isnoneornil(L, 1)) {
		lua_Integer cpu = luaL_checkinteger(L, 1);

		luaL_argcheck(L, cpu >= 0 && cpu < nr_cpu_ids && cpu_online(cpu), 1,
			      "no such CPU online");
		mask = cpumask_of(cpu);
	}
	bench_checksleep(L, "pin");
	/* Moves the caller at once when it runs on a CPU it may not use any more. */
	ret = set_cpus_allowed_ptr(current, mask);
	if (ret < 0) {
		lua_pushnil(L);
		lua_pushfstring(L, "error %d", ret);
		return 2;
	}
	lua_pushinteger(L, raw_smp_processor_id());
	return 1;
}

static int benchlib_cpu(lua_State *L)
{
	lua_pushinteger(L, raw_smp_processor_id());
	return 1;
}

static int benchlib_profile(lua_State *L)
{
	lua_Integer period = luaL_optinteger(L, 1, BENCH_PERIOD_US);
	void **owner;
	int ret;

	luaL_argcheck(L, period >= 10 && period <= 1000000, 1, "period out of bounds (10 to 10^6 us)");
	bench_checksleep(L, "profile");
	owner = lua_newuserdatauv(L, sizeof(*owner), 0);
	*owner = NULL;
	luaL_setmetatable(L, BENCH_PROFILE_MT);
	mutex_lock(&bench_lock);
	ret = bench_start(owner, period);
	mutex_unlock(&bench_lock);
	if (ret < 0) {
		lua_pushnil(L);
		lua_pushfstring(L, "error %d", ret);
		return 2;
	}
	*owner = owner;
	return 1;
}

static int benchlib_profiled(lua_State *L)
{
	bool counted = false;

	mutex_lock(&bench_lock);
	if (bench.owner != NULL && bench.ntasks < BENCH_MAX_TASKS) {
		WRITE_ONCE(bench.tasks[bench.ntasks], current);
		smp_store_release(&bench.ntasks, bench.ntasks + 1);
		counted = true;
	}
	mutex_unlock(&bench_lock);
	lua_pushboolean(L, counted);
	return 1;
}

static void **bench_checkprofile(lua_State *L)
{
	return luaL_checkudata(L, 1, BENCH_PROFILE_MT);
}

static int bench_setpaused(lua_State *L, bool paused)
{
	void **owner = bench_checkprofile(L);

	mutex_lock(&bench_lock);
	if (*owner != NULL && bench.owner == *owner)
		WRITE_ONCE(bench.paused, paused);
	mutex_unlock(&bench_lock);
	return 0;
}

static int bench_samples(lua_State *L)
{
	void **owner = bench_checkprofile(L);
	unsigned long n = 0;
	unsigned int cpu;

	mutex_lock(&bench_lock);
	if (*owner != NULL && bench.owner == *owner)
		for (cpu = 0; cpu < nr_cpu_ids; cpu++)
			n += READ_ONCE(bench.slots[cpu].n);
	mutex_unlock(&bench_lock);
	lua_pushinteger(L, n);
	return 1;
}

static int bench_pause(lua_State *L)
{
	return bench_setpaused(L, true);
}

static int bench_resume(lua_State *L)
{
	return bench_setpaused(L, false);
}

#define bench_setfield(L, name, value)		\
do {						\
	lua_pushinteger((L), (value));		\
	lua_setfield((L), -2, (name));		\
} while (0)

static int bench_report(lua_State *L)
{
	void **owner = bench_checkprofile(L);
	struct bench_result *res;
	unsigned int i;
	bool stopped;

	bench_checksleep(L, "stop");
	res = lua_newuserdatauv(L, sizeof(*res), 0);
	mutex_lock(&bench_lock);
	stopped = bench_stop(*owner, res);
	mutex_unlock(&bench_lock);
	if (!stopped)
		return luaL_error(L, "luasync_benchlib: stop: the profile is not running");
	*owner = NULL;

	lua_createtable(L, 0, 6);
	bench_setfield(L, "samples", res->samples);
	bench_setfield(L, "idle", res->idle);
	bench_setfield(L, "other", res->other);
	bench_setfield(L, "lost", res->lost);
	bench_setfield(L, "period_us", ktime_to_us(bench.period));
	lua_createtable(L, res->ntop, 0);
	for (i = 0; i < res->ntop; i++) {
		lua_createtable(L, 2, 0);
		lua_pushinteger(L, res->top[i].n);
		lua_rawseti(L, -2, 1);
		if (res->top[i].caller)
			snprintf(res->name, sizeof(res->name), "%ps < %ps", (void *)res->top[i].addr,
				 (void *)res->top[i].caller);
		else
			snprintf(res->name, sizeof(res->name), "%ps", (void *)res->top[i].addr);
		lua_pushstring(L, res->name);
		lua_rawseti(L, -2, 2);
		lua_rawseti(L, -2, i + 1);
	}
	lua_setfield(L, -2, "top");
	return 1;
}

/* __gc: a profile the script did not stop stops here, its samples dropped. */
static int bench_gc(lua_State *L)
{
	void **owner = bench_checkprofile(L);

	mutex_lock(&bench_lock);
	bench_stop(*owner, NULL);
	mutex_unlock(&bench_lock);
	*owner = NULL;
	return 0;
}

static const luaL_Reg bench_profile_methods[] = {
	{"stop", bench_report},
	{"pause", bench_pause},
	{"resume", bench_resume},
	{"samples", bench_samples},
	{"__gc", bench_gc},
	{NULL, NULL}
};

static const luaL_Reg benchlib_lib[] = {
	{"pin", benchlib_pin},
	{"cpu", benchlib_cpu},
	{"profile", benchlib_profile},
	{"profiled", benchlib_profiled},
	{NULL, NULL}
};

/* The profile's metatable, made where the library is opened. */
static int benchlib_open(lua_State *L)
{
	if (luaL_newmetatable(L, BENCH_PROFILE_MT)) {
		luaL_setfuncs(L, bench_profile_methods, 0);
		lua_pushvalue(L, -1);
		lua_setfield(L, -2, "__index");
	}
	lua_pop(L, 1);
	luaL_newlib(L, benchlib_lib);
	return 1;
}

int luaopen_luasync_benchlib(lua_State *L);
int luaopen_luasync_benchlib(lua_State *L)
{
	return benchlib_open(L);
}
EXPORT_SYMBOL_GPL(luaopen_luasync_benchlib);
