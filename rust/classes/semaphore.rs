// SPDX-License-Identifier: GPL-2.0

//! `semaphore`: a counting semaphore.
//!
//! ```lua
//! local s = semaphore.new([n = 1])   -- 0 <= n <= 2147483647
//! s:down([ms])                       -- true | nil, "timeout" | "interrupt" | "closed"
//! s:trydown()                        -- boolean
//! s:up([n = 1])                      -- n >= 1; raises if the count would overflow
//! s:count()                          -- integer
//! s:close()                          -- waiters get nil, "closed"; later calls raise
//! ```

use super::{args, wait};
use crate::lua::{lua_function, LuaError, Message, Reply, State, Table};
use crate::port::{self, class_ops, Class, Private};
use crate::sync::{Semaphore, UpError};

// SAFETY: semaphore objects are only created by `new`, which initialises a `Semaphore` in
// the private data right after the port returns it, and the ops below are those of
// `Semaphore`.
unsafe impl Private for Semaphore {
    const CLASS: Class = Class::LUASYNC_CLASS_semaphore;

    fn on_close(&self) {
        Semaphore::close(self);
    }

    fn describe(&self, out: &mut dyn core::fmt::Write) -> core::fmt::Result {
        write!(out, "count {}", self.count())?;
        super::wait::describe_closed(self.is_closed(), out)
    }

    fn wait_heads(&self) -> [*mut core::ffi::c_void; 2] {
        Semaphore::wait_heads(self)
    }
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
    port::new_object::<Semaphore>(state, |slot| {
        // SAFETY: `slot` is the private data of the object just made, which no lookup finds before
        // this returns: valid for a `Semaphore`, aligned for it, and it never moves (`new_object`'s
        // contract).
        unsafe { Semaphore::init_at(slot.as_ptr(), count) }
    });
    Ok(Reply::Pushed(1))
}

/// `s:down([ms])`: `true`, or `nil` and "timeout", "interrupt" or "closed".
fn down(state: &mut State) -> Result<Reply, LuaError> {
    let peeked = args::peek::<Semaphore>(state)?;
    let timeout = args::timeout(state, 2)?;
    wait::may_sleep(state, Class::LUASYNC_CLASS_semaphore, "down", timeout)?;
    // A count is there: nothing sleeps, so the peek is enough.
    if peeked.try_down() {
        return Ok(wait::reply(Class::LUASYNC_CLASS_semaphore, Ok(())));
    }
    let semaphore = args::hold(state, peeked)?;
    let result = semaphore.down_not_free(timeout);
    Ok(wait::reply_put(semaphore, result))
}

/// `s:trydown()`: takes one count if there is one. Never sleeps.
fn try_down(state: &mut State) -> Result<Reply, LuaError> {
    Ok(Reply::Bool(args::peek::<Semaphore>(state)?.try_down()))
}

/// `s:up([n = 1])`: adds `n` to the count, waking up to `n` waiters. Never sleeps.
fn up(state: &mut State) -> Result<Reply, LuaError> {
    let semaphore = args::peek::<Semaphore>(state)?;
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
        args::peek::<Semaphore>(state)?.count(),
    )))
}

/// `tostring(s)`: "semaphore (count 3)", "semaphore (closed)", ...
fn to_string(state: &mut State) -> Result<Reply, LuaError> {
    if let Some(gone) = args::gone::<Semaphore>(state) {
        return Ok(Reply::Text(Message::format(format_args!(
            "semaphore ({gone})"
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

/// The methods of semaphore objects, the most called first: the port puts them in its metatable
/// in this order, after the `__index` and `__gc` it adds (see `luasync_port_open`).
static METHODS: Table<8> = Table::new([
    (Some(c"down"), Some(lua_down)),
    (Some(c"up"), Some(lua_up)),
    (Some(c"trydown"), Some(lua_try_down)),
    (Some(c"count"), Some(lua_count)),
    (Some(c"close"), port::CLOSE),
    (Some(c"__close"), port::CLOSE),
    (Some(c"__tostring"), Some(lua_to_string)),
    (None, None),
]);

class_ops!(semaphore, Semaphore, LIB, METHODS);

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
