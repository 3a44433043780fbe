//! Snapshot tests with insta: for every reference Flow (`tests/fixtures/jina-reference/*/flow.yml`),
//! the Chart.yaml, values.yaml, values.schema.json and README.md that `flowhelm chart FLOW -o DIR
//! --name demo` generates are pinned, each in its own file, `tests/snapshots/<case>@<file>.snap`.
//! Templates are not snapshotted: they are copied verbatim from chart-skeleton/ and are checked by
//! the helm tests (`charts`, `features`, `parity`, `cluster`).
//!
//! A change in generated output fails here. Outside CI, the new output is written beside the
//! snapshot as `.snap.new`: review and accept or reject each with `cargo insta review`
//! (`cargo install cargo-insta`), or accept them all by running the test with
//! `INSTA_UPDATE=always`. With `CI` set nothing is written; a mismatch only fails.

use crate::common::{generate_chart, TempDir};

/// The files, each with the whitespace it ends with. insta compares text with leading newlines
/// and trailing whitespace trimmed and CRLF read as LF, so the test pins those bytes itself: with
/// the snapshot they make up the exact file.
const FILES: &[(&str, &str)] = &[
    ("Chart.yaml", "\n"),
    ("values.yaml", "\n\n"),
    ("values.schema.json", "\n\n"),
    ("README.md", "\n"),
];

#[test]
fn generated_files_match_their_snapshots() {
    let tmp = TempDir::new("snap");
    // glob! runs the closure once per Flow and reports every mismatch before failing.
    insta::glob!("../fixtures/jina-reference", "*/flow.yml", |flow| {
        let case = flow
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_str()
            .unwrap();
        let out = tmp.path().join(case);
        generate_chart(flow, &out, "demo");
        for (file, ending) in FILES {
            let got = std::fs::read_to_string(out.join(file)).unwrap();
            assert_eq!(
                &got[got.trim_end().len()..],
                *ending,
                "{case}/{file}: the whitespace at its end"
            );
            assert!(
                !got.starts_with('\n') && !got.contains('\r'),
                "{case}/{file} starts with a newline or has a carriage return"
            );
            insta::with_settings!({
                snapshot_path => "../snapshots",
                prepend_module_to_snapshot => false,
                snapshot_suffix => *file,
                omit_expression => true,
                description => format!(
                    "`flowhelm chart tests/fixtures/jina-reference/{case}/flow.yml -o DIR --name demo`: DIR/{file}"
                ),
            }, {
                insta::assert_snapshot!(case, got);
            });
        }
    });
}
