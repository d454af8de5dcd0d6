//! The JSON Schemas of both scenario languages (`schemas/scenario.schema.json`,
//! `schemas/client-scenario.schema.json`), generated from the language's tables: every
//! key, its documentation and every closed vocabulary come from `keys` and the
//! [`Keyword`] tables, every bound from the constants the converter checks, and each
//! rule tying keys together from the same lists the converter reads. A key added to a
//! table without a shape here does not compile (the matches are exhaustive).
//!
//! The committed files are what editors read; a test of this crate fails when they
//! differ from [`target_scenario_schema`] and [`client_scenario_schema`], and
//! `UPDATE_SCHEMAS=1 cargo test -p pens-scenario schema` rewrites them.

use pens_proto::{CATALOGUE, Element, NOTIFICATION_FIELDS, Party};

use crate::client_model::{FindingsMode, MAX_ALERTS, MAX_COLLECTS, NotificationDelivery, NotificationShape};
use crate::convert::{AFTER_BYTES_RANGE, CHUNK_BYTES_RANGE, STATUS_RANGE};
use crate::expect::{
    CredentialsExpectation, InternalRequested, MAX_RECEIPT_COUNT, MissingReceipt, OtherErrors, Protocol, ResponseFormat,
};
use crate::json::Json;
use crate::keys::{
    AlertsKey, AnswersKey, ClientCollectKey, ClientExpectKey, ClientTopKey, CollectKey, ExpectKey, FetchKey, HeaderKey,
    InternalKey, NamespaceKey, PackageKey, ReceiptKey, ResponseKey, StagingKey, TargetKey, TopKey, UNSIZED_BEHAVIOURS,
    behaviour_parameters,
};
use crate::keyword::Keyword;
use crate::model::{
    BehaviourName, Capability, DEFAULT_DRIBBLE_CHUNK_BYTES, DEFAULT_OVER_BYTES, DEFAULT_PACKAGE,
    DEFAULT_TRUNCATE_AFTER_BYTES, MAX_COPIES, MAX_OVER_BYTES, MAX_PACKAGE_SIZE, MIN_PACKAGE_SIZE, Method, Order,
    ScenarioLevel,
};
use crate::reader::MAX_DELAY_MS;

const DRAFT: &str = "http://json-schema.org/draft-07/schema#";
const KEBAB_CASE: &str = "^[a-z0-9]+(-[a-z0-9]+)*$";
/// Said of every templated value.
pub(crate) const TEMPLATED: &str = "Templated: `{{staging.https}}`, `{{package_id}}`, `{{receipt_url}}`, `{{secret}}`, \
                         `{{now+2h}}`, `{{repeat:x:4096}}`, ... (docs/target-mode.md).";

/// `schemas/scenario.schema.json`: the schema of a target scenario.
pub fn target_scenario_schema() -> String {
    target_schema().to_pretty()
}

/// `schemas/client-scenario.schema.json`: the schema of a client scenario.
pub fn client_scenario_schema() -> String {
    client_schema().to_pretty()
}

/// The target scenario schema as a tree, for the file and for the docs' keyword lists.
pub(crate) fn target_schema() -> Json {
    let mut properties = header_properties(|_| true);
    for key in TopKey::ALL {
        properties.push((key.name().to_owned(), top_property(*key)));
    }
    Json::object([
        ("$schema", DRAFT.into()),
        ("$id", "https://example.invalid/pens-conform/schemas/scenario.schema.json".into()),
        ("title", "pens-conform target scenario".into()),
        (
            "description",
            "A target scenario (scenarios/target/<id>.toml), as docs/target-mode.md specifies it. `pens-conform \
             lint` checks what a schema cannot (file name, catalogue, templates)."
                .into(),
        ),
        ("type", "object".into()),
        ("properties", Json::Object(properties)),
        ("required", required_header()),
        ("additionalProperties", false.into()),
        (
            "definitions",
            Json::object([
                ("staging", staging()),
                ("collect", collect()),
                ("expect", expect()),
                ("alternative", alternative()),
                ("response", section(ExpectKey::Response, ResponseKey::ALL, response_property)),
                ("fetch", fetch()),
                ("receipt", receipt()),
                ("alerts", section(ExpectKey::Alerts, AlertsKey::ALL, alerts_property)),
                ("internal", section(ExpectKey::Internal, InternalKey::ALL, internal_property)),
            ]),
        ),
    ])
}

/// The client scenario schema as a tree.
pub(crate) fn client_schema() -> Json {
    let mut properties = header_properties(|party| party != Party::Target);
    if let Some((_, requirements)) = properties.iter_mut().find(|(k, _)| k == HeaderKey::Requirements.name()) {
        let doc = format!("{} Client and both-party ids only.", HeaderKey::Requirements.doc());
        *requirements = requirements.clone().with("description", doc);
    }
    for key in ClientTopKey::ALL {
        let value = match key {
            ClientTopKey::Target => section(*key, TargetKey::ALL, target_property),
            ClientTopKey::Expect => section(*key, ClientExpectKey::ALL, client_expect_property),
        };
        properties.push((key.name().to_owned(), value));
    }
    Json::object([
        ("$schema", DRAFT.into()),
        ("$id", "https://example.invalid/pens-conform/schemas/client-scenario.schema.json".into()),
        ("title", "pens-conform client scenario".into()),
        ("description", "A client scenario (scenarios/client/<id>.toml), as docs/client-mode.md specifies it.".into()),
        ("type", "object".into()),
        ("properties", Json::Object(properties)),
        ("required", required_header()),
        ("additionalProperties", false.into()),
    ])
}

// ---- shapes ----

/// A shape with its key's documentation.
fn described(key: impl Keyword, shape: Json) -> Json {
    shape.with("description", key.doc())
}

/// A string of a closed vocabulary: the names in the `enum`, each value's doc after
/// `doc` (the key's) in the description.
fn keyword_of<K: Keyword>(doc: String, default: Option<K>) -> Json {
    let values: Vec<String> = K::ALL.iter().map(|k| k.doc()).collect();
    Json::object([("type", "string".into()), ("enum", Json::strings(K::ALL.iter().map(|k| k.name())))])
        .with("description", format!("{doc} {}", values.join(" ")))
        .with_some("default", default.map(|d| d.name()))
}

fn boolean(key: impl Keyword, default: bool) -> Json {
    described(key, Json::object([("type", "boolean".into())])).with("default", default)
}

fn integer(key: impl Keyword, minimum: i64, maximum: i64, default: Option<i64>) -> Json {
    let shape = Json::object([("type", "integer".into()), ("minimum", minimum.into()), ("maximum", maximum.into())]);
    described(key, shape).with_some("default", default)
}

/// One PENS error code (CMI010 §6.3).
fn code() -> Json {
    Json::object([
        ("type", "integer".into()),
        ("minimum", 0_i64.into()),
        ("maximum", i64::from(u16::MAX).into()),
        ("description", "A PENS error code (CMI010 §6.3).".into()),
    ])
}

/// A list of codes; `error` lists need one at least (`Converter::acceptable_codes`).
fn codes(key: impl Keyword, at_least_one: bool) -> Json {
    let shape = Json::object([("type", "array".into())]);
    let shape = described(key, shape).with("items", code()).with("uniqueItems", true);
    if at_least_one { shape.with("minItems", 1_i64) } else { shape }
}

fn template(key: impl Keyword) -> Json {
    Json::object([("type", "string".into()), ("description", format!("{} {TEMPLATED}", key.doc()).into())])
}

/// `does_not_contain`, `escapes`: templated, non-empty, unique (`Converter::probes`).
fn probes(key: impl Keyword) -> Json {
    Json::object([
        ("type", "array".into()),
        ("description", format!("{} {TEMPLATED}", key.doc()).into()),
        ("uniqueItems", true.into()),
        ("items", Json::object([("type", "string".into()), ("minLength", 1_i64.into())])),
    ])
}

/// `properties` and `required` with every key of `keys` set to `false` (forbidden).
fn forbidden<K: Keyword>(keys: impl IntoIterator<Item = K>) -> Json {
    Json::Object(keys.into_iter().map(|k| (k.name().to_owned(), false.into())).collect())
}

/// `{"if": {<key> is <value>}, "then": ...}`.
fn when_equals(key: impl Keyword, value: Json, then: Json) -> Json {
    Json::object([
        (
            "if",
            Json::object([
                ("properties", Json::object([(key.name(), Json::object([("const", value)]))])),
                ("required", Json::strings([key.name()])),
            ]),
        ),
        ("then", then),
    ])
}

/// `{"if": {<key> absent}, "then": ...}`.
fn when_absent(key: impl Keyword, then: Json) -> Json {
    Json::object([
        ("if", Json::object([("not", Json::object([("required", Json::strings([key.name()]))]))])),
        ("then", then),
    ])
}

/// A table: its keys in order, each shaped by `property`; no other key.
fn section<K: Keyword>(key: impl Keyword, keys: &[K], property: fn(K) -> Json) -> Json {
    let properties = keys.iter().map(|k| (k.name().to_owned(), property(*k))).collect();
    described(key, Json::object([("type", "object".into())]))
        .with("properties", Json::Object(properties))
        .with("additionalProperties", false)
}

fn reference(definition: &str) -> Json {
    Json::object([("$ref", format!("#/definitions/{definition}").into())])
}

// ---- the keys every scenario starts with ----

/// The header keys; `requirements` lists the catalogue ids of the parties `cited` keeps.
fn header_properties(cited: impl Fn(Party) -> bool) -> Vec<(String, Json)> {
    let requirements: Vec<&str> = CATALOGUE.iter().filter(|r| cited(r.party)).map(|r| r.id).collect();
    HeaderKey::ALL
        .iter()
        .map(|key| {
            let value = match key {
                HeaderKey::Id => described(*key, Json::object([("type", "string".into())])).with("pattern", KEBAB_CASE),
                HeaderKey::Title => described(*key, Json::object([("type", "string".into())]))
                    .with("minLength", 1_i64)
                    .with("pattern", "\\S"),
                HeaderKey::Requirements => described(*key, Json::object([("type", "array".into())]))
                    .with("minItems", 1_i64)
                    .with("uniqueItems", true)
                    .with("items", Json::object([("type", "string".into()), ("enum", Json::strings(&requirements))])),
                HeaderKey::Level => keyword_of(key.doc(), Some(ScenarioLevel::Must)),
                HeaderKey::Tags => described(*key, Json::object([("type", "array".into())]))
                    .with("uniqueItems", true)
                    .with("items", Json::object([("type", "string".into()), ("pattern", KEBAB_CASE.into())])),
            };
            (key.name().to_owned(), value)
        })
        .collect()
}

fn required_header() -> Json {
    Json::strings([HeaderKey::Id, HeaderKey::Title, HeaderKey::Requirements].map(HeaderKey::name))
}

// ---- target scenarios ----

fn top_property(key: TopKey) -> Json {
    match key {
        TopKey::Needs | TopKey::Unless => described(key, Json::object([("type", "array".into())]))
            .with("uniqueItems", true)
            .with("items", keyword_of::<Capability>("A claim of the implementation profile:".to_owned(), None)),
        TopKey::Staging => reference("staging"),
        TopKey::Collect => reference("collect"),
        TopKey::Expect => reference("expect"),
    }
}

fn staging() -> Json {
    let mut rules =
        vec![when_absent(StagingKey::Behaviour, Json::object([("properties", forbidden(StagingKey::PARAMETERS))]))];
    for behaviour in BehaviourName::ALL {
        let parameters = behaviour_parameters(*behaviour);
        let others = StagingKey::PARAMETERS.into_iter().filter(|k| !parameters.iter().any(|(p, _)| p == k));
        let required: Vec<&str> = parameters.iter().filter(|(_, required)| *required).map(|(k, _)| k.name()).collect();
        let then = Json::object([("properties", forbidden(others))]);
        let then = if required.is_empty() { then } else { then.with("required", Json::strings(required)) };
        rules.push(when_equals(StagingKey::Behaviour, behaviour.name().into(), then));
    }
    rules.push(Json::object([
        (
            "if",
            Json::object([
                (
                    "properties",
                    Json::object([(
                        StagingKey::Behaviour.name(),
                        Json::object([("enum", Json::strings(UNSIZED_BEHAVIOURS.map(BehaviourName::name)))]),
                    )]),
                ),
                ("required", Json::strings([StagingKey::Behaviour.name()])),
            ]),
        ),
        ("then", Json::object([("properties", forbidden([StagingKey::Size]))])),
    ]));
    section(TopKey::Staging, StagingKey::ALL, staging_property)
        .with(
            "dependencies",
            Json::object([
                (StagingKey::User.name(), Json::strings([StagingKey::Password.name()])),
                (StagingKey::Password.name(), Json::strings([StagingKey::User.name()])),
            ]),
        )
        .with("allOf", Json::Array(rules))
}

fn staging_property(key: StagingKey) -> Json {
    let unsigned = |range: std::ops::RangeInclusive<i64>, default: Option<u64>| {
        integer(key, *range.start(), *range.end(), default.map(|d| i64::try_from(d).unwrap_or(i64::MAX)))
    };
    match key {
        StagingKey::Package => described(key, Json::object([("type", "string".into())]))
            .with("default", DEFAULT_PACKAGE)
            .with("pattern", "^[^/\\\\:]"),
        StagingKey::Size => described(
            key,
            Json::object([(
                "oneOf",
                Json::Array(vec![
                    Json::object([
                        ("type", "integer".into()),
                        ("minimum", MIN_PACKAGE_SIZE.into()),
                        ("maximum", MAX_PACKAGE_SIZE.into()),
                    ]),
                    Json::object([
                        ("type", "string".into()),
                        ("pattern", "^\\s*[0-9]+\\s*(B|KiB|MiB|GiB)?\\s*$".into()),
                    ]),
                ]),
            )]),
        ),
        StagingKey::User | StagingKey::Password => template(key),
        StagingKey::Behaviour => keyword_of(key.doc(), Some(BehaviourName::Serve)),
        StagingKey::Status => unsigned(STATUS_RANGE, None),
        StagingKey::DelayMs => unsigned(0..=MAX_DELAY_MS, None),
        StagingKey::ChunkBytes => unsigned(CHUNK_BYTES_RANGE, Some(DEFAULT_DRIBBLE_CHUNK_BYTES)),
        StagingKey::AfterBytes => unsigned(AFTER_BYTES_RANGE, Some(DEFAULT_TRUNCATE_AFTER_BYTES)),
        StagingKey::OverBytes => integer(
            key,
            i64::try_from(DEFAULT_OVER_BYTES).unwrap_or(0),
            i64::try_from(MAX_OVER_BYTES).unwrap_or(i64::MAX),
            i64::try_from(DEFAULT_OVER_BYTES).ok(),
        ),
    }
}

fn collect() -> Json {
    let raw = Json::object([
        ("if", Json::object([("required", Json::strings([CollectKey::Raw.name()]))])),
        ("then", Json::object([("properties", forbidden(CollectKey::NOT_WITH_RAW))])),
    ]);
    section(TopKey::Collect, CollectKey::ALL, collect_property).with("allOf", Json::Array(vec![raw]))
}

fn collect_property(key: CollectKey) -> Json {
    match key {
        CollectKey::Method => keyword_of(key.doc(), Some(Method::Post)),
        CollectKey::TargetQuery => template(key).with("pattern", "^[^?&]"),
        CollectKey::Order => keyword_of(key.doc(), Some(Order::Spec)),
        CollectKey::Remove => described(key, Json::object([("type", "array".into())])).with("uniqueItems", true).with(
            "items",
            Json::object([
                ("type", "string".into()),
                ("enum", Json::strings(Element::ALL.iter().map(|e| e.name()))),
                ("description", "A CMI010 element.".into()),
            ]),
        ),
        CollectKey::Set => {
            let elements = Element::ALL.iter().map(|e| value_of(e.name(), "element")).collect();
            template(key)
                .with("type", "object")
                .with("properties", Json::Object(elements))
                .with("propertyNames", Json::object([("minLength", 1_i64.into())]))
                .with("additionalProperties", Json::object([("type", "string".into())]))
        }
        CollectKey::Raw => template(key),
        CollectKey::Copies => integer(key, 1, i64::from(MAX_COPIES), Some(1)),
    }
}

/// `"name": {"type": "string", "description": "The `name` <what>'s value."}`.
fn value_of(name: &str, what: &str) -> (String, Json) {
    let description = format!("The `{name}` {what}'s value.");
    (name.to_owned(), Json::object([("type", "string".into()), ("description", description.into())]))
}

fn expect() -> Json {
    section(TopKey::Expect, ExpectKey::ALL, |key| match key {
        ExpectKey::AnyOf => described(key, Json::object([("type", "array".into())]))
            .with("minItems", 2_i64)
            .with("items", reference("alternative")),
        ExpectKey::Response | ExpectKey::Fetch | ExpectKey::Receipt | ExpectKey::Alerts | ExpectKey::Internal => {
            reference(key.name())
        }
    })
}

fn alternative() -> Json {
    let properties = ExpectKey::SECTIONS.iter().map(|k| (k.name().to_owned(), reference(k.name()))).collect();
    Json::object([
        ("type", "object".into()),
        ("description", "One alternative: the scenario passes if one alternative holds entirely.".into()),
        ("properties", Json::Object(properties)),
        ("additionalProperties", false.into()),
    ])
}

fn response_property(key: ResponseKey) -> Json {
    match key {
        ResponseKey::Error => codes(key, true),
        ResponseKey::Warn => codes(key, false),
        ResponseKey::Format => keyword_of(key.doc(), Some(ResponseFormat::Strict)),
        ResponseKey::OtherErrors => keyword_of(key.doc(), Some(OtherErrors::Warn)),
        ResponseKey::DoesNotContain | ResponseKey::Escapes => probes(key),
    }
}

fn fetch() -> Json {
    let rule =
        when_equals(FetchKey::Happens, false.into(), Json::object([("properties", forbidden(FetchKey::NEED_A_FETCH))]));
    section(ExpectKey::Fetch, FetchKey::ALL, |key| match key {
        FetchKey::Happens => boolean(key, true),
        FetchKey::Protocol => keyword_of::<Protocol>(key.doc(), None),
        FetchKey::Credentials => keyword_of(key.doc(), Some(CredentialsExpectation::Any)),
    })
    .with("allOf", Json::Array(vec![rule]))
}

fn receipt() -> Json {
    let rules = vec![
        when_equals(ReceiptKey::Count, 0_i64.into(), Json::object([("properties", forbidden(ReceiptKey::JUDGING))])),
        when_absent(ReceiptKey::Count, Json::object([("properties", forbidden([ReceiptKey::Missing]))])),
    ];
    section(ExpectKey::Receipt, ReceiptKey::ALL, receipt_property).with("allOf", Json::Array(rules))
}

fn receipt_property(key: ReceiptKey) -> Json {
    match key {
        ReceiptKey::Count => integer(key, 0, i64::from(MAX_RECEIPT_COUNT), None),
        ReceiptKey::Error => codes(key, true),
        ReceiptKey::Warn => codes(key, false),
        ReceiptKey::AfterFetch => boolean(key, true),
        ReceiptKey::NeverSuccess => boolean(key, false),
        ReceiptKey::Fields => {
            let mut names: Vec<&str> = Element::ALL.iter().map(|e| e.name()).collect();
            names.extend(NOTIFICATION_FIELDS.iter().filter(|f| !names.contains(f)).collect::<Vec<_>>());
            template(key)
                .with("type", "object")
                .with("properties", Json::Object(names.iter().map(|n| value_of(n, "field")).collect()))
                .with("propertyNames", Json::object([("enum", Json::strings(&names))]))
                .with("additionalProperties", Json::object([("type", "string".into())]))
        }
        ReceiptKey::DoesNotContain => probes(key),
        ReceiptKey::Credentials => keyword_of(key.doc(), Some(CredentialsExpectation::Any)),
        ReceiptKey::Missing => keyword_of(key.doc(), Some(MissingReceipt::Fail)),
    }
}

fn alerts_property(key: AlertsKey) -> Json {
    match key {
        AlertsKey::AfterReceipt | AlertsKey::WellFormed => boolean(key, true),
        AlertsKey::AtLeast => integer(key, 0, i64::from(MAX_RECEIPT_COUNT), Some(0)),
        AlertsKey::Error => codes(key, true),
        AlertsKey::DoesNotContain => probes(key),
    }
}

fn internal_property(key: InternalKey) -> Json {
    match key {
        InternalKey::Requested => keyword_of(key.doc(), Some(InternalRequested::Report)),
    }
}

// ---- client scenarios ----

fn target_property(key: TargetKey) -> Json {
    let code = || integer(key, 0, i64::from(u16::MAX), None);
    match key {
        TargetKey::Answer | TargetKey::ReceiptError => code(),
        TargetKey::AnswerDelayMs => integer(key, 0, MAX_DELAY_MS, Some(0)),
        TargetKey::Fetch => boolean(key, true),
        TargetKey::Alerts => integer(key, 0, i64::from(MAX_ALERTS), Some(1)),
        TargetKey::Delivery => keyword_of(key.doc(), Some(NotificationDelivery::Post)),
        TargetKey::Notifications => keyword_of(key.doc(), Some(NotificationShape::Full)),
    }
}

fn client_expect_property(key: ClientExpectKey) -> Json {
    match key {
        ClientExpectKey::Collects => integer(key, 1, i64::from(MAX_COLLECTS), Some(1)),
        ClientExpectKey::Collect => section(key, ClientCollectKey::ALL, |key| match key {
            ClientCollectKey::Findings => keyword_of(key.doc(), Some(FindingsMode::Strict)),
            ClientCollectKey::Method => keyword_of::<Method>(key.doc(), None),
        }),
        ClientExpectKey::Package => section(key, PackageKey::ALL, |key| match key {
            PackageKey::Available | PackageKey::Contents => boolean(key, true),
        }),
        ClientExpectKey::Answers => section(key, AnswersKey::ALL, |key| match key {
            AnswersKey::Receipt | AnswersKey::Alerts => boolean(key, true),
            AnswersKey::WithinMs => integer(key, 1, MAX_DELAY_MS, None),
        }),
        ClientExpectKey::Namespace => section(key, NamespaceKey::ALL, |key| match key {
            NamespaceKey::Stable => boolean(key, true),
        }),
    }
}
