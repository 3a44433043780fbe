//! YAML as a tree of located nodes, read two ways.
//!
//! Every later check points at the exact line and column of the key or value it is about, so
//! documents are first read into this untyped tree; pass-through blocks (`uses_with`, `env`,
//! `when`) keep their shape. A Flow is read as Jina reads it ([`parse_flow`]: PyYAML's typing of
//! scalars), a values file as helm reads it ([`parse_helm`]: go-yaml's), since each tool's
//! verdict is the one that counts for that file.
//!
//! ```
//! use flowhelm::yaml::{parse_flow, parse_helm};
//!
//! // helm reads `on` as true; Jina as the string "on" where PyYAML says true, so a Flow that
//! // writes it plain is refused, at the value.
//! let helm = parse_helm("a: on\nb: 0o10\n")?;
//! assert_eq!(helm.to_json(), serde_json::json!({"a": true, "b": 8}));
//! let err = parse_flow("a: on\n").unwrap_err();
//! assert_eq!(err.pos(), Some(flowhelm::Pos::new(1, 4)));
//! // Every node knows where it starts.
//! assert_eq!(helm.get("b").unwrap().pos, flowhelm::Pos::new(2, 4));
//! # Ok::<(), flowhelm::Error>(())
//! ```

mod helm;
mod pyyaml;
pub(crate) mod resolve;

use crate::error::{Error, Pos, Result, Warning};
use crate::python::python_float;

pub use helm::parse as parse_helm;
pub use pyyaml::parse as parse_flow;
pub(crate) use pyyaml::root_tag;

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

/// A warning at the first string helm 3 cannot carry in values.
pub(crate) fn helm3_unsafe_warning(root: &Node) -> Option<Warning> {
    helm3_unsafe(root).map(|pos| Warning::new(
        pos,
        "this string holds DEL, a C1 control character or U+FFFE/U+FFFF: helm 4 renders it exactly, helm 3 refuses the chart's values (\"control characters are not allowed\")",
    ))
}

/// Where the first string helm 3 cannot carry in values is: helm 3 checks values against the
/// schema after writing them as YAML, and its YAML writer puts these characters out raw, which
/// its reader then refuses.
fn helm3_unsafe(node: &Node) -> Option<Pos> {
    let bad = |s: &str| {
        s.chars().any(
            |c| matches!(c, '\u{7f}'..='\u{84}' | '\u{86}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}'),
        )
    };
    match &node.value {
        Value::Str(s) if bad(s) => Some(node.pos),
        Value::Seq(items) => items.iter().find_map(helm3_unsafe),
        Value::Map(entries) => entries.iter().find_map(|(k, v)| {
            if bad(&k.name) {
                Some(k.pos)
            } else {
                helm3_unsafe(v)
            }
        }),
        _ => None,
    }
}
