//! Channel double: a bounded queue of messages on a `WaitCell`.

use std::collections::VecDeque;

use super::alloc::{AllocError, Gfp};
use super::waitcell::WaitCell;
use super::{Timeout, WaitError};

/// A message ready to be sent.
pub struct Letter<M>(M);

impl<M> Letter<M> {
    /// `message`, ready to be sent.
    pub fn new(message: M, _gfp: Gfp) -> Result<Self, AllocError> {
        Ok(Self(message))
    }

    /// The message back.
    pub fn into_message(self) -> M {
        self.0
    }
}

/// Why a send gave its letter back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendError {
    /// Full (a non-blocking send).
    Full,
    /// The wait ended without room.
    Wait(WaitError),
}

struct State<M> {
    items: VecDeque<M>,
    capacity: u32,
    closed: bool,
}

/// A bounded channel.
pub struct Channel<M: Send + 'static> {
    state: WaitCell<State<M>>,
}

impl<M: Send + 'static> Channel<M> {
    /// The largest capacity.
    pub const MAX_CAPACITY: u32 = i32::MAX as u32;

    /// Initialises a channel in place.
    ///
    /// # Safety
    ///
    /// `slot` must be valid for writes and aligned for `Self`.
    pub unsafe fn init_at(slot: *mut Self, capacity: u32) {
        // SAFETY: as the caller guarantees.
        unsafe {
            slot.write(Self {
                state: WaitCell::new(State {
                    items: VecDeque::new(),
                    capacity: capacity.clamp(1, Self::MAX_CAPACITY),
                    closed: false,
                }),
            })
        }
    }

    fn put(state: &mut State<M>, slot: &mut Option<Letter<M>>) -> bool {
        if state.closed || state.items.len() >= state.capacity as usize {
            return false;
        }
        if let Some(letter) = slot.take() {
            state.items.push_back(letter.0);
        }
        true
    }

    /// Sends without waiting.
    pub fn try_send(&self, letter: Letter<M>) -> Result<(), (SendError, Letter<M>)> {
        let mut slot = Some(letter);
        let (sent, closed) = self
            .state
            .update(|st| (Self::put(st, &mut slot), st.closed));
        match (sent, slot) {
            (false, Some(letter)) if closed => Err((SendError::Wait(WaitError::Closed), letter)),
            (false, Some(letter)) => Err((SendError::Full, letter)),
            _ => Ok(()),
        }
    }

    /// Sends, waiting at most `timeout` for room.
    pub fn send(&self, letter: Letter<M>, timeout: Timeout) -> Result<(), (WaitError, Letter<M>)> {
        if self.state.with(|st| st.closed) {
            return Err((WaitError::Closed, letter));
        }
        let mut slot = Some(letter);
        let waited = self
            .state
            .wait_until(timeout, |st| Self::put(st, &mut slot));
        self.state.update(|_| ());
        match (waited, slot) {
            (Err(why), Some(letter)) => Err((why, letter)),
            _ => Ok(()),
        }
    }

    /// Takes the oldest message if there is one.
    pub fn try_receive(&self) -> Option<M> {
        self.state.update(|st| st.items.pop_front())
    }

    /// Receives, waiting at most `timeout` for a message.
    pub fn receive(&self, timeout: Timeout) -> Result<M, WaitError> {
        let mut slot = None;
        self.state.wait_until(timeout, |st| {
            slot = st.items.pop_front();
            slot.is_some()
        })?;
        self.state.update(|_| ());
        slot.ok_or(WaitError::Closed)
    }

    /// Closes it.
    pub fn close(&self) {
        self.state.update(|st| st.closed = true);
        self.state.close();
    }

    /// No kernel wait queue here.
    pub fn wait_heads(&self) -> [*mut std::ffi::c_void; 2] {
        [std::ptr::null_mut(); 2]
    }

    /// Whether it was closed.
    pub fn is_closed(&self) -> bool {
        self.state.with(|st| st.closed)
    }

    /// How many messages wait.
    pub fn count(&self) -> u32 {
        self.state
            .with(|st| u32::try_from(st.items.len()).unwrap_or(u32::MAX))
    }

    /// The most messages it holds.
    pub fn capacity(&self) -> u32 {
        self.state.with(|st| st.capacity)
    }
}
