//! The implementation profile: a TOML file a vendor fills in once, naming the target,
//! its credentials, the optional features it claims and the deadlines to apply.
//!
//! ```toml
//! [target]
//! url = "https://lms.example/pens/collect"
//! name = "Example LMS 5.2"
//! system-user-id = "pens-publisher"
//! system-password-env = "LMS_PENS_PASSWORD"   # read from the environment, never stored
//!
//! [claims]            # yes | no | unknown (default)
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
//! ```

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use pens_proto::{Support, TargetCapabilities};
use pens_runner::Deadlines;
use serde::Deserialize;

/// A parsed profile. Secrets are resolved but never printed (`Debug` hides them).
#[derive(Clone, Default)]
pub(crate) struct Profile {
    pub(crate) url: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) system_user_id: Option<String>,
    pub(crate) system_password: Option<String>,
    /// The environment variable the password came from (a name, not a secret).
    pub(crate) system_password_env: Option<String>,
    pub(crate) claims: TargetCapabilities,
    pub(crate) deadlines: Deadlines,
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
            .finish()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    #[serde(default)]
    target: TargetSection,
    #[serde(default)]
    claims: ClaimsSection,
    #[serde(default)]
    deadlines: DeadlinesSection,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct TargetSection {
    url: Option<String>,
    name: Option<String>,
    system_user_id: Option<String>,
    system_password: Option<toml::Spanned<String>>,
    system_password_env: Option<toml::Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct ClaimsSection {
    #[serde(default)]
    ftp: Support,
    #[serde(default)]
    ftps: Support,
    #[serde(default)]
    mailto_receipt: Support,
    #[serde(default)]
    mailto_alerts: Support,
    #[serde(default)]
    aicc_pkg: Support,
    #[serde(default)]
    scorm_pif: Support,
    #[serde(default)]
    ims_qti: Support,
    #[serde(default)]
    alerts: Support,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeadlinesSection {
    ack: Option<toml::Spanned<u64>>,
    fetch: Option<toml::Spanned<u64>>,
    receipt: Option<toml::Spanned<u64>>,
    quiet: Option<toml::Spanned<u64>>,
}

impl Profile {
    /// Reads and checks a profile file. Errors name the file, line and field.
    pub(crate) fn load(path: &Path) -> anyhow::Result<Profile> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read profile {}", path.display()))?;
        Profile::parse(&text, &path.display().to_string(), |name| std::env::var(name).ok())
    }

    /// Parses profile text; `env` looks environment variables up (injected for tests).
    pub(crate) fn parse(text: &str, origin: &str, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Profile> {
        let file: ProfileFile = toml::from_str(text).map_err(|e| anyhow::anyhow!("profile {origin}: {e}"))?;
        let target = file.target;
        // Checks past the TOML syntax name the line and column of the value at fault.
        let at = |span: std::ops::Range<usize>| {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("profile {origin}:{line}:{column}")
        };
        let system_password_env = target.system_password_env.as_ref().map(|v| v.get_ref().clone());
        let system_password = match (target.system_password, target.system_password_env) {
            (Some(_), Some(variable)) => {
                bail!("{}: [target] gives both system-password and system-password-env; keep one", at(variable.span()))
            }
            (Some(password), None) => Some(password.into_inner()),
            (None, Some(variable)) => {
                let place = at(variable.span());
                let variable = variable.into_inner();
                Some(env(&variable).with_context(|| {
                    format!("{place}: [target] system-password-env names `{variable}`, which is not set")
                })?)
            }
            (None, None) => None,
        };
        let deadlines_file = file.deadlines;
        for (name, value) in
            [("ack", &deadlines_file.ack), ("fetch", &deadlines_file.fetch), ("receipt", &deadlines_file.receipt)]
        {
            if let Some(value) = value.as_ref().filter(|v| *v.get_ref() == 0) {
                bail!("{}: [deadlines] {name} is 0; give milliseconds greater than 0", at(value.span()));
            }
        }
        let defaults = Deadlines::default();
        let ms = |value: Option<toml::Spanned<u64>>, default: Duration| {
            value.map_or(default, |v| Duration::from_millis(v.into_inner()))
        };
        let deadlines = Deadlines {
            ack: ms(deadlines_file.ack, defaults.ack),
            fetch: ms(deadlines_file.fetch, defaults.fetch),
            receipt: ms(deadlines_file.receipt, defaults.receipt),
            quiet: ms(deadlines_file.quiet, defaults.quiet),
        };
        let claims = file.claims;
        Ok(Profile {
            url: target.url,
            name: target.name,
            system_user_id: target.system_user_id,
            system_password,
            system_password_env,
            claims: TargetCapabilities {
                ftp: claims.ftp,
                ftps: claims.ftps,
                mailto_receipt: claims.mailto_receipt,
                mailto_alerts: claims.mailto_alerts,
                aicc_pkg: claims.aicc_pkg,
                scorm_pif: claims.scorm_pif,
                ims_qti: claims.ims_qti,
                alerts: claims.alerts,
            },
            deadlines,
        })
    }
}

impl Profile {
    /// The profile as TOML without its secret: `system-password` is left out (a
    /// `system-password-env` stays, it only names a variable). For the certification
    /// bundle, so a certifier sees what was claimed and which deadlines applied.
    pub(crate) fn public_toml(&self) -> String {
        let mut target = toml::Table::new();
        let strings = [
            ("url", &self.url),
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
        let mut file = toml::Table::new();
        file.insert("target".to_owned(), toml::Value::Table(target));
        file.insert("claims".to_owned(), toml::Value::Table(claims));
        file.insert("deadlines".to_owned(), toml::Value::Table(deadlines));
        file.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> anyhow::Result<Profile> {
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
        assert!(!format!("{profile:?}").contains("from-env"), "password in Debug");
    }

    #[test]
    fn the_public_profile_keeps_everything_but_the_password_and_reads_back() {
        for text in [
            "[target]\nurl = \"http://lms/pens\"\nsystem-password-env = \"PW\"\n[claims]\nftp = \"yes\"\n[deadlines]\nack = 500\n",
            "[target]\nurl = \"http://lms/pens\"\nsystem-password = \"from-env\"\n[claims]\nftp = \"yes\"\n[deadlines]\nack = 500\n",
        ] {
            let profile = parse(text).expect("valid");
            let public = profile.public_toml();
            assert!(!public.contains("from-env"), "{public}");
            assert!(!public.contains("system-password ="), "{public}");
            let again = parse(&public).expect("the public profile is a profile");
            assert_eq!(again.url, profile.url);
            assert_eq!(again.claims, profile.claims);
            assert_eq!(again.deadlines, profile.deadlines);
            assert_eq!(again.system_password_env, profile.system_password_env);
        }
    }

    #[test]
    fn errors_name_the_file_line_and_field() {
        let cases = [
            ("[claims]\nftp = \"maybe\"\n", "p.toml"),
            ("[target]\nurll = \"x\"\n", "unknown field `urll`"),
            ("[deadlines]\nack = 0\n", "ack is 0"),
            ("[target]\nsystem-password-env = \"NOPE\"\n", "`NOPE`, which is not set"),
            ("[target]\nsystem-password = \"a\"\nsystem-password-env = \"PW\"\n", "both"),
        ];
        for (text, expected) in cases {
            let error = format!("{:#}", parse(text).expect_err(text));
            assert!(error.contains(expected), "{text}: {error}");
            assert!(error.contains("p.toml"), "{text}: {error}");
        }
        let error = format!("{:#}", parse("[claims]\nftp = \"maybe\"\n").expect_err("bad"));
        assert!(error.contains("line 2"), "{error}");
    }
}
