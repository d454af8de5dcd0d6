//! The JSON Schemas of the two scenario languages, `schemas/scenario.schema.json` and
//! `schemas/client-scenario.schema.json`, which editors use to complete scenario files.
//! They are generated from the language's tables (`pens_scenario::target_scenario_schema`,
//! `client_scenario_schema`), and the committed files must be what the code generates
//! (`UPDATE_SCHEMAS=1 cargo test -p pens-scenario schema` rewrites them). These tests also
//! hold them to the loader: every shipped scenario validates, a misspelt key and a bad
//! keyword are rejected, each keyword list and requirement list equals the code's, and
//! every number's bounds are the loader's.

use std::path::{Path, PathBuf};

use pens_proto::{CATALOGUE, Element, NOTIFICATION_FIELDS, Party};
use pens_scenario::{
    BehaviourName, Capability, CredentialsExpectation, FindingsMode, InternalRequested, Keyword, Method,
    MissingReceipt, NotificationDelivery, NotificationShape, Order, OtherErrors, Protocol, ResponseFormat,
    ScenarioLevel,
};
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn schema(name: &str) -> Value {
    let path = repo().join("schemas").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).expect("schema file")).expect("schema json")
}

fn validator(name: &str) -> jsonschema::Validator {
    jsonschema::validator_for(&schema(name)).expect("a valid schema")
}

/// Compares a committed file with what the code generates; with `UPDATE_SCHEMAS=1` in the
/// environment, writes it instead.
pub(crate) fn check_generated(relative: &str, generated: &str) {
    let path = repo().join(relative);
    if std::env::var_os("UPDATE_SCHEMAS").is_some() {
        std::fs::write(&path, generated).expect("write the generated file");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let line = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .map_or_else(|| committed.lines().count().min(generated.lines().count()) + 1, |index| index + 1);
        panic!(
            "{relative} is not what the code generates (first difference at line {line}).\n\
             Regenerate it with: UPDATE_SCHEMAS=1 cargo test -p pens-scenario --test tests schema\n\
             and review the diff with git."
        );
    }
}

#[test]
fn the_committed_schemas_are_the_generated_ones() {
    check_generated("schemas/scenario.schema.json", &pens_scenario::target_scenario_schema());
    check_generated("schemas/client-scenario.schema.json", &pens_scenario::client_scenario_schema());
}

/// The keyword lists of the docs, between their `<!-- keywords:NAME -->` markers, are
/// what the key tables generate; each file keeps its markers.
#[test]
fn the_keyword_lists_of_the_docs_are_the_generated_ones() {
    let mut seen = Vec::new();
    for file in ["docs/target-mode.md", "docs/client-mode.md", "scenarios/README.md"] {
        let text = std::fs::read_to_string(repo().join(file)).expect("doc file");
        let filled = pens_scenario::fill_keyword_lists(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        seen.extend(pens_scenario::KEYWORD_LISTS.into_iter().filter(|n| text.contains(&format!("keywords:{n} begin"))));
        check_generated(file, &filled);
    }
    seen.sort_unstable();
    let mut all = pens_scenario::KEYWORD_LISTS.to_vec();
    all.sort_unstable();
    assert_eq!(seen, all, "every keyword list is shown somewhere");
}

fn toml_value(text: &str) -> Value {
    let table: toml::Table = toml::from_str(text).expect("toml");
    serde_json::to_value(table).expect("json")
}

/// Every `.toml` file of a folder, with its JSON form.
fn files(folder: &str) -> Vec<(PathBuf, Value)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(repo().join(folder))
        .expect("folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no scenario in {folder}");
    paths.into_iter().map(|p| (p.clone(), toml_value(&std::fs::read_to_string(&p).expect("read")))).collect()
}

fn errors(validator: &jsonschema::Validator, value: &Value) -> Vec<String> {
    validator.iter_errors(value).map(|e| format!("{e} at {}", e.instance_path())).collect()
}

#[test]
fn every_shipped_scenario_validates() {
    for (schema, folders) in [
        ("scenario.schema.json", ["scenarios/target", "crates/pens-scenario/tests/golden/ok"]),
        ("client-scenario.schema.json", ["scenarios/client", "crates/pens-scenario/tests/golden/client/ok"]),
    ] {
        let validator = validator(schema);
        for folder in folders {
            for (path, value) in files(folder) {
                let errors = errors(&validator, &value);
                assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
            }
        }
    }
}

#[test]
fn a_misspelt_key_or_a_bad_keyword_is_rejected() {
    let target = validator("scenario.schema.json");
    let valid = "id = \"x\"\ntitle = \"t\"\nrequirements = [\"target.collect.post\"]\n";
    assert!(target.is_valid(&toml_value(valid)));
    let rejected = [
        "[staging]\nbehavior = \"serve\"\n",
        "[staging]\nbehaviour = \"hang\"\n",
        "needs = [\"gopher\"]\n",
        "[expect.fetch]\nprotocol = \"sftp\"\n",
        "[expect.recipt]\ncount = 1\n",
        "[expect.receipt]\nfields = { package-idd = \"x\" }\n",
        "level = \"may\"\n",
        "[collect]\nmethod = \"put\"\n",
        "[staging]\nbehaviour = \"status\"\n",
        "[collect]\nraw = \"a=b\"\norder = \"reverse\"\n",
        "[staging]\nbehaviour = \"zip-bomb\"\nover_bytes = 2097152\n",
        "[staging]\nbehaviour = \"oversized\"\nover_bytes = 1000\n",
        "[expect.internal]\nrequested = \"sometimes\"\n",
        "[expect.receipt]\ncredentials = \"reported\"\n",
        "[expect.response]\ndoes_not_contain = [\"\"]\n",
        "[expect.receipt]\ncount = 0\ndoes_not_contain = [\"x\"]\n",
    ];
    for extra in rejected {
        assert!(!target.is_valid(&toml_value(&format!("{valid}{extra}"))), "accepted: {extra}");
    }
    let client = validator("client-scenario.schema.json");
    let valid = "id = \"x\"\ntitle = \"t\"\nrequirements = [\"client.notification.response\"]\n";
    assert!(client.is_valid(&toml_value(valid)));
    for extra in [
        "[target]\nanswr = 0\n",
        "[target]\ndelivery = \"smtp\"\n",
        "[expect.collect]\nfindings = \"loose\"\n",
        "[expect]\ncollects = 0\n",
    ] {
        assert!(!client.is_valid(&toml_value(&format!("{valid}{extra}"))), "accepted: {extra}");
    }
    let target_requirement = "id = \"x\"\ntitle = \"t\"\nrequirements = [\"target.collect.post\"]\n";
    assert!(!client.is_valid(&toml_value(target_requirement)), "a target requirement in a client scenario");
}

fn names<K: Keyword>() -> Vec<String> {
    K::ALL.iter().map(|k| k.name().to_owned()).collect()
}

/// The `enum` at a JSON pointer, as strings.
fn enum_at(schema: &Value, pointer: &str) -> Vec<String> {
    let value = schema.pointer(pointer).unwrap_or_else(|| panic!("{pointer} not in the schema"));
    value
        .as_array()
        .unwrap_or_else(|| panic!("{pointer} is not an array"))
        .iter()
        .map(|v| v.to_string().trim_matches('"').to_owned())
        .collect()
}

#[test]
fn the_vocabularies_are_the_code_s() {
    let target = schema("scenario.schema.json");
    let d = "/definitions";
    let cases = [
        ("/properties/level/enum", names::<ScenarioLevel>()),
        ("/properties/needs/items/enum", names::<Capability>()),
        ("/properties/unless/items/enum", names::<Capability>()),
        (&*format!("{d}/staging/properties/behaviour/enum"), names::<BehaviourName>()),
        (&*format!("{d}/collect/properties/method/enum"), names::<Method>()),
        (&*format!("{d}/collect/properties/order/enum"), names::<Order>()),
        (&*format!("{d}/response/properties/format/enum"), names::<ResponseFormat>()),
        (&*format!("{d}/response/properties/other_errors/enum"), names::<OtherErrors>()),
        (&*format!("{d}/fetch/properties/protocol/enum"), names::<Protocol>()),
        (&*format!("{d}/fetch/properties/credentials/enum"), names::<CredentialsExpectation>()),
        (&*format!("{d}/receipt/properties/credentials/enum"), names::<CredentialsExpectation>()),
        (&*format!("{d}/receipt/properties/missing/enum"), names::<MissingReceipt>()),
        (&*format!("{d}/internal/properties/requested/enum"), names::<InternalRequested>()),
        ("/properties/requirements/items/enum", CATALOGUE.iter().map(|r| r.id.to_owned()).collect()),
        (
            &*format!("{d}/collect/properties/remove/items/enum"),
            Element::ALL.iter().map(|e| e.name().to_owned()).collect(),
        ),
    ]
    .map(|(p, v)| (p.to_owned(), v));
    for (pointer, expected) in cases {
        assert_eq!(enum_at(&target, &pointer), expected, "{pointer}");
    }
    let mut fields = enum_at(&target, &format!("{d}/receipt/properties/fields/propertyNames/enum"));
    fields.sort();
    let mut expected: Vec<String> =
        Element::ALL.iter().map(|e| e.name()).chain(NOTIFICATION_FIELDS).map(str::to_owned).collect();
    expected.sort();
    expected.dedup();
    assert_eq!(fields, expected);

    let client = schema("client-scenario.schema.json");
    let client_requirements: Vec<String> =
        CATALOGUE.iter().filter(|r| r.party != Party::Target).map(|r| r.id.to_owned()).collect();
    let cases = [
        ("/properties/level/enum", names::<ScenarioLevel>()),
        ("/properties/requirements/items/enum", client_requirements),
        ("/properties/target/properties/delivery/enum", names::<NotificationDelivery>()),
        ("/properties/target/properties/notifications/enum", names::<NotificationShape>()),
        ("/properties/expect/properties/collect/properties/findings/enum", names::<FindingsMode>()),
        ("/properties/expect/properties/collect/properties/method/enum", names::<Method>()),
    ];
    for (pointer, expected) in cases {
        assert_eq!(enum_at(&client, pointer), expected, "{pointer}");
    }
}

/// Where each number of the schemas goes in a scenario file: the schema path of the
/// number (`properties`, `definitions` and `items` steps, `/`-joined; a size's integer
/// form is its `oneOf` member), the schema, and the file body with `{}` for the value
/// (whatever else the number needs to be allowed: its behaviour, an `error` list).
const NUMBERS: [(&str, &str, &str); 20] = [
    ("staging/size", "scenario", "[staging]\nsize = {}\n"),
    ("staging/status", "scenario", "[staging]\nbehaviour = \"status\"\nstatus = {}\n"),
    ("staging/delay_ms", "scenario", "[staging]\nbehaviour = \"delay\"\ndelay_ms = {}\n"),
    ("staging/chunk_bytes", "scenario", "[staging]\nbehaviour = \"dribble\"\ndelay_ms = 1\nchunk_bytes = {}\n"),
    ("staging/after_bytes", "scenario", "[staging]\nbehaviour = \"truncate\"\nafter_bytes = {}\n"),
    ("staging/over_bytes", "scenario", "[staging]\nbehaviour = \"oversized\"\nover_bytes = {}\n"),
    ("collect/copies", "scenario", "[collect]\ncopies = {}\n"),
    ("response/error/items", "scenario", "[expect.response]\nerror = [{}]\n"),
    ("response/warn/items", "scenario", "[expect.response]\nerror = [1]\nwarn = [{}]\n"),
    ("receipt/count", "scenario", "[expect.receipt]\ncount = {}\n"),
    ("receipt/error/items", "scenario", "[expect.receipt]\nerror = [{}]\n"),
    ("receipt/warn/items", "scenario", "[expect.receipt]\nerror = [1]\nwarn = [{}]\n"),
    ("alerts/at_least", "scenario", "[expect.alerts]\nat_least = {}\n"),
    ("alerts/error/items", "scenario", "[expect.alerts]\nerror = [{}]\n"),
    ("target/answer", "client", "[target]\nanswer = {}\n"),
    ("target/answer_delay_ms", "client", "[target]\nanswer_delay_ms = {}\n"),
    ("target/receipt_error", "client", "[target]\nreceipt_error = {}\n"),
    ("target/alerts", "client", "[target]\nalerts = {}\n"),
    ("expect/collects", "client", "[expect]\ncollects = {}\n"),
    ("expect/answers/within_ms", "client", "[expect.answers]\nwithin_ms = {}\n"),
];

/// Every integer of a schema with its bounds, named by its path without the
/// `properties`/`definitions`/`oneOf` steps.
fn schema_numbers(node: &Value, path: &str, found: &mut Vec<(String, i64, i64)>) {
    let Some(object) = node.as_object() else { return };
    if node["type"] == "integer" {
        let bound = |key: &str| node[key].as_i64().unwrap_or_else(|| panic!("{path}: no {key}"));
        found.push((path.trim_matches('/').to_owned(), bound("minimum"), bound("maximum")));
    }
    for (key, child) in object {
        match (key.as_str(), child) {
            ("properties" | "definitions", Value::Object(children)) => {
                for (name, grandchild) in children {
                    schema_numbers(grandchild, &format!("{path}/{name}"), found);
                }
            }
            ("items", _) => schema_numbers(child, &format!("{path}/items"), found),
            ("oneOf" | "anyOf", Value::Array(members)) => {
                for member in members {
                    schema_numbers(member, path, found);
                }
            }
            _ => {}
        }
    }
}

/// Every number of both scenario languages is held to the range its schema shows
/// editors (issue 16: range-check every number): the bounds load, one past either is
/// a load error pointing at the value's line, quoting the key and saying the range.
/// The list of numbers comes from the schemas, so a number added to a schema without
/// a row in [`NUMBERS`] fails here.
#[test]
fn every_number_of_the_schemas_is_held_to_its_range_by_the_loader() {
    let mut covered = Vec::new();
    for (schema_name, mode) in [("scenario.schema.json", "scenario"), ("client-scenario.schema.json", "client")] {
        let mut found = Vec::new();
        schema_numbers(&schema(schema_name), "", &mut found);
        assert!(!found.is_empty(), "{schema_name}: no number found");
        for (path, min, max) in found {
            let (_, _, body) = NUMBERS
                .iter()
                .find(|(p, m, _)| *p == path && *m == mode)
                .unwrap_or_else(|| panic!("{schema_name}: {path} has no row in NUMBERS"));
            covered.push((path.clone(), mode));
            let load = |value: i64| {
                let requirement =
                    if mode == "scenario" { "target.collect.post" } else { "client.notification.response" };
                let text = format!(
                    "id = \"x\"\ntitle = \"t\"\nrequirements = [\"{requirement}\"]\n{}",
                    body.replace("{}", &value.to_string())
                );
                let result = match mode {
                    "scenario" => pens_scenario::parse_scenario("x.toml", &text).map(drop),
                    _ => pens_scenario::parse_client_scenario("x.toml", &text).map(drop),
                };
                (text, result.map_err(|errors| pens_scenario::render_plain_all(&errors)))
            };
            for value in [min, max] {
                let (text, result) = load(value);
                assert!(result.is_ok(), "{path} = {value} is in range:\n{text}\n{}", result.unwrap_err());
            }
            for value in [min - 1, max + 1] {
                let (text, result) = load(value);
                let rendered = result.expect_err(&format!("{path} = {value} is out of range:\n{text}"));
                let line = text.lines().position(|l| l.contains(&value.to_string())).expect("the value's line") + 1;
                let key = path.trim_end_matches("/items").rsplit('/').next().expect("a key");
                for needle in [format!("x.toml:{line}:"), key.to_owned(), min.to_string(), max.to_string()] {
                    assert!(rendered.contains(&needle), "{path} = {value}: no `{needle}` in\n{rendered}");
                }
            }
        }
    }
    assert_eq!(covered.len(), NUMBERS.len(), "rows of NUMBERS no schema has: {covered:?}");
}

/// The `default` a schema shows editors is the value the loader gives a key left out:
/// the sections are written empty and the default of each key that needs no other key
/// (a behaviour's parameters and `collects` are left out) compared with the model.
#[test]
fn the_defaults_of_the_schemas_are_the_loader_s() {
    let text = "id = \"x\"\ntitle = \"t\"\nrequirements = [\"target.collect.post\"]\n[collect.set]\n\
                package-url = \"{{internal_url}}\"\n[expect.response]\n[expect.fetch]\n[expect.receipt]\n\
                count = 1\n[expect.alerts]\n[expect.internal]\n";
    let scenario = pens_scenario::parse_scenario("x.toml", text).expect("loads");
    let (collect, staging, expect) = (&scenario.collect.value, &scenario.staging.value, &scenario.expect);
    let response = &expect.response.as_ref().expect("response").value;
    let fetch = &expect.fetch.as_ref().expect("fetch").value;
    let receipt = &expect.receipt.as_ref().expect("receipt").value;
    let alerts = &expect.alerts.as_ref().expect("alerts").value;
    let internal = &expect.internal.as_ref().expect("internal").value;
    let s = |v: &dyn std::fmt::Display| Value::from(v.to_string());
    let target: Vec<(String, Value)> = [
        ("/properties/level", s(&scenario.level.value)),
        ("/definitions/staging/properties/package", s(&staging.package.value)),
        ("/definitions/staging/properties/behaviour", s(&staging.behaviour.value.name())),
        ("/definitions/collect/properties/method", s(&collect.method.value)),
        ("/definitions/collect/properties/order", s(&collect.order.value)),
        ("/definitions/collect/properties/copies", Value::from(collect.copies.value)),
        ("/definitions/response/properties/format", s(&response.format.value)),
        ("/definitions/response/properties/other_errors", s(&response.other_errors.value)),
        ("/definitions/fetch/properties/happens", Value::from(fetch.happens.value)),
        ("/definitions/fetch/properties/credentials", s(&fetch.credentials.value)),
        ("/definitions/receipt/properties/after_fetch", Value::from(receipt.after_fetch.value)),
        ("/definitions/receipt/properties/never_success", Value::from(receipt.never_success.value)),
        ("/definitions/receipt/properties/credentials", s(&receipt.credentials.value)),
        ("/definitions/receipt/properties/missing", s(&receipt.missing.value)),
        ("/definitions/alerts/properties/after_receipt", Value::from(alerts.after_receipt.value)),
        ("/definitions/alerts/properties/well_formed", Value::from(alerts.well_formed.value)),
        ("/definitions/alerts/properties/at_least", Value::from(alerts.at_least.value)),
        ("/definitions/internal/properties/requested", s(&internal.requested.value)),
    ]
    .map(|(p, v)| (p.to_owned(), v))
    .into();
    let text = "id = \"x\"\ntitle = \"t\"\nrequirements = [\"client.notification.response\"]\n[target]\n\
                [expect]\ncollects = 2\n[expect.collect]\n[expect.package]\n[expect.answers]\n[expect.namespace]\n";
    let client = pens_scenario::parse_client_scenario("x.toml", text).expect("loads");
    let (script, expect) = (&client.target.value, &client.expect);
    let package = &expect.package.as_ref().expect("package").value;
    let answers = &expect.answers.as_ref().expect("answers").value;
    let namespace = &expect.namespace.as_ref().expect("namespace").value;
    let t = "/properties/target/properties";
    let e = "/properties/expect/properties";
    let client_cases: Vec<(String, Value)> = vec![
        (format!("{t}/answer_delay_ms"), Value::from(script.answer_delay_ms.value)),
        (format!("{t}/fetch"), Value::from(script.fetch.value)),
        (format!("{t}/alerts"), Value::from(script.alerts.value)),
        (format!("{t}/delivery"), s(&script.delivery.value)),
        (format!("{t}/notifications"), s(&script.notifications.value)),
        (format!("{e}/collect/properties/findings"), s(&expect.collect.value.findings.value)),
        (format!("{e}/package/properties/available"), Value::from(package.available.value)),
        (format!("{e}/package/properties/contents"), Value::from(package.contents.value)),
        (format!("{e}/answers/properties/receipt"), Value::from(answers.receipt.value)),
        (format!("{e}/answers/properties/alerts"), Value::from(answers.alerts.value)),
        (format!("{e}/namespace/properties/stable"), Value::from(namespace.stable.value)),
    ];
    for (schema_name, cases) in [("scenario.schema.json", target), ("client-scenario.schema.json", client_cases)] {
        let schema = schema(schema_name);
        for (pointer, loaded) in cases {
            let default = schema.pointer(&format!("{pointer}/default"));
            assert_eq!(default, Some(&loaded), "{schema_name}: {pointer}");
        }
    }
}
