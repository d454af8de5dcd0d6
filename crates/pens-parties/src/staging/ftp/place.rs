//! Where an FTP path points among the staged plans.
//!
//! libunftp hands the storage back-end the client's path joined to its working
//! directory, so a RETR of `/s/k/course.zip`, of `s/k/course.zip` from `/`, or of
//! `course.zip` after `CWD /s/k` all arrive as `/s/k/course.zip`. Clients differ in what
//! they do with the URL's percent-encoding: RFC 1738 has them decode each segment before
//! sending it, naive ones send it as it is. Both are accepted: each segment is decoded
//! (decoding a decoded segment changes nothing unless it holds a `%XX`), and a key that
//! held an encoded `/` is found by matching the joined remainder against the staged keys.

use std::collections::HashMap;
use std::path::{Component, Path};

use crate::path::decode_segment;
use crate::staging::{STAGING_PREFIX, Staged, package_path};

/// What a path names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Place {
    /// `/`.
    Root,
    /// `/s`, the folder of the staging keys.
    Staging,
    /// `/s/<key>`, whether or not `key` is staged.
    KeyDir(String),
    /// `/s/<key>/<file>`, whether or not it is staged.
    File {
        /// The staging key.
        key: String,
        /// The file name asked for.
        file: String,
    },
    /// Anything else; `key` is the first segment after `/s/`, empty outside `/s`.
    Nowhere {
        /// As in [`crate::StagingEvent::key`].
        key: String,
    },
}

impl Place {
    /// The staging key the path names, empty for none (as in a staging event).
    pub(super) fn key(&self) -> &str {
        match self {
            Place::KeyDir(key) | Place::File { key, .. } | Place::Nowhere { key } => key,
            Place::Root | Place::Staging => "",
        }
    }
}

/// A path resolved: what it names, and how a staging event shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Located {
    pub(super) place: Place,
    /// `/s/<key>/<file>` encoded as in the URL for a file, the normalised path otherwise.
    pub(super) path: String,
}

/// Resolves `path` against the staged `plans`.
pub(super) fn locate(path: &Path, plans: &HashMap<String, Staged>) -> Located {
    let parts = normalise(path);
    let place = place(&parts, plans);
    let path = match &place {
        Place::File { key, file } => package_path(key, file),
        _ => format!("/{}", parts.join("/")),
    };
    Located { place, path }
}

/// The path's segments, with `.` dropped and `..` applied; never above the root.
fn normalise(path: &Path) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            Component::ParentDir => {
                parts.pop();
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    parts
}

fn place(parts: &[String], plans: &HashMap<String, Staged>) -> Place {
    let staging_dir = STAGING_PREFIX.trim_matches('/');
    let rest = match parts.split_first() {
        None => return Place::Root,
        Some((first, rest)) if first == staging_dir => rest,
        Some(_) => return Place::Nowhere { key: String::new() },
    };
    let decoded: Vec<String> = rest.iter().map(|part| decode_segment(part)).collect();
    match decoded.as_slice() {
        [] => return Place::Staging,
        [key] => return Place::KeyDir(key.clone()),
        [key, file] if plans.contains_key(key) => return Place::File { key: key.clone(), file: file.clone() },
        _ => {}
    }
    // A key with a `/` in it, sent decoded: the remainder is the key, or key and file.
    let joined = decoded.join("/");
    for (key, staged) in plans {
        if joined == *key {
            return Place::KeyDir(key.clone());
        }
        let file = &staged.plan.file_name;
        if joined.strip_prefix(key.as_str()).and_then(|after| after.strip_prefix('/')) == Some(file.as_str()) {
            return Place::File { key: key.clone(), file: file.clone() };
        }
    }
    match decoded.as_slice() {
        [key, file] => Place::File { key: key.clone(), file: file.clone() },
        [key, ..] => Place::Nowhere { key: key.clone() },
        [] => Place::Staging,
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::staging::StagingPlan;

    fn plans(keys: &[&str]) -> HashMap<String, Staged> {
        keys.iter()
            .map(|key| {
                let plan = StagingPlan::new("my course.zip", Bytes::from_static(b"zip"));
                ((*key).to_owned(), Staged { served: plan.body.clone(), plan, silence: None, hold: None })
            })
            .collect()
    }

    fn file(key: &str) -> Place {
        Place::File { key: key.into(), file: "my course.zip".into() }
    }

    #[test]
    fn paths_resolve_to_what_they_name() {
        let odd = "urn:x:run 1/scenario";
        let plans = plans(&["k", odd]);
        let cases = [
            ("/", Place::Root, "/"),
            ("/s", Place::Staging, "/s"),
            ("s/k", Place::KeyDir("k".into()), "/s/k"),
            ("/s/k/my course.zip", file("k"), "/s/k/my%20course.zip"),
            ("/s/k/my%20course.zip", file("k"), "/s/k/my%20course.zip"),
            ("/s/./k/../k/my course.zip", file("k"), "/s/k/my%20course.zip"),
            ("/../s/k/my course.zip", file("k"), "/s/k/my%20course.zip"),
            (
                "/s/urn%3Ax%3Arun%201%2Fscenario/my%20course.zip",
                file(odd),
                "/s/urn%3Ax%3Arun%201%2Fscenario/my%20course.zip",
            ),
            ("/s/urn:x:run 1/scenario/my course.zip", file(odd), "/s/urn%3Ax%3Arun%201%2Fscenario/my%20course.zip"),
            ("/s/urn:x:run 1/scenario", Place::KeyDir(odd.into()), "/s/urn:x:run 1/scenario"),
            (
                "/s/nobody/course.zip",
                Place::File { key: "nobody".into(), file: "course.zip".into() },
                "/s/nobody/course.zip",
            ),
            ("/s/k/a/b", Place::Nowhere { key: "k".into() }, "/s/k/a/b"),
            ("/etc/passwd", Place::Nowhere { key: String::new() }, "/etc/passwd"),
        ];
        for (path, place, shown) in cases {
            let located = locate(Path::new(path), &plans);
            assert_eq!(located.place, place, "{path}");
            assert_eq!(located.path, shown, "{path}");
        }
    }
}
