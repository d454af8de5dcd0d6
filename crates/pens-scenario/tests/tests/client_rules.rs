//! The client language's rules, one small file each: what is accepted, and for what is
//! not, the error kind, where the caret starts and the text under it.

use pens_scenario::{ClientScenario, ScenarioError, parse_client_scenario, render_plain_all};

const HEAD: &str = "id = \"x\"\ntitle = \"t\"\nrequirements = [\"client.notification.response\"]\n";

fn parse(body: &str) -> Result<ClientScenario, Vec<ScenarioError>> {
    parse_client_scenario("scenarios/client/x.toml", &format!("{HEAD}{body}"))
}

#[test]
fn accepted_forms() {
    for body in [
        "",
        "target = {}\nexpect = {}\n",
        "[target]\nanswer = 65535\nfetch = false\n",
        "[target]\nanswer = 0\nreceipt_error = 0\nalerts = 20\n",
        "[target]\nanswer = 1304\nfetch = false\n",
        "[target]\nreceipt_error = 1310\nalerts = 0\n",
        "[target]\nreceipt_error = 1310\n[expect.answers]\nreceipt = true\n",
        "[target]\nanswer_delay_ms = 600000\n[expect.answers]\nwithin_ms = 1\n",
        "[target]\nalerts = 0\n[expect.answers]\nreceipt = true\n",
        "expect.collects = 20\nexpect.namespace.stable = true\n",
        "[expect]\ncollect = { method = \"get\" }\npackage = { contents = false }\n",
        "[expect.package]\n",
        "[expect.answers]\nreceipt = false\n",
        "level = \"should\"\ntags = [\"a\", \"b-2\"]\n",
    ] {
        if let Err(errors) = parse(body) {
            panic!("{body}\n{}", render_plain_all(&errors));
        }
    }
}

#[test]
fn rejected_forms_say_why_at_the_right_place() {
    for (body, code, at, label) in [
        ("target = 1\n", "wrong_type", "1", "expected a table, found an integer"),
        ("staging = {}\n", "unknown_key", "staging", "unknown key"),
        ("[target]\nanwser = 0\n", "unknown_key", "anwser", "did you mean `answer`?"),
        ("[target]\nanswer = \"0\"\n", "wrong_type", "\"0\"", "expected an error code (an integer), found a string"),
        ("[target]\nanswer = 65536\n", "code_out_of_range", "65536", "PENS error codes are 0 to 65535 (CMI010 §6.3)"),
        ("[target]\nreceipt_error = -1\n", "code_out_of_range", "-1", "PENS error codes are 0 to 65535 (CMI010 §6.3)"),
        ("[target]\nanswer_delay_ms = -1\n", "invalid_value", "-1", "expected a number from 0 to 600000"),
        ("[target]\nalerts = 21\n", "invalid_value", "21", "expected a number from 0 to 20"),
        ("[target]\nfetch = 1\n", "wrong_type", "1", "expected a boolean (`true` or `false`), found an integer"),
        ("[target]\ndelivery = \"gte\"\n", "unknown_keyword", "\"gte\"", "did you mean `get`?"),
        ("[target]\nanswer = 1301\nfetch = true\n", "conflict", "fetch", "a target that refuses does not fetch"),
        ("[target]\nanswer = 1301\nalerts = 0\n", "conflict", "alerts", "no receipt or alert follows a refusal"),
        (
            "[target]\nreceipt_error = 1432\nalerts = 1\n",
            "conflict",
            "alerts",
            "alerts only follow a receipt that reports 0",
        ),
        ("[expect]\ncollects = 0\n", "invalid_value", "0", "expected a number from 1 to 20"),
        ("[expect]\ncollect = \"strict\"\n", "wrong_type", "\"strict\"", "expected a table, found a string"),
        ("[expect.collect]\nfindings = \"loose\"\n", "unknown_keyword", "\"loose\"", "not a findings mode"),
        ("[expect.collect]\nmethod = \"put\"\n", "unknown_keyword", "\"put\"", "not a method"),
        (
            "[expect.package]\navailable = \"yes\"\n",
            "wrong_type",
            "\"yes\"",
            "expected a boolean (`true` or `false`), found a string",
        ),
        (
            "[expect.package]\navailable = false\ncontents = false\n",
            "invalid_value",
            "[expect.package]",
            "`available` and `contents` are both false",
        ),
        ("[expect.answers]\nwithin_ms = 0\n", "invalid_value", "0", "expected a number from 1 to 600000"),
        (
            "[target]\nanswer = 1304\n[expect.answers]\nreceipt = true\n",
            "conflict",
            "receipt = true",
            "no receipt follows a refusal",
        ),
        (
            "[target]\nalerts = 0\n[expect.answers]\nalerts = true\n",
            "conflict",
            "alerts = true",
            "our target sends no alert",
        ),
        ("[expect.namespace]\n", "conflict", "[expect.namespace]", "compares the package-ids of several collects"),
        (
            "[expect]\ncollects = 2\n[expect.namespace]\nstable = false\n",
            "invalid_value",
            "[expect.namespace]",
            "`stable` is false",
        ),
    ] {
        let text = format!("{HEAD}{body}");
        let errors = parse(body).expect_err(body);
        let first = &errors[0];
        assert_eq!(first.kind().code(), format!("pens_scenario::{code}"), "{body}\n{}", render_plain_all(&errors));
        let span = first.span().expect("located");
        assert!(text[span.start..].starts_with(at), "{body}: the span starts at {:?}", &text[span.start..]);
        assert_eq!(first.label(), Some(label), "{body}");
    }
}

#[test]
fn an_invalid_value_is_reported_once_and_left_out_of_the_rules() {
    for (body, code) in [
        ("[target]\nanswer = 1301\nfetch = \"yes\"\n", "wrong_type"),
        ("[target]\nanswer = 1301\nalerts = -1\ndelivery = \"mail\"\n", "invalid_value"),
        ("[target]\nreceipt_error = 1432\nalerts = 99\n", "invalid_value"),
        ("[target]\nanswer = 1301\n[expect.answers]\nreceipt = 1\n", "wrong_type"),
        ("[target]\nalerts = 0\n[expect.answers]\nalerts = \"yes\"\n", "wrong_type"),
        ("[expect]\ncollects = 99\n[expect.namespace]\n", "invalid_value"),
        ("[target]\nanswer = 99999\nfetch = true\n", "code_out_of_range"),
    ] {
        let errors = parse(body).expect_err(body);
        let codes: Vec<&str> = errors.iter().map(|e| e.kind().code()).collect();
        assert!(
            codes.iter().all(|c| *c != "pens_scenario::conflict") && codes[0] == format!("pens_scenario::{code}"),
            "{body}\n{}",
            render_plain_all(&errors)
        );
    }
}

#[test]
fn a_target_requirement_is_rejected_with_its_id() {
    let text = "id = \"x\"\ntitle = \"t\"\nrequirements = [\"target.receipt.sent\", \"response.error.present\"]\n";
    let errors = parse_client_scenario("x.toml", text).expect_err("target requirement");
    assert_eq!(render_plain_all(&errors).matches("error: ").count(), 1, "`response.*` binds both parties");
    assert_eq!(
        errors[0].to_string(),
        "invalid value for `requirements`: requirement `target.receipt.sent` binds the target, not the client"
    );
}

#[test]
fn an_empty_file_misses_its_three_required_keys() {
    let errors = parse_client_scenario("x.toml", "").expect_err("empty");
    let kinds: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        kinds,
        [
            "missing key `id` at the top level",
            "missing key `title` at the top level",
            "missing key `requirements` at the top level"
        ]
    );
}

#[test]
fn an_unknown_top_level_key_lists_the_client_keys() {
    let errors = parse("recipt = true\n").expect_err("unknown");
    assert_eq!(
        errors[0].help(),
        Some("valid keys at the top level: id, title, requirements, level, tags, target, expect")
    );
}
