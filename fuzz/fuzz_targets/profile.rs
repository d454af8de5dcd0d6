//! `pens_runner::profile::Profile::parse` (and `parse_as_endpoint`) on arbitrary text:
//! an implementation profile is written by hand and handed to `--profile`, so the parser
//! must turn any text into a profile or into an error naming the file, never a panic;
//! and what the bundle stores (`public_toml`) must read back to the same profile, less
//! the password.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pens_runner::profile::Profile;

/// The name every input is parsed under; errors must name it.
const ORIGIN: &str = "fuzz.toml";

/// The environment the inputs see: `PW` is set, nothing else.
fn env(name: &str) -> Option<String> {
    (name == "PW").then(|| "from-env".to_owned())
}

fuzz_target!(|text: &str| {
    // Read as a run's endpoint, `[target] url` is checked too: the same promise.
    if let Err(error) = Profile::parse_as_endpoint(text, ORIGIN, env) {
        let shown = error.to_string();
        assert!(shown.starts_with("profile fuzz.toml"), "the error does not name the file: {shown:?}");
    }
    match Profile::parse(text, ORIGIN, env) {
        Ok(profile) => {
            let public = profile.public_toml();
            let again = Profile::parse(&public, ORIGIN, env)
                .unwrap_or_else(|error| panic!("the public profile does not parse: {error}\n{public}"));
            // A `system-password` is left out; one read from `system-password-env` is
            // read again from the same variable.
            let mut expected = profile.clone();
            if expected.system_password_env.is_none() {
                expected.system_password = None;
            }
            assert_eq!(again, expected, "{public}");
        }
        Err(error) => {
            let shown = error.to_string();
            assert!(shown.starts_with("profile fuzz.toml"), "the error does not name the file: {shown:?}");
        }
    }
});
