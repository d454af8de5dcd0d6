//! How long the harness really watched for something, in words: the one place every
//! message about a wait that found nothing is worded.
//!
//! A deadline is how long the harness *would* have waited; a scenario often stops
//! sooner (a refused or broken answer to the collect means no receipt will follow, a
//! failed receipt means no alert will). Messages once quoted the deadline as if it had
//! been waited ("no receipt arrived within 5000 ms" from a run that ended at 0.6 s),
//! which a vendor reading the report takes for a measurement. Every such message now
//! states the time watched, taken from the evidence, and, when that is shorter than the
//! deadline, the deadline and why watching stopped early.

use std::time::Duration;

/// What the harness watched for one kind of event: from when, how long, against which
/// deadline, and why it stopped before that deadline when it did.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Watched<'a> {
    /// How long the harness watched, measured on the evidence (e.g. from the collect
    /// to the end of gathering).
    pub(crate) watched: Duration,
    /// The deadline that would have applied had the harness waited it out.
    pub(crate) deadline: Duration,
    /// The deadline's name as the profile calls it: `ack`, `fetch`, `receipt`, `collect`.
    pub(crate) deadline_name: &'a str,
    /// What the time counts from, e.g. "the collect", "triggering the publish".
    pub(crate) since: &'a str,
    /// Why watching stopped before the deadline, as a clause, when the evidence says
    /// ("the scenario ended early because the collect got no answer (…)"); `None` when
    /// it does not.
    pub(crate) stopped_because: Option<&'a str>,
}

impl Watched<'_> {
    /// Milliseconds watched.
    pub(crate) fn watched_ms(&self) -> u128 {
        self.watched.as_millis()
    }

    /// Whether the harness watched the whole deadline (or longer: the quiet window
    /// follows it).
    pub(crate) fn waited_out(&self) -> bool {
        self.watched >= self.deadline
    }

    /// The phrase that follows "no receipt arrived …": "within 3300 ms of the collect
    /// (the receipt deadline is 3000 ms)" when the deadline was waited out, else "in
    /// the 612 ms watched after the collect (the receipt deadline of 5000 ms was not
    /// waited out: <why>)". Never a time longer than was watched.
    pub(crate) fn within(&self) -> String {
        let (watched, deadline, name, since) =
            (self.watched_ms(), self.deadline.as_millis(), self.deadline_name, self.since);
        if self.waited_out() {
            return format!("within {watched} ms of {since} (the {name} deadline is {deadline} ms)");
        }
        let why = match self.stopped_because {
            Some(reason) => reason.to_owned(),
            None => "the scenario did not wait for it".to_owned(),
        };
        format!(
            "in the {watched} ms watched after {since} (the {name} deadline of {deadline} ms was not waited out: {why})"
        )
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::Watched;

    fn watched(ms: u64, deadline_ms: u64, because: Option<&'static str>) -> Watched<'static> {
        Watched {
            watched: Duration::from_millis(ms),
            deadline: Duration::from_millis(deadline_ms),
            deadline_name: "receipt",
            since: "the collect",
            stopped_because: because,
        }
    }

    /// Table: the phrase never claims a wait longer than the one watched, and names the
    /// deadline and the reason when it stopped short.
    #[test]
    fn the_phrase_states_the_time_watched_and_the_deadline_only_as_a_deadline() {
        let cases = [
            (3300, 3000, None, "within 3300 ms of the collect (the receipt deadline is 3000 ms)"),
            (3000, 3000, None, "within 3000 ms of the collect (the receipt deadline is 3000 ms)"),
            (
                612,
                5000,
                Some("the scenario ended early because the collect got no answer (invalid HTTP version parsed)"),
                "in the 612 ms watched after the collect (the receipt deadline of 5000 ms was not waited out: the \
                 scenario ended early because the collect got no answer (invalid HTTP version parsed))",
            ),
            (
                40,
                5000,
                None,
                "in the 40 ms watched after the collect (the receipt deadline of 5000 ms was not waited out: the \
                 scenario did not wait for it)",
            ),
        ];
        for (ms, deadline, because, expected) in cases {
            assert_eq!(watched(ms, deadline, because).within(), expected);
        }
    }

    /// Whatever the times, the first number in the phrase is the time watched: a
    /// reader (and the hostile tests) can bound it by the run's duration.
    #[test]
    fn the_first_number_is_always_the_time_watched() {
        for (ms, deadline) in [(0, 1), (1, 0), (599, 600), (600, 600), (601, 600), (9_000, 60_000)] {
            let phrase = watched(ms, deadline, Some("x")).within();
            let first: String =
                phrase.chars().skip_while(|c| !c.is_ascii_digit()).take_while(char::is_ascii_digit).collect();
            assert_eq!(first, ms.to_string(), "{phrase}");
            assert_eq!(phrase.contains("not waited out"), ms < deadline, "{phrase}");
        }
    }
}
