//! Runtimes: one record per Lua state, found through the state's extra space.

use std::ffi::{c_int, CStr};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

use crate::lua_host::*;

/// The context a runtime runs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// Process context: may sleep.
    Process,
    /// Softirq context: may not sleep.
    Softirq,
    /// Hardirq context: may not sleep.
    Hardirq,
}

impl Context {
    fn from_u8(v: u8) -> Self {
        match v {
            1 => Self::Softirq,
            2 => Self::Hardirq,
            _ => Self::Process,
        }
    }

    /// The context name, as the port reports it.
    pub fn name(self) -> &'static CStr {
        match self {
            Self::Process => c"process",
            Self::Softirq => c"softirq",
            Self::Hardirq => c"hardirq",
        }
    }

    /// Parses a context name.
    pub fn parse(name: &[u8]) -> Option<Self> {
        match name {
            b"process" => Some(Self::Process),
            b"softirq" => Some(Self::Softirq),
            b"hardirq" => Some(Self::Hardirq),
            _ => None,
        }
    }
}

/// A runtime record.
pub struct Runtime {
    context: AtomicU8,
    /// The owner token: a number no other runtime gets, as the C port gives them.
    number: usize,
}

/// The last runtime number given.
static LAST_NUMBER: AtomicUsize = AtomicUsize::new(0);

impl Runtime {
    /// The runtime's context.
    pub fn context(&self) -> Context {
        Context::from_u8(self.context.load(Ordering::SeqCst))
    }
}

/// The runtime of a state (the main state's, for a coroutine), if it has one.
///
/// # Safety
///
/// `l` must be a valid state made by [`new_state`] (or a coroutine of one).
pub unsafe fn runtime_of<'a>(l: *mut lua_State) -> Option<&'a Runtime> {
    // SAFETY: the extra space holds the runtime pointer written by `new_state` (Lua copies
    // it into new coroutines); the record lives until `close_state`.
    unsafe { (*lua_getextraspace(l).cast::<*const Runtime>()).as_ref() }
}

/// Sets the context of the runtime of `l`.
///
/// # Safety
///
/// As [`runtime_of`].
pub unsafe fn set_context(l: *mut lua_State, context: Context) {
    // SAFETY: as the caller guarantees.
    if let Some(rt) = unsafe { runtime_of(l) } {
        rt.context.store(context as u8, Ordering::SeqCst);
    }
}

/// A new state with the standard libraries, in a new process-context runtime, where
/// `require` finds the binding's classes.
pub fn new_state() -> *mut lua_State {
    // SAFETY: a fresh state is valid; the extra space is ours to write.
    unsafe {
        let l = luaL_newstate();
        assert!(!l.is_null(), "cannot create a Lua state");
        let rt = Box::into_raw(Box::new(Runtime {
            context: AtomicU8::new(Context::Process as u8),
            number: LAST_NUMBER.fetch_add(1, Ordering::Relaxed) + 1,
        }));
        lua_getextraspace(l).cast::<*mut Runtime>().write(rt);
        luaL_openselectedlibs(l, !0, 0);
        for (name, open) in super::api::openers() {
            preload(l, name, open);
        }
        l
    }
}

/// Makes `require(name)` run `open` in the state of `l`.
///
/// # Safety
///
/// `l` must be a valid state with the package library. May raise.
pub unsafe fn preload(
    l: *mut lua_State,
    name: &CStr,
    open: unsafe extern "C" fn(*mut lua_State) -> c_int,
) {
    // SAFETY: as the caller guarantees.
    unsafe {
        lua_getglobal(l, c"package".as_ptr());
        lua_getfield(l, -1, c"preload".as_ptr());
        lua_pushcfunction(l, open);
        lua_setfield(l, -2, name.as_ptr());
        lua_pop(l, 2);
    }
}

/// Closes a state made by [`new_state`] and frees its runtime record.
///
/// # Safety
///
/// `l` must be a main state made by [`new_state`], not used afterwards.
pub unsafe fn close_state(l: *mut lua_State) {
    // SAFETY: as the caller guarantees; the record was made by `Box::into_raw`.
    unsafe {
        let rt = lua_getextraspace(l).cast::<*mut Runtime>().read();
        lua_close(l);
        if !rt.is_null() {
            drop(Box::from_raw(rt));
        }
    }
}

/// The owner token of `l`'s runtime.
///
/// # Safety
///
/// As [`runtime_of`].
pub unsafe fn token(l: *mut lua_State) -> usize {
    // SAFETY: as the caller guarantees.
    unsafe { runtime_of(l) }.map_or(0, |rt| rt.number)
}
