//! The `env` table the harness gives every suite and worker (documented in
//! `tests/lua/README`).

use std::ffi::c_int;
use std::sync::OnceLock;
use std::time::Instant;

use super::{store, workers};
use crate::lua::Table;
use crate::lua_host::*;
use crate::port_double::{self, runtime, Context};
use crate::sync::interrupt;

/// `env.setcontext(name)`: makes this state's runtime "process", "softirq" or "hardirq".
unsafe extern "C" fn set_context(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua.
    unsafe {
        let mut len = 0usize;
        let name = luaL_checklstring(l, 1, &mut len);
        let name = std::slice::from_raw_parts(name.cast::<u8>(), len);
        match Context::parse(name) {
            Some(context) => runtime::set_context(l, context),
            None => luaL_argerror(
                l,
                1,
                c"\"process\", \"softirq\" or \"hardirq\" expected".as_ptr(),
            ),
        }
    }
    0
}

/// `env.interrupt()`: sets this thread's stop flag: every later wait is interrupted.
unsafe extern "C" fn interrupt_self(_l: *mut lua_State) -> c_int {
    interrupt::current().stop();
    0
}

/// `env.clearinterrupt()`: clears this thread's stop flag.
unsafe extern "C" fn clear_interrupt(_l: *mut lua_State) -> c_int {
    interrupt::current().clear();
    0
}

/// `env.now()`: milliseconds on a monotonic clock.
unsafe extern "C" fn now(l: *mut lua_State) -> c_int {
    static START: OnceLock<Instant> = OnceLock::new();
    let ms = START.get_or_init(Instant::now).elapsed().as_millis();
    // SAFETY: called by Lua; pushing an integer does not allocate.
    unsafe { lua_pushinteger(l, lua_Integer::try_from(ms).unwrap_or(lua_Integer::MAX)) };
    1
}

/// `env.modulerefs()`: how many references on the module exist (each live object holds
/// one).
unsafe extern "C" fn module_refs(l: *mut lua_State) -> c_int {
    let refs = port_double::module_refs();
    // SAFETY: called by Lua; pushing an integer does not allocate.
    unsafe { lua_pushinteger(l, lua_Integer::try_from(refs).unwrap_or(lua_Integer::MAX)) };
    1
}

/// `env.yield()`: lets other threads run.
unsafe extern "C" fn yield_now(_l: *mut lua_State) -> c_int {
    std::thread::yield_now();
    0
}

static FUNCTIONS: Table<10> = Table::new([
    (Some(c"now"), Some(now)),
    (Some(c"modulerefs"), Some(module_refs)),
    (Some(c"share"), Some(store::share)),
    (Some(c"fetch"), Some(store::fetch)),
    (Some(c"spawn"), Some(workers::spawn)),
    (Some(c"setcontext"), Some(set_context)),
    (Some(c"interrupt"), Some(interrupt_self)),
    (Some(c"clearinterrupt"), Some(clear_interrupt)),
    (Some(c"yield"), Some(yield_now)),
    (None, None),
]);

/// Pushes a new `env` table.
///
/// # Safety
///
/// `l` must be a valid state with room for 2 values. May raise.
pub(super) unsafe fn push(l: *mut lua_State) {
    // SAFETY: as the caller guarantees.
    unsafe {
        lua_createtable(l, 0, 8);
        luaL_setfuncs(l, FUNCTIONS.as_ptr(), 0);
        lua_pushboolean(l, 1);
        lua_setfield(l, -2, c"host".as_ptr());
    }
}
