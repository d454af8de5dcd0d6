//! Encode/decode round trips (CMI010 §5, §6.3, Appendix A), as properties.

use pens_proto::{
    CollectCommand, Element, Mailto, NOTIFICATION_FIELDS, Notification, PensResponse, ZoneForm, decode_form,
    format_expiry, parse_expiry, parse_pens_version, parse_response, query_of,
};
use proptest::collection::vec;
use proptest::prelude::*;
use time::{OffsetDateTime, UtcOffset};

use crate::support::proptest_config;

/// Values a form must carry intact: anything, including the characters that have a
/// meaning in the encoding (`& = % + #`), line breaks and non-ASCII.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~\r\n\t]{0,24}",
        "[&=%+#?; \r\né€😀a-z0-9]{0,12}",
        Just(String::new()),
        Just("%zz%".to_owned()),
    ]
}

/// Names of elements the spec does not define. Names that differ from a spec name
/// only by case are left out: the decoder rightly reports those as misspelt spec
/// elements (`binding.element-names.lowercase`), not as extensions.
fn extra_name() -> impl Strategy<Value = String> {
    prop_oneof!["x-[a-z0-9-]{1,10}", "[A-Za-z_&=%+ é.-]{1,12}", any::<String>()]
        .prop_filter("a name", |name| !name.is_empty())
        .prop_filter("not a spec name", |name| Element::from_name(&name.to_ascii_lowercase()).is_none())
}

fn unique_by_name(pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut seen = std::collections::HashSet::new();
    pairs.into_iter().filter(|(name, _)| seen.insert(name.clone())).collect()
}

fn collect_command() -> impl Strategy<Value = CollectCommand> {
    (vec(proptest::option::of(value()), 17), vec((extra_name(), value()), 0..4)).prop_map(|(values, extra)| {
        let mut command = CollectCommand::default();
        for (element, value) in Element::ALL.into_iter().zip(values) {
            command.set(element, value);
        }
        command.extra = unique_by_name(extra);
        command
    })
}

fn spec_elements(command: &CollectCommand) -> Vec<Option<&str>> {
    Element::ALL.into_iter().map(|e| command.get(e)).collect()
}

fn is_empty(command: &CollectCommand) -> bool {
    command.pairs().is_empty()
}

const TARGETS: [&str; 8] = [
    "https://lms.example/pens",
    "https://lms.example/pens?tenant=7",
    "https://lms.example/pens?",
    "https://lms.example/pens?tenant=7&",
    "https://lms.example/pens#launch",
    "https://lms.example/pens?tenant=7&site=a%26b#launch",
    "/pens",
    "/pens?tenant=7",
];

proptest! {
    #![proptest_config(proptest_config(512))]

    #[test]
    fn collect_form_round_trip(command in collect_command()) {
        let form = command.to_form();
        let decoded = CollectCommand::decode(form.as_bytes());
        prop_assert_eq!(&decoded.command, &command);
        prop_assert!(decoded.duplicated.is_empty());
        if is_empty(&command) {
            prop_assert!(decoded.unparseable);
            prop_assert_eq!(crate::support::ids(&decoded.findings), ["binding.body.not-empty"]);
        } else {
            prop_assert!(!decoded.unparseable);
            prop_assert_eq!(decoded.findings.len(), command.extra.len(), "{:?}", decoded.findings);
            for finding in &decoded.findings {
                prop_assert_eq!(finding.requirement.id, "collect.extension-element");
            }
        }
    }

    #[test]
    fn collect_get_url_round_trip(command in collect_command(), target in proptest::sample::select(TARGETS.as_slice())) {
        let url = command.to_get_url(target);
        prop_assert!(url.starts_with(target.split(['?', '#']).next().unwrap_or_default()), "{}", url);
        let decoded = CollectCommand::decode(query_of(&url).as_bytes());
        prop_assert_eq!(spec_elements(&decoded.command), spec_elements(&command));
        // The target's own query comes first and is read as extension elements.
        let mut extra = decode_form(query_of(target).as_bytes()).pairs;
        extra.extend(command.extra.iter().cloned());
        prop_assert_eq!(&decoded.command.extra, &extra);
        if !extra.is_empty() || !is_empty(&command) {
            prop_assert!(!decoded.unparseable);
            for finding in &decoded.findings {
                prop_assert_eq!(finding.requirement.id, "collect.extension-element");
            }
        }
        if let Some((_, fragment)) = target.split_once('#') {
            prop_assert!(url.ends_with(&format!("#{fragment}")), "{}", url);
        }
    }

    #[test]
    fn notification_form_round_trip(
        fields in vec(proptest::option::of(value()), 11),
        extra in vec((extra_name().prop_filter("not a field", |n| !NOTIFICATION_FIELDS.contains(&n.as_str())), value()), 0..4),
    ) {
        let mut notification = Notification::default();
        let slots = [
            &mut notification.command,
            &mut notification.pens_version,
            &mut notification.package_type,
            &mut notification.package_type_version,
            &mut notification.package_format,
            &mut notification.package_id,
            &mut notification.package_url,
            &mut notification.package_url_expiry,
            &mut notification.client,
            &mut notification.error,
            &mut notification.error_text,
        ];
        for (slot, value) in slots.into_iter().zip(fields) {
            *slot = value;
        }
        notification.extra = unique_by_name(extra);
        let decoded = Notification::decode(notification.to_form().as_bytes());
        prop_assert_eq!(&decoded.notification, &notification);
        if notification.pairs().is_empty() {
            prop_assert_eq!(crate::support::ids(&decoded.findings), ["binding.body.not-empty"]);
        } else {
            prop_assert!(decoded.findings.is_empty(), "{:?}", decoded.findings);
        }
    }

    /// The exact format: error-text one line of plain text without surrounding white
    /// space (the parser trims values, §6.3 wants none) and without `%` or `+`, which the
    /// parser's "looks URL-encoded" warning would rightly or wrongly flag; version 1.0.0;
    /// pens-data anything at all, since it runs to the end of the body.
    #[test]
    fn response_round_trip_exact(
        error in any::<u16>(),
        error_text in "([^\r\n%+\\s]([^\r\n%+]{0,30}[^\r\n%+\\s])?)?",
        pens_data in prop_oneof![any::<String>(), "[ -~\r\n]{0,40}", "(\r\n|\n|\r|error=1|version=2|pens-data=|error-text=x| )*"],
    ) {
        let response = PensResponse { error: error.into(), error_text, version: "1.0.0".into(), pens_data };
        let parsed = parse_response(response.encode().as_bytes());
        prop_assert_eq!(parsed.response(), Some(response.clone()));
        prop_assert!(parsed.findings.is_empty(), "{:?} from {:?}", parsed.findings, response.encode());
    }

    /// Any single-line error-text and version survive; the only findings are the
    /// warnings about a version other than 1.0.0 and about text that looks URL-encoded.
    #[test]
    fn response_round_trip_any_single_line(
        error in any::<u16>(),
        error_text in any::<String>(),
        version in prop_oneof![Just("1.0.0".to_owned()), "[0-9]\\.[0-9]\\.[0-9]", any::<String>()],
        pens_data in any::<String>(),
    ) {
        let single_line = |s: &str| s.replace(['\r', '\n'], "").trim().to_owned();
        let response = PensResponse { error: error.into(), error_text: single_line(&error_text), version: single_line(&version), pens_data };
        let parsed = parse_response(response.encode().as_bytes());
        prop_assert_eq!(parsed.response(), Some(response.clone()));
        for finding in &parsed.findings {
            prop_assert!(
                ["response.version.value", "response.plain-values"].contains(&finding.requirement.id),
                "{:?} from {:?}", finding, response.encode()
            );
            prop_assert!(!finding.is_failure());
        }
    }

    #[test]
    fn format_then_parse_expiry_is_identity(seconds in 0i64..=253_402_300_799, offset_minutes in -14 * 60i32..=14 * 60) {
        let instant = OffsetDateTime::from_unix_timestamp(seconds).unwrap();
        let text = format_expiry(instant);
        prop_assert_eq!(text.len(), 20, "{}", text);
        let parsed = parse_expiry(&text).unwrap();
        prop_assert_eq!(parsed.instant, instant);
        prop_assert_eq!(parsed.zone, ZoneForm::Z);
        // The same instant seen from another offset formats the same.
        let offset = UtcOffset::from_whole_seconds(offset_minutes * 60).unwrap();
        if let Some(shifted) = instant.checked_to_offset(offset) {
            prop_assert_eq!(format_expiry(shifted), text);
        }
    }

    #[test]
    fn pens_versions_round_trip(major in any::<u32>(), minor in any::<u32>(), patch in any::<u32>()) {
        prop_assert_eq!(parse_pens_version(&format!("{major}.{minor}.{patch}")), Some((major, minor, patch)));
    }

    #[test]
    fn mailto_round_trips_through_display(
        addresses in vec("[a-z0-9+_-]{1,8}(\\.[a-z0-9+_-]{1,8})?@[a-z0-9]{1,8}(\\.[a-z0-9]{1,8}){0,2}", 1..4),
        headers in vec(("[a-z][a-z-]{0,8}".prop_filter("not to", |n| n != "to"), any::<String>()), 0..3),
    ) {
        let mailto = Mailto { addresses, headers };
        let text = mailto.to_string();
        prop_assert_eq!(Mailto::parse(&text), Ok(mailto), "{}", text);
    }
}
