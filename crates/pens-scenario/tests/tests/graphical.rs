//! The same errors through miette's graphical handler: location, source line, underline.

use miette::{GraphicalReportHandler, GraphicalTheme};
use pens_scenario::load_file;

use crate::support::golden;

fn graphical(error: &dyn miette::Diagnostic) -> String {
    let mut out = String::new();
    GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .render_report(&mut out, error)
        .expect("rendering into a String cannot fail");
    out
}

#[test]
fn unknown_key_renders_with_location_line_and_label() {
    let error = load_file(golden("rejected").join("unknown-key.toml")).expect_err("rejected");
    let text = graphical(&error);
    assert!(text.contains("tests/golden/rejected/unknown-key.toml:14:1"), "{text}");
    assert!(text.contains("recipt = { count = 1 }"), "{text}");
    assert!(text.contains("did you mean `receipt`?"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn duplicate_id_renders_the_first_definition_as_related() {
    let (_, errors) = pens_scenario::load_dir(golden("rejected").join("duplicate-id"));
    let text = graphical(&errors[0]);
    assert!(text.contains("duplicate-id/b/collect-twice.toml:2:6"), "{text}");
    assert!(text.contains("duplicate-id/a/collect-twice.toml:1:6"), "{text}");
    insta::assert_snapshot!(text);
}
