//! A documented values tree: one description per key, from which values.yaml (helm-docs `# --`
//! comments), values.schema.json and the README's values table are all derived, so the three
//! can never disagree.

use serde_json::{json, Map, Value as J};

/// A default value.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Val>),
    Map(Vec<Entry>),
}

/// One key with its documentation and, where inference is not enough, its schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub doc: String,
    pub val: Val,
    pub schema: Option<J>,
}

impl Val {
    pub fn str(s: impl Into<String>) -> Val {
        Val::Str(s.into())
    }

    /// A map that may hold any keys (annotations, env, resources…).
    pub fn open() -> Val {
        Val::Map(Vec::new())
    }

    pub fn to_json(&self) -> J {
        match self {
            Val::Bool(b) => J::Bool(*b),
            Val::Int(i) => J::from(*i),
            Val::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Val::Str(s) => J::String(s.clone()),
            Val::List(items) => J::Array(items.iter().map(Val::to_json).collect()),
            Val::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.val.to_json()))
                    .collect(),
            ),
        }
    }

    /// Convert plain JSON (no docs) into a value, e.g. for `usesWith` from the Flow.
    pub fn from_json(v: &J) -> Val {
        match v {
            J::Null => Val::Str(String::new()),
            J::Bool(b) => Val::Bool(*b),
            J::Number(n) => n
                .as_i64()
                .map_or_else(|| Val::Float(n.as_f64().unwrap_or_default()), Val::Int),
            J::String(s) => Val::Str(s.clone()),
            J::Array(items) => Val::List(items.iter().map(Val::from_json).collect()),
            J::Object(m) => Val::Map(
                m.iter()
                    .map(|(k, v)| Entry::new(k, "", Val::from_json(v)))
                    .collect(),
            ),
        }
    }
}

/// A JSON value from the Flow (`uses_with`, `when` …) as a value. Helm reads values.yaml into
/// Go types and writes JSON back with `toJson`, which drops `null` map entries (helm 4), prints
/// `1.0` as `1` and loses integers beyond 2^53; such blobs are kept as their exact JSON text
/// (Python's `json.dumps`), which the templates pass through unchanged.
pub fn json_blob(v: &J) -> Val {
    fn exact(v: &J) -> bool {
        match v {
            J::Null => false,
            J::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => i.unsigned_abs() < (1 << 53),
                (None, Some(f)) => f.fract() != 0.0 && f.is_finite() && f.abs() < 1e15,
                _ => false,
            },
            J::Array(a) => a.iter().all(exact),
            J::Object(m) => m.values().all(exact),
            _ => true,
        }
    }
    if exact(v) {
        Val::from_json(v)
    } else {
        Val::Str(crate::flow::python_json(v))
    }
}

impl Entry {
    pub fn new(key: impl Into<String>, doc: impl Into<String>, val: Val) -> Entry {
        Entry {
            key: key.into(),
            doc: doc.into(),
            val,
            schema: None,
        }
    }

    pub fn schema(mut self, schema: J) -> Entry {
        self.schema = Some(schema);
        self
    }
}

// ---------------------------------------------------------------- values.yaml

/// Render entries as YAML with a `# --` comment above every documented key.
pub fn to_yaml(entries: &[Entry]) -> String {
    let mut out = String::new();
    write_entries(&mut out, entries, 0);
    out
}

fn write_entries(out: &mut String, entries: &[Entry], indent: usize) {
    let pad = " ".repeat(indent);
    for e in entries {
        if !e.doc.is_empty() {
            for (i, line) in e.doc.lines().enumerate() {
                let lead = if i == 0 { "# -- " } else { "# " };
                out.push_str(&format!("{pad}{lead}{line}\n"));
            }
        }
        out.push_str(&pad);
        out.push_str(&yaml_key(&e.key));
        out.push(':');
        write_value(out, &e.val, indent);
    }
}

fn write_value(out: &mut String, v: &Val, indent: usize) {
    match v {
        Val::Map(m) if m.is_empty() => out.push_str(" {}\n"),
        Val::List(l) if l.is_empty() => out.push_str(" []\n"),
        Val::Map(m) => {
            out.push('\n');
            write_entries(out, m, indent + 2);
        }
        Val::List(items) => {
            out.push('\n');
            let pad = " ".repeat(indent + 2);
            for item in items {
                match item {
                    Val::Map(m) if !m.is_empty() => {
                        // First key on the dash line, the rest aligned under it.
                        let mut body = String::new();
                        write_entries(&mut body, m, indent + 4);
                        let body = body.trim_start();
                        out.push_str(&format!("{pad}- {body}"));
                    }
                    _ => {
                        out.push_str(&format!("{pad}-"));
                        write_value(out, item, indent + 2);
                    }
                }
            }
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
        Val::Float(f) => crate::flow::node::python_float(*f),
        Val::Str(s) => serde_json::to_string(s).unwrap_or_default(),
        Val::List(_) | Val::Map(_) => unreachable!("collections are written by write_value"),
    }
}

fn yaml_key(key: &str) -> String {
    const WORDS: &[&str] = &["y", "n", "yes", "no", "on", "off", "true", "false", "null"];
    let plain = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !WORDS.contains(&key.to_ascii_lowercase().as_str());
    if plain {
        key.to_string()
    } else {
        serde_json::to_string(key).unwrap_or_default()
    }
}

// ---------------------------------------------------------------- values.schema.json

/// A draft-07 schema, closed (`additionalProperties: false`) wherever the keys are ours.
pub fn to_schema(entries: &[Entry]) -> J {
    let mut root = object_schema(entries);
    if let J::Object(m) = &mut root {
        let mut ordered = Map::new();
        ordered.insert(
            "$schema".into(),
            json!("http://json-schema.org/draft-07/schema#"),
        );
        ordered.extend(std::mem::take(m));
        return J::Object(ordered);
    }
    root
}

fn object_schema(entries: &[Entry]) -> J {
    let properties: Map<String, J> = entries
        .iter()
        .map(|e| (e.key.clone(), entry_schema(e)))
        .collect();
    json!({"type": "object", "additionalProperties": false, "properties": properties})
}

fn entry_schema(e: &Entry) -> J {
    let mut s = e.schema.clone().unwrap_or_else(|| infer(&e.val));
    if let (J::Object(m), false) = (&mut s, e.doc.is_empty()) {
        m.insert("description".into(), J::String(e.doc.clone()));
    }
    s
}

fn infer(v: &Val) -> J {
    match v {
        Val::Bool(_) => json!({"type": "boolean"}),
        Val::Int(_) => json!({"type": "integer"}),
        Val::Float(_) => json!({"type": "number"}),
        Val::Str(_) => json!({"type": "string"}),
        Val::List(items) => match items.first() {
            Some(first) => json!({"type": "array", "items": infer(first)}),
            None => json!({"type": "array"}),
        },
        Val::Map(m) if m.is_empty() => json!({"type": "object"}),
        Val::Map(m) => object_schema(m),
    }
}

// ---------------------------------------------------------------- README table

/// Rows `(key path, type, default as JSON, description)` for every documented key.
pub fn table(entries: &[Entry]) -> Vec<(String, String, String, String)> {
    let mut rows = Vec::new();
    collect(&mut rows, entries, "");
    rows
}

fn collect(rows: &mut Vec<(String, String, String, String)>, entries: &[Entry], prefix: &str) {
    for e in entries {
        let path = if prefix.is_empty() {
            e.key.clone()
        } else if e.key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            format!("{prefix}.{}", e.key)
        } else {
            format!(
                "{prefix}[{}]",
                serde_json::to_string(&e.key).unwrap_or_default()
            )
        };
        let nested =
            matches!(&e.val, Val::Map(m) if !m.is_empty() && m.iter().any(|c| !c.doc.is_empty()));
        if nested {
            collect(
                rows,
                match &e.val {
                    Val::Map(m) => m,
                    _ => unreachable!(),
                },
                &path,
            );
        } else if !e.doc.is_empty() {
            let ty = match &e.val {
                Val::Bool(_) => "bool",
                Val::Int(_) => "int",
                Val::Float(_) => "float",
                Val::Str(_) => "string",
                Val::List(_) => "list",
                Val::Map(_) => "object",
            };
            let default = serde_json::to_string(&e.val.to_json()).unwrap_or_default();
            rows.push((path, ty.to_string(), default, e.doc.replace('\n', " ")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tricky_strings_are_quoted() {
        let entries = vec![
            Entry::new("a", "A flag.", Val::str("yes")),
            Entry::new("on", "", Val::str("0755")),
            Entry::new("list", "", Val::List(vec![Val::str("x"), Val::Int(2)])),
            Entry::new("empty", "", Val::open()),
        ];
        assert_eq!(
            to_yaml(&entries),
            "# -- A flag.\na: \"yes\"\n\"on\": \"0755\"\nlist:\n  - \"x\"\n  - 2\nempty: {}\n"
        );
    }

    #[test]
    fn lists_of_maps_align() {
        let entries = vec![Entry::new(
            "hosts",
            "",
            Val::List(vec![Val::Map(vec![
                Entry::new("host", "", Val::str("a")),
                Entry::new("port", "", Val::Int(1)),
            ])]),
        )];
        assert_eq!(to_yaml(&entries), "hosts:\n  - host: \"a\"\n    port: 1\n");
    }

    #[test]
    fn schema_is_closed_and_draft07() {
        let s = to_schema(&[Entry::new("replicas", "How many.", Val::Int(1))]);
        assert_eq!(s["$schema"], "http://json-schema.org/draft-07/schema#");
        assert_eq!(s["additionalProperties"], false);
        assert_eq!(s["properties"]["replicas"]["type"], "integer");
    }
}
