//! The inspection: sniff the container, open it, read what the content rules need,
//! verify the rest within the budget, then judge it all against the declaration.

use std::collections::HashSet;
use std::io::{Cursor, Read, Seek};

use pens_proto::{Finding, Level, req};

use crate::archive::{self, Archive, Budget, Outcome};
use crate::content::{self, Facts};
use crate::judge;
use crate::options::{Declared, Limits};
use crate::report::{FileEntry, FileList, PackageFormat, PackageReport, Unreadable, evidence_line, human_size};
use crate::sniff::{Container, describe, head, sniff};
use crate::source::{SNIFF_BYTES, Source};
use crate::xml::decode;

/// Inspects a staged package against its declared `package-format` and `package-type`
/// (CMI010 §6.2), with the default [`Limits`].
///
/// `declared_format` and `declared_type` are the collect values as received (`None`
/// when absent); they are compared trimmed and case-insensitively.
pub fn inspect(bytes: &[u8], declared_format: Option<&str>, declared_type: Option<&str>) -> PackageReport {
    inspect_with(bytes, &Declared::new(declared_format, declared_type), &Limits::default())
}

/// Inspects a staged package with everything the collect declared about it and
/// explicit limits. Never panics, never touches the disk or the network.
pub fn inspect_with(bytes: &[u8], declared: &Declared<'_>, limits: &Limits) -> PackageReport {
    inspect_reader(Cursor::new(bytes), bytes.len() as u64, declared, limits)
}

/// Inspects a staged package that `reader` reads, `len` bytes from its start (the
/// reader is rewound first), as [`inspect_with`] does, without ever holding the package
/// in memory: a package in a file takes the memory of its first bytes, its central
/// directory (the zip crate lists every entry) and one entry's read, whatever its size.
///
/// The container is told from the first 64 KiB, which are also what findings quote;
/// a zip archive is read through its central directory and one entry at a time (within
/// [`Limits::max_uncompressed`]); a bare XML document is read up to
/// [`Limits::max_xml_bytes`], as [`inspect_with`] parses it. The report is the one
/// [`inspect_with`] gives for the same bytes.
///
/// A reader that fails (an I/O error, fewer bytes than `len`) says nothing about the
/// package: the report is then [`Unreadable::ReadFailed`], with one finding saying so
/// and nothing judged. Never panics.
pub fn inspect_reader<R: Read + Seek>(
    mut reader: R,
    len: u64,
    declared: &Declared<'_>,
    limits: &Limits,
) -> PackageReport {
    let mut source = Source::new(&mut reader, len);
    let report = inspect_source(&mut source, declared, limits);
    match source.error() {
        None => report,
        Some(reason) => {
            let reason = Unreadable::ReadFailed { reason: reason.to_owned() };
            let mut report = PackageReport::new(PackageFormat::Unknown, len);
            report.findings.push(finding(reason.to_string()).at_most(Level::Info));
            report.unreadable = Some(reason);
            report
        }
    }
}

fn inspect_source(source: &mut Source<'_>, declared: &Declared<'_>, limits: &Limits) -> PackageReport {
    let len = source.len();
    let mut report = PackageReport::new(PackageFormat::Unknown, len);
    let format = declared.format();
    let format = format.as_deref();
    let wants_zip = matches!(format, Some("zip" | "jar" | "war"));

    if len == 0 {
        return unreadable(report, Unreadable::Empty);
    }
    if let Some(other) = format.filter(|f| !pens_proto::RESERVED_PACKAGE_FORMATS.contains(f)) {
        report.findings.push(
            finding(format!(
                "package-format `{other}` is not a reserved value (zip, url, jar, war, xml): \
                 the bytes were not judged against it"
            ))
            .element("package-format")
            .at_most(Level::Info),
        );
    }

    // The first bytes, or the XML document as far as it is parsed: what the sniffing,
    // the quotes in findings and the judging of a bare XML package look at.
    let mut bytes = source.read_at(0, SNIFF_BYTES);
    if source.error().is_some() {
        return report;
    }
    let container = sniff(&bytes);
    let facts = match container {
        Container::Zip => match archive::open(source, limits) {
            Ok(archive) => inspect_zip(archive, len, &mut report, limits),
            Err(reason) => {
                report.format = PackageFormat::Zip;
                report.unreadable = Some(Unreadable::BrokenArchive { reason });
                None
            }
        },
        // Declared an archive but no zip signature first: a zip behind a prefix
        // (a self-extracting archive) still opens.
        Container::Other if wants_zip => {
            archive::open(source, limits).ok().and_then(|archive| inspect_zip(archive, len, &mut report, limits))
        }
        Container::Xml => {
            bytes = source.extend_to(bytes, len.min(limits.max_xml_bytes as u64));
            inspect_xml(&bytes, len, &mut report, limits);
            None
        }
        Container::Other => None,
    };
    if source.error().is_some() {
        return report;
    }

    // The declared container decides what "readable" means; a mismatch outranks a
    // broken archive or document found along the way.
    let mismatch = match format {
        Some(declared @ ("zip" | "jar" | "war")) if !report.format.is_zip() => {
            Some(Unreadable::NotAnArchive { declared: declared.to_owned(), seen: describe(&bytes) })
        }
        Some("xml") if report.format != PackageFormat::Xml => Some(Unreadable::NotXml { seen: describe(&bytes) }),
        _ => None,
    };
    if mismatch.is_some() {
        report.unreadable = mismatch;
    }
    if let Some(reason) = &report.unreadable {
        let message = format!("{reason}{}", judge::ONLY_1432);
        report.findings.insert(0, judge::fatal(message).element("package-format").value(&head(&bytes)));
    }
    if report.format.is_zip() {
        report.findings.extend(judge::zip_flavour(format, report.format));
    }

    let judged = match &facts {
        Some(facts) => {
            let mut findings = judge::content(facts, &report, declared, limits);
            findings.extend(judge::package_type(declared, &report, Some(facts), &bytes));
            findings
        }
        None if report.format == PackageFormat::Xml && report.is_readable() => {
            judge::package_type(declared, &report, None, &bytes)
        }
        None => Vec::new(),
    };
    report.findings.extend(judged);
    report
}

fn finding(message: impl Into<String>) -> Finding {
    Finding::new(&req::CLIENT_PACKAGE_FORMAT, message)
}

fn unreadable(mut report: PackageReport, reason: Unreadable) -> PackageReport {
    report.findings.push(judge::fatal(format!("{reason}{}", judge::ONLY_1432)).element("package-format"));
    report.unreadable = Some(reason);
    report
}

/// A bare XML package of `len` bytes, of which `bytes` holds the first
/// [`Limits::max_xml_bytes`] (all of them when it is no larger): well-formed, and what
/// its root says it is.
fn inspect_xml(bytes: &[u8], len: u64, report: &mut PackageReport, limits: &Limits) {
    report.format = PackageFormat::Xml;
    if len > limits.max_xml_bytes as u64 {
        report.findings.push(
            finding(format!(
                "the XML document is {}, more than the {} this check parses: only its root element was read",
                human_size(len),
                human_size(limits.max_xml_bytes as u64)
            ))
            .at_most(Level::Info),
        );
        if content::is_qti(&bytes[..bytes.len().min(limits.max_xml_bytes)]) {
            report.kinds.push(crate::ContentKind::ImsQti);
        }
        return;
    }
    let checked = decode(bytes, false).and_then(|text| {
        crate::xml::walk(&text, |_| crate::xml::Flow::Continue)?;
        Ok(content::examine_xml(&text))
    });
    match checked {
        Ok((kinds, manifest)) => {
            report.kinds = kinds;
            report.manifest = manifest;
            report.verified = true;
        }
        Err(error) => report.unreadable = Some(Unreadable::BrokenXml { reason: error.to_string() }),
    }
}

/// A zip archive of `len` bytes, opened: list it, read it, verify it. Returns the
/// content facts when the archive was read (not when it is a zip bomb).
fn inspect_zip(mut archive: Archive<'_>, len: u64, report: &mut PackageReport, limits: &Limits) -> Option<Facts> {
    report.format = flavour(&archive);
    report.files = file_list(&archive, limits);
    let findings = &mut report.findings;
    name_findings(&archive, findings);
    if archive.offset > 0 {
        findings.push(finding(format!(
            "{} bytes precede the zip archive (a self-extracting stub?): a target that checks for the zip \
             signature rejects it",
            archive.offset
        )));
    }
    if archive.total == 0 {
        findings.push(finding("the archive has no entries"));
    }
    if archive.total > archive.entries.len() {
        findings.push(
            finding(format!(
                "the archive holds {} entries; only the first {} were examined",
                archive.total,
                archive.entries.len()
            ))
            .at_most(Level::Info),
        );
    }

    let declared_size = archive.declared_size();
    if let Some(ratio) = archive::bomb_ratio(declared_size, len, limits) {
        findings.push(
            finding(format!(
                "the archive declares {} of content in {} ({ratio}:1), a zip bomb: nothing was decompressed",
                human_size(declared_size),
                human_size(len)
            ))
            .value(&report.files.evidence()),
        );
        return None;
    }

    let mut budget = Budget::new(limits.max_uncompressed);
    let (facts, verified) = content::examine(&mut archive, &mut budget, limits);
    let complete = verify_rest(&mut archive, &verified, &mut budget, limits, findings);
    report.bytes_decompressed = budget.used();
    report.kinds.clone_from(&facts.kinds);
    if let content::ManifestState::Parsed(manifest) = &facts.manifest {
        report.manifest = Some(manifest.clone());
    }
    report.verified = complete && archive.total == archive.entries.len();
    Some(facts)
}

/// `war` when a `WEB-INF/` folder is at the root, `jar` for `META-INF/`, else `zip`.
fn flavour(archive: &Archive<'_>) -> PackageFormat {
    let top = |folder: &str| {
        archive
            .entries
            .iter()
            .any(|entry| entry.name.split_once('/').is_some_and(|(first, _)| first.eq_ignore_ascii_case(folder)))
    };
    if top("WEB-INF") {
        PackageFormat::War
    } else if top("META-INF") {
        PackageFormat::Jar
    } else {
        PackageFormat::Zip
    }
}

fn file_list(archive: &Archive<'_>, limits: &Limits) -> FileList {
    FileList {
        entries: archive
            .entries
            .iter()
            .take(limits.max_listed)
            .map(|entry| FileEntry {
                name: entry.name.clone(),
                size: entry.size,
                compressed_size: entry.compressed_size,
                is_dir: entry.is_dir,
            })
            .collect(),
        total: archive.total,
        total_size: archive.declared_size(),
    }
}

/// Names and entries a target may choke on or that may harm it when extracted.
fn name_findings(archive: &Archive<'_>, findings: &mut Vec<Finding>) {
    let listed = |predicate: &dyn Fn(&archive::Entry) -> bool| -> Vec<&str> {
        archive.entries.iter().filter(|e| predicate(e)).map(|e| e.name.as_str()).collect()
    };
    // `true`: a target cannot extract the entry at all, so it can only answer 1432.
    let checks: [(Vec<&str>, &str, bool); 7] = [
        (
            listed(&|e| archive::escapes_folder(&e.name)),
            "entry names that point outside the package folder: a target that extracts them naively \
             writes outside its folder",
            false,
        ),
        (
            listed(&|e| e.name.contains('\\')),
            "entry names with backslashes: zip paths are separated by `/` (APPNOTE 4.4.17), a target may \
             see one file named `folder\\file`",
            false,
        ),
        (
            listed(&|e| e.non_utf8_name),
            "entry names not stored as UTF-8 (no UTF-8 flag, or invalid bytes, APPNOTE appendix D): \
             targets decode them differently",
            false,
        ),
        (
            listed(&|e| e.symlink),
            "symbolic links: a target that extracts them may follow them outside the package",
            false,
        ),
        (listed(&|e| e.encrypted), "encrypted entries: a target has no password to read them with", true),
        (
            listed(&|e| !e.encrypted && !e.is_dir && !archive::supported(e.method)),
            "entries compressed with a method other than stored or deflate: many targets cannot read them",
            false,
        ),
        (
            listed(&|e| e.broken.is_some()),
            "entries whose local header cannot be read: a target cannot extract them",
            true,
        ),
    ];
    for (names, message, fatal) in checks {
        if !names.is_empty() {
            let found = if fatal { judge::fatal(format!("{message}{}", judge::ONLY_1432)) } else { finding(message) };
            findings.push(found.value(&evidence_line(&names, names.len(), ("name", "names"))));
        }
    }
}

/// Decompresses every readable entry not read yet, within the budget, and reports the
/// ones that fail. Returns whether every entry was read and verified.
fn verify_rest(
    archive: &mut Archive<'_>,
    verified: &HashSet<usize>,
    budget: &mut Budget,
    limits: &Limits,
    findings: &mut Vec<Finding>,
) -> bool {
    let mut failed: Vec<String> = Vec::new();
    let mut over: Vec<String> = Vec::new();
    let mut short: Vec<String> = Vec::new();
    let mut unread = 0usize;
    let mut complete = archive.entries.iter().all(|e| e.is_dir || e.readable());
    for position in 0..archive.entries.len() {
        let entry = &archive.entries[position];
        if !entry.readable() || verified.contains(&position) {
            continue;
        }
        if entry.size > budget.remaining() {
            unread += 1;
            continue;
        }
        let name = entry.name.clone();
        match archive.read(position, u64::MAX, false, budget).outcome {
            Outcome::Complete => {}
            Outcome::OverDeclared => over.push(name),
            Outcome::ShortOfDeclared { read } => short.push(format!("{name} ({read} bytes)")),
            Outcome::Failed(reason) => failed.push(format!("{name}: {reason}")),
            Outcome::Budget | Outcome::Capped => unread += 1,
        }
    }
    // `true`: a corrupt or truncated entry cannot be extracted, so a target can only
    // answer 1432 (CMI010 §6.3); one that overruns its declared size may be a bomb an
    // importer stops, or a sloppy writer it forgives.
    let reports: [(&Vec<String>, &str, bool); 3] = [
        (&failed, "entries that do not decompress or fail their checksum: a target cannot extract them", true),
        (
            &over,
            "entries that expand beyond their declared size (a crafted archive or a zip bomb): reading stopped \
             one byte past it",
            false,
        ),
        (&short, "entries whose data ends before their declared size: the archive is truncated", true),
    ];
    for (names, message, fatal) in reports {
        if !names.is_empty() {
            complete = false;
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let found = if fatal { judge::fatal(format!("{message}{}", judge::ONLY_1432)) } else { finding(message) };
            findings.push(found.value(&evidence_line(&names, names.len(), ("entry", "entries"))));
        }
    }
    if unread > 0 {
        complete = false;
        findings.push(
            finding(format!(
                "{unread} entries were not decompressed: the archive declares {} of content, more than the {} \
                 this check reads",
                human_size(archive.declared_size()),
                human_size(limits.max_uncompressed)
            ))
            .at_most(Level::Info),
        );
    }
    complete
}
