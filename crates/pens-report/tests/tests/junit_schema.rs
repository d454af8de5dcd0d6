//! `junit.xml` against the common JUnit schema, `schemas/junit.xsd`.
//!
//! No mature XSD validator exists for Rust, so this is a small structural one: it reads
//! the XSD for each element's children (in sequence order, with their `maxOccurs`), its
//! attributes (required or not, integer or decimal) and whether it holds text, then walks
//! the document with those rules. The XSD stays the source of truth; the counts
//! (`tests`, `failures`, `errors`, `skipped`) are checked against the test cases as well.

use std::collections::BTreeMap;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::fixture::report;

/// One attribute the XSD declares.
#[derive(Debug)]
struct AttributeRule {
    required: bool,
    /// `xs:integer`, `xs:decimal` or `xs:string`.
    kind: String,
}

/// One element the XSD declares.
#[derive(Debug, Default)]
struct ElementRule {
    /// Allowed children in sequence order, with their `maxOccurs` (`None`: unbounded).
    children: Vec<(String, Option<usize>)>,
    attributes: BTreeMap<String, AttributeRule>,
    /// Whether text may appear (`mixed="true"` or a simple `xs:string` element).
    text: bool,
}

fn name_of(element: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(element.name().as_ref()).into_owned()
}

fn attributes(element: &BytesStart<'_>) -> BTreeMap<String, String> {
    element
        .attributes()
        .map(|a| {
            let a = a.expect("a well-formed attribute");
            let value = a.unescape_value().expect("an attribute value").into_owned();
            (String::from_utf8_lossy(a.key.as_ref()).into_owned(), value)
        })
        .collect()
}

/// The rules of `schemas/junit.xsd`, by element name.
fn xsd_rules() -> BTreeMap<String, ElementRule> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../schemas/junit.xsd");
    let text = std::fs::read_to_string(path).expect("schemas/junit.xsd");
    let mut reader = Reader::from_str(&text);
    let mut rules = BTreeMap::new();
    // The top-level element being declared, and the depth of the XSD's own elements.
    let mut current: Option<(String, ElementRule)> = None;
    let mut depth = 0usize;
    loop {
        let event = reader.read_event().expect("well-formed XSD");
        let (element, empty) = match &event {
            Event::Start(e) => (e.clone(), false),
            Event::Empty(e) => (e.clone(), true),
            Event::End(_) => {
                depth -= 1;
                if depth == 1
                    && let Some((name, rule)) = current.take()
                {
                    rules.insert(name, rule);
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let attrs = attributes(&element);
        match (name_of(&element).as_str(), depth) {
            ("xs:element", 1) => {
                let name = attrs["name"].clone();
                let text = attrs.get("type").is_some_and(|t| t == "xs:string");
                let rule = ElementRule { text, ..ElementRule::default() };
                if empty {
                    rules.insert(name, rule);
                } else {
                    current = Some((name, rule));
                }
            }
            ("xs:complexType", _) => {
                if let Some((_, rule)) = current.as_mut() {
                    rule.text |= attrs.get("mixed").is_some_and(|m| m == "true");
                }
            }
            ("xs:element", _) => {
                let (_, rule) = current.as_mut().expect("a child inside a declared element");
                let max = match attrs.get("maxOccurs").map(String::as_str) {
                    Some("unbounded") => None,
                    Some(n) => Some(n.parse().expect("a numeric maxOccurs")),
                    None => Some(1),
                };
                rule.children.push((attrs["ref"].clone(), max));
            }
            ("xs:attribute", _) => {
                let (_, rule) = current.as_mut().expect("an attribute inside a declared element");
                let attribute = AttributeRule {
                    required: attrs.get("use").is_some_and(|u| u == "required"),
                    kind: attrs.get("type").cloned().unwrap_or_else(|| "xs:string".into()),
                };
                rule.attributes.insert(attrs["name"].clone(), attribute);
            }
            _ => {}
        }
        if !empty {
            depth += 1;
        }
    }
    rules
}

/// One element of the checked document, with what the count checks need.
#[derive(Debug, Default)]
struct Node {
    name: String,
    attributes: BTreeMap<String, String>,
    children: Vec<Node>,
}

impl Node {
    fn count(&self, name: &str) -> usize {
        self.children.iter().filter(|c| c.name == name).count()
    }

    /// A count attribute; `None` when absent or not a number (reported apart).
    fn number(&self, attribute: &str) -> Option<usize> {
        self.attributes.get(attribute).and_then(|v| v.parse().ok())
    }
}

/// Every way `xml` breaks `rules`, as messages; empty when it validates.
fn validate(xml: &str, rules: &BTreeMap<String, ElementRule>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    loop {
        let event = reader.read_event().expect("well-formed XML");
        let (element, empty) = match event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => {
                let node = stack.pop().expect("an open element");
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => root = Some(node),
                }
                continue;
            }
            Event::Text(text) => {
                let text = text.decode().expect("utf-8");
                if let Some(open) = stack.last()
                    && !text.trim().is_empty()
                    && !rules.get(&open.name).is_some_and(|r| r.text)
                {
                    problems.push(format!("<{}> holds text, which the schema does not allow", open.name));
                }
                continue;
            }
            Event::CData(_) | Event::GeneralRef(_) => {
                if let Some(open) = stack.last()
                    && !rules.get(&open.name).is_some_and(|r| r.text)
                {
                    problems.push(format!("<{}> holds text, which the schema does not allow", open.name));
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let node = Node { name: name_of(&element), attributes: attributes(&element), children: Vec::new() };
        check_element(&node, stack.last(), rules, &mut problems);
        if empty {
            match stack.last_mut() {
                Some(parent) => parent.children.push(node),
                None => root = Some(node),
            }
        } else {
            stack.push(node);
        }
    }
    let root = root.expect("a root element");
    if root.name != "testsuites" {
        problems.push(format!("the root is <{}>, not <testsuites>", root.name));
    }
    check_counts(&root, &mut problems);
    problems
}

/// The element's name, place among its siblings so far and attributes.
fn check_element(
    node: &Node,
    parent: Option<&Node>,
    rules: &BTreeMap<String, ElementRule>,
    problems: &mut Vec<String>,
) {
    let Some(rule) = rules.get(&node.name) else {
        problems.push(format!("<{}> is not an element of the schema", node.name));
        return;
    };
    if let Some(parent) = parent {
        let allowed = &rules.get(&parent.name).map(|r| r.children.as_slice()).unwrap_or_default();
        match allowed.iter().position(|(child, _)| *child == node.name) {
            None => problems.push(format!("<{}> may not appear in <{}>", node.name, parent.name)),
            Some(index) => {
                let earlier_later = parent.children.iter().any(|sibling| {
                    allowed.iter().position(|(child, _)| *child == sibling.name).is_some_and(|i| i > index)
                });
                if earlier_later {
                    problems.push(format!("<{}> comes too late in <{}>", node.name, parent.name));
                }
                if let Some(max) = allowed[index].1
                    && parent.count(&node.name) + 1 > max
                {
                    problems.push(format!("<{}> appears more than {max} time(s) in <{}>", node.name, parent.name));
                }
            }
        }
    }
    for (name, value) in &node.attributes {
        match rule.attributes.get(name) {
            None => problems.push(format!("<{}> has attribute `{name}`, which the schema does not declare", node.name)),
            Some(attribute) if attribute.kind == "xs:integer" && value.parse::<u64>().is_err() => {
                problems.push(format!("<{} {name}=\"{value}\"> is not an integer", node.name));
            }
            Some(attribute) if attribute.kind == "xs:decimal" && value.parse::<f64>().is_err() => {
                problems.push(format!("<{} {name}=\"{value}\"> is not a number", node.name));
            }
            Some(_) => {}
        }
    }
    for (name, attribute) in &rule.attributes {
        if attribute.required && !node.attributes.contains_key(name) {
            problems.push(format!("<{}> lacks the required attribute `{name}`", node.name));
        }
    }
}

/// `tests`, `failures`, `errors` and `skipped` agree with the test cases.
fn check_counts(root: &Node, problems: &mut Vec<String>) {
    let mut totals = [0usize; 3];
    for suite in root.children.iter().filter(|c| c.name == "testsuite") {
        let cases: Vec<&Node> = suite.children.iter().filter(|c| c.name == "testcase").collect();
        let with = |name: &str| cases.iter().filter(|c| c.count(name) > 0).count();
        let counts = [cases.len(), with("failure"), with("error")];
        for (attribute, count) in ["tests", "failures", "errors"].into_iter().zip(counts) {
            if suite.number(attribute).is_some_and(|n| n != count) {
                problems
                    .push(format!("testsuite {attribute}={:?}, but {count} test cases", suite.attributes[attribute]));
            }
        }
        if let Some(skipped) = suite.number("skipped")
            && skipped != with("skipped")
        {
            problems.push(format!("testsuite skipped={skipped}, but {} skipped test cases", with("skipped")));
        }
        for (total, count) in totals.iter_mut().zip(counts) {
            *total += count;
        }
    }
    for (attribute, total) in ["tests", "failures", "errors"].into_iter().zip(totals) {
        if root.number(attribute).is_some_and(|n| n != total) {
            problems
                .push(format!("testsuites {attribute}={:?}, but {total} in its suites", root.attributes[attribute]));
        }
    }
}

#[test]
fn the_xsd_declares_the_junit_elements() {
    let rules = xsd_rules();
    let names: Vec<&str> = rules.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "error",
            "failure",
            "properties",
            "property",
            "skipped",
            "system-err",
            "system-out",
            "testcase",
            "testsuite",
            "testsuites"
        ]
    );
    let testcase = &rules["testcase"];
    assert!(testcase.attributes["classname"].required && testcase.attributes["name"].required);
    assert_eq!(testcase.children.first().map(|c| c.0.as_str()), Some("properties"), "{testcase:?}");
    assert_eq!(rules["testsuite"].children.first().map(|c| c.0.as_str()), Some("properties"));
    assert!(rules["system-out"].text && rules["failure"].text && !rules["testcase"].text);
}

#[test]
fn render_junit_validates_against_the_xsd() {
    let report = report();
    let verdicts: Vec<_> = report.scenarios.iter().map(|s| s.verdict).collect();
    for verdict in pens_report::Verdict::ALL {
        assert!(verdicts.contains(&verdict), "the fixture lacks {verdict}");
    }
    let xml = pens_report::render_junit(&report).expect("junit");
    let problems = validate(&xml, &xsd_rules());
    assert!(problems.is_empty(), "{problems:#?}\n{xml}");
    // What the document must carry: each scenario's requirements and sections as
    // test-case properties.
    for needed in [
        "<failure",
        "<error",
        "<skipped",
        r#"<property name="requirement" value="target.collect.post"/>"#,
        r#"<property name="section" value="CMI010 §6.3, App. A table A-2"/>"#,
    ] {
        assert!(xml.contains(needed), "{needed} missing:\n{xml}");
    }
    assert!(xml.contains(r#"<property name="target" value="http://127.0.0.1:1/pens"/>"#), "{xml}");
}

#[test]
fn the_validator_rejects_what_the_schema_does_not_allow() {
    let rules = xsd_rules();
    let cases = [
        (
            r#"<testsuites><testsuite name="s" tests="1" failures="0" errors="0"><testcase name="c" classname="k"><skipped/><properties><property name="a" value="b"/></properties></testcase></testsuite></testsuites>"#,
            "<properties>",
        ),
        (
            r#"<testsuites><testsuite name="s" tests="1" failures="0" errors="0"><testcase name="c"/></testsuite></testsuites>"#,
            "lacks the required attribute `classname`",
        ),
        (
            r#"<testsuites><testsuite name="s" tests="2" failures="0" errors="0"><testcase name="c" classname="k"/></testsuite></testsuites>"#,
            "tests=\"2\", but 1 test cases",
        ),
        (
            r#"<testsuites><testsuite name="s" tests="x" failures="0" errors="0" colour="red"/></testsuites>"#,
            "`colour`",
        ),
        (
            r#"<testsuites><testsuite name="s" tests="1" failures="0" errors="0"><testcase name="c" classname="k"><skipped type="t"/></testcase></testsuite></testsuites>"#,
            "<skipped> has attribute `type`",
        ),
        (
            r#"<testsuites><testsuite name="s" tests="0" failures="0" errors="0"/><testsuite name="t" tests="0" failures="0" errors="0"><properties/><properties/></testsuite><bogus/></testsuites>"#,
            "<bogus> is not an element",
        ),
    ];
    for (xml, expected) in cases {
        let problems = validate(xml, &rules);
        assert!(problems.iter().any(|p| p.contains(expected)), "{expected}: {problems:#?}");
    }
}
