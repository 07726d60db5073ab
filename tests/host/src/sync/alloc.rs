//! Allocation double: the kernel's fallible allocations, over std's `Vec` and `Box`.

use std::collections::TryReserveError;

/// The kernel's allocation failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AllocError;

impl From<TryReserveError> for AllocError {
    fn from(_: TryReserveError) -> Self {
        Self
    }
}

/// Whether an allocation may sleep; the same here either way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gfp {
    /// `GFP_KERNEL`.
    Kernel,
    /// `GFP_ATOMIC`.
    Atomic,
}

/// A growable array whose growth can fail.
#[derive(Default)]
pub struct Vec<T>(std::vec::Vec<T>);

impl<T> Vec<T> {
    /// An empty array.
    pub fn new() -> Self {
        Self(std::vec::Vec::new())
    }

    /// Appends `value`.
    pub fn try_push(&mut self, value: T, _gfp: Gfp) -> Result<(), AllocError> {
        self.0.try_reserve(1)?;
        self.0.push(value);
        Ok(())
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
    pub fn try_extend(&mut self, values: &[T], _gfp: Gfp) -> Result<(), AllocError> {
        self.0.try_reserve(values.len())?;
        self.0.extend_from_slice(values);
        Ok(())
    }
}
