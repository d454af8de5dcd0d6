//! `schemas/profile.schema.json`, the JSON Schema of the implementation profile: it
//! accepts the README's example profile and rejects what `--profile` rejects.

use serde_json::Value;

use super::workspace_root;

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(workspace_root().join("schemas/profile.schema.json")).expect("schema");
    jsonschema::validator_for(&serde_json::from_str::<Value>(&text).expect("json")).expect("a valid schema")
}

fn json(text: &str) -> Value {
    serde_json::to_value(toml::from_str::<toml::Table>(text).expect("toml")).expect("json")
}

/// The first TOML block after the README's "The implementation profile" heading.
fn readme_profile() -> String {
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).expect("README.md");
    let section = readme.split("### The implementation profile").nth(1).expect("the profile section");
    let block = section.split("```toml\n").nth(1).expect("a toml block");
    block.split("```").next().expect("its end").to_owned()
}

#[test]
fn the_readme_profile_validates() {
    let profile = json(&readme_profile());
    assert!(profile.get("claims").is_some(), "{profile}");
    let errors: Vec<String> = validator().iter_errors(&profile).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn limits_in_bytes_or_with_a_unit_validate() {
    let validator = validator();
    let accepted = "[limits]\nanswer-bytes = \"2MiB\"\nheader-bytes = 4096\npackage-bytes = \"1 GiB\"\n\
                    unpacked-bytes = \"512KiB\"\nzip-entries = 50\nredirects = 1\nnotifications = 3\n\
                    connections = 4\npassive-listeners = 2\nscenario-grace = 250\nheader-count = 20\n";
    let errors: Vec<String> = validator.iter_errors(&json(accepted)).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn a_misspelt_claim_or_a_bad_value_is_rejected() {
    let validator = validator();
    let rejected = [
        "[claims]\nmailto-reciept = \"no\"\n",
        "[claims]\nftp = \"maybe\"\n",
        "[target]\nurll = \"http://lms/pens\"\n",
        "[deadlines]\nack = 0\n",
        "[target]\nsystem-password = \"a\"\nsystem-password-env = \"PW\"\n",
        "[deadline]\nack = 10\n",
        "[limits]\nanswer-bytes = 0\n",
        "[limits]\nanswer-bytes = \"1 potato\"\n",
        "[limits]\nheader-bytes = \"1MB\"\n",
        "[limits]\nredirects = 0\n",
        "[limits]\nscenario-grace = \"5s\"\n",
        "[limits]\nanswer-byte = 5\n",
        // Out of the ranges the loader holds every number to (issue 16, point 6).
        "[deadlines]\nack = 9223372036854775807\n",
        "[deadlines]\nquiet = 3600001\n",
        "[limits]\nconnections = 9223372036854775807\n",
        "[limits]\nanswer-bytes = 16777217\n",
        "[security]\nmax-package-bytes = 3221225473\n",
    ];
    for text in rejected {
        assert!(!validator.is_valid(&json(text)), "accepted: {text}");
    }
}
