// SPDX-License-Identifier: GPL-2.0

//! Memory for what the classes copy (messages): fallible allocations with the flags of the
//! calling context, over the kernel's `KVec` and `KBox`.

use kernel::alloc::{flags, Flags, KBox, KVec};

pub use kernel::alloc::AllocError;

/// Whether an allocation may sleep (process context) or must not (softirq, hardirq).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gfp {
    /// `GFP_KERNEL`.
    Kernel,
    /// `GFP_ATOMIC`.
    Atomic,
}

impl Gfp {
    /// The kernel's flags.
    pub(crate) fn flags(self) -> Flags {
        match self {
            Self::Kernel => flags::GFP_KERNEL,
            Self::Atomic => flags::GFP_ATOMIC,
        }
    }
}

/// A growable array whose growth can fail.
pub struct Vec<T>(KVec<T>);

impl<T> Vec<T> {
    /// An empty array; allocates nothing.
    pub fn new() -> Self {
        Self(KVec::new())
    }

    /// Appends `value`, or gives it back when memory is short.
    pub fn try_push(&mut self, value: T, gfp: Gfp) -> Result<(), AllocError> {
        self.0.push(value, gfp.flags())
    }

    /// The elements.
    pub fn as_slice(&self) -> &[T] {
        &self.0
    }

    /// The elements, to change.
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        &mut self.0
    }
}

impl<T: Clone> Vec<T> {
    /// Appends a copy of `values`.
    pub fn try_extend(&mut self, values: &[T], gfp: Gfp) -> Result<(), AllocError> {
        self.0.extend_from_slice(values, gfp.flags())
    }
}

impl<T> Default for Vec<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// A value in memory of its own, whose allocation can fail.
pub struct Box<T>(KBox<T>);

impl<T> Box<T> {
    /// `value` in memory of its own.
    pub fn try_new(value: T, gfp: Gfp) -> Result<Self, AllocError> {
        KBox::new(value, gfp.flags()).map(Self)
    }

    /// The value, out of its memory.
    pub fn into_inner(self) -> T {
        KBox::into_inner(self.0)
    }
}

impl<T> core::ops::Deref for Box<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> core::ops::DerefMut for Box<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}
