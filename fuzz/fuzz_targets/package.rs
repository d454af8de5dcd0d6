//! `pens_package::inspect_with` on arbitrary packages.
//!
//! The input is `FORMAT TYPE [build]` on a first line, then the package. `-` stands for
//! an absent value; any other word is passed as the declared value as is. Without
//! `build` the rest is the staged bytes; with it, the rest is `name NUL content NUL ...`
//! and the target zips those entries (stored) first, so that the fuzzer reaches the
//! content rules (manifests, QTI roots, AICC files, hostile names) without binary
//! seeds. An input without a line break is staged as is, with nothing declared.
#![no_main]

use std::io::{Cursor, Write};

use libfuzzer_sys::fuzz_target;
use pens_package::{Declared, Limits, PackageFormat, inspect_with};
use pens_proto::Level;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

const MAX_LISTED: usize = 8;
const BUDGET: u64 = 1 << 20;

/// Entries `name NUL content NUL ...`, stored, at most 64.
fn build_zip(spec: &[u8]) -> Vec<u8> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let mut parts = spec.split(|b| *b == 0);
    for _ in 0..64 {
        let Some(name) = parts.next() else { break };
        let content = parts.next().unwrap_or_default();
        // A name the writer refuses (a duplicate) is left out.
        if writer.start_file(String::from_utf8_lossy(name), options).is_ok() {
            writer.write_all(content).expect("writing to memory");
        }
    }
    writer.finish().expect("finishing in memory").into_inner()
}

fn word(word: Option<&str>) -> Option<&str> {
    word.filter(|w| *w != "-")
}

fuzz_target!(|data: &[u8]| {
    let (header, rest) = match data.iter().position(|b| *b == b'\n') {
        Some(newline) if newline <= 128 => {
            (String::from_utf8_lossy(&data[..newline]).into_owned(), &data[newline + 1..])
        }
        _ => (String::new(), data),
    };
    let mut words = header.split(' ');
    let format = word(words.next());
    let package_type = word(words.next());
    let built = words.next() == Some("build");
    let bytes = if built { build_zip(rest) } else { rest.to_vec() };

    let limits = Limits::default().with_max_uncompressed(BUDGET).with_max_listed(MAX_LISTED);
    let declared = Declared::new(format, package_type).with_version(Some("1.2"));
    let report = inspect_with(&bytes, &declared, &limits);

    for finding in &report.findings {
        // A defect a target can only answer 1432 is a must of its own; the rest warn.
        match finding.requirement.id {
            "client.package.importable" => assert_eq!(finding.level, Level::Must, "{finding}"),
            id => {
                assert_eq!(id, "client.package.format", "{finding}");
                assert_ne!(finding.level, Level::Must, "{finding}");
            }
        }
    }
    assert!(report.files.entries.len() <= MAX_LISTED);
    assert!(report.files.total >= report.files.entries.len());
    assert!(report.bytes_decompressed <= BUDGET + report.files.total as u64 + 1);
    assert_eq!(report.size, bytes.len() as u64);
    if !report.is_readable() {
        assert!(!report.findings.is_empty(), "an unreadable package has its finding");
    }
    if report.kinds.is_empty() {
        assert_eq!(report.kind(), pens_package::ContentKind::Unknown);
    }
    // What the zip crate wrote opens, lists every entry and verifies, unless `xml` was declared.
    let declared_xml = format.is_some_and(|f| f.trim().eq_ignore_ascii_case("xml"));
    if built && !declared_xml {
        assert!(report.is_readable(), "{:?}", report.unreadable);
        assert!(matches!(report.format, PackageFormat::Zip | PackageFormat::Jar | PackageFormat::War));
        assert!(report.verified, "{:#?}", report.findings);
    }
});
