//! The response body of a staged package: it paces, breaks off, and counts what it
//! hands to the HTTP layer, so that the staging event can say how many bytes went out
//! and whether the whole body did.
//!
//! Counting happens at the body rather than the socket because that is the last point
//! we control; bytes handed over are written at once on loopback and LAN links, and a
//! client that hangs up early shows as a body dropped before its end.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::time::Sleep;

use pens_package::{BodyCursor, PackageBody};

/// How long a breaking-off body waits between its last bytes and the break, so that
/// hyper flushes those bytes before it tears the connection down.
const BREAK_GRACE: Duration = Duration::from_millis(100);

/// Called once, when the body is dropped: bytes handed over, and whether that was the
/// whole announced length.
pub(crate) type OnDone = Box<dyn FnOnce(u64, bool) + Send>;

/// Pacing of a dribbled body: `chunk` bytes, then a pause of `interval`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Pacing {
    pub(crate) chunk: usize,
    pub(crate) interval: Duration,
}

/// A body that announces `announced` bytes (its exact size hint, hence the
/// Content-Length hyper writes) and sends `data`, paced or not, chunk by chunk (a large
/// package is never copied); when it sends fewer bytes than announced, it breaks off
/// with an error, which makes hyper close the connection.
pub(crate) struct TrackedBody {
    remaining: BodyCursor,
    announced: u64,
    sent: u64,
    pacing: Option<Pacing>,
    pause: Option<Pin<Box<Sleep>>>,
    break_off: bool,
    grace: Option<Pin<Box<Sleep>>>,
    on_done: Option<OnDone>,
}

impl TrackedBody {
    /// A body that sends all of `data` (paced when `pacing` is given).
    pub(crate) fn whole(data: PackageBody, pacing: Option<Pacing>, on_done: OnDone) -> Self {
        Self::new(data.cursor(u64::MAX), data.len(), pacing, on_done)
    }

    /// A body that announces `data.len()` bytes but sends only the first `after`.
    pub(crate) fn truncated(data: PackageBody, after: usize, on_done: OnDone) -> Self {
        Self::new(data.cursor(after as u64), data.len(), None, on_done)
    }

    fn new(remaining: BodyCursor, announced: u64, pacing: Option<Pacing>, on_done: OnDone) -> Self {
        TrackedBody {
            break_off: remaining.remaining() < announced,
            remaining,
            announced,
            sent: 0,
            pacing,
            pause: None,
            grace: None,
            on_done: Some(on_done),
        }
    }

    /// The length announced in Content-Length.
    pub(crate) fn announced(&self) -> u64 {
        self.announced
    }
}

/// The error that ends a truncated body, or one whose package file could not be read
/// (the error then): hyper answers it by closing the connection.
#[derive(Debug)]
pub(crate) struct BrokenOff(Option<std::io::Error>);

impl std::fmt::Display for BrokenOff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            None => f.write_str("the staging plan breaks the body off here"),
            Some(error) => write!(f, "the package file could not be read: {error}"),
        }
    }
}

impl std::error::Error for BrokenOff {}

impl Body for TrackedBody {
    type Data = Bytes;
    type Error = BrokenOff;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BrokenOff>>> {
        let this = self.get_mut();
        if let Some(pause) = this.pause.as_mut() {
            ready!(pause.as_mut().poll(cx));
            this.pause = None;
        }
        let most = this.pacing.map_or(usize::MAX, |pacing| pacing.chunk.max(1));
        if let Some(chunk) = ready!(this.remaining.poll_take(cx, most)) {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(error) => {
                    tracing::warn!(%error, "staging: a package file read failed; the body breaks off");
                    return Poll::Ready(Some(Err(BrokenOff(Some(error)))));
                }
            };
            this.sent += chunk.len() as u64;
            if let Some(pacing) = this.pacing
                && this.remaining.remaining() > 0
            {
                this.pause = Some(Box::pin(tokio::time::sleep(pacing.interval)));
            }
            return Poll::Ready(Some(Ok(Frame::data(chunk))));
        }
        if this.break_off {
            let grace = this.grace.get_or_insert_with(|| Box::pin(tokio::time::sleep(BREAK_GRACE)));
            ready!(grace.as_mut().poll(cx));
            return Poll::Ready(Some(Err(BrokenOff(None))));
        }
        Poll::Ready(None)
    }

    fn is_end_stream(&self) -> bool {
        self.remaining.remaining() == 0 && self.pause.is_none() && !self.break_off
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.announced)
    }
}

impl Drop for TrackedBody {
    fn drop(&mut self) {
        if let Some(on_done) = self.on_done.take() {
            on_done(self.sent, self.sent == self.announced);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    type Seen = Arc<Mutex<Option<(u64, bool)>>>;

    fn recorder() -> (Seen, OnDone) {
        let seen: Seen = Arc::new(Mutex::new(None));
        let writer = Arc::clone(&seen);
        (seen, Box::new(move |sent, completed| *writer.lock().expect("lock") = Some((sent, completed))))
    }

    async fn drain(body: &mut TrackedBody) -> (Vec<Bytes>, bool) {
        let mut chunks = Vec::new();
        loop {
            match std::future::poll_fn(|cx| Pin::new(&mut *body).poll_frame(cx)).await {
                Some(Ok(frame)) => chunks.push(frame.into_data().expect("data")),
                Some(Err(BrokenOff(_))) => return (chunks, true),
                None => return (chunks, false),
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_whole_body_is_sent_in_paced_chunks_and_reported_complete() {
        let (seen, on_done) = recorder();
        let pacing = Pacing { chunk: 4, interval: Duration::from_millis(30) };
        let mut body = TrackedBody::whole(Bytes::from_static(b"0123456789").into(), Some(pacing), on_done);
        assert_eq!(body.size_hint().exact(), Some(10));
        let started = tokio::time::Instant::now();
        let (chunks, broken) = drain(&mut body).await;
        assert_eq!(chunks, ["0123", "4567", "89"]);
        assert!(!broken);
        assert!(body.is_end_stream());
        assert_eq!(started.elapsed(), Duration::from_millis(60));
        drop(body);
        assert_eq!(*seen.lock().expect("lock"), Some((10, true)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_truncated_body_announces_all_sends_part_then_breaks() {
        let (seen, on_done) = recorder();
        let mut body = TrackedBody::truncated(Bytes::from_static(b"0123456789").into(), 3, on_done);
        assert_eq!(body.announced(), 10);
        let (chunks, broken) = drain(&mut body).await;
        assert_eq!(chunks, ["012"]);
        assert!(broken);
        drop(body);
        assert_eq!(*seen.lock().expect("lock"), Some((3, false)));
    }

    #[test]
    fn a_body_dropped_unread_is_reported_incomplete_unless_empty() {
        for (data, expected) in [(&b"abc"[..], (0, false)), (&b""[..], (0, true))] {
            let (seen, on_done) = recorder();
            let body = TrackedBody::whole(Bytes::from_static(data).into(), None, on_done);
            drop(body);
            assert_eq!(*seen.lock().expect("lock"), Some(expected));
        }
    }
}
