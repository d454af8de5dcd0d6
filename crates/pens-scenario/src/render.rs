//! Plain-text diagnostics in rustc's layout: stable (no colours, no terminal width), so
//! terminals, CI logs and snapshot tests all see the same text.
//!
//! ```text
//! error: unknown key `recipt` in [expect]
//!   --> scenarios/target/collect-post-valid.toml:14:1
//!    |
//! 14 | recipt = { count = 1 }
//!    | ^^^^^^ did you mean `receipt`?
//!    |
//!    = help: valid keys in [expect]: response, fetch, receipt, alerts, any_of
//! ```

use std::fmt::Write as _;

use crate::error::{Location, ScenarioError, display_path};

/// One error as text, ending with a newline.
pub fn render_plain(error: &ScenarioError) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "error: {error}");
    let path = display_path(error.path());
    let width = gutter_width(error.location(), error.notes().iter().map(|n| n.location()));
    match error.location() {
        Some(location) => snippet(&mut out, &path, location, error.label(), width),
        None => {
            let _ = writeln!(out, "{:width$}--> {path}", "");
        }
    }
    if let Some(help) = error.help() {
        let _ = writeln!(out, "{:width$} |", "");
        let _ = writeln!(out, "{:width$} = help: {}", "", help.replace('\n', &format!("\n{:width$}         ", "")));
    }
    for note in error.notes() {
        let _ = writeln!(out, "note: {}", note.message());
        snippet(&mut out, &display_path(note.path()), note.location(), None, width);
    }
    out
}

/// Several errors, separated by blank lines.
pub fn render_plain_all(errors: &[ScenarioError]) -> String {
    errors.iter().map(render_plain).collect::<Vec<_>>().join("\n")
}

fn gutter_width<'l>(main: Option<&'l Location>, notes: impl Iterator<Item = &'l Location>) -> usize {
    main.into_iter().chain(notes).map(|l| l.span.line.to_string().len()).max().unwrap_or(1)
}

fn snippet(out: &mut String, path: &str, location: &Location, label: Option<&str>, width: usize) {
    let span = location.span;
    let line_text = source_line(&location.text, span.start);
    let _ = writeln!(out, "{:width$}--> {path}:{}:{}", "", span.line, span.col);
    let _ = writeln!(out, "{:width$} |", "");
    let _ = writeln!(out, "{:>width$} | {line_text}", span.line);
    // Keep tabs under tabs so the carets line up whatever the tab width.
    let prefix: String = line_text
        .chars()
        .take((span.col as usize).saturating_sub(1))
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    let rest_of_line = line_text.chars().count().saturating_sub(prefix.chars().count());
    let carets = location.text.get(span.range()).map_or(0, |s| s.lines().next().unwrap_or("").chars().count());
    let carets = carets.min(rest_of_line).max(1);
    let _ = write!(out, "{:width$} | {prefix}{}", "", "^".repeat(carets));
    match label {
        Some(label) if !label.is_empty() => {
            let _ = writeln!(out, " {label}");
        }
        _ => out.push('\n'),
    }
}

/// The line holding byte `at`, without its line ending.
fn source_line(text: &str, at: usize) -> &str {
    let at = at.min(text.len());
    let start = text.get(..at).and_then(|before| before.rfind('\n')).map_or(0, |i| i + 1);
    let end = text.get(start..).and_then(|after| after.find('\n')).map_or(text.len(), |i| start + i);
    let line = text.get(start..end).unwrap_or("");
    line.strip_suffix('\r').unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Arc;

    use super::*;
    use crate::error::{Note, ScenarioErrorKind};
    use crate::span::SourceFile;

    fn file(path: &str, text: &str) -> SourceFile {
        SourceFile::new(PathBuf::from(path), Arc::from(text))
    }

    #[test]
    fn rustc_layout_with_label_and_help() {
        let text = "id = \"x\"\n".repeat(13) + "recipt = { count = 1 }\n";
        let f = file("scenarios/target/x.toml", &text);
        let start = text.find("recipt").expect("present");
        let kind =
            ScenarioErrorKind::UnknownKey { table: "expect".into(), key: "recipt".into(), suggestion: Some("receipt") };
        let error = ScenarioError::at(kind, &f, f.span(start..start + 6))
            .with_label("did you mean `receipt`?")
            .with_help("valid keys in [expect]: response, fetch, receipt, alerts, any_of");
        assert_eq!(
            render_plain(&error),
            "error: unknown key `recipt` in [expect]\n  --> scenarios/target/x.toml:14:1\n   |\n14 | recipt = { count = 1 }\n   \
             | ^^^^^^ did you mean `receipt`?\n   |\n   = help: valid keys in [expect]: response, fetch, receipt, alerts, \
             any_of\n"
        );
    }

    #[test]
    fn tabs_multiline_spans_notes_and_unlocated_errors() {
        let f = file("a.toml", "\tx = \"\"\"\nab\n\"\"\"\r\n");
        let start = f.text().find('"').expect("quote");
        let error = ScenarioError::at(ScenarioErrorKind::NotUtf8, &f, f.span(start..f.text().len()))
            .with_note(Note::new("first defined here", &file("b\\c.toml", "id = 1"), f.span(0..0)));
        assert_eq!(
            render_plain(&error),
            "error: the file is not UTF-8 text\n --> a.toml:1:6\n  |\n1 | \tx = \"\"\"\n  | \t    ^^^\n\
             note: first defined here\n --> b/c.toml:1:1\n  |\n1 | id = 1\n  | ^\n"
        );
        let io = ScenarioError::unlocated(
            ScenarioErrorKind::Io { path: "gone".into(), source: std::io::Error::other("boom") },
            "gone".as_ref(),
        );
        assert_eq!(render_plain(&io), "error: cannot read `gone`: boom\n --> gone\n");
    }
}
