//! A scenario's exchanges as a sequence diagram, inline SVG in `report.html`: four
//! lifelines (client, target, staging, collector) and one arrow per message (collect →
//! answer → fetch → receipt → alerts), each labelled with its time, top to bottom in
//! time order. CMI010 has the target acknowledge the collect synchronously, then fetch
//! the package, then send the receipt (the sequence of Appendix A §2), so the diagram
//! draws a fetch, receipt or alert that arrived clearly before the collect's answer in
//! red, saying what the times show. It judges nothing (the order checks do, and only
//! warn: App. A §2 is an example exchange).
//!
//! "Clearly": the report records when the whole answer had been read (the collect's
//! `at_ms + latency_ms`), not when its head came, and a correct target may start its
//! job while its answer is still on the way; a busy harness also reads an answer late.
//! The runner's order check allows half a second for both
//! (`pens-runner/src/evaluate/order.rs`, `SLACK`), so the diagram marks only what came
//! more than [`ORDER_SLACK_MS`] before the answer was read. Anything closer is drawn in
//! time order, unmarked; nothing is marked when no answer time was recorded (client
//! mode: the answer is the harness's own).
//!
//! No script and no references (`url(#…)`, `href`): arrowheads are drawn per arrow,
//! so any number of diagrams can share the page. Every text is escaped by the template.

use maud::{Markup, html};

use crate::model::{Exchange, ExchangeKind};

/// The four parties, left to right.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lane {
    Client,
    Target,
    Staging,
    Collector,
}

const LANES: [Lane; 4] = [Lane::Client, Lane::Target, Lane::Staging, Lane::Collector];
const WIDTH: u64 = 720;
const LANE_GAP: u64 = 180;
const HEAD: u64 = 48;
const ROW: u64 = 30;

/// How much earlier than the end of the collect's answer a message must have arrived
/// to be marked: the slack of the runner's order check (see the module docs).
pub(crate) const ORDER_SLACK_MS: u64 = 500;

impl Lane {
    fn x(self) -> u64 {
        let index = LANES.iter().position(|l| *l == self).unwrap_or_default() as u64;
        LANE_GAP / 2 + index * LANE_GAP
    }

    /// Who plays the lane: in client mode the harness is the target, and the staging
    /// server and receipt/alert URLs are the client's.
    fn names(self, mode: &str) -> (&'static str, &'static str) {
        let client_mode = mode == "client";
        match (self, client_mode) {
            (Lane::Client, false) => ("client", "(pens-conform)"),
            (Lane::Target, false) => ("target", "(under test)"),
            (Lane::Staging, false) => ("staging", "(pens-conform)"),
            (Lane::Collector, false) => ("collector", "(pens-conform)"),
            (Lane::Client, true) => ("client", "(under test)"),
            (Lane::Target, true) => ("target", "(pens-conform)"),
            (Lane::Staging, true) => ("staging", "(the client's)"),
            (Lane::Collector, true) => ("collector", "(the client's)"),
        }
    }
}

/// One message of the diagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Arrow<'e> {
    /// When it was sent, ms since the scenario started.
    pub at_ms: u64,
    pub from: Lane,
    pub to: Lane,
    /// `collect`, `answer (7 ms)`, `fetch (120 ms)`, `receipt`, `alert`.
    pub label: String,
    /// The exchange's one-line summary (a tooltip).
    pub summary: &'e str,
    /// An answer (drawn dashed) rather than a request.
    pub answer: bool,
    /// What the times show out of order, when they do.
    pub out_of_order: Option<String>,
}

/// The messages of `exchanges` in time order (a collect's answer at its start plus its
/// latency), each fetch, receipt and alert checked against the collect before it.
pub(crate) fn arrows(exchanges: &[Exchange]) -> Vec<Arrow<'_>> {
    let mut arrows = Vec::new();
    for exchange in exchanges {
        let (to, name) = match exchange.kind {
            ExchangeKind::Collect => (Lane::Target, "collect"),
            ExchangeKind::StagingFetch => (Lane::Staging, "fetch"),
            ExchangeKind::Receipt => (Lane::Collector, "receipt"),
            ExchangeKind::Alert => (Lane::Collector, "alert"),
        };
        let from = if to == Lane::Target { Lane::Client } else { Lane::Target };
        let label = match (exchange.kind, exchange.latency_ms) {
            (ExchangeKind::StagingFetch, Some(ms)) => format!("{name} ({ms} ms)"),
            _ => name.to_owned(),
        };
        arrows.push(Arrow {
            at_ms: exchange.at_ms,
            from,
            to,
            label,
            summary: &exchange.summary,
            answer: false,
            out_of_order: None,
        });
        if let (ExchangeKind::Collect, Some(latency)) = (exchange.kind, exchange.latency_ms) {
            arrows.push(Arrow {
                at_ms: exchange.at_ms.saturating_add(latency),
                from: Lane::Target,
                to: Lane::Client,
                label: format!("answer ({latency} ms)"),
                summary: &exchange.summary,
                answer: true,
                out_of_order: None,
            });
        }
    }
    // Stable: a collect's request stays before its answer, and equal times keep the
    // order the report recorded.
    arrows.sort_by_key(|a| a.at_ms);
    let collects: Vec<(u64, Option<u64>)> = exchanges
        .iter()
        .filter(|e| e.kind == ExchangeKind::Collect)
        .map(|e| (e.at_ms, e.latency_ms.map(|l| e.at_ms.saturating_add(l))))
        .collect();
    for arrow in arrows.iter_mut().filter(|a| a.from == Lane::Target && !a.answer) {
        arrow.out_of_order = out_of_order(arrow.at_ms, &collects);
    }
    arrows
}

/// Whether a message sent by the target at `at_ms` came, by the recorded times, more
/// than [`ORDER_SLACK_MS`] before the answer to the collect it follows had been read.
/// With several collects sent before it, it may follow any of them, so it is marked
/// only when it came that much before the first of their answers, and not at all when
/// one of them has no answer recorded. A message before every collect is left
/// unmarked: it follows no collect here.
fn out_of_order(at_ms: u64, collects: &[(u64, Option<u64>)]) -> Option<String> {
    let answers: Option<Vec<u64>> =
        collects.iter().filter(|(sent, _)| *sent <= at_ms).map(|(_, answered)| *answered).collect();
    let first = answers?.into_iter().min()?;
    (at_ms.saturating_add(ORDER_SLACK_MS) < first)
        .then(|| format!("{} ms before the collect's answer had been read (+{first} ms)", first - at_ms))
}

/// The diagram; nothing for a scenario without exchanges.
pub(crate) fn diagram(exchanges: &[Exchange], mode: &str) -> Markup {
    let arrows = arrows(exchanges);
    if arrows.is_empty() {
        return html! {};
    }
    let height = HEAD + ROW * arrows.len() as u64 + 12;
    let inversions = arrows.iter().filter(|a| a.out_of_order.is_some()).count();
    html! {
        figure.sequence {
            svg.seq viewBox=(format!("0 0 {WIDTH} {height}")) width=(WIDTH) height=(height) role="img"
                aria-label=(format!("sequence diagram of {} messages", arrows.len())) {
                @for lane in LANES {
                    @let (name, who) = lane.names(mode);
                    @let x = lane.x();
                    line.lifeline x1=(x) y1=(HEAD - 8) x2=(x) y2=(height - 4) stroke="#d0d7de" {}
                    text.party x=(x) y="16" text-anchor="middle" { (name) }
                    text.who x=(x) y="30" text-anchor="middle" { (who) }
                }
                @for (row, arrow) in arrows.iter().enumerate() {
                    (draw(arrow, HEAD + 14 + ROW * row as u64))
                }
            }
            @if inversions > 0 {
                figcaption.out-of-order {
                    "Out of order by the recorded times (red): "
                    @for (i, arrow) in arrows.iter().filter(|a| a.out_of_order.is_some()).enumerate() {
                        @if i > 0 { "; " }
                        (arrow.label) " at +" (arrow.at_ms) " ms, " (arrow.out_of_order.as_deref().unwrap_or_default())
                    }
                    "."
                }
            }
        }
    }
}

/// One arrow at height `y`: the line, its head, and `+T ms label` above it.
fn draw(arrow: &Arrow<'_>, y: u64) -> Markup {
    let (from, to) = (arrow.from.x(), arrow.to.x());
    let rightwards = to > from;
    let (x1, x2) = if rightwards { (from + 3, to - 3) } else { (from - 3, to + 3) };
    let back = if rightwards { x2 - 9 } else { x2 + 9 };
    let head = format!("{x2},{y} {back},{} {back},{}", y - 4, y + 4);
    let class = match (arrow.answer, arrow.out_of_order.is_some()) {
        (_, true) => "arrow out-of-order",
        (true, false) => "arrow answer",
        (false, false) => "arrow",
    };
    html! {
        g class=(class) {
            title {
                (arrow.summary)
                @if let Some(why) = &arrow.out_of_order { " (out of order: " (why) ")" }
            }
            // Presentation attributes as well as the style sheet: lines stay
            // visible where a viewer drops CSS.
            line x1=(x1) y1=(y) x2=(x2) y2=(y) stroke="#1f2328" {}
            polygon points=(head) {}
            text x=((from + to) / 2) y=(y - 6) text-anchor="middle" {
                "+" (arrow.at_ms) " ms " (arrow.label)
                @if arrow.out_of_order.is_some() { " ⚠" }
            }
        }
    }
}
