//! The command line itself: help, version, completions, `check` output in both formats, where
//! warnings and errors go, and that every reference Flow is accepted.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Output;

use crate::common;
use crate::common::{flowhelm, stderr, stdout, TempDir};

fn run(args: &[&str]) -> Output {
    flowhelm()
        .args(args)
        .current_dir(common::root())
        .output()
        .expect("run flowhelm")
}

fn assert_ok(out: &Output, what: &str) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what} failed\nstdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
}

const DAG: &str = "tests/fixtures/jina-reference/06-dag-needs-when/flow.yml";

#[test]
fn help_and_version_succeed() {
    let out = run(&["--help"]);
    assert_ok(&out, "--help");
    let text = stdout(&out);
    for word in ["check", "chart", "values", "completions"] {
        assert!(
            text.contains(word),
            "--help does not mention `{word}`:\n{text}"
        );
    }
    let out = run(&["check", "--help"]);
    assert_ok(&out, "check --help");
    assert!(stdout(&out).contains("--format"), "{}", stdout(&out));

    let out = run(&["--version"]);
    assert_ok(&out, "--version");
    assert_eq!(
        stdout(&out).trim(),
        format!("flowhelm {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn completions_print_a_script_per_shell() {
    for (shell, marker) in [
        ("bash", "_flowhelm"),
        ("zsh", "#compdef flowhelm"),
        ("fish", "complete -c flowhelm"),
    ] {
        let out = run(&["completions", shell]);
        assert_ok(&out, shell);
        let script = stdout(&out);
        assert!(
            script.contains(marker),
            "{shell} completions lack `{marker}`:\n{script}"
        );
        assert!(
            script.contains("check"),
            "{shell} completions do not know `check`"
        );
        assert!(stderr(&out).is_empty(), "{shell}: {}", stderr(&out));
    }
    let out = run(&["completions", "tcsh"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}

#[test]
fn check_json_has_the_dag_edges() {
    let out = run(&["check", "--format", "json", DAG]);
    assert_ok(&out, "check --format json");
    let v: serde_json::Value =
        serde_json::from_str(&stdout(&out)).expect("check --format json prints JSON");
    assert_eq!(v["kind"], "Flow");
    let names: Vec<&str> = v["executors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "segmenter",
            "textencoder",
            "imageencoder",
            "merger",
            "audit"
        ]
    );
    let edges: BTreeSet<(String, String)> = v["edges"]
        .as_array()
        .expect("`edges` is a list")
        .iter()
        .map(|e| {
            (
                e[0].as_str().unwrap().to_string(),
                e[1].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String)> = [
        ("gateway", "segmenter"),
        ("segmenter", "textencoder"),
        ("segmenter", "imageencoder"),
        ("textencoder", "merger"),
        ("imageencoder", "merger"),
        ("segmenter", "audit"),
        ("merger", "gateway"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(edges, expected);
    // The floating executor hangs off segmenter and never leads back to the gateway.
    assert!(!edges.iter().any(|(from, _)| from == "audit"), "{edges:?}");
    let audit = &v["executors"][4];
    assert_eq!(audit["floating"], true);
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

#[test]
fn check_text_lists_executors_with_shards_and_replicas() {
    let out = run(&[
        "check",
        "tests/fixtures/jina-reference/05-replicas-shards/flow.yml",
    ]);
    assert_ok(&out, "check");
    let text = stdout(&out);
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("Vector_Indexer "))
        .unwrap_or_else(|| panic!("no line for Vector_Indexer:\n{text}"));
    assert!(line.contains("shards=2"), "{line}");
    assert!(line.contains("replicas=3"), "{line}");
    assert!(line.contains("image=acme/indexer:2.1"), "{line}");
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("gateway ") && l.contains("replicas=1")),
        "{text}"
    );

    let out = run(&["check", DAG]);
    assert_ok(&out, "check");
    let text = stdout(&out);
    for name in [
        "segmenter",
        "textencoder",
        "imageencoder",
        "merger",
        "audit",
    ] {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no line for {name}:\n{text}"));
        assert!(line.contains("shards=1 replicas=1"), "{line}");
    }
    assert!(text.contains("  gateway -> segmenter\n"), "{text}");
    assert!(text.contains("  merger -> gateway\n"), "{text}");
    assert!(!text.contains("audit -> gateway"), "{text}");
}

#[test]
fn warnings_go_to_stderr_with_their_position() {
    let tmp = TempDir::new("cli-warn");
    let flow = tmp.path().join("flow.yml");
    std::fs::write(
        &flow,
        "jtype: Flow\njcloud:\n  version: 3.34.0\nexecutors:\n  - name: a\n    uses: docker://acme/a:1\n    port_monitoring: 9091\n",
    )
    .unwrap();
    for format in ["text", "json"] {
        let out = run(&["check", "--format", format, flow.to_str().unwrap()]);
        assert_ok(&out, "check with warnings");
        let err = stderr(&out);
        let lines: Vec<&str> = err.lines().collect();
        let prefix = flow.display().to_string();
        assert_eq!(lines.len(), 2, "{err}");
        assert!(
            lines[0].starts_with(&format!("{prefix}:2:1: warning: `jcloud`")),
            "{err}"
        );
        assert!(
            lines[1].starts_with(&format!("{prefix}:7:5: warning: `port_monitoring`")),
            "{err}"
        );
        assert!(
            !stdout(&out).contains("warning:"),
            "warnings must not go to stdout"
        );
    }
    let out = run(&["check", "--format", "json", flow.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON despite warnings");
    assert_eq!(v["warnings"].as_array().map(Vec::len), Some(2), "{v}");
}

#[test]
fn a_missing_file_is_an_input_error() {
    let out = run(&["check", "tests/fixtures/does-not-exist.yml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).is_empty());
    let err = stderr(&out);
    assert!(
        err.starts_with("tests/fixtures/does-not-exist.yml: error: "),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    let tmp = TempDir::new("cli-missing");
    let dest = tmp.path().join("out");
    let out = run(&[
        "chart",
        "tests/fixtures/does-not-exist.yml",
        "-o",
        dest.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with("tests/fixtures/does-not-exist.yml: error: "),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "chart left files behind"
    );
}

#[test]
fn usage_errors_exit_2() {
    let out = run(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["check", "--format", "yaml", DAG]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn every_reference_flow_checks() {
    let dir = common::fixtures().join("jina-reference");
    let mut flows: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path().join("flow.yml"))
        .filter(|p| p.is_file())
        .collect();
    flows.sort();
    assert!(
        flows.len() >= 10,
        "only {} reference flows found in {}",
        flows.len(),
        dir.display()
    );
    for flow in flows {
        for format in ["text", "json"] {
            let out = run(&["check", "--format", format, flow.to_str().unwrap()]);
            assert_ok(&out, &format!("check {}", flow.display()));
            assert!(
                !stderr(&out).contains("error"),
                "{}: {}",
                flow.display(),
                stderr(&out)
            );
            if format == "json" {
                serde_json::from_str::<serde_json::Value>(&stdout(&out))
                    .unwrap_or_else(|e| panic!("{}: not JSON: {e}", flow.display()));
            }
        }
    }
}
