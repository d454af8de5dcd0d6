//! Retrieving the package from the staging server (CMI010 §5: a target shall fetch
//! over HTTP and HTTPS; FTP and FTPS are optional, see [`super::ftp_fetch`]).
//!
//! The outcome is expressed as the PENS code the receipt will carry: a staging server
//! that refuses the credentials is 1312, one that cannot be reached or answers another
//! error status is 1310 (CMI010 §6.3), a body that ends early is 1432 (the package is
//! bad after retrieval).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use pens_proto::ErrorCode;
use reqwest::{Client, StatusCode, Url};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::error::ReferenceTargetError;
use super::ftp_fetch::fetch_ftp;

/// The largest package the target stores by default
/// ([`super::ReferenceTargetOptions::max_package_bytes`]); beyond its limit the fetch
/// ends with 1440 (insufficient host storage), which also keeps a runaway staging
/// server from exhausting the harness's memory.
pub const DEFAULT_MAX_PACKAGE_BYTES: u64 = 256 * 1024 * 1024;

/// How the target retrieves packages: one HTTP client, and FTP and FTPS when it claims
/// them (CMI010 §5); an unclaimed protocol gets its own code (1304, 1306).
#[derive(Clone, Debug)]
pub(crate) struct Fetcher {
    /// For `http://` and `https://` (and receipts and alerts).
    pub(crate) http: Client,
    /// Whether `ftp://` is fetched.
    pub(crate) ftp: bool,
    /// The TLS set-up for `ftps://`, when FTPS is fetched.
    pub(crate) ftps: Option<Arc<rustls::ClientConfig>>,
}

impl Fetcher {
    /// A fetcher trusting only `extra_root_pem` (the run CA) for HTTPS and FTPS.
    pub(crate) fn new(extra_root_pem: Option<&str>, ftp: bool, ftps: bool) -> Result<Fetcher, ReferenceTargetError> {
        let http = http_client(extra_root_pem)?;
        let ftps = ftps.then(|| tls_client_config(extra_root_pem)).transpose()?;
        Ok(Fetcher { http, ftp, ftps })
    }
}

/// The TLS client set-up for FTPS: the roots of `extra_root_pem`, nothing else (with
/// none, every handshake fails and the receipt says 1310, as a real target's would).
fn tls_client_config(extra_root_pem: Option<&str>) -> Result<Arc<rustls::ClientConfig>, ReferenceTargetError> {
    let mut roots = rustls::RootCertStore::empty();
    for der in extra_root_pem.map(root_certificates).transpose()?.unwrap_or_default() {
        roots.add(der).map_err(|e| ReferenceTargetError::RootCertificate { reason: e.to_string() })?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ReferenceTargetError::RootCertificate { reason: e.to_string() })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Builds the one HTTP client the target uses for fetches, receipts and alerts. It
/// trusts only `extra_root_pem` (the run CA) and ignores proxy settings: the target
/// talks to the harness's own parties, directly.
pub(crate) fn http_client(extra_root_pem: Option<&str>) -> Result<Client, ReferenceTargetError> {
    let mut builder = Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .no_proxy()
        .connect_timeout(Duration::from_secs(10));
    if let Some(pem) = extra_root_pem {
        for der in root_certificates(pem)? {
            let certificate = reqwest::Certificate::from_der(&der)
                .map_err(|e| ReferenceTargetError::RootCertificate { reason: chain(&e) })?;
            builder = builder.add_root_certificate(certificate);
        }
    }
    builder.build().map_err(|source| ReferenceTargetError::HttpClient { source })
}

/// The certificates of a PEM text, each checked to be a usable trust anchor. reqwest
/// only parses PEM when the client is built and skips text that holds no certificate;
/// a run CA that silently fails to load would turn every HTTPS check into a puzzling
/// 1310, so the target refuses to start instead.
fn root_certificates(pem: &str) -> Result<Vec<CertificateDer<'static>>, ReferenceTargetError> {
    let invalid = |reason: String| ReferenceTargetError::RootCertificate { reason };
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

/// A retrieved package.
#[derive(Clone, Debug)]
pub(crate) struct Package {
    pub(crate) http_status: u16,
    pub(crate) body: Bytes,
}

/// Why no package was retrieved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FetchFailure {
    pub(crate) http_status: Option<u16>,
    pub(crate) bytes: u64,
    /// The receipt's code.
    pub(crate) code: ErrorCode,
    /// The receipt's `error-text`.
    pub(crate) text: String,
}

impl FetchFailure {
    pub(crate) fn new(code: ErrorCode, text: impl Into<String>) -> Self {
        FetchFailure { http_status: None, bytes: 0, code, text: text.into() }
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
            Box::pin(retrieve(request, limit)) as Retrieval<'_>
        }
        "ftp" if fetcher.ftp => Box::pin(fetch_ftp(parsed, None, credentials, limit)),
        "ftps" if fetcher.ftps.is_some() => Box::pin(fetch_ftp(parsed, fetcher.ftps.clone(), credentials, limit)),
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

async fn retrieve(request: reqwest::RequestBuilder, limit: u64) -> Result<Package, FetchFailure> {
    let mut response = request.send().await.map_err(|e| {
        FetchFailure::new(
            ErrorCode::INVALID_PACKAGE_URL,
            format!("cannot reach the staging server: {}", chain(&e.without_url())),
        )
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
    if let Some(length) = response.content_length().filter(|length| *length > limit) {
        return Err(FetchFailure { http_status, ..too_large(limit, format!("announces {length} bytes")) });
    }
    let mut body = BytesMut::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                body.extend_from_slice(&chunk);
                if body.len() as u64 > limit {
                    let bytes = body.len() as u64;
                    return Err(FetchFailure {
                        http_status,
                        bytes,
                        ..too_large(limit, format!("passed {bytes} bytes"))
                    });
                }
            }
            Ok(None) => break,
            Err(e) => {
                return Err(FetchFailure {
                    http_status,
                    bytes: body.len() as u64,
                    code: ErrorCode::INTERNAL_PACKAGE_ERROR,
                    text: format!(
                        "the package arrived incomplete after {} bytes: {}",
                        body.len(),
                        chain(&e.without_url())
                    ),
                });
            }
        }
    }
    Ok(Package { http_status: status.as_u16(), body: body.freeze() })
}

/// The failure of a package beyond `limit`; `seen` says how that showed.
pub(crate) fn too_large(limit: u64, seen: String) -> FetchFailure {
    FetchFailure::new(
        ErrorCode::INSUFFICIENT_STORAGE,
        format!("the package is larger than the {limit} bytes this target stores (it {seen})"),
    )
}

/// An error with its causes, `a: b: c`, since reqwest's own message is often just
/// "error sending request". Callers strip the URL from reqwest errors first
/// (`without_url`): it may carry a password in its userinfo.
pub(crate) fn chain(error: &(dyn std::error::Error + 'static)) -> String {
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
            let error = http_client(Some(pem)).expect_err(pem).to_string();
            assert!(error.starts_with("the extra root certificate is unusable"), "{error}");
        }
        assert!(http_client(None).is_ok());
    }

    #[tokio::test]
    async fn schemes_the_target_cannot_fetch_give_their_codes() {
        let client = Fetcher::new(None, false, false).expect("fetcher");
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
