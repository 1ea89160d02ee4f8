//! The repository stands alone: a clone with nothing beside it has the fixtures and names
//! no folder beside itself; and the README's tour is made of commands pgmonctl has, with flags
//! those commands take, so it cannot drift from the program.

use std::path::{Path, PathBuf};
use std::process::Command;

use pgmon_tests::daemon::run_pgmonctl;

fn checkout() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
/// A clone into an empty folder holds the fixtures the suite reads, and no tracked file names
/// the project's shared folder beside the repository.
fn a_clone_has_what_the_suite_reads() {
    let tmp = tempfile::tempdir().unwrap();
    let clone = tmp.path().join("pgmon");
    let out = Command::new("git")
        .args(["clone", "--quiet", "--no-hardlinks"])
        .arg(checkout())
        .arg(&clone)
        .output()
        .expect("git (Debian package git) clones the checkout");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for needed in [
        "tests/fixtures/seed-config/servers.json",
        "tests/fixtures/seed-config/encryption_key.key",
        "tests/fixtures/stats_db/stats_db_fixture.sql",
        "tests/fixtures/recorded/health.json",
    ] {
        assert!(
            clone.join(needed).is_file(),
            "{needed} missing from a clone"
        );
    }
    // The needles are put together here, so this file does not name what it looks for.
    let beside = ["..", "shared"].join("/");
    let shared_fixtures = ["shared", "fixtures"].join("/");
    let grep = Command::new("git")
        .args(["grep", "-n", "-F", "-e", &beside, "-e", &shared_fixtures])
        .current_dir(&clone)
        .output()
        .unwrap();
    let found = String::from_utf8_lossy(&grep.stdout);
    // The fixtures' own notes say where they were made; they are data, not a path read.
    let outside: Vec<&str> = found
        .lines()
        .filter(|l| !l.starts_with("tests/fixtures/"))
        .collect();
    assert!(
        outside.is_empty(),
        "references outside the repository: {outside:?}"
    );
}

/// The commands of the README's tour: the lines of the ```console block under "## A tour".
fn tour() -> Vec<Vec<String>> {
    let readme = std::fs::read_to_string(checkout().join("README.md")).unwrap();
    let (_, after) = readme
        .split_once("## A tour")
        .expect("a tour in the README");
    let (_, block) = after.split_once("```console\n").expect("the tour's block");
    let (block, _) = block.split_once("```").unwrap();
    block
        .lines()
        .map(|l| l.split_whitespace().map(str::to_owned).collect())
        .collect()
}

/// Options every command takes (pgmonctl's own), with whether they take a value.
const GLOBAL: &[(&str, bool)] = &[
    ("--url", true),
    ("--socket", true),
    ("--config-dir", true),
    ("--output", true),
];

#[test]
/// Each line of the tour is `pgmonctl` and a command it has, whose help lists every flag the
/// line uses.
fn the_tour_is_made_of_real_commands() {
    let lines = tour();
    assert!(lines.len() >= 15, "a short tour: {lines:?}");
    for line in &lines {
        assert_eq!(line[0], "pgmonctl", "{line:?}");
        let mut words = Vec::new();
        let mut flags = Vec::new();
        let mut rest = line[1..].iter();
        while let Some(t) = rest.next() {
            match GLOBAL.iter().find(|(g, _)| g == t) {
                Some((_, takes_value)) => {
                    if *takes_value {
                        rest.next();
                    }
                }
                None if t.starts_with('-') => flags.push(t.clone()),
                None => words.push(t.clone()),
            }
        }
        // The command is the longest run of leading words pgmonctl knows as commands.
        let known = |n: usize| {
            let mut args = vec!["help"];
            args.extend(words[..n].iter().map(String::as_str));
            run_pgmonctl(&args, "", &[]).status.success()
        };
        let path = (1..=words.len())
            .rev()
            .find(|n| known(*n))
            .unwrap_or_else(|| panic!("no pgmonctl command in {line:?}"));
        let mut args: Vec<&str> = words[..path].iter().map(String::as_str).collect();
        args.push("--help");
        let help = String::from_utf8_lossy(&run_pgmonctl(&args, "", &[]).stdout).into_owned();
        for flag in &flags {
            assert!(
                help.contains(flag.as_str()),
                "{line:?}: `pgmonctl {}` takes no {flag}",
                words[..path].join(" ")
            );
        }
    }
}
