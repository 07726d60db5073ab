// SPDX-License-Identifier: GPL-2.0

//! Reading and checking the arguments of the class methods, without raising: problems
//! come back as [`LuaError`]s worded as Lua's own libraries word them.

use core::ffi::c_int;

use crate::lua::{Bytes, LuaError, State, Type};
use crate::port::{self, Missing, Peek, Private, Ref};
use crate::sync::Timeout;

/// The receiver of a method (argument 1), as a counted reference to its `T`.
pub(super) fn this<T: Private>(state: &State) -> Result<Ref<T>, LuaError> {
    port::get::<T>(state, 1).map_err(|missing| expected_object::<T>(state, 1, missing))
}

/// The receiver of a method (argument 1), peeked at: for a method that neither sleeps nor
/// calls into Lua while it holds it (see [`port::Peek`]).
pub(super) fn peek<T: Private>(state: &State) -> Result<Peek<'_, T>, LuaError> {
    port::peek::<T>(state, 1).map_err(|missing| expected_object::<T>(state, 1, missing))
}

/// The receiver peeked at by [`peek`], now counted, for a method that goes on to sleep.
pub(super) fn hold<T: Private>(state: &State, peeked: Peek<'_, T>) -> Result<Ref<T>, LuaError> {
    peeked
        .hold()
        .map_err(|missing| expected_object::<T>(state, 1, missing))
}

/// Argument `idx`, as a counted reference to its `T`.
pub(super) fn object<T: Private>(state: &State, idx: c_int) -> Result<Ref<T>, LuaError> {
    port::get::<T>(state, idx).map_err(|missing| expected_object::<T>(state, idx, missing))
}

/// The error for argument `idx` when it is not a function (the body of a scope).
#[inline(never)]
#[cold]
pub(super) fn expected_function(state: &State, idx: c_int) -> LuaError {
    LuaError::arg(
        idx,
        format_args!(
            "function expected, got {}",
            Bytes(port::type_name(state, idx))
        ),
    )
}

/// The error for argument `idx` when it is not a live `T` object.
#[inline(never)]
#[cold]
pub(super) fn expected_object<T: Private>(state: &State, idx: c_int, missing: Missing) -> LuaError {
    let class = Bytes(port::class_name(T::CLASS));
    match missing {
        Missing::Closed => LuaError::arg(idx, format_args!("{class} expected, got closed {class}")),
        Missing::Released => {
            LuaError::arg(idx, format_args!("{class} expected, got released {class}"))
        }
        Missing::Other => LuaError::arg(
            idx,
            format_args!(
                "{class} expected, got {}",
                Bytes(port::type_name(state, idx))
            ),
        ),
    }
}

/// An optional integer argument, as `luaL_optinteger` reads it: `default` when absent or
/// `nil`; a number with an exact integer value or a string that converts to one otherwise.
#[inline(always)]
pub(super) fn opt_integer(state: &State, idx: c_int, default: i64) -> Result<i64, LuaError> {
    // Past the top: absent, without converting (`lua_gettop` is the cheapest call into
    // Lua there is). Otherwise the integer first: one conversion in the common case.
    if idx > state.top() {
        return Ok(default);
    }
    if let Some(value) = state.integer(idx) {
        return Ok(value);
    }
    match state.kind(idx) {
        Type::None | Type::Nil => Ok(default),
        _ => Err(not_integer(state, idx)),
    }
}

/// The error of `luaL_checkinteger` for argument `idx`.
#[inline(never)]
#[cold]
fn not_integer(state: &State, idx: c_int) -> LuaError {
    if state.is_number(idx) {
        return LuaError::arg(idx, format_args!("number has no integer representation"));
    }
    LuaError::arg(
        idx,
        format_args!(
            "number expected, got {}",
            Bytes(port::type_name(state, idx))
        ),
    )
}

/// An optional timeout in milliseconds: absent, `nil` or negative wait forever, 0 polls.
#[inline(always)]
pub(super) fn timeout(state: &State, idx: c_int) -> Result<Timeout, LuaError> {
    Ok(Timeout::from_millis(opt_integer(state, idx, -1)?))
}

/// An optional boolean argument; `default` when absent or `nil`.
pub(super) fn opt_boolean(state: &State, idx: c_int, default: bool) -> Result<bool, LuaError> {
    match state.kind(idx) {
        Type::None | Type::Nil => Ok(default),
        _ => state.boolean(idx).ok_or_else(|| not_boolean(state, idx)),
    }
}

#[inline(never)]
#[cold]
fn not_boolean(state: &State, idx: c_int) -> LuaError {
    LuaError::arg(
        idx,
        format_args!(
            "boolean expected, got {}",
            Bytes(port::type_name(state, idx))
        ),
    )
}

/// What `tostring` says of an object that is not live: "<class> (closed)" or
/// "<class> (released)"; `None` for a live object or anything else.
pub(super) fn gone<T: Private>(state: &State) -> Option<&'static str> {
    match port::get::<T>(state, 1) {
        Err(Missing::Closed) => Some("closed"),
        Err(Missing::Released) => Some("released"),
        _ => None,
    }
}
