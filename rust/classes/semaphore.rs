// SPDX-License-Identifier: GPL-2.0

//! `semaphore`: a counting semaphore.
//!
//! ```lua
//! local s = semaphore.new([n = 1])   -- 0 <= n <= 2147483647
//! s:down([ms])                       -- true | nil, "timeout" | nil, "interrupt"
//! s:trydown()                        -- boolean
//! s:up([n = 1])                      -- n >= 1; raises if the count would overflow
//! s:count()                          -- integer
//! ```

use core::ffi::{c_int, c_void};

use super::{args, wait};
use crate::lua::ffi::lua_State;
use crate::lua::{lua_function, trampoline, LuaError, Message, Reply, State, Table};
use crate::port::{self, Class, Private};
use crate::sync::{Semaphore, UpError};

// SAFETY: semaphore objects are only created by `new`, which initialises a `Semaphore` in
// the private data right after the port returns it, and their release function
// (`luasync_semaphore_release`) drops it in place.
unsafe impl Private for Semaphore {
    const CLASS: Class = Class::Semaphore;
}

/// The initial count of `semaphore.new(n)`, if `n` is in range.
fn initial_count(n: i64) -> Option<u32> {
    u32::try_from(n).ok().filter(|&n| n <= Semaphore::MAX_COUNT)
}

/// The count of `s:up(n)`, if `n` is at least 1; counts above `u32::MAX` saturate (they
/// overflow any semaphore anyway).
fn up_count(n: i64) -> Option<u32> {
    (n >= 1).then(|| u32::try_from(n).unwrap_or(u32::MAX))
}

/// `semaphore.new([n = 1])`: a semaphore holding `n`.
fn new(state: &mut State) -> Result<Reply, LuaError> {
    let n = args::opt_integer(state, 1, 1)?;
    let Some(count) = initial_count(n) else {
        let max = Semaphore::MAX_COUNT;
        return Err(LuaError::arg(
            1,
            format_args!("count must be between 0 and {max}, got {n}"),
        ));
    };
    let slot = port::new_object::<Semaphore>(state);
    if slot.is_null() {
        return Err(LuaError::msg(format_args!("semaphore: new: no such class")));
    }
    // SAFETY: `slot` is the fresh private data of the object just pushed: valid for a
    // `Semaphore`, aligned for it (checked by `new_object`), and it never moves (Lunatik
    // frees it only after the release function dropped it).
    unsafe { Semaphore::init_at(slot, count) };
    Ok(Reply::Pushed(1))
}

/// `s:down([ms])`: `true`, or `nil, "timeout"`, or `nil, "interrupt"`.
fn down(state: &mut State) -> Result<Reply, LuaError> {
    let semaphore = args::this::<Semaphore>(state)?;
    let timeout = args::timeout(state, 2)?;
    wait::may_sleep(state, Class::Semaphore, "down", timeout)?;
    Ok(wait::reply(semaphore.down(timeout)))
}

/// `s:trydown()`: takes one count if there is one. Never sleeps.
fn try_down(state: &mut State) -> Result<Reply, LuaError> {
    Ok(Reply::Bool(args::this::<Semaphore>(state)?.try_down()))
}

/// `s:up([n = 1])`: adds `n` to the count, waking up to `n` waiters. Never sleeps.
fn up(state: &mut State) -> Result<Reply, LuaError> {
    let semaphore = args::this::<Semaphore>(state)?;
    let n = args::opt_integer(state, 2, 1)?;
    let Some(count) = up_count(n) else {
        return Err(LuaError::arg(
            2,
            format_args!("count must be at least 1, got {n}"),
        ));
    };
    match semaphore.up(count) {
        Ok(()) => Ok(Reply::Nothing),
        Err(UpError::Zero) => Err(LuaError::arg(
            2,
            format_args!("count must be at least 1, got {n}"),
        )),
        Err(UpError::Overflow) => Err(LuaError::msg(format_args!(
            "semaphore: up: count would exceed {} (adding {n})",
            Semaphore::MAX_COUNT
        ))),
    }
}

/// `s:count()`: the current count.
fn count(state: &mut State) -> Result<Reply, LuaError> {
    Ok(Reply::Integer(i64::from(
        args::this::<Semaphore>(state)?.count(),
    )))
}

/// `tostring(s)`: "semaphore (count 3)".
fn to_string(state: &mut State) -> Result<Reply, LuaError> {
    if args::is_released::<Semaphore>(state, 1) {
        return Ok(Reply::Text(Message::format(format_args!(
            "semaphore (released)"
        ))));
    }
    let count = args::this::<Semaphore>(state)?.count();
    Ok(Reply::Text(Message::format(format_args!(
        "semaphore (count {count})"
    ))))
}

lua_function!(lua_new => new);
lua_function!(lua_down => down);
lua_function!(lua_try_down => try_down);
lua_function!(lua_up => up);
lua_function!(lua_count => count);
lua_function!(lua_to_string => to_string);

/// The library table: `semaphore.new`.
static LIB: Table<2> = Table::new([(Some(c"new"), Some(lua_new)), (None, None)]);

/// The methods of semaphore objects (`__gc` is added by the port).
#[export_name = "luasync_semaphore_methods"]
pub(crate) static METHODS: Table<6> = Table::new([
    (Some(c"down"), Some(lua_down)),
    (Some(c"trydown"), Some(lua_try_down)),
    (Some(c"up"), Some(lua_up)),
    (Some(c"count"), Some(lua_count)),
    (Some(c"__tostring"), Some(lua_to_string)),
    (None, None),
]);

/// `luaopen_semaphore`: what `require "semaphore"` runs.
fn open(state: &mut State) -> Result<Reply, LuaError> {
    Ok(Reply::Pushed(port::new_lib(state, Class::Semaphore, &LIB)))
}

/// `require "semaphore"` in Lunatik finds this exported symbol.
///
/// # Safety
///
/// Only Lua may call this, with the state of the call.
#[no_mangle]
pub(crate) unsafe extern "C" fn luaopen_semaphore(l: *mut lua_State) -> c_int {
    // SAFETY: Lua passes the state of this call, and the count goes straight back.
    unsafe { trampoline(l, open) }
}

/// Drops the `Semaphore` of a released semaphore object.
///
/// # Safety
///
/// Only the port may call this, as the release function of the semaphore class, with the
/// private data of an object whose last reference is gone.
#[no_mangle]
pub(crate) unsafe extern "C" fn luasync_semaphore_release(private: *mut c_void) {
    // SAFETY: the port passes the private data of a semaphore object (which holds an
    // initialised `Semaphore`, see `Private`) once nothing can reach it.
    unsafe { super::release::<Semaphore>(private) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_count_range() {
        assert_eq!(initial_count(0), Some(0));
        assert_eq!(initial_count(1), Some(1));
        assert_eq!(
            initial_count(i64::from(Semaphore::MAX_COUNT)),
            Some(Semaphore::MAX_COUNT)
        );
        assert_eq!(initial_count(i64::from(Semaphore::MAX_COUNT) + 1), None);
        assert_eq!(initial_count(-1), None);
        assert_eq!(initial_count(i64::MIN), None);
        assert_eq!(initial_count(i64::MAX), None);
    }

    #[test]
    fn up_count_range() {
        assert_eq!(up_count(0), None);
        assert_eq!(up_count(-1), None);
        assert_eq!(up_count(i64::MIN), None);
        assert_eq!(up_count(1), Some(1));
        assert_eq!(up_count(i64::from(u32::MAX)), Some(u32::MAX));
        assert_eq!(up_count(i64::MAX), Some(u32::MAX));
    }
}
