//! `parse_client_scenario` on arbitrary text: a client scenario file
//! (`scenarios/client/`), as `lint` and every client-mode run load it. The same
//! invariants as `scenario`, plus the notes of conflicts, which point at a second place.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pens_scenario::{Span, parse_client_scenario, render_plain, render_plain_all};

/// The path every input is parsed as; a scenario's id must equal the file stem.
const PATH: &str = "fuzz.toml";

fuzz_target!(|text: &str| {
    match parse_client_scenario(PATH, text) {
        Ok(scenario) => {
            // Only a file whose id is its stem loads.
            assert_eq!(scenario.id.value, "fuzz", "{text:?}");
            check_span(text, scenario.id.span);
            check_span(text, scenario.title.span);
            check_span(text, scenario.target.span);
            check_span(text, scenario.expect.collects.span);
            assert!((1..=pens_scenario::MAX_COLLECTS).contains(&scenario.expect.collects.value));
            if scenario.expect.namespace.is_some() {
                assert!(scenario.expect.collects.value >= 2, "a namespace check with one collect loaded: {text:?}");
            }
        }
        Err(errors) => {
            assert!(!errors.is_empty(), "Err without an error: {text:?}");
            for error in &errors {
                if let Some(span) = error.span() {
                    check_span(text, span);
                }
                for note in error.notes() {
                    check_span(text, note.span());
                }
                let rendered = render_plain(error);
                assert!(rendered.starts_with("error: "), "{rendered:?}");
                assert!(rendered.ends_with('\n'), "{rendered:?}");
                assert!(rendered.contains(PATH), "the diagnostic does not name the file: {rendered:?}");
            }
            let _ = render_plain_all(&errors);
        }
    }
});

/// A span lies within the text, on character boundaries, and its line and column are
/// those of its first byte (lines split at `\n`, columns counted in characters).
fn check_span(text: &str, span: Span) {
    assert!(span.start <= span.end && span.end <= text.len(), "{span:?} outside {} bytes", text.len());
    assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end), "{span:?} splits a character");
    let before = &text[..span.start];
    let line_start = before.rfind('\n').map_or(0, |at| at + 1);
    let line = before.matches('\n').count() + 1;
    let col = before[line_start..].chars().count() + 1;
    assert_eq!((span.line as usize, span.col as usize), (line, col), "{span:?} in {text:?}");
}
