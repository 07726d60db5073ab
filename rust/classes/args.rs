// SPDX-License-Identifier: GPL-2.0

//! Reading and checking the arguments of the class methods, without raising: problems
//! come back as [`LuaError`]s with the messages of Lua's own libraries.

use core::ffi::c_int;

use crate::lua::{Bytes, LuaError, State, Type};
use crate::port::{self, Private};
use crate::sync::Timeout;

/// The receiver of a method (argument 1) as the private data of a `T`.
pub(super) fn this<T: Private>(state: &State) -> Result<&T, LuaError> {
    port::private::<T>(state, 1).ok_or_else(|| expected_object::<T>(state, 1))
}

/// The error for argument `idx` when it is not a live `T` object.
pub(super) fn expected_object<T: Private>(state: &State, idx: c_int) -> LuaError {
    let class = T::CLASS.name();
    let got = port::type_name(state, idx);
    if got == class.as_bytes() {
        return LuaError::arg(idx, format_args!("{class} expected, got released {class}"));
    }
    LuaError::arg(idx, format_args!("{class} expected, got {}", Bytes(got)))
}

/// Whether argument `idx` is a released object of `T`'s class (`__gc` already ran).
pub(super) fn is_released<T: Private>(state: &State, idx: c_int) -> bool {
    port::private::<T>(state, idx).is_none()
        && port::type_name(state, idx) == T::CLASS.name().as_bytes()
}

/// An optional integer argument; `default` when absent or `nil`. Numbers must have an
/// exact integer value; strings are not converted.
pub(super) fn opt_integer(state: &State, idx: c_int, default: i64) -> Result<i64, LuaError> {
    match state.kind(idx) {
        Type::None | Type::Nil => Ok(default),
        Type::Number => state.integer(idx).ok_or_else(|| {
            LuaError::arg(idx, format_args!("number has no integer representation"))
        }),
        _ => Err(LuaError::arg(
            idx,
            format_args!(
                "integer expected, got {}",
                Bytes(port::type_name(state, idx))
            ),
        )),
    }
}

/// An optional timeout in milliseconds: absent, `nil` or negative wait forever, 0 polls.
pub(super) fn timeout(state: &State, idx: c_int) -> Result<Timeout, LuaError> {
    Ok(Timeout::from_millis(opt_integer(state, idx, -1)?))
}

/// An optional boolean argument; `default` when absent or `nil`.
pub(super) fn opt_boolean(state: &State, idx: c_int, default: bool) -> Result<bool, LuaError> {
    match state.kind(idx) {
        Type::None | Type::Nil => Ok(default),
        _ => state.boolean(idx).ok_or_else(|| {
            LuaError::arg(
                idx,
                format_args!(
                    "boolean expected, got {}",
                    Bytes(port::type_name(state, idx))
                ),
            )
        }),
    }
}
