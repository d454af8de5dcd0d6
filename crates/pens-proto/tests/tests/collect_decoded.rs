//! Collect commands as they arrive on the wire: `CollectCommand::decode` followed by
//! `assess_decoded_collect`, so binding findings (CMI010 §5) join the element findings
//! and may widen the acceptable answers (1101 unable to parse, 1201 invalid argument).

use pens_proto::{CollectAssessment, CollectCommand, Element, ErrorCode, Level, assess_decoded_collect, query_of};

use crate::support::{acceptable, assert_consistent, context, ids_and_levels, supporting_all};

use Level::{Info, Must, Should};

fn assess_wire(input: &[u8]) -> CollectAssessment {
    let decoded = CollectCommand::decode(input);
    let assessment = assess_decoded_collect(&decoded, &context(supporting_all()));
    assert_consistent(&assessment, &String::from_utf8_lossy(input));
    assessment
}

fn example_form_with(suffix: &str) -> String {
    format!("{}&{suffix}", CollectCommand::example().to_form())
}

#[test]
fn the_example_form_decodes_to_the_example_with_nothing_to_say() {
    let form = CollectCommand::example().to_form();
    let decoded = CollectCommand::decode(form.as_bytes());
    assert_eq!(decoded.command, CollectCommand::example());
    assert!(decoded.findings.is_empty() && decoded.duplicated.is_empty() && !decoded.unparseable);
    let assessment = assess_wire(form.as_bytes());
    assert!(assessment.findings.is_empty(), "{:?}", assessment.findings);
    assert_eq!(acceptable(&assessment), [0]);
}

/// Each case: the wire input, `(id, level)` of every finding, the code, the acceptable codes.
type Case = (String, &'static [(&'static str, Level)], u16, &'static [u16]);

#[test]
fn binding_problems_and_their_answers() {
    #[rustfmt::skip]
    let cases: Vec<Case> = vec![
        (example_form_with("x-course-title=Intro"), &[("collect.extension-element", Info)], 0, &[0]),
        (example_form_with("receipt_url=x"), &[("collect.extension-element", Info)], 0, &[0]),
        (example_form_with("client=Other"), &[("binding.element.unique", Should)], 0, &[0, 1101, 1201]),
        (example_form_with("client=Other&client=Third"), &[("binding.element.unique", Should)], 0, &[0, 1101, 1201]),
        (example_form_with("vendor-data=50%"), &[("binding.url-encoding", Must)], 0, &[0, 1101]),
        (example_form_with("vendor-data=%zz"), &[("binding.url-encoding", Must)], 0, &[0, 1101]),
        (example_form_with("vendor-data=%FF"), &[("binding.charset.utf8", Should)], 0, &[0]),
        (example_form_with("vendor-data=two words"), &[("binding.url-encoding", Must)], 0, &[0]),
        (example_form_with("flag"), &[("binding.pair.well-formed", Should), ("collect.extension-element", Info)], 0, &[0]),
        (example_form_with("=orphan"), &[("binding.pair.well-formed", Should)], 0, &[0]),
        (
            CollectCommand::example().to_form().replace("receipt=", "Receipt="),
            &[("binding.element-names.lowercase", Must), ("collect.receipt.present", Must)],
            2011,
            &[2011],
        ),
        (
            format!("{}&vendor-data=%zz", without(Element::Receipt)),
            &[("binding.url-encoding", Must), ("collect.receipt.present", Must)],
            2011,
            &[1101, 2011],
        ),
        (
            format!("{}&client=x&client=y", without(Element::Client)),
            &[("binding.element.unique", Should)],
            0,
            &[0, 1101, 1201],
        ),
        (
            format!("{}&client=A&client=B", without(Element::Receipt)),
            &[("binding.element.unique", Should), ("collect.receipt.present", Must)],
            2011,
            &[1101, 2011],
        ),
    ];
    for (input, findings, code, codes) in cases {
        let assessment = assess_wire(input.as_bytes());
        assert_eq!(ids_and_levels(&assessment.findings), findings, "{input}");
        assert_eq!(assessment.expected.code, ErrorCode(code), "{input}");
        assert_eq!(acceptable(&assessment), codes, "{input}");
    }
}

fn without(element: Element) -> String {
    let mut command = CollectCommand::example();
    command.set(element, None);
    command.to_form()
}

#[test]
fn a_repeated_element_keeps_the_first_value() {
    let decoded = CollectCommand::decode(example_form_with("client=Other").as_bytes());
    assert_eq!(decoded.duplicated, [Element::Client]);
    assert_eq!(decoded.command.client.as_deref(), Some("pens-conform"));
    let finding = &decoded.findings[0];
    assert_eq!(finding.element.as_deref(), Some("client"));
    assert_eq!(finding.value.as_deref(), Some("Other"));
}

#[test]
fn a_bad_escape_makes_the_command_unparseable_but_still_read() {
    let decoded = CollectCommand::decode(example_form_with("vendor-data=50%").as_bytes());
    assert!(decoded.unparseable);
    assert_eq!(decoded.command.vendor_data.as_deref(), Some("50%"), "the escape is kept literally");
    assert_eq!(decoded.command.receipt, CollectCommand::example().receipt);
}

#[test]
fn an_empty_body_misses_every_required_element_and_may_be_unparseable() {
    for body in [&b""[..], b"   ", b"\r\n", b"&&", b"?"] {
        let label = String::from_utf8_lossy(body).into_owned();
        let decoded = CollectCommand::decode(body);
        assert!(decoded.unparseable, "{label:?}");
        assert_eq!(decoded.command, CollectCommand::default(), "{label:?}");
        let assessment = assess_wire(body);
        let found = ids_and_levels(&assessment.findings);
        assert_eq!(found[0], ("binding.body.not-empty", Must), "{label:?}");
        let required: Vec<String> =
            Element::ALL.into_iter().filter(|e| e.is_required()).map(|e| format!("collect.{e}.present")).collect();
        let rest: Vec<String> = found[1..].iter().map(|(id, _)| (*id).to_owned()).collect();
        assert_eq!(rest, required, "{label:?}");
        assert_eq!(assessment.expected.code, ErrorCode::RECEIPT_INVALID, "{label:?}");
        assert_eq!(acceptable(&assessment), [1101, 2011], "{label:?}");
    }
}

#[test]
fn a_get_url_decodes_with_the_target_query_as_an_extra_element() {
    let url = CollectCommand::example().to_get_url("https://lms.example/pens?tenant=7#top");
    let decoded = CollectCommand::decode(query_of(&url).as_bytes());
    assert_eq!(decoded.command.extra, [("tenant".to_owned(), "7".to_owned())]);
    let mut spec_only = decoded.command.clone();
    spec_only.extra.clear();
    assert_eq!(spec_only, CollectCommand::example());
    let assessment = assess_decoded_collect(&decoded, &context(supporting_all()));
    assert_eq!(ids_and_levels(&assessment.findings), [("collect.extension-element", Info)]);
    assert_eq!(acceptable(&assessment), [0]);
}

// ---- Regressions: defects found while writing these tests, now fixed. ----

#[test]

fn regression_a_repeated_element_is_judged_on_the_first_value_only() {
    // `receipt` empty first, valid second: a target reading the last value sees a valid
    // command and answers 0; one reading the first answers 2011; either may say 1101/1201.
    let input =
        format!("{}&receipt=&receipt=https%3A%2F%2Fauthoring.example%2Fpens%2Freceipt", without(Element::Receipt));
    let assessment = assess_wire(input.as_bytes());
    assert!(assessment.expected.accepts(ErrorCode::RECEIPT_INVALID), "{:?}", assessment.expected.acceptable);
    assert!(assessment.expected.accepts(ErrorCode::SUCCESS), "{:?}", assessment.expected.acceptable);
}
