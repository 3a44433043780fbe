//! The corpus of invalid Flows in `tests/fixtures/invalid/`: every file must be rejected by the
//! real binary with exit code 2 and exactly the error line (and hint) its header comment states,
//! and `flowhelm chart` must not leave anything behind for it.
//!
//! Fixture format: the first line is `# expect: LINE:COL: error: MESSAGE` (the first line of
//! stderr after the `FILE:` prefix). An optional `# hint: TEXT` line among the leading comments
//! gives the expected second line (`  hint: TEXT`).

use std::path::{Path, PathBuf};

use crate::common;
use crate::test::Test;

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

/// A run of the binary on `f` (its arguments still to come), expecting what every fixture must
/// give: exit code 2, nothing on stdout, no panic, and the error line (and hint line) its header
/// states as the first lines of stderr. Paths are relative to the crate root, as in the messages.
fn rejects(f: &Fixture) -> Test {
    let mut lines = format!("{}:{}\n", f.rel.display(), f.expect);
    if let Some(hint) = &f.hint {
        lines.push_str(&format!("  hint: {hint}\n"));
    }
    Test::new()
        .current_dir(common::root())
        .env_remove(UNSET_VAR)
        .status(2)
        .stdout("")
        .stderr_lacks("panicked")
        .stderr_starts_with(lines)
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
        rejects(&f)
            .arg("check")
            .arg(&f.rel)
            .run_collecting(&mut problems);
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
            d.filter_map(std::result::Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn chart_writes_nothing_for_an_invalid_flow() {
    let mut problems = Vec::new();
    for f in fixtures() {
        let out = rejects(&f)
            .arg("chart")
            .arg(&f.rel)
            .args(["-o", "{dir}/out"])
            .run_collecting(&mut problems);
        let left = listing(out.dir());
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
