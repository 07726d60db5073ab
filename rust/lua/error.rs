// SPDX-License-Identifier: GPL-2.0

//! The error an inner function returns instead of raising it.

use core::ffi::c_int;
use core::fmt;

use super::message::Message;

/// A Lua error not raised yet. It owns nothing that needs dropping, so the trampoline can
/// hold it while the error leaves the frame.
#[derive(Clone, Copy)]
pub(crate) enum LuaError {
    /// A bad argument, raised as Lua's own libraries do: "bad argument #N to 'f' (msg)".
    Arg {
        /// The argument's position on the stack (the receiver of a method is 1).
        arg: c_int,
        /// What is wrong with it.
        msg: Message,
    },
    /// Any other error, raised as the message prefixed with the caller's position.
    Msg(Message),
    /// The error value already on the top of the stack, raised again unchanged.
    Rethrow,
}

impl LuaError {
    /// A bad-argument error with a formatted message.
    pub(crate) fn arg(arg: c_int, msg: fmt::Arguments<'_>) -> Self {
        Self::Arg {
            arg,
            msg: Message::format(msg),
        }
    }

    /// An error with a formatted message.
    pub(crate) fn msg(msg: fmt::Arguments<'_>) -> Self {
        Self::Msg(Message::format(msg))
    }
}
