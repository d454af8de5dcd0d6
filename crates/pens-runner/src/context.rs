//! What is unique to one scenario in one run: its key, package-id, staging and
//! collector URLs, secret. Scenarios run concurrently; these keep their events apart.

use std::hash::{BuildHasher, Hasher};

use pens_parties::StagedPackage;
use time::OffsetDateTime;

use crate::parties::Parties;

/// The per-scenario values templates refer to.
#[derive(Clone)]
pub(crate) struct ScenarioContext {
    /// The key of this scenario's staging path and collector URLs (the scenario id).
    pub(crate) key: String,
    /// `{{package_id}}`.
    pub(crate) package_id: String,
    /// `{{staging.http}}`: this scenario's package over HTTP.
    pub(crate) staging_http: String,
    /// `{{staging.https}}`.
    pub(crate) staging_https: String,
    /// `{{staging.ftp}}`.
    pub(crate) staging_ftp: String,
    /// `{{staging.ftps}}`.
    pub(crate) staging_ftps: String,
    /// `{{receipt_url}}`.
    pub(crate) receipt_url: String,
    /// `{{alerts_url}}`.
    pub(crate) alerts_url: String,
    /// `{{receipt_mailbox}}`: this scenario's receipt address at the mail sink.
    pub(crate) receipt_mailbox: String,
    /// `{{alerts_mailbox}}`.
    pub(crate) alerts_mailbox: String,
    /// `{{secret}}`: a staging or URL password nobody can guess.
    pub(crate) secret: String,
    /// `{{internal_url}}`: this scenario's path on the internal service.
    pub(crate) internal_url: String,
    /// `{{internal_token}}`: what that path answers.
    pub(crate) internal_token: String,
    /// `{{collector}}`: the collector's `host:port`.
    pub(crate) collector: String,
    /// `{{now}}`: when the scenario started.
    pub(crate) now: OffsetDateTime,
}

impl ScenarioContext {
    /// The context of `key` in run `run_id`: package-id, collector URLs and mailboxes, a
    /// fresh secret and `now`; the staging URLs are filled in by [`Self::staged`] once
    /// the package is staged (its plan may need this context first).
    pub(crate) fn new(parties: &Parties, run_id: &str, key: &str) -> Self {
        let urls = parties.collector.urls(key);
        let mailto = parties.collector.mailto(key);
        let mailbox = |url: String| url.strip_prefix("mailto:").map(str::to_owned).unwrap_or(url);
        let internal_token = format!("pens-internal-{}", random_token());
        let base = parties.collector.base();
        let collector = base.split_once("://").map_or(base.as_str(), |(_, authority)| authority).to_owned();
        ScenarioContext {
            key: key.to_owned(),
            package_id: format!("urn:pens-conform:{run_id}:{key}"),
            staging_http: String::new(),
            staging_https: String::new(),
            staging_ftp: String::new(),
            staging_ftps: String::new(),
            receipt_url: urls.receipt,
            alerts_url: urls.alerts,
            receipt_mailbox: mailbox(mailto.receipt),
            alerts_mailbox: mailbox(mailto.alerts),
            secret: random_token(),
            internal_url: parties.internal.expose(key, &internal_token),
            internal_token,
            collector,
            now: OffsetDateTime::now_utc(),
        }
    }

    /// Records where the package was staged.
    pub(crate) fn staged(&mut self, staged: StagedPackage) {
        self.staging_http = staged.http_url;
        self.staging_https = staged.https_url;
        self.staging_ftp = staged.ftp_url;
        self.staging_ftps = staged.ftps_url;
    }
}

impl std::fmt::Debug for ScenarioContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScenarioContext")
            .field("key", &self.key)
            .field("package_id", &self.package_id)
            .finish_non_exhaustive()
    }
}

impl pens_scenario::TemplateContext for ScenarioContext {
    fn staging_http(&self) -> &str {
        &self.staging_http
    }
    fn staging_https(&self) -> &str {
        &self.staging_https
    }
    fn staging_ftp(&self) -> &str {
        &self.staging_ftp
    }
    fn staging_ftps(&self) -> &str {
        &self.staging_ftps
    }
    fn receipt_mailbox(&self) -> &str {
        &self.receipt_mailbox
    }
    fn alerts_mailbox(&self) -> &str {
        &self.alerts_mailbox
    }
    fn package_id(&self) -> &str {
        &self.package_id
    }
    fn receipt_url(&self) -> &str {
        &self.receipt_url
    }
    fn alerts_url(&self) -> &str {
        &self.alerts_url
    }
    fn secret(&self) -> &str {
        &self.secret
    }
    fn internal_url(&self) -> &str {
        &self.internal_url
    }
    fn internal_token(&self) -> &str {
        &self.internal_token
    }
    fn collector(&self) -> &str {
        &self.collector
    }
    fn key(&self) -> &str {
        &self.key
    }
    fn now(&self) -> OffsetDateTime {
        self.now
    }
}

/// A fresh random token (hex), from the standard library's randomly seeded hasher.
pub(crate) fn random_token() -> String {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(OffsetDateTime::now_utc().unix_timestamp_nanos().unsigned_abs());
    let first = hasher.finish();
    hasher.write_u64(first);
    format!("{first:016x}{:016x}", hasher.finish())
}

/// A run id: UTC time plus a few random characters, e.g. `20261122T180000Z-3fa1`.
pub(crate) fn run_id(now: OffsetDateTime) -> String {
    let token = random_token();
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z-{}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        &token[..4]
    )
}
