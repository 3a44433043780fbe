//! The parts every values table is built from: the entry and row constructors, the tables
//! Jina receives as JSON, images, and the patterns Kubernetes checks names against. A leaf: it
//! names no other values module.

use serde_json::{json, Value as J};

use crate::chart::doc::{Entry, Text, Val};
use crate::flow::{ArgValue, Args, Image, Protocol};
use crate::python::python_json;

/// Inputs that are not in the Flow itself.
#[derive(Debug, Clone)]
pub struct ValuesOptions {
    /// Image of the gateway, heads and `BaseExecutor` pods (`JINA_GATEWAY_IMAGE`).
    pub jina_image: Image,
}

pub(super) fn e(key: impl Into<Text>, doc: impl Into<Text>, val: Val) -> Entry {
    Entry::new(key, doc, val)
}

pub(super) fn s(v: &str) -> Val {
    Val::str(v)
}

pub(super) fn strings(items: &[String]) -> Val {
    Val::List(items.iter().map(|i| Val::str(i.as_str())).collect())
}

/// The key of a table that stands for one JSON value given as its text: `{$json: "1.0"}` is
/// the float 1.0, written as is in the JSON Jina receives. The templates (`_json.tpl`) and
/// `values check` know it too.
pub const EXACT_JSON_KEY: &str = "$json";

/// A mapping Jina receives as JSON (`--uses-with`, a `when` filter, gRPC metadata, a dict option
/// in `args`) as a values table, so that `--set executors.x.usesWith.top_k=20` changes one key
/// and helm merges the rest. helm reads every number as a float64 and writes a whole one without
/// its fraction, and deletes `null`s, so what it would change is written as `{$json: TEXT}`:
/// `null`, whole floats (`1.0`), integers beyond 2^53 and lists holding any of these (and a
/// mapping that is itself `{"$json": "…"}`), each as Jina's own `json.dumps` of it.
pub(super) fn json_table(v: &J) -> Val {
    match json_val(v) {
        Val::Map(m) => Val::Map(m),
        _ => Val::open(),
    }
}

fn json_val(v: &J) -> Val {
    use J;
    let exact = |v: &J| Val::Map(vec![e(EXACT_JSON_KEY, "", Val::str(python_json(v)))]);
    match v {
        J::Null => exact(v),
        J::Bool(b) => Val::Bool(*b),
        J::String(s) => Val::str(s.as_str()),
        J::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) if !n.is_f64() && i.unsigned_abs() <= 1 << 53 => Val::Int(i),
            (_, Some(f)) if n.is_f64() && f.is_finite() && f.fract() != 0.0 => Val::Float(f),
            _ => exact(v),
        },
        J::Array(items) => {
            let items: Vec<Val> = items.iter().map(json_val).collect();
            if items.iter().any(is_exact) {
                exact(v)
            } else {
                Val::List(items)
            }
        }
        J::Object(m) if m.len() == 1 && m.get(EXACT_JSON_KEY).is_some_and(J::is_string) => exact(v),
        J::Object(m) => Val::Map(
            m.iter()
                .map(|(k, v)| e(k.clone(), "", json_val(v)))
                .collect(),
        ),
    }
}

/// Whether `v` is (or holds) a `{$json: TEXT}` table.
fn is_exact(v: &Val) -> bool {
    match v {
        Val::Map(m) => m
            .iter()
            .any(|c| c.key == EXACT_JSON_KEY || is_exact(&c.val)),
        Val::List(items) => items.iter().any(is_exact),
        _ => false,
    }
}

/// A JSON table's schema: any keys (the `{$json: TEXT}` rule is checked at render and by
/// `values check`).
pub(super) fn json_table_schema() -> J {
    json!({"type": "object"})
}
pub(super) fn image(img: &Image, doc: &'static str) -> Entry {
    let (registry, repository) = split_registry(&img.repository);
    e(
        "image",
        doc,
        Val::Map(vec![
            e(
                "registry",
                "Image registry (empty: Docker Hub); `global.imageRegistry` can replace it.",
                s(registry),
            ),
            e(
                "repository",
                "Image repository, without the registry.",
                s(repository),
            ),
            e(
                "tag",
                "Image tag (empty: none, as written in the Flow).",
                s(&img.tag),
            ),
            e(
                "digest",
                "Image digest (`sha256:…`); wins over the tag when set.",
                s(&img.digest),
            ),
            e("pullPolicy", "Image pull policy.", s("IfNotPresent"))
                .schema(|| json!({"type": "string", "enum": ["Always", "IfNotPresent", "Never"]})),
        ]),
    )
}

/// `ghcr.io/acme/x` → (`ghcr.io`, `acme/x`): the first path part is a registry when it looks
/// like a host (a `.` or `:`, or `localhost`), as the container runtimes decide.
pub(super) fn split_registry(repository: &str) -> (&str, &str) {
    match repository.split_once('/') {
        Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => (first, rest),
        _ => ("", repository),
    }
}

/// A DNS-1123 label (RFC 1123, lower case), as Kubernetes checks names and volume names.
pub(super) const DNS_LABEL: &str = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
/// A storage size, as the chart's `flowhelm.bytes` reads it and the API server accepts it: a
/// decimal number, then a binary (`Gi`) or decimal (`G`) suffix or an exponent (`5e9`).
pub(super) const STORAGE_SIZE: &str =
    "^[+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([kMGTPE]|[KMGTPE]i|[eE][+-]?[0-9]+)?$";
/// A DNS-1123 subdomain, what a Secret's name must be (so what a reference to one must be).
pub(super) const DNS_SUBDOMAIN: &str =
    "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
/// The same without anchors, to allow an empty alternative.
pub(super) const DNS_SUBDOMAIN_BODY: &str =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
/// A container environment variable's name, as the API server checks it before Kubernetes 1.32
/// relaxed the rule (the chart supports 1.29).
pub(super) const ENV_NAME: &str = "^[-._a-zA-Z][-._a-zA-Z0-9]*$";
/// A ConfigMap or Secret data key.
pub(super) const DATA_KEY: &str = "^[-._a-zA-Z0-9]+$";

/// Names of Secrets, as `imagePullSecrets` lists them.
pub(super) fn secret_names_schema() -> J {
    json!({
        "type": "array",
        "items": {"type": "string", "pattern": DNS_SUBDOMAIN, "maxLength": 253},
    })
}

pub(super) fn protocols(ps: &[Protocol]) -> Val {
    Val::List(ps.iter().map(|p| s(p.scheme())).collect())
}

pub(super) fn protocols_schema() -> J {
    json!({
        "type": "array",
        "minItems": 1,
        "uniqueItems": true,
        "items": {"type": "string", "enum": ["grpc", "http", "websocket"]},
    })
}

pub(super) fn args(a: &Args) -> Val {
    Val::Map(
        a.iter()
            .map(|(k, v)| {
                let val = match v {
                    ArgValue::Flag(b) => Val::Bool(*b),
                    ArgValue::One(s) => Val::str(s.as_str()),
                    ArgValue::Many(items) => strings(items),
                    ArgValue::Json(v) => json_table(v),
                };
                e(k.clone(), "", val)
            })
            .collect(),
    )
}

pub(super) fn args_schema() -> J {
    json!({
        "type": "object",
        "additionalProperties": {
            "type": ["string", "boolean", "array", "object"],
            "items": {"type": "string"},
        },
    })
}

pub(super) fn string_map(m: &indexmap::IndexMap<String, String>) -> Val {
    Val::Map(m.iter().map(|(k, v)| e(k.clone(), "", s(v))).collect())
}

/// One value declared as a row of a table: its key, what it drives in Jina, its description,
/// its default (computed from `C`, the facts of the workload: an executor, or `()` for fixed
/// defaults) and its schema where inference is not enough. values.yaml, the schema and the
/// values table in the docs are all generated from the rows.
pub(super) struct Row<C> {
    pub key: &'static str,
    /// The Flow key (Jina's name) the default comes from, told in the description; empty for a
    /// value of the chart alone.
    pub drives: &'static str,
    pub doc: &'static str,
    pub val: fn(&C) -> Val,
    pub schema: Option<fn() -> J>,
}

impl<C> Row<C> {
    pub fn entry(&self, facts: &C) -> Entry {
        let doc: Text = if self.drives.is_empty() {
            self.doc.into()
        } else {
            format!("{} Flow key: `{}`.", self.doc, self.drives).into()
        };
        let entry = e(self.key, doc, (self.val)(facts));
        match self.schema {
            Some(schema) => entry.schema(schema),
            None => entry,
        }
    }
}

/// The entries of a table's rows, in order.
pub(super) fn rows<C>(table: &[Row<C>], facts: &C) -> Vec<Entry> {
    table.iter().map(|row| row.entry(facts)).collect()
}
