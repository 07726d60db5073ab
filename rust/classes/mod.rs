// SPDX-License-Identifier: GPL-2.0

//! The Lua classes `completion`, `mutex` and `semaphore`, one file each, over
//! [`crate::sync`], [`crate::lua`] and [`crate::port`] only (this code is also built in
//! userspace by the test harness).
//!
//! Each class file provides, under the symbol names the port expects: `luaopen_<class>`,
//! the method table `luasync_<class>_methods` and the release function
//! `luasync_<class>_release`.

mod args;
pub(crate) mod completion;
pub(crate) mod mutex;
pub(crate) mod semaphore;
mod wait;

use core::ffi::c_void;

use crate::port::Private;

/// Drops the Rust value of a released object in place; its memory belongs to Lunatik.
///
/// # Safety
///
/// `private` must be the private data of an object of `T::CLASS`, holding an initialised
/// `T` that nothing can reach any more (the object's last reference is gone).
unsafe fn release<T: Private>(private: *mut c_void) {
    // SAFETY: the caller guarantees `private` holds an initialised `T` that is no longer
    // reachable, so it can be dropped, and it is never used again.
    unsafe { core::ptr::drop_in_place(private.cast::<T>()) }
}
