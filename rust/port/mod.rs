// SPDX-License-Identifier: GPL-2.0

//! The Lunatik port: the narrow interface through which the classes use Lunatik.
//!
//! It is declared once, in C (`luasync_port.h`), implemented in C (`lunatik_port.c`)
//! against the headers of the Lunatik in use, and turned into Rust declarations by bindgen
//! ([`bindings`]). The userspace test build implements the same functions as a test double
//! and generates the same declarations from the same header.
//!
//! What a class gets from it: objects whose private data is a value of its Rust type `T`
//! ([`new_object`]), counted references to that value while a method runs ([`get`],
//! [`Ref`]), and facts about the calling runtime. The port makes the `luaopen_<class>`
//! functions and the Lunatik classes from the list in the header and from the
//! `luasync_<class>_ops` each class defines with [`class_ops!`].

use core::ffi::{c_char, c_int, c_void};
use core::marker::PhantomData;
use core::num::NonZeroUsize;
use core::ops::Deref;
use core::ptr::NonNull;

use crate::lua::State;

/// The declarations generated from `luasync_port.h`.
#[allow(
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    unreachable_pub,
    dead_code,
    clippy::all,
    clippy::undocumented_unsafe_blocks,
    missing_docs
)]
pub(crate) mod bindings {
    pub(crate) use crate::lua::ffi::{luaL_Reg, lua_State};
    #[cfg(not(luasync_host))]
    include!("bindings_generated.rs");
    #[cfg(luasync_host)]
    include!(concat!(env!("OUT_DIR"), "/port_bindings.rs"));
}

pub(crate) use bindings::luasync_class as Class;
use bindings::luasync_found as Found;
pub(crate) use bindings::luasync_outcome as Outcome;

/// The alignment the private data of every object has at least (the port's caches align
/// its blocks, and the value in them, to 8 bytes). A private type needing more is rejected
/// at compile time.
pub(crate) const PRIVATE_ALIGN: usize = 8;

/// A Rust type stored as the private data of the objects of one class.
///
/// # Safety
///
/// Every object of class `CLASS` must hold a `Self` initialised in place right after
/// [`new_object`] returned, and the class's ops (see [`class_ops!`]) must be those of
/// `Self`, so that the port's `close` and `drop` reach a `Self`.
pub(crate) unsafe trait Private: Sync + Sized {
    /// The class whose objects hold a `Self`.
    const CLASS: Class;

    /// Wakes every thread waiting on the object, which then returns "closed": the object
    /// was closed or released. Never sleeps.
    fn on_close(&self);

    /// Writes the object's state for the debugfs view ("done", "count 3", ...). Never
    /// sleeps.
    fn describe(&self, out: &mut dyn core::fmt::Write) -> core::fmt::Result;

    /// The object's kernel wait queue heads (null: none), for the debugfs view.
    fn wait_heads(&self) -> [*mut c_void; 2];
}

/// The ops of a class, as the port's header describes them.
#[repr(transparent)]
pub(crate) struct Ops(pub(crate) bindings::luasync_ops);

// SAFETY: the ops are written once, at compile time; their pointers are to static tables
// and functions, which any thread may read and call.
unsafe impl Sync for Ops {}

/// The port's `close` of a class.
///
/// # Safety
///
/// `private` must point to an initialised `T` that lives across the call.
pub(crate) unsafe extern "C" fn close<T: Private>(private: *mut c_void) {
    // SAFETY: the port passes the private data of an object of `T::CLASS`, a live `T`
    // (`Private`'s contract); it is only shared.
    unsafe { &*private.cast::<T>() }.on_close();
}

/// The port's `drop` of a class.
///
/// # Safety
///
/// `private` must point to an initialised `T` that nothing uses any more and that is
/// never used again.
pub(crate) unsafe extern "C" fn drop<T: Private>(private: *mut c_void) {
    // SAFETY: the port calls this once, when the last reference to the private data, an
    // initialised `T` (`Private`'s contract), is gone.
    unsafe { core::ptr::drop_in_place(private.cast::<T>()) }
}

/// The port's `describe` of a class: the state as one NUL-terminated line in `buf`.
///
/// # Safety
///
/// `private` must point to an initialised `T` that lives across the call; `buf` must be
/// valid for writes of `size` bytes.
pub(crate) unsafe extern "C" fn describe<T: Private>(
    private: *mut c_void,
    buf: *mut c_char,
    size: usize,
) {
    if buf.is_null() || size == 0 {
        return;
    }
    // SAFETY: the caller guarantees `buf` holds `size` writable bytes.
    let out = unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), size) };
    let mut line = Line { out, len: 0 };
    // SAFETY: the port passes the private data of a live object of `T::CLASS`.
    let _ = unsafe { &*private.cast::<T>() }.describe(&mut line);
    line.finish();
}

/// The port's `heads` of a class.
///
/// # Safety
///
/// As [`describe`]; `heads` must be valid for writes of two pointers.
pub(crate) unsafe extern "C" fn heads<T: Private>(private: *mut c_void, heads: *mut *mut c_void) {
    // SAFETY: the port passes the private data of a live object of `T::CLASS`, and room
    // for two pointers.
    unsafe {
        let found = (*private.cast::<T>()).wait_heads();
        heads.write(found[0]);
        heads.add(1).write(found[1]);
    }
}

/// A line written into a C buffer, cut where it is full, always NUL-terminated.
struct Line<'a> {
    out: &'a mut [u8],
    len: usize,
}

impl Line<'_> {
    fn finish(&mut self) {
        let end = self.len.min(self.out.len().saturating_sub(1));
        if let Some(nul) = self.out.get_mut(end) {
            *nul = 0;
        }
    }
}

impl core::fmt::Write for Line<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for &b in s.as_bytes() {
            // One byte stays for the NUL.
            if self.len + 1 >= self.out.len() {
                break;
            }
            if let Some(slot) = self.out.get_mut(self.len) {
                *slot = b;
                self.len += 1;
            }
        }
        Ok(())
    }
}

/// Defines `luasync_<class>_ops`, the class description the port reads: its library
/// table, its methods, and the size, `close` and `drop` of its private type; or, for a
/// library that is one function and has no objects, that function.
macro_rules! class_ops {
    ($name:ident, fn $call:path) => {
        #[export_name = concat!("luasync_", stringify!($name), "_ops")]
        static OPS: $crate::port::Ops = $crate::port::Ops($crate::port::bindings::luasync_ops {
            lib: core::ptr::null(),
            call: Some($call),
            methods: core::ptr::null(),
            size: 0,
            close: None,
            drop: None,
            describe: None,
            heads: None,
        });
    };
    ($name:ident, $private:ty, $lib:expr, $methods:expr) => {
        #[export_name = concat!("luasync_", stringify!($name), "_ops")]
        static OPS: $crate::port::Ops = $crate::port::Ops($crate::port::bindings::luasync_ops {
            lib: $lib.as_ptr(),
            call: None,
            methods: $methods.as_ptr(),
            size: core::mem::size_of::<$private>(),
            close: Some($crate::port::close::<$private>),
            // None: nothing to drop; the port frees the block without calling back.
            drop: if core::mem::needs_drop::<$private>() {
                Some($crate::port::drop::<$private>)
            } else {
                None
            },
            describe: Some($crate::port::describe::<$private>),
            heads: Some($crate::port::heads::<$private>),
        });
        const _: () = assert!(core::mem::align_of::<$private>() <= $crate::port::PRIVATE_ALIGN);
    };
}
pub(crate) use class_ops;

/// Creates an object of `T::CLASS` and pushes it; `init` initialises its private data in
/// place: uninitialised memory for a `T`, aligned for it, that never moves (the port frees
/// it only after dropping the value in place). No lookup finds the object before `init` returned.
/// The object keeps the module loaded until it is dropped.
///
/// Raises on failure (memory, or a runtime that cannot hold this class), before `init` is
/// called: call it owning nothing with a destructor. `init` itself is owned here while the
/// port may raise, so what it captures may have none either, which the compiler checks.
pub(crate) fn new_object<T: Private>(state: &mut State, init: impl FnOnce(NonNull<T>)) {
    no_destructor(&init);
    // SAFETY: `state` is the state of the running call.
    let private = unsafe { bindings::luasync_port_newobject(state.as_ptr(), T::CLASS) };
    // The port raises rather than returning null for one of its own classes.
    let Some(slot) = NonNull::new(private) else {
        return;
    };
    init(slot.cast());
    // SAFETY: `private` came from `luasync_port_newobject` and `init` initialised it.
    unsafe { bindings::luasync_port_publish(private) };
}

/// A compile-time check that a `V` has no destructor: a Lua error raised while a `V` is
/// alive leaves its frame without dropping it (see [`crate::lua::trampoline`]).
struct NoDestructor<V>(PhantomData<V>);

impl<V> NoDestructor<V> {
    const CHECKED: () = assert!(
        !core::mem::needs_drop::<V>(),
        "owned across a call that may raise"
    );
}

/// Fails to compile for a `V` with a destructor (see [`NoDestructor`]).
fn no_destructor<V>(_: &V) {
    let () = NoDestructor::<V>::CHECKED;
}

/// Why the value at an index is not a live object of the class asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Missing {
    /// An object of that class, closed.
    Closed,
    /// An object of that class, released by its `__gc`.
    Released,
    /// Anything else.
    Other,
}

/// A counted reference to the private data of an object of `T::CLASS`: it stays valid
/// memory until the reference is dropped, whatever happens to the object meanwhile (closed,
/// collected, in any runtime).
///
/// It has a destructor: hold it only in an inner function of the trampoline (see
/// [`crate::lua::trampoline`]), across no call that may raise.
pub(crate) struct Ref<T: Private> {
    private: NonNull<T>,
    _owns: PhantomData<T>,
}

impl<T: Private> Deref for Ref<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the port gave this reference on an initialised `T` (`Private`'s
        // contract), which stays alive until the reference is dropped; `T: Sync` is only
        // shared.
        unsafe { self.private.as_ref() }
    }
}

impl<T: Private> Drop for Ref<T> {
    fn drop(&mut self) {
        // SAFETY: the pointer came from `luasync_port_get` and this is its only put.
        unsafe { bindings::luasync_port_put(self.private.as_ptr().cast()) }
    }
}

impl<T: Private> Ref<T> {
    /// Drops the reference and counts a blocking call of `T::CLASS` that ended with
    /// `outcome` (see [`waited`]), in one call into the port.
    pub(crate) fn put_waited(self, outcome: Outcome) {
        let private = self.private;
        core::mem::forget(self);
        // SAFETY: the pointer came from `luasync_port_get` (or a peek held since), and the
        // reference, forgotten above, is given back here only.
        unsafe { bindings::luasync_port_putwaited(private.as_ptr().cast(), T::CLASS, outcome) }
    }

    /// The reference as a raw handle without a destructor, to cross a call into Lua in a
    /// frame that must own nothing with one (see [`crate::lua::trampoline`]).
    pub(crate) fn into_raw(self) -> RawRef<T> {
        let raw = RawRef {
            private: self.private,
        };
        core::mem::forget(self);
        raw
    }
}

/// A counted reference from [`Ref::into_raw`]: no destructor, so it must be turned back
/// into a [`Ref`] exactly once.
pub(crate) struct RawRef<T: Private> {
    private: NonNull<T>,
}

impl<T: Private> Clone for RawRef<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Private> Copy for RawRef<T> {}

impl<T: Private> RawRef<T> {
    /// The counted reference again.
    ///
    /// # Safety
    ///
    /// Called once per reference given by [`Ref::into_raw`] (copies of it included).
    pub(crate) unsafe fn into_ref(self) -> Ref<T> {
        Ref {
            private: self.private,
            _owns: PhantomData,
        }
    }
}

/// A counted reference to the value at `idx` if it is a live object of `T::CLASS`. Never
/// raises.
pub(crate) fn get<T: Private>(state: &State, idx: c_int) -> Result<Ref<T>, Missing> {
    // SAFETY: `state` is the state of the running call; the port checks the value without
    // raising.
    let private = unsafe { bindings::luasync_port_get(state.as_ptr(), idx, T::CLASS) };
    match NonNull::new(private.cast::<T>()) {
        Some(private) => Ok(Ref {
            private,
            _owns: PhantomData,
        }),
        None => Err(missing(state, idx, T::CLASS)),
    }
}

/// A look at the private data of a live object without a reference, for a call that
/// neither sleeps nor calls into Lua while it looks: it borrows the state, so nothing that
/// takes the state as `&mut` (a call that can raise or run Lua code) can happen meanwhile,
/// and it cannot leave the thread. Cheaper than [`Ref`]: no count is taken or dropped.
pub(crate) struct Peek<'a, T: Private> {
    private: NonNull<T>,
    _state: PhantomData<&'a State>,
    /// The RCU read-side section belongs to this thread.
    _not_send: PhantomData<*mut ()>,
}

impl<T: Private> Deref for Peek<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the port found an initialised `T` (`Private`'s contract), whose value is
        // not dropped before the peek ends; `T: Sync` is only shared.
        unsafe { self.private.as_ref() }
    }
}

impl<T: Private> Drop for Peek<'_, T> {
    fn drop(&mut self) {
        // SAFETY: the pointer came from `luasync_port_peek`, and this ends that peek once.
        unsafe { bindings::luasync_port_unpeek(self.private.as_ptr().cast()) }
    }
}

impl<T: Private> Peek<'_, T> {
    /// Ends the peek with a counted reference on the same value, for a call that found it
    /// must sleep after all; [`Missing::Closed`] if the object's last reference went since
    /// the peek. Never raises.
    pub(crate) fn hold(self) -> Result<Ref<T>, Missing> {
        let private = self.private;
        // The port ends the peek below: the drop must not end it again.
        core::mem::forget(self);
        // SAFETY: `private` came from `luasync_port_peek`, whose peek is still on (it was
        // not dropped) and is ended here once.
        if unsafe { bindings::luasync_port_hold(private.as_ptr().cast()) } {
            Ok(Ref {
                private,
                _owns: PhantomData,
            })
        } else {
            Err(Missing::Closed)
        }
    }
}

/// A peek at the value at `idx` if it is a live object of `T::CLASS`. Never raises.
pub(crate) fn peek<T: Private>(state: &State, idx: c_int) -> Result<Peek<'_, T>, Missing> {
    // SAFETY: as in `get`.
    let private = unsafe { bindings::luasync_port_peek(state.as_ptr(), idx, T::CLASS) };
    match NonNull::new(private.cast::<T>()) {
        Some(private) => Ok(Peek {
            private,
            _state: PhantomData,
            _not_send: PhantomData,
        }),
        None => Err(missing(state, idx, T::CLASS)),
    }
}

/// Why the port just found no live object of `class` at `idx`: asked only then, so that
/// the lookups that succeed do not pay for the answer.
#[inline(never)]
#[cold]
fn missing(state: &State, idx: c_int, class: Class) -> Missing {
    // SAFETY: `state` is the state of the running call; the port looks at the value
    // without raising.
    match unsafe { bindings::luasync_port_missing(state.as_ptr(), idx, class) } {
        Found::LUASYNC_CLOSED => Missing::Closed,
        Found::LUASYNC_RELEASED => Missing::Released,
        _ => Missing::Other,
    }
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

/// Counts a blocking call of `class` that ended with `outcome`. Never sleeps.
pub(crate) fn waited(class: Class, outcome: Outcome) {
    // SAFETY: plain counting in the port's statistics.
    unsafe { bindings::luasync_port_waited(class, outcome) }
}

/// The name of a class, as scripts see it.
pub(crate) fn class_name(class: Class) -> &'static [u8] {
    // SAFETY: plain lookup in the port's static class table.
    let name = unsafe { bindings::luasync_port_classname(class) };
    // SAFETY: the port returns the static name of the class.
    unsafe { name_bytes(name) }
}

/// What the value at `idx` is, for error messages: the class name of a Lunatik object,
/// else the Lua type name ("no value" for an absent argument). Never raises.
pub(crate) fn type_name(state: &State, idx: c_int) -> &[u8] {
    // SAFETY: `state` is the state of the running call.
    let name = unsafe { bindings::luasync_port_typename(state.as_ptr(), idx) };
    // SAFETY: the port returns a static string or the name of the class of the value at
    // `idx`, which lives at least as long as that value, so as long as `state` is borrowed.
    unsafe { name_bytes(name) }
}

/// Whether the calling runtime may sleep (a process-context runtime). Never raises.
pub(crate) fn can_sleep(state: &State) -> bool {
    // SAFETY: `state` is the state of the running call.
    unsafe { bindings::luasync_port_cansleep(state.as_ptr()) }
}

/// The number of the calling runtime (the same for every coroutine of one runtime), or
/// `None` if the state belongs to no runtime. Never raises.
pub(crate) fn owner(state: &State) -> Option<NonZeroUsize> {
    // SAFETY: `state` is the state of the running call.
    NonZeroUsize::new(unsafe { bindings::luasync_port_owner(state.as_ptr()) })
}

/// The context of the calling runtime: "process", "softirq" or "hardirq". Never raises.
pub(crate) fn context(state: &State) -> &'static [u8] {
    // SAFETY: `state` is the state of the running call.
    let name = unsafe { bindings::luasync_port_context(state.as_ptr()) };
    // SAFETY: the port returns one of its static context names.
    unsafe { name_bytes(name) }
}

/// Bytes left on the current kernel stack below the caller's frame.
pub(crate) fn stack_left() -> usize {
    // SAFETY: reads the stack pointer and the current task; no preconditions.
    unsafe { bindings::luasync_port_stackleft() }
}

/// The size of a task's kernel stack.
pub(crate) fn stack_size() -> usize {
    // SAFETY: returns a constant; no preconditions.
    unsafe { bindings::luasync_port_stacksize() }
}

/// A reference on a Lunatik object of any class, carried in a message from one runtime to
/// another (see [`ObjRef::get`]); dropping it drops the reference, later when the context
/// may not sleep.
pub(crate) struct ObjRef(NonNull<c_void>);

// SAFETY: Lunatik objects are counted and shared between runtimes on any thread by design
// (`lunatik._ENV` carries them); the port drops the reference in a context where that is
// allowed.
unsafe impl Send for ObjRef {}

impl ObjRef {
    /// A reference on the Lunatik object at `idx`, or why there is none ("not a Lunatik
    /// object", "a SINGLE object cannot be shared", "not enough memory"). Never raises.
    pub(crate) fn get(state: &State, idx: c_int) -> Result<Self, &'static [u8]> {
        let mut why: *const c_char = core::ptr::null();
        // SAFETY: `state` is the state of the running call; `why` is a valid place.
        let handle = unsafe { bindings::luasync_port_objget(state.as_ptr(), idx, &mut why) };
        match NonNull::new(handle) {
            Some(handle) => Ok(Self(handle)),
            // SAFETY: the port sets `why` to one of its static messages when it fails.
            None => Err(unsafe { name_bytes(why) }),
        }
    }

    /// Pushes the object into the state of `l`, with a reference of its own. May raise:
    /// only from a protected call.
    ///
    /// # Safety
    ///
    /// `l` must be the state of a running C function called in protected mode.
    pub(crate) unsafe fn push(&self, l: *mut crate::lua::ffi::lua_State) {
        // SAFETY: as the caller guarantees; the reference keeps the object alive.
        unsafe { bindings::luasync_port_objpush(l, self.0.as_ptr()) }
    }
}

impl Drop for ObjRef {
    fn drop(&mut self) {
        // SAFETY: the reference came from `luasync_port_objget` and is dropped once.
        unsafe { bindings::luasync_port_objput(self.0.as_ptr()) }
    }
}

/// Lunatik's generic close of the object at index 1, as a Lua function for the methods
/// tables (`close`, `__close`).
pub(crate) const CLOSE: crate::lua::ffi::lua_CFunction = Some(bindings::luasync_port_close);
