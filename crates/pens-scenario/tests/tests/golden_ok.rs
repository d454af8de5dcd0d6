//! Files that must load, and what the model says about them.

use pens_proto::{Element, ErrorCode, req};
use pens_scenario::{
    BehaviourName, Capability, CredentialsExpectation, DEFAULT_PACKAGE, InternalRequested, Method, Order, Protocol,
    ResponseFormat, Scenario, StagingBehaviour, load_dir, load_file, render_plain_all,
};

use crate::support::{FixedContext, golden, toml_files};

fn load(name: &str) -> Scenario {
    load_file(golden("ok").join(format!("{name}.toml"))).unwrap_or_else(|e| panic!("{name}: {e:?}"))
}

fn codes(list: &[pens_scenario::Spanned<ErrorCode>]) -> Vec<u16> {
    list.iter().map(|c| c.value.0).collect()
}

#[test]
fn a_silent_staging_server_and_a_missing_receipt_that_only_warns() {
    let scenario = load("staging-silent");
    assert_eq!(scenario.staging.value.behaviour.value, StagingBehaviour::Silent);
    assert_eq!(scenario.staging.value.behaviour.value.name(), BehaviourName::Silent);
    let receipt = scenario.expect.receipt.as_ref().expect("[expect.receipt]");
    assert_eq!(receipt.value.missing.value, pens_scenario::MissingReceipt::Warn);
    assert_eq!(codes(receipt.value.error.as_deref().unwrap_or_default()), [1310]);
}

#[test]
fn a_package_held_until_the_answer_is_read() {
    let scenario = load("answer-before-fetch");
    assert_eq!(scenario.staging.value.behaviour.value, StagingBehaviour::AfterAnswer);
    assert_eq!(scenario.staging.value.behaviour.value.name(), BehaviourName::AfterAnswer);
    assert_eq!(BehaviourName::AfterAnswer.to_string(), "after-answer");
    let requirements: Vec<_> = scenario.requirements.iter().map(|r| r.value).collect();
    assert_eq!(requirements[0], &req::TARGET_ACK_SYNCHRONOUS);
    let receipt = scenario.expect.receipt.as_ref().expect("[expect.receipt]");
    assert!(receipt.value.after_fetch.value);
}

#[test]
fn every_ok_file_loads_and_the_directory_has_no_error() {
    let (scenarios, errors) = load_dir(golden("ok"));
    assert!(errors.is_empty(), "{}", render_plain_all(&errors));
    let ids: Vec<&str> = scenarios.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "answer-before-fetch",
            "collect-get-raw",
            "collect-post-valid",
            "fetch-ftp-or-1304",
            "fetch-https-credentials",
            "fetch-truncated-package",
            "package-large",
            "security-internal-url",
            "security-oversized",
            "staging-silent"
        ]
    );
    assert_eq!(toml_files(&golden("ok")).len(), scenarios.len());
}

#[test]
fn the_baseline_scenario_reads_every_section() {
    let s = load("collect-post-valid");
    assert_eq!(s.source, golden("ok").join("collect-post-valid.toml"));
    assert_eq!((s.id.span.line, s.id.span.col), (2, 6));
    assert_eq!(s.title.as_str(), "A valid collect sent by POST is acknowledged with error=0");
    let requirements: Vec<_> = s.requirements.iter().map(|r| r.value).collect();
    assert_eq!(requirements, [&req::TARGET_ACCEPTS_POST, &req::TARGET_ACK_RESPONSE, &req::TARGET_RECEIPT_SENT]);
    assert_eq!(s.tags.iter().map(|t| t.as_str()).collect::<Vec<_>>(), ["core", "collect"]);
    assert!(s.needs.is_empty() && s.unless.is_empty());

    assert_eq!(s.staging.package.as_str(), DEFAULT_PACKAGE, "no [staging]: defaults");
    assert!(s.staging.span.is_empty(), "an absent section points at 1:1");
    assert_eq!(s.staging.behaviour.value, StagingBehaviour::Serve);
    assert!(s.staging.credentials.is_none());
    assert!(s.staging.size.is_none(), "no size: the package as it is");

    assert_eq!((s.collect.method.value, s.collect.order.value), (Method::Post, Order::Spec));
    assert!(s.collect.set.is_empty() && s.collect.remove.is_empty() && s.collect.raw.is_none());

    let response = s.expect.response.as_ref().expect("response");
    assert_eq!(codes(response.error.as_deref().expect("error")), [0]);
    assert_eq!(response.format.value, ResponseFormat::Strict);
    let fetch = s.expect.fetch.as_ref().expect("fetch");
    assert!(fetch.happens.value);
    assert_eq!(fetch.protocol.as_ref().map(|p| p.value), Some(Protocol::Http));
    assert_eq!(fetch.credentials.value, CredentialsExpectation::None);
    let receipt = s.expect.receipt.as_ref().expect("receipt");
    assert_eq!(receipt.count.as_ref().map(|c| c.value), Some(1));
    assert!(receipt.after_fetch.value && !receipt.never_success.value);
    let fields: Vec<_> = receipt.fields.iter().map(|f| (f.name.as_str(), f.value.render(&FixedContext))).collect();
    assert_eq!(fields, [("package-id", "urn:pens-conform:run1:k1".to_owned()), ("command", "receipt".to_owned())]);
    let alerts = s.expect.alerts.as_ref().expect("alerts");
    assert!(alerts.after_receipt.value && alerts.well_formed.value);
    assert!(s.any_of.is_empty());
    assert!(s.has_explicit_response());
}

#[test]
fn credentials_https_and_set_elements_in_file_order() {
    let s = load("fetch-https-credentials");
    let credentials = s.staging.credentials.as_ref().expect("credentials");
    assert_eq!(credentials.user.render(&FixedContext), "pens");
    assert_eq!(credentials.password.render(&FixedContext), "pw-k1");
    assert_eq!(credentials.password.to_string(), "{{secret}}", "display never shows the secret");
    assert_eq!(s.collect.order.value, Order::Reverse);
    assert_eq!(s.collect.target_query.as_ref().expect("query").source(), "tenant=7");
    let set: Vec<_> = s.collect.set.iter().map(|e| (e.name.as_str(), e.element)).collect();
    assert_eq!(
        set,
        [
            ("package-url", Some(Element::PackageUrl)),
            ("package-url-expiry", Some(Element::PackageUrlExpiry)),
            ("vendor-data", Some(Element::VendorData)),
            ("x-pens-conform-probe", None),
        ]
    );
    assert_eq!(s.collect.set[1].value.render(&FixedContext), "2025-05-20T18:05:39Z");
    assert_eq!(s.collect.set[2].value.render(&FixedContext).len(), 4096);
    let fetch = s.expect.fetch.as_ref().expect("fetch");
    assert!(fetch.happens.value, "defaulted");
    assert_eq!(fetch.happens.span, fetch.span, "a defaulted value points at its table");
    assert_eq!(fetch.credentials.value, CredentialsExpectation::Valid);
    let receipt = s.expect.receipt.as_ref().expect("receipt");
    assert!(receipt.warn.is_empty());
}

#[test]
fn alternatives_and_common_sections() {
    let s = load("fetch-ftp-or-1304");
    assert_eq!(s.unless.iter().map(|c| c.value).collect::<Vec<_>>(), [Capability::Ftp]);
    assert_eq!(s.collect.remove.iter().map(|e| e.value).collect::<Vec<_>>(), [Element::Alerts]);
    assert!(!s.expect.fetch.as_ref().expect("common fetch").happens.value);
    assert!(s.expect.response.is_none() && s.expect.receipt.is_none());
    assert_eq!(s.any_of.len(), 2);
    let first = &s.any_of[0];
    assert_eq!(codes(first.response.as_ref().expect("response").error.as_deref().expect("error")), [1304]);
    assert!(first.receipt.is_none());
    let second = &s.any_of[1];
    let receipt = second.receipt.as_ref().expect("receipt");
    assert_eq!(
        (receipt.count.as_ref().map(|c| c.value), codes(receipt.error.as_deref().expect("error"))),
        (Some(1), vec![1304])
    );
    assert!(receipt.after_fetch.value, "defaulted");
    assert_eq!(first.span.line, 18, "an alternative points at its [[expect.any_of]] header");
    assert!(s.has_explicit_response());
}

#[test]
fn behaviours_with_parameters_and_defaults() {
    let truncated = load("fetch-truncated-package");
    let StagingBehaviour::Truncate { after_bytes } = &truncated.staging.behaviour.value else {
        panic!("{:?}", truncated.staging.behaviour)
    };
    assert_eq!(after_bytes.value, 64);
    let receipt = truncated.expect.receipt.as_ref().expect("receipt");
    assert!(receipt.never_success.value);
    assert!(truncated.has_explicit_response());

    let get = load("collect-get-raw");
    assert_eq!(get.staging.behaviour.name(), BehaviourName::Dribble);
    let StagingBehaviour::Dribble { delay_ms, chunk_bytes } = &get.staging.behaviour.value else { panic!() };
    assert_eq!((delay_ms.value, chunk_bytes.value), (200, 128));
    assert_eq!(get.collect.method.value, Method::Get);
    let raw = get.collect.raw.as_ref().expect("raw").render(&FixedContext);
    assert!(raw.contains("&package-id=urn:pens-conform:run1:k1&"), "{raw}");
    assert!(raw.contains("&package-url-expiry=2025-05-21T16:05:39Z&"), "{raw}");
    assert!(raw.ends_with("&alerts=http://127.0.0.1:4003/r/k1/alerts"), "{raw}");
    let response = get.expect.response.as_ref().expect("response");
    assert!(response.error.is_none(), "omitted: the expected answer pens-proto computes");
    assert_eq!(response.format.value, ResponseFormat::Lenient);
}

#[test]
fn the_security_vocabulary_reads_its_probes_and_the_internal_service() {
    let s = load("security-internal-url");
    let rendered = |templates: &[pens_scenario::Spanned<pens_scenario::Template>]| -> Vec<String> {
        templates.iter().map(|t| t.render(&FixedContext)).collect()
    };
    let set: Vec<String> = s.collect.set.iter().map(|e| e.value.render(&FixedContext)).collect();
    assert_eq!(
        set,
        [
            "http://127.0.0.1:4006/i/k1/package.zip",
            "http://pens-receipt:pw-k1@127.0.0.1:4003/r/k1/receipt",
            "<b>k1</b>"
        ]
    );
    let response = s.expect.response.as_ref().expect("response");
    assert_eq!(rendered(&response.does_not_contain), ["token-k1", "pw-k1"]);
    assert_eq!(response.does_not_contain[1].to_string(), "{{secret}}", "shown as written");
    assert_eq!(rendered(&response.escapes), ["<b>k1</b>"]);
    assert!(response.error.is_none());
    let receipt = s.expect.receipt.as_ref().expect("receipt");
    assert_eq!(rendered(&receipt.does_not_contain), ["token-k1"]);
    assert_eq!(receipt.credentials.value, CredentialsExpectation::Report);
    assert!(!receipt.after_fetch.value);
    let alerts = s.expect.alerts.as_ref().expect("alerts");
    assert_eq!(alerts.does_not_contain.len(), 2);
    let internal = s.expect.internal.as_ref().expect("internal");
    assert_eq!(internal.requested.value, InternalRequested::Never);
    assert_eq!(internal.span.line, 29, "the section points at its header");

    let oversized = load("security-oversized");
    let StagingBehaviour::Oversized { over_bytes } = &oversized.staging.behaviour.value else {
        panic!("{:?}", oversized.staging.behaviour)
    };
    assert_eq!(over_bytes.value, 2 * 1024 * 1024);
    assert_eq!(oversized.staging.behaviour.name(), BehaviourName::Oversized);
    assert_eq!(oversized.expect.fetch.as_ref().expect("fetch").credentials.value, CredentialsExpectation::Report);
    let receipt = oversized.expect.receipt.as_ref().expect("receipt");
    assert_eq!(receipt.credentials.value, CredentialsExpectation::Any, "defaulted");
    assert!(receipt.does_not_contain.is_empty());
    assert!(oversized.expect.internal.is_none());
}

#[test]
fn a_package_size_is_read_with_its_unit() {
    let s = load("package-large");
    let size = s.staging.size.as_ref().expect("size");
    assert_eq!(size.value, 1 << 30);
    assert_eq!((size.span.line, size.span.col), (9, 8));
    assert_eq!(s.staging.behaviour.value.name(), BehaviourName::Delay);
    assert_eq!(s.staging.package.as_str(), DEFAULT_PACKAGE);
}
