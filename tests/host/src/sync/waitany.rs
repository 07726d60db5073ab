//! `wait_any` double: every change of any `WaitCell` bumps one global epoch that the
//! waiters of `wait_any` sleep on, and each tries its sources again.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use super::channel::Channel;
use super::interrupt::{self, Wake};
use super::{Completion, Owner, Semaphore, Timeout, WaitError};

/// One of the things `wait_any` waits for.
pub enum Source<'a, M: Send + 'static> {
    /// One completion.
    Completion(&'a Completion),
    /// One count.
    Semaphore(&'a Semaphore),
    /// The mutex, for this owner.
    Mutex(&'a super::Mutex, Owner),
    /// One message, stored in the slot.
    Receive(&'a Channel<M>, &'a mut Option<M>),
}

/// Why `wait_any` returned without taking anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitAnyError {
    /// Source `i` was closed.
    Closed(usize),
    /// Interrupted, or the timeout passed.
    Wait(WaitError),
    /// No memory.
    NoMemory,
}

impl<M: Send + 'static> Source<'_, M> {
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

    fn closed(&self) -> bool {
        match self {
            Self::Completion(c) => c.is_closed(),
            Self::Semaphore(s) => s.is_closed(),
            Self::Mutex(m, _) => m.is_closed(),
            Self::Receive(ch, _) => ch.is_closed(),
        }
    }
}

static EPOCH: Mutex<u64> = Mutex::new(0);
static CHANGED: Condvar = Condvar::new();

/// Something a `wait_any` may wait for changed.
pub(crate) fn changed() {
    *EPOCH.lock().unwrap_or_else(|p| p.into_inner()) += 1;
    CHANGED.notify_all();
}

/// What a thread waiting on the epoch parks on, so that its stop wakes it.
pub(crate) struct Any;

impl Wake for Any {
    fn wake_all(&self) {
        changed();
    }
}

/// The current epoch: read it before checking what a wait waits for, then sleep with
/// [`sleep_changed`] until it moves.
pub(crate) fn epoch() -> u64 {
    *EPOCH.lock().unwrap_or_else(|p| p.into_inner())
}

/// Sleeps until the epoch is no longer `seen`, the thread is stopped, or `deadline` passes.
pub(crate) fn sleep_changed(seen: u64, deadline: Option<Instant>, ctl: &interrupt::ThreadCtl) {
    let mut epoch = EPOCH.lock().unwrap_or_else(|p| p.into_inner());
    while *epoch == seen && !ctl.stopped() {
        epoch = match deadline {
            None => CHANGED.wait(epoch).unwrap_or_else(|p| p.into_inner()),
            Some(d) => {
                let now = Instant::now();
                if now >= d {
                    break;
                }
                CHANGED
                    .wait_timeout(epoch, d - now)
                    .unwrap_or_else(|p| p.into_inner())
                    .0
            }
        };
    }
}

/// Waits until one of `sources` gives, and takes from that one only: its index; in the
/// kernel's order of results.
pub fn wait_any<M: Send + 'static>(
    sources: &mut [Source<'_, M>],
    timeout: Timeout,
) -> Result<usize, WaitAnyError> {
    let deadline = timeout.deadline(Instant::now());
    let ctl = interrupt::current();
    let mut parked = false;
    let result = loop {
        let seen = epoch();
        if let Some(i) = sources.iter_mut().position(Source::take) {
            break Ok(i);
        }
        if let Some(i) = sources.iter().position(Source::closed) {
            break Err(WaitAnyError::Closed(i));
        }
        if ctl.stopped() {
            break Err(WaitAnyError::Wait(WaitError::Interrupted));
        }
        if timeout == Timeout::Millis(0) || deadline.is_some_and(|d| Instant::now() >= d) {
            break Err(WaitAnyError::Wait(WaitError::Timeout));
        }
        if !parked {
            ctl.park(Arc::new(Any));
            parked = true;
        }
        sleep_changed(seen, deadline, &ctl);
    };
    if parked {
        ctl.unpark();
    }
    result
}
