//! The rules of a render that a server-side dry run of its objects, one at a time, cannot show
//! (`cluster::matrix` runs that dry run, with PodSecurity, on every render of the matrix): the
//! references between the objects of one render, what controllers and the kubelet refuse later,
//! and the kinds whose CRDs the test cluster lacks. Each rule, and why the dry run misses it:
//!
//! - `duplicate`: an object rendered twice; helm refuses the release, a dry run accepts each copy.
//! - `service-selector`, `service-port`: a selector selecting no pod of the render, a named
//!   targetPort no selected container declares; a Service without endpoints is a valid object.
//! - `servicemonitor`, `route`: ServiceMonitor and HTTP/GRPCRoute selectors, backends and ports
//!   must be Services of the render; the dry run skips these kinds (no CRDs on the cluster).
//! - `ingress`: a backend naming a Service or port the render lacks; only the names are validated.
//! - `pdb`, `networkpolicy`: a pod selector selecting no pod of the render; valid, but inert.
//! - `hpa`: a scale target absent from the render, or one rendering spec.replicas (every upgrade
//!   would reset the autoscaler's count); both need the other object.
//! - `sts-name`: a StatefulSet name over 52 characters; the controller-revision-hash label its
//!   controller adds later is then over 63, so no pod is created (kubernetes#64023).
//! - `sts-service`: serviceName must name a headless Service of the render selecting its pods.
//! - `container`, `port`, `env`, `volume`, `volume-mount`, `resources`, `probe`, `label`, `pod`
//!   on a StatefulSet only: the API server skips its pod template's PodSpec and claim templates
//!   (a TODO in ValidatePodTemplateSpecForStatefulSet), so errors come when the controller
//!   creates the pods and claims; Deployments' and Pods' pod specs are the dry run's.
//! - `probe` (every workload): a probe's named port must be a port of its container; the API
//!   server checks the name's syntax only, the kubelet fails the probe.
//! - `ref`: a ConfigMap or key (configMapKeyRef, envFrom, volumes) the render lacks; the
//!   kubelet's CreateContainerConfigError. Secrets are not checked: the charts never create one
//!   (env_from_secret names the installer's).
//! - `env` (warning): envFrom ConfigMap keys that are no variable names; the kubelet skips them.
//! - `serviceaccount` (warning): a serviceAccountName the render does not create; admission
//!   refuses the pods, not the workload.
//! - `address`: `<svc>.<ns>.svc[:port]` in container arguments or env that names no Service or
//!   port of the render.
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
        .map(std::string::ToString::to_string)
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
        match kind(o) {
            "Service" => cx.service(o),
            "ServiceMonitor" => cx.service_monitor(o),
            "Ingress" => cx.ingress(o),
            "PodDisruptionBudget" => {
                cx.selects_pods("pdb", &o["spec"]["selector"], "spec.selector");
            }
            "HorizontalPodAutoscaler" => cx.hpa(o),
            "NetworkPolicy" => cx.selects_pods(
                "networkpolicy",
                &o["spec"]["podSelector"],
                "spec.podSelector",
            ),
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

// --- k8s.io/apimachinery/pkg/util/validation, for StatefulSet pod templates ---------------

fn is_dns1123_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
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

/// IsQualifiedName: `[prefix/]name`, the prefix a DNS subdomain (253 characters of
/// dot-separated label shapes), the name a non-empty label value.
fn is_qualified_name(s: &str) -> bool {
    let (prefix, name) = match s.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, s),
    };
    let label_shape = |p: &str| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !p.starts_with('-')
            && !p.ends_with('-')
    };
    prefix.is_none_or(|p| p.len() <= 253 && p.split('.').all(label_shape))
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

/// IsEnvVarName (strict, before RelaxedEnvironmentVariableValidation: the charts declare
/// Kubernetes >=1.29).
fn is_env_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || "-._".contains(c))
        && chars.all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
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

    /// The selector must select a pod of the render and named target ports must exist there.
    fn service(&mut self, o: &J) {
        let spec = &o["spec"];
        let selector = string_map(&spec["selector"]);
        if selector.is_empty() {
            return;
        }
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
        for (i, p) in items(&spec["ports"]).iter().enumerate() {
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

    /// Backends that exist.
    fn ingress(&mut self, o: &J) {
        let spec = &o["spec"];
        for (r, rule) in items(&spec["rules"]).iter().enumerate() {
            for (p, path) in items(&rule["http"]["paths"]).iter().enumerate() {
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
        let ok = if port["number"].is_null() {
            port["name"].is_null() || ports.iter().any(|p| p["name"] == port["name"])
        } else {
            ports.iter().any(|p| p["port"] == port["number"])
        };
        if !ok {
            self.error(
                "ingress",
                format!("{place}: Service {svc_name:?} has no port {port}"),
            );
        }
    }

    /// A PodDisruptionBudget or NetworkPolicy selector must select pods of the render.
    fn selects_pods(&mut self, rule: &'static str, selector: &J, place: &str) {
        let selector = string_map(&selector["matchLabels"]);
        if self.render.selected(&self.ns, &selector).is_empty() {
            self.error(
                rule,
                format!("{place} {selector:?} selects no pod of this render"),
            );
        }
    }

    fn hpa(&mut self, o: &J) {
        let target = &o["spec"]["scaleTargetRef"];
        let workload = self.render.find(
            target["kind"].as_str().unwrap_or(""),
            &self.ns,
            target["name"].as_str().unwrap_or(""),
        );
        match workload {
            None => self.error(
                "hpa",
                format!(
                    "spec.scaleTargetRef {}/{} is not in this render",
                    target["kind"], target["name"]
                ),
            ),
            // A count the last revision rendered and this one omits is patched to null, which
            // the API server defaults to 1 pod: an autoscaled workload keeps rendering one (the
            // live count on a cluster; in a render without one, where the autoscaler starts).
            Some(w) => {
                let (min, max) = (&o["spec"]["minReplicas"], &o["spec"]["maxReplicas"]);
                let n = w["spec"]["replicas"].as_i64();
                let within = n.is_some_and(|n| {
                    min.as_i64().unwrap_or(1) <= n && max.as_i64().is_some_and(|m| n <= m)
                });
                if !within {
                    self.error(
                        "hpa",
                        format!(
                            "{}/{} renders spec.replicas {} outside the autoscaler's {min}..{max}",
                            target["kind"], target["name"], w["spec"]["replicas"]
                        ),
                    );
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
                        );
                    }
                    Some(_) => {}
                }
            }
        }
    }

    /// Workloads and Pods: the StatefulSet controller's rules, then the pod spec.
    fn workload(&mut self, o: &J) {
        let (meta, pod) = pod_template(o).expect("workload");
        if kind(o) == "StatefulSet" {
            self.stateful_set(o, meta);
        }
        self.pod_spec(o, pod);
        self.addresses(pod);
    }

    /// What the StatefulSet controller needs: a name whose controller-revision-hash label fits
    /// (kubernetes#64023), pod names that are DNS labels, and a headless governing Service
    /// selecting its pods.
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

    /// The references of every pod spec (ServiceAccount, ConfigMaps, probe port names); for a
    /// StatefulSet, whose template the API server does not validate, ValidatePodSpec too.
    fn pod_spec(&mut self, o: &J, pod: &J) {
        let full = kind(o) == "StatefulSet";
        let containers = items(&pod["containers"]);
        if full && containers.is_empty() {
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
            if full && !is_dns1123_label(n) {
                self.error(
                    "volume",
                    format!("volumes[{i}].name {n:?} must be a DNS-1123 label"),
                );
            }
            if !volumes.insert(n.to_string()) && full {
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
        if full {
            self.claim_templates(o, &mut volumes);
        }
        let mut names = BTreeSet::new();
        for (group, list) in [
            ("initContainers", items(&pod["initContainers"])),
            ("containers", containers),
        ] {
            for (i, c) in list.iter().enumerate() {
                let place = format!("{group}[{i}]");
                let init =
                    group == "initContainers" && c["restartPolicy"].as_str() != Some("Always");
                if full {
                    self.container(c, &place, &mut names);
                    self.volume_mounts(c, &place, &volumes);
                    self.resources(&c["resources"], &format!("{place}.resources"));
                }
                self.env(c, &place, full);
                self.probes(c, &place, init, full);
            }
        }
        if full {
            self.labels(&pod["nodeSelector"], "nodeSelector");
            if !pod["terminationGracePeriodSeconds"].is_null()
                && pod["terminationGracePeriodSeconds"]
                    .as_i64()
                    .is_none_or(|t| t < 0)
            {
                self.error("pod", "terminationGracePeriodSeconds must be >= 0".into());
            }
        }
    }

    /// A StatefulSet's volumeClaimTemplates: the controller creates claims of them.
    fn claim_templates(&mut self, o: &J, volumes: &mut BTreeSet<String>) {
        for (i, t) in items(&o["spec"]["volumeClaimTemplates"]).iter().enumerate() {
            let n = t["metadata"]["name"].as_str().unwrap_or("");
            if !is_dns1123_label(n) {
                self.error(
                    "volume",
                    format!(
                        "volumeClaimTemplates[{i}].metadata.name {n:?} must be a DNS-1123 label"
                    ),
                );
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
            if quantity(&t["spec"]["resources"]["requests"]["storage"]).is_none_or(|q| q <= 0.0) {
                self.error("volume", format!("volumeClaimTemplates[{i}]: resources.requests.storage must be a positive quantity"));
            }
        }
    }

    /// ValidateLabels (a StatefulSet template's nodeSelector): qualified keys, label values.
    fn labels(&mut self, labels: &J, place: &str) {
        for (k, v) in labels.as_object().into_iter().flatten() {
            if !is_qualified_name(k) {
                self.error(
                    "label",
                    format!("{place}: key {k:?} is not a qualified name"),
                );
            }
            if !v.as_str().is_some_and(is_label_value) {
                self.error("label", format!("{place}[{k}]: {v} is not a label value (a string of at most 63 of [-_.A-Za-z0-9], alphanumeric at both ends)"));
            }
        }
    }

    /// A StatefulSet's container: name, image, and validateContainerPorts.
    fn container(&mut self, c: &J, place: &str, names: &mut BTreeSet<String>) {
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
        let mut own = BTreeSet::new();
        for (i, p) in items(&c["ports"]).iter().enumerate() {
            let pp = format!("{place}.ports[{i}]");
            if let Some(n) = p["name"].as_str() {
                if !is_port_name(n) {
                    self.error(
                        "port",
                        format!("{pp}.name {n:?} is not a port name (15 of [-a-z0-9], a letter)"),
                    );
                }
                if !own.insert(n.to_string()) {
                    self.error("port", format!("{pp}.name {n:?}: Duplicate value"));
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
        }
    }

    /// References to ConfigMaps of the render, and the kubelet's handling of envFrom keys; for
    /// a StatefulSet, ValidateEnv too.
    fn env(&mut self, c: &J, place: &str, full: bool) {
        for (i, e) in items(&c["env"]).iter().enumerate() {
            let from = &e["valueFrom"];
            if full {
                let n = e["name"].as_str().unwrap_or("");
                if !is_env_name(n) {
                    self.error(
                        "env",
                        format!("{place}.env[{i}].name {n:?} is not an environment variable name"),
                    );
                }
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
            if full && !prefix.is_empty() && !is_env_name(prefix) {
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
                // Both parsed from decimal text the same way: equal quantities are equal floats.
                #[allow(clippy::float_cmp)]
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

    /// A probe's named port must be a port of its container (the kubelet's rule); for a
    /// StatefulSet, validateProbe too: one handler, successThreshold 1 for liveness and startup,
    /// non-negative numbers, port numbers in range.
    fn probes(&mut self, c: &J, place: &str, init: bool, full: bool) {
        for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
            let p = &c[probe];
            if p.is_null() {
                continue;
            }
            let pp = format!("{place}.{probe}");
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
                    p if full && !is_port_number(p) => {
                        self.error("probe", format!("{pp}.{h}.port {p}: must be 1-65535"));
                    }
                    _ => {}
                }
            }
            if !full {
                continue;
            }
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
            let digits: String = r.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        });
        out.push((svc.to_string(), ns.to_string(), port));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules(docs: &[J]) -> Vec<(&'static str, String)> {
        check(docs)
            .into_iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| (f.rule, f.object))
            .collect()
    }

    fn workload(kind: &str, name: &str, container: J) -> J {
        json!({"kind": kind, "metadata": {"name": name}, "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                         "spec": {"containers": [container]}}}})
    }

    #[test]
    fn a_statefulsets_pod_spec_is_checked_and_a_deployments_is_left_to_the_server() {
        // An environment variable name the API server refuses in a Deployment's template but
        // not in a StatefulSet's (the controller's pod creation fails).
        let c = json!({"name": "c", "image": "i", "env": [{"name": "1BAD", "value": "x"}]});
        let docs = [
            workload("Deployment", "d", c.clone()),
            workload("StatefulSet", "s", c),
        ];
        assert_eq!(rules(&docs), vec![("env", "StatefulSet/s".to_string())]);
    }

    #[test]
    fn cross_object_rules_report_duplicates_long_statefulsets_and_missing_references() {
        let long = "s".repeat(53);
        let c = json!({"name": "c", "image": "i", "envFrom": [{"configMapRef": {"name": "gone"}}]});
        let svc = json!({"kind": "Service", "metadata": {"name": "svc"},
                         "spec": {"selector": {"app": "nobody"}, "ports": [{"port": 80}]}});
        let docs = [
            workload("StatefulSet", &long, json!({"name": "c", "image": "i"})),
            workload("Deployment", "d", c),
            svc.clone(),
            svc,
        ];
        let got = rules(&docs);
        for want in [
            ("duplicate", "Service/svc".to_string()),
            ("sts-name", format!("StatefulSet/{long}")),
            ("ref", "Deployment/d".to_string()),
            ("service-selector", "Service/svc".to_string()),
        ] {
            assert!(got.contains(&want), "{want:?} not in {got:?}");
        }
    }

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
