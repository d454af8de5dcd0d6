//! The run's own certificate authority, so that the staging server can speak HTTPS
//! (CMI010 §5: a target *shall* fetch over HTTP and HTTPS) without any real
//! certificate. The CA PEM is written next to the report; the target under test is
//! told to trust it, and our own HTTP clients trust it through
//! [`RunCa::reqwest_certificate`].
//!
//! Every run mints a fresh CA and leaf: nothing secret is ever committed, and a
//! leaked key is worthless once the run ends.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::error::MockError;

/// Hosts every server certificate names, whatever the advertise host: the loopback
/// addresses and name, so that tests and local runs need no configuration.
const LOOPBACK_HOSTS: [&str; 3] = ["127.0.0.1", "::1", "localhost"];

/// A certificate authority and one server certificate signed by it, ready for rustls.
pub struct RunCa {
    ca_pem: String,
    server_config: Arc<ServerConfig>,
    reqwest_certificate: reqwest::Certificate,
    hosts: Vec<String>,
}

impl RunCa {
    /// Mints a CA and a server certificate for the loopback hosts plus `hosts` (DNS
    /// names or IP addresses, IPv6 with or without brackets; duplicates are ignored).
    pub fn generate(hosts: &[String]) -> Result<RunCa, MockError> {
        let hosts = subject_alt_names(hosts);
        let joined = hosts.join(", ");
        let certificate_error = |what: &'static str| {
            let hosts = joined.clone();
            move |source: rcgen::Error| MockError::Certificate { what, hosts, source }
        };

        let ca_key = KeyPair::generate().map_err(certificate_error("ca"))?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(certificate_error("ca"))?;
        ca_params.distinguished_name = name("pens-conform run CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages =
            vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        let ca_cert = ca_params.self_signed(&ca_key).map_err(certificate_error("ca"))?;

        let server_key = KeyPair::generate().map_err(certificate_error("server"))?;
        let mut server_params = CertificateParams::new(hosts.clone()).map_err(certificate_error("server"))?;
        server_params.distinguished_name = name("pens-conform staging server");
        server_params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
        server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        server_params.use_authority_key_identifier_extension = true;
        let server_cert =
            server_params.signed_by(&server_key, &ca_cert, &ca_key).map_err(certificate_error("server"))?;

        let chain: Vec<CertificateDer<'static>> = vec![server_cert.der().clone(), ca_cert.der().clone()];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
        // The ring provider is named explicitly: a process-wide default may be missing,
        // or ambiguous when another crate enables a second provider.
        let server_config = ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;
        let reqwest_certificate = reqwest::Certificate::from_der(ca_cert.der())?;

        Ok(RunCa { ca_pem: ca_cert.pem(), server_config: Arc::new(server_config), reqwest_certificate, hosts })
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
