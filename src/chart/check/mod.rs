//! `flowhelm values check`: validate values files against a chart's values.schema.json, the way
//! helm merges them (chart defaults, then each `-f` file in order), naming the offending key path
//! and, where it comes from one of the files, its line and column.

use std::path::{Path, PathBuf};

use serde_json::Value as J;

use jsonschema::error::ValidationErrorKind;

use crate::error::{did_you_mean, Error, Pos, Result, Warning};
use crate::yaml::{Node, Value};

mod exact;
mod shapes;

/// A finding that does not make the values invalid: `(file, warning)`.
/// Validate `files` merged over the chart's values.yaml; the first violation is returned, and
/// otherwise what is suspicious (an empty map laid over a non-empty one, which helm's merge
/// leaves as it was).
pub fn check_files(chart: &Path, files: &[PathBuf]) -> Result<Vec<Warning>> {
    let (schema_path, schema) = read_schema(chart)?;
    let defaults_path = chart.join("values.yaml");
    let defaults = read_values(&defaults_path)?;
    let mut warnings: Vec<Warning> = crate::yaml::helm3_unsafe_warning(&defaults)
        .map(|w| w.in_file(&defaults_path))
        .into_iter()
        .collect();
    let defaults_json = defaults.to_json();
    let mut merged = defaults_json.clone();
    let mut sources = Vec::new();
    for f in files {
        let text = crate::read::text(f)?;
        let node = crate::yaml::parse_helm(&text).map_err(|e| e.in_file(f))?;
        warnings.extend(crate::yaml::helm3_unsafe_warning(&node).map(|w| w.in_file(f)));
        warnings.extend(
            exact::check_numbers(&node, &text)
                .map_err(|e| e.in_file(f))?
                .into_iter()
                .map(|w| w.in_file(f)),
        );
        warnings.extend(
            empty_maps(&node, &merged, "")
                .into_iter()
                .map(|w| w.in_file(f)),
        );
        merge(&mut merged, node.to_json());
        sources.push((f.clone(), node));
    }
    warnings.extend(empty_maps_over_executor_defaults(&merged, &sources));
    shapes::check(&defaults_json, &defaults, &defaults_path, &sources)?;
    removed_executors(&merged, &sources)?;
    exact::check_exact_tables(&merged, &sources)?;
    chart_args(&merged, &sources)?;
    let validator = jsonschema::validator_for(&schema)
        .map_err(|e| Error::input_file(&schema_path, format!("invalid schema: {e}")))?;
    let mut errors: Vec<(String, String)> = validator
        .iter_errors(&merged)
        .map(|e| {
            let path = pointer_to_path(&e.instance_path().to_string());
            match e.kind() {
                ValidationErrorKind::PropertyNames { error } => unknown_key(path, error),
                _ => (path, e.to_string()),
            }
        })
        .collect();
    errors.sort();
    let Some((path, message)) = errors.into_iter().next() else {
        jina_versions(&merged, &sources)?;
        return Ok(warnings);
    };
    Err(schema_error(files, &sources, &path, &message))
}

fn read_schema(chart: &Path) -> Result<(PathBuf, J)> {
    let schema_path = chart.join("values.schema.json");
    let schema_text =
        std::fs::read_to_string(&schema_path).map_err(|e| Error::io(&schema_path, e))?;
    let schema: J = serde_json::from_str(&schema_text).map_err(|e| {
        Error::input(Pos::new(e.line(), e.column()), "invalid JSON")
            .in_file(&schema_path)
            .with_source(e)
    })?;
    Ok((schema_path, schema))
}

/// Each executor's block is laid over the final executorDefaults by the templates, the way
/// helm lays files over values.yaml: an empty map there leaves the default as it was.
fn empty_maps_over_executor_defaults(merged: &J, sources: &[(PathBuf, Node)]) -> Vec<Warning> {
    let Some(J::Object(defaults)) = merged.get("executorDefaults") else {
        return vec![];
    };
    let defaults = J::Object(defaults.clone());
    let mut warnings = Vec::new();
    for (file, node) in sources {
        if let Some(Value::Map(blocks)) = node.get("executors").map(|n| &n.value) {
            for (name, block) in blocks {
                let path = format!("executors.{}", name.name);
                for w in empty_maps(block, &defaults, &path) {
                    warnings.push(w.in_file(file));
                }
            }
        }
    }
    warnings
}

/// The schema's first violation, at the last file that sets the key (the one that wins in
/// helm's merge), or at the last file when none does.
fn schema_error(
    files: &[PathBuf],
    sources: &[(PathBuf, Node)],
    path: &str,
    message: &str,
) -> Error {
    let key = if path.is_empty() { "(root)" } else { path };
    let mut err = Error::input_file(
        files.last().cloned().unwrap_or_default(),
        format!("`{key}`: {message}"),
    );
    for (file, node) in sources.iter().rev() {
        if let Some(pos) = locate(node, path) {
            err = Error::input(pos, format!("`{key}`: {message}")).in_file(file);
            break;
        }
    }
    err.with_hint("see the chart's README for every value and its type")
}

/// Jina images and `jinaVersion`s of different Jina versions, refused as the render refuses
/// them; located at the last file that sets one of the keys named.
fn jina_versions(merged: &J, sources: &[(PathBuf, Node)]) -> Result<()> {
    let versions = super::versions::collect(merged, merge);
    let Some(message) = super::versions::mismatch(merged, &versions) else {
        return Ok(());
    };
    let hint = "pin every Jina image to one tag and each executor's jinaVersion to it, or set global.jinaVersionCheck: false";
    for (file, node) in sources.iter().rev() {
        for key in versions.values().flatten() {
            if let Some(pos) = locate(node, key) {
                return Err(Error::input(pos, message).in_file(file).with_hint(hint));
            }
        }
    }
    Err(Error::input_file(
        sources.last().map(|s| s.0.clone()).unwrap_or_default(),
        message,
    )
    .with_hint(hint))
}

/// `executors.X: null` deletes the executor's block in helm's merge, so its workloads vanish
/// while `flow.graph` (and so the gateway) still sends requests to it.
fn removed_executors(merged: &J, sources: &[(PathBuf, Node)]) -> Result<()> {
    let Some(J::Object(graph)) = merged.pointer("/flow/graph") else {
        return Ok(());
    };
    let executors = merged.get("executors").and_then(J::as_object);
    let present = |name: &str| executors.is_some_and(|e| e.contains_key(name));
    let mut named: Vec<&str> = graph.keys().map(String::as_str).collect();
    named.extend(
        graph
            .values()
            .filter_map(J::as_array)
            .flatten()
            .filter_map(J::as_str),
    );
    let Some(gone) = named
        .into_iter()
        .find(|n| !matches!(*n, "start-gateway" | "end-gateway") && !present(n))
    else {
        return Ok(());
    };
    let path = format!("executors.{gone}");
    let message = format!(
        "`{path}` is removed (null), but `flow.graph` still routes requests to `{gone}`: the gateway would fail"
    );
    let hint = "set the executor's keys instead (e.g. `replicas`), or regenerate the chart from a Flow without it";
    for (file, node) in sources.iter().rev() {
        if let Some(pos) = locate(node, &path) {
            return Err(Error::input(pos, message).in_file(file).with_hint(hint));
        }
    }
    Err(Error::input_file(
        sources.last().map(|s| s.0.clone()).unwrap_or_default(),
        message,
    )
    .with_hint(hint))
}

/// An `args` entry for an option the chart passes itself, refused as the render refuses it.
fn chart_args(merged: &J, sources: &[(PathBuf, Node)]) -> Result<()> {
    use crate::jina::Role;
    let mut blocks: Vec<(Vec<String>, Role, &J)> = Vec::new();
    for (key, role) in [
        ("executorDefaults", Role::Executor),
        ("gateway", Role::Gateway),
    ] {
        if let Some(args) = merged.get(key).and_then(|b| b.get("args")) {
            blocks.push((vec![key.to_string()], role, args));
        }
    }
    if let Some(J::Object(executors)) = merged.get("executors") {
        for (name, block) in executors {
            if let Some(args) = block.get("args") {
                blocks.push((vec!["executors".into(), name.clone()], Role::Executor, args));
            }
        }
    }
    for (workload, role, args) in blocks {
        let J::Object(args) = args else { continue };
        for option in args.keys() {
            let Some(instead) = crate::jina::chart_arg(role, option, &path_text(&workload)) else {
                continue;
            };
            let mut path = workload.clone();
            path.extend(["args".to_string(), option.clone()]);
            let message = format!(
                "`{}`: the chart passes --{} itself, and an args entry would override it",
                path_text(&path),
                option.replace('_', "-")
            );
            let file = sources
                .iter()
                .rev()
                .find_map(|(file, node)| locate_path(node, &path).map(|pos| (file.clone(), pos)));
            let err = match file {
                Some((file, pos)) => Error::input(pos, message).in_file(file),
                None => Error::input_file(
                    sources.last().map(|s| s.0.clone()).unwrap_or_default(),
                    message,
                ),
            };
            return Err(err.with_hint(instead));
        }
    }
    Ok(())
}

/// A key path as the messages write it (`executors.enc.usesWith.top_k`).
fn path_text(path: &[String]) -> String {
    path.join(".")
}

/// Where a key path (one key per segment, so keys may hold dots) is set in a values file.
fn locate_path(root: &Node, path: &[String]) -> Option<Pos> {
    let mut node = root;
    let mut pos = None;
    for seg in path {
        match &node.value {
            Value::Map(m) => {
                let (k, v) = m.iter().find(|(k, _)| k.name == *seg)?;
                pos = Some(k.pos);
                node = v;
            }
            Value::Seq(items) => {
                node = items.get(seg.parse::<usize>().ok()?)?;
                pos = Some(node.pos);
            }
            _ => return pos,
        }
    }
    pos
}

/// A key a `propertyNames` list does not allow (a misspelt executor): named by its own path, so
/// the error points at the key, with the closest allowed name.
fn unknown_key(path: String, error: &jsonschema::ValidationError) -> (String, String) {
    let name = error.instance().as_str().unwrap_or_default().to_string();
    let allowed: Vec<&str> = match error.kind() {
        ValidationErrorKind::Enum { options } => options
            .as_array()
            .map(|o| o.iter().filter_map(J::as_str).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let message = match did_you_mean(&name, allowed.iter().copied()) {
        Some(close) => format!("no such key here; did you mean `{close}`?"),
        None => "no such key here".to_string(),
    };
    let path = if path.is_empty() {
        name
    } else {
        format!("{path}.{name}")
    };
    (path, message)
}

/// `{}` where the values so far hold a non-empty map: helm merges maps, so it changes nothing
/// (`null` removes a key).
fn empty_maps(node: &Node, base: &J, path: &str) -> Vec<Warning> {
    let Value::Map(entries) = &node.value else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in entries {
        let here = if path.is_empty() {
            k.name.clone()
        } else {
            format!("{path}.{}", k.name)
        };
        let Some(under) = base.get(&k.name) else {
            continue;
        };
        match (&v.value, under) {
            (Value::Map(m), J::Object(b)) if m.is_empty() && !b.is_empty() => out.push(Warning::new(
                k.pos,
                format!(
                    "`{here}: {{}}` leaves `{here}` as it was ({}): helm merges maps; set each key to null to remove it",
                    b.keys().map(String::as_str).collect::<Vec<_>>().join(", ")
                ),
            )),
            (Value::Map(_), J::Object(_)) => out.extend(empty_maps(v, under, &here)),
            _ => {}
        }
    }
    out
}

/// A values file as helm reads it (go-yaml's rules, not the Flow reader's).
fn read_values(path: &Path) -> Result<Node> {
    let text = crate::read::text(path)?;
    crate::yaml::parse_helm(&text).map_err(|e| e.in_file(path))
}

/// Helm's merge: maps merge key by key, anything else replaces; `null` deletes the key.
fn merge(base: &mut J, over: J) {
    match (base, over) {
        (J::Object(b), J::Object(o)) => {
            for (k, v) in o {
                if v.is_null() {
                    b.remove(&k);
                } else {
                    match b.get_mut(&k) {
                        Some(slot) => merge(slot, v),
                        None => {
                            b.insert(k, v);
                        }
                    }
                }
            }
        }
        (slot, v) => *slot = v,
    }
}

/// `/executors/encoder/replicas` → `executors.encoder.replicas`.
fn pointer_to_path(pointer: &str) -> String {
    pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect::<Vec<_>>()
        .join(".")
}

fn locate(root: &Node, path: &str) -> Option<Pos> {
    let mut node = root;
    let mut pos = root.pos;
    if path.is_empty() {
        return None;
    }
    for seg in path.split('.') {
        match &node.value {
            Value::Map(m) => {
                let (k, v) = m.iter().find(|(k, _)| k.name == seg)?;
                pos = k.pos;
                node = v;
            }
            Value::Seq(items) => {
                node = items.get(seg.parse::<usize>().ok()?)?;
                pos = node.pos;
            }
            _ => return Some(pos),
        }
    }
    Some(pos)
}
