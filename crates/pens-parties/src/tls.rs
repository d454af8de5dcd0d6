//! The run's own certificate authority, so that the staging server can speak HTTPS
//! (CMI010 §5: a target *shall* fetch over HTTP and HTTPS) without any real
//! certificate. The CA PEM is written next to the report; the target under test is
//! told to trust it, and our own HTTP clients trust it through
//! [`RunCa::reqwest_certificate`].
//!
//! Every run mints a fresh CA and leaf: nothing secret is ever committed, and a
//! leaked key is worthless once the run ends.

use std::path::Path;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::error::MockError;

/// The CA's own parameters: a name, and the right to sign server certificates.
fn ca_params() -> Result<CertificateParams, rcgen::Error> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.distinguished_name = name("pens-conform run CA");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    Ok(params)
}

fn certificate_error(what: &'static str, hosts: &[String], source: rcgen::Error) -> MockError {
    MockError::Certificate { what, hosts: hosts.join(", "), source }
}

/// Hosts every server certificate names, whatever the advertise host: the loopback
/// addresses and name, so that tests and local runs need no configuration.
const LOOPBACK_HOSTS: [&str; 3] = ["127.0.0.1", "::1", "localhost"];

/// The crypto provider of every TLS configuration the harness builds, client or server:
/// *ring*, named explicitly, since a process-wide default may be missing, or ambiguous
/// when another crate enables a second provider.
///
/// rustls 0.23.48 deprecates `ring::default_provider` because *ring* offers no
/// post-quantum key exchange, and points to aws-lc-rs. The harness keeps *ring* on
/// purpose: its TLS peers are the implementation under test and its own parties, for
/// one run; aws-lc-rs would add a C and CMake build to every install (and suppaftp and
/// libunftp are built on *ring* here too). So this is the one place that names it, and
/// the one `allow(deprecated)`: a `cargo install` that resolves a newer rustls than
/// Cargo.lock's compiles without a warning.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    #[allow(deprecated)]
    let ring = rustls::crypto::ring::default_provider();
    Arc::new(ring)
}

/// A certificate authority and one server certificate signed by it, ready for rustls.
pub struct RunCa {
    ca_pem: String,
    /// Kept only to store a CA that was just created; never shown.
    ca_key_pem: String,
    server_config: Arc<ServerConfig>,
    reqwest_certificate: reqwest::Certificate,
    hosts: Vec<String>,
}

impl RunCa {
    /// Mints a CA and a server certificate for the loopback hosts plus `hosts` (DNS
    /// names or IP addresses, IPv6 with or without brackets; duplicates are ignored).
    pub fn generate(hosts: &[String]) -> Result<RunCa, MockError> {
        let ca_key = KeyPair::generate().map_err(|source| certificate_error("ca", hosts, source))?;
        let ca_params = ca_params().map_err(|source| certificate_error("ca", hosts, source))?;
        RunCa::new_ca(hosts, ca_key, ca_params)
    }

    /// A fresh CA of `ca_params` signed by `ca_key`, and a server certificate it signs.
    fn new_ca(hosts: &[String], ca_key: KeyPair, ca_params: CertificateParams) -> Result<RunCa, MockError> {
        let ca_cert = ca_params.self_signed(&ca_key).map_err(|source| certificate_error("ca", hosts, source))?;
        let issuer = Issuer::new(ca_params, ca_key);
        RunCa::with_ca(hosts, ca_cert.der().clone(), ca_cert.pem(), issuer)
    }

    /// The CA kept in `dir` (`ca.pem`, `ca-key.pem`), created there on first use, with
    /// a fresh server certificate for `hosts`: a vendor makes the LMS trust `ca.pem`
    /// once, and every later run is trusted. The key file is readable by its owner only.
    pub fn load_or_create(dir: &Path, hosts: &[String]) -> Result<RunCa, MockError> {
        let cert_path = dir.join("ca.pem");
        let key_path = dir.join("ca-key.pem");
        let read = |path: &Path| {
            std::fs::read_to_string(path).map_err(|source| MockError::Read { path: path.to_owned(), source })
        };
        if cert_path.exists() && key_path.exists() {
            let ca_key =
                KeyPair::from_pem(&read(&key_path)?).map_err(|source| certificate_error("ca", hosts, source))?;
            let ca_pem = read(&cert_path)?;
            // The stored certificate itself goes in the chain: it is the one the target trusts.
            let ca_der = CertificateDer::from_pem_slice(ca_pem.as_bytes())
                .map_err(|_| certificate_error("ca", hosts, rcgen::Error::CouldNotParseCertificate))?;
            let issuer =
                Issuer::from_ca_cert_der(&ca_der, ca_key).map_err(|source| certificate_error("ca", hosts, source))?;
            return RunCa::with_ca(hosts, ca_der, ca_pem, issuer);
        }
        let ca_key = KeyPair::generate().map_err(|source| certificate_error("ca", hosts, source))?;
        let ca = RunCa::new_ca(hosts, ca_key, ca_params().map_err(|source| certificate_error("ca", hosts, source))?)?;
        let write = |path: &Path, contents: &str| {
            std::fs::create_dir_all(dir)
                .and_then(|()| std::fs::write(path, contents))
                .map_err(|source| MockError::Read { path: path.to_owned(), source })
        };
        write(&cert_path, &ca.ca_pem)?;
        write(&key_path, &ca.ca_key_pem)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600));
        }
        Ok(ca)
    }

    /// A server certificate for `hosts` signed by `issuer`, the CA whose certificate is
    /// `ca_der` (`ca_pem` in PEM).
    fn with_ca(
        hosts: &[String],
        ca_der: CertificateDer<'static>,
        ca_pem: String,
        issuer: Issuer<'static, KeyPair>,
    ) -> Result<RunCa, MockError> {
        let hosts = subject_alt_names(hosts);
        let joined = hosts.join(", ");
        let certificate_error = |what: &'static str| {
            let hosts = joined.clone();
            move |source: rcgen::Error| MockError::Certificate { what, hosts, source }
        };
        let server_key = KeyPair::generate().map_err(certificate_error("server"))?;
        let mut server_params = CertificateParams::new(hosts.clone()).map_err(certificate_error("server"))?;
        server_params.distinguished_name = name("pens-conform staging server");
        server_params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
        server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        server_params.use_authority_key_identifier_extension = true;
        let server_cert = server_params.signed_by(&server_key, &issuer).map_err(certificate_error("server"))?;

        let chain: Vec<CertificateDer<'static>> = vec![server_cert.der().clone(), ca_der.clone()];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
        let server_config = ServerConfig::builder_with_provider(crypto_provider())
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;
        let reqwest_certificate = reqwest::Certificate::from_der(&ca_der)?;

        Ok(RunCa {
            ca_pem,
            ca_key_pem: issuer.key().serialize_pem(),
            server_config: Arc::new(server_config),
            reqwest_certificate,
            hosts,
        })
    }

    /// The CA certificate, PEM-encoded: what a target under test must trust.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The server side of TLS: the leaf certificate (with the CA in the chain) and its key.
    pub fn server_config(&self) -> Arc<ServerConfig> {
        Arc::clone(&self.server_config)
    }

    /// The CA as a root for reqwest clients (our mock client, the reference target).
    pub fn reqwest_certificate(&self) -> reqwest::Certificate {
        self.reqwest_certificate.clone()
    }

    /// The subject alternative names of the server certificate.
    pub fn hosts(&self) -> &[String] {
        &self.hosts
    }
}

impl std::fmt::Debug for RunCa {
    /// Names the hosts only: the keys stay out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunCa").field("hosts", &self.hosts).finish_non_exhaustive()
    }
}

/// Loopback hosts then `extra`, brackets stripped, without duplicates or empty names.
fn subject_alt_names(extra: &[String]) -> Vec<String> {
    let mut hosts: Vec<String> = Vec::new();
    let candidates = LOOPBACK_HOSTS.iter().map(|h| (*h).to_owned()).chain(extra.iter().cloned());
    for host in candidates {
        let host = host.trim().trim_start_matches('[').trim_end_matches(']').to_owned();
        if !host.is_empty() && !hosts.iter().any(|h| h.eq_ignore_ascii_case(&host)) {
            hosts.push(host);
        }
    }
    hosts
}

fn name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    name.push(DnType::OrganizationName, "pens-conform");
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The provider is *ring*'s: the same suites and key exchange groups.
    #[test]
    fn the_crypto_provider_is_ring() {
        let provider = crypto_provider();
        assert_eq!(provider.cipher_suites, rustls::crypto::ring::DEFAULT_CIPHER_SUITES);
        let groups: Vec<_> = provider.kx_groups.iter().map(|group| group.name()).collect();
        let ring: Vec<_> = rustls::crypto::ring::DEFAULT_KX_GROUPS.iter().map(|group| group.name()).collect();
        assert_eq!(groups, ring);
    }

    #[test]
    fn loopback_hosts_come_first_and_duplicates_go() {
        let hosts = subject_alt_names(&["[::1]".into(), "LOCALHOST".into(), "lms.test".into(), " ".into()]);
        assert_eq!(hosts, ["127.0.0.1", "::1", "localhost", "lms.test"]);
    }

    #[test]
    fn generates_a_ca_pem_and_a_server_config() {
        let ca = RunCa::generate(&["10.0.0.7".into(), "staging.test".into()]).expect("a CA");
        assert!(ca.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(ca.hosts().contains(&"staging.test".to_owned()));
        assert!(!format!("{ca:?}").contains("PRIVATE"));
    }

    #[test]
    fn an_invalid_host_name_is_an_error_naming_it() {
        let error = RunCa::generate(&["höst.test".into()]).expect_err("not a DNS name");
        let text = error.to_string();
        assert!(text.starts_with("cannot generate the server certificate"), "{text}");
        assert!(text.contains("höst.test"), "{text}");
    }
}
