// SPDX-License-Identifier: GPL-2.0

//! The luasync bench: `luasync_bench.ko`.
//!
//! Loading the module times each operation of `rust/sync/` and the same operation of the
//! kernel's own primitive (`struct mutex`, `struct completion`, `struct semaphore`), side
//! by side: several rounds, each timing every operation on both sides in alternating
//! order, then the median of the rounds. It prints two tables with `pr_info`, one row per
//! operation, nanoseconds per operation on each side and their ratio: the operations
//! ([`ops`]), then how their cost grows with the work ([`scale`]: contending threads,
//! waiters released at once, live objects). A third table gives what deadlock detection
//! costs a waiter ([`detection`]), which the kernel's primitives do not do. It is a
//! measurement, not a test: nothing in it passes or fails.

use kernel::prelude::*;

/// The primitives being measured (public so that their whole API is reachable, as in
/// `luasync.ko`).
#[path = "../../rust/sync/mod.rs"]
pub mod sync;

#[path = "../selftest/kthread.rs"]
mod kthread;

mod baseline;
mod condition_pingpong;
mod detection;
mod luasync;
mod luasync_scale;
mod ops;
mod scale;
mod stats;

use ops::Op;
use scale::Scale;

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
        let ops = medians(&Op::ALL, |op| op.luasync(&subjects), |op| op.kernel());
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
        for (op, (l, k)) in Op::ALL.iter().zip(ops.iter()) {
            pr_info!(
                "{:<20} {:>10} {:>10} {:>6}\n",
                op.name(),
                stats::per_op(*l, op.count()),
                stats::per_op(*k, op.count()),
                stats::ratio(*l, *k)
            );
        }

        let rows = medians(&Scale::ALL, Scale::luasync, Scale::kernel);
        pr_info!(
            "luasync bench: how the cost grows, ns per op (completeall: all released), median of {} rounds\n",
            ROUNDS
        );
        pr_info!(
            "{:<26} {:>7} {:>10} {:>10} {:>6}\n",
            "row",
            "work",
            "rust_ns",
            "kernel_ns",
            "ratio"
        );
        for (row, (l, k)) in Scale::ALL.iter().zip(rows.iter()) {
            pr_info!(
                "{:<26} {:>7} {:>10} {:>10} {:>6}\n",
                row.name(),
                row.work(),
                stats::per_op(*l, row.count()),
                stats::per_op(*k, row.count()),
                stats::ratio(*l, *k)
            );
        }
        detection_table(&ops);
        Ok(Bench)
    }
}

/// Prints what deadlock detection costs a waiter before it sleeps, by length of the chain
/// it walks, beside the least a contended lock pays anyway: one sleep and one wake-up,
/// half of this boot's same-CPU completion round trip (`ops`, in [`Op::ALL`]'s order).
fn detection_table(ops: &[(Option<u64>, Option<u64>); Op::ALL.len()]) {
    let handover = Op::ALL
        .iter()
        .zip(ops.iter())
        .find(|(op, _)| matches!(op, Op::PingPong(ops::Placement::SameCpu)))
        .and_then(|(op, (l, _))| l.map(|ns| ns / u64::from(op.count()).saturating_mul(2)));
    pr_info!(
        "luasync bench: deadlock detection, ns per wait before its sleep, median of {} rounds\n",
        ROUNDS
    );
    pr_info!(
        "{:<20} {:>10} {:>12} {:>6}\n",
        "holders_in_chain",
        "detect_ns",
        "handover_ns",
        "share"
    );
    let mut samples = [[None; ROUNDS]; detection::CHAINS.len()];
    for round in 0..ROUNDS {
        for (row, &links) in samples.iter_mut().zip(detection::CHAINS.iter()) {
            if let Some(slot) = row.get_mut(round) {
                *slot = detection::walks(links);
            }
        }
    }
    let handovers = handover.and_then(|ns| ns.checked_mul(u64::from(detection::WALKS)));
    for (links, row) in detection::CHAINS.iter().zip(samples.iter()) {
        let ns = median_of(row);
        pr_info!(
            "{:<20} {:>10} {:>12} {:>6}\n",
            links,
            stats::per_op(ns, detection::WALKS),
            stats::per_op(handover, 1),
            stats::ratio(ns, handovers)
        );
    }
}

/// Times every row on both sides, [`ROUNDS`] times, alternating which side goes first
/// so that neither always runs warm; the medians of each row (`None` if any round
/// failed), `rust/sync/` first.
fn medians<T: Copy, const N: usize>(
    rows: &[T; N],
    luasync: impl Fn(T) -> Option<u64>,
    kernel: impl Fn(T) -> Option<u64>,
) -> [(Option<u64>, Option<u64>); N] {
    let mut luasync_ns = [[None; ROUNDS]; N];
    let mut kernel_ns = [[None; ROUNDS]; N];
    for round in 0..ROUNDS {
        for (i, row) in rows.iter().enumerate() {
            let (l, k) = if round % 2 == 0 {
                let l = luasync(*row);
                (l, kernel(*row))
            } else {
                let k = kernel(*row);
                (luasync(*row), k)
            };
            if let (Some(ls), Some(ks)) = (luasync_ns.get_mut(i), kernel_ns.get_mut(i)) {
                if let (Some(lr), Some(kr)) = (ls.get_mut(round), ks.get_mut(round)) {
                    (*lr, *kr) = (l, k);
                }
            }
        }
    }
    let mut out = [(None, None); N];
    for (o, (l, k)) in out.iter_mut().zip(luasync_ns.iter().zip(kernel_ns.iter())) {
        *o = (median_of(l), median_of(k));
    }
    out
}

/// The median of a row's rounds; `None` if any round failed.
fn median_of(samples: &[Option<u64>; ROUNDS]) -> Option<u64> {
    let mut values = [0u64; ROUNDS];
    for (v, s) in values.iter_mut().zip(samples.iter()) {
        *v = (*s)?;
    }
    stats::median(&values)
}
