//! Embeds `chart-skeleton/` in the binary, so an installed flowhelm needs no source tree.
use std::fmt::Write as _;

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("chart-skeleton");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut code = String::from("/// `(relative path, contents)` of every skeleton file, sorted by path.\npub static FILES: &[(&str, &[u8])] = &[\n");
    for entry in walkdir::WalkDir::new(&root).sort_by_file_name() {
        let entry = entry.expect("readable chart-skeleton");
        if !entry.file_type().is_file() {
            continue;
        }
        println!("cargo:rerun-if-changed={}", entry.path().display());
        let rel = entry
            .path()
            .strip_prefix(&root)
            .unwrap()
            .to_str()
            .expect("UTF-8 path")
            .replace('\\', "/");
        writeln!(
            code,
            "    ({rel:?}, include_bytes!({:?})),",
            entry.path().display().to_string()
        )
        .unwrap();
    }
    code.push_str("];\n");
    let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("skeleton.rs");
    std::fs::write(out, code).unwrap();
}
