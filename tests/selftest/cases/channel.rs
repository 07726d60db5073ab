// SPDX-License-Identifier: GPL-2.0

//! Channel: order and bounds, each end woken by the other, close, stop, and many senders
//! and receivers losing and duplicating nothing.

use core::sync::atomic::{AtomicU64, Ordering};
use kernel::{c_str, prelude::*, sync::Arc};

use super::{channel, JOIN_MS, SLEEP_MS, WAKE_MS};
use crate::ktap::{check, check_eq, measured, Outcome};
use crate::kthread::KThread;
use crate::observe::{Ms, Stopwatch};
use crate::sync::alloc::Gfp;
use crate::sync::{Channel, Letter, SendError, Timeout, WaitError};
use crate::verdict::Seen;

fn letter(n: u32) -> Result<Letter<u32>> {
    Letter::new(n, Gfp::Kernel).map_err(|_| ENOMEM)
}

/// Messages come out in the order they went in; a full channel refuses a non-blocking
/// send and gives the letter back; an empty one gives nothing.
pub(crate) fn channel_order_and_capacity() -> Outcome {
    let ch = channel(3)?;
    for n in 1..=3 {
        check!(ch.try_send(letter(n)?).is_ok(), "try_send {} into room", n);
    }
    match ch.try_send(letter(4)?) {
        Err((SendError::Full, back)) => check_eq!(back.into_message(), 4, "the refused letter"),
        other => check!(
            false,
            "try_send into a full channel: {:?}",
            other.err().map(|e| e.0)
        ),
    }
    check_eq!(
        ch.send(letter(4)?, Timeout::Millis(0)).map_err(|e| e.0),
        Err(WaitError::Timeout),
        "send(0) into a full channel"
    );
    check_eq!(ch.count(), 3, "count of a full channel");
    let got = (
        ch.try_receive(),
        ch.receive(Timeout::Millis(0)),
        ch.try_receive(),
    );
    check_eq!(got, (Some(1), Ok(2), Some(3)), "the order out");
    check_eq!(ch.try_receive(), None, "try_receive of an empty channel");
    check_eq!(
        ch.receive(Timeout::Millis(0)),
        Err(WaitError::Timeout),
        "receive(0) of an empty channel"
    );
    Ok(())
}

/// A receiver asleep on an empty channel gets the message sent to it.
pub(crate) fn channel_receiver_woken_by_send() -> Outcome {
    let ch = channel(1)?;
    let receiver = {
        let ch = ch.clone();
        KThread::spawn(None, c_str!("lsst-recv"), move || {
            match ch.receive(Timeout::Millis(WAKE_MS)) {
                Ok(n) => i32::try_from(n).unwrap_or(-1),
                Err(e) => -i32::from(Seen::from(Err::<(), _>(e)).code() as u8),
            }
        })?
    };
    let slept = receiver.sleeps_within(SLEEP_MS);
    check!(
        ch.try_send(letter(42)?).is_ok(),
        "try_send to the sleeping receiver"
    );
    check!(slept, "the receiver never slept");
    check_eq!(
        receiver.join_within(JOIN_MS),
        Some(42),
        "what the receiver got"
    );
    Ok(())
}

/// A sender asleep on a full channel sends once a receive makes room.
pub(crate) fn channel_sender_woken_by_receive() -> Outcome {
    let ch = channel(1)?;
    check!(ch.try_send(letter(1)?).is_ok(), "fill the channel");
    let sender = {
        let ch = ch.clone();
        let second = letter(2)?;
        KThread::spawn(None, c_str!("lsst-send"), move || {
            Seen::from(ch.send(second, Timeout::Millis(WAKE_MS)).map_err(|e| e.0)).code()
        })?
    };
    let slept = sender.sleeps_within(SLEEP_MS);
    check_eq!(ch.try_receive(), Some(1), "the first message");
    let seen = Seen::of(sender.join_within(JOIN_MS));
    check!(slept, "the sender never slept");
    check_eq!(seen, Some(Seen::Ok), "the sender's send");
    check_eq!(ch.try_receive(), Some(2), "its message");
    Ok(())
}

/// Closing wakes a sleeping receiver and a sleeping sender with `Closed`, refuses later
/// sends, and leaves the queued messages to be received.
pub(crate) fn channel_close_wakes_and_keeps_messages() -> Outcome {
    let empty = channel(1)?;
    let receiver = {
        let ch = empty.clone();
        KThread::spawn(None, c_str!("lsst-recv"), move || {
            Seen::from(ch.receive(Timeout::Infinite).map(|_| ())).code()
        })?
    };
    let full = channel(1)?;
    check!(full.try_send(letter(7)?).is_ok(), "fill the channel");
    let sender = {
        let ch = full.clone();
        let second = letter(8)?;
        KThread::spawn(None, c_str!("lsst-send"), move || {
            Seen::from(ch.send(second, Timeout::Infinite).map_err(|e| e.0)).code()
        })?
    };
    let slept = (
        receiver.sleeps_within(SLEEP_MS),
        sender.sleeps_within(SLEEP_MS),
    );
    empty.close();
    full.close();
    let seen = (
        Seen::of(receiver.join_within(JOIN_MS)),
        Seen::of(sender.join_within(JOIN_MS)),
    );
    check_eq!(
        slept,
        (true, true),
        "(receiver, sender) asleep before the close"
    );
    check_eq!(
        seen,
        (Some(Seen::Closed), Some(Seen::Closed)),
        "(receiver, sender)"
    );
    check!(
        matches!(
            full.try_send(letter(9)?),
            Err((SendError::Wait(WaitError::Closed), _))
        ),
        "try_send into a closed channel"
    );
    check_eq!(
        full.receive(Timeout::Infinite),
        Ok(7),
        "a queued message after the close"
    );
    check_eq!(
        full.receive(Timeout::Infinite),
        Err(WaitError::Closed),
        "then receive"
    );
    Ok(())
}

/// `kthread_stop()` of a thread asleep in a receive: `Interrupted`, nothing taken.
pub(crate) fn channel_stop_ends_receive() -> Outcome {
    let ch = channel(1)?;
    let receiver = {
        let ch = ch.clone();
        KThread::spawn(None, c_str!("lsst-recv"), move || {
            Seen::from(ch.receive(Timeout::Infinite).map(|_| ())).code()
        })?
    };
    let slept = receiver.sleeps_within(SLEEP_MS);
    let seen = Seen::from_code(receiver.stop());
    check!(slept, "the receiver never slept");
    check_eq!(seen, Seen::Interrupted, "the stopped receive");
    check!(ch.try_send(letter(5)?).is_ok(), "a send after the stop");
    check_eq!(ch.try_receive(), Some(5), "the message is still there");
    Ok(())
}

const SENDERS: u32 = 4;
const RECEIVERS: usize = 4;
const EACH: u32 = 25_000;

/// Four senders and four receivers through a channel of 8: every message arrives once.
pub(crate) fn channel_4_senders_4_receivers_100000() -> Outcome {
    let ch: Arc<Channel<u32>> = channel(8)?;
    let sums = Arc::new(
        (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)),
        GFP_KERNEL,
    )?;
    let watch = Stopwatch::start();
    let mut threads = KVec::new();
    for r in 0..RECEIVERS {
        let (ch, sums) = (ch.clone(), sums.clone());
        let name = if r % 2 == 0 {
            c_str!("lsst-recv")
        } else {
            c_str!("lsst-recv2")
        };
        let thread = KThread::spawn(None, name, move || loop {
            match ch.receive(Timeout::Infinite) {
                Ok(n) => {
                    sums.0.fetch_add(1, Ordering::Relaxed);
                    sums.1.fetch_add(u64::from(n), Ordering::Relaxed);
                    sums.2
                        .fetch_add(u64::from(n) * u64::from(n), Ordering::Relaxed);
                }
                Err(e) => return Seen::from(Err::<(), _>(e)).code(),
            }
        })?;
        threads.push(thread, GFP_KERNEL)?;
    }
    let mut senders = KVec::new();
    for s in 0..SENDERS {
        let ch = ch.clone();
        let thread = KThread::spawn(None, c_str!("lsst-send"), move || {
            for k in 1..=EACH {
                let n = s * EACH + k;
                let Ok(l) = Letter::new(n, Gfp::Kernel) else {
                    return Seen::Wrong.code();
                };
                if let Err((e, _)) = ch.send(l, Timeout::Millis(WAKE_MS)) {
                    return Seen::from(Err::<(), _>(e)).code();
                }
            }
            Seen::Ok.code()
        })?;
        senders.push(thread, GFP_KERNEL)?;
    }
    let mut sent = [None; SENDERS as usize];
    for (slot, sender) in sent.iter_mut().zip(senders.iter()) {
        *slot = Seen::of(sender.join_within(600_000));
    }
    // Every receiver ends with `Closed` once the channel is closed and drained.
    ch.close();
    let mut received = [None; RECEIVERS];
    for (slot, receiver) in received.iter_mut().zip(threads.iter()) {
        *slot = Seen::of(receiver.join_within(JOIN_MS));
    }
    let total = u64::from(SENDERS * EACH);
    let (count, sum, squares) = (
        sums.0.load(Ordering::Relaxed),
        sums.1.load(Ordering::Relaxed),
        sums.2.load(Ordering::Relaxed),
    );
    let want_sum: u64 = (1..=total).sum();
    let want_squares: u64 = (1..=total).map(|n| n * n).sum();
    measured(format_args!(
        "{} senders x {} messages to {} receivers through a channel of 8: {}",
        SENDERS,
        EACH,
        RECEIVERS,
        Ms(watch.elapsed_ns())
    ));
    check_eq!(sent, [Some(Seen::Ok); SENDERS as usize], "the senders");
    check_eq!(
        received,
        [Some(Seen::Closed); RECEIVERS],
        "the receivers, after the close"
    );
    check_eq!(count, total, "messages received");
    check_eq!(
        (sum, squares),
        (want_sum, want_squares),
        "(sum, sum of squares) received"
    );
    Ok(())
}
