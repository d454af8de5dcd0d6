//! An installed binary, run outside a checkout: the scenarios and package fixtures
//! built into it run, `scenarios export` writes them out, and the scenario digest and
//! the bundle do not depend on where the files came from.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

use super::{TempDir, both, workspace_root};

/// The built binary, run from `dir` (no checkout around it), logging quiet.
fn installed_in(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pens-conform"));
    command.current_dir(dir).env_remove("RUST_LOG").env_remove("GITHUB_STEP_SUMMARY");
    command
}

/// `scenarios built-in (pens-conform 0.1.0)`, the header line of a built-in set.
fn built_in_line() -> String {
    format!("scenarios built-in (pens-conform {})", env!("CARGO_PKG_VERSION"))
}

/// Every file under `dir`, relative to it, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    fn visit(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("a readable folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                visit(root, &path, out);
            } else {
                out.push(path.strip_prefix(root).expect("under the root").to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    visit(dir, dir, &mut out);
    out.sort();
    out
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).expect("JSON")
}

fn bundle_entry(bundle: &Path, name: &str) -> Value {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(bundle).expect("the bundle")).expect("a zip");
    let entry = archive.by_name(name).expect("the entry");
    serde_json::from_reader(entry).expect("JSON")
}

#[test]
fn selftest_from_an_empty_folder_runs_the_built_in_sets_and_passes() {
    let dir = TempDir::new("installed-selftest");
    let output = installed_in(dir.path()).args(["selftest", "--jobs", "8"]).output().expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let headers = stdout.lines().filter(|line| *line == built_in_line()).count();
    assert_eq!(headers, 2, "both suites say they ran the built-in set: {stdout}");
    // The reports go to ./reports/<timestamp>/ of the folder it ran in.
    assert!(dir.path().join("reports").is_dir(), "{}", both(&output));
}

#[test]
fn export_writes_the_repositorys_files_and_refuses_to_overwrite_them() {
    let dir = TempDir::new("installed-export");
    let out = dir.path().join("shipped");
    let output = installed_in(dir.path()).args(["scenarios", "export", "shipped"]).output().expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));

    let root = workspace_root();
    let mut expected: Vec<PathBuf> = files_under(&root.join("scenarios"));
    expected.extend(files_under(&root.join("fixtures/packages")).into_iter().map(|p| Path::new("packages").join(p)));
    expected.sort();
    assert_eq!(files_under(&out), expected);
    for relative in &expected {
        let original = match relative.strip_prefix("packages") {
            Ok(package) => root.join("fixtures/packages").join(package),
            Err(_) => root.join("scenarios").join(relative),
        };
        let written = std::fs::read(out.join(relative)).expect("exported");
        assert!(written == std::fs::read(&original).expect("original"), "{} differs", relative.display());
    }

    let again = installed_in(dir.path()).args(["scenarios", "export", "shipped"]).output().expect("runs");
    assert_eq!(again.status.code(), Some(2), "{}", both(&again));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"), "{}", both(&again));
    let forced = installed_in(dir.path()).args(["scenarios", "export", "--force", "shipped"]).output().expect("runs");
    assert_eq!(forced.status.code(), Some(0), "{}", both(&forced));

    std::fs::write(dir.path().join("a-file"), "").expect("written");
    let bad = installed_in(dir.path()).args(["scenarios", "export", "a-file"]).output().expect("runs");
    assert_eq!(bad.status.code(), Some(2), "{}", both(&bad));
}

/// One scenario of each set, with a bundle: from an empty folder (built in), from the
/// exported files (`--scenarios DIR/target` ...) and from the checkout (the folders on
/// disk). The same bytes give the same digest and the same hashes in the bundle.
#[test]
fn the_digest_and_the_bundle_cover_built_in_files_as_the_same_files_on_disk() {
    let dir = TempDir::new("installed-digest");
    let export = installed_in(dir.path()).args(["scenarios", "export", "shipped"]).output().expect("runs");
    assert_eq!(export.status.code(), Some(0), "{}", both(&export));
    let shipped = dir.path().join("shipped");

    let run = |name: &str, cwd: &Path, extra: &[&str]| -> (String, Value) {
        let reports = dir.path().join(name);
        let bundle = dir.path().join(format!("{name}.zip"));
        let output = installed_in(cwd)
            .args(["selftest", "--only", "collect-post-valid", "--report-dir"])
            .arg(&reports)
            .arg("--bundle")
            .arg(&bundle)
            .args(extra)
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(0), "{name}: {}", both(&output));
        let report = json(&reports.join("target/report.json"));
        let digest = report["scenario_digest"].as_str().expect("a digest").to_owned();
        let client = json(&reports.join("client/report.json"));
        assert_eq!(client["scenario_digest"].as_str().map(str::len), Some(64));
        (
            String::from_utf8_lossy(&output.stdout).into_owned(),
            serde_json::json!({
                "set": report["scenario_set"],
                "client_set": client["scenario_set"],
                "digest": digest,
                "client_digest": client["scenario_digest"],
                "scenarios": bundle_entry(&bundle, "scenarios.json"),
            }),
        )
    };

    let (built_in_stdout, built_in) = run("built-in", dir.path(), &[]);
    assert!(built_in_stdout.lines().any(|l| l == built_in_line()), "{built_in_stdout}");
    assert_eq!(built_in["scenarios"]["target"]["set"], built_in_line().trim_start_matches("scenarios "));
    assert_eq!(built_in["scenarios"]["packages"]["set"], built_in_line().trim_start_matches("scenarios "));
    assert_eq!(built_in["set"], built_in_line().trim_start_matches("scenarios "));
    assert_eq!(built_in["client_set"], built_in_line().trim_start_matches("scenarios "));

    let target = shipped.join("target");
    let (exported_stdout, exported) = run(
        "exported",
        dir.path(),
        &[
            "--scenarios",
            target.to_str().expect("utf-8"),
            "--client-scenarios",
            shipped.join("client").to_str().expect("utf-8"),
            "--packages",
            shipped.join("packages").to_str().expect("utf-8"),
        ],
    );
    assert!(exported_stdout.lines().any(|l| l == format!("scenarios {}", target.display())), "{exported_stdout}");

    let (checkout_stdout, checkout) = run("checkout", &workspace_root(), &[]);
    assert!(checkout_stdout.lines().any(|l| l == "scenarios ./scenarios/target"), "{checkout_stdout}");
    assert!(checkout_stdout.lines().any(|l| l == "scenarios ./scenarios/client"), "{checkout_stdout}");
    assert_eq!(checkout["set"], "./scenarios/target");
    assert_eq!(exported["set"], target.display().to_string());

    for (name, other) in [("exported", &exported), ("checkout", &checkout)] {
        assert_eq!(built_in["digest"], other["digest"], "{name}");
        assert_eq!(built_in["client_digest"], other["client_digest"], "{name}");
        for suite in ["target", "client"] {
            assert_eq!(built_in["scenarios"][suite]["files"], other["scenarios"][suite]["files"], "{name} {suite}");
        }
    }
}

/// Outside a checkout, a scenario naming a fixture the binary does not carry is refused
/// before anything runs, naming the built-in fixtures (not the temporary folder they
/// were written to) and the flag that points elsewhere.
#[test]
fn a_fixture_missing_from_the_built_in_set_is_named_as_such() {
    let dir = TempDir::new("installed-missing-package");
    let scenario = workspace_root().join("fixtures/scenarios/broken/missing-package.toml");
    let output = installed_in(dir.path()).arg("lint").arg(&scenario).output().expect("runs");
    assert_eq!(output.status.code(), Some(2), "{}", both(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected = format!(
        "package fixture `no-such-course.zip` not found in the built-in package fixtures (pens-conform {})",
        env!("CARGO_PKG_VERSION")
    );
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(stderr.contains("give --packages DIR") && !stderr.contains("pens-conform-packages-"), "{stderr}");
}
