// SPDX-License-Identifier: GPL-2.0

//! A short text formatted into a fixed buffer: no allocation and no destructor, so it can
//! be held by a frame that a Lua error is about to leave.

use core::ffi::c_char;
use core::fmt;

/// Capacity of a [`Message`], terminating NUL included. Small enough that a
/// `Result<_, LuaError>` stays cheap to return; the longest message of the binding is
/// about 75 bytes.
const CAPACITY: usize = 96;

/// What a truncated message ends with.
const ELLIPSIS: &[u8] = b"...";

/// A NUL-terminated text of at most `CAPACITY - 1` bytes; longer text is cut and ends
/// with `...`.
#[derive(Clone, Copy)]
pub(crate) struct Message {
    buf: [u8; CAPACITY],
    len: u8,
    truncated: bool,
}

// `len` counts at most `CAPACITY - 1` bytes.
const _: () = assert!(CAPACITY <= u8::MAX as usize);

impl Message {
    /// An empty message.
    pub(crate) const fn new() -> Self {
        Self {
            buf: [0; CAPACITY],
            len: 0,
            truncated: false,
        }
    }

    /// Formats `args` into a new message.
    pub(crate) fn format(args: fmt::Arguments<'_>) -> Self {
        let mut msg = Self::new();
        // `write_str` below never fails: text that does not fit is cut.
        let _ = fmt::write(&mut msg, args);
        msg
    }

    /// The text, without the terminating NUL.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.buf.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// The text as a C string, valid as long as `self`.
    pub(crate) fn as_ptr(&self) -> *const c_char {
        self.buf.as_ptr().cast()
    }

    /// Appends bytes, cutting what does not fit. NUL bytes would end the C string early,
    /// so they are written as `?`.
    fn push(&mut self, bytes: &[u8]) {
        if self.truncated {
            return;
        }
        // One byte stays free for the terminating NUL.
        let room = (CAPACITY - 1).saturating_sub(usize::from(self.len));
        let mut taken = bytes.len();
        if taken > room {
            self.truncated = true;
            taken = room.saturating_sub(ELLIPSIS.len());
        }
        for &b in bytes.iter().take(taken) {
            self.append(if b == 0 { b'?' } else { b });
        }
        if self.truncated {
            // Cut back to make room for the ellipsis if the message was already full.
            let keep = (CAPACITY - 1 - ELLIPSIS.len()).min(usize::from(self.len));
            self.len = u8::try_from(keep).unwrap_or(0);
            for &b in ELLIPSIS {
                self.append(b);
            }
        }
    }

    /// Appends one byte; the caller made sure there is room before the final NUL.
    fn append(&mut self, b: u8) {
        if let Some(slot) = self.buf.get_mut(usize::from(self.len)) {
            *slot = b;
            self.len = self.len.saturating_add(1);
        }
        // The byte after the text must be NUL; after a cut back it may not be yet.
        if let Some(end) = self.buf.get_mut(usize::from(self.len)) {
            *end = 0;
        }
    }
}

impl Default for Message {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Write for Message {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push(s.as_bytes());
        Ok(())
    }
}

/// Shows bytes from C (a class or type name) as text: printable ASCII as is, anything
/// else as `?`.
pub(crate) struct Bytes<'a>(pub(crate) &'a [u8]);

impl fmt::Display for Bytes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &b in self.0 {
            let c = if b.is_ascii_graphic() || b == b' ' {
                char::from(b)
            } else {
                '?'
            };
            fmt::Write::write_char(f, c)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_terminates() {
        let m = Message::format(format_args!("{} expected, got {}", "mutex", 42));
        assert_eq!(m.as_bytes(), b"mutex expected, got 42");
        // SAFETY: `as_ptr` points to a NUL-terminated buffer owned by `m`.
        let c = unsafe { core::ffi::CStr::from_ptr(m.as_ptr()) };
        assert_eq!(c.to_bytes(), b"mutex expected, got 42");
    }

    #[test]
    fn cuts_long_text_with_an_ellipsis() {
        let long = "x".repeat(300);
        let m = Message::format(format_args!("{long}{}", "tail"));
        assert_eq!(m.as_bytes().len(), CAPACITY - 1);
        assert!(m.as_bytes().ends_with(b"..."));
        assert!(m.as_bytes().iter().take(CAPACITY - 4).all(|&b| b == b'x'));
        // SAFETY: as above.
        let c = unsafe { core::ffi::CStr::from_ptr(m.as_ptr()) };
        assert_eq!(c.to_bytes().len(), CAPACITY - 1);
    }

    #[test]
    fn fills_exactly_without_ellipsis() {
        let exact = "y".repeat(CAPACITY - 1);
        let m = Message::format(format_args!("{exact}"));
        assert_eq!(m.as_bytes(), exact.as_bytes());
    }

    #[test]
    fn replaces_nul_and_shows_foreign_bytes() {
        let m = Message::format(format_args!("a\0b {}", Bytes(b"ok\x01\xff")));
        assert_eq!(m.as_bytes(), b"a?b ok??");
    }
}
