//! Watching the start of each request on a connection, so that a request head the HTTP
//! layer refuses can still be named.
//!
//! hyper answers a request head beyond its buffer (or with too many headers) with 431
//! itself and closes the connection: the router never sees the request, so nothing
//! would be recorded and client mode would report "no collect arrived" for a collect
//! that did arrive, with a 1 MB URL. [`HeadTap`] sits between the socket and hyper and
//! keeps the first bytes read since the connection's last write (the start of the
//! request being read, since an answer is written before the next request is read) and
//! how many bytes that request has taken so far; when the connection ends on such an
//! error, the listener's hook gets them ([`RefusedHead`]).

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The most bytes of a request head the listeners read (hyper's `max_buf_size`): its
/// documented default, 8 KiB plus 100 header lines of 4 KiB, set explicitly so that a
/// refusal can quote it.
pub const MAX_REQUEST_HEAD_BYTES: usize = 8192 + 4096 * 100;

/// A request head the HTTP layer refused (431), as far as it was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefusedHead {
    /// Its first bytes, at most `keep` of them.
    pub start: Vec<u8>,
    /// How many bytes of it were read.
    pub seen: u64,
}

/// Called with each refused request head of a listener.
pub type HeadHook = Arc<dyn Fn(RefusedHead) + Send + Sync>;

/// What a [`HeadTap`] has seen of the request being read.
#[derive(Debug, Default)]
pub(crate) struct HeadSeen {
    start: Vec<u8>,
    seen: u64,
    /// Something was written since the last read: the next bytes read start a request.
    wrote: bool,
}

/// A connection whose reads are watched (see the module documentation).
pub(crate) struct HeadTap<S> {
    inner: S,
    seen: Arc<Mutex<HeadSeen>>,
    keep: usize,
}

impl<S> HeadTap<S> {
    /// Wraps `inner`, keeping at most `keep` bytes of each request's start.
    pub(crate) fn new(inner: S, keep: usize) -> (Self, Arc<Mutex<HeadSeen>>) {
        let seen = Arc::new(Mutex::new(HeadSeen::default()));
        (HeadTap { inner, seen: Arc::clone(&seen), keep }, seen)
    }
}

impl HeadSeen {
    /// The request being read when the connection ended.
    pub(crate) fn refused(&self) -> RefusedHead {
        RefusedHead { start: self.start.clone(), seen: self.seen }
    }

    fn read(&mut self, bytes: &[u8], keep: usize) {
        if std::mem::take(&mut self.wrote) {
            self.start.clear();
            self.seen = 0;
        }
        let room = keep.saturating_sub(self.start.len());
        self.start.extend_from_slice(&bytes[..room.min(bytes.len())]);
        self.seen = self.seen.saturating_add(bytes.len() as u64);
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for HeadTap<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            let new = &buf.filled()[before..];
            if !new.is_empty() {
                self.seen.lock().unwrap_or_else(PoisonError::into_inner).read(new, self.keep);
            }
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for HeadTap<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = polled
            && n > 0
        {
            self.seen.lock().unwrap_or_else(PoisonError::into_inner).wrote = true;
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = polled
            && n > 0
        {
            self.seen.lock().unwrap_or_else(PoisonError::into_inner).wrote = true;
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Whether a connection ended because hyper refused a request head as too large
/// (beyond [`MAX_REQUEST_HEAD_BYTES`], or too many header lines): it answered 431.
pub(crate) fn is_head_too_large(error: &(dyn std::error::Error + 'static)) -> bool {
    error.downcast_ref::<hyper::Error>().is_some_and(hyper::Error::is_parse_too_large)
}

#[cfg(test)]
mod tests {
    use super::HeadSeen;

    /// The start kept is the current request's: a write (our answer) starts the next.
    #[test]
    fn each_request_is_watched_from_its_first_byte() {
        let mut seen = HeadSeen::default();
        seen.read(b"GET /pens/a HTTP/1.1\r\n\r\n", 8);
        assert_eq!(seen.refused().start, b"GET /pen");
        seen.read(b"more", 8);
        assert_eq!(seen.refused().seen, 28);
        seen.wrote = true;
        seen.read(b"POST /pens/b", 8);
        let refused = seen.refused();
        assert_eq!((refused.start.as_slice(), refused.seen), (&b"POST /pe"[..], 12));
    }
}
