//! Archives built to hurt: corrupt, truncated, zip bombs, lying sizes, bad checksums,
//! names that climb out of the extraction folder. Each is cut off with a finding,
//! quickly, and nothing is ever written to disk.

use std::time::{Duration, Instant};

use pens_package::{Declared, Limits, PackageFormat, Unreadable, inspect, inspect_with};
use pens_proto::Level;

use crate::support::{
    RawEntry, RawZip, assert_findings_cite_the_requirement, crc32, deflated_zeros, finding, fixture_zip, zeros_len,
};

/// In a debug build; a release build is ten times faster. Decompressing the 64 MiB
/// budget would take longer than this: these archives must be stopped before that.
const QUICKLY: Duration = Duration::from_secs(3);

#[test]
fn a_corrupt_archive_cannot_be_opened() {
    for folder in ["scorm12-minimal", "scorm2004-minimal", "aicc-minimal", "qti-minimal"] {
        let bytes = pens_parties::corrupt(&fixture_zip(folder));
        for declared in [Some("zip"), None] {
            let report = inspect(&bytes, declared, Some("scorm-pif"));
            assert!(!report.is_readable(), "{folder}");
            assert!(matches!(report.unreadable, Some(Unreadable::BrokenArchive { .. })), "{folder}");
            assert_eq!(report.format, PackageFormat::Zip, "{folder}: the magic says zip");
            assert_eq!(report.findings.len(), 1, "{folder}: {:#?}", report.findings);
            let finding = finding(&report, "the zip archive cannot be opened: ");
            assert!(finding.value.as_deref().is_some_and(|v| v.starts_with("50 4b 03 04 ")), "{finding:?}");
        }
    }
}

#[test]
fn a_truncated_archive_cannot_be_opened() {
    let whole = fixture_zip("scorm2004-minimal");
    for cut in [4, 30, whole.len() / 2, whole.len() - 1] {
        let report = inspect(&whole[..cut], Some("zip"), Some("scorm-pif"));
        assert!(!report.is_readable(), "cut at {cut}");
    }
}

#[test]
fn many_highly_compressible_entries_are_a_zip_bomb_read_not_at_all() {
    let data = deflated_zeros(4064); // 1 MiB of zeros in 6.6 KB
    let mut zip = RawZip::default();
    for i in 0..200 {
        let entry = RawEntry {
            data: data.clone(),
            ..RawEntry::zeros(&format!("zeros-{i:03}.bin"), 0, zeros_len(4064) as u32, 0)
        };
        zip = zip.with(entry);
    }
    let bytes = zip.build();
    let started = Instant::now();
    let report = inspect(&bytes, Some("zip"), Some("scorm-pif"));
    assert!(started.elapsed() < QUICKLY, "{:?}", started.elapsed());
    assert!(report.is_readable());
    assert_eq!(report.bytes_decompressed, 0);
    assert!(!report.verified);
    let finding = finding(&report, "a zip bomb: nothing was decompressed");
    assert_eq!(finding.level, Level::Should);
    assert!(
        finding.message.starts_with("the archive declares 200.0 MiB of content in 1.3 MiB ("),
        "{}",
        finding.message
    );
    assert!(
        finding.value.as_deref().is_some_and(|v| v.starts_with("zeros-000.bin, ") && v.ends_with(" (200 entries)"))
    );
    assert_eq!(report.findings.len(), 1, "no judgement of contents that were not read: {:#?}", report.findings);
}

#[test]
fn one_huge_entry_is_a_zip_bomb_read_not_at_all() {
    let matches = 1_625_000; // 400 MiB of zeros in 2.6 MB
    let bytes =
        RawZip::default().with(RawEntry::zeros("imsmanifest.xml", matches, zeros_len(matches) as u32, 0)).build();
    let started = Instant::now();
    let report = inspect(&bytes, Some("zip"), Some("scorm-pif"));
    assert!(started.elapsed() < QUICKLY, "{:?}", started.elapsed());
    assert_eq!(report.bytes_decompressed, 0);
    finding(&report, "a zip bomb");
}

#[test]
fn an_entry_that_expands_beyond_its_declared_size_is_cut_one_byte_past_it() {
    let matches = 1_625_000; // declares 1 KiB, inflates to 400 MiB
    let bytes = RawZip::default()
        .with(RawEntry::zeros("index.html", matches, 1024, 0))
        .with(RawEntry::zeros("imsmanifest.xml", matches, 1024, 0))
        .build();
    let started = Instant::now();
    let report = inspect(&bytes, Some("zip"), Some("scorm-pif"));
    assert!(started.elapsed() < QUICKLY, "{:?}", started.elapsed());
    assert!(report.bytes_decompressed <= 4 * 1025, "{}", report.bytes_decompressed);
    let finding = finding(&report, "entries that expand beyond their declared size (a crafted archive or a zip bomb)");
    assert_eq!(finding.value.as_deref(), Some("index.html, imsmanifest.xml (2 entries)"));
    assert!(!report.verified);
}

#[test]
fn honest_compressed_entries_verify_and_a_budget_stops_the_rest() {
    let matches = 4064;
    let crc = crc32(&vec![0; zeros_len(matches)]);
    let bytes = RawZip::default()
        .with(RawEntry::zeros("a.bin", matches, zeros_len(matches) as u32, crc))
        .with(RawEntry::zeros("b.bin", matches, zeros_len(matches) as u32, crc))
        .build();
    let report = inspect(&bytes, Some("zip"), None);
    assert!(report.verified, "{:#?}", report.findings);
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    assert_eq!(report.bytes_decompressed, 2 * zeros_len(matches) as u64);

    // Stored content (no bomb) larger than the budget: verified as far as the budget goes.
    let mut zip = RawZip::default();
    for i in 0..4 {
        zip = zip.with(RawEntry::stored(&format!("page-{i}.html"), &[b'x'; 1024]));
    }
    let limits = Limits::default().with_max_uncompressed(2500);
    let report = inspect_with(&zip.build(), &Declared::new(Some("zip"), None), &limits);
    assert!(!report.verified);
    assert_eq!(report.bytes_decompressed, 2048);
    let finding = finding(
        &report,
        "2 entries were not decompressed: the archive declares 4.0 KiB of content, more than the 2.4 KiB this check reads",
    );
    assert_eq!(finding.level, Level::Info);
}

#[test]
fn bad_checksums_and_short_data_are_reported() {
    let mut wrong_crc = RawEntry::stored("index.html", b"<html></html>");
    wrong_crc.crc ^= 1;
    let mut short = RawEntry::stored("style.css", b"body{}");
    short.size = 100;
    let bytes = RawZip::default().with(wrong_crc).with(short).with(RawEntry::stored("ok.txt", b"ok")).build();
    let report = inspect(&bytes, Some("zip"), None);
    assert!(report.is_readable());
    assert!(!report.verified);
    let checksum = finding(&report, "entries that do not decompress or fail their checksum");
    assert!(checksum.value.as_deref().is_some_and(|v| v.starts_with("index.html: ")), "{checksum:?}");
    let truncated = finding(&report, "entries whose data ends before their declared size");
    assert_eq!(truncated.value.as_deref(), Some("style.css (6 bytes) (1 entry)"));
}

#[test]
fn names_that_escape_the_folder_are_reported_never_used() {
    let bytes = RawZip::default()
        .with(RawEntry::stored("../../evil.html", b"x"))
        .with(RawEntry::stored("/etc/cron.d/pens", b"x"))
        .with(RawEntry::stored("C:\\Windows\\pens.dll", b"x"))
        .with(RawEntry::stored("course\\index.html", b"x"))
        .with(RawEntry::stored("fine/index.html", b"x"))
        .build();
    let report = inspect(&bytes, Some("zip"), None);
    assert!(report.is_readable());
    let escaping = finding(&report, "entry names that point outside the package folder");
    assert_eq!(escaping.value.as_deref(), Some("../../evil.html, /etc/cron.d/pens, C:\\Windows\\pens.dll (3 names)"));
    let backslashes = finding(&report, "entry names with backslashes");
    assert_eq!(backslashes.value.as_deref(), Some("C:\\Windows\\pens.dll, course\\index.html (2 names)"));
    assert!(!std::path::Path::new("../../evil.html").exists());
    assert_findings_cite_the_requirement(&report);
}

#[test]
fn names_not_stored_as_utf8_are_reported() {
    let unflagged = RawEntry { flags: 0, ..RawEntry::stored("x", b"x") };
    let bytes = RawZip::default()
        .with(RawEntry { name: b"caf\xE9.html".to_vec(), ..unflagged.clone() })
        .with(RawEntry { name: "résumé.html".as_bytes().to_vec(), ..unflagged.clone() })
        .with(RawEntry { name: b"bad\xFF.html".to_vec(), ..RawEntry::stored("x", b"x") })
        .with(RawEntry::stored("naïve.html", b"x"))
        .with(RawEntry { name: b"plain.html".to_vec(), ..unflagged })
        .build();
    let report = inspect(&bytes, Some("zip"), None);
    let finding = finding(&report, "entry names not stored as UTF-8");
    assert!(finding.value.as_deref().is_some_and(|v| v.ends_with("(3 names)")), "{finding:?}");
    assert!(report.files.names().any(|n| n == "bad\u{FFFD}.html"), "{:?}", report.files);
    assert!(report.files.names().any(|n| n == "naïve.html"));
}

#[test]
fn encrypted_and_exotic_entries_are_reported_not_read() {
    let bytes = RawZip::default()
        .with(RawEntry { flags: 1 | 1 << 11, ..RawEntry::stored("secret.html", &[0; 20]) })
        .with(RawEntry { method: 12, ..RawEntry::stored("packed.bz2.html", b"BZh91AY&SY") })
        .build();
    let report = inspect(&bytes, Some("zip"), None);
    assert_eq!(finding(&report, "encrypted entries").value.as_deref(), Some("secret.html (1 name)"));
    let exotic = finding(&report, "compressed with a method other than stored or deflate");
    assert_eq!(exotic.value.as_deref(), Some("packed.bz2.html (1 name)"));
    assert!(!report.verified);
    assert_eq!(report.bytes_decompressed, 0);
}

#[test]
fn entry_counts_and_manifest_sizes_are_capped() {
    let mut zip = RawZip::default();
    for i in 0..30 {
        zip = zip.with(RawEntry::stored(&format!("f{i:02}.txt"), b""));
    }
    let limits = Limits::default().with_max_entries(10).with_max_listed(5);
    let report = inspect_with(&zip.build(), &Declared::new(Some("zip"), None), &limits);
    assert_eq!((report.files.entries.len(), report.files.total), (5, 30));
    assert!(report.files.is_truncated());
    assert_eq!(finding(&report, "the archive holds 30 entries; only the first 10 were examined").level, Level::Info);
    assert!(!report.verified);

    let manifest = format!("<manifest>{}</manifest>", "<!-- padding -->".repeat(100));
    let bytes = RawZip::default().with(RawEntry::stored("imsmanifest.xml", manifest.as_bytes())).build();
    let limits = Limits::default().with_max_xml_bytes(100);
    let report = inspect_with(&bytes, &Declared::new(Some("zip"), Some("scorm-pif")), &limits);
    finding(&report, "imsmanifest.xml is larger than the 100 bytes this check parses: not read");
    assert_eq!(report.findings.len(), 1, "{:#?}", report.findings);
}

#[test]
fn a_zip_behind_a_prefix_opens_with_a_finding() {
    let mut bytes = b"MZ self-extractor stub ".to_vec();
    bytes.extend_from_slice(&fixture_zip("qti-minimal"));
    let report = inspect(&bytes, Some("zip"), Some("ims-qti"));
    assert!(report.is_readable(), "{:#?}", report.findings);
    finding(&report, "23 bytes precede the zip archive");
    let undeclared = inspect(&bytes, None, None);
    assert_eq!(undeclared.format, PackageFormat::Unknown, "without a declaration the bytes are what they start with");
}
