// SPDX-License-Identifier: GPL-2.0

//! The luasync bench: `luasync_bench.ko`.
//!
//! Loading the module times each operation of `rust/sync/` and the same operation of the
//! kernel's own primitive (`struct mutex`, `struct completion`, `struct semaphore`), side
//! by side: several rounds, each timing every operation on both sides in alternating
//! order, then the median of the rounds. It prints one table row per operation with
//! `pr_info`: nanoseconds per operation on each side and their ratio. It is a
//! measurement, not a test: nothing in it passes or fails.

use kernel::prelude::*;

/// The primitives being measured (public so that their whole API is reachable, as in
/// `luasync.ko`).
#[path = "../../rust/sync/mod.rs"]
pub mod sync;

#[path = "../selftest/kthread.rs"]
mod kthread;

mod baseline;
mod luasync;
mod ops;
mod stats;

use ops::Op;

module! {
    type: Bench,
    name: "luasync_bench",
    author: "luasync authors",
    description: "luasync's synchronisation primitives against the kernel's own",
    license: "GPL",
}

/// Rounds per operation; the table shows their medians.
const ROUNDS: usize = 7;

/// The loaded bench; the table has already been printed.
struct Bench;

impl kernel::Module for Bench {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let subjects = luasync::Subjects::new()?;
        let mut luasync_ns = [[None; ROUNDS]; Op::ALL.len()];
        let mut kernel_ns = [[None; ROUNDS]; Op::ALL.len()];
        for round in 0..ROUNDS {
            for (i, op) in Op::ALL.iter().enumerate() {
                // Alternate which side goes first, so neither always runs warm.
                let (l, k) = if round % 2 == 0 {
                    let l = op.luasync(&subjects);
                    (l, op.kernel())
                } else {
                    let k = op.kernel();
                    (op.luasync(&subjects), k)
                };
                if let (Some(ls), Some(ks)) = (luasync_ns.get_mut(i), kernel_ns.get_mut(i)) {
                    if let (Some(lr), Some(kr)) = (ls.get_mut(round), ks.get_mut(round)) {
                        (*lr, *kr) = (l, k);
                    }
                }
            }
        }
        pr_info!(
            "luasync bench: ns per operation, median of {} rounds\n",
            ROUNDS
        );
        pr_info!(
            "{:<20} {:>10} {:>10} {:>6}\n",
            "op",
            "luasync_ns",
            "kernel_ns",
            "ratio"
        );
        for (op, (l, k)) in Op::ALL.iter().zip(luasync_ns.iter().zip(kernel_ns.iter())) {
            let l = median_of(l);
            let k = median_of(k);
            pr_info!(
                "{:<20} {:>10} {:>10} {:>6}\n",
                op.name(),
                stats::per_op(l, op.count()),
                stats::per_op(k, op.count()),
                stats::ratio(l, k)
            );
        }
        Ok(Bench)
    }
}

/// The median of a row's rounds; `None` if any round failed.
fn median_of(samples: &[Option<u64>; ROUNDS]) -> Option<u64> {
    let mut values = [0u64; ROUNDS];
    for (v, s) in values.iter_mut().zip(samples.iter()) {
        *v = (*s)?;
    }
    stats::median(&values)
}
