//! Making a report stable enough to snapshot: durations, offsets, ports, timestamps,
//! run ids and the workspace path replaced by placeholders. A few literal patterns
//! scanned by hand, so the test needs no regex engine.

/// One piece of a pattern.
#[derive(Clone, Copy)]
enum Piece {
    /// Exactly this text.
    Text(&'static str),
    /// One of these texts.
    OneOf(&'static [&'static str]),
    /// Exactly `n` ASCII digits.
    Digits(usize),
    /// Exactly `n` lowercase hex digits.
    Hex(usize),
    /// One or more digits, dots allowed after the first.
    Number,
    /// Optionally `.` and digits.
    Fraction,
    /// Anything up to (not including) a backslash, quote or line end: the rest of a
    /// header line inside a JSON or XML string.
    RestOfLine,
}

/// A pattern and what replaces each match.
struct Rule {
    pattern: &'static [Piece],
    replacement: &'static str,
}

use Piece::{Digits, Fraction, Hex, Number, OneOf, RestOfLine, Text};

const COLON: Piece = OneOf(&[":", "%3A"]);

const RULES: &[Rule] = &[
    // Ports of every party, plain and form-encoded.
    Rule { pattern: &[Text("127.0.0.1:"), Number], replacement: "127.0.0.1:[port]" },
    Rule { pattern: &[Text("127.0.0.1%3A"), Number], replacement: "127.0.0.1%3A[port]" },
    // Run ids (`20261122T180000Z-3fa1`), inside package-ids too.
    Rule { pattern: &[Digits(8), Text("T"), Digits(6), Text("Z-"), Hex(4)], replacement: "[run]" },
    // ISO 8601 UTC timestamps (started_at, package-url-expiry), plain and form-encoded.
    Rule {
        pattern: &[
            Digits(4),
            Text("-"),
            Digits(2),
            Text("-"),
            Digits(2),
            Text("T"),
            Digits(2),
            COLON,
            Digits(2),
            COLON,
            Digits(2),
            Fraction,
            Text("Z"),
        ],
        replacement: "[timestamp]",
    },
    // The HTTP date header of recorded answers.
    Rule { pattern: &[Text("date: "), RestOfLine], replacement: "date: [date]" },
    // Durations and offsets in the JSON report.
    Rule { pattern: &[Text("\"duration_ms\": "), Number], replacement: "\"duration_ms\": \"[ms]\"" },
    Rule { pattern: &[Text("\"at_ms\": "), Number], replacement: "\"at_ms\": \"[ms]\"" },
    Rule { pattern: &[Text("\"latency_ms\": "), Number], replacement: "\"latency_ms\": \"[ms]\"" },
    // The acknowledgement's latency in its check's message.
    Rule { pattern: &[Text("answered in "), Number, Text(" ms")], replacement: "answered in [ms] ms" },
    // Durations in the JUnit document.
    Rule { pattern: &[Text("time=\""), Number, Text("\"")], replacement: "time=\"[s]\"" },
];

/// Where `piece` ends when it matches `text` from `at`.
fn piece_end(text: &[u8], at: usize, piece: Piece) -> Option<usize> {
    let run = |at: usize, n: usize, ok: fn(&u8) -> bool| {
        (text.len() >= at + n && text[at..at + n].iter().all(ok)).then_some(at + n)
    };
    match piece {
        Text(literal) => text[at..].starts_with(literal.as_bytes()).then_some(at + literal.len()),
        OneOf(literals) => literals.iter().find_map(|l| piece_end(text, at, Text(l))),
        Digits(n) => run(at, n, u8::is_ascii_digit),
        Hex(n) => run(at, n, |b| b.is_ascii_digit() || (b'a'..=b'f').contains(b)),
        Number => {
            let first = run(at, 1, u8::is_ascii_digit)?;
            Some(first + text[first..].iter().take_while(|b| b.is_ascii_digit() || **b == b'.').count())
        }
        Fraction => match text.get(at) {
            Some(b'.') => Some(at + 1 + text[at + 1..].iter().take_while(|b| b.is_ascii_digit()).count()),
            _ => Some(at),
        },
        RestOfLine => Some(at + text[at..].iter().take_while(|b| !matches!(b, b'\\' | b'"' | b'\n' | b'\r')).count()),
    }
}

/// Where `pattern` ends when it matches `text` from `at`.
fn pattern_end(text: &[u8], at: usize, pattern: &[Piece]) -> Option<usize> {
    pattern.iter().try_fold(at, |at, piece| piece_end(text, at, *piece))
}

/// `text` with every match of every rule replaced, leftmost first.
pub(crate) fn redact(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while at < bytes.len() {
        if let Some((end, rule)) = RULES.iter().find_map(|r| pattern_end(bytes, at, r.pattern).map(|end| (end, r))) {
            out.push_str(rule.replacement);
            at = end;
        } else {
            let c = text[at..].chars().next().expect("a char at a char boundary");
            out.push(c);
            at += c.len_utf8();
        }
    }
    out
}

#[test]
fn redaction_replaces_what_changes_between_runs() {
    let text = r#"{"duration_ms": 1234, "url": "http://127.0.0.1:41235/pens", "id": "urn%3Apens-conform%3A20261122T182856Z-8b8c%3Ax",
"expiry": "package-url-expiry=2026-11-22T19%3A28%3A56Z", "started_at": "2026-11-22T18:28:56Z", "r": "HTTP 200\ndate: Sun, 22 Nov 2026 18:28:56 GMT\ncontent-length: 7",
"p": "package-url=http%3A%2F%2F127.0.0.1%3A40001%2Fs", <testcase time="0.012"> answered in 12 ms é"#;
    insta::assert_snapshot!(redact(text), @r#"
    {"duration_ms": "[ms]", "url": "http://127.0.0.1:[port]/pens", "id": "urn%3Apens-conform%3A[run]%3Ax",
    "expiry": "package-url-expiry=[timestamp]", "started_at": "[timestamp]", "r": "HTTP 200\ndate: [date]\ncontent-length: 7",
    "p": "package-url=http%3A%2F%2F127.0.0.1%3A[port]%2Fs", <testcase time="[s]"> answered in [ms] ms é
    "#);
}
