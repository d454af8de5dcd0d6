//! The scenario files and package fixtures shipped inside the binary, and the rule that
//! picks them or the files on disk, so an installed `pens-conform` runs from any folder.
//!
//! **Why `include_dir`, not `rust-embed`:** `include_dir!` always embeds, in debug
//! builds as in release, so a test of the debug binary exercises exactly what an
//! installed binary carries; `rust-embed` reads from disk in debug builds unless a
//! feature says otherwise, which would let a test pass on files the release binary
//! does not have. We need no compression, MIME types or HTTP serving, only a tree of
//! bytes, which is all `include_dir` is.
//!
//! **The rule.** A set given by its flag (`--scenarios DIR`, `--client-scenarios DIR`,
//! `--packages DIR`) is read from that folder. Without the flag, the default folder
//! relative to the current folder (`scenarios/target`, `scenarios/client`,
//! `fixtures/packages`) is read when it exists, so in a checkout the files on disk are
//! what runs and editing a scenario needs no rebuild; otherwise the built-in set runs.
//! The run header and the bundle say which ran.
//!
//! Built-in scenarios are parsed from the embedded bytes and named
//! `<built-in>/target/ID.toml` (the layout `scenarios export` writes). Built-in package
//! fixtures are written to a temporary folder for the run: the staging server, the
//! load mode and the reference client read fixtures from a folder (zipping a folder
//! fixture on first use), and a few KiB written once keep that one code path.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use include_dir::{Dir, DirEntry, include_dir};

/// The repository's `scenarios/`: `README.md`, `target/` and `client/`.
static SCENARIOS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../scenarios");
/// The repository's `fixtures/packages/`.
static PACKAGES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../fixtures/packages");

/// The folder name under which built-in scenario files are shown (`<built-in>/target/x.toml`).
/// Angle brackets keep it from naming a real folder by accident.
pub(crate) const BUILT_IN: &str = "<built-in>";

/// The two scenario languages, each a folder of the shipped set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SuiteKind {
    /// `scenarios/target/`: checks of an LMS.
    Target,
    /// `scenarios/client/`: checks of an authoring tool.
    Client,
}

impl SuiteKind {
    /// The folder name: `target` or `client`.
    pub(crate) fn folder(self) -> &'static str {
        match self {
            SuiteKind::Target => "target",
            SuiteKind::Client => "client",
        }
    }

    /// The folder read from disk when no flag names one: `scenarios/target`.
    fn default_folder(self) -> PathBuf {
        Path::new("scenarios").join(self.folder())
    }
}

/// `built-in (pens-conform 0.1.0)`: how the run header and the bundle name a built-in set.
pub(crate) fn built_in_label() -> String {
    format!("built-in ({} {})", env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))
}

/// A folder as the run header names it: `./scenarios/target` for a relative one, so it
/// reads as a place on disk beside `built-in (...)`; `../x`, `./x` and absolute paths
/// as given.
fn folder_label(dir: &Path) -> String {
    let plain = matches!(dir.components().next(), Some(std::path::Component::Normal(_)));
    if plain { format!("./{}", dir.display()) } else { dir.display().to_string() }
}

/// Where a run's scenarios come from: a folder on disk or the set inside the binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ScenarioSet {
    /// The `*.toml` files under this folder.
    Folder(PathBuf),
    /// The files shipped in the binary for this suite.
    BuiltIn(SuiteKind),
}

impl ScenarioSet {
    /// The rule of the module doc: the flag's folder; else the default folder when it
    /// exists under the current folder; else the built-in set.
    pub(crate) fn resolve(flag: Option<&Path>, kind: SuiteKind) -> ScenarioSet {
        ScenarioSet::resolve_in(flag, kind, Path::new("."))
    }

    /// [`ScenarioSet::resolve`] with the default folder looked up under `base`.
    fn resolve_in(flag: Option<&Path>, kind: SuiteKind, base: &Path) -> ScenarioSet {
        match flag {
            Some(dir) => ScenarioSet::Folder(dir.to_path_buf()),
            None if base.join(kind.default_folder()).is_dir() => ScenarioSet::Folder(kind.default_folder()),
            None => ScenarioSet::BuiltIn(kind),
        }
    }

    /// The folder the set's files are named under: the folder itself, or
    /// `<built-in>/target`.
    pub(crate) fn folder(&self) -> PathBuf {
        match self {
            ScenarioSet::Folder(dir) => dir.clone(),
            ScenarioSet::BuiltIn(kind) => Path::new(BUILT_IN).join(kind.folder()),
        }
    }

    /// What the run header prints after `scenarios`: `./scenarios/target` or
    /// `built-in (pens-conform 0.1.0)`.
    pub(crate) fn label(&self) -> String {
        match self {
            ScenarioSet::Folder(dir) => folder_label(dir),
            ScenarioSet::BuiltIn(_) => built_in_label(),
        }
    }

    /// The built-in files of the set, `(name, text)` in path order, the name as
    /// [`ScenarioSet::folder`] shows it; `None` for a folder on disk.
    pub(crate) fn built_in_files(&self) -> Option<Vec<(PathBuf, &'static str)>> {
        let ScenarioSet::BuiltIn(kind) = self else { return None };
        let mut files = Vec::new();
        if let Some(dir) = SCENARIOS.get_dir(kind.folder()) {
            collect_files(dir, &mut files);
        }
        let mut toml: Vec<(PathBuf, &'static str)> = files
            .into_iter()
            .filter(|file| file.path().extension().is_some_and(|e| e == "toml"))
            .filter_map(|file| Some((Path::new(BUILT_IN).join(file.path()), file.contents_utf8()?)))
            .collect();
        toml.sort_by(|a, b| a.0.cmp(&b.0));
        Some(toml)
    }
}

/// The bytes of a scenario file the run loaded: a built-in file's from the binary
/// (`<built-in>/target/x.toml`), any other from disk. The digest and the bundle read
/// through here, so they cover embedded files exactly as files on disk.
pub(crate) fn scenario_bytes(source: &Path) -> std::io::Result<Cow<'static, [u8]>> {
    if let Ok(inner) = source.strip_prefix(BUILT_IN)
        && let Some(file) = SCENARIOS.get_file(inner)
    {
        return Ok(Cow::Borrowed(file.contents()));
    }
    std::fs::read(source).map(Cow::Owned)
}

/// Where a run's package fixtures come from: a folder on disk or the built-in set,
/// written to a temporary folder that lives as long as this value.
#[derive(Debug)]
pub(crate) enum PackageSet {
    /// The folder given, or the default one.
    Folder(PathBuf),
    /// The built-in fixtures, written out for the run.
    BuiltIn(tempfile::TempDir),
}

impl PackageSet {
    /// The rule of the module doc for `--packages`: the flag's folder; else
    /// `fixtures/packages` when it exists; else the built-in fixtures, written to a
    /// temporary folder.
    pub(crate) fn resolve(flag: Option<&Path>) -> std::io::Result<PackageSet> {
        let default = Path::new("fixtures/packages");
        match flag {
            Some(dir) => Ok(PackageSet::Folder(dir.to_path_buf())),
            None if default.is_dir() => Ok(PackageSet::Folder(default.to_path_buf())),
            None => {
                let temp = tempfile::Builder::new().prefix("pens-conform-packages-").tempdir()?;
                for (relative, bytes) in package_files() {
                    write_file(&temp.path().join(relative), bytes)?;
                }
                Ok(PackageSet::BuiltIn(temp))
            }
        }
    }

    /// The folder to read fixtures from.
    pub(crate) fn path(&self) -> &Path {
        match self {
            PackageSet::Folder(dir) => dir,
            PackageSet::BuiltIn(temp) => temp.path(),
        }
    }

    /// How a message names the set: the folder as given, or `the built-in package
    /// fixtures (pens-conform 0.1.0)` (never the temporary folder they were written to).
    pub(crate) fn shown(&self) -> String {
        match self {
            PackageSet::Folder(dir) => dir.display().to_string(),
            PackageSet::BuiltIn(_) => {
                format!("the built-in package fixtures ({} {})", env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))
            }
        }
    }

    /// `./fixtures/packages` or `built-in (pens-conform 0.1.0)`.
    pub(crate) fn label(&self) -> String {
        match self {
            PackageSet::Folder(dir) => folder_label(dir),
            PackageSet::BuiltIn(_) => built_in_label(),
        }
    }
}

/// Every file `scenarios export` writes, relative to its folder, with its bytes:
/// `README.md`, `target/*.toml`, `client/*.toml` (the repository's `scenarios/`) and
/// `packages/...` (its `fixtures/packages/`), in path order.
pub(crate) fn export_files() -> Vec<(PathBuf, &'static [u8])> {
    let mut files = Vec::new();
    let mut scenarios = Vec::new();
    collect_files(&SCENARIOS, &mut scenarios);
    files.extend(scenarios.into_iter().map(|file| (file.path().to_path_buf(), file.contents())));
    files.extend(package_files().into_iter().map(|(path, bytes)| (Path::new("packages").join(path), bytes)));
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files
}

/// The built-in package fixtures, relative to `fixtures/packages/`.
fn package_files() -> Vec<(PathBuf, &'static [u8])> {
    let mut files = Vec::new();
    collect_files(&PACKAGES, &mut files);
    files.into_iter().map(|file| (file.path().to_path_buf(), file.contents())).collect()
}

/// Every file under `dir`, at any depth (their paths are relative to the embedded root).
fn collect_files(dir: &'static Dir<'static>, out: &mut Vec<&'static include_dir::File<'static>>) {
    for entry in dir.entries() {
        match entry {
            DirEntry::Dir(sub) => collect_files(sub, out),
            DirEntry::File(file) => out.push(file),
        }
    }
}

/// Writes `bytes` to `path`, creating its parent folders.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repository() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    #[test]
    fn the_flag_wins_then_the_default_folder_then_the_built_in_set() {
        let empty = tempfile::tempdir().expect("a temp folder");
        let given = Path::new("elsewhere/mine");
        assert_eq!(
            ScenarioSet::resolve_in(Some(given), SuiteKind::Target, empty.path()),
            ScenarioSet::Folder(given.to_path_buf())
        );
        assert_eq!(
            ScenarioSet::resolve_in(None, SuiteKind::Client, empty.path()),
            ScenarioSet::BuiltIn(SuiteKind::Client)
        );
        assert_eq!(
            ScenarioSet::resolve_in(None, SuiteKind::Target, &repository()),
            ScenarioSet::Folder(PathBuf::from("scenarios/target"))
        );
    }

    #[test]
    fn the_labels_say_built_in_or_name_the_folder() {
        assert_eq!(
            ScenarioSet::BuiltIn(SuiteKind::Target).label(),
            format!("built-in (pens-conform {})", env!("CARGO_PKG_VERSION"))
        );
        assert_eq!(ScenarioSet::Folder(PathBuf::from("scenarios/target")).label(), "./scenarios/target");
        assert_eq!(ScenarioSet::Folder(PathBuf::from("/abs/set")).label(), "/abs/set");
        assert_eq!(ScenarioSet::Folder(PathBuf::from("./mine")).label(), "./mine");
        assert_eq!(ScenarioSet::Folder(PathBuf::from("../mine")).label(), "../mine");
        assert_eq!(ScenarioSet::BuiltIn(SuiteKind::Client).folder(), Path::new("<built-in>/client"));
    }

    /// Every built-in file is the repository's, byte for byte (this binary was built
    /// from this checkout), and the export covers the whole of both folders.
    #[test]
    fn the_exported_files_are_the_repositorys() {
        let files = export_files();
        for (relative, bytes) in &files {
            let on_disk = match relative.strip_prefix("packages") {
                Ok(package) => repository().join("fixtures/packages").join(package),
                Err(_) => repository().join("scenarios").join(relative),
            };
            assert_eq!(std::fs::read(&on_disk).expect("the file on disk"), *bytes, "{}", relative.display());
        }
        let targets = files.iter().filter(|(p, _)| p.starts_with("target")).count();
        let on_disk = std::fs::read_dir(repository().join("scenarios/target")).expect("the folder").count();
        assert_eq!(targets, on_disk);
        assert!(files.iter().any(|(p, _)| p == Path::new("packages/scorm12-minimal/imsmanifest.xml")));
        assert!(files.iter().any(|(p, _)| p == Path::new("client/publish-valid.toml")));
    }

    #[test]
    fn built_in_bytes_are_read_from_the_binary_and_others_from_disk() {
        let set = ScenarioSet::BuiltIn(SuiteKind::Target);
        let files = set.built_in_files().expect("built-in files");
        let (name, text) = files.iter().find(|(n, _)| n.ends_with("collect-post-valid.toml")).expect("a known file");
        assert_eq!(name, Path::new("<built-in>/target/collect-post-valid.toml"));
        assert_eq!(scenario_bytes(name).expect("embedded").as_ref(), text.as_bytes());
        let disk = repository().join("scenarios/target/collect-post-valid.toml");
        assert_eq!(scenario_bytes(&disk).expect("on disk").as_ref(), text.as_bytes());
        assert!(ScenarioSet::Folder(PathBuf::from("x")).built_in_files().is_none());
        let on_disk = std::fs::read_dir(repository().join("scenarios/target"))
            .expect("the folder")
            .filter(|e| e.as_ref().is_ok_and(|e| e.path().extension().is_some_and(|x| x == "toml")))
            .count();
        assert_eq!(files.len(), on_disk, "every target scenario is built in, as UTF-8 text");
        let client = ScenarioSet::BuiltIn(SuiteKind::Client).built_in_files().expect("client files");
        assert!(client.iter().all(|(name, _)| name.starts_with("<built-in>/client")), "{client:?}");
    }

    #[test]
    fn built_in_packages_are_written_to_a_folder_that_lives_with_the_set() {
        let cwd_has_fixtures = Path::new("fixtures/packages").is_dir();
        let resolved = PackageSet::resolve(None).expect("resolved");
        if cwd_has_fixtures {
            assert_eq!(resolved.path(), Path::new("fixtures/packages"));
        } else {
            assert!(resolved.path().join("scorm12-minimal/imsmanifest.xml").is_file());
        }
        let given = PackageSet::resolve(Some(Path::new("mine"))).expect("given");
        assert_eq!(given.path(), Path::new("mine"));
        assert_eq!(given.label(), "./mine");
    }
}
