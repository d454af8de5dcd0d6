//! Where the package is read from: any [`Read`] + [`Seek`] (bytes in memory, a file
//! on disk), a piece at a time, so that a package of any size is inspected in bounded
//! memory. The first bytes tell the container, an XML document is read up to
//! [`crate::Limits::max_xml_bytes`], and a zip archive is read through its central
//! directory, one entry at a time.
//!
//! A reader that fails (a disk error, a file cut short under our feet) is not the
//! package's fault: [`Source`] keeps the first such error so that the inspection can
//! say the package could not be read instead of judging a broken archive.

use std::io::{self, ErrorKind, Read, Seek, SeekFrom};

/// How much of the start of a package is read to tell its container and to quote it
/// in findings: far more than a signature, an HTML error page's title or a tar header
/// needs, and little enough to read for every package.
pub(crate) const SNIFF_BYTES: u64 = 64 * 1024;

/// [`Read`] and [`Seek`] as one object type, so that the archive code is not generic
/// over every reader a caller may hand in.
pub(crate) trait ReadSeek: Read + Seek {}

impl<T: Read + Seek + ?Sized> ReadSeek for T {}

/// A caller's reader, with the first I/O error it gave kept. Once a read has failed,
/// every later read and seek fails at once: a failing disk is not retried entry by
/// entry.
pub(crate) struct Source<'a> {
    inner: &'a mut dyn ReadSeek,
    /// The package's length as the caller gave it.
    len: u64,
    error: Option<String>,
}

impl<'a> Source<'a> {
    pub(crate) fn new(inner: &'a mut dyn ReadSeek, len: u64) -> Self {
        Source { inner, len, error: None }
    }

    /// The package's length, as the caller gave it.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Why reading failed, if it did.
    pub(crate) fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Records a failure found by the caller (the reader ended early).
    fn fail(&mut self, reason: String) {
        self.error.get_or_insert(reason);
    }

    /// Up to `want` bytes from `offset`, fewer when the package is shorter. A reader
    /// that ends before the package's declared length is a failure.
    pub(crate) fn read_at(&mut self, offset: u64, want: u64) -> Vec<u8> {
        let want = want.min(self.len.saturating_sub(offset));
        let mut bytes = Vec::with_capacity(usize::try_from(want).unwrap_or(0).min(SNIFF_BYTES as usize));
        if self.seek(SeekFrom::Start(offset)).is_err() {
            return bytes;
        }
        let read = Read::by_ref(self).take(want).read_to_end(&mut bytes);
        if let Ok(read) = read
            && (read as u64) < want
        {
            self.fail(format!("the reader ended after {} of the package's {} bytes", offset + read as u64, self.len));
        }
        bytes
    }

    /// `bytes` (the first ones) extended to `want` bytes, read from where they end.
    pub(crate) fn extend_to(&mut self, mut bytes: Vec<u8>, want: u64) -> Vec<u8> {
        let have = bytes.len() as u64;
        if have < want {
            bytes.extend(self.read_at(have, want - have));
        }
        bytes
    }

    fn stopped() -> io::Error {
        io::Error::other("reading stopped after an earlier error")
    }
}

impl Read for Source<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.error.is_some() {
            return Err(Self::stopped());
        }
        self.inner.read(buf).inspect_err(|error| {
            if error.kind() != ErrorKind::Interrupted {
                self.error = Some(error.to_string());
            }
        })
    }
}

impl Seek for Source<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        if self.error.is_some() {
            return Err(Self::stopped());
        }
        // A seek before the start is the archive's doing (an offset that points
        // nowhere), not the reader's: the zip reader reports it as a broken archive.
        self.inner.seek(to).inspect_err(|error| {
            if !matches!(error.kind(), ErrorKind::InvalidInput | ErrorKind::Interrupted) {
                self.error = Some(error.to_string());
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    #[test]
    fn reads_are_cut_at_the_declared_length_and_a_short_reader_is_a_failure() {
        let mut bytes = Cursor::new(b"0123456789".to_vec());
        let mut source = Source::new(&mut bytes, 10);
        assert_eq!(source.read_at(0, 4), b"0123");
        assert_eq!(source.extend_to(b"0123".to_vec(), 100), b"0123456789");
        assert_eq!(source.error(), None);

        let mut short = Cursor::new(b"01234".to_vec());
        let mut source = Source::new(&mut short, 10);
        assert_eq!(source.read_at(0, 100), b"01234");
        assert_eq!(source.error(), Some("the reader ended after 5 of the package's 10 bytes"));
    }

    #[test]
    fn a_seek_before_the_start_is_not_a_reader_failure() {
        let mut bytes = Cursor::new(b"0123".to_vec());
        let mut source = Source::new(&mut bytes, 4);
        assert!(source.seek(SeekFrom::End(-10)).is_err());
        assert_eq!(source.error(), None);
        assert_eq!(source.read_at(1, 2), b"12");
    }

    /// Fails every read after the first `good` bytes.
    struct Failing {
        inner: Cursor<Vec<u8>>,
        good: u64,
    }

    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.inner.position() >= self.good {
                return Err(io::Error::other("the disk is gone"));
            }
            let room = (self.good - self.inner.position()) as usize;
            let n = buf.len().min(room);
            self.inner.read(&mut buf[..n])
        }
    }

    impl Seek for Failing {
        fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
            self.inner.seek(to)
        }
    }

    #[test]
    fn the_first_reader_error_is_kept_and_stops_every_later_read() {
        let mut failing = Failing { inner: Cursor::new(vec![7; 100]), good: 10 };
        let mut source = Source::new(&mut failing, 100);
        assert_eq!(source.read_at(0, 50).len(), 10);
        assert_eq!(source.error(), Some("the disk is gone"));
        assert!(source.seek(SeekFrom::Start(0)).is_err());
        assert!(source.read(&mut [0; 4]).is_err());
        assert_eq!(source.error(), Some("the disk is gone"), "the first error is the one kept");
    }
}
