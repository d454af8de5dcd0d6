//! What is unique to one scenario in one run: its key, package-id, staging and
//! collector URLs, secret. Scenarios run concurrently; these keep their events apart.

use std::hash::{BuildHasher, Hasher};

use time::OffsetDateTime;

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
    /// `{{receipt_url}}`.
    pub(crate) receipt_url: String,
    /// `{{alerts_url}}`.
    pub(crate) alerts_url: String,
    /// `{{secret}}`: a staging password nobody can guess.
    pub(crate) secret: String,
    /// `{{now}}`: when the scenario started.
    pub(crate) now: OffsetDateTime,
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
