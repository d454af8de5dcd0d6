//! `inspect_reader`: a package inspected from a file gives the report the same bytes
//! give in memory, a large one included, and a reader that fails is a report saying
//! so, never a panic.

use std::io::{self, Cursor, Read, Seek, SeekFrom, Write};

use pens_package::{
    ContentKind, Declared, Limits, PackageFormat, PackageReport, Unreadable, inspect_reader, inspect_with,
};

use crate::support::{RawEntry, RawZip, assert_findings_cite_the_requirement, fixture_zip, packages_dir, zip_of};

const FOLDERS: [&str; 4] = ["scorm12-minimal", "scorm2004-minimal", "aicc-minimal", "qti-minimal"];

/// Declarations that fit some fixtures and not others, and none at all.
const DECLARED: [(Option<&str>, Option<&str>); 6] = [
    (None, None),
    (Some("zip"), Some("scorm-pif")),
    (Some("zip"), Some("aicc-pkg")),
    (Some("jar"), Some("ims-qti")),
    (Some("xml"), Some("ims-qti")),
    (Some("7z"), None),
];

/// `bytes` written to a temp file, rewound.
fn file_of(bytes: &[u8]) -> std::fs::File {
    let mut file = tempfile::tempfile().expect("a temp file");
    file.write_all(bytes).expect("written");
    file.seek(SeekFrom::Start(0)).expect("rewound");
    file
}

/// The report of `bytes` read from a file, checked against the report of the same
/// bytes in memory.
fn from_file_as_from_bytes(bytes: &[u8], declared: &Declared<'_>, limits: &Limits) -> PackageReport {
    let from_file = inspect_reader(file_of(bytes), bytes.len() as u64, declared, limits);
    let from_bytes = inspect_with(bytes, declared, limits);
    assert_eq!(from_file, from_bytes, "{declared:?}");
    from_file
}

#[test]
fn every_fixture_read_from_a_file_gives_the_report_of_its_bytes() {
    for folder in FOLDERS {
        let bytes = fixture_zip(folder);
        for (format, package_type) in DECLARED {
            let declared = Declared::new(format, package_type).with_version(Some("1.2"));
            let report = from_file_as_from_bytes(&bytes, &declared, &Limits::default());
            assert!(report.files.total > 0, "{folder}: the archive was read");
        }
    }
}

#[test]
fn other_shapes_read_from_a_file_give_the_report_of_their_bytes() {
    let qti = format!("<?xml version=\"1.0\"?>\n<questestinterop>{}</questestinterop>", "<item/>".repeat(30_000));
    let stub = [b"#!/bin/sh\nexit 0\n".as_slice(), &fixture_zip("scorm12-minimal")].concat();
    let broken = RawZip::default().with(RawEntry { crc: 1, ..RawEntry::stored("imsmanifest.xml", b"<manifest/>") });
    let cases: Vec<(&str, Vec<u8>, Declared<'_>, Limits)> = vec![
        // A bare XML document beyond the first bytes read, parsed whole.
        ("xml", qti.clone().into_bytes(), Declared::new(Some("xml"), Some("ims-qti")), Limits::default()),
        // Beyond what is parsed: only its start is read.
        (
            "xml over the cap",
            qti.clone().into_bytes(),
            Declared::new(Some("xml"), Some("scorm-pif")),
            Limits::default().with_max_xml_bytes(100_000),
        ),
        ("xml under a tiny cap", qti.into_bytes(), Declared::new(None, None), Limits::default().with_max_xml_bytes(10)),
        ("self-extracting", stub, Declared::new(Some("zip"), Some("scorm-pif")), Limits::default()),
        ("bad checksum", broken.build(), Declared::new(Some("zip"), Some("scorm-pif")), Limits::default()),
        (
            "html page",
            b"<!doctype html><title>404 Not Found</title>".to_vec(),
            Declared::new(Some("zip"), None),
            Limits::default(),
        ),
        ("folders", zip_of(&[("course/", b""), ("course/a.xml", b"<assessmentItem/>")]), Declared::default(), {
            Limits::default().with_max_listed(1)
        }),
    ];
    for (name, bytes, declared, limits) in cases {
        let report = from_file_as_from_bytes(&bytes, &declared, &limits);
        assert_findings_cite_the_requirement(&report);
        assert!(!matches!(report.unreadable, Some(Unreadable::ReadFailed { .. })), "{name}: {report:#?}");
    }
}

/// A package of 20 MiB (the fixture grown by a stored entry of zeros) from a file: the
/// same verdict as from memory, every entry verified.
#[test]
fn a_large_package_is_inspected_from_its_file() {
    let fixture = pens_parties::fixture_package(&packages_dir(), "scorm12-minimal.zip").expect("the fixture");
    let size = 20 * 1024 * 1024;
    let grown = pens_parties::sized_package(&fixture, size).expect("grown").to_bytes(u64::MAX).expect("read");
    assert_eq!(grown.len() as u64, size);
    let declared = Declared::new(Some("zip"), Some("scorm-pif")).with_version(Some("1.2"));
    let report = from_file_as_from_bytes(&grown, &declared, &Limits::default());
    assert!(report.is_readable() && report.verified, "{report:#?}");
    assert_eq!((report.format, report.kinds.as_slice()), (PackageFormat::Zip, &[ContentKind::Scorm12][..]));
    assert_eq!(report.size, size);
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    assert!(report.bytes_decompressed > size - 1024 * 1024, "the zeros were read to verify them");

    // The same bytes cut short: the archive is broken, from the file as from memory.
    let cut = &grown[..grown.len() - 100];
    let report = from_file_as_from_bytes(cut, &declared, &Limits::default());
    assert!(matches!(report.unreadable, Some(Unreadable::BrokenArchive { .. })), "{report:#?}");
}

/// A reader whose reads fail from offset `good` on: a disk that fails part-way.
struct FailingReader {
    inner: Cursor<Vec<u8>>,
    good: u64,
}

impl Read for FailingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let at = self.inner.position();
        if at >= self.good {
            return Err(io::Error::other("input/output error (the disk went away)"));
        }
        let room = usize::try_from(self.good - at).unwrap_or(usize::MAX);
        let n = buf.len().min(room);
        self.inner.read(&mut buf[..n])
    }
}

impl Seek for FailingReader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.inner.seek(to)
    }
}

/// Whatever byte the reader fails at, the report says the package could not be read
/// (or, when the failure lies beyond what was read, is the normal report).
#[test]
fn a_reader_that_fails_midway_is_a_report_saying_so() {
    let bytes = fixture_zip("scorm2004-minimal");
    let declared = Declared::new(Some("zip"), Some("scorm-pif"));
    let whole = inspect_with(&bytes, &declared, &Limits::default());
    let mut failed = 0;
    for good in (0..=bytes.len() as u64).step_by(7) {
        let reader = FailingReader { inner: Cursor::new(bytes.clone()), good };
        let report = inspect_reader(reader, bytes.len() as u64, &declared, &Limits::default());
        assert_findings_cite_the_requirement(&report);
        match &report.unreadable {
            Some(Unreadable::ReadFailed { reason }) => {
                failed += 1;
                assert!(reason.contains("the disk went away"), "{good}: {reason}");
                assert_eq!(report.findings.len(), 1, "{good}: nothing judged: {:#?}", report.findings);
                assert_eq!(
                    report.findings[0].message,
                    "the package could not be read for inspection: input/output error (the disk went away)"
                );
                assert!(report.kinds.is_empty() && report.files.total == 0 && !report.verified, "{good}");
                assert_eq!(report.size, bytes.len() as u64);
            }
            _ => assert_eq!(report, whole, "{good}: every read succeeded, so the report is the usual one"),
        }
    }
    assert!(failed > 0, "some failures are reached");
}

/// A reader with fewer bytes than announced (a file cut under our feet), and one whose
/// every read fails.
#[test]
fn a_reader_shorter_than_announced_or_always_failing_is_a_report_saying_so() {
    let bytes = fixture_zip("aicc-minimal");
    let declared = Declared::new(Some("zip"), Some("aicc-pkg"));
    let short = inspect_reader(Cursor::new(&bytes[..100]), bytes.len() as u64, &declared, &Limits::default());
    let Some(Unreadable::ReadFailed { reason }) = &short.unreadable else { panic!("{short:#?}") };
    assert_eq!(reason, &format!("the reader ended after 100 of the package's {} bytes", bytes.len()));
    assert_findings_cite_the_requirement(&short);

    let never = FailingReader { inner: Cursor::new(bytes.clone()), good: 0 };
    let report = inspect_reader(never, bytes.len() as u64, &declared, &Limits::default());
    assert!(matches!(report.unreadable, Some(Unreadable::ReadFailed { .. })), "{report:#?}");
    assert!(!report.is_readable());

    // An empty package needs no read at all.
    let empty =
        inspect_reader(FailingReader { inner: Cursor::new(Vec::new()), good: 0 }, 0, &declared, &Limits::default());
    assert_eq!(empty.unreadable, Some(Unreadable::Empty));
}
