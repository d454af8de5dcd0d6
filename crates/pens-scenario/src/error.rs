//! Load errors: what is wrong, where, and what to write instead.
//!
//! A [`ScenarioError`] is a [`miette::Diagnostic`] with the file as its named source and
//! one labelled span, so miette's graphical handler prints the location, the line and an
//! underline; [`render_plain`](crate::render_plain) prints the same in rustc's layout for
//! terminals and snapshots. The [`ScenarioErrorKind`] says what went wrong in data, for
//! tools and tests that should not parse messages.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, Severity, SourceCode};

use crate::span::{SourceFile, Span};
use crate::template::TemplateError;

/// What is wrong with a scenario file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioErrorKind {
    /// The file or directory cannot be read.
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        /// What could not be read.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The bytes are not UTF-8, so not TOML.
    #[error("the file is not UTF-8 text")]
    NotUtf8,
    /// The TOML parser rejected the file.
    #[error("invalid TOML: {message}")]
    Syntax {
        /// The parser's message (first line).
        message: String,
    },
    /// A key the language does not have.
    #[error("unknown key `{key}` {}", where_(table))]
    UnknownKey {
        /// Dotted path of the table (empty: top level).
        table: String,
        /// The key as written.
        key: String,
        /// The valid key it most likely meant.
        suggestion: Option<&'static str>,
    },
    /// A required key is absent.
    #[error("missing key `{key}` {}", where_(table))]
    MissingKey {
        /// Dotted path of the table (empty: top level).
        table: String,
        /// The key.
        key: &'static str,
    },
    /// A value of the wrong TOML type.
    #[error("wrong type for `{field}`: expected {expected}, found {found}")]
    WrongType {
        /// Dotted path of the key.
        field: String,
        /// What the language wants, with an article.
        expected: &'static str,
        /// What the file has, with an article.
        found: &'static str,
    },
    /// A name outside a closed vocabulary (`behaviour`, `method`, a capability, ...).
    #[error("unknown {what} `{value}`")]
    UnknownKeyword {
        /// Dotted path of the key.
        field: String,
        /// What such a name is called.
        what: &'static str,
        /// The name as written.
        value: String,
        /// The valid name it most likely meant.
        suggestion: Option<&'static str>,
    },
    /// A value of the right type that the language does not allow.
    #[error("invalid value for `{field}`: {reason}")]
    InvalidValue {
        /// Dotted path of the key.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A malformed or unknown `{{placeholder}}`.
    #[error("{error}")]
    Template {
        /// Dotted path of the key.
        field: String,
        /// The template parser's error (its range is within the value).
        error: TemplateError,
    },
    /// A requirement id that is not in `pens_proto::CATALOGUE`.
    #[error("unknown requirement id `{id}`")]
    UnknownRequirement {
        /// The id as written.
        id: String,
        /// The catalogue id it most likely meant.
        suggestion: Option<&'static str>,
    },
    /// A name that is not a CMI010 element (or, for receipt fields, a notification field).
    #[error("unknown element `{name}` in `{field}`")]
    UnknownElement {
        /// Dotted path of the key.
        field: String,
        /// The name as written.
        name: String,
        /// The element it most likely meant.
        suggestion: Option<&'static str>,
    },
    /// An error code outside 0-65535.
    #[error("error code {value} is out of range")]
    CodeOutOfRange {
        /// Dotted path of the key.
        field: String,
        /// The number as written.
        value: i64,
    },
    /// `id` is not kebab-case.
    #[error("scenario id `{id}` is not kebab-case")]
    IdNotKebabCase {
        /// The id as written.
        id: String,
    },
    /// `id` differs from the file stem.
    #[error("scenario id `{id}` does not match the file name `{stem}`")]
    IdMismatch {
        /// The id as written.
        id: String,
        /// The file name without `.toml`.
        stem: String,
    },
    /// Two files of one directory declare the same id.
    #[error("duplicate scenario id `{id}`")]
    DuplicateId {
        /// The id.
        id: String,
        /// The file that declared it first.
        first: PathBuf,
    },
    /// A list names the same thing twice.
    #[error("`{value}` is listed twice in `{field}`")]
    DuplicateEntry {
        /// Dotted path of the key.
        field: String,
        /// The repeated entry.
        value: String,
    },
    /// A value another TOML file of the harness (the implementation profile) refuses,
    /// in that file's own words: `[limits] redirects is 0; give a whole number ...`.
    #[error("{message}")]
    Rejected {
        /// Dotted path of the key.
        field: String,
        /// What is wrong and what to write instead.
        message: String,
    },
    /// Keys or values that contradict each other.
    #[error("{message}")]
    Conflict {
        /// Dotted path of the key the error points at.
        field: String,
        /// What contradicts what.
        message: String,
    },
}

fn where_(table: &str) -> String {
    if table.is_empty() { "at the top level".to_owned() } else { format!("in [{table}]") }
}

impl ScenarioErrorKind {
    /// A stable code per kind, for tools (`pens_scenario::unknown_key`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            ScenarioErrorKind::Io { .. } => "pens_scenario::io",
            ScenarioErrorKind::NotUtf8 => "pens_scenario::not_utf8",
            ScenarioErrorKind::Syntax { .. } => "pens_scenario::syntax",
            ScenarioErrorKind::UnknownKey { .. } => "pens_scenario::unknown_key",
            ScenarioErrorKind::MissingKey { .. } => "pens_scenario::missing_key",
            ScenarioErrorKind::WrongType { .. } => "pens_scenario::wrong_type",
            ScenarioErrorKind::UnknownKeyword { .. } => "pens_scenario::unknown_keyword",
            ScenarioErrorKind::InvalidValue { .. } => "pens_scenario::invalid_value",
            ScenarioErrorKind::Template { .. } => "pens_scenario::template",
            ScenarioErrorKind::UnknownRequirement { .. } => "pens_scenario::unknown_requirement",
            ScenarioErrorKind::UnknownElement { .. } => "pens_scenario::unknown_element",
            ScenarioErrorKind::CodeOutOfRange { .. } => "pens_scenario::code_out_of_range",
            ScenarioErrorKind::IdNotKebabCase { .. } => "pens_scenario::id_not_kebab_case",
            ScenarioErrorKind::IdMismatch { .. } => "pens_scenario::id_mismatch",
            ScenarioErrorKind::DuplicateId { .. } => "pens_scenario::duplicate_id",
            ScenarioErrorKind::DuplicateEntry { .. } => "pens_scenario::duplicate_entry",
            ScenarioErrorKind::Conflict { .. } => "pens_scenario::conflict",
            ScenarioErrorKind::Rejected { .. } => "pens_scenario::rejected",
        }
    }
}

/// A place in a file, with the file's text so it can be quoted.
#[derive(Clone)]
pub(crate) struct Location {
    pub(crate) span: Span,
    pub(crate) text: Arc<str>,
    named: NamedSource<Arc<str>>,
}

impl Location {
    pub(crate) fn new(file: &SourceFile, span: Span) -> Self {
        let named = NamedSource::new(display_path(file.path()), Arc::clone(file.text())).with_language("TOML");
        Location { span, text: Arc::clone(file.text()), named }
    }
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Location").field("span", &self.span).finish_non_exhaustive()
    }
}

/// The path as printed in diagnostics: as given, with `/` separators so snapshots agree
/// across platforms.
pub(crate) fn display_path(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// A secondary location that explains an error, e.g. where a duplicate id was first used.
#[derive(Debug, Clone)]
pub struct Note {
    message: String,
    path: PathBuf,
    location: Location,
}

impl Note {
    pub(crate) fn new(message: impl Into<String>, file: &SourceFile, span: Span) -> Self {
        Note { message: message.into(), path: file.path().to_owned(), location: Location::new(file, span) }
    }

    /// What the place shows.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The file it is in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where in that file.
    pub fn span(&self) -> Span {
        self.location.span
    }

    pub(crate) fn location(&self) -> &Location {
        &self.location
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Note {}

impl Diagnostic for Note {
    fn severity(&self) -> Option<Severity> {
        Some(Severity::Advice)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.location.named)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(LabeledSpan::new_primary_with_span(None, self.location.span.range()))))
    }
}

/// One problem with one scenario file (or directory), located and explained.
///
/// Boxed inside, so that `Result<Scenario, ScenarioError>` stays small.
#[derive(Debug)]
pub struct ScenarioError(Box<Inner>);

#[derive(Debug)]
struct Inner {
    kind: ScenarioErrorKind,
    path: PathBuf,
    location: Option<Location>,
    label: Option<String>,
    help: Option<String>,
    notes: Vec<Note>,
}

impl ScenarioError {
    /// An error about `span` in `file`.
    pub(crate) fn at(kind: ScenarioErrorKind, file: &SourceFile, span: Span) -> Self {
        ScenarioError(Box::new(Inner {
            kind,
            path: file.path().to_owned(),
            location: Some(Location::new(file, span)),
            label: None,
            help: None,
            notes: Vec::new(),
        }))
    }

    /// An error about a whole file or directory that has no text to quote.
    pub(crate) fn unlocated(kind: ScenarioErrorKind, path: &Path) -> Self {
        ScenarioError(Box::new(Inner {
            kind,
            path: path.to_owned(),
            location: None,
            label: None,
            help: None,
            notes: Vec::new(),
        }))
    }

    /// An error about the bytes `range` of `text`, the contents of `path`: for other
    /// TOML files of the harness (the implementation profile) that want the diagnostics
    /// scenario files get, rendered by [`render_plain`](crate::render_plain) the same way.
    /// The range is clamped to the text and to character boundaries.
    pub fn in_text(kind: ScenarioErrorKind, path: impl Into<PathBuf>, text: Arc<str>, range: Range<usize>) -> Self {
        let file = SourceFile::new(path.into(), text);
        let span = file.span(range);
        ScenarioError::at(kind, &file, span)
    }

    /// The TOML reader's error for `text`, the contents of `path`: its first line as
    /// the message, the rest (the reader's "expected ..." detail) as the label.
    pub fn toml_syntax(path: impl Into<PathBuf>, text: Arc<str>, error: &toml::de::Error) -> Self {
        crate::load::syntax_error(&SourceFile::new(path.into(), text), error)
    }

    /// The text under the caret (e.g. "did you mean `receipt`?").
    #[must_use]
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.0.label = Some(label.into());
        self
    }

    /// What to write instead, or what is allowed, printed as `= help: ...`.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.0.help = Some(help.into());
        self
    }

    pub(crate) fn with_note(mut self, note: Note) -> Self {
        self.0.notes.push(note);
        self
    }

    /// What is wrong, as data.
    pub fn kind(&self) -> &ScenarioErrorKind {
        &self.0.kind
    }

    /// The file (or directory) concerned.
    pub fn path(&self) -> &Path {
        &self.0.path
    }

    /// Where in the file; `None` when the file could not be read at all.
    pub fn span(&self) -> Option<Span> {
        self.0.location.as_ref().map(|l| l.span)
    }

    /// The text under the caret (e.g. "did you mean `receipt`?").
    pub fn label(&self) -> Option<&str> {
        self.0.label.as_deref()
    }

    /// What to write instead, or what is allowed.
    pub fn help(&self) -> Option<&str> {
        self.0.help.as_deref()
    }

    /// Secondary places, possibly in other files.
    pub fn notes(&self) -> &[Note] {
        &self.0.notes
    }

    pub(crate) fn location(&self) -> Option<&Location> {
        self.0.location.as_ref()
    }

    /// Sort key: file, then position.
    pub(crate) fn position(&self) -> (&Path, usize) {
        (&self.0.path, self.0.location.as_ref().map_or(0, |l| l.span.start))
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.kind.fmt(f)
    }
}

impl std::error::Error for ScenarioError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.0.kind)
    }
}

impl Diagnostic for ScenarioError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.0.kind.code()))
    }

    fn severity(&self) -> Option<Severity> {
        Some(Severity::Error)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.0.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.0.location.as_ref().map(|l| &l.named as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let location = self.0.location.as_ref()?;
        let label = LabeledSpan::new_primary_with_span(self.0.label.clone(), location.span.range());
        Some(Box::new(std::iter::once(label)))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.0.notes.is_empty() {
            return None;
        }
        Some(Box::new(self.0.notes.iter().map(|n| n as &dyn Diagnostic)))
    }
}

/// Collects the errors of one file while it is read, so that every problem is reported,
/// not just the first.
pub(crate) struct Diagnostics<'f> {
    pub(crate) file: &'f SourceFile,
    errors: Vec<ScenarioError>,
}

impl<'f> Diagnostics<'f> {
    pub(crate) fn new(file: &'f SourceFile) -> Self {
        Diagnostics { file, errors: Vec::new() }
    }

    /// Records an error at `span` with a label and optional help.
    pub(crate) fn report(
        &mut self,
        kind: ScenarioErrorKind,
        span: Span,
        label: impl Into<String>,
        help: Option<String>,
    ) {
        let mut error = ScenarioError::at(kind, self.file, span).with_label(label);
        if let Some(help) = help {
            error = error.with_help(help);
        }
        self.errors.push(error);
    }

    /// Records an error built by the caller, e.g. one with a [`Note`] at a second place.
    pub(crate) fn push(&mut self, error: ScenarioError) {
        self.errors.push(error);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// The errors in source order.
    pub(crate) fn into_sorted(mut self) -> Vec<ScenarioError> {
        self.errors.sort_by_key(|e| e.position().1);
        self.errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_can_become_miette_reports() {
        fn report_ready<T: Diagnostic + Send + Sync + 'static>() {}
        report_ready::<ScenarioError>();
        assert!(std::mem::size_of::<ScenarioError>() <= 16, "boxed, so results stay small");
    }
}
