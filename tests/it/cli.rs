//! The command line itself: help, version, completions, `check` output in both formats, where
//! warnings and errors go, and that every reference Flow is accepted.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::common;
use crate::test::Test;

/// A run from the crate root, which the fixture paths below are relative to.
fn at_root() -> Test {
    Test::new().current_dir(common::root())
}

const DAG: &str = "tests/fixtures/jina-reference/06-dag-needs-when/flow.yml";

#[test]
fn help_and_version_succeed() {
    let mut help = Test::new().arg("--help");
    for word in ["check", "chart", "values", "completions"] {
        help = help.stdout_contains(word);
    }
    help.run();
    Test::new()
        .args(["check", "--help"])
        .stdout_contains("--format")
        .run();
    Test::new()
        .arg("--version")
        .stdout(format!("flowhelm {}\n", env!("CARGO_PKG_VERSION")))
        .run();
}

#[test]
fn completions_print_a_script_per_shell() {
    for (shell, marker) in [
        ("bash", "_flowhelm"),
        ("zsh", "#compdef flowhelm"),
        ("fish", "complete -c flowhelm"),
    ] {
        Test::new()
            .args(["completions", shell])
            .stdout_contains(marker)
            .stdout_contains("check")
            .stderr("")
            .run();
    }
    // An unknown shell is a usage error.
    Test::new().args(["completions", "tcsh"]).status(2).run();
}

#[test]
fn check_json_has_the_dag_edges() {
    let v = at_root()
        .args(["check", "--format", "json", DAG])
        .stderr("")
        .run()
        .stdout_json();
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
}

#[test]
fn check_text_lists_executors_with_shards_and_replicas() {
    let text = at_root()
        .args([
            "check",
            "tests/fixtures/jina-reference/05-replicas-shards/flow.yml",
        ])
        .run()
        .stdout;
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

    let text = at_root().args(["check", DAG]).run().stdout;
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

/// A Flow with two warnings, on lines 3 and 7.
const WARNED: &str = "
    jtype: Flow
    jcloud:
      retention_days: 7
    executors:
      - name: a
        uses: docker://acme/a:1
        port_monitoring: 9091
";

#[test]
fn warnings_go_to_stderr_with_their_position() {
    for format in ["text", "json"] {
        let out = Test::new()
            .flow(WARNED)
            .args(["check", "--format", format, "{flow}"])
            .stdout_lacks("warning:") // warnings must not go to stdout
            .stderr_starts_with("{flow}:3:3: warning: `jcloud.retention_days`")
            .run();
        let err = &out.stderr;
        let lines: Vec<&str> = err.lines().collect();
        let prefix = out.flow().display().to_string();
        assert_eq!(lines.len(), 2, "{err}");
        assert!(
            lines[1].starts_with(&format!("{prefix}:7:5: warning: `port_monitoring`")),
            "{err}"
        );
    }
    let v = Test::new()
        .flow(WARNED)
        .args(["check", "--format", "json", "{flow}"])
        .run()
        .stdout_json(); // JSON despite warnings
    assert_eq!(v["warnings"].as_array().map(Vec::len), Some(2), "{v}");
}

#[test]
fn message_format_json_writes_each_diagnostic_as_an_object() {
    let out = Test::new()
        .flow(WARNED)
        .args(["--message-format", "json", "check", "{flow}"])
        .stdout_contains("gateway -> a") // stdout is the topology, as without the option
        .run();
    let lines: Vec<serde_json::Value> = out
        .stderr
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    let flow = out.flow().display().to_string();
    assert_eq!(lines.len(), 2, "{}", out.stderr);
    assert_eq!(lines[0]["severity"], "warning");
    assert_eq!(lines[0]["origin"]["kind"], "file");
    assert_eq!(lines[0]["origin"]["name"], flow.as_str());
    assert_eq!(
        (lines[0]["line"].as_u64(), lines[0]["column"].as_u64()),
        (Some(3), Some(3))
    );
    assert!(
        lines[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("`jcloud.retention_days`"),
        "{}",
        lines[0]
    );
    assert_eq!(lines[1]["line"], 7);

    // An error after the subcommand's arguments too (the option is global), with its hint.
    let out = Test::new()
        .flow("jtype: Flow\nexecutors:\n  - name: a\n    replica: 2\n")
        .args(["check", "{flow}", "--message-format", "json"])
        .status(2)
        .run();
    let e: serde_json::Value = serde_json::from_str(out.stderr.trim_end()).unwrap();
    assert_eq!(e["severity"], "error");
    assert_eq!(
        (e["line"].as_u64(), e["column"].as_u64()),
        (Some(4), Some(5))
    );
    assert_eq!(e["message"], "unknown key `replica` in an executor");
    assert_eq!(e["hint"], "did you mean `replicas`?");

    // Diagnostics about a flag name the flag.
    let out = Test::new()
        .flow("jtype: Flow\n")
        .args(["--message-format=json", "chart", "{flow}", "-o", "{dir}/c"])
        .args(["--chart-version", "one"])
        .status(2)
        .run();
    let e: serde_json::Value = serde_json::from_str(out.stderr.trim_end()).unwrap();
    assert_eq!(
        e["origin"],
        serde_json::json!({"kind": "flag", "name": "--chart-version"})
    );
    // The parser's own words are the cause, said once: not in the message too.
    assert_eq!(e["message"], "`one` is not a SemVer 2 version");
    assert_eq!(
        e["causes"],
        serde_json::json!(["unexpected character 'o' while parsing major version number"])
    );
    assert_eq!(
        (e["line"].clone(), e["column"].clone()),
        (serde_json::Value::Null, serde_json::Value::Null)
    );
}

#[test]
fn a_missing_file_is_an_input_error() {
    let out = at_root()
        .args(["check", "tests/fixtures/does-not-exist.yml"])
        .status(2)
        .stdout("")
        .stderr_starts_with("tests/fixtures/does-not-exist.yml: error: ")
        .run();
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);

    let out = at_root()
        .args([
            "chart",
            "tests/fixtures/does-not-exist.yml",
            "-o",
            "{dir}/out",
        ])
        .status(2)
        .stderr_starts_with("tests/fixtures/does-not-exist.yml: error: ")
        .run();
    assert_eq!(
        std::fs::read_dir(out.dir()).unwrap().count(),
        0,
        "chart left files behind"
    );
}

#[test]
fn usage_errors_exit_2() {
    at_root().arg("check").status(2).run();
    at_root()
        .args(["check", "--format", "yaml", DAG])
        .status(2)
        .run();
    at_root().arg("frobnicate").status(2).run();
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
            let out = Test::new()
                .args(["check", "--format", format])
                .arg(&flow)
                .stderr_lacks("error")
                .run();
            if format == "json" {
                out.stdout_json();
            }
        }
    }
}
