//! The corpus of invalid Flows in `tests/fixtures/invalid/`: every file must be rejected by the
//! real binary with exit code 2 and exactly the error line (and hint) its header comment states,
//! and `flowhelm chart` must not leave anything behind for it.
//!
//! Fixture format: the first line is `# expect: LINE:COL: error: MESSAGE` (the first line of
//! stderr after the `FILE:` prefix). An optional `# hint: TEXT` line among the leading comments
//! gives the expected second line (`  hint: TEXT`).

use std::path::{Path, PathBuf};

use crate::common;
use crate::common::{flowhelm, stderr, stdout, TempDir};

/// The variable the `${{ ENV.… }}` fixture refers to; it is removed from the child's environment.
const UNSET_VAR: &str = "FLOWHELM_UNSET_VAR";

struct Fixture {
    /// Path relative to the crate root, as passed to the binary.
    rel: PathBuf,
    expect: String,
    hint: Option<String>,
}

fn fixtures() -> Vec<Fixture> {
    let root = common::root();
    let dir = common::fixtures().join("invalid");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            // Lossy: one fixture is deliberately not UTF-8 past its header.
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            let rel = path.strip_prefix(&root).unwrap().to_path_buf();
            let mut lines = text.lines();
            let expect = lines
                .next()
                .and_then(|l| l.strip_prefix("# expect: "))
                .unwrap_or_else(|| {
                    panic!(
                        "{}: the first line must be `# expect: LINE:COL: error: …`",
                        rel.display()
                    )
                })
                .to_string();
            let hint = lines
                .take_while(|l| l.starts_with('#'))
                .find_map(|l| l.strip_prefix("# hint: "))
                .map(str::to_string);
            Fixture { rel, expect, hint }
        })
        .collect()
}

fn run(args: &[&std::ffi::OsStr]) -> std::process::Output {
    flowhelm()
        .args(args)
        .current_dir(common::root())
        .env_remove(UNSET_VAR)
        .output()
        .expect("run flowhelm")
}

/// Problems with one run of the binary on a fixture, or none.
fn check_output(f: &Fixture, what: &str, out: &std::process::Output, problems: &mut Vec<String>) {
    let name = f.rel.display();
    let err = stderr(out);
    let mut report =
        |msg: String| problems.push(format!("{name} ({what}): {msg}\n--- stderr ---\n{err}"));
    if out.status.code() != Some(2) {
        report(format!("exit code {:?}, expected 2", out.status.code()));
    }
    if err.contains("panicked") {
        report("the binary panicked".into());
    }
    let mut lines = err.lines();
    let first = lines.next().unwrap_or("");
    let expected = format!("{name}:{}", f.expect);
    if first != expected {
        report(format!(
            "first stderr line\n  got:      {first}\n  expected: {expected}"
        ));
    }
    if let Some(hint) = &f.hint {
        let second = lines.next().unwrap_or("");
        let expected = format!("  hint: {hint}");
        if second != expected {
            report(format!(
                "hint line\n  got:      {second}\n  expected: {expected}"
            ));
        }
    }
}

#[test]
fn corpus_is_large_enough_and_well_formed() {
    let all = fixtures();
    assert!(
        all.len() >= 30,
        "only {} invalid fixtures; at least 30 are required",
        all.len()
    );
    for f in &all {
        let (pos, rest) = f.expect.split_once(": error: ").unwrap_or_else(|| {
            panic!(
                "{}: `# expect:` must read `LINE:COL: error: MESSAGE`",
                f.rel.display()
            )
        });
        let numbers: Vec<&str> = pos.split(':').collect();
        assert!(
            numbers.len() == 2
                && numbers
                    .iter()
                    .all(|n| n.parse::<usize>().is_ok_and(|n| n > 0)),
            "{}: `{pos}` is not LINE:COL",
            f.rel.display()
        );
        assert!(
            !rest.trim().is_empty(),
            "{}: empty message",
            f.rel.display()
        );
    }
}

#[test]
fn check_rejects_every_invalid_flow_with_the_expected_error() {
    let mut problems = Vec::new();
    for f in fixtures() {
        let out = run(&["check".as_ref(), f.rel.as_os_str()]);
        check_output(&f, "check", &out, &mut problems);
        if !out.stdout.is_empty() {
            problems.push(format!(
                "{} (check): stdout is not empty:\n{}",
                f.rel.display(),
                stdout(&out)
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}

/// Entries of `dir`, for messages.
fn listing(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn chart_writes_nothing_for_an_invalid_flow() {
    let mut problems = Vec::new();
    for f in fixtures() {
        let tmp = TempDir::new("invalid");
        let dest = tmp.path().join("out");
        let out = run(&[
            "chart".as_ref(),
            f.rel.as_os_str(),
            "-o".as_ref(),
            dest.as_os_str(),
        ]);
        check_output(&f, "chart", &out, &mut problems);
        if !out.stdout.is_empty() {
            problems.push(format!(
                "{} (chart): stdout is not empty:\n{}",
                f.rel.display(),
                stdout(&out)
            ));
        }
        let left = listing(tmp.path());
        if !left.is_empty() {
            problems.push(format!(
                "{} (chart): left {left:?} in the output's parent directory",
                f.rel.display()
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}
