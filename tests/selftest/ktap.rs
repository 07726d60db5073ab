// SPDX-License-Identifier: GPL-2.0

//! KTAP reporting: one result line per case, diagnostics for what failed and what was
//! measured.

use core::fmt;
use kernel::{alloc::AllocError, prelude::*};

/// A case failed; the reason has already been printed as a diagnostic.
pub(crate) struct Failed;

/// What a case returns.
pub(crate) type Outcome = core::result::Result<(), Failed>;

impl Failed {
    /// Prints why a case failed, where, and returns the failure.
    pub(crate) fn at(file: &str, line: u32, why: fmt::Arguments<'_>) -> Self {
        pr_info!("# {}:{}: {}\n", file, line, why);
        Self
    }
}

impl From<Error> for Failed {
    fn from(e: Error) -> Self {
        pr_info!("# kernel error {:?} (allocation or thread creation)\n", e);
        Self
    }
}

impl From<AllocError> for Failed {
    fn from(_: AllocError) -> Self {
        pr_info!("# out of memory\n");
        Self
    }
}

/// Fails the case unless `cond` holds, with a message.
macro_rules! check {
    ($cond:expr, $($why:tt)+) => {
        if !$cond {
            return Err($crate::ktap::Failed::at(file!(), line!(), format_args!($($why)+)));
        }
    };
}
pub(crate) use check;

/// Fails the case unless `left == right`, printing both.
macro_rules! check_eq {
    ($left:expr, $right:expr, $($why:tt)+) => {
        match (&$left, &$right) {
            (left, right) => {
                if left != right {
                    return Err($crate::ktap::Failed::at(
                        file!(),
                        line!(),
                        format_args!("{}: got {:?}, expected {:?}", format_args!($($why)+), left, right),
                    ));
                }
            }
        }
    };
}
pub(crate) use check_eq;

/// Prints a measured value as a KTAP diagnostic.
pub(crate) fn measured(what: fmt::Arguments<'_>) {
    pr_info!("# measured {}\n", what);
}

/// A named case.
pub(crate) struct Case {
    /// The name in the result line (no spaces).
    pub(crate) name: &'static str,
    /// The case; the result line says whether it returned `Ok`.
    pub(crate) run: fn() -> Outcome,
}

/// Runs every case in order and prints the KTAP report; returns how many failed.
pub(crate) fn run(cases: &[Case]) -> usize {
    pr_info!("KTAP version 1\n");
    pr_info!("1..{}\n", cases.len());
    let mut failed = 0usize;
    for (i, case) in cases.iter().enumerate() {
        let n = i.saturating_add(1);
        match (case.run)() {
            Ok(()) => pr_info!("ok {} {}\n", n, case.name),
            Err(Failed) => {
                failed = failed.saturating_add(1);
                pr_info!("not ok {} {}\n", n, case.name);
            }
        }
    }
    pr_info!(
        "# {} passed, {} failed\n",
        cases.len().saturating_sub(failed),
        failed
    );
    failed
}
