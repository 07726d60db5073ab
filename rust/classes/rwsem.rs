// SPDX-License-Identifier: GPL-2.0

//! `rwsem`: a reader-writer semaphore whose holders are Lunatik runtimes, as a mutex's
//! owner is.
//!
//! ```lua
//! local r = rwsem.new()
//! r:read([ms]), r:write([ms])      -- true | nil, "timeout" | "interrupt" | "closed"
//!                                  --   | nil, "deadlock", cycle
//! r:tryread(), r:trywrite()        -- boolean; never sleep
//! r:unread(), r:unwrite()          -- raise unless this runtime holds such a lock
//! r:readscope(f, ...), r:writescope(f, ...)
//!                                  -- lock, f(...) protected, unlock; f's results or error
//! r:reading()                      -- how many read locks this runtime holds
//! r:writing()                      -- whether this runtime holds the write lock
//! r:id()                           -- the rwsem's number in deadlock reports
//! r:close()                        -- waiters get nil, "closed"; later calls raise
//! ```
//!
//! The policy (who waits for whom) is [`Rwsem`]'s. Asking for the write lock while this
//! runtime holds a read or the write lock raises "deadlock" instead of waiting forever; a
//! read while holding the write lock is granted and counted (after `unwrite` the runtime
//! still reads).

use super::{args, deadlock as cycle, mutex, wait};
use core::ffi::c_int;

use crate::lua::ffi::lua_State;
use crate::lua::{enter, lua_function, trampoline_with, LuaError, Message, Reply, State};
use crate::lua::{Table, Type};
use crate::port::{self, class_ops, Class, Private, RawRef};
use crate::sync::{LockError, Owner, Rwsem, Timeout, UnlockError};

// SAFETY: rwsem objects are only created by `new`, which initialises an `Rwsem` in the
// private data right after the port returns it, and the ops below are those of `Rwsem`.
unsafe impl Private for Rwsem {
    const CLASS: Class = Class::LUASYNC_CLASS_rwsem;

    fn on_close(&self) {
        Rwsem::close(self);
    }

    fn describe(&self, out: &mut dyn core::fmt::Write) -> core::fmt::Result {
        match self.write_holder() {
            Some(owner) => write!(out, "write-locked by runtime {}", owner.token())?,
            None => match self.readers() {
                0 => out.write_str("unlocked")?,
                n => write!(out, "read-locked by {n} runtimes")?,
            },
        }
        super::wait::describe_closed(self.is_closed(), out)
    }

    fn wait_heads(&self) -> [*mut core::ffi::c_void; 2] {
        Rwsem::wait_heads(self)
    }
}

const CLASS: Class = Class::LUASYNC_CLASS_rwsem;

fn owner(state: &State, method: &str) -> Result<Owner, LuaError> {
    mutex::runtime_owner(state, "rwsem", method)
}

/// `rwsem.new()`: an rwsem nobody holds.
fn new(state: &mut State) -> Result<Reply, LuaError> {
    port::new_object::<Rwsem>(state, |slot| {
        // SAFETY: `slot` is the private data of the object just made, which no lookup finds before
        // this returns: valid for an `Rwsem`, aligned for it, and it never moves (`new_object`'s
        // contract).
        unsafe { Rwsem::init_at(slot.as_ptr()) }
    });
    Ok(Reply::Pushed(1))
}

/// The two sides of the rwsem.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Read,
    Write,
}

impl Side {
    fn lock_method(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
        }
    }

    fn scope_method(self) -> &'static str {
        match self {
            Self::Read => "readscope",
            Self::Write => "writescope",
        }
    }
}

/// Takes `side` for `owner`, waiting at most `timeout`.
fn take(
    state: &State,
    rwsem: &Rwsem,
    side: Side,
    owner: Owner,
    timeout: Timeout,
) -> Result<(), LockError> {
    match side {
        Side::Read => rwsem.read(owner, timeout, super::channel::gfp(state)),
        Side::Write => rwsem.write(owner, timeout),
    }
}

/// `r:read([ms])` and `r:write([ms])`: `true`, or `nil` and "timeout", "interrupt" or
/// "closed", or `nil`, "deadlock" and the cycle; raise when waiting could never end.
fn lock(state: &mut State, side: Side) -> Result<Reply, LuaError> {
    // The rwsem is held by a counted reference only inside `lock_outcome`: the cycle's
    // description is pushed (which may raise) after it has returned.
    match lock_outcome(state, side)? {
        Ok(()) => Ok(wait::reply(CLASS, Ok(()))),
        Err(LockError::Wait(error)) => Ok(wait::reply(CLASS, Err(error))),
        Err(LockError::Cycle(found)) => Ok(cycle::reply(state, &found)),
        Err(error) => Err(refused(side.lock_method(), side, error)),
    }
}

fn lock_outcome(state: &mut State, side: Side) -> Result<Result<(), LockError>, LuaError> {
    let method = side.lock_method();
    let rwsem = args::this::<Rwsem>(state)?;
    let timeout = args::timeout(state, 2)?;
    let owner = owner(state, method)?;
    wait::may_sleep(state, CLASS, method, timeout)?;
    Ok(take(state, &rwsem, side, owner, timeout))
}

fn read(state: &mut State) -> Result<Reply, LuaError> {
    lock(state, Side::Read)
}

fn write(state: &mut State) -> Result<Reply, LuaError> {
    lock(state, Side::Write)
}

/// The error of a lock that could never be granted, or had no memory for its count.
#[inline(never)]
#[cold]
fn refused(method: &str, side: Side, error: LockError) -> LuaError {
    match (side, error) {
        (_, LockError::NoMemory) => {
            LuaError::msg(format_args!("rwsem: {method}: not enough memory"))
        }
        (Side::Read, _) => LuaError::msg(format_args!(
            "rwsem: {method}: deadlock (too many read locks held by this runtime)"
        )),
        (Side::Write, _) => LuaError::msg(format_args!(
            "rwsem: {method}: deadlock (this runtime already holds a read or the write lock)"
        )),
    }
}

/// `r:tryread()`: takes a read lock if that needs no wait. Never sleeps.
fn try_read(state: &mut State) -> Result<Reply, LuaError> {
    let rwsem = args::this::<Rwsem>(state)?;
    let owner = owner(state, "tryread")?;
    match rwsem.try_read(owner, super::channel::gfp(state)) {
        Ok(taken) => Ok(Reply::Bool(taken)),
        Err(error) => Err(refused("tryread", Side::Read, error)),
    }
}

/// `r:trywrite()`: takes the write lock if that needs no wait. Never sleeps.
fn try_write(state: &mut State) -> Result<Reply, LuaError> {
    let rwsem = args::this::<Rwsem>(state)?;
    let owner = owner(state, "trywrite")?;
    Ok(Reply::Bool(rwsem.try_write(owner)))
}

/// `r:unread()`: gives back one of this runtime's read locks. Never sleeps.
fn unread(state: &mut State) -> Result<Reply, LuaError> {
    let rwsem = args::this::<Rwsem>(state)?;
    let owner = owner(state, "unread")?;
    match rwsem.read_unlock(owner) {
        Ok(()) => Ok(Reply::Nothing),
        Err(_) => Err(LuaError::msg(format_args!(
            "rwsem: unread: this runtime holds no read lock"
        ))),
    }
}

/// `r:unwrite()`: gives back this runtime's write lock. Never sleeps.
fn unwrite(state: &mut State) -> Result<Reply, LuaError> {
    let rwsem = args::this::<Rwsem>(state)?;
    let owner = owner(state, "unwrite")?;
    match rwsem.write_unlock(owner) {
        Ok(()) => Ok(Reply::Nothing),
        Err(error) => Err(unwrite_failed(error)),
    }
}

#[inline(never)]
#[cold]
fn unwrite_failed(error: UnlockError) -> LuaError {
    match error {
        UnlockError::NotOwner => LuaError::msg(format_args!(
            "rwsem: unwrite: not the writer (another runtime holds the write lock)"
        )),
        UnlockError::NotLocked => LuaError::msg(format_args!("rwsem: unwrite: not write-locked")),
    }
}

/// `r:reading()`: how many read locks this runtime holds.
fn reading(state: &mut State) -> Result<Reply, LuaError> {
    let rwsem = args::this::<Rwsem>(state)?;
    let owner = owner(state, "reading")?;
    Ok(Reply::Integer(i64::from(rwsem.reads_held(owner))))
}

/// `r:writing()`: whether this runtime holds the write lock.
fn writing(state: &mut State) -> Result<Reply, LuaError> {
    let rwsem = args::this::<Rwsem>(state)?;
    let owner = owner(state, "writing")?;
    Ok(Reply::Bool(rwsem.writer_is(owner)))
}

/// `r:id()`: the rwsem's number, as deadlock reports name it.
fn id(state: &mut State) -> Result<Reply, LuaError> {
    let name = args::this::<Rwsem>(state)?.name();
    Ok(Reply::Integer(i64::from(name.id)))
}

/// What a scope holds while `f` runs: the rwsem, by a counted reference without a
/// destructor, the owner that locked it, and which side.
#[derive(Clone, Copy)]
struct Scope {
    rwsem: RawRef<Rwsem>,
    owner: Owner,
    side: Side,
}

/// The first part of a scope: checks, locks, and hands the rwsem over.
fn scope_enter(state: &mut State, side: Side) -> Result<Scope, LuaError> {
    let method = side.scope_method();
    let owner = owner(state, method)?;
    let rwsem = args::this::<Rwsem>(state)?;
    if state.kind(2) != Type::Function {
        return Err(args::expected_function(state, 2));
    }
    wait::may_sleep(state, CLASS, method, Timeout::Infinite)?;
    mutex::stack_room("rwsem", method)?;
    if let Err(error) = take(state, &rwsem, side, owner, Timeout::Infinite) {
        // Nothing with a destructor may be owned while the error is pushed.
        drop(rwsem);
        return Err(lock_failed(state, side, error));
    }
    Ok(Scope {
        rwsem: rwsem.into_raw(),
        owner,
        side,
    })
}

fn read_enter(state: &mut State) -> Result<Scope, LuaError> {
    scope_enter(state, Side::Read)
}

fn write_enter(state: &mut State) -> Result<Scope, LuaError> {
    scope_enter(state, Side::Write)
}

/// The error of a scope whose lock failed; a cycle's is pushed, which may raise: the
/// caller owns nothing with a destructor.
#[inline(never)]
#[cold]
fn lock_failed(state: &mut State, side: Side, error: LockError) -> LuaError {
    let method = side.scope_method();
    match error {
        LockError::Cycle(found) => cycle::error(state, "rwsem", method, &found),
        LockError::Wait(error) => {
            let why = wait::reason(error);
            LuaError::msg(format_args!("rwsem: {method}: lock failed ({why})"))
        }
        error => refused(method, side, error),
    }
}

/// The last part of a scope: unlocks (unless `f` closed the rwsem), then gives `f`'s
/// results or raises its error value unchanged.
fn scope_leave(
    state: &mut State,
    (scope, called): (Scope, Result<(), ()>),
) -> Result<Reply, LuaError> {
    // SAFETY: the reference `scope_enter` handed over, given back here once.
    let rwsem = unsafe { scope.rwsem.into_ref() };
    let closed = rwsem.is_closed();
    let unlocked = !closed
        && match scope.side {
            Side::Read => rwsem.read_unlock(scope.owner).is_ok(),
            Side::Write => rwsem.write_unlock(scope.owner).is_ok(),
        };
    drop(rwsem);
    match called {
        Err(()) => Err(LuaError::Rethrow),
        Ok(()) if unlocked => Ok(Reply::Pushed(state.top().saturating_sub(1))),
        Ok(()) => Err(inside_scope(scope.side, closed)),
    }
}

/// `r:readscope(f, ...)` and `r:writescope(f, ...)`: lock that side (raising if that
/// fails), call `f(...)` in protected mode, unlock, then return `f`'s results or raise its
/// error value unchanged. As `mutex`'s `scope` (see there): this frame holds only the
/// `Copy` handle while `f` runs, and the first part refuses to call into Lua with less
/// than the scope's stack margin left.
///
/// # Safety
///
/// Only Lua may call this, with the state of the call.
unsafe fn scope(l: *mut lua_State, enter_side: fn(&mut State) -> Result<Scope, LuaError>) -> c_int {
    // SAFETY: Lua passes the state of this call; this frame owns nothing with a destructor.
    let Some(scope) = (unsafe { enter(l, enter_side) }) else {
        return 0;
    };
    // SAFETY: as above; `f` and its arguments sit above the rwsem, at index 1. The
    // protected call catches every error, so the handle reaches `scope_leave`.
    let called = unsafe { State::from_raw(l) }.pcall_from(2);
    // SAFETY: as above; the count goes straight back to Lua.
    unsafe { trampoline_with(l, (scope, called), scope_leave) }
}

/// `r:readscope(f, ...)`.
///
/// # Safety
///
/// Only Lua may call this, with the state of the call.
unsafe extern "C" fn lua_read_scope(l: *mut lua_State) -> c_int {
    // SAFETY: as the caller guarantees.
    unsafe { scope(l, read_enter) }
}

/// `r:writescope(f, ...)`.
///
/// # Safety
///
/// Only Lua may call this, with the state of the call.
unsafe extern "C" fn lua_write_scope(l: *mut lua_State) -> c_int {
    // SAFETY: as the caller guarantees.
    unsafe { scope(l, write_enter) }
}

#[inline(never)]
#[cold]
fn inside_scope(side: Side, closed: bool) -> LuaError {
    let method = side.scope_method();
    if closed {
        return LuaError::msg(format_args!(
            "rwsem: {method}: the rwsem was closed inside the scope"
        ));
    }
    let lock = match side {
        Side::Read => "read lock",
        Side::Write => "write lock",
    };
    LuaError::msg(format_args!(
        "rwsem: {method}: the {lock} was given back inside the scope"
    ))
}

/// `tostring(r)`: "rwsem (unlocked)", "rwsem (write-locked)", "rwsem (read-locked by 2
/// runtimes)", "rwsem (closed)".
fn to_string(state: &mut State) -> Result<Reply, LuaError> {
    if let Some(gone) = args::gone::<Rwsem>(state) {
        return Ok(Reply::Text(Message::format(format_args!("rwsem ({gone})"))));
    }
    let rwsem = args::this::<Rwsem>(state)?;
    let text = match (rwsem.is_written(), rwsem.readers()) {
        (true, _) => Message::format(format_args!("rwsem (write-locked)")),
        (false, 0) => Message::format(format_args!("rwsem (unlocked)")),
        (false, 1) => Message::format(format_args!("rwsem (read-locked by 1 runtime)")),
        (false, n) => Message::format(format_args!("rwsem (read-locked by {n} runtimes)")),
    };
    Ok(Reply::Text(text))
}

lua_function!(lua_new => new);
lua_function!(lua_read => read);
lua_function!(lua_write => write);
lua_function!(lua_try_read => try_read);
lua_function!(lua_try_write => try_write);
lua_function!(lua_unread => unread);
lua_function!(lua_unwrite => unwrite);
lua_function!(lua_reading => reading);
lua_function!(lua_writing => writing);
lua_function!(lua_id => id);
lua_function!(lua_to_string => to_string);

/// The library table: `rwsem.new`.
static LIB: Table<2> = Table::new([(Some(c"new"), Some(lua_new)), (None, None)]);

/// The methods of rwsem objects, the most called first: the port puts them in its metatable
/// in this order, after the `__index` and `__gc` it adds (see `luasync_port_open`).
static METHODS: Table<15> = Table::new([
    (Some(c"read"), Some(lua_read)),
    (Some(c"unread"), Some(lua_unread)),
    (Some(c"write"), Some(lua_write)),
    (Some(c"unwrite"), Some(lua_unwrite)),
    (Some(c"tryread"), Some(lua_try_read)),
    (Some(c"trywrite"), Some(lua_try_write)),
    (Some(c"readscope"), Some(lua_read_scope)),
    (Some(c"writescope"), Some(lua_write_scope)),
    (Some(c"reading"), Some(lua_reading)),
    (Some(c"writing"), Some(lua_writing)),
    (Some(c"id"), Some(lua_id)),
    (Some(c"close"), port::CLOSE),
    (Some(c"__close"), port::CLOSE),
    (Some(c"__tostring"), Some(lua_to_string)),
    (None, None),
]);

class_ops!(rwsem, Rwsem, LIB, METHODS);
