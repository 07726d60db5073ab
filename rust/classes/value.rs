// SPDX-License-Identifier: GPL-2.0

//! Lua values copied out of one runtime and rebuilt in another: what a channel carries.
//!
//! Each runtime is a Lua state of its own, so a message is copied into kernel memory on
//! send: booleans, integers, strings, Lunatik objects (by reference, as `lunatik._ENV`
//! carries them: the receiver gets its own value of the same object), and tables of these,
//! without their metatables. Anything else (functions, coroutines, light userdata,
//! `nil` as the message, a float, a table inside itself, an object that can hold other
//! objects, such as a channel) is refused with a clear error and
//! nothing is sent. A message is bounded: tables nested at most [`MAX_DEPTH`] deep, and at
//! most [`MAX_BYTES`] in all (each value counts 16 bytes, each string its length too).

use core::ffi::{c_int, c_void};

use crate::lua::ffi::lua_State;
use crate::lua::{Bytes, LuaError, State, Type};
use crate::port::{self, ObjRef};
use crate::sync::alloc::{Gfp, Vec};

/// How deep tables may nest in a message.
pub(crate) const MAX_DEPTH: usize = 8;
/// How large a message may be, in bytes.
pub(crate) const MAX_BYTES: usize = 64 * 1024;
/// What each value counts, besides a string's bytes.
const VALUE_BYTES: usize = 16;

/// A copied value.
pub(crate) enum Value {
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A string's bytes.
    Str(Vec<u8>),
    /// A reference on a Lunatik object.
    Obj(ObjRef),
    /// A table's pairs.
    Table(Vec<(Value, Value)>),
}

/// Copying one message: the state read from, what is left of the budget, the stack indices
/// of the tables being copied (to refuse a table inside itself), and the allocation flags.
struct Copier<'a> {
    state: &'a State,
    left: usize,
    open: [c_int; MAX_DEPTH],
    depth: usize,
    gfp: Gfp,
}

/// The error of a refused message.
#[inline(never)]
#[cold]
fn refused(method: &str, what: core::fmt::Arguments<'_>) -> LuaError {
    LuaError::msg(format_args!("channel: {method}: {what}"))
}

impl Copier<'_> {
    fn charge(&mut self, method: &str, bytes: usize) -> Result<(), LuaError> {
        match self.left.checked_sub(bytes.saturating_add(VALUE_BYTES)) {
            Some(left) => {
                self.left = left;
                Ok(())
            }
            None => Err(refused(
                method,
                format_args!("message larger than {MAX_BYTES} bytes"),
            )),
        }
    }

    fn value(&mut self, method: &str, idx: c_int) -> Result<Value, LuaError> {
        let state = self.state;
        match state.kind(idx) {
            Type::Boolean => {
                self.charge(method, 0)?;
                Ok(Value::Bool(state.boolean(idx).unwrap_or(false)))
            }
            Type::Number => {
                self.charge(method, 0)?;
                state
                    .integer(idx)
                    .map(Value::Int)
                    .ok_or_else(|| refused(method, format_args!("floats cannot be sent")))
            }
            Type::String => {
                let bytes = state.string(idx).unwrap_or(&[]);
                self.charge(method, bytes.len())?;
                let mut copy = Vec::new();
                copy.try_extend(bytes, self.gfp)
                    .map_err(|_| no_memory(method))?;
                Ok(Value::Str(copy))
            }
            Type::Userdata => {
                self.charge(method, 0)?;
                ObjRef::get(state, idx)
                    .map(Value::Obj)
                    .map_err(|why| refused(method, format_args!("{}", Bytes(why))))
            }
            Type::Table => self.table(method, idx),
            Type::None | Type::Nil => Err(refused(method, format_args!("nil cannot be sent"))),
            _ => Err(refused(
                method,
                format_args!("a {} cannot be sent", Bytes(port::type_name(state, idx))),
            )),
        }
    }

    fn table(&mut self, method: &str, idx: c_int) -> Result<Value, LuaError> {
        let state = self.state;
        let idx = state.abs_index(idx);
        if self.open[..self.depth]
            .iter()
            .any(|&open| state.raw_equal(open, idx))
        {
            return Err(refused(
                method,
                format_args!("a table cannot contain itself"),
            ));
        }
        let Some(slot) = self.open.get_mut(self.depth) else {
            return Err(refused(
                method,
                format_args!("tables nested deeper than {MAX_DEPTH}"),
            ));
        };
        *slot = idx;
        // The key and the value of `next`, and what their own copies push.
        if !state.check_stack(3) {
            return Err(refused(method, format_args!("tables nested too deeply")));
        }
        self.charge(method, 0)?;
        self.depth += 1;
        let mut pairs = Vec::new();
        state.push_nil();
        let copied = loop {
            if !state.next(idx) {
                break Ok(());
            }
            // Key at -2, value at -1; the key stays for the next `next`.
            let pair = self
                .value(method, -2)
                .and_then(|key| Ok((key, self.value(method, -1)?)));
            state.pop(1);
            match pair {
                Ok(pair) => {
                    if pairs.try_push(pair, self.gfp).is_err() {
                        state.pop(1);
                        break Err(no_memory(method));
                    }
                }
                Err(error) => {
                    state.pop(1);
                    break Err(error);
                }
            }
        };
        self.depth -= 1;
        copied.map(|()| Value::Table(pairs))
    }
}

#[inline(never)]
#[cold]
fn no_memory(method: &str) -> LuaError {
    LuaError::msg(format_args!("channel: {method}: not enough memory"))
}

/// Copies the value at `idx` into a message, for `method` (named in errors). Never raises.
pub(crate) fn copy(state: &State, method: &str, idx: c_int, gfp: Gfp) -> Result<Value, LuaError> {
    Copier {
        state,
        left: MAX_BYTES,
        open: [0; MAX_DEPTH],
        depth: 0,
        gfp,
    }
    .value(method, idx)
}

/// Pushes a copy of `value` into the state of `l`. May raise (it allocates), so it only
/// runs in protected mode, from [`push`]; depth is bounded by [`MAX_DEPTH`].
///
/// # Safety
///
/// `l` must be the state of a running C function called in protected mode.
unsafe fn rebuild(l: *mut lua_State, value: &Value) {
    use crate::lua::ffi;
    // SAFETY: the caller guarantees `l`; every push has room (`luaL_checkstack` raises
    // when the stack cannot grow, which the protected call catches).
    unsafe {
        ffi::luaL_checkstack(l, 3, c"message too deep".as_ptr());
        match value {
            Value::Bool(b) => ffi::lua_pushboolean(l, c_int::from(*b)),
            Value::Int(n) => ffi::lua_pushinteger(l, *n),
            Value::Str(bytes) => {
                let bytes = bytes.as_slice();
                ffi::lua_pushlstring(l, bytes.as_ptr().cast(), bytes.len());
            }
            Value::Obj(object) => object.push(l),
            Value::Table(pairs) => {
                let pairs = pairs.as_slice();
                ffi::lua_createtable(l, 0, c_int::try_from(pairs.len()).unwrap_or(0));
                for (key, value) in pairs {
                    rebuild(l, key);
                    rebuild(l, value);
                    ffi::lua_rawset(l, -3);
                }
            }
        }
    }
}

/// The protected function of [`push`]: rebuilds the value its light userdata points to.
///
/// # Safety
///
/// Only [`push`] may call this (through `lua_pcallk`), with a light userdata pointing to a
/// `Value` that lives across the call.
unsafe extern "C" fn rebuild_protected(l: *mut lua_State) -> c_int {
    // SAFETY: `push` passes a pointer to a `Value` it keeps alive across the call.
    unsafe {
        let value = &*crate::lua::ffi::lua_touserdata(l, 1).cast::<Value>();
        rebuild(l, value);
    }
    1
}

/// Pushes a copy of `value`, in protected mode: `Err(LuaError::Rethrow)` with the error on
/// the top when Lua could not (memory). `value` stays the caller's, to drop.
pub(crate) fn push(state: &mut State, value: &Value) -> Result<(), LuaError> {
    let arg = core::ptr::from_ref(value).cast_mut().cast::<c_void>();
    state
        .pcall_with(rebuild_protected, arg)
        .map_err(|()| LuaError::Rethrow)
}
