//! Userspace build of luasync's Lua binding, for testing it against real Lua 5.5.
//!
//! `rust/lua/`, `rust/port/mod.rs` and `rust/classes/` are compiled here exactly as in
//! the kernel module, over two test doubles: [`sync`] (the kernel primitives on std
//! threads) and [`port_double`] (the Lunatik port and the Lunatik behaviour it relies
//! on). [`harness`] runs the Lua contract suite `tests/lua/*.lua`.

#![deny(unsafe_op_in_unsafe_fn)]

#[path = "../../../rust/classes/mod.rs"]
mod classes;
#[path = "../../../rust/lua/mod.rs"]
mod lua;
#[path = "../../../rust/port/mod.rs"]
mod port;

pub mod harness;
mod lua_host;
mod port_double;
pub mod sync;

#[cfg(test)]
mod rule_tests;
