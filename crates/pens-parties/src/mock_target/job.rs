//! The work that follows an answer of 0: retrieve the package, check it, send one
//! receipt, then alerts (CMI010 §5.1, App. A §2).
//!
//! The job walks the steps of its [`super::TargetBehaviour`]: the conformant order
//! is fetch, receipt, alerts; another behaviour reorders or drops steps. Its
//! [`super::TargetScript`] then says what the steps do: skip the fetch, report another
//! outcome in the receipt, send several alerts or none, deliver by GET. The receipt
//! reports the outcome so far (as the script shows it), so a receipt sent before any
//! fetch claims a success the target cannot know; alerts are sent only while that
//! outcome is a success.

use std::sync::Arc;

use pens_proto::{CollectCommand, ErrorCode, NotificationKind};

use super::activity::{ExchangeRef, TargetEventKind};
use super::archive::{ArchiveRefusal, ArchiveSummary, check_package};
use super::behaviour::Step;
use super::fetch::{Credentials, DEFAULT_MAX_PACKAGE_BYTES, fetch};
use super::mail::mail;
use super::notify::{Destination, destination, notification, send, shaped};
use super::redaction::Secrets;
use super::script::TargetScript;
use super::spool::SpooledPackage;
use super::state::Inner;

/// The `error-text` of a successful receipt.
const RECEIPT_SUCCESS_TEXT: &str = "package retrieved";

/// The `error-text` of the alert after a successful receipt.
const ALERT_TEXT: &str = "package imported";

/// Packages up to this size are checked on the runtime's own thread, and the verdict
/// on the last one is reused for the same bytes (`LastCheck` in archive.rs): a few kilobytes unzip
/// in microseconds, less than handing them to a blocking thread and back costs (which
/// dominated under load). Even a deflate bomb this small expands to no more than about
/// 16 MiB, a few milliseconds. Larger packages go to the blocking pool, so that a big
/// archive never stalls the other exchanges; so do packages spooled to a file
/// (beyond [`super::spool::SPOOL_IN_MEMORY_BYTES`]), read there.
const INLINE_CHECK_BYTES: usize = 16 * 1024;

/// The background work of one exchange.
pub(crate) struct Job {
    pub(crate) inner: Arc<Inner>,
    pub(crate) exchange: ExchangeRef,
    /// The collect, secrets included: they are presented to the staging server.
    pub(crate) command: CollectCommand,
    pub(crate) script: TargetScript,
    /// The collect's secret values, blanked in what the client answers.
    pub(crate) secrets: Secrets,
}

/// What the job knows about the package so far.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    /// Not fetched (yet).
    NotFetched,
    /// Retrieved, and the archive fits its type.
    Imported,
    /// Retrieval or the check failed: the receipt's code and text.
    Failed(ErrorCode, String),
}

impl Outcome {
    fn receipt(&self) -> (ErrorCode, &str) {
        match self {
            Outcome::NotFetched | Outcome::Imported => (ErrorCode::SUCCESS, RECEIPT_SUCCESS_TEXT),
            Outcome::Failed(code, text) => (*code, text),
        }
    }
}

/// The first bytes of a package as text, for `leaky-receipts`: control characters and
/// what is not UTF-8 made visible. Reads the file of a spooled package.
fn quote_start(body: &SpooledPackage) -> String {
    String::from_utf8_lossy(&body.prefix(64)).chars().flat_map(char::escape_debug).collect()
}

/// `leaky-receipts` (when `leaky`): a "helpful" refusal that shows what came instead.
fn leak(
    checked: Result<ArchiveSummary, ArchiveRefusal>,
    body: &SpooledPackage,
    leaky: bool,
) -> Result<ArchiveSummary, ArchiveRefusal> {
    match checked {
        Err(refusal) if leaky => {
            Err(ArchiveRefusal { text: format!("{}; it begins: {}", refusal.text, quote_start(body)), ..refusal })
        }
        other => other,
    }
}

/// The `error-text` of alert `number` of `count`.
fn alert_text(number: u32, count: u32) -> String {
    if count == 1 { ALERT_TEXT.to_owned() } else { format!("{ALERT_TEXT} (alert {number} of {count})") }
}

impl Job {
    /// Runs the steps in order.
    pub(crate) async fn run(self) {
        let mut outcome = Outcome::NotFetched;
        for step in self.inner.behaviour.steps {
            match step {
                Step::Fetch if !self.script.fetch => {}
                Step::Fetch => outcome = self.fetch_and_check().await,
                Step::Receipt => {
                    let reported = self.reported(&outcome);
                    let (code, text) = reported.receipt();
                    self.notify(NotificationKind::Receipt, code, text).await;
                }
                Step::Alert if matches!(self.reported(&outcome), Outcome::Failed(..)) => {}
                Step::Alert => {
                    let count = self.script.alerts;
                    for number in 1..=count {
                        self.notify(NotificationKind::Alert, ErrorCode::SUCCESS, &alert_text(number, count)).await;
                    }
                }
            }
        }
    }

    /// The outcome as the receipt reports it: the real one, unless the script names
    /// the receipt's code.
    fn reported(&self, outcome: &Outcome) -> Outcome {
        match self.script.receipt_error {
            None => outcome.clone(),
            Some(code) if code.is_success() => Outcome::Imported,
            Some(code) => Outcome::Failed(code, code.describe().trim_end_matches('.').to_owned()),
        }
    }

    fn package_id(&self) -> Option<&str> {
        self.command.package_id.as_deref()
    }

    fn record(&self, kind: TargetEventKind) {
        self.inner.record(&self.exchange, kind);
    }

    /// The basic credentials to present: `package-url-user-id` and `-password` when
    /// either is given (CMI010 §6.2), unless the behaviour says to ignore them.
    fn credentials(&self) -> Option<Credentials> {
        let command = &self.command;
        let given = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.is_empty());
        let any = given(&command.package_url_user_id) || given(&command.package_url_password);
        (self.inner.behaviour.present_credentials && any).then(|| Credentials {
            user: command.package_url_user_id.clone().unwrap_or_default(),
            password: command.package_url_password.clone(),
        })
    }

    async fn fetch_and_check(&self) -> Outcome {
        let url = self.command.package_url.as_deref().unwrap_or_default();
        let credentials = self.credentials();
        self.record(TargetEventKind::FetchStarted { url: pens_proto::redact(url), credentials: credentials.is_some() });
        let limit = if self.inner.behaviour.package_limit {
            self.inner.options.limits.package_bytes
        } else {
            DEFAULT_MAX_PACKAGE_BYTES.max(self.inner.options.limits.package_bytes)
        };
        let timeout = self.inner.options.fetch_timeout;
        let fetched = fetch(&self.inner.fetcher, url, credentials.as_ref(), timeout, limit).await;
        let package = match fetched {
            Ok(package) => package,
            Err(failure) => {
                if let Some(breach) = failure.breach.clone() {
                    self.record(TargetEventKind::LimitReached { breach });
                }
                self.record(TargetEventKind::FetchFinished {
                    http_status: failure.http_status,
                    bytes: failure.bytes,
                    result: failure.code,
                    detail: failure.text.clone(),
                });
                return Outcome::Failed(failure.code, failure.text);
            }
        };
        self.inner.keep_package(self.exchange.key.as_deref(), &package.body);
        let bytes = package.body.len();
        let depth = self.inner.behaviour.archive;
        let limits = self.inner.options.limits;
        let leaky = self.inner.behaviour.leaky_notifications;
        let checked = match package.body.in_memory() {
            Some(body) if body.len() <= INLINE_CHECK_BYTES => {
                let checked = self.inner.last_check.check(body, self.command.package_type.as_deref(), depth, &limits);
                leak(checked, &package.body, leaky)
            }
            _ => {
                let package_type = self.command.package_type.clone();
                let body = package.body.clone();
                tokio::task::spawn_blocking(move || {
                    leak(check_package(&body, package_type.as_deref(), depth, &limits), &body, leaky)
                })
                .await
                .unwrap_or_else(|e| Err(format!("the archive check stopped: {e}").into()))
            }
        };
        let (result, detail, outcome) = match checked {
            Ok(summary) => {
                (ErrorCode::SUCCESS, format!("a sound archive of {} files", summary.files), Outcome::Imported)
            }
            Err(refusal) => {
                if let Some(breach) = refusal.breach {
                    self.record(TargetEventKind::LimitReached { breach });
                }
                let text = refusal.text;
                (
                    ErrorCode::INTERNAL_PACKAGE_ERROR,
                    text.clone(),
                    Outcome::Failed(ErrorCode::INTERNAL_PACKAGE_ERROR, text),
                )
            }
        };
        self.record(TargetEventKind::FetchFinished { http_status: Some(package.http_status), bytes, result, detail });
        outcome
    }

    /// Sends one receipt or alert over HTTP or by mail, or records why it cannot be sent.
    async fn notify(&self, kind: NotificationKind, error: ErrorCode, error_text: &str) {
        let (url, mails) = match kind {
            NotificationKind::Receipt => (self.command.receipt.as_deref(), self.inner.capabilities.mailto_receipt),
            NotificationKind::Alert => (self.command.alerts.as_deref(), self.inner.capabilities.mailto_alerts),
        };
        let package_id = match kind {
            NotificationKind::Receipt => self.package_id().map(|id| self.inner.behaviour.receipt_package_id.apply(id)),
            NotificationKind::Alert => self.package_id().map(str::to_owned),
        };
        let client_name = &self.inner.options.client_name;
        let full = notification(kind, &self.command, package_id.clone(), client_name, error, error_text);
        let mut message = shaped(full, self.script.content);
        if let (true, Some(receipt)) = (self.inner.behaviour.leaky_notifications, &self.command.receipt) {
            // `leaky-receipts`: "all the collect data", the receipt URL's password too.
            message.extra.push(("receipt".to_owned(), receipt.clone()));
        }
        let url = match destination(kind, url, mails == pens_proto::Support::Yes) {
            Destination::Http(url) => url,
            Destination::Mail(mailto) => {
                let outcome = mail(self.inner.smtp_relay(), &mailto, &message, client_name).await;
                let to = mailto.addresses;
                let (reply, failure) = (outcome.reply, outcome.failure);
                self.record(TargetEventKind::NotificationMailed { kind, to, error, package_id, reply, failure });
                return;
            }
            Destination::Unusable(reason) => {
                self.record(TargetEventKind::NotificationSkipped { kind, reason });
                return;
            }
        };
        let shown_url = pens_proto::redact(url.as_str());
        let method = self.script.delivery;
        let limits = self.inner.options.limits.answer();
        let mut delivery = send(&self.inner.fetcher.http, url, method, &message, &limits).await;
        delivery.answer_raw = delivery.answer_raw.map(|bytes| self.secrets.scrub_bytes(&bytes));
        let fields = message.pairs().into_iter().map(|(name, _)| name.to_owned()).collect();
        self.record(TargetEventKind::NotificationSent {
            kind,
            method,
            url: shown_url,
            error,
            package_id,
            fields,
            delivery,
        });
    }
}
