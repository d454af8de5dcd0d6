//! Building the collect a scenario sends: the default valid command, then the
//! scenario's additions, removals, order and raw bytes.

use pens_parties::{CollectRequest, Method};
use pens_proto::{CollectCommand, Element, append_query, encode_form, format_expiry};

use crate::context::ScenarioContext;

/// How a scenario shapes its collect, rendered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct CollectSpec {
    /// GET instead of POST.
    pub(crate) get: bool,
    /// Appended to the target URL's own query.
    pub(crate) target_query: Option<String>,
    /// Elements in reverse order.
    pub(crate) reverse: bool,
    /// Elements left out.
    pub(crate) remove: Vec<String>,
    /// Elements added or overridden, in file order.
    pub(crate) set: Vec<(String, String)>,
    /// The whole body or query, verbatim.
    pub(crate) raw: Option<String>,
}

/// Credentials the run adds to every collect.
#[derive(Clone, Debug, Default)]
pub(crate) struct RunCredentials {
    pub(crate) system_user_id: Option<String>,
    pub(crate) system_password: Option<String>,
}

/// The default collect of a scenario: valid, with this scenario's URLs (docs/target-mode.md).
pub(crate) fn default_pairs(
    context: &ScenarioContext,
    staging_user: Option<(&str, &str)>,
    run: &RunCredentials,
) -> Vec<(String, String)> {
    let mut command = CollectCommand {
        pens_version: Some(pens_proto::PENS_VERSION.into()),
        command: Some(pens_proto::COLLECT.into()),
        package_type: Some("scorm-pif".into()),
        package_type_version: Some("1.2".into()),
        package_format: Some("zip".into()),
        package_id: Some(context.package_id.clone()),
        package_url: Some(context.staging_http.clone()),
        package_url_expiry: Some(format_expiry(context.now + time::Duration::hours(1))),
        client: Some("pens-conform".into()),
        system_user_id: run.system_user_id.clone(),
        system_password: run.system_password.clone(),
        receipt: Some(context.receipt_url.clone()),
        alerts: Some(context.alerts_url.clone()),
        ..CollectCommand::default()
    };
    if let Some((user, password)) = staging_user {
        command.set(Element::PackageUrlUserId, Some(user.to_owned()));
        command.set(Element::PackageUrlPassword, Some(password.to_owned()));
    }
    command.pairs().into_iter().map(|(n, v)| (n.to_owned(), v.to_owned())).collect()
}

/// The request to send to `target_url`.
pub(crate) fn build(target_url: &str, spec: &CollectSpec, mut pairs: Vec<(String, String)>) -> CollectRequest {
    let body = match &spec.raw {
        Some(raw) => raw.clone(),
        None => {
            for (name, value) in &spec.set {
                match pairs.iter_mut().find(|(n, _)| n == name) {
                    Some(pair) => pair.1.clone_from(value),
                    None => pairs.push((name.clone(), value.clone())),
                }
            }
            pairs.retain(|(name, _)| !spec.remove.contains(name));
            if spec.reverse {
                pairs.reverse();
            }
            encode_form(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())))
        }
    };
    let url = match &spec.target_query {
        Some(query) => append_query(target_url, query),
        None => target_url.to_owned(),
    };
    CollectRequest { method: if spec.get { Method::Get } else { Method::Post }, url, body }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> ScenarioContext {
        ScenarioContext {
            key: "k".into(),
            package_id: "urn:pens-conform:run:k".into(),
            staging_http: "http://127.0.0.1:1/s/k/p.zip".into(),
            staging_https: "https://127.0.0.1:2/s/k/p.zip".into(),
            staging_ftp: "ftp://127.0.0.1:4/s/k/p.zip".into(),
            staging_ftps: "ftps://127.0.0.1:5/s/k/p.zip".into(),
            receipt_url: "http://127.0.0.1:3/r/k/receipt".into(),
            alerts_url: "http://127.0.0.1:3/r/k/alerts".into(),
            receipt_mailbox: "receipt.k@pens-conform.test".into(),
            alerts_mailbox: "alerts.k@pens-conform.test".into(),
            secret: "s".into(),
            internal_url: "http://127.0.0.1:6/i/k/package.zip".into(),
            internal_token: "t".into(),
            collector: "127.0.0.1:3".into(),
            now: time::macros::datetime!(2026-06-01 00:00 UTC),
        }
    }

    #[test]
    fn the_default_collect_is_valid() {
        let pairs = default_pairs(&context(), None, &RunCredentials::default());
        let request = build("http://lms/pens", &CollectSpec::default(), pairs);
        let decoded = CollectCommand::decode(request.body.as_bytes());
        let assessment = pens_proto::assess_decoded_collect(&decoded, &pens_proto::CheckContext::at(context().now));
        assert!(assessment.findings.is_empty(), "{:?}", assessment.findings);
        assert_eq!(request.method, Method::Post);
    }

    #[test]
    fn set_remove_reverse_and_target_query_shape_the_request() {
        let spec = CollectSpec {
            get: true,
            target_query: Some("tenant=7".into()),
            reverse: true,
            remove: vec!["receipt".into()],
            set: vec![("client".into(), "Other".into()), ("x-extra".into(), "1".into())],
            raw: None,
        };
        let request = build("http://lms/pens", &spec, default_pairs(&context(), None, &RunCredentials::default()));
        assert_eq!(request.url, "http://lms/pens?tenant=7");
        assert!(request.body.starts_with("x-extra=1&alerts="), "{}", request.body);
        assert!(request.body.contains("client=Other"));
        assert!(!request.body.contains("receipt="));
    }

    #[test]
    fn raw_replaces_everything() {
        let spec = CollectSpec { raw: Some("a=%zz".into()), ..CollectSpec::default() };
        let request = build("http://lms/pens", &spec, default_pairs(&context(), None, &RunCredentials::default()));
        assert_eq!(request.body, "a=%zz");
    }
}
