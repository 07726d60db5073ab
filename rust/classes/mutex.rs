// SPDX-License-Identifier: GPL-2.0

//! `mutex`: a sleeping lock owned by the Lunatik runtime that locked it (every coroutine
//! of one runtime is the same owner), not by a task.
//!
//! ```lua
//! local m = mutex.new([recursive])
//! m:lock([ms])                 -- true | nil, "timeout" | nil, "interrupt"
//! m:trylock()                  -- boolean
//! m:unlock()                   -- raises unless this runtime holds it
//! m:scope(f, ...)              -- lock, f(...) protected, unlock; f's results or error
//! m:locked(), m:owned()        -- booleans
//! ```
//!
//! Locking again a non-recursive mutex this runtime holds raises "deadlock" instead of
//! waiting forever.

use core::ffi::{c_int, c_void};

use super::{args, wait};
use crate::lua::ffi::lua_State;
use crate::lua::{lua_function, trampoline, Bytes, LuaError, Message, Reply, State, Table, Type};
use crate::port::{self, Class, Private};
use crate::sync::{LockError, Mutex, Owner, Timeout, UnlockError};

// SAFETY: mutex objects are only created by `new`, which initialises a `Mutex` in the
// private data right after the port returns it, and their release function
// (`luasync_mutex_release`) drops it in place.
unsafe impl Private for Mutex {
    const CLASS: Class = Class::Mutex;
}

/// The owner token of the calling runtime.
fn owner(state: &State, method: &str) -> Result<Owner, LuaError> {
    port::owner(state).map(Owner::new).ok_or_else(|| {
        LuaError::msg(format_args!(
            "mutex: {method}: not called from a Lunatik runtime"
        ))
    })
}

/// The error of a lock that failed for another reason than the wait.
fn deadlock(method: &str) -> LuaError {
    LuaError::msg(format_args!(
        "mutex: {method}: deadlock (this runtime already holds it)"
    ))
}

/// `mutex.new([recursive])`: an unlocked mutex.
fn new(state: &mut State) -> Result<Reply, LuaError> {
    let recursive = args::opt_boolean(state, 1, false)?;
    let slot = port::new_object::<Mutex>(state);
    if slot.is_null() {
        return Err(LuaError::msg(format_args!("mutex: new: no such class")));
    }
    // SAFETY: `slot` is the fresh private data of the object just pushed: valid for a
    // `Mutex`, aligned for it (checked by `new_object`), and it never moves (Lunatik frees
    // it only after the release function dropped it).
    unsafe { Mutex::init_at(slot, recursive) };
    Ok(Reply::Pushed(1))
}

/// `m:lock([ms])`: `true`, or `nil, "timeout"`, or `nil, "interrupt"`; raises on deadlock.
fn lock(state: &mut State) -> Result<Reply, LuaError> {
    let mutex = args::this::<Mutex>(state)?;
    let timeout = args::timeout(state, 2)?;
    let owner = owner(state, "lock")?;
    wait::may_sleep(state, Class::Mutex, "lock", timeout)?;
    match mutex.lock(owner, timeout) {
        Ok(()) => Ok(Reply::Done),
        Err(LockError::Wait(error)) => Ok(wait::reply(Err(error))),
        Err(LockError::Deadlock) => Err(deadlock("lock")),
    }
}

/// `m:trylock()`: locks if that needs no wait. Never sleeps.
fn try_lock(state: &mut State) -> Result<Reply, LuaError> {
    let mutex = args::this::<Mutex>(state)?;
    let owner = owner(state, "trylock")?;
    Ok(Reply::Bool(mutex.try_lock(owner)))
}

/// `m:unlock()`: raises unless the calling runtime holds the mutex. Never sleeps.
fn unlock(state: &mut State) -> Result<Reply, LuaError> {
    let mutex = args::this::<Mutex>(state)?;
    let owner = owner(state, "unlock")?;
    match mutex.unlock(owner) {
        Ok(()) => Ok(Reply::Nothing),
        Err(UnlockError::NotOwner) => Err(LuaError::msg(format_args!(
            "mutex: unlock: not the owner (another runtime holds it)"
        ))),
        Err(UnlockError::NotLocked) => {
            Err(LuaError::msg(format_args!("mutex: unlock: not locked")))
        }
    }
}

/// `m:locked()`: whether any runtime holds the mutex.
fn locked(state: &mut State) -> Result<Reply, LuaError> {
    Ok(Reply::Bool(args::this::<Mutex>(state)?.is_locked()))
}

/// `m:owned()`: whether the calling runtime holds the mutex.
fn owned(state: &mut State) -> Result<Reply, LuaError> {
    let mutex = args::this::<Mutex>(state)?;
    let owner = owner(state, "owned")?;
    Ok(Reply::Bool(mutex.owner_is(owner)))
}

/// `m:scope(f, ...)`: locks (raising if that fails), calls `f(...)` in protected mode,
/// unlocks in every case, then returns `f`'s results or raises its error value unchanged.
///
/// The mutex is held by a counted reference across the call, not looked up again
/// afterwards: `f` may collect its own value of it (`m:__gc()`) or replace it on the
/// stack, and the mutex must still be unlocked, and only that one.
fn scope(state: &mut State) -> Result<Reply, LuaError> {
    let owner = owner(state, "scope")?;
    args::this::<Mutex>(state)?;
    if state.kind(2) != Type::Function {
        let got = port::type_name(state, 2);
        return Err(LuaError::arg(
            2,
            format_args!("function expected, got {}", Bytes(got)),
        ));
    }
    wait::may_sleep(state, Class::Mutex, "scope", Timeout::Infinite)?;
    let held = port::hold::<Mutex>(state, 1)
        .ok_or_else(|| LuaError::msg(format_args!("mutex: scope: the mutex was released")))?;
    let locked = held.get().lock(owner, Timeout::Infinite);
    if let Err(error) = locked {
        port::unhold(held);
        return Err(match error {
            LockError::Deadlock => deadlock("scope"),
            LockError::Wait(error) => {
                let why = wait::reason(error);
                LuaError::msg(format_args!("mutex: scope: lock failed ({why})"))
            }
        });
    }
    // `f` and its arguments sit above the mutex, at index 1. The protected call catches
    // every error, so `held` is given back below on every path.
    let called = state.pcall_from(2);
    let unlocked = held.get().unlock(owner).is_ok();
    port::unhold(held);
    match called {
        Err(()) => Err(LuaError::Rethrow),
        Ok(()) if unlocked => Ok(Reply::Pushed(state.top().saturating_sub(1))),
        Ok(()) => Err(LuaError::msg(format_args!(
            "mutex: scope: the mutex was unlocked inside the scope"
        ))),
    }
}

/// `tostring(m)`: "mutex (locked)", "mutex (unlocked, recursive)", ...
fn to_string(state: &mut State) -> Result<Reply, LuaError> {
    if args::is_released::<Mutex>(state, 1) {
        return Ok(Reply::Text(Message::format(format_args!(
            "mutex (released)"
        ))));
    }
    let mutex = args::this::<Mutex>(state)?;
    let what = if mutex.is_locked() {
        "locked"
    } else {
        "unlocked"
    };
    let kind = if mutex.is_recursive() {
        ", recursive"
    } else {
        ""
    };
    Ok(Reply::Text(Message::format(format_args!(
        "mutex ({what}{kind})"
    ))))
}

lua_function!(lua_new => new);
lua_function!(lua_lock => lock);
lua_function!(lua_try_lock => try_lock);
lua_function!(lua_unlock => unlock);
lua_function!(lua_locked => locked);
lua_function!(lua_owned => owned);
lua_function!(lua_scope => scope);
lua_function!(lua_to_string => to_string);

/// The library table: `mutex.new`.
static LIB: Table<2> = Table::new([(Some(c"new"), Some(lua_new)), (None, None)]);

/// The methods of mutex objects (`__gc` is added by the port).
#[export_name = "luasync_mutex_methods"]
pub(crate) static METHODS: Table<8> = Table::new([
    (Some(c"lock"), Some(lua_lock)),
    (Some(c"trylock"), Some(lua_try_lock)),
    (Some(c"unlock"), Some(lua_unlock)),
    (Some(c"locked"), Some(lua_locked)),
    (Some(c"owned"), Some(lua_owned)),
    (Some(c"scope"), Some(lua_scope)),
    (Some(c"__tostring"), Some(lua_to_string)),
    (None, None),
]);

/// `luaopen_mutex`: what `require "mutex"` runs.
fn open(state: &mut State) -> Result<Reply, LuaError> {
    Ok(Reply::Pushed(port::new_lib(state, Class::Mutex, &LIB)))
}

/// `require "mutex"` in Lunatik finds this exported symbol.
///
/// # Safety
///
/// Only Lua may call this, with the state of the call.
#[no_mangle]
pub(crate) unsafe extern "C" fn luaopen_mutex(l: *mut lua_State) -> c_int {
    // SAFETY: Lua passes the state of this call, and the count goes straight back.
    unsafe { trampoline(l, open) }
}

/// Drops the `Mutex` of a released mutex object.
///
/// # Safety
///
/// Only the port may call this, as the release function of the mutex class, with the
/// private data of an object whose last reference is gone.
#[no_mangle]
pub(crate) unsafe extern "C" fn luasync_mutex_release(private: *mut c_void) {
    // SAFETY: the port passes the private data of a mutex object (which holds an
    // initialised `Mutex`, see `Private`) once nothing can reach it.
    unsafe { super::release::<Mutex>(private) }
}
