// SPDX-License-Identifier: GPL-2.0

//! Medians and the integer arithmetic of the table.

use core::fmt;

/// The median of `samples` (the upper of the two middle values for an even count), or
/// `None` when there are none: the value with as many samples below it as the middle
/// position of the sorted samples.
pub(crate) fn median(samples: &[u64]) -> Option<u64> {
    let mid = samples.len() / 2;
    samples.iter().copied().find(|&x| {
        let below = samples.iter().filter(|&&y| y < x).count();
        let at_most = samples.iter().filter(|&&y| y <= x).count();
        below <= mid && mid < at_most
    })
}

/// Nanoseconds per operation in tenths: `total` nanoseconds for `n` operations.
pub(crate) fn per_op(total: Option<u64>, n: u32) -> Cell {
    let tenths = total
        .and_then(|t| t.checked_mul(10))
        .and_then(|t| t.checked_div(u64::from(n)));
    Cell {
        value: tenths,
        decimals: 1,
    }
}

/// `luasync / kernel` in hundredths, rounded to nearest.
pub(crate) fn ratio(luasync: Option<u64>, kernel: Option<u64>) -> Cell {
    let hundredths = match (luasync, kernel) {
        (Some(l), Some(k)) => l
            .checked_mul(100)
            .and_then(|l| l.checked_add(k / 2))
            .and_then(|l| l.checked_div(k)),
        _ => None,
    };
    Cell {
        value: hundredths,
        decimals: 2,
    }
}

/// A fixed-point number of the table, or `-` when it could not be measured. Right-
/// aligned in the width asked for.
pub(crate) struct Cell {
    /// The number times 10^`decimals`.
    value: Option<u64>,
    decimals: u32,
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = f.width().unwrap_or(0);
        let Some(value) = self.value else {
            return write!(f, "{:>width$}", "-", width = width);
        };
        let scale = 10u64.pow(self.decimals);
        let decimals = self.decimals as usize;
        write!(
            f,
            "{:>width$}.{:0decimals$}",
            value / scale,
            value % scale,
            width = width.saturating_sub(decimals.saturating_add(1)),
            decimals = decimals,
        )
    }
}
