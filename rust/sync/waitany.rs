// SPDX-License-Identifier: GPL-2.0

//! Waiting on several primitives at once, taking from the first that can give.
//!
//! The waiter puts one exclusive entry on the queue of every source, sets its state, then
//! tries each source in order: the first that gives is taken, and only that one. A waker of
//! any source wakes the waiter, which tries them all again. The queues' waiter counts and
//! the sources' own atomics keep the single wait's rule (see `waitqueue`): an entry is
//! counted in before the sources are tried, so no wake-up falls between a try and the
//! sleep.
//!
//! A wake-up is a token: a waker that changed one source wakes one waiter of its queue.
//! When this waiter leaves a queue without taking from it (it took another source, or gave
//! up), and that source could still give, it passes the wake-up on to the next waiter of
//! that queue, so nothing meant for another is lost.

use super::alloc::{AllocError, Gfp, Vec};
use super::timeout::{self, Deadline};
use super::waitqueue::{self, Queue, Waiter};
use super::{Channel, Completion, Mutex, Owner, Semaphore, Timeout, WaitError};

/// One of the things `wait_any` waits for.
pub enum Source<'a, M> {
    /// One completion, as `Completion::wait` takes it.
    Completion(&'a Completion),
    /// One count, as `Semaphore::down` takes it.
    Semaphore(&'a Semaphore),
    /// The mutex, for this owner, as `Mutex::lock` takes it (a recursive mutex the owner
    /// holds is taken one level deeper; a non-recursive one it holds is never taken).
    Mutex(&'a Mutex, Owner),
    /// One message, as `Channel::receive` takes it, stored in the slot.
    Receive(&'a Channel<M>, &'a mut Option<M>),
}

impl<M: Send> Source<'_, M> {
    fn queue(&self) -> &dyn Queue {
        match self {
            Self::Completion(c) => c.queue(),
            Self::Semaphore(s) => s.queue(),
            Self::Mutex(m, _) => m.queue(),
            Self::Receive(ch, _) => ch.receive_queue(),
        }
    }

    /// Takes what a wait on this source takes, if it can now. Never sleeps.
    fn take(&mut self) -> bool {
        match self {
            Self::Completion(c) => c.try_wait(),
            Self::Semaphore(s) => s.try_down(),
            Self::Mutex(m, owner) => m.try_lock(*owner),
            Self::Receive(ch, slot) => match ch.try_receive() {
                Some(message) => {
                    **slot = Some(message);
                    true
                }
                None => false,
            },
        }
    }

    /// Whether `take` would succeed now, for anyone. Never sleeps.
    fn ready(&self) -> bool {
        match self {
            Self::Completion(c) => c.done(),
            Self::Semaphore(s) => s.count() > 0,
            Self::Mutex(m, _) => !m.is_locked(),
            Self::Receive(ch, _) => ch.count() > 0,
        }
    }
}

/// Why `wait_any` returned without taking anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitAnyError {
    /// Source `i` was closed (a channel: closed and empty).
    Closed(usize),
    /// The wait was interrupted, or the timeout passed.
    Wait(WaitError),
    /// No memory for the entries of the wait.
    NoMemory,
}

impl From<AllocError> for WaitAnyError {
    fn from(_: AllocError) -> Self {
        Self::NoMemory
    }
}

/// The first source that can give, in order, taken; or why none could.
fn try_all<M: Send>(sources: &mut [Source<'_, M>]) -> Option<Result<usize, WaitAnyError>> {
    if let Some(i) = sources.iter_mut().position(Source::take) {
        return Some(Ok(i));
    }
    let closed = sources.iter().position(|s| s.queue().closed())?;
    Some(Err(WaitAnyError::Closed(closed)))
}

/// Waits until one of `sources` gives, and takes from that one only: its index. The order
/// of results is the single wait's: a source that gives (the first in order), a closed
/// source, an interruption, the timeout. A poll (timeout 0) allocates nothing and never
/// sleeps; a wait allocates one entry per source with `GFP_KERNEL`.
pub fn wait_any<M: Send>(
    sources: &mut [Source<'_, M>],
    timeout: Timeout,
) -> Result<usize, WaitAnyError> {
    if let Some(result) = try_all(sources) {
        return result;
    }
    let deadline = timeout.deadline();
    if waitqueue::should_abort() {
        return Err(WaitAnyError::Wait(WaitError::Interrupted));
    }
    if deadline == Deadline::Now {
        return Err(WaitAnyError::Wait(WaitError::Timeout));
    }

    let mut entries: Vec<Waiter> = Vec::new();
    for _ in 0..sources.len() {
        entries.try_push(Waiter::uninit(), Gfp::Kernel)?;
    }
    let entries = entries.as_slice();
    for (source, entry) in sources.iter().zip(entries) {
        // SAFETY: `entries` is not moved or dropped until every entry is dequeued below.
        unsafe { source.queue().enqueue(entry) };
    }

    let result = loop {
        // Set before the tries: a wake-up after them makes the sleep return at once.
        waitqueue::set_interruptible();
        if let Some(result) = try_all(sources) {
            break result;
        }
        if waitqueue::should_abort() {
            break Err(WaitAnyError::Wait(WaitError::Interrupted));
        }
        if matches!(deadline, Deadline::At(at) if timeout::now() >= at) {
            break Err(WaitAnyError::Wait(WaitError::Timeout));
        }
        waitqueue::sleep(deadline);
    };
    waitqueue::set_running();

    let taken = result.ok();
    for (i, (source, entry)) in sources.iter().zip(entries).enumerate() {
        // SAFETY: `entry` was queued on this source's queue above.
        unsafe { source.queue().dequeue(entry) };
        // A wake-up this waiter got from a source it did not take goes to the next waiter.
        if taken != Some(i) && source.ready() {
            source.queue().wake_one();
        }
    }
    result
}
