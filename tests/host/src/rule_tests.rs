//! Rust-level tests of the rule of `rust/lua/trampoline.rs`: a raising path runs every
//! destructor of the inner function first, leaves no lock held, and leaks no object.

use std::ffi::{c_int, CStr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex as StdMutex;

use crate::lua::{lua_function, LuaError, Reply, State};
use crate::lua_host::*;
use crate::port_double::{self, object};
use crate::sync::Mutex;

/// Tests that count objects must not overlap.
static SERIAL: StdMutex<()> = StdMutex::new(());

static DROPS: AtomicUsize = AtomicUsize::new(0);

struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        DROPS.fetch_add(1, Ordering::SeqCst);
    }
}

fn raise_with_guard(_state: &mut State) -> Result<Reply, LuaError> {
    let _guard = Guard;
    Err(LuaError::msg(format_args!(
        "inner failed after taking a guard"
    )))
}

fn rethrow_top(state: &mut State) -> Result<Reply, LuaError> {
    // Argument 1 is the error value to raise again unchanged.
    let _guard = Guard;
    if state.top() >= 1 {
        Err(LuaError::Rethrow)
    } else {
        Ok(Reply::Nothing)
    }
}

lua_function!(lua_raise_with_guard => raise_with_guard);
lua_function!(lua_rethrow_top => rethrow_top);

/// Runs `code` in a fresh state with `raise` and `rethrow` as globals; returns the state
/// and the error message if it raised.
unsafe fn run(code: &CStr) -> (*mut lua_State, Option<String>) {
    let l = port_double::new_state();
    // SAFETY: `l` is a fresh state; the code runs in protected mode.
    unsafe {
        lua_pushcfunction(l, lua_raise_with_guard);
        lua_setglobal(l, c"raise".as_ptr());
        lua_pushcfunction(l, lua_rethrow_top);
        lua_setglobal(l, c"rethrow".as_ptr());
        let status = match luaL_loadstring(l, code.as_ptr()) {
            LUA_OK => lua_pcall(l, 0, 1, 0),
            other => other,
        };
        let error = (status != LUA_OK).then(|| to_string_lossy(l, -1));
        (l, error)
    }
}

#[test]
fn raising_runs_destructors_first() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let before = DROPS.load(Ordering::SeqCst);
    // SAFETY: the state is closed right after.
    let (l, error) = unsafe { run(c"raise()") };
    // SAFETY: made by `run`.
    unsafe { port_double::close_state(l) };
    assert_eq!(
        DROPS.load(Ordering::SeqCst),
        before + 1,
        "the guard was not dropped"
    );
    let error = error.unwrap_or_default();
    assert!(
        error.contains("inner failed after taking a guard"),
        "{error}"
    );
    // luaL_error adds the position of the Lua caller.
    assert!(error.starts_with("[string \"raise()\"]:1:"), "{error}");
}

#[test]
fn rethrow_raises_the_value_unchanged() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let before = DROPS.load(Ordering::SeqCst);
    // SAFETY: the state is closed right after.
    let (l, error) = unsafe {
        run(c"local t = {} local ok, e = pcall(rethrow, t) assert(not ok and rawequal(e, t)) return 'same'")
    };
    // SAFETY: the result is on the stack of `l`.
    let result = unsafe { to_string_lossy(l, -1) };
    // SAFETY: made by `run`.
    unsafe { port_double::close_state(l) };
    assert_eq!(error, None);
    assert_eq!(result, "same");
    assert_eq!(DROPS.load(Ordering::SeqCst), before + 1);
}

/// The mutex at the top of the stack of `l`, read from Rust.
unsafe fn top_mutex<'a>(l: *mut lua_State) -> &'a Mutex {
    // SAFETY: the caller leaves a live mutex object on the top of the stack.
    unsafe {
        let obj = object::object_at(l, -1).unwrap_or_else(|| panic!("no object on the top"));
        &*port_double::value_of(obj).cast::<Mutex>()
    }
}

#[test]
fn raising_paths_leave_no_lock_held_and_no_object() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let objects = object::live_objects();
    let refs = port_double::module_refs();
    // Errors raised by f inside scope, by a bad argument after the mutex was found, by
    // unlocking twice, and by relocking: none may leave the mutex held.
    let code = c"
        local mutex = require 'mutex'
        local m = mutex.new()
        assert(not pcall(m.scope, m, function() error('in f') end))
        assert(not pcall(m.lock, m, 'ten'))
        assert(not pcall(m.lock, m, 1.5))
        assert(m:lock())
        assert(not pcall(m.lock, m))
        m:unlock()
        assert(not pcall(m.unlock, m))
        for i = 1, 50 do mutex.new(true) end
        return m";
    // SAFETY: the state is closed right after.
    let (l, error) = unsafe { run(code) };
    assert_eq!(error, None);
    // SAFETY: `code` returned a mutex, on the top of the stack.
    let locked = unsafe { top_mutex(l) }.is_locked();
    // SAFETY: made by `run`.
    unsafe { port_double::close_state(l) };
    assert!(!locked, "a raising path left the mutex locked");
    assert_eq!(object::live_objects(), objects, "objects leaked");
    assert_eq!(port_double::module_refs(), refs, "module references leaked");
}

#[test]
fn objects_shared_between_states_are_released_once_by_the_last() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let objects = object::live_objects();
    // SAFETY: both states are closed below.
    let (a, error) = unsafe { run(c"return require('semaphore').new(3)") };
    assert_eq!(error, None);
    // SAFETY: as above.
    let (b, error) = unsafe { run(c"return 0") };
    assert_eq!(error, None);
    // SAFETY: `a` has the semaphore on its top; clone it into `b` with its own reference.
    unsafe {
        let obj = object::object_at(a, -1).unwrap_or_else(|| panic!("no object"));
        object::clone_object(b, obj);
        object::get(obj);
    }
    assert_eq!(object::live_objects(), objects + 1);
    // SAFETY: made by `run`, not used afterwards.
    unsafe { port_double::close_state(a) };
    assert_eq!(
        object::live_objects(),
        objects + 1,
        "released while b still holds it"
    );
    // SAFETY: `b` still holds the object, on its top.
    let count = unsafe {
        lua_getfield(b, -1, c"count".as_ptr());
        lua_pushvalue(b, -2);
        assert_eq!(lua_pcall(b, 1, 1, 0), LUA_OK);
        let mut isnum: c_int = 0;
        lua_tointegerx(b, -1, &mut isnum)
    };
    assert_eq!(count, 3);
    // SAFETY: made by `run`, not used afterwards.
    unsafe { port_double::close_state(b) };
    assert_eq!(object::live_objects(), objects);
}
