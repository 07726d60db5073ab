//! The rest of the Lua 5.5 C API that the userspace harness and the port double use
//! (the binding's own subset is in `rust/lua/ffi.rs`). This side links a userspace Lua,
//! so its configuration-dependent values (the registry index, the extra space) are those
//! of the `lua-src` build.

#![allow(non_camel_case_types, dead_code)]

use std::ffi::{c_char, c_int, c_void};

pub(crate) use crate::lua::ffi::{luaL_Reg, lua_CFunction, lua_Integer, lua_State};

/// `LUA_REGISTRYINDEX` of Lua 5.5.
pub const LUA_REGISTRYINDEX: c_int = -(c_int::MAX / 2 + 1000);
/// `LUA_EXTRASPACE` of a default build: one pointer.
pub const LUA_EXTRASPACE: usize = std::mem::size_of::<*mut c_void>();

pub const LUA_TNONE: c_int = -1;
pub const LUA_TNIL: c_int = 0;
pub const LUA_TBOOLEAN: c_int = 1;
pub const LUA_TLIGHTUSERDATA: c_int = 2;
pub const LUA_TNUMBER: c_int = 3;
pub const LUA_TSTRING: c_int = 4;
pub const LUA_TTABLE: c_int = 5;
pub const LUA_TFUNCTION: c_int = 6;
pub const LUA_TUSERDATA: c_int = 7;
pub const LUA_OK: c_int = 0;
pub const LUA_MULTRET: c_int = -1;

// The raising functions are declared never-returning here, for the harness's own code;
// the binding declares them returning `int` (see `rust/lua/ffi.rs`).
#[allow(clashing_extern_declarations)]
extern "C" {
    pub fn luaL_newstate() -> *mut lua_State;
    pub fn lua_close(l: *mut lua_State);
    pub fn luaL_openselectedlibs(l: *mut lua_State, load: c_int, preload: c_int);
    pub fn lua_gettop(l: *mut lua_State) -> c_int;
    pub fn lua_settop(l: *mut lua_State, idx: c_int);
    pub fn lua_absindex(l: *mut lua_State, idx: c_int) -> c_int;
    pub fn lua_pushvalue(l: *mut lua_State, idx: c_int);
    pub fn lua_type(l: *mut lua_State, idx: c_int) -> c_int;
    pub fn lua_typename(l: *mut lua_State, tp: c_int) -> *const c_char;
    pub fn lua_toboolean(l: *mut lua_State, idx: c_int) -> c_int;
    pub fn lua_tointegerx(l: *mut lua_State, idx: c_int, isnum: *mut c_int) -> lua_Integer;
    pub fn lua_tolstring(l: *mut lua_State, idx: c_int, len: *mut usize) -> *const c_char;
    pub fn lua_touserdata(l: *mut lua_State, idx: c_int) -> *mut c_void;
    pub fn lua_pushnil(l: *mut lua_State);
    pub fn lua_pushboolean(l: *mut lua_State, b: c_int);
    pub fn lua_pushinteger(l: *mut lua_State, n: lua_Integer);
    pub fn lua_pushlstring(l: *mut lua_State, s: *const c_char, len: usize) -> *const c_char;
    pub fn lua_pushstring(l: *mut lua_State, s: *const c_char) -> *const c_char;
    pub fn lua_pushcclosure(l: *mut lua_State, f: lua_CFunction, n: c_int);
    pub fn lua_pushlightuserdata(l: *mut lua_State, p: *mut c_void);
    pub fn lua_createtable(l: *mut lua_State, narr: c_int, nrec: c_int);
    pub fn lua_newuserdatauv(l: *mut lua_State, size: usize, nuvalue: c_int) -> *mut c_void;
    pub fn lua_getfield(l: *mut lua_State, idx: c_int, k: *const c_char) -> c_int;
    pub fn lua_setfield(l: *mut lua_State, idx: c_int, k: *const c_char);
    pub fn lua_getglobal(l: *mut lua_State, name: *const c_char) -> c_int;
    pub fn lua_setglobal(l: *mut lua_State, name: *const c_char);
    pub fn lua_rawget(l: *mut lua_State, idx: c_int) -> c_int;
    pub fn lua_rawset(l: *mut lua_State, idx: c_int);
    pub fn lua_setmetatable(l: *mut lua_State, idx: c_int) -> c_int;
    pub fn lua_getiuservalue(l: *mut lua_State, idx: c_int, n: c_int) -> c_int;
    pub fn lua_setiuservalue(l: *mut lua_State, idx: c_int, n: c_int) -> c_int;
    pub fn lua_callk(
        l: *mut lua_State,
        nargs: c_int,
        nresults: c_int,
        ctx: isize,
        k: Option<unsafe extern "C" fn(*mut lua_State, c_int, isize) -> c_int>,
    );
    pub fn lua_pcallk(
        l: *mut lua_State,
        nargs: c_int,
        nresults: c_int,
        errfunc: c_int,
        ctx: isize,
        k: Option<unsafe extern "C" fn(*mut lua_State, c_int, isize) -> c_int>,
    ) -> c_int;
    pub fn lua_error(l: *mut lua_State) -> !;
    pub fn luaL_error(l: *mut lua_State, fmt: *const c_char, ...) -> !;
    pub fn luaL_argerror(l: *mut lua_State, arg: c_int, extramsg: *const c_char) -> !;
    pub fn luaL_checklstring(l: *mut lua_State, arg: c_int, len: *mut usize) -> *const c_char;
    pub fn luaL_checkinteger(l: *mut lua_State, arg: c_int) -> lua_Integer;
    pub fn luaL_setfuncs(l: *mut lua_State, regs: *const luaL_Reg, nup: c_int);
    pub fn luaL_requiref(l: *mut lua_State, name: *const c_char, open: lua_CFunction, glb: c_int);
    pub fn luaL_loadfilex(l: *mut lua_State, name: *const c_char, mode: *const c_char) -> c_int;
    pub fn luaL_loadstring(l: *mut lua_State, s: *const c_char) -> c_int;
    pub fn luaL_newmetatable(l: *mut lua_State, tname: *const c_char) -> c_int;
    pub fn luaL_checkudata(l: *mut lua_State, arg: c_int, tname: *const c_char) -> *mut c_void;
    pub fn luaL_tolstring(l: *mut lua_State, idx: c_int, len: *mut usize) -> *const c_char;
}

/// `lua_pop`.
///
/// # Safety
///
/// `l` must be a valid state with at least `n` values on its stack.
pub unsafe fn lua_pop(l: *mut lua_State, n: c_int) {
    // SAFETY: as the caller guarantees.
    unsafe { lua_settop(l, -n - 1) }
}

/// `lua_pcall`.
///
/// # Safety
///
/// As `lua_pcallk`.
pub unsafe fn lua_pcall(l: *mut lua_State, nargs: c_int, nresults: c_int, errfunc: c_int) -> c_int {
    // SAFETY: as the caller guarantees.
    unsafe { lua_pcallk(l, nargs, nresults, errfunc, 0, None) }
}

/// `lua_pushcfunction`.
///
/// # Safety
///
/// `l` must be a valid state with room for one value.
pub unsafe fn lua_pushcfunction(
    l: *mut lua_State,
    f: unsafe extern "C" fn(*mut lua_State) -> c_int,
) {
    // SAFETY: as the caller guarantees; a light C function does not allocate.
    unsafe { lua_pushcclosure(l, Some(f), 0) }
}

/// `lua_getextraspace`.
pub fn lua_getextraspace(l: *mut lua_State) -> *mut c_void {
    l.cast::<u8>().wrapping_sub(LUA_EXTRASPACE).cast()
}

/// The string at `idx` (converted as `tostring` would), copied out.
///
/// # Safety
///
/// `l` must be a valid state; `idx` an acceptable index. May raise (it may allocate).
pub unsafe fn to_string_lossy(l: *mut lua_State, idx: c_int) -> String {
    let mut len = 0usize;
    // SAFETY: as the caller guarantees; `luaL_tolstring` pushes the converted string.
    let p = unsafe { luaL_tolstring(l, idx, &mut len) };
    let text = if p.is_null() {
        String::new()
    } else {
        // SAFETY: Lua returns `len` valid bytes at `p`, alive while the string is on the stack.
        let bytes = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) };
        String::from_utf8_lossy(bytes).into_owned()
    };
    // SAFETY: pops the string `luaL_tolstring` pushed.
    unsafe { lua_pop(l, 1) };
    text
}
