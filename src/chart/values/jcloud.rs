//! Values translated from JCloud's `jcloud:` blocks, laid over the values the rest of the Flow
//! gives (a values file still wins over both, as for every Flow setting).

use serde_json::Value as J;

use crate::chart::doc::{Entry, Val};
use crate::jcloud::Setting;

/// Lay `settings` over `tree`, in order (a later one wins). A key the tree lacks is added
/// undocumented (an executor's tree holds only what its Flow entry sets; executorDefaults
/// documents the rest); the deepest documented entry on each path says where its default came
/// from.
pub(super) fn overlay(tree: &mut Vec<Entry>, settings: &[Setting]) {
    for s in settings {
        let path: Vec<&str> = s.path.split('.').collect();
        set(tree, &path, to_val(&s.value), &s.from);
    }
}

/// Set `path` in `tree`; true once an entry on the path has been told where its value came from.
fn set(tree: &mut Vec<Entry>, path: &[&str], val: Val, from: &str) -> bool {
    let Some((head, rest)) = path.split_first() else {
        return false;
    };
    let i = if let Some(i) = tree.iter().position(|e| e.key == *head) {
        i
    } else {
        tree.push(Entry::new(head.to_string(), "", Val::Map(Vec::new())));
        tree.len() - 1
    };
    let entry = &mut tree[i];
    let noted = if rest.is_empty() {
        entry.val = val;
        false
    } else {
        if !matches!(entry.val, Val::Map(_)) {
            entry.val = Val::Map(Vec::new());
        }
        let Val::Map(children) = &mut entry.val else {
            unreachable!("made a map above")
        };
        set(children, rest, val, from)
    };
    if noted || entry.doc.is_empty() {
        return noted;
    }
    let note = format!(" Default from the Flow's `{from}`.");
    if !entry.doc.contains(&note) {
        entry.doc = format!("{}{note}", entry.doc).into();
    }
    true
}

fn to_val(v: &J) -> Val {
    match v {
        J::Null => Val::Str(String::new()),
        J::Bool(b) => Val::Bool(*b),
        J::Number(n) => n
            .as_i64()
            .map_or_else(|| Val::Float(n.as_f64().unwrap_or_default()), Val::Int),
        J::String(s) => Val::Str(s.clone()),
        J::Array(items) => Val::List(items.iter().map(to_val).collect()),
        J::Object(m) => Val::Map(
            m.iter()
                .map(|(k, v)| Entry::new(k.clone(), "", to_val(v)))
                .collect(),
        ),
    }
}

/// What an executor's description says of its `jcloud:` block: the JCloud keys it translated.
pub(super) fn executor_note(settings: &[Setting]) -> String {
    let mut from: Vec<&str> = Vec::new();
    for s in settings {
        if !from.contains(&s.from.as_str()) {
            from.push(&s.from);
        }
    }
    if from.is_empty() {
        return String::new();
    }
    format!(" Translated from JCloud: `{}`.", from.join("`, `"))
}
