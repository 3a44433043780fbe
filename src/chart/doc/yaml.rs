//! values.yaml: every documented key with its `# --` comment (helm-docs style) above it.

use super::text::push_json_string;
use super::{Entry, Kind, Val};

/// Render entries as YAML with a `# --` comment above every documented key.
pub fn to_yaml(entries: &[Entry]) -> String {
    let mut out = String::new();
    write_entries(&mut out, entries, 0, true);
    out
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

fn write_entries(out: &mut String, entries: &[Entry], indent: usize, docs: bool) {
    for e in entries {
        if docs && !e.doc.is_empty() {
            for (i, line) in e.doc.lines().enumerate() {
                let lead = if i == 0 { "# -- " } else { "# " };
                pad(out, indent);
                out.push_str(lead);
                out.push_str(line);
                out.push('\n');
            }
        }
        pad(out, indent);
        push_yaml_key(out, &e.key);
        out.push(':');
        match (&e.val, e.kind) {
            (Val::Map(children), Kind::Instances(_)) if !children.is_empty() => {
                out.push('\n');
                write_instances(out, children, indent + 2, docs);
            }
            _ => write_value(out, &e.val, indent, docs),
        }
    }
}

/// Instances carry one comment each; their keys are documented in the definition's entry.
fn write_instances(out: &mut String, children: &[Entry], indent: usize, docs: bool) {
    for child in children {
        if docs && !child.doc.is_empty() {
            pad(out, indent);
            out.push_str("# -- ");
            out.push_str(child.doc.lines().next().unwrap_or_default());
            out.push('\n');
        }
        pad(out, indent);
        push_yaml_key(out, &child.key);
        out.push(':');
        write_value(out, &child.val, indent, false);
    }
}

fn write_value(out: &mut String, v: &Val, indent: usize, docs: bool) {
    match v {
        Val::Map(m) if m.is_empty() => out.push_str(" {}\n"),
        Val::List(l) if l.is_empty() => out.push_str(" []\n"),
        Val::Map(m) => {
            out.push('\n');
            write_entries(out, m, indent + 2, docs);
        }
        Val::List(items) => {
            out.push('\n');
            let pad = " ".repeat(indent + 2);
            for item in items {
                match item {
                    Val::Map(m) if !m.is_empty() => {
                        // First key on the dash line, the rest aligned under it.
                        let mut body = String::new();
                        write_entries(&mut body, m, indent + 4, docs);
                        let body = body.trim_start();
                        out.push_str(&format!("{pad}- {body}"));
                    }
                    _ => {
                        out.push_str(&format!("{pad}-"));
                        write_value(out, item, indent + 2, docs);
                    }
                }
            }
        }
        Val::Str(text) => {
            out.push(' ');
            push_json_string(out, text);
            out.push('\n');
        }
        scalar => {
            out.push(' ');
            out.push_str(&yaml_scalar(scalar));
            out.push('\n');
        }
    }
}

/// Strings are always double-quoted (JSON escapes are valid YAML), so no value can be read back
/// as another type by Helm's YAML 1.1 reader (`yes`, `0755`, `1_000`, `null` …).
fn yaml_scalar(v: &Val) -> String {
    match v {
        Val::Bool(b) => b.to_string(),
        Val::Int(i) => i.to_string(),
        Val::Float(f) => crate::python::python_float(*f),
        Val::Str(s) => {
            let mut out = String::new();
            push_json_string(&mut out, s);
            out
        }
        Val::List(_) | Val::Map(_) => unreachable!("collections are written by write_value"),
    }
}

fn push_yaml_key(out: &mut String, key: &str) {
    const WORDS: &[&str] = &["y", "n", "yes", "no", "on", "off", "true", "false", "null"];
    let plain = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !WORDS.contains(&key.to_ascii_lowercase().as_str());
    if plain {
        out.push_str(key);
    } else {
        push_json_string(out, key);
    }
}
