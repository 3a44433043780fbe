//! JCloud's `jcloud:` blocks, translated into chart values.
//!
//! JCloud (Jina AI's hosted service) read `jcloud:` at the top of a Flow, under `gateway:`, on
//! each executor and at the top of a `jtype: Deployment`; Jina itself ignores them. Each key
//! JCloud documented becomes the values default it means, or a located warning saying why it
//! cannot and which value to set instead. A block is never refused: Jina accepts any of them.
//!
//! Sources (read, not copied): the JCloud configuration docs (jina-ai/serve
//! `docs/concepts/jcloud/configuration.md`, 2023), the `jcloud` client (jina-ai/jcloud v0.3.1) and
//! the operator's CRDs (jina-ai/helm-charts `charts/jcloud-operator/crds/*.yaml`, v0.0.5).
//! README.md, "Coming from JCloud", has the table this module implements.

use serde::Serialize;
use serde_json::{json, Value as J};

use crate::error::{Pos, Warning};
use crate::yaml::{Key, Node, Value};

/// One translated value: where it goes and what it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Setting {
    /// Dotted path in the workload's values (`resources.requests.cpu`), or in the chart's for
    /// [`Target::Global`] (`global.commonLabels`).
    pub path: String,
    pub value: J,
    /// The JCloud key it translates (`jcloud.resources.instance`), told in the values' docs.
    pub from: String,
    #[serde(skip)]
    pub target: Target,
}

/// Whose values a setting is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Target {
    /// The workload whose block it is.
    #[default]
    Own,
    /// The chart's top level (a Flow-level key).
    Global,
    /// The gateway (the Flow-level legacy `jcloud.gateway` block).
    Gateway,
    /// The gateway and every executor (a Flow-level `monitor`).
    Every,
}

/// Where a `jcloud:` block is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Flow,
    Gateway,
    Executor,
    Deployment,
}

impl Scope {
    fn bit(self) -> u8 {
        match self {
            Scope::Flow => F,
            Scope::Gateway => G,
            Scope::Executor => E,
            Scope::Deployment => D,
        }
    }
}

const F: u8 = 1;
const G: u8 = 2;
const E: u8 = 4;
const D: u8 = 8;
/// Where a workload's own keys are read.
const W: u8 = G | E | D;

/// What a block translates to.
#[derive(Debug, Default)]
pub struct Translated {
    pub settings: Vec<Setting>,
    /// `version` (the Jina version JCloud ran) and where it is written.
    pub version: Option<(String, Pos)>,
    pub warnings: Vec<Warning>,
}

/// Facts of the workload the block belongs to that a translation needs.
#[derive(Debug, Default, Clone)]
pub struct Context {
    /// The executor's `workspace`, where JCloud's storage is mounted.
    pub workspace: Option<String>,
}

/// Translate the `jcloud:` block `node` (at `key`) written in `scope`.
pub fn translate(key: &Key, node: &Node, scope: Scope, context: &Context) -> Translated {
    let mut cx = Cx {
        scope,
        target: Target::Own,
        path: match scope {
            Scope::Gateway => "gateway.jcloud",
            _ => "jcloud",
        }
        .into(),
        context,
        out: Translated::default(),
        hosts: Hosts::default(),
    };
    if node.is_null() {
        return cx.out;
    }
    if !matches!(node.value, Value::Map(_)) {
        cx.warn(
            key.pos,
            format!(
                "`jcloud` must be a mapping, found {}; not translated",
                node.type_name()
            ),
        );
        return cx.out;
    }
    cx.walk(node, TOP);
    cx.hosts_settings();
    cx.out
}

/// The Kubernetes resources of one JCloud instance tier: (name, CPU, memory, GPUs). GPU tiers
/// name no CPU, so the chart's default request stays.
const INSTANCES: &[(&str, Option<&str>, &str, Option<&str>)] = &[
    ("C1", Some("100m"), "200M", None),
    ("C2", Some("500m"), "1G", None),
    ("C3", Some("1"), "2G", None),
    ("C4", Some("2"), "4G", None),
    ("C5", Some("4"), "8G", None),
    ("C6", Some("8"), "16G", None),
    ("C7", Some("16"), "32G", None),
    ("C8", Some("32"), "64G", None),
    ("G1", None, "14G", Some("1")),
    ("G2", None, "14G", Some("1")),
    ("G3", None, "24G", Some("2")),
    ("G4", None, "56G", Some("4")),
];

/// Where JCloud's storage is mounted when the executor sets no `workspace`.
pub const STORAGE_MOUNT: &str = "/data";
/// The claim JCloud's storage becomes, in `persistence.volumes`.
pub const STORAGE_VOLUME: &str = "jcloud-storage";

/// One `jcloud` key: where JCloud read it and what it becomes here.
struct Rule {
    key: &'static str,
    at: u8,
    act: Act,
}

enum Act {
    /// Translated by a function.
    Do(fn(&mut Cx, &Key, &Node)),
    /// A mapping of keys with their own rules.
    Within(&'static [Rule]),
    /// Not translatable: why, and what to set instead.
    Warn(&'static str),
}

const fn rule(key: &'static str, at: u8, act: Act) -> Rule {
    Rule { key, at, act }
}

const TOP: &[Rule] = &[
    rule("name", F | D, Act::Warn("JCloud's name for the Flow; on Kubernetes the release name (`helm install NAME`) and `with: {name: …}` play that part")),
    rule("version", F | D, Act::Do(version)),
    rule("docarray", F | D, Act::Warn("the docarray version comes with the images; use executor images built with it")),
    rule("labels", F | W, Act::Do(labels)),
    rule("monitor", F | W, Act::Within(MONITOR)),
    rule("retention_days", F, Act::Warn("JCloud removed idle Flows after that many days; a release stays until `helm uninstall`")),
    rule("namespace", F | D, Act::Warn("JCloud's own bookkeeping; the namespace is `helm install --namespace`")),
    rule("metadata", F | W, Act::Warn("JCloud's own bookkeeping (pause, restart counts); `kubectl scale` and `kubectl rollout restart` do that here")),
    rule("expose_gateway", F, Act::Warn("the gateway is reached through `gateway.service`, `gateway.ingress` or the Gateway API routes; set those")),
    rule("gateway", F, Act::Do(legacy_gateway)),
    rule("expose", F | W, Act::Do(expose)),
    rule("resources", W, Act::Within(RESOURCES)),
    rule("capacity", W, Act::Do(capacity)),
    rule("autoscale", W, Act::Do(autoscale)),
    rule("timeout", G, Act::Warn("JCloud closed idle gateway connections after that many seconds; set your ingress controller's timeout in `gateway.ingress.annotations` (ingress-nginx: `nginx.ingress.kubernetes.io/proxy-read-timeout`)")),
    rule("minAvailable", E | D, Act::Do(budget)),
    rule("maxUnavailable", E | D, Act::Do(budget)),
    rule("custom_dns", W, Act::Do(hosts)),
    rule("custom_dns_http", W, Act::Do(hosts)),
    rule("custom_dns_grpc", W, Act::Do(hosts)),
    rule("custom_dns_websocket", W, Act::Do(hosts)),
    rule("ingress", W, Act::Do(ingress_class)),
    rule("network", W, Act::Within(NETWORK)),
    rule("nodeSelector", W, Act::Do(node_selector)),
    rule("tolerations", W, Act::Do(tolerations)),
    rule("imagepullpolicy", W, Act::Do(pull_policy)),
    rule("healthcheck", W, Act::Warn("the chart's probes stay on; turn one off with `probes.<startup|liveness|readiness>.enabled: false`")),
];

const RESOURCES: &[Rule] = &[
    rule("instance", W, Act::Do(instance)),
    rule("cpu", W, Act::Do(cpu)),
    rule("memory", W, Act::Do(memory)),
    rule("gpu", W, Act::Do(gpu)),
    rule("capacity", W, Act::Do(capacity)),
    rule("storage", W, Act::Do(storage)),
    rule("requests", W, Act::Do(raw_resources)),
    rule("limits", W, Act::Do(raw_resources)),
    rule(
        "nodeGroup",
        W,
        Act::Warn("a JCloud node pool; select yours with `nodeSelector` and `tolerations`"),
    ),
];

const MONITOR: &[Rule] = &[
    rule("traces", F | W, Act::Within(TRACES)),
    rule("metrics", F | W, Act::Within(METRICS)),
    rule("serviceMonitor", F | W, Act::Do(service_monitor)),
];

const TRACES: &[Rule] = &[
    rule(
        "enable",
        F | W,
        Act::Do(|cx, k, v| cx.arg_flag(k, v, "tracing")),
    ),
    rule(
        "host",
        F | W,
        Act::Do(|cx, k, v| cx.arg_text(k, v, "traces_exporter_host")),
    ),
    rule(
        "port",
        F | W,
        Act::Do(|cx, k, v| cx.arg_port(k, v, "traces_exporter_port")),
    ),
];

const METRICS: &[Rule] = &[
    rule(
        "enable",
        F | W,
        Act::Do(|cx, k, v| cx.arg_flag(k, v, "metrics")),
    ),
    rule(
        "host",
        F | W,
        Act::Do(|cx, k, v| cx.arg_text(k, v, "metrics_exporter_host")),
    ),
    rule(
        "port",
        F | W,
        Act::Do(|cx, k, v| cx.arg_port(k, v, "metrics_exporter_port")),
    ),
];

const NETWORK: &[Rule] = &[
    rule("healthcheck", W, Act::Warn("the chart's probes stay on; turn one off with `probes.<startup|liveness|readiness>.enabled: false`")),
    rule("ingress", W, Act::Within(NETWORK_INGRESS)),
];

const NETWORK_INGRESS: &[Rule] = &[
    rule("type", W, Act::Do(ingress_class)),
    rule("class", W, Act::Do(ingress_class)),
    rule("annotations", W, Act::Do(ingress_annotations)),
    rule(
        "labels",
        W,
        Act::Warn("the gateway's Ingress carries `global.commonLabels`; add labels there"),
    ),
];

/// Host names for the gateway, by the protocol JCloud served them with.
#[derive(Default)]
struct Hosts {
    /// `custom_dns` (the gateway's protocol), `custom_dns_http`, `custom_dns_websocket`.
    ingress: Vec<(String, Option<&'static str>)>,
    grpc: Vec<String>,
    from: Vec<String>,
    /// `expose: true` on the gateway, and its path.
    expose: Option<(Pos, String)>,
}

struct Cx<'a> {
    scope: Scope,
    target: Target,
    path: String,
    context: &'a Context,
    out: Translated,
    hosts: Hosts,
}

impl Cx<'_> {
    fn warn(&mut self, pos: Pos, message: String) {
        self.out.warnings.push(Warning::new(pos, message));
    }

    fn key_path(&self, key: &Key) -> String {
        format!("{}.{}", self.path, key.name)
    }

    /// Refuse the value of `key` (a warning) with what was expected.
    fn bad(&mut self, key: &Key, expected: &str) {
        let path = self.key_path(key);
        self.warn(
            key.pos,
            format!("`{path}` must be {expected}; not translated"),
        );
    }

    fn set(&mut self, key: &Key, path: impl Into<String>, value: J) {
        let from = self.key_path(key);
        self.set_from(path, value, from);
    }

    fn set_from(&mut self, path: impl Into<String>, value: J, from: String) {
        self.out.settings.push(Setting {
            path: path.into(),
            value,
            from,
            target: self.target,
        });
    }

    fn walk(&mut self, node: &Node, rules: &'static [Rule]) {
        let Value::Map(entries) = &node.value else {
            return;
        };
        for (key, value) in entries {
            let Some(rule) = rules.iter().find(|r| r.key == key.name) else {
                let hint = crate::error::did_you_mean(&key.name, rules.iter().map(|r| r.key))
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                let path = self.key_path(key);
                self.warn(
                    key.pos,
                    format!("`{path}` is not a key JCloud documented{hint}; ignored"),
                );
                continue;
            };
            if rule.at & self.scope.bit() == 0 {
                let path = self.key_path(key);
                let places = places(rule.at);
                self.warn(
                    key.pos,
                    format!("JCloud read `{path}` only {places}; ignored here"),
                );
                continue;
            }
            match &rule.act {
                Act::Do(f) => f(self, key, value),
                Act::Within(inner) => self.within(key, value, inner),
                Act::Warn(why) => {
                    let path = self.key_path(key);
                    self.warn(key.pos, format!("`{path}` is not translated: {why}"));
                }
            }
        }
    }

    fn within(&mut self, key: &Key, value: &Node, rules: &'static [Rule]) {
        if value.is_null() {
            return;
        }
        if !matches!(value.value, Value::Map(_)) {
            return self.bad(key, "a mapping");
        }
        let outer = std::mem::take(&mut self.path);
        self.path = format!("{outer}.{}", key.name);
        self.walk(value, rules);
        self.path = outer;
    }

    /// Set a `monitor` value: at the top of a Flow it applies to the gateway and every
    /// executor, as in JCloud.
    fn set_monitor(&mut self, key: &Key, path: String, value: J) {
        let target = self.target;
        if self.scope == Scope::Flow {
            self.target = Target::Every;
        }
        self.set(key, path, value);
        self.target = target;
    }

    fn arg_flag(&mut self, key: &Key, value: &Node, arg: &str) {
        let Value::Bool(on) = value.value else {
            return self.bad(key, "true or false");
        };
        self.set_monitor(key, format!("args.{arg}"), J::Bool(on));
    }

    fn arg_text(&mut self, key: &Key, value: &Node, arg: &str) {
        let Some(text) = scalar(value) else {
            return self.bad(key, "a host name or URL");
        };
        if text.is_empty() {
            return;
        }
        self.set_monitor(key, format!("args.{arg}"), J::String(text));
    }

    fn arg_port(&mut self, key: &Key, value: &Node, arg: &str) {
        let port = match &value.value {
            Value::Int(n) => *n,
            Value::Str(s) => s.parse().unwrap_or(-1),
            _ => -1,
        };
        // The CRD's default 0 means "not set".
        if port == 0 {
            return;
        }
        if !(1..=65535).contains(&port) {
            return self.bad(key, "a port number");
        }
        // `args` holds numbers as text, as Jina puts them on the command line.
        self.set_monitor(key, format!("args.{arg}"), J::String(port.to_string()));
    }
}

impl Cx<'_> {
    /// Emit the host names gathered from the `custom_dns*` keys.
    fn hosts_settings(&mut self) {
        let hosts = std::mem::take(&mut self.hosts);
        if let (Some((pos, path)), true) = (&hosts.expose, hosts.ingress.is_empty()) {
            self.warn(
                *pos,
                format!("`{path}: true` is not translated: {EXPOSE_GATEWAY}"),
            );
        }
        let from = hosts.from.join("`, `");
        if !hosts.ingress.is_empty() {
            let list: Vec<J> = hosts
                .ingress
                .iter()
                .map(|(host, protocol)| {
                    let mut path = json!({"path": "/", "pathType": "Prefix"});
                    if let Some(p) = protocol {
                        path["protocol"] = J::String((*p).into());
                    }
                    json!({"host": host, "paths": [path]})
                })
                .collect();
            self.set_from("ingress.enabled", J::Bool(true), from.clone());
            self.set_from("ingress.hosts", J::Array(list), from.clone());
        }
        if !hosts.grpc.is_empty() {
            let list = hosts.grpc.into_iter().map(J::String).collect();
            self.set_from("grpcRoute.hostnames", J::Array(list), from);
        }
    }
}

/// "on the gateway", "on executors and Deployments", … for a rule's places.
fn places(at: u8) -> String {
    let names: Vec<&str> = [
        (F, "at the top of a Flow"),
        (G, "under `gateway`"),
        (E, "on executors"),
        (D, "at the top of a Deployment"),
    ]
    .iter()
    .filter(|(bit, _)| at & bit != 0)
    .map(|(_, name)| *name)
    .collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A scalar as text (`str()` of a number, `true`/`false` of a boolean); `None` for lists,
/// mappings and null.
fn scalar(node: &Node) -> Option<String> {
    match &node.value {
        Value::Null | Value::Seq(_) | Value::Map(_) => None,
        Value::Bool(b) => Some(b.to_string()),
        _ => node.scalar_text(),
    }
}

/// A Kubernetes quantity (`500m`, `2`, `4G`, `1.5Gi`).
pub fn is_quantity(text: &str) -> bool {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(
            r"^[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(m|[kMGTPE]|[KMGTPE]i|[eE][+-]?[0-9]+)?$",
        )
        .expect("quantity pattern")
    })
    .is_match(text)
}

/// A CPU count as JCloud wrote it (`0.5`, `2`, `"500m"`) as a quantity.
fn cpu_quantity(node: &Node) -> Option<String> {
    match &node.value {
        Value::Int(n) if *n > 0 => Some(n.to_string()),
        #[allow(clippy::cast_possible_truncation)]
        Value::Float(f) if *f > 0.0 && f.is_finite() && *f < 1e6 => {
            let milli = (f * 1000.0).round() as i64;
            Some(if milli % 1000 == 0 {
                (milli / 1000).to_string()
            } else {
                format!("{milli}m")
            })
        }
        Value::Str(s) if is_quantity(s) => Some(s.clone()),
        _ => None,
    }
}

fn version(cx: &mut Cx, key: &Key, value: &Node) {
    let Some(text) = scalar(value) else {
        return cx.bad(key, "a Jina version such as `3.34.0`");
    };
    if crate::jina::tag_version(&text).map(|v| v.to_string()) != Some(text.clone()) {
        return cx.bad(key, "a Jina version such as `3.34.0`");
    }
    cx.out.version = Some((text, value.pos));
}

/// Label values, as text whatever YAML type they were written in (JCloud's client turned
/// numbers into text the same way); keys and values Kubernetes refuses are left out, warned.
fn labels(cx: &mut Cx, key: &Key, value: &Node) {
    if value.is_null() {
        return;
    }
    let Value::Map(entries) = &value.value else {
        return cx.bad(key, "a mapping of label names to values");
    };
    let mut out = serde_json::Map::new();
    for (k, v) in entries {
        let text = match &v.value {
            Value::Null => String::new(),
            Value::Seq(_) | Value::Map(_) => {
                cx.warn(
                    v.pos,
                    format!(
                        "label `{}` must have a text value, found {}; left out",
                        k.name,
                        v.type_name()
                    ),
                );
                continue;
            }
            _ => scalar(v).unwrap_or_default(),
        };
        if let Err(why) = crate::flow::names::check_label(&k.name, &text) {
            cx.warn(
                k.pos,
                format!(
                    "label `{}: {text}` is not a Kubernetes label ({why}); left out",
                    k.name
                ),
            );
            continue;
        }
        out.insert(k.name.clone(), J::String(text));
    }
    if out.is_empty() {
        return;
    }
    if cx.scope == Scope::Flow {
        let target = std::mem::replace(&mut cx.target, Target::Global);
        cx.set(key, "global.commonLabels", J::Object(out));
        cx.target = target;
    } else {
        cx.set(key, "podLabels", J::Object(out));
    }
}

/// The Flow-level `jcloud.gateway` block of older JCloud releases: the gateway's keys.
fn legacy_gateway(cx: &mut Cx, key: &Key, value: &Node) {
    if value.is_null() {
        return;
    }
    if !matches!(value.value, Value::Map(_)) {
        return cx.bad(key, "a mapping");
    }
    let (scope, target) = (cx.scope, cx.target);
    cx.scope = Scope::Gateway;
    cx.target = Target::Gateway;
    let outer = std::mem::replace(&mut cx.path, "jcloud.gateway".into());
    // Older JCloud spelled the ingress kind `kind`.
    cx.walk(value, LEGACY_GATEWAY);
    cx.path = outer;
    cx.scope = scope;
    cx.target = target;
}

const LEGACY_GATEWAY: &[Rule] = &[
    rule("resources", G, Act::Within(RESOURCES)),
    rule("expose", G, Act::Do(expose)),
    rule("ingress", G, Act::Do(ingress_class)),
    rule("kind", G, Act::Do(ingress_class)),
    rule("timeout", G, Act::Warn("JCloud closed idle gateway connections after that many seconds; set your ingress controller's timeout in `gateway.ingress.annotations` (ingress-nginx: `nginx.ingress.kubernetes.io/proxy-read-timeout`)")),
];

const EXPOSE_GATEWAY: &str = "JCloud gave the gateway a public address; set `gateway.ingress` (`enabled`, `hosts`, `className`), a Gateway API route, or `gateway.service.type: LoadBalancer`";

fn expose(cx: &mut Cx, key: &Key, value: &Node) {
    let Value::Bool(on) = value.value else {
        return cx.bad(key, "true or false");
    };
    if !on {
        // Nothing is exposed unless a value says so.
        return;
    }
    let path = cx.key_path(key);
    // The gateway's host names, if any, expose it through its Ingress: told at the end.
    if cx.scope == Scope::Gateway {
        cx.hosts.expose = Some((key.pos, path));
        return;
    }
    let why = match cx.scope {
        Scope::Gateway | Scope::Flow => EXPOSE_GATEWAY,
        Scope::Deployment => "JCloud gave the Deployment a public address; reach its executor's Service from outside the cluster with an Ingress or a LoadBalancer Service under `extraObjects`",
        Scope::Executor => "an executor is reached through the gateway; to reach this one from outside the cluster, add a Service or Ingress for it under `extraObjects`",
    };
    cx.warn(key.pos, format!("`{path}: true` is not translated: {why}"));
}

fn instance(cx: &mut Cx, key: &Key, value: &Node) {
    let name = scalar(value).unwrap_or_default();
    let Some(&(_, cpu, memory, gpus)) = INSTANCES.iter().find(|(n, ..)| *n == name) else {
        let names: Vec<&str> = INSTANCES.iter().map(|(n, ..)| *n).collect();
        return cx.bad(key, &format!("a JCloud instance ({})", names.join(", ")));
    };
    if let Some(cpu) = cpu {
        cx.set(key, "resources.requests.cpu", J::String(cpu.into()));
    }
    cx.set(key, "resources.requests.memory", J::String(memory.into()));
    cx.set(key, "resources.limits.memory", J::String(memory.into()));
    if let Some(n) = gpus {
        cx.set(key, "gpus", J::String(n.into()));
        if name == "G1" {
            shared_gpu_warning(cx, key);
        }
    }
}

fn shared_gpu_warning(cx: &mut Cx, key: &Key) {
    let path = cx.key_path(key);
    cx.warn(
        key.pos,
        format!("`{path}` asks for a shared GPU: it is translated to `gpus: 1`, which is a share only where the cluster's NVIDIA device plugin time-slices GPUs (its `sharing.timeSlicing` setting)"),
    );
}

fn cpu(cx: &mut Cx, key: &Key, value: &Node) {
    match cpu_quantity(value) {
        Some(q) => cx.set(key, "resources.requests.cpu", J::String(q)),
        None => cx.bad(key, "a CPU count (`0.5`, `2`) or quantity (`500m`)"),
    }
}

fn memory(cx: &mut Cx, key: &Key, value: &Node) {
    match &value.value {
        Value::Str(s) if is_quantity(s) => {
            cx.set(key, "resources.requests.memory", J::String(s.clone()));
            cx.set(key, "resources.limits.memory", J::String(s.clone()));
        }
        _ => cx.bad(key, "a memory size with its unit (`800M`, `4G`, `8Gi`)"),
    }
}

fn gpu(cx: &mut Cx, key: &Key, value: &Node) {
    let text = scalar(value).unwrap_or_default();
    let count = match text.as_str() {
        "shared" => {
            shared_gpu_warning(cx, key);
            "1".to_string()
        }
        "dedicated" => "1".to_string(),
        n if n.parse::<u32>().is_ok_and(|n| n > 0) => n.to_string(),
        _ => return cx.bad(key, "a GPU count, `shared` or `dedicated`"),
    };
    cx.set(key, "gpus", J::String(count));
}

fn capacity(cx: &mut Cx, key: &Key, value: &Node) {
    match scalar(value).as_deref() {
        Some(kind @ ("spot" | "on-demand")) => cx.set(key, "capacity", J::String(kind.into())),
        _ => cx.bad(key, "`spot` or `on-demand`"),
    }
}

fn storage(cx: &mut Cx, key: &Key, value: &Node) {
    if value.is_null() {
        return;
    }
    let Value::Map(entries) = &value.value else {
        return cx.bad(key, "a mapping (`kind`, `size`, `retain`)");
    };
    let outer = std::mem::take(&mut cx.path);
    cx.path = format!("{outer}.{}", key.name);
    let mut kind = None;
    let mut size = None;
    for (k, v) in entries {
        match k.name.as_str() {
            "kind" | "type" => match scalar(v).as_deref() {
                Some(s @ ("ephemeral" | "ebs" | "efs")) => kind = Some((s.to_string(), k)),
                _ => cx.bad(k, "`ephemeral`, `ebs` or `efs`"),
            },
            "size" => match scalar(v) {
                Some(s) if is_quantity(&s) && !s.ends_with('m') => size = Some((s, k)),
                _ => cx.bad(k, "a size with its unit (`5G`, `10Gi`)"),
            },
            "retain" => {
                if let Value::Bool(false) = v.value {
                    let path = cx.key_path(k);
                    cx.warn(k.pos, format!("`{path}: false` is not translated: JCloud deleted the data with the Flow; the chart keeps claims when the release goes (set `persistence.retentionPolicy.whenDeleted: Delete` to delete them)"));
                }
            }
            "volumeName" => {
                let path = cx.key_path(k);
                cx.warn(k.pos, format!("`{path}` is not translated: a claim here binds to a volume its storage class provides; to reuse an existing PersistentVolume, claim it under `extraVolumes`"));
            }
            _ => {
                let path = cx.key_path(k);
                cx.warn(
                    k.pos,
                    format!("`{path}` is not a key JCloud documented; ignored"),
                );
            }
        }
    }
    // JCloud's default kind is `ephemeral`: the pod's own disk, which is what a pod without a
    // claim has here.
    let Some((kind, kind_key)) = kind else {
        if let Some((_, k)) = size {
            let path = cx.key_path(k);
            cx.warn(k.pos, format!("`{path}` is not translated: without `kind: ebs` or `kind: efs` JCloud's storage is ephemeral, the pod's own disk"));
        }
        cx.path = outer;
        return;
    };
    if kind == "ephemeral" {
        cx.path = outer;
        return;
    }
    storage_claim(cx, &kind, kind_key, size.map(|(s, _)| s));
    cx.path = outer;
}

/// The claim an `ebs` or `efs` storage becomes, on the executor's workspace.
fn storage_claim(cx: &mut Cx, kind: &str, kind_key: &Key, size: Option<String>) {
    let from = format!("{}.kind", cx.path);
    let mount = cx
        .context
        .workspace
        .clone()
        .filter(|w| w.starts_with('/'))
        .unwrap_or_else(|| STORAGE_MOUNT.into());
    let mut volume = json!({"mountPath": mount});
    let size_text = size.unwrap_or_else(|| "5G".to_string());
    volume["size"] = J::String(size_text);
    cx.set_from("persistence.enabled", J::Bool(true), from.clone());
    cx.set_from(
        format!("persistence.volumes.{STORAGE_VOLUME}"),
        volume,
        from.clone(),
    );
    if kind == "efs" {
        cx.set_from(
            "persistence.accessModes",
            json!(["ReadWriteMany"]),
            from.clone(),
        );
        let path = cx.key_path(kind_key);
        cx.warn(kind_key.pos, format!("`{path}: efs` is translated to a ReadWriteMany claim: set `persistence.storageClass` to a class that offers it (EFS, NFS, CephFS)"));
    }
    if cx.context.workspace.is_none() && cx.scope != Scope::Gateway {
        let path = cx.key_path(kind_key);
        cx.warn(kind_key.pos, format!("`{path}`: the claim is mounted at {STORAGE_MOUNT}; set the executor's `workspace: {STORAGE_MOUNT}` so that its `workspace` is on it, as on JCloud"));
    }
}

/// `requests`/`limits`: Kubernetes resource lists, as they are.
fn raw_resources(cx: &mut Cx, key: &Key, value: &Node) {
    let Value::Map(entries) = &value.value else {
        return cx.bad(key, "a mapping of resource names to quantities");
    };
    for (k, v) in entries {
        match scalar(v) {
            Some(q) if is_quantity(&q) => {
                let path = format!("resources.{}.{}", key.name, k.name);
                cx.set(key, path, J::String(q));
            }
            _ => {
                let path = format!("{}.{}", cx.key_path(key), k.name);
                cx.warn(
                    v.pos,
                    format!("`{path}` must be a quantity (`500m`, `4G`); not translated"),
                );
            }
        }
    }
}

fn autoscale(cx: &mut Cx, key: &Key, value: &Node) {
    if value.is_null() {
        return;
    }
    let Value::Map(entries) = &value.value else {
        return cx.bad(key, "a mapping (`min`, `max`, `metric`, `target`)");
    };
    let outer = std::mem::take(&mut cx.path);
    cx.path = format!("{outer}.{}", key.name);
    // JCloud's documented defaults.
    let mut min = (1_i64, None);
    let mut max = 2_i64;
    let mut metric = ("concurrency".to_string(), None);
    let mut target = 100_i64;
    for (k, v) in entries {
        let int = || match &v.value {
            Value::Int(n) => Some(*n),
            Value::Str(s) => s.parse().ok(),
            _ => None,
        };
        match k.name.as_str() {
            "min" => match int() {
                Some(n) if n >= 0 => min = (n, Some(k)),
                _ => cx.bad(k, "a count of 0 or more"),
            },
            "max" => match int() {
                Some(n) if n >= 1 => max = n,
                _ => cx.bad(k, "a count of 1 or more"),
            },
            "target" => match int() {
                Some(n) if n >= 1 => target = n,
                _ => cx.bad(k, "a number of 1 or more"),
            },
            "metric" => match scalar(v).as_deref() {
                Some(m @ ("concurrency" | "rps" | "cpu" | "memory")) => {
                    metric = (m.to_string(), Some(k));
                }
                _ => cx.bad(k, "`concurrency`, `rps`, `cpu` or `memory`"),
            },
            "scale_down_delay" => match scalar(v).as_deref().and_then(seconds) {
                Some(s) => cx.set(
                    k,
                    "autoscaling.behavior",
                    json!({"scaleDown": {"stabilizationWindowSeconds": s}}),
                ),
                None => cx.bad(k, "a duration from `0s` to `1h`"),
            },
            "stable_window" | "revision_timeout" | "timeout" => {
                let path = cx.key_path(k);
                cx.warn(k.pos, format!("`{path}` is not translated: it tuned Knative, which JCloud scaled with; a HorizontalPodAutoscaler's timing is `autoscaling.behavior`"));
            }
            _ => {
                let path = cx.key_path(k);
                cx.warn(
                    k.pos,
                    format!("`{path}` is not a key JCloud documented; ignored"),
                );
            }
        }
    }
    autoscale_settings(cx, key, min, max, metric, target);
    cx.path = outer;
}

/// The autoscaler JCloud's `autoscale` becomes.
fn autoscale_settings(
    cx: &mut Cx,
    key: &Key,
    min: (i64, Option<&Key>),
    max: i64,
    metric: (String, Option<&Key>),
    target: i64,
) {
    let from = cx.path.clone();
    let (min_count, min_key) = min;
    if min_count == 0 {
        if let Some(k) = min_key {
            let path = cx.key_path(k);
            cx.warn(k.pos, format!("`{path}: 0` (scale to zero) is translated to 1: a workload without pods serves none of the metrics that would wake it; to scale to zero, give `autoscaling.keda.query` a series that exists without its pods and set `autoscaling.minReplicas: 0`"));
        }
    }
    let min_count = min_count.max(1);
    cx.set_from("autoscaling.enabled", J::Bool(true), from.clone());
    cx.set_from("autoscaling.minReplicas", J::from(min_count), from.clone());
    cx.set_from(
        "autoscaling.maxReplicas",
        J::from(max.max(min_count)),
        from.clone(),
    );
    match metric.0.as_str() {
        "cpu" => cx.set_from(
            "autoscaling.targetCPUUtilizationPercentage",
            J::from(target),
            from,
        ),
        "memory" => {
            cx.set_from(
                "autoscaling.targetCPUUtilizationPercentage",
                J::from(0),
                from.clone(),
            );
            let m = json!([{"type": "Resource", "resource": {"name": "memory",
                "target": {"type": "AverageValue", "averageValue": format!("{target}Mi")}}}]);
            cx.set_from("autoscaling.metrics", m, from);
        }
        request => {
            cx.set_from("autoscaling.keda.enabled", J::Bool(true), from.clone());
            cx.set_from("autoscaling.keda.metric", J::from(request), from.clone());
            cx.set_from(
                "autoscaling.keda.target",
                J::from(target.to_string()),
                from.clone(),
            );
            cx.set_from("monitoring", J::Bool(true), from);
            let pos = metric.1.map_or(key.pos, |k| k.pos);
            let path = format!("{}.metric", cx.path);
            let written = if metric.1.is_some() {
                ""
            } else {
                " (JCloud's default)"
            };
            cx.warn(pos, format!("`{path}: {request}`{written} becomes a KEDA ScaledObject on Jina's own metrics (`autoscaling.keda`, with `monitoring` on): it needs KEDA and a Prometheus scraping the workloads, named by `global.keda.prometheusAddress`; where KEDA is not installed, a HorizontalPodAutoscaler keeps CPU at 80 % and one pod at least"));
        }
    }
}

/// `30s`, `5m`, `1h` (JCloud's `scale_down_delay`, at most an hour) in seconds.
fn seconds(text: &str) -> Option<i64> {
    let (digits, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = digits.parse().ok()?;
    let s = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => return None,
    };
    (0..=3600).contains(&s).then_some(s)
}

fn budget(cx: &mut Cx, key: &Key, value: &Node) {
    match &value.value {
        Value::Int(n) if *n >= 0 => {
            cx.set(
                key,
                format!("podDisruptionBudget.{}", key.name),
                J::from(*n),
            );
        }
        _ => cx.bad(key, "a count of 0 or more"),
    }
}

fn hosts(cx: &mut Cx, key: &Key, value: &Node) {
    if cx.scope != Scope::Gateway {
        let path = cx.key_path(key);
        return cx.warn(key.pos, format!("`{path}` is not translated: only the gateway is reached from outside the cluster here; put the host names under the gateway's `jcloud` or `gateway.ingress.hosts`"));
    }
    let names: Vec<&Node> = match &value.value {
        Value::Seq(items) => items.iter().collect(),
        Value::Str(_) => vec![value],
        Value::Null => return,
        _ => return cx.bad(key, "a list of host names"),
    };
    let mut good = Vec::new();
    for n in names {
        match scalar(n) {
            Some(h) if crate::flow::names::is_host(&h) => good.push(h),
            _ => {
                let path = cx.key_path(key);
                let text = scalar(n).unwrap_or_default();
                cx.warn(
                    n.pos,
                    format!("`{text}` in `{path}` is not a host name; left out"),
                );
            }
        }
    }
    if good.is_empty() {
        return;
    }
    let from = cx.key_path(key);
    cx.hosts.from.push(from);
    match key.name.as_str() {
        "custom_dns_grpc" => {
            let path = cx.key_path(key);
            cx.warn(key.pos, format!("`{path}` is translated to `gateway.grpcRoute.hostnames`: gRPC through an Ingress needs controller-specific settings, so the hosts go on the Gateway API GRPCRoute; turn it on with `gateway.grpcRoute.enabled: true` and its `parentRefs`"));
            cx.hosts.grpc.extend(good);
        }
        name => {
            let protocol = match name {
                "custom_dns_http" => Some("http"),
                "custom_dns_websocket" => Some("websocket"),
                _ => None,
            };
            cx.hosts
                .ingress
                .extend(good.into_iter().map(|h| (h, protocol)));
        }
    }
}

fn ingress_class(cx: &mut Cx, key: &Key, value: &Node) {
    if cx.scope != Scope::Gateway {
        let path = cx.key_path(key);
        return cx.warn(
            key.pos,
            format!("`{path}` is not translated: only the gateway has an Ingress here"),
        );
    }
    match scalar(value) {
        Some(class) if crate::flow::names::is_host(&class) => {
            cx.set(key, "ingress.className", J::String(class));
        }
        _ => cx.bad(key, "an ingress class name (`kong`, `nginx`, `alb`)"),
    }
}

fn ingress_annotations(cx: &mut Cx, key: &Key, value: &Node) {
    if cx.scope != Scope::Gateway {
        let path = cx.key_path(key);
        return cx.warn(
            key.pos,
            format!("`{path}` is not translated: only the gateway has an Ingress here"),
        );
    }
    match string_map(value) {
        Some(map) => cx.set(key, "ingress.annotations", map),
        None => cx.bad(key, "a mapping of annotation names to text"),
    }
}

/// A mapping of scalars as a JSON object of text.
fn string_map(value: &Node) -> Option<J> {
    let Value::Map(entries) = &value.value else {
        return None;
    };
    let mut out = serde_json::Map::new();
    for (k, v) in entries {
        out.insert(k.name.clone(), J::String(scalar(v)?));
    }
    Some(J::Object(out))
}

fn node_selector(cx: &mut Cx, key: &Key, value: &Node) {
    match string_map(value) {
        Some(J::Object(map))
            if map
                .keys()
                .all(|k| crate::flow::names::check_label(k, "").is_ok()) =>
        {
            cx.set(key, "nodeSelector", J::Object(map));
        }
        _ => cx.bad(key, "a mapping of node label names to values"),
    }
}

fn tolerations(cx: &mut Cx, key: &Key, value: &Node) {
    match &value.value {
        Value::Seq(items) if items.iter().all(|t| matches!(t.value, Value::Map(_))) => {
            cx.set(key, "tolerations", value.to_json());
        }
        _ => cx.bad(key, "a list of tolerations"),
    }
}

fn pull_policy(cx: &mut Cx, key: &Key, value: &Node) {
    let policy = match scalar(value).map(|s| s.to_ascii_lowercase()).as_deref() {
        Some("ifnotpresent") => "IfNotPresent",
        Some("always") => "Always",
        Some("never") => "Never",
        _ => return cx.bad(key, "`ifnotpresent`, `always` or `never`"),
    };
    cx.set(key, "image.pullPolicy", J::String(policy.into()));
}

fn service_monitor(cx: &mut Cx, key: &Key, value: &Node) {
    let Value::Bool(on) = value.value else {
        return cx.bad(key, "true or false");
    };
    cx.set_monitor(key, "monitoring".into(), J::Bool(on));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(yaml: &str) -> Node {
        crate::yaml::parse_flow(yaml).unwrap()
    }

    #[test]
    fn cpu_counts_become_quantities() {
        let cpu = |y: &str| cpu_quantity(node(&format!("c: {y}")).get("c").unwrap());
        assert_eq!(cpu("0.5").as_deref(), Some("500m"));
        assert_eq!(cpu("2").as_deref(), Some("2"));
        assert_eq!(cpu("2.0").as_deref(), Some("2"));
        assert_eq!(cpu("250m").as_deref(), Some("250m"));
        assert_eq!(cpu("lots"), None);
        assert_eq!(cpu("-1"), None);
    }

    #[test]
    fn durations_are_seconds_up_to_an_hour() {
        assert_eq!(seconds("30s"), Some(30));
        assert_eq!(seconds("2m"), Some(120));
        assert_eq!(seconds("1h"), Some(3600));
        assert_eq!(seconds("2h"), None);
        assert_eq!(seconds("30"), None);
        assert_eq!(seconds("s"), None);
    }

    #[test]
    fn a_block_in_the_wrong_place_or_with_a_typo_is_warned_not_refused() {
        let root = node("jcloud:\n  timeout: 5\n  autoscal: {}\n  resources: lots\n");
        let (key, value) = &root.as_map("").unwrap()[0];
        let t = translate(key, value, Scope::Executor, &Context::default());
        assert!(t.settings.is_empty());
        let messages: Vec<&str> = t.warnings.iter().map(Warning::message).collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(
            messages[0].contains("only under `gateway`"),
            "{}",
            messages[0]
        );
        assert!(
            messages[1].contains("did you mean `autoscale`"),
            "{}",
            messages[1]
        );
        assert!(messages[2].contains("must be a mapping"), "{}", messages[2]);
    }
}
