//! The exit status says whose fault an error is (issue 17): what the user gave is wrong
//! (a flag, a file, a fixture, an environment variable) is 2, before anything runs; the
//! harness failing (it cannot listen, start its own parties or write a report) is 3, as
//! `--help` and the README promise. Until step 11 every error was 2.

use std::net::TcpListener;

use super::{TempDir, both, pens_conform};

/// A listener holding an address, so that the harness cannot listen there.
fn taken() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a listener");
    let addr = listener.local_addr().expect("its address").to_string();
    (listener, addr)
}

#[test]
fn a_harness_that_cannot_listen_is_exit_3() {
    let (_held, addr) = taken();
    let dir = TempDir::new("exit-3-listen");
    let reports = dir.path().join("reports").to_string_lossy().into_owned();
    let closed = format!("http://127.0.0.1:{}/pens", super::closed_port());
    let runs: [Vec<&str>; 3] = [
        vec!["serve", "target", "--listen", &addr],
        vec!["client", "--trigger", "true", "--listen", &addr, "--report-dir", &reports],
        vec!["target", "--url", &closed, "--smtp-listen", &addr, "--report-dir", &reports],
    ];
    for args in runs {
        let output = pens_conform().args(&args).output().expect("runs");
        assert_eq!(output.status.code(), Some(3), "{args:?}: {}", both(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(&addr), "{args:?}: the address is named: {stderr}");
        assert!(stderr.contains("in use"), "{args:?}: the reason is said: {stderr}");
    }
}

#[test]
fn what_the_user_gave_wrong_is_exit_2() {
    let dir = TempDir::new("exit-2-input");
    let missing = dir.path().join("no-such-ca.pem").to_string_lossy().into_owned();
    let unset = "PENS_CONFORM_TEST_SURELY_UNSET";
    let cases: [(Vec<&str>, &str); 6] = [
        (vec!["serve", "target", "--listen", "127.0.0.1:0", "--trust-ca", &missing], "cannot read"),
        (vec!["serve", "target", "--listen", "127.0.0.1:0", "--defect", "no-such-defect"], "--defect"),
        (vec!["serve", "staging", "--user", "u", "--password-env", unset], unset),
        (vec!["serve", "client", "--target", "http://127.0.0.1:9/pens", "--package", "no-such.zip"], "no-such.zip"),
        (vec!["selftest", "--client-defect", "no-such-defect"], "--client-defect"),
        (vec!["load", "--url", "http://127.0.0.1:9/pens", "--package", "no-such.zip"], "cannot stage the package"),
    ];
    for (args, expected) in cases {
        let output = pens_conform().env_remove(unset).args(&args).output().expect("runs");
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", both(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{args:?}: `{expected}` not in {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}: something ran: {}", both(&output));
    }
}

/// A `--trust-ca` file that holds no certificate is the user's mistake, though the
/// reference target finds it only as it starts: exit 2, not a harness failure.
#[test]
fn a_trusted_ca_file_without_a_certificate_is_exit_2() {
    let dir = TempDir::new("exit-2-trust-ca");
    let garbage = dir.write("not-a-ca.pem", "not a certificate\n").to_string_lossy().into_owned();
    let reports = dir.path().join("reports").to_string_lossy().into_owned();
    let runs: [Vec<&str>; 2] = [
        vec!["serve", "target", "--listen", "127.0.0.1:0", "--trust-ca", &garbage],
        vec!["client", "--trigger", "true", "--trust-ca", &garbage, "--report-dir", &reports],
    ];
    for args in runs {
        let output = pens_conform().args(&args).output().expect("runs");
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", both(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("the extra root certificate is unusable"), "{args:?}: {stderr}");
    }
}
