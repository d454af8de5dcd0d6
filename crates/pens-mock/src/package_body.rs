//! What the staging server sends for a package: byte runs and runs of zeros, so that
//! a package of gigabytes (`security-oversized-package`) or one whose entries share one
//! compressed stream (the zip bomb) is served without ever being held whole in memory.
//!
//! A [`PackageBody`] is cheap to clone (one `Arc`); a [`BodyCursor`] walks it in chunks
//! that share the underlying bytes, zeros coming from one static buffer.

use std::sync::Arc;

use bytes::Bytes;

/// The largest chunk of zeros handed out at once.
const ZERO_CHUNK: usize = 64 * 1024;

/// The zeros every zero run is cut from.
static ZEROS: [u8; ZERO_CHUNK] = [0; ZERO_CHUNK];

/// One run of a body.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Run {
    /// These bytes.
    Bytes(Bytes),
    /// This many zero bytes.
    Zeros(u64),
}

impl Run {
    fn len(&self) -> u64 {
        match self {
            Run::Bytes(bytes) => bytes.len() as u64,
            Run::Zeros(count) => *count,
        }
    }
}

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

    /// All of it in one buffer, when it is at most `limit` bytes long: for tests and
    /// for small generated packages.
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
            out.extend_from_slice(&chunk);
        }
        Some(Bytes::from(out))
    }

    /// A cursor over its first `limit` bytes (all of them when `limit` is beyond its end).
    pub(crate) fn cursor(&self, limit: u64) -> BodyCursor {
        BodyCursor { runs: Arc::clone(&self.runs), run: 0, offset: 0, remaining: limit.min(self.len) }
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

    pub(crate) fn build(self) -> PackageBody {
        let len = self.runs.iter().map(Run::len).sum();
        PackageBody { runs: self.runs.into(), len }
    }
}

/// Walks a body in chunks; never crosses a run in one chunk.
#[derive(Debug)]
pub(crate) struct BodyCursor {
    runs: Arc<[Run]>,
    run: usize,
    offset: u64,
    remaining: u64,
}

impl BodyCursor {
    /// Bytes left before the cursor's limit.
    pub(crate) fn remaining(&self) -> u64 {
        self.remaining
    }

    /// The next chunk, at most `max` bytes (at least one when anything is left and
    /// `max` is not 0); `None` at the limit.
    pub(crate) fn take(&mut self, max: usize) -> Option<Bytes> {
        while self.remaining > 0 {
            let run = self.runs.get(self.run)?;
            let left_in_run = run.len() - self.offset;
            if left_in_run == 0 {
                self.run += 1;
                self.offset = 0;
                continue;
            }
            let want = (max.max(1) as u64).min(left_in_run).min(self.remaining);
            let chunk = match run {
                Run::Bytes(bytes) => {
                    let start = usize::try_from(self.offset).ok()?;
                    bytes.slice(start..start + usize::try_from(want).ok()?)
                }
                Run::Zeros(_) => {
                    let count = usize::try_from(want).unwrap_or(ZERO_CHUNK).min(ZERO_CHUNK);
                    Bytes::from_static(&ZEROS[..count])
                }
            };
            self.offset += chunk.len() as u64;
            self.remaining -= chunk.len() as u64;
            return Some(chunk);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(mut cursor: BodyCursor, max: usize) -> (Vec<u8>, usize) {
        let mut out = Vec::new();
        let mut chunks = 0;
        while let Some(chunk) = cursor.take(max) {
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
        let first = cursor.take(usize::MAX).expect("a chunk");
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
}
