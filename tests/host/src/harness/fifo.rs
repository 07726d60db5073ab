//! A test double of Lunatik's `fifo` class (a shareable byte queue), enough for the
//! `mailbox.lua` usage pattern: `fifo.new(capacity)`, `f:push(bytes)` (raises when there is
//! not enough room), `f:pop(n)` returning up to `n` bytes and their count.

use std::collections::VecDeque;
use std::ffi::{c_int, c_void};
use std::sync::Mutex;

use super::protect;
use crate::lua::Table;
use crate::lua_host::*;
use crate::port_double::object::{self, Class};

struct Fifo {
    bytes: Mutex<VecDeque<u8>>,
    capacity: usize,
}

unsafe extern "C" fn release(private: *mut c_void) {
    // SAFETY: the private data of a fifo object holds an initialised `Fifo`.
    unsafe { std::ptr::drop_in_place(private.cast::<Fifo>()) }
}

static METHODS: Table<5> = Table::new([
    (Some(c"push"), Some(push)),
    (Some(c"pop"), Some(pop)),
    (Some(c"close"), Some(object::close_object)),
    (Some(c"__close"), Some(object::close_object)),
    (None, None),
]);
static LIB: Table<2> = Table::new([(Some(c"new"), Some(new)), (None, None)]);

static CLASS: Class = Class {
    name: c"fifo",
    methods: METHODS.as_ptr(),
    release: Some(release),
    opener: Some(luaopen_fifo),
    external: false,
};

/// `require "fifo"`.
pub(super) unsafe extern "C" fn luaopen_fifo(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua.
    unsafe {
        lua_createtable(l, 0, 1);
        luaL_setfuncs(l, LIB.as_ptr(), 0);
        object::new_class(l, &CLASS);
    }
    1
}

unsafe extern "C" fn new(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua; the capacity is read before the object exists.
    unsafe {
        let capacity = luaL_checkinteger(l, 1);
        let Ok(capacity) = usize::try_from(capacity) else {
            luaL_argerror(l, 1, c"capacity must not be negative".as_ptr());
        };
        // kfifo rounds the size up to a power of two.
        let capacity = capacity.max(1).next_power_of_two();
        let obj = object::new_object(l, &CLASS, std::mem::size_of::<Fifo>());
        (*obj).private().cast::<Fifo>().write(Fifo {
            bytes: Mutex::new(VecDeque::with_capacity(capacity)),
            capacity,
        });
    }
    1
}

unsafe fn this<'a>(l: *mut lua_State) -> &'a Fifo {
    // SAFETY: as the callers (Lua functions) guarantee; a fifo object holds a `Fifo` and is
    // kept alive by argument 1.
    unsafe {
        match object::object_at(l, 1) {
            Some(obj) if std::ptr::eq((*obj).class(), &CLASS) && !(*obj).private().is_null() => {
                &*(*obj).private().cast::<Fifo>()
            }
            _ => luaL_argerror(l, 1, c"fifo expected".as_ptr()),
        }
    }
}

unsafe extern "C" fn push(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua; the lock is never held across a raising call.
    unsafe {
        let fifo = this(l);
        let mut len = 0usize;
        let data = luaL_checklstring(l, 2, &mut len);
        let data = std::slice::from_raw_parts(data.cast::<u8>(), len);
        let fits = {
            let mut bytes = fifo.bytes.lock().unwrap_or_else(|p| p.into_inner());
            let fits = bytes.len() + data.len() <= fifo.capacity;
            if fits {
                bytes.extend(data);
            }
            fits
        };
        if !fits {
            luaL_argerror(l, 2, c"not enough space".as_ptr());
        }
    }
    0
}

unsafe extern "C" fn pop(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua; the taken bytes are pushed in protected mode.
    unsafe {
        let fifo = this(l);
        let n = usize::try_from(luaL_checkinteger(l, 2)).unwrap_or(0);
        let taken: Vec<u8> = {
            let mut bytes = fifo.bytes.lock().unwrap_or_else(|p| p.into_inner());
            let n = n.min(bytes.len());
            bytes.drain(..n).collect()
        };
        let count = taken.len() as lua_Integer;
        let pushed = protect::call(
            l,
            protect::push_bytes,
            &taken as *const Vec<u8> as *mut c_void,
        );
        drop(taken);
        if pushed.is_err() {
            lua_error(l);
        }
        lua_pushinteger(l, count);
    }
    2
}
