//! The store shared by every state of a suite (`env.share`, `env.fetch`): booleans,
//! integers, strings and objects, standing for Lunatik's shared `_ENV` table. Sharing an
//! object takes a reference on it; fetching clones it into the fetching state.

use std::collections::HashMap;
use std::ffi::{c_int, c_void};
use std::sync::Mutex;

use super::protect;
use crate::lua_host::*;
use crate::port_double::object::{self, Object};

enum Value {
    Bool(bool),
    Int(i64),
    Str(Vec<u8>),
    Obj(*mut Object),
}

// SAFETY: an object pointer stands for a counted reference, usable from any thread.
unsafe impl Send for Value {}

impl Value {
    /// Drops what the value holds (the object reference).
    fn release(self) {
        if let Value::Obj(obj) = self {
            // SAFETY: the store owned this reference.
            unsafe { object::put(obj) };
        }
    }

    /// A copy for a reader: objects get one more reference, which the reader owns.
    fn duplicate(&self) -> Value {
        match self {
            Value::Bool(b) => Value::Bool(*b),
            Value::Int(n) => Value::Int(*n),
            Value::Str(s) => Value::Str(s.clone()),
            Value::Obj(obj) => {
                // SAFETY: the store holds a reference, so the object is live.
                unsafe { object::get(*obj) };
                Value::Obj(*obj)
            }
        }
    }
}

static STORE: Mutex<Option<HashMap<Vec<u8>, Value>>> = Mutex::new(None);

fn replace(name: Vec<u8>, value: Option<Value>) {
    let old = {
        let mut store = STORE.lock().unwrap_or_else(|p| p.into_inner());
        let map = store.get_or_insert_with(HashMap::new);
        match value {
            Some(value) => map.insert(name, value),
            None => map.remove(&name),
        }
    };
    if let Some(old) = old {
        old.release();
    }
}

/// Empties the store, dropping its object references.
pub(super) fn clear() {
    let map = STORE.lock().unwrap_or_else(|p| p.into_inner()).take();
    for (_, value) in map.into_iter().flatten() {
        value.release();
    }
}

/// `env.share(name, value)`: stores a boolean, integer, string or object (`nil` removes).
pub(super) unsafe extern "C" fn share(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua. Every raising call comes before any Rust value is made.
    unsafe {
        let mut len = 0usize;
        let name = luaL_checklstring(l, 1, &mut len);
        let value = match lua_type(l, 2) {
            LUA_TNIL | LUA_TNONE => None,
            LUA_TBOOLEAN => Some(Value::Bool(lua_toboolean(l, 2) != 0)),
            LUA_TNUMBER => {
                let mut isnum = 0;
                let n = lua_tointegerx(l, 2, &mut isnum);
                if isnum == 0 {
                    luaL_argerror(l, 2, c"integer expected".as_ptr());
                }
                Some(Value::Int(n))
            }
            LUA_TSTRING => {
                let mut slen = 0usize;
                let s = lua_tolstring(l, 2, &mut slen);
                Some(Value::Str(
                    std::slice::from_raw_parts(s.cast::<u8>(), slen).to_vec(),
                ))
            }
            LUA_TUSERDATA => match object::object_at(l, 2) {
                Some(obj) => {
                    object::get(obj);
                    Some(Value::Obj(obj))
                }
                None => luaL_argerror(l, 2, c"live object expected".as_ptr()),
            },
            _ => luaL_argerror(
                l,
                2,
                c"boolean, integer, string or object expected".as_ptr(),
            ),
        };
        let name = std::slice::from_raw_parts(name.cast::<u8>(), len).to_vec();
        replace(name, value);
    }
    0
}

/// A protected function cloning the object passed (as a pointer) into this state.
unsafe extern "C" fn push_object(l: *mut lua_State) -> c_int {
    // SAFETY: called through `protect::call` with a live object the caller holds a
    // reference to.
    unsafe {
        let obj = lua_touserdata(l, 1).cast::<Object>();
        object::clone_object(l, obj);
    }
    1
}

/// `env.fetch(name)`: the stored value, or `nil`.
pub(super) unsafe extern "C" fn fetch(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua. The name is read (may raise) before any Rust value exists;
    // pushes that may raise run in protected mode while the copy is owned here.
    unsafe {
        let mut len = 0usize;
        let name = luaL_checklstring(l, 1, &mut len);
        let key = std::slice::from_raw_parts(name.cast::<u8>(), len);
        let value = {
            let store = STORE.lock().unwrap_or_else(|p| p.into_inner());
            store
                .as_ref()
                .and_then(|map| map.get(key))
                .map(Value::duplicate)
        };
        match value {
            None => lua_pushnil(l),
            Some(Value::Bool(b)) => lua_pushboolean(l, c_int::from(b)),
            Some(Value::Int(n)) => lua_pushinteger(l, n),
            Some(Value::Str(bytes)) => {
                let pushed = protect::call(
                    l,
                    protect::push_bytes,
                    &bytes as *const Vec<u8> as *mut c_void,
                );
                drop(bytes);
                if pushed.is_err() {
                    lua_error(l);
                }
            }
            Some(Value::Obj(obj)) => {
                // On success the reference moves into the new userdata.
                if protect::call(l, push_object, obj.cast()).is_err() {
                    object::put(obj);
                    lua_error(l);
                }
            }
        }
    }
    1
}
