// SPDX-License-Identifier: GPL-2.0

//! `completion`: a superset of Lunatik's own C `completion`, so scripts written for it
//! (such as Lunatik's `mailbox.lua`) run unchanged.
//!
//! ```lua
//! local c = completion.new()
//! c:complete()                 -- wakes one waiter, now or later
//! c:completeall()              -- wakes every waiter until reinit
//! c:reinit()                   -- not done any more
//! c:wait([ms])                 -- true | nil, "timeout" | nil, "interrupt"
//! c:trywait()                  -- boolean, consumes one completion
//! c:done()                     -- boolean, consumes nothing
//! ```

use core::ffi::{c_int, c_void};

use super::{args, wait};
use crate::lua::ffi::lua_State;
use crate::lua::{lua_function, trampoline, LuaError, Message, Reply, State, Table};
use crate::port::{self, Class, Private};
use crate::sync::Completion;

// SAFETY: completion objects are only created by `new`, which initialises a `Completion`
// in the private data right after the port returns it, and their release function
// (`luasync_completion_release`) drops it in place.
unsafe impl Private for Completion {
    const CLASS: Class = Class::Completion;
}

/// `completion.new()`: a completion that is not done.
fn new(state: &mut State) -> Result<Reply, LuaError> {
    let slot = port::new_object::<Completion>(state);
    if slot.is_null() {
        return Err(LuaError::msg(format_args!(
            "completion: new: no such class"
        )));
    }
    // SAFETY: `slot` is the fresh private data of the object just pushed: valid for a
    // `Completion`, aligned for it (checked by `new_object`), and it never moves (Lunatik
    // frees it only after the release function dropped it).
    unsafe { Completion::init_at(slot) };
    Ok(Reply::Pushed(1))
}

/// `c:complete()`: releases one waiter, now or the next one to come. Never sleeps.
fn complete(state: &mut State) -> Result<Reply, LuaError> {
    args::this::<Completion>(state)?.complete();
    Ok(Reply::Nothing)
}

/// `c:completeall()`: releases every waiter until `reinit`. Never sleeps.
fn complete_all(state: &mut State) -> Result<Reply, LuaError> {
    args::this::<Completion>(state)?.complete_all();
    Ok(Reply::Nothing)
}

/// `c:reinit()`: not done any more. Never sleeps.
fn reinit(state: &mut State) -> Result<Reply, LuaError> {
    args::this::<Completion>(state)?.reinit();
    Ok(Reply::Nothing)
}

/// `c:wait([ms])`: `true`, or `nil, "timeout"`, or `nil, "interrupt"`.
fn wait(state: &mut State) -> Result<Reply, LuaError> {
    let completion = args::this::<Completion>(state)?;
    let timeout = args::timeout(state, 2)?;
    wait::may_sleep(state, Class::Completion, "wait", timeout)?;
    Ok(wait::reply(completion.wait(timeout)))
}

/// `c:trywait()`: consumes one completion if there is one. Never sleeps.
fn try_wait(state: &mut State) -> Result<Reply, LuaError> {
    Ok(Reply::Bool(args::this::<Completion>(state)?.try_wait()))
}

/// `c:done()`: whether a wait would succeed now; consumes nothing. Never sleeps.
fn done(state: &mut State) -> Result<Reply, LuaError> {
    Ok(Reply::Bool(args::this::<Completion>(state)?.done()))
}

/// `tostring(c)`: "completion (done)" or "completion (not done)".
fn to_string(state: &mut State) -> Result<Reply, LuaError> {
    if args::is_released::<Completion>(state, 1) {
        return Ok(Reply::Text(Message::format(format_args!(
            "completion (released)"
        ))));
    }
    let done = args::this::<Completion>(state)?.done();
    let what = if done { "done" } else { "not done" };
    Ok(Reply::Text(Message::format(format_args!(
        "completion ({what})"
    ))))
}

lua_function!(lua_new => new);
lua_function!(lua_complete => complete);
lua_function!(lua_complete_all => complete_all);
lua_function!(lua_reinit => reinit);
lua_function!(lua_wait => wait);
lua_function!(lua_try_wait => try_wait);
lua_function!(lua_done => done);
lua_function!(lua_to_string => to_string);

/// The library table: `completion.new`.
static LIB: Table<2> = Table::new([(Some(c"new"), Some(lua_new)), (None, None)]);

/// The methods of completion objects (`__gc` is added by the port).
#[export_name = "luasync_completion_methods"]
pub(crate) static METHODS: Table<8> = Table::new([
    (Some(c"complete"), Some(lua_complete)),
    (Some(c"completeall"), Some(lua_complete_all)),
    (Some(c"reinit"), Some(lua_reinit)),
    (Some(c"wait"), Some(lua_wait)),
    (Some(c"trywait"), Some(lua_try_wait)),
    (Some(c"done"), Some(lua_done)),
    (Some(c"__tostring"), Some(lua_to_string)),
    (None, None),
]);

/// `luaopen_completion`: what `require "completion"` runs.
fn open(state: &mut State) -> Result<Reply, LuaError> {
    Ok(Reply::Pushed(port::new_lib(state, Class::Completion, &LIB)))
}

/// `require "completion"` in Lunatik finds this exported symbol.
///
/// # Safety
///
/// Only Lua may call this, with the state of the call.
#[no_mangle]
pub(crate) unsafe extern "C" fn luaopen_completion(l: *mut lua_State) -> c_int {
    // SAFETY: Lua passes the state of this call, and the count goes straight back.
    unsafe { trampoline(l, open) }
}

/// Drops the `Completion` of a released completion object.
///
/// # Safety
///
/// Only the port may call this, as the release function of the completion class, with the
/// private data of an object whose last reference is gone.
#[no_mangle]
pub(crate) unsafe extern "C" fn luasync_completion_release(private: *mut c_void) {
    // SAFETY: the port passes the private data of a completion object (which holds an
    // initialised `Completion`, see `Private`) once nothing can reach it.
    unsafe { super::release::<Completion>(private) }
}
