// SPDX-License-Identifier: GPL-2.0

//! `condition`: a condition variable, waited on holding a luasync mutex, as with POSIX's
//! `pthread_cond_wait`.
//!
//! ```lua
//! local cv = condition.new()
//! cv:wait(m, [ms])   -- true | nil, "timeout" | "interrupt" | "closed"
//!                    --   | nil, "deadlock", cycle
//! cv:signal()        -- wakes the oldest waiter; never sleeps
//! cv:broadcast()     -- wakes every waiter; never sleeps
//! cv:close()         -- waiters get nil, "closed"; later calls raise
//! ```
//!
//! `wait` releases `m` (every level of a recursive hold) and takes it back, as deep, before
//! it returns: held again after `true`, "timeout" and "closed" (unless `m` itself was
//! closed); not held after "interrupt" (a stopped thread must return, so it does not wait
//! for the mutex) and "deadlock" (taking it back would have closed a cycle of waits).

use super::{args, deadlock as cycle, mutex, wait};
use crate::lua::{lua_function, LuaError, Message, Reply, State, Table};
use crate::port::{self, class_ops, Class, Private};
use crate::sync::{CondError, Condition, LockError, Mutex, Timeout};

// SAFETY: condition objects are only created by `new`, which initialises a `Condition` in
// the private data right after the port returns it, and the ops below are those of
// `Condition`.
unsafe impl Private for Condition {
    const CLASS: Class = Class::LUASYNC_CLASS_condition;

    fn on_close(&self) {
        Condition::close(self);
    }

    fn describe(&self, out: &mut dyn core::fmt::Write) -> core::fmt::Result {
        write!(out, "{} waiting", self.waiters())?;
        super::wait::describe_closed(self.is_closed(), out)
    }

    fn wait_heads(&self) -> [*mut core::ffi::c_void; 2] {
        Condition::wait_heads(self)
    }
}

const CLASS: Class = Class::LUASYNC_CLASS_condition;

/// `condition.new()`: a condition nobody waits on.
fn new(state: &mut State) -> Result<Reply, LuaError> {
    port::new_object::<Condition>(state, |slot| {
        // SAFETY: `slot` is the private data of the object just made, which no lookup finds before
        // this returns: valid for a `Condition`, aligned for it, and it never moves (`new_object`'s
        // contract).
        unsafe { Condition::init_at(slot.as_ptr()) }
    });
    Ok(Reply::Pushed(1))
}

/// `cv:wait(m, [ms])`.
fn wait(state: &mut State) -> Result<Reply, LuaError> {
    // The objects are held by counted references only inside `wait_outcome`: a cycle's
    // description is pushed (which may raise) after it has returned.
    match wait_outcome(state)? {
        Ok(()) => Ok(wait::reply(CLASS, Ok(()))),
        Err(CondError::Wait(error)) | Err(CondError::Lost(LockError::Wait(error))) => {
            Ok(wait::reply(CLASS, Err(error)))
        }
        Err(CondError::Lost(LockError::Cycle(found))) => Ok(cycle::reply(state, &found)),
        Err(CondError::NotHeld) => Err(not_held()),
        // Not returned when taking back a mutex this runtime had released.
        Err(CondError::Lost(LockError::Deadlock | LockError::NoMemory)) => Err(not_taken_back()),
    }
}

fn wait_outcome(state: &mut State) -> Result<Result<(), CondError>, LuaError> {
    let condition = args::this::<Condition>(state)?;
    let mutex = args::object::<Mutex>(state, 2)?;
    let timeout = args::timeout(state, 3)?;
    let owner = mutex::runtime_owner(state, "condition", "wait")?;
    // Even a poll may have to sleep: taking the mutex back after it.
    wait::may_sleep(state, CLASS, "wait", Timeout::Infinite)?;
    Ok(condition.wait(&mutex, owner, timeout))
}

#[inline(never)]
#[cold]
fn not_taken_back() -> LuaError {
    LuaError::msg(format_args!(
        "condition: wait: the mutex could not be taken back"
    ))
}

#[inline(never)]
#[cold]
fn not_held() -> LuaError {
    LuaError::msg(format_args!(
        "condition: wait: the mutex is not held by this runtime"
    ))
}

/// `cv:signal()`: wakes the oldest waiter, if any. Never sleeps.
fn signal(state: &mut State) -> Result<Reply, LuaError> {
    args::this::<Condition>(state)?.signal();
    Ok(Reply::Nothing)
}

/// `cv:broadcast()`: wakes every waiter. Never sleeps.
fn broadcast(state: &mut State) -> Result<Reply, LuaError> {
    args::this::<Condition>(state)?.broadcast();
    Ok(Reply::Nothing)
}

/// `tostring(cv)`: "condition (2 waiting)", "condition (closed)", ...
fn to_string(state: &mut State) -> Result<Reply, LuaError> {
    if let Some(gone) = args::gone::<Condition>(state) {
        return Ok(Reply::Text(Message::format(format_args!(
            "condition ({gone})"
        ))));
    }
    let waiters = args::this::<Condition>(state)?.waiters();
    Ok(Reply::Text(Message::format(format_args!(
        "condition ({waiters} waiting)"
    ))))
}

lua_function!(lua_new => new);
lua_function!(lua_wait => wait);
lua_function!(lua_signal => signal);
lua_function!(lua_broadcast => broadcast);
lua_function!(lua_to_string => to_string);

/// The library table: `condition.new`.
static LIB: Table<2> = Table::new([(Some(c"new"), Some(lua_new)), (None, None)]);

/// The methods of condition objects, the most called first: the port puts them in its metatable
/// in this order, after the `__index` and `__gc` it adds (see `luasync_port_open`).
static METHODS: Table<7> = Table::new([
    (Some(c"wait"), Some(lua_wait)),
    (Some(c"signal"), Some(lua_signal)),
    (Some(c"broadcast"), Some(lua_broadcast)),
    (Some(c"close"), port::CLOSE),
    (Some(c"__close"), port::CLOSE),
    (Some(c"__tostring"), Some(lua_to_string)),
    (None, None),
]);

class_ops!(condition, Condition, LIB, METHODS);
