//! The security profile: scenarios tagged `security` are advisory (their failures are
//! warnings that say so) unless the run enforces them.

use pens_report::Verdict;

use crate::support;

/// A scenario tagged `security` whose check fails against a correct target (it wants
/// 2011 for a valid collect): only the tag and the run's setting decide the verdict.
fn failing_security_scenario() -> pens_scenario::Scenario {
    let text = r#"
id = "advisory-check"
title = "A check that fails against the reference target"
requirements = ["target.error.applicable-code"]
tags = ["security"]

[expect.response]
error = [2011]
"#;
    pens_scenario::parse_scenario("scenarios/target/advisory-check.toml", text).expect("it loads")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_security_failure_is_an_advisory_warning_unless_the_run_enforces_security() {
    let scenario = failing_security_scenario();
    let (_target, mut options) = support::reference(None, support::conformant_deadlines());

    let advisory = support::run(std::slice::from_ref(&scenario), &options).await;
    let result = &advisory.scenarios[0];
    assert_eq!(result.verdict, Verdict::Warn, "{}", support::describe_problems(&advisory));
    let softened = result.checks.iter().find(|c| c.requirement == "target.error.applicable-code").expect("the check");
    assert_eq!(softened.verdict, Verdict::Warn);
    assert!(softened.message.contains("(advisory: a security check; --enforce-security"), "{}", softened.message);
    assert!(result.note.as_deref().is_some_and(|n| n.contains("advisory")), "{:?}", result.note);
    assert_eq!((advisory.summary.warn, advisory.summary.fail), (1, 0));

    options.enforce_security = true;
    let enforced = support::run(&[scenario], &options).await;
    let result = &enforced.scenarios[0];
    assert_eq!(result.verdict, Verdict::Fail, "{}", support::describe_problems(&enforced));
    assert!(result.checks.iter().all(|c| !c.message.contains("advisory")), "{:#?}", result.checks);
    assert_eq!((enforced.summary.warn, enforced.summary.fail), (0, 1));
}
