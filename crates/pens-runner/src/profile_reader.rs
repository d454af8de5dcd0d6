//! Reading a profile's TOML into a [`Profile`], reporting every problem at once.
//!
//! A profile is read as scenario files are, and its problems read like theirs: the text
//! goes through pens-scenario's spanned TOML tree ([`pens_scenario::parse_toml_tree`]),
//! and each unknown key ("did you mean `url`?"), wrong type, unknown claim, number out of
//! its range ([`crate::profile_ranges`]) or unusable password setting becomes a
//! [`ScenarioError`] that [`pens_scenario::render_plain`] prints in rustc's layout. The
//! reader goes on past a problem, so a vendor fixes their profile in one pass instead of
//! one run per mistake. `serde`'s `deny_unknown_fields` stopped at the first.
//!
//! The quoted lines never show a password: the text the diagnostics quote has the value
//! of a `system-password` line, and the password of any URL, replaced by `*`, byte for
//! byte, so every span still holds.

use std::sync::Arc;
use std::time::Duration;

use pens_proto::{Support, TargetCapabilities};
use pens_scenario::{ScenarioError, ScenarioErrorKind, TomlKey, TomlNode, TomlNodeKind, did_you_mean};

use crate::endpoint::check_endpoint;
use crate::profile::Profile;
use crate::profile_ranges::{PROFILE_RANGES, Unit, range_of};
use crate::{Deadlines, Limits};

/// The sections of a profile, in file order.
const SECTIONS: [&str; 5] = ["target", "claims", "deadlines", "limits", "security"];

/// The keys of `[target]`.
const TARGET_KEYS: [&str; 5] = ["url", "name", "system-user-id", "system-password", "system-password-env"];

/// The keys of `[claims]`: the optional features of CMI010 a target may claim.
const CLAIM_KEYS: [&str; 8] =
    ["ftp", "ftps", "mailto-receipt", "mailto-alerts", "aicc-pkg", "scorm-pif", "ims-qti", "alerts"];

/// The values a claim takes.
const SUPPORT_VALUES: [&str; 3] = ["yes", "no", "unknown"];

/// The keys of `[security]`.
const SECURITY_KEYS: [&str; 2] = ["enforce", "max-package-bytes"];

/// Reads profile `text`, named `origin` in diagnostics, looking environment variables up
/// with `env`. Every problem of the file, in file order, when there is any. With
/// `endpoint`, `[target] url` is the URL the run sends its collects to, and is held to
/// [`check_endpoint`] with the other problems.
pub(crate) fn read_profile(
    text: &str,
    origin: &str,
    env: &dyn Fn(&str) -> Option<String>,
    endpoint: bool,
) -> Result<Profile, Vec<ScenarioError>> {
    let root = match pens_scenario::parse_toml_tree(text) {
        Ok(root) => root,
        Err(error) => return Err(vec![ScenarioError::toml_syntax(origin, quotable(text), &error)]),
    };
    let quoted = starred_values(&quotable(text), &root);
    let mut reader = Reader { origin, quoted, text, endpoint, problems: Vec::new() };
    let profile = reader.profile(&root, env);
    if reader.problems.is_empty() {
        Ok(profile)
    } else {
        let mut problems = reader.problems;
        problems.sort_by_key(|p| p.span().map_or(0, |s| s.start));
        Err(problems)
    }
}

/// `text` with the value of every `system-password = ...` line starred out, byte for
/// byte (so every span holds), for quoting in diagnostics: syntax errors included, which
/// come before any tree to find the value in.
fn quotable(text: &str) -> Arc<str> {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        // `system-password = `, `"system-password" = ` or `target.system-password = `.
        let value_at = line.split_once('=').and_then(|(written, _)| {
            let key = written.trim().trim_matches(['"', '\'']);
            key.ends_with("system-password").then_some(written.len() + 1)
        });
        match value_at {
            Some(at) => {
                let (key, value) = line.split_at(at);
                out.push_str(key);
                for c in value.chars() {
                    if c.is_whitespace() {
                        out.push(c);
                    } else {
                        out.extend(std::iter::repeat_n('*', c.len_utf8()));
                    }
                }
            }
            None => out.push_str(&starred_userinfo(line)),
        }
    }
    Arc::from(out)
}

/// `quoted` with the value of every `system-password` key of the tree starred out too,
/// wherever it is written (an inline table, `target = { system-password = "…" }`, which
/// the line-based [`quotable`] cannot see), byte for byte.
fn starred_values(quoted: &str, root: &TomlNode) -> Arc<str> {
    fn star(out: &mut Vec<u8>, node: &TomlNode) {
        let Some(entries) = table_entries(node) else { return };
        for (key, value) in entries {
            if key.name == "system-password" {
                for byte in out.get_mut(value.span.clone()).into_iter().flatten() {
                    // Whitespace and line ends stay, so every later span still points right;
                    // a multi-byte character becomes as many stars as its bytes.
                    if !byte.is_ascii_whitespace() {
                        *byte = b'*';
                    }
                }
            }
            star(out, value);
        }
    }
    let mut out = quoted.as_bytes().to_vec();
    star(&mut out, root);
    // Only whole characters were replaced by ASCII stars, byte for byte.
    Arc::from(String::from_utf8_lossy(&out).as_ref())
}

/// `line` with the password of every URL in it (`scheme://user:PASSWORD@host`) starred
/// out, byte for byte: a URL's password is as secret as `system-password`.
fn starred_userinfo(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        let authority_end = after.find(['/', '?', '#', '"', '\'', ' ']).unwrap_or(after.len());
        let authority = &after[..authority_end];
        match (authority.rfind('@'), authority.find(':')) {
            (Some(at_sign), Some(colon)) if colon < at_sign => {
                out.push_str(&authority[..=colon]);
                out.extend(std::iter::repeat_n('*', at_sign - colon - 1));
                out.push_str(&authority[at_sign..]);
            }
            _ => out.push_str(authority),
        }
        rest = &after[authority_end..];
    }
    out.push_str(rest);
    out
}

fn table_entries(node: &TomlNode) -> Option<&[(TomlKey, TomlNode)]> {
    match &node.kind {
        TomlNodeKind::Table(entries) => Some(entries),
        _ => None,
    }
}

/// Walks the tree, keeping every problem.
struct Reader<'a> {
    origin: &'a str,
    /// The text the diagnostics quote (its password starred out).
    quoted: Arc<str>,
    /// The text as written, for values shown in messages.
    text: &'a str,
    /// `[target] url` is where the run sends its collects: it must be an endpoint.
    endpoint: bool,
    problems: Vec<ScenarioError>,
}

/// The known keys of one table, each with its value.
struct Section<'n> {
    entries: Vec<(&'static str, &'n TomlNode)>,
}

impl<'n> Section<'n> {
    fn get(&self, key: &str) -> Option<&'n TomlNode> {
        self.entries.iter().find(|(k, _)| *k == key).map(|(_, node)| *node)
    }
}

impl Reader<'_> {
    fn report(&mut self, kind: ScenarioErrorKind, span: std::ops::Range<usize>, label: String, help: Option<String>) {
        let mut error = ScenarioError::in_text(kind, self.origin, Arc::clone(&self.quoted), span).with_label(label);
        if let Some(help) = help {
            error = error.with_help(help);
        }
        self.problems.push(error);
    }

    fn wrong_type(&mut self, field: String, expected: &'static str, node: &TomlNode) {
        let found = node.kind.describe();
        self.report(
            ScenarioErrorKind::WrongType { field, expected, found },
            node.span.clone(),
            format!("expected {expected}, found {found}"),
            None,
        );
    }

    /// The known keys of table `path` (`""`: the top level), reporting the others with
    /// the closest known one, as scenario files do.
    fn section<'n>(&mut self, path: &str, node: &'n TomlNode, known: &[&'static str]) -> Section<'n> {
        let Some(entries) = table_entries(node) else {
            self.wrong_type(path.to_owned(), "a table", node);
            return Section { entries: Vec::new() };
        };
        let mut found = Vec::new();
        for (key, value) in entries {
            match known.iter().find(|k| **k == key.name) {
                Some(name) => found.push((*name, value)),
                None => {
                    let suggestion = did_you_mean(&key.name, known.iter().copied());
                    let label = suggestion.map_or_else(|| "unknown key".to_owned(), |s| format!("did you mean `{s}`?"));
                    let help = if path.is_empty() {
                        format!("valid sections: {}", known.join(", "))
                    } else {
                        format!("valid keys in [{path}]: {}", known.join(", "))
                    };
                    let kind =
                        ScenarioErrorKind::UnknownKey { table: path.to_owned(), key: key.name.clone(), suggestion };
                    self.report(kind, key.span.clone(), label, Some(help));
                }
            }
        }
        Section { entries: found }
    }

    /// The top-level section `name`, empty when absent.
    fn top<'n>(&mut self, root: &Section<'n>, name: &str, known: &[&'static str]) -> Section<'n> {
        match root.get(name) {
            Some(node) => self.section(name, node, known),
            None => Section { entries: Vec::new() },
        }
    }

    fn string(&mut self, section: &str, table: &Section<'_>, key: &str) -> Option<(String, std::ops::Range<usize>)> {
        let node = table.get(key)?;
        match &node.kind {
            TomlNodeKind::String(value) => Some((value.clone(), node.span.clone())),
            _ => {
                self.wrong_type(format!("{section}.{key}"), "a string", node);
                None
            }
        }
    }

    fn profile(&mut self, root: &TomlNode, env: &dyn Fn(&str) -> Option<String>) -> Profile {
        let root = self.section("", root, &SECTIONS);
        let target = self.top(&root, "target", &TARGET_KEYS);
        let claims = self.top(&root, "claims", &CLAIM_KEYS);
        let deadline_keys: Vec<&'static str> = keys_of("deadlines");
        let deadlines = self.top(&root, "deadlines", &deadline_keys);
        let limit_keys: Vec<&'static str> = keys_of("limits");
        let limits = self.top(&root, "limits", &limit_keys);
        let security = self.top(&root, "security", &SECURITY_KEYS);

        // Checked as an endpoint only when the run sends its collects there: `--url` may
        // stand in for it, and client mode does not use it.
        let url = self.string("target", &target, "url");
        if let (true, Some((text, span))) = (self.endpoint, &url) {
            self.endpoint_url(text, span.clone());
        }
        let url = url.map(|(v, _)| v);
        let name = self.string("target", &target, "name").map(|(v, _)| v);
        let system_user_id = self.string("target", &target, "system-user-id").map(|(v, _)| v);
        let password = self.string("target", &target, "system-password");
        let variable = self.string("target", &target, "system-password-env");
        let system_password_env = variable.as_ref().map(|(name, _)| name.clone());
        let system_password = self.password(password, variable, env);

        let enforce_security = match security.get("enforce") {
            Some(TomlNode { kind: TomlNodeKind::Boolean(b), .. }) => *b,
            Some(node) => {
                self.wrong_type("security.enforce".to_owned(), "a boolean", node);
                false
            }
            None => false,
        };
        let max_package_bytes =
            security.get("max-package-bytes").and_then(|node| self.number("security", "max-package-bytes", node));

        Profile {
            url,
            name,
            system_user_id,
            system_password,
            system_password_env,
            claims: self.claims(&claims),
            deadlines: self.deadlines(&deadlines),
            limits: self.limits(&limits),
            enforce_security,
            max_package_bytes,
        }
    }

    /// `[target] url` as the run's endpoint: a problem at its value when no collect can
    /// be sent to it, in the words `--url` gets, its password hidden.
    fn endpoint_url(&mut self, text: &str, span: std::ops::Range<usize>) {
        let Err(problem) = check_endpoint(text) else { return };
        let shown = pens_proto::redact_userinfo(text);
        let message = format!("`[target] url` of the profile `{shown}` {problem}");
        let kind = ScenarioErrorKind::Rejected { field: "target.url".to_owned(), message };
        self.report(kind, span, problem.label().to_owned(), None);
    }

    /// The password: given, or read from the variable `system-password-env` names; not both.
    fn password(
        &mut self,
        password: Option<(String, std::ops::Range<usize>)>,
        variable: Option<(String, std::ops::Range<usize>)>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Option<String> {
        match (password, variable) {
            (Some(_), Some((_, span))) => {
                let message = "[target] gives both system-password and system-password-env; keep one".to_owned();
                let kind = ScenarioErrorKind::Rejected { field: "target.system-password-env".to_owned(), message };
                self.report(kind, span, "keep this or system-password".to_owned(), None);
                None
            }
            (Some((password, _)), None) => Some(password),
            (None, Some((variable, span))) => {
                let password = env(&variable);
                if password.is_none() {
                    let kind = ScenarioErrorKind::Rejected {
                        field: "target.system-password-env".to_owned(),
                        message: format!("[target] system-password-env names `{variable}`, which is not set"),
                    };
                    let help = format!("set `{variable}` in the environment of the run, or give system-password");
                    self.report(kind, span, "not set".to_owned(), Some(help));
                }
                password
            }
            (None, None) => None,
        }
    }

    fn claims(&mut self, table: &Section<'_>) -> TargetCapabilities {
        let mut claim = |key: &str| -> Support {
            let Some((value, span)) = self.string("claims", table, key) else { return Support::Unknown };
            match value.as_str() {
                "yes" => Support::Yes,
                "no" => Support::No,
                "unknown" => Support::Unknown,
                _ => {
                    let suggestion = did_you_mean(&value, SUPPORT_VALUES);
                    let label = suggestion.map_or_else(|| "not a claim".to_owned(), |s| format!("did you mean `{s}`?"));
                    let kind = ScenarioErrorKind::UnknownKeyword {
                        field: format!("claims.{key}"),
                        what: "claim",
                        value,
                        suggestion,
                    };
                    self.report(kind, span, label, Some(format!("expected one of: {}", SUPPORT_VALUES.join(", "))));
                    Support::Unknown
                }
            }
        };
        TargetCapabilities {
            ftp: claim("ftp"),
            ftps: claim("ftps"),
            mailto_receipt: claim("mailto-receipt"),
            mailto_alerts: claim("mailto-alerts"),
            aicc_pkg: claim("aicc-pkg"),
            scorm_pif: claim("scorm-pif"),
            ims_qti: claim("ims-qti"),
            alerts: claim("alerts"),
        }
    }

    fn deadlines(&mut self, table: &Section<'_>) -> Deadlines {
        let d = Deadlines::default();
        Deadlines {
            ack: self.ms("deadlines", table, "ack", d.ack),
            fetch: self.ms("deadlines", table, "fetch", d.fetch),
            receipt: self.ms("deadlines", table, "receipt", d.receipt),
            quiet: self.ms("deadlines", table, "quiet", d.quiet),
        }
    }

    fn limits(&mut self, table: &Section<'_>) -> Limits {
        let d = Limits::default();
        Limits {
            answer_bytes: self.number_or("limits", table, "answer-bytes", d.answer_bytes),
            header_count: self.count(table, "header-count", d.header_count),
            header_bytes: self.number_or("limits", table, "header-bytes", d.header_bytes),
            redirects: self.count(table, "redirects", d.redirects),
            package_bytes: self.number_or("limits", table, "package-bytes", d.package_bytes),
            zip_entries: self.count(table, "zip-entries", d.zip_entries),
            unpacked_bytes: self.number_or("limits", table, "unpacked-bytes", d.unpacked_bytes),
            notifications: self.count(table, "notifications", d.notifications),
            connections: self.count(table, "connections", d.connections),
            passive_listeners: self.count(table, "passive-listeners", d.passive_listeners),
            scenario_grace: self.ms("limits", table, "scenario-grace", d.scenario_grace),
        }
    }

    fn number_or(&mut self, section: &str, table: &Section<'_>, key: &str, default: u64) -> u64 {
        table.get(key).and_then(|node| self.number(section, key, node)).unwrap_or(default)
    }

    fn count(&mut self, table: &Section<'_>, key: &str, default: usize) -> usize {
        let n = self.number_or("limits", table, key, default as u64);
        usize::try_from(n).unwrap_or(usize::MAX)
    }

    fn ms(&mut self, section: &str, table: &Section<'_>, key: &str, default: Duration) -> Duration {
        let default = u64::try_from(default.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(self.number_or(section, table, key, default))
    }

    /// The number at `node`, held to the range of `[section] key` in
    /// [`PROFILE_RANGES`]: an integer, or for a size also a string of digits and a unit
    /// (`"64KiB"`). Out of range, negative, or not a number: a problem naming the key,
    /// the value as written and the range.
    fn number(&mut self, section: &str, key: &str, node: &TomlNode) -> Option<u64> {
        let spec = range_of(section, key);
        let read = match (spec.unit, &node.kind) {
            (_, TomlNodeKind::Integer(n)) => u64::try_from(*n).ok(),
            (Unit::Bytes, TomlNodeKind::String(text)) => pens_scenario::parse_size(text),
            _ => None,
        };
        let hint = spec.hint();
        let what = match spec.unit {
            Unit::Milliseconds => "a number of milliseconds",
            Unit::Bytes => "a size",
            Unit::Count => "a whole number",
        };
        let (problem, label) = match read {
            Some(n) if spec.range.contains(&n) => return Some(n),
            Some(0) => (format!("[{section}] {key} is 0; {hint}"), "0 is out of range".to_owned()),
            Some(n) => (format!("[{section}] {key}: {n} is out of range; {hint}"), "out of range".to_owned()),
            None => (format!("[{section}] {key}: {} is not {what}; {hint}", self.shown(node)), format!("not {what}")),
        };
        let kind = ScenarioErrorKind::Rejected { field: format!("{section}.{key}"), message: problem };
        self.report(kind, node.span.clone(), label, None);
        None
    }

    /// A value as written, for messages: at most 40 characters.
    fn shown(&self, node: &TomlNode) -> String {
        let text = self.text.get(node.span.clone()).unwrap_or("").lines().next().unwrap_or("").trim();
        if text.chars().count() > 40 {
            format!("{}…", text.chars().take(40).collect::<String>())
        } else {
            text.to_owned()
        }
    }
}

/// The keys of `section` that hold numbers, in file order.
fn keys_of(section: &str) -> Vec<&'static str> {
    PROFILE_RANGES.iter().filter(|n| n.section == section).map(|n| n.key).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<ScenarioError> {
        read_profile(text, "p.toml", &|name| (name == "PW").then(|| "from-env".to_owned()), false).expect_err(text)
    }

    fn rendered(text: &str) -> String {
        pens_scenario::render_plain_all(&problems(text))
    }

    #[test]
    fn a_misspelt_key_gets_did_you_mean_as_in_scenario_files() {
        let text = "[target]\nurll = \"http://lms/pens\"\n";
        assert_eq!(
            rendered(text),
            "error: unknown key `urll` in [target]\n --> p.toml:2:1\n  |\n2 | urll = \"http://lms/pens\"\n  | ^^^^ \
             did you mean `url`?\n  |\n  = help: valid keys in [target]: url, name, system-user-id, system-password, \
             system-password-env\n"
        );
        let section = problems("[claim]\nftp = \"no\"\n");
        assert_eq!(section.len(), 1);
        assert_eq!(section[0].label(), Some("did you mean `claims`?"));
        assert_eq!(section[0].to_string(), "unknown key `claim` at the top level");
        let limit = problems("[limits]\nconection = 3\n");
        assert_eq!(limit[0].label(), Some("did you mean `connections`?"));
        let claim = problems("[claims]\nftp = \"yse\"\n");
        assert_eq!(claim[0].label(), Some("did you mean `yes`?"));
    }

    /// Three different mistakes in three sections: all three are reported, in file
    /// order, each at its line and column, and nothing stops at the first.
    #[test]
    fn every_problem_is_reported_at_once_with_its_place() {
        let text = "[target]\nurl = 42\nnmae = \"LMS\"\n\n[claims]\nftps = \"maybe\"\n\n[deadlines]\nack = 0\n\n\
                    [limits]\nconnections = 9223372036854775807\nanswer-bytes = \"1 potato\"\n\n\
                    [security]\nenforce = \"yes\"\n";
        let found = problems(text);
        let places: Vec<String> = found
            .iter()
            .map(|p| {
                let span = p.span().expect("located");
                format!("{}:{} {}", span.line, span.col, p.kind().code())
            })
            .collect();
        assert_eq!(
            places,
            [
                "2:7 pens_scenario::wrong_type",
                "3:1 pens_scenario::unknown_key",
                "6:8 pens_scenario::unknown_keyword",
                "9:7 pens_scenario::rejected",
                "12:15 pens_scenario::rejected",
                "13:16 pens_scenario::rejected",
                "16:11 pens_scenario::wrong_type",
            ]
        );
        insta::assert_snapshot!(pens_scenario::render_plain_all(&found));
    }

    /// A `[target] url` the run would send its collects to but cannot is reported with
    /// the file's other problems, at its value, its password hidden in the message and
    /// in the quoted line. When `--url` stands in for it (not an endpoint), it is text.
    #[test]
    fn an_endpoint_url_no_collect_can_reach_is_reported_with_the_others_at_its_line() {
        let text = "[target]\nurl = \"ftp://user:hunter2@lms.example/pens\"\nnmae = \"LMS\"\n";
        let env = |_: &str| None;
        let found = read_profile(text, "p.toml", &env, true).expect_err("two problems");
        let places: Vec<String> = found
            .iter()
            .map(|p| {
                let span = p.span().expect("located");
                format!("{}:{} {}", span.line, span.col, p.kind().code())
            })
            .collect();
        assert_eq!(places, ["2:7 pens_scenario::rejected", "3:1 pens_scenario::unknown_key"]);
        let shown = pens_scenario::render_plain_all(&found);
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(
            shown.contains(
                "error: `[target] url` of the profile `ftp://user:[redacted]@lms.example/pens` is not an http or \
                 https URL (scheme `ftp`)"
            ),
            "{shown}"
        );
        assert!(shown.contains("2 | url = \"ftp://user:*******@lms.example/pens\""), "{shown}");
        assert_eq!(found[0].label(), Some("not an http or https URL"));
        for (url, label) in [("not a url", "not a URL"), ("http://", "not a URL")] {
            let text = format!("[target]\nurl = \"{url}\"\n");
            let found = read_profile(&text, "p.toml", &env, true).expect_err(url);
            assert_eq!(found.iter().map(|p| p.label()).collect::<Vec<_>>(), [Some(label)], "{url}");
        }
        // Read as text, it is what it says: `--url` stands in for it, or client mode
        // does not use it.
        let profile = read_profile(text.split("nmae").next().unwrap_or(text), "p.toml", &env, false).expect("text");
        assert_eq!(profile.url.as_deref(), Some("ftp://user:hunter2@lms.example/pens"));
        let good = read_profile("[target]\nurl = \"https://lms.example/pens\"\n", "p.toml", &env, true);
        assert_eq!(good.expect("an endpoint").url.as_deref(), Some("https://lms.example/pens"));
    }

    /// Diagnostics quote lines of the file, but never the password: its characters are
    /// starred out, and the spans after it still point right.
    #[test]
    fn a_password_in_an_inline_table_is_never_quoted() {
        let text = "target = { url = \"http://h/p\", system-password = \"hünter2\", bogus = 1 }\n";
        let shown = rendered(text);
        assert!(shown.contains("unknown key `bogus`"), "{shown}");
        assert!(!shown.contains("nter2") && shown.contains("system-password = **********,"), "{shown}");
    }

    #[test]
    fn the_password_is_never_quoted() {
        let text = "[target]\nsystem-password = \"hunter2\" ; url = 1\nsystem-password-env = \"PW\"\n";
        let syntax = rendered(text);
        assert!(!syntax.contains("hunter2") && syntax.contains("system-password = ********* "), "{syntax}");
        let text = "[target]\nsystem-password = \"hunter2\"\nsystem-password-env = \"PW\"\n[limits]\nredirects = 0\n";
        let output = rendered(text);
        assert!(!output.contains("hunter2"), "{output}");
        assert!(output.contains("keep one") && output.contains("5 | redirects = 0"), "{output}");
        let dotted = rendered("target.system-password = \"hunter2\"\ntarget.url = 1\n");
        assert!(!dotted.contains("hunter2") && dotted.contains("2 | target.url = 1"), "{dotted}");
        let url =
            rendered("[target]\nurl = 1 # \"ftp://user:hunter2@lms.example/pens\"\nnmae = \"https://u:hunter2@x/\"\n");
        assert!(!url.contains("hunter2"), "{url}");
        assert!(url.contains("2 | url = 1 # \"ftp://user:*******@lms.example/pens\""), "{url}");
        assert!(url.contains("3 | nmae = \"https://u:*******@x/\""), "{url}");
        let text = "[target]\nsystem-password = { value = \"hunter2\" }\n";
        let output = rendered(text);
        assert!(output.contains("expected a string, found a table"), "{output}");
    }

    /// A valid profile reads as the serde loader read it: the fuzz seeds, value by value.
    #[test]
    fn the_seed_profiles_read_as_before() {
        let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/profile");
        let env = |name: &str| (name == "PW").then(|| "secret".to_owned());
        let full = std::fs::read_to_string(seeds.join("full.toml")).expect("full.toml");
        let full = read_profile(&full, "full.toml", &env, true).expect("valid");
        assert_eq!(full.url.as_deref(), Some("https://lms.example/pens/collect"));
        assert_eq!(full.name.as_deref(), Some("Example LMS 5.2"));
        assert_eq!(full.system_user_id.as_deref(), Some("pens-publisher"));
        assert_eq!(full.system_password.as_deref(), Some("secret"));
        assert_eq!(full.system_password_env.as_deref(), Some("PW"));
        let claims = TargetCapabilities {
            ftp: Support::No,
            ftps: Support::Yes,
            mailto_receipt: Support::Unknown,
            alerts: Support::Yes,
            ..TargetCapabilities::default()
        };
        assert_eq!(full.claims, claims);
        let ms = Duration::from_millis;
        let deadlines = Deadlines { ack: ms(10_000), fetch: ms(10_000), receipt: ms(30_000), quiet: ms(0) };
        assert_eq!(full.deadlines, deadlines);
        assert_eq!(full.limits, Limits::default());
        assert!(!full.enforce_security);
        assert_eq!(full.max_package_bytes, None);
        let limits = std::fs::read_to_string(seeds.join("limits.toml")).expect("limits.toml");
        let limits = read_profile(&limits, "limits.toml", &env, false).expect("valid");
        let expected = Limits { package_bytes: 256 << 20, ..Limits::default() };
        assert_eq!(limits.limits, expected);
        assert_eq!(read_profile("", "empty.toml", &env, true).expect("empty"), Profile::default());
    }
}
