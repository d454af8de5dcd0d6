//! `CollectCommand::decode` + `assess_decoded_collect` on arbitrary bytes: a collect
//! command as a target receives it (POST body or query string).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pens_proto::{CheckContext, CollectCommand, assess_collect, assess_decoded_collect};
use time::macros::datetime;

fuzz_target!(|data: &[u8]| {
    // A fixed "now" keeps runs deterministic; 2026 puts `2005-...` expiries in the
    // past and `2099-...` ones in the future, so both branches are reachable.
    let context = CheckContext::at(datetime!(2026-01-01 00:00:00 UTC));
    let decoded = CollectCommand::decode(data);
    let assessment = assess_decoded_collect(&decoded, &context);
    let expected = &assessment.expected;
    // Documented on ExpectedAnswer: `acceptable` is ascending and includes `code`.
    assert!(expected.accepts(expected.code), "code {} not acceptable: {expected:?}", expected.code);
    assert!(expected.acceptable.windows(2).all(|w| w[0] < w[1]), "not ascending: {:?}", expected.acceptable);
    // The binding findings come first, unchanged.
    assert!(assessment.findings.starts_with(&decoded.findings));

    // Re-encoding the decoded command and decoding it again gives the same command:
    // the first of repeated elements is the one kept and re-sent, extras keep their
    // order, undecodable bytes were already replaced by U+FFFD.
    let form = decoded.command.to_form();
    let again = CollectCommand::decode(form.as_bytes());
    assert_eq!(again.command, decoded.command, "round trip through {form:?}");
    assert!(again.duplicated.is_empty(), "to_form repeated an element: {form:?}");
    assert_eq!(again.unparseable, decoded.command.pairs().is_empty(), "{form:?}");
    // The in-memory check sees the same command the same way.
    let _ = assess_collect(&again.command, &context);
    let _ = format!("{:?}", decoded.command);
});
