// SPDX-License-Identifier: GPL-2.0
/*
 * The Lunatik port of luasync: everything that touches Lunatik's C interface
 * (macros, inline functions, structure layouts) is here, behind the narrow
 * interface of luasync_port.h.
 *
 * Compiled against the headers of the Lunatik in use (LUNATIK_DIR), so only
 * this file knows Lunatik's structure layouts, and they are always the ones
 * of the Lunatik that luasync.ko is loaded with.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/compiler.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/stddef.h>

#include <lunatik.h>

#include "luasync_port.h"

/* The method tables of the classes, defined in Rust (rust/classes/). */
extern const luaL_Reg luasync_completion_methods[];
extern const luaL_Reg luasync_mutex_methods[];
extern const luaL_Reg luasync_semaphore_methods[];

/*
 * Each object holds a reference on this module, dropped when Lunatik releases
 * it, so the release function and the methods stay in memory while any object
 * exists, in any runtime. module_put() is the last call, which the compilers
 * emit as a tail jump: once the reference is dropped, no instruction of this
 * module runs any more in this path.
 */
#define LUASYNC_PORT_RELEASE(cls)					\
static void luasync_port_release_##cls(void *private)			\
{									\
	luasync_##cls##_release(private);				\
	module_put(THIS_MODULE);					\
}

LUASYNC_PORT_RELEASE(completion)
LUASYNC_PORT_RELEASE(mutex)
LUASYNC_PORT_RELEASE(semaphore)

/*
 * SOFTIRQ classes: their objects can be created and used in any runtime,
 * including softirq and hardirq ones. The methods that would sleep check the
 * runtime themselves (luasync_port_cansleep).
 */
static const lunatik_class_t luasync_port_classes[LUASYNC_PORT_NCLASSES] = {
	[LUASYNC_PORT_COMPLETION] = {
		.name = "completion",
		.methods = luasync_completion_methods,
		.release = luasync_port_release_completion,
		.opener = luaopen_completion,
		.opt = LUNATIK_OPT_SOFTIRQ,
	},
	[LUASYNC_PORT_MUTEX] = {
		.name = "mutex",
		.methods = luasync_mutex_methods,
		.release = luasync_port_release_mutex,
		.opener = luaopen_mutex,
		.opt = LUNATIK_OPT_SOFTIRQ,
	},
	[LUASYNC_PORT_SEMAPHORE] = {
		.name = "semaphore",
		.methods = luasync_semaphore_methods,
		.release = luasync_port_release_semaphore,
		.opener = luaopen_semaphore,
		.opt = LUNATIK_OPT_SOFTIRQ,
	},
};

static const lunatik_class_t *luasync_port_class(unsigned int cls)
{
	return cls < LUASYNC_PORT_NCLASSES ? &luasync_port_classes[cls] : NULL;
}

/* Registry keys: the owner id of a runtime, and its pins on this module. */
static char luasync_port_owner_key;
static char luasync_port_pin_keys[LUASYNC_PORT_NCLASSES];

/* __gc of a pin: the runtime that held it is closing (or dropped the library). */
static int luasync_port_unpin(lua_State *L)
{
	module_put(THIS_MODULE);
	return 0;
}

/*
 * A runtime that opened one of our libraries keeps calling into this module
 * through its library table and class metatable, even when it holds no object
 * any more: Lunatik opens a class in a runtime by calling its opener directly
 * when an object is passed there, without the module reference that require()
 * takes. So every opening pins the module until the runtime closes: a
 * userdata in its registry whose __gc drops the reference. Pushes nothing;
 * false if the module is going away. May raise, but only before it takes the
 * reference or after the pin is armed (then the collector drops it).
 */
static bool luasync_port_pin(lua_State *L, unsigned int cls)
{
	lua_newuserdatauv(L, 0, 0);
	lua_createtable(L, 0, 1);
	lua_pushcclosure(L, luasync_port_unpin, 0);
	lua_setfield(L, -2, "__gc");
	if (!try_module_get(THIS_MODULE)) {
		lua_settop(L, -3);
		return false;
	}
	lua_setmetatable(L, -2);
	/* Replacing an older pin of this class lets the collector drop that one. */
	lua_rawsetp(L, LUA_REGISTRYINDEX, &luasync_port_pin_keys[cls]);
	return true;
}

/*
 * Names the runtime of @L for mutex ownership with a number no other runtime
 * ever gets: runtime objects are freed and their addresses reused, so an
 * address would let a new runtime own a mutex an old one left locked. Every
 * coroutine of the runtime shares the registry, and so the name. May raise.
 */
static void luasync_port_name_owner(lua_State *L)
{
	static atomic64_t last_owner = ATOMIC64_INIT(0);

	if (lua_rawgetp(L, LUA_REGISTRYINDEX, &luasync_port_owner_key) == LUA_TNIL) {
		lua_pushinteger(L, (lua_Integer)atomic64_inc_return(&last_owner));
		lua_rawsetp(L, LUA_REGISTRYINDEX, &luasync_port_owner_key);
	}
	lua_settop(L, -2);
}

int luasync_port_newlib(lua_State *L, unsigned int cls, const luaL_Reg *lib)
{
	const lunatik_class_t *class = luasync_port_class(cls);

	if (WARN_ON_ONCE(class == NULL))
		return 0;
	if (!luasync_port_pin(L, cls)) {
		pr_err("%s: luasync is being unloaded\n", class->name);
		return 0;
	}
	if (cls == LUASYNC_PORT_MUTEX)
		luasync_port_name_owner(L);

	/* The library table, as luaL_newlib makes it. */
	lua_createtable(L, 0, 1);
	luaL_setfuncs(L, lib, 0);

	/* registry[&class] = metatable, with __index = itself and Lunatik's __gc. */
	lua_pushlightuserdata(L, (void *)class);
	lua_createtable(L, 0, 12);
	luaL_setfuncs(L, class->methods, 0);
	lua_pushcclosure(L, lunatik_deleteobject, 0);
	lua_setfield(L, -2, "__gc");
	lua_pushvalue(L, -1);
	lua_setfield(L, -2, "__index");
	lua_rawset(L, LUA_REGISTRYINDEX);
	return 1;
}

void *luasync_port_newobject(lua_State *L, unsigned int cls, size_t size)
{
	const lunatik_class_t *class = luasync_port_class(cls);
	lunatik_object_t *object;

	/* Rust only passes its own class numbers. */
	BUILD_BUG_ON(LUASYNC_PORT_NCLASSES != ARRAY_SIZE(luasync_port_classes));
	if (WARN_ON_ONCE(class == NULL))
		return NULL;

	/*
	 * Pushes the object; raises on failure, before any reference is taken.
	 * The runtime's pin (luasync_port_pin) keeps the module live here.
	 */
	object = lunatik_newobject(L, class, size, LUNATIK_OPT_NONE);
	__module_get(THIS_MODULE);
	return object->private;
}

/* The class of a Lunatik object at @idx (its first user value), or NULL. */
static const lunatik_class_t *luasync_port_classof(lua_State *L, int idx)
{
	const lunatik_class_t *class = NULL;

	if (lua_type(L, idx) != LUA_TUSERDATA)
		return NULL;
	idx = lua_absindex(L, idx);
	if (lua_getiuservalue(L, idx, 1) == LUA_TLIGHTUSERDATA)
		class = lua_touserdata(L, -1);
	lua_settop(L, -2);
	return class;
}

void *luasync_port_toprivate(lua_State *L, int idx, unsigned int cls)
{
	const lunatik_class_t *class = luasync_port_class(cls);
	lunatik_object_t **pobject;

	if (class == NULL || luasync_port_classof(L, idx) != class)
		return NULL;
	pobject = lua_touserdata(L, idx);
	/* Null after __gc; private is null after a close. */
	if (pobject == NULL || *pobject == NULL || (*pobject)->class != class)
		return NULL;
	return (*pobject)->private;
}

const char *luasync_port_typename(lua_State *L, int idx)
{
	const lunatik_class_t *class = luasync_port_classof(L, idx);
	unsigned int cls;

	/*
	 * The first user value of a userdata can be any light userdata, so only
	 * a pointer to one of our own classes is followed.
	 */
	for (cls = 0; cls < LUASYNC_PORT_NCLASSES; cls++)
		if (class == &luasync_port_classes[cls])
			return class->name;
	return lua_typename(L, lua_type(L, idx));
}

void *luasync_port_hold(lua_State *L, int idx, unsigned int cls)
{
	const lunatik_class_t *class = luasync_port_class(cls);
	lunatik_object_t **pobject;

	if (luasync_port_toprivate(L, idx, cls) == NULL)
		return NULL;
	pobject = lua_touserdata(L, idx);
	lunatik_getobject(*pobject);
	WARN_ON_ONCE((*pobject)->class != class);
	return *pobject;
}

void *luasync_port_heldprivate(void *held)
{
	return ((lunatik_object_t *)held)->private;
}

void luasync_port_unhold(void *held)
{
	lunatik_putobject((lunatik_object_t *)held);
}

bool luasync_port_cansleep(lua_State *L)
{
	lunatik_object_t *runtime = lunatik_toruntime(L);

	return runtime != NULL && !(runtime->opt & LUNATIK_OPT_IRQ);
}

uintptr_t luasync_port_owner(lua_State *L)
{
	uintptr_t owner = 0;

	/* Set by luaopen_mutex in every runtime that can hold a mutex. */
	if (lua_rawgetp(L, LUA_REGISTRYINDEX, &luasync_port_owner_key) == LUA_TNUMBER)
		owner = (uintptr_t)lua_tointegerx(L, -1, NULL);
	lua_settop(L, -2);
	return owner;
}

const char *luasync_port_context(lua_State *L)
{
	lunatik_object_t *runtime = lunatik_toruntime(L);

	if (runtime == NULL)
		return "unknown";
	if ((runtime->opt & LUNATIK_OPT_HARDIRQ) == LUNATIK_OPT_HARDIRQ)
		return "hardirq";
	if ((runtime->opt & LUNATIK_OPT_SOFTIRQ) == LUNATIK_OPT_SOFTIRQ)
		return "softirq";
	if (runtime->opt & LUNATIK_OPT_IRQ)
		return "irq";
	return "process";
}
