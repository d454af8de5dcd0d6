//! The implementation profile: a TOML file a vendor fills in once, naming the target,
//! its credentials, the optional features it claims, the deadlines to apply and the
//! limits the harness holds the implementation to.
//!
//! ```toml
//! [target]
//! url = "https://lms.example/pens/collect"
//! name = "Example LMS 5.2"
//! system-user-id = "pens-publisher"
//! system-password-env = "LMS_PENS_PASSWORD"   # read from the environment, never stored
//!
//! [claims]            # yes | no | unknown (default: the run discovers it)
//! ftp = "no"
//! ftps = "no"
//! mailto-receipt = "no"
//! mailto-alerts = "no"
//! alerts = "yes"      # it sends alerts (they are optional)
//!
//! [deadlines]         # milliseconds
//! ack = 10000
//! fetch = 10000
//! receipt = 30000
//! quiet = 1500
//!
//! [limits]            # what the harness takes from the implementation; defaults shown
//! answer-bytes = "1MiB"       # sizes: bytes, or a string with B, KiB, MiB or GiB
//! header-count = 100
//! header-bytes = "64KiB"
//! redirects = 5
//! package-bytes = "256MiB"
//! zip-entries = 10000
//! unpacked-bytes = "1GiB"
//! notifications = 100
//! connections = 256
//! passive-listeners = 64
//! scenario-grace = 5000       # milliseconds
//! ```
//!
//! [`Profile::parse`] takes any text and returns a profile or a [`ProfileError`] holding
//! every problem of the file at once, each located like a scenario file's (an unknown
//! key gets "did you mean", as in scenario files): rendered by
//! [`pens_scenario::render_plain`], or as text one line each
//! (`profile FILE:LINE:COLUMN: [limits] answer-bytes is 0; ...`). Every number is held
//! to its range ([`crate::profile_ranges`]: deadlines up to an hour, ...), so that no
//! profile can make a run wait for ever or the harness overflow. It never panics: a
//! profile is written by hand, and `fuzz/fuzz_targets/profile.rs` holds it to that.
//! [`Profile::public_toml`] writes the profile back without its password, for the
//! certification bundle; it reads back to the same profile.

use std::path::{Path, PathBuf};
use std::time::Duration;

use pens_proto::{Support, TargetCapabilities};
use pens_scenario::ScenarioError;

use crate::profile_reader::read_profile;
use crate::{Deadlines, Limits};

/// A parsed profile. Secrets are resolved but never printed (`Debug` hides them).
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Profile {
    /// `[target] url`: the PENS endpoint.
    pub url: Option<String>,
    /// `[target] name`, for reports.
    pub name: Option<String>,
    /// `[target] system-user-id`.
    pub system_user_id: Option<String>,
    /// `[target] system-password`, or the value of the variable
    /// `system-password-env` names. Never printed.
    pub system_password: Option<String>,
    /// The environment variable the password came from (a name, not a secret).
    pub system_password_env: Option<String>,
    /// `[claims]`.
    pub claims: TargetCapabilities,
    /// `[deadlines]`.
    pub deadlines: Deadlines,
    /// `[limits]`.
    pub limits: Limits,
    /// `[security] enforce`: the `security` scenarios fail instead of warning (as
    /// `--enforce-security` does).
    pub enforce_security: bool,
    /// `[security] max-package-bytes`: the largest package the LMS takes, which
    /// `security-oversized-package` goes beyond (as `--max-package-bytes` does).
    pub max_package_bytes: Option<u64>,
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profile")
            .field("url", &self.url)
            .field("name", &self.name)
            .field("system_user_id", &self.system_user_id)
            .field("system_password", &self.system_password.as_ref().map(|_| pens_proto::REDACTED))
            .field("system_password_env", &self.system_password_env)
            .field("claims", &self.claims)
            .field("deadlines", &self.deadlines)
            .field("limits", &self.limits)
            .finish()
    }
}

/// Why a profile cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// The file cannot be read.
    #[error("cannot read profile {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a usable profile: every problem of it, in file order (a TOML
    /// syntax error alone, since nothing past it can be read). Each is a diagnostic
    /// with its place that [`pens_scenario::render_plain`] prints as it prints a
    /// scenario file's. As text, one line per problem: `profile FILE:LINE:COLUMN: ...`.
    #[error("{}", one_line_each(origin, problems))]
    Invalid {
        /// The file, as named.
        origin: String,
        /// What is wrong, where, and what to write instead.
        problems: Vec<ScenarioError>,
    },
}

impl ProfileError {
    /// The located problems, for printing in rustc's layout; empty when the file could
    /// not be read.
    pub fn problems(&self) -> &[ScenarioError] {
        match self {
            ProfileError::Invalid { problems, .. } => problems,
            ProfileError::Read { .. } => &[],
        }
    }
}

/// `profile p.toml:2:16: [limits] answer-bytes is 0; ...`, one line per problem.
fn one_line_each(origin: &str, problems: &[ScenarioError]) -> String {
    let line = |problem: &ScenarioError| match problem.span() {
        Some(span) => format!("profile {origin}:{}:{}: {problem}", span.line, span.col),
        None => format!("profile {origin}: {problem}"),
    };
    problems.iter().map(line).collect::<Vec<_>>().join("\n")
}

/// `1048576` as `"1MiB"`: the largest unit that divides it, or plain bytes (as a string
/// with `B` beyond what a TOML integer holds).
fn format_size(bytes: u64) -> toml::Value {
    match pens_scenario::SIZE_UNITS.iter().find(|(_, factor)| *factor > 1 && bytes.is_multiple_of(*factor)) {
        Some((unit, factor)) => toml::Value::String(format!("{}{unit}", bytes / factor)),
        None => match i64::try_from(bytes) {
            Ok(bytes) => toml::Value::Integer(bytes),
            Err(_) => toml::Value::String(format!("{bytes}B")),
        },
    }
}

impl Profile {
    /// Reads and checks a profile file. Errors name the file, line and field.
    pub fn load(path: &Path) -> Result<Profile, ProfileError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ProfileError::Read { path: path.to_owned(), source })?;
        Profile::parse(&text, &path.display().to_string(), |name| std::env::var(name).ok())
    }

    /// Like [`Profile::load`], for a run that sends its collects to `[target] url`: that
    /// URL must then be one a collect can be sent to ([`crate::check_endpoint`]), and
    /// when it is not, it is reported with the file's other problems, at its line.
    pub fn load_as_endpoint(path: &Path) -> Result<Profile, ProfileError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ProfileError::Read { path: path.to_owned(), source })?;
        Profile::parse_as_endpoint(&text, &path.display().to_string(), |name| std::env::var(name).ok())
    }

    /// Parses profile text named `origin` (for messages); `env` looks environment
    /// variables up (`system-password-env`). Reports every problem of the text, not
    /// only the first (see `profile_reader.rs`). Never panics. `[target] url` is read as
    /// text: `--url` may stand in for it (see [`Profile::parse_as_endpoint`]).
    pub fn parse(text: &str, origin: &str, env: impl Fn(&str) -> Option<String>) -> Result<Profile, ProfileError> {
        read_profile(text, origin, &env, false)
            .map_err(|problems| ProfileError::Invalid { origin: origin.to_owned(), problems })
    }

    /// Like [`Profile::parse`], holding `[target] url` to what a collect can be sent to,
    /// as [`Profile::load_as_endpoint`] does.
    pub fn parse_as_endpoint(
        text: &str,
        origin: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Profile, ProfileError> {
        read_profile(text, origin, &env, true)
            .map_err(|problems| ProfileError::Invalid { origin: origin.to_owned(), problems })
    }

    /// The profile as TOML without its secret: `system-password` is left out (a
    /// `system-password-env` stays, it only names a variable). For the certification
    /// bundle, so a certifier sees what was claimed and which deadlines and limits
    /// applied. It parses back to this profile (less a `system-password`).
    pub fn public_toml(&self) -> String {
        let mut target = toml::Table::new();
        // The URL without the password of its userinfo: that is a secret as much as
        // `system-password` is.
        let url = self.url.as_deref().map(pens_proto::redact_userinfo);
        let strings = [
            ("url", &url),
            ("name", &self.name),
            ("system-user-id", &self.system_user_id),
            ("system-password-env", &self.system_password_env),
        ];
        for (key, value) in strings {
            if let Some(value) = value {
                target.insert(key.to_owned(), toml::Value::String(value.clone()));
            }
        }
        let support = |s: Support| {
            toml::Value::String(match s {
                Support::Yes => "yes".to_owned(),
                Support::No => "no".to_owned(),
                Support::Unknown => "unknown".to_owned(),
            })
        };
        let c = &self.claims;
        let claims: toml::Table = [
            ("ftp", c.ftp),
            ("ftps", c.ftps),
            ("mailto-receipt", c.mailto_receipt),
            ("mailto-alerts", c.mailto_alerts),
            ("aicc-pkg", c.aicc_pkg),
            ("scorm-pif", c.scorm_pif),
            ("ims-qti", c.ims_qti),
            ("alerts", c.alerts),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_owned(), support(value)))
        .collect();
        let d = &self.deadlines;
        let ms = |d: Duration| toml::Value::Integer(i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let deadlines: toml::Table = [("ack", d.ack), ("fetch", d.fetch), ("receipt", d.receipt), ("quiet", d.quiet)]
            .into_iter()
            .map(|(key, value)| (key.to_owned(), ms(value)))
            .collect();
        let l = &self.limits;
        let count = |n: usize| toml::Value::Integer(i64::try_from(n).unwrap_or(i64::MAX));
        let limits: toml::Table = [
            ("answer-bytes", format_size(l.answer_bytes)),
            ("header-count", count(l.header_count)),
            ("header-bytes", format_size(l.header_bytes)),
            ("redirects", count(l.redirects)),
            ("package-bytes", format_size(l.package_bytes)),
            ("zip-entries", count(l.zip_entries)),
            ("unpacked-bytes", format_size(l.unpacked_bytes)),
            ("notifications", count(l.notifications)),
            ("connections", count(l.connections)),
            ("passive-listeners", count(l.passive_listeners)),
            ("scenario-grace", ms(l.scenario_grace)),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect();
        let mut file = toml::Table::new();
        file.insert("target".to_owned(), toml::Value::Table(target));
        file.insert("claims".to_owned(), toml::Value::Table(claims));
        file.insert("deadlines".to_owned(), toml::Value::Table(deadlines));
        file.insert("limits".to_owned(), toml::Value::Table(limits));
        let mut security = toml::Table::new();
        security.insert("enforce".to_owned(), toml::Value::Boolean(self.enforce_security));
        if let Some(bytes) = self.max_package_bytes {
            security
                .insert("max-package-bytes".to_owned(), toml::Value::Integer(i64::try_from(bytes).unwrap_or(i64::MAX)));
        }
        file.insert("security".to_owned(), toml::Value::Table(security));
        file.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Profile, ProfileError> {
        Profile::parse(text, "p.toml", |name| (name == "PW").then(|| "from-env".to_owned()))
    }

    #[test]
    fn a_full_profile_is_read() {
        let profile = parse(
            "[target]\nurl = \"http://lms/pens\"\nsystem-user-id = \"u\"\nsystem-password-env = \"PW\"\n\
             [claims]\nftp = \"yes\"\nmailto-receipt = \"no\"\n[deadlines]\nack = 500\n",
        )
        .expect("valid");
        assert_eq!(profile.url.as_deref(), Some("http://lms/pens"));
        assert_eq!(profile.system_password.as_deref(), Some("from-env"));
        assert_eq!(profile.claims.ftp, Support::Yes);
        assert_eq!(profile.claims.mailto_receipt, Support::No);
        assert_eq!(profile.claims.ftps, Support::Unknown);
        assert_eq!(profile.deadlines.ack, Duration::from_millis(500));
        assert_eq!(profile.deadlines.receipt, Deadlines::default().receipt);
        assert_eq!(profile.limits, Limits::default());
        assert!(!format!("{profile:?}").contains("from-env"), "password in Debug");
    }

    #[test]
    fn limits_are_read_with_sizes_in_bytes_or_units() {
        let profile = parse(
            "[limits]\nanswer-bytes = \"2MiB\"\nheader-count = 20\nheader-bytes = 4096\nredirects = 1\n\
             package-bytes = \"1 GiB\"\nzip-entries = 50\nunpacked-bytes = \"512KiB\"\nnotifications = 3\n\
             connections = 4\npassive-listeners = 2\nscenario-grace = 250\n",
        )
        .expect("valid");
        let expected = Limits {
            answer_bytes: 2 << 20,
            header_count: 20,
            header_bytes: 4096,
            redirects: 1,
            package_bytes: 1 << 30,
            zip_entries: 50,
            unpacked_bytes: 512 << 10,
            notifications: 3,
            connections: 4,
            passive_listeners: 2,
            scenario_grace: Duration::from_millis(250),
        };
        assert_eq!(profile.limits, expected);
        // Unset keys keep their defaults.
        let partial = parse("[limits]\nredirects = 2\n").expect("valid");
        assert_eq!(partial.limits, Limits { redirects: 2, ..Limits::default() });
    }

    #[test]
    fn bad_limits_name_the_key_line_and_column() {
        let cases = [
            ("[limits]\nanswer-bytes = 0\n", "profile p.toml:2:16: [limits] answer-bytes is 0; give a size from 1"),
            (
                "[limits]\nheader-bytes = \"1 potato\"\n",
                "profile p.toml:2:16: [limits] header-bytes: \"1 potato\" is not a size",
            ),
            (
                "[limits]\nredirects = 0\n",
                "profile p.toml:2:13: [limits] redirects is 0; give a whole number from 1 to 100",
            ),
            (
                "[limits]\nzip-entries = -3\n",
                "profile p.toml:2:15: [limits] zip-entries: -3 is not a whole number; give a whole number from 1",
            ),
            ("[limits]\nconnections = \"many\"\n", "[limits] connections: \"many\" is not a whole number"),
            ("[limits]\nscenario-grace = 0\n", "[limits] scenario-grace is 0; give milliseconds from 1 to 3600000"),
            ("[limits]\nnotifications = 1.5\n", "[limits] notifications: 1.5 is not a whole number"),
            ("[limits]\npackage-bytes = -5\n", "[limits] package-bytes: -5 is not a size"),
        ];
        for (text, expected) in cases {
            let error = parse(text).expect_err(text).to_string();
            assert!(error.contains(expected), "{text}: {error}");
            assert!(error.starts_with("profile p.toml:"), "{text}: {error}");
        }
        let unknown = parse("[limits]\nanswer-byte = 5\n").expect_err("unknown key").to_string();
        assert_eq!(unknown, "profile p.toml:2:1: unknown key `answer-byte` in [limits]");
    }

    #[test]
    fn the_public_profile_keeps_everything_but_the_password_and_reads_back() {
        for text in [
            "[target]\nurl = \"http://lms/pens\"\nsystem-password-env = \"PW\"\n[claims]\nftp = \"yes\"\n[deadlines]\nack = 500\n",
            "[target]\nurl = \"http://lms/pens\"\nsystem-password = \"from-env\"\n[claims]\nftp = \"yes\"\n[deadlines]\nack = 500\n",
            "[limits]\nanswer-bytes = 1000\nheader-bytes = \"3KiB\"\nscenario-grace = 1\nconnections = 7\n",
            "[limits]\npackage-bytes = \"64GiB\"\nunpacked-bytes = \"1099511627775\"\n",
        ] {
            let profile = parse(text).expect("valid");
            let public = profile.public_toml();
            assert!(!public.contains("from-env"), "{public}");
            assert!(!public.contains("system-password ="), "{public}");
            let again = parse(&public).expect("the public profile is a profile");
            let without_password = |p: &Profile| Profile {
                system_password: p.system_password_env.as_ref().and(p.system_password.clone()),
                ..p.clone()
            };
            assert_eq!(again, without_password(&profile), "{public}");
        }
        let public = parse("").expect("empty").public_toml();
        assert!(public.contains("answer-bytes = \"1MiB\"") && public.contains("zip-entries = 10000"), "{public}");
    }

    #[test]
    fn errors_name_the_file_line_and_field() {
        let cases = [
            ("[claims]\nftp = \"maybe\"\n", "p.toml"),
            ("[target]\nurll = \"x\"\n", "unknown key `urll` in [target]"),
            ("[deadlines]\nack = 0\n", "ack is 0"),
            ("[target]\nsystem-password-env = \"NOPE\"\n", "`NOPE`, which is not set"),
            ("[target]\nsystem-password = \"a\"\nsystem-password-env = \"PW\"\n", "both"),
        ];
        for (text, expected) in cases {
            let error = parse(text).expect_err(text).to_string();
            assert!(error.contains(expected), "{text}: {error}");
            assert!(error.contains("p.toml"), "{text}: {error}");
        }
        let error = parse("[claims]\nftp = \"maybe\"\n").expect_err("bad").to_string();
        assert_eq!(error, "profile p.toml:2:7: unknown claim `maybe`");
    }

    /// The hand-written `schemas/profile.schema.json` knows exactly the keys the code
    /// writes (and reads): every section and key of `public_toml`, plus
    /// `system-password`, which it leaves out.
    #[test]
    fn the_schema_knows_every_key_of_the_code() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/profile.schema.json");
        let schema: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("the schema")).expect("json");
        let public: toml::Table = toml::from_str(
            &parse("[target]\nurl = \"u\"\nname = \"n\"\nsystem-user-id = \"i\"\nsystem-password-env = \"PW\"\n")
                .expect("valid")
                .public_toml(),
        )
        .expect("toml");
        let sections: Vec<&String> = public.keys().collect();
        let schema_sections: Vec<&String> = schema["properties"].as_object().expect("properties").keys().collect();
        assert_eq!(sorted(&sections), sorted(&schema_sections));
        for (section, keys) in &public {
            let mut keys: Vec<String> = keys.as_table().expect("a table").keys().cloned().collect();
            if section == "target" {
                keys.push("system-password".to_owned());
            }
            // An optional value, written back only when set.
            if section == "security" && !keys.iter().any(|k| k == "max-package-bytes") {
                keys.push("max-package-bytes".to_owned());
            }
            let known: Vec<String> =
                schema["properties"][section]["properties"].as_object().expect("keys").keys().cloned().collect();
            assert_eq!(sorted(&keys), sorted(&known), "[{section}]");
        }
    }

    /// Every number of the profile, from [`PROFILE_RANGES`](crate::profile_ranges::PROFILE_RANGES):
    /// its bounds are accepted; one past them, `i64::MAX` (the value that once panicked
    /// tokio's semaphore for `connections` and made `ack` wait for ever) and a negative
    /// number are refused with the file, line, column, key and range.
    #[test]
    fn every_number_is_held_to_its_range() {
        use crate::profile_ranges::{PROFILE_RANGES, Unit};
        for number in &PROFILE_RANGES {
            let (section, key) = (number.section, number.key);
            let text = |value: String| format!("[{section}]\n{key} = {value}\n");
            for bound in [*number.range.start(), *number.range.end()] {
                parse(&text(bound.to_string())).unwrap_or_else(|e| panic!("[{section}] {key} = {bound}: {e}"));
                if number.unit == Unit::Bytes && bound > 0 {
                    parse(&text(format!("\"{bound}B\""))).unwrap_or_else(|e| panic!("[{section}] {key}: {e}"));
                }
            }
            let mut refused = vec![(number.range.end() + 1).to_string(), i64::MAX.to_string(), "-1".to_owned()];
            if let Some(below) = number.range.start().checked_sub(1) {
                refused.push(below.to_string());
            }
            if number.unit == Unit::Bytes {
                refused.push(format!("\"{}B\"", number.range.end() + 1));
                refused.push("\"17179869184GiB\"".to_owned());
            }
            for value in refused {
                let error = parse(&text(value.clone())).expect_err(&format!("[{section}] {key} = {value}")).to_string();
                let place = format!("profile p.toml:2:{}: [{section}] {key}", key.len() + 4);
                assert!(error.starts_with(&place), "[{section}] {key} = {value}: {error}");
                assert!(error.ends_with(&number.hint()), "[{section}] {key} = {value}: {error}");
            }
        }
    }

    /// `schemas/profile.schema.json` gives editors the same ranges the loader applies:
    /// every integer of the schema (a size's integer form too) is in
    /// [`PROFILE_RANGES`](crate::profile_ranges::PROFILE_RANGES) with its `minimum` and
    /// `maximum`, and every range is in the schema.
    #[test]
    fn the_schema_gives_every_number_its_range() {
        use crate::profile_ranges::PROFILE_RANGES;
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/profile.schema.json");
        let schema: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("the schema")).expect("json");
        let mut found = Vec::new();
        for (section, body) in schema["properties"].as_object().expect("sections") {
            for (key, property) in body["properties"].as_object().expect("keys") {
                let integer = std::iter::once(property)
                    .chain(property["oneOf"].as_array().into_iter().flatten())
                    .find(|p| p["type"] == "integer");
                let Some(integer) = integer else { continue };
                let number = PROFILE_RANGES
                    .iter()
                    .find(|n| n.section == section && n.key == key)
                    .unwrap_or_else(|| panic!("[{section}] {key} is a number of the schema without a range"));
                let bounds = (integer["minimum"].as_u64(), integer["maximum"].as_u64());
                assert_eq!(bounds, (Some(*number.range.start()), Some(*number.range.end())), "[{section}] {key}");
                found.push((section.clone(), key.clone()));
            }
        }
        for number in &PROFILE_RANGES {
            assert!(
                found.iter().any(|(s, k)| s == number.section && k == number.key),
                "[{}] {} has a range but no integer in the schema",
                number.section,
                number.key
            );
        }
    }

    fn sorted<T: Clone + Ord>(items: &[T]) -> Vec<T> {
        let mut items = items.to_vec();
        items.sort();
        items
    }

    #[test]
    fn the_security_section_is_read_and_written_back() {
        let text = "[security]\nenforce = true\nmax-package-bytes = 1048576\n";
        let profile = Profile::parse(text, "p.toml", |_| None).expect("a valid profile");
        assert!(profile.enforce_security);
        assert_eq!(profile.max_package_bytes, Some(1_048_576));
        let again = Profile::parse(&profile.public_toml(), "again.toml", |_| None).expect("reads back");
        assert!(again.enforce_security);
        assert_eq!(again.max_package_bytes, Some(1_048_576));
        assert!(!Profile::parse("", "p.toml", |_| None).expect("empty").enforce_security);
        let zero = Profile::parse("[security]\nmax-package-bytes = 0\n", "p.toml", |_| None).expect_err("zero");
        assert!(zero.to_string().starts_with("profile p.toml:2:21: [security] max-package-bytes is 0"), "{zero}");
    }
}
