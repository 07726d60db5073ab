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
    /// A function.
    Function,
    /// Anything else (table, userdata, thread).
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
            ffi::LUA_TFUNCTION => Type::Function,
            _ => Type::Other,
        }
    }

    /// The value at `idx` as `luaL_checkinteger` takes it: a number with an exact integer
    /// value, or a string that converts to one ("100", "0x10"). The stack is not changed.
    pub(crate) fn integer(&self, idx: c_int) -> Option<i64> {
        if !matches!(self.kind(idx), Type::Number | Type::String) {
            return None;
        }
        let mut isnum: c_int = 0;
        // SAFETY: as in `kind`; `isnum` is a valid place for the flag. Converting a string
        // allocates nothing and leaves the value on the stack as it is.
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
