//! `completions` and `man`: what an installed tool ships besides itself. Each script or
//! page is generated from the one command-line definition, so these tests check that
//! the output parses and names every subcommand, not its exact text.

use std::io::Write;
use std::process::Stdio;

use super::{TempDir, pens_conform};

/// The top-level subcommands, as `--help` lists them (clap's own `help` left out).
fn subcommands() -> Vec<String> {
    let output = pens_conform().arg("--help").output().expect("runs");
    let help = String::from_utf8(output.stdout).expect("utf-8");
    let listed = help.split("Commands:\n").nth(1).expect("a Commands section");
    let names: Vec<String> = listed
        .lines()
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect();
    assert!(names.len() >= 14, "{names:?}");
    names
}

fn stdout_of(args: &[&str]) -> String {
    let output = pens_conform().args(args).output().expect("runs");
    assert_eq!(output.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("utf-8")
}

#[test]
fn the_bash_completion_parses_and_completes_every_subcommand() {
    let script = stdout_of(&["completions", "bash"]);
    let mut bash = std::process::Command::new("bash")
        .arg("-n")
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bash runs");
    bash.stdin.take().expect("stdin").write_all(script.as_bytes()).expect("written");
    let checked = bash.wait_with_output().expect("bash ends");
    assert!(checked.status.success(), "bash -n: {}", String::from_utf8_lossy(&checked.stderr));
    assert!(script.contains("complete -F _pens__conform "), "registers a completion function");
    // Sourced and asked, it completes a command's name from its first letters.
    let asked = format!(
        "{script}\nCOMP_WORDS=(pens-conform comp); COMP_CWORD=1; _pens__conform pens-conform comp pens-conform; echo \"${{COMPREPLY[*]}}\""
    );
    let completed = std::process::Command::new("bash").args(["-c", &asked]).output().expect("bash runs");
    assert_eq!(String::from_utf8_lossy(&completed.stdout).trim(), "completions");
    for name in subcommands() {
        assert!(script.contains(&name), "bash: `{name}` missing");
    }
}

#[test]
fn zsh_fish_powershell_and_elvish_completions_name_every_subcommand() {
    let names = subcommands();
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let script = stdout_of(&["completions", shell]);
        assert!(script.contains("pens-conform"), "{shell}");
        for name in &names {
            assert!(script.contains(name.as_str()), "{shell}: `{name}` missing");
        }
    }
    assert!(stdout_of(&["completions", "zsh"]).starts_with("#compdef pens-conform"));
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    let output = pens_conform().args(["completions", "tcsh"]).output().expect("runs");
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn the_man_page_has_a_title_header_and_every_subcommand_page() {
    let roff = stdout_of(&["man"]);
    let first = roff.lines().find(|line| !line.starts_with(".ie ") && !line.starts_with(".el ")).unwrap_or_default();
    assert!(first.starts_with(".TH PENS-CONFORM 1 "), "{first}");
    for name in subcommands() {
        let title = format!(".TH PENS-CONFORM-{} 1 ", name.to_uppercase());
        assert!(roff.contains(&title), "no page for `{name}`");
    }
    // A nested subcommand has its page too.
    assert!(roff.contains(".TH PENS-CONFORM-SERVE-TARGET 1 "));
}

#[test]
fn man_dir_writes_one_file_per_page() {
    let dir = TempDir::new("man-dir");
    let out = dir.path().join("man1");
    let out_arg = out.to_str().expect("utf-8 path");
    let output = pens_conform().args(["man", "--dir", out_arg]).output().expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.stdout.is_empty(), "the pages go to files only");
    let top = std::fs::read_to_string(out.join("pens-conform.1")).expect("the top page");
    assert!(top.contains(".TH PENS-CONFORM 1 "));
    for name in subcommands() {
        let page = out.join(format!("pens-conform-{name}.1"));
        assert!(page.is_file(), "{}", page.display());
    }
    assert!(out.join("pens-conform-serve-target.1").is_file());
}
