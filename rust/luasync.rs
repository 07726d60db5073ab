// SPDX-License-Identifier: GPL-2.0

//! luasync: `completion`, `mutex` and `semaphore` classes for Lunatik, the in-kernel Lua.
//!
//! Loaded after Lunatik, this module exports a `luaopen_<class>` for each of its classes,
//! so `require "completion"` (and the others) in any Lunatik runtime finds them. Layers,
//! from the top: [`classes`] (the Lua classes), [`lua`] (the Lua C API and its error
//! trampoline), [`port`] (the narrow interface to Lunatik, implemented in C) and [`sync`]
//! (the kernel primitives).

use kernel::prelude::*;

mod classes;
mod lua;
mod port;
pub mod sync;

module! {
    type: LuaSync,
    name: "luasync",
    author: "luasync developers",
    description: "completion, mutex, semaphore and channel classes, and waitany, for Lunatik",
    license: "GPL",
}

/// The module: every object lives in Lunatik runtimes and keeps the module loaded while
/// it exists; the port only has to wait, at exit, for the tasks that were running its code
/// when the last reference went.
struct LuaSync;

impl kernel::Module for LuaSync {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // SAFETY: called once, at module init.
        kernel::error::to_result(unsafe { port::bindings::luasync_port_init() })?;
        Ok(LuaSync)
    }
}

impl Drop for LuaSync {
    fn drop(&mut self) {
        // SAFETY: called once, at module exit, when nothing holds the module any more.
        unsafe { port::bindings::luasync_port_exit() };
        pr_info!("unloaded\n");
    }
}
