//! What can go wrong while setting up a party: binding a socket, configuring an FTP
//! listener, minting the run's certificates, building a package from a fixture folder,
//! building an HTTP client.
//!
//! Once a party runs, nothing it observes is an error: a refused connection, a timeout
//! or a malformed message is recorded as data for the runner to judge.

use std::net::SocketAddr;
use std::path::PathBuf;

/// A party could not be set up. Messages are lower-case fragments that name the
/// address, host or path involved, so that the binary can prefix them with context.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MockError {
    /// A listener could not be bound, or its address read back.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for (port 0 when any free port would do).
        addr: SocketAddr,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A certificate of the run CA could not be generated, often because a host name
    /// is not a valid DNS name.
    #[error("cannot generate the {what} certificate (hosts: {hosts}): {source}")]
    Certificate {
        /// `"ca"` or `"server"`.
        what: &'static str,
        /// The subject alternative names asked for, comma-separated.
        hosts: String,
        /// What rcgen said.
        source: rcgen::Error,
    },
    /// rustls refused the generated key and certificate.
    #[error("cannot build the tls server configuration: {0}")]
    Tls(#[from] rustls::Error),
    /// libunftp refused the configuration of an FTP listener of the staging server.
    #[error("cannot configure the {protocol} listener: {source}")]
    FtpServer {
        /// `"ftp"` or `"ftps"`.
        protocol: &'static str,
        /// What libunftp said.
        source: libunftp::ServerError,
    },
    /// A fixture file or folder could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file or folder.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A package could not be written as a zip archive.
    #[error("cannot zip {path}: {source}")]
    Zip {
        /// The file being added, or the folder being zipped.
        path: PathBuf,
        /// What the zip writer said.
        source: zip::result::ZipError,
    },
    /// A fixture path holds something that cannot go into a package (not valid UTF-8,
    /// not a file or folder).
    #[error("cannot package {path}: {reason}")]
    Unpackable {
        /// The offending path.
        path: PathBuf,
        /// Why it was refused.
        reason: &'static str,
    },
    /// The HTTP client could not be built (for instance the CA was refused).
    #[error("cannot build the http client: {0}")]
    HttpClient(#[from] reqwest::Error),
}
