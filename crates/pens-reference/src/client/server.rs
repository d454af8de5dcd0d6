//! The reference client on real sockets: its own run CA, a staging server (HTTP and
//! HTTPS), a receipt listener, and the HTTP client that sends collects. Publishing
//! stages a package, sends the collect, and hands back a [`Publication`].

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use pens_proto::{parse_response, redact, redact_form};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use time::OffsetDateTime;
use tokio::task::JoinSet;

use super::activity::{ClientEvent, ClientEventKind, CollectAnswer, PackageRequest, ReceivedNotification};
use super::collect::{Addresses, advertised_credentials, build_collect, staging_credentials};
use super::defect::{Behaviour, StagingRule};
use super::error::ReferenceClientError;
use super::options::{ReferenceClientOptions, StagingProtocol};
use super::publication::Publication;
use super::receipts::{Shared, notification_app, notification_urls, publication_key};
use super::request::PublishRequest;
use pens_parties::Collector;
use pens_parties::MockError;
use pens_parties::path::base_url;
use pens_parties::{CollectClient, CollectExchange, CollectRequest};
use pens_parties::{HttpListener, RunCa};
use pens_parties::{StagingEvent, StagingPlan, StagingServer};

/// How long one wait of a fetch-copying task lasts before it simply waits again. The
/// task lives until the client is dropped; this only bounds a single `wait_for`.
const COPY_WAIT: Duration = Duration::from_secs(3600);

/// A running reference client: a correct PENS client (an authoring tool stand-in) that
/// publishes packages to a target URL, with switchable defects. It listens until
/// dropped; dropping it stops its staging server and receipt listener.
pub struct ReferenceClient {
    options: ReferenceClientOptions,
    shared: Arc<Shared>,
    ca: RunCa,
    staging: Arc<StagingServer>,
    receipts: HttpListener,
    notification_base: String,
    /// The mail sink for `mailto:` receipts and alerts, when the options ask for them.
    mail: Option<Arc<Collector>>,
    sender: CollectClient,
    /// One task per publication copying the staging server's records of its package
    /// into the activity log; aborted when the client is dropped.
    copiers: Mutex<JoinSet<()>>,
}

impl ReferenceClient {
    /// Mints a run CA, starts the staging server (HTTP and HTTPS) and the receipt
    /// listener on `bind` (free ports), and readies the HTTP client for collects.
    pub async fn start(bind: IpAddr, options: ReferenceClientOptions) -> Result<ReferenceClient, ReferenceClientError> {
        let start_error = |party: &'static str| move |source: MockError| ReferenceClientError::Start { party, source };
        let extra_root = options.extra_root_pem.as_deref().map(root_certificate).transpose()?;
        let sender = CollectClient::new(extra_root).map_err(start_error("http client"))?;
        let hosts: Vec<String> =
            Some(options.advertise_host.trim()).filter(|h| !h.is_empty()).map(str::to_owned).into_iter().collect();
        let ca = RunCa::generate(&hosts).map_err(start_error("run ca"))?;
        let staging =
            StagingServer::start(bind, &options.advertise_host, &ca).await.map_err(start_error("staging server"))?;
        let shared = Arc::new(Shared::new(Behaviour::of(options.defect)));
        let receipts = HttpListener::serve(
            SocketAddr::new(bind, 0),
            notification_app(Arc::clone(&shared)),
            "the reference client's receipt listener",
        )
        .await
        .map_err(start_error("receipt listener"))?;
        let notification_base = base_url("http", &options.advertise_host, bind, receipts.local_addr().port());
        let mail = match (options.mailto, options.smtp_listen) {
            (false, _) => None,
            (true, None) => Some(Collector::start(bind, &options.advertise_host).await),
            (true, Some(smtp)) => Some(Collector::start_with_smtp(bind, &options.advertise_host, smtp).await),
        };
        let mail = mail.transpose().map_err(start_error("mail sink"))?.map(Arc::new);
        tracing::info!(
            staging = %staging.http_base(),
            receipts = %notification_base,
            defect = ?options.defect,
            "reference client listening"
        );
        Ok(ReferenceClient {
            options,
            shared,
            ca,
            staging: Arc::new(staging),
            receipts,
            notification_base,
            mail,
            sender,
            copiers: Mutex::new(JoinSet::new()),
        })
    }

    /// The options the client runs with.
    pub fn options(&self) -> &ReferenceClientOptions {
        &self.options
    }

    /// The client's CA certificate (PEM): a target must trust it to fetch over HTTPS.
    pub fn ca_pem(&self) -> &str {
        self.ca.ca_pem()
    }

    /// The staging server's plain HTTP base, `http://host:port`.
    pub fn staging_http_base(&self) -> String {
        self.staging.http_base()
    }

    /// The staging server's HTTPS base, `https://host:port`.
    pub fn staging_https_base(&self) -> String {
        self.staging.https_base()
    }

    /// The receipt listener's base, `http://host:port`; each publication's receipt and
    /// alerts URLs lie below it.
    pub fn notification_base(&self) -> &str {
        &self.notification_base
    }

    /// Where the client's mail sink listens, when it asks for `mailto:` receipts: the
    /// SMTP relay the target must mail through.
    pub fn smtp_addr(&self) -> Option<SocketAddr> {
        self.mail.as_ref().map(|mail| mail.smtp_addr())
    }

    /// The address the receipt listener is bound to.
    pub fn notification_addr(&self) -> SocketAddr {
        self.receipts.local_addr()
    }

    /// Every event so far, of every publication, in the order they happened.
    pub fn activity(&self) -> Vec<ClientEvent> {
        self.shared.log.snapshot(|_| true)
    }

    /// Waits until `pred` holds for all events so far, or `deadline` passes; `None` on
    /// the deadline. [`Publication::wait_for`] sees one publication only.
    pub async fn wait_for(&self, pred: impl Fn(&[ClientEvent]) -> bool, deadline: Instant) -> Option<Vec<ClientEvent>> {
        self.shared.log.wait_for(|_| true, pred, deadline).await
    }

    /// Publishes one package to `target_url` (CMI010 App. A §2 steps 1-2): stages it
    /// under a path of its own, sends the collect (form POST unless a defect says
    /// otherwise), and records both. Never fails: an unreachable target or a refused
    /// collect is the publication's outcome. Receipts and alerts arrive later; wait for
    /// them on the returned [`Publication`].
    pub async fn publish(&self, target_url: &str, request: PublishRequest) -> Publication {
        let behaviour = self.shared.behaviour;
        let number = self.shared.next_publication();
        let key = publication_key(number);

        let staging_credentials = staging_credentials(behaviour.credentials, &self.options);
        let mut plan = StagingPlan::new(request.file_name.clone(), request.package.clone());
        if let Some((user, password)) = &staging_credentials {
            plan = plan.credentials(user.clone(), password.clone());
        }
        let staged = self.staging.stage(&key, plan);
        let served = behaviour.staging == StagingRule::Staged;
        if !served {
            // The path stays reserved for this publication, so requests for it are
            // still recorded under its key; they get 404.
            self.staging.unstage(&key);
        }
        let package_url = match self.options.staging {
            StagingProtocol::Http => staged.http_url,
            StagingProtocol::Https => staged.https_url,
            StagingProtocol::Ftp => staged.ftp_url,
            StagingProtocol::Ftps => staged.ftps_url,
        };
        let (receipt, alerts) = match &self.mail {
            Some(mail) => {
                let urls = mail.mailto(&key);
                self.copy_mail(number, key.clone(), Arc::clone(mail));
                (urls.receipt, urls.alerts)
            }
            None => notification_urls(&self.notification_base, number),
        };
        let addresses = Addresses { package_url, package_path: staged.path, receipt, alerts };
        self.shared.log.record(
            Instant::now(),
            Some(number),
            ClientEventKind::Staged {
                url: redact(&addresses.package_url),
                bytes: request.package.len(),
                user: staging_credentials.as_ref().map(|(user, _)| user.clone()),
                served,
            },
        );
        self.copy_fetches(number, key);

        let advertised = advertised_credentials(behaviour.credentials, staging_credentials.as_ref());
        let now = OffsetDateTime::now_utc();
        let command = build_collect(&behaviour, &self.options, &request, &addresses, advertised, now);
        let collect = CollectRequest { method: behaviour.method, url: target_url.to_owned(), body: command.to_form() };
        let exchange = self.sender.send(&collect, self.options.collect_timeout).await;
        self.shared.log.record(exchange.started, Some(number), collect_sent(&collect, &exchange));

        let Addresses { package_url, receipt: receipt_url, alerts: alerts_url, .. } = addresses;
        Publication {
            number,
            command,
            exchange,
            package_url,
            receipt_url,
            alerts_url,
            shared: Arc::clone(&self.shared),
        }
    }

    /// Copies every receipt and alert mailed for publication `number` into the log as it
    /// arrives at the mail sink. Nobody answers a mail: the answer recorded is empty and
    /// the status is the sink's SMTP reply.
    fn copy_mail(&self, number: u64, key: String, mail: Arc<Collector>) {
        let shared = Arc::clone(&self.shared);
        let mut copiers = self.copiers.lock().unwrap_or_else(PoisonError::into_inner);
        copiers.spawn(async move {
            let mut copied = 0;
            loop {
                let deadline = Instant::now() + COPY_WAIT;
                let events = mail.wait_for(&key, deadline, |events| events.len() > copied).await;
                for event in events.iter().skip(copied) {
                    let received = ReceivedNotification {
                        endpoint: event.endpoint,
                        method: event.method.clone(),
                        content_type: event.content_type.clone(),
                        notification: ReceivedNotification::without_secrets(event.notification.clone()),
                        answer_status: event.status,
                        answer: bytes::Bytes::new(),
                    };
                    shared.log.record(
                        event.at,
                        Some(number),
                        ClientEventKind::NotificationReceived(Box::new(received)),
                    );
                }
                copied = copied.max(events.len());
            }
        });
    }

    /// Copies every staging record of publication `number`'s package into the log as
    /// it arrives. The staging server records a request once its answer is over.
    fn copy_fetches(&self, number: u64, key: String) {
        let staging = Arc::clone(&self.staging);
        let shared = Arc::clone(&self.shared);
        let mut copiers = self.copiers.lock().unwrap_or_else(PoisonError::into_inner);
        while copiers.try_join_next().is_some() {}
        copiers.spawn(async move {
            let mut copied: Vec<StagingEvent> = Vec::new();
            loop {
                let deadline = Instant::now() + COPY_WAIT;
                let Some(event) = staging.wait_for(&key, deadline, |e| !copied.contains(e)).await else { continue };
                let request = PackageRequest {
                    protocol: event.protocol.clone(),
                    method: event.method.clone(),
                    path: event.path.clone(),
                    credentials: event.credentials.clone(),
                    status: event.status,
                    bytes_sent: event.bytes_sent,
                    completed: event.completed,
                    finished_at: event.finished_at,
                };
                shared.log.record(event.at, Some(number), ClientEventKind::PackageRequested(request));
                copied.push(event);
            }
        });
    }
}

/// The log entry of a sent collect, secrets redacted: secret elements of a GET query or
/// POST body, and a password in the target URL's user information.
fn collect_sent(collect: &CollectRequest, exchange: &CollectExchange) -> ClientEventKind {
    let request_line = match exchange.request_line.split_once('?') {
        Some((head, query)) => format!("{}?{}", redact(head), redact_form(query)),
        None => redact(&exchange.request_line),
    };
    let outcome = exchange.outcome.as_ref().map_err(Clone::clone).map(|answer| CollectAnswer {
        status: answer.status,
        content_type: answer.header("content-type").map(str::to_owned),
        error: parse_response(&answer.body).error,
        body: answer.body.clone(),
    });
    ClientEventKind::CollectSent {
        method: collect.method,
        request_line,
        body: redact_form(&exchange.request_body),
        outcome,
        latency_ms: exchange.latency_ms,
    }
}

/// The one certificate of a PEM text, checked to be a usable trust anchor. reqwest
/// would skip text that holds no certificate when the client is built; a CA that
/// silently fails to load turns every HTTPS collect into a puzzling handshake error,
/// so the client refuses to start instead.
fn root_certificate(pem: &str) -> Result<reqwest::Certificate, ReferenceClientError> {
    let invalid = |reason: String| ReferenceClientError::RootCertificate { reason };
    let certificates = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(format!("unreadable pem: {e}")))?;
    let [certificate] = certificates.as_slice() else {
        return Err(invalid(format!("the pem text holds {} certificates, not one", certificates.len())));
    };
    let mut store = rustls::RootCertStore::empty();
    store.add(certificate.clone()).map_err(|e| invalid(format!("not a usable ca certificate: {e}")))?;
    reqwest::Certificate::from_der(certificate).map_err(|e| invalid(format!("refused by the http client: {e}")))
}

impl fmt::Debug for ReferenceClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReferenceClient")
            .field("options", &self.options)
            .field("staging", &self.staging)
            .field("notification_base", &self.notification_base)
            .finish_non_exhaustive()
    }
}

impl Drop for ReferenceClient {
    fn drop(&mut self) {
        // The copiers hold the staging server too: stop them so that it closes.
        self.copiers.lock().unwrap_or_else(PoisonError::into_inner).abort_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pens_parties::Method;

    #[test]
    fn the_logged_collect_hides_every_password() {
        let body = "command=collect&package-url-password=s3cret&client=x";
        let exchange = |request_line: String, request_body: &str| CollectExchange {
            request_line,
            request_body: request_body.to_owned(),
            started: Instant::now(),
            latency_ms: None,
            answer_started: None,
            answer_ended: None,
            outcome: Err("refused".to_owned()),
            timed_out: false,
            refused: false,
            breach: None,
        };
        let cases = [
            (Method::Post, exchange("POST http://lms:pw0rd@127.0.0.1:9/pens".into(), body)),
            (Method::Get, exchange(format!("GET http://lms:pw0rd@127.0.0.1:9/pens?{body}"), "")),
        ];
        for (method, exchange) in cases {
            let request = CollectRequest { method, url: "http://lms:pw0rd@127.0.0.1:9/pens".into(), body: body.into() };
            let logged = format!("{:?}", collect_sent(&request, &exchange));
            assert!(!logged.contains("s3cret") && !logged.contains("pw0rd"), "{logged}");
            assert!(logged.contains("client=x") && logged.contains("127.0.0.1:9/pens"), "{logged}");
        }
    }

    #[test]
    fn a_root_certificate_must_be_one_usable_certificate() {
        let ca = RunCa::generate(&[]).expect("ca");
        assert!(root_certificate(ca.ca_pem()).is_ok());
        let garbage = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let two = format!("{}{}", ca.ca_pem(), ca.ca_pem());
        for pem in ["not a certificate", garbage, "", two.as_str()] {
            let error = root_certificate(pem).expect_err(pem).to_string();
            assert!(error.starts_with("the extra root certificate is unusable"), "{error}");
        }
    }
}
