// SPDX-License-Identifier: GPL-2.0

//! The Lunatik port: the narrow interface through which the classes use Lunatik.
//!
//! It is implemented in C (`lunatik_port.c`), compiled against Lunatik's own headers when
//! they are available and against `lunatik44.h` otherwise; nothing on the Rust side
//! depends on a Lunatik structure layout. The userspace test harness implements the same
//! `luasync_port_*` functions as a test double.
//!
//! What the port does for a class (see `lunatik_port.c`): it registers the class
//! metatable, creates objects whose private data is a Rust value, finds that private data
//! again, and tells whether the calling runtime may sleep. The class descriptor names the
//! Rust items of each class by symbol: its method table (`luasync_<class>_methods`), its
//! release function (`luasync_<class>_release`, which drops the Rust value in place) and
//! its opener (`luaopen_<class>`).

use core::ffi::{c_char, c_int, c_uint, c_void};
use core::marker::PhantomData;
use core::num::NonZeroUsize;
use core::ptr::NonNull;

use crate::lua::ffi::{luaL_Reg, lua_State};
use crate::lua::{State, Table};

/// The classes the port knows, by the number C uses for them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum Class {
    /// `completion`.
    Completion = 0,
    /// `mutex`.
    Mutex = 1,
    /// `semaphore`.
    Semaphore = 2,
}

impl Class {
    /// The class name, as Lua scripts see it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Completion => "completion",
            Self::Mutex => "mutex",
            Self::Semaphore => "semaphore",
        }
    }

    fn id(self) -> c_uint {
        self as c_uint
    }
}

/// The alignment that the private data of every object has at least (what `kmalloc`
/// guarantees). A private type needing more is rejected at compile time.
pub(crate) const PRIVATE_ALIGN: usize = 8;

/// A Rust type stored as the private data of the objects of one class.
///
/// # Safety
///
/// Every object of class `CLASS` created through this port must hold a `Self` initialised
/// in place right after [`new_object`] returned, and its release function must drop that
/// `Self` in place.
pub(crate) unsafe trait Private: Sync + Sized {
    /// The class whose objects hold a `Self`.
    const CLASS: Class;
}

extern "C" {
    fn luasync_port_newlib(l: *mut lua_State, class: c_uint, lib: *const luaL_Reg) -> c_int;
    fn luasync_port_newobject(l: *mut lua_State, class: c_uint, size: usize) -> *mut c_void;
    fn luasync_port_toprivate(l: *mut lua_State, idx: c_int, class: c_uint) -> *mut c_void;
    fn luasync_port_typename(l: *mut lua_State, idx: c_int) -> *const c_char;
    fn luasync_port_cansleep(l: *mut lua_State) -> bool;
    fn luasync_port_owner(l: *mut lua_State) -> usize;
    fn luasync_port_context(l: *mut lua_State) -> *const c_char;
    fn luasync_port_hold(l: *mut lua_State, idx: c_int, class: c_uint) -> *mut c_void;
    fn luasync_port_heldprivate(held: *mut c_void) -> *mut c_void;
    fn luasync_port_unhold(held: *mut c_void);
}

/// The body of `luaopen_<class>`: pushes the library table made of `lib` and registers the
/// class metatable. Returns the number of values pushed: 1, or 0 (after logging "load
/// Lunatik before luasync") when Lunatik's symbols did not resolve.
///
/// May raise (it allocates): call it owning nothing.
pub(crate) fn new_lib<const N: usize>(
    state: &mut State,
    class: Class,
    lib: &'static Table<N>,
) -> c_int {
    // SAFETY: `state` is the state of the running call; `lib` is a sentinel-terminated
    // table that lives forever.
    unsafe { luasync_port_newlib(state.as_ptr(), class.id(), lib.as_ptr()) }
}

/// Creates an object of `T::CLASS`, pushes it, and returns its private data: zeroed
/// memory for a `T`, aligned for it, that the caller must initialise in place at once
/// (before anything else can reach the object). The object keeps the module loaded until
/// it is released.
///
/// May raise (memory, or a runtime that cannot hold this class): call it owning nothing.
pub(crate) fn new_object<T: Private>(state: &mut State) -> *mut T {
    const { assert!(core::mem::align_of::<T>() <= PRIVATE_ALIGN) };
    // SAFETY: `state` is the state of the running call.
    let private =
        unsafe { luasync_port_newobject(state.as_ptr(), T::CLASS.id(), core::mem::size_of::<T>()) };
    private.cast()
}

/// The private data of the value at `idx` if it is a live object of `T::CLASS`. Never
/// raises.
///
/// The borrow is tied to `state`: the object is an argument of the running call, kept on
/// the stack, so it stays alive while `state` is borrowed; calls that could release it
/// (running Lua code) need `&mut State` and so end the borrow first.
pub(crate) fn private<T: Private>(state: &State, idx: c_int) -> Option<&T> {
    // SAFETY: `state` is the state of the running call; the port checks the value without
    // raising.
    let p = unsafe { luasync_port_toprivate(state.as_ptr(), idx, T::CLASS.id()) };
    // SAFETY: a non-null result is the private data of a live object of `T::CLASS`, which
    // holds an initialised `T` (`Private`'s contract) that is only ever shared (`T: Sync`),
    // and the object stays alive while `state` is borrowed (see above).
    unsafe { p.cast::<T>().as_ref() }
}

/// A reference held on an object of `T::CLASS` (see [`hold`]), which keeps the object and
/// its `T` alive whatever Lua code does to the value it was taken from.
///
/// It is a plain handle with no destructor, so a Lua error cannot skip its release:
/// [`unhold`] must be called on every path, which is why it is only used around a
/// protected call.
pub(crate) struct Held<T: Private> {
    handle: NonNull<c_void>,
    _private: PhantomData<*const T>,
}

impl<T: Private> Held<T> {
    /// The held object's private data.
    pub(crate) fn get(&self) -> &T {
        // SAFETY: `handle` came from `luasync_port_hold` and is not yet given back, so the
        // object holds a reference and its private data, an initialised `T` (`Private`'s
        // contract, `T::CLASS` was checked), lives at least as long as `self`; `T: Sync`
        // is only shared.
        unsafe { &*luasync_port_heldprivate(self.handle.as_ptr()).cast::<T>() }
    }
}

/// Takes a reference on the value at `idx` if it is a live object of `T::CLASS`. Never
/// raises.
pub(crate) fn hold<T: Private>(state: &State, idx: c_int) -> Option<Held<T>> {
    // SAFETY: `state` is the state of the running call; the port checks the value without
    // raising.
    let handle = unsafe { luasync_port_hold(state.as_ptr(), idx, T::CLASS.id()) };
    NonNull::new(handle).map(|handle| Held {
        handle,
        _private: PhantomData,
    })
}

/// Gives back a reference taken by [`hold`]; the object is released if it was the last.
/// Never raises.
pub(crate) fn unhold<T: Private>(held: Held<T>) {
    // SAFETY: `held` came from `luasync_port_hold` and is consumed here, so the reference
    // is given back exactly once.
    unsafe { luasync_port_unhold(held.handle.as_ptr()) }
}

/// The longest name read from C; names are cut there.
const NAME_MAX: usize = 64;

/// The bytes of a NUL-terminated name from C, at most `NAME_MAX` of them.
///
/// # Safety
///
/// `name` must be null or point to a NUL-terminated string that lives for `'a`.
unsafe fn name_bytes<'a>(name: *const c_char) -> &'a [u8] {
    if name.is_null() {
        return b"?";
    }
    let mut len = 0;
    for i in 0..NAME_MAX {
        // SAFETY: the string is NUL-terminated and `i` does not pass its NUL, since the
        // loop stops at the first one.
        if unsafe { name.add(i).read() } == 0 {
            break;
        }
        len = i + 1;
    }
    // SAFETY: the `len` bytes before the NUL (or the limit) were just read.
    unsafe { core::slice::from_raw_parts(name.cast::<u8>(), len) }
}

/// What the value at `idx` is, for error messages: the class name of a Lunatik object,
/// else the Lua type name ("no value" for an absent argument). Never raises.
pub(crate) fn type_name(state: &State, idx: c_int) -> &[u8] {
    // SAFETY: `state` is the state of the running call.
    let name = unsafe { luasync_port_typename(state.as_ptr(), idx) };
    // SAFETY: the port returns a static string or the name of the class of the value at
    // `idx`, which lives at least as long as that value, so as long as `state` is borrowed.
    unsafe { name_bytes(name) }
}

/// Whether the calling runtime may sleep (a process-context runtime). Never raises.
pub(crate) fn can_sleep(state: &State) -> bool {
    // SAFETY: `state` is the state of the running call.
    unsafe { luasync_port_cansleep(state.as_ptr()) }
}

/// The token of the calling runtime (the same for every coroutine of one runtime), or
/// `None` if the state belongs to no runtime. Never raises.
pub(crate) fn owner(state: &State) -> Option<NonZeroUsize> {
    // SAFETY: `state` is the state of the running call.
    NonZeroUsize::new(unsafe { luasync_port_owner(state.as_ptr()) })
}

/// The context of the calling runtime: "process", "softirq" or "hardirq". Never raises.
pub(crate) fn context(state: &State) -> &'static [u8] {
    // SAFETY: `state` is the state of the running call.
    let name = unsafe { luasync_port_context(state.as_ptr()) };
    // SAFETY: the port returns one of its static context names.
    unsafe { name_bytes(name) }
}
