//! Whatever the bytes, an inspection returns a report, and the report keeps its promises.

use pens_package::{Declared, Limits, PackageReport, inspect_with};
use proptest::prelude::*;

use crate::support::{assert_findings_cite_the_requirement, fixture_zip};

const FORMATS: [Option<&str>; 7] = [None, Some("zip"), Some("jar"), Some("war"), Some("xml"), Some("url"), Some("7z")];
const TYPES: [Option<&str>; 5] = [None, Some("scorm-pif"), Some("aicc-pkg"), Some("ims-qti"), Some("cmi5")];
const PREFIXES: [&[u8]; 6] =
    [b"", b"PK\x03\x04", b"PK\x05\x06", b"<?xml version='1.0'?>", b"<", b"\xEF\xBB\xBF<manifest>"];

fn check(bytes: &[u8], format: usize, package_type: usize) -> PackageReport {
    let limits = Limits::default().with_max_listed(3);
    let declared =
        Declared::new(FORMATS[format % FORMATS.len()], TYPES[package_type % TYPES.len()]).with_version(Some("2004"));
    let report = inspect_with(bytes, &declared, &limits);
    assert_findings_cite_the_requirement(&report);
    assert!(report.files.entries.len() <= 3);
    assert!(report.files.total >= report.files.entries.len());
    assert!(report.bytes_decompressed <= limits.max_uncompressed + report.files.total as u64 + 1);
    assert_eq!(report.kind(), report.kinds.first().copied().unwrap_or(pens_package::ContentKind::Unknown));
    if !report.is_readable() {
        assert!(!report.findings.is_empty(), "an unreadable package has its finding");
    }
    report
}

proptest! {
    // A fixed seed: the same cases on every run, so a failure is reproducible.
    #![proptest_config(proptest::test_runner::Config { rng_seed: proptest::test_runner::RngSeed::Fixed(0x5045_4e53), failure_persistence: None, ..proptest::test_runner::Config::default() })]

    #[test]
    fn random_bytes_behind_any_signature(prefix in 0..PREFIXES.len(), rest in proptest::collection::vec(any::<u8>(), 0..1024), format in 0..7usize, package_type in 0..5usize) {
        let bytes = [PREFIXES[prefix], &rest].concat();
        check(&bytes, format, package_type);
    }

    #[test]
    fn fixture_archives_with_bytes_flipped_or_cut(folder in 0..4usize, flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8), cut in any::<usize>(), format in 0..7usize, package_type in 0..5usize) {
        let mut bytes = fixture_zip(["scorm12-minimal", "scorm2004-minimal", "aicc-minimal", "qti-minimal"][folder]);
        for (at, value) in flips {
            let at = at % bytes.len();
            bytes[at] ^= value;
        }
        let keep = bytes.len() - cut % (bytes.len() / 4);
        check(&bytes[..keep], format, package_type);
    }
}
