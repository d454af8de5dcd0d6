//! What the target did at the staging server (CMI010 §5, §6.2).

use pens_mock::CredentialsPresented;
use pens_proto::req;
use pens_report::{CheckResult, Verdict};

use super::Settings;
use crate::evidence::Evidence;
use crate::plan::{CredentialsExpect, FetchExpect};

pub(super) fn judge(evidence: &Evidence, expect: &FetchExpect, settings: &Settings<'_>) -> Vec<CheckResult> {
    let requests = &evidence.staging;
    if !expect.happens {
        return vec![match requests.first() {
            None => CheckResult::new(Verdict::Pass, &req::TARGET_REFUSED_NO_FETCH, "the package was not requested"),
            Some(first) => CheckResult::new(
                Verdict::of_level(req::TARGET_REFUSED_NO_FETCH.level),
                &req::TARGET_REFUSED_NO_FETCH,
                format!("the package was requested ({} {}) although the command was refused", first.method, first.path),
            ),
        }];
    }
    let requirement = match expect.protocol.as_deref() {
        Some("https") => &req::TARGET_FETCH_HTTPS,
        _ => &req::TARGET_FETCH_HTTP,
    };
    let Some(first) = requests.first() else {
        return vec![CheckResult::new(
            Verdict::Fail,
            requirement,
            format!(
                "the package was never requested from the staging server (waited {} ms)",
                settings.deadlines.fetch.as_millis()
            ),
        )];
    };
    let mut checks = Vec::new();
    match &expect.protocol {
        Some(protocol) if !requests.iter().any(|r| &r.protocol == protocol) => checks.push(
            CheckResult::new(
                Verdict::Fail,
                requirement,
                format!("the package was requested over {}, not {protocol}", first.protocol),
            )
            .expected_actual(protocol.clone(), first.protocol.clone()),
        ),
        _ => checks.push(CheckResult::new(
            Verdict::Pass,
            requirement,
            format!("the package was requested over {} ({} {})", first.protocol, first.method, first.path),
        )),
    }
    let presented = |wanted: fn(&CredentialsPresented) -> bool| requests.iter().any(|r| wanted(&r.credentials));
    let credentials = match expect.credentials {
        CredentialsExpect::Any => None,
        CredentialsExpect::Valid if presented(|c| matches!(c, CredentialsPresented::Valid)) => Some(CheckResult::new(
            Verdict::Pass,
            &req::TARGET_FETCH_CREDENTIALS,
            "the advertised credentials were presented",
        )),
        CredentialsExpect::Valid => Some(
            CheckResult::new(
                Verdict::Fail,
                &req::TARGET_FETCH_CREDENTIALS,
                "the staging server never saw the advertised package-url-user-id and package-url-password",
            )
            .expected_actual("HTTP basic credentials of the collect", describe(&first.credentials)),
        ),
        CredentialsExpect::None if presented(|c| !matches!(c, CredentialsPresented::None)) => Some(CheckResult::new(
            Verdict::Warn,
            &req::TARGET_FETCH_CREDENTIALS,
            "credentials were presented although the collect gave none",
        )),
        CredentialsExpect::None => None,
    };
    checks.extend(credentials);
    checks
}

fn describe(credentials: &CredentialsPresented) -> String {
    match credentials {
        CredentialsPresented::None => "no credentials".to_owned(),
        CredentialsPresented::Valid => "the right credentials".to_owned(),
        CredentialsPresented::Wrong { user } => format!("wrong credentials for user `{user}`"),
        CredentialsPresented::Unrequested { user } => format!("credentials for user `{user}` nobody asked for"),
    }
}
