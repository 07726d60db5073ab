// SPDX-License-Identifier: GPL-2.0

//! The kernel self-test of `rust/sync/`: `luasync_selftest.ko`.
//!
//! Loading the module runs every case, in order, from the loading task and from kernel
//! threads the cases start, and prints the results as KTAP with `pr_info`. Loading
//! succeeds even when cases fail (the report says which); every thread a case starts
//! has exited before the case ends, so unloading has nothing to clean up.

use kernel::prelude::*;

/// The primitives under test (public so that their whole API is reachable, as in
/// `luasync.ko`).
#[path = "../../rust/sync/mod.rs"]
pub mod sync;

mod cases;
mod ktap;
mod kthread;
mod observe;
mod verdict;

module! {
    type: SelfTest,
    name: "luasync_selftest",
    author: "luasync authors",
    description: "Self-test of luasync's kernel synchronisation primitives",
    license: "GPL",
}

/// The loaded self-test; the cases have already run.
struct SelfTest;

impl kernel::Module for SelfTest {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        ktap::run(cases::CASES);
        Ok(SelfTest)
    }
}
