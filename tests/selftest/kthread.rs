// SPDX-License-Identifier: GPL-2.0

//! Kernel threads that run a closure, for the self-test and the bench.
//!
//! A [`KThread`] owns its thread until it is stopped: the closure and everything it
//! captured stay allocated until `kthread_stop()` has returned, so the thread never
//! outlives what it uses, and dropping the handle stops the thread. Waiting for a
//! thread to finish is always bounded ([`KThread::join_within`]); only stopping it is
//! not, and every wait of `rust/sync/` ends when its thread is asked to stop.

use core::{cell::UnsafeCell, ffi::c_void, ptr::NonNull};
use kernel::{
    bindings, c_str,
    error::from_err_ptr,
    new_condvar, new_spinlock,
    prelude::*,
    sync::{Arc, CondVar, SpinLock},
    time::{msecs_to_jiffies, Ktime},
};

/// Where a thread records the value its closure returned.
#[pin_data]
struct Exit {
    #[pin]
    value: SpinLock<Option<i32>>,
    #[pin]
    changed: CondVar,
}

/// What the new thread starts from: its closure, taken out when it runs, and its exit.
struct Start<F> {
    body: UnsafeCell<Option<F>>,
    exit: Arc<Exit>,
}

/// A running kernel thread and the closure it runs.
pub(crate) struct KThread {
    /// The thread; a reference is held from creation until the handle is dropped, so the
    /// pointer stays valid after the thread exits.
    pub(crate) task: NonNull<bindings::task_struct>,
    /// The thread's `Start<F>`, freed by `drop_start` once the thread has exited.
    start: *mut c_void,
    drop_start: unsafe fn(*mut c_void),
    exit: Arc<Exit>,
    /// What `kthread_stop()` returned, once it has been called.
    stopped: Option<i32>,
}

// SAFETY: the task reference may be used and released from any thread; the closure
// (`Send`) is only touched by the new thread until `kthread_stop()` has returned, and
// after that only by the handle.
unsafe impl Send for KThread {}

/// Runs the closure of a thread made by [`KThread::spawn`].
///
/// # Safety
///
/// `data` must be the `Start<F>` that `spawn` made for this thread, and it must stay
/// allocated until the thread has exited.
unsafe extern "C" fn trampoline<F>(data: *mut c_void) -> kernel::ffi::c_int
where
    F: FnOnce() -> i32 + Send + 'static,
{
    // SAFETY: the caller guarantees that `data` is a live `Start<F>`.
    let start = unsafe { &*data.cast::<Start<F>>() };
    // SAFETY: until this thread has exited, nothing but this thread touches `body`.
    let body = unsafe { (*start.body.get()).take() };
    let value = match body {
        Some(body) => body(),
        // Not reached: only this thread takes the closure, once.
        None => i32::MIN,
    };
    *start.exit.value.lock() = Some(value);
    start.exit.changed.notify_all();
    value
}

/// Frees a `Start<F>` made by [`KThread::spawn`].
///
/// # Safety
///
/// `data` must come from `KBox::into_raw` of a `KBox<Start<F>>`, must not be used by
/// anyone else any more, and must not be freed twice.
unsafe fn drop_start<F>(data: *mut c_void) {
    // SAFETY: guaranteed by the caller.
    drop(unsafe { KBox::from_raw(data.cast::<Start<F>>()) });
}

impl KThread {
    /// Starts a kernel thread called `name` that runs `body`, on CPU `cpu` only when
    /// given (the caller makes sure that it is online), anywhere otherwise. The closure's
    /// return value is what [`KThread::join_within`] and [`KThread::stop`] report.
    pub(crate) fn spawn<F>(cpu: Option<u32>, name: &'static CStr, body: F) -> Result<Self>
    where
        F: FnOnce() -> i32 + Send + 'static,
    {
        let exit = Arc::pin_init(
            pin_init!(Exit {
                value <- new_spinlock!(None),
                changed <- new_condvar!(),
            }),
            GFP_KERNEL,
        )?;
        let start = KBox::new(
            Start {
                body: UnsafeCell::new(Some(body)),
                exit: exit.clone(),
            },
            GFP_KERNEL,
        )?;
        let start = KBox::into_raw(start).cast::<c_void>();
        // SAFETY: `trampoline::<F>` is given the `Start<F>` it expects, which the handle
        // keeps until the thread has exited; "%s" consumes the one NUL-terminated string
        // passed after it.
        let task = unsafe {
            bindings::kthread_create_on_node(
                Some(trampoline::<F>),
                start,
                bindings::NUMA_NO_NODE,
                c_str!("%s").as_char_ptr(),
                name.as_char_ptr(),
            )
        };
        let task = match from_err_ptr(task).map(NonNull::new) {
            Ok(Some(task)) => task,
            failed => {
                // SAFETY: no thread was created, so nothing else has `start`.
                unsafe { drop_start::<F>(start) };
                return Err(failed.err().unwrap_or(ENOMEM));
            }
        };
        // SAFETY: `task` is a thread just created and not yet woken, so it is alive and
        // may be bound to a CPU; the reference taken here is dropped in `Drop`.
        unsafe {
            bindings::get_task_struct(task.as_ptr());
            if let Some(cpu) = cpu {
                bindings::kthread_bind(task.as_ptr(), cpu);
            }
            bindings::wake_up_process(task.as_ptr());
        }
        Ok(Self {
            task,
            start,
            drop_start: drop_start::<F>,
            exit,
            stopped: None,
        })
    }

    /// Waits at most `ms` milliseconds for the closure to return, and gives its value.
    /// `None` when it has not returned in time (or the caller has a signal pending).
    pub(crate) fn join_within(&self, ms: u32) -> Option<i32> {
        let deadline = Ktime::ktime_get()
            .to_ns()
            .saturating_add(i64::from(ms).saturating_mul(1_000_000));
        let mut value = self.exit.value.lock();
        loop {
            if let Some(v) = *value {
                return Some(v);
            }
            let left_ns = deadline.saturating_sub(Ktime::ktime_get().to_ns());
            if left_ns <= 0 {
                return None;
            }
            let left_ms = u32::try_from(left_ns / 1_000_000).unwrap_or(u32::MAX);
            let jiffies = msecs_to_jiffies(left_ms.saturating_add(1));
            match self
                .exit
                .changed
                .wait_interruptible_timeout(&mut value, jiffies)
            {
                kernel::sync::CondVarTimeoutResult::Signal { .. } => return *value,
                _ => continue,
            }
        }
    }

    /// Asks the thread to stop, waits until it has exited and returns what its closure
    /// returned (`-EINTR` if it never ran). A thread blocked in a wait of `rust/sync/`
    /// sees `Interrupted` and returns.
    pub(crate) fn stop(mut self) -> i32 {
        self.stop_once()
    }

    fn stop_once(&mut self) -> i32 {
        if let Some(value) = self.stopped {
            return value;
        }
        // SAFETY: the handle holds a reference to the task, and this is the only call of
        // `kthread_stop()` for it.
        let value = unsafe { bindings::kthread_stop(self.task.as_ptr()) };
        self.stopped = Some(value);
        value
    }
}

impl Drop for KThread {
    fn drop(&mut self) {
        self.stop_once();
        // SAFETY: the thread has exited (`kthread_stop()` returned), so nothing else uses
        // `start` any more; the task reference is the one `spawn` took.
        unsafe {
            (self.drop_start)(self.start);
            bindings::put_task_struct(self.task.as_ptr());
        }
    }
}
