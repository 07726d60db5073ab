// SPDX-License-Identifier: GPL-2.0

//! `waitany`: waiting on several objects at once.
//!
//! ```lua
//! local waitany = require("waitany")
//! local i, value = waitany({c, s, m, ch}, [ms])
//! -- i: the first object that could give, and what a single wait would have taken from
//! --    it (one completion, one count, the mutex, a received value, returned after i);
//! -- i, nil, "closed": object i was closed (a channel: closed and empty);
//! -- nil, "timeout" | nil, "interrupt".
//! ```
//!
//! At most one object is taken per call. Any mix of completions, semaphores, mutexes and
//! channels (their receiving end); at most [`MAX_OBJECTS`].

use super::channel::Channel;
use super::value::{self, Value};
use super::{args, wait};
use crate::lua::{Bytes, LuaError, Reply, State, Type};
use crate::port::{self, class_ops, Class, Missing, Private, Ref};
use crate::sync::alloc::Vec;
use crate::sync::{wait_any, Completion, Mutex, Owner, Semaphore, Source, WaitAnyError};

/// The most objects one call waits on.
pub(crate) const MAX_OBJECTS: u64 = 64;

/// One object of the call, held by a counted reference while it waits.
enum Held {
    Completion(Ref<Completion>),
    Semaphore(Ref<Semaphore>),
    Mutex(Ref<Mutex>),
    Channel(Ref<Channel>),
}

/// The object at the top of the stack, as one of the kinds `waitany` takes.
fn held(state: &State) -> Option<Held> {
    fn get<T: Private>(state: &State) -> Option<Ref<T>> {
        port::get::<T>(state, -1).ok()
    }
    get::<Completion>(state)
        .map(Held::Completion)
        .or_else(|| get::<Semaphore>(state).map(Held::Semaphore))
        .or_else(|| get::<Mutex>(state).map(Held::Mutex))
        .or_else(|| get::<Channel>(state).map(Held::Channel))
}

/// "closed " or "released " when the value at the top is such an object of one of the
/// kinds `waitany` takes.
fn gone(state: &State) -> &'static str {
    fn missing<T: Private>(state: &State) -> Option<Missing> {
        port::get::<T>(state, -1).err()
    }
    let why = [
        missing::<Completion>(state),
        missing::<Semaphore>(state),
        missing::<Mutex>(state),
        missing::<Channel>(state),
    ];
    if why.contains(&Some(Missing::Closed)) {
        "closed "
    } else if why.contains(&Some(Missing::Released)) {
        "released "
    } else {
        ""
    }
}

#[inline(never)]
#[cold]
fn bad_item(state: &State, i: u64) -> LuaError {
    LuaError::arg(
        1,
        format_args!(
            "item {i}: completion, semaphore, mutex or channel expected, got {}{}",
            gone(state),
            Bytes(port::type_name(state, -1))
        ),
    )
}

#[inline(never)]
#[cold]
fn bad_list(state: &State) -> LuaError {
    LuaError::arg(
        1,
        format_args!(
            "table of at most {MAX_OBJECTS} objects expected, got {}",
            Bytes(port::type_name(state, 1))
        ),
    )
}

#[inline(never)]
#[cold]
fn deadlock(i: u64) -> LuaError {
    LuaError::msg(format_args!(
        "waitany: item {i}: deadlock (this runtime already holds the mutex)"
    ))
}

#[inline(never)]
#[cold]
fn no_memory() -> LuaError {
    LuaError::msg(format_args!("waitany: not enough memory"))
}

/// `waitany(objects, [ms])`.
fn waitany(state: &mut State) -> Result<Reply, LuaError> {
    let n = state.raw_len(1);
    if state.kind(1) != Type::Table || n == 0 || n > MAX_OBJECTS {
        return Err(bad_list(state));
    }
    let timeout = args::timeout(state, 2)?;
    wait::may_sleep(state, Class::LUASYNC_CLASS_waitany, "wait", timeout)?;
    let owner = port::owner(state).map(Owner::new);
    let gfp = super::channel::gfp(state);

    let mut objects: Vec<Held> = Vec::new();
    // Each item in turn, then the index and the received value's protected call.
    if !state.check_stack(3) {
        return Err(no_memory());
    }
    for i in 1..=n {
        state.raw_get_index(1, i64::try_from(i).unwrap_or(i64::MAX));
        let object = held(state);
        let Some(object) = object else {
            let error = bad_item(state, i);
            state.pop(1);
            return Err(error);
        };
        state.pop(1);
        if let Held::Mutex(m) = &object {
            let mine = owner.is_some_and(|owner| m.owner_is(owner));
            if owner.is_none() || (mine && !m.is_recursive()) {
                return Err(deadlock(i));
            }
        }
        objects.try_push(object, gfp).map_err(|_| no_memory())?;
    }

    let mut slots: Vec<Option<Value>> = Vec::new();
    for _ in objects.as_slice() {
        slots.try_push(None, gfp).map_err(|_| no_memory())?;
    }
    let outcome = {
        let owner = owner.unwrap_or_else(|| Owner::new(core::num::NonZeroUsize::MIN));
        let mut sources: Vec<Source<'_, Value>> = Vec::new();
        for (object, slot) in objects.as_slice().iter().zip(slots.as_mut_slice()) {
            let source = match object {
                Held::Completion(c) => Source::Completion(c),
                Held::Semaphore(s) => Source::Semaphore(s),
                Held::Mutex(m) => Source::Mutex(m, owner),
                Held::Channel(ch) => Source::Receive(ch, slot),
            };
            sources.try_push(source, gfp).map_err(|_| no_memory())?;
        }
        wait_any(sources.as_mut_slice(), timeout)
    };
    drop(objects);
    wait::count(
        Class::LUASYNC_CLASS_waitany,
        match outcome {
            Ok(_) => Ok(()),
            Err(WaitAnyError::Closed(_)) => Err(crate::sync::WaitError::Closed),
            Err(WaitAnyError::Wait(error)) => Err(error),
            Err(WaitAnyError::NoMemory) => Ok(()),
        },
    );
    match outcome {
        Ok(i) => {
            let index = i64::try_from(i).unwrap_or(i64::MAX).saturating_add(1);
            let message = slots.as_mut_slice().get_mut(i).and_then(Option::take);
            state.push_integer(index);
            match message {
                Some(message) => {
                    value::push(state, &message)?;
                    Ok(Reply::Pushed(2))
                }
                None => Ok(Reply::Pushed(1)),
            }
        }
        Err(WaitAnyError::Closed(i)) => Ok(Reply::IndexFailed(
            i64::try_from(i).unwrap_or(i64::MAX).saturating_add(1),
            wait::reason(crate::sync::WaitError::Closed),
        )),
        Err(WaitAnyError::Wait(error)) => Ok(wait::reply_uncounted(Err(error))),
        Err(WaitAnyError::NoMemory) => Err(no_memory()),
    }
}

crate::lua::lua_function!(lua_waitany => waitany);

class_ops!(waitany, fn lua_waitany);
