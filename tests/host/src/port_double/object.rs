//! Refcounted objects shared between Lua states, as Lunatik's `lunatik_object_t`.

use std::alloc::{alloc_zeroed, dealloc, handle_alloc_error, Layout};
use std::ffi::{c_int, c_void, CStr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::lua_host::*;
use crate::port::PRIVATE_ALIGN;

/// A class: what `lunatik_class_t` holds.
pub struct Class {
    /// The class name (the name `require` uses).
    pub name: &'static CStr,
    /// The metatable's functions, sentinel-terminated.
    pub methods: *const luaL_Reg,
    /// Called with the private data when the object is closed or its last reference goes.
    pub release: Option<unsafe extern "C" fn(*mut c_void)>,
    /// `luaopen_<name>`.
    pub opener: lua_CFunction,
    /// `LUNATIK_OPT_EXTERNAL`: the private data is not Lunatik's to allocate or free; the
    /// class sets it after `new_object` (see [`set_private`]).
    pub external: bool,
}

// SAFETY: a class is immutable; its pointers refer to static tables and functions.
unsafe impl Sync for Class {}
// SAFETY: as above.
unsafe impl Send for Class {}

/// A shared object.
pub struct Object {
    refs: AtomicUsize,
    class: &'static Class,
    /// Null once closed; guarded as Lunatik's object lock guards it.
    private: Mutex<*mut c_void>,
    /// The layout of private data Lunatik allocated (not for external classes).
    layout: Option<Layout>,
}

static LIVE_OBJECTS: AtomicUsize = AtomicUsize::new(0);

/// How many objects exist.
pub fn live_objects() -> usize {
    LIVE_OBJECTS.load(Ordering::SeqCst)
}

impl Object {
    /// The class.
    pub fn class(&self) -> &'static Class {
        self.class
    }

    /// The private data, null once closed.
    pub fn private(&self) -> *mut c_void {
        *self.private.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the private pointer, holding the object's lock.
    pub fn with_private<R>(&self, f: impl FnOnce(*mut c_void) -> R) -> R {
        f(*self.private.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// Sets the private data of an object of an external class.
///
/// # Safety
///
/// `obj` must be a live object of an external class whose private data is not set yet.
pub unsafe fn set_private(obj: *mut Object, private: *mut c_void) {
    // SAFETY: the caller guarantees `obj` is live.
    *unsafe { &*obj }
        .private
        .lock()
        .unwrap_or_else(|p| p.into_inner()) = private;
}

/// Releases private data taken out of an object: the class's release function, then, for a
/// class that is not external, the memory.
///
/// # Safety
///
/// `private` must be the private data of an object of `class`, taken out of it once.
unsafe fn release_private(class: &'static Class, private: *mut c_void, layout: Option<Layout>) {
    if private.is_null() {
        return;
    }
    if let Some(release) = class.release {
        // SAFETY: the release function of the class gets the private data of one of its
        // objects, once.
        unsafe { release(private) };
    }
    if let (false, Some(layout)) = (class.external, layout) {
        // SAFETY: allocated in `new_object` with this layout, and released above.
        unsafe { dealloc(private.cast(), layout) };
    }
}

/// Takes one more reference.
///
/// # Safety
///
/// `obj` must be a live object.
pub unsafe fn get(obj: *mut Object) {
    // SAFETY: the caller guarantees `obj` is live.
    unsafe { (*obj).refs.fetch_add(1, Ordering::SeqCst) };
}

/// Drops one reference; the last releases the private data and frees the object.
///
/// # Safety
///
/// `obj` must be a live object and the caller must own the reference it drops.
pub unsafe fn put(obj: *mut Object) {
    // SAFETY: the caller owns a reference, so the object is live.
    if unsafe { (*obj).refs.fetch_sub(1, Ordering::SeqCst) } != 1 {
        return;
    }
    // SAFETY: that was the last reference: nothing else can reach the object, which was
    // made by `Box::into_raw` in `new_object`.
    let obj = unsafe { Box::from_raw(obj) };
    let private = obj.private();
    // SAFETY: the object is gone; its private data is released once.
    unsafe { release_private(obj.class, private, obj.layout) };
    LIVE_OBJECTS.fetch_sub(1, Ordering::SeqCst);
}

/// Registers the metatable of `class` in the registry under the class address, with
/// `__index` = itself and `__gc` dropping a reference (as `lunatik_newclass`).
///
/// # Safety
///
/// `l` must be a valid state with room for 3 values. May raise.
pub unsafe fn new_class(l: *mut lua_State, class: &'static Class) {
    // SAFETY: as the caller guarantees; the class tables are valid and static.
    unsafe {
        lua_pushlightuserdata(l, class as *const Class as *mut c_void);
        lua_createtable(l, 0, 8);
        luaL_setfuncs(l, class.methods, 0);
        lua_pushcfunction(l, gc);
        lua_setfield(l, -2, c"__gc".as_ptr());
        lua_pushvalue(l, -1);
        lua_setfield(l, -2, c"__index".as_ptr());
        lua_rawset(l, LUA_REGISTRYINDEX);
    }
}

/// Pushes a userdata for `obj` (null: none yet) with the class metatable and user value; no
/// reference is taken. Raises if the class metatable is not registered.
unsafe fn push_userdata(
    l: *mut lua_State,
    obj: *mut Object,
    class: &'static Class,
) -> *mut *mut Object {
    // SAFETY: `l` is valid (caller); the userdata has room for one pointer.
    unsafe {
        let slot =
            lua_newuserdatauv(l, std::mem::size_of::<*mut Object>(), 1).cast::<*mut Object>();
        slot.write(std::ptr::null_mut());
        lua_pushlightuserdata(l, class as *const Class as *mut c_void);
        if lua_rawget(l, LUA_REGISTRYINDEX) != LUA_TTABLE {
            luaL_error(
                l,
                c"'%s': metatable not found".as_ptr(),
                class.name.as_ptr(),
            );
        }
        lua_setmetatable(l, -2);
        lua_pushlightuserdata(l, class as *const Class as *mut c_void);
        lua_setiuservalue(l, -2, 1);
        slot.write(obj);
        slot
    }
}

/// Creates an object of `class`, pushes it and returns it (as `lunatik_newobject`): with
/// `size` zeroed bytes of private data, or none for an external class. May raise, before
/// the object exists.
///
/// # Safety
///
/// `l` must be a valid state with room for 3 values.
pub unsafe fn new_object(l: *mut lua_State, class: &'static Class, size: usize) -> *mut Object {
    let layout = match Layout::from_size_align(size.max(1), PRIVATE_ALIGN) {
        Ok(layout) => layout,
        // SAFETY: `l` is valid; nothing is owned here.
        Err(_) => unsafe { luaL_error(l, c"object too large".as_ptr()) },
    };
    // The userdata first, empty, so a raise there leaks nothing.
    // SAFETY: `l` is valid (caller).
    let slot = unsafe { push_userdata(l, std::ptr::null_mut(), class) };
    // No Lua call from here on: the object cannot be lost.
    let private = if class.external {
        std::ptr::null_mut()
    } else {
        // SAFETY: `layout` has a non-zero size.
        let private = unsafe { alloc_zeroed(layout) };
        if private.is_null() {
            handle_alloc_error(layout);
        }
        private.cast()
    };
    let obj = Box::into_raw(Box::new(Object {
        refs: AtomicUsize::new(1),
        class,
        private: Mutex::new(private),
        layout: (!class.external).then_some(layout),
    }));
    LIVE_OBJECTS.fetch_add(1, Ordering::SeqCst);
    // SAFETY: `slot` is the pointer slot of the userdata pushed above.
    unsafe { slot.write(obj) };
    obj
}

/// Pushes `obj` into the state of `l` (another runtime), requiring its class there first,
/// as `lunatik_cloneobject`; takes no reference: the caller transfers one. May raise.
///
/// # Safety
///
/// `l` must be a valid state; `obj` a live object.
pub unsafe fn clone_object(l: *mut lua_State, obj: *mut Object) {
    // SAFETY: the caller guarantees both.
    unsafe {
        let class = (*obj).class;
        luaL_requiref(l, class.name.as_ptr(), class.opener, 0);
        lua_pop(l, 1);
        push_userdata(l, obj, class);
    }
}

/// The class recorded in the first user value of the userdata at `idx`, if any. Never
/// raises.
///
/// # Safety
///
/// `l` must be a valid state with room for one value.
pub unsafe fn class_at(l: *mut lua_State, idx: c_int) -> Option<&'static Class> {
    // SAFETY: as the caller guarantees; only light userdata made from a `&'static Class`
    // are stored as first user values (by this module).
    unsafe {
        if lua_type(l, idx) != LUA_TUSERDATA {
            return None;
        }
        let idx = lua_absindex(l, idx);
        let class = if lua_getiuservalue(l, idx, 1) == LUA_TLIGHTUSERDATA {
            lua_touserdata(l, -1).cast::<Class>().cast_const().as_ref()
        } else {
            None
        };
        lua_pop(l, 1);
        class
    }
}

/// The object at `idx` (live, or closed), of any class; `None` for anything else or a
/// userdata whose `__gc` ran. Never raises.
///
/// # Safety
///
/// `l` must be a valid state with room for one value.
pub unsafe fn object_at(l: *mut lua_State, idx: c_int) -> Option<*mut Object> {
    // SAFETY: a userdata with a class user value was made by this module and holds a
    // pointer to an object, null once collected.
    unsafe {
        let class = class_at(l, idx)?;
        let slot = lua_touserdata(l, idx).cast::<*mut Object>();
        let obj = *slot;
        (!obj.is_null() && std::ptr::eq((*obj).class, class)).then_some(obj)
    }
}

/// `lunatik_closeobject`: takes the private data out of the object at 1, of any class,
/// and releases it at once, whoever still uses the object. Raises on anything else.
pub unsafe extern "C" fn close_object(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua with a valid state.
    unsafe {
        let Some(obj) = object_at(l, 1) else {
            luaL_argerror(l, 1, c"invalid object".as_ptr());
        };
        let private = {
            let mut guard = (*obj).private.lock().unwrap_or_else(|p| p.into_inner());
            std::mem::replace(&mut *guard, std::ptr::null_mut())
        };
        release_private((*obj).class, private, (*obj).layout);
    }
    0
}

/// `__gc`: drops the reference of this userdata (as `lunatik_deleteobject`).
unsafe extern "C" fn gc(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua with a valid state; the userdata's pointer is cleared so the
    // reference is dropped once.
    unsafe {
        match object_at(l, 1) {
            Some(obj) => {
                let slot = lua_touserdata(l, 1).cast::<*mut Object>();
                slot.write(std::ptr::null_mut());
                put(obj);
                0
            }
            None => luaL_argerror(l, 1, c"invalid object".as_ptr()),
        }
    }
}
