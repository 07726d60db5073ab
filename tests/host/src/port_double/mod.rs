//! Userspace test double of the Lunatik port (`rust/port/lunatik_port.c`) and of the
//! Lunatik 4.4 behaviour it relies on, written from Lunatik's documented behaviour:
//!
//! - an object is a refcounted record {refcount, class, private}; each Lua state that
//!   holds it has its own userdata pointing to it, whose first user value is the class
//!   (a light userdata) and whose metatable is the registry entry keyed by the class
//!   address, with `__index` = the metatable and `__gc` dropping one reference; the
//!   last reference calls the class release function, then frees the private data;
//! - an object can be cloned into another state (another runtime), as
//!   `lunatik_cloneobject` does, which requires the class there first;
//! - every state belongs to a runtime record, found through the state's extra space (so
//!   the coroutines of a state share it), whose address is the mutex owner token and
//!   whose context ("process", "softirq", "hardirq") says whether it may sleep;
//! - the binding's classes are external: the private data is the port's counted block,
//!   which the object holds a reference on and which method calls count too; a close
//!   (`lunatik_closeobject`) takes it out of the object and releases it at once;
//! - each block holds a "module reference" until it is freed, as the C port holds one on
//!   `luasync.ko`.
//!
//! It also counts live objects and module references, so tests can check that every
//! object was released.

mod api;
pub mod object;
pub mod runtime;

pub use api::module_refs;
#[cfg(test)]
pub use api::value_of;
pub use object::live_objects;
pub use runtime::{close_state, new_state, Context};
