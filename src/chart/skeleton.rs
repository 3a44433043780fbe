//! The chart skeleton: Helm files copied as they are, and `*.j2` files rendered by minijinja
//! with `[[ ]]` / `[% %]` delimiters so Helm's own `{{ }}` passes through untouched.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Error, Origin, Pos, Result};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/skeleton.rs"));
}

/// Files of a skeleton by relative path (`/`-separated), sorted.
pub type Files = BTreeMap<String, Vec<u8>>;

/// What a skeleton's `*.j2` files see: the variables of the built-in skeleton's templates, and
/// of a user's `--skeleton` (written with `[[ var ]]` and `[% … %]`). Strings that come from the
/// Flow must go through a filter before they reach a file: `yaml_str` (a double-quoted YAML
/// scalar), `md_code` (Markdown inline code) or `md_line` (Markdown text on one line). An
/// unknown variable fails the render.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SkeletonContext {
    /// The first line of Chart.yaml, by which flowhelm recognises a chart it may replace.
    pub marker: &'static str,
    /// Chart name.
    pub name: String,
    /// Chart version.
    pub version: String,
    /// Jina version of the Jina image's tag (`3.34.0`), or empty when the tag carries none.
    pub app_version: String,
    /// Chart.yaml's `kubeVersion` constraint.
    pub kube_version: &'static str,
    /// The Flow's name (`with: name`), else the chart name.
    pub flow_name: String,
    /// `Flow` (with a gateway) or `Deployment`.
    pub kind: &'static str,
    /// Executor names, in the Flow's order.
    pub executors: Vec<String>,
    /// Edges of the executor graph, `[from, to]`, `gateway` at both ends.
    pub edges: Vec<(String, String)>,
    /// The graph as a Mermaid flowchart.
    pub mermaid: String,
    /// `[name, image reference]` of every image the chart runs (for Artifact Hub).
    pub images: Vec<(String, String)>,
    /// The generated values.yaml, whole.
    pub values_yaml: String,
    /// The generated values.schema.json, whole.
    pub values_schema: String,
    /// The values table (Markdown) for the README.
    pub values_table: String,
    /// What loading the Flow warned about, one message each.
    pub warnings: Vec<String>,
    /// The Jina version flowhelm mirrors.
    pub jina_version: &'static str,
    /// Jina's ports, defaults and names as JSON, for `_jina.tpl`.
    pub jina_constants: String,
}

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
        let entry = entry.map_err(|e| {
            Error::internal_at(
                Origin::File(dir.into()),
                "listing the skeleton's files failed",
            )
            .with_source(e)
        })?;
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

/// Render `*.j2` files with `context`; copy everything else. `dir` is where a user's skeleton
/// was read from, to name the file a template error is in.
pub fn render(files: &Files, context: &SkeletonContext, dir: Option<&Path>) -> Result<Files> {
    let context = minijinja::Value::from(minijinja::value::Serde(context));
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
                let rendered = env
                    .render_named_str(path, text, &context)
                    .map_err(|e| template_error(dir, path, e))?;
                out.insert(target.to_string(), rendered.into_bytes());
            }
            None => {
                out.insert(path.clone(), bytes.clone());
            }
        }
    }
    Ok(out)
}

/// A template's error at its line (minijinja reports no column: 1), in the file the user wrote
/// (`dir/path`), with minijinja's own error (what and where) as its cause. Errors in the
/// built-in skeleton are flowhelm's.
fn template_error(dir: Option<&Path>, path: &str, e: minijinja::Error) -> Error {
    let message = "the skeleton template does not render";
    let mut err = match dir {
        Some(dir) => Error::input_file(dir.join(path), message),
        None => Error::internal(format!("{path}: {message}")),
    };
    if let Some(line) = e.line() {
        err = err.at(Pos::new(line, 1));
    }
    err.with_source(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_template_error_names_its_file_and_line() {
        let mut files = Files::new();
        files.insert(
            "NOTES.txt.j2".into(),
            b"ok\n[[ name ]]\n[[ nope ]]\n".to_vec(),
        );
        let context = SkeletonContext {
            marker: "",
            name: "demo".into(),
            version: "0.1.0".into(),
            app_version: String::new(),
            kube_version: "",
            flow_name: "demo".into(),
            kind: "Flow",
            executors: vec![],
            edges: vec![],
            mermaid: String::new(),
            images: vec![],
            values_yaml: String::new(),
            values_schema: String::new(),
            values_table: String::new(),
            warnings: vec![],
            jina_version: "",
            jina_constants: String::new(),
        };
        let dir = Path::new("my-skeleton");
        let err = render(&files, &context, Some(dir)).unwrap_err();
        assert_eq!(err.file(), Some(dir.join("NOTES.txt.j2").as_path()));
        assert_eq!(err.pos(), Some(Pos::new(3, 1)));
        assert_eq!(err.exit_code(), 2);
        assert!(std::error::Error::source(&err).is_some());
        assert_eq!(
            err.to_string(),
            "my-skeleton/NOTES.txt.j2:3:1: error: the skeleton template does not render"
        );
        // What minijinja found is said once, as the cause.
        assert_eq!(err.causes().len(), 1, "{err:?}");
        assert!(err.report().contains("\n  caused by: "), "{}", err.report());
        // The built-in skeleton's own errors are flowhelm's, not the user's.
        let err = render(&files, &context, None).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Internal);
    }
}
