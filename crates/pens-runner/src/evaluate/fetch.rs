//! What the target did at the staging server (CMI010 §5, §6.2).

use pens_parties::{CredentialsPresented, StagingEvent};
use pens_proto::{Requirement, req};
use pens_report::{CheckResult, Verdict};
use pens_scenario::Protocol;

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
                match evidence.answered {
                    Some(code) if !code.is_success() => format!(
                        "the package was requested ({} {}) although the command was refused with {code}",
                        first.method, first.path
                    ),
                    _ => format!(
                        "the package was requested ({} {}) although the command should have been refused",
                        first.method, first.path
                    ),
                },
            ),
        }];
    }
    let requirement = match expect.protocol {
        Some(Protocol::Https) => &req::TARGET_FETCH_HTTPS,
        Some(Protocol::Ftp) => &req::TARGET_FETCH_FTP,
        Some(Protocol::Ftps) => &req::TARGET_FETCH_FTPS,
        Some(Protocol::Http) | None => &req::TARGET_FETCH_HTTP,
    };
    let Some(first) = requests.first() else {
        // A failed handshake on the FTPS control connection is recorded, and then
        // `untrusted_certificate` softens this failure with a note that names it: the
        // cause is said once, there. Without one (a handshake on a data connection
        // happens inside libunftp, out of our sight) say what most often stops it, since
        // the check cannot tell.
        let recorded = evidence.tls_failures.iter().any(|error| crate::evidence::on_ftps_listener(error));
        let hint = match expect.protocol {
            Some(Protocol::Ftps) if !recorded => {
                "; if the target logged in but never asked for the file, check that it trusts the run's CA \
                 (ca.pem); the FTPS listener serves both explicit (AUTH TLS) and implicit FTPS"
            }
            _ => "",
        };
        return vec![CheckResult::new(
            Verdict::Fail,
            requirement,
            format!(
                "the package was never requested from the staging server {}{hint}",
                evidence.watched(settings.deadlines.fetch, "fetch").within()
            ),
        )];
    };
    let mut checks = Vec::new();
    checks.push(retrieval(requests, requirement, expect.protocol.map(Protocol::name)).unwrap_or_else(|| {
        CheckResult::new(Verdict::Fail, requirement, format!("the package was never downloaded: {}", listed(requests)))
            .expected_actual("a GET (FTP: RETR) that reads the whole package", first.describe())
    }));
    checks.extend(query_kept(evidence, requirement));
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
        CredentialsExpect::Report => Some(CheckResult::new(
            Verdict::Pass,
            &req::TARGET_FETCH_CREDENTIALS,
            format!("observed: the package was requested with {}", describe(&first.credentials)),
        )),
    };
    checks.extend(credentials);
    checks
}

/// The check of the retrieval itself, when the target made one: a fetch is a download of
/// the whole package (CMI010 §5: the target *retrieves* it), so a HEAD, or a GET the
/// target broke off, is none. A GET the staging server refused (401, 404; FTP 550) and
/// the target read whole is the retrieval attempt the scenario can see: it counts, and
/// the receipt judges what the target made of it. `None` when no request counts.
fn retrieval(
    requests: &[StagingEvent],
    requirement: &'static Requirement,
    protocol: Option<&str>,
) -> Option<CheckResult> {
    let attempts: Vec<&StagingEvent> = requests
        .iter()
        .filter(|r| r.method != "HEAD" && (r.completed || r.is_whole_download() || r.is_refused_retr()))
        .collect();
    let chosen = attempts.iter().find(|r| r.is_whole_download()).or_else(|| attempts.first())?;
    let over = |r: &StagingEvent| protocol.is_none_or(|p| r.protocol == p);
    if !attempts.iter().any(|r| over(r)) {
        let wanted = protocol.unwrap_or_default();
        return Some(
            CheckResult::new(
                Verdict::Fail,
                requirement,
                format!("the package was requested over {}, not {wanted}: {}", chosen.protocol, chosen.describe()),
            )
            .expected_actual(wanted.to_owned(), chosen.protocol.clone()),
        );
    }
    let chosen =
        attempts.iter().find(|r| r.is_whole_download() && over(r)).or_else(|| attempts.iter().find(|r| over(r)))?;
    let what = if chosen.is_whole_download() {
        "the package was downloaded whole"
    } else {
        "the package was requested and the staging server's refusal read"
    };
    let others = requests.len() - 1;
    let more = match others {
        0 => String::new(),
        _ => format!("; {others} other request(s): {}", listed(requests)),
    };
    Some(CheckResult::new(
        Verdict::Pass,
        requirement,
        format!("{what} over {}: {}{more}", chosen.protocol, chosen.describe()),
    ))
}

/// A package URL with a query (a signed URL's signature, a token) is fetched with that
/// query: the staging server finds the package by its path alone, so a target that drops
/// the query passes here and fails on a real signed URL. The queries are compared
/// percent-decoded, so re-encoding them is fine. Nothing is said when the package-url
/// has no query or no request reached staging.
fn query_kept(evidence: &Evidence, requirement: &'static Requirement) -> Option<CheckResult> {
    let url = evidence.command.package_url.as_deref()?;
    let without_fragment = url.split_once('#').map_or(url, |(before, _)| before);
    let (_, wanted) = without_fragment.split_once('?')?;
    let decode = |query: &str| percent_encoding::percent_decode_str(query).decode_utf8_lossy().into_owned();
    let requests: Vec<&StagingEvent> = evidence.staging.iter().filter(|r| r.method != "HEAD").collect();
    let first = requests.first()?;
    if requests.iter().any(|r| r.query.as_deref().map(decode) == Some(decode(wanted))) {
        return Some(CheckResult::new(
            Verdict::Pass,
            requirement,
            format!("the package URL's query string was kept: {}", first.describe()),
        ));
    }
    Some(
        CheckResult::new(
            Verdict::Fail,
            requirement,
            format!(
                "the target dropped or changed the query string of the package URL (a signed URL would refuse it): {}",
                first.describe()
            ),
        )
        .expected_actual(
            format!("?{wanted}"),
            first.query.as_deref().map_or("(no query)".to_owned(), |q| format!("?{q}")),
        ),
    )
}

/// Every request in words, for messages (at most five, then how many more).
fn listed(requests: &[StagingEvent]) -> String {
    const SHOWN: usize = 5;
    let mut parts: Vec<String> = requests.iter().take(SHOWN).map(StagingEvent::describe).collect();
    if requests.len() > SHOWN {
        parts.push(format!("and {} more", requests.len() - SHOWN));
    }
    parts.join("; ")
}

fn describe(credentials: &CredentialsPresented) -> String {
    match credentials {
        CredentialsPresented::None => "no credentials".to_owned(),
        CredentialsPresented::Valid => "the right credentials".to_owned(),
        CredentialsPresented::Wrong { user } => format!("wrong credentials for user `{user}`"),
        CredentialsPresented::Unrequested { user } => format!("credentials for user `{user}` nobody asked for"),
    }
}

#[cfg(test)]
mod tests {
    use pens_parties::CredentialsPresented;
    use pens_report::Verdict;

    use super::judge;
    use crate::evaluate::testing::{outline, settings, valid};
    use crate::plan::{CredentialsExpect, FetchExpect};

    fn happens(protocol: Option<&str>, credentials: CredentialsExpect) -> FetchExpect {
        let protocol =
            protocol.map(|p| <pens_scenario::Protocol as pens_scenario::Keyword>::from_name(p).expect("a protocol"));
        FetchExpect { happens: true, protocol, credentials }
    }

    #[test]
    fn a_refused_collect_must_not_be_fetched() {
        let expect = FetchExpect { happens: false, protocol: None, credentials: CredentialsExpect::Any };
        let checks = judge(&valid().answered_with(2011), &expect, &settings());
        assert_eq!(outline(&checks), [(Verdict::Pass, "target.refused.no-fetch")]);

        let checks = judge(&valid().answered_with(2011).downloaded(5, 10), &expect, &settings());
        assert_eq!(outline(&checks), [(Verdict::Warn, "target.refused.no-fetch")]);
        assert!(checks[0].message.contains("GET /s/unit/scorm12-minimal.zip"), "{}", checks[0].message);
    }

    #[test]
    fn a_missing_fetch_fails_and_quotes_the_deadline() {
        let checks = judge(&valid().answered_with(0), &happens(Some("https"), CredentialsExpect::Any), &settings());
        assert_eq!(outline(&checks), [(Verdict::Fail, "target.fetch.https")]);
        assert_eq!(
            checks[0].message,
            "the package was never requested from the staging server within 3100 ms of the collect (the fetch deadline is 2000 ms)"
        );
    }

    #[test]
    fn a_missing_ftps_fetch_names_the_run_ca_as_the_likely_cause() {
        let checks = judge(&valid().answered_with(0), &happens(Some("ftps"), CredentialsExpect::Any), &settings());
        assert_eq!(outline(&checks), [(Verdict::Fail, "target.fetch.ftps")]);
        assert!(checks[0].message.contains("trusts the run's CA (ca.pem)"), "{}", checks[0].message);
        assert!(
            checks[0].message.ends_with("serves both explicit (AUTH TLS) and implicit FTPS"),
            "{}",
            checks[0].message
        );
        let checks = judge(&valid().answered_with(0), &happens(Some("ftp"), CredentialsExpect::Any), &settings());
        assert_eq!(outline(&checks), [(Verdict::Fail, "target.fetch.ftp")]);
        assert!(!checks[0].message.contains("ca.pem"), "{}", checks[0].message);
    }

    /// A recorded handshake failure is the cause the scenario's note gives: the check
    /// does not guess at it a second time.
    #[test]
    fn a_missing_ftps_fetch_after_a_recorded_handshake_failure_gives_no_second_hint() {
        let mut evidence = valid().answered_with(0);
        evidence.tls_failures.push("explicit FTPS: the client ended the TLS handshake after AUTH TLS".to_owned());
        let checks = judge(&evidence, &happens(Some("ftps"), CredentialsExpect::Any), &settings());
        assert_eq!(
            checks[0].message,
            "the package was never requested from the staging server within 3100 ms of the collect (the fetch deadline is 2000 ms)"
        );
    }

    #[test]
    fn a_head_or_a_broken_off_get_is_no_fetch() {
        let expect = happens(Some("http"), CredentialsExpect::Any);
        let head = valid().answered_with(0).head(5, 6);
        let checks = judge(&head, &expect, &settings());
        assert_eq!(outline(&checks), [(Verdict::Fail, "target.fetch.http")]);
        assert!(checks[0].message.contains("never downloaded: HEAD /s/unit/"), "{}", checks[0].message);
        assert!(checks[0].message.contains("no body requested"), "{}", checks[0].message);

        let broken = valid().answered_with(0).fetch(5, 10, false, CredentialsPresented::None);
        let checks = judge(&broken, &expect, &settings());
        assert_eq!(outline(&checks), [(Verdict::Fail, "target.fetch.http")]);
        assert!(checks[0].message.contains("100 of 1024 bytes, broken off"), "{}", checks[0].message);

        // A HEAD first, then the whole GET: fetched.
        let checks = judge(&head.downloaded(7, 12), &expect, &settings());
        assert_eq!(outline(&checks), [(Verdict::Pass, "target.fetch.http")]);
        assert!(
            checks[0].message.starts_with("the package was downloaded whole over http: GET"),
            "{}",
            checks[0].message
        );
        assert!(checks[0].message.contains("1 other request(s): HEAD"), "{}", checks[0].message);
    }

    #[test]
    fn a_refusal_of_the_staging_server_read_whole_is_the_retrieval_attempt() {
        // staging-wrong-password: the target asks with the wrong password and gets 401.
        let mut refused =
            valid().answered_with(0).fetch(5, 10, true, CredentialsPresented::Wrong { user: "pens".into() });
        refused.staging[0].status = 401;
        let checks = judge(&refused, &happens(None, CredentialsExpect::Any), &settings());
        assert_eq!(outline(&checks), [(Verdict::Pass, "target.fetch.http")]);
        assert!(checks[0].message.contains("refusal read"), "{}", checks[0].message);
    }

    #[test]
    fn a_package_url_query_must_reach_the_staging_server() {
        let mut evidence = valid().answered_with(0).downloaded(5, 10);
        evidence.command.package_url = Some("http://127.0.0.1:1/s/unit/scorm12-minimal.zip?X-Signature=a%2Fb".into());
        let checks = judge(&evidence, &happens(None, CredentialsExpect::Any), &settings());
        assert_eq!(outline(&checks), [(Verdict::Pass, "target.fetch.http"), (Verdict::Fail, "target.fetch.http")]);
        assert_eq!(checks[1].actual.as_deref(), Some("(no query)"));

        // Re-encoded, the same query.
        evidence.staging[0].query = Some("X-Signature=a/b".into());
        let checks = judge(&evidence, &happens(None, CredentialsExpect::Any), &settings());
        assert_eq!(outline(&checks), [(Verdict::Pass, "target.fetch.http"), (Verdict::Pass, "target.fetch.http")]);
        assert!(
            checks[1].message.contains("GET /s/unit/scorm12-minimal.zip?X-Signature=a/b (200"),
            "{}",
            checks[1].message
        );
    }

    #[test]
    fn a_refused_ftp_retr_is_the_retrieval_attempt_too() {
        let mut refused = valid().answered_with(0).fetch(5, 10, false, CredentialsPresented::None);
        let retr = &mut refused.staging[0];
        (retr.protocol, retr.method, retr.status, retr.bytes_sent, retr.body_bytes) =
            ("ftp".into(), "RETR".into(), 550, 0, 0);
        let checks = judge(&refused, &happens(Some("ftp"), CredentialsExpect::Any), &settings());
        assert_eq!(outline(&checks), [(Verdict::Pass, "target.fetch.ftp")]);
        assert!(checks[0].message.contains("RETR /s/unit/scorm12-minimal.zip (550, refused)"), "{}", checks[0].message);
    }

    #[test]
    fn the_protocol_is_checked_when_asked() {
        let http = valid().answered_with(0).downloaded(5, 10);
        let checks = judge(&http, &happens(Some("https"), CredentialsExpect::Any), &settings());
        assert_eq!(outline(&checks), [(Verdict::Fail, "target.fetch.https")]);
        assert_eq!((checks[0].expected.as_deref(), checks[0].actual.as_deref()), (Some("https"), Some("http")));
        let checks = judge(&http, &happens(Some("http"), CredentialsExpect::Any), &settings());
        assert_eq!(outline(&checks), [(Verdict::Pass, "target.fetch.http")]);
        let checks = judge(&http, &happens(None, CredentialsExpect::Any), &settings());
        assert_eq!(outline(&checks), [(Verdict::Pass, "target.fetch.http")]);
    }

    #[test]
    fn credentials_are_checked_as_asked() {
        let with = |credentials| valid().answered_with(0).fetch(5, 10, true, credentials);
        let wrong = || CredentialsPresented::Wrong { user: "pens".into() };
        let cases = [
            (with(CredentialsPresented::Valid), CredentialsExpect::Valid, Some(Verdict::Pass)),
            (with(CredentialsPresented::None), CredentialsExpect::Valid, Some(Verdict::Fail)),
            (with(wrong()), CredentialsExpect::Valid, Some(Verdict::Fail)),
            // A first try without, then with the credentials (after a 401) is fine.
            (
                with(CredentialsPresented::None).fetch(12, 20, true, CredentialsPresented::Valid),
                CredentialsExpect::Valid,
                Some(Verdict::Pass),
            ),
            (with(CredentialsPresented::None), CredentialsExpect::None, None),
            (
                with(CredentialsPresented::Unrequested { user: "x".into() }),
                CredentialsExpect::None,
                Some(Verdict::Warn),
            ),
            (with(wrong()), CredentialsExpect::Any, None),
        ];
        for (index, (evidence, expect, verdict)) in cases.into_iter().enumerate() {
            let checks = judge(&evidence, &happens(None, expect), &settings());
            let credentials: Vec<Verdict> =
                checks.iter().filter(|c| c.requirement == "target.fetch.credentials").map(|c| c.verdict).collect();
            assert_eq!(credentials, verdict.into_iter().collect::<Vec<_>>(), "case {index}");
        }
        let checks = judge(&with(wrong()), &happens(None, CredentialsExpect::Valid), &settings());
        assert_eq!(checks[1].actual.as_deref(), Some("wrong credentials for user `pens`"));
    }
}
