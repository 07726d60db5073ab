// SPDX-License-Identifier: GPL-2.0

//! The Lua 5.5 C API as the binding uses it: hand-written declarations ([`ffi`]) and a
//! small safe layer over them. The rule that keeps Rust sound under Lua errors is stated
//! in [`trampoline`](mod@trampoline).

pub(crate) mod ffi;

mod error;
mod message;
mod state;
mod table;
mod trampoline;

pub(crate) use error::LuaError;
pub(crate) use message::{Bytes, Message};
pub(crate) use state::{State, Type};
pub(crate) use table::Table;
pub(crate) use trampoline::{enter, lua_function, trampoline, trampoline_with, Reply};
