//! The chart skeleton: Helm files copied as they are, and `*.j2` files rendered by minijinja
//! with `[[ ]]` / `[% %]` delimiters so Helm's own `{{ }}` passes through untouched.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Error, Result};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/skeleton.rs"));
}

/// Files of a skeleton by relative path (`/`-separated), sorted.
pub type Files = BTreeMap<String, Vec<u8>>;

/// The skeleton built into flowhelm.
pub fn builtin() -> Files {
    embedded::FILES
        .iter()
        .map(|(p, b)| (p.to_string(), b.to_vec()))
        .collect()
}

/// A user skeleton directory (like a Helm starter).
pub fn from_dir(dir: &Path) -> Result<Files> {
    if !dir.is_dir() {
        return Err(Error::input_file(dir, "skeleton directory not found")
            .with_hint("pass a directory laid out like chart-skeleton/"));
    }
    let mut files = Files::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|e| Error::internal(format!("{}: {e}", dir.display())))?;
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(dir)
            .map_err(|e| Error::internal(e.to_string()))?;
        let rel = rel
            .to_str()
            .ok_or_else(|| Error::input_file(entry.path(), "file name is not UTF-8"))?
            .replace('\\', "/");
        let bytes = std::fs::read(entry.path()).map_err(|e| Error::io(entry.path(), e))?;
        files.insert(rel, bytes);
    }
    Ok(files)
}

/// Render `*.j2` files with `context`; copy everything else.
pub fn render(files: &Files, context: &minijinja::Value) -> Result<Files> {
    let mut env = minijinja::Environment::new();
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .block_delimiters("[%", "%]")
            .variable_delimiters("[[", "]]")
            .comment_delimiters("[#", "#]")
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .map_err(|e| Error::internal(e.to_string()))?,
    );
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    // Text from the Flow reaches Markdown only through these, and YAML through `yaml_str`.
    env.add_filter("md_code", |s: String| crate::chart::doc::md_code(&s));
    env.add_filter("md_line", |s: String| crate::chart::doc::md_line(&s));
    env.add_filter("yaml_str", |s: String| crate::chart::doc::quoted(&s));
    let mut out = Files::new();
    for (path, bytes) in files {
        match path.strip_suffix(".j2") {
            Some(target) => {
                let text = std::str::from_utf8(bytes)
                    .map_err(|_| Error::internal(format!("skeleton file {path} is not UTF-8")))?;
                let rendered = env.render_named_str(path, text, context).map_err(|e| {
                    Error::input_file(path.as_str(), format!("skeleton template: {e}"))
                })?;
                out.insert(target.to_string(), rendered.into_bytes());
            }
            None => {
                out.insert(path.clone(), bytes.clone());
            }
        }
    }
    Ok(out)
}
