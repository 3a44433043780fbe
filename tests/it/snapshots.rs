//! Snapshot tests: the generated Chart.yaml, values.yaml, values.schema.json and README.md of
//! reference flows are pinned under tests/snapshots/<case>/. A change in generated output fails
//! here until the snapshot is reviewed and re-blessed with `FLOWHELM_BLESS=1 cargo test --test it
//! snapshots::`. Templates are copied verbatim from chart-skeleton/ and are checked by the helm tests.

use crate::common;
use crate::common::{generate_chart, TempDir};

const CASES: &[&str] = &[
    "01-single",
    "05-replicas-shards",
    "06-dag-needs-when",
    "07-env-secrets",
    "16-volumes",
    "18-external",
];
const FILES: &[&str] = &[
    "Chart.yaml",
    "values.yaml",
    "values.schema.json",
    "README.md",
];

#[test]
fn generated_files_match_their_snapshots() {
    let tmp = TempDir::new("snap");
    let bless = std::env::var_os("FLOWHELM_BLESS").is_some();
    let mut mismatches = Vec::new();
    for case in CASES {
        let flow = common::fixtures()
            .join("jina-reference")
            .join(case)
            .join("flow.yml");
        let out = tmp.path().join(case);
        generate_chart(&flow, &out, "demo");
        for file in FILES {
            let got = std::fs::read_to_string(out.join(file)).unwrap();
            let snap = common::root().join("tests/snapshots").join(case).join(file);
            if bless {
                std::fs::create_dir_all(snap.parent().unwrap()).unwrap();
                std::fs::write(&snap, &got).unwrap();
                continue;
            }
            let want = std::fs::read_to_string(&snap).unwrap_or_else(|_| {
                panic!(
                    "missing snapshot {}: run with FLOWHELM_BLESS=1",
                    snap.display()
                )
            });
            if got != want {
                let line = got
                    .lines()
                    .zip(want.lines())
                    .position(|(a, b)| a != b)
                    .unwrap_or(0)
                    + 1;
                mismatches.push(format!(
                    "{case}/{file} differs from its snapshot first at line {line}"
                ));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
