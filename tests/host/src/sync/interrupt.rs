//! The per-thread stop flag that stands for the kernel's "signal pending or asked to stop".
//!
//! Each thread has a [`ThreadCtl`]. A blocking wait parks on it (records which wait cell
//! it sleeps on) so that [`ThreadCtl::stop`] can wake it; once the flag is set, every
//! wait of that thread returns `Interrupted` at once, as `kthread_stop()` makes every
//! later interruptible wait of a kernel thread return.
//!
//! Lock order: a `ThreadCtl`'s lock, then a wait cell's. A waiter never holds its cell's
//! lock while it takes its `ThreadCtl`'s.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// Something a parked thread sleeps on, which can be woken from another thread.
pub(crate) trait Wake: Send + Sync {
    /// Wakes every thread sleeping on it (they re-check their condition and the flag).
    fn wake_all(&self);
}

#[derive(Default)]
struct Parking {
    /// What the thread sleeps on, while it does.
    on: Option<Arc<dyn Wake>>,
    /// How many times the thread parked so far.
    parks: u64,
    /// The thread has ended and will not park again.
    finished: bool,
}

/// The stop flag and parking record of one thread.
#[derive(Default)]
pub struct ThreadCtl {
    stop: AtomicBool,
    parking: Mutex<Parking>,
    changed: Condvar,
}

fn lock(m: &Mutex<Parking>) -> MutexGuard<'_, Parking> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl ThreadCtl {
    /// Whether the thread was asked to stop.
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Asks the thread to stop: sets the flag and wakes it if it sleeps in a wait.
    pub fn stop(&self) {
        let parking = lock(&self.parking);
        self.stop.store(true, Ordering::SeqCst);
        if let Some(on) = &parking.on {
            on.wake_all();
        }
    }

    /// Clears the flag (only a script stopping itself uses this; the kernel cannot).
    pub fn clear(&self) {
        self.stop.store(false, Ordering::SeqCst);
    }

    /// Records that the thread is about to sleep on `on`.
    pub(crate) fn park(&self, on: Arc<dyn Wake>) {
        let mut parking = lock(&self.parking);
        parking.on = Some(on);
        parking.parks += 1;
        self.changed.notify_all();
    }

    /// Records that the thread no longer sleeps.
    pub(crate) fn unpark(&self) {
        lock(&self.parking).on = None;
        self.changed.notify_all();
    }

    /// Records that the thread has ended.
    pub fn finish(&self) {
        let mut parking = lock(&self.parking);
        parking.on = None;
        parking.finished = true;
        self.changed.notify_all();
    }

    /// Waits until the thread sleeps in a blocking wait (`true`) or has ended (`false`).
    pub fn wait_parked(&self) -> bool {
        let mut parking = lock(&self.parking);
        loop {
            if parking.on.is_some() {
                return true;
            }
            if parking.finished {
                return false;
            }
            parking = self
                .changed
                .wait(parking)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }
}

thread_local! {
    static CURRENT: Arc<ThreadCtl> = Arc::new(ThreadCtl::default());
}

/// The calling thread's control.
pub fn current() -> Arc<ThreadCtl> {
    CURRENT.with(Arc::clone)
}
