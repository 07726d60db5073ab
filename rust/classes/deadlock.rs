// SPDX-License-Identifier: GPL-2.0

//! How the lock methods report a cycle of waits (see `rust/sync/deadlock.rs`): a wait that
//! would have closed one returns `nil, "deadlock", description`, and a scope raises
//! "<class>: <method>: deadlock (description)". The description names the runtimes by the
//! numbers the port gives them (`mutex.runtime()`) and the locks by theirs (`m:id()`):
//!
//! ```text
//! runtime 3 waits for mutex 7 held by runtime 4, which waits for rwsem 2 held by runtime 3
//! ```
//!
//! Both push strings, which may raise a memory error: call them owning nothing with a
//! destructor (the rule of [`crate::lua::trampoline`]).

use crate::lua::{LuaError, Message, Reply, State};
use crate::sync::Cycle;

/// Pushes the description of `cycle` as one string.
fn push_description(state: &mut State, cycle: &Cycle) {
    let first = Message::format(format_args!("runtime {}", cycle.waiter()));
    state.push_string(first.as_bytes());
    for (i, link) in cycle.links().enumerate() {
        let which = if i == 0 { "" } else { ", which" };
        let part = Message::format(format_args!(
            "{which} waits for {} held by runtime {}",
            link.lock, link.holder
        ));
        state.push_string(part.as_bytes());
        state.concat(2);
    }
}

/// `nil, "deadlock", description`, pushed.
pub(super) fn reply(state: &mut State, cycle: &Cycle) -> Reply {
    state.push_nil();
    state.push_string(b"deadlock");
    push_description(state, cycle);
    Reply::Pushed(3)
}

/// The error "<class>: <method>: deadlock (description)", pushed, to be raised as it is.
#[inline(never)]
#[cold]
pub(super) fn error(state: &mut State, class: &str, method: &str, cycle: &Cycle) -> LuaError {
    let prefix = Message::format(format_args!("{class}: {method}: deadlock ("));
    state.push_string(prefix.as_bytes());
    push_description(state, cycle);
    state.push_string(b")");
    state.concat(3);
    LuaError::Rethrow
}
