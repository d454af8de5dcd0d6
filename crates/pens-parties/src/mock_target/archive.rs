//! Checking a retrieved package: is it an archive the target can import?
//!
//! CMI010 §6.3 gives 1432 ("internal package error") for a package that is bad after
//! retrieval. The reference target checks what a real LMS would trip over first: the
//! zip must open and every entry must decompress with a matching checksum, and the
//! contents must fit the `package-type` of the collect (CMI010 §6.2): a SCORM package
//! interchange file has `imsmanifest.xml` at its root, an AICC course carries its
//! `.crs`, `.au`, `.des` and `.cst` files, an IMS QTI package holds XML.
//!
//! Every package is read as a zip archive, whatever its `package-format` says: the
//! harness stages zip packages only, so a `url` or bare `xml` package gets 1432 here.
//!
//! The archive is hostile until checked: its entry count is read from the end of the
//! central directory before the zip crate lists (and allocates for) every entry, and
//! more than [`PeerLimits::zip_entries`] is refused; the entries are decompressed
//! against a budget of [`PeerLimits::unpacked_bytes`] in all (zip bombs). Either refusal
//! is 1432, with a [`LimitBreach`] saying what was seen.
//!
//! It is also a careful importer (security best practice, the `security` scenarios): an
//! entry whose name leaves the import folder (any `..` component, an absolute path, a
//! drive letter: pens-package's reading, [`pens_package::escapes_folder`]) is refused before anything is unpacked (zip-slip), and so is an archive whose entries
//! declare more than the unpacked budget in all (a zip bomb), before a byte is inflated;
//! entries that lie about their size still stop at the same budget.
//!
//! The archive is read through [`Read`] and [`Seek`], so a package spooled to a temp
//! file ([`SpooledPackage`]) is checked from that file, a piece at a time: checking a
//! package of a gigabyte takes no more memory than checking one of a megabyte.

use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::sync::{Mutex, PoisonError};

use bytes::Bytes;
// The AICC course structure files and the reading of entry names are pens-package's,
// so that the harness's package findings and the mock target agree.
use pens_package::{AICC_EXTENSIONS, escapes_folder};
use pens_proto::PackageType;

use super::spool::SpooledPackage;
use crate::limits::{Limit, LimitBreach, PeerLimits, bytes_text};

/// How thoroughly an archive is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArchiveCheck {
    /// Entry names, declared sizes, every entry unpacked against its CRC-32.
    Full,
    /// The directory only: names listed, nothing unpacked or judged
    /// (`shallow-archive-check`).
    Shallow,
}

/// What a good archive held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ArchiveSummary {
    /// Files (not directories) in the archive.
    pub(crate) files: usize,
}

/// Why an archive was refused: the receipt's `error-text` for 1432, and the cap that
/// was reached, when one was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ArchiveRefusal {
    pub(crate) text: String,
    pub(crate) breach: Option<LimitBreach>,
}

impl From<String> for ArchiveRefusal {
    fn from(text: String) -> Self {
        ArchiveRefusal { text, breach: None }
    }
}

/// Checks `package` as [`check_archive`] does, reading its file when it was spooled to
/// one: call it on a blocking thread then.
pub(crate) fn check_package(
    package: &SpooledPackage,
    package_type: Option<&str>,
    depth: ArchiveCheck,
    limits: &PeerLimits,
) -> Result<ArchiveSummary, ArchiveRefusal> {
    let reader = package.open().map_err(|e| format!("the stored package cannot be read back: {e}"))?;
    check_archive(reader, package_type, depth, limits)
}

/// Checks the archive `body` reads as a zip package of `package_type` (the raw collect
/// value; an unknown type is only checked for being a sound archive), within the zip
/// caps of `limits`.
pub(crate) fn check_archive<R: Read + Seek>(
    mut body: R,
    package_type: Option<&str>,
    depth: ArchiveCheck,
    limits: &PeerLimits,
) -> Result<ArchiveSummary, ArchiveRefusal> {
    let too_many = |count: u64| {
        let breach = LimitBreach::new(
            Limit::ZipEntries,
            format!(
                "the zip holds {count} entries, more than the {} allowed ([limits] {}); it was not opened",
                limits.zip_entries,
                Limit::ZipEntries.key()
            ),
        );
        ArchiveRefusal {
            text: format!("the archive holds {count} entries, more than the {} this target takes", limits.zip_entries),
            breach: Some(breach),
        }
    };
    if let Some(count) = declared_entries(&mut body).filter(|&count| count > limits.zip_entries as u64) {
        return Err(too_many(count));
    }
    let mut archive =
        zip::ZipArchive::new(body).map_err(|e| format!("the package is not a readable zip archive: {e}"))?;
    if archive.len() > limits.zip_entries {
        return Err(too_many(archive.len() as u64));
    }
    // The central directory first: names and declared sizes, nothing inflated yet.
    let mut names = Vec::with_capacity(archive.len());
    let mut declared: u64 = 0;
    for index in 0..archive.len() {
        let entry =
            archive.by_index_raw(index).map_err(|e| format!("entry {index} of the archive is unreadable: {e}"))?;
        if depth == ArchiveCheck::Full && escapes_folder(entry.name()) {
            return Err(
                format!("entry `{}` would be unpacked outside the import folder", entry.name().escape_debug()).into()
            );
        }
        declared = declared.saturating_add(entry.size());
        if !entry.is_dir() {
            names.push(entry.name().to_owned());
        }
    }
    if depth == ArchiveCheck::Full {
        if declared > limits.unpacked_bytes {
            let breach = LimitBreach::new(
                Limit::UnpackedBytes,
                format!(
                    "the zip's entries declare {declared} bytes unpacked, more than the {} limit ([limits] {}); \
                     nothing was decompressed",
                    bytes_text(limits.unpacked_bytes),
                    Limit::UnpackedBytes.key()
                ),
            );
            return Err(ArchiveRefusal {
                text: format!(
                    "the archive's entries declare {declared} bytes unpacked, beyond the {} this target unpacks",
                    limits.unpacked_bytes
                ),
                breach: Some(breach),
            });
        }
        unpack_all(&mut archive, limits)?;
    }
    if let Some(package_type) = package_type.and_then(PackageType::parse) {
        fits_type(&names, package_type)?;
    }
    Ok(ArchiveSummary { files: names.len() })
}

/// Inflates every file entry to nowhere, which makes the zip crate compare its CRC-32,
/// within [`PeerLimits::unpacked_bytes`] in all whatever the entries declare.
fn unpack_all<R: Read + Seek>(archive: &mut zip::ZipArchive<R>, limits: &PeerLimits) -> Result<(), ArchiveRefusal> {
    let mut budget = limits.unpacked_bytes;
    for index in 0..archive.len() {
        let mut entry =
            archive.by_index(index).map_err(|e| format!("entry {index} of the archive is unreadable: {e}"))?;
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().to_owned();
        let read = io::copy(&mut (&mut entry).take(budget.saturating_add(1)), &mut io::sink())
            .map_err(|e| format!("`{name}` in the archive is corrupt: {e}"))?;
        if read > budget {
            let breach = LimitBreach::new(
                Limit::UnpackedBytes,
                format!(
                    "the zip's entries expand to more than the {} limit ([limits] {}); decompressing stopped in \
                     entry {index} (`{name}`)",
                    bytes_text(limits.unpacked_bytes),
                    Limit::UnpackedBytes.key()
                ),
            );
            return Err(ArchiveRefusal {
                text: format!("the archive expands beyond {} bytes", limits.unpacked_bytes),
                breach: Some(breach),
            });
        }
        budget -= read;
    }
    Ok(())
}

/// The entry count the end of the central directory declares (zip64 included), read
/// without listing any entry; `None` when that record cannot be found (the zip crate
/// then says what is wrong). Reads the archive's last 64 KiB and, for zip64, the 40
/// bytes of its end record, wherever they are: never the whole archive.
fn declared_entries<R: Read + Seek>(body: &mut R) -> Option<u64> {
    const END: [u8; 4] = *b"PK\x05\x06";
    const ZIP64_LOCATOR: [u8; 4] = *b"PK\x06\x07";
    const ZIP64_END: [u8; 4] = *b"PK\x06\x06";
    const END_LEN: usize = 22;
    const LOCATOR_LEN: usize = 20;
    const ZIP64_END_LEN: usize = 40;
    // The record ends the file, followed only by a comment of up to 65535 bytes; the
    // zip64 locator comes right before it.
    let len = body.seek(SeekFrom::End(0)).ok()?;
    let tail_len = len.min((LOCATOR_LEN + END_LEN + usize::from(u16::MAX)) as u64);
    let tail = read_at(body, len - tail_len, usize::try_from(tail_len).ok()?)?;
    let last = tail.len().checked_sub(END_LEN)?;
    let earliest = last.saturating_sub(usize::from(u16::MAX));
    let at = (earliest..=last).rev().find(|&i| tail[i..i + 4] == END)?;
    let total = u16::from_le_bytes([tail[at + 10], tail[at + 11]]);
    if total != u16::MAX {
        return Some(total.into());
    }
    let locator = tail.get(at.checked_sub(LOCATOR_LEN)?..at)?;
    if locator[..4] != ZIP64_LOCATOR {
        return Some(total.into());
    }
    let offset = u64::from_le_bytes(locator[8..16].try_into().ok()?);
    if offset.checked_add(ZIP64_END_LEN as u64)? > len {
        return None;
    }
    let record = read_at(body, offset, ZIP64_END_LEN)?;
    (record[..4] == ZIP64_END).then(|| u64::from_le_bytes(record[32..40].try_into().unwrap_or_default()))
}

/// The `len` bytes of `body` from `offset`, or `None` when they cannot be read.
fn read_at<R: Read + Seek>(body: &mut R, offset: u64, len: usize) -> Option<Vec<u8>> {
    body.seek(SeekFrom::Start(offset)).ok()?;
    let mut bytes = vec![0; len];
    body.read_exact(&mut bytes).ok()?;
    Some(bytes)
}

/// The last small archive checked and what the check found: under load a target
/// fetches the same course thousands of times, and unzipping it every time was the
/// largest cost of the reference target's own. A package byte for byte equal to the
/// last one, with the same `package-type`, gets the same verdict without the unzip.
#[derive(Debug, Default)]
pub(crate) struct LastCheck {
    last: Mutex<Option<Checked>>,
}

#[derive(Debug)]
struct Checked {
    body: Bytes,
    package_type: Option<String>,
    depth: ArchiveCheck,
    limits: PeerLimits,
    result: Result<ArchiveSummary, ArchiveRefusal>,
}

impl LastCheck {
    /// [`check_archive`], or the verdict on the same bytes checked last. Meant for
    /// small packages: the bytes are kept until another package is checked.
    pub(crate) fn check(
        &self,
        body: &Bytes,
        package_type: Option<&str>,
        depth: ArchiveCheck,
        limits: &PeerLimits,
    ) -> Result<ArchiveSummary, ArchiveRefusal> {
        let last = || self.last.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(checked) = last().as_ref()
            && checked.body == *body
            && checked.package_type.as_deref() == package_type
            && checked.depth == depth
            && checked.limits == *limits
        {
            return checked.result.clone();
        }
        // Checked without the lock held: exchanges running at once do not wait on it.
        let result = check_archive(Cursor::new(body.as_ref()), package_type, depth, limits);
        *last() = Some(Checked {
            body: body.clone(),
            package_type: package_type.map(str::to_owned),
            depth,
            limits: *limits,
            result: result.clone(),
        });
        result
    }
}

/// Whether the file names fit the package type.
fn fits_type(names: &[String], package_type: PackageType) -> Result<(), String> {
    let extension = |name: &str| name.rsplit_once('.').map(|(_, ext)| ext.to_ascii_lowercase());
    match package_type {
        PackageType::ScormPif if names.iter().any(|n| n == "imsmanifest.xml") => Ok(()),
        PackageType::ScormPif => Err("a scorm-pif package has no imsmanifest.xml at its root".to_owned()),
        PackageType::AiccPkg => {
            let missing: Vec<String> = AICC_EXTENSIONS
                .into_iter()
                .filter(|wanted| !names.iter().any(|n| extension(n).as_deref() == Some(*wanted)))
                .map(|ext| format!(".{ext}"))
                .collect();
            if missing.is_empty() {
                Ok(())
            } else {
                Err(format!("an aicc-pkg package lacks its {} file(s)", missing.join(", ")))
            }
        }
        PackageType::ImsQti if names.iter().any(|n| extension(n).as_deref() == Some("xml")) => Ok(()),
        PackageType::ImsQti => Err("an ims-qti package holds no .xml file".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    /// [`check_archive`] over bytes in memory.
    fn check_bytes(
        body: &[u8],
        package_type: Option<&str>,
        depth: ArchiveCheck,
        limits: &PeerLimits,
    ) -> Result<ArchiveSummary, ArchiveRefusal> {
        check_archive(Cursor::new(body), package_type, depth, limits)
    }

    fn entries_of(body: &[u8]) -> Option<u64> {
        declared_entries(&mut Cursor::new(body))
    }

    fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, content) in files {
            writer.start_file(*name, zip::write::SimpleFileOptions::default()).expect("start");
            writer.write_all(content.as_bytes()).expect("write");
        }
        writer.finish().expect("finish").into_inner()
    }

    #[test]
    fn each_type_needs_its_files() {
        let scorm = zip_of(&[("imsmanifest.xml", "<manifest/>"), ("index.html", "hi")]);
        let nested = zip_of(&[("course/imsmanifest.xml", "<manifest/>")]);
        let aicc = zip_of(&[("c.crs", "x"), ("c.au", "x"), ("c.des", "x"), ("c.CST", "x")]);
        let aicc_partial = zip_of(&[("c.crs", "x"), ("c.au", "x")]);
        let qti = zip_of(&[("items/q1.xml", "<item/>")]);
        let cases: &[(&[u8], &str, bool)] = &[
            (&scorm, "scorm-pif", true),
            (&nested, "scorm-pif", false),
            (&qti, "scorm-pif", false),
            (&aicc, "aicc-pkg", true),
            (&aicc_partial, "aicc-pkg", false),
            (&scorm, "aicc-pkg", false),
            (&qti, "ims-qti", true),
            (&scorm, "ims-qti", true),
            (&aicc, "ims-qti", false),
            (&aicc, "some-other-type", true),
        ];
        for (body, package_type, good) in cases {
            let result = check_bytes(body, Some(package_type), ArchiveCheck::Full, &PeerLimits::default());
            assert_eq!(result.is_ok(), *good, "{package_type}: {result:?}");
        }
        let missing = check_bytes(&aicc_partial, Some("aicc-pkg"), ArchiveCheck::Full, &PeerLimits::default())
            .expect_err("partial");
        assert!(missing.text.contains(".des, .cst"), "{missing:?}");
    }

    #[test]
    fn the_last_verdict_is_reused_only_for_the_same_bytes_and_type() {
        let memo = LastCheck::default();
        let good = Bytes::from(zip_of(&[("imsmanifest.xml", "<manifest/>")]));
        let bad = Bytes::from_static(b"not a zip");
        assert!(memo.check(&good, Some("scorm-pif"), ArchiveCheck::Full, &PeerLimits::default()).is_ok());
        assert!(memo.check(&good, Some("scorm-pif"), ArchiveCheck::Full, &PeerLimits::default()).is_ok());
        assert!(
            memo.check(&good, Some("aicc-pkg"), ArchiveCheck::Full, &PeerLimits::default()).is_err(),
            "another type is checked again"
        );
        assert!(
            memo.check(&bad, Some("aicc-pkg"), ArchiveCheck::Full, &PeerLimits::default()).is_err(),
            "other bytes are checked again"
        );
        assert!(memo.check(&good, Some("scorm-pif"), ArchiveCheck::Full, &PeerLimits::default()).is_ok());
    }

    #[test]
    fn broken_archives_are_refused_without_panicking() {
        let good = zip_of(&[("imsmanifest.xml", "<manifest>some content to compress</manifest>")]);
        let truncated = &good[..good.len() / 2];
        let mut flipped = good.clone();
        // The first entry's data starts after its 30-byte local header and 15-byte name.
        flipped[30 + 15 + 2] ^= 0xff;
        for (what, body) in [
            ("empty", &b""[..]),
            ("text", &b"this is not a zip"[..]),
            ("truncated", truncated),
            ("flipped", &flipped[..]),
        ] {
            assert!(
                check_bytes(body, Some("scorm-pif"), ArchiveCheck::Full, &PeerLimits::default()).is_err(),
                "{what}"
            );
        }
        assert_eq!(
            check_bytes(&good, Some("scorm-pif"), ArchiveCheck::Full, &PeerLimits::default()),
            Ok(ArchiveSummary { files: 1 })
        );
    }

    #[test]
    fn a_package_spooled_to_a_file_is_checked_from_it_every_crc_included() {
        let in_file = |bytes: &[u8]| {
            let mut file = tempfile::NamedTempFile::new().expect("a temp file");
            file.write_all(bytes).expect("written");
            SpooledPackage::File { path: std::sync::Arc::new(file.into_temp_path()), len: bytes.len() as u64 }
        };
        let check =
            |package: &SpooledPackage, depth| check_package(package, Some("scorm-pif"), depth, &PeerLimits::default());
        let package = zip_of(&[("imsmanifest.xml", "<manifest/>")]);
        let big = crate::oversized_zip(&package, 3 << 20).to_bytes(4 << 20).expect("3 MiB");
        assert_eq!(check(&in_file(&big), ArchiveCheck::Full), Ok(ArchiveSummary { files: 2 }));

        // One zero of the stored filler made a one: only the filler's CRC tells.
        let mut flipped = big.to_vec();
        let middle = flipped.len() / 2;
        flipped[middle] = 1;
        let refused = check(&in_file(&flipped), ArchiveCheck::Full).expect_err("a bad CRC");
        assert!(
            refused.text.starts_with(&format!("`{}` in the archive is corrupt", crate::FILLER_ENTRY)),
            "{refused:?}"
        );
        assert!(check(&in_file(&flipped), ArchiveCheck::Shallow).is_ok(), "the directory alone looks sound");

        let truncated = check(&in_file(&big[..big.len() - 100]), ArchiveCheck::Full).expect_err("truncated");
        assert!(truncated.text.starts_with("the package is not a readable zip archive"), "{truncated:?}");
    }

    #[test]
    fn the_declared_entry_count_is_read_without_listing() {
        let four = zip_of(&[("a.xml", "1"), ("b.xml", "2"), ("c.xml", "3"), ("d.xml", "4")]);
        assert_eq!(entries_of(&four), Some(4));
        let mut commented = four.clone();
        // A comment after the record: its length is the record's last two bytes.
        let len = commented.len();
        commented[len - 2..].copy_from_slice(&5u16.to_le_bytes());
        commented.extend_from_slice(b"hello");
        assert_eq!(entries_of(&commented), Some(4));
        assert_eq!(entries_of(b"PK\x05\x06"), None);
        assert_eq!(entries_of(b""), None);
    }

    #[test]
    fn more_entries_than_allowed_or_too_much_content_is_a_breach() {
        let four = zip_of(&[("a.xml", "1"), ("b.xml", "2"), ("c.xml", "3"), ("d.xml", "4")]);
        let three = PeerLimits { zip_entries: 3, ..PeerLimits::default() };
        let refused = check_bytes(&four, Some("ims-qti"), ArchiveCheck::Full, &three).expect_err("4 > 3");
        let breach = refused.breach.expect("a breach");
        assert_eq!(breach.limit, Limit::ZipEntries);
        assert!(breach.message.contains("4 entries") && breach.message.contains("zip-entries"), "{breach}");
        assert!(
            check_bytes(&four, Some("ims-qti"), ArchiveCheck::Full, &PeerLimits { zip_entries: 4, ..three }).is_ok()
        );

        let big = zip_of(&[("a.xml", &"x".repeat(4096))]);
        let small = PeerLimits { unpacked_bytes: 1000, ..PeerLimits::default() };
        let refused = check_bytes(&big, Some("ims-qti"), ArchiveCheck::Full, &small).expect_err("4096 > 1000");
        let breach = refused.breach.expect("a breach");
        assert_eq!(breach.limit, Limit::UnpackedBytes);
        assert!(breach.message.contains("1000-byte limit ([limits] unpacked-bytes)"), "{breach}");
    }

    #[test]
    fn names_that_leave_the_folder_are_recognised() {
        // pens-package's reading: an inner `..` that climbs back within the folder
        // (`a/../b` is `b`) stays inside it.
        for bad in ["../x", "a/../../x", "/etc/passwd", "\\\\server\\x", "..\\..\\x", "C:x", "c:/x", "a\0b"] {
            assert!(escapes_folder(bad), "{bad}");
        }
        for good in ["x", "a/b/c.xml", "./a", "a//b", "res/", "..x", "a..b/c", "a/../b"] {
            assert!(!escapes_folder(good), "{good}");
        }
    }

    #[test]
    fn hostile_archives_are_refused_and_a_shallow_check_lets_them_through() {
        let package = zip_of(&[("imsmanifest.xml", "<manifest/>")]);
        let slip = crate::zip_slip(&package).to_bytes(1 << 20).expect("small");
        let error =
            check_bytes(&slip, Some("scorm-pif"), ArchiveCheck::Full, &PeerLimits::default()).expect_err("refused");
        assert!(error.text.contains("`../../pens-conform-zip-slip.txt` would be unpacked outside"), "{error:?}");

        let bomb = crate::zip_bomb(&package).to_bytes(16 << 20).expect("a few MiB");
        let started = std::time::Instant::now();
        let error =
            check_bytes(&bomb, Some("scorm-pif"), ArchiveCheck::Full, &PeerLimits::default()).expect_err("refused");
        assert!(error.text.contains("declare 2147483659 bytes unpacked"), "{error:?}");
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "refused without inflating");

        for hostile in [&slip, &bomb] {
            assert_eq!(
                check_bytes(hostile, Some("scorm-pif"), ArchiveCheck::Shallow, &PeerLimits::default())
                    .map(|s| s.files > 1)
                    .ok(),
                Some(true)
            );
        }
    }
}
