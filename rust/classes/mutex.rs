// SPDX-License-Identifier: GPL-2.0

//! `mutex`: a sleeping lock owned by the Lunatik runtime that locked it (every coroutine
//! of one runtime is the same owner), not by a task.
//!
//! ```lua
//! local m = mutex.new([recursive])
//! m:lock([ms])                 -- true | nil, "timeout" | "interrupt" | "closed"
//!                              --   | nil, "deadlock", cycle
//! m:trylock()                  -- boolean
//! m:unlock()                   -- raises unless this runtime holds it
//! m:scope(f, ...)              -- lock, f(...) protected, unlock; f's results or error
//! m:locked(), m:owned()        -- booleans
//! m:id()                       -- the mutex's number in deadlock reports
//! m:close()                    -- waiters get nil, "closed"; later calls raise
//! mutex.runtime()              -- this runtime's number in deadlock reports
//! ```
//!
//! Locking again a non-recursive mutex this runtime holds raises "deadlock" instead of
//! waiting forever. A lock that would sleep in a cycle of waits between runtimes returns
//! `nil, "deadlock"` and the cycle instead (see [`super::deadlock`]). A mutex closed while
//! held stays held by nobody that can unlock it: every later call raises, and `scope`
//! raises when its mutex was closed inside `f`.

use super::{args, deadlock as cycle, wait};
use core::ffi::c_int;

use crate::lua::ffi::lua_State;
use crate::lua::{enter, lua_function, trampoline_with, LuaError, Message, Reply, State};
use crate::lua::{Table, Type};
use crate::port::{self, class_ops, Class, Private, RawRef};
use crate::sync::{LockError, Mutex, Owner, Timeout, UnlockError};

// SAFETY: mutex objects are only created by `new`, which initialises a `Mutex` in the
// private data right after the port returns it, and the ops below are those of `Mutex`.
unsafe impl Private for Mutex {
    const CLASS: Class = Class::LUASYNC_CLASS_mutex;

    fn on_close(&self) {
        Mutex::close(self);
    }

    fn describe(&self, out: &mut dyn core::fmt::Write) -> core::fmt::Result {
        match self.holder() {
            Some((owner, depth)) => {
                write!(out, "locked by runtime {} depth {depth}", owner.token())?
            }
            None => out.write_str("unlocked")?,
        }
        if self.is_recursive() {
            out.write_str(" recursive")?;
        }
        super::wait::describe_closed(self.is_closed(), out)
    }

    fn wait_heads(&self) -> [*mut core::ffi::c_void; 2] {
        Mutex::wait_heads(self)
    }
}

const CLASS: Class = Class::LUASYNC_CLASS_mutex;

/// The room `scope` needs left on the kernel stack to call into Lua, as a fraction of the
/// stack: what `f` may use without passing through another `scope` (Lua's own C calls,
/// which Lua counts but does not size, a `pcall` and a coroutine between two levels, a GC
/// step running finalizers, an allocation that reclaims, a `printk`), and then the raise
/// of the refusal itself. A quarter: 4 KiB of the plain kernel's 16 KiB, 8 KiB of the
/// 32 KiB a KASAN kernel gives, whose frames are larger; each level of `scope` costs
/// about 0.6 KiB on the plain kernel, 1 KiB with KASAN (see Documentation/internals.rst).
const SCOPE_STACK_SHARE: usize = 4;

/// Refuses a scope (`class`'s `method`) when less than a [`SCOPE_STACK_SHARE`]th of the
/// kernel stack is left to call into Lua from.
pub(super) fn stack_room(class: &str, method: &str) -> Result<(), LuaError> {
    if port::stack_left() < port::stack_size() / SCOPE_STACK_SHARE {
        return Err(LuaError::msg(format_args!(
            "{class}: {method}: nested too deeply"
        )));
    }
    Ok(())
}

/// The owner token of the calling runtime.
fn owner(state: &State, method: &str) -> Result<Owner, LuaError> {
    runtime_owner(state, "mutex", method)
}

/// The owner token of the calling runtime, for a method of `class`.
pub(super) fn runtime_owner(state: &State, class: &str, method: &str) -> Result<Owner, LuaError> {
    port::owner(state)
        .map(Owner::new)
        .ok_or_else(|| no_runtime(class, method))
}

#[inline(never)]
#[cold]
fn no_runtime(class: &str, method: &str) -> LuaError {
    LuaError::msg(format_args!(
        "{class}: {method}: not called from a Lunatik runtime"
    ))
}

/// The error of a lock that failed for another reason than the wait.
#[inline(never)]
#[cold]
fn deadlock(method: &str) -> LuaError {
    LuaError::msg(format_args!(
        "mutex: {method}: deadlock (this runtime already holds it)"
    ))
}

/// `mutex.new([recursive])`: an unlocked mutex.
fn new(state: &mut State) -> Result<Reply, LuaError> {
    let recursive = args::opt_boolean(state, 1, false)?;
    port::new_object::<Mutex>(state, |slot| {
        // SAFETY: `slot` is the private data of the object just made, which no lookup finds before
        // this returns: valid for a `Mutex`, aligned for it, and it never moves (`new_object`'s
        // contract).
        unsafe { Mutex::init_at(slot.as_ptr(), recursive) }
    });
    Ok(Reply::Pushed(1))
}

/// `m:lock([ms])`: `true`, or `nil` and "timeout", "interrupt" or "closed", or `nil`,
/// "deadlock" and the cycle; raises when this runtime holds it already.
fn lock(state: &mut State) -> Result<Reply, LuaError> {
    // The mutex is held by a counted reference only inside `lock_outcome`: the cycle's
    // description is pushed (which may raise) after it has returned.
    match lock_outcome(state)? {
        Ok(()) => Ok(wait::reply(CLASS, Ok(()))),
        Err(LockError::Wait(error)) => Ok(wait::reply(CLASS, Err(error))),
        Err(LockError::Cycle(found)) => Ok(cycle::reply(state, &found)),
        Err(LockError::Deadlock) => Err(deadlock("lock")),
        Err(LockError::NoMemory) => Err(no_memory("lock")),
    }
}

fn lock_outcome(state: &mut State) -> Result<Result<(), LockError>, LuaError> {
    let peeked = args::peek::<Mutex>(state)?;
    let timeout = args::timeout(state, 2)?;
    let owner = owner(state, "lock")?;
    wait::may_sleep(state, CLASS, "lock", timeout)?;
    // Free, or held by this runtime and recursive: nothing sleeps, so the peek is enough.
    if peeked.try_lock(owner) {
        return Ok(Ok(()));
    }
    Ok(args::hold(state, peeked)?.lock(owner, timeout))
}

#[inline(never)]
#[cold]
pub(super) fn no_memory(method: &str) -> LuaError {
    LuaError::msg(format_args!("mutex: {method}: not enough memory"))
}

/// `m:id()`: the mutex's number, as deadlock reports name it.
fn id(state: &mut State) -> Result<Reply, LuaError> {
    let name = args::this::<Mutex>(state)?.name();
    Ok(Reply::Integer(i64::from(name.id)))
}

/// `mutex.runtime()`: the calling runtime's number, as deadlock reports name it.
fn runtime(state: &mut State) -> Result<Reply, LuaError> {
    let owner = owner(state, "runtime")?;
    Ok(Reply::Integer(
        i64::try_from(owner.token()).unwrap_or(i64::MAX),
    ))
}

/// `m:trylock()`: locks if that needs no wait. Never sleeps.
fn try_lock(state: &mut State) -> Result<Reply, LuaError> {
    let mutex = args::peek::<Mutex>(state)?;
    let owner = owner(state, "trylock")?;
    Ok(Reply::Bool(mutex.try_lock(owner)))
}

/// `m:unlock()`: raises unless the calling runtime holds the mutex. Never sleeps.
fn unlock(state: &mut State) -> Result<Reply, LuaError> {
    let mutex = args::peek::<Mutex>(state)?;
    let owner = owner(state, "unlock")?;
    match mutex.unlock(owner) {
        Ok(()) => Ok(Reply::Nothing),
        Err(error) => Err(unlock_failed(error)),
    }
}

#[inline(never)]
#[cold]
fn unlock_failed(error: UnlockError) -> LuaError {
    match error {
        UnlockError::NotOwner => LuaError::msg(format_args!(
            "mutex: unlock: not the owner (another runtime holds it)"
        )),
        UnlockError::NotLocked => LuaError::msg(format_args!("mutex: unlock: not locked")),
    }
}

/// `m:locked()`: whether any runtime holds the mutex.
fn locked(state: &mut State) -> Result<Reply, LuaError> {
    Ok(Reply::Bool(args::peek::<Mutex>(state)?.is_locked()))
}

/// `m:owned()`: whether the calling runtime holds the mutex.
fn owned(state: &mut State) -> Result<Reply, LuaError> {
    let mutex = args::peek::<Mutex>(state)?;
    let owner = owner(state, "owned")?;
    Ok(Reply::Bool(mutex.owner_is(owner)))
}

/// What `scope` holds while `f` runs: the mutex, by a counted reference without a
/// destructor, and the owner that locked it.
#[derive(Clone, Copy)]
struct Scope {
    mutex: RawRef<Mutex>,
    owner: Owner,
}

/// The first part of `scope`: checks, locks, and hands the mutex over.
fn scope_enter(state: &mut State) -> Result<Scope, LuaError> {
    let owner = owner(state, "scope")?;
    let mutex = args::this::<Mutex>(state)?;
    if state.kind(2) != Type::Function {
        return Err(args::expected_function(state, 2));
    }
    wait::may_sleep(state, CLASS, "scope", Timeout::Infinite)?;
    stack_room("mutex", "scope")?;
    if let Err(error) = mutex.lock(owner, Timeout::Infinite) {
        // Nothing with a destructor may be owned while the error is pushed.
        drop(mutex);
        return Err(lock_failed(state, error));
    }
    Ok(Scope {
        mutex: mutex.into_raw(),
        owner,
    })
}

/// The last part of `scope`: unlocks (unless `f` closed the mutex), then gives `f`'s
/// results or raises its error value unchanged.
fn scope_leave(
    state: &mut State,
    (scope, called): (Scope, Result<(), ()>),
) -> Result<Reply, LuaError> {
    // SAFETY: the reference `scope_enter` handed over, given back here once.
    let mutex = unsafe { scope.mutex.into_ref() };
    let closed = mutex.is_closed();
    let unlocked = !closed && mutex.unlock(scope.owner).is_ok();
    drop(mutex);
    match called {
        Err(()) => Err(LuaError::Rethrow),
        Ok(()) if unlocked => Ok(Reply::Pushed(state.top().saturating_sub(1))),
        Ok(()) => Err(inside_scope(closed)),
    }
}

/// `m:scope(f, ...)`: locks (raising if that fails), calls `f(...)` in protected mode,
/// unlocks, then returns `f`'s results or raises its error value unchanged.
///
/// The mutex is held by a counted reference across the call, not looked up again
/// afterwards: `f` may collect its own value of it (`m:__gc()`), close it, or replace it on
/// the stack, and the mutex must still be unlocked, and only that one.
///
/// This frame stays on the kernel stack while `f` runs, at every level of nested scopes:
/// it holds only the `Copy` handle (see the rule in [`crate::lua::trampoline`]); errors and
/// results live in the frames of its two parts. The first part refuses to call into Lua
/// with less than a `SCOPE_STACK_SHARE`th of the kernel stack left.
///
/// # Safety
///
/// Only Lua may call this, with the state of the call.
unsafe extern "C" fn lua_scope(l: *mut lua_State) -> c_int {
    // SAFETY: Lua passes the state of this call; this frame owns nothing with a destructor.
    let Some(scope) = (unsafe { enter(l, scope_enter) }) else {
        return 0;
    };
    // SAFETY: as above; `f` and its arguments sit above the mutex, at index 1. The
    // protected call catches every error, so the handle reaches `scope_leave`.
    let called = unsafe { State::from_raw(l) }.pcall_from(2);
    // SAFETY: as above; the count goes straight back to Lua.
    unsafe { trampoline_with(l, (scope, called), scope_leave) }
}

/// The error of a scope whose lock failed; a cycle's is pushed, which may raise: the
/// caller owns nothing with a destructor.
#[inline(never)]
#[cold]
fn lock_failed(state: &mut State, error: LockError) -> LuaError {
    match error {
        LockError::Deadlock => deadlock("scope"),
        LockError::Cycle(found) => cycle::error(state, "mutex", "scope", &found),
        LockError::NoMemory => no_memory("scope"),
        LockError::Wait(error) => {
            let why = wait::reason(error);
            LuaError::msg(format_args!("mutex: scope: lock failed ({why})"))
        }
    }
}

#[inline(never)]
#[cold]
fn inside_scope(closed: bool) -> LuaError {
    if closed {
        return LuaError::msg(format_args!(
            "mutex: scope: the mutex was closed inside the scope"
        ));
    }
    LuaError::msg(format_args!(
        "mutex: scope: the mutex was unlocked inside the scope"
    ))
}

/// `tostring(m)`: "mutex (locked)", "mutex (unlocked, recursive)", "mutex (closed)", ...
fn to_string(state: &mut State) -> Result<Reply, LuaError> {
    if let Some(gone) = args::gone::<Mutex>(state) {
        return Ok(Reply::Text(Message::format(format_args!("mutex ({gone})"))));
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
lua_function!(lua_to_string => to_string);
lua_function!(lua_id => id);
lua_function!(lua_runtime => runtime);

/// The library table: `mutex.new`, `mutex.runtime`.
static LIB: Table<3> = Table::new([
    (Some(c"new"), Some(lua_new)),
    (Some(c"runtime"), Some(lua_runtime)),
    (None, None),
]);

/// The methods of mutex objects, the most called first: the port puts them in its metatable
/// in this order, after the `__index` and `__gc` it adds (see `luasync_port_open`).
static METHODS: Table<11> = Table::new([
    (Some(c"lock"), Some(lua_lock)),
    (Some(c"unlock"), Some(lua_unlock)),
    (Some(c"trylock"), Some(lua_try_lock)),
    (Some(c"locked"), Some(lua_locked)),
    (Some(c"owned"), Some(lua_owned)),
    (Some(c"scope"), Some(lua_scope)),
    (Some(c"id"), Some(lua_id)),
    (Some(c"close"), port::CLOSE),
    (Some(c"__close"), port::CLOSE),
    (Some(c"__tostring"), Some(lua_to_string)),
    (None, None),
]);

class_ops!(mutex, Mutex, LIB, METHODS);
