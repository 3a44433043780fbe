//! values.schema.json: a draft-07 schema, closed wherever the keys are flowhelm's own.

use serde_json::{json, Map, Value as J};

use super::{Entry, Kind, Val};

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
