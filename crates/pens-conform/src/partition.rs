//! `--partition K/N`: spreading a scenario set over N runs (CI jobs), as cargo-nextest
//! does for tests. Each run keeps the scenarios of its partition K; `pens-conform merge`
//! joins the N reports.
//!
//! The assignment looks at the whole loaded set, before `--only`, so a scenario lands in
//! the same partition whatever else the command line says, and only at scenario ids, so
//! every job of a CI matrix computes the same split without talking to the others:
//!
//! - `count:K/N` (or plain `K/N`): the set sorted by id; the i-th scenario (from 0) goes
//!   to partition `i mod N + 1`. As even as can be; adding a scenario moves the ones
//!   sorted after it.
//! - `hash:K/N`: the first 8 bytes of the SHA-256 of the id, big-endian, `mod N`, plus
//!   one. A scenario stays put when others are added or removed, across releases; the
//!   partitions are only roughly even.

use std::path::Path;
use std::str::FromStr;

use pens_report::{Partition, PartitionKind};
use sha2::{Digest, Sha256};

/// A `--partition` value: partition `index` of `count`, assigned by `kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PartitionSpec {
    /// K, from 1.
    pub(crate) index: u32,
    /// N, at least 1.
    pub(crate) count: u32,
    /// How scenarios are assigned.
    pub(crate) kind: PartitionKind,
}

/// Why a `--partition` value is refused. clap prints the message after "invalid value
/// for --partition" (a usage error, exit 2); each ends with the form to give.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PartitionSpecError {
    /// A kind other than `count` or `hash`.
    #[error("unknown partition kind `{0}`: use count or hash; {FORM}")]
    UnknownKind(String),
    /// No `/`.
    #[error("not of the form K/N; {FORM}")]
    NotAFraction,
    /// K or N (`name`) is not a whole number.
    #[error("{name} `{part}` is not a whole number; {FORM}")]
    NotWhole { name: &'static str, part: String },
    /// N is 0.
    #[error("N must be at least 1 (the number of partitions); {FORM}")]
    NoPartitions,
    /// N beyond [`crate::args::ranges::MAX_PARTITIONS`].
    #[error("N {0} is out of range: give at most {most} partitions; {FORM}", most = crate::args::ranges::MAX_PARTITIONS)]
    TooMany(u32),
    /// K is 0 or beyond N.
    #[error("there is no partition {index} of {count}: partitions are numbered 1 to {count}")]
    NoSuchPartition { index: u32, count: u32 },
}

/// What a `--partition` value must look like, said after each complaint.
const FORM: &str = "give K/N with 1 <= K <= N, e.g. 2/3 (or count:2/3, hash:2/3)";

impl FromStr for PartitionSpec {
    type Err = PartitionSpecError;

    /// `K/N`, `count:K/N` or `hash:K/N`, with 1 <= K <= N. The message is what clap
    /// prints after "invalid value for --partition" (a usage error, exit 2).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (kind, fraction) = match text.split_once(':') {
            Some(("count", rest)) => (PartitionKind::Count, rest),
            Some(("hash", rest)) => (PartitionKind::Hash, rest),
            Some((other, _)) => return Err(PartitionSpecError::UnknownKind(other.to_owned())),
            None => (PartitionKind::Count, text),
        };
        let Some((index, count)) = fraction.split_once('/') else {
            return Err(PartitionSpecError::NotAFraction);
        };
        let number = |part: &str, name: &'static str| {
            part.trim().parse::<u32>().map_err(|_| PartitionSpecError::NotWhole { name, part: part.to_owned() })
        };
        let (index, count) = (number(index, "K")?, number(count, "N")?);
        if count == 0 {
            return Err(PartitionSpecError::NoPartitions);
        }
        if count > crate::args::ranges::MAX_PARTITIONS {
            return Err(PartitionSpecError::TooMany(count));
        }
        if index == 0 || index > count {
            return Err(PartitionSpecError::NoSuchPartition { index, count });
        }
        Ok(PartitionSpec { index, count, kind })
    }
}

/// What the harness needs of a loaded scenario of either mode to partition the set.
pub(crate) trait LoadedScenario: Clone {
    /// Its id.
    fn scenario_id(&self) -> &str;
    /// The file it came from.
    fn source(&self) -> &Path;
}

impl LoadedScenario for pens_scenario::Scenario {
    fn scenario_id(&self) -> &str {
        &self.id.value
    }

    fn source(&self) -> &Path {
        &self.source
    }
}

impl LoadedScenario for pens_scenario::ClientScenario {
    fn scenario_id(&self) -> &str {
        &self.id.value
    }

    fn source(&self) -> &Path {
        &self.source
    }
}

impl PartitionSpec {
    /// The partition (1..=N) of each of `ids`, in their order.
    pub(crate) fn assign(&self, ids: &[&str]) -> Vec<u32> {
        match self.kind {
            PartitionKind::Count => {
                let mut order: Vec<usize> = (0..ids.len()).collect();
                order.sort_by(|&a, &b| ids[a].cmp(ids[b]));
                let mut assigned = vec![0; ids.len()];
                for (rank, position) in order.into_iter().enumerate() {
                    // rank mod count < count, which is a u32.
                    assigned[position] = u32::try_from(rank % self.count as usize).unwrap_or(0) + 1;
                }
                assigned
            }
            PartitionKind::Hash => ids.iter().map(|id| hash_partition(id, self.count)).collect(),
        }
    }

    /// The scenarios of this partition, in `set`'s order, and the partition as the
    /// report records it.
    pub(crate) fn select<T: LoadedScenario>(&self, set: &[T]) -> (Vec<T>, Partition) {
        let ids: Vec<&str> = set.iter().map(LoadedScenario::scenario_id).collect();
        let selected = set
            .iter()
            .zip(self.assign(&ids))
            .filter(|(_, partition)| *partition == self.index)
            .map(|(scenario, _)| scenario.clone())
            .collect();
        let partition = Partition { index: self.index, count: self.count, kind: self.kind, set_size: set.len() };
        (selected, partition)
    }
}

/// `hash:` assignment: the first 8 bytes of SHA-256(id), big-endian, mod `count`, plus 1.
fn hash_partition(id: &str, count: u32) -> u32 {
    let digest = Sha256::digest(id.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    let bucket = u64::from_be_bytes(first) % u64::from(count);
    u32::try_from(bucket).unwrap_or(0) + 1
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    use super::*;

    fn spec(text: &str) -> Result<PartitionSpec, String> {
        text.parse().map_err(|error: PartitionSpecError| error.to_string())
    }

    #[test]
    fn the_three_forms_parse() {
        let count = |index, count| PartitionSpec { index, count, kind: PartitionKind::Count };
        assert_eq!(spec("2/3"), Ok(count(2, 3)));
        assert_eq!(spec("count:1/1"), Ok(count(1, 1)));
        assert_eq!(spec("hash:3/7"), Ok(PartitionSpec { index: 3, count: 7, kind: PartitionKind::Hash }));
    }

    #[test]
    fn bad_values_say_what_is_wrong() {
        let cases = [
            ("0/3", "there is no partition 0 of 3: partitions are numbered 1 to 3"),
            ("4/3", "there is no partition 4 of 3: partitions are numbered 1 to 3"),
            ("1/0", "N must be at least 1"),
            ("a/3", "K `a` is not a whole number"),
            ("1/three", "N `three` is not a whole number"),
            ("-1/3", "K `-1` is not a whole number"),
            ("1/10001", "N 10001 is out of range: give at most 10000 partitions"),
            ("3", "not of the form K/N"),
            ("", "not of the form K/N"),
            ("slice:1/2", "unknown partition kind `slice`: use count or hash"),
        ];
        for (text, start) in cases {
            let error = spec(text).expect_err(text);
            assert!(error.starts_with(start), "{text}: {error}");
        }
    }

    /// The shipped scenario sets, as ids.
    fn shipped(mode: &str) -> Vec<String> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios").join(mode);
        let ids: Vec<String> = match mode {
            "client" => pens_scenario::load_client_dir(&dir).0.into_iter().map(|s| s.id.value).collect(),
            _ => pens_scenario::load_dir(&dir).0.into_iter().map(|s| s.id.value).collect(),
        };
        assert!(ids.len() > 5, "{}: {} scenarios", dir.display(), ids.len());
        ids
    }

    #[test]
    fn every_shipped_scenario_is_in_exactly_one_partition() {
        for mode in ["target", "client"] {
            let ids = shipped(mode);
            let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
            for kind in [PartitionKind::Count, PartitionKind::Hash] {
                for count in 1..=7 {
                    let mut owners: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
                    for index in 1..=count {
                        let spec = PartitionSpec { index, count, kind };
                        for (id, assigned) in ids.iter().zip(spec.assign(&ids)) {
                            if assigned == index {
                                owners.entry(id).or_default().push(index);
                            }
                        }
                    }
                    assert_eq!(owners.len(), ids.len(), "{mode} {kind:?} N={count}: a scenario in no partition");
                    for (id, indices) in owners {
                        assert_eq!(indices.len(), 1, "{mode} {kind:?} N={count}: {id} in {indices:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn count_partitions_are_even_and_follow_id_order_whatever_the_load_order() {
        let ids = ["e", "a", "d", "b", "c", "f", "g"];
        let spec = PartitionSpec { index: 1, count: 3, kind: PartitionKind::Count };
        // Sorted: a b c d e f g -> 1 2 3 1 2 3 1.
        assert_eq!(spec.assign(&ids), [2, 1, 1, 2, 3, 3, 1]);
        let shipped = shipped("target");
        let shipped: Vec<&str> = shipped.iter().map(String::as_str).collect();
        for count in 1..=7u32 {
            let spec = PartitionSpec { index: 1, count, kind: PartitionKind::Count };
            let assigned = spec.assign(&shipped);
            let sizes: Vec<usize> = (1..=count).map(|k| assigned.iter().filter(|a| **a == k).count()).collect();
            let (min, max) = (sizes.iter().min(), sizes.iter().max());
            assert!(max.zip(min).is_some_and(|(max, min)| max - min <= 1), "N={count}: {sizes:?}");
        }
    }

    #[test]
    fn hash_partitions_do_not_move_when_scenarios_are_added() {
        let spec = PartitionSpec { index: 1, count: 4, kind: PartitionKind::Hash };
        let shipped = shipped("target");
        let before: Vec<&str> = shipped.iter().map(String::as_str).collect();
        let mut after = before.clone();
        after.extend(["a-new-scenario", "zz-another-one", "0-sorted-first"]);
        let (old, new) = (spec.assign(&before), spec.assign(&after));
        assert_eq!(old[..], new[..before.len()]);
        // And the same on every machine, in every release: pinned values.
        let pinned: Vec<u32> =
            ["collect-post-valid", "ftp-fetch", "a"].iter().map(|id| hash_partition(id, 4)).collect();
        assert_eq!(pinned, PINNED_HASH_4);
    }

    /// `hash_partition(id, 4)` of `collect-post-valid`, `ftp-fetch` and `a`, computed
    /// once (and checked with Python's hashlib): a change here moves scenarios between
    /// the jobs of existing CI set-ups.
    const PINNED_HASH_4: [u32; 3] = [2, 1, 3];

    #[test]
    fn select_keeps_the_partition_and_records_the_set_size() {
        let set = shipped_scenarios();
        let spec = PartitionSpec { index: 2, count: 3, kind: PartitionKind::Count };
        let (selected, partition) = spec.select(&set);
        assert_eq!(partition, Partition { index: 2, count: 3, kind: PartitionKind::Count, set_size: set.len() });
        let mut sorted: Vec<&str> = set.iter().map(|s| s.id.value.as_str()).collect();
        sorted.sort_unstable();
        let expected: Vec<&str> = sorted.iter().skip(1).step_by(3).copied().collect();
        let mut got: Vec<&str> = selected.iter().map(|s| s.id.value.as_str()).collect();
        got.sort_unstable();
        assert_eq!(got, expected);
        let empty = PartitionSpec { index: 9, count: 9, kind: PartitionKind::Count }.select(&set[..3]);
        assert!(empty.0.is_empty());
        assert_eq!(empty.1.set_size, 3);
    }

    fn shipped_scenarios() -> Vec<pens_scenario::Scenario> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/target");
        pens_scenario::load_dir(&dir).0
    }
}
