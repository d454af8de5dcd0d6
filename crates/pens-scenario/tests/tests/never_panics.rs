//! The loader's parse functions return errors, never panic: arbitrary text, arbitrary
//! bytes read from disk, and files assembled from the pieces of each language so the deep
//! branches (behaviours, alternatives, templates; the client's script and the rules that
//! tie it to `[expect]`) are reached far more often than by chance.

use pens_scenario::{parse_client_scenario, parse_scenario, render_plain};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

const PIECES: &[&str] = &[
    "id = \"x\"\n",
    "title = \"t\"\n",
    "requirements = [\"target.collect.post\"]\n",
    "requirements = []\n",
    "needs = [\"ftp\", \"ftp\"]\n",
    "unless = [\"ftp\"]\n",
    "tags = [1]\n",
    "[staging]\n",
    "behaviour = \"status\"\n",
    "behaviour = \"dribble\"\n",
    "behaviour = 7\n",
    "status = 99999999999\n",
    "delay_ms = -1\n",
    "user = \"{{secret\"\n",
    "password = \"{{secret}}\"\n",
    "[collect]\n",
    "raw = '''a={{repeat:x:1000000}}{{repeat:y:1}}'''\n",
    "remove = [\"receipt\"]\n",
    "[collect.set]\n",
    "receipt = \"{{now+9999999999999d}}\"\n",
    "\"\" = \"\"\n",
    "[expect]\n",
    "[expect.response]\n",
    "error = [0, 65536, -5, \"1\"]\n",
    "warn = [0]\n",
    "[expect.receipt]\n",
    "count = 0\n",
    "fields = { eror = \"\\u00e9{{x}}\" }\n",
    "never_success = true\n",
    "[[expect.any_of]]\n",
    "response = { error = [1304] }\n",
    "any_of = 3\n",
    "when = 1979-05-27T07:32:00Z\n",
    "x = { a = { b = [ { c = 1 } ] } }\n",
    "\"$__serde_spanned_private_start\" = 1\n",
    "\"$__toml_private_datetime\" = \"x\"\n",
    "é = \"\\t\"\n",
    "\r\n",
    "[",
    "]",
    "\"",
    "=",
    "\n",
];

/// The same for the client language: its sections, and the keys whose rules tie them.
const CLIENT_PIECES: &[&str] = &[
    "id = \"x\"\n",
    "title = \"t\"\n",
    "requirements = [\"client.notification.response\"]\n",
    "requirements = [\"target.receipt.sent\", \"x\"]\n",
    "level = \"should\"\n",
    "tags = [\"a\", \"a\"]\n",
    "[target]\n",
    "answer = 1301\n",
    "answer = 0\n",
    "answer = 99999999999\n",
    "answer_delay_ms = -1\n",
    "fetch = true\n",
    "fetch = \"no\"\n",
    "receipt_error = 1432\n",
    "receipt_error = [1]\n",
    "alerts = 0\n",
    "alerts = 3\n",
    "delivery = \"get\"\n",
    "delivery = \"mail\"\n",
    "[expect]\n",
    "collects = 1\n",
    "collects = 2\n",
    "collects = 1.5\n",
    "[expect.collect]\n",
    "findings = \"lenient\"\n",
    "method = \"put\"\n",
    "[expect.package]\n",
    "available = false\n",
    "contents = false\n",
    "[expect.answers]\n",
    "receipt = true\n",
    "alerts = true\n",
    "within_ms = 0\n",
    "[expect.namespace]\n",
    "stable = false\n",
    "expect = { namespace = {}, collects = 1 }\n",
    "target = []\n",
    "[[expect.collect]]\n",
    "é = \"\\t\"\n",
    "\r\n",
    "[",
    "]",
    "\"",
    "=",
    "\n",
];

fn check(text: &str) {
    if let Err(errors) = parse_scenario("x.toml", text) {
        assert!(!errors.is_empty());
        for error in &errors {
            let rendered = render_plain(error);
            assert!(rendered.starts_with("error: "), "{rendered}");
        }
    }
}

fn check_client(text: &str) {
    match parse_client_scenario("x.toml", text) {
        Ok(scenario) => assert_eq!(scenario.id.value, "x", "only a file whose id is its stem loads"),
        Err(errors) => {
            assert!(!errors.is_empty());
            for error in &errors {
                if let Some(span) = error.span() {
                    assert!(span.start <= span.end && span.end <= text.len(), "{span:?} outside the text");
                }
                let rendered = render_plain(error);
                assert!(rendered.starts_with("error: "), "{rendered}");
                for note in error.notes() {
                    assert!(note.span().end <= text.len(), "a note outside the text");
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(proptest::test_runner::Config { cases: 512, rng_seed: proptest::test_runner::RngSeed::Fixed(0x5045_4e53), failure_persistence: None, ..proptest::test_runner::Config::default() })]

    #[test]
    fn arbitrary_text(text in any::<String>()) {
        check(&text);
    }

    #[test]
    fn arbitrary_bytes_through_the_file_loader(bytes in vec(any::<u8>(), 0..256)) {
        let dir = std::env::temp_dir().join(format!("pens-scenario-never-panics-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("x.toml");
        std::fs::write(&path, &bytes).expect("write");
        if let Err(error) = pens_scenario::load_file(&path) {
            let _ = render_plain(&error);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn assembled_from_the_language(parts in vec(select(PIECES), 0..24)) {
        check(&parts.concat());
    }

    #[test]
    fn client_arbitrary_text(text in any::<String>()) {
        check_client(&text);
    }

    #[test]
    fn client_assembled_from_the_language(parts in vec(select(CLIENT_PIECES), 0..24)) {
        check_client(&parts.concat());
    }
}

#[test]
fn a_file_assembled_from_every_piece_at_once() {
    check(&PIECES.concat());
    check(&PIECES.iter().rev().copied().collect::<String>());
    check_client(&CLIENT_PIECES.concat());
    check_client(&CLIENT_PIECES.iter().rev().copied().collect::<String>());
}
