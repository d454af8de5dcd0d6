//! The keys of every table of both scenario languages, in the order the "valid keys"
//! help lists them: one [`keywords!`](crate::keyword) table per TOML table. A key's `///`
//! comment is its one-line documentation, shown as the schema's `description` and in the
//! docs' keyword lists; the converter reads every key through its variant, so a key is
//! named once, here.

use crate::keyword::{Keyword, keywords};

/// The names of a key table, in order: what a table may hold, for the converter's
/// unknown-key check and its "valid keys" help.
pub(crate) fn names<K: Keyword>() -> Vec<&'static str> {
    K::ALL.iter().map(|k| k.name()).collect()
}

keywords! {
    /// The keys every scenario starts with, in both languages.
    HeaderKey, "key" {
        /// Stable kebab-case id, unique; the file is named after it (`<id>.toml`).
        Id = "id",
        /// What passing means, in one line.
        Title = "title",
        /// The catalogue ids checked (pens_proto::CATALOGUE); at least one.
        Requirements = "requirements",
        /// How strongly the scenario's checks bind; `should` is for a best-practice
        /// scenario.
        Level = "level",
        /// Kebab-case tags, unique.
        Tags = "tags",
    }
}

// ---- target scenarios (scenarios/target/) ----

keywords! {
    /// The top level of a target scenario, after the [`HeaderKey`]s.
    TopKey, "key" {
        /// Features the scenario needs: not-applicable when the profile claims one `no`;
        /// judged when it claims it `yes`; with the claim `unknown`, judged when the run
        /// finds the target supports it, not-applicable when it refuses it
        /// (docs/target-mode.md, Claims).
        Needs = "needs",
        /// Features whose absence the scenario checks: not-applicable when the profile
        /// claims one `yes`; with the claim `unknown`, not-applicable when the run finds
        /// the target supports it (docs/target-mode.md, Claims).
        Unless = "unless",
        /// The package we serve and how (optional; default: serve
        /// fixtures/packages/scorm12-minimal.zip).
        Staging = "staging",
        /// The collect command we send (CMI010 §6.2).
        Collect = "collect",
        /// What the target must do; an absent section is not checked.
        Expect = "expect",
    }
}

keywords! {
    /// `[staging]`.
    StagingKey, "key" {
        /// A file under fixtures/packages/ (a folder of that name is zipped), relative,
        /// with `/`.
        Package = "package",
        /// Serve the package grown to exactly this size by a stored entry of zeros,
        /// generated while it is sent: bytes, or a string like "64MiB" or "1GiB" (1 KiB
        /// to just under 4 GiB). Not with corrupt, zip-slip, zip-bomb or oversized. Not
        /// applicable when the run's declared package limit (--max-package-bytes) is
        /// smaller.
        Size = "size",
        /// Require HTTP basic credentials with this user (needs `password`).
        User = "user",
        /// The password `user` must give (needs `user`), e.g. `{{secret}}`.
        Password = "password",
        /// How staging answers the fetch.
        Behaviour = "behaviour",
        /// The HTTP status to answer, with behaviour = "status".
        Status = "status",
        /// Milliseconds to wait before the first byte (delay) or between chunks
        /// (dribble).
        DelayMs = "delay_ms",
        /// Chunk size with behaviour = "dribble".
        ChunkBytes = "chunk_bytes",
        /// Bytes sent before closing, with behaviour = "truncate".
        AfterBytes = "after_bytes",
        /// How far beyond the run's declared package limit (--max-package-bytes) the
        /// package goes, with behaviour = "oversized".
        OverBytes = "over_bytes",
    }
}

impl StagingKey {
    /// The keys that are a behaviour's parameters: each applies only to the behaviours
    /// [`behaviour_parameters`] names.
    pub(crate) const PARAMETERS: [StagingKey; 5] = [
        StagingKey::Status,
        StagingKey::DelayMs,
        StagingKey::ChunkBytes,
        StagingKey::AfterBytes,
        StagingKey::OverBytes,
    ];
}

/// The parameters a behaviour takes, and whether each is required. Read by the
/// converter (a parameter of another behaviour is a conflict, a missing required one an
/// error) and by the schema (the same rules as `if`/`then`).
pub(crate) fn behaviour_parameters(behaviour: crate::BehaviourName) -> &'static [(StagingKey, bool)] {
    use crate::BehaviourName as B;
    match behaviour {
        B::Status => &[(StagingKey::Status, true)],
        B::Delay => &[(StagingKey::DelayMs, true)],
        B::Dribble => &[(StagingKey::DelayMs, true), (StagingKey::ChunkBytes, false)],
        B::Truncate => &[(StagingKey::AfterBytes, false)],
        B::Oversized => &[(StagingKey::OverBytes, false)],
        B::Serve | B::Corrupt | B::Redirect | B::ZipSlip | B::ZipBomb | B::Silent | B::AfterAnswer => &[],
    }
}

/// The behaviours a sized package (`size`) cannot be combined with: a sized package is
/// served as it is, or paced, cut or redirected; not rewritten.
pub(crate) const UNSIZED_BEHAVIOURS: [crate::BehaviourName; 4] = [
    crate::BehaviourName::Corrupt,
    crate::BehaviourName::ZipSlip,
    crate::BehaviourName::ZipBomb,
    crate::BehaviourName::Oversized,
];

keywords! {
    /// `[collect]`.
    CollectKey, "key" {
        /// How the collect is sent.
        Method = "method",
        /// Appended to the target URL's own query, without a leading `?` or `&`.
        TargetQuery = "target_query",
        /// The order of the elements.
        Order = "order",
        /// Elements left out (CMI010 §6.2 element names).
        Remove = "remove",
        /// Elements added or overridden, by name (an unknown name is sent as written).
        Set = "set",
        /// The whole body (POST) or query (GET), verbatim; excludes `set`, `remove` and
        /// `order`.
        Raw = "raw",
        /// Send this many collects at once, each with its own ids and URLs.
        Copies = "copies",
    }
}

impl CollectKey {
    /// What `raw` replaces: the body (or query) it gives is already whole.
    pub(crate) const NOT_WITH_RAW: [CollectKey; 3] = [CollectKey::Set, CollectKey::Remove, CollectKey::Order];
}

keywords! {
    /// `[expect]`: its sections, and `any_of`.
    ExpectKey, "key" {
        /// The synchronous answer to the collect (CMI010 §6.3).
        Response = "response",
        /// The package request reaching staging.
        Fetch = "fetch",
        /// The receipt(s) reaching the collector (CMI010 §5.1).
        Receipt = "receipt",
        /// The alerts reaching the collector (CMI010 §5.1, Appendix A §2).
        Alerts = "alerts",
        /// Requests reaching the harness's internal service, a loopback listener the
        /// collect points at with `{{internal_url}}` (required in the collect).
        Internal = "internal",
        /// Alternatives (`[[expect.any_of]]`), at least two; the top-level sections
        /// still apply.
        AnyOf = "any_of",
    }
}

impl ExpectKey {
    /// The sections: what `[expect]` and each `[[expect.any_of]]` alternative may hold.
    pub(crate) const SECTIONS: [ExpectKey; 5] =
        [ExpectKey::Response, ExpectKey::Fetch, ExpectKey::Receipt, ExpectKey::Alerts, ExpectKey::Internal];
}

keywords! {
    /// `[expect.response]`.
    ResponseKey, "key" {
        /// Acceptable codes (at least one); omitted: the answer pens-proto computes for
        /// the collect sent.
        Error = "error",
        /// Codes accepted with a warning; disjoint from `error`.
        Warn = "warn",
        /// How strictly the answer's format is judged.
        Format = "format",
        /// The verdict for another non-zero code where only non-zero codes were
        /// expected.
        OtherErrors = "other_errors",
        /// Values the answer must not carry (as sent or percent-decoded); messages name
        /// them as written, so `{{secret}}` stays hidden.
        DoesNotContain = "does_not_contain",
        /// Values an answer a browser renders as HTML (text/html, or no Content-Type)
        /// must not carry verbatim: escaped, or a text/plain answer.
        Escapes = "escapes",
    }
}

keywords! {
    /// `[expect.fetch]`.
    FetchKey, "key" {
        /// false: no request may reach staging.
        Happens = "happens",
        /// The staging listener the fetch must reach; omitted: not checked.
        Protocol = "protocol",
        /// What the fetch must present to staging.
        Credentials = "credentials",
    }
}

impl FetchKey {
    /// The keys that judge the fetch that came: with `happens = false` they check nothing.
    pub(crate) const NEED_A_FETCH: [FetchKey; 2] = [FetchKey::Protocol, FetchKey::Credentials];
}

keywords! {
    /// `[expect.receipt]`.
    ReceiptKey, "key" {
        /// Exactly this many receipts; 0: none may come; omitted: not checked.
        Count = "count",
        /// Acceptable codes (at least one); omitted: not checked.
        Error = "error",
        /// Codes accepted with a warning; disjoint from `error`.
        Warn = "warn",
        /// No receipt before the download completed.
        AfterFetch = "after_fetch",
        /// Any receipt with error=0 fails.
        NeverSuccess = "never_success",
        /// Exact values by notification field (a CMI010 element, or command, error,
        /// error-text).
        Fields = "fields",
        /// Values no receipt may carry (as sent or percent-decoded).
        DoesNotContain = "does_not_contain",
        /// What an HTTP receipt presents to the receipt URL.
        Credentials = "credentials",
        /// The verdict when fewer than `count` receipts arrive before the receipt
        /// deadline; a wrong receipt that came still fails. Needs `count` of at least 1.
        Missing = "missing",
    }
}

impl ReceiptKey {
    /// The keys that judge receipts that came: with `count = 0` they check nothing.
    pub(crate) const JUDGING: [ReceiptKey; 8] = [
        ReceiptKey::Error,
        ReceiptKey::Warn,
        ReceiptKey::AfterFetch,
        ReceiptKey::NeverSuccess,
        ReceiptKey::Fields,
        ReceiptKey::DoesNotContain,
        ReceiptKey::Credentials,
        ReceiptKey::Missing,
    ];
}

keywords! {
    /// `[expect.alerts]`.
    AlertsKey, "key" {
        /// No alert before the receipt.
        AfterReceipt = "after_receipt",
        /// Every alert passes pens-proto's notification checks.
        WellFormed = "well_formed",
        /// At least this many alerts (alerts are optional; 1 for a target that claims
        /// `alerts`).
        AtLeast = "at_least",
        /// Some alert carries one of these codes; omitted: not checked.
        Error = "error",
        /// Values no alert may carry (as sent or percent-decoded).
        DoesNotContain = "does_not_contain",
    }
}

keywords! {
    /// `[expect.internal]`.
    InternalKey, "key" {
        /// How a request to the internal service is judged.
        Requested = "requested",
    }
}

// ---- client scenarios (scenarios/client/) ----

keywords! {
    /// The top level of a client scenario, after the [`HeaderKey`]s.
    ClientTopKey, "key" {
        /// The script of our target (the LMS the client publishes to).
        Target = "target",
        /// What the client must do.
        Expect = "expect",
    }
}

keywords! {
    /// `[target]` of a client scenario: the script of our mock target.
    TargetKey, "key" {
        /// The code our target answers every collect with; omitted: what a correct
        /// target computes. Non-zero: it refuses, so nothing follows.
        Answer = "answer",
        /// Milliseconds before our target answers.
        AnswerDelayMs = "answer_delay_ms",
        /// Whether our target fetches the package.
        Fetch = "fetch",
        /// The code our receipt reports; omitted: the real outcome of the fetch.
        ReceiptError = "receipt_error",
        /// How many alerts follow a receipt that reported 0.
        Alerts = "alerts",
        /// How our receipt and alerts reach the client's URLs.
        Delivery = "delivery",
        /// What our receipt and alerts carry.
        Notifications = "notifications",
    }
}

keywords! {
    /// `[expect]` of a client scenario.
    ClientExpectKey, "key" {
        /// How many collects the client must send.
        Collects = "collects",
        /// How each collect is judged.
        Collect = "collect",
        /// The package the client staged (CMI010 §6.2).
        Package = "package",
        /// The client's answers to our receipt and alerts.
        Answers = "answers",
        /// package-ids across several collects (needs collects >= 2).
        Namespace = "namespace",
    }
}

keywords! {
    /// `[expect.collect]` of a client scenario.
    ClientCollectKey, "key" {
        /// How the collect's findings count.
        Findings = "findings",
        /// The method the collect must use; omitted: any.
        Method = "method",
    }
}

keywords! {
    /// `[expect.package]` of a client scenario.
    PackageKey, "key" {
        /// It can be fetched.
        Available = "available",
        /// Its contents fit its package-type.
        Contents = "contents",
    }
}

keywords! {
    /// `[expect.answers]` of a client scenario.
    AnswersKey, "key" {
        /// The answer to the receipt is checked.
        Receipt = "receipt",
        /// The answers to the alerts are checked.
        Alerts = "alerts",
        /// The answer must come within this many milliseconds.
        WithinMs = "within_ms",
    }
}

keywords! {
    /// `[expect.namespace]` of a client scenario.
    NamespaceKey, "key" {
        /// Every collect's package-id shares one namespace.
        Stable = "stable",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BehaviourName, ScenarioErrorKind, parse_scenario};

    /// The load errors of a `[staging]` table: `(missing|conflict|other, key or message)`.
    fn load(staging: &str) -> Vec<(&'static str, String)> {
        let text = format!("id = \"x\"\ntitle = \"t\"\nrequirements = [\"target.collect.post\"]\n[staging]\n{staging}");
        let errors = parse_scenario("x.toml", &text).err().unwrap_or_default();
        errors
            .iter()
            .map(|e| match e.kind() {
                ScenarioErrorKind::MissingKey { key, .. } => ("missing", (*key).to_owned()),
                ScenarioErrorKind::Conflict { field, .. } => ("conflict", field.clone()),
                other => ("other", other.to_string()),
            })
            .collect()
    }

    /// The table the schema's `if`/`then` rules are generated from says what the loader
    /// does: a behaviour's required parameters are missing without them, its optional
    /// ones load, and every other parameter is a conflict.
    #[test]
    fn behaviour_parameters_are_the_loader_s() {
        let value = |key: StagingKey| if key == StagingKey::OverBytes { "2097152" } else { "200" };
        for behaviour in BehaviourName::ALL {
            let parameters = behaviour_parameters(*behaviour);
            let required: Vec<_> =
                parameters.iter().filter(|(_, r)| *r).map(|(k, _)| ("missing", k.name().to_owned())).collect();
            assert_eq!(load(&format!("behaviour = \"{behaviour}\"\n")), required, "{behaviour}");
            let all: String = parameters.iter().map(|(k, _)| format!("{k} = {}\n", value(*k))).collect();
            assert_eq!(load(&format!("behaviour = \"{behaviour}\"\n{all}")), [], "{behaviour} with {all}");
            for other in StagingKey::PARAMETERS.iter().filter(|k| !parameters.iter().any(|(p, _)| p == *k)) {
                let errors = load(&format!("behaviour = \"{behaviour}\"\n{all}{other} = {}\n", value(*other)));
                assert_eq!(errors, [("conflict", format!("staging.{other}"))], "{behaviour} with {other}");
            }
        }
    }
}
