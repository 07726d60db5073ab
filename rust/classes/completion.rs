// SPDX-License-Identifier: GPL-2.0

//! `completion`: a superset of Lunatik's own C `completion`, so scripts written for it
//! (such as Lunatik's `mailbox.lua`) run unchanged.
//!
//! ```lua
//! local c = completion.new()
//! c:complete()                 -- wakes one waiter, now or later
//! c:completeall()              -- wakes every waiter until reinit
//! c:reinit()                   -- not done any more
//! c:wait([ms])                 -- true | nil, "timeout" | "interrupt" | "closed"
//! c:trywait()                  -- boolean, consumes one completion
//! c:done()                     -- boolean, consumes nothing
//! c:close()                    -- waiters get nil, "closed"; later calls raise
//! ```

use super::{args, wait};
use crate::lua::{lua_function, LuaError, Message, Reply, State, Table};
use crate::port::{self, class_ops, Class, Private};
use crate::sync::Completion;

// SAFETY: completion objects are only created by `new`, which initialises a `Completion`
// in the private data right after the port returns it, and the ops below are those of
// `Completion`.
unsafe impl Private for Completion {
    const CLASS: Class = Class::LUASYNC_CLASS_completion;

    fn on_close(&self) {
        Completion::close(self);
    }

    fn describe(&self, out: &mut dyn core::fmt::Write) -> core::fmt::Result {
        match self.pending() {
            0 => out.write_str("not done")?,
            u32::MAX => out.write_str("done for all")?,
            n => write!(out, "done {n}")?,
        }
        super::wait::describe_closed(self.is_closed(), out)
    }

    fn wait_heads(&self) -> [*mut core::ffi::c_void; 2] {
        Completion::wait_heads(self)
    }
}

/// `completion.new()`: a completion that is not done.
fn new(state: &mut State) -> Result<Reply, LuaError> {
    port::new_object::<Completion>(state, |slot| {
        // SAFETY: `slot` is the private data of the object just made, which no lookup finds before
        // this returns: valid for a `Completion`, aligned for it, and it never moves
        // (`new_object`'s contract).
        unsafe { Completion::init_at(slot.as_ptr()) }
    });
    Ok(Reply::Pushed(1))
}

/// `c:complete()`: releases one waiter, now or the next one to come. Never sleeps.
fn complete(state: &mut State) -> Result<Reply, LuaError> {
    args::peek::<Completion>(state)?.complete();
    Ok(Reply::Nothing)
}

/// `c:completeall()`: releases every waiter until `reinit`. Never sleeps.
fn complete_all(state: &mut State) -> Result<Reply, LuaError> {
    args::peek::<Completion>(state)?.complete_all();
    Ok(Reply::Nothing)
}

/// `c:reinit()`: not done any more. Never sleeps.
fn reinit(state: &mut State) -> Result<Reply, LuaError> {
    args::peek::<Completion>(state)?.reinit();
    Ok(Reply::Nothing)
}

/// `c:wait([ms])`: `true`, or `nil` and "timeout", "interrupt" or "closed".
fn wait(state: &mut State) -> Result<Reply, LuaError> {
    let peeked = args::peek::<Completion>(state)?;
    let timeout = args::timeout(state, 2)?;
    wait::may_sleep(state, Class::LUASYNC_CLASS_completion, "wait", timeout)?;
    // Done already: nothing sleeps, so the peek is enough.
    if peeked.try_wait() {
        return Ok(wait::reply(Class::LUASYNC_CLASS_completion, Ok(())));
    }
    let completion = args::hold(state, peeked)?;
    let result = completion.wait_not_done(timeout);
    Ok(wait::reply_put(completion, result))
}

/// `c:trywait()`: consumes one completion if there is one. Never sleeps.
fn try_wait(state: &mut State) -> Result<Reply, LuaError> {
    Ok(Reply::Bool(args::peek::<Completion>(state)?.try_wait()))
}

/// `c:done()`: whether a wait would succeed now; consumes nothing. Never sleeps.
fn done(state: &mut State) -> Result<Reply, LuaError> {
    Ok(Reply::Bool(args::peek::<Completion>(state)?.done()))
}

/// `tostring(c)`: "completion (done)", "completion (not done)", "completion (closed)".
fn to_string(state: &mut State) -> Result<Reply, LuaError> {
    let what = match args::gone::<Completion>(state) {
        Some(gone) => gone,
        None if args::this::<Completion>(state)?.done() => "done",
        None => "not done",
    };
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

/// The methods of completion objects, the most called first: the port puts them in its metatable
/// in this order, after the `__index` and `__gc` it adds (see `luasync_port_open`).
static METHODS: Table<10> = Table::new([
    (Some(c"wait"), Some(lua_wait)),
    (Some(c"complete"), Some(lua_complete)),
    (Some(c"completeall"), Some(lua_complete_all)),
    (Some(c"reinit"), Some(lua_reinit)),
    (Some(c"trywait"), Some(lua_try_wait)),
    (Some(c"done"), Some(lua_done)),
    (Some(c"close"), port::CLOSE),
    (Some(c"__close"), port::CLOSE),
    (Some(c"__tostring"), Some(lua_to_string)),
    (None, None),
]);

class_ops!(completion, Completion, LIB, METHODS);
