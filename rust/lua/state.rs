// SPDX-License-Identifier: GPL-2.0

//! The safe handle on the Lua state of a running C function: argument readers that never
//! raise, pushes that never allocate, and the protected call.

use core::ffi::c_int;

use super::ffi;

/// The type of a value on the stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Type {
    /// No value at that index (an absent argument).
    None,
    /// `nil`.
    Nil,
    /// A boolean.
    Boolean,
    /// A number.
    Number,
    /// A string.
    String,
    /// A table.
    Table,
    /// A function.
    Function,
    /// A full userdata.
    Userdata,
    /// Anything else (light userdata, thread).
    Other,
}

/// The Lua state of one call of a C function, as given to a trampoline's inner function.
///
/// Every method is non-raising, except those taking `&mut self`, which may run Lua code or
/// raise: borrowing `&mut self` for them ends every borrow obtained through `&self` (such
/// as an object's private data), so none can be used across them.
///
/// Pushes assume the stack space Lua guarantees to every C function (`LUA_MINSTACK`, 20
/// slots); no function of the binding pushes more than two values.
pub(crate) struct State {
    raw: *mut ffi::lua_State,
}

impl State {
    /// Wraps the state of a running C function.
    ///
    /// # Safety
    ///
    /// `raw` must be the state Lua passed to the C function that is running, and the
    /// handle must not outlive that call.
    pub(crate) unsafe fn from_raw(raw: *mut ffi::lua_State) -> Self {
        Self { raw }
    }

    /// The raw state, for the Lunatik port.
    pub(crate) fn as_ptr(&self) -> *mut ffi::lua_State {
        self.raw
    }

    /// The number of values on the stack (the arguments, at the start of a call).
    pub(crate) fn top(&self) -> c_int {
        // SAFETY: `self.raw` is the state of the running call (type invariant).
        unsafe { ffi::lua_gettop(self.raw) }
    }

    /// The type of the value at `idx`.
    pub(crate) fn kind(&self, idx: c_int) -> Type {
        // SAFETY: `self.raw` is the state of the running call; `lua_type` accepts any
        // acceptable index and returns `LUA_TNONE` past the top.
        match unsafe { ffi::lua_type(self.raw, idx) } {
            ffi::LUA_TNONE => Type::None,
            ffi::LUA_TNIL => Type::Nil,
            ffi::LUA_TBOOLEAN => Type::Boolean,
            ffi::LUA_TNUMBER => Type::Number,
            ffi::LUA_TSTRING => Type::String,
            ffi::LUA_TTABLE => Type::Table,
            ffi::LUA_TFUNCTION => Type::Function,
            ffi::LUA_TUSERDATA => Type::Userdata,
            _ => Type::Other,
        }
    }

    /// The value at `idx` as `luaL_checkinteger` takes it: a number with an exact integer
    /// value, or a string that converts to one ("100", "0x10"). The stack is not changed.
    pub(crate) fn integer(&self, idx: c_int) -> Option<i64> {
        let mut isnum: c_int = 0;
        // SAFETY: as in `kind`; `isnum` is a valid place for the flag. A value that is no
        // number and no string gives `isnum == 0`; converting a string allocates nothing
        // and leaves the value on the stack as it is.
        let value = unsafe { ffi::lua_tointegerx(self.raw, idx, &mut isnum) };
        (isnum != 0).then_some(value)
    }

    /// Whether the value at `idx` is a number or a string that converts to one.
    pub(crate) fn is_number(&self, idx: c_int) -> bool {
        // SAFETY: as in `kind`; `lua_isnumber` converts nothing in place.
        unsafe { ffi::lua_isnumber(self.raw, idx) != 0 }
    }

    /// The value at `idx` if it is a boolean.
    pub(crate) fn boolean(&self, idx: c_int) -> Option<bool> {
        if self.kind(idx) != Type::Boolean {
            return None;
        }
        // SAFETY: as in `kind`.
        Some(unsafe { ffi::lua_toboolean(self.raw, idx) } != 0)
    }

    /// The bytes of the value at `idx` if it is a string (numbers are not converted: that
    /// would change the stack). They live as long as the value stays on the stack.
    pub(crate) fn string(&self, idx: c_int) -> Option<&[u8]> {
        if self.kind(idx) != Type::String {
            return None;
        }
        let mut len = 0usize;
        // SAFETY: as in `kind`; a string value converts to nothing, so nothing allocates.
        let bytes = unsafe { ffi::lua_tolstring(self.raw, idx, &mut len) };
        // SAFETY: Lua returns `len` bytes that live while the string is on the stack,
        // which the borrow of `self` stands for (only `&mut self` calls change the stack
        // in ways that could drop it).
        (!bytes.is_null()).then(|| unsafe { core::slice::from_raw_parts(bytes.cast::<u8>(), len) })
    }

    /// The raw length of the value at `idx` (a table's border, a string's or a userdata's
    /// size). Never raises.
    pub(crate) fn raw_len(&self, idx: c_int) -> u64 {
        // SAFETY: as in `kind`.
        unsafe { ffi::lua_rawlen(self.raw, idx) }
    }

    /// The absolute index of `idx`.
    pub(crate) fn abs_index(&self, idx: c_int) -> c_int {
        // SAFETY: as in `kind`.
        unsafe { ffi::lua_absindex(self.raw, idx) }
    }

    /// Makes room for `n` more values; false when the stack cannot grow (nothing raised).
    pub(crate) fn check_stack(&self, n: c_int) -> bool {
        // SAFETY: as in `kind`; `lua_checkstack` reports failure instead of raising.
        unsafe { ffi::lua_checkstack(self.raw, n) != 0 }
    }

    /// Pushes `t[i]` for the table at `table`, without metamethods; its type.
    pub(crate) fn raw_get_index(&self, table: c_int, i: i64) -> Type {
        // SAFETY: as in `kind`; the caller made room for the value (`check_stack`) and
        // `table` is a table; a raw read allocates nothing.
        unsafe { ffi::lua_rawgeti(self.raw, table, i) };
        self.kind(-1)
    }

    /// The next pair of the table at `table` after the key on the top (`nil` first): pops
    /// the key and pushes the next key and its value, or pushes nothing at the end.
    pub(crate) fn next(&self, table: c_int) -> bool {
        // SAFETY: as in `kind`; the key on the top came from the previous `next` (or is
        // nil) and was not changed, so `lua_next` does not raise; the caller made room.
        unsafe { ffi::lua_next(self.raw, table) != 0 }
    }

    /// Pops `n` values.
    pub(crate) fn pop(&self, n: c_int) {
        // SAFETY: as in `kind`; the caller pushed at least `n` values.
        unsafe { ffi::lua_settop(self.raw, -n - 1) }
    }

    /// Whether the values at `a` and `b` are the same value (no metamethod).
    pub(crate) fn raw_equal(&self, a: c_int, b: c_int) -> bool {
        // SAFETY: as in `kind`.
        unsafe { ffi::lua_rawequal(self.raw, a, b) != 0 }
    }

    /// Pushes `nil`; never allocates.
    pub(crate) fn push_nil(&self) {
        // SAFETY: as in `kind`; the push fits in the guaranteed stack space.
        unsafe { ffi::lua_pushnil(self.raw) }
    }

    /// Pushes a boolean; never allocates.
    pub(crate) fn push_bool(&self, b: bool) {
        // SAFETY: as in `push_nil`.
        unsafe { ffi::lua_pushboolean(self.raw, c_int::from(b)) }
    }

    /// Pushes an integer; never allocates.
    pub(crate) fn push_integer(&self, n: i64) {
        // SAFETY: as in `push_nil`.
        unsafe { ffi::lua_pushinteger(self.raw, n) }
    }

    /// Pushes a copy of `bytes` as a string. Allocates, so it may raise a memory error:
    /// call it owning nothing with a destructor (see the rule in
    /// [`trampoline`](mod@super::trampoline)).
    pub(crate) fn push_string(&mut self, bytes: &[u8]) {
        // SAFETY: as in `push_nil`; `bytes` is valid for its length and copied by Lua.
        unsafe {
            ffi::lua_pushlstring(self.raw, bytes.as_ptr().cast(), bytes.len());
        }
    }

    /// Replaces the `n` strings on the top with their concatenation. Allocates, so it may
    /// raise a memory error, as [`State::push_string`].
    pub(crate) fn concat(&mut self, n: c_int) {
        // SAFETY: as in `push_nil`; the caller pushed `n` strings, which concatenate
        // without metamethods.
        unsafe { ffi::lua_concat(self.raw, n) }
    }

    /// Calls the C function `f` with `arg` as a light userdata, in protected mode, leaving
    /// its one result on the top. `Err(())` when it raised: its error value is then on the
    /// top of the stack.
    pub(crate) fn pcall_with(
        &mut self,
        f: unsafe extern "C" fn(*mut ffi::lua_State) -> c_int,
        arg: *mut core::ffi::c_void,
    ) -> Result<(), ()> {
        // SAFETY: as in `kind`; pushing a C function and a light userdata allocates
        // nothing, within the stack space every C function has.
        unsafe {
            ffi::lua_pushcclosure(self.raw, Some(f), 0);
            ffi::lua_pushlightuserdata(self.raw, arg);
        }
        self.pcall_from(self.top() - 1)
    }

    /// Calls the function at index `func` with the values above it as arguments, in
    /// protected mode, leaving all its results in their place. `Err(())` when it raised:
    /// its error value is then on the top of the stack.
    ///
    /// This runs Lua code: anything may happen to the objects the call can reach,
    /// including the release of the private data of an object that is not kept on the
    /// stack below `func`.
    pub(crate) fn pcall_from(&mut self, func: c_int) -> Result<(), ()> {
        let nargs = self.top().saturating_sub(func);
        // SAFETY: as in `kind`; `func` is below the top, so there is a value to call and
        // `nargs` values above it. `lua_pcallk` catches every error of the call.
        let status = unsafe { ffi::lua_pcallk(self.raw, nargs, ffi::LUA_MULTRET, 0, 0, None) };
        if status == ffi::LUA_OK {
            Ok(())
        } else {
            Err(())
        }
    }
}
