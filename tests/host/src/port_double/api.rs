//! The `luasync_port_*` functions (see `rust/port/luasync_port.h`), as the test double.

use std::ffi::{c_char, c_int, c_uint, c_void};

use super::object::{self, Class};
use super::runtime::{self, Context};
use crate::lua_host::*;

/// The binding's classes, by the numbers of `rust/port/mod.rs`.
static CLASSES: [Class; 3] = [
    Class {
        name: c"completion",
        methods: crate::classes::completion::METHODS.as_ptr(),
        release: Some(crate::classes::completion::luasync_completion_release),
        opener: Some(crate::classes::completion::luaopen_completion),
        module_ref: true,
    },
    Class {
        name: c"mutex",
        methods: crate::classes::mutex::METHODS.as_ptr(),
        release: Some(crate::classes::mutex::luasync_mutex_release),
        opener: Some(crate::classes::mutex::luaopen_mutex),
        module_ref: true,
    },
    Class {
        name: c"semaphore",
        methods: crate::classes::semaphore::METHODS.as_ptr(),
        release: Some(crate::classes::semaphore::luasync_semaphore_release),
        opener: Some(crate::classes::semaphore::luaopen_semaphore),
        module_ref: true,
    },
];

fn class(cls: c_uint) -> Option<&'static Class> {
    CLASSES.get(usize::try_from(cls).ok()?)
}

#[no_mangle]
unsafe extern "C" fn luasync_port_newlib(
    l: *mut lua_State,
    cls: c_uint,
    lib: *const luaL_Reg,
) -> c_int {
    let Some(class) = class(cls) else { return 0 };
    // SAFETY: called by the binding with the state of a running call and a static table.
    unsafe {
        lua_createtable(l, 0, 1);
        luaL_setfuncs(l, lib, 0);
        object::new_class(l, class);
    }
    1
}

#[no_mangle]
unsafe extern "C" fn luasync_port_newobject(
    l: *mut lua_State,
    cls: c_uint,
    size: usize,
) -> *mut c_void {
    let Some(class) = class(cls) else {
        return std::ptr::null_mut();
    };
    // SAFETY: called by the binding with the state of a running call.
    let obj = unsafe { object::new_object(l, class, size) };
    object::module_get();
    // SAFETY: `obj` was just created.
    unsafe { (*obj).private() }
}

#[no_mangle]
unsafe extern "C" fn luasync_port_toprivate(
    l: *mut lua_State,
    idx: c_int,
    cls: c_uint,
) -> *mut c_void {
    let Some(class) = class(cls) else {
        return std::ptr::null_mut();
    };
    // SAFETY: called by the binding with the state of a running call; never raises.
    match unsafe { object::object_at(l, idx) } {
        // SAFETY: `object_at` returns live objects only.
        Some(obj) if std::ptr::eq(unsafe { (*obj).class() }, class) => unsafe { (*obj).private() },
        _ => std::ptr::null_mut(),
    }
}

#[no_mangle]
unsafe extern "C" fn luasync_port_typename(l: *mut lua_State, idx: c_int) -> *const c_char {
    // SAFETY: called by the binding with the state of a running call; never raises.
    unsafe {
        match object::class_at(l, idx) {
            Some(class) => class.name.as_ptr(),
            None => lua_typename(l, lua_type(l, idx)),
        }
    }
}

#[no_mangle]
unsafe extern "C" fn luasync_port_cansleep(l: *mut lua_State) -> bool {
    // SAFETY: called by the binding with the state of a running call.
    unsafe { runtime::runtime_of(l) }.is_some_and(|rt| rt.context() == Context::Process)
}

#[no_mangle]
unsafe extern "C" fn luasync_port_owner(l: *mut lua_State) -> usize {
    // SAFETY: called by the binding with the state of a running call.
    unsafe { runtime::token(l) }
}

#[no_mangle]
unsafe extern "C" fn luasync_port_context(l: *mut lua_State) -> *const c_char {
    // SAFETY: called by the binding with the state of a running call.
    match unsafe { runtime::runtime_of(l) } {
        Some(rt) => rt.context().name().as_ptr(),
        None => c"unknown".as_ptr(),
    }
}

#[no_mangle]
unsafe extern "C" fn luasync_port_hold(l: *mut lua_State, idx: c_int, cls: c_uint) -> *mut c_void {
    // SAFETY: called by the binding with the state of a running call; never raises.
    let private = unsafe { luasync_port_toprivate(l, idx, cls) };
    if private.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: `toprivate` found a live object of the class at `idx`.
    match unsafe { object::object_at(l, idx) } {
        Some(obj) => {
            // SAFETY: `obj` is live.
            unsafe { object::get(obj) };
            obj.cast()
        }
        None => std::ptr::null_mut(),
    }
}

#[no_mangle]
unsafe extern "C" fn luasync_port_heldprivate(held: *mut c_void) -> *mut c_void {
    // SAFETY: `held` came from `luasync_port_hold`, whose reference keeps it live.
    unsafe { (*held.cast::<object::Object>()).private() }
}

#[no_mangle]
unsafe extern "C" fn luasync_port_unhold(held: *mut c_void) {
    // SAFETY: `held` came from `luasync_port_hold`, and the binding gives its reference
    // back once.
    unsafe { object::put(held.cast()) }
}
