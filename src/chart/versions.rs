//! The Jina-version rule of `templates/_versions.tpl`, for `flowhelm values check`: Jina's own
//! images (the gateway's, every head's, BaseExecutor executors' and uses_before/after
//! containers') carry their version in their tags, other executors in `jinaVersion`; values
//! that name different versions are refused while `global.jinaVersionCheck` is on, as the
//! render refuses them.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as J;

/// Version → the values keys that name it.
pub type Versions = BTreeMap<String, BTreeSet<String>>;

fn text<'a>(v: &'a J, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(J::as_str).unwrap_or("")
}

fn truthy(v: &J, pointer: &str) -> bool {
    v.pointer(pointer).and_then(J::as_bool).unwrap_or(false)
}

fn note(versions: &mut Versions, version: Option<String>, key: String) {
    if let Some(v) = version.filter(|v| !v.is_empty()) {
        versions.entry(v).or_default().insert(key);
    }
}

fn tag(v: &J, pointer: &str) -> Option<String> {
    crate::jina::tag_version(text(v, pointer)).map(|v| v.to_string())
}

/// The key an executor's setting comes from: its own block's when the block sets it.
fn key(name: &str, own: &J, path: &str) -> String {
    let pointer = format!("/{}", path.replace('.', "/"));
    match own.pointer(&pointer) {
        Some(v) if !v.is_null() && v != "" => format!("executors.{name}.{path}"),
        _ => format!("executorDefaults.{path}"),
    }
}

/// Every Jina version the merged values name, with the keys that name it.
pub fn collect(values: &J, merge: impl Fn(&mut J, J)) -> Versions {
    let mut versions = Versions::new();
    if truthy(values, "/gateway/enabled") && text(values, "/gateway/uses").is_empty() {
        note(
            &mut versions,
            tag(values, "/gateway/image/tag"),
            "gateway.image.tag".into(),
        );
    }
    let defaults = values.get("executorDefaults").cloned().unwrap_or(J::Null);
    let Some(executors) = values.get("executors").and_then(J::as_object) else {
        return versions;
    };
    for (name, own) in executors.iter().filter(|(_, own)| own.is_object()) {
        let mut x = defaults.clone();
        merge(&mut x, own.clone());
        if truthy(&x, "/external/enabled") {
            continue;
        }
        let jina_version = text(&x, "/jinaVersion").to_string();
        note(
            &mut versions,
            Some(jina_version),
            key(name, own, "jinaVersion"),
        );
        if text(&x, "/uses").is_empty() {
            note(
                &mut versions,
                tag(&x, "/image/tag"),
                key(name, own, "image.tag"),
            );
        }
        if x.get("shards").and_then(J::as_f64).unwrap_or(1.0) > 1.0 {
            note(
                &mut versions,
                tag(&x, "/head/image/tag"),
                key(name, own, "head.image.tag"),
            );
            for side in ["usesBefore", "usesAfter"] {
                if truthy(&x, &format!("/{side}/enabled"))
                    && text(&x, &format!("/{side}/uses")).is_empty()
                {
                    let path = format!("{side}.image.tag");
                    note(
                        &mut versions,
                        tag(&x, &format!("/{side}/image/tag")),
                        key(name, own, &path),
                    );
                }
            }
        }
    }
    versions
}

/// The render's refusal, word for word, when the versions differ and the check is on.
pub fn mismatch(values: &J, versions: &Versions) -> Option<String> {
    let check = values
        .pointer("/global/jinaVersionCheck")
        .and_then(J::as_bool)
        .unwrap_or(true);
    if versions.len() < 2 || !check {
        return None;
    }
    let parts: Vec<String> = versions
        .iter()
        .map(|(v, keys)| {
            format!(
                "{v} ({})",
                keys.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        })
        .collect();
    Some(format!(
        "Jina images and jinaVersion values name different Jina versions: {}. Build the gateway, heads and executors on one Jina version (and set each executor's jinaVersion to it), or set global.jinaVersionCheck=false to render anyway; helm test then reports every workload whose version differs from the gateway's",
        parts.join("; ")
    ))
}
