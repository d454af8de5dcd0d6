//! The internal service (`[expect.internal]`): did the target fetch the loopback URL
//! it was pointed at? Worth knowing, and only a failure for a scenario that says the
//! target must refuse internal addresses (security best practice).

use pens_report::{CheckResult, Verdict};

use super::Settings;
use crate::evidence::Evidence;
use crate::plan::InternalExpect;

pub(super) fn judge(evidence: &Evidence, expect: &InternalExpect, settings: &Settings<'_>) -> Vec<CheckResult> {
    let requirement = settings.main_requirement;
    let Some(first) = evidence.internal.first() else {
        return vec![CheckResult::new(Verdict::Pass, requirement, "the target did not request the internal URL")];
    };
    let count = evidence.internal.len();
    let times = if count == 1 { "once".to_owned() } else { format!("{count} times") };
    let request = format!("{} {}, answered {}", first.method, first.path, first.status);
    vec![if expect.never {
        CheckResult::new(
            Verdict::Fail,
            requirement,
            format!("the target requested the internal URL {times} ({request}): it fetches internal addresses"),
        )
        .expected_actual("no request", format!("{count} request(s)"))
    } else {
        CheckResult::new(
            Verdict::Pass,
            requirement,
            format!(
                "observed: the target requested the internal URL {times} ({request}); fetching it is not judged, \
                 showing what it returned is"
            ),
        )
    }]
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use pens_parties::InternalRequest;
    use pens_report::Verdict;

    use super::judge;
    use crate::evaluate::testing::{outline, settings, valid};
    use crate::plan::InternalExpect;

    #[test]
    fn a_request_is_reported_and_fails_only_when_never_allowed() {
        let mut evidence = valid().answered_with(0);
        for never in [false, true] {
            let checks = judge(&evidence, &InternalExpect { never }, &settings());
            assert_eq!(outline(&checks), [(Verdict::Pass, "target.collect.post")]);
            assert_eq!(checks[0].message, "the target did not request the internal URL");
        }
        evidence.internal.push(InternalRequest {
            key: "unit".into(),
            at: Instant::now(),
            method: "GET".into(),
            path: "/i/unit/package.zip".into(),
            status: 200,
        });
        let reported = judge(&evidence, &InternalExpect { never: false }, &settings());
        assert_eq!(reported[0].verdict, Verdict::Pass);
        assert!(
            reported[0].message.starts_with(
                "observed: the target requested the internal URL once (GET /i/unit/package.zip, answered 200)"
            ),
            "{}",
            reported[0].message
        );
        let refused = judge(&evidence, &InternalExpect { never: true }, &settings());
        assert_eq!(refused[0].verdict, Verdict::Fail);
    }
}
