//! The userspace harness that runs the Lua contract suite (`tests/lua/*.lua`) against the
//! binding built with real Lua 5.5, the `sync` double and the port double.
//!
//! Each suite runs in a fresh main state, called with the `env` table (see
//! `tests/lua/README`) as its only argument; worker states run in their own OS threads.

mod env;
mod fifo;
mod output;
mod protect;
mod store;
pub mod tap;
mod workers;

use std::ffi::{c_int, CStr, CString};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::lua_host::*;
use crate::port_double;

/// The directory of the Lua suites.
pub fn lua_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("lua")
}

/// `package.path` of the suite and worker states: the support modules in `tests/lua/lib/`,
/// then Lunatik's own Lua libraries (its `lib/`, for `mailbox.lua`) when `LUNATIK_LIB`
/// names that directory, as `make host-test` does with the pinned Lunatik's source.
fn lib_path() -> &'static CStr {
    static PATH: OnceLock<CString> = OnceLock::new();
    PATH.get_or_init(|| {
        let mut path = format!("{}/lib/?.lua", lua_dir().display());
        if let Some(lunatik) = std::env::var_os("LUNATIK_LIB") {
            path.push_str(&format!(";{}/?.lua", Path::new(&lunatik).display()));
        }
        CString::new(path).unwrap_or_default()
    })
}

/// Who a state is, for its `print`.
#[derive(Clone, Copy)]
enum Role {
    Suite,
    Worker,
}

/// Prepares a state made by `port_double::new_state` for the suite: module path, the fifo
/// double, `print`. Leaves the `env` table on the stack.
///
/// # Safety
///
/// `l` must be a fresh state made by `port_double::new_state`. May raise.
unsafe fn setup(l: *mut lua_State, role: Role) {
    // SAFETY: as the caller guarantees.
    unsafe {
        lua_getglobal(l, c"package".as_ptr());
        lua_pushstring(l, lib_path().as_ptr());
        lua_setfield(l, -2, c"path".as_ptr());
        lua_pop(l, 1);
        port_double::runtime::preload(l, c"fifo", fifo::luaopen_fifo);
        // A userdata released by hand (`getmetatable(o).__gc(o)`, as lifecycle.lua does)
        // raises "invalid object" again when collected, as Lunatik's does; Lua reports
        // that as a warning on stderr, which would only be noise here.
        if luaL_loadstring(l, c"warn('@off')".as_ptr()) == LUA_OK {
            lua_callk(l, 0, 0, 0, None);
        }
        match role {
            Role::Suite => lua_pushcfunction(l, output::print_suite),
            Role::Worker => lua_pushcfunction(l, output::print_worker),
        }
        lua_setglobal(l, c"print".as_ptr());
        env::push(l);
    }
}

/// How one suite went.
pub struct Outcome {
    /// The suite's TAP lines, in order.
    pub lines: Vec<String>,
    /// The error that ended the suite early, if any.
    pub died: Option<String>,
    /// Workers still running at the end, which the harness had to stop.
    pub leftover_workers: usize,
    /// Objects still alive after everything was closed.
    pub live_objects: usize,
    /// Module references still held after everything was closed.
    pub module_refs: usize,
}

/// Runs one suite file and everything it started, then closes it all.
pub fn run_suite(file: &Path) -> Outcome {
    output::begin();
    let l = port_double::new_state();
    let name = CString::new(file.display().to_string()).unwrap_or_default();
    // SAFETY: `l` is a fresh state; every call that may raise runs under `lua_pcall`.
    let died = unsafe { run_protected(l, name.as_c_str()) };
    let leftover_workers = workers::stop_all();
    // SAFETY: `l` is the main state made above, not used afterwards.
    unsafe { port_double::close_state(l) };
    store::clear();
    Outcome {
        lines: output::end(),
        died,
        leftover_workers,
        live_objects: port_double::live_objects(),
        module_refs: port_double::module_refs(),
    }
}

unsafe extern "C" fn suite_main(l: *mut lua_State) -> c_int {
    // SAFETY: called through `lua_pcall` with the file name as argument 1.
    unsafe {
        let file = lua_tolstring(l, 1, std::ptr::null_mut());
        setup(l, Role::Suite);
        if luaL_loadfilex(l, file, std::ptr::null()) != LUA_OK {
            lua_error(l);
        }
        lua_pushvalue(l, -2);
        lua_callk(l, 1, 0, 0, None);
    }
    0
}

/// Runs the suite in protected mode; the error message if it raised.
unsafe fn run_protected(l: *mut lua_State, file: &CStr) -> Option<String> {
    // SAFETY: `l` is valid; pushing a C function and a string fits the fresh stack.
    unsafe {
        lua_pushcfunction(l, suite_main);
        lua_pushstring(l, file.as_ptr());
        if lua_pcall(l, 1, 0, 0) == LUA_OK {
            return None;
        }
        let msg = to_string_lossy(l, -1);
        lua_pop(l, 1);
        Some(msg)
    }
}
