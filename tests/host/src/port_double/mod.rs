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
//! - each object of the binding's classes holds a "module reference", dropped by its
//!   release, as the C port holds one on `luasync.ko`.
//!
//! It also counts live objects and module references, so tests can check that every
//! object was released.

mod api;
pub mod object;
pub mod runtime;

pub use object::{live_objects, module_refs};
pub use runtime::{close_state, new_state, Context};
