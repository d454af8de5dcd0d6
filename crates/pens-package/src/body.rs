//! What the staging server sends for a package: byte runs, runs of zeros and runs of a
//! file on disk, so that a package of gigabytes (`[staging] size = "1GiB"`,
//! `security-oversized-package`), a large package fixture, or one whose entries share
//! one compressed stream (the zip bomb) is served without ever being held whole in
//! memory.
//!
//! A [`PackageBody`] is cheap to clone (one `Arc`); a [`BodyCursor`] walks it in chunks
//! that share the underlying bytes, zeros coming from one static buffer, file runs read
//! [`FILE_CHUNK`] at a time, off the async threads ([`BodyCursor::poll_take`]).

use std::fs::File;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use tokio::task::JoinHandle;

/// The largest chunk of zeros handed out at once.
const ZERO_CHUNK: usize = 64 * 1024;

/// The most read from a file at once: large enough that a gigabyte is a few thousand
/// reads, small enough that a transfer holds little memory.
const FILE_CHUNK: usize = 256 * 1024;

/// The zeros every zero run is cut from.
static ZEROS: [u8; ZERO_CHUNK] = [0; ZERO_CHUNK];

/// One run of a body.
#[derive(Clone, Debug)]
enum Run {
    /// These bytes.
    Bytes(Bytes),
    /// This many zero bytes.
    Zeros(u64),
    /// `len` bytes of this open file from `offset`: read at their position, so any
    /// number of transfers share one handle.
    File { file: Arc<File>, offset: u64, len: u64 },
}

impl Run {
    fn len(&self) -> u64 {
        match self {
            Run::Bytes(bytes) => bytes.len() as u64,
            Run::Zeros(count) => *count,
            Run::File { len, .. } => *len,
        }
    }
}

impl PartialEq for Run {
    /// File runs are equal when they are the same part of the same open file.
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Run::Bytes(a), Run::Bytes(b)) => a == b,
            (Run::Zeros(a), Run::Zeros(b)) => a == b,
            (Run::File { file: a, offset: x, len: m }, Run::File { file: b, offset: y, len: n }) => {
                Arc::ptr_eq(a, b) && x == y && m == n
            }
            _ => false,
        }
    }
}

impl Eq for Run {}

/// The bytes of a staged package, as runs; see the module documentation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageBody {
    runs: Arc<[Run]>,
    len: u64,
}

impl PackageBody {
    /// A body of `bytes` and `zeros` runs, in order.
    pub(crate) fn builder() -> PackageBodyBuilder {
        PackageBodyBuilder { runs: Vec::new() }
    }

    /// Its length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// All of it in one buffer, when it is at most `limit` bytes long and every file
    /// run reads: for tests, and for the small packages that the hostile behaviours
    /// rewrite. File runs are read here and now, blocking: call it off the async
    /// threads for anything but small files.
    pub fn to_bytes(&self, limit: u64) -> Option<Bytes> {
        if self.len > limit {
            return None;
        }
        if let [Run::Bytes(bytes)] = &*self.runs {
            return Some(bytes.clone());
        }
        let mut out = Vec::with_capacity(usize::try_from(self.len).ok()?);
        let mut cursor = self.cursor(self.len);
        while let Some(chunk) = cursor.take(usize::MAX) {
            out.extend_from_slice(&chunk.ok()?);
        }
        Some(Bytes::from(out))
    }

    /// The whole of an open file: `len` bytes from its start, read as they are sent.
    pub fn file(file: File, len: u64) -> Self {
        PackageBody::builder().file(Arc::new(file), 0, len).build()
    }

    /// A cursor over its first `limit` bytes (all of them when `limit` is beyond its end).
    pub fn cursor(&self, limit: u64) -> BodyCursor {
        BodyCursor { runs: Arc::clone(&self.runs), run: 0, offset: 0, remaining: limit.min(self.len), reading: None }
    }
}

impl From<Bytes> for PackageBody {
    fn from(bytes: Bytes) -> Self {
        PackageBody::builder().bytes(bytes).build()
    }
}

/// Builds a [`PackageBody`] run by run.
pub(crate) struct PackageBodyBuilder {
    runs: Vec<Run>,
}

impl PackageBodyBuilder {
    /// Appends `bytes` (nothing when empty).
    pub(crate) fn bytes(mut self, bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        if !bytes.is_empty() {
            self.runs.push(Run::Bytes(bytes));
        }
        self
    }

    /// Appends `count` zero bytes.
    pub(crate) fn zeros(mut self, count: u64) -> Self {
        if count > 0 {
            self.runs.push(Run::Zeros(count));
        }
        self
    }

    /// Appends `len` bytes of `file` from `offset`.
    pub(crate) fn file(mut self, file: Arc<File>, offset: u64, len: u64) -> Self {
        if len > 0 {
            self.runs.push(Run::File { file, offset, len });
        }
        self
    }

    pub(crate) fn build(self) -> PackageBody {
        let len = self.runs.iter().map(Run::len).sum();
        PackageBody { runs: self.runs.into(), len }
    }
}

/// Walks a body in chunks; never crosses a run in one chunk.
#[derive(Debug)]
pub struct BodyCursor {
    runs: Arc<[Run]>,
    run: usize,
    offset: u64,
    remaining: u64,
    /// A file read under way ([`BodyCursor::poll_take`]).
    reading: Option<JoinHandle<io::Result<Bytes>>>,
}

/// The next piece of a body: bytes at hand, or a part of a file still to read.
enum Piece {
    Ready(Bytes),
    File { file: Arc<File>, at: u64, len: usize },
}

impl BodyCursor {
    /// Bytes left before the cursor's limit.
    pub fn remaining(&self) -> u64 {
        self.remaining
    }

    /// The next chunk, at most `max` bytes (at least one when anything is left and
    /// `max` is not 0); `None` at the limit. File runs are read here, blocking: the
    /// async consumers use [`BodyCursor::poll_take`].
    pub fn take(&mut self, max: usize) -> Option<io::Result<Bytes>> {
        match self.next_piece(max)? {
            Piece::Ready(bytes) => Some(Ok(self.advance(bytes))),
            Piece::File { file, at, len } => Some(read_at(&file, at, len).map(|bytes| self.advance(bytes))),
        }
    }

    /// [`BodyCursor::take`] for async consumers: a file run is read on the blocking
    /// pool, one chunk at a time, and the task is woken when the chunk is there. A read
    /// that fails, or a file that has shrunk since it was staged, is an error: the
    /// transfer breaks off rather than sending other bytes than it announced.
    pub fn poll_take(&mut self, cx: &mut Context<'_>, max: usize) -> Poll<Option<io::Result<Bytes>>> {
        if self.reading.is_none() {
            match self.next_piece(max) {
                None => return Poll::Ready(None),
                Some(Piece::Ready(bytes)) => return Poll::Ready(Some(Ok(self.advance(bytes)))),
                Some(Piece::File { file, at, len }) => {
                    self.reading = Some(tokio::task::spawn_blocking(move || read_at(&file, at, len)));
                }
            }
        }
        let Some(reading) = self.reading.as_mut() else { return Poll::Ready(None) };
        let read = ready!(Pin::new(reading).poll(cx));
        self.reading = None;
        Poll::Ready(Some(match read {
            Ok(Ok(bytes)) => Ok(self.advance(bytes)),
            Ok(Err(error)) => Err(error),
            Err(join) => Err(io::Error::other(format!("the package file read stopped: {join}"))),
        }))
    }

    /// What comes next, without moving: at most `max` bytes, never across a run.
    fn next_piece(&mut self, max: usize) -> Option<Piece> {
        while self.remaining > 0 {
            let run = self.runs.get(self.run)?;
            let left_in_run = run.len() - self.offset;
            if left_in_run == 0 {
                self.run += 1;
                self.offset = 0;
                continue;
            }
            let want = (max.max(1) as u64).min(left_in_run).min(self.remaining);
            return Some(match run {
                Run::Bytes(bytes) => {
                    let start = usize::try_from(self.offset).ok()?;
                    Piece::Ready(bytes.slice(start..start + usize::try_from(want).ok()?))
                }
                Run::Zeros(_) => {
                    let count = usize::try_from(want).unwrap_or(ZERO_CHUNK).min(ZERO_CHUNK);
                    Piece::Ready(Bytes::from_static(&ZEROS[..count]))
                }
                Run::File { file, offset, .. } => Piece::File {
                    file: Arc::clone(file),
                    at: offset + self.offset,
                    len: usize::try_from(want).unwrap_or(FILE_CHUNK).min(FILE_CHUNK),
                },
            });
        }
        None
    }

    /// Moves past `chunk`, and hands it on.
    fn advance(&mut self, chunk: Bytes) -> Bytes {
        self.offset += chunk.len() as u64;
        self.remaining -= chunk.len() as u64;
        chunk
    }
}

impl Drop for BodyCursor {
    /// A transfer dropped mid-read leaves its read to finish on its own; nothing waits.
    fn drop(&mut self) {
        if let Some(reading) = self.reading.take() {
            reading.abort();
        }
    }
}

/// Exactly `len` bytes of `file` at `at`, or an error: a file that ends early has
/// shrunk since it was staged.
fn read_at(file: &File, at: u64, len: usize) -> io::Result<Bytes> {
    let mut buffer = vec![0; len];
    read_exact_at(file, &mut buffer, at).map_err(|error| {
        if error.kind() == io::ErrorKind::UnexpectedEof {
            io::Error::new(error.kind(), "the package file is shorter than when it was staged")
        } else {
            error
        }
    })?;
    Ok(Bytes::from(buffer))
}

#[cfg(unix)]
fn read_exact_at(file: &File, buffer: &mut [u8], at: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buffer, at)
}

#[cfg(windows)]
fn read_exact_at(file: &File, mut buffer: &mut [u8], mut at: u64) -> io::Result<()> {
    while !buffer.is_empty() {
        match std::os::windows::fs::FileExt::seek_read(file, buffer, at)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => {
                buffer = &mut std::mem::take(&mut buffer)[n..];
                at += n as u64;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(mut cursor: BodyCursor, max: usize) -> (Vec<u8>, usize) {
        let mut out = Vec::new();
        let mut chunks = 0;
        while let Some(chunk) = cursor.take(max) {
            let chunk = chunk.expect("readable");
            assert!(!chunk.is_empty() && chunk.len() <= max.max(1));
            out.extend_from_slice(&chunk);
            chunks += 1;
        }
        (out, chunks)
    }

    #[test]
    fn runs_are_walked_in_order_within_the_limit() {
        let body = PackageBody::builder().bytes(&b"ab"[..]).zeros(3).bytes(Bytes::new()).bytes(&b"cd"[..]).build();
        assert_eq!(body.len(), 7);
        assert_eq!(drain(body.cursor(u64::MAX), usize::MAX).0, b"ab\0\0\0cd");
        assert_eq!(drain(body.cursor(4), usize::MAX).0, b"ab\0\0");
        assert_eq!(drain(body.cursor(7), 2), (b"ab\0\0\0cd".to_vec(), 4));
        assert_eq!(drain(body.cursor(0), 8).0, b"");
        assert_eq!(body.to_bytes(7).as_deref(), Some(&b"ab\0\0\0cd"[..]));
        assert_eq!(body.to_bytes(6), None);
    }

    #[test]
    fn a_large_zero_run_costs_no_memory_and_comes_in_bounded_chunks() {
        let body = PackageBody::builder().zeros(5 * 1024 * 1024 * 1024).build();
        let mut cursor = body.cursor(u64::MAX);
        let first = cursor.take(usize::MAX).expect("a chunk").expect("zeros");
        assert_eq!(first.len(), ZERO_CHUNK);
        assert_eq!(cursor.remaining(), 5 * 1024 * 1024 * 1024 - ZERO_CHUNK as u64);
    }

    #[test]
    fn plain_bytes_convert_without_copying() {
        let bytes = Bytes::from_static(b"package");
        let body = PackageBody::from(bytes.clone());
        assert_eq!(body.to_bytes(100), Some(bytes));
        assert!(PackageBody::from(Bytes::new()).is_empty());
    }

    fn file_with(content: &[u8]) -> (File, std::path::PathBuf) {
        use std::io::Write;
        let path = std::env::temp_dir().join(format!(
            "pens-package-body-{}-{}",
            std::process::id(),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos())
        ));
        let mut file = File::create(&path).expect("create");
        file.write_all(content).expect("write");
        (File::open(&path).expect("open"), path)
    }

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8).collect()
    }

    #[test]
    fn a_file_run_is_read_at_its_offsets_between_other_runs() {
        let content = pattern(FILE_CHUNK * 2 + 17);
        let (file, path) = file_with(&content);
        let file = Arc::new(file);
        let body = PackageBody::builder()
            .bytes(&b"head"[..])
            .file(Arc::clone(&file), 5, content.len() as u64 - 5)
            .zeros(2)
            .build();
        assert_eq!(body.len(), 4 + content.len() as u64 - 5 + 2);
        let (all, chunks) = drain(body.cursor(u64::MAX), usize::MAX);
        assert_eq!(&all[..4], b"head");
        assert_eq!(&all[4..all.len() - 2], &content[5..]);
        assert_eq!(&all[all.len() - 2..], b"\0\0");
        assert_eq!(chunks, 1 + 3 + 1, "file runs come in chunks of at most {FILE_CHUNK}");
        assert_eq!(body.to_bytes(u64::MAX).as_deref(), Some(&all[..]));
        let _ = std::fs::remove_file(path);
    }

    #[tokio::test]
    async fn a_file_is_read_off_the_async_threads_in_bounded_chunks() {
        let content = pattern(FILE_CHUNK * 3 + 1);
        let (file, path) = file_with(&content);
        let body = PackageBody::file(file, content.len() as u64);
        let mut cursor = body.cursor(u64::MAX);
        let mut read = Vec::new();
        while let Some(chunk) = std::future::poll_fn(|cx| cursor.poll_take(cx, usize::MAX)).await {
            let chunk = chunk.expect("readable");
            assert!(chunk.len() <= FILE_CHUNK);
            read.extend_from_slice(&chunk);
        }
        assert_eq!(read, content);
        assert_eq!(cursor.remaining(), 0);
        let _ = std::fs::remove_file(path);
    }

    #[tokio::test]
    async fn a_file_that_shrank_since_it_was_staged_is_an_error_not_other_bytes() {
        let content = pattern(1000);
        let (file, path) = file_with(&content);
        let body = PackageBody::file(file, 5000);
        let mut cursor = body.cursor(u64::MAX);
        let first = std::future::poll_fn(|cx| cursor.poll_take(cx, usize::MAX)).await.expect("a chunk");
        let error = first.expect_err("short file");
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
        assert!(error.to_string().contains("shorter than when it was staged"), "{error}");
        assert_eq!(body.to_bytes(u64::MAX), None);
        let _ = std::fs::remove_file(path);
    }
}
