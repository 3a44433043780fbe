//! The corpus of real-world-style Flows in `tests/fixtures/corpus/`: Flows and Deployments written
//! the ways Jina's docs, examples, tests and JCloud projects write them (old syntax and new), each
//! a directory with:
//!
//! - `flow.yml`, whose leading comments say what it shows and which items of issue 24 it covers
//!   (`# items: 1, 3`);
//! - `expect.txt`, exactly what `flowhelm chart flow.yml -o OUT --name demo` prints on stderr, run in
//!   the directory: the warnings of an accepted Flow (exit 0), or the located error and hint of a
//!   refused one (exit 2, nothing written);
//! - `env` (optional), `KEY=VALUE` lines set for flowhelm and for Jina's export alike;
//! - for an accepted Flow, `jina-out/` and `cmd.txt`: jina 3.34.0's own export
//!   (`scripts/jina-oracle.sh export DIR`), which `parity.rs` compares the chart with.
//!
//! Every Flow here is one jina 3.34.0 exports without an error (`exit 0`): a refusal is either a
//! Flow Kubernetes could not run as exported (an image tag or port that is still `$X`, GPUs by
//! device id) or older syntax Jina 3 ignores without a word (`pods:`, `parallel`, …).

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::common::{self, k8s, TempDir};
use crate::test::Test;

/// Items of issue 24 the corpus must cover: every rule about reading Flows.
const ITEMS: &[u32] = &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13];

pub struct Case {
    pub name: String,
    pub dir: PathBuf,
    pub items: Vec<u32>,
    pub expect: String,
    pub env: Vec<(String, String)>,
}

impl Case {
    pub fn accepted(&self) -> bool {
        !self.expect.contains(": error: ")
    }
}

pub fn cases() -> Vec<Case> {
    let root = common::fixtures().join("corpus");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", root.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|dir| {
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            let flow = std::fs::read_to_string(dir.join("flow.yml"))
                .unwrap_or_else(|e| panic!("{name}: flow.yml: {e}"));
            let items = flow
                .lines()
                .take_while(|l| l.starts_with('#'))
                .find_map(|l| l.strip_prefix("# items: "))
                .unwrap_or_else(|| panic!("{name}: no `# items:` line in flow.yml's header"))
                .split(',')
                .map(|i| i.trim().parse().unwrap())
                .collect();
            let expect = std::fs::read_to_string(dir.join("expect.txt"))
                .unwrap_or_else(|e| panic!("{name}: expect.txt: {e}"));
            let env = std::fs::read_to_string(dir.join("env"))
                .unwrap_or_default()
                .lines()
                .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
                .map(|l| {
                    let (k, v) = l.split_once('=').expect("env lines are KEY=VALUE");
                    (k.to_string(), v.to_string())
                })
                .collect();
            Case {
                name,
                dir,
                items,
                expect,
                env,
            }
        })
        .collect()
}

#[test]
fn the_corpus_is_large_covers_every_item_and_has_jinas_export_of_each_accepted_flow() {
    let all = cases();
    assert!(all.len() >= 30, "only {} Flows in the corpus", all.len());
    let covered: BTreeSet<u32> = all.iter().flat_map(|c| c.items.clone()).collect();
    for item in ITEMS {
        assert!(covered.contains(item), "no corpus Flow covers item {item}");
    }
    let refused = all.iter().filter(|c| !c.accepted()).count();
    assert!(
        refused >= 5 && all.len() - refused >= 25,
        "{refused} refused of {}",
        all.len()
    );
    for c in &all {
        assert_eq!(
            c.dir.join("jina-out").is_dir(),
            c.accepted(),
            "{}: an accepted Flow has Jina's export (scripts/jina-oracle.sh export), a refused one none",
            c.name
        );
    }
}

#[test]
fn each_flow_is_accepted_or_refused_exactly_as_expected() {
    let tmp = TempDir::new("corpus");
    let mut problems = Vec::new();
    for c in cases() {
        let out = tmp.path().join(&c.name);
        let mut t = Test::in_dir(&c.dir)
            .args([
                "chart".as_ref(),
                "flow.yml".as_ref(),
                "-o".as_ref(),
                out.as_os_str(),
            ])
            .args(["--name", "demo"])
            .status(if c.accepted() { 0 } else { 2 })
            .stderr(c.expect.clone());
        for (k, v) in &c.env {
            t = t.env(k, v);
        }
        t.run_collecting(&mut problems);
        if !c.accepted() {
            if out.exists() {
                problems.push(format!("{}: refused, yet {} exists", c.name, out.display()));
            }
            continue;
        }
        if !out.join("Chart.yaml").is_file() {
            continue; // reported above
        }
        // What is accepted renders on both helms into objects the API server takes.
        for (h, helm) in common::helms() {
            match k8s::try_render(&helm, &out, tmp.path(), "rel", "demo", &[]) {
                Ok(yaml) => {
                    let docs = k8s::documents(&yaml);
                    k8s::validate_all("1.29.0", &docs, &format!("{} ({h})", c.name));
                }
                Err(e) => problems.push(format!("{} ({h}) does not render: {e}", c.name)),
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}
