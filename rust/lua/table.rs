// SPDX-License-Identifier: GPL-2.0

//! Function tables (`luaL_Reg[]`) that can live in statics shared with C.

use core::ffi::CStr;

use super::ffi::{luaL_Reg, lua_CFunction};

/// A `luaL_Reg` array of `N` entries, the last one being the null sentinel. Laid out
/// exactly as the C array, so C can declare it `extern const luaL_Reg name[]`.
#[repr(transparent)]
pub(crate) struct Table<const N: usize>([luaL_Reg; N]);

// SAFETY: a table is never written after its constant initialisation; its pointers refer
// to static strings and functions, which any thread may read.
unsafe impl<const N: usize> Sync for Table<N> {}

impl<const N: usize> Table<N> {
    /// Builds a table from `(name, function)` pairs and the sentinel, checking at compile
    /// time that the sentinel is there and only there.
    pub(crate) const fn new(entries: [(Option<&'static CStr>, lua_CFunction); N]) -> Self {
        let mut regs = [const {
            luaL_Reg {
                name: core::ptr::null(),
                func: None,
            }
        }; N];
        let mut i = 0;
        while i < N {
            let (name, func) = entries[i];
            let last = i + 1 == N;
            match name {
                Some(name) => {
                    assert!(!last, "a function table must end with the sentinel");
                    assert!(func.is_some(), "a named entry needs a function");
                    regs[i] = luaL_Reg {
                        name: name.as_ptr(),
                        func,
                    };
                }
                None => assert!(last, "the sentinel must be the last entry"),
            }
            i += 1;
        }
        Self(regs)
    }

    /// The C array.
    pub(crate) const fn as_ptr(&self) -> *const luaL_Reg {
        self.0.as_ptr()
    }
}
