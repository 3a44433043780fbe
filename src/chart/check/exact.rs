//! The tables Jina receives as JSON (`usesWith`, `usesMetas`, dict options in `args`, `when`
//! filters, gRPC metadata): helm reads every number in them as a float64, so a whole number
//! past 2^53 changes and a float written `1.0` reaches Jina as the integer 1; `{$json: TEXT}`
//! passes such a value as written, and must be the only key of its table, with JSON text.

use std::path::PathBuf;

use serde_json::Value as J;

use super::{locate_path, path_text};
use crate::chart::values::EXACT_JSON_KEY;
use crate::error::{Error, Result, Warning};
use crate::yaml::{Node, Value};

/// Where the JSON tables are (`*`: any key). `args` entries are JSON tables when they are tables.
const JSON_TABLES: &[&[&str]] = &[
    &["executorDefaults", "usesWith"],
    &["executorDefaults", "usesMetas"],
    &["executorDefaults", "args", "*"],
    &["executors", "*", "usesWith"],
    &["executors", "*", "usesMetas"],
    &["executors", "*", "args", "*"],
    &["gateway", "usesWith"],
    &["gateway", "args", "*"],
    &["flow", "conditions", "*"],
    &["flow", "grpcMetadata", "*"],
];

/// Every JSON table of a values tree, with its path.
fn tables(root: &J) -> Vec<(Vec<String>, &J)> {
    let mut out = Vec::new();
    for pattern in JSON_TABLES {
        let mut found = vec![(Vec::new(), root)];
        for seg in *pattern {
            found = found
                .into_iter()
                .flat_map(|(path, v)| {
                    let J::Object(m) = v else {
                        return Vec::new();
                    };
                    m.iter()
                        .filter(|(k, _)| *seg == "*" || k.as_str() == *seg)
                        .map(|(k, child)| {
                            let mut p = path.clone();
                            p.push(k.clone());
                            (p, child)
                        })
                        .collect()
                })
                .collect();
        }
        out.extend(found.into_iter().filter(|(_, v)| v.is_object()));
    }
    out
}

/// Every `{$json: TEXT}` of the merged values must hold JSON text and nothing else (helm merges a
/// table given over the chart's into it, so the chart's other keys must be set to null).
pub(super) fn check_exact_tables(merged: &J, sources: &[(PathBuf, Node)]) -> Result<()> {
    for (path, table) in tables(merged) {
        let mut bad = None;
        find_bad_exact(table, &mut path.clone(), &mut bad);
        let Some((path, message)) = bad else {
            continue;
        };
        let key = path_text(&path);
        let message = format!("`{key}`: {message}");
        let mut at = path.clone();
        at.push(EXACT_JSON_KEY.to_string());
        for (file, node) in sources.iter().rev() {
            if let Some(pos) = locate_path(node, &at).or_else(|| locate_path(node, &path)) {
                return Err(Error::input(pos, message)
                    .in_file(file)
                    .with_hint("`{$json: TEXT}` stands for the JSON value TEXT (e.g. `{$json: \"1.0\"}`); helm merges tables, so set the chart's other keys of this table to null"));
            }
        }
        return Err(Error::input_file(
            sources.last().map(|s| s.0.clone()).unwrap_or_default(),
            message,
        ));
    }
    Ok(())
}

fn find_bad_exact(v: &J, path: &mut Vec<String>, bad: &mut Option<(Vec<String>, String)>) {
    if bad.is_some() {
        return;
    }
    match v {
        J::Object(m) if m.contains_key(EXACT_JSON_KEY) => {
            let message = match &m[EXACT_JSON_KEY] {
                _ if m.len() > 1 => {
                    let others: Vec<&str> = m
                        .keys()
                        .map(String::as_str)
                        .filter(|k| *k != EXACT_JSON_KEY)
                        .collect();
                    Some(format!("a table with `{EXACT_JSON_KEY}` stands for one JSON value, but this one also has {} (after helm's merge)", others.join(", ")))
                }
                J::String(text) => serde_json::from_str::<J>(text)
                    .err()
                    .map(|e| format!("`{EXACT_JSON_KEY}` is not the text of one JSON value: {e}")),
                other => Some(format!(
                    "`{EXACT_JSON_KEY}` must be the JSON text, a string, found {}",
                    match other {
                        J::Number(_) => "a number (quote it)",
                        J::Bool(_) => "a boolean (quote it)",
                        J::Object(_) => "a table",
                        J::Array(_) => "a list",
                        _ => "null",
                    }
                )),
            };
            if let Some(message) = message {
                *bad = Some((path.clone(), message));
            }
        }
        J::Object(m) => {
            for (k, child) in m {
                path.push(k.clone());
                find_bad_exact(child, path, bad);
                path.pop();
            }
        }
        J::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                path.push(i.to_string());
                find_bad_exact(child, path, bad);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Numbers of one values file's JSON tables that helm changes: a whole number past 2^53 is
/// refused (helm would round it), a float written with a fraction of zero (`1.0`, `1e3`) warned
/// about (it reaches Jina as an integer). `text` is the file's text, to see how a number is
/// written.
pub(super) fn check_numbers(node: &Node, text: &str) -> Result<Vec<Warning>> {
    let mut warnings = Vec::new();
    let json = node.to_json();
    for (path, _) in tables(&json) {
        let Some(table) = node_at(node, &path) else {
            continue;
        };
        numbers(table, &mut path.clone(), text, &mut warnings)?;
    }
    Ok(warnings)
}

fn node_at<'a>(root: &'a Node, path: &[String]) -> Option<&'a Node> {
    let mut node = root;
    for seg in path {
        node = match &node.value {
            Value::Map(m) => &m.iter().find(|(k, _)| k.name == *seg)?.1,
            Value::Seq(items) => items.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}

fn numbers(
    node: &Node,
    path: &mut Vec<String>,
    text: &str,
    warnings: &mut Vec<Warning>,
) -> Result<()> {
    match &node.value {
        Value::Map(m) => {
            for (k, child) in m {
                path.push(k.name.clone());
                numbers(child, path, text, warnings)?;
                path.pop();
            }
        }
        Value::Seq(items) => {
            for (i, child) in items.iter().enumerate() {
                path.push(i.to_string());
                numbers(child, path, text, warnings)?;
                path.pop();
            }
        }
        // Past 2^53 helm's float64 holds only some integers (smaller ones are Value::Int).
        Value::Float(f) if f.fract() == 0.0 => {
            let written = written_at(text, node);
            return Err(Error::input(
                node.pos,
                format!("`{}` is {written}, past 2^53: helm reads every number as a float64, which would pass {f:.0} to Jina", path_text(path)),
            )
            .with_hint(format!("write `{{{EXACT_JSON_KEY}: \"{written}\"}}` to pass it as written")));
        }
        Value::Int(i) => {
            let written = written_at(text, node);
            if written.contains(['.', 'e', 'E']) && !written.starts_with("0x") {
                let float = crate::python::python_float(*i as f64);
                warnings.push(Warning::new(
                    node.pos,
                    format!("`{}: {written}` reaches Jina as the integer {i}: helm reads every number as a float64 and writes a whole one without its fraction; write `{{{EXACT_JSON_KEY}: \"{float}\"}}` for the float", path_text(path)),
                ));
            }
        }
        _ => {}
    }
    Ok(())
}

/// The text of a plain scalar where `node` starts.
fn written_at(text: &str, node: &Node) -> String {
    let line = text
        .lines()
        .nth(node.pos.line.saturating_sub(1))
        .unwrap_or("");
    let rest: String = line.chars().skip(node.pos.col.saturating_sub(1)).collect();
    let end = rest.find([',', ']', '}', '#', '\r']).unwrap_or(rest.len());
    rest[..end].trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_tables_are_found_where_the_chart_passes_json() {
        let v = json!({
            "executors": {"a": {"usesWith": {"k": 1}, "args": {"uses_requests": {"/x": "f"}, "quiet": true}}},
            "gateway": {"usesWith": {}},
            "flow": {"conditions": {"a": {"tags__x": 1}}},
            "executorDefaults": {"env": {"A": "1"}},
        });
        let paths: Vec<String> = tables(&v).into_iter().map(|(p, _)| p.join(".")).collect();
        assert_eq!(
            paths,
            [
                "executors.a.usesWith",
                "executors.a.args.uses_requests",
                "gateway.usesWith",
                "flow.conditions.a"
            ]
        );
    }

    #[test]
    fn exact_tables_hold_json_text_alone() {
        let bad = |v: J| {
            let mut out = None;
            find_bad_exact(&v, &mut vec!["t".into()], &mut out);
            out.map(|(p, m)| format!("{}: {m}", p.join(".")))
        };
        assert_eq!(
            bad(json!({"a": {"$json": "1.0"}, "b": [{"$json": "null"}]})),
            None
        );
        assert!(bad(json!({"a": {"$json": "1.0", "x": 1}}))
            .unwrap()
            .starts_with(
                "t.a: a table with `$json` stands for one JSON value, but this one also has x"
            ));
        assert!(bad(json!({"a": {"$json": "{nope"}}))
            .unwrap()
            .contains("not the text of one JSON value"));
        assert!(bad(json!({"a": {"$json": 1}}))
            .unwrap()
            .contains("a number (quote it)"));
    }
}
