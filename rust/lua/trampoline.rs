// SPDX-License-Identifier: GPL-2.0

//! The error trampoline: how a Rust function is called from Lua without ever letting a
//! Lua error skip a Rust destructor.
//!
//! # The rule
//!
//! A Lua error is a `longjmp` (in Lunatik and in a C build of Lua alike). Raising one
//! leaves every frame between the raise and the protected call at once, without running
//! the destructors of what those frames own: a lock guard would stay locked, a counted
//! reference would leak. And every allocating Lua call (pushing a string, creating a
//! table or userdata) can raise a memory error. So:
//!
//! 1. Every `extern "C"` function given to Lua is a thin trampoline ([`trampoline`])
//!    around an inner Rust function that returns `Result<Reply, LuaError>` and never
//!    raises itself: it reads its arguments with non-raising calls only
//!    ([`State`](super::State)'s readers) and pushes nothing that allocates.
//! 2. The trampoline raises the error, or pushes the results, only after the inner
//!    function has returned, that is after everything it owned has been dropped. What the
//!    trampoline itself holds then ([`Reply`], [`LuaError`], [`State`](super::State))
//!    has no destructor; this is checked at compile time below.
//! 3. An inner function that must call something that can raise or run Lua code
//!    (creating an object, a protected call) does it while it owns nothing with a
//!    destructor; such calls take the state as `&mut`, which ends the borrows of any
//!    private data obtained before them.
//! 4. A blocking wait holds no owner a Lua error could skip: the counted reference on its
//!    object lives in the inner function, which returns before anything is raised.
//! 5. A C function that calls into Lua and goes on afterwards (`mutex`'s `scope`) splits in
//!    three: [`enter`] runs an inner function that returns a value without a destructor
//!    (`Copy`: a raw handle) or raises; the C function's own frame, which stays on the
//!    kernel stack while Lua runs, holds only that value across the protected call; then
//!    [`trampoline_with`] hands it to the inner function that finishes. Errors and results
//!    live in the frames of `enter` and `trampoline_with`, which are not on the stack while
//!    Lua runs.

use core::ffi::c_int;
use core::mem::needs_drop;

use super::error::LuaError;
use super::ffi;
use super::message::Message;
use super::state::State;

/// What an inner function returns to Lua, pushed by the trampoline.
#[derive(Clone, Copy)]
pub(crate) enum Reply {
    /// No result.
    Nothing,
    /// `nil`.
    Nil,
    /// An index, then `nil, reason`: which of several objects failed, and why.
    IndexFailed(i64, &'static str),
    /// One boolean.
    Bool(bool),
    /// One integer.
    Integer(i64),
    /// `nil, reason`: a blocking call did not get it ("timeout", "interrupt").
    Failed(&'static str),
    /// A string (allocates, so pushed by the trampoline).
    Text(Message),
    /// This many values the inner function left on the top of the stack.
    Pushed(c_int),
}

// Nothing the trampoline holds while raising may need dropping.
const _: () = assert!(!needs_drop::<Reply>());
const _: () = assert!(!needs_drop::<LuaError>());
const _: () = assert!(!needs_drop::<State>());

/// Runs `inner` on the state of the running C function, then pushes its results or raises
/// its error. Returns the number of results, as a `lua_CFunction` does. Inlined into each
/// C function, so that `inner` (a function item) is called directly, not through a
/// pointer.
///
/// # Safety
///
/// `raw` must be the state that Lua passed to the running C function, and the returned
/// count must be returned by that function to Lua right away.
#[inline(always)]
pub(crate) unsafe fn trampoline<F>(raw: *mut ffi::lua_State, inner: F) -> c_int
where
    F: FnOnce(&mut State) -> Result<Reply, LuaError>,
{
    // SAFETY: the caller passes the state of the running C function; the handle lives
    // only during this call.
    let mut state = unsafe { State::from_raw(raw) };
    // Everything `inner` owned is dropped when it returns. Read in place: the outcome is
    // as big as its largest kind (a text or an error message), and a copy of it would
    // cost every call.
    let outcome = inner(&mut state);
    match &outcome {
        Ok(reply) => push(&state, reply),
        Err(error) => raise(&state, error),
    }
}

/// Runs `inner` with `arg`, then pushes its results or raises its error, as [`trampoline`].
///
/// # Safety
///
/// As [`trampoline`].
#[inline(never)]
pub(crate) unsafe fn trampoline_with<A: Copy>(
    raw: *mut ffi::lua_State,
    arg: A,
    inner: fn(&mut State, A) -> Result<Reply, LuaError>,
) -> c_int {
    // SAFETY: as in `trampoline`.
    let mut state = unsafe { State::from_raw(raw) };
    let outcome = inner(&mut state, arg);
    match &outcome {
        Ok(reply) => push(&state, reply),
        Err(error) => raise(&state, error),
    }
}

/// Runs `inner` and returns its value, or raises its error (then `None` is never seen: the
/// raise does not return). The value is `Copy`, so it has no destructor a later raise could
/// skip (see the rule).
///
/// # Safety
///
/// `raw` must be the state that Lua passed to the running C function, and the caller must
/// own nothing with a destructor: a raise leaves its frame too.
#[inline(never)]
pub(crate) unsafe fn enter<T: Copy>(
    raw: *mut ffi::lua_State,
    inner: fn(&mut State) -> Result<T, LuaError>,
) -> Option<T> {
    // SAFETY: as in `trampoline`.
    let mut state = unsafe { State::from_raw(raw) };
    match inner(&mut state) {
        Ok(value) => Some(value),
        Err(error) => {
            raise(&state, &error);
            None
        }
    }
}

/// Pushes a reply; may raise a memory error, which is safe here (see the rule). The
/// replies of the calls made most often are pushed inline, the others out of line.
#[inline(always)]
fn push(state: &State, reply: &Reply) -> c_int {
    match *reply {
        Reply::Nothing => 0,
        Reply::Bool(b) => {
            state.push_bool(b);
            1
        }
        Reply::Pushed(n) => n,
        _ => push_other(state, reply),
    }
}

/// [`push`] of the other replies.
#[inline(never)]
fn push_other(state: &State, reply: &Reply) -> c_int {
    match *reply {
        Reply::Nothing => 0,
        Reply::Nil => {
            state.push_nil();
            1
        }
        Reply::IndexFailed(index, reason) => {
            state.push_integer(index);
            state.push_nil();
            push_bytes(state, reason.as_bytes());
            3
        }
        Reply::Bool(b) => {
            state.push_bool(b);
            1
        }
        Reply::Integer(n) => {
            state.push_integer(n);
            1
        }
        Reply::Failed(reason) => {
            state.push_nil();
            push_bytes(state, reason.as_bytes());
            2
        }
        Reply::Text(ref text) => {
            push_bytes(state, text.as_bytes());
            1
        }
        Reply::Pushed(n) => n,
    }
}

/// Pushes a string; may raise a memory error.
fn push_bytes(state: &State, bytes: &[u8]) {
    // SAFETY: the state is that of the running call; `bytes` is valid for its length, and
    // Lua copies it before returning.
    unsafe {
        ffi::lua_pushlstring(state.as_ptr(), bytes.as_ptr().cast(), bytes.len());
    }
}

/// Raises `error`; never returns (the nominal count it "returns" is never used).
///
/// Safe to call only from the trampoline: nothing the frames between here and the
/// protected call own needs dropping (see the rule).
#[cold]
#[inline(never)]
fn raise(state: &State, error: &LuaError) -> c_int {
    let l = state.as_ptr();
    match *error {
        LuaError::Arg { arg, msg } => {
            // SAFETY: `l` is the state of the running call and nothing owned is left to
            // drop (rule above); the message is NUL-terminated and copied before the jump.
            unsafe { ffi::luaL_argerror(l, arg, msg.as_ptr()) }
        }
        LuaError::Msg(msg) => {
            // SAFETY: as above; the format takes exactly one string argument.
            unsafe { ffi::luaL_error(l, c"%s".as_ptr(), msg.as_ptr()) }
        }
        LuaError::Rethrow => {
            // SAFETY: as above; the error value is on the top of the stack.
            unsafe { ffi::lua_error(l) }
        }
    }
}

/// Defines an `unsafe extern "C"` Lua function that runs an inner function through the
/// trampoline.
macro_rules! lua_function {
    ($(#[$attr:meta])* $name:ident => $inner:path) => {
        $(#[$attr])*
        ///
        /// # Safety
        ///
        /// Only Lua may call this, with the state of the call.
        unsafe extern "C" fn $name(l: *mut $crate::lua::ffi::lua_State) -> core::ffi::c_int {
            // SAFETY: Lua passes the state of this call, and the count goes straight back.
            unsafe { $crate::lua::trampoline(l, $inner) }
        }
    };
}
pub(crate) use lua_function;
