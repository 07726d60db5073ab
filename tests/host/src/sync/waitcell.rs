//! A state protected by a lock, with a condition variable to wait for changes of it: the
//! userspace counterpart of the kernel wait queue under the primitives.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

use super::interrupt::{self, Wake};
use super::{Timeout, WaitError};

struct Inner<T> {
    state: Mutex<T>,
    cond: Condvar,
    /// Set once, under the lock, by `close`.
    closed: AtomicBool,
}

impl<T: Send> Wake for Inner<T> {
    fn wake_all(&self) {
        let _guard = lock(&self.state);
        self.cond.notify_all();
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A state and the threads waiting for it to change.
pub(crate) struct WaitCell<T: Send + 'static> {
    inner: Arc<Inner<T>>,
}

impl<T: Send + 'static> WaitCell<T> {
    pub(crate) fn new(state: T) -> Self {
        Self {
            inner: Arc::new(Inner {
                state: Mutex::new(state),
                cond: Condvar::new(),
                closed: AtomicBool::new(false),
            }),
        }
    }

    /// Runs `f` on the state under the lock. Never sleeps (beyond the lock itself).
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        f(&mut lock(&self.inner.state))
    }

    /// Runs `f` on the state under the lock, then wakes every waiter to re-check, those
    /// of `wait_any` included.
    pub(crate) fn update<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        let r = {
            let mut state = lock(&self.inner.state);
            let r = f(&mut state);
            self.inner.cond.notify_all();
            r
        };
        super::waitany::changed();
        r
    }

    /// Closes the cell: every waiter, now and later, gives up with `Closed` unless what it
    /// waits for is there.
    pub(crate) fn close(&self) {
        {
            let _state = lock(&self.inner.state);
            self.inner.closed.store(true, Ordering::Relaxed);
            self.inner.cond.notify_all();
        }
        super::waitany::changed();
    }

    /// Whether the cell was closed.
    pub(crate) fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::Relaxed)
    }

    /// Why a wait whose `take` just failed must end now, in the kernel's order after the
    /// success: closed, then interrupted (the thread's stop flag), then the timeout.
    fn give_up(&self, ctl: &interrupt::ThreadCtl, expired: bool) -> Option<WaitError> {
        if self.inner.closed.load(Ordering::Relaxed) {
            return Some(WaitError::Closed);
        }
        if ctl.stopped() {
            return Some(WaitError::Interrupted);
        }
        expired.then_some(WaitError::Timeout)
    }

    /// Waits until `take` succeeds on the state (it is called under the lock, and only
    /// changes the state when it succeeds), for at most `timeout`, in the kernel's order
    /// of results: success, closed, interrupted (the calling thread's stop flag), timeout.
    /// A poll never sleeps.
    pub(crate) fn wait_until(
        &self,
        timeout: Timeout,
        mut take: impl FnMut(&mut T) -> bool,
    ) -> Result<(), WaitError> {
        if self.with(&mut take) {
            return Ok(());
        }
        if timeout == Timeout::Millis(0) {
            let _state = lock(&self.inner.state);
            return Err(self
                .give_up(&interrupt::current(), true)
                .unwrap_or(WaitError::Timeout));
        }
        let deadline = timeout.deadline(Instant::now());
        let ctl = interrupt::current();
        ctl.park(self.inner.clone());
        let result = self.sleep(deadline, &ctl, &mut take);
        ctl.unpark();
        result
    }

    fn sleep(
        &self,
        deadline: Option<Instant>,
        ctl: &interrupt::ThreadCtl,
        take: &mut impl FnMut(&mut T) -> bool,
    ) -> Result<(), WaitError> {
        let mut state = lock(&self.inner.state);
        loop {
            if take(&mut state) {
                return Ok(());
            }
            if let Some(error) = self.give_up(ctl, false) {
                return Err(error);
            }
            state = match deadline {
                None => self
                    .inner
                    .cond
                    .wait(state)
                    .unwrap_or_else(|poisoned| poisoned.into_inner()),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Err(WaitError::Timeout);
                    }
                    self.inner
                        .cond
                        .wait_timeout(state, deadline - now)
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .0
                }
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn timeout_never_ends_early() {
        let cell = WaitCell::new(false);
        let start = Instant::now();
        let r = cell.wait_until(Timeout::Millis(30), |ready| *ready);
        assert_eq!(r, Err(WaitError::Timeout));
        assert!(start.elapsed() >= Duration::from_millis(30));
    }

    #[test]
    fn poll_never_sleeps_and_ignores_the_stop_flag() {
        let cell = WaitCell::new(1u32);
        let ctl = interrupt::current();
        ctl.stop();
        let took = cell.wait_until(Timeout::Millis(0), |n| *n > 0);
        let empty = cell.wait_until(Timeout::Millis(0), |n| *n > 0);
        ctl.clear();
        assert_eq!(took, Ok(()));
        assert_eq!(empty, Ok(()), "the poll condition does not consume");
        let none = WaitCell::new(0u32).wait_until(Timeout::Millis(0), |n| *n > 0);
        assert_eq!(none, Err(WaitError::Timeout));
    }

    #[test]
    fn stop_wakes_a_parked_waiter_and_later_waits_return_at_once() {
        let cell = Arc::new(WaitCell::new(false));
        let (tx, rx) = mpsc::channel();
        let waiter = {
            let cell = cell.clone();
            std::thread::spawn(move || {
                let _ = tx.send(interrupt::current());
                let first = cell.wait_until(Timeout::Infinite, |ready| *ready);
                let second = cell.wait_until(Timeout::Infinite, |ready| *ready);
                (first, second)
            })
        };
        let ctl = rx.recv().expect("the waiter reports its control");
        assert!(ctl.wait_parked(), "the waiter never slept");
        ctl.stop();
        let (first, second) = waiter.join().expect("the waiter ends");
        assert_eq!(first, Err(WaitError::Interrupted));
        assert_eq!(second, Err(WaitError::Interrupted));
    }

    #[test]
    fn an_update_wakes_the_waiter() {
        let cell = Arc::new(WaitCell::new(0u32));
        let (tx, rx) = mpsc::channel();
        let waiter = {
            let cell = cell.clone();
            std::thread::spawn(move || {
                let _ = tx.send(interrupt::current());
                cell.wait_until(Timeout::Infinite, |n| {
                    if *n == 0 {
                        return false;
                    }
                    *n -= 1;
                    true
                })
            })
        };
        let ctl = rx.recv().expect("the waiter reports its control");
        assert!(ctl.wait_parked());
        cell.update(|n| *n += 1);
        assert_eq!(waiter.join().expect("the waiter ends"), Ok(()));
        assert_eq!(cell.with(|n| *n), 0);
    }
}
