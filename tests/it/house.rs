//! House rules no linter knows: the chart's Helm templates stay readable side by side in a
//! review (the chart's README is Markdown, whose table rows cannot break), and the crate's
//! bottom layers do not reach up.
//! (Rust, Python and shell have their tools: `scripts/lint`.)

use crate::common::root;

/// The longest line a template may have. Go templates allow an action to span lines, so a long
/// `include` or `fail` breaks between its arguments without changing what it renders.
const TEMPLATE_LINE_MAX: usize = 160;

#[test]
fn template_lines_fit_in_160_characters() {
    let dir = root().join("chart-skeleton/templates");
    let mut long = Vec::new();
    for entry in walkdir::WalkDir::new(&dir).sort_by_file_name() {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap();
        for (i, line) in text.lines().enumerate() {
            let width = line.chars().count();
            if width > TEMPLATE_LINE_MAX {
                let rel = entry.path().strip_prefix(&dir).unwrap().display();
                long.push(format!(
                    "chart-skeleton/templates/{rel}:{}: {width} characters",
                    i + 1
                ));
            }
        }
    }
    assert!(
        long.is_empty(),
        "lines over {TEMPLATE_LINE_MAX} characters:\n{}",
        long.join("\n")
    );
}

/// The crate's bottom layers and the modules each may name: facts about Jina stand on nothing
/// of ours, and the YAML readers on the YAML layer alone (errors and Python's number and string
/// formatting are below it). Higher modules (flow, chart, package) may use all of these.
const LAYERS: [(&str, &[&str]); 4] = [
    ("error", &[]),
    ("python", &[]),
    ("jina", &[]),
    ("yaml", &["error", "python"]),
];

#[test]
fn lower_layers_name_no_module_above_them() {
    let mut crossings = Vec::new();
    for (module, allowed) in LAYERS {
        let src = root().join("src");
        let dir = src.join(module);
        let files: Vec<std::path::PathBuf> = if dir.is_dir() {
            walkdir::WalkDir::new(&dir)
                .sort_by_file_name()
                .into_iter()
                .map(|e| e.unwrap().into_path())
                .filter(|p| p.extension().is_some_and(|x| x == "rs"))
                .collect()
        } else {
            vec![src.join(format!("{module}.rs"))]
        };
        assert!(
            !files.is_empty() && files[0].exists(),
            "no source for {module}"
        );
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for (i, line) in text.lines().enumerate() {
                for (at, _) in line.match_indices("crate::") {
                    let named: String = line[at + "crate::".len()..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if named != module && !allowed.contains(&named.as_str()) {
                        let rel = file.strip_prefix(root()).unwrap().display().to_string();
                        crossings.push(format!("{rel}:{}: {module} names crate::{named}", i + 1));
                    }
                }
            }
        }
    }
    assert!(crossings.is_empty(), "{}", crossings.join("\n"));
}
