//! Condition double: each waiter takes a ticket before it releases the mutex; a signal
//! moves the oldest ticket to the signalled ones. Waiters sleep on `wait_any`'s epoch,
//! which every change of a wait cell moves (a signal, and the mutex's close, included).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use super::interrupt;
use super::waitany;
use super::waitcell::WaitCell;
use super::{CondError, LockError, Mutex, Owner, Timeout, WaitError};

struct Waiters {
    /// The tickets of the waiters not signalled yet, oldest first.
    queue: VecDeque<u64>,
    /// Tickets signalled and not yet seen by their waiter.
    signalled: Vec<u64>,
    next: u64,
}

/// How the sleeping part of a wait ended.
#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    Signalled,
    MutexClosed,
    GaveUp(WaitError),
}

/// A condition variable.
pub struct Condition {
    state: WaitCell<Waiters>,
}

impl Condition {
    /// Initialises a condition in place.
    ///
    /// # Safety
    ///
    /// As `Completion::init_at`.
    pub unsafe fn init_at(slot: *mut Self) {
        // SAFETY: the caller guarantees `slot` is valid and aligned for writes.
        unsafe {
            slot.write(Self {
                state: WaitCell::new(Waiters {
                    queue: VecDeque::new(),
                    signalled: Vec::new(),
                    next: 0,
                }),
            })
        }
    }

    /// Wakes the oldest waiter, if any.
    pub fn signal(&self) {
        self.state.update(|w| {
            if let Some(ticket) = w.queue.pop_front() {
                w.signalled.push(ticket);
            }
        });
    }

    /// Wakes every waiter.
    pub fn broadcast(&self) {
        self.state.update(|w| {
            let all: Vec<u64> = w.queue.drain(..).collect();
            w.signalled.extend(all);
        });
    }

    /// How many waiters were not signalled yet.
    pub fn waiters(&self) -> u32 {
        self.state
            .with(|w| u32::try_from(w.queue.len()).unwrap_or(u32::MAX))
    }

    /// Releases `mutex`, waits at most `timeout` for a signal, takes the mutex back: as
    /// the kernel's `Condition::wait`.
    pub fn wait(&self, mutex: &Mutex, owner: Owner, timeout: Timeout) -> Result<(), CondError> {
        if !mutex.owner_is(owner) {
            return Err(CondError::NotHeld);
        }
        if self.state.is_closed() {
            return Err(CondError::Wait(WaitError::Closed));
        }
        let ticket = self.state.with(|w| {
            let ticket = w.next;
            w.next += 1;
            w.queue.push_back(ticket);
            ticket
        });
        let Ok(depth) = mutex.unlock_all(owner) else {
            self.state.with(|w| w.queue.retain(|&t| t != ticket));
            return Err(CondError::NotHeld);
        };
        let deadline = timeout.deadline(Instant::now());
        let ctl = interrupt::current();
        let mut parked = false;
        let end = loop {
            let seen = waitany::epoch();
            let end = self.state.with(|w| {
                if let Some(at) = w.signalled.iter().position(|&t| t == ticket) {
                    w.signalled.swap_remove(at);
                    return Some(End::Signalled);
                }
                let end = if mutex.is_closed() {
                    End::MutexClosed
                } else if self.state.is_closed() {
                    End::GaveUp(WaitError::Closed)
                } else if ctl.stopped() {
                    End::GaveUp(WaitError::Interrupted)
                } else if timeout == Timeout::Millis(0)
                    || deadline.is_some_and(|d| Instant::now() >= d)
                {
                    End::GaveUp(WaitError::Timeout)
                } else {
                    return None;
                };
                w.queue.retain(|&t| t != ticket);
                Some(end)
            });
            if let Some(end) = end {
                break end;
            }
            if !parked {
                ctl.park(Arc::new(waitany::Any));
                parked = true;
            }
            waitany::sleep_changed(seen, deadline, &ctl);
        };
        if parked {
            ctl.unpark();
        }
        match end {
            End::MutexClosed => return Err(CondError::Lost(LockError::Wait(WaitError::Closed))),
            End::GaveUp(WaitError::Interrupted) => {
                return Err(CondError::Lost(LockError::Wait(WaitError::Interrupted)))
            }
            _ => {}
        }
        mutex
            .lock_at(owner, depth, Timeout::Infinite)
            .map_err(CondError::Lost)?;
        match end {
            End::GaveUp(error) => Err(CondError::Wait(error)),
            _ => Ok(()),
        }
    }

    /// Closes it: every waiter, now and later, gives up with `Closed`.
    pub fn close(&self) {
        self.state.close();
    }

    /// Whether it was closed.
    pub fn is_closed(&self) -> bool {
        self.state.is_closed()
    }

    /// No kernel wait queue here.
    pub fn wait_heads(&self) -> [*mut std::ffi::c_void; 2] {
        [std::ptr::null_mut(); 2]
    }
}
