//! Rendering charts with real helm and checking every object against the strict Kubernetes JSON
//! schemas (kubernetes-validate 1.37.0's files, installed in `.tools/k8s-schemas`), plus the
//! name and label syntax rules those structural schemas cannot express.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value as J;

use super::{root, run_in, stderr, stdout};

/// `helm template` a chart; panics with helm's stderr on failure.
pub fn render(
    helm: &Path,
    chart: &Path,
    home: &Path,
    release: &str,
    ns: &str,
    extra: &[&str],
) -> String {
    let out = try_render(helm, chart, home, release, ns, extra);
    match out {
        Ok(s) => s,
        Err(e) => panic!(
            "{} template {} {:?} failed:\n{e}",
            helm.display(),
            chart.display(),
            extra
        ),
    }
}

pub fn try_render(
    helm: &Path,
    chart: &Path,
    home: &Path,
    release: &str,
    ns: &str,
    extra: &[&str],
) -> Result<String, String> {
    let mut cmd = Command::new(helm);
    cmd.args(["template", release])
        .arg(chart)
        .args(["--namespace", ns])
        .args(extra);
    let o = run_in(&mut cmd, home);
    if o.status.success() {
        Ok(stdout(&o))
    } else {
        Err(stderr(&o))
    }
}

/// Split helm's output into parsed documents (skipping empty ones).
pub fn documents(yaml: &str) -> Vec<J> {
    let mut docs = Vec::new();
    for chunk in format!("\n{yaml}").split("\n---") {
        let body: String = chunk
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n");
        if body.trim().is_empty() {
            continue;
        }
        // Read as the API server reads a manifest (go-yaml v2 rules through JSON), not as the
        // Flow reader reads a Flow.
        let node = flowhelm::yaml::parse_helm(&body)
            .unwrap_or_else(|e| panic!("helm output is not YAML: {e}\n{body}"));
        let v = node.to_json();
        if v.as_object().is_some_and(|o| !o.is_empty()) {
            docs.push(v);
        }
    }
    docs
}

struct DefsRetriever(PathBuf);

impl jsonschema::Retrieve for DefsRetriever {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<J, Box<dyn std::error::Error + Send + Sync>> {
        let path = uri.as_str();
        let file = path.rsplit('/').next().unwrap_or_default();
        let text = std::fs::read_to_string(self.0.join(file))?;
        Ok(serde_json::from_str(&text)?)
    }
}

type Cache = Mutex<HashMap<(String, String), Arc<jsonschema::Validator>>>;

fn cache() -> &'static Cache {
    static C: OnceLock<Cache> = OnceLock::new();
    C.get_or_init(|| Mutex::new(HashMap::new()))
}

fn schema_dir(version: &str) -> PathBuf {
    let dir = root()
        .join(".tools/k8s-schemas")
        .join(format!("v{version}-local-strict"));
    assert!(
        dir.is_dir(),
        "{} is missing: run scripts/install-tools.sh",
        dir.display()
    );
    dir
}

/// The file name kubernetes-validate uses for a kind: `deployment-apps-v1.json`, `service-v1.json`.
fn schema_file(api_version: &str, kind: &str) -> String {
    let kind = kind.to_lowercase();
    match api_version.split_once('/') {
        Some((group, version)) => format!(
            "{kind}-{}-{version}.json",
            group.split('.').next().unwrap_or(group)
        ),
        None => format!("{kind}-{api_version}.json"),
    }
}

fn validator(version: &str, api_version: &str, kind: &str) -> Arc<jsonschema::Validator> {
    let key = (version.to_string(), format!("{api_version}/{kind}"));
    if let Some(v) = cache().lock().unwrap().get(&key) {
        return v.clone();
    }
    // Custom resources: schemas of the parts flowhelm renders, kept in the project.
    let crd = match (api_version, kind) {
        ("monitoring.coreos.com/v1", "ServiceMonitor") => Some("servicemonitor.json"),
        ("gateway.networking.k8s.io/v1", "HTTPRoute") => Some("httproute.json"),
        ("gateway.networking.k8s.io/v1", "GRPCRoute") => Some("grpcroute.json"),
        ("keda.sh/v1alpha1", "ScaledObject") => Some("scaledobject.json"),
        _ => None,
    };
    let (dir, file) = if let Some(file) = crd {
        (root().join("tests/fixtures/crds"), file.to_string())
    } else {
        (schema_dir(version), schema_file(api_version, kind))
    };
    let path = dir.join(&file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no Kubernetes {version} schema for {api_version} {kind} ({})",
            path.display()
        )
    });
    let schema: J = serde_json::from_str(&text).unwrap();
    let v = jsonschema::options()
        .with_base_uri(format!("file:///api/{file}"))
        .with_retriever(DefsRetriever(dir))
        .build(&schema)
        .unwrap_or_else(|e| panic!("schema {} does not compile: {e}", path.display()));
    let v = Arc::new(v);
    cache().lock().unwrap().insert(key, v.clone());
    v
}

fn is_label(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn is_label_value(s: &str) -> bool {
    s.is_empty()
        || (s.len() <= 63
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && s.starts_with(|c: char| c.is_ascii_alphanumeric())
            && s.ends_with(|c: char| c.is_ascii_alphanumeric()))
}

fn is_label_key(k: &str) -> bool {
    let (prefix, name) = k.rsplit_once('/').map_or((None, k), |(p, n)| (Some(p), n));
    prefix.is_none_or(|p| p.len() <= 253 && p.split('.').all(|l| is_label(l, 63)))
        && !name.is_empty()
        && is_label_value(name)
}

/// Every error of one object: schema violations plus name/label rules. Empty when valid.
pub fn object_errors(version: &str, obj: &J) -> Vec<String> {
    let api = obj["apiVersion"].as_str().unwrap_or_default();
    let kind = obj["kind"].as_str().unwrap_or_default();
    let name = obj["metadata"]["name"].as_str().unwrap_or_default();
    let id = format!("{kind}/{name}");
    let mut errors: Vec<String> = validator(version, api, kind)
        .iter_errors(obj)
        .map(|e| format!("{id}: {} at {}", e, e.instance_path()))
        .collect();
    let name_ok = match kind {
        "Service" => is_label(name, 63) && name.starts_with(|c: char| c.is_ascii_lowercase()),
        "Deployment" | "StatefulSet" | "Pod" => is_label(name, 63),
        _ => name.len() <= 253 && name.split('.').all(|l| is_label(l, 253)),
    };
    if !name_ok {
        errors.push(format!("{id}: invalid object name"));
    }
    let selector = if kind == "Service" {
        &obj["spec"]["selector"]
    } else {
        &obj["spec"]["selector"]["matchLabels"]
    };
    for map in [
        &obj["metadata"]["labels"],
        &obj["spec"]["template"]["metadata"]["labels"],
        selector,
    ] {
        if let J::Object(m) = map {
            for (k, v) in m {
                let v = v.as_str().unwrap_or("x");
                if !is_label_key(k) || !is_label_value(v) {
                    errors.push(format!("{id}: invalid label {k}={v}"));
                }
            }
        }
    }
    if let Some(J::Array(containers)) = obj["spec"]["template"]["spec"].get("containers") {
        for c in containers {
            for p in c["ports"].as_array().into_iter().flatten() {
                if let Some(n) = p["name"].as_str() {
                    if n.len() > 15 || !is_label(n, 15) {
                        errors.push(format!("{id}: invalid port name {n}"));
                    }
                }
            }
        }
    }
    errors
}

/// Validate every document of a render against one Kubernetes version; panics listing errors.
pub fn validate_all(version: &str, docs: &[J], context: &str) {
    assert!(!docs.is_empty(), "{context}: nothing rendered");
    let mut names = std::collections::HashSet::new();
    let mut errors = Vec::new();
    for d in docs {
        errors.extend(object_errors(version, d));
        let key = (
            d["kind"].as_str().unwrap_or_default().to_string(),
            d["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        );
        if !names.insert(key.clone()) {
            errors.push(format!(
                "{}/{}: two objects with the same kind and name",
                key.0, key.1
            ));
        }
    }
    assert!(
        errors.is_empty(),
        "{context}: {} invalid against Kubernetes {version}:\n{}",
        errors.len(),
        errors.join("\n")
    );
}

/// The object of `kind` named `name`, if rendered.
pub fn try_find<'a>(docs: &'a [J], kind: &str, name: &str) -> Option<&'a J> {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
}

/// The object of `kind` named `name`; panics when it was not rendered.
pub fn find<'a>(docs: &'a [J], kind: &str, name: &str) -> &'a J {
    try_find(docs, kind, name).unwrap_or_else(|| panic!("no {kind} {name} rendered"))
}

/// The `args` of a workload's container.
pub fn container_args(obj: &J, container: usize) -> Vec<String> {
    obj["spec"]["template"]["spec"]["containers"][container]["args"]
        .as_array()
        .unwrap_or_else(|| panic!("no container {container} in {}", obj["metadata"]["name"]))
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

/// The values following `flag` up to the next `--flag`.
pub fn flag_values(args: &[String], flag: &str) -> Option<Vec<String>> {
    let i = args.iter().position(|a| a == flag)?;
    Some(
        args[i + 1..]
            .iter()
            .take_while(|a| !a.starts_with("--"))
            .cloned()
            .collect(),
    )
}
