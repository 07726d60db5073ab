//! Protected pushes for the harness's own Lua functions: a push that may raise runs under
//! `lua_pcall`, so the caller can drop what it owns before raising again. The harness
//! follows the binding's rule (`rust/lua/trampoline.rs`) too.

use std::ffi::{c_int, c_void};

use crate::lua_host::*;

/// Runs `f` in protected mode with `arg` as a light userdata argument, keeping its one
/// result. On error the error value is left on the stack and `Err(())` returned.
///
/// # Safety
///
/// `l` must be the state of a running C function with room for 2 values; `f` must accept
/// that argument.
pub(super) unsafe fn call(
    l: *mut lua_State,
    f: unsafe extern "C" fn(*mut lua_State) -> c_int,
    arg: *mut c_void,
) -> Result<(), ()> {
    // SAFETY: as the caller guarantees; a light C function and a light userdata do not
    // allocate.
    unsafe {
        lua_pushcfunction(l, f);
        lua_pushlightuserdata(l, arg);
        if lua_pcall(l, 1, 1, 0) == LUA_OK {
            Ok(())
        } else {
            Err(())
        }
    }
}

/// A protected function pushing the bytes of the `Vec<u8>` passed as argument 1.
pub(super) unsafe extern "C" fn push_bytes(l: *mut lua_State) -> c_int {
    // SAFETY: called through `call` with a pointer to a live `Vec<u8>`.
    unsafe {
        let bytes = &*lua_touserdata(l, 1).cast::<Vec<u8>>();
        lua_pushlstring(l, bytes.as_ptr().cast(), bytes.len());
    }
    1
}
