// SPDX-License-Identifier: GPL-2.0
/*
 * The Lunatik port of luasync (see luasync_port.h): everything that touches
 * Lunatik's C interface (macros, inline functions, structure layouts) is
 * here. It is compiled against the headers of the Lunatik in use
 * (LUNATIK_DIR), so it always sees the layouts of the Lunatik that
 * luasync.ko is loaded with.
 *
 * Objects. Lunatik frees an object's private data when the object is closed
 * (lunatik_closeobject, which any Lunatik class may expose as "close" and
 * which accepts an object of any class), whoever is still using it. So the
 * classes are EXTERNAL: Lunatik keeps a pointer to a block of ours and never
 * frees it. The block is counted: the object holds one reference, dropped
 * when Lunatik releases or closes it, and every method call in flight holds
 * one (luasync_port_get/put), taken under rcu_read_lock_sched() on the
 * block found for the object (see the index below); a call that neither
 * sleeps nor calls into Lua only peeks (luasync_port_peek/unpeek), inside
 * such an RCU read-side section, without a reference. The last reference
 * drops the block's reference on the module and marks it dead; an RCU grace
 * period after it leaves the index (no reader and no peek left), the Rust
 * value is dropped and the block freed, in a batch (see the registry).
 * The sections are of the sched flavour, which is rcu_read_lock() with
 * preemption disabled and which call_rcu() waits for (since
 * v5.0): it is inline, where preemptible RCU's lock and unlock are calls,
 * and these sections are on the path of every method call.
 *
 * Unloading. Every block and every runtime that opened a luasync library
 * holds a reference on the module, so it cannot be unloaded while Lua can
 * reach its code. What remains is the return path after the last reference
 * goes: the instructions of the release function after module_put(), and
 * Lunatik reading class->opt from our descriptor after the release function
 * returned (lunatik_releaseprivate). The exit function waits for both with
 * synchronize_rcu_tasks(): every task that was running there has left by the
 * time each task has passed a voluntary context switch; and for the RCU
 * callbacks that free blocks, with rcu_barrier(). References on other objects
 * dropped where sleeping is not allowed are dropped by a work item, which exit
 * flushes after the callbacks (they may queue some).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/compiler.h>
#include <linux/debugfs.h>
#include <linux/hash.h>
#include <linux/hashtable.h>
#include <linux/list.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/export.h>
#include <linux/kernel.h>
#include <linux/llist.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/workqueue.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/stddef.h>

#include <lunatik.h>

#include "luasync_port.h"

/* The private data of an object: a counted block around the Rust value. */
struct luasync_port_block {
	struct rcu_head rcu;
	refcount_t refs;
	enum luasync_class cls;
	/* The object the block belongs to: the key of the index; followed only by the release. */
	const lunatik_object_t *object;
	int state;		/* LUASYNC_PORT_{NEW,REACHABLE,GONE}: what lookups find */
	struct hlist_node hash;	/* in luasync_port_index */
	u64 id;			/* the object's number in the debugfs view */
	int fate;		/* LUASYNC_PORT_{BORN,LISTED,DEAD}: see the registry */
	/* In luasync_port_born, then (if listed) luasync_port_dead, then a batch. */
	struct llist_node queue;
	u64 data[];	/* the Rust value, 8-byte aligned (see the caches) */
};

/*
 * The registry. Every block is in the index (below), which the debugfs view
 * also walks, from the first settle after its creation to the first after
 * its last reference (a block that dies before a settle never is); the
 * making and the freeing of an object take no lock. A new block goes onto
 * the list of the born (BORN). A settle (luasync_port_settle) takes that
 * list under the lock and moves each block into the index (LISTED), unless
 * its last reference went first (DEAD). The last reference marks the block
 * DEAD and, if it was LISTED, puts it on the list of the dead, which the
 * next settle takes out of the index; one atomic exchange on each side
 * decides which settle owns the block. A settle frees the dead it took,
 * listed or not, together, after one grace period. It runs once
 * LUASYNC_PORT_BATCH blocks were born or died since the last one (so that
 * one settle, with interrupts off, does a bounded amount of work), at once
 * when a value has something to drop, when a lookup in the index misses
 * an object that may be born since the last settle or being listed by one,
 * when a read of the view starts, and at exit. The lock is taken by
 * settles and by readers of the view (for a buffer of lines).
 */
static DEFINE_SPINLOCK(luasync_port_objects_lock);
static LLIST_HEAD(luasync_port_born);
static LLIST_HEAD(luasync_port_dead);
static atomic_t luasync_port_unsettled = ATOMIC_INIT(0);
/* A power of two: every multiple of it counted triggers a settle. */
#define LUASYNC_PORT_BATCH 64
/* Odd while a settle lists and delists, for a lookup that missed meanwhile. */
static seqcount_spinlock_t luasync_port_settling =
	SEQCNT_SPINLOCK_ZERO(luasync_port_settling, &luasync_port_objects_lock);

/*
 * Whether a birth or a death just counted calls for a settle: each multiple
 * of the batch does, so that a caller slow to settle does not hold the
 * others back (the count since the last settle, which resets it, bounds the
 * work of one settle).
 */
static __always_inline bool luasync_port_count(void)
{
	BUILD_BUG_ON(!is_power_of_2(LUASYNC_PORT_BATCH));
	return (atomic_inc_return(&luasync_port_unsettled) & (LUASYNC_PORT_BATCH - 1)) == 0;
}

/* The fates of a block: where it is in the lists above. */
enum {
	LUASYNC_PORT_BORN,
	LUASYNC_PORT_LISTED,
	LUASYNC_PORT_DEAD,
};

/* llist_add(), inline: the making and the freeing of every object pass here. */
static __always_inline void luasync_port_push(struct llist_node *node, struct llist_head *head)
{
	struct llist_node *first = READ_ONCE(head->first);

	do {
		node->next = first;
	} while (!try_cmpxchg(&head->first, &first, node));
}

/* Per class: objects made and freed. */
struct luasync_port_stats {
	atomic64_t made;
	atomic64_t freed;
};

static struct luasync_port_stats luasync_port_stats[LUASYNC_NCLASSES];

/*
 * Per class, how blocking calls ended: counted on the CPU of the call, so
 * that waiters on different CPUs do not all write to one cache line; summed
 * by the reader of the view.
 */
struct luasync_port_waits {
	u64 n[LUASYNC_NCLASSES][LUASYNC_NOUTCOMES];
};

static DEFINE_PER_CPU(struct luasync_port_waits, luasync_port_waits);

/*
 * Per class with objects, the slab cache of its blocks (/proc/slabinfo names
 * them luasync_<class>, unless the slab allocator merges them with others).
 */
static struct kmem_cache *luasync_port_caches[LUASYNC_NCLASSES];

static const struct luasync_ops *const luasync_port_ops[LUASYNC_NCLASSES] = {
#define LUASYNC_PORT_OPS(name) [LUASYNC_CLASS_##name] = &luasync_##name##_ops,
	LUASYNC_CLASSES(LUASYNC_PORT_OPS)
#undef LUASYNC_PORT_OPS
};

static void luasync_port_release(void *private);

#define LUASYNC_PORT_OPENER(name) int luaopen_##name(lua_State *L);
LUASYNC_CLASSES(LUASYNC_PORT_OPENER)
#undef LUASYNC_PORT_OPENER

/*
 * HARDIRQ: objects can live in any runtime, and Lunatik's generic close
 * takes their lock with interrupts saved, which is right in any context.
 * The methods that would sleep check the runtime themselves.
 */
static const lunatik_class_t luasync_port_classes[LUASYNC_NCLASSES] = {
#define LUASYNC_PORT_CLASS(cname) [LUASYNC_CLASS_##cname] = {	\
		.name = #cname,					\
		.release = luasync_port_release,			\
		.opener = luaopen_##cname,				\
		.opt = LUNATIK_OPT_HARDIRQ | LUNATIK_OPT_EXTERNAL,	\
	},
	LUASYNC_CLASSES(LUASYNC_PORT_CLASS)
#undef LUASYNC_PORT_CLASS
};

static const lunatik_class_t *luasync_port_class(enum luasync_class cls)
{
	return (unsigned int)cls < LUASYNC_NCLASSES ? &luasync_port_classes[cls] : NULL;
}

/* The states of a block: found by lookups from its publish to its release. */
enum {
	LUASYNC_PORT_NEW,
	LUASYNC_PORT_REACHABLE,
	LUASYNC_PORT_GONE,
};

/*
 * Finding an object's block. A method's receiver is one of our objects when
 * its userdata is as big as Lunatik makes them (lunatik_newpobject) and the
 * pointer it holds is the object of a reachable block: the pointer is
 * compared, never followed, so a userdata of any other kind (whatever it
 * holds) is refused without reading past it. What Lunatik's own check reads,
 * the class in the first user value, takes no part: a script can change it
 * (debug.setuservalue), not the object the userdata points to.
 *
 * The index, a hash table of every block by object, changes under
 * luasync_port_objects_lock: a block is in it from the settle after its
 * creation to the one after its last reference, and a lookup that misses an
 * object that may be born since, or being listed, settles and asks again.
 * Lookups take only the reachable blocks (published, not released), so a
 * block of a freed object and one of a new object at the same address can
 * both be there. In front of it, a cache maps the hash of an object to the
 * block last found for it, so that a lookup usually costs a load and three
 * comparisons; a slot that holds another object's block, or an unreachable
 * one, sends it the long way (luasync_port_miss).
 *
 * The cache is written without a lock: by a lookup that found the block the
 * long way (and by the publish), which writes the slot and then, after a
 * full barrier, reads the block's state; and by the release, which sets that
 * state and then, after a full barrier, empties the slot if it holds the
 * block. One of the two sees the other, so the slot is emptied of a released
 * block by one of them. Each writes the slot holding a reference to the
 * block, and the writer empties it before dropping that reference, the
 * release before dropping the object's: so a slot holds a block only before
 * its last reference goes, and a reader that met the block there started
 * before the grace period that ends before the block is freed.
 */
#define LUASYNC_PORT_INDEX_BITS 12
static DEFINE_HASHTABLE(luasync_port_index, LUASYNC_PORT_INDEX_BITS);

#define LUASYNC_PORT_CACHE_BITS 10
/*
 * A slot of the cache. The object is a hint, read first so that a miss does
 * not read the block of another object; what counts is the block's own.
 */
struct luasync_port_slot {
	const lunatik_object_t *object;
	struct luasync_port_block *block;
};

static struct luasync_port_slot luasync_port_cache[1 << LUASYNC_PORT_CACHE_BITS];

static __always_inline struct luasync_port_slot *luasync_port_slot(const lunatik_object_t *object)
{
	return &luasync_port_cache[hash_ptr(object, LUASYNC_PORT_CACHE_BITS)];
}

/*
 * Puts @block in its cache slot, holding a reference to it that the caller
 * drops only after this returns; takes it out again if its release came
 * first (see above).
 */
static void luasync_port_cache_fill(struct luasync_port_slot *slot,
				    struct luasync_port_block *block)
{
	WRITE_ONCE(slot->block, block);
	WRITE_ONCE(slot->object, block->object);
	/* Pairs with the barrier of luasync_port_forget(). */
	smp_mb();
	if (READ_ONCE(block->state) == LUASYNC_PORT_GONE)
		cmpxchg(&slot->block, block, NULL);
}

/* The reachable block of @object in the index, inside an RCU-sched section; or NULL. */
static struct luasync_port_block *luasync_port_index_find(const lunatik_object_t *object)
{
	struct luasync_port_block *block;

	hash_for_each_possible_rcu(luasync_port_index, block, hash, (unsigned long)object) {
		/* Acquire: the value its publish initialised. */
		if (block->object == object &&
		    smp_load_acquire(&block->state) == LUASYNC_PORT_REACHABLE)
			return block;
	}
	return NULL;
}

/* Makes a block unreachable by lookups: at its release, once. */
static void luasync_port_forget(struct luasync_port_block *block)
{
	WRITE_ONCE(block->state, LUASYNC_PORT_GONE);
	/* Pairs with the barrier of luasync_port_cache_fill(). */
	smp_mb();
	cmpxchg(&luasync_port_slot(block->object)->block, block, NULL);
}

/*
 * An RCU callback, for a batch of dead blocks linked by their queue nodes
 * from the one whose head it is: drops their values and frees them. Runs in
 * softirq context: the classes' drops never sleep (a channel's message
 * defers what could). Module exit waits for it (rcu_barrier), so the module
 * references can go before it runs.
 */
static void luasync_port_free(struct rcu_head *head)
{
	struct luasync_port_block *block = container_of(head, struct luasync_port_block, rcu);
	struct luasync_port_block *next;

	llist_for_each_entry_safe(block, next, &block->queue, queue) {
		if (luasync_port_ops[block->cls]->drop != NULL)
			luasync_port_ops[block->cls]->drop(block->data);
		kmem_cache_free(luasync_port_caches[block->cls], block);
	}
}

/*
 * Settles the born and the dead (see the registry), then hands the dead to RCU
 * as one batch: their values are dropped and their blocks freed after a
 * grace period that starts after the last lookup could find them (in the
 * index, which the listed ones left here; in the cache, which each left
 * before its last reference went; see the index), and after the peeks that
 * may still look at them (luasync_port_peek). A queue node is read before
 * the exchange that may hand it to the list of the dead.
 */
static void luasync_port_settle(void)
{
	struct luasync_port_block *block, *next;
	struct llist_node *dead, *born, *batch = NULL;
	unsigned long flags;

	spin_lock_irqsave(&luasync_port_objects_lock, flags);
	write_seqcount_begin(&luasync_port_settling);
	atomic_set(&luasync_port_unsettled, 0);
	dead = llist_del_all(&luasync_port_dead);
	born = llist_del_all(&luasync_port_born);
	llist_for_each_entry_safe(block, next, born, queue) {
		if (cmpxchg(&block->fate, LUASYNC_PORT_BORN, LUASYNC_PORT_LISTED) ==
		    LUASYNC_PORT_BORN) {
			hash_add_rcu(luasync_port_index, &block->hash,
				     (unsigned long)block->object);
			continue;
		}
		block->queue.next = batch;
		batch = &block->queue;
	}
	llist_for_each_entry_safe(block, next, dead, queue) {
		hash_del_rcu(&block->hash);
		block->queue.next = batch;
		batch = &block->queue;
	}
	write_seqcount_end(&luasync_port_settling);
	spin_unlock_irqrestore(&luasync_port_objects_lock, flags);
	if (batch != NULL)
		call_rcu(&llist_entry(batch, struct luasync_port_block, queue)->rcu,
			 luasync_port_free);
}

/*
 * The last reference to @block went: it is DEAD, and joins the list of the
 * dead if a settle listed it (otherwise the settle that takes it from the
 * born frees it), to be freed with the others, at once if its value has
 * something to drop. Drops the block's module reference at once, so that
 * rmmod right after the last object went succeeds.
 */
static noinline void luasync_port_unref_last(struct luasync_port_block *block)
{
	bool drop = luasync_port_ops[block->cls]->drop != NULL;

	atomic64_inc(&luasync_port_stats[block->cls].freed);
	if (xchg(&block->fate, LUASYNC_PORT_DEAD) == LUASYNC_PORT_LISTED)
		luasync_port_push(&block->queue, &luasync_port_dead);
	if (luasync_port_count() || drop)
		luasync_port_settle();
	module_put(THIS_MODULE);
}

/* Drops a reference to @block; inline, so that all but the last cost one atomic. */
static __always_inline void luasync_port_unref(struct luasync_port_block *block)
{
	if (refcount_dec_and_test(&block->refs))
		luasync_port_unref_last(block);
}

/*
 * Lunatik's release function of every class: the object was closed
 * (lunatik_closeobject, by a caller that holds it) or collected
 * (lunatik_releaseobject, its count at 0; the object is freed after this
 * returns). The close is skipped only when it would find nobody: the object
 * collected, so that no userdata points to it and no lookup can start on
 * it, and its block held by the object alone, so that no call is in flight
 * on it (a call in the collecting state itself, such as a scope whose
 * function released the last value of its mutex, holds a reference).
 */
static void luasync_port_release(void *private)
{
	struct luasync_port_block *block = private;

	luasync_port_forget(block);
	if (kref_read(&block->object->kref) != 0 || refcount_read(&block->refs) != 1)
		luasync_port_ops[block->cls]->close(block->data);
	luasync_port_unref(block);
}

void luasync_port_publish(void *private)
{
	struct luasync_port_block *block = container_of(private, struct luasync_port_block, data[0]);

	/*
	 * A full barrier: the value the caller initialised comes before the
	 * state that lets lookups reach it. Nothing else can have released the
	 * object yet, but a release is never undone. The slot is filled under
	 * the creator's reference (luasync_port_newobject), dropped here.
	 */
	if (cmpxchg(&block->state, LUASYNC_PORT_NEW, LUASYNC_PORT_REACHABLE) == LUASYNC_PORT_NEW)
		luasync_port_cache_fill(luasync_port_slot(block->object), block);
	luasync_port_unref(block);
}

static atomic64_t luasync_port_last_id = ATOMIC64_INIT(0);

void *luasync_port_newobject(lua_State *L, enum luasync_class cls)
{
	const lunatik_class_t *class = luasync_port_class(cls);
	lunatik_object_t *runtime = lunatik_toruntime(L);
	struct luasync_port_block *block;
	lunatik_object_t *object;
	gfp_t gfp;

	if (WARN_ON_ONCE(class == NULL || luasync_port_caches[cls] == NULL))
		return NULL;
	gfp = runtime != NULL && lunatik_isirq(runtime->opt) ? GFP_ATOMIC : GFP_KERNEL;

	/* Pushes the object, with no private data yet; raises before owning anything. */
	object = lunatik_newobject(L, class, 0, LUNATIK_OPT_NONE);
	block = kmem_cache_alloc(luasync_port_caches[cls], gfp);
	if (block == NULL)
		luaL_error(L, "%s: new: not enough memory", class->name);
	/* Every field its first user does not set; the value is the caller's to initialise. */
	block->object = object;
	/* The object's, and the creator's until luasync_port_publish(). */
	refcount_set(&block->refs, 2);
	block->cls = cls;
	block->state = LUASYNC_PORT_NEW;
	block->fate = LUASYNC_PORT_BORN;
	block->id = atomic64_inc_return(&luasync_port_last_id);
	/* The runtime's pin (luasync_port_pin) keeps the module live here. */
	__module_get(THIS_MODULE);
	luasync_port_push(&block->queue, &luasync_port_born);
	if (luasync_port_count())
		luasync_port_settle();
	atomic64_inc(&luasync_port_stats[cls].made);
	object->private = block;
	return block->data;
}

/*
 * The class of the Lunatik object at @idx (its first user value), or NULL:
 * what Lunatik's own check reads first (lunatik_isobject()).
 */
static __always_inline const lunatik_class_t *luasync_port_classof(lua_State *L, int idx)
{
	const lunatik_class_t *class = NULL;

	if (lua_type(L, idx) != LUA_TUSERDATA)
		return NULL;
	if (lua_getiuservalue(L, idx, 1) == LUA_TLIGHTUSERDATA)
		class = lua_touserdata(L, -1);
	lua_settop(L, -2);
	return class;
}

/*
 * Whether @object, read from the pointer-sized userdata at @idx, is a
 * Lunatik object of @class by Lunatik's own check: the class its first user
 * value names, then the object's own class, which a script cannot change.
 * That check trusts a userdata whose user value is the class to hold a
 * Lunatik object (a script with the debug library can copy the value to
 * another userdata): @object is followed only after it passes.
 */
static bool luasync_port_isobject(lua_State *L, int idx, const lunatik_object_t *object,
				  const lunatik_class_t *class)
{
	return object != NULL && class != NULL && luasync_port_classof(L, idx) == class &&
	       object->class == class;
}

/*
 * A miss of the cache, inside the caller's RCU-sched section: the reachable
 * block of @object, which then fills @slot; or NULL. A userdata that passes
 * Lunatik's own check for @cls (the class its first user value names, and
 * the object's own class) leads to the block through the object's private
 * data, which Lunatik empties when it closes the object: one object to
 * read, however many there are. The index, whose chains grow with the
 * number of objects, is asked about any other userdata: one whose user
 * value a script changed, an object of another class, not an object.
 */
static noinline struct luasync_port_block *luasync_port_miss(lua_State *L, int idx,
							     const lunatik_object_t *object,
							     enum luasync_class cls,
							     struct luasync_port_slot *slot)
{
	struct luasync_port_block *block;

	if (luasync_port_isobject(L, idx, object, luasync_port_class(cls))) {
		block = READ_ONCE(object->private);
	} else {
		unsigned int seq = raw_read_seqcount(&luasync_port_settling);

		block = luasync_port_index_find(object);
		/*
		 * Not there: made since the last settle (on the list of the born),
		 * or listed by a settle running meanwhile. Settles, and looks again;
		 * a userdata that is none of ours costs no lock.
		 */
		if (block == NULL && (!llist_empty(&luasync_port_born) || (seq & 1) ||
				      read_seqcount_retry(&luasync_port_settling, seq))) {
			luasync_port_settle();
			block = luasync_port_index_find(object);
		}
	}
	/* Acquire: the value its publish initialised. */
	if (block == NULL || block->object != object ||
	    smp_load_acquire(&block->state) != LUASYNC_PORT_REACHABLE)
		return NULL;
	/* The slot is filled under a reference (see the index); 0: it is going. */
	if (!refcount_inc_not_zero(&block->refs))
		return NULL;
	luasync_port_cache_fill(slot, block);
	luasync_port_unref(block);
	return block;
}

/*
 * The block of the live object of @cls at @idx, inside an RCU read-side
 * section that the caller ends; NULL (the section ended) otherwise. A block
 * found is valid memory until the section ends; its count may be 0 (its last
 * reference just went). See the index for how an object is recognised.
 */
static __always_inline struct luasync_port_block *luasync_port_find(lua_State *L, int idx,
								    enum luasync_class cls)
{
	void *userdata = lua_touserdata(L, idx);
	const lunatik_object_t *object;
	struct luasync_port_slot *slot;
	struct luasync_port_block *block;

	/* NULL for what is not a userdata; a light userdata has no length. */
	if (userdata == NULL || lua_rawlen(L, idx) != sizeof(lunatik_object_t *))
		return NULL;
	/* NULL once Lunatik's __gc released it; never followed. */
	object = *(const lunatik_object_t **)userdata;
	rcu_read_lock_sched();
	slot = luasync_port_slot(object);
	block = READ_ONCE(slot->object) == object ? READ_ONCE(slot->block) : NULL;
	/* Acquire: the value its publish initialised. */
	if (unlikely(block == NULL || block->object != object ||
		     smp_load_acquire(&block->state) != LUASYNC_PORT_REACHABLE)) {
		block = luasync_port_miss(L, idx, object, cls, slot);
		if (block == NULL)
			goto none;
	}
	if (block->cls == cls)
		return block;
none:
	rcu_read_unlock_sched();
	return NULL;
}

void *luasync_port_get(lua_State *L, int idx, enum luasync_class cls)
{
	struct luasync_port_block *block = luasync_port_find(L, idx, cls);

	if (block == NULL)
		return NULL;
	if (!refcount_inc_not_zero(&block->refs)) {
		rcu_read_unlock_sched();
		return NULL;
	}
	rcu_read_unlock_sched();
	return block->data;
}

void *luasync_port_peek(lua_State *L, int idx, enum luasync_class cls)
{
	struct luasync_port_block *block = luasync_port_find(L, idx, cls);

	if (block == NULL)
		return NULL;
	/* The last reference went: closed, its value to be dropped after the section. */
	if (refcount_read(&block->refs) == 0) {
		rcu_read_unlock_sched();
		return NULL;
	}
	return block->data;
}

/*
 * Why luasync_port_find() failed, by the checks Lunatik's own lookup makes
 * (lunatik_isobject()): the class in the first user value, the object's own
 * class (a script can change the user value, not that), its private data.
 */
__cold enum luasync_found luasync_port_missing(lua_State *L, int idx, enum luasync_class cls)
{
	const lunatik_class_t *class = luasync_port_class(cls);
	const lunatik_object_t *object;

	if (class == NULL || luasync_port_classof(L, idx) != class ||
	    lua_rawlen(L, idx) != sizeof(lunatik_object_t *))
		return LUASYNC_OTHER;
	/* Lunatik's __gc leaves the userdata pointing to NULL. */
	object = *(const lunatik_object_t **)lua_touserdata(L, idx);
	if (object == NULL)
		return LUASYNC_RELEASED;
	/* Followed on the trust luasync_port_isobject() describes. */
	if (object->class != class)
		return LUASYNC_OTHER;
	/* A live object of the class that the lookup missed: closed since, or its count gone. */
	return LUASYNC_CLOSED;
}

void luasync_port_unpeek(void *private)
{
	rcu_read_unlock_sched();
}

bool luasync_port_hold(void *private)
{
	struct luasync_port_block *block = container_of(private, struct luasync_port_block, data[0]);
	/* The section keeps the block valid memory; a count of 0 is not raised again. */
	bool held = refcount_inc_not_zero(&block->refs);

	rcu_read_unlock_sched();
	return held;
}

void luasync_port_put(void *private)
{
	luasync_port_unref(container_of(private, struct luasync_port_block, data[0]));
}

const char *luasync_port_typename(lua_State *L, int idx)
{
	const lunatik_class_t *class = luasync_port_classof(L, idx);
	unsigned int cls;

	/*
	 * The first user value of a userdata can be any light userdata, so only
	 * a pointer to one of our own classes is followed.
	 */
	for (cls = 0; cls < LUASYNC_NCLASSES; cls++)
		if (class == &luasync_port_classes[cls])
			return class->name;
	return lua_typename(L, lua_type(L, idx));
}

const char *luasync_port_classname(enum luasync_class cls)
{
	const lunatik_class_t *class = luasync_port_class(cls);

	return class != NULL ? class->name : "?";
}

bool luasync_port_cansleep(lua_State *L)
{
	lunatik_object_t *runtime = lunatik_toruntime(L);

	return runtime != NULL && !lunatik_isirq(runtime->opt);
}

const char *luasync_port_context(lua_State *L)
{
	lunatik_object_t *runtime = lunatik_toruntime(L);

	if (runtime == NULL)
		return "unknown";
	if (lunatik_ishardirq(runtime->opt))
		return "hardirq";
	if (lunatik_issoftirq(runtime->opt))
		return "softirq";
	if (lunatik_isirq(runtime->opt))
		return "irq";
	return "process";
}

size_t luasync_port_stacksize(void)
{
	return THREAD_SIZE;
}

size_t luasync_port_stackleft(void)
{
	unsigned long sp = current_stack_pointer;
	unsigned long bottom = (unsigned long)task_stack_page(current);

	/* Not on the task's stack (an interrupt stack): nothing is known to be left. */
	if (sp < bottom || sp >= bottom + THREAD_SIZE)
		return 0;
	return sp - bottom;
}

/*
 * A pin's payload. As large as a pointer: Lunatik's generic close (reachable
 * from scripts as any luasync object's close) reads a pointer from whatever
 * userdata it is given before it checks its class.
 */
struct luasync_port_pin {
	unsigned long armed;
};

/* Registry keys: a runtime's pins on this module. */
static char luasync_port_pin_keys[LUASYNC_NCLASSES];

/*
 * Mutex owners. Each runtime that opened a luasync library has a number no
 * other runtime ever gets: runtime objects are freed and their addresses
 * reused, so an address would let a new runtime own a mutex an old one left
 * locked. The numbers are kept here, keyed by runtime object, where scripts
 * cannot reach them: a number in the registry could be rewritten (the debug
 * library reaches it) to pass for another runtime. An entry lives from the
 * first opening in its runtime until the runtime's last pin goes, while its
 * state closes, before the runtime object can be freed. Every coroutine of
 * the runtime shares it.
 */
struct luasync_port_owner {
	struct hlist_node node;
	const lunatik_object_t *runtime;
	size_t number;
	/* Armed pins; changed under luasync_port_owners_lock. */
	unsigned int pins;
	struct rcu_head rcu;
};

static DEFINE_HASHTABLE(luasync_port_owners, 6);
static DEFINE_SPINLOCK(luasync_port_owners_lock);

/* The entry of @runtime; in an RCU read-side section or under luasync_port_owners_lock. */
static struct luasync_port_owner *luasync_port_owner_of(const lunatik_object_t *runtime)
{
	struct luasync_port_owner *owner;

	hash_for_each_possible_rcu(luasync_port_owners, owner, node, (unsigned long)runtime,
				   lockdep_is_held(&luasync_port_owners_lock))
		if (owner->runtime == runtime)
			return owner;
	return NULL;
}

/* Adds one armed pin of @runtime to its entry, or takes one away. */
static void luasync_port_count_pin(const lunatik_object_t *runtime, bool armed)
{
	struct luasync_port_owner *owner;
	unsigned long flags;

	spin_lock_irqsave(&luasync_port_owners_lock, flags);
	owner = luasync_port_owner_of(runtime);
	if (owner != NULL && armed) {
		owner->pins++;
	} else if (owner != NULL && --owner->pins == 0) {
		hash_del_rcu(&owner->node);
		kfree_rcu(owner, rcu);
	}
	spin_unlock_irqrestore(&luasync_port_owners_lock, flags);
}

/*
 * Whether the state of @L is being closed: its runtime no longer points to
 * it (runtime:stop(), lunatik_stop()) or is being released (kref at 0).
 */
static bool luasync_port_closing(lua_State *L)
{
	lunatik_object_t *runtime = lunatik_toruntime(L);
	lua_State *main;

	if (runtime == NULL || kref_read(&runtime->kref) == 0)
		return true;
	lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
	main = lua_tothread(L, -1);
	lua_settop(L, -2);
	return READ_ONCE(runtime->private) != main;
}

/*
 * __gc of a pin. Scripts can reach it (debug.getregistry, getmetatable) and
 * call it at any time: it drops the module reference only once, and only
 * while the runtime's state is being closed. Called otherwise, by hand or
 * because a script removed the pin from the registry, it puts the pin back
 * and arms its finalizer again.
 */
static int luasync_port_unpin(lua_State *L)
{
	struct luasync_port_pin *pin = lua_touserdata(L, 1);
	unsigned int cls = (unsigned int)lua_tointegerx(L, lua_upvalueindex(1), NULL);

	if (pin == NULL || lua_type(L, 1) != LUA_TUSERDATA || lua_rawlen(L, 1) != sizeof(*pin) ||
	    cls >= LUASYNC_NCLASSES || !pin->armed)
		return 0;
	if (luasync_port_closing(L)) {
		pin->armed = false;
		luasync_port_count_pin(lunatik_toruntime(L), false);
		module_put(THIS_MODULE);
		return 0;
	}
	lua_settop(L, 1);
	lua_getmetatable(L, 1);
	lua_setmetatable(L, 1);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &luasync_port_pin_keys[cls]);
	return 0;
}

/*
 * A runtime that opened one of our libraries keeps calling into this module
 * through its library table and class metatable, even when it holds no object
 * any more: Lunatik opens a class in a runtime by calling its opener directly
 * when an object is passed there, without the module reference that require()
 * takes. So every first opening pins the module until the runtime closes: a
 * userdata in its registry whose __gc drops the reference. False if the
 * module is going away. May raise, but only before it takes the reference.
 */
static bool luasync_port_pin(lua_State *L, enum luasync_class cls)
{
	struct luasync_port_pin *pin;

	if (lua_rawgetp(L, LUA_REGISTRYINDEX, &luasync_port_pin_keys[cls]) != LUA_TNIL) {
		lua_settop(L, -2);
		return true;
	}
	lua_settop(L, -2);
	pin = lua_newuserdatauv(L, sizeof(*pin), 0);
	pin->armed = false;
	lua_createtable(L, 0, 2);
	lua_pushinteger(L, cls);
	lua_pushcclosure(L, luasync_port_unpin, 1);
	lua_setfield(L, -2, "__gc");
	/* getmetatable(pin) hides the metatable from scripts that do not use debug. */
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_pushvalue(L, -2);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &luasync_port_pin_keys[cls]);
	if (!try_module_get(THIS_MODULE)) {
		lua_settop(L, -3);
		return false;
	}
	pin->armed = true;
	luasync_port_count_pin(lunatik_toruntime(L), true);
	lua_setmetatable(L, -2);
	lua_settop(L, -2);
	return true;
}

/*
 * Gives the runtime of @L its owner number, if it has none yet. Raises on
 * memory failure, before anything is taken.
 */
static void luasync_port_name_owner(lua_State *L)
{
	static atomic64_t last_owner = ATOMIC64_INIT(0);
	lunatik_object_t *runtime = lunatik_toruntime(L);
	struct luasync_port_owner *owner;
	unsigned long flags;

	/* A closing state's entry may be gone for good: its runtime owns nothing more. */
	if (runtime == NULL || luasync_port_closing(L))
		return;
	rcu_read_lock();
	owner = luasync_port_owner_of(runtime);
	rcu_read_unlock();
	if (owner != NULL)
		return;
	owner = kzalloc(sizeof(*owner), lunatik_isirq(runtime->opt) ? GFP_ATOMIC : GFP_KERNEL);
	if (owner == NULL)
		luaL_error(L, "luasync: not enough memory");
	owner->runtime = runtime;
	owner->number = (size_t)atomic64_inc_return(&last_owner);
	spin_lock_irqsave(&luasync_port_owners_lock, flags);
	/* One runtime opens libraries one at a time: nobody added it meanwhile. */
	hash_add_rcu(luasync_port_owners, &owner->node, (unsigned long)runtime);
	spin_unlock_irqrestore(&luasync_port_owners_lock, flags);
}

size_t luasync_port_owner(lua_State *L)
{
	const lunatik_object_t *runtime = lunatik_toruntime(L);
	struct luasync_port_owner *owner;
	size_t number = 0;

	rcu_read_lock_sched();
	owner = luasync_port_owner_of(runtime);
	if (owner != NULL)
		number = owner->number;
	rcu_read_unlock_sched();
	return number;
}

/*
 * The class metatable's hash part, in slots per key. Every method call looks
 * up "__index" in it, then the method; every new object, "__gc" (Lua's check
 * for a finalizer). A string's slot follows from its hash, which a random
 * seed of each runtime changes, and a key that finds its slot taken is
 * chained from it: found one step further on for each key before it there. A
 * key put in first keeps its slot, and one put in later finds its own slot
 * free unless a key before it took that slot. So "__index" goes in first,
 * then "__gc", then the methods, the most called first (each class's table
 * lists them that way), into a table of 4 slots a key (Lua rounds it up to
 * a power of 2): few keys come before the ones every call looks up, and each
 * has 1 chance in the table's size (32 or more) to take their slot. At most
 * 1.5 KiB per class and runtime.
 */
#define LUASYNC_PORT_SLOTS_PER_KEY 4

/* The number of keys of a class metatable with @methods: those, __index and __gc. */
static int luasync_port_nkeys(const struct luaL_Reg *methods)
{
	int n = 2;

	for (; methods->name != NULL; methods++)
		n++;
	return n;
}

/*
 * luaopen_<class>: the library table, and the class metatable in the
 * registry under the class address, with __index = itself and Lunatik's
 * __gc, as LUNATIK_NEWLIB and lunatik_newclass make them; its keys put in
 * the order its lookups want (see above).
 */
static int luasync_port_open(lua_State *L, enum luasync_class cls)
{
	const lunatik_class_t *class = luasync_port_class(cls);
	const struct luasync_ops *ops = luasync_port_ops[cls];

	luasync_port_name_owner(L);
	if (!luasync_port_pin(L, cls)) {
		pr_err("%s: luasync is being unloaded\n", class->name);
		return 0;
	}

	if (ops->call != NULL) {
		lua_pushcclosure(L, ops->call, 0);
		return 1;
	}
	lua_createtable(L, 0, 1);
	luaL_setfuncs(L, ops->lib, 0);

	lua_pushlightuserdata(L, (void *)class);
	lua_createtable(L, 0, LUASYNC_PORT_SLOTS_PER_KEY * luasync_port_nkeys(ops->methods));
	lua_pushvalue(L, -1);
	lua_setfield(L, -2, "__index");
	lua_pushcclosure(L, lunatik_deleteobject, 0);
	lua_setfield(L, -2, "__gc");
	luaL_setfuncs(L, ops->methods, 0);
	lua_rawset(L, LUA_REGISTRYINDEX);
	return 1;
}

#define LUASYNC_PORT_OPEN(name)					\
int luaopen_##name(lua_State *L)				\
{								\
	return luasync_port_open(L, LUASYNC_CLASS_##name);	\
}								\
EXPORT_SYMBOL_GPL(luaopen_##name);
LUASYNC_CLASSES(LUASYNC_PORT_OPEN)
#undef LUASYNC_PORT_OPEN

/* The Lunatik object of the value at @idx, if it is one; never raises. */
static lunatik_object_t *luasync_port_object(lua_State *L, int idx)
{
	const lunatik_class_t *class;
	lunatik_object_t **pobject;

	if (lua_type(L, idx) != LUA_TUSERDATA || lua_rawlen(L, idx) != sizeof(*pobject))
		return NULL;
	class = luasync_port_classof(L, idx);
	pobject = lua_touserdata(L, idx);
	if (class == NULL || *pobject == NULL || (*pobject)->class != class)
		return NULL;
	return *pobject;
}

/*
 * Whether objects of @class hold no reference on another Lunatik object. Only
 * those travel in messages: a channel carried by a channel it carries, or an
 * rcu table or a runtime holding the channel that carries it, would keep
 * both alive with no Lua value left to free them. luasync's classes are
 * known; of Lunatik's, the ones that hold bytes or nothing.
 */
static bool luasync_port_isleaf(const lunatik_class_t *class)
{
	static const char *const leaves[] = { "data", "fifo", "completion" };
	unsigned int i;

	for (i = 0; i < LUASYNC_NCLASSES; i++)
		if (class == &luasync_port_classes[i])
			return i != LUASYNC_CLASS_channel;
	for (i = 0; i < ARRAY_SIZE(leaves); i++)
		if (strcmp(class->name, leaves[i]) == 0)
			return true;
	return false;
}

/*
 * A reference carried in a message. Its node queues it for the work item
 * that drops references taken where sleeping is not allowed.
 */
struct luasync_port_objref {
	struct llist_node node;
	lunatik_object_t *object;
};

static LLIST_HEAD(luasync_port_deferred);

static void luasync_port_putdeferred(struct work_struct *work)
{
	struct llist_node *list = llist_del_all(&luasync_port_deferred);
	struct luasync_port_objref *ref, *next;

	llist_for_each_entry_safe(ref, next, list, node) {
		lunatik_putobject(ref->object);
		kfree(ref);
	}
}

static DECLARE_WORK(luasync_port_putter, luasync_port_putdeferred);

void *luasync_port_objget(lua_State *L, int idx, const char **why)
{
	lunatik_object_t *runtime = lunatik_toruntime(L);
	lunatik_object_t *object = luasync_port_object(L, idx);
	struct luasync_port_objref *ref;

	if (object == NULL) {
		*why = "not a Lunatik object";
		return NULL;
	}
	if (lunatik_issingle(object->opt)) {
		*why = "a SINGLE object cannot be shared";
		return NULL;
	}
	if (!luasync_port_isleaf(object->class)) {
		*why = "objects that can hold other objects (channels, rcu tables, runtimes, "
		       "threads, hooks) cannot be sent";
		return NULL;
	}
	ref = kmalloc(sizeof(*ref), runtime != NULL && lunatik_isirq(runtime->opt) ?
		      GFP_ATOMIC : GFP_KERNEL);
	if (ref == NULL) {
		*why = "not enough memory";
		return NULL;
	}
	lunatik_getobject(object);
	ref->object = object;
	return ref;
}

void luasync_port_objpush(lua_State *L, void *ref)
{
	lunatik_pushobject(L, ((struct luasync_port_objref *)ref)->object);
}

void luasync_port_objput(void *ref)
{
	struct luasync_port_objref *objref = ref;

	if (preemptible()) {
		lunatik_putobject(objref->object);
		kfree(objref);
		return;
	}
	if (llist_add(&objref->node, &luasync_port_deferred))
		schedule_work(&luasync_port_putter);
}

int luasync_port_close(lua_State *L)
{
	return lunatik_closeobject(L);
}

void luasync_port_waited(enum luasync_class cls, enum luasync_outcome outcome)
{
	if ((unsigned int)cls < LUASYNC_NCLASSES && (unsigned int)outcome < LUASYNC_NOUTCOMES)
		this_cpu_inc(luasync_port_waits.n[cls][outcome]);
}

void luasync_port_putwaited(void *private, enum luasync_class cls, enum luasync_outcome outcome)
{
	luasync_port_waited(cls, outcome);
	luasync_port_put(private);
}

/*
 * The debugfs view: /sys/kernel/debug/luasync/objects, one line per live
 * object ("<id> <class> <state>", then its waiters: pid, comm and for how
 * long), and /sys/kernel/debug/luasync/stats, one line per class. A read
 * from the start settles; a reader holds the registry's lock for one buffer
 * of lines (seq_file), which delays settles (and the calls that make one: a
 * new object or a freed one, now and then), and each object's queue locks
 * for the lines of its waiters, which is as long as a waiter or a waker of
 * that object waits for it.
 */
void luasync_wq_show_waiters(struct wait_queue_head *wq, struct seq_file *m);

/*
 * The view is read bucket by bucket of the index: a record is a bucket, its
 * position the bucket's number, so that a read in several buffers resumes
 * where it stopped whatever changed in the buckets already read. The first
 * non-empty bucket at or after *@pos, which becomes its number; NULL at the
 * end. Under the registry's lock.
 */
static struct hlist_head *luasync_port_objects_seek(loff_t *pos)
{
	for (; *pos < HASH_SIZE(luasync_port_index); ++*pos)
		if (!hlist_empty(&luasync_port_index[*pos]))
			return &luasync_port_index[*pos];
	return NULL;
}

static void *luasync_port_objects_start(struct seq_file *m, loff_t *pos)
	__acquires(&luasync_port_objects_lock)
{
	/* A read from the start lists what was made before it. */
	if (*pos == 0)
		luasync_port_settle();
	spin_lock_irq(&luasync_port_objects_lock);
	return luasync_port_objects_seek(pos);
}

static void *luasync_port_objects_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return luasync_port_objects_seek(pos);
}

static void luasync_port_objects_stop(struct seq_file *m, void *v)
	__releases(&luasync_port_objects_lock)
{
	spin_unlock_irq(&luasync_port_objects_lock);
}

/* One object's line. */
static void luasync_port_objects_line(struct seq_file *m, struct luasync_port_block *block)
{
	const struct luasync_ops *ops = luasync_port_ops[block->cls];
	void *heads[2] = {NULL, NULL};
	char state[96] = "";
	unsigned int i;

	if (ops->describe != NULL)
		ops->describe(block->data, state, sizeof(state));
	seq_printf(m, "%llu %s %s", block->id, luasync_port_classes[block->cls].name, state);
	if (ops->heads != NULL)
		ops->heads(block->data, heads);
	for (i = 0; i < ARRAY_SIZE(heads); i++)
		if (heads[i] != NULL)
			luasync_wq_show_waiters(heads[i], m);
	seq_putc(m, '\n');
}

/*
 * The lines of a bucket's objects. A block in the index is valid memory: the
 * settle that takes it out holds the lock. Not shown: one not published yet,
 * whose value may not be initialised (acquire: the value its publish
 * initialised), and one whose last reference went since the last settle.
 */
static int luasync_port_objects_show(struct seq_file *m, void *v)
{
	struct luasync_port_block *block;

	hlist_for_each_entry(block, (struct hlist_head *)v, hash) {
		/* The record is shown again, from a larger buffer. */
		if (seq_has_overflowed(m))
			break;
		if (smp_load_acquire(&block->state) != LUASYNC_PORT_NEW &&
		    READ_ONCE(block->fate) != LUASYNC_PORT_DEAD)
			luasync_port_objects_line(m, block);
	}
	return 0;
}

static const struct seq_operations luasync_port_objects_sops = {
	.start = luasync_port_objects_start,
	.next = luasync_port_objects_next,
	.stop = luasync_port_objects_stop,
	.show = luasync_port_objects_show,
};
DEFINE_SEQ_ATTRIBUTE(luasync_port_objects);

/* How many blocking calls of @cls ended with @outcome, on every CPU. */
static u64 luasync_port_waits_sum(unsigned int cls, unsigned int outcome)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu(luasync_port_waits, cpu).n[cls][outcome]);
	return sum;
}

static int luasync_port_stats_show(struct seq_file *m, void *v)
{
	unsigned int cls;

	seq_puts(m, "class made live waited timeout interrupt closed\n");
	for (cls = 0; cls < LUASYNC_NCLASSES; cls++) {
		struct luasync_port_stats *stats = &luasync_port_stats[cls];
		s64 made = atomic64_read(&stats->made);

		seq_printf(m, "%s %lld %lld %llu %llu %llu %llu\n", luasync_port_classes[cls].name,
			   made, made - atomic64_read(&stats->freed),
			   luasync_port_waits_sum(cls, LUASYNC_DONE),
			   luasync_port_waits_sum(cls, LUASYNC_TIMEOUT),
			   luasync_port_waits_sum(cls, LUASYNC_INTERRUPT),
			   luasync_port_waits_sum(cls, LUASYNC_CLOSED_WAIT));
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(luasync_port_stats);

static struct dentry *luasync_port_debugfs;

static void luasync_port_destroy_caches(void)
{
	unsigned int cls;

	for (cls = 0; cls < LUASYNC_NCLASSES; cls++) {
		kmem_cache_destroy(luasync_port_caches[cls]);
		luasync_port_caches[cls] = NULL;
	}
}

static int luasync_port_create_caches(void)
{
#define LUASYNC_PORT_CACHE_NAME(name) [LUASYNC_CLASS_##name] = "luasync_" #name,
	static const char *const names[LUASYNC_NCLASSES] = {
		LUASYNC_CLASSES(LUASYNC_PORT_CACHE_NAME)
	};
#undef LUASYNC_PORT_CACHE_NAME
	struct luasync_port_block *block;
	unsigned int cls;

	for (cls = 0; cls < LUASYNC_NCLASSES; cls++) {
		const struct luasync_ops *ops = luasync_port_ops[cls];

		/* A library that is one function has no objects. */
		if (ops->methods == NULL)
			continue;
		/* The value 8-byte aligned at least, as rust/port/mod.rs's PRIVATE_ALIGN says. */
		BUILD_BUG_ON(offsetof(struct luasync_port_block, data) % sizeof(u64) != 0);
		luasync_port_caches[cls] =
			kmem_cache_create(names[cls],
					  struct_size(block, data, DIV_ROUND_UP(ops->size, sizeof(u64))),
					  max(sizeof(u64), __alignof__(struct luasync_port_block)),
					  0, NULL);
		if (luasync_port_caches[cls] == NULL) {
			luasync_port_destroy_caches();
			return -ENOMEM;
		}
	}
	return 0;
}

int luasync_port_init(void)
{
	int err = luasync_port_create_caches();

	if (err != 0)
		return err;
#define LUASYNC_PORT_NAME(name) ", " #name
	/* The list starts with ", ": skip it. */
	pr_info("loaded (%s)\n", LUASYNC_CLASSES(LUASYNC_PORT_NAME) + 2);
#undef LUASYNC_PORT_NAME
	/* The view is for people; without debugfs the module works the same. */
	luasync_port_debugfs = debugfs_create_dir("luasync", NULL);
	debugfs_create_file("objects", 0400, luasync_port_debugfs, NULL, &luasync_port_objects_fops);
	debugfs_create_file("stats", 0400, luasync_port_debugfs, NULL, &luasync_port_stats_fops);
	return 0;
}

/*
 * At exit, no runtime holds a pin: what is left are entries of runtimes whose
 * pin could not be taken (the module was going away).
 */
static void luasync_port_forget_owners(void)
{
	struct luasync_port_owner *owner;
	struct hlist_node *next;
	unsigned int bkt;

	hash_for_each_safe(luasync_port_owners, bkt, next, owner, node) {
		hash_del(&owner->node);
		kfree(owner);
	}
}

void luasync_port_exit(void)
{
	debugfs_remove(luasync_port_debugfs);
	/*
	 * The dead still waiting for company, the batches freed after a grace
	 * period, then the references dropped from atomic context.
	 */
	luasync_port_settle();
	rcu_barrier();
	flush_work(&luasync_port_putter);
	synchronize_rcu_tasks();
	luasync_port_forget_owners();
	/* Every block was freed into its cache. */
	luasync_port_destroy_caches();
}
