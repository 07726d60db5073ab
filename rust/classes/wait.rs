// SPDX-License-Identifier: GPL-2.0

//! What the blocking methods (`wait`, `lock`, `down`, `scope`) share: the check that the
//! runtime may sleep, and the shape of their results.

use crate::lua::{Bytes, LuaError, Reply, State};
use crate::port::{self, Class, Outcome, Private, Ref};
use crate::sync::{Timeout, WaitError};

/// Fails with "<class>: <method>: cannot sleep in a <context> runtime" when waiting for
/// `timeout` would sleep in a runtime that must not (softirq, hardirq). A poll (timeout 0)
/// never sleeps and is allowed everywhere.
pub(super) fn may_sleep(
    state: &State,
    class: Class,
    method: &str,
    timeout: Timeout,
) -> Result<(), LuaError> {
    if timeout == Timeout::Millis(0) || port::can_sleep(state) {
        return Ok(());
    }
    Err(cannot_sleep(state, class, method))
}

#[inline(never)]
#[cold]
fn cannot_sleep(state: &State, class: Class, method: &str) -> LuaError {
    LuaError::msg(format_args!(
        "{}: {}: cannot sleep in a {} runtime",
        Bytes(port::class_name(class)),
        method,
        Bytes(port::context(state))
    ))
}

/// The word a failed wait returns after `nil`.
pub(super) fn reason(error: WaitError) -> &'static str {
    match error {
        WaitError::Timeout => "timeout",
        WaitError::Interrupted => "interrupt",
        WaitError::Closed => "closed",
    }
}

/// How a blocking call ended, as the debugfs view's statistics count it.
pub(super) fn outcome(result: Result<(), WaitError>) -> Outcome {
    match result {
        Ok(()) => Outcome::LUASYNC_DONE,
        Err(WaitError::Timeout) => Outcome::LUASYNC_TIMEOUT,
        Err(WaitError::Interrupted) => Outcome::LUASYNC_INTERRUPT,
        Err(WaitError::Closed) => Outcome::LUASYNC_CLOSED_WAIT,
    }
}

/// Counts how a blocking call of `class` ended, for the debugfs view's statistics.
pub(super) fn count(class: Class, result: Result<(), WaitError>) {
    port::waited(class, outcome(result));
}

/// The end of a blocking call that held its object: the reference given back and the
/// outcome counted in one call into the port, then the reply of [`reply`].
pub(super) fn reply_put<T: Private>(held: Ref<T>, result: Result<(), WaitError>) -> Reply {
    held.put_waited(outcome(result));
    reply_uncounted(result)
}

/// `true`, or `nil, "timeout"`, or `nil, "interrupt"`, or `nil, "closed"`; counted.
pub(super) fn reply(class: Class, result: Result<(), WaitError>) -> Reply {
    count(class, result);
    reply_uncounted(result)
}

/// As [`reply`], for a result counted already.
pub(super) fn reply_uncounted(result: Result<(), WaitError>) -> Reply {
    match result {
        Ok(()) => Reply::Bool(true),
        Err(error) => Reply::Failed(reason(error)),
    }
}

/// " closed" after a state, when the object was closed.
pub(super) fn describe_closed(closed: bool, out: &mut dyn core::fmt::Write) -> core::fmt::Result {
    if closed {
        out.write_str(" closed")?;
    }
    Ok(())
}
