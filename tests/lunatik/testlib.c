// SPDX-License-Identifier: GPL-2.0
/*
 * luasync_testlib.ko: what the in-kernel Lua tests need and Lunatik's Lua
 * lacks. A Lunatik library:
 *
 *   local testlib = require("luasync_testlib")
 *   testlib.read(path [, max])   -- the file's first max (4096) bytes, or
 *                                -- nil and "error -ERRNO"
 *   testlib.runtime(script [, context])
 *                                -- lunatik.runtime(script, context), made
 *                                -- outside every runtime: a runtime object,
 *                                -- or nil and "error -ERRNO"
 *   testlib.stop(runtime)        -- runtime:stop(), likewise
 *   testlib.stackleft()          -- bytes left on this kernel stack
 *   testlib.failslab(mode, n, f, ...)
 *                                -- f(...) in protected mode, with this
 *                                -- task's n-th slab allocation failing
 *                                -- ("once"), or the n-th and every later
 *                                -- one ("from"): whether the n-th was
 *                                -- reached, then pcall's results
 *
 * The tests read /proc/<pid>/stat and /proc/<pid>/wchan to see that a kernel
 * thread sleeps inside a luasync wait, and files of /sys and debugfs.
 *
 * Why runtimes are made and stopped from a work item: a Lua script that makes
 * or stops a runtime does it holding its own runtime's mutex, and Lunatik
 * gives every runtime's mutex one lockdep class, so lockdep reports "possible
 * recursive locking" and turns itself off for the rest of the boot. Made and
 * stopped here, with no runtime lock held, they leave lockdep on for
 * luasync's own locks. Test support only: never loaded outside the VM.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/uio.h>
#include <linux/workqueue.h>
#include <linux/completion.h>
#include <linux/string.h>
#include <linux/sched/task_stack.h>

#include <lunatik.h>

#define TESTLIB_READ_MAX	(64 * 1024)

/*
 * kernel_read() refuses files that only have .read (most of /proc/<pid>/,
 * whose seq_file .read is seq_read, and debugfs files): read those through
 * seq_read_iter() into a kernel buffer, as seq_read() itself would.
 */
static ssize_t testlib_kernel_read(struct file *file, char *buf, size_t count, loff_t *pos)
{
	struct kvec kvec = { .iov_base = buf, .iov_len = count };
	struct iov_iter iter;
	struct kiocb kiocb;
	ssize_t ret;

	/*
	 * debugfs wraps a file's operations in its proxy, whose .read is not
	 * seq_read either; the seq_file that the file's own open made is in
	 * private_data all the same. The files the tests read are seq_files
	 * (/proc/<pid>/, luasync's debugfs view) or have .read_iter (sysfs).
	 */
	if (file->f_op->read_iter != NULL || file->f_op->read == NULL)
		return kernel_read(file, buf, count, pos);
	init_sync_kiocb(&kiocb, file);
	kiocb.ki_pos = *pos;
	iov_iter_kvec(&iter, ITER_DEST, &kvec, 1, count);
	ret = seq_read_iter(&kiocb, &iter);
	*pos = kiocb.ki_pos;
	return ret;
}

static int testlib_read(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	lua_Integer max = luaL_optinteger(L, 2, 4096);
	struct file *file;
	loff_t pos = 0;
	size_t total = 0;
	ssize_t got;
	char *buf;

	luaL_argcheck(L, max > 0 && max <= TESTLIB_READ_MAX, 2, "out of bounds");
	if (lunatik_isirq(lunatik_toruntime(L)->opt))
		return luaL_error(L, "luasync_testlib: read: cannot sleep in this runtime");

	/* The buffer belongs to Lua, so the calls below that may raise leak nothing. */
	buf = lua_newuserdatauv(L, max, 0);
	file = filp_open(path, O_RDONLY, 0);
	if (IS_ERR(file)) {
		lua_pushnil(L);
		lua_pushfstring(L, "error %d", (int)PTR_ERR(file));
		return 2;
	}
	/* A seq_file gives a buffer of lines a read: read until the end, or max. */
	do {
		got = testlib_kernel_read(file, buf + total, max - total, &pos);
		if (got > 0)
			total += got;
	} while (got > 0 && total < max);
	filp_close(file, NULL);
	if (got < 0) {
		lua_pushnil(L);
		lua_pushfstring(L, "error %d", (int)got);
		return 2;
	}
	lua_pushlstring(L, buf, total);
	return 1;
}

/* One runtime made or stopped by a work item while the caller waits. */
struct testlib_job {
	struct work_struct work;
	struct completion done;
	const char *script;		/* to make: the script's name */
	lunatik_opt_t opt;
	lunatik_object_t *runtime;	/* made, or to stop */
	int ret;
};

static void testlib_make(struct work_struct *work)
{
	struct testlib_job *job = container_of(work, struct testlib_job, work);

	job->ret = lunatik_runtime(&job->runtime, job->script, job->opt);
	complete(&job->done);
}

/* Stops the runtime unless stopped already, then drops the job's reference. */
static void testlib_stopjob(struct work_struct *work)
{
	struct testlib_job *job = container_of(work, struct testlib_job, work);
	lunatik_object_t *runtime = job->runtime;
	bool running;

	lunatik_lock(runtime);
	running = runtime->private != NULL;
	lunatik_unlock(runtime);
	/* The tests stop each runtime from one thread: nothing stops it in between. */
	if (running)
		lunatik_stop(runtime);	/* drops the job's reference */
	else
		lunatik_putobject(runtime);
	complete(&job->done);
}

static void testlib_run(struct testlib_job *job, work_func_t func)
{
	INIT_WORK_ONSTACK(&job->work, func);
	init_completion(&job->done);
	queue_work(system_unbound_wq, &job->work);
	wait_for_completion(&job->done);
	destroy_work_on_stack(&job->work);
}

/* Pushes the runtime given as a light userdata (a protected call: may raise). */
static int testlib_push(lua_State *L)
{
	lunatik_object_t *runtime = lua_touserdata(L, 1);

	lunatik_cloneobject(L, runtime);
	return 1;
}

static int testlib_runtime(lua_State *L)
{
	static const char *const contexts[] = {"process", "softirq", "hardirq", NULL};
	static const lunatik_opt_t opts[] = {LUNATIK_OPT_NONE, LUNATIK_OPT_SOFTIRQ, LUNATIK_OPT_HARDIRQ};
	struct testlib_job job = {
		.script = luaL_checkstring(L, 1),
		.opt = opts[luaL_checkoption(L, 2, "process", contexts)],
	};

	if (lunatik_isirq(lunatik_toruntime(L)->opt))
		return luaL_error(L, "luasync_testlib: runtime: cannot sleep in this runtime");
	testlib_run(&job, testlib_make);
	if (job.ret < 0) {
		lua_pushnil(L);
		lua_pushfstring(L, "error %d", job.ret);
		return 2;
	}
	/* The reference lunatik_runtime() returned goes to the pushed object. */
	lua_pushcfunction(L, testlib_push);
	lua_pushlightuserdata(L, job.runtime);
	if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
		job.work = (struct work_struct){};
		testlib_run(&job, testlib_stopjob);
		return lua_error(L);
	}
	return 1;
}

static int testlib_stop(lua_State *L)
{
	lunatik_object_t *runtime = lunatik_checkobject(L, 1);
	struct testlib_job job = { .runtime = runtime };

	luaL_argcheck(L, strcmp(runtime->class->name, "lunatik") == 0, 1, "runtime expected");
	if (lunatik_isirq(lunatik_toruntime(L)->opt))
		return luaL_error(L, "luasync_testlib: stop: cannot sleep in this runtime");
	lunatik_getobject(runtime);	/* the job's */
	testlib_run(&job, testlib_stopjob);
	return 0;
}

/* The distance from the stack pointer to the end of the task's stack. */
static int testlib_stackleft(lua_State *L)
{
	unsigned long sp = current_stack_pointer;
	unsigned long bottom = (unsigned long)task_stack_page(current);

	lua_pushinteger(L, sp >= bottom && sp < bottom + THREAD_SIZE ? sp - bottom : -1);
	return 1;
}

/*
 * Allocation failures aimed at one call (tests/faults/). The task's
 * fail_nth makes its n-th fault-injection point fail, whatever the
 * attributes say; "from" also sets its make_it_fail, so that every later
 * slab allocation fails through failslab's attributes, which the suite sets
 * up from the shell: task-filter Y, probability 100, interval 1, times -1,
 * space 0, verbose 0 and, for GFP_KERNEL allocations, ignore-gfp-wait N.
 * Both are cleared before anything else runs after the call.
 */
static int testlib_failslab(lua_State *L)
{
#ifdef CONFIG_FAULT_INJECTION
	static const char *const modes[] = {"once", "from", NULL};
	int from = luaL_checkoption(L, 1, NULL, modes);
	lua_Integer nth = luaL_checkinteger(L, 2);
	unsigned int left;
	int status;

	luaL_argcheck(L, nth >= 1 && nth <= INT_MAX, 2, "out of bounds");
	luaL_checktype(L, 3, LUA_TFUNCTION);
	lua_rotate(L, 1, -2);
	lua_settop(L, -3);	/* f, args */

	current->make_it_fail = from;
	WRITE_ONCE(current->fail_nth, (unsigned int)nth);
	status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
	left = READ_ONCE(current->fail_nth);
	WRITE_ONCE(current->fail_nth, 0);
	current->make_it_fail = 0;

	luaL_checkstack(L, 2, NULL);
	lua_pushboolean(L, status == LUA_OK);
	lua_insert(L, 1);
	lua_pushboolean(L, left == 0);
	lua_insert(L, 1);
	return lua_gettop(L);
#else
	return luaL_error(L, "luasync_testlib: failslab: no fault injection in this kernel "
		"(CONFIG_FAULT_INJECTION is off)");
#endif
}

static const luaL_Reg testlib_lib[] = {
	{"read", testlib_read},
	{"runtime", testlib_runtime},
	{"stop", testlib_stop},
	{"stackleft", testlib_stackleft},
	{"failslab", testlib_failslab},
	{NULL, NULL}
};

LUNATIK_NEWLIB(luasync_testlib, testlib_lib, NULL);

static int __init testlib_init(void)
{
	return 0;
}

static void __exit testlib_exit(void)
{
}

module_init(testlib_init);
module_exit(testlib_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("luasync: test support for the in-kernel Lua tests");
