/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The narrow interface between luasync's Rust classes and Lunatik (the "port"),
 * and the Rust symbols the port refers to. Rust declares the same functions in
 * rust/port/mod.rs; the userspace test harness implements them as a test double.
 *
 * Only incomplete struct types appear here, so this header can be included with
 * Lunatik's headers or without them.
 */
#ifndef LUASYNC_PORT_H
#define LUASYNC_PORT_H

#include <linux/types.h>

struct lua_State;
struct luaL_Reg;

/* Class numbers; rust/port/mod.rs (enum Class) uses the same. */
#define LUASYNC_PORT_COMPLETION	0
#define LUASYNC_PORT_MUTEX	1
#define LUASYNC_PORT_SEMAPHORE	2
#define LUASYNC_PORT_NCLASSES	3

/*
 * The body of luaopen_<class>: pushes the library table made of @lib and
 * registers the class metatable in the registry under the class address.
 * Returns the number of values pushed: 1, or 0 after logging an error when
 * Lunatik is not loaded. May raise (it allocates).
 */
int luasync_port_newlib(struct lua_State *L, unsigned int cls, const struct luaL_Reg *lib);

/*
 * Creates and pushes an object of class @cls with @size bytes of zeroed private
 * data, takes a reference on this module for it (dropped by its release), and
 * returns the private data. May raise.
 */
void *luasync_port_newobject(struct lua_State *L, unsigned int cls, size_t size);

/* The private data of the value at @idx if it is a live object of @cls, else NULL. Never raises. */
void *luasync_port_toprivate(struct lua_State *L, int idx, unsigned int cls);

/* The class name of a Lunatik object at @idx, else its Lua type name. Never raises. */
const char *luasync_port_typename(struct lua_State *L, int idx);

/*
 * Takes a reference on the object at @idx if it is a live object of @cls and
 * returns it (a handle for the two calls below), else NULL. Never raises. The
 * object and its private data then live until luasync_port_unhold(), whatever
 * the script does to the value at @idx meanwhile.
 */
void *luasync_port_hold(struct lua_State *L, int idx, unsigned int cls);

/* The private data of a held object. */
void *luasync_port_heldprivate(void *held);

/* Drops the reference of luasync_port_hold(); may release the object. Never raises. */
void luasync_port_unhold(void *held);

/* Whether the runtime of @L may sleep. Never raises. */
bool luasync_port_cansleep(struct lua_State *L);

/*
 * A token naming the runtime of @L: a number given to it when it first opened
 * the mutex library, never given to another runtime; 0 if none. Never raises.
 */
uintptr_t luasync_port_owner(struct lua_State *L);

/* "process", "softirq", "hardirq" or "unknown". Never raises. */
const char *luasync_port_context(struct lua_State *L);

/*
 * Defined in Rust (rust/classes/): release functions and openers. The method
 * tables (luasync_<class>_methods, luaL_Reg arrays) are declared where
 * luaL_Reg is complete, in lunatik_port.c.
 */
void luasync_completion_release(void *private);
void luasync_mutex_release(void *private);
void luasync_semaphore_release(void *private);
int luaopen_completion(struct lua_State *L);
int luaopen_mutex(struct lua_State *L);
int luaopen_semaphore(struct lua_State *L);

#endif /* LUASYNC_PORT_H */
