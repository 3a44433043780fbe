//! A YAML document as a tree of located nodes.
//!
//! The Flow is read with serde-saphyr into this untyped tree first, so that every later check
//! can point at the exact line and column of the key or value it is about, and so that
//! pass-through blocks (`uses_with`, `env`, `when`) keep their shape. Scalars follow PyYAML's
//! YAML 1.1 rules where they differ from YAML 1.2, because Jina reads the same file with PyYAML.

use indexmap::IndexMap;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use crate::error::{Error, Pos, Result};

/// A YAML value together with where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub pos: Pos,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

/// A mapping key (always read as text, as PyYAML's `str` keys in a Flow) and where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub pos: Pos,
    pub name: String,
}

impl Node {
    pub fn new(pos: Pos, value: Value) -> Self {
        Node { pos, value }
    }

    /// A short name of this node's type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    fn wrong_type(&self, what: &str, expected: &str) -> Error {
        Error::input(
            self.pos,
            format!("`{what}` must be {expected}, found {}", self.type_name()),
        )
    }

    pub fn as_map(&self, what: &str) -> Result<&[(Key, Node)]> {
        match &self.value {
            Value::Map(m) => Ok(m),
            _ => Err(self.wrong_type(what, "a mapping")),
        }
    }

    pub fn as_seq(&self, what: &str) -> Result<&[Node]> {
        match &self.value {
            Value::Seq(s) => Ok(s),
            _ => Err(self.wrong_type(what, "a list")),
        }
    }

    pub fn as_str(&self, what: &str) -> Result<&str> {
        match &self.value {
            Value::Str(s) => Ok(s),
            _ => Err(self.wrong_type(what, "a string")),
        }
    }

    /// A scalar as the text Jina would see after `str()` (ints, floats and bools included).
    pub fn as_text(&self, what: &str) -> Result<String> {
        self.scalar_text()
            .ok_or_else(|| self.wrong_type(what, "a string or number"))
    }

    pub fn as_bool(&self, what: &str) -> Result<bool> {
        match &self.value {
            Value::Bool(b) => Ok(*b),
            _ => Err(self.wrong_type(what, "true or false")),
        }
    }

    pub fn as_int(&self, what: &str) -> Result<i64> {
        match &self.value {
            Value::Int(i) => Ok(*i),
            _ => Err(self.wrong_type(what, "an integer")),
        }
    }

    /// Python's `str()` of a scalar: `True`/`False`, `None`, integers and floats as Python
    /// prints them. `None` for lists and mappings.
    pub fn scalar_text(&self) -> Option<String> {
        Some(match &self.value {
            Value::Null => "None".to_string(),
            Value::Bool(true) => "True".to_string(),
            Value::Bool(false) => "False".to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => python_float(*f),
            Value::Str(s) => s.clone(),
            Value::Seq(_) | Value::Map(_) => return None,
        })
    }

    /// The node as JSON, as Python's `json.dumps` would see the loaded value.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(s) => J::Array(s.iter().map(Node::to_json).collect()),
            Value::Map(m) => J::Object(
                m.iter()
                    .map(|(k, v)| (k.name.clone(), v.to_json()))
                    .collect::<serde_json::Map<_, _>>(),
            ),
        }
    }

    /// Look a key up in a mapping node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(m) => m.iter().find(|(k, _)| k.name == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }
}

/// Python's `repr`/`str` of a float: always with a decimal point or exponent.
pub fn python_float(f: f64) -> String {
    if f.is_nan() {
        "nan".into()
    } else if f.is_infinite() {
        if f > 0.0 { "inf" } else { "-inf" }.into()
    } else if f == f.trunc() && f.abs() < 1e16 {
        format!("{f:.1}")
    } else {
        format!("{f}")
    }
}

/// Parse a YAML document into located nodes. `source` must be the full text (used to recover
/// the raw text of scalars where PyYAML and YAML 1.2 disagree).
pub fn parse(source: &str) -> Result<Node> {
    let mut options = serde_saphyr::Options::default();
    options.legacy_octal_numbers = true;
    let raw: Spanned<RawNode> =
        serde_saphyr::from_str_with_options(source, options).map_err(|e| yaml_error(&e))?;
    Ok(convert(raw, source))
}

fn yaml_error(e: &serde_saphyr::Error) -> Error {
    let pos = e
        .location()
        .map(|l| Pos::new(l.line() as usize, l.column() as usize))
        .filter(|p| p.line > 0)
        .unwrap_or(Pos::new(1, 1));
    let text = e.without_snippet().to_string();
    let message = strip_location_prefix(&text).trim().to_string();
    let message = message
        .replace(", set DuplicateKeyPolicy in Options if acceptable", "")
        .replace('\n', " ");
    let message = strip_location_suffix(&message);
    // serde-saphyr names its own API here; say what is wrong with the file instead.
    let message = if message.starts_with("multiple YAML documents detected") {
        "the file holds more than one YAML document; a Flow is a single document".to_string()
    } else if let Some(key) = message.strip_prefix("duplicate mapping key: ") {
        format!("duplicate key `{key}`")
    } else {
        message.to_string()
    };
    Error::input(pos, format!("invalid YAML: {message}"))
}

/// Some messages end in ` at line L, column C`, which the rendered position already says.
fn strip_location_suffix(text: &str) -> &str {
    if let Some(idx) = text.rfind(" at line ") {
        let tail = &text[idx + " at line ".len()..];
        let located = tail.split_once(", column ").is_some_and(|(l, c)| {
            !l.is_empty()
                && !c.is_empty()
                && l.bytes().all(|b| b.is_ascii_digit())
                && c.bytes().all(|b| b.is_ascii_digit())
        });
        if located {
            return &text[..idx];
        }
    }
    text
}

/// serde-saphyr's plain message reads `error: line L column C: WHAT`; keep WHAT.
fn strip_location_prefix(text: &str) -> &str {
    let text = text.strip_prefix("error: ").unwrap_or(text);
    if text.starts_with("line ") {
        if let Some(idx) = text.find(": ") {
            return &text[idx + 2..];
        }
    }
    text
}

fn pos_of(loc: &serde_saphyr::Location) -> Pos {
    Pos::new(loc.line() as usize, loc.column() as usize)
}

fn convert(raw: Spanned<RawNode>, source: &str) -> Node {
    let pos = pos_of(&raw.referenced);
    let raw_text = || {
        let span = raw.referenced.span();
        match (span.byte_offset(), span.byte_len()) {
            (Some(start), Some(len)) => source
                .get(start as usize..(start + len) as usize)
                .unwrap_or(""),
            _ => "",
        }
    };
    let value = match raw.value {
        RawNode::Null => Value::Null,
        RawNode::Bool(b) => Value::Bool(b),
        // PyYAML keeps `0o17` as a string; its int rule only knows `0` + octal digits.
        RawNode::Int(i) => match raw_text() {
            t if t.trim_start_matches(['-', '+']).starts_with("0o") => Value::Str(t.to_string()),
            _ => Value::Int(i),
        },
        // PyYAML's float needs a `.` (`1e3` stays a string), except for .inf / .nan.
        RawNode::Float(f) => match raw_text() {
            t if !t.is_empty() && !t.contains('.') => Value::Str(t.to_string()),
            _ => Value::Float(f),
        },
        RawNode::Str(s) => Value::Str(s),
        RawNode::Seq(items) => Value::Seq(items.into_iter().map(|n| convert(n, source)).collect()),
        RawNode::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| {
                    let key = Key {
                        pos: pos_of(&k.referenced),
                        name: k.value.0,
                    };
                    (key, convert(v, source))
                })
                .collect(),
        ),
    };
    Node { pos, value }
}

/// What serde-saphyr hands us before positions are flattened.
enum RawNode {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<RawNode>>),
    Map(Vec<(Spanned<KeyText>, Spanned<RawNode>)>),
}

/// A mapping key read as text whatever its YAML type (`1: x` has key "1", `yes: x` key "True").
struct KeyText(String);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let node = RawNode::deserialize(d)?;
        let text = match node {
            RawNode::Null => "None".to_string(),
            RawNode::Bool(b) => if b { "True" } else { "False" }.to_string(),
            RawNode::Int(i) => i.to_string(),
            RawNode::Float(f) => python_float(f),
            RawNode::Str(s) => s,
            RawNode::Seq(_) | RawNode::Map(_) => {
                return Err(serde::de::Error::custom("a mapping key must be a scalar"))
            }
        };
        Ok(KeyText(text))
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = RawNode;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> std::result::Result<RawNode, E> {
        Ok(RawNode::Null)
    }
    fn visit_none<E>(self) -> std::result::Result<RawNode, E> {
        Ok(RawNode::Null)
    }
    fn visit_bool<E>(self, v: bool) -> std::result::Result<RawNode, E> {
        Ok(RawNode::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> std::result::Result<RawNode, E> {
        Ok(RawNode::Int(v))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<RawNode, E> {
        i64::try_from(v)
            .map(RawNode::Int)
            .or(Ok(RawNode::Float(v as f64)))
    }
    fn visit_f64<E>(self, v: f64) -> std::result::Result<RawNode, E> {
        Ok(RawNode::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> std::result::Result<RawNode, E> {
        Ok(RawNode::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> std::result::Result<RawNode, E> {
        Ok(RawNode::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> std::result::Result<RawNode, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = a.next_element()? {
            items.push(item);
        }
        Ok(RawNode::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> std::result::Result<RawNode, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = a.next_entry()? {
            entries.push(entry);
        }
        Ok(RawNode::Map(entries))
    }
}

impl<'de> Deserialize<'de> for RawNode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}

/// Ordered map helper used by the model for pass-through blocks.
pub type NodeMap = IndexMap<String, Node>;

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(src: &str) -> Value {
        parse(&format!("k: {src}\n"))
            .unwrap()
            .get("k")
            .unwrap()
            .value
            .clone()
    }

    #[test]
    fn scalars_follow_pyyaml() {
        assert_eq!(scalar("yes"), Value::Bool(true));
        assert_eq!(scalar("Off"), Value::Bool(false));
        assert_eq!(scalar("0755"), Value::Int(493));
        assert_eq!(scalar("1_000"), Value::Int(1000));
        assert_eq!(scalar("0o755"), Value::Str("0o755".into()));
        assert_eq!(scalar("1e3"), Value::Str("1e3".into()));
        assert_eq!(scalar("3.34"), Value::Float(3.34));
        assert_eq!(scalar("'0755'"), Value::Str("0755".into()));
        assert_eq!(scalar("~"), Value::Null);
    }

    #[test]
    fn positions_are_one_based() {
        let doc = parse("a:\n  b: 1\n").unwrap();
        let b = doc.get("a").unwrap().get("b").unwrap();
        assert_eq!(b.pos, Pos::new(2, 6));
    }

    #[test]
    fn syntax_errors_are_located() {
        let err = parse("a: 1\n  b: [\n").unwrap_err();
        assert_eq!(err.pos, Some(Pos::new(2, 4)));
        assert!(err.message.starts_with("invalid YAML: "), "{}", err.message);
    }

    #[test]
    fn yaml_messages_do_not_repeat_the_position() {
        let err = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(err.pos, Some(Pos::new(3, 1)));
        assert_eq!(err.message, "invalid YAML: duplicate key `a`");
        let err = parse("a: [1\n").unwrap_err();
        assert!(!err.message.contains(" at line "), "{}", err.message);
        assert_eq!(
            strip_location_suffix("bad thing at line 3, column 14"),
            "bad thing"
        );
        assert_eq!(
            strip_location_suffix("keep at line three"),
            "keep at line three"
        );
    }

    #[test]
    fn python_str_of_floats() {
        assert_eq!(python_float(1.0), "1.0");
        assert_eq!(python_float(0.5), "0.5");
    }
}
