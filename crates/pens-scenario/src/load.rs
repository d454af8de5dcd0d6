//! Reading scenario files: one file, or every `*.toml` under a directory with every error
//! of every file collected, so a `lint` run shows all problems at once.
//!
//! Both languages load the same way (UTF-8, TOML, the model, ids unique in the
//! directory); [`Language`] is what differs: the model and how the tree becomes one.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::client_convert::convert_client;
use crate::client_model::ClientScenario;
use crate::convert::convert;
use crate::error::{Diagnostics, Note, ScenarioError, ScenarioErrorKind};
use crate::model::Scenario;
use crate::span::{SourceFile, Spanned};
use crate::tree::{self, Node};

/// A scenario language: its model, read from a parsed document.
pub(crate) trait Language: Clone {
    /// Reads the model, reporting problems into `diag`; only meaningful when it stays empty.
    fn convert(diag: &mut Diagnostics<'_>, root: &Node) -> Self;
    /// `id`, unique in a directory.
    fn id(&self) -> &Spanned<String>;
    /// The file it was loaded from.
    fn source(&self) -> &Path;
}

impl Language for Scenario {
    fn convert(diag: &mut Diagnostics<'_>, root: &Node) -> Self {
        convert(diag, root)
    }

    fn id(&self) -> &Spanned<String> {
        &self.id
    }

    fn source(&self) -> &Path {
        &self.source
    }
}

impl Language for ClientScenario {
    fn convert(diag: &mut Diagnostics<'_>, root: &Node) -> Self {
        convert_client(diag, root)
    }

    fn id(&self) -> &Spanned<String> {
        &self.id
    }

    fn source(&self) -> &Path {
        &self.source
    }
}

/// Loads one scenario file; on failure, the first error in the file (see
/// [`load_file_all`] for every error).
pub fn load_file(path: impl AsRef<Path>) -> Result<Scenario, ScenarioError> {
    load_file_all(path).map_err(first_error)
}

/// Loads one scenario file, reporting every error it holds, in source order.
pub fn load_file_all(path: impl AsRef<Path>) -> Result<Scenario, Vec<ScenarioError>> {
    read(path.as_ref()).map(|(scenario, _)| scenario)
}

/// Parses scenario text as if read from `path` (which names the file in diagnostics and
/// must be `<id>.toml`). Never panics, whatever the text.
pub fn parse_scenario(path: impl Into<PathBuf>, text: &str) -> Result<Scenario, Vec<ScenarioError>> {
    parse_text(path.into(), text)
}

/// Loads every `*.toml` file under `dir` (subdirectories included, hidden entries and
/// symlinked directories skipped), in path order. Returns the scenarios that loaded (the
/// first of several with one id) and every error: of every file, plus one per file that
/// reuses an id, sorted by file and position.
pub fn load_dir(dir: impl AsRef<Path>) -> (Vec<Scenario>, Vec<ScenarioError>) {
    load_dir_as(dir.as_ref())
}

/// Loads one client scenario file (`scenarios/client/<id>.toml`); on failure, the first
/// error in the file (see [`load_client_file_all`] for every error).
pub fn load_client_file(path: impl AsRef<Path>) -> Result<ClientScenario, ScenarioError> {
    load_client_file_all(path).map_err(first_error)
}

/// Loads one client scenario file, reporting every error it holds, in source order.
pub fn load_client_file_all(path: impl AsRef<Path>) -> Result<ClientScenario, Vec<ScenarioError>> {
    read(path.as_ref()).map(|(scenario, _)| scenario)
}

/// Parses client scenario text as if read from `path` (which names the file in
/// diagnostics and must be `<id>.toml`). Never panics, whatever the text.
pub fn parse_client_scenario(path: impl Into<PathBuf>, text: &str) -> Result<ClientScenario, Vec<ScenarioError>> {
    parse_text(path.into(), text)
}

/// Loads every client scenario under `dir`, as [`load_dir`] does target scenarios: every
/// `*.toml` file (subdirectories included, hidden entries and symlinked directories
/// skipped) in path order, the scenarios that loaded (the first of several with one id)
/// and every error, sorted by file and position.
pub fn load_client_dir(dir: impl AsRef<Path>) -> (Vec<ClientScenario>, Vec<ScenarioError>) {
    load_dir_as(dir.as_ref())
}

fn first_error(mut errors: Vec<ScenarioError>) -> ScenarioError {
    // Never empty, but an error value is cheap insurance against a panic.
    if errors.is_empty() { internal(Path::new("")) } else { errors.swap_remove(0) }
}

fn parse_text<S: Language>(path: PathBuf, text: &str) -> Result<S, Vec<ScenarioError>> {
    let file = SourceFile::new(path, Arc::from(text));
    parse_file(&file)
}

fn load_dir_as<S: Language>(dir: &Path) -> (Vec<S>, Vec<ScenarioError>) {
    let mut errors = Vec::new();
    let mut paths = Vec::new();
    collect_toml_files(dir, &mut paths, &mut errors);
    paths.sort();
    let mut loaded: Vec<(S, SourceFile)> = Vec::new();
    for path in &paths {
        match read(path) {
            Ok(pair) => loaded.push(pair),
            Err(file_errors) => errors.extend(file_errors),
        }
    }
    let mut first_by_id: HashMap<String, usize> = HashMap::new();
    let mut scenarios = Vec::new();
    for (index, (scenario, file)) in loaded.iter().enumerate() {
        let id = scenario.id();
        match first_by_id.get(id.as_str()) {
            None => {
                first_by_id.insert(id.value.clone(), index);
                scenarios.push(scenario.clone());
            }
            Some(&first_index) => {
                let (first, first_file) = &loaded[first_index];
                let kind = ScenarioErrorKind::DuplicateId { id: id.value.clone(), first: first.source().to_owned() };
                errors.push(
                    ScenarioError::at(kind, file, id.span)
                        .with_label("used again here")
                        .with_help("ids are unique across the directory: reports and baselines refer to them")
                        .with_note(Note::new("first used here", first_file, first.id().span)),
                );
            }
        }
    }
    errors.sort_by(|a, b| a.position().cmp(&b.position()));
    (scenarios, errors)
}

fn read<S: Language>(path: &Path) -> Result<(S, SourceFile), Vec<ScenarioError>> {
    let bytes = fs::read(path).map_err(|source| {
        vec![ScenarioError::unlocated(ScenarioErrorKind::Io { path: path.to_owned(), source }, path)]
    })?;
    let file = match String::from_utf8(bytes) {
        Ok(text) => SourceFile::new(path.to_owned(), Arc::from(text)),
        Err(error) => {
            let valid_up_to = error.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(error.as_bytes()).into_owned();
            let file = SourceFile::new(path.to_owned(), Arc::from(text));
            // The lossy text has the same bytes up to the first invalid one.
            let span = file.span(valid_up_to..valid_up_to + 1);
            return Err(vec![
                ScenarioError::at(ScenarioErrorKind::NotUtf8, &file, span)
                    .with_label("not UTF-8")
                    .with_help("save the file as UTF-8"),
            ]);
        }
    };
    let scenario = parse_file(&file)?;
    Ok((scenario, file))
}

fn parse_file<S: Language>(file: &SourceFile) -> Result<S, Vec<ScenarioError>> {
    let root = tree::parse(file.text()).map_err(|error| vec![syntax_error(file, &error)])?;
    let mut diag = Diagnostics::new(file);
    let scenario = S::convert(&mut diag, &root);
    if diag.is_empty() { Ok(scenario) } else { Err(diag.into_sorted()) }
}

/// The TOML parser's error: its first line as the message, the rest (the parser's
/// "expected ..." detail) as the label.
pub(crate) fn syntax_error(file: &SourceFile, error: &toml::de::Error) -> ScenarioError {
    let mut lines = error.message().lines().map(str::trim).filter(|l| !l.is_empty());
    let message = lines.next().unwrap_or("the parser gave no reason").to_owned();
    let detail = lines.collect::<Vec<_>>().join("; ");
    let span = file.span(error.span().unwrap_or(0..0));
    let error = ScenarioError::at(ScenarioErrorKind::Syntax { message }, file, span);
    if detail.is_empty() { error } else { error.with_label(detail) }
}

fn collect_toml_files(dir: &Path, paths: &mut Vec<PathBuf>, errors: &mut Vec<ScenarioError>) {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(source) => {
            errors.push(ScenarioError::unlocated(ScenarioErrorKind::Io { path: dir.to_owned(), source }, dir));
            return;
        }
    };
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(source) => {
                errors.push(ScenarioError::unlocated(ScenarioErrorKind::Io { path: dir.to_owned(), source }, dir));
                continue;
            }
        };
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        // `file_type` does not follow symlinks: a symlinked directory is not entered (no
        // loops), a symlinked file is read like any other.
        let Ok(file_type) = entry.file_type() else { continue };
        if file_type.is_dir() {
            collect_toml_files(&path, paths, errors);
        } else if path.extension().is_some_and(|ext| ext == "toml") && path.is_file() {
            paths.push(path);
        }
    }
}

fn internal(path: &Path) -> ScenarioError {
    ScenarioError::unlocated(
        ScenarioErrorKind::Io { path: path.to_owned(), source: std::io::Error::other("no error recorded") },
        path,
    )
}
