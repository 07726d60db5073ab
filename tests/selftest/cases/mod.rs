// SPDX-License-Identifier: GPL-2.0

//! The cases, one file per subject, and what they share.

use core::num::NonZeroUsize;
use kernel::{prelude::*, sync::Arc};

use crate::ktap::Case;
use crate::sync::{Channel, Completion, Condition, Mutex, Owner, Rwsem, Semaphore};

mod channel;
mod completion;
mod condition;
mod deadlock;
mod in_place;
mod mutex;
mod mutex_threads;
mod pingpong;
mod rwsem;
mod semaphore;
mod signal;
mod stop;
mod timeout;
mod waitany;
mod wakeup;

/// The timeout of a wait that the case expects to be woken: if the wake-up were lost,
/// the wait would end with `Timeout` after this long instead of hanging.
pub(crate) const WAKE_MS: u64 = 10_000;

/// How long a case waits for a thread that should finish at once (it was woken, or its
/// timeout is short). Shorter than [`WAKE_MS`], so a lost wake-up fails the case here.
pub(crate) const JOIN_MS: u32 = 5_000;

/// How long a case waits to see a thread asleep in the wait it is about to disturb.
pub(crate) const SLEEP_MS: u32 = 5_000;

/// The `n`-th owner token of a case (distinct for distinct `n`).
pub(crate) fn owner(n: usize) -> Owner {
    Owner::new(NonZeroUsize::MIN.saturating_add(n))
}

/// A new completion, not done.
pub(crate) fn completion() -> Result<Arc<Completion>> {
    Arc::pin_init(Completion::new(), GFP_KERNEL)
}

/// A new unlocked mutex.
pub(crate) fn mutex(recursive: bool) -> Result<Arc<Mutex>> {
    Arc::pin_init(Mutex::new(recursive), GFP_KERNEL)
}

/// A new condition nobody waits on.
pub(crate) fn condition() -> Result<Arc<Condition>> {
    Arc::pin_init(Condition::new(), GFP_KERNEL)
}

/// A new rwsem nobody holds.
pub(crate) fn rwsem() -> Result<Arc<Rwsem>> {
    Arc::pin_init(Rwsem::new(), GFP_KERNEL)
}

/// A new semaphore holding `count`.
pub(crate) fn semaphore(count: u32) -> Result<Arc<Semaphore>> {
    Arc::pin_init(Semaphore::new(count), GFP_KERNEL)
}

/// A new empty channel of integers holding at most `capacity`.
pub(crate) fn channel(capacity: u32) -> Result<Arc<Channel<u32>>> {
    Arc::pin_init(Channel::new(capacity), GFP_KERNEL)
}

macro_rules! cases {
    ($($module:ident::$case:ident),* $(,)?) => {
        &[$(Case { name: stringify!($case), run: $module::$case }),*]
    };
}

/// Every case, in the order they run.
pub(crate) const CASES: &[Case] = cases![
    timeout::timeout_from_millis,
    timeout::timeout_zero_polls_without_sleeping,
    timeout::timeout_10ms_not_early,
    timeout::timeout_50ms_not_early,
    timeout::timeout_100ms_not_early,
    timeout::timeout_mutex_lock_not_early,
    timeout::timeout_semaphore_down_not_early,
    timeout::timeout_huge_does_not_wrap,
    completion::completion_complete_before_wait,
    completion::completion_wait_before_complete,
    completion::completion_counted,
    completion::completion_complete_all_releases_8_threads,
    completion::completion_reinit,
    completion::completion_try_wait_and_done,
    completion::completion_counted_across_threads,
    signal::signal_interrupts_completion_wait,
    signal::signal_interrupts_mutex_lock,
    signal::signal_interrupts_semaphore_down,
    stop::kthread_stop_ends_completion_wait,
    stop::kthread_stop_ends_mutex_lock,
    stop::kthread_stop_ends_semaphore_down,
    mutex::mutex_try_lock,
    mutex::mutex_unlock_refused,
    mutex::mutex_relock_is_deadlock,
    mutex::mutex_recursive_counts_depth,
    mutex_threads::mutex_counter_4_threads_100000,
    mutex_threads::mutex_relock_infinite_is_deadlock,
    mutex_threads::mutex_timed_lock_times_out,
    mutex_threads::mutex_handoff_after_timeout,
    mutex_threads::mutex_recursive_waiter_after_last_unlock,
    mutex_threads::mutex_owner_crosses_kthreads,
    semaphore::semaphore_try_down,
    semaphore::semaphore_up_errors,
    semaphore::semaphore_bound_under_contention,
    semaphore::semaphore_interrupted_waiter_keeps_count,
    semaphore::semaphore_up3_wakes_3_of_5,
    semaphore::semaphore_up_beyond_waiters_keeps_count,
    wakeup::wakeup_completion_not_swallowed_by_signal,
    wakeup::wakeup_mutex_not_swallowed_by_signal,
    wakeup::wakeup_semaphore_not_swallowed_by_signal,
    wakeup::wakeup_completion_not_swallowed_by_timeout,
    wakeup::wakeup_mutex_not_swallowed_by_timeout,
    wakeup::wakeup_semaphore_not_swallowed_by_timeout,
    pingpong::pingpong_completion_100000,
    pingpong::pingpong_completion_across_cpus,
    pingpong::pingpong_semaphore_100000,
    pingpong::pingpong_semaphore_across_cpus,
    in_place::in_place_completion,
    in_place::in_place_mutex,
    in_place::in_place_semaphore,
    channel::channel_order_and_capacity,
    channel::channel_receiver_woken_by_send,
    channel::channel_sender_woken_by_receive,
    channel::channel_close_wakes_and_keeps_messages,
    channel::channel_stop_ends_receive,
    channel::channel_4_senders_4_receivers_100000,
    waitany::wait_any_takes_the_first_ready_only,
    waitany::wait_any_woken_by_any_source,
    waitany::wait_any_passes_a_wakeup_on,
    waitany::wait_any_closed_and_timeout,
    waitany::wait_any_stop_interrupts,
    condition::condition_signal_after_release_not_lost,
    condition::condition_signal_one_broadcast_all,
    condition::condition_timeout_holds_mutex_again,
    condition::condition_recursive_depth_restored,
    condition::condition_stop_returns_without_mutex,
    condition::condition_relock_interrupted,
    condition::condition_close_wakes_waiters,
    condition::condition_mutex_close_races_the_sleep,
    condition::condition_signal_not_kept_and_refusals,
    condition::condition_pingpong_10000,
    rwsem::rwsem_readers_share_writer_excludes,
    rwsem::rwsem_refusals_and_nesting,
    rwsem::rwsem_waiting_writer_blocks_new_readers,
    rwsem::rwsem_waiting_readers_before_next_writer,
    rwsem::rwsem_stopped_writer_lets_readers_in,
    rwsem::rwsem_writer_not_starved_by_4_readers,
    rwsem::rwsem_100_reader_owners,
    deadlock::deadlock_abba_two_threads,
    deadlock::deadlock_three_owners,
    deadlock::deadlock_bound_of_the_walk,
    deadlock::deadlock_through_rwsem_write,
    deadlock::deadlock_none_in_ordered_stress,
];
