//! A documented values tree: one description per key, from which values.yaml (helm-docs `# --`
//! comments), values.schema.json and the README's values table are all derived, so the three
//! can never disagree.

use std::borrow::Cow;

use serde_json::Value as J;

mod schema;
mod table;
mod text;
mod yaml;

pub use schema::to_schema;
pub use table::table;
pub use text::{md_code, md_line, quoted};
pub use yaml::to_yaml;

/// A default value.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Bool(bool),
    Int(i64),
    /// A number with a fraction (written as Python's `repr`, which helm reads back exactly).
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

#[cfg(test)]
mod tests {
    use super::text::*;
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
