//! How the reference client is set up: its defect, where it stages, which credentials
//! it asks for, whom it trusts, how it names itself.

use std::fmt;
use std::time::Duration;

use pens_proto::REDACTED;

use super::defect::ClientDefect;

/// The `client` value of every collect (CMI010 §6.2: the name of the sending product).
pub const REFERENCE_CLIENT_NAME: &str = "pens-conform reference client";

/// The namespace of every `package-id` the client sends; the course id follows it, so
/// a republished course keeps its id within the namespace (CMI010 §6.2: the producing
/// product's namespace URL plus an id unique in it). `.invalid` (RFC 2606) can never
/// resolve: the id names, it does not locate.
pub const PACKAGE_ID_NAMESPACE: &str = "https://pens-conform.invalid/reference-client/courses/";

/// How long the client waits for the answer to a collect, by default: the harness's
/// `ack` deadline (`docs/target-mode.md`).
pub const DEFAULT_COLLECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The staging user the `wrong-credentials` defect asks for when no credentials were
/// configured: the defect needs a staging server that checks some password.
pub(crate) const FALLBACK_STAGING_USER: &str = "pens";

/// The staging listener a publication's package URL names (CMI010 §5: HTTP and HTTPS
/// every target fetches; FTP and FTPS are optional).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StagingProtocol {
    /// `http://`.
    #[default]
    Http,
    /// `https://`.
    Https,
    /// `ftp://`.
    Ftp,
    /// `ftps://` (explicit FTPS).
    Ftps,
}

impl std::str::FromStr for StagingProtocol {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "http" => Ok(StagingProtocol::Http),
            "https" => Ok(StagingProtocol::Https),
            "ftp" => Ok(StagingProtocol::Ftp),
            "ftps" => Ok(StagingProtocol::Ftps),
            other => Err(format!("unknown staging protocol `{other}`: http, https, ftp or ftps")),
        }
    }
}

/// The options of [`super::ReferenceClient`]. Build with
/// [`ReferenceClientOptions::builder`] or struct update syntax over `Default`. `Debug`
/// never shows a password.
#[derive(Clone, PartialEq, Eq)]
pub struct ReferenceClientOptions {
    /// The one deviation to make, or `None` for a conformant client.
    pub defect: Option<ClientDefect>,
    /// One PEM certificate to trust, besides the usual web roots, when the target URL
    /// is `https://` (for instance a run CA the target serves with).
    pub extra_root_pem: Option<String>,
    /// Which staging listener the package URL names: plain HTTP by default. For HTTPS
    /// and FTPS the target must trust [`super::ReferenceClient::ca_pem`].
    pub staging: StagingProtocol,
    /// Ask for receipts and alerts by mail: `mailto:` URLs at the client's own mail sink
    /// ([`super::ReferenceClient::smtp_addr`], which the target must mail through).
    pub mailto: bool,
    /// Where the mail sink listens (with `mailto`); default: a free port on the bind
    /// address. Fix it when the target must be told its relay before the client starts.
    pub smtp_listen: Option<std::net::SocketAddr>,
    /// HTTP basic credentials `(user, password)` the staging server asks for; the
    /// collect carries them as `package-url-user-id` and `package-url-password`.
    pub credentials: Option<(String, String)>,
    /// The target account `(system-user-id, system-password)`, for targets that want
    /// one (CMI010 §6.2).
    pub system_credentials: Option<(String, String)>,
    /// The `client` value of the collects.
    pub client_name: String,
    /// The host the staging and receipt URLs name; empty: the bound address.
    pub advertise_host: String,
    /// How long to wait for the answer to a collect.
    pub collect_timeout: Duration,
}

impl Default for ReferenceClientOptions {
    fn default() -> Self {
        ReferenceClientOptions {
            defect: None,
            extra_root_pem: None,
            staging: StagingProtocol::Http,
            mailto: false,
            smtp_listen: None,
            credentials: None,
            system_credentials: None,
            client_name: REFERENCE_CLIENT_NAME.to_owned(),
            advertise_host: String::new(),
            collect_timeout: DEFAULT_COLLECT_TIMEOUT,
        }
    }
}

impl ReferenceClientOptions {
    /// A builder starting from the defaults.
    pub fn builder() -> ReferenceClientOptionsBuilder {
        ReferenceClientOptionsBuilder { options: ReferenceClientOptions::default() }
    }
}

impl fmt::Debug for ReferenceClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let user = |pair: &Option<(String, String)>| pair.as_ref().map(|(user, _)| (user.clone(), REDACTED));
        f.debug_struct("ReferenceClientOptions")
            .field("defect", &self.defect)
            .field("extra_root_pem", &self.extra_root_pem.as_ref().map(|_| "<pem>"))
            .field("staging", &self.staging)
            .field("mailto", &self.mailto)
            .field("smtp_listen", &self.smtp_listen)
            .field("credentials", &user(&self.credentials))
            .field("system_credentials", &user(&self.system_credentials))
            .field("client_name", &self.client_name)
            .field("advertise_host", &self.advertise_host)
            .field("collect_timeout", &self.collect_timeout)
            .finish()
    }
}

/// Builds [`ReferenceClientOptions`].
#[derive(Clone, Debug)]
#[must_use]
pub struct ReferenceClientOptionsBuilder {
    options: ReferenceClientOptions,
}

impl ReferenceClientOptionsBuilder {
    /// Seeds one defect (see [`ClientDefect`]); `None` for a conformant client.
    pub fn defect(mut self, defect: impl Into<Option<ClientDefect>>) -> Self {
        self.options.defect = defect.into();
        self
    }

    /// Trusts this PEM certificate when sending collects over HTTPS.
    pub fn extra_root_pem(mut self, pem: impl Into<String>) -> Self {
        self.options.extra_root_pem = Some(pem.into());
        self
    }

    /// Stages on HTTPS (`true`) or plain HTTP (`false`, the default).
    pub fn https(mut self, https: bool) -> Self {
        self.options.staging = if https { StagingProtocol::Https } else { StagingProtocol::Http };
        self
    }

    /// Stages on this listener.
    pub fn staging(mut self, protocol: StagingProtocol) -> Self {
        self.options.staging = protocol;
        self
    }

    /// Asks for `mailto:` receipts and alerts (`true`) or HTTP ones (`false`, the default).
    pub fn mailto(mut self, mailto: bool) -> Self {
        self.options.mailto = mailto;
        self
    }

    /// Runs the mail sink on this address.
    pub fn smtp_listen(mut self, addr: std::net::SocketAddr) -> Self {
        self.options.smtp_listen = Some(addr);
        self
    }

    /// Protects staged packages with HTTP basic credentials, advertised in the collect.
    pub fn credentials(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.options.credentials = Some((user.into(), password.into()));
        self
    }

    /// Sends `system-user-id` and `system-password`.
    pub fn system_credentials(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.options.system_credentials = Some((user.into(), password.into()));
        self
    }

    /// Names the client `name` in its collects.
    pub fn client_name(mut self, name: impl Into<String>) -> Self {
        self.options.client_name = name.into();
        self
    }

    /// Names `host` in staging and receipt URLs.
    pub fn advertise_host(mut self, host: impl Into<String>) -> Self {
        self.options.advertise_host = host.into();
        self
    }

    /// Waits this long for the answer to a collect.
    pub fn collect_timeout(mut self, timeout: Duration) -> Self {
        self.options.collect_timeout = timeout;
        self
    }

    /// The options.
    pub fn build(self) -> ReferenceClientOptions {
        self.options
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builder_sets_every_option_and_debug_hides_passwords() {
        let options = ReferenceClientOptions::builder()
            .defect(ClientDefect::MissingExpiry)
            .https(true)
            .credentials("pens", "s3cret")
            .system_credentials("author", "t0ken")
            .client_name("Authoring 9")
            .advertise_host("lms.test")
            .collect_timeout(Duration::from_secs(3))
            .build();
        assert_eq!(options.defect, Some(ClientDefect::MissingExpiry));
        assert_eq!(options.staging, StagingProtocol::Https);
        assert_eq!(options.client_name, "Authoring 9");
        assert_eq!(options.advertise_host, "lms.test");
        let shown = format!("{options:?}");
        assert!(shown.contains("pens") && shown.contains("author"), "{shown}");
        assert!(!shown.contains("s3cret") && !shown.contains("t0ken"), "{shown}");
        assert_eq!(ReferenceClientOptions::default().client_name, REFERENCE_CLIENT_NAME);
    }
}
