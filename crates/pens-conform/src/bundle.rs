//! The certification bundle (`--bundle FILE.zip`) and its check (`verify`).
//!
//! A bundle is one zip a vendor can hand to a certifier: the run's reports, the
//! profile without its secrets (or the built-in set-up of a selftest), `harness.json`
//! (who ran what, when), `scenarios.json` (the scenario files used, by SHA-256) and
//! `manifest.json`, which lists every other entry with its SHA-256 and size. `verify`
//! recomputes the manifest from the zip, so a changed, missing or added entry shows.
//!
//! Building the entries and checking them are pure functions over bytes; only
//! [`write_bundle`] and the `verify` command touch the file system.

use std::collections::BTreeMap;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::shipped::{PackageSet, ScenarioSet, scenario_bytes};

/// The version of the bundle layout; `verify` refuses others.
pub(crate) const BUNDLE_FORMAT: u32 = 1;
/// The manifest's entry name.
pub(crate) const MANIFEST: &str = "manifest.json";
/// The largest entry `verify` reads: reports are kilobytes, so a bigger one is an attack.
pub(crate) const MAX_ENTRY_BYTES: u64 = 256 * 1024 * 1024;
/// The most entries `verify` looks at.
pub(crate) const MAX_ENTRIES: usize = 10_000;
/// The report files a run writes that belong in a bundle, when present.
pub(crate) const REPORT_FILES: [&str; 4] = ["report.json", "junit.xml", "summary.md", "report.html"];

/// One file of the bundle, as the manifest lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ManifestEntry {
    /// The entry's name in the zip (`/`-separated, relative).
    pub(crate) path: String,
    /// Lowercase hex SHA-256 of its bytes.
    pub(crate) sha256: String,
    /// Its length in bytes.
    pub(crate) size: u64,
}

/// `manifest.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Manifest {
    /// [`BUNDLE_FORMAT`].
    pub(crate) bundle_format: u32,
    /// Every entry but the manifest itself, by name.
    pub(crate) files: Vec<ManifestEntry>,
}

/// Lowercase hex SHA-256.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The manifest of `entries` (name → bytes), sorted by name.
pub(crate) fn build_manifest(entries: &BTreeMap<String, Vec<u8>>) -> Manifest {
    let files = entries
        .iter()
        .map(|(path, bytes)| ManifestEntry { path: path.clone(), sha256: sha256_hex(bytes), size: bytes.len() as u64 })
        .collect();
    Manifest { bundle_format: BUNDLE_FORMAT, files }
}

/// Whether `name` is a safe relative entry name: no `..`, no absolute path, no drive
/// letter or backslash, nothing empty.
pub(crate) fn safe_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('/')
        && !name.contains('\\')
        && !name.contains(':')
        && !name.contains('\0')
        && name.split('/').all(|part| !part.is_empty() && part != ".." && part != ".")
}

/// The report files of one report folder, under `prefix` (`""` or `"target/"`).
pub(crate) fn report_entries(dir: &Path, prefix: &str) -> anyhow::Result<BTreeMap<String, Vec<u8>>> {
    let mut entries = BTreeMap::new();
    for name in REPORT_FILES {
        let path = dir.join(name);
        if path.is_file() {
            let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            entries.insert(format!("{prefix}{name}"), bytes);
        }
    }
    Ok(entries)
}

/// One scenario file of `scenarios.json`.
#[derive(Debug, Serialize)]
struct ScenarioFile {
    /// Relative to the scenarios folder, `/`-separated.
    path: String,
    sha256: String,
}

/// `scenarios.json`: every scenario file used, by suite (`target`, `client`), with the
/// path relative to its folder and its SHA-256, the folder, which set ran (`set`:
/// `./scenarios/target` or `built-in (pens-conform 0.1.0)`) and, for a run that
/// serves packages, which fixtures it served (`packages`). Built-in files are hashed
/// from the binary's bytes, exactly as files on disk.
pub(crate) fn scenarios_json(
    suites: &[(&str, &ScenarioSet, Vec<&Path>)],
    packages: Option<&PackageSet>,
) -> anyhow::Result<Vec<u8>> {
    let mut out = BTreeMap::new();
    for (suite, set, sources) in suites {
        let folder = set.folder();
        let mut files = Vec::new();
        for source in sources {
            let bytes = scenario_bytes(source).with_context(|| format!("cannot read {}", source.display()))?;
            let relative = source.strip_prefix(&folder).unwrap_or(source);
            let path = relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            files.push(ScenarioFile { path, sha256: sha256_hex(&bytes) });
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        out.insert(
            (*suite).to_owned(),
            serde_json::json!({ "folder": folder.display().to_string(), "set": set.label(), "files": files }),
        );
    }
    if let Some(packages) = packages {
        out.insert("packages".to_owned(), serde_json::json!({ "set": packages.label() }));
    }
    Ok(serde_json::to_vec_pretty(&out)?)
}

/// `harness.json`: the harness, its version, the (redacted) arguments, the run start.
pub(crate) fn harness_json(args: &[String], secrets: &[&str], started_at: &str) -> anyhow::Result<Vec<u8>> {
    Ok(serde_json::to_vec_pretty(&serde_json::json!({
        "name": env!("CARGO_PKG_NAME"),
        "version": env!("CARGO_PKG_VERSION"),
        "arguments": crate::arguments::redact_args(args, secrets),
        "started_at": started_at,
    }))?)
}

/// Adds `manifest.json` to `entries` and writes the zip to `path` (through a temporary
/// file beside it, so a failed write leaves no half bundle).
pub(crate) fn write_bundle(path: &Path, mut entries: BTreeMap<String, Vec<u8>>) -> anyhow::Result<()> {
    entries.remove(MANIFEST);
    let manifest = serde_json::to_vec_pretty(&build_manifest(&entries))?;
    entries.insert(MANIFEST.to_owned(), manifest);
    let bytes = zip_bytes(&entries)?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    }
    crate::atomic::write_atomically(path, bytes)
}

/// A zip (deflate) of `entries`, in name order.
pub(crate) fn zip_bytes(entries: &BTreeMap<String, Vec<u8>>) -> anyhow::Result<Vec<u8>> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        writer.start_file(name.as_str(), options)?;
        writer.write_all(bytes)?;
    }
    Ok(writer.finish()?.into_inner())
}

/// What a run command gathers for its bundle before the run; [`finish`] packs it after.
#[derive(Debug)]
pub(crate) struct BundlePlan {
    /// `--bundle FILE.zip`.
    pub(crate) path: PathBuf,
    started_at: String,
    args: Vec<String>,
    secrets: Vec<String>,
    /// Report folders, each with its prefix in the zip (`""`, `"target/"`).
    reports: Vec<(String, PathBuf)>,
    /// Further entries: `profile.toml` or `setup.json`, `scenarios.json`.
    extra: BTreeMap<String, Vec<u8>>,
}

impl BundlePlan {
    /// A plan for `path`, stamped now with this process's arguments; `secrets` are
    /// values to redact from the arguments (the profile's password).
    pub(crate) fn new(path: PathBuf, secrets: Vec<String>) -> BundlePlan {
        let started_at =
            time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        BundlePlan {
            path,
            started_at,
            args: std::env::args().skip(1).collect(),
            secrets,
            reports: Vec::new(),
            extra: BTreeMap::new(),
        }
    }

    /// Packs the report files of `dir` under `prefix`.
    pub(crate) fn reports(&mut self, prefix: &str, dir: &Path) {
        self.reports.push((prefix.to_owned(), dir.to_owned()));
    }

    /// Adds an entry.
    pub(crate) fn entry(&mut self, name: &str, bytes: Vec<u8>) {
        self.extra.insert(name.to_owned(), bytes);
    }

    fn entries(self) -> anyhow::Result<BTreeMap<String, Vec<u8>>> {
        let mut entries = self.extra;
        for (prefix, dir) in &self.reports {
            entries.extend(report_entries(dir, prefix)?);
        }
        let secrets: Vec<&str> = self.secrets.iter().map(String::as_str).collect();
        entries.insert("harness.json".to_owned(), harness_json(&self.args, &secrets, &self.started_at)?);
        Ok(entries)
    }
}

/// After a run: writes the bundle of `plan` unless the run is incomplete (`code` 3),
/// and returns the exit code (3 also when the bundle cannot be written).
pub(crate) fn finish(code: u8, plan: Option<BundlePlan>) -> u8 {
    let Some(plan) = plan else { return code };
    if code == crate::exit::INCOMPLETE {
        eprintln!(
            "no bundle written to {}: the run is incomplete (aborted, or a scenario is error or inconclusive)",
            plan.path.display()
        );
        return code;
    }
    let path = plan.path.clone();
    match plan.entries().and_then(|entries| write_bundle(&path, entries)) {
        Ok(()) => {
            let _ = crate::output::line(format!("bundle    {}", path.display()));
            code
        }
        Err(error) => {
            eprintln!("error: cannot write the bundle {}: {error:#}", path.display());
            crate::exit::INCOMPLETE
        }
    }
}

/// Why a file is not a bundle at all (exit 2).
#[derive(Debug, thiserror::Error)]
pub(crate) enum NotABundle {
    /// The zip cannot be read.
    #[error("not a readable zip: {0}")]
    Zip(#[from] zip::result::ZipError),
    /// Too many entries to be a bundle.
    #[error("{0} entries, more than the {MAX_ENTRIES} a bundle may have")]
    TooManyEntries(usize),
    /// No `manifest.json`.
    #[error("no {MANIFEST}: not a pens-conform bundle")]
    NoManifest,
    /// A manifest that is not JSON of the expected shape.
    #[error("{MANIFEST} is not valid: {0}")]
    BadManifest(String),
    /// A bundle of another layout.
    #[error("{MANIFEST} has bundle_format {0}; this pens-conform reads {BUNDLE_FORMAT}")]
    UnknownFormat(u32),
}

/// What is wrong with one entry (exit 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    /// Listed, not in the zip.
    Missing(String),
    /// In the zip, not listed.
    Unlisted(String),
    /// Different bytes than listed.
    Changed { path: String, why: String },
    /// A name with `..`, an absolute path or the like.
    UnsafeName(String),
    /// Larger than [`MAX_ENTRY_BYTES`].
    TooLarge(String),
    /// Twice in the zip or the manifest.
    Duplicate(String),
}

impl Problem {
    /// The entry the problem is about.
    pub(crate) fn path(&self) -> &str {
        match self {
            Problem::Missing(path)
            | Problem::Unlisted(path)
            | Problem::Changed { path, .. }
            | Problem::UnsafeName(path)
            | Problem::TooLarge(path)
            | Problem::Duplicate(path) => path,
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Missing(path) => write!(f, "{path}: listed in the manifest but missing"),
            Problem::Unlisted(path) => write!(f, "{path}: in the bundle but not in the manifest"),
            Problem::Changed { path, why } => write!(f, "{path}: {why}"),
            Problem::UnsafeName(path) => write!(f, "{path:?}: unsafe name (absolute or with ..)"),
            Problem::TooLarge(path) => write!(f, "{path}: larger than {MAX_ENTRY_BYTES} bytes"),
            Problem::Duplicate(path) => write!(f, "{path}: appears twice"),
        }
    }
}

/// The outcome of checking a readable bundle.
#[derive(Debug)]
pub(crate) struct Verification {
    /// The manifest's entries.
    pub(crate) manifest: Manifest,
    /// What is wrong; empty when intact.
    pub(crate) problems: Vec<Problem>,
    /// The intact entries' bytes, by name (for the summary `verify` prints).
    pub(crate) contents: BTreeMap<String, Vec<u8>>,
}

/// Reads one entry, at most [`MAX_ENTRY_BYTES`] whatever its header claims.
fn read_capped(file: &mut impl Read) -> std::io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    file.take(MAX_ENTRY_BYTES + 1).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= MAX_ENTRY_BYTES).then_some(bytes))
}

/// Checks a bundle: the manifest is there and valid, every listed file is there with
/// its size and SHA-256, and nothing else is. Entries are never written anywhere.
pub(crate) fn verify<R: Read + Seek>(reader: R) -> Result<Verification, NotABundle> {
    let mut archive = zip::ZipArchive::new(reader)?;
    if archive.len() > MAX_ENTRIES {
        return Err(NotABundle::TooManyEntries(archive.len()));
    }
    let mut problems = Vec::new();
    let mut contents: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for index in 0..archive.len() {
        let mut file = archive.by_index(index)?;
        let name = file.name().to_owned();
        if !safe_name(&name) {
            problems.push(Problem::UnsafeName(name));
            continue;
        }
        if file.is_dir() {
            problems.push(Problem::Unlisted(name));
            continue;
        }
        if file.size() > MAX_ENTRY_BYTES {
            problems.push(Problem::TooLarge(name));
            continue;
        }
        let bytes = match read_capped(&mut file) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => {
                problems.push(Problem::TooLarge(name));
                continue;
            }
            Err(error) => {
                problems.push(Problem::Changed { path: name, why: format!("cannot be read ({error})") });
                continue;
            }
        };
        if contents.insert(name.clone(), bytes).is_some() {
            problems.push(Problem::Duplicate(name));
        }
    }
    let manifest_bytes = contents.remove(MANIFEST).ok_or(NotABundle::NoManifest)?;
    let manifest: Manifest =
        serde_json::from_slice(&manifest_bytes).map_err(|e| NotABundle::BadManifest(e.to_string()))?;
    if manifest.bundle_format != BUNDLE_FORMAT {
        return Err(NotABundle::UnknownFormat(manifest.bundle_format));
    }
    let mut listed = BTreeMap::new();
    for entry in &manifest.files {
        if !safe_name(&entry.path) || entry.path == MANIFEST {
            problems.push(Problem::UnsafeName(entry.path.clone()));
        } else if listed.insert(entry.path.as_str(), entry).is_some() {
            problems.push(Problem::Duplicate(entry.path.clone()));
        }
    }
    for (path, entry) in &listed {
        match contents.get(*path) {
            // An entry too large or unreadable is reported as such already.
            None if problems.iter().any(|p| p.path() == *path) => {}
            None => problems.push(Problem::Missing((*path).to_owned())),
            Some(bytes) if bytes.len() as u64 != entry.size => problems.push(Problem::Changed {
                path: (*path).to_owned(),
                why: format!("{} bytes, the manifest says {}", bytes.len(), entry.size),
            }),
            Some(bytes) if sha256_hex(bytes) != entry.sha256.to_ascii_lowercase() => problems.push(Problem::Changed {
                path: (*path).to_owned(),
                why: "SHA-256 differs from the manifest".to_owned(),
            }),
            Some(_) => {}
        }
    }
    for path in contents.keys() {
        if !listed.contains_key(path.as_str()) {
            problems.push(Problem::Unlisted(path.clone()));
        }
    }
    Ok(Verification { manifest, problems, contents })
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    fn entries() -> BTreeMap<String, Vec<u8>> {
        BTreeMap::from([
            ("report.json".to_owned(), br#"{"summary":{"total":1}}"#.to_vec()),
            ("target/junit.xml".to_owned(), b"<testsuites/>".to_vec()),
        ])
    }

    /// A bundle's zip bytes, as `write_bundle` makes them.
    fn bundle(entries: &BTreeMap<String, Vec<u8>>) -> Vec<u8> {
        let mut all = entries.clone();
        all.insert(MANIFEST.to_owned(), serde_json::to_vec(&build_manifest(entries)).expect("json"));
        zip_bytes(&all).expect("zip")
    }

    /// The zip of `bundle(entries)` with `change` applied to its entries (manifest kept).
    fn tampered(change: impl FnOnce(&mut BTreeMap<String, Vec<u8>>)) -> Vec<u8> {
        let mut all = entries();
        all.insert(MANIFEST.to_owned(), serde_json::to_vec(&build_manifest(&entries())).expect("json"));
        change(&mut all);
        zip_bytes(&all).expect("zip")
    }

    #[test]
    fn the_manifest_lists_every_entry_with_its_hash_and_size() {
        let manifest = build_manifest(&entries());
        assert_eq!(manifest.bundle_format, BUNDLE_FORMAT);
        let paths: Vec<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["report.json", "target/junit.xml"]);
        assert_eq!(manifest.files[1].size, 13);
        // SHA-256 of the empty string, a known value.
        assert_eq!(sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(manifest.files[1].sha256, sha256_hex(b"<testsuites/>"));
    }

    #[test]
    fn an_intact_bundle_verifies() {
        let verification = verify(Cursor::new(bundle(&entries()))).expect("a bundle");
        assert!(verification.problems.is_empty(), "{:?}", verification.problems);
        assert_eq!(verification.manifest.files.len(), 2);
        assert_eq!(verification.contents.len(), 2);
    }

    #[test]
    fn tampering_is_named_entry_by_entry() {
        type Change = fn(&mut BTreeMap<String, Vec<u8>>);
        let cases: [(&str, Change, Problem); 5] = [
            (
                "one changed byte",
                |all| all.get_mut("report.json").expect("entry")[2] ^= 1,
                Problem::Changed { path: "report.json".into(), why: "SHA-256 differs from the manifest".into() },
            ),
            (
                "a longer entry",
                |all| all.get_mut("target/junit.xml").expect("entry").push(b'\n'),
                Problem::Changed { path: "target/junit.xml".into(), why: "14 bytes, the manifest says 13".into() },
            ),
            ("a missing entry", |all| drop(all.remove("report.json")), Problem::Missing("report.json".into())),
            (
                "an extra entry",
                |all| drop(all.insert("extra.txt".into(), b"x".to_vec())),
                Problem::Unlisted("extra.txt".into()),
            ),
            (
                "a traversal name",
                |all| drop(all.insert("../evil.sh".into(), b"x".to_vec())),
                Problem::UnsafeName("../evil.sh".into()),
            ),
        ];
        for (label, change, expected) in cases {
            let verification = verify(Cursor::new(tampered(change))).expect(label);
            assert_eq!(verification.problems, std::slice::from_ref(&expected), "{label}");
        }
    }

    #[test]
    fn a_manifest_naming_a_traversal_path_is_rejected() {
        let mut manifest = build_manifest(&entries());
        manifest.files.push(ManifestEntry { path: "/etc/passwd".into(), sha256: sha256_hex(b""), size: 0 });
        let mut all = entries();
        all.insert(MANIFEST.to_owned(), serde_json::to_vec(&manifest).expect("json"));
        let verification = verify(Cursor::new(zip_bytes(&all).expect("zip"))).expect("a bundle");
        assert_eq!(verification.problems, [Problem::UnsafeName("/etc/passwd".into())]);
    }

    #[test]
    fn what_is_not_a_bundle_is_said_so() {
        assert!(matches!(verify(Cursor::new(b"not a zip".to_vec())), Err(NotABundle::Zip(_))));
        let no_manifest = zip_bytes(&entries()).expect("zip");
        assert!(matches!(verify(Cursor::new(no_manifest)), Err(NotABundle::NoManifest)));
        let bad = tampered(|all| drop(all.insert(MANIFEST.into(), b"{".to_vec())));
        assert!(matches!(verify(Cursor::new(bad)), Err(NotABundle::BadManifest(_))));
        let future = tampered(|all| drop(all.insert(MANIFEST.into(), br#"{"bundle_format":99,"files":[]}"#.to_vec())));
        assert!(matches!(verify(Cursor::new(future)), Err(NotABundle::UnknownFormat(99))));
    }

    #[test]
    fn safe_names_are_relative_and_plain() {
        for name in ["report.json", "target/report.json", "a.b/c"] {
            assert!(safe_name(name), "{name}");
        }
        for name in ["", "/abs", "../x", "a/../b", "a//b", "C:/x", "a\\b", "./x"] {
            assert!(!safe_name(name), "{name}");
        }
    }
}
