// SPDX-License-Identifier: GPL-2.0

//! `channel`: bounded message passing between runtimes (kernel threads, hooks).
//!
//! ```lua
//! local ch = channel.new([capacity = 1])  -- 1 <= capacity <= 2147483647
//! ch:send(value, [ms])          -- true | nil, "timeout" | "interrupt" | "closed"
//! ch:receive([ms])              -- value | nil, "timeout" | "interrupt" | "closed"
//! ch:trysend(value)             -- boolean; never sleeps
//! ch:tryreceive()               -- value, or nil; never sleeps
//! ch:close()                    -- no more sends; what was sent can still be received
//! ch:count(), ch:capacity()     -- integers
//! ```
//!
//! A sender sleeps while the channel is full, a receiver while it is empty. Values are
//! copied (see [`value`](super::value)); the non-blocking calls work in softirq and
//! hardirq runtimes, where the copy is allocated atomically.

use super::value::{self, Value};
use super::{args, wait};
use crate::lua::{lua_function, LuaError, Message, Reply, State, Table};
use crate::port::{self, class_ops, Class, Private};
use crate::sync::alloc::Gfp;
use crate::sync::Letter;

/// The channel of the Lua class: it carries copied values.
pub(crate) type Channel = crate::sync::Channel<Value>;

// SAFETY: channel objects are only created by `new`, which initialises a `Channel` in the
// private data right after the port returns it, and the ops below are those of `Channel`.
unsafe impl Private for Channel {
    const CLASS: Class = Class::LUASYNC_CLASS_channel;

    fn on_close(&self) {
        self.close();
    }

    fn describe(&self, out: &mut dyn core::fmt::Write) -> core::fmt::Result {
        write!(out, "{}/{}", self.count(), self.capacity())?;
        super::wait::describe_closed(self.is_closed(), out)
    }

    fn wait_heads(&self) -> [*mut core::ffi::c_void; 2] {
        Channel::wait_heads(self)
    }
}

const CLASS: Class = Class::LUASYNC_CLASS_channel;

/// How the calling runtime allocates: atomically where it may not sleep.
pub(super) fn gfp(state: &State) -> Gfp {
    if port::can_sleep(state) {
        Gfp::Kernel
    } else {
        Gfp::Atomic
    }
}

/// `channel.new([capacity = 1])`: an empty, open channel.
fn new(state: &mut State) -> Result<Reply, LuaError> {
    let n = args::opt_integer(state, 1, 1)?;
    let capacity = u32::try_from(n)
        .ok()
        .filter(|&c| (1..=Channel::MAX_CAPACITY).contains(&c))
        .ok_or_else(|| bad_capacity(n))?;
    port::new_object::<Channel>(state, |slot| {
        // SAFETY: `slot` is the private data of the object just made, which no lookup finds before
        // this returns: valid for a `Channel`, aligned for it, and it never moves (`new_object`'s
        // contract).
        unsafe { Channel::init_at(slot.as_ptr(), capacity) }
    });
    Ok(Reply::Pushed(1))
}

#[inline(never)]
#[cold]
fn bad_capacity(n: i64) -> LuaError {
    LuaError::arg(
        1,
        format_args!(
            "capacity must be between 1 and {}, got {n}",
            Channel::MAX_CAPACITY
        ),
    )
}

/// The message of `method` at index 2, as a letter ready to go.
fn letter(state: &State, method: &str) -> Result<Letter<Value>, LuaError> {
    let gfp = gfp(state);
    let message = value::copy(state, method, 2, gfp)?;
    Letter::new(message, gfp).map_err(|_| no_memory(method))
}

#[inline(never)]
#[cold]
fn no_memory(method: &str) -> LuaError {
    LuaError::msg(format_args!("channel: {method}: not enough memory"))
}

/// `ch:send(value, [ms])`: `true`, or `nil` and "timeout", "interrupt" or "closed".
fn send(state: &mut State) -> Result<Reply, LuaError> {
    let channel = args::this::<Channel>(state)?;
    let timeout = args::timeout(state, 3)?;
    wait::may_sleep(state, CLASS, "send", timeout)?;
    let letter = letter(state, "send")?;
    Ok(wait::reply(
        CLASS,
        channel.send(letter, timeout).map_err(|(why, _)| why),
    ))
}

/// `ch:trysend(value)`: whether it was sent (false: full or closed). Never sleeps.
fn try_send(state: &mut State) -> Result<Reply, LuaError> {
    let channel = args::this::<Channel>(state)?;
    let letter = letter(state, "trysend")?;
    Ok(Reply::Bool(channel.try_send(letter).is_ok()))
}

/// Pushes a received value (one result).
fn received(state: &mut State, message: Value) -> Result<Reply, LuaError> {
    value::push(state, &message)?;
    Ok(Reply::Pushed(1))
}

/// `ch:receive([ms])`: the oldest value, or `nil` and "timeout", "interrupt" or "closed".
fn receive(state: &mut State) -> Result<Reply, LuaError> {
    let channel = args::this::<Channel>(state)?;
    let timeout = args::timeout(state, 2)?;
    wait::may_sleep(state, CLASS, "receive", timeout)?;
    let got = channel.receive(timeout);
    drop(channel);
    wait::count(CLASS, got.as_ref().map(|_| ()).map_err(|e| *e));
    match got {
        Ok(message) => received(state, message),
        Err(error) => Ok(wait::reply_uncounted(Err(error))),
    }
}

/// `ch:tryreceive()`: the oldest value, or `nil`. Never sleeps.
fn try_receive(state: &mut State) -> Result<Reply, LuaError> {
    let got = args::this::<Channel>(state)?.try_receive();
    match got {
        Some(message) => received(state, message),
        None => Ok(Reply::Nil),
    }
}

/// `ch:close()`: no more sends; waiters wake. Never sleeps.
fn close(state: &mut State) -> Result<Reply, LuaError> {
    args::peek::<Channel>(state)?.close();
    Ok(Reply::Nothing)
}

/// `ch:count()`: the values waiting.
fn count(state: &mut State) -> Result<Reply, LuaError> {
    Ok(Reply::Integer(i64::from(
        args::peek::<Channel>(state)?.count(),
    )))
}

/// `ch:capacity()`: the most values it holds.
fn capacity(state: &mut State) -> Result<Reply, LuaError> {
    Ok(Reply::Integer(i64::from(
        args::peek::<Channel>(state)?.capacity(),
    )))
}

/// `tostring(ch)`: "channel (2/8)", "channel (closed, 1/8)", "channel (released)".
fn to_string(state: &mut State) -> Result<Reply, LuaError> {
    if let Some(gone) = args::gone::<Channel>(state) {
        return Ok(Reply::Text(Message::format(format_args!(
            "channel ({gone})"
        ))));
    }
    let channel = args::this::<Channel>(state)?;
    let (count, capacity) = (channel.count(), channel.capacity());
    let closed = if channel.is_closed() { "closed, " } else { "" };
    Ok(Reply::Text(Message::format(format_args!(
        "channel ({closed}{count}/{capacity})"
    ))))
}

lua_function!(lua_new => new);
lua_function!(lua_send => send);
lua_function!(lua_try_send => try_send);
lua_function!(lua_receive => receive);
lua_function!(lua_try_receive => try_receive);
lua_function!(lua_close => close);
lua_function!(lua_count => count);
lua_function!(lua_capacity => capacity);
lua_function!(lua_to_string => to_string);

/// The library table: `channel.new`.
static LIB: Table<2> = Table::new([(Some(c"new"), Some(lua_new)), (None, None)]);

/// The methods of channel objects, the most called first: the port puts them in its metatable
/// in this order, after the `__index` and `__gc` it adds (see `luasync_port_open`). `close`
/// is the channel's own; Lunatik's generic close (from another class) closes it too, and
/// then the object is gone.
static METHODS: Table<10> = Table::new([
    (Some(c"receive"), Some(lua_receive)),
    (Some(c"send"), Some(lua_send)),
    (Some(c"trysend"), Some(lua_try_send)),
    (Some(c"tryreceive"), Some(lua_try_receive)),
    (Some(c"close"), Some(lua_close)),
    (Some(c"__close"), Some(lua_close)),
    (Some(c"count"), Some(lua_count)),
    (Some(c"capacity"), Some(lua_capacity)),
    (Some(c"__tostring"), Some(lua_to_string)),
    (None, None),
]);

class_ops!(channel, Channel, LIB, METHODS);
