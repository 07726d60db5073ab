// SPDX-License-Identifier: GPL-2.0

//! The `init_at` constructors, which initialise a primitive in memory someone else owns
//! (as the Lua classes do in a Lunatik object), and dropping it in place.

use core::{mem::MaybeUninit, ops::Deref};
use kernel::prelude::*;

use super::owner;
use crate::ktap::{check, check_eq, Outcome};
use crate::sync::{Completion, Mutex, Semaphore, Timeout};

/// A heap slot holding a `T` initialised in place; the `T` is dropped in place, never
/// moved.
struct InPlace<T> {
    slot: KBox<MaybeUninit<T>>,
}

impl<T> InPlace<T> {
    /// Allocates a slot and lets `init` initialise it.
    ///
    /// # Safety
    ///
    /// `init` must leave a valid `T` at the pointer it is given (as the `init_at`
    /// constructors do for a valid, aligned, writable slot).
    unsafe fn new(init: impl FnOnce(*mut T)) -> Result<Self> {
        let mut slot = KBox::<T>::new_uninit(GFP_KERNEL)?;
        init(slot.as_mut_ptr());
        Ok(Self { slot })
    }
}

impl<T> Deref for InPlace<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: `new`'s caller guaranteed that `init` initialised the slot.
        unsafe { self.slot.assume_init_ref() }
    }
}

impl<T> Drop for InPlace<T> {
    fn drop(&mut self) {
        // SAFETY: the slot holds a valid `T` (see `new`) that is dropped only here; the
        // box then frees the memory without dropping it again (`MaybeUninit`).
        unsafe { self.slot.assume_init_drop() };
    }
}

/// A completion initialised in place works and drops in place.
pub(crate) fn in_place_completion() -> Outcome {
    // SAFETY: the slot is valid, aligned and writable, and `InPlace` never moves it.
    let c = unsafe { InPlace::new(|slot| Completion::init_at(slot)) }?;
    check!(!c.done(), "done when new");
    c.complete();
    check_eq!(c.wait(Timeout::Millis(0)), Ok(()), "wait after complete()");
    check!(!c.done(), "done after the wait");
    Ok(())
}

/// Mutexes initialised in place, recursive or not, work and drop in place.
pub(crate) fn in_place_mutex() -> Outcome {
    // SAFETY: as in `in_place_completion`.
    let plain = unsafe { InPlace::new(|slot| Mutex::init_at(slot, false)) }?;
    // SAFETY: as in `in_place_completion`.
    let recursive = unsafe { InPlace::new(|slot| Mutex::init_at(slot, true)) }?;
    check!(
        !plain.is_recursive(),
        "the plain mutex says it is recursive"
    );
    check!(
        recursive.is_recursive(),
        "the recursive mutex says it is not"
    );
    check!(plain.try_lock(owner(0)), "try_lock() of the plain mutex");
    check!(!plain.try_lock(owner(0)), "relock of the plain mutex");
    check_eq!(plain.unlock(owner(0)), Ok(()), "unlock of the plain mutex");
    check!(
        recursive.try_lock(owner(0)),
        "first lock of the recursive mutex"
    );
    check!(
        recursive.try_lock(owner(0)),
        "second lock of the recursive mutex"
    );
    check_eq!(recursive.unlock(owner(0)), Ok(()), "first unlock");
    check_eq!(recursive.unlock(owner(0)), Ok(()), "second unlock");
    check!(
        !plain.is_locked() && !recursive.is_locked(),
        "locked at the end"
    );
    Ok(())
}

/// Semaphores initialised in place hold their (clamped) count and drop in place.
pub(crate) fn in_place_semaphore() -> Outcome {
    // SAFETY: as in `in_place_completion`.
    let three = unsafe { InPlace::new(|slot| Semaphore::init_at(slot, 3)) }?;
    // SAFETY: as in `in_place_completion`.
    let huge = unsafe { InPlace::new(|slot| Semaphore::init_at(slot, u32::MAX)) }?;
    check_eq!(three.count(), 3, "count of a semaphore made with 3");
    check_eq!(
        huge.count(),
        Semaphore::MAX_COUNT,
        "count of a semaphore made with u32::MAX"
    );
    check_eq!(three.down(Timeout::Millis(0)), Ok(()), "down(0)");
    check_eq!(three.count(), 2, "count after down");
    Ok(())
}
