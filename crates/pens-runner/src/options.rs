//! What a run needs to know besides the scenarios.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

use pens_proto::TargetCapabilities;

use crate::Limits;

/// How long the harness waits for each event (profile `[deadlines]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadlines {
    /// The answer to a collect.
    pub ack: Duration,
    /// The first staging request after the answer.
    pub fetch: Duration,
    /// The receipt after the answer.
    pub receipt: Duration,
    /// How long to watch for something that must not happen.
    pub quiet: Duration,
}

/// The slowest transfer a large package is given time for: 8 MiB/s, a busy 100 Mbit/s
/// link. A scenario that stages a package of `size` bytes gets `size` at this rate added
/// to its fetch and receipt deadlines (a 1 GiB package: 128 s), so a sound LMS on a
/// modest network is not failed for the time the bytes take.
pub const TRANSFER_FLOOR_BYTES_PER_SECOND: u64 = 8 * 1024 * 1024;

impl Deadlines {
    /// These deadlines with the fetch and the receipt extended by the time `bytes`
    /// take at [`TRANSFER_FLOOR_BYTES_PER_SECOND`].
    pub fn with_transfer_of(&self, bytes: u64) -> Deadlines {
        let transfer = Duration::from_secs_f64(bytes as f64 / TRANSFER_FLOOR_BYTES_PER_SECOND as f64);
        Deadlines {
            fetch: self.fetch.saturating_add(transfer),
            receipt: self.receipt.saturating_add(transfer),
            ..*self
        }
    }
}

impl Default for Deadlines {
    fn default() -> Self {
        Deadlines {
            ack: Duration::from_secs(10),
            fetch: Duration::from_secs(10),
            receipt: Duration::from_secs(30),
            quiet: Duration::from_millis(1500),
        }
    }
}

/// Settings of one run.
#[derive(Clone)]
pub struct RunOptions {
    /// The PENS endpoint of the target under test.
    pub target_url: String,
    /// Its name, for the report.
    pub target_name: Option<String>,
    /// The optional features it claims.
    pub claims: TargetCapabilities,
    /// Deadlines.
    pub deadlines: Deadlines,
    /// The caps on what the target may send the harness (profile `[limits]`).
    pub limits: Limits,
    /// Scenarios run at once.
    pub jobs: usize,
    /// Only scenarios whose id matches this pattern (`*` matches anything).
    pub only: Option<String>,
    /// Address the parties listen on.
    pub bind: IpAddr,
    /// Host name or address the target is told to use; default: the bound address.
    pub advertise_host: Option<String>,
    /// `system-user-id` sent with every collect.
    pub system_user_id: Option<String>,
    /// `system-password` sent with every collect. Never reported.
    pub system_password: Option<String>,
    /// Where the package fixture directories are.
    pub packages_dir: PathBuf,
    /// The harness version, for the report.
    pub harness_version: String,
    /// A certificate authority to use instead of a fresh one, when the target under
    /// test must trust it before the run starts (the self-test's reference target).
    pub ca: Option<std::sync::Arc<pens_parties::RunCa>>,
    /// Where the mail sink listens for `mailto:` receipts and alerts (the vendor points
    /// the LMS's outgoing mail here); default: a free port on [`RunOptions::bind`].
    pub smtp_listen: Option<std::net::SocketAddr>,
    /// A collector to use instead of a fresh one, when the target under test must know
    /// its mail sink before the run starts (the self-test's reference target).
    pub collector: Option<std::sync::Arc<pens_parties::Collector>>,
    /// Whether the checks of `security` scenarios fail (profile `[security] enforce`,
    /// `--enforce-security`); by default they are advisory: a failure is reported as a
    /// warning that says so.
    pub enforce_security: bool,
    /// The largest package the LMS says it accepts, in bytes (`--max-package-bytes`):
    /// staging behaviour `oversized` serves a package beyond it. Without it such
    /// scenarios are not applicable.
    pub declared_max_package_bytes: Option<u64>,
}

impl std::fmt::Debug for RunOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOptions")
            .field("target_url", &pens_proto::redact_userinfo(&self.target_url))
            .field("claims", &self.claims)
            .field("deadlines", &self.deadlines)
            .field("limits", &self.limits)
            .field("jobs", &self.jobs)
            .field("only", &self.only)
            .field("bind", &self.bind)
            .field("advertise_host", &self.advertise_host)
            .field("smtp_listen", &self.smtp_listen)
            .field("enforce_security", &self.enforce_security)
            .field("declared_max_package_bytes", &self.declared_max_package_bytes)
            .field("system_user_id", &self.system_user_id)
            .field("system_password", &self.system_password.as_ref().map(|_| pens_proto::REDACTED))
            .finish_non_exhaustive()
    }
}

impl RunOptions {
    /// Options for `target_url` with defaults: loopback, 8 jobs, no claims.
    pub fn new(target_url: impl Into<String>, packages_dir: impl Into<PathBuf>) -> Self {
        RunOptions {
            target_url: target_url.into(),
            target_name: None,
            claims: TargetCapabilities::default(),
            deadlines: Deadlines::default(),
            limits: Limits::default(),
            jobs: 8,
            only: None,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            advertise_host: None,
            system_user_id: None,
            system_password: None,
            packages_dir: packages_dir.into(),
            harness_version: env!("CARGO_PKG_VERSION").to_owned(),
            ca: None,
            smtp_listen: None,
            collector: None,
            enforce_security: false,
            declared_max_package_bytes: None,
        }
    }

    /// The host the target is told to use.
    pub(crate) fn advertised(&self) -> String {
        self.advertise_host.clone().unwrap_or_else(|| self.bind.to_string())
    }

    /// The deadlines of `scenario`: the run's, with time added for the transfer of a
    /// package it grows to a `size` ([`Deadlines::with_transfer_of`]).
    pub(crate) fn deadlines_for(&self, scenario: &pens_scenario::Scenario) -> Deadlines {
        match &scenario.staging.value.size {
            Some(size) => self.deadlines.with_transfer_of(size.value),
            None => self.deadlines,
        }
    }

    /// The longest `scenario` may take: every deadline of its steps (the answer, the
    /// fetch, the receipt and alerts, the quiet window) plus the grace.
    pub(crate) fn scenario_budget(&self, scenario: &pens_scenario::Scenario) -> Duration {
        let d = self.deadlines_for(scenario);
        [d.fetch, d.receipt, d.quiet, self.limits.scenario_grace].into_iter().fold(d.ack, Duration::saturating_add)
    }
}

/// Whether scenario `id` matches an `--only` pattern: `*` matches any run of
/// characters; everything else literally.
pub fn matches_pattern(pattern: &str, id: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == id;
    }
    let mut rest = id;
    for (index, part) in parts.iter().enumerate() {
        if index == 0 {
            let Some(stripped) = rest.strip_prefix(part) else { return false };
            rest = stripped;
        } else if index == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            let Some(at) = rest.find(part) else { return false };
            rest = &rest[at + part.len()..];
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::matches_pattern;

    #[test]
    fn patterns_match_ids() {
        assert!(matches_pattern("missing-*", "missing-receipt"));
        assert!(matches_pattern("*receipt*", "mailto-receipt-not-claimed"));
        assert!(matches_pattern("collect-post-valid", "collect-post-valid"));
        assert!(!matches_pattern("missing-*", "collect-post-valid"));
        assert!(matches_pattern("*", "anything"));
        assert!(!matches_pattern("a*b", "ac"));
    }
}
