//! The README's values table.

use super::text::{md_code, push_json, push_json_string};
use super::{Entry, Kind, Val};

/// The README's values table in Markdown: a row `| key path | type | default as JSON |
/// description |` for every documented key; an instance (an executor) is one row with what it
/// sets as JSON. Written straight into one string: a large Flow has thousands of rows.
pub fn table(entries: &[Entry]) -> String {
    let mut out = String::from(
        "| Key | Type | Default | Description |\n|-----|------|---------|-------------|\n",
    );
    let mut path = String::new();
    collect(&mut out, entries, &mut path);
    out
}

fn collect(out: &mut String, entries: &[Entry], path: &mut String) {
    for e in entries {
        let len = path.len();
        push_path(path, &e.key);
        let nested =
            matches!(&e.val, Val::Map(m) if !m.is_empty() && m.iter().any(|c| !c.doc.is_empty()));
        match (&e.val, e.kind) {
            // One row per instance, its settings as JSON: the keys are documented once, in the
            // definition's rows, and a large Flow stays a readable table.
            (Val::Map(children), Kind::Instances(_)) => {
                for child in children {
                    let len = path.len();
                    push_path(path, &child.key);
                    leaf(out, child, path);
                    path.truncate(len);
                }
            }
            (Val::Map(children), _) if nested => collect(out, children, path),
            _ => leaf(out, e, path),
        }
        path.truncate(len);
    }
}

fn push_path(path: &mut String, key: &str) {
    if path.is_empty() {
        path.push_str(key);
    } else if key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        path.push('.');
        path.push_str(key);
    } else {
        path.push('[');
        push_json_string(path, key);
        path.push(']');
    }
}

fn leaf(out: &mut String, e: &Entry, path: &str) {
    if e.doc.is_empty() {
        return;
    }
    let ty = match &e.val {
        Val::Bool(_) => "bool",
        Val::Int(_) => "int",
        Val::Float(_) => "float",
        Val::Str(_) => "string",
        Val::List(_) => "list",
        Val::Map(_) => "object",
    };
    let mut default = String::new();
    push_json(&mut default, &e.val);
    out.push_str("| ");
    out.push_str(&md_code(path));
    out.push_str(" | ");
    out.push_str(ty);
    out.push_str(" | ");
    out.push_str(&md_code(&default));
    out.push_str(" | ");
    push_cell(out, &e.doc);
    out.push_str(" |\n");
}

/// Table cells cannot hold `|` or line breaks.
fn push_cell(out: &mut String, text: &str) {
    if !text.contains(['|', '\n']) {
        out.push_str(text);
        return;
    }
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
}
