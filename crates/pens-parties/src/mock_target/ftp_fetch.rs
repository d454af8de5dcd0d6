//! Retrieving a package over FTP or explicit FTPS (CMI010 §5: both optional for a
//! target), with suppaftp in passive mode and binary transfer type.
//!
//! `ftps://` is read as explicit FTPS: a plain connection, `AUTH TLS`, then `PBSZ 0` and
//! `PROT P`, so that the data connection is encrypted too; the staging server's
//! certificate must chain to the run CA. The outcome is the code the receipt carries,
//! as for HTTP: a refused login is 1312, a server that cannot be reached or has no such
//! file is 1310, a transfer that breaks off is 1432 (CMI010 §6.3).
//!
//! The file streams into a [`Spool`] as it arrives, as an HTTP body does
//! ([`super::fetch`]): a large package goes to a temp file, never whole into memory.
//!
//! `package-url-account` is not sent: suppaftp has no `ACCT` command, and the harness's
//! FTP staging server refuses it anyway.

use std::sync::Arc;

use pens_proto::ErrorCode;
use reqwest::Url;
use suppaftp::FtpError;
use suppaftp::tokio::{AsyncRustlsConnector, AsyncRustlsFtpStream};
use suppaftp::types::FileType;
use tokio::io::AsyncReadExt;

use super::fetch::{Credentials, FetchFailure, Package};
use super::spool::Spool;

/// The user name presented when the collect gives none (RFC 1635 anonymous FTP).
const ANONYMOUS_USER: &str = "anonymous";

/// The password presented for anonymous FTP: by custom an address, the product's.
const ANONYMOUS_PASSWORD: &str = "reference-target@pens-conform.test";

/// How much of the data connection is read at a time.
const FTP_READ_BYTES: usize = 64 * 1024;

/// The status recorded for a completed transfer: FTP's 226 (closing data connection),
/// in the place of an HTTP status.
const TRANSFER_COMPLETE: u16 = 226;

/// Fetches `url` (`ftp://` or `ftps://`), securing the connection with `tls` when given,
/// reading at most `max_bytes` of the file into `spool`. The caller bounds the whole
/// exchange with its fetch timeout.
pub(crate) async fn fetch_ftp(
    url: Url,
    tls: Option<Arc<rustls::ClientConfig>>,
    credentials: Option<&Credentials>,
    max_bytes: u64,
    spool: Spool,
) -> Result<Package, FetchFailure> {
    let host = url.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_owned();
    let port = url.port().unwrap_or(21);
    let mut ftp = match connect(&host, port, tls.clone()).await {
        // libunftp (the harness's FTP server) switches to TLS in a task it spawns after
        // answering AUTH TLS 234; a ClientHello that arrives first is read as a command
        // and the handshake fails. Rare, and only under load, but a reference target
        // must not turn the harness's race into a false 1310: one fresh attempt.
        Err((_, FtpError::SecureError(_))) if tls.is_some() => connect(&host, port, tls).await,
        first => first,
    }
    .map_err(|(what, e)| failure(ErrorCode::INVALID_PACKAGE_URL, what, &e))?;
    let outcome = retrieve(&mut ftp, &url, credentials, max_bytes, spool).await;
    // The package is in hand (or not); how the server takes our goodbye does not matter.
    let _ = ftp.quit().await;
    outcome
}

/// A control connection, secured with `tls` when given; the error says which step failed.
async fn connect(
    host: &str,
    port: u16,
    tls: Option<Arc<rustls::ClientConfig>>,
) -> Result<AsyncRustlsFtpStream, (&'static str, FtpError)> {
    let mut ftp =
        AsyncRustlsFtpStream::connect((host, port)).await.map_err(|e| ("cannot reach the staging server", e))?;
    // A passive data connection goes to the control connection's peer, whatever address
    // the server's PASV reply names: a hostile staging server cannot point the harness
    // at another machine (the FTP bounce), as it cannot with an HTTP redirect.
    ftp.set_passive_nat_workaround(true);
    match tls {
        None => Ok(ftp),
        Some(config) => {
            let connector = AsyncRustlsConnector::from(tokio_rustls::TlsConnector::from(config));
            ftp.into_secure(connector, host).await.map_err(|e| ("cannot secure the FTP connection", e))
        }
    }
}

async fn retrieve(
    ftp: &mut AsyncRustlsFtpStream,
    url: &Url,
    credentials: Option<&Credentials>,
    max_bytes: u64,
    mut spool: Spool,
) -> Result<Package, FetchFailure> {
    let (user, password) = login_of(url, credentials);
    ftp.login(user.as_str(), password.as_str()).await.map_err(|e| match reply_code(&e) {
        Some(530) => failure(ErrorCode::INVALID_CREDENTIALS, "the staging server refused the login", &e),
        _ => failure(ErrorCode::INVALID_PACKAGE_URL, "cannot log in to the staging server", &e),
    })?;
    ftp.transfer_type(FileType::Binary)
        .await
        .map_err(|e| failure(ErrorCode::INVALID_PACKAGE_URL, "the staging server refused binary mode", &e))?;
    let path = percent_encoding::percent_decode_str(url.path()).decode_utf8_lossy().into_owned();
    let mut stream = ftp.retr_as_stream(&path).await.map_err(|e| match reply_code(&e) {
        Some(530 | 532) => failure(ErrorCode::INVALID_CREDENTIALS, "the staging server refused the package", &e),
        _ => failure(ErrorCode::INVALID_PACKAGE_URL, "the staging server did not hand out the package", &e),
    })?;
    let mut buffer = vec![0; FTP_READ_BYTES];
    let mut limited = (&mut stream).take(max_bytes.saturating_add(1));
    loop {
        let read = match limited.read(&mut buffer).await {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) => {
                let bytes = spool.len();
                return Err(FetchFailure {
                    bytes,
                    ..FetchFailure::new(
                        ErrorCode::INTERNAL_PACKAGE_ERROR,
                        format!("the package arrived incomplete after {bytes} bytes: {error}"),
                    )
                });
            }
        };
        let bytes = spool.len() + read as u64;
        if bytes > max_bytes {
            return Err(FetchFailure::too_large(max_bytes, bytes, None));
        }
        spool.write(&buffer[..read]).await?;
    }
    let bytes = spool.len();
    // The completion reply tells a whole file from one the server broke off (426, 451).
    // Some servers open the data connection before they refuse the file: a refusal
    // (5xx) before any byte is a refused file, not a broken transfer.
    stream.finish().await.map_err(|e| match reply_code(&e) {
        Some(530 | 532) if bytes == 0 => {
            failure(ErrorCode::INVALID_CREDENTIALS, "the staging server refused the package", &e)
        }
        Some(500..=599) if bytes == 0 => {
            failure(ErrorCode::INVALID_PACKAGE_URL, "the staging server did not hand out the package", &e)
        }
        _ => FetchFailure {
            bytes,
            ..failure(
                ErrorCode::INTERNAL_PACKAGE_ERROR,
                &format!("the transfer did not complete after {bytes} bytes"),
                &e,
            )
        },
    })?;
    let body = spool.finish().await?;
    Ok(Package { http_status: TRANSFER_COMPLETE, body })
}

/// The login: `package-url-user-id` and `-password` (CMI010 §6.2), else the URL's own
/// user info, else anonymous.
fn login_of(url: &Url, credentials: Option<&Credentials>) -> (String, String) {
    let decode = |text: &str| percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned();
    match credentials {
        Some(credentials) => (credentials.user.clone(), credentials.password.clone().unwrap_or_default()),
        None if !url.username().is_empty() => (decode(url.username()), url.password().map(decode).unwrap_or_default()),
        None => (ANONYMOUS_USER.to_owned(), ANONYMOUS_PASSWORD.to_owned()),
    }
}

/// The server's reply code, when the error is an unexpected reply.
fn reply_code(error: &FtpError) -> Option<u16> {
    match error {
        FtpError::UnexpectedResponse(response) => u16::try_from(response.status.code()).ok(),
        _ => None,
    }
}

/// A failure quoting the server's reply (code and words); never a password, which no
/// FTP reply carries. Its `http_status` stays empty: there is no HTTP status.
fn failure(code: ErrorCode, what: &str, error: &FtpError) -> FetchFailure {
    let reply = match error {
        FtpError::UnexpectedResponse(response) => {
            let text = String::from_utf8_lossy(&response.body).trim().to_owned();
            if text.is_empty() { format!("{}", response.status.code()) } else { text }
        }
        other => other.to_string(),
    };
    FetchFailure::new(code, format!("{what}: {reply}"))
}

#[cfg(test)]
mod tests {
    use suppaftp::Status;

    use super::*;

    #[test]
    fn the_login_comes_from_the_collect_then_the_url_then_anonymous() {
        let url = Url::parse("ftp://alice:pw%21@127.0.0.1/s/k/p.zip").expect("url");
        let given = Credentials { user: "bob".into(), password: Some("secret".into()) };
        assert_eq!(login_of(&url, Some(&given)), ("bob".to_owned(), "secret".to_owned()));
        assert_eq!(login_of(&url, None), ("alice".to_owned(), "pw!".to_owned()));
        let bare = Url::parse("ftp://127.0.0.1/s/k/p.zip").expect("url");
        assert_eq!(login_of(&bare, None), (ANONYMOUS_USER.to_owned(), ANONYMOUS_PASSWORD.to_owned()));
    }

    #[test]
    fn a_refused_login_reads_as_530() {
        let error =
            FtpError::UnexpectedResponse(suppaftp::types::Response::new(Status::NotLoggedIn, b"530 no".to_vec()));
        assert_eq!(reply_code(&error), Some(530));
        let shown = failure(ErrorCode::INVALID_CREDENTIALS, "refused", &error);
        assert_eq!((shown.code, shown.http_status), (ErrorCode::INVALID_CREDENTIALS, None));
        assert!(shown.text.starts_with("refused: 530 no"), "{}", shown.text);
    }

    #[tokio::test]
    async fn an_unreachable_server_is_1310() {
        // Port 9 (discard) is closed on loopback in every environment this runs in.
        let url = Url::parse("ftp://127.0.0.1:9/s/k/p.zip").expect("url");
        let spool = Spool::new(std::sync::Arc::from(std::env::temp_dir()));
        let failure = fetch_ftp(url, None, None, 1024, spool).await.expect_err("nothing listens");
        assert_eq!(failure.code, ErrorCode::INVALID_PACKAGE_URL);
        assert!(failure.text.starts_with("cannot reach the staging server"), "{}", failure.text);
    }
}
