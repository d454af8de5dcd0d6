//! The option conventions every command keeps (README, "Options: the conventions"),
//! held over the whole command line, and the old option names kept as aliases, each
//! parsed as its new name is.
//!
//! The convention tests walk [`Cli::command`], so a new command or option is held to
//! them without a line here: one name means one thing everywhere, and a value is named
//! from one small vocabulary in `--help`.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{CommandFactory, Parser};

use super::{Cli, Command};
use crate::args::Format;
use crate::commands::serve::ServeCommand;

/// The value names `--help` may show. A new kind of value is added here on purpose,
/// not by accident.
const VALUE_NAMES: &[&str] = &[
    // Paths: a file, a folder, a zip.
    "FILE",
    "DIR",
    "FILE.zip",
    // Addresses: without a port (`--bind`), with one (a single listener, or a server to
    // reach), a host name to advertise, a URL.
    "ADDR",
    "ADDR:PORT",
    "HOST",
    "URL",
    // Quantities: durations with units, sizes, counts.
    "DURATION",
    "SIZE",
    "N",
    // Names and selections.
    "NAME",
    "ID",
    "PATTERN",
    "K/N",
    "CMD",
    "USER",
    "VAR",
    "PROTOCOL",
    // Closed vocabularies, and an instant.
    "FORMAT",
    "KIND",
    "WHEN",
    "RFC3339",
];

/// Every option that takes a value, as `(command path, long name, value name)`, over
/// every command and subcommand.
fn options_with_values() -> Vec<(String, String, String)> {
    fn visit(command: &clap::Command, path: &str, out: &mut Vec<(String, String, String)>) {
        for arg in command.get_arguments() {
            let (Some(long), true) = (arg.get_long(), arg.get_action().takes_values()) else { continue };
            let names = arg.get_value_names().unwrap_or_default();
            let name = names.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(" ");
            out.push((path.to_owned(), long.to_owned(), name));
        }
        for sub in command.get_subcommands().filter(|sub| sub.get_name() != "help") {
            visit(sub, &format!("{path} {}", sub.get_name()), out);
        }
    }
    let mut command = Cli::command();
    command.build();
    let mut out = Vec::new();
    visit(&command, "pens-conform", &mut out);
    out
}

/// One long name, one meaning: wherever an option is spelt the same, it takes the same
/// kind of value (`--listen` is always `ADDR:PORT`, `--bind` always `ADDR`).
#[test]
fn one_option_name_takes_one_kind_of_value_in_every_command() {
    let mut seen: BTreeMap<String, (String, String)> = BTreeMap::new();
    for (command, long, value) in options_with_values() {
        match seen.get(&long) {
            Some((first, first_value)) => {
                assert_eq!(&value, first_value, "--{long}: <{value}> in `{command}` but <{first_value}> in `{first}`");
            }
            None => {
                seen.insert(long, (command, value));
            }
        }
    }
    // The pairs the convention tells apart, by name and kind of value.
    let value_of = |long: &str| seen.get(long).map(|(_, value)| value.as_str());
    assert_eq!(value_of("bind"), Some("ADDR"));
    assert_eq!(value_of("listen"), Some("ADDR:PORT"));
    assert_eq!(value_of("smtp-listen"), Some("ADDR:PORT"));
    assert_eq!(value_of("smtp-relay"), Some("ADDR:PORT"));
    assert_eq!(value_of("ca-dir"), Some("DIR"));
    assert_eq!(value_of("trust-ca"), Some("FILE"));
    assert_eq!(value_of("report-dir"), Some("DIR"));
    assert_eq!(value_of("url"), Some("URL"));
}

/// Every value is named from the vocabulary of [`VALUE_NAMES`]; folders are `DIR`,
/// waits are `DURATION`, sizes `SIZE` and counts `N`, whatever the option.
#[test]
fn every_value_is_named_from_one_vocabulary() {
    for (command, long, value) in options_with_values() {
        assert!(VALUE_NAMES.contains(&value.as_str()), "`{command} --{long} <{value}>`: not in {VALUE_NAMES:?}");
        let expected = if long.ends_with("-dir") || ["scenarios", "client-scenarios", "packages"].contains(&&*long) {
            Some("DIR")
        } else if long.ends_with("-timeout") || ["grace", "linger"].contains(&&*long) {
            Some("DURATION")
        } else if long.ends_with("-bytes") || long == "size" {
            Some("SIZE")
        } else if ["jobs", "concurrency", "publishes", "keep-events", "connections"].contains(&&*long) {
            Some("N")
        } else {
            None
        };
        if let Some(expected) = expected {
            assert_eq!(value, expected, "`{command} --{long}`");
        }
    }
}

/// `--format` is always `text` or `json`, wherever a command offers it.
#[test]
fn every_format_option_is_text_or_json() {
    fn visit(command: &clap::Command, formats: &mut usize) {
        for arg in command.get_arguments().filter(|arg| arg.get_long() == Some("format")) {
            let values: Vec<String> = arg.get_possible_values().iter().map(|v| v.get_name().to_owned()).collect();
            assert_eq!(values, ["text", "json"], "{} --format", command.get_name());
            *formats += 1;
        }
        for sub in command.get_subcommands() {
            visit(sub, formats);
        }
    }
    let mut command = Cli::command();
    command.build();
    let mut formats = 0;
    visit(&command, &mut formats);
    // list, explain, validate, diff, merge and load.
    assert_eq!(formats, 6);
}

fn parse(args: &[&str]) -> Command {
    let argv = std::iter::once("pens-conform").chain(args.iter().copied());
    Cli::try_parse_from(argv).unwrap_or_else(|error| panic!("{args:?}: {error}")).command
}

/// `serve staging --bind ADDR`, and `--listen ADDR`, its name before.
#[test]
fn serve_staging_binds_with_bind_or_its_old_name_listen() {
    for flag in ["--bind", "--listen"] {
        let Command::Serve(ServeCommand::Staging(args)) = parse(&["serve", "staging", flag, "0.0.0.0"]) else {
            panic!("{flag}: not serve staging");
        };
        assert_eq!(args.bind, IpAddr::from([0, 0, 0, 0]), "{flag}");
    }
    let Command::Serve(ServeCommand::Staging(args)) = parse(&["serve", "staging"]) else { panic!("serve staging") };
    assert_eq!(args.bind, IpAddr::from([127, 0, 0, 1]));
}

/// `serve client --url URL` as `target` and `load` take it, and `--target URL`, its
/// name before; `--receipt-timeout` as `load` names its wait, and `--wait`, its name
/// before, each with units or bare seconds.
#[test]
fn serve_client_takes_url_and_receipt_timeout_or_their_old_names() {
    let url = "http://127.0.0.1:8380/pens";
    for (flag, wait, timeout) in [("--url", "--receipt-timeout", "90s"), ("--target", "--wait", "90")] {
        let Command::Serve(ServeCommand::Client(args)) = parse(&["serve", "client", flag, url, wait, timeout]) else {
            panic!("{flag}: not serve client");
        };
        assert_eq!(args.url, url, "{flag}");
        assert_eq!(args.receipt_timeout, Duration::from_secs(90), "{wait} {timeout}");
    }
}

/// `load --json FILE` still writes FILE; `--format json` and `--report-dir DIR` are the
/// names the other commands use, and parse beside it.
#[test]
fn load_keeps_json_file_beside_format_and_report_dir() {
    let url = "http://127.0.0.1:8380/pens";
    let Command::Load(args) = parse(&["load", "--url", url, "--json", "out.json"]) else { panic!("load") };
    assert_eq!((args.json, args.format, args.report_dir), (Some(PathBuf::from("out.json")), Format::Text, None));
    let Command::Load(args) = parse(&["load", "--url", url, "--format", "json", "--report-dir", "r"]) else {
        panic!("load")
    };
    assert_eq!((args.json, args.format, args.report_dir), (None, Format::Json, Some(PathBuf::from("r"))));
}

/// The two address options are not interchangeable: `--bind` takes no port, `--listen`
/// needs one, so a mix-up is a usage error rather than a surprise.
#[test]
fn bind_takes_an_address_and_listen_an_address_with_its_port() {
    let refused = |args: &[&str]| {
        let argv = std::iter::once("pens-conform").chain(args.iter().copied());
        let error = Cli::try_parse_from(argv).expect_err(&format!("{args:?} parsed"));
        assert_eq!(error.kind(), clap::error::ErrorKind::ValueValidation, "{args:?}: {error}");
    };
    refused(&["target", "--bind", "0.0.0.0:8080"]);
    refused(&["client", "--listen", "0.0.0.0"]);
    refused(&["serve", "target", "--listen", "0.0.0.0"]);
    let Command::Client(args) = parse(&["client", "--listen", "0.0.0.0:8381"]) else { panic!("client") };
    assert_eq!(args.listen.port(), 8381);
}
