//! No input makes flowhelm panic: every fixture Flow, cut at every character and with each line
//! replaced by hostile variants, either loads (and then compiles) or returns a located error.

use crate::common;

use std::panic::{catch_unwind, AssertUnwindSafe};

fn fixture_flows() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for dir in ["jina-reference", "invalid"] {
        let mut stack = vec![common::fixtures().join(dir)];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.file_name().is_some_and(|n| n == "flow.yml")
                    || (dir == "invalid" && p.extension().is_some_and(|x| x == "yml"))
                {
                    out.push((
                        p.display().to_string(),
                        String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned(),
                    ));
                }
            }
        }
    }
    out.sort();
    assert!(out.len() >= 40);
    out
}

/// Load `source`; when `compile` is set and it loads, also compile it into a chart.
fn check(source: &str, origin: &str, compile: bool) {
    let env = |name: &str| (name == "SET").then(|| "1".to_string());
    let result = catch_unwind(AssertUnwindSafe(|| {
        match flowhelm::load_str(source, &env) {
            Ok(flow) if compile => {
                let opts = flowhelm::ChartOptions::new("robust").unwrap();
                flowhelm::compile(&flow, &opts).map(|_| ())
            }
            Ok(_) => Ok(()),
            Err(e) => Err(e),
        }
    }));
    let result =
        result.unwrap_or_else(|_| panic!("panic on input derived from {origin}:\n{source}"));
    if let Err(e) = result {
        assert!(
            e.pos().is_some() || e.origin().is_some(),
            "{origin}: unlocated error {e}"
        );
    }
}

#[test]
fn truncated_flows_never_panic() {
    for (origin, text) in fixture_flows() {
        for (i, c) in text.char_indices() {
            // Compiling is the slow part: do it for cuts at line ends only.
            check(&text[..i], &origin, c == '\n');
        }
    }
}

/// Lines that each replace one line of a fixture: syntax the parser must reject or route
/// correctly, and values the loader must refuse. Shared with the YAML reader's differential test.
fn hostile_lines() -> Vec<String> {
    let text = std::fs::read_to_string(common::fixtures().join("hostile-lines.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn hostile_lines_never_panic() {
    let hostile = hostile_lines();
    for (origin, text) in fixture_flows() {
        let lines: Vec<&str> = text.lines().collect();
        for i in 0..lines.len() {
            let indent = &lines[i][..lines[i].len() - lines[i].trim_start().len()];
            for h in &hostile {
                let mut changed = lines.clone();
                let replacement = format!("{indent}{h}");
                changed[i] = &replacement;
                check(
                    &changed.join("\n"),
                    &origin,
                    origin.contains("jina-reference"),
                );
            }
        }
    }
}
