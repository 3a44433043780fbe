//! House rules no linter knows: the chart's Helm templates stay readable side by side in a
//! review. (The chart's README is Markdown, whose table rows cannot break.)
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
