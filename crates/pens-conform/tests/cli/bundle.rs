//! `--bundle FILE.zip` and `verify FILE.zip`: a failing run leaves a bundle that
//! verifies, a changed entry is named, an incomplete run leaves none, and the profile's
//! password is nowhere in it.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;

use serde_json::Value;

use super::{ServedTarget, TempDir, both, closed_port, pens_conform};

/// Every entry of a zip, by name.
fn unzip(path: &Path) -> BTreeMap<String, Vec<u8>> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut archive = zip::ZipArchive::new(file).expect("a zip");
    let mut entries = BTreeMap::new();
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).expect("entry");
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).expect("read entry");
        entries.insert(entry.name().to_owned(), bytes);
    }
    entries
}

/// Writes `entries` as a zip at `path`.
fn rezip(path: &Path, entries: &BTreeMap<String, Vec<u8>>) {
    let mut writer = zip::ZipWriter::new(std::fs::File::create(path).expect("create zip"));
    for (name, bytes) in entries {
        writer.start_file(name.as_str(), zip::write::SimpleFileOptions::default()).expect("start entry");
        writer.write_all(bytes).expect("write entry");
    }
    writer.finish().expect("finish zip");
}

fn verify(path: &Path) -> std::process::Output {
    pens_conform().arg("verify").arg(path).output().expect("runs")
}

/// A failing run is evidence: it gets a bundle, `verify` accepts it, and changing one
/// entry makes `verify` fail naming that entry.
#[test]
fn a_failing_selftest_leaves_a_bundle_that_verifies_until_an_entry_changes() {
    let dir = TempDir::new("bundle-fail");
    let bundle = dir.path().join("out/cert.zip");
    let output = pens_conform()
        .args(["selftest", "--defect", "lowest-error-code", "--only", "several-errors-highest-code"])
        .arg("--report-dir")
        .arg(dir.path().join("reports"))
        .arg("--bundle")
        .arg(&bundle)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));

    let entries = unzip(&bundle);
    for name in
        ["manifest.json", "harness.json", "setup.json", "scenarios.json", "target/report.json", "target/junit.xml"]
    {
        assert!(entries.contains_key(name), "{name} missing: {:?}", entries.keys());
    }
    assert!(!entries.contains_key("profile.toml"), "a selftest has no profile");
    let report: Value = serde_json::from_slice(&entries["target/report.json"]).expect("report.json is JSON");
    assert_eq!(report["summary"]["fail"], 1);
    assert_eq!(report["scenarios"][0]["verdict"], "fail");
    let setup: Value = serde_json::from_slice(&entries["setup.json"]).expect("setup.json is JSON");
    assert_eq!(setup["defect"], "lowest-error-code");
    assert_eq!(setup["enforce_security"], false);
    let harness: Value = serde_json::from_slice(&entries["harness.json"]).expect("harness.json is JSON");
    assert_eq!(harness["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(harness["arguments"][0], "selftest");
    let scenarios: Value = serde_json::from_slice(&entries["scenarios.json"]).expect("scenarios.json is JSON");
    let files = scenarios["target"]["files"].as_array().expect("target files");
    let file = files.iter().find(|f| f["path"] == "several-errors-highest-code.toml").expect("the scenario file");
    assert_eq!(file["sha256"].as_str().map(str::len), Some(64));
    let manifest: Value = serde_json::from_slice(&entries["manifest.json"]).expect("manifest is JSON");
    assert_eq!(manifest["bundle_format"], 1);
    assert_eq!(manifest["files"].as_array().map(Vec::len), Some(entries.len() - 1));

    let checked = verify(&bundle);
    assert_eq!(checked.status.code(), Some(0), "{}", both(&checked));
    let stdout = String::from_utf8_lossy(&checked.stdout);
    assert!(stdout.contains("target/report.json: 1 scenario: 0 pass"), "{stdout}");
    assert!(stdout.contains(" 1 fail, 0 error"), "{stdout}");
    assert!(stdout.contains(&format!("harness pens-conform {}", env!("CARGO_PKG_VERSION"))), "{stdout}");
    assert!(stdout.contains(&format!("intact: {} files match the manifest", entries.len() - 1)), "{stdout}");
    // What `verify` shows, with what changes from run to run or release to release
    // (sizes, hashes, version, start time, the bundle's path) masked.
    let masked: Vec<String> = stdout
        .lines()
        .map(|line| match line.split_whitespace().collect::<Vec<_>>().as_slice() {
            ["ok", name, _, "bytes", "sha256", _] => format!("  ok  {name}  [size] bytes  sha256 [hash]"),
            ["bundle", _, rest @ ..] => format!("bundle [path] {}", rest.join(" ")),
            ["harness", name, ..] => format!("harness {name} [version], run started [time]"),
            _ => line.to_owned(),
        })
        .collect();
    insta::assert_snapshot!("verify_of_a_failing_selftest_bundle", masked.join("\n"));

    // One changed entry, the manifest untouched.
    let mut tampered = entries.clone();
    tampered.get_mut("target/summary.md").expect("summary.md").extend_from_slice(b"\nall passed\n");
    let changed = dir.path().join("changed.zip");
    rezip(&changed, &tampered);
    let checked = verify(&changed);
    assert_eq!(checked.status.code(), Some(1), "{}", both(&checked));
    let stderr = String::from_utf8_lossy(&checked.stderr);
    assert!(stderr.contains("tampered: target/summary.md:"), "{stderr}");
    assert_eq!(stderr.matches("tampered: ").count(), 1, "only the changed entry: {stderr}");
}

/// An incomplete run certifies nothing: exit 3 stays, no bundle, and stderr says why.
#[test]
fn an_incomplete_run_writes_no_bundle() {
    let dir = TempDir::new("bundle-incomplete");
    let bundle = dir.path().join("cert.zip");
    let url = format!("http://127.0.0.1:{}/pens", closed_port());
    let output = pens_conform()
        .args(["target", "--url", &url, "--report-dir"])
        .arg(dir.path().join("reports"))
        .arg("--bundle")
        .arg(&bundle)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(3), "{}", both(&output));
    assert!(!bundle.exists(), "a bundle of an incomplete run");
    assert!(dir.path().join("reports/report.json").is_file(), "the reports are still written");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("no bundle written to {}: the run is incomplete", bundle.display())), "{stderr}");
}

/// What is not a bundle is exit 2, naming the file.
#[test]
fn verify_says_which_file_is_not_a_bundle() {
    let dir = TempDir::new("bundle-not");
    let text = dir.write("notes.zip", "not a zip");
    let missing = dir.path().join("missing.zip");
    for path in [&text, &missing] {
        let output = verify(path);
        assert_eq!(output.status.code(), Some(2), "{}", both(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(&path.display().to_string()), "{stderr}");
    }
}

/// A target run with a profile whose password comes from the environment: the bundle
/// carries the profile (naming the variable) but the password appears in no entry, nor
/// in the console, the logs at their most verbose, or any report file.
#[test]
fn the_profile_password_is_nowhere_in_the_bundle() {
    const PASSWORD: &str = "s3cret-Bundle-Pw-91b7";
    let served = ServedTarget::start();
    let url = served.url.as_str();

    let dir = TempDir::new("bundle-secret");
    let profile = dir.write(
        "profile.toml",
        &format!(
            "[target]\nurl = \"{url}\"\nname = \"Bundle LMS\"\nsystem-user-id = \"publisher\"\n\
             system-password-env = \"PENS_BUNDLE_TEST_PW\"\n[deadlines]\nack = 5000\nfetch = 5000\nreceipt = 10000\nquiet = 400\n"
        ),
    );
    let bundle = dir.path().join("cert.zip");
    let output = pens_conform()
        .env("PENS_BUNDLE_TEST_PW", PASSWORD)
        .env("RUST_LOG", "trace")
        .args(["target", "--only", "collect-post-valid", "--profile"])
        .arg(&profile)
        .arg("--report-dir")
        .arg(dir.path().join("reports"))
        .arg("--bundle")
        .arg(&bundle)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));

    let entries = unzip(&bundle);
    let public = String::from_utf8_lossy(&entries["profile.toml"]).into_owned();
    assert!(public.contains("system-password-env = \"PENS_BUNDLE_TEST_PW\""), "{public}");
    assert!(public.contains("Bundle LMS"), "{public}");
    for (name, bytes) in &entries {
        let text = String::from_utf8_lossy(bytes);
        assert!(!text.contains(PASSWORD), "the password is in {name}");
    }
    assert!(entries.contains_key("report.json") && entries.contains_key("scenarios.json"), "{:?}", entries.keys());
    assert_eq!(verify(&bundle).status.code(), Some(0));

    assert!(!output.stderr.is_empty(), "trace logging wrote nothing: the grep below would prove little");
    for (stream, bytes) in [("stdout", &output.stdout), ("stderr (RUST_LOG=trace)", &output.stderr)] {
        assert!(!String::from_utf8_lossy(bytes).contains(PASSWORD), "the password is on {stream}");
    }
    for entry in std::fs::read_dir(dir.path().join("reports")).expect("the report folder") {
        let path = entry.expect("an entry").path();
        let text = String::from_utf8_lossy(&std::fs::read(&path).expect("readable")).into_owned();
        assert!(!text.contains(PASSWORD), "the password is in {}", path.display());
    }
}
