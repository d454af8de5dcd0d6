//! Scripts: what the reference target does for one scenario of client mode.
//!
//! In client mode pens-conform plays the target for an authoring tool, and each
//! scenario needs the target to act a part: refuse at once, answer late, report a
//! retrieval error, send several alerts, deliver by GET. Rather than a second target,
//! the reference target takes a [`TargetScript`] per *key*: a collect at `/pens/<key>`
//! ([`super::MockTarget::url_for`]) follows the script registered for that key
//! ([`super::MockTargetState::script`]); a collect at `/pens`, or at a key nobody
//! registered, follows [`TargetScript::default`], which is a correct target.
//!
//! Scripts and behaviours compose: the script says *what* happens (the answer, the
//! outcome the receipt reports, how many alerts), the [`super::TargetBehaviour`] of
//! the options still changes *how* (line endings, order of receipt and alert, credentials
//! presented, ...). The one overlap is the answer: an explicit [`TargetScript::answer`]
//! wins over the behaviour's answer rule (the reference target's `lowest-error-code`, `always-success`,
//! `wrong-ftp-code`), which decides only the computed answer (`answer: None`).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use pens_proto::ErrorCode;

/// How receipts and alerts travel to the client (CMI010 §5, §5.1: a receipt or alert
/// over HTTP is itself a PENS message, sent like a collect).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryMethod {
    /// An HTTP POST with a form-urlencoded body: what the spec's examples use.
    #[default]
    Post,
    /// An HTTP GET with the message in the query of the receipt or alerts URL.
    Get,
}

impl DeliveryMethod {
    /// `POST` or `GET`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryMethod::Post => "POST",
            DeliveryMethod::Get => "GET",
        }
    }
}

impl fmt::Display for DeliveryMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a receipt or alert carries (CMI010 §5.1, whose text leaves their contents "not
/// fully defined").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NotificationContent {
    /// The collect's package data plus the outcome, in the shape of the spec's
    /// Appendix A examples: `command`, `pens-version`, `package-type`,
    /// `package-type-version`, `package-format`, `package-id`, `package-url`,
    /// `package-url-expiry`, `client`, `error`, `error-text`.
    #[default]
    Full,
    /// Only what the text makes necessary: `command` (which message this is), `error`
    /// (the outcome it reports) and `package-id` (which package it is about), the
    /// elements [`MINIMAL_NOTIFICATION_FIELDS`] names.
    Minimal,
}

/// The fields of a [`NotificationContent::Minimal`] receipt or alert, in the order sent.
pub const MINIMAL_NOTIFICATION_FIELDS: [&str; 3] = ["command", "package-id", "error"];

/// What the target does with the collects of one key. `Default` is a correct target:
/// the computed answer at once, a real fetch, a receipt with the real outcome, one
/// alert after a successful receipt, everything by POST. Build with
/// [`TargetScript::builder`] or struct update syntax over `Default`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetScript {
    /// The code to answer the collect with; `None`: the code the target computes (the
    /// highest applicable one, CMI010 §6.3, or a defect's answer rule). Only an answer
    /// of 0 leads to a fetch, a receipt and alerts.
    pub answer: Option<ErrorCode>,
    /// How long to hold the answer back after the collect has been read (CMI010 §5
    /// asks for a synchronous answer; a late one tests the client's patience).
    pub answer_delay: Duration,
    /// Whether to fetch the package after an answer of 0. Without a fetch the receipt
    /// reports 0 unless [`TargetScript::receipt_error`] says otherwise.
    pub fetch: bool,
    /// The `error` the receipt reports; `None`: the real outcome of the fetch (0, 1310,
    /// 1312, 1432, ...). `Some(0)` reports success whatever the fetch found.
    pub receipt_error: Option<ErrorCode>,
    /// How many alerts follow a receipt that reported 0 (CMI010 §5.1: any number).
    pub alerts: u32,
    /// How receipts and alerts are sent.
    pub delivery: DeliveryMethod,
    /// What receipts and alerts carry.
    pub content: NotificationContent,
}

impl Default for TargetScript {
    fn default() -> Self {
        TargetScript {
            answer: None,
            answer_delay: Duration::ZERO,
            fetch: true,
            receipt_error: None,
            alerts: 1,
            delivery: DeliveryMethod::Post,
            content: NotificationContent::Full,
        }
    }
}

impl TargetScript {
    /// A builder starting from the correct target.
    pub fn builder() -> TargetScriptBuilder {
        TargetScriptBuilder { script: TargetScript::default() }
    }
}

/// Builds a [`TargetScript`].
#[derive(Clone, Debug)]
#[must_use]
pub struct TargetScriptBuilder {
    script: TargetScript,
}

impl TargetScriptBuilder {
    /// Answers every collect with `code` (`None`: the computed code).
    pub fn answer(mut self, code: impl Into<Option<ErrorCode>>) -> Self {
        self.script.answer = code.into();
        self
    }

    /// Holds the answer back this long.
    pub fn answer_delay(mut self, delay: Duration) -> Self {
        self.script.answer_delay = delay;
        self
    }

    /// Fetches the package (`true`, the default) or not.
    pub fn fetch(mut self, fetch: bool) -> Self {
        self.script.fetch = fetch;
        self
    }

    /// Reports `code` in the receipt (`None`: the real outcome).
    pub fn receipt_error(mut self, code: impl Into<Option<ErrorCode>>) -> Self {
        self.script.receipt_error = code.into();
        self
    }

    /// Sends `count` alerts after a successful receipt.
    pub fn alerts(mut self, count: u32) -> Self {
        self.script.alerts = count;
        self
    }

    /// Sends receipts and alerts by `method`.
    pub fn delivery(mut self, method: DeliveryMethod) -> Self {
        self.script.delivery = method;
        self
    }

    /// Sends receipts and alerts carrying `content`.
    pub fn content(mut self, content: NotificationContent) -> Self {
        self.script.content = content;
        self
    }

    /// The script.
    pub fn build(self) -> TargetScript {
        self.script
    }
}

/// The scripts registered so far, by key.
#[derive(Debug, Default)]
pub(crate) struct Scripts {
    by_key: Mutex<HashMap<String, TargetScript>>,
}

impl Scripts {
    /// Registers `script` for `key`, replacing an earlier one. Exchanges already
    /// under way keep the script they started with.
    pub(crate) fn set(&self, key: &str, script: TargetScript) {
        self.by_key.lock().unwrap_or_else(PoisonError::into_inner).insert(key.to_owned(), script);
    }

    /// Forgets the script of `key`: later collects there follow the default script.
    pub(crate) fn remove(&self, key: &str) {
        self.by_key.lock().unwrap_or_else(PoisonError::into_inner).remove(key);
    }

    /// Whether a script is registered for `key` (client mode: a scenario in progress).
    pub(crate) fn contains(&self, key: &str) -> bool {
        self.by_key.lock().unwrap_or_else(PoisonError::into_inner).contains_key(key)
    }

    /// The script of `key` and whether one was registered; the default script for no
    /// key or an unknown one.
    pub(crate) fn for_key(&self, key: Option<&str>) -> (TargetScript, bool) {
        let scripts = self.by_key.lock().unwrap_or_else(PoisonError::into_inner);
        match key.and_then(|key| scripts.get(key)) {
            Some(script) => (script.clone(), true),
            None => (TargetScript::default(), false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builder_and_struct_update_agree_and_default_is_correct() {
        let built = TargetScript::builder()
            .answer(ErrorCode(1432))
            .answer_delay(Duration::from_millis(5))
            .fetch(false)
            .receipt_error(ErrorCode(1310))
            .alerts(3)
            .delivery(DeliveryMethod::Get)
            .content(NotificationContent::Minimal)
            .build();
        let updated = TargetScript {
            answer: Some(ErrorCode(1432)),
            answer_delay: Duration::from_millis(5),
            fetch: false,
            receipt_error: Some(ErrorCode(1310)),
            alerts: 3,
            delivery: DeliveryMethod::Get,
            content: NotificationContent::Minimal,
        };
        assert_eq!(built, updated);
        let correct = TargetScript::default();
        assert_eq!((correct.answer, correct.fetch, correct.receipt_error, correct.alerts), (None, true, None, 1));
        assert_eq!((correct.answer_delay, correct.delivery), (Duration::ZERO, DeliveryMethod::Post));
        assert_eq!(correct.content, NotificationContent::Full);
        assert_eq!(TargetScript::builder().build(), correct);
        assert_eq!(DeliveryMethod::Get.to_string(), "GET");
    }

    #[test]
    fn unknown_keys_and_no_key_follow_the_default_script() {
        let scripts = Scripts::default();
        let refuse = TargetScript { answer: Some(ErrorCode(1432)), ..Default::default() };
        scripts.set("a", refuse.clone());
        assert_eq!(scripts.for_key(Some("a")), (refuse, true));
        assert_eq!(scripts.for_key(Some("b")), (TargetScript::default(), false));
        assert_eq!(scripts.for_key(None), (TargetScript::default(), false));
        let late = TargetScript { alerts: 0, ..Default::default() };
        scripts.set("a", late.clone());
        assert_eq!(scripts.for_key(Some("a")), (late, true));
    }
}
