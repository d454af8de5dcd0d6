//! One RETR of a staged package: the bytes a plan serves, read the way its behaviour
//! says (a slow first byte, a dribble, a break), counted, and recorded as a staging
//! event when the transfer is over.
//!
//! FTP settles a transfer only at its end (226 or 426), so the event is recorded then:
//! at the end of the data (226, completed), or when the transfer is dropped before it
//! (426: broken off by the plan, by the client, or by the server stopping).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, ReadBuf};
use tokio::time::Sleep;

use crate::staging::PendingEvent;
use crate::staging::body::Pacing;
use pens_package::{BodyCursor, PackageBody};

/// Reply 226: the transfer completed.
pub(super) const TRANSFER_COMPLETE: u16 = 226;
/// Reply 426: the data connection closed, the transfer was aborted.
pub(super) const TRANSFER_ABORTED: u16 = 426;

/// How a transfer paces and ends, from the plan's behaviour.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Shape {
    /// A wait before the first byte.
    pub(super) delay: Option<Duration>,
    /// Chunks and pauses.
    pub(super) pacing: Option<Pacing>,
    /// Bytes sent before the transfer breaks off; at or beyond the length, none.
    pub(super) truncate_after: Option<usize>,
}

/// The package as an `AsyncRead`, shaped by the plan; records its event when over.
pub(super) struct Transfer {
    remaining: BodyCursor,
    sent: u64,
    pacing: Option<Pacing>,
    pause: Option<Pin<Box<Sleep>>>,
    break_off: bool,
    pending: Option<PendingEvent>,
}

impl Transfer {
    /// A transfer of `data` shaped by `shape`, recording into `pending` when over.
    pub(super) fn new(data: PackageBody, shape: Shape, pending: PendingEvent) -> Self {
        let (remaining, break_off) = match shape.truncate_after {
            Some(after) if (after as u64) < data.len() => (data.cursor(after as u64), true),
            _ => (data.cursor(u64::MAX), false),
        };
        Transfer {
            remaining,
            sent: 0,
            pacing: shape.pacing,
            pause: shape.delay.map(|delay| Box::pin(tokio::time::sleep(delay))),
            break_off,
            pending: Some(pending),
        }
    }

    /// Records the event with the reply the transfer ends on.
    fn conclude(&mut self, status: u16, completed: bool) {
        if let Some(pending) = self.pending.take() {
            pending.conclude(status, self.sent, completed);
        }
    }
}

impl AsyncRead for Transfer {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(pause) = this.pause.as_mut() {
            ready!(pause.as_mut().poll(cx));
            this.pause = None;
        }
        let room = buf.remaining();
        let most = this.pacing.map_or(room, |pacing| pacing.chunk.max(1).min(room));
        if let Some(chunk) = ready!(this.remaining.poll_take(cx, most)) {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(error) => {
                    this.conclude(TRANSFER_ABORTED, false);
                    return Poll::Ready(Err(error));
                }
            };
            buf.put_slice(&chunk);
            this.sent += chunk.len() as u64;
            if let Some(pacing) = this.pacing
                && this.remaining.remaining() > 0
            {
                this.pause = Some(Box::pin(tokio::time::sleep(pacing.interval)));
            }
            return Poll::Ready(Ok(()));
        }
        if this.break_off {
            // ConnectionAborted makes libunftp answer 426, and the client sees a failed
            // transfer rather than a short file with 226.
            this.conclude(TRANSFER_ABORTED, false);
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "the staging plan breaks the transfer off here",
            )));
        }
        this.conclude(TRANSFER_COMPLETE, true);
        Poll::Ready(Ok(()))
    }
}

impl Drop for Transfer {
    fn drop(&mut self) {
        self.conclude(TRANSFER_ABORTED, false);
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use std::sync::Arc;
    use std::time::Instant;

    use tokio::io::AsyncReadExt;

    use super::*;
    use crate::staging::tests::{pending, shared_for_tests};

    async fn read_all(transfer: &mut Transfer) -> (Vec<u8>, Option<io::ErrorKind>) {
        let mut out = Vec::new();
        let mut buf = [0u8; 64];
        loop {
            match transfer.read(&mut buf).await {
                Ok(0) => return (out, None),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(error) => return (out, Some(error.kind())),
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_dribbled_transfer_paces_and_completes_with_226() {
        let shared = shared_for_tests();
        let pacing = Pacing { chunk: 4, interval: Duration::from_millis(30) };
        let shape = Shape { pacing: Some(pacing), ..Shape::default() };
        let mut transfer = Transfer::new(Bytes::from_static(b"0123456789").into(), shape, pending(&shared, "k"));
        let started = tokio::time::Instant::now();
        let (data, error) = read_all(&mut transfer).await;
        assert_eq!((data.as_slice(), error), (&b"0123456789"[..], None));
        assert_eq!(started.elapsed(), Duration::from_millis(60));
        let events = shared.log.filtered(|_| true);
        assert_eq!(events.len(), 1, "recorded at the end of the data, before the drop");
        assert_eq!((events[0].status, events[0].bytes_sent, events[0].completed), (226, 10, true));
        drop(transfer);
        assert_eq!(shared.log.filtered(|_| true).len(), 1, "recorded once");
    }

    #[tokio::test]
    async fn a_truncated_transfer_breaks_off_with_426() {
        let shared = shared_for_tests();
        let shape = Shape { truncate_after: Some(3), ..Shape::default() };
        let mut transfer = Transfer::new(Bytes::from_static(b"0123456789").into(), shape, pending(&shared, "k"));
        let (data, error) = read_all(&mut transfer).await;
        assert_eq!((data.as_slice(), error), (&b"012"[..], Some(io::ErrorKind::ConnectionAborted)));
        let event = shared.log.filtered(|_| true).pop().expect("an event");
        assert_eq!((event.status, event.bytes_sent, event.completed), (426, 3, false));
    }

    #[tokio::test]
    async fn a_truncation_beyond_the_end_serves_everything() {
        let shared = shared_for_tests();
        let shape = Shape { truncate_after: Some(10), ..Shape::default() };
        let mut transfer = Transfer::new(Bytes::from_static(b"0123456789").into(), shape, pending(&shared, "k"));
        let (data, error) = read_all(&mut transfer).await;
        assert_eq!((data.len(), error), (10, None));
    }

    #[tokio::test(start_paused = true)]
    async fn a_transfer_dropped_during_its_delay_is_recorded_as_aborted() {
        let shared = shared_for_tests();
        let shape = Shape { delay: Some(Duration::from_secs(5)), ..Shape::default() };
        let transfer = Transfer::new(Bytes::from_static(b"abc").into(), shape, pending(&shared, "k"));
        let before = Instant::now();
        drop(transfer);
        let event = shared.log.filtered(|_| true).pop().expect("an event");
        assert_eq!((event.status, event.bytes_sent, event.completed), (426, 0, false));
        assert!(event.finished_at >= before);
        assert!(Arc::strong_count(&shared) == 1, "the transfer let go of the server state");
    }
}
