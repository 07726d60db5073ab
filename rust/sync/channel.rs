// SPDX-License-Identifier: GPL-2.0

//! A bounded channel of messages between threads, with blocking and non-blocking ends.

use core::ptr::NonNull;
use kernel::init::PinInit;
use kernel::prelude::pin_data;

use super::alloc::{AllocError, Box, Gfp};
use super::waitqueue::{lock_class, LockClass, Queue, WaitQueue};
use super::{Timeout, WaitError};

static ITEMS: LockClass = lock_class!("luasync_channel");
static SPACE: LockClass = lock_class!("luasync_channel_space");

/// A message in memory of its own, ready to be queued: allocated by the sender before any
/// lock is taken, so that queueing it never allocates.
pub struct Letter<M>(Box<Node<M>>);

/// A queued message.
struct Node<M> {
    message: M,
    next: Option<Box<Node<M>>>,
}

impl<M> Letter<M> {
    /// `message`, ready to be sent.
    pub fn new(message: M, gfp: Gfp) -> Result<Self, AllocError> {
        Box::try_new(
            Node {
                message,
                next: None,
            },
            gfp,
        )
        .map(Self)
    }

    /// The message back.
    pub fn into_message(self) -> M {
        self.0.into_inner().message
    }
}

/// Messages in the order they were sent.
struct List<M> {
    head: Option<Box<Node<M>>>,
    /// The last node, owned through `head`'s chain; `None` when empty.
    tail: Option<NonNull<Node<M>>>,
    len: u32,
}

// SAFETY: `tail` only points into the nodes `head` owns; the list moves between threads
// with its messages.
unsafe impl<M: Send> Send for List<M> {}

impl<M> List<M> {
    const fn new() -> Self {
        Self {
            head: None,
            tail: None,
            len: 0,
        }
    }

    fn push(&mut self, mut node: Box<Node<M>>) {
        node.next = None;
        let last = NonNull::from(&mut *node);
        match self.tail {
            // SAFETY: `tail` points to the last node of the chain `head` owns, which is
            // alive and not otherwise borrowed while the list is borrowed mutably.
            Some(mut tail) => unsafe { tail.as_mut() }.next = Some(node),
            None => self.head = Some(node),
        }
        // The node is on the heap: moving its box into the chain did not move it.
        self.tail = Some(last);
        self.len += 1;
    }

    fn pop(&mut self) -> Option<Box<Node<M>>> {
        let mut node = self.head.take()?;
        self.head = node.next.take();
        if self.head.is_none() {
            self.tail = None;
        }
        self.len -= 1;
        Some(node)
    }
}

impl<M> Drop for List<M> {
    fn drop(&mut self) {
        // One node at a time: dropping the chain from its head would recurse once a node.
        while self.pop().is_some() {}
    }
}

/// A channel of at most `capacity` messages. Receivers wait while it is empty, senders
/// while it is full; [`Channel::close`] ends every wait and every later send, while the
/// messages already sent can still be received.
///
/// The messages are guarded by the lock of the receivers' queue. A sender takes the
/// senders' queue's lock, then the messages': never the other way round.
#[pin_data]
pub struct Channel<M> {
    #[pin]
    items: WaitQueue<List<M>>,
    #[pin]
    space: WaitQueue<()>,
    capacity: u32,
}

/// Why a send gave its letter back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendError {
    /// The channel is full (a non-blocking send).
    Full,
    /// The wait ended without room: timeout, interrupt, or the channel closed.
    Wait(WaitError),
}

impl<M: Send> Channel<M> {
    /// The largest capacity (`INT_MAX`).
    pub const MAX_CAPACITY: u32 = i32::MAX as u32;

    /// An initialiser for an empty channel of `capacity` (at least 1, at most
    /// [`Channel::MAX_CAPACITY`]).
    pub fn new(capacity: u32) -> impl PinInit<Self> {
        kernel::pin_init!(Self {
            items <- WaitQueue::new(List::new(), &ITEMS),
            space <- WaitQueue::new((), &SPACE),
            capacity: capacity.clamp(1, Self::MAX_CAPACITY),
        })
    }

    /// Initialises a channel in place.
    ///
    /// # Safety
    ///
    /// `slot` must be valid for writes and aligned for `Self`, and the channel must not
    /// move until it is dropped with `ptr::drop_in_place`.
    pub unsafe fn init_at(slot: *mut Self, capacity: u32) {
        // SAFETY: the caller's guarantees are those of `init_in_place`.
        unsafe { super::init_in_place(slot, Self::new(capacity)) }
    }

    /// Queues the letter if there is room and the channel is open. Under the messages'
    /// lock; wakes one receiver.
    fn put(&self, slot: &mut Option<Letter<M>>) -> bool {
        let mut list = self.items.lock();
        if self.items.is_closed() || list.len >= self.capacity {
            return false;
        }
        if let Some(letter) = slot.take() {
            list.push(letter.0);
            list.wake(Some(1));
        }
        true
    }

    /// Sends without waiting: the letter back with `Full`, or with `Wait(Closed)` when the
    /// channel is closed. Never sleeps.
    pub fn try_send(&self, letter: Letter<M>) -> Result<(), (SendError, Letter<M>)> {
        let mut slot = Some(letter);
        if self.put(&mut slot) {
            return Ok(());
        }
        let error = if self.items.is_closed() {
            SendError::Wait(WaitError::Closed)
        } else {
            SendError::Full
        };
        match slot {
            Some(letter) => Err((error, letter)),
            None => Ok(()),
        }
    }

    /// Sends, sleeping at most `timeout` while the channel is full. A closed channel
    /// refuses at once. The letter comes back with the reason when it was not sent.
    pub fn send(&self, letter: Letter<M>, timeout: Timeout) -> Result<(), (WaitError, Letter<M>)> {
        let mut slot = Some(letter);
        if self.put(&mut slot) {
            return Ok(());
        }
        let waited = if self.items.is_closed() {
            Err(WaitError::Closed)
        } else {
            self.space.wait_until(timeout, |()| self.put(&mut slot))
        };
        // `put` takes the letter only when it queues it.
        match (waited, slot) {
            (Err(why), Some(letter)) => Err((why, letter)),
            _ => Ok(()),
        }
    }

    /// Takes the oldest message if there is one. Never sleeps; wakes one sender.
    pub fn try_receive(&self) -> Option<M> {
        let node = self.items.lock().pop()?;
        self.space.wake_waiters(Some(1));
        Some(node.into_inner().message)
    }

    /// Receives the oldest message, sleeping at most `timeout` while the channel is empty.
    /// A closed channel still gives its messages, then `Closed`.
    pub fn receive(&self, timeout: Timeout) -> Result<M, WaitError> {
        let mut items = self.items.lock();
        // A channel that has a message gives it without queueing the caller. The guard is
        // kept for the wait: `try_receive` and then the queue's own wait would take the lock
        // once more on an empty channel (77 instructions more per round trip of two).
        let mut slot = items.pop();
        if slot.is_none() {
            items.wait_until(timeout, |list| {
                slot = list.pop();
                slot.is_some()
            })?;
        }
        drop(items);
        self.space.wake_waiters(Some(1));
        match slot {
            Some(node) => Ok(node.into_inner().message),
            None => Err(WaitError::Closed),
        }
    }

    /// Closes the channel: every sender and receiver waiting wakes, later sends fail with
    /// `Closed`, receivers get what is left, then `Closed`. Never sleeps.
    pub fn close(&self) {
        self.items.close();
        self.space.close();
    }

    /// Its kernel wait queue heads (null: none), for the port's debugfs view.
    pub fn wait_heads(&self) -> [*mut core::ffi::c_void; 2] {
        [self.items.head(), self.space.head()]
    }

    /// Whether it was closed.
    pub fn is_closed(&self) -> bool {
        self.items.is_closed()
    }

    /// How many messages wait to be received.
    pub fn count(&self) -> u32 {
        self.items.with(|list| list.len)
    }

    /// The most messages it holds.
    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    /// The receivers' queue, for `wait_any`.
    pub(crate) fn receive_queue(&self) -> &dyn Queue {
        &self.items
    }
}
