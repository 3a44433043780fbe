//! A documented values tree: one description per key, from which values.yaml (helm-docs `# --`
//! comments), values.schema.json and the README's values table are all derived, so the three
//! can never disagree.

use std::borrow::Cow;

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

/// Text that is usually a literal in the source: no allocation for the ~100 keys and
/// descriptions every executor's tree repeats.
pub type Text = Cow<'static, str>;

/// One key with its documentation and, where inference is not enough, its schema.
#[derive(Debug, Clone)]
pub struct Entry {
    pub key: Text,
    pub doc: Text,
    pub val: Val,
    /// Built only when the schema is written, so that trees made for diffing cost nothing here.
    /// A map entry with an explicit schema is opaque: compared and overridden as a whole.
    pub schema: Option<fn() -> J>,
    pub kind: Kind,
}

/// Entries are equal when their keys, descriptions and values are: what values.yaml shows.
impl PartialEq for Entry {
    fn eq(&self, other: &Entry) -> bool {
        self.key == other.key && self.doc == other.doc && self.val == other.val
    }
}

/// How an entry relates to the schema of other entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Plain,
    /// Its schema is the one named `<name>` (`executorDefaults`), which must come before the
    /// entries that use it.
    Definition(&'static str),
    /// Every child is a partial value of schema `<name>`: values.yaml leaves the keys
    /// undocumented (the definition's entry documents them); the schema allows only these
    /// children's keys.
    Instances(&'static str),
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
                    .map(|e| (e.key.to_string(), e.val.to_json()))
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
                    .map(|(k, v)| Entry::new(k.clone(), "", Val::from_json(v)))
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
    pub fn new(key: impl Into<Text>, doc: impl Into<Text>, val: Val) -> Entry {
        Entry {
            key: key.into(),
            doc: doc.into(),
            val,
            schema: None,
            kind: Kind::Plain,
        }
    }

    pub fn schema(mut self, schema: fn() -> J) -> Entry {
        self.schema = Some(schema);
        self
    }

    pub fn kind(mut self, kind: Kind) -> Entry {
        self.kind = kind;
        self
    }
}

/// The entries of `full` whose value differs from the same key's in `base`: maps of our own
/// keys are compared key by key, everything else (scalars, lists, opaque maps) as a whole.
/// What is left is exactly what a template must lay over `base` to get `full` back.
pub fn diff(full: Vec<Entry>, base: &[Entry]) -> Vec<Entry> {
    let mut out = Vec::new();
    // Both trees come from one builder, so `full`'s keys are in `base`'s order (some may be
    // left out): a cursor finds each in one pass; the search from the start is a fallback.
    let mut cursor = 0;
    for mut e in full {
        let found = base[cursor.min(base.len())..]
            .iter()
            .position(|b| b.key == e.key)
            .map(|i| cursor + i)
            .or_else(|| base.iter().position(|b| b.key == e.key));
        if let Some(i) = found {
            cursor = i + 1;
        }
        let b = found.map(|i| &base[i]);
        match (b, e.val) {
            (Some(b), Val::Map(children)) if e.schema.is_none() => {
                let Val::Map(base_children) = &b.val else {
                    e.val = Val::Map(children);
                    out.push(e);
                    continue;
                };
                let changed = diff(children, base_children);
                if !changed.is_empty() {
                    e.val = Val::Map(changed);
                    out.push(e);
                }
            }
            (b, val) => {
                if b.is_none_or(|b| b.val != val) {
                    e.val = val;
                    out.push(e);
                }
            }
        }
    }
    out
}

// ---------------------------------------------------------------- values.yaml

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
        Val::Float(f) => crate::flow::node::python_float(*f),
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

// ---------------------------------------------------------------- values.schema.json

/// A draft-07 schema, closed (`additionalProperties: false`) wherever the keys are ours.
pub fn to_schema(entries: &[Entry]) -> J {
    let mut defs = Map::new();
    let root = object_schema(entries, &mut defs);
    let mut ordered = Map::new();
    ordered.insert(
        "$schema".into(),
        json!("http://json-schema.org/draft-07/schema#"),
    );
    if let J::Object(m) = root {
        ordered.extend(m);
    }
    J::Object(ordered)
}

type Defs = Map<String, J>;

fn object_schema(entries: &[Entry], defs: &mut Defs) -> J {
    let properties: Map<String, J> = entries
        .iter()
        .map(|e| (e.key.to_string(), entry_schema(e, defs)))
        .collect();
    json!({"type": "object", "additionalProperties": false, "properties": properties})
}

fn entry_schema(e: &Entry, defs: &mut Defs) -> J {
    let own = |defs: &mut Defs| match e.schema {
        Some(f) => f(),
        None => infer(&e.val, defs),
    };
    let mut s = match (e.kind, &e.val) {
        (Kind::Definition(name), _) => {
            let schema = own(defs);
            defs.insert(name.into(), schema.clone());
            schema
        }
        // The definition is written out again rather than referenced: helm 3's schema
        // validator resolves a `$ref` at every use, which cost it 1.5 s on 1000 executors.
        (Kind::Instances(name), Val::Map(children)) => {
            let names: Vec<J> = children
                .iter()
                .map(|c| J::String(c.key.to_string()))
                .collect();
            let definition = defs.get(name).cloned().unwrap_or_else(|| json!({}));
            if names.is_empty() {
                // draft-07 wants a non-empty `enum`.
                json!({"type": "object", "additionalProperties": false})
            } else {
                json!({"type": "object", "propertyNames": {"enum": names}, "additionalProperties": definition})
            }
        }
        _ => own(defs),
    };
    if let (J::Object(m), false) = (&mut s, e.doc.is_empty()) {
        m.insert("description".into(), J::String(e.doc.to_string()));
    }
    s
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

/// A value as compact JSON, as `serde_json::to_string` would write it.
fn push_json(out: &mut String, v: &Val) {
    match v {
        Val::Str(s) => push_json_string(out, s),
        Val::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json(out, item);
            }
            out.push(']');
        }
        Val::Map(entries) => {
            out.push('{');
            for (i, e) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json_string(out, &e.key);
                out.push(':');
                push_json(out, &e.val);
            }
            out.push('}');
        }
        scalar => out.push_str(&serde_json::to_string(&scalar.to_json()).unwrap_or_default()),
    }
}

/// A JSON string literal (valid YAML double-quoted scalar too), escaped as serde_json does.
/// A double-quoted string both JSON and YAML read back exactly: besides JSON's escapes, every
/// character YAML does not allow as printable text (C0, DEL, C1, surrogates' neighbours U+FFFE/
/// U+FFFF) and every one a YAML 1.1 reader folds or drops (NEL, the line and paragraph
/// separators, the byte-order mark) is written as `\uXXXX`.
fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    if !s.chars().any(needs_escape) {
        out.push_str(s);
        out.push('"');
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if needs_escape(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `s` as a double-quoted scalar JSON and every YAML reader take back exactly.
pub fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_json_string(&mut out, s);
    out
}

fn needs_escape(c: char) -> bool {
    matches!(c, '\0'..='\u{1f}' | '"' | '\\' | '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}')
}

/// Markdown inline code showing `text` as it is: a backtick fence longer than any run inside,
/// `|` escaped (GitHub tables split cells before reading code spans), line breaks and other
/// control characters written as their JSON escapes so the span stays on one line.
pub fn md_code(text: &str) -> String {
    let mut body = String::new();
    for c in text.chars() {
        match c {
            '|' => body.push_str("\\|"),
            '\n' => body.push_str("\\n"),
            '\r' => body.push_str("\\r"),
            '\t' => body.push_str("\\t"),
            c if needs_escape(c) && c != '"' && c != '\\' => {
                body.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => body.push(c),
        }
    }
    let longest = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if body.starts_with('`') || body.ends_with('`') || body.is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{body}{pad}{fence}")
}

/// Markdown text on one line: line breaks become spaces, other control characters are dropped
/// (a warning in a list item must not end the item or start a heading).
pub fn md_line(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            '\n' | '\r' | '\u{2028}' | '\u{2029}' | '\u{85}' => Some(' '),
            c if needs_escape(c) && c != '"' && c != '\\' => None,
            c => Some(c),
        })
        .collect()
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
    fn strings_are_escaped_as_serde_json_does_and_more() {
        for text in [
            "plain",
            "q\"uote\\",
            "tab\tnl\ncr\r",
            "\u{1}\u{8}\u{c}\u{1f}",
            "é✓ {{ x }}",
        ] {
            let mut ours = String::new();
            push_json_string(&mut ours, text);
            assert_eq!(ours, serde_json::to_string(text).unwrap());
        }
        // What YAML refuses raw (DEL, C1, U+FFFE) or a YAML 1.1 reader folds (NEL, U+2028/9).
        let mut ours = String::new();
        push_json_string(
            &mut ours,
            "\u{7f}\u{85}\u{9f}\u{2028}\u{2029}\u{feff}\u{fffe}ok",
        );
        assert_eq!(ours, r#""\u007f\u0085\u009f\u2028\u2029\ufeff\ufffeok""#);
        assert_eq!(
            serde_json::from_str::<String>(&ours).unwrap(),
            "\u{7f}\u{85}\u{9f}\u{2028}\u{2029}\u{feff}\u{fffe}ok"
        );
    }

    #[test]
    fn markdown_code_spans_hold_any_text_on_one_line() {
        assert_eq!(md_code("plain"), "`plain`");
        assert_eq!(md_code("a`b"), "``a`b``");
        assert_eq!(md_code("`x"), "`` `x ``");
        assert_eq!(md_code("a|b\nc"), "`a\\|b\\nc`");
        assert_eq!(md_line("one\n# two"), "one # two");
    }

    #[test]
    fn schema_is_closed_and_draft07() {
        let s = to_schema(&[Entry::new("replicas", "How many.", Val::Int(1))]);
        assert_eq!(s["$schema"], "http://json-schema.org/draft-07/schema#");
        assert_eq!(s["additionalProperties"], false);
        assert_eq!(s["properties"]["replicas"]["type"], "integer");
    }
}
