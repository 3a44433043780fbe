//! Values of another shape than the chart's default: helm keeps the file's and drops the chart's
//! without an error. helm merges the `-f` files among themselves first (`mergeMaps` in
//! `pkg/cli/values`: tables merge, anything else replaces), then lays the result over the chart's
//! values.yaml (`coalesceValues`/`coalesceTablesFullKey` in `pkg/chartutil`), where a table over
//! a value that is not one, or the reverse, only logs "destination for … is a table. Ignoring
//! non-table value" or "cannot overwrite table with non table" and keeps the file's. Every key
//! of the chart has one shape, so such a file is refused, at the key that changes it.

use std::path::{Path, PathBuf};

use serde_json::Value as J;

use super::locate_path;
use crate::chart::values::EXACT_JSON_KEY;
use crate::error::{Error, Result};
use crate::yaml::Node;

/// helm's merge of the values files among themselves: tables merge key by key, anything else
/// (`null` included) replaces what was there.
fn merge_files(base: &mut J, over: &J) {
    match (base, over) {
        (J::Object(b), J::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(slot) if slot.is_object() && v.is_object() => merge_files(slot, v),
                    _ => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (slot, v) => *slot = v.clone(),
    }
}

/// Refuse the first key the files give a shape other than the chart's default.
pub(super) fn check(
    defaults: &J,
    defaults_node: &Node,
    defaults_path: &Path,
    sources: &[(PathBuf, Node)],
) -> Result<()> {
    let mut user = J::Object(serde_json::Map::new());
    for (_, node) in sources {
        merge_files(&mut user, &node.to_json());
    }
    let mut path = Vec::new();
    let Some((path, ours, chart)) = first_mismatch(&user, defaults, &mut path) else {
        return Ok(());
    };
    let key = path.join(".");
    let (said, hint) = if ours == "a table" {
        (
            "destination for … is a table. Ignoring non-table value",
            format!("give it {chart}, as the chart's values.yaml does; to pass one JSON value of another shape where the chart passes JSON (`usesWith`, `args`, …), write `{{{EXACT_JSON_KEY}: TEXT}}`"),
        )
    } else {
        (
            "cannot overwrite table with non table",
            format!("set the table's keys instead (null removes one); to pass one JSON value of another shape where the chart passes JSON (`usesWith`, `args`, …), write `{{{EXACT_JSON_KEY}: TEXT}}` and set the table's other keys to null"),
        )
    };
    let chart_at = locate_path(defaults_node, &path).map_or_else(
        || defaults_path.display().to_string(),
        |p| format!("{}:{}", defaults_path.display(), p.line),
    );
    let message = format!(
        "`{key}` is {ours} here but {chart} in the chart ({chart_at}): helm would keep this one and drop the chart's without an error (its log only says \"{said}\")"
    );
    for (file, node) in sources.iter().rev() {
        if let Some(pos) = locate_path(node, &path) {
            return Err(Error::input(pos, message).in_file(file).with_hint(hint));
        }
    }
    Err(Error::input_file(
        sources.last().map(|s| s.0.clone()).unwrap_or_default(),
        message,
    )
    .with_hint(hint))
}

fn kind(v: &J) -> &'static str {
    match v {
        J::Object(_) => "a table",
        J::Array(_) => "a list",
        J::String(_) => "a string",
        J::Number(_) => "a number",
        J::Bool(_) => "a boolean",
        J::Null => "null",
    }
}

/// `{$json: TEXT}`: one JSON value, which may stand where the chart has a value of another
/// shape (the template writes the text as is).
fn is_exact(v: &J) -> bool {
    matches!(v, J::Object(m) if m.len() == 1 && m.contains_key(EXACT_JSON_KEY))
}

/// The first path (in the files' order) where the files' value and the chart's are one a table
/// and the other not: `(path, the files' shape, the chart's)`.
fn first_mismatch(
    user: &J,
    chart: &J,
    path: &mut Vec<String>,
) -> Option<(Vec<String>, &'static str, &'static str)> {
    let (J::Object(u), J::Object(c)) = (user, chart) else {
        return None;
    };
    for (k, uv) in u {
        let Some(cv) = c.get(k) else {
            continue;
        };
        path.push(k.clone());
        let found = match (uv, cv) {
            // null removes the chart's value, whatever it is.
            (J::Null, _) | (_, J::Null) => None,
            (J::Object(_), J::Object(_)) => first_mismatch(uv, cv, path),
            (J::Object(_), _) if is_exact(uv) => None,
            (J::Object(_), _) | (_, J::Object(_)) => Some((path.clone(), kind(uv), kind(cv))),
            _ => None,
        };
        path.pop();
        if found.is_some() {
            return found;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_table_over_a_value_and_the_reverse_are_found_nulls_and_exact_values_are_not() {
        let chart = json!({"a": {"b": "x", "c": {"d": 1}}, "e": [1]});
        let find = |user: J| first_mismatch(&user, &chart, &mut Vec::new());
        assert_eq!(
            find(json!({"a": {"b": {"k": 1}}})),
            Some((vec!["a".into(), "b".into()], "a table", "a string"))
        );
        assert_eq!(
            find(json!({"a": {"c": "flat"}})),
            Some((vec!["a".into(), "c".into()], "a string", "a table"))
        );
        assert_eq!(
            find(json!({"e": {"x": 1}})),
            Some((vec!["e".into()], "a table", "a list"))
        );
        assert_eq!(find(json!({"a": {"c": null, "b": 2}, "e": [2, 3]})), None);
        assert_eq!(find(json!({"a": {"b": {"$json": "null"}}})), None);
        assert_eq!(find(json!({"new": {"x": 1}})), None);
    }

    #[test]
    fn files_merge_as_helm_merges_them_before_the_chart() {
        let mut user = json!({});
        merge_files(&mut user, &json!({"a": {"b": 1, "c": 2}}));
        merge_files(&mut user, &json!({"a": {"b": null}, "d": {"e": 1}}));
        merge_files(&mut user, &json!({"d": "flat"}));
        assert_eq!(user, json!({"a": {"b": null, "c": 2}, "d": "flat"}));
    }
}
