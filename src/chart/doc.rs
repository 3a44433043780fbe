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
    /// The children are entries of one shape (the executors): their keys are documented once,
    /// under the first child, in values.yaml and the README table (later children list only the
    /// defaults that differ), and children with the same schema share one `definitions` entry.
    pub uniform: bool,
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
            uniform: false,
        }
    }

    pub fn schema(mut self, schema: J) -> Entry {
        self.schema = Some(schema);
        self
    }

    /// Mark the children as entries of one shape (see [`Entry::uniform`]).
    pub fn uniform(mut self) -> Entry {
        self.uniform = true;
        self
    }
}

// ---------------------------------------------------------------- values.yaml

/// Render entries as YAML with a `# --` comment above every documented key.
pub fn to_yaml(entries: &[Entry]) -> String {
    let mut out = String::new();
    write_entries(&mut out, entries, 0, true);
    out
}

fn write_entries(out: &mut String, entries: &[Entry], indent: usize, docs: bool) {
    let pad = " ".repeat(indent);
    for e in entries {
        if docs && !e.doc.is_empty() {
            for (i, line) in e.doc.lines().enumerate() {
                let lead = if i == 0 { "# -- " } else { "# " };
                out.push_str(&pad);
                out.push_str(lead);
                out.push_str(line);
                out.push('\n');
            }
        }
        out.push_str(&pad);
        out.push_str(&yaml_key(&e.key));
        out.push(':');
        match (&e.val, e.uniform && docs) {
            (Val::Map(children), true) if !children.is_empty() => {
                out.push('\n');
                let inner = " ".repeat(indent + 2);
                for (i, child) in children.iter().enumerate() {
                    if i > 0 && !child.doc.is_empty() {
                        out.push_str(&inner);
                        out.push_str("# -- ");
                        out.push_str(child.doc.lines().next().unwrap_or_default());
                        out.push_str(" Its keys are documented under the first executor.\n");
                    }
                    let doc_child = i == 0;
                    write_entries(out, std::slice::from_ref(child), indent + 2, doc_child);
                }
            }
            _ => write_value(out, &e.val, indent, docs),
        }
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
    let mut defs = Defs::default();
    let mut root = object_schema(entries, &mut defs);
    if let J::Object(m) = &mut root {
        let mut ordered = Map::new();
        ordered.insert(
            "$schema".into(),
            json!("http://json-schema.org/draft-07/schema#"),
        );
        ordered.extend(std::mem::take(m));
        if !defs.schemas.is_empty() {
            ordered.insert("definitions".into(), J::Object(defs.schemas));
        }
        return J::Object(ordered);
    }
    root
}

/// Schemas shared by the children of uniform entries, keyed by their JSON text.
#[derive(Default)]
struct Defs {
    schemas: Map<String, J>,
    by_text: std::collections::HashMap<String, String>,
}

fn object_schema(entries: &[Entry], defs: &mut Defs) -> J {
    let properties: Map<String, J> = entries
        .iter()
        .map(|e| (e.key.clone(), entry_schema(e, defs)))
        .collect();
    json!({"type": "object", "additionalProperties": false, "properties": properties})
}

fn entry_schema(e: &Entry, defs: &mut Defs) -> J {
    let mut s = match (&e.val, e.uniform, &e.schema) {
        (Val::Map(children), true, None) => uniform_schema(&e.key, children, defs),
        _ => e.schema.clone().unwrap_or_else(|| infer(&e.val, defs)),
    };
    if let (J::Object(m), false) = (&mut s, e.doc.is_empty()) {
        m.insert("description".into(), J::String(e.doc.clone()));
    }
    s
}

/// A closed object whose children refer to shared definitions (`<key>`, `<key>-2`, …): one
/// per distinct child schema, so a thousand executors cost one schema, not a thousand.
fn uniform_schema(key: &str, children: &[Entry], defs: &mut Defs) -> J {
    let mut properties = Map::new();
    for child in children {
        let schema = child
            .schema
            .clone()
            .unwrap_or_else(|| infer(&child.val, defs));
        let text = schema.to_string();
        let name = match defs.by_text.get(&text) {
            Some(name) => name.clone(),
            None => {
                let n = defs.by_text.len();
                let name = if n == 0 {
                    key.to_string()
                } else {
                    format!("{key}-{}", n + 1)
                };
                defs.by_text.insert(text, name.clone());
                defs.schemas.insert(name.clone(), schema);
                name
            }
        };
        let mut reference = Map::new();
        reference.insert("$ref".into(), J::String(format!("#/definitions/{name}")));
        if !child.doc.is_empty() {
            reference.insert("description".into(), J::String(child.doc.clone()));
        }
        properties.insert(child.key.clone(), J::Object(reference));
    }
    json!({"type": "object", "additionalProperties": false, "properties": properties})
}

fn infer(v: &Val, defs: &mut Defs) -> J {
    match v {
        Val::Bool(_) => json!({"type": "boolean"}),
        Val::Int(_) => json!({"type": "integer"}),
        Val::Float(_) => json!({"type": "number"}),
        Val::Str(_) => json!({"type": "string"}),
        Val::List(items) => match items.first() {
            Some(first) => json!({"type": "array", "items": infer(first, defs)}),
            None => json!({"type": "array"}),
        },
        Val::Map(m) if m.is_empty() => json!({"type": "object"}),
        Val::Map(m) => object_schema(m, defs),
    }
}

// ---------------------------------------------------------------- README table

type Row = (String, String, String, String);

/// Rows `(key path, type, default as JSON, description)` for every documented key. Children of a
/// uniform entry after the first list only the rows whose default or description differ from the
/// first child's.
pub fn table(entries: &[Entry]) -> Vec<Row> {
    let mut rows = Vec::new();
    collect(&mut rows, entries, "");
    rows
}

fn child_path(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else if key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        format!("{prefix}.{key}")
    } else {
        format!(
            "{prefix}[{}]",
            serde_json::to_string(key).unwrap_or_default()
        )
    }
}

fn collect(rows: &mut Vec<Row>, entries: &[Entry], prefix: &str) {
    for e in entries {
        let path = child_path(prefix, &e.key);
        let nested =
            matches!(&e.val, Val::Map(m) if !m.is_empty() && m.iter().any(|c| !c.doc.is_empty()));
        match &e.val {
            Val::Map(children) if nested && e.uniform => collect_uniform(rows, children, &path),
            Val::Map(children) if nested => collect(rows, children, &path),
            _ => leaf(rows, e, path),
        }
    }
}

fn collect_uniform(rows: &mut Vec<Row>, children: &[Entry], prefix: &str) {
    let mut first: std::collections::HashMap<String, (String, String)> = Default::default();
    for (i, child) in children.iter().enumerate() {
        let path = child_path(prefix, &child.key);
        let mut own = Vec::new();
        collect(&mut own, std::slice::from_ref(child), prefix);
        for row in own {
            let suffix = row.0.get(path.len()..).unwrap_or_default().to_string();
            if i == 0 {
                first.insert(suffix, (row.2.clone(), row.3.clone()));
                rows.push(row);
            } else if first.get(&suffix) != Some(&(row.2.clone(), row.3.clone())) {
                rows.push(row);
            }
        }
    }
}

fn leaf(rows: &mut Vec<Row>, e: &Entry, path: String) {
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
    let default = serde_json::to_string(&e.val.to_json()).unwrap_or_default();
    rows.push((path, ty.to_string(), default, e.doc.replace('\n', " ")));
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
