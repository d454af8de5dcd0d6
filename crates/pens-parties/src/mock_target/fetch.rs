//! Retrieving the package from the staging server (CMI010 §5: a target shall fetch
//! over HTTP and HTTPS; FTP and FTPS are optional, see [`super::ftp_fetch`]).
//!
//! The outcome is expressed as the PENS code the receipt will carry: a staging server
//! that refuses the credentials is 1312, one that cannot be reached or answers another
//! error status is 1310 (CMI010 §6.3), a body that ends early is 1432 (the package is
//! bad after retrieval).
//!
//! What the staging server sends is held to [`PeerLimits`]: at most
//! [`PeerLimits::package_bytes`] are read (beyond is 1440, insufficient host storage),
//! and redirects are followed only to the package URL's own host, at most
//! [`PeerLimits::redirects`] of them and never in a circle (each refusal is 1310). A
//! hostile staging server cannot make the harness reach another machine, nor keep it
//! fetching forever. Each cap reached is a [`LimitBreach`] on the [`FetchFailure`].
//!
//! The body is never held whole in memory: it streams into a [`Spool`], which keeps
//! the first [`super::spool::SPOOL_IN_MEMORY_BYTES`] in memory and puts a larger
//! package in a temp file of the download folder, so a package of a gigabyte costs a
//! few hundred kilobytes of memory. A disk that cannot take it is 1440 too.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use pens_proto::ErrorCode;
use reqwest::{Client, StatusCode, Url};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::error::MockTargetError;
use super::ftp_fetch::fetch_ftp;
use super::spool::{Spool, SpooledPackage};

/// The largest package the target stores by default
/// ([`super::MockTargetOptionsBuilder::max_package_bytes`]); beyond its limit the fetch
/// ends with 1440 (insufficient host storage), which also keeps a runaway staging
/// server from filling the harness's disk (a package beyond a MiB goes to a temp
/// file).
pub const DEFAULT_MAX_PACKAGE_BYTES: u64 = 256 * 1024 * 1024;
use crate::limits::{Limit, LimitBreach, PeerLimits, bytes_text};

/// How the target retrieves packages: one HTTP client, and FTP and FTPS when it claims
/// them (CMI010 §5); an unclaimed protocol gets its own code (1304, 1306). Packages
/// too large for memory go to temp files in `download_dir`.
#[derive(Clone, Debug)]
pub(crate) struct Fetcher {
    /// For `http://` and `https://` (and receipts and alerts).
    pub(crate) http: Client,
    /// Whether `ftp://` is fetched.
    pub(crate) ftp: bool,
    /// The TLS set-up for `ftps://`, when FTPS is fetched.
    pub(crate) ftps: Option<Arc<rustls::ClientConfig>>,
    /// Where a package beyond [`super::spool::SPOOL_IN_MEMORY_BYTES`] is spooled.
    pub(crate) download_dir: Arc<Path>,
}

impl Fetcher {
    /// A fetcher trusting only `extra_root_pem` (the run CA) for HTTPS and FTPS, following
    /// at most `limits.redirects` redirects (the package size cap is given per fetch),
    /// spooling large packages in `download_dir`.
    pub(crate) fn new(
        extra_root_pem: Option<&str>,
        ftp: bool,
        ftps: bool,
        limits: PeerLimits,
        download_dir: &Path,
    ) -> Result<Fetcher, MockTargetError> {
        let http = http_client(extra_root_pem, limits.redirects)?;
        let ftps = ftps.then(|| tls_client_config(extra_root_pem)).transpose()?;
        Ok(Fetcher { http, ftp, ftps, download_dir: Arc::from(download_dir) })
    }

    /// An empty spool for one package.
    fn spool(&self) -> Spool {
        Spool::new(Arc::clone(&self.download_dir))
    }
}

/// A redirect the policy refused, carried through reqwest as the error's source.
#[derive(Debug)]
struct RedirectRefused(LimitBreach);

impl fmt::Display for RedirectRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for RedirectRefused {}

/// Follows at most `max` redirects, each to the host of the first URL of the chain
/// (the package URL, or the receipt URL), never back to a URL already requested.
pub fn redirect_policy(max: usize) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        let refused = |limit: Limit, message: String| RedirectRefused(LimitBreach::new(limit, message));
        let key = Limit::Redirects.key();
        let (next, previous) = (attempt.url(), attempt.previous());
        let Some(first) = previous.first() else { return attempt.follow() };
        let host = |url: &Url| url.host_str().unwrap_or_default().to_ascii_lowercase();
        let shown = |url: &Url| pens_proto::redact(url.as_str());
        if host(next) != host(first) {
            let message = format!(
                "the server redirected to another host ({}: {}); the harness follows redirects only on the host of \
                 the URL it was given ({}), so it did not follow ([limits] {key})",
                host(next),
                shown(next),
                host(first)
            );
            return attempt.error(refused(Limit::RedirectHost, message));
        }
        if previous.iter().any(|url| url == next) {
            let chain: Vec<String> = previous.iter().chain([next]).map(|url| url.path().to_owned()).collect();
            let message = format!(
                "the server's redirects go in a circle ({}): the package can never be reached ([limits] {key})",
                chain.join(" -> ")
            );
            return attempt.error(refused(Limit::RedirectLoop, message));
        }
        if previous.len() > max {
            let message = format!(
                "the server redirected more than {max} times ([limits] {key}); the redirect not followed pointed to {}",
                shown(next)
            );
            return attempt.error(refused(Limit::Redirects, message));
        }
        attempt.follow()
    })
}

/// The breach behind a request error, when a redirect was refused.
pub fn redirect_breach(error: &reqwest::Error) -> Option<LimitBreach> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if let Some(RedirectRefused(breach)) = current.downcast_ref::<RedirectRefused>() {
            return Some(breach.clone());
        }
        source = current.source();
    }
    None
}

/// The TLS client set-up for FTPS: the roots of `extra_root_pem`, nothing else (with
/// none, every handshake fails and the receipt says 1310, as a real target's would).
fn tls_client_config(extra_root_pem: Option<&str>) -> Result<Arc<rustls::ClientConfig>, MockTargetError> {
    let mut roots = rustls::RootCertStore::empty();
    for der in extra_root_pem.map(root_certificates).transpose()?.unwrap_or_default() {
        roots.add(der).map_err(|e| MockTargetError::RootCertificate { reason: e.to_string() })?;
    }
    let config = rustls::ClientConfig::builder_with_provider(crate::crypto_provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| MockTargetError::RootCertificate { reason: e.to_string() })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Builds the one HTTP client the target uses for fetches, receipts and alerts. It
/// trusts only `extra_root_pem` (the run CA), ignores proxy settings (the target talks
/// to the harness's own parties, directly) and follows at most `redirects` redirects,
/// on the same host only.
pub(crate) fn http_client(extra_root_pem: Option<&str>, redirects: usize) -> Result<Client, MockTargetError> {
    let mut builder = Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .no_proxy()
        .redirect(redirect_policy(redirects))
        .connect_timeout(Duration::from_secs(10));
    if let Some(pem) = extra_root_pem {
        for der in root_certificates(pem)? {
            let certificate = reqwest::Certificate::from_der(&der)
                .map_err(|e| MockTargetError::RootCertificate { reason: chain(&e) })?;
            builder = builder.add_root_certificate(certificate);
        }
    }
    builder.build().map_err(|source| MockTargetError::HttpClient { source })
}

/// The certificates of a PEM text, each checked to be a usable trust anchor. reqwest
/// only parses PEM when the client is built and skips text that holds no certificate;
/// a run CA that silently fails to load would turn every HTTPS check into a puzzling
/// 1310, so the target refuses to start instead.
pub fn root_certificates(pem: &str) -> Result<Vec<CertificateDer<'static>>, MockTargetError> {
    let invalid = |reason: String| MockTargetError::RootCertificate { reason };
    let certificates = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(format!("unreadable pem: {e}")))?;
    if certificates.is_empty() {
        return Err(invalid("no certificate in the pem text".to_owned()));
    }
    let mut store = rustls::RootCertStore::empty();
    for certificate in &certificates {
        store.add(certificate.clone()).map_err(|e| invalid(format!("not a usable ca certificate: {e}")))?;
    }
    Ok(certificates)
}

/// HTTP basic credentials from `package-url-user-id` and `package-url-password`
/// (CMI010 §6.2). `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Credentials {
    pub(crate) user: String,
    pub(crate) password: Option<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| pens_proto::REDACTED))
            .finish()
    }
}

/// A retrieved package: in memory when small, else in a temp file deleted with the
/// last clone.
#[derive(Clone, Debug)]
pub(crate) struct Package {
    pub(crate) http_status: u16,
    pub(crate) body: SpooledPackage,
}

/// Why no package was retrieved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchFailure {
    pub(crate) http_status: Option<u16>,
    pub(crate) bytes: u64,
    /// The receipt's code.
    pub(crate) code: ErrorCode,
    /// The receipt's `error-text`.
    pub text: String,
    /// The cap the staging server broke, when that ended the fetch.
    pub(crate) breach: Option<LimitBreach>,
}

impl FetchFailure {
    pub(crate) fn new(code: ErrorCode, text: impl Into<String>) -> Self {
        FetchFailure { http_status: None, bytes: 0, code, text: text.into(), breach: None }
    }

    /// The failure of a package larger than `limit` bytes: 1440 (insufficient host
    /// storage), having read `read` bytes, the staging server having announced
    /// `announced`.
    pub(crate) fn too_large(limit: u64, read: u64, announced: Option<u64>) -> Self {
        let said = match announced {
            Some(length) => format!("the staging server announced {length} bytes"),
            None => format!("{read} bytes had arrived"),
        };
        let breach = LimitBreach::new(
            Limit::PackageBytes,
            format!(
                "the package was larger than the {} limit ([limits] {}); the fetch stopped there: {said}",
                bytes_text(limit),
                Limit::PackageBytes.key()
            ),
        );
        FetchFailure {
            bytes: read,
            breach: Some(breach),
            ..FetchFailure::new(
                ErrorCode::INSUFFICIENT_STORAGE,
                format!("the package is larger than the {limit} bytes this target stores"),
            )
        }
    }
}

/// Fetches `url`, presenting `credentials` when given, within `timeout` for the whole
/// exchange (headers and body), refusing (1440) a package beyond `limit` bytes: by its
/// Content-Length before reading it, or as soon as it grows past the limit.
pub(crate) async fn fetch(
    fetcher: &Fetcher,
    url: &str,
    credentials: Option<&Credentials>,
    timeout: Duration,
    limit: u64,
) -> Result<Package, FetchFailure> {
    let parsed = Url::parse(url.trim())
        .map_err(|e| FetchFailure::new(ErrorCode::INVALID_PACKAGE_URL, format!("the package url is invalid: {e}")))?;
    let retrieval = match parsed.scheme() {
        "http" | "https" => {
            let mut request = fetcher.http.get(parsed);
            if let Some(credentials) = credentials {
                request = request.basic_auth(&credentials.user, credentials.password.as_deref());
            }
            Box::pin(retrieve(request, limit, fetcher.spool())) as Retrieval<'_>
        }
        "ftp" if fetcher.ftp => Box::pin(fetch_ftp(parsed, None, credentials, limit, fetcher.spool())),
        "ftps" if fetcher.ftps.is_some() => {
            Box::pin(fetch_ftp(parsed, fetcher.ftps.clone(), credentials, limit, fetcher.spool()))
        }
        "ftp" => return Err(FetchFailure::new(ErrorCode::FTP_NOT_SUPPORTED, "ftp not supported")),
        "ftps" => return Err(FetchFailure::new(ErrorCode::FTPS_NOT_SUPPORTED, "ftps not supported")),
        other => {
            return Err(FetchFailure::new(
                ErrorCode::INVALID_PACKAGE_URL,
                format!("cannot retrieve a package over `{other}`"),
            ));
        }
    };
    match tokio::time::timeout(timeout, retrieval).await {
        Ok(outcome) => outcome,
        Err(_) => Err(FetchFailure::new(
            ErrorCode::INVALID_PACKAGE_URL,
            format!("the staging server did not deliver the package within {} ms", timeout.as_millis()),
        )),
    }
}

/// One retrieval in flight, whichever the protocol.
type Retrieval<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Package, FetchFailure>> + Send + 'a>>;

/// Sends `request` and streams the body into `spool`, at most `max_bytes` of it.
async fn retrieve(request: reqwest::RequestBuilder, max_bytes: u64, mut spool: Spool) -> Result<Package, FetchFailure> {
    let mut response = request.send().await.map_err(|e| match redirect_breach(&e) {
        Some(breach) => FetchFailure {
            breach: Some(breach.clone()),
            ..FetchFailure::new(ErrorCode::INVALID_PACKAGE_URL, breach.message)
        },
        None => FetchFailure::new(
            ErrorCode::INVALID_PACKAGE_URL,
            format!("cannot reach the staging server: {}", chain(&e.without_url())),
        ),
    })?;
    let status = response.status();
    let http_status = Some(status.as_u16());
    if !status.is_success() {
        let code = match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => ErrorCode::INVALID_CREDENTIALS,
            _ => ErrorCode::INVALID_PACKAGE_URL,
        };
        return Err(FetchFailure {
            http_status,
            ..FetchFailure::new(code, format!("the staging server answered {status}"))
        });
    }
    let announced = response.content_length();
    if announced.is_some_and(|length| length > max_bytes) {
        return Err(FetchFailure { http_status, ..FetchFailure::too_large(max_bytes, 0, announced) });
    }
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let read = spool.len() + chunk.len() as u64;
                if read > max_bytes {
                    return Err(FetchFailure { http_status, ..FetchFailure::too_large(max_bytes, read, announced) });
                }
                spool.write(&chunk).await.map_err(|failure| FetchFailure { http_status, ..failure })?;
            }
            Ok(None) => break,
            Err(e) => {
                return Err(FetchFailure {
                    http_status,
                    bytes: spool.len(),
                    ..FetchFailure::new(
                        ErrorCode::INTERNAL_PACKAGE_ERROR,
                        format!(
                            "the package arrived incomplete after {} bytes: {}",
                            spool.len(),
                            chain(&e.without_url())
                        ),
                    )
                });
            }
        }
    }
    let body = spool.finish().await.map_err(|failure| FetchFailure { http_status, ..failure })?;
    Ok(Package { http_status: status.as_u16(), body })
}

/// An error with its causes, `a: b: c`, since reqwest's own message is often just
/// "error sending request". Callers strip the URL from reqwest errors first
/// (`without_url`): it may carry a password in its userinfo.
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let message = cause.to_string();
        if !text.contains(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_show_the_password() {
        let credentials = Credentials { user: "pens".into(), password: Some("s3cret".into()) };
        let shown = format!("{credentials:?}");
        assert!(shown.contains("pens") && !shown.contains("s3cret"), "{shown}");
    }

    #[test]
    fn a_bad_root_certificate_is_refused() {
        let garbage = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        for pem in ["not a certificate", garbage, ""] {
            let error = http_client(Some(pem), 5).expect_err(pem).to_string();
            assert!(error.starts_with("the extra root certificate is unusable"), "{error}");
        }
        assert!(http_client(None, 5).is_ok());
    }

    #[tokio::test]
    async fn schemes_the_target_cannot_fetch_give_their_codes() {
        let client = Fetcher::new(None, false, false, PeerLimits::default(), &std::env::temp_dir()).expect("fetcher");
        let timeout = Duration::from_secs(5);
        for (url, code) in [
            ("ftp://h.example/p.zip", ErrorCode::FTP_NOT_SUPPORTED),
            ("ftps://h.example/p.zip", ErrorCode::FTPS_NOT_SUPPORTED),
            ("gopher://h.example/p.zip", ErrorCode::INVALID_PACKAGE_URL),
            ("not a url", ErrorCode::INVALID_PACKAGE_URL),
        ] {
            let failure = fetch(&client, url, None, timeout, DEFAULT_MAX_PACKAGE_BYTES).await.expect_err(url);
            assert_eq!(failure.code, code, "{url}");
        }
    }
}
