//! Where each check comes from in its scenario file (`file:line:col`), so that a report
//! points at the line a finding judges, as rustc and Hurl do.
//!
//! The scenario model keeps a [`Span`] on every node; the plan (`plan.rs`) is a plain,
//! rendered form without them. Rather than thread spans through every judging function,
//! each section of expectations carries a [`SectionLocation`]: the section's own place
//! and, for the keys written in it, which checks (by requirement) each key decides. The
//! checks a section's judge returns are placed in one step afterwards
//! ([`SectionLocation::place`]), and whatever is still unplaced at the end of a scenario
//! takes the line that implied it ([`place_rest`]): the `[collect]` table in target
//! mode, the scenario's first line otherwise. No check of a scenario goes without one.

use std::path::Path;

use pens_proto::{Requirement, req};
use pens_report::{CheckResult, Location, ScenarioResult};
use pens_scenario::{
    AlertsExpectation, ClientExpectations, Expectations as ScenarioExpectations, FetchExpectation, InternalExpectation,
    ReceiptExpectation, ResponseExpectation, Span, Spanned,
};

/// A span of the scenario file at `source` as a report location: the path as the run
/// loaded it, the 1-based line and column of the span's first character.
pub(crate) fn at(source: &Path, span: Span) -> Location {
    Location::new(source.display().to_string(), span.line.max(1), span.col.max(1))
}

/// Which checks a key written in a section decides.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Decides {
    /// The checks of these requirements.
    Requirements(Vec<&'static str>),
    /// The checks of every requirement whose id starts so (a family of findings, such
    /// as the answer format's `response.*`).
    Prefix(&'static str),
}

impl Decides {
    fn of(requirements: &[&'static Requirement]) -> Self {
        Decides::Requirements(requirements.iter().map(|r| r.id).collect())
    }

    fn covers(&self, requirement: &str) -> bool {
        match self {
            Decides::Requirements(ids) => ids.contains(&requirement),
            Decides::Prefix(prefix) => requirement.starts_with(prefix),
        }
    }
}

/// Where the checks of one section of expectations point.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SectionLocation {
    /// The section itself (its table head, or its key when written inline); `None` for a
    /// section no line wrote (the default response check), whose checks are placed by
    /// [`place_rest`].
    section: Option<Location>,
    /// Keys written in the section, in the order they are tried: the first that
    /// decides a check's requirement places it.
    keys: Vec<(Decides, Location)>,
}

impl SectionLocation {
    fn new(source: &Path, span: Span) -> Self {
        SectionLocation { section: Some(at(source, span)), keys: Vec::new() }
    }

    /// Adds a key that decides `decides`, written at `span` (a key the file leaves out
    /// carries its table's span, so the check still lands in the right section).
    fn key(mut self, source: &Path, span: Option<Span>, decides: Decides) -> Self {
        if let Some(span) = span {
            self.keys.push((decides, at(source, span)));
        }
        self
    }

    /// Places each of `checks` that has no location yet: at the key that decides its
    /// requirement, or else at the section.
    pub(crate) fn place(&self, checks: &mut [CheckResult]) {
        for check in checks.iter_mut().filter(|c| c.location.is_none()) {
            let key = self.keys.iter().find(|(decides, _)| decides.covers(&check.requirement));
            check.location = key.map(|(_, location)| location).or(self.section.as_ref()).cloned();
        }
    }
}

/// Where the checks of each section of one set of expectations point.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SetLocations {
    pub(crate) response: SectionLocation,
    pub(crate) fetch: SectionLocation,
    pub(crate) receipt: SectionLocation,
    pub(crate) alerts: SectionLocation,
    pub(crate) internal: SectionLocation,
}

/// The locations of one set of target expectations (the common sections, or one
/// alternative) of the scenario at `source`. `main` is the scenario's first requirement,
/// which the answer's code check cites when only success is acceptable.
pub(crate) fn target_set(source: &Path, expect: &ScenarioExpectations, main: &'static Requirement) -> SetLocations {
    SetLocations {
        response: expect.response.as_ref().map(|r| response(source, r, main)).unwrap_or_default(),
        fetch: expect.fetch.as_ref().map(|f| fetch(source, f)).unwrap_or_default(),
        receipt: expect.receipt.as_ref().map(|r| receipt(source, r)).unwrap_or_default(),
        alerts: expect.alerts.as_ref().map(|a| alerts(source, a)).unwrap_or_default(),
        internal: expect.internal.as_ref().map(|i| internal(source, i)).unwrap_or_default(),
    }
}

fn first<T>(list: Option<&Vec<Spanned<T>>>) -> Option<Span> {
    list.and_then(|l| l.first()).map(|s| s.span)
}

fn response(source: &Path, r: &Spanned<ResponseExpectation>, main: &'static Requirement) -> SectionLocation {
    let codes = [main, &req::TARGET_ERROR_CODE, &req::TARGET_ERROR_HIGHEST];
    SectionLocation::new(source, r.span)
        .key(source, first(r.error.as_ref()).or(r.warn.first().map(|w| w.span)), Decides::of(&codes))
        .key(source, r.does_not_contain.first().map(|p| p.span), Decides::of(&[&req::TARGET_SECURITY_INTERNAL_CONTENT]))
        .key(source, r.escapes.first().map(|p| p.span), Decides::of(&[&req::TARGET_SECURITY_ANSWER_ESCAPED]))
        .key(source, Some(r.format.span), Decides::of(&[&req::TARGET_ACK_RESPONSE]))
        .key(source, Some(r.format.span), Decides::Prefix("response."))
}

fn fetch(source: &Path, f: &Spanned<FetchExpectation>) -> SectionLocation {
    let protocols =
        [&req::TARGET_FETCH_HTTP, &req::TARGET_FETCH_HTTPS, &req::TARGET_FETCH_FTP, &req::TARGET_FETCH_FTPS];
    SectionLocation::new(source, f.span)
        .key(source, f.protocol.as_ref().map(|p| p.span), Decides::of(&protocols))
        .key(source, Some(f.credentials.span), Decides::of(&[&req::TARGET_FETCH_CREDENTIALS]))
        .key(source, Some(f.happens.span), Decides::of(&[&req::TARGET_REFUSED_NO_FETCH]))
        .key(source, Some(f.happens.span), Decides::of(&protocols))
}

fn receipt(source: &Path, r: &Spanned<ReceiptExpectation>) -> SectionLocation {
    let outcome = first(r.error.as_ref()).or(r.warn.first().map(|w| w.span)).unwrap_or(r.never_success.span);
    let mut located = SectionLocation::new(source, r.span)
        .key(
            source,
            r.count.as_ref().map(|c| c.span),
            Decides::of(&[&req::TARGET_RECEIPT_SENT, &req::TARGET_MAILTO_RECEIPT]),
        )
        .key(source, Some(outcome), Decides::of(&[&req::TARGET_RECEIPT_OUTCOME]))
        .key(source, Some(r.after_fetch.span), Decides::of(&[&req::TARGET_RECEIPT_AFTER_FETCH]));
    // Each field compared with the collect is judged under its own requirement where
    // it has one (`notification.package-id.matches`), else under the collect's data.
    for field in &r.fields {
        let own = Requirement::by_id(&format!("notification.{}.matches", field.name.value));
        let decides = own.unwrap_or(&req::NOTIFICATION_COLLECT_DATA);
        located = located.key(source, Some(field.name.span), Decides::of(&[decides]));
    }
    located
}

fn alerts(source: &Path, a: &Spanned<AlertsExpectation>) -> SectionLocation {
    SectionLocation::new(source, a.span)
        .key(source, Some(a.after_receipt.span), Decides::of(&[&req::TARGET_ALERTS_AFTER_RECEIPT]))
        .key(source, first(a.error.as_ref()), Decides::of(&[&req::TARGET_ALERTS_OUTCOME]))
        .key(source, Some(a.at_least.span), Decides::of(&[&req::TARGET_ALERTS_SENT]))
}

fn internal(source: &Path, i: &Spanned<InternalExpectation>) -> SectionLocation {
    SectionLocation::new(source, i.requested.span)
}

/// Where the checks of each section of a client scenario's expectations point.
pub(crate) struct ClientLocations {
    /// The collects the tool sent: `[expect.collect]` (its `method` key for the method,
    /// `[expect] collects` for how many came, `findings` for what pens-proto found).
    pub(crate) collect: SectionLocation,
    /// `[expect.package]`: `available` and `contents`.
    pub(crate) package: SectionLocation,
    /// `[expect.answers]`.
    pub(crate) answers: SectionLocation,
    /// `[expect.namespace]`'s `stable`.
    pub(crate) namespace: SectionLocation,
}

/// The locations of a client scenario's expectations, in the file at `source`. `main`
/// is the scenario's first requirement, which the count of collects cites.
pub(crate) fn client(source: &Path, expect: &ClientExpectations, main: &'static Requirement) -> ClientLocations {
    let package = expect.package.as_ref().map(|p| {
        SectionLocation::new(source, p.span)
            .key(source, Some(p.value.available.span), Decides::of(&[&req::CLIENT_STAGING_AVAILABLE]))
            .key(
                source,
                Some(p.value.contents.span),
                Decides::of(&[&req::CLIENT_PACKAGE_IMPORTABLE, &req::CLIENT_PACKAGE_FORMAT]),
            )
    });
    let collect = &expect.collect;
    ClientLocations {
        collect: SectionLocation::new(source, collect.span)
            .key(source, collect.value.method.as_ref().map(|m| m.span), Decides::of(&[&req::BINDING_POST_PREFERRED]))
            .key(source, Some(expect.collects.span), Decides::of(&[main]))
            // Whatever else the collects gave (pens-proto's findings, under many
            // requirements) is judged as `findings` says: strict or lenient.
            .key(source, Some(collect.value.findings.span), Decides::Prefix("")),
        package: package.unwrap_or_default(),
        answers: expect.answers.as_ref().map(|a| SectionLocation::new(source, a.span)).unwrap_or_default(),
        namespace: expect
            .namespace
            .as_ref()
            .map(|n| SectionLocation::new(source, n.value.stable.span))
            .unwrap_or_default(),
    }
}

/// Places every check of `checks` that is still unplaced at `implied`: the line that
/// implied it.
pub(crate) fn place_rest(checks: &mut [CheckResult], implied: &Location) {
    for check in checks.iter_mut().filter(|c| c.location.is_none()) {
        check.location = Some(implied.clone());
    }
}

/// Places every check a finished scenario still has unplaced (one the run added after
/// judging: a scenario abandoned at its deadline, a window without file descriptors, a
/// claim the run's discovery judged) at the scenario's first line.
pub(crate) fn place_late(result: &mut ScenarioResult) {
    let first_line = Location::new(result.file.clone(), 1, 1);
    place_rest(&mut result.checks, &first_line);
}

#[cfg(test)]
mod tests {
    use pens_proto::req;
    use pens_report::Verdict;

    use super::*;

    const POST_VALID: &str = include_str!("../../../scenarios/target/collect-post-valid.toml");
    const SOURCE: &str = "scenarios/target/collect-post-valid.toml";

    fn scenario() -> pens_scenario::Scenario {
        pens_scenario::parse_scenario(SOURCE, POST_VALID).expect("a shipped scenario loads")
    }

    /// The 1-based line and column at which `needle` first stands in the file.
    fn position_of(needle: &str) -> (u32, u32) {
        let at = POST_VALID.find(needle).unwrap_or_else(|| panic!("{needle} in the file"));
        let line = POST_VALID[..at].matches('\n').count() + 1;
        let col = at - POST_VALID[..at].rfind('\n').map_or(0, |n| n + 1) + 1;
        (u32::try_from(line).expect("line"), u32::try_from(col).expect("col"))
    }

    fn placed(set: &SetLocations, section: fn(&SetLocations) -> &SectionLocation, check: CheckResult) -> Location {
        let mut checks = vec![check];
        section(set).place(&mut checks);
        checks.remove(0).location.expect("placed")
    }

    #[test]
    fn an_explicit_expectation_s_check_points_at_its_own_key() {
        let scenario = scenario();
        let set = target_set(&scenario.source, &scenario.expect, &req::TARGET_ACCEPTS_POST);
        let check = CheckResult::new(Verdict::Fail, &req::TARGET_RECEIPT_AFTER_FETCH, "the receipt came first");
        let location = placed(&set, |s| &s.receipt, check);
        let (line, col) = position_of("true\nfields");
        assert_eq!((location.file.as_str(), location.line, location.col), (SOURCE, line, col));
        assert_eq!(location.to_string(), format!("{SOURCE}:{line}:{col}"));
        assert_eq!(line, position_of("after_fetch").0, "the line of `after_fetch = true`");

        let check = CheckResult::new(Verdict::Pass, &req::TARGET_FETCH_HTTP, "fetched over http");
        assert_eq!(placed(&set, |s| &s.fetch, check).line, position_of("protocol = ").0);
        let check = CheckResult::new(Verdict::Fail, &req::RESPONSE_CRLF, "LF only");
        assert_eq!(placed(&set, |s| &s.response, check).line, position_of("format = ").0);
    }

    #[test]
    fn a_field_s_check_points_at_the_field_and_a_finding_on_the_receipt_s_form_at_the_section() {
        let scenario = scenario();
        let set = target_set(&scenario.source, &scenario.expect, &req::TARGET_ACCEPTS_POST);
        let matches = pens_proto::Requirement::by_id("notification.package-id.matches").expect("catalogued");
        let check = CheckResult::new(Verdict::Fail, matches, "the receipt carries another package-id");
        assert_eq!(placed(&set, |s| &s.receipt, check).line, position_of("fields = ").0);
        let check = CheckResult::new(Verdict::Fail, &req::NOTIFICATION_ERROR_NUMERIC, "error=x");
        let location = placed(&set, |s| &s.receipt, check);
        assert_eq!((location.line, location.col), position_of("[expect.receipt]"));
    }

    #[test]
    fn a_check_no_key_decides_points_at_its_section() {
        let scenario = scenario();
        let set = target_set(&scenario.source, &scenario.expect, &req::TARGET_ACCEPTS_POST);
        let check = CheckResult::new(Verdict::Warn, &req::TARGET_ACK_SYNCHRONOUS, "late");
        let location = placed(&set, |s| &s.response, check);
        assert_eq!((location.line, location.col), position_of("[expect.response]"));
    }

    #[test]
    fn what_is_left_takes_the_implied_line_and_a_placed_check_keeps_its_own() {
        let own = Location::new(SOURCE, 29, 15);
        let mut checks = vec![
            CheckResult::new(Verdict::Pass, &req::TARGET_RECEIPT_AFTER_FETCH, "after").at(own.clone()),
            CheckResult::new(Verdict::Pass, &req::TARGET_ACK_SYNCHRONOUS, "in order"),
        ];
        let implied = Location::new(SOURCE, 15, 1);
        place_rest(&mut checks, &implied);
        assert_eq!(checks[0].location, Some(own));
        assert_eq!(checks[1].location, Some(implied));

        let mut result = ScenarioResult::new("x", "t", SOURCE, Verdict::Inconclusive);
        result.checks = vec![CheckResult::new(Verdict::Inconclusive, &req::TARGET_ACK_SYNCHRONOUS, "abandoned")];
        place_late(&mut result);
        assert_eq!(result.checks[0].location, Some(Location::new(SOURCE, 1, 1)));
    }

    #[test]
    fn a_section_no_line_wrote_places_nothing() {
        let mut checks = vec![CheckResult::new(Verdict::Fail, &req::RESPONSE_CRLF, "LF only")];
        SectionLocation::default().place(&mut checks);
        assert_eq!(checks[0].location, None, "left for the implied line");
    }
}
