// SPDX-License-Identifier: GPL-2.0
/*
 * The Lunatik port of luasync: everything that touches Lunatik's C interface
 * (macros, inline functions, structure layouts) is here, behind the narrow
 * interface of luasync_port.h.
 *
 * Built against Lunatik's own headers when LUNATIK_DIR is given
 * (LUASYNC_LUNATIK_HEADERS), against lunatik44.h otherwise; with both, the
 * build checks that they agree.
 *
 * luasync.ko loads without Lunatik: the Lua and Lunatik symbols are weak
 * references, null until Lunatik is loaded before luasync. Every entry point
 * that Lua can reach first is luaopen_<class>, which returns through
 * luasync_port_newlib; that is where their presence is checked.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/compiler.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/stddef.h>

#ifdef LUASYNC_LUNATIK_HEADERS
#include <lunatik.h>
#endif
#include "lunatik44.h"
#include "luasync_port.h"

#ifdef LUASYNC_LUNATIK_HEADERS
/* Our description of Lunatik 4.4 must match the headers we are built against. */
#define LUASYNC_AGREE(ours, theirs, what)					\
	_Static_assert((ours) == (theirs), "rust/port/lunatik44.h disagrees with "	\
		       "Lunatik's headers on " what ": update it for this Lunatik")

LUASYNC_AGREE(sizeof(struct luasync44_object), sizeof(lunatik_object_t), "sizeof(lunatik_object_t)");
LUASYNC_AGREE(offsetof(struct luasync44_object, kref), offsetof(lunatik_object_t, kref), "lunatik_object_t.kref");
LUASYNC_AGREE(offsetof(struct luasync44_object, class), offsetof(lunatik_object_t, class), "lunatik_object_t.class");
LUASYNC_AGREE(offsetof(struct luasync44_object, private), offsetof(lunatik_object_t, private), "lunatik_object_t.private");
LUASYNC_AGREE(offsetof(struct luasync44_object, mutex), offsetof(lunatik_object_t, mutex), "lunatik_object_t.mutex");
LUASYNC_AGREE(offsetof(struct luasync44_object, spin), offsetof(lunatik_object_t, spin), "lunatik_object_t.spin");
LUASYNC_AGREE(offsetof(struct luasync44_object, opt), offsetof(lunatik_object_t, opt), "lunatik_object_t.opt");
LUASYNC_AGREE(offsetof(struct luasync44_object, gfp), offsetof(lunatik_object_t, gfp), "lunatik_object_t.gfp");
LUASYNC_AGREE(offsetof(struct luasync44_object, flags), offsetof(lunatik_object_t, flags), "lunatik_object_t.flags");

LUASYNC_AGREE(sizeof(struct luasync44_class), sizeof(lunatik_class_t), "sizeof(lunatik_class_t)");
LUASYNC_AGREE(offsetof(struct luasync44_class, name), offsetof(lunatik_class_t, name), "lunatik_class_t.name");
LUASYNC_AGREE(offsetof(struct luasync44_class, methods), offsetof(lunatik_class_t, methods), "lunatik_class_t.methods");
LUASYNC_AGREE(offsetof(struct luasync44_class, release), offsetof(lunatik_class_t, release), "lunatik_class_t.release");
LUASYNC_AGREE(offsetof(struct luasync44_class, opener), offsetof(lunatik_class_t, opener), "lunatik_class_t.opener");
LUASYNC_AGREE(offsetof(struct luasync44_class, opt), offsetof(lunatik_class_t, opt), "lunatik_class_t.opt");

LUASYNC_AGREE(sizeof(luasync44_opt_t), sizeof(lunatik_opt_t), "sizeof(lunatik_opt_t)");
LUASYNC_AGREE(LUASYNC44_OPT_NONE, LUNATIK_OPT_NONE, "LUNATIK_OPT_NONE");
LUASYNC_AGREE(LUASYNC44_OPT_IRQ, LUNATIK_OPT_IRQ, "LUNATIK_OPT_IRQ");
LUASYNC_AGREE(LUASYNC44_OPT_SOFTIRQ, LUNATIK_OPT_SOFTIRQ, "LUNATIK_OPT_SOFTIRQ");
LUASYNC_AGREE(LUASYNC44_OPT_HARDIRQ, LUNATIK_OPT_HARDIRQ, "LUNATIK_OPT_HARDIRQ");
LUASYNC_AGREE(LUASYNC44_OPT_MONITOR, LUNATIK_OPT_MONITOR, "LUNATIK_OPT_MONITOR");
LUASYNC_AGREE(LUASYNC44_OPT_SINGLE, LUNATIK_OPT_SINGLE, "LUNATIK_OPT_SINGLE");
LUASYNC_AGREE(LUASYNC44_OPT_EXTERNAL, LUNATIK_OPT_EXTERNAL, "LUNATIK_OPT_EXTERNAL");

LUASYNC_AGREE(sizeof(struct luasync44_runtime), sizeof(lunatik_runtime_t), "sizeof(lunatik_runtime_t)");
LUASYNC_AGREE(offsetof(struct luasync44_runtime, runtime), offsetof(lunatik_runtime_t, runtime), "lunatik_runtime_t.runtime");
LUASYNC_AGREE(LUASYNC44_EXTRASPACE, LUA_EXTRASPACE, "LUA_EXTRASPACE");
LUASYNC_AGREE(LUASYNC44_REGISTRYINDEX, LUA_REGISTRYINDEX, "LUA_REGISTRYINDEX");
LUASYNC_AGREE(sizeof(lua_Integer), 8, "sizeof(lua_Integer)");
#endif /* LUASYNC_LUNATIK_HEADERS */

#if defined(CONFIG_X86_64) && !defined(CONFIG_DEBUG_MUTEXES) && \
	!defined(CONFIG_DEBUG_LOCK_ALLOC) && !defined(CONFIG_DEBUG_SPINLOCK) && \
	!defined(CONFIG_PREEMPT_RT)
/* The layout recorded for Lunatik 4.4 on the x86_64 test kernel without lock debugging. */
#define LUASYNC_LAYOUT(expr, what) \
	_Static_assert(expr, "rust/port/lunatik44.h: unexpected layout of " what)
LUASYNC_LAYOUT(sizeof(struct luasync44_object) == 72, "lunatik_object_t (72 bytes)");
LUASYNC_LAYOUT(offsetof(struct luasync44_object, class) == 8, "lunatik_object_t.class (@8)");
LUASYNC_LAYOUT(offsetof(struct luasync44_object, private) == 16, "lunatik_object_t.private (@16)");
LUASYNC_LAYOUT(offsetof(struct luasync44_object, mutex) == 24, "lunatik_object_t lock (@24)");
LUASYNC_LAYOUT(offsetof(struct luasync44_object, opt) == 56, "lunatik_object_t.opt (@56)");
LUASYNC_LAYOUT(offsetof(struct luasync44_object, gfp) == 60, "lunatik_object_t.gfp (@60)");
LUASYNC_LAYOUT(offsetof(struct luasync44_object, flags) == 64, "lunatik_object_t.flags (@64)");
LUASYNC_LAYOUT(sizeof(struct luasync44_class) == 40, "lunatik_class_t (40 bytes)");
LUASYNC_LAYOUT(offsetof(struct luasync44_class, opt) == 32, "lunatik_class_t.opt (@32)");
LUASYNC_LAYOUT(LUASYNC44_EXTRASPACE == 16, "LUA_EXTRASPACE (16)");
#endif

/* The method tables of the classes, defined in Rust (rust/classes/). */
extern const luaL_Reg luasync_completion_methods[];
extern const luaL_Reg luasync_mutex_methods[];
extern const luaL_Reg luasync_semaphore_methods[];

/*
 * Weak, so that the compiler keeps the null test below: the symbol is null
 * while Lunatik is not loaded.
 */
extern typeof(lunatik_newobject) lunatik_newobject __weak;

static bool luasync_port_lunatik_present(void)
{
	void *probe = (void *)lunatik_newobject;

	OPTIMIZER_HIDE_VAR(probe);
	return probe != NULL;
}

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

	if (!luasync_port_lunatik_present()) {
		pr_err("Lunatik is not loaded: load Lunatik before luasync\n");
		return 0;
	}
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
