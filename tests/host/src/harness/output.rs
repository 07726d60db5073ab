//! `print` for suite and worker states: a suite's lines are echoed and collected for the
//! TAP tally; a worker's are echoed as diagnostics.

use std::ffi::c_int;
use std::io::Write;
use std::sync::Mutex;

use crate::lua_host::*;

static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Starts collecting a suite's lines.
pub(super) fn begin() {
    LINES.lock().unwrap_or_else(|p| p.into_inner()).clear();
}

/// The lines collected since `begin`.
pub(super) fn end() -> Vec<String> {
    std::mem::take(&mut *LINES.lock().unwrap_or_else(|p| p.into_inner()))
}

/// The arguments of `print`, converted and joined by tabs. Raising conversions happen
/// before any Rust value exists.
unsafe fn joined(l: *mut lua_State) -> String {
    // SAFETY: called from a running C function with its arguments on the stack.
    unsafe {
        let n = lua_gettop(l);
        for i in 1..=n {
            luaL_tolstring(l, i, std::ptr::null_mut());
        }
        let mut line = String::new();
        for i in 1..=n {
            if i > 1 {
                line.push('\t');
            }
            let mut len = 0usize;
            let p = lua_tolstring(l, n + i, &mut len);
            if !p.is_null() {
                let bytes = std::slice::from_raw_parts(p.cast::<u8>(), len);
                line.push_str(&String::from_utf8_lossy(bytes));
            }
        }
        line
    }
}

/// `print` of a suite state.
pub(super) unsafe extern "C" fn print_suite(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua.
    let line = unsafe { joined(l) };
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
    LINES.lock().unwrap_or_else(|p| p.into_inner()).push(line);
    0
}

/// `print` of a worker state.
pub(super) unsafe extern "C" fn print_worker(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua.
    let line = unsafe { joined(l) };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "# worker: {line}");
    0
}
