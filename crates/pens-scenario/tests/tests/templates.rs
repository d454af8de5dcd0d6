//! Rendering substitutes every placeholder, wherever it stands among literal text.

use pens_scenario::{Placeholder, Template, TemplateContext};
use proptest::prelude::*;
use proptest::sample::select;

use crate::support::FixedContext;

/// Each placeholder as written, and what it renders to under [`FixedContext`].
const PLACEHOLDERS: &[(&str, &str)] = &[
    ("{{staging.http}}", "http://127.0.0.1:4001/s/k1/course.zip"),
    ("{{staging.https}}", "https://127.0.0.1:4002/s/k1/course.zip"),
    ("{{staging.ftp}}", "ftp://127.0.0.1:4004/s/k1/course.zip"),
    ("{{staging.ftps}}", "ftps://127.0.0.1:4005/s/k1/course.zip"),
    ("{{package_id}}", "urn:pens-conform:run1:k1"),
    ("{{receipt_url}}", "http://127.0.0.1:4003/r/k1/receipt"),
    ("{{alerts_url}}", "http://127.0.0.1:4003/r/k1/alerts"),
    ("{{receipt_mailto}}", "mailto:receipt.k1@pens-conform.test"),
    ("{{alerts_mailto}}", "mailto:alerts.k1@pens-conform.test"),
    ("{{receipt_mailbox}}", "receipt.k1@pens-conform.test"),
    ("{{alerts_mailbox}}", "alerts.k1@pens-conform.test"),
    ("{{secret}}", "pw-k1"),
    ("{{now}}", "2025-05-20T16:05:39Z"),
    ("{{now+2h}}", "2025-05-20T18:05:39Z"),
    ("{{now-1d}}", "2025-05-19T16:05:39Z"),
    ("{{now+30m}}", "2025-05-20T16:35:39Z"),
    ("{{now-15s}}", "2025-05-20T16:05:24Z"),
    ("{{repeat:x:5}}", "xxxxx"),
    ("{{repeat:%:2}}", "%%"),
];

#[test]
fn the_table_covers_every_kind_of_placeholder() {
    let kinds: std::collections::BTreeSet<String> = PLACEHOLDERS
        .iter()
        .flat_map(|(source, _)| Template::parse(source).expect("parses").placeholders().collect::<Vec<_>>())
        .map(|p| match p {
            Placeholder::Now { .. } => "now".to_owned(),
            Placeholder::Repeat { .. } => "repeat".to_owned(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(kinds.len(), 14, "{kinds:?}");
    assert_eq!(FixedContext.secret(), "pw-k1");
}

/// Literal text that cannot open a placeholder.
fn literal() -> impl Strategy<Value = String> {
    "[a-z0-9 =&%/:.}é-]{0,8}".prop_filter("no `{{`", |s| !s.contains("{{"))
}

proptest! {
    // A fixed seed: the same cases on every run, so a failure is reproducible.
    #![proptest_config(proptest::test_runner::Config { rng_seed: proptest::test_runner::RngSeed::Fixed(0x5045_4e53), failure_persistence: None, ..proptest::test_runner::Config::default() })]

    #[test]
    fn every_placeholder_is_substituted(
        pieces in proptest::collection::vec((literal(), select(PLACEHOLDERS)), 0..8),
        tail in literal(),
    ) {
        let mut source = String::new();
        let mut expected = String::new();
        for (text, (placeholder, rendered)) in &pieces {
            source.push_str(text);
            source.push_str(placeholder);
            expected.push_str(text);
            expected.push_str(rendered);
        }
        source.push_str(&tail);
        expected.push_str(&tail);
        // A literal ending in `}` glued to a placeholder's `}}` stays literal: `}` never opens.
        let template = Template::parse(&source).expect("valid by construction");
        prop_assert_eq!(template.placeholders().count(), pieces.len());
        prop_assert_eq!(template.source(), source.as_str());
        prop_assert_eq!(template.render(&FixedContext), expected);
    }
}
