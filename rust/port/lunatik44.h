/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What luasync's port needs to know of Lunatik 4.4 (tree ce037ea9, with its
 * Lua 5.5 kernel port), written down for builds without Lunatik's sources.
 *
 * The types are always defined here under luasync44_ names. Without Lunatik's
 * headers (LUASYNC_LUNATIK_HEADERS unset), the Lunatik and Lua names the port
 * uses are defined on top of them; with Lunatik's headers, lunatik_port.c
 * checks at build time that these descriptions agree with Lunatik's own.
 *
 * The structures are built from the kernel's own types (kref, mutex, spinlock),
 * exactly as Lunatik builds its own, so they follow the kernel configuration
 * the same way Lunatik's do.
 */
#ifndef LUASYNC_LUNATIK44_H
#define LUASYNC_LUNATIK44_H

#include <linux/kref.h>
#include <linux/limits.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>

/* Object options (lunatik_opt_t, one byte). */
typedef u8 luasync44_opt_t;
#define LUASYNC44_OPT_NONE	((luasync44_opt_t)0)
#define LUASYNC44_OPT_IRQ	((luasync44_opt_t)(1U << 0))	/* runtime or object may not sleep */
#define LUASYNC44_OPT_SOFTIRQ	((luasync44_opt_t)(LUASYNC44_OPT_IRQ | (1U << 1)))
#define LUASYNC44_OPT_HARDIRQ	((luasync44_opt_t)(LUASYNC44_OPT_IRQ | (1U << 2)))
#define LUASYNC44_OPT_MONITOR	((luasync44_opt_t)(1U << 3))
#define LUASYNC44_OPT_SINGLE	((luasync44_opt_t)(1U << 4))
#define LUASYNC44_OPT_EXTERNAL	((luasync44_opt_t)(1U << 5))

struct lua_State;
struct luaL_Reg;

/* lunatik_class_t: 40 bytes on x86_64. */
struct luasync44_class {
	const char *name;
	const struct luaL_Reg *methods;
	void (*release)(void *private);
	int (*opener)(struct lua_State *L);
	luasync44_opt_t opt;
};

/* lunatik_object_t: 72 bytes on x86_64 without lock debugging. */
struct luasync44_object {
	struct kref kref;
	const struct luasync44_class *class;
	void *private;
	union {
		struct mutex mutex;
		spinlock_t spin;
	};
	luasync44_opt_t opt;
	gfp_t gfp;
	unsigned long flags;
};

/* lunatik_runtime_t: Lua's extra space, right before every lua_State. */
struct luasync44_runtime {
	struct luasync44_object *runtime;
	bool ready;
};

#define LUASYNC44_EXTRASPACE	sizeof(struct luasync44_runtime)

/*
 * Lua 5.5's registry pseudo-index no longer depends on LUAI_MAXSTACK (which
 * Lunatik sets to 200): it is fixed at -(INT_MAX/2 + 1000).
 */
#define LUASYNC44_REGISTRYINDEX	(-(INT_MAX / 2 + 1000))

#ifndef LUASYNC_LUNATIK_HEADERS

/* The Lua 5.5 and Lunatik names the port uses, on top of the descriptions above. */

typedef struct lua_State lua_State;
typedef long long lua_Integer;
typedef int (*lua_CFunction)(lua_State *L);
typedef struct luaL_Reg {
	const char *name;
	lua_CFunction func;
} luaL_Reg;

#define LUA_REGISTRYINDEX	LUASYNC44_REGISTRYINDEX
#define LUA_TNONE		(-1)
#define LUA_TNIL		0
#define LUA_TLIGHTUSERDATA	2
#define LUA_TNUMBER		3
#define LUA_TUSERDATA		7

int lua_absindex(lua_State *L, int idx);
void lua_settop(lua_State *L, int idx);
void lua_pushvalue(lua_State *L, int idx);
int lua_type(lua_State *L, int idx);
const char *lua_typename(lua_State *L, int tp);
void *lua_touserdata(lua_State *L, int idx);
void lua_pushcclosure(lua_State *L, lua_CFunction fn, int n);
void lua_pushlightuserdata(lua_State *L, void *p);
void lua_createtable(lua_State *L, int narr, int nrec);
void lua_setfield(lua_State *L, int idx, const char *k);
void lua_rawset(lua_State *L, int idx);
int lua_getiuservalue(lua_State *L, int idx, int n);
void *lua_newuserdatauv(lua_State *L, size_t sz, int nuvalue);
int lua_setmetatable(lua_State *L, int objindex);
int lua_rawgetp(lua_State *L, int idx, const void *p);
void lua_rawsetp(lua_State *L, int idx, const void *p);
void lua_pushinteger(lua_State *L, lua_Integer n);
lua_Integer lua_tointegerx(lua_State *L, int idx, int *isnum);
void luaL_setfuncs(lua_State *L, const luaL_Reg *l, int nup);

typedef luasync44_opt_t lunatik_opt_t;
typedef struct luasync44_class lunatik_class_t;
typedef struct luasync44_object lunatik_object_t;
typedef struct luasync44_runtime lunatik_runtime_t;

#define LUNATIK_OPT_NONE	LUASYNC44_OPT_NONE
#define LUNATIK_OPT_IRQ		LUASYNC44_OPT_IRQ
#define LUNATIK_OPT_SOFTIRQ	LUASYNC44_OPT_SOFTIRQ
#define LUNATIK_OPT_HARDIRQ	LUASYNC44_OPT_HARDIRQ

/* The runtime of a state, from the extra space before it. */
static inline lunatik_object_t *luasync44_toruntime(lua_State *L)
{
	return ((lunatik_runtime_t *)((char *)L - LUASYNC44_EXTRASPACE))->runtime;
}
#define lunatik_toruntime(L)	luasync44_toruntime(L)

lunatik_object_t *lunatik_newobject(lua_State *L, const lunatik_class_t *class, size_t size,
				    lunatik_opt_t opt);
int lunatik_deleteobject(lua_State *L);
void lunatik_releaseobject(struct kref *kref);
#define lunatik_getobject(o)	kref_get(&(o)->kref)
#define lunatik_putobject(o)	kref_put(&(o)->kref, lunatik_releaseobject)

#endif /* !LUASYNC_LUNATIK_HEADERS */

#endif /* LUASYNC_LUNATIK44_H */
