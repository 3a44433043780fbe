//! The rules a kube-apiserver and its controllers enforce beyond the OpenAPI schemas, checked on
//! rendered manifests: names per kind, labels, annotations, ports, probes, resources,
//! selectors, strategies, Service options per type, volume mounts, the references between the
//! objects of one render and the in-cluster addresses passed in container arguments. Each rule
//! names the Kubernetes source it mirrors (Kubernetes 1.29-1.33: the charts declare >=1.29, so
//! environment variable names follow the strict rule that 1.32 started to relax).
//!
//! `check` returns every finding; `assert_no_errors` fails a test on the errors.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value as J;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Rejected by the API server or a controller, or an object that cannot work.
    Error,
    /// Accepted, with an API warning or a likely misbehaviour.
    Warning,
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub severity: Severity,
    pub rule: &'static str,
    pub object: String,
    pub message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{sev} [{}] {}: {}", self.rule, self.object, self.message)
    }
}

/// Fail with every error of `docs` (warnings are listed too, but do not fail).
pub fn assert_no_errors(docs: &[J], context: &str) {
    let findings = check(docs);
    let errors: Vec<String> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "{context}: {} semantic error(s):\n{}",
        errors.len(),
        errors.join("\n")
    );
}

/// Every finding of one render.
pub fn check(docs: &[J]) -> Vec<Finding> {
    let render = Render::new(docs);
    let mut out = Findings::default();
    for (key, n) in &render.duplicates {
        out.error(
            "duplicate",
            key,
            format!("rendered {n} times (helm refuses: already exists)"),
        );
    }
    for o in &render.objects {
        let mut cx = Cx {
            out: &mut out,
            id: id(o),
            render: &render,
            ns: ns_of(o),
        };
        cx.metadata(o);
        match kind(o) {
            "ConfigMap" => cx.config_map(o),
            "Service" => cx.service(o),
            "ServiceMonitor" => cx.service_monitor(o),
            "Ingress" => cx.ingress(o),
            "PodDisruptionBudget" => cx.pdb(o),
            "HorizontalPodAutoscaler" => cx.hpa(o),
            "NetworkPolicy" => cx.network_policy(o),
            "HTTPRoute" | "GRPCRoute" => cx.route(o),
            _ => {}
        }
        if pod_template(o).is_some() {
            cx.workload(o);
        }
    }
    out.0
}

#[derive(Default)]
struct Findings(Vec<Finding>);

impl Findings {
    fn error(&mut self, rule: &'static str, object: &str, message: String) {
        self.push(Severity::Error, rule, object, message);
    }
    fn push(&mut self, severity: Severity, rule: &'static str, object: &str, message: String) {
        self.0.push(Finding {
            severity,
            rule,
            object: object.to_string(),
            message,
        });
    }
}

/// The objects of one render, indexed the ways the rules look them up.
struct Render<'a> {
    objects: Vec<&'a J>,
    by_key: HashMap<(String, String, String), &'a J>,
    duplicates: BTreeMap<String, usize>,
    /// (namespace, template labels, pod spec) of every pod template.
    pods: Vec<(String, BTreeMap<String, String>, &'a J)>,
}

impl<'a> Render<'a> {
    fn new(docs: &'a [J]) -> Render<'a> {
        let objects: Vec<&J> = docs.iter().filter(|d| d.is_object()).collect();
        let mut by_key = HashMap::new();
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        let mut pods = Vec::new();
        for o in &objects {
            let key = (kind(o).to_string(), ns_of(o), name(o).to_string());
            *seen.entry(id(o)).or_default() += 1;
            by_key.insert(key, *o);
            if let Some((meta, spec)) = pod_template(o) {
                pods.push((ns_of(o), string_map(&meta["labels"]), spec));
            }
        }
        let duplicates = seen.into_iter().filter(|(_, n)| *n > 1).collect();
        Render {
            objects,
            by_key,
            duplicates,
            pods,
        }
    }

    fn find(&self, kind: &str, ns: &str, name: &str) -> Option<&'a J> {
        self.by_key
            .get(&(kind.to_string(), ns.to_string(), name.to_string()))
            .copied()
    }

    /// Pod templates of `ns` whose labels a Service-style selector (all pairs) matches.
    fn selected(&self, ns: &str, selector: &BTreeMap<String, String>) -> Vec<&'a J> {
        self.pods
            .iter()
            .filter(|(pns, labels, _)| {
                pns == ns && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
            })
            .map(|(_, _, spec)| *spec)
            .collect()
    }
}

fn kind(o: &J) -> &str {
    o["kind"].as_str().unwrap_or("")
}

fn name(o: &J) -> &str {
    o["metadata"]["name"].as_str().unwrap_or("")
}

fn ns_of(o: &J) -> String {
    o["metadata"]["namespace"]
        .as_str()
        .unwrap_or("default")
        .to_string()
}

fn id(o: &J) -> String {
    format!("{}/{}", kind(o), name(o))
}

fn string_map(v: &J) -> BTreeMap<String, String> {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().map_or(v.to_string(), String::from)))
                .collect()
        })
        .unwrap_or_default()
}

fn items(v: &J) -> &[J] {
    v.as_array().map_or(&[], |a| a.as_slice())
}

/// (template metadata, pod spec) of a workload, or (metadata, spec) of a bare Pod.
fn pod_template(o: &J) -> Option<(&J, &J)> {
    match kind(o) {
        "Pod" => Some((&o["metadata"], &o["spec"])),
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => Some((
            &o["spec"]["template"]["metadata"],
            &o["spec"]["template"]["spec"],
        )),
        "CronJob" => {
            let t = &o["spec"]["jobTemplate"]["spec"]["template"];
            Some((&t["metadata"], &t["spec"]))
        }
        _ => None,
    }
}

// --- k8s.io/apimachinery/pkg/util/validation ----------------------------------------------

fn is_dns1123_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// IsDNS1035Label: a DNS-1123 label that starts with a letter.
fn is_dns1035_label(s: &str) -> bool {
    is_dns1123_label(s) && s.as_bytes()[0].is_ascii_lowercase()
}

/// IsDNS1123Subdomain: at most 253 characters of dot-separated DNS-1123 label shapes (the
/// parts are not limited to 63 each).
fn is_dns1123_subdomain(s: &str) -> bool {
    let label_shape = |p: &str| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !p.starts_with('-')
            && !p.ends_with('-')
    };
    s.len() <= 253 && s.split('.').all(label_shape)
}

/// IsValidLabelValue: at most 63 of `[-_.A-Za-z0-9]`, alphanumeric at both ends, or empty.
fn is_label_value(s: &str) -> bool {
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    s.is_empty()
        || (s.len() <= 63
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            && alnum(s.chars().next())
            && alnum(s.chars().last()))
}

/// IsQualifiedName: `[prefix/]name`, the prefix a DNS subdomain, the name a non-empty label value.
fn is_qualified_name(s: &str) -> bool {
    let (prefix, name) = match s.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, s),
    };
    prefix.is_none_or(|p| !p.is_empty() && is_dns1123_subdomain(p))
        && !name.is_empty()
        && is_label_value(name)
}

/// IsValidPortName (IANA_SVC_NAME): 1-15 of `[-a-z0-9]`, a letter, no `--`, no `-` at the ends.
fn is_port_name(s: &str) -> bool {
    (1..=15).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && s.bytes().any(|b| b.is_ascii_lowercase())
        && !s.contains("--")
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// IsEnvVarName (strict, before RelaxedEnvironmentVariableValidation).
fn is_env_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || "-._".contains(c))
        && chars.all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
}

/// IsConfigMapKey.
fn is_config_map_key(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
        && s != "."
        && !s.starts_with("..")
}

fn is_port_number(v: &J) -> bool {
    v.as_i64().is_some_and(|p| (1..=65535).contains(&p))
}

/// A resource.Quantity, scaled to a float (enough to compare requests with limits).
fn quantity(v: &J) -> Option<f64> {
    let s = match v {
        J::String(s) => s.trim().to_string(),
        J::Number(n) => n.to_string(),
        _ => return None,
    };
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(s.len());
    let (num, suffix) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let scale = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024f64,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        e if e.starts_with(['e', 'E']) => 10f64.powi(e[1..].parse().ok()?),
        _ => return None,
    };
    Some(n * scale)
}

/// An int-or-percent (`maxSurge`, `maxUnavailable`): its number, or None when it is neither.
fn int_or_percent(v: &J) -> Option<i64> {
    match v {
        J::Number(n) => n.as_i64().filter(|i| *i >= 0),
        J::String(s) => s.strip_suffix('%').and_then(|p| p.parse().ok()),
        _ => None,
    }
}

struct Cx<'r, 'a> {
    out: &'r mut Findings,
    id: String,
    render: &'r Render<'a>,
    ns: String,
}

impl Cx<'_, '_> {
    fn error(&mut self, rule: &'static str, message: String) {
        self.out.push(Severity::Error, rule, &self.id, message);
    }

    fn warn(&mut self, rule: &'static str, message: String) {
        self.out.push(Severity::Warning, rule, &self.id, message);
    }

    /// ValidateObjectMeta: the name rule of each kind (Service: ValidateServiceName, a DNS-1035
    /// label; StatefulSet since 1.31 and Namespace: a DNS-1123 label, the others a DNS-1123
    /// subdomain), the namespace a DNS-1123 label, labels and annotations.
    fn metadata(&mut self, o: &J) {
        let n = name(o);
        let (ok, rule) = match kind(o) {
            "Service" => (
                is_dns1035_label(n),
                "a DNS-1035 label (63 characters, starting with a letter)",
            ),
            "StatefulSet" | "Namespace" => {
                (is_dns1123_label(n), "a DNS-1123 label (63 characters)")
            }
            _ => (is_dns1123_subdomain(n), "a DNS-1123 subdomain"),
        };
        if !ok {
            self.error("name", format!("metadata.name {n:?} must be {rule}"));
        }
        if let Some(ns) = o["metadata"]["namespace"].as_str() {
            if !is_dns1123_label(ns) {
                self.error(
                    "name",
                    format!("metadata.namespace {ns:?} must be a DNS-1123 label"),
                );
            }
        }
        self.labels(&o["metadata"]["labels"], "metadata.labels");
        self.annotations(&o["metadata"]["annotations"], "metadata.annotations");
    }

    /// ValidateLabels: keys are qualified names, values label values (strings).
    fn labels(&mut self, labels: &J, place: &str) {
        for (k, v) in labels.as_object().into_iter().flatten() {
            if !is_qualified_name(k) {
                self.error(
                    "label",
                    format!("{place}: key {k:?} is not a qualified name"),
                );
            }
            match v.as_str() {
                Some(s) if is_label_value(s) => {}
                _ => self.error("label", format!("{place}[{k}]: {v} is not a label value (a string of at most 63 of [-_.A-Za-z0-9], alphanumeric at both ends)")),
            }
        }
    }

    /// ValidateAnnotations: qualified keys, string values, 256 KiB in all.
    fn annotations(&mut self, ann: &J, place: &str) {
        let mut total = 0;
        for (k, v) in ann.as_object().into_iter().flatten() {
            if !is_qualified_name(&k.to_lowercase()) {
                self.error(
                    "annotation",
                    format!("{place}: key {k:?} is not a qualified name"),
                );
            }
            match v.as_str() {
                Some(s) => total += k.len() + s.len(),
                None => self.error("annotation", format!("{place}[{k}] must be a string")),
            }
        }
        if total > 256 * 1024 {
            self.error("annotation", format!("{place}: {total} bytes > 262144"));
        }
    }

    fn selector_syntax(&mut self, sel: &J, place: &str) {
        self.labels(&sel["matchLabels"], &format!("{place}.matchLabels"));
        for (i, e) in items(&sel["matchExpressions"]).iter().enumerate() {
            let op = e["operator"].as_str().unwrap_or("");
            let has_values = !items(&e["values"]).is_empty();
            match op {
                "In" | "NotIn" if !has_values => self.error(
                    "selector",
                    format!("{place}.matchExpressions[{i}]: `{op}` needs values"),
                ),
                "Exists" | "DoesNotExist" if has_values => self.error(
                    "selector",
                    format!("{place}.matchExpressions[{i}]: `{op}` takes no values"),
                ),
                _ => {}
            }
        }
    }

    /// ValidateConfigMap: keys, string values, 1 MiB.
    fn config_map(&mut self, o: &J) {
        let mut size = 0;
        for (k, v) in o["data"].as_object().into_iter().flatten() {
            if !is_config_map_key(k) {
                self.error(
                    "configmap",
                    format!("key {k:?} must be alphanumerics, `-`, `_` or `.`"),
                );
            }
            match v.as_str() {
                Some(s) => size += s.len(),
                None => self.error("configmap", format!("data[{k}] must be a string")),
            }
        }
        if size > 1024 * 1024 {
            self.error("configmap", format!("data is {size} bytes > 1048576"));
        }
    }

    /// ValidateService: ports, names, target ports, options per type; the selector must select
    /// a pod of the render and named target ports must exist there.
    fn service(&mut self, o: &J) {
        let spec = &o["spec"];
        let ty = spec["type"].as_str().unwrap_or("ClusterIP");
        let headless = spec["clusterIP"].as_str() == Some("None");
        let ports = items(&spec["ports"]);
        if ports.is_empty() && ty != "ExternalName" && !headless {
            self.error("service", "spec.ports: Required value".into());
        }
        let mut names = BTreeSet::new();
        let mut pairs = BTreeSet::new();
        for (i, p) in ports.iter().enumerate() {
            let place = format!("spec.ports[{i}]");
            match p["name"].as_str() {
                Some(n) => {
                    if !is_dns1123_label(n) {
                        self.error(
                            "service",
                            format!("{place}.name {n:?} must be a DNS-1123 label"),
                        );
                    }
                    if !names.insert(n.to_string()) {
                        self.error("service", format!("{place}.name {n:?}: Duplicate value"));
                    }
                }
                None if ports.len() > 1 => self.error(
                    "service",
                    format!("{place}.name: Required value (several ports)"),
                ),
                None => {}
            }
            if !is_port_number(&p["port"]) {
                self.error(
                    "service",
                    format!("{place}.port {}: must be 1-65535", p["port"]),
                );
            }
            if !pairs.insert((
                p["port"].to_string(),
                p["protocol"].as_str().unwrap_or("TCP").to_string(),
            )) {
                self.error("service", format!("{place}: duplicate port and protocol"));
            }
            match &p["targetPort"] {
                J::String(t) if !is_port_name(t) => self.error(
                    "service",
                    format!("{place}.targetPort {t:?} is not a port name"),
                ),
                J::Null | J::String(_) => {}
                t if !is_port_number(t) => self.error(
                    "service",
                    format!("{place}.targetPort {t}: must be 1-65535"),
                ),
                _ => {}
            }
            if !p["nodePort"].is_null() && !matches!(ty, "NodePort" | "LoadBalancer") {
                self.error(
                    "service",
                    format!("{place}.nodePort: Forbidden: may not be used when `type` is '{ty}'"),
                );
            }
        }
        if !spec["loadBalancerSourceRanges"].is_null() && ty != "LoadBalancer" {
            self.error("service", format!("spec.loadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer' (is '{ty}')"));
        }
        if headless && ty != "ClusterIP" {
            self.error(
                "service",
                format!("spec.clusterIP: None is only valid for type ClusterIP (is '{ty}')"),
            );
        }
        let selector = string_map(&spec["selector"]);
        if selector.is_empty() {
            return;
        }
        self.labels(&spec["selector"], "spec.selector");
        let selected = self.render.selected(&self.ns, &selector);
        if selected.is_empty() {
            self.error("service-selector", format!("spec.selector {selector:?} selects no pod of this render: the Service has no endpoints"));
            return;
        }
        let mut declared = BTreeSet::new();
        let mut named = BTreeSet::new();
        for spec in &selected {
            for c in items(&spec["containers"]) {
                for cp in items(&c["ports"]) {
                    declared.insert(cp["containerPort"].as_i64().unwrap_or(0));
                    named.insert(cp["name"].as_str().unwrap_or("").to_string());
                }
            }
        }
        for (i, p) in ports.iter().enumerate() {
            let target = if p["targetPort"].is_null() {
                &p["port"]
            } else {
                &p["targetPort"]
            };
            match target {
                J::String(t) if !named.contains(t) => self.error("service-port", format!("spec.ports[{i}].targetPort {t:?}: no container port of that name in the selected pods")),
                J::Number(n) if !declared.contains(&n.as_i64().unwrap_or(0)) => self.warn("service-port", format!("spec.ports[{i}].targetPort {n} is not a declared containerPort of the selected pods")),
                _ => {}
            }
        }
    }

    /// A ServiceMonitor must select a Service of the render and name one of its ports.
    fn service_monitor(&mut self, o: &J) {
        let spec = &o["spec"];
        let namespaces: Vec<String> = match items(&spec["namespaceSelector"]["matchNames"]) {
            [] => vec![self.ns.clone()],
            list => list
                .iter()
                .filter_map(|n| n.as_str().map(String::from))
                .collect(),
        };
        let selector = string_map(&spec["selector"]["matchLabels"]);
        let services: Vec<&J> = self
            .render
            .objects
            .iter()
            .filter(|s| kind(s) == "Service" && namespaces.contains(&ns_of(s)))
            .filter(|s| {
                selector
                    .iter()
                    .all(|(k, v)| s["metadata"]["labels"][k].as_str() == Some(v))
            })
            .copied()
            .collect();
        if services.is_empty() {
            self.error(
                "servicemonitor",
                format!("spec.selector {selector:?} selects no Service of this render"),
            );
            return;
        }
        for (i, ep) in items(&spec["endpoints"]).iter().enumerate() {
            if let Some(port) = ep["port"].as_str() {
                let found = services.iter().any(|s| {
                    items(&s["spec"]["ports"])
                        .iter()
                        .any(|p| p["name"].as_str() == Some(port))
                });
                if !found {
                    self.error("servicemonitor", format!("spec.endpoints[{i}].port {port:?}: no selected Service has a port of that name"));
                }
            }
        }
    }

    /// ValidateIngressSpec, and backends that exist.
    fn ingress(&mut self, o: &J) {
        let spec = &o["spec"];
        for (r, rule) in items(&spec["rules"]).iter().enumerate() {
            if let Some(host) = rule["host"].as_str() {
                if !is_dns1123_subdomain(host.strip_prefix("*.").unwrap_or(host)) {
                    self.error(
                        "ingress",
                        format!("spec.rules[{r}].host {host:?} is not a DNS-1123 subdomain"),
                    );
                }
            }
            for (p, path) in items(&rule["http"]["paths"]).iter().enumerate() {
                let absolute = path["path"].as_str().is_some_and(|s| s.starts_with('/'));
                if matches!(path["pathType"].as_str(), Some("Prefix" | "Exact")) && !absolute {
                    self.error(
                        "ingress",
                        format!("spec.rules[{r}].http.paths[{p}].path must be absolute"),
                    );
                }
                self.backend(
                    &path["backend"],
                    &format!("spec.rules[{r}].http.paths[{p}].backend"),
                );
            }
        }
        if !spec["defaultBackend"].is_null() {
            self.backend(&spec["defaultBackend"], "spec.defaultBackend");
        }
    }

    fn backend(&mut self, backend: &J, place: &str) {
        let Some(svc_name) = backend["service"]["name"].as_str() else {
            return;
        };
        let Some(svc) = self.render.find("Service", &self.ns, svc_name) else {
            self.error(
                "ingress",
                format!("{place}: Service {svc_name:?} is not in this render"),
            );
            return;
        };
        let port = &backend["service"]["port"];
        let ports = items(&svc["spec"]["ports"]);
        let ok = if !port["number"].is_null() {
            ports.iter().any(|p| p["port"] == port["number"])
        } else {
            port["name"].is_null() || ports.iter().any(|p| p["name"] == port["name"])
        };
        if !ok {
            self.error(
                "ingress",
                format!("{place}: Service {svc_name:?} has no port {port}"),
            );
        }
    }

    /// ValidatePodDisruptionBudgetSpec, and a selector that selects pods.
    fn pdb(&mut self, o: &J) {
        let spec = &o["spec"];
        if !spec["minAvailable"].is_null() && !spec["maxUnavailable"].is_null() {
            self.error(
                "pdb",
                "minAvailable and maxUnavailable cannot both be set".into(),
            );
        }
        let selector = string_map(&spec["selector"]["matchLabels"]);
        if self.render.selected(&self.ns, &selector).is_empty() {
            self.error(
                "pdb",
                format!("spec.selector {selector:?} selects no pod of this render"),
            );
        }
    }

    fn hpa(&mut self, o: &J) {
        let spec = &o["spec"];
        let target = &spec["scaleTargetRef"];
        let workload = self.render.find(
            target["kind"].as_str().unwrap_or(""),
            &self.ns,
            target["name"].as_str().unwrap_or(""),
        );
        // helm sets every field it renders on each upgrade: a count beside an autoscaler resets
        // what the autoscaler chose.
        if workload.is_some_and(|w| !w["spec"]["replicas"].is_null()) {
            self.error(
                "hpa",
                format!(
                    "{}/{} renders spec.replicas, which every upgrade would reset under the autoscaler",
                    target["kind"], target["name"]
                ),
            );
        }
        if workload.is_none() {
            self.error(
                "hpa",
                format!(
                    "spec.scaleTargetRef {}/{} is not in this render",
                    target["kind"], target["name"]
                ),
            );
        }
        if let (Some(min), Some(max)) = (spec["minReplicas"].as_i64(), spec["maxReplicas"].as_i64())
        {
            if min > max {
                self.error("hpa", "spec.minReplicas must be <= maxReplicas".into());
            }
        }
    }

    /// ValidateNetworkPolicySpec (ports, peers) and a pod selector that selects pods.
    fn network_policy(&mut self, o: &J) {
        let spec = &o["spec"];
        let selector = string_map(&spec["podSelector"]["matchLabels"]);
        if self.render.selected(&self.ns, &selector).is_empty() {
            self.error(
                "networkpolicy",
                format!("spec.podSelector {selector:?} selects no pod of this render"),
            );
        }
        for (dir, peers_key) in [("ingress", "from"), ("egress", "to")] {
            for (r, rule) in items(&spec[dir]).iter().enumerate() {
                for (p, port) in items(&rule["ports"]).iter().enumerate() {
                    let proto = port["protocol"].as_str().unwrap_or("TCP");
                    if !matches!(proto, "TCP" | "UDP" | "SCTP") {
                        self.error(
                            "networkpolicy",
                            format!("spec.{dir}[{r}].ports[{p}].protocol {proto:?}"),
                        );
                    }
                    if !port["port"].is_null()
                        && !is_port_number(&port["port"])
                        && !port["port"].as_str().is_some_and(is_port_name)
                    {
                        self.error(
                            "networkpolicy",
                            format!(
                                "spec.{dir}[{r}].ports[{p}].port {} is invalid",
                                port["port"]
                            ),
                        );
                    }
                }
                for (i, peer) in items(&rule[peers_key]).iter().enumerate() {
                    let place = format!("spec.{dir}[{r}].{peers_key}[{i}]");
                    let block = !peer["ipBlock"].is_null();
                    let selectors =
                        !peer["podSelector"].is_null() || !peer["namespaceSelector"].is_null();
                    if block == selectors {
                        self.error(
                            "networkpolicy",
                            format!("{place}: exactly one of ipBlock or the selectors may be set"),
                        );
                    }
                    for key in ["podSelector", "namespaceSelector"] {
                        if !peer[key].is_null() {
                            self.selector_syntax(&peer[key], &format!("{place}.{key}"));
                        }
                    }
                }
            }
        }
    }

    /// A Gateway API route's backends: Services of this render, on ports they have.
    fn route(&mut self, o: &J) {
        for (r, rule) in items(&o["spec"]["rules"]).iter().enumerate() {
            for (b, backend) in items(&rule["backendRefs"]).iter().enumerate() {
                let name = backend["name"].as_str().unwrap_or("");
                let place = format!("spec.rules[{r}].backendRefs[{b}]");
                match self.render.find("Service", &self.ns, name) {
                    None => self.error(
                        "route",
                        format!("{place}: Service {name:?} is not in this render"),
                    ),
                    Some(svc)
                        if !items(&svc["spec"]["ports"])
                            .iter()
                            .any(|p| p["port"] == backend["port"]) =>
                    {
                        self.error(
                            "route",
                            format!("{place}: Service {name:?} has no port {}", backend["port"]),
                        )
                    }
                    Some(_) => {}
                }
            }
        }
    }

    /// Deployments, StatefulSets and Pods: the controllers' rules, then the pod spec.
    fn workload(&mut self, o: &J) {
        let (meta, pod) = pod_template(o).expect("workload");
        let spec = &o["spec"];
        let k = kind(o);
        if k != "Pod" {
            let labels = string_map(&meta["labels"]);
            let sel = &spec["selector"];
            let empty = sel["matchLabels"].as_object().is_none_or(|m| m.is_empty())
                && items(&sel["matchExpressions"]).is_empty();
            if empty {
                self.error(
                    "selector",
                    "spec.selector: empty selector is invalid".into(),
                );
            } else {
                self.selector_syntax(sel, "spec.selector");
                if !selector_matches(sel, &labels) {
                    self.error(
                        "selector",
                        "spec.selector does not match template labels".into(),
                    );
                }
            }
            self.labels(&meta["labels"], "spec.template.metadata.labels");
            self.annotations(&meta["annotations"], "spec.template.metadata.annotations");
            if !spec["replicas"].is_null() && spec["replicas"].as_i64().is_none_or(|r| r < 0) {
                self.error(
                    "workload",
                    format!(
                        "spec.replicas {}: must be a non-negative integer",
                        spec["replicas"]
                    ),
                );
            }
            if pod["restartPolicy"].as_str().is_some_and(|p| p != "Always") {
                self.error(
                    "pod",
                    "template.spec.restartPolicy: only Always is supported".into(),
                );
            }
        }
        match k {
            "Deployment" => self.deployment_strategy(&spec["strategy"]),
            "StatefulSet" => self.stateful_set(o, meta),
            _ => {}
        }
        self.pod_spec(o, pod);
        self.addresses(pod);
    }

    /// ValidateDeploymentStrategy.
    fn deployment_strategy(&mut self, st: &J) {
        let ty = st["type"].as_str().unwrap_or("RollingUpdate");
        let ru = &st["rollingUpdate"];
        match ty {
            "Recreate" if !ru.is_null() => self.error("strategy", "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'".into()),
            "Recreate" => {}
            "RollingUpdate" => {
                let get = |k: &str| if ru[k].is_null() { J::from("25%") } else { ru[k].clone() };
                let (unavailable, surge) = (get("maxUnavailable"), get("maxSurge"));
                for (field, v) in [("maxUnavailable", &unavailable), ("maxSurge", &surge)] {
                    if int_or_percent(v).is_none() {
                        self.error("strategy", format!("spec.strategy.rollingUpdate.{field} {v}: must be a non-negative integer or a percentage"));
                    }
                }
                if int_or_percent(&unavailable) == Some(0) && int_or_percent(&surge) == Some(0) {
                    self.error("strategy", "spec.strategy.rollingUpdate.maxUnavailable: may not be 0 when `maxSurge` is 0".into());
                }
                if unavailable.as_str().is_some_and(|s| s.ends_with('%')) && int_or_percent(&unavailable).unwrap_or(0) > 100 {
                    self.error("strategy", "spec.strategy.rollingUpdate.maxUnavailable: must not be greater than 100%".into());
                }
            }
            other => self.error("strategy", format!("spec.strategy.type {other:?}: Recreate or RollingUpdate")),
        }
    }

    /// ValidateStatefulSetSpec and what its controller needs: a name whose
    /// controller-revision-hash label fits (kubernetes#64023), pod names that are DNS labels, an
    /// update strategy it accepts, and a headless governing Service selecting its pods.
    fn stateful_set(&mut self, o: &J, meta: &J) {
        let n = name(o);
        let spec = &o["spec"];
        if n.len() > 52 {
            self.error("sts-name", format!("name is {} characters: the pods' controller-revision-hash label `{n}-<10 characters>` would be {} > 63, so the controller creates no pods (kubernetes#64023)", n.len(), n.len() + 11));
        }
        let replicas = spec["replicas"].as_i64().unwrap_or(1).max(1);
        if format!("{n}-{}", replicas - 1).len() > 63 {
            self.error(
                "sts-name",
                format!("pod name {n}-{} is longer than 63 characters", replicas - 1),
            );
        }
        let us = &spec["updateStrategy"];
        if us["type"].as_str() == Some("OnDelete") && !us["rollingUpdate"].is_null() {
            self.error(
                "strategy",
                "spec.updateStrategy.rollingUpdate: only allowed for RollingUpdate".into(),
            );
        }
        if int_or_percent(&us["rollingUpdate"]["maxUnavailable"]) == Some(0) {
            self.error(
                "strategy",
                "spec.updateStrategy.rollingUpdate.maxUnavailable: cannot be 0".into(),
            );
        }
        if let Some(p) = spec["podManagementPolicy"].as_str() {
            if !matches!(p, "OrderedReady" | "Parallel") {
                self.error(
                    "workload",
                    format!("spec.podManagementPolicy {p:?}: OrderedReady or Parallel"),
                );
            }
        }
        let Some(service) = spec["serviceName"].as_str() else {
            return;
        };
        match self.render.find("Service", &self.ns, service) {
            None => self.error(
                "sts-service",
                format!("spec.serviceName {service:?}: no such Service in this render"),
            ),
            Some(svc) => {
                if svc["spec"]["clusterIP"].as_str() != Some("None") {
                    self.error("sts-service", format!("spec.serviceName {service:?} is not headless: the pods get no DNS records"));
                }
                let labels = string_map(&meta["labels"]);
                if !string_map(&svc["spec"]["selector"])
                    .iter()
                    .all(|(k, v)| labels.get(k) == Some(v))
                {
                    self.error(
                        "sts-service",
                        format!(
                            "spec.serviceName {service:?} does not select this StatefulSet's pods"
                        ),
                    );
                }
            }
        }
    }

    fn pod_spec(&mut self, o: &J, pod: &J) {
        let containers = items(&pod["containers"]);
        if containers.is_empty() {
            self.error("container", "the pod has no containers".into());
        }
        // The ServiceAccount admission plugin refuses a pod whose account does not exist: an
        // account the render does not create must exist already.
        if let Some(sa) = pod["serviceAccountName"].as_str() {
            if self.render.find("ServiceAccount", &self.ns, sa).is_none() {
                self.warn(
                    "serviceaccount",
                    format!("serviceAccountName {sa:?} is not in this render; it must exist"),
                );
            }
        }
        let mut volumes = BTreeSet::new();
        for (i, v) in items(&pod["volumes"]).iter().enumerate() {
            let n = v["name"].as_str().unwrap_or("");
            if !is_dns1123_label(n) {
                self.error(
                    "volume",
                    format!("volumes[{i}].name {n:?} must be a DNS-1123 label"),
                );
            }
            if !volumes.insert(n.to_string()) {
                self.error(
                    "volume",
                    format!("volumes[{i}].name {n:?}: Duplicate value"),
                );
            }
            if let Some(cm) = v["configMap"]["name"].as_str() {
                self.config_map_ref(
                    cm,
                    v["configMap"]["optional"].as_bool() == Some(true),
                    None,
                    &format!("volumes[{i}]"),
                );
            }
        }
        if kind(o) == "StatefulSet" {
            for (i, t) in items(&o["spec"]["volumeClaimTemplates"]).iter().enumerate() {
                let n = t["metadata"]["name"].as_str().unwrap_or("");
                if !is_dns1123_label(n) {
                    self.error("volume", format!("volumeClaimTemplates[{i}].metadata.name {n:?} must be a DNS-1123 label"));
                }
                if !volumes.insert(n.to_string()) {
                    self.error(
                        "volume",
                        format!("volumeClaimTemplates[{i}].metadata.name {n:?}: Duplicate value"),
                    );
                }
                if items(&t["spec"]["accessModes"]).is_empty() {
                    self.error(
                        "volume",
                        format!("volumeClaimTemplates[{i}]: spec.accessModes required"),
                    );
                }
                if quantity(&t["spec"]["resources"]["requests"]["storage"]).is_none_or(|q| q <= 0.0)
                {
                    self.error("volume", format!("volumeClaimTemplates[{i}]: resources.requests.storage must be a positive quantity"));
                }
            }
        }
        let mut names = BTreeSet::new();
        let mut port_defs: BTreeMap<String, String> = BTreeMap::new();
        let mut port_names: BTreeMap<String, String> = BTreeMap::new();
        for (group, list) in [
            ("initContainers", items(&pod["initContainers"])),
            ("containers", containers),
        ] {
            for (i, c) in list.iter().enumerate() {
                let place = format!("{group}[{i}]");
                let cname = c["name"].as_str().unwrap_or("");
                if !is_dns1123_label(cname) {
                    self.error(
                        "container",
                        format!("{place}.name {cname:?} must be a DNS-1123 label"),
                    );
                }
                if !names.insert(cname.to_string()) {
                    self.error(
                        "container",
                        format!("{place}.name {cname:?}: Duplicate value"),
                    );
                }
                if c["image"]
                    .as_str()
                    .is_none_or(|i| i.is_empty() || i.trim() != i)
                {
                    self.error(
                        "container",
                        format!("{place}.image: required, without surrounding spaces"),
                    );
                }
                self.container_ports(c, &place, cname, &mut port_defs, &mut port_names);
                self.env(c, &place);
                self.volume_mounts(c, &place, &volumes);
                self.resources(&c["resources"], &format!("{place}.resources"));
                self.probes(
                    c,
                    &place,
                    group == "initContainers" && c["restartPolicy"].as_str() != Some("Always"),
                );
            }
        }
        self.labels(&pod["nodeSelector"], "nodeSelector");
        if !pod["terminationGracePeriodSeconds"].is_null()
            && pod["terminationGracePeriodSeconds"]
                .as_i64()
                .is_none_or(|t| t < 0)
        {
            self.error("pod", "terminationGracePeriodSeconds must be >= 0".into());
        }
    }

    /// validateContainerPorts, and pkg/api/pod/warnings.go on ports repeated across containers.
    fn container_ports(
        &mut self,
        c: &J,
        place: &str,
        cname: &str,
        defs: &mut BTreeMap<String, String>,
        names: &mut BTreeMap<String, String>,
    ) {
        let mut own = BTreeSet::new();
        for (i, p) in items(&c["ports"]).iter().enumerate() {
            let pp = format!("{place}.ports[{i}]");
            if let Some(n) = p["name"].as_str() {
                if !is_port_name(n) {
                    self.error(
                        "port-name",
                        format!("{pp}.name {n:?} is not a port name (15 of [-a-z0-9], a letter)"),
                    );
                }
                if !own.insert(n.to_string()) {
                    self.error("port-name", format!("{pp}.name {n:?}: Duplicate value"));
                }
                match names.get(n) {
                    Some(other) if other != cname => self.warn("port-dup", format!("{pp}.name {n:?} is also a port of container {other}: named targets use the first")),
                    _ => {
                        names.entry(n.to_string()).or_insert_with(|| cname.to_string());
                    }
                }
            }
            if !is_port_number(&p["containerPort"]) {
                self.error(
                    "port",
                    format!("{pp}.containerPort {}: must be 1-65535", p["containerPort"]),
                );
            }
            let proto = p["protocol"].as_str().unwrap_or("TCP");
            if !matches!(proto, "TCP" | "UDP" | "SCTP") {
                self.error("port", format!("{pp}.protocol {proto:?}: TCP, UDP or SCTP"));
            }
            let key = format!(
                "{}/{proto}/{}/{}",
                p["containerPort"], p["hostIP"], p["hostPort"]
            );
            if let Some(first) = defs.get(&key) {
                self.warn(
                    "port-dup",
                    format!("{pp}: duplicate port definition with {first}"),
                );
            } else {
                defs.insert(key, pp.clone());
            }
        }
    }

    /// ValidateEnv and the kubelet's handling of envFrom; references to ConfigMaps of the render.
    fn env(&mut self, c: &J, place: &str) {
        let mut seen = BTreeSet::new();
        for (i, e) in items(&c["env"]).iter().enumerate() {
            let n = e["name"].as_str().unwrap_or("");
            if !is_env_name(n) {
                self.error(
                    "env",
                    format!("{place}.env[{i}].name {n:?} is not an environment variable name"),
                );
            }
            if !seen.insert(n.to_string()) {
                self.warn(
                    "env-dup",
                    format!("{place}.env[{i}].name {n:?} hides an earlier definition"),
                );
            }
            let from = &e["valueFrom"];
            if !e["value"].is_null() && !from.is_null() {
                self.error(
                    "env",
                    format!("{place}.env[{i}]: may not have both value and valueFrom"),
                );
            }
            if from.as_object().is_some_and(|m| m.len() != 1) {
                self.error(
                    "env",
                    format!("{place}.env[{i}].valueFrom: exactly one source"),
                );
            }
            if let Some(cm) = from["configMapKeyRef"]["name"].as_str() {
                let optional = from["configMapKeyRef"]["optional"].as_bool() == Some(true);
                self.config_map_ref(
                    cm,
                    optional,
                    from["configMapKeyRef"]["key"].as_str(),
                    &format!("{place}.env[{i}]"),
                );
            }
        }
        for (i, ef) in items(&c["envFrom"]).iter().enumerate() {
            let prefix = ef["prefix"].as_str().unwrap_or("");
            if !prefix.is_empty() && !is_env_name(prefix) {
                self.error(
                    "env",
                    format!("{place}.envFrom[{i}].prefix {prefix:?} is not a variable name"),
                );
            }
            if let Some(cm) = ef["configMapRef"]["name"].as_str() {
                let optional = ef["configMapRef"]["optional"].as_bool() == Some(true);
                if let Some(obj) =
                    self.config_map_ref(cm, optional, None, &format!("{place}.envFrom[{i}]"))
                {
                    for k in obj["data"]
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(k, _)| k)
                    {
                        if !is_env_name(&format!("{prefix}{k}")) {
                            self.warn("env", format!("{place}.envFrom[{i}]: ConfigMap key {k:?} is not a variable name; the kubelet skips it"));
                        }
                    }
                }
            }
        }
    }

    /// A ConfigMap a pod needs must be in the render (else CreateContainerConfigError).
    fn config_map_ref(
        &mut self,
        name: &str,
        optional: bool,
        key: Option<&str>,
        place: &str,
    ) -> Option<J> {
        let obj = self.render.find("ConfigMap", &self.ns, name);
        match obj {
            None if !optional => self.error("ref", format!("{place}: ConfigMap {name:?} is not in this render (CreateContainerConfigError)")),
            Some(cm) if key.is_some_and(|k| cm["data"][k].is_null() && cm["binaryData"][k].is_null()) && !optional => {
                self.error("ref", format!("{place}: key {key:?} is not in ConfigMap {name:?}"));
            }
            _ => {}
        }
        obj.cloned()
    }

    /// ValidateVolumeMounts: a pod volume (or claim template), a unique mount path.
    fn volume_mounts(&mut self, c: &J, place: &str, volumes: &BTreeSet<String>) {
        let mut paths = BTreeSet::new();
        for (i, m) in items(&c["volumeMounts"]).iter().enumerate() {
            let n = m["name"].as_str().unwrap_or("");
            if !volumes.contains(n) {
                self.error(
                    "volume-mount",
                    format!("{place}.volumeMounts[{i}].name {n:?}: no such volume"),
                );
            }
            match m["mountPath"].as_str() {
                None | Some("") => self.error(
                    "volume-mount",
                    format!("{place}.volumeMounts[{i}].mountPath: Required value"),
                ),
                Some(p) if !paths.insert(p.to_string()) => self.error(
                    "volume-mount",
                    format!("{place}.volumeMounts[{i}].mountPath {p:?} must be unique"),
                ),
                _ => {}
            }
        }
    }

    /// ValidateResourceRequirements: quantities, requests within limits, extended resources
    /// (not over-committable: anything but cpu, memory, storage and hugepages) with limits
    /// equal to requests.
    fn resources(&mut self, res: &J, place: &str) {
        let limits = &res["limits"];
        let requests = &res["requests"];
        for (section, map) in [("limits", limits), ("requests", requests)] {
            for (k, v) in map.as_object().into_iter().flatten() {
                if quantity(v).is_none() {
                    self.error(
                        "resources",
                        format!("{place}.{section}[{k}] {v} is not a quantity"),
                    );
                }
            }
        }
        for (k, v) in requests.as_object().into_iter().flatten() {
            let native = matches!(
                k.as_str(),
                "cpu" | "memory" | "ephemeral-storage" | "storage"
            ) || k.starts_with("hugepages-");
            match (quantity(v), quantity(&limits[k])) {
                (Some(r), Some(l)) if r > l => self.error(
                    "resources",
                    format!("{place}.requests[{k}] must be <= its limit"),
                ),
                (Some(r), Some(l)) if !native && r != l => self.error(
                    "resources",
                    format!("{place}.requests[{k}] must equal its limit (not over-committable)"),
                ),
                (Some(_), None) if !native => self.error(
                    "resources",
                    format!("{place}.requests[{k}]: a limit is required (not over-committable)"),
                ),
                _ => {}
            }
        }
    }

    /// validateProbe and friends: one handler, successThreshold 1 for liveness and startup,
    /// non-negative numbers, ports of the container.
    fn probes(&mut self, c: &J, place: &str, init: bool) {
        for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
            let p = &c[probe];
            if p.is_null() {
                continue;
            }
            let pp = format!("{place}.{probe}");
            if init {
                self.error("probe", format!("{pp}: may not be set for init containers"));
            }
            let handlers: Vec<&str> = ["exec", "httpGet", "tcpSocket", "grpc"]
                .into_iter()
                .filter(|h| !p[*h].is_null())
                .collect();
            if handlers.len() != 1 {
                self.error(
                    "probe",
                    format!("{pp}: needs exactly one handler (has {handlers:?})"),
                );
            }
            if probe != "readinessProbe" && p["successThreshold"].as_i64().unwrap_or(1) != 1 {
                self.error("probe", format!("{pp}.successThreshold: must be 1"));
            }
            for f in [
                "initialDelaySeconds",
                "timeoutSeconds",
                "periodSeconds",
                "successThreshold",
                "failureThreshold",
            ] {
                if !p[f].is_null()
                    && p[f]
                        .as_i64()
                        .is_none_or(|v| v < 0 || v > i64::from(i32::MAX))
                {
                    self.error(
                        "probe",
                        format!("{pp}.{f} {}: must be a non-negative 32-bit integer", p[f]),
                    );
                }
            }
            for h in ["httpGet", "tcpSocket", "grpc"] {
                let port = &p[h]["port"];
                let named = |n: &str| {
                    items(&c["ports"])
                        .iter()
                        .any(|cp| cp["name"].as_str() == Some(n))
                };
                match port {
                    J::Null => {}
                    J::String(n) if h != "grpc" && named(n) => {}
                    J::String(n) if h != "grpc" => self.error(
                        "probe",
                        format!("{pp}.{h}.port {n:?} is not a port name of this container"),
                    ),
                    p if !is_port_number(p) => {
                        self.error("probe", format!("{pp}.{h}.port {p}: must be 1-65535"))
                    }
                    _ => {}
                }
            }
        }
    }

    /// `<service>.<namespace>.svc[:port]` in a container's arguments or env, in this render's
    /// namespace: a Service of the render with that port (and a warning when it is headless and
    /// publishes pods that are not Ready).
    fn addresses(&mut self, pod: &J) {
        for c in items(&pod["containers"])
            .iter()
            .chain(items(&pod["initContainers"]))
        {
            let mut texts: Vec<String> = items(&c["command"])
                .iter()
                .chain(items(&c["args"]))
                .filter_map(|a| a.as_str().map(String::from))
                .collect();
            texts.extend(
                items(&c["env"])
                    .iter()
                    .filter_map(|e| e["value"].as_str().map(String::from)),
            );
            for text in &texts {
                for (svc, ns, port) in service_addresses(text) {
                    if ns != self.ns {
                        continue;
                    }
                    let cname = c["name"].as_str().unwrap_or("");
                    let Some(s) = self.render.find("Service", &ns, &svc) else {
                        self.error("address", format!("container {cname} addresses `{svc}.{ns}.svc`: no such Service in this render"));
                        continue;
                    };
                    let ports: Vec<i64> = items(&s["spec"]["ports"])
                        .iter()
                        .filter_map(|p| p["port"].as_i64())
                        .collect();
                    if let Some(port) = port {
                        if !ports.contains(&port) {
                            self.error("address", format!("container {cname} addresses `{svc}.{ns}.svc:{port}`: the Service has ports {ports:?}"));
                        }
                    }
                    if s["spec"]["clusterIP"].as_str() == Some("None")
                        && s["spec"]["publishNotReadyAddresses"].as_bool() == Some(true)
                    {
                        self.warn("address", format!("container {cname} sends to headless Service {svc} with publishNotReadyAddresses: DNS returns pods that fail readiness"));
                    }
                }
            }
        }
    }
}

/// A LabelSelector (matchLabels and matchExpressions) against a label set.
fn selector_matches(sel: &J, labels: &BTreeMap<String, String>) -> bool {
    let pairs = string_map(&sel["matchLabels"]);
    pairs.iter().all(|(k, v)| labels.get(k) == Some(v))
        && items(&sel["matchExpressions"]).iter().all(|e| {
            let key = e["key"].as_str().unwrap_or("");
            let values: Vec<&str> = items(&e["values"])
                .iter()
                .filter_map(|v| v.as_str())
                .collect();
            let value = labels.get(key).map(String::as_str);
            match e["operator"].as_str() {
                Some("In") => value.is_some_and(|v| values.contains(&v)),
                Some("NotIn") => value.is_none_or(|v| !values.contains(&v)),
                Some("Exists") => value.is_some(),
                Some("DoesNotExist") => value.is_none(),
                _ => false,
            }
        })
}

/// Every `<service>.<namespace>.svc[.cluster.local][:port]` in a text (service, namespace,
/// port). Service names are taken with upper case and `_`, so an invalid one is reported whole.
fn service_addresses(text: &str) -> Vec<(String, String, Option<i64>)> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(at) = text[i..].find(".svc") {
        let end = i + at;
        i = end + 4;
        let before = &text[..end];
        let Some(dot) = before.rfind('.') else {
            continue;
        };
        let ns = &before[dot + 1..];
        let start = before[..dot]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .map_or(0, |p| p + 1);
        let svc = &before[start..dot];
        if svc.is_empty()
            || ns.is_empty()
            || !ns
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            continue;
        }
        if start > 0 && bytes[start - 1] == b'.' {
            continue; // `a.b.c.svc`: not a Service address
        }
        let mut rest = &text[i..];
        if let Some(r) = rest.strip_prefix(".cluster.local") {
            rest = r;
        }
        let port = rest.strip_prefix(':').and_then(|r| {
            let digits: String = r.chars().take_while(|c| c.is_ascii_digit()).collect();
            digits.parse().ok()
        });
        out.push((svc.to_string(), ns.to_string(), port));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_found_in_urls_and_json() {
        let got = service_addresses(
            r#"{"a": ["grpc://r-x-a.demo.svc:8080"], "b": "r-x-b-0.demo.svc.cluster.local:8081"}"#,
        );
        assert_eq!(
            got,
            vec![
                ("r-x-a".into(), "demo".into(), Some(8080)),
                ("r-x-b-0".into(), "demo".into(), Some(8081)),
            ]
        );
    }
}
