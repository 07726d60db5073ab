// SPDX-License-Identifier: GPL-2.0

//! The operations of the table, each timed on both sides.

use crate::{baseline, condition_pingpong, luasync, luasync::Subjects};

/// Operations per uncontended measurement.
const UNCONTENDED: u32 = 100_000;

/// Round trips per ping-pong measurement on one CPU, and across CPUs (where a round trip
/// costs about 100 µs under QEMU's TCG). Each measurement lasts 50 to 100 ms: shorter
/// ones moved by several percent from one boot to the next with the host's scheduling.
const ROUND_TRIPS_SAME_CPU: u32 = 10_000;
const ROUND_TRIPS_CROSS_CPU: u32 = 1_000;

/// One row of the table.
#[derive(Clone, Copy)]
pub(crate) enum Op {
    /// Uncontended lock + unlock.
    LockUnlock,
    /// Uncontended try_lock + unlock.
    TryLockUnlock,
    /// complete + try_wait, with nobody waiting.
    CompleteTryWait,
    /// Uncontended down + up.
    DownUp,
    /// Uncontended read lock + unlock of an rwsem.
    ReadUnlock,
    /// Uncontended write lock + unlock of an rwsem.
    WriteUnlock,
    /// A round trip between two threads over two completions.
    PingPong(Placement),
    /// A round trip between two threads on one CPU over a condition and its mutex; the
    /// kernel side is its completion ping-pong, the kernel having no condition variable.
    ConditionPingPong,
}

/// Where the two ping-pong threads run.
#[derive(Clone, Copy)]
pub(crate) enum Placement {
    /// Both on CPU 0: every hand-over is a context switch.
    SameCpu,
    /// On CPUs 0 and 1: every hand-over wakes the other CPU.
    CrossCpu,
    /// Wherever the scheduler puts them.
    Unpinned,
}

impl Placement {
    /// The CPUs of the two threads; `None` when this machine lacks them.
    fn cpus(self) -> Option<(Option<u32>, Option<u32>)> {
        let (ping, pong) = match self {
            Placement::SameCpu => (Some(0), Some(0)),
            Placement::CrossCpu => (Some(0), Some(1)),
            Placement::Unpinned => (None, None),
        };
        let online = |cpu: Option<u32>| cpu.map_or(true, baseline::cpu_online);
        (online(ping) && online(pong)).then_some((ping, pong))
    }
}

impl Op {
    /// Every row, in table order.
    pub(crate) const ALL: [Op; 10] = [
        Op::LockUnlock,
        Op::TryLockUnlock,
        Op::CompleteTryWait,
        Op::DownUp,
        Op::ReadUnlock,
        Op::WriteUnlock,
        Op::PingPong(Placement::SameCpu),
        Op::PingPong(Placement::CrossCpu),
        Op::PingPong(Placement::Unpinned),
        Op::ConditionPingPong,
    ];

    /// The row's name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Op::LockUnlock => "lock+unlock",
            Op::TryLockUnlock => "try_lock+unlock",
            Op::CompleteTryWait => "complete+try_wait",
            Op::DownUp => "down+up",
            Op::ReadUnlock => "read+unread",
            Op::WriteUnlock => "write+unwrite",
            Op::PingPong(Placement::SameCpu) => "pingpong_same_cpu",
            Op::PingPong(Placement::CrossCpu) => "pingpong_cross_cpu",
            Op::PingPong(Placement::Unpinned) => "pingpong_unpinned",
            Op::ConditionPingPong => "cond_pingpong_same_cpu",
        }
    }

    /// Operations per measurement.
    pub(crate) fn count(self) -> u32 {
        match self {
            Op::PingPong(Placement::SameCpu) | Op::ConditionPingPong => ROUND_TRIPS_SAME_CPU,
            Op::PingPong(_) => ROUND_TRIPS_CROSS_CPU,
            _ => UNCONTENDED,
        }
    }

    /// Times the operation on `rust/sync/`: nanoseconds for [`Op::count`] operations.
    pub(crate) fn luasync(self, s: &Subjects) -> Option<u64> {
        let n = self.count();
        match self {
            Op::LockUnlock => luasync::lock_unlock(s, n),
            Op::TryLockUnlock => luasync::try_lock_unlock(s, n),
            Op::CompleteTryWait => luasync::complete_try_wait(s, n),
            Op::DownUp => luasync::down_up(s, n),
            Op::ReadUnlock => luasync::read_unlock(s, n),
            Op::WriteUnlock => luasync::write_unlock(s, n),
            Op::PingPong(placement) => {
                let (ping, pong) = placement.cpus()?;
                luasync::pingpong(n, ping, pong)
            }
            Op::ConditionPingPong => {
                let (cpu, _) = Placement::SameCpu.cpus()?;
                condition_pingpong::pingpong(n, cpu)
            }
        }
    }

    /// Times the operation on the kernel's primitive: nanoseconds for [`Op::count`]
    /// operations.
    pub(crate) fn kernel(self) -> Option<u64> {
        let n = self.count();
        match self {
            Op::LockUnlock => baseline::lock_unlock(n),
            Op::TryLockUnlock => baseline::try_lock_unlock(n),
            Op::CompleteTryWait => baseline::complete_try_wait(n),
            Op::DownUp => baseline::down_up(n),
            Op::ReadUnlock => baseline::read_unlock(n),
            Op::WriteUnlock => baseline::write_unlock(n),
            Op::PingPong(placement) => {
                let (ping, pong) = placement.cpus()?;
                baseline::pingpong(n, ping, pong)
            }
            Op::ConditionPingPong => {
                let (ping, pong) = Placement::SameCpu.cpus()?;
                baseline::pingpong(n, ping, pong)
            }
        }
    }
}
