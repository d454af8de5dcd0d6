use serde_json::Value;

use super::pens_conform;

#[test]
fn explains_every_kind_of_code() {
    let cases = [
        ("1304", "ftp-not-supported", "transport (1300-1399)"),
        ("0", "success", "success (0)"),
        ("2011", "receipt-missing-or-invalid", "parameter (2000-9999)"),
        ("404", "not assigned", "underlying-protocol (100-599)"),
        ("12000", "not assigned", "implementation-defined (10000-65535)"),
        ("1999", "not assigned", "unassigned"),
    ];
    for (code, name, class) in cases {
        let output = pens_conform().args(["explain", code]).output().expect("runs");
        assert_eq!(output.status.code(), Some(0), "{code}");
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(text.starts_with(code), "{code}: {text}");
        assert!(text.contains(name), "{code}: {text}");
        assert!(text.contains(class), "{code}: {text}");
    }
}

#[test]
fn explains_a_code_as_json() {
    let output = pens_conform().args(["explain", "1320", "--format", "json"]).output().expect("runs");
    let json: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(json["format_version"], 1, "--format json promises a format_version");
    assert_eq!(json["code"], 1320);
    assert_eq!(json["class"], "transport");
    assert_eq!(json["warning"], true);
    assert_eq!(json["section"], "CMI010 §6.2, §6.3");
}

#[test]
fn explains_a_requirement_and_suggests_a_near_miss() {
    let output = pens_conform().args(["explain", "collect.receipt.url", "--format", "json"]).output().expect("runs");
    let json: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!((json["format_version"].as_u64(), json["id"].as_str()), (Some(1), Some("collect.receipt.url")));
    let output = pens_conform().args(["explain", "collect.receipt.url"]).output().expect("runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("level     must") && text.contains("binds     client"), "{text}");

    let output = pens_conform().args(["explain", "receipt.url"]).output().expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("did you mean `collect.receipt.url`?"));

    let output = pens_conform().args(["explain", "70000"]).output().expect("runs");
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn without_a_topic_lists_every_code_and_requirement() {
    let output = pens_conform().args(["explain", "--format", "json"]).output().expect("runs");
    let json: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(json["format_version"], 1);
    assert_eq!(json["error_codes"].as_array().expect("codes").len(), pens_proto::REGISTRY.len());
    assert_eq!(json["requirements"].as_array().expect("requirements").len(), pens_proto::CATALOGUE.len());
}
