// SPDX-License-Identifier: GPL-2.0

//! Hand-written declarations of the part of the Lua 5.5 C API that the binding calls.
//!
//! Only the integer API: in Lunatik `lua_Number` is an integer type while a userspace Lua
//! has floating-point numbers, so nothing here mentions `lua_Number`. No pseudo-index
//! (`LUA_REGISTRYINDEX`, upvalue indices) is declared either: their values depend on how
//! Lua was configured, so registry work is left to the Lunatik port, which is compiled
//! against the right headers.
//!
//! The function types and `luaL_Reg` are the Lua ABI, unchanged across 5.x releases.

#![allow(non_camel_case_types)]

use core::ffi::{c_char, c_int};

/// An opaque Lua thread (`lua_State`).
#[repr(C)]
pub(crate) struct lua_State {
    _opaque: [u8; 0],
}

/// `lua_Integer`: a 64-bit integer both in Lunatik and in a default userspace build.
pub(crate) type lua_Integer = i64;

/// `lua_KContext`: the continuation context of `lua_pcallk` (`intptr_t`).
pub(crate) type lua_KContext = isize;

/// `lua_CFunction`: a function callable from Lua. `None` is the C `NULL`.
pub(crate) type lua_CFunction = Option<unsafe extern "C" fn(l: *mut lua_State) -> c_int>;

/// `lua_KFunction`: a continuation function. `None` is the C `NULL`.
pub(crate) type lua_KFunction =
    Option<unsafe extern "C" fn(l: *mut lua_State, status: c_int, ctx: lua_KContext) -> c_int>;

/// `luaL_Reg`: one entry of a function table; a table ends with a null name.
#[repr(C)]
pub(crate) struct luaL_Reg {
    /// The function's name, NUL-terminated, or null at the end of a table.
    pub(crate) name: *const c_char,
    /// The function, or `None` at the end of a table.
    pub(crate) func: lua_CFunction,
}

/// Value types returned by `lua_type`.
pub(crate) const LUA_TNONE: c_int = -1;
/// `nil`.
pub(crate) const LUA_TNIL: c_int = 0;
/// A boolean.
pub(crate) const LUA_TBOOLEAN: c_int = 1;
/// A number (integer or, outside the kernel, float).
pub(crate) const LUA_TNUMBER: c_int = 3;
/// A function.
pub(crate) const LUA_TFUNCTION: c_int = 6;

/// `nresults` asking for every result.
pub(crate) const LUA_MULTRET: c_int = -1;
/// Status of a call that raised no error.
pub(crate) const LUA_OK: c_int = 0;

extern "C" {
    /// Index of the top element: the number of values on the stack of the running function.
    pub(crate) fn lua_gettop(l: *mut lua_State) -> c_int;
    /// Type of the value at `idx`, `LUA_TNONE` for a non-valid index. Never raises.
    pub(crate) fn lua_type(l: *mut lua_State, idx: c_int) -> c_int;
    /// The value at `idx` as an integer; `*isnum` tells whether it had one. Never raises.
    pub(crate) fn lua_tointegerx(l: *mut lua_State, idx: c_int, isnum: *mut c_int) -> lua_Integer;
    /// Truthiness of the value at `idx`. Never raises.
    pub(crate) fn lua_toboolean(l: *mut lua_State, idx: c_int) -> c_int;

    /// Pushes `nil`. Does not allocate.
    pub(crate) fn lua_pushnil(l: *mut lua_State);
    /// Pushes an integer. Does not allocate.
    pub(crate) fn lua_pushinteger(l: *mut lua_State, n: lua_Integer);
    /// Pushes a boolean. Does not allocate.
    pub(crate) fn lua_pushboolean(l: *mut lua_State, b: c_int);
    /// Pushes a copy of `len` bytes as a string. Allocates: may raise.
    pub(crate) fn lua_pushlstring(l: *mut lua_State, s: *const c_char, len: usize)
        -> *const c_char;

    /// Calls the function below the top `nargs` values in protected mode.
    pub(crate) fn lua_pcallk(
        l: *mut lua_State,
        nargs: c_int,
        nresults: c_int,
        errfunc: c_int,
        ctx: lua_KContext,
        k: lua_KFunction,
    ) -> c_int;

    // The raising functions never return, but C does not declare them `noreturn`, and
    // neither does this: the caller returns their nominal result, as C code does with
    // `return luaL_error(...)`, so every path of a Rust function ends in a return
    // instruction (which objtool checks in the kernel).

    /// Raises the value on the top of the stack as an error. Never returns.
    pub(crate) fn lua_error(l: *mut lua_State) -> c_int;
    /// Raises a formatted error message, prefixed with the caller's position. Never
    /// returns.
    pub(crate) fn luaL_error(l: *mut lua_State, fmt: *const c_char, ...) -> c_int;
    /// Raises "bad argument #arg to 'name' (extramsg)", as Lua's own libraries do. Never
    /// returns.
    pub(crate) fn luaL_argerror(l: *mut lua_State, arg: c_int, extramsg: *const c_char) -> c_int;
}
