//! The port's functions (`rust/port/luasync_port.h`), as the test double: each definition
//! is checked against the header's type of it (the `_t` typedefs bindgen generates).

use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::ffi::{c_char, c_int, c_void, CStr};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::OnceLock;

use super::object;
use super::runtime::{self, Context};
use crate::lua_host::*;
use crate::port::bindings::{self as b, luasync_found, luasync_ops};
use crate::port::{Class, PRIVATE_ALIGN};

/// A class of the binding, from the header's list.
pub(super) struct ClassEntry {
    name: &'static CStr,
    class: Class,
    ops: &'static luasync_ops,
    opener: unsafe extern "C" fn(*mut lua_State) -> c_int,
}

// SAFETY: an entry is immutable; its pointers refer to static tables and functions.
unsafe impl Sync for ClassEntry {}

include!(concat!(env!("OUT_DIR"), "/classes_generated.rs"));

/// The Lunatik classes of the binding, made from the list on first use.
fn lunatik_classes() -> &'static [object::Class] {
    static CLASSES_: OnceLock<Vec<object::Class>> = OnceLock::new();
    CLASSES_.get_or_init(|| {
        CLASSES
            .iter()
            .map(|entry| object::Class {
                name: entry.name,
                methods: entry.ops.methods,
                release: Some(release),
                opener: Some(entry.opener),
                external: true,
            })
            .collect()
    })
}

fn entry(class: Class) -> &'static ClassEntry {
    CLASSES
        .iter()
        .find(|e| e.class == class)
        .unwrap_or_else(|| panic!("no class {class:?}"))
}

fn lunatik_class(class: Class) -> &'static object::Class {
    let i = CLASSES
        .iter()
        .position(|e| e.class == class)
        .unwrap_or_else(|| panic!("no class {class:?}"));
    &lunatik_classes()[i]
}

/// The preloads of every class: name and opener.
pub(super) fn openers(
) -> impl Iterator<Item = (&'static CStr, unsafe extern "C" fn(*mut lua_State) -> c_int)> {
    CLASSES.iter().map(|e| (e.name, e.opener))
}

/// The header of a block, before the private data, as the C port's block.
#[repr(C)]
struct Header {
    refs: AtomicUsize,
    class: Class,
    /// Set by `luasync_port_publish`: lookups find the object from then on.
    published: AtomicBool,
}

/// Where the private data starts in a block.
const DATA: usize = std::mem::size_of::<Header>().next_multiple_of(PRIVATE_ALIGN);

static MODULE_REFS: AtomicUsize = AtomicUsize::new(0);

/// How many module references blocks hold.
pub fn module_refs() -> usize {
    MODULE_REFS.load(Ordering::SeqCst)
}

fn layout(class: Class) -> Layout {
    Layout::from_size_align(
        DATA + entry(class).ops.size,
        PRIVATE_ALIGN.max(std::mem::align_of::<Header>()),
    )
    .unwrap_or_else(|_| panic!("bad layout"))
}

/// # Safety
///
/// `header` must be a live block with a reference the caller owns.
unsafe fn unref(header: *mut Header) {
    // SAFETY: the caller owns a reference.
    if unsafe { (*header).refs.fetch_sub(1, Ordering::SeqCst) } != 1 {
        return;
    }
    // SAFETY: the last reference is gone: the value is dropped once, then the block freed
    // with the layout it was made with.
    unsafe {
        let class = (*header).class;
        if let Some(drop) = entry(class).ops.drop {
            drop(header.cast::<u8>().add(DATA).cast());
        }
        dealloc(header.cast(), layout(class));
    }
    MODULE_REFS.fetch_sub(1, Ordering::SeqCst);
}

/// The release function of every class: closes, then drops the object's reference.
unsafe extern "C" fn release(private: *mut c_void) {
    let header = private.cast::<Header>();
    // SAFETY: the object's private data is a live block, whose reference the object owns.
    unsafe {
        if let Some(close) = entry((*header).class).ops.close {
            close(header.cast::<u8>().add(DATA).cast());
        }
        unref(header);
    }
}

/// `luaopen_<class>`: the library table and the class metatable, or the library's one
/// function.
///
/// # Safety
///
/// `l` must be the state of a running call. May raise.
pub(super) unsafe fn open(l: *mut lua_State, class: Class) -> c_int {
    // SAFETY: as the caller guarantees; the tables are static.
    unsafe {
        if let Some(call) = entry(class).ops.call {
            lua_pushcclosure(l, Some(call), 0);
            return 1;
        }
        lua_createtable(l, 0, 1);
        luaL_setfuncs(l, entry(class).ops.lib, 0);
        object::new_class(l, lunatik_class(class));
    }
    1
}

#[no_mangle]
unsafe extern "C" fn luasync_port_newobject(l: *mut lua_State, class: Class) -> *mut c_void {
    let lunatik = lunatik_class(class);
    // SAFETY: called by the binding with the state of a running call; raises before the
    // object exists.
    let obj = unsafe { object::new_object(l, lunatik, 0) };
    let layout = layout(class);
    // SAFETY: the layout has a non-zero size.
    let block = unsafe { alloc(layout) };
    if block.is_null() {
        handle_alloc_error(layout);
    }
    // As the kernel's port, the value is not zeroed: poisoned here, so that a class's `init`
    // that leaves a byte to chance reads garbage in these tests too.
    // SAFETY: `block` holds `layout.size()` writable bytes.
    unsafe { block.write_bytes(0xa5, layout.size()) };
    let header = block.cast::<Header>();
    // SAFETY: `header` is fresh memory for a block; `obj` was just made, external.
    unsafe {
        header.write(Header {
            refs: AtomicUsize::new(1),
            class,
            published: AtomicBool::new(false),
        });
        object::set_private(obj, header.cast());
    }
    MODULE_REFS.fetch_add(1, Ordering::SeqCst);
    // SAFETY: the data follows the header in the block.
    unsafe { header.cast::<u8>().add(DATA).cast() }
}
const _: b::luasync_port_newobject_t = Some(luasync_port_newobject);

#[no_mangle]
unsafe extern "C" fn luasync_port_publish(private: *mut c_void) {
    // SAFETY: `private` came from `luasync_port_newobject`: the data of a live block.
    let header = unsafe { &*private.cast::<u8>().sub(DATA).cast::<Header>() };
    header.published.store(true, Ordering::Release);
}
const _: b::luasync_port_publish_t = Some(luasync_port_publish);

/// The live object of `class` at `idx`, counted; or what was there instead.
///
/// # Safety
///
/// `l` is the state of a running call.
unsafe fn lookup(
    l: *mut lua_State,
    idx: c_int,
    class: Class,
) -> Result<*mut c_void, luasync_found> {
    let lunatik = lunatik_class(class);
    // SAFETY: the caller's state is that of a running call; nothing here raises.
    unsafe {
        if !object::class_at(l, idx).is_some_and(|c| std::ptr::eq(c, lunatik)) {
            return Err(luasync_found::LUASYNC_OTHER);
        }
        let Some(obj) = object::object_at(l, idx) else {
            return Err(luasync_found::LUASYNC_RELEASED);
        };
        // Counted under the object's lock, which a close takes to take the block out.
        // The object's own reference is dropped only after that, so the count is not 0.
        let taken = (*obj).with_private(|private| {
            let header = private.cast::<Header>();
            // Not yet published: nothing that is not the maker can tell it exists.
            (!header.is_null() && (*header).published.load(Ordering::Acquire)).then(|| {
                (*header).refs.fetch_add(1, Ordering::SeqCst);
                header
            })
        });
        match taken {
            Some(header) => Ok(header.cast::<u8>().add(DATA).cast()),
            None => Err(luasync_found::LUASYNC_CLOSED),
        }
    }
}

#[no_mangle]
unsafe extern "C" fn luasync_port_get(l: *mut lua_State, idx: c_int, class: Class) -> *mut c_void {
    // SAFETY: called by the binding with the state of a running call.
    unsafe { lookup(l, idx, class) }.unwrap_or(std::ptr::null_mut())
}
const _: b::luasync_port_get_t = Some(luasync_port_get);

#[no_mangle]
unsafe extern "C" fn luasync_port_put(private: *mut c_void) {
    // SAFETY: `private` came from `luasync_port_get`, whose reference is given back once.
    unsafe { unref(private.cast::<u8>().sub(DATA).cast()) }
}
const _: b::luasync_port_put_t = Some(luasync_port_put);

/// The double has no RCU: a peek takes a reference like `luasync_port_get`, and its end
/// drops it, which keeps the value alive at least as long as the module's peek does.
#[no_mangle]
unsafe extern "C" fn luasync_port_peek(l: *mut lua_State, idx: c_int, class: Class) -> *mut c_void {
    // SAFETY: the caller's guarantees are those of `luasync_port_get`.
    unsafe { luasync_port_get(l, idx, class) }
}
const _: b::luasync_port_peek_t = Some(luasync_port_peek);

/// Looks again, as the module's port does: an object only goes from live to closed to
/// released, so a lookup that succeeds now stands for one that met a closed object.
#[no_mangle]
unsafe extern "C" fn luasync_port_missing(
    l: *mut lua_State,
    idx: c_int,
    class: Class,
) -> luasync_found {
    // SAFETY: called by the binding with the state of a running call.
    match unsafe { lookup(l, idx, class) } {
        Ok(private) => {
            // SAFETY: `lookup` counted `private`; the count is given back here.
            unsafe { luasync_port_put(private) };
            luasync_found::LUASYNC_CLOSED
        }
        Err(found) => found,
    }
}
const _: b::luasync_port_missing_t = Some(luasync_port_missing);

#[no_mangle]
unsafe extern "C" fn luasync_port_unpeek(private: *mut c_void) {
    // SAFETY: `private` came from `luasync_port_peek`, that is from `luasync_port_get`.
    unsafe { luasync_port_put(private) }
}
const _: b::luasync_port_unpeek_t = Some(luasync_port_unpeek);

/// The peek's reference (the double's peek takes one) becomes the caller's.
#[no_mangle]
unsafe extern "C" fn luasync_port_hold(_private: *mut c_void) -> bool {
    true
}
const _: b::luasync_port_hold_t = Some(luasync_port_hold);

#[no_mangle]
unsafe extern "C" fn luasync_port_typename(l: *mut lua_State, idx: c_int) -> *const c_char {
    // SAFETY: called by the binding with the state of a running call; never raises.
    unsafe {
        match object::class_at(l, idx) {
            Some(class) if lunatik_classes().iter().any(|c| std::ptr::eq(c, class)) => {
                class.name.as_ptr()
            }
            _ => lua_typename(l, lua_type(l, idx)),
        }
    }
}
const _: b::luasync_port_typename_t = Some(luasync_port_typename);

#[no_mangle]
unsafe extern "C" fn luasync_port_waited(_class: Class, _outcome: b::luasync_outcome) {}
const _: b::luasync_port_waited_t = Some(luasync_port_waited);

#[no_mangle]
unsafe extern "C" fn luasync_port_putwaited(
    private: *mut c_void,
    class: Class,
    outcome: b::luasync_outcome,
) {
    // SAFETY: the binding's own contract: `private` holds a reference it gives back once.
    unsafe {
        luasync_port_waited(class, outcome);
        luasync_port_put(private);
    }
}
const _: b::luasync_port_putwaited_t = Some(luasync_port_putwaited);

#[no_mangle]
unsafe extern "C" fn luasync_port_classname(class: Class) -> *const c_char {
    entry(class).name.as_ptr()
}
const _: b::luasync_port_classname_t = Some(luasync_port_classname);

#[no_mangle]
unsafe extern "C" fn luasync_port_cansleep(l: *mut lua_State) -> bool {
    // SAFETY: called by the binding with the state of a running call.
    unsafe { runtime::runtime_of(l) }.is_some_and(|rt| rt.context() == Context::Process)
}
const _: b::luasync_port_cansleep_t = Some(luasync_port_cansleep);

#[no_mangle]
unsafe extern "C" fn luasync_port_owner(l: *mut lua_State) -> usize {
    // SAFETY: called by the binding with the state of a running call.
    unsafe { runtime::token(l) }
}
const _: b::luasync_port_owner_t = Some(luasync_port_owner);

#[no_mangle]
unsafe extern "C" fn luasync_port_context(l: *mut lua_State) -> *const c_char {
    // SAFETY: called by the binding with the state of a running call.
    match unsafe { runtime::runtime_of(l) } {
        Some(rt) => rt.context().name().as_ptr(),
        None => c"unknown".as_ptr(),
    }
}
const _: b::luasync_port_context_t = Some(luasync_port_context);

#[no_mangle]
unsafe extern "C" fn luasync_port_objget(
    l: *mut lua_State,
    idx: c_int,
    why: *mut *const c_char,
) -> *mut c_void {
    // SAFETY: called by the binding with the state of a running call and a valid `why`.
    unsafe {
        match object::object_at(l, idx) {
            // As the port: the only class of the double whose objects hold objects.
            Some(obj) if (*obj).class().name == c"channel" => {
                why.write(c"objects that can hold other objects (channels, rcu tables, runtimes, threads, hooks) cannot be sent".as_ptr());
                std::ptr::null_mut()
            }
            Some(obj) => {
                object::get(obj);
                obj.cast()
            }
            None => {
                why.write(c"not a Lunatik object".as_ptr());
                std::ptr::null_mut()
            }
        }
    }
}
const _: b::luasync_port_objget_t = Some(luasync_port_objget);

#[no_mangle]
unsafe extern "C" fn luasync_port_objpush(l: *mut lua_State, reference: *mut c_void) {
    let obj = reference.cast::<object::Object>();
    // SAFETY: `reference` came from `luasync_port_objget` and keeps the object alive; the
    // new value gets a reference of its own once it exists (the clone may raise first).
    unsafe {
        object::clone_object(l, obj);
        object::get(obj);
    }
}
const _: b::luasync_port_objpush_t = Some(luasync_port_objpush);

#[no_mangle]
unsafe extern "C" fn luasync_port_objput(reference: *mut c_void) {
    // SAFETY: `reference` came from `luasync_port_objget` and is dropped once.
    unsafe { object::put(reference.cast()) }
}
const _: b::luasync_port_objput_t = Some(luasync_port_objput);

#[no_mangle]
unsafe extern "C" fn luasync_port_close(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua.
    unsafe { object::close_object(l) }
}
const _: b::luasync_port_close_t = Some(luasync_port_close);

/// A thread's stack here is megabytes, and nothing in userspace measures it: `scope`'s
/// depth limit is the kernel's to test.
#[no_mangle]
unsafe extern "C" fn luasync_port_stackleft() -> usize {
    usize::MAX
}
const _: b::luasync_port_stackleft_t = Some(luasync_port_stackleft);

#[no_mangle]
unsafe extern "C" fn luasync_port_stacksize() -> usize {
    usize::MAX
}
const _: b::luasync_port_stacksize_t = Some(luasync_port_stacksize);

#[no_mangle]
unsafe extern "C" fn luasync_port_init() -> c_int {
    0
}
const _: b::luasync_port_init_t = Some(luasync_port_init);

#[no_mangle]
unsafe extern "C" fn luasync_port_exit() {}
const _: b::luasync_port_exit_t = Some(luasync_port_exit);

/// The Rust value an object of the binding holds, for tests; null once closed.
#[cfg(test)]
///
/// # Safety
///
/// `obj` must be a live object of one of the binding's classes.
pub unsafe fn value_of(obj: *mut object::Object) -> *mut c_void {
    // SAFETY: the private data of such an object is a block, with the value after its header.
    let header = unsafe { (*obj).private() };
    if header.is_null() {
        return header;
    }
    // SAFETY: as above.
    unsafe { header.cast::<u8>().add(DATA).cast() }
}
