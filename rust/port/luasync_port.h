/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one definition of the interface between luasync's Rust code and
 * Lunatik (the "port"): the list of classes, the functions the port
 * implements in C (lunatik_port.c) and the items each Rust class provides.
 * bindgen turns this header into the Rust declarations, for the module (a
 * Kbuild rule) and for the userspace test build (its build.rs), so a change
 * here that Rust does not follow fails both builds.
 *
 * Self-contained: only opaque Lua types and the C basic types, so that it
 * reads the same with and without the kernel's headers.
 */
#ifndef LUASYNC_PORT_H
#define LUASYNC_PORT_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stddef.h>
#endif

struct lua_State;
struct luaL_Reg;

/*
 * The classes. Adding one is an entry here and its file in rust/classes/:
 * the port makes luaopen_<name> (exported, what require "<name>" finds), the
 * Lunatik class and its metatable from the luasync_<name>_ops the file
 * defines.
 */
#define LUASYNC_CLASSES(X)	\
	X(completion)		\
	X(mutex)		\
	X(semaphore)		\
	X(channel)		\
	X(waitany)		\
	X(condition)		\
	X(rwsem)

enum luasync_class {
#define LUASYNC_CLASS_ENUM(name) LUASYNC_CLASS_##name,
	LUASYNC_CLASSES(LUASYNC_CLASS_ENUM)
#undef LUASYNC_CLASS_ENUM
	LUASYNC_NCLASSES
};

/*
 * What each class provides (defined in Rust as luasync_<name>_ops).
 * @lib: the library table (its functions, "new" ...), NULL-terminated.
 * @call: instead of a table, the library is this one function (a library
 *	without objects, such as waitany: @methods is then NULL).
 * @methods: the methods and metamethods of its objects (the port adds
 *	__gc and __index).
 * @size: the size of an object's private data.
 * @close: wakes every thread waiting on the private data, which then
 *	returns "closed"; called once, when the object is closed or released.
 *	Never sleeps.
 * @drop: drops the private data in place, once the last thread using it
 *	is gone; in softirq context (an RCU callback). Never sleeps. NULL
 *	when the private data has nothing to drop.
 * @describe: writes the object's state as one line (no newline) into @buf
 *	of @size bytes, NUL-terminated; for the debugfs view. Never sleeps.
 * @heads: the kernel wait queue heads of the object (NULL: none), for the
 *	debugfs view of its waiters.
 */
struct luasync_ops {
	const struct luaL_Reg *lib;
	int (*call)(struct lua_State *L);
	const struct luaL_Reg *methods;
	size_t size;
	void (*close)(void *private);
	void (*drop)(void *private);
	void (*describe)(void *private, char *buf, size_t size);
	void (*heads)(void *private, void **heads);
};

/* How a blocking call ended, for the statistics of the debugfs view. */
enum luasync_outcome {
	LUASYNC_DONE,
	LUASYNC_TIMEOUT,
	LUASYNC_INTERRUPT,
	LUASYNC_CLOSED_WAIT,
	LUASYNC_NOUTCOMES
};

#define LUASYNC_CLASS_OPS(name) extern const struct luasync_ops luasync_##name##_ops;
LUASYNC_CLASSES(LUASYNC_CLASS_OPS)
#undef LUASYNC_CLASS_OPS

/* What luasync_port_missing() says was at a stack index. */
enum luasync_found {
	LUASYNC_FOUND,		/* a live object of the class asked for */
	LUASYNC_CLOSED,		/* an object of that class, closed */
	LUASYNC_RELEASED,	/* an object of that class, released by its __gc */
	LUASYNC_OTHER,		/* anything else */
};

/*
 * Each function is declared through a typedef, so that a Rust definition
 * of it (the userspace test double) can be checked against this header.
 */

/*
 * Creates an object of @cls, pushes it and returns its private data:
 * @size bytes of ops, uninitialised, aligned for any Rust type the classes
 * use, to be initialised in place and then published. Until then no lookup
 * finds the object. The object holds a reference on the module until it is
 * dropped. Raises on failure, before anything is owned.
 */
typedef void *luasync_port_newobject_t(struct lua_State *L, enum luasync_class cls);
luasync_port_newobject_t luasync_port_newobject;

/*
 * Lets lookups find the object whose private data, just initialised, is
 * @private (from luasync_port_newobject()). Never raises, never sleeps.
 */
typedef void luasync_port_publish_t(void *private);
luasync_port_publish_t luasync_port_publish;

/*
 * The private data of the object at @idx if it is a live object of @cls,
 * with a reference that keeps it valid memory until luasync_port_put(),
 * whatever happens to the object meanwhile (closed, collected, in any
 * runtime); NULL otherwise (luasync_port_missing() says why). Never raises.
 */
typedef void *luasync_port_get_t(struct lua_State *L, int idx, enum luasync_class cls);
luasync_port_get_t luasync_port_get;

/*
 * Why luasync_port_get() or luasync_port_peek() just found no live object
 * of @cls at @idx; never LUASYNC_FOUND. Asked after the fact, so that the
 * lookups that succeed pay nothing for the answer: an object only goes from
 * live to closed to released, never back, and a value at an index does not
 * change while the call runs, so the answer is the state that stopped the
 * lookup or a later one. Never raises.
 */
typedef enum luasync_found luasync_port_missing_t(struct lua_State *L, int idx,
						  enum luasync_class cls);
luasync_port_missing_t luasync_port_missing;

/* Drops a reference of luasync_port_get(). Never raises, never sleeps. */
typedef void luasync_port_put_t(void *private);
luasync_port_put_t luasync_port_put;

/*
 * As luasync_port_get(), but without a reference: the private data stays
 * valid memory, its value not dropped, until luasync_port_unpeek(), for
 * calls that neither sleep nor call into Lua meanwhile (an RCU read-side
 * section in the module). Never raises.
 */
typedef void *luasync_port_peek_t(struct lua_State *L, int idx, enum luasync_class cls);
luasync_port_peek_t luasync_port_peek;

/* Ends a luasync_port_peek() that found @private. Never raises, never sleeps. */
typedef void luasync_port_unpeek_t(void *private);
luasync_port_unpeek_t luasync_port_unpeek;

/*
 * Ends a luasync_port_peek() that found @private, turning it into a reference
 * as luasync_port_get() gives, for a call that goes on to sleep; false if the
 * last reference went since the peek (the object was closed or released:
 * nothing is held then). Never raises, never sleeps.
 */
typedef bool luasync_port_hold_t(void *private);
luasync_port_hold_t luasync_port_hold;

/*
 * The class name of the luasync object at @idx, else its Lua type name.
 * Never raises.
 */
typedef const char *luasync_port_typename_t(struct lua_State *L, int idx);
luasync_port_typename_t luasync_port_typename;

/* Whether the runtime of @L may sleep. Never raises. */
typedef bool luasync_port_cansleep_t(struct lua_State *L);
luasync_port_cansleep_t luasync_port_cansleep;

/*
 * A number naming the runtime of @L, the same for its coroutines, given
 * when it first opened a luasync library and never given to another
 * runtime; 0 if none. Never raises.
 */
typedef size_t luasync_port_owner_t(struct lua_State *L);
luasync_port_owner_t luasync_port_owner;

/* "process", "softirq", "hardirq" or "unknown". Never raises. */
typedef const char *luasync_port_context_t(struct lua_State *L);
luasync_port_context_t luasync_port_context;

/* Counts a blocking call of @cls that ended with @outcome. Never sleeps. */
typedef void luasync_port_waited_t(enum luasync_class cls, enum luasync_outcome outcome);
luasync_port_waited_t luasync_port_waited;

/*
 * luasync_port_waited(@cls, @outcome), then luasync_port_put(@private): one
 * call at the end of a blocking call. Never raises, never sleeps.
 */
typedef void luasync_port_putwaited_t(void *private, enum luasync_class cls,
				      enum luasync_outcome outcome);
luasync_port_putwaited_t luasync_port_putwaited;

/* The name of @cls, as scripts see it. */
typedef const char *luasync_port_classname_t(enum luasync_class cls);
luasync_port_classname_t luasync_port_classname;

/*
 * Lunatik's generic close of the object at index 1 (raises unless it is a
 * Lunatik object), as a Lua function for a class's "close" and "__close".
 */
typedef int luasync_port_close_t(struct lua_State *L);
luasync_port_close_t luasync_port_close;

/*
 * A reference on the Lunatik object at @idx, of any class, to carry into
 * another runtime (as lunatik._ENV carries objects); NULL if the value is
 * not a Lunatik object or cannot be shared, *@why saying which. Allocates
 * with the runtime's flags (NULL and "not enough memory" when that fails).
 * Never raises.
 */
typedef void *luasync_port_objget_t(struct lua_State *L, int idx, const char **why);
luasync_port_objget_t luasync_port_objget;

/*
 * Pushes the object of a reference of luasync_port_objget into @L, with a
 * reference of its own (the one given stays the caller's). May raise.
 */
typedef void luasync_port_objpush_t(struct lua_State *L, void *ref);
luasync_port_objpush_t luasync_port_objpush;

/*
 * Drops a reference of luasync_port_objget. Never raises, never sleeps:
 * where the caller may not sleep, the reference is dropped later, from a
 * work item, since releasing an object can sleep.
 */
typedef void luasync_port_objput_t(void *ref);
luasync_port_objput_t luasync_port_objput;

/* Bytes left on the current kernel stack below the caller's frame. */
typedef size_t luasync_port_stackleft_t(void);
luasync_port_stackleft_t luasync_port_stackleft;

/* The size of a task's kernel stack (THREAD_SIZE: larger with KASAN). */
typedef size_t luasync_port_stacksize_t(void);
luasync_port_stacksize_t luasync_port_stacksize;

/* Module init and exit: set the port up, and wait for what it left running. */
typedef int luasync_port_init_t(void);
luasync_port_init_t luasync_port_init;
typedef void luasync_port_exit_t(void);
luasync_port_exit_t luasync_port_exit;

#endif /* LUASYNC_PORT_H */
