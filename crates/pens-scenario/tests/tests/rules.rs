//! The language's rules, one small file each: what is accepted, and for what is not, the
//! error kind and the text under the caret.

use pens_scenario::{Method, Spanned, parse_scenario, render_plain_all};

const HEAD: &str = "id = \"x\"\ntitle = \"t\"\nrequirements = [\"target.collect.post\"]\n";

fn parse(body: &str) -> Result<pens_scenario::Scenario, Vec<pens_scenario::ScenarioError>> {
    parse_scenario("scenarios/target/x.toml", &format!("{HEAD}{body}"))
}

#[test]
fn accepted_forms() {
    for body in [
        "",
        "expect = { response = { error = [0] } }\n",
        "expect.receipt.count = 0\n",
        "[collect.set]\n\"Package-URL\" = \"case matters on the wire\"\nx-extension = \"\"\n",
        "[collect]\nraw = \"\"\nmethod = \"get\"\ntarget_query = \"a=1&b={{package_id}}\"\n",
        "[staging]\nbehaviour = \"delay\"\ndelay_ms = 0\n",
        "[staging]\nbehaviour = \"redirect\"\n[expect.fetch]\nhappens = true\ncredentials = \"none\"\n",
        "[staging]\nuser = \"u\"\npassword = \"\"\n[expect.fetch]\ncredentials = \"valid\"\n",
        "[expect.receipt]\nerror = [1301]\nwarn = [1322]\nfields = { error-text = \"\\u00e9\", error = \"1301\" }\n",
        "[collect.set]\nvendor-data = \"\"\"\n{{repeat:x:4096}}\"\"\"\n",
        "[[expect.any_of]]\n[[expect.any_of]]\n",
    ] {
        if let Err(errors) = parse(body) {
            panic!("{body}\n{}", render_plain_all(&errors));
        }
    }
}

#[test]
fn rejected_forms_say_why_at_the_right_place() {
    for (body, code, at, label) in [
        ("", "", "", ""),
        ("staging = \"x\"\n", "wrong_type", "\"x\"", "expected a table, found a string"),
        ("tags = [\"Core\"]\n", "invalid_value", "\"Core\"", "not kebab-case"),
        ("needs = \"ftp\"\n", "wrong_type", "\"ftp\"", "expected an array of strings, found a string"),
        ("needs = [\"ftp\"]\nunless = [\"ftp\"]\n", "conflict", "\"ftp\"]\n", "also in `needs`"),
        ("[collect]\nraw = \"a\\tb{{nope}}\"\n", "template", "{{nope}}", "not a placeholder"),
        ("[collect]\nraw = '''\n{{now+2x}}'''\n", "template", "{{now+2x}}", "the unit is one of s, m, h, d"),
        ("[collect]\ntarget_query = \"?a=1\"\n", "invalid_value", "\"?a=1\"", "write it without a leading `?` or `&`"),
        ("[collect]\nremove = [\"alerts\", \"alerts\"]\n", "duplicate_entry", "\"alerts\"]", "already listed at 5:11"),
        ("[collect.set]\n\"\" = \"x\"\n", "invalid_value", "\"\"", "use `raw` for malformed bodies"),
        ("[staging]\npassword = \"{{secret}}\"\n", "missing_key", "\"{{secret}}\"", "`password` needs `user`"),
        ("[staging]\nbehaviour = \"dribble\"\n", "missing_key", "\"dribble\"", "behaviour `dribble` needs `delay_ms`"),
        ("[staging]\nbehaviour = \"sever\"\n", "unknown_keyword", "\"sever\"", "did you mean `serve`?"),
        (
            "[staging]\nbehaviour = \"status\"\nstatus = 700\n",
            "invalid_value",
            "700",
            "expected a number from 100 to 599",
        ),
        (
            "[staging]\nbehaviour = \"delay\"\ndelay_ms = 600001\n",
            "invalid_value",
            "600001",
            "expected a number from 0 to 600000",
        ),
        ("[staging]\npackage = \"/abs.zip\"\n", "invalid_value", "\"/abs.zip\"", "not a file under fixtures/packages/"),
        ("[expect.fetch]\ncredentials = \"valid\"\n", "conflict", "\"valid\"", "staging asks for no credentials"),
        (
            "[expect.fetch]\nhappens = \"no\"\n",
            "wrong_type",
            "\"no\"",
            "expected a boolean (`true` or `false`), found a string",
        ),
        ("[expect.response]\nerror = []\n", "invalid_value", "[]", "list at least one code"),
        (
            "[expect.response]\nerror = [\"1304\"]\n",
            "wrong_type",
            "\"1304\"",
            "expected an error code (an integer), found a string",
        ),
        ("[expect.response]\nerror = [0]\nwarn = [0]\n", "conflict", "0]\n", "also in `error` at 5:10"),
        ("[expect.response]\nformat = \"loose\"\n", "unknown_keyword", "\"loose\"", "not a response format"),
        ("[expect.receipt]\ncount = 101\n", "invalid_value", "101", "expected a number from 0 to 100"),
        ("[expect.receipt]\nerror = [0]\nnever_success = true\n", "conflict", "true", "but `error` accepts 0 at 5:10"),
        (
            "[expect.receipt]\nfields = { package_id = \"x\" }\n",
            "unknown_element",
            "package_id",
            "did you mean `package-id`?",
        ),
        (
            "[expect]\nany_of = { response = {} }\n",
            "wrong_type",
            "{ response",
            "expected an array of tables (`[[expect.any_of]]`), found a table",
        ),
        ("[[expect.any_of]]\nany_of = []\n[[expect.any_of]]\n", "unknown_key", "any_of = []", "unknown key"),
        (
            "[expect]\nany_of = []\n",
            "invalid_value",
            "[]",
            "a single alternative is not a choice: move its sections into [expect]",
        ),
    ] {
        if body.is_empty() {
            continue;
        }
        let text = format!("{HEAD}{body}");
        let errors = parse(body).expect_err(body);
        let first = &errors[0];
        let span = first.span().expect("located");
        assert_eq!(first.kind().code(), format!("pens_scenario::{code}"), "{body}\n{}", render_plain_all(&errors));
        assert!(text[span.start..].starts_with(at), "{body}: the span starts at {:?}", &text[span.start..]);
        assert_eq!(first.label(), Some(label), "{body}");
    }
}

#[test]
fn an_empty_file_misses_its_three_required_keys() {
    let errors = parse_scenario("x.toml", "").expect_err("empty");
    let kinds: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        kinds,
        [
            "missing key `id` at the top level",
            "missing key `title` at the top level",
            "missing key `requirements` at the top level"
        ]
    );
    assert!(errors.iter().all(|e| e.span().is_some_and(|s| (s.line, s.col) == (1, 1))));
}

#[test]
fn spans_of_scalars_and_defaults() {
    let scenario = parse("[collect]\nmethod = \"get\"\n").expect("loads");
    assert_eq!(scenario.collect.method.clone(), Spanned { value: Method::Get, span: scenario.collect.method.span });
    assert_eq!((scenario.collect.method.span.line, scenario.collect.method.span.col), (5, 10));
    assert_eq!(scenario.collect.order.span, scenario.collect.span, "defaulted: the table's header");
    assert_eq!(scenario.collect.span.len(), "[collect]".len());
}
