// SPDX-License-Identifier: GPL-2.0

//! The Lua classes, one file each, over [`crate::sync`], [`crate::lua`] and [`crate::port`]
//! only (this code is also built in userspace by the test harness).
//!
//! The list of classes is the port's (`rust/port/luasync_port.h`): each entry there has a
//! file here that implements [`Private`](crate::port::Private) for its Rust type and
//! defines `luasync_<class>_ops` with [`class_ops!`](crate::port::class_ops): its library
//! table and its methods. The port makes `luaopen_<class>` from them.

mod args;
pub(crate) mod channel;
pub(crate) mod completion;
pub(crate) mod condition;
mod deadlock;
pub(crate) mod mutex;
pub(crate) mod rwsem;
pub(crate) mod semaphore;
mod value;
mod wait;
pub(crate) mod waitany;
