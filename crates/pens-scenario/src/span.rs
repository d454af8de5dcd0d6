//! Source positions: every node of a scenario remembers where it was written, so that a
//! load error, and later a failed check, can point at `file:line:col` like rustc does.

use std::fmt;
use std::ops::{Deref, Range};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

/// Where a node sits in its file: a byte range plus the 1-based line and column (in
/// characters) of its first byte.
///
/// Line and column are computed once at load time, so a runner can print a location
/// without keeping the file's text around.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
    /// 1-based line of `start`.
    pub line: u32,
    /// 1-based column of `start`, counted in characters.
    pub col: u32,
}

impl Span {
    /// The byte range.
    pub fn range(&self) -> Range<usize> {
        self.start..self.end
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Whether the span covers no byte (a section the file leaves out points at 1:1 this way).
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// A value and where it was written.
///
/// A value that the file leaves out, and that takes its default, carries the span of the
/// table it would have been in (or 1:1 for a table that is itself absent), so a report
/// still points somewhere useful.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub span: Span,
}

impl<T> Spanned<T> {
    /// Pairs a value with its span.
    pub fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }

    /// The value, dropping the span.
    pub fn into_inner(self) -> T {
        self.value
    }

    /// A reference to the value with the same span.
    pub fn as_ref(&self) -> Spanned<&T> {
        Spanned { value: &self.value, span: self.span }
    }

    /// Transforms the value, keeping the span.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Spanned<U> {
        Spanned { value: f(self.value), span: self.span }
    }
}

impl<T> Deref for Spanned<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

/// The text of one scenario file and an index of its line starts, shared by every
/// diagnostic that quotes it.
#[derive(Clone, Debug)]
pub(crate) struct SourceFile {
    path: PathBuf,
    text: Arc<str>,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub(crate) fn new(path: PathBuf, text: Arc<str>) -> Self {
        let line_starts = std::iter::once(0).chain(text.match_indices('\n').map(|(at, _)| at + 1)).collect::<Vec<_>>();
        SourceFile { path, text, line_starts }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn text(&self) -> &Arc<str> {
        &self.text
    }

    /// The span of a byte range, clamped to the text and to character boundaries so that
    /// a slightly-off range from a parser can never make slicing panic.
    pub(crate) fn span(&self, range: Range<usize>) -> Span {
        let start = self.floor_boundary(range.start.min(self.text.len()));
        let end = self.floor_boundary(range.end.clamp(start, self.text.len()));
        let line_index = self.line_starts.partition_point(|&s| s <= start).saturating_sub(1);
        let line_start = self.line_starts.get(line_index).copied().unwrap_or(0);
        let col = self.text.get(line_start..start).map_or(0, |prefix| prefix.chars().count()) + 1;
        Span { start, end, line: to_u32(line_index + 1), col: to_u32(col) }
    }

    /// The empty span at 1:1, for things the file does not contain at all.
    pub(crate) fn start(&self) -> Span {
        self.span(0..0)
    }

    fn floor_boundary(&self, mut at: usize) -> usize {
        while at > 0 && !self.text.is_char_boundary(at) {
            at -= 1;
        }
        at
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> SourceFile {
        SourceFile::new(PathBuf::from("t.toml"), Arc::from(text))
    }

    #[test]
    fn line_and_column_are_one_based_and_count_characters() {
        let f = file("a = 1\nbé = \"x\"\r\nc = 3");
        assert_eq!(f.span(0..1), Span { start: 0, end: 1, line: 1, col: 1 });
        let x = f.text().find('"').expect("quote");
        assert_eq!(f.span(x..x + 3).line, 2);
        assert_eq!(f.span(x..x + 3).col, 6, "é is one column");
        let c = f.text().find('c').expect("c");
        assert_eq!((f.span(c..c).line, f.span(c..c).col), (3, 1));
    }

    #[test]
    fn ranges_out_of_bounds_or_inside_a_character_are_clamped() {
        let f = file("é");
        assert_eq!(f.span(1..99).range(), 0..2);
        assert_eq!(f.span(Range { start: 5, end: 2 }).range(), 2..2, "a reversed range is empty");
        assert_eq!(file("").span(3..4), Span { start: 0, end: 0, line: 1, col: 1 });
    }
}
