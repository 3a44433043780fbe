//! From YAML text to a validated [`Flow`]: key checks, types, defaults, Flow-level inheritance,
//! the executor graph and every name the chart will use.

use indexmap::IndexMap;

use crate::error::{did_you_mean, Error, Pos, Result, Warning};
use crate::flow::model::*;
use crate::flow::names;
use crate::flow::node::{self, Key, Node, Value};
use crate::flow::{envsubst, graph};
use crate::jina;
use crate::jina::keys::{self, KeySpec, Kind};

/// Read and load a Flow file, substituting `${{ ENV.X }}` from the process environment.
pub fn load_file(path: &std::path::Path) -> Result<Flow> {
    let source = crate::read::text(path)?;
    load_str(&source, &|name| std::env::var(name).ok()).map_err(|e| e.in_file(path))
}

/// Load a Flow from text; `env` answers `${{ ENV.X }}` look-ups.
pub fn load_str(source: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Flow> {
    let mut root = node::parse(source)?;
    envsubst::substitute(&mut root, env)?;
    let mut cx = Loader::default();
    cx.warnings.extend(helm3_unsafe_warning(&root));
    let flow = cx.flow(&root)?;
    Ok(Flow {
        warnings: cx.warnings,
        ..flow
    })
}

/// A warning at the first string helm 3 cannot carry in values.
pub(crate) fn helm3_unsafe_warning(root: &Node) -> Option<Warning> {
    helm3_unsafe(root).map(|pos| Warning {
        pos,
        message: "this string holds DEL, a C1 control character or U+FFFE/U+FFFF: helm 4 renders it exactly, helm 3 refuses the chart's values (\"control characters are not allowed\")".into(),
    })
}

/// Where the first string helm 3 cannot carry in values is: helm 3 checks values against the
/// schema after writing them as YAML, and its YAML writer puts these characters out raw, which
/// its reader then refuses.
fn helm3_unsafe(node: &Node) -> Option<Pos> {
    let bad = |s: &str| {
        s.chars().any(
            |c| matches!(c, '\u{7f}'..='\u{84}' | '\u{86}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}'),
        )
    };
    match &node.value {
        Value::Str(s) if bad(s) => Some(node.pos),
        Value::Seq(items) => items.iter().find_map(helm3_unsafe),
        Value::Map(entries) => entries.iter().find_map(|(k, v)| {
            if bad(&k.name) {
                Some(k.pos)
            } else {
                helm3_unsafe(v)
            }
        }),
        _ => None,
    }
}

#[derive(Default)]
struct Loader {
    warnings: Vec<Warning>,
}

/// The `with:` block split into what configures the Flow and what every workload inherits.
#[derive(Default)]
struct FlowWith<'a> {
    name: Option<String>,
    env: Vec<(&'a Key, &'a Node)>,
    common: Vec<(&'a Key, &'a Node)>,
}

impl Loader {
    fn warn(&mut self, pos: Pos, message: impl Into<String>) {
        self.warnings.push(Warning {
            pos,
            message: message.into(),
        });
    }

    fn flow(&mut self, root: &Node) -> Result<Flow> {
        let entries = match &root.value {
            Value::Map(m) => m.as_slice(),
            Value::Null => {
                return Err(Error::input(root.pos, "the file is empty")
                    .with_hint("a Flow file starts with `jtype: Flow`"))
            }
            _ => {
                return Err(Error::input(
                    root.pos,
                    format!("a Flow file must be a mapping, found {}", root.type_name()),
                )
                .with_hint("a Flow file starts with `jtype: Flow`"))
            }
        };
        let jtype = match root.get("jtype") {
            Some(n) => n.as_str("jtype")?.to_string(),
            None => {
                return Err(Error::input(root.pos, "missing `jtype`")
                    .with_hint("start the file with `jtype: Flow` or `jtype: Deployment`"))
            }
        };
        match jtype.as_str() {
            "Flow" => self.flow_document(entries),
            "Deployment" => self.deployment_document(root, entries),
            other => Err(Error::input(
                root.get("jtype").map_or(root.pos, |n| n.pos),
                format!("unsupported `jtype: {other}`"),
            )
            .with_hint("flowhelm compiles `jtype: Flow` and `jtype: Deployment` documents")),
        }
    }

    fn flow_document(&mut self, entries: &[(Key, Node)]) -> Result<Flow> {
        const TOP: &[&str] = &[
            "deployments",
            "executors",
            "gateway",
            "jcloud",
            "jtype",
            "version",
            "with",
        ];
        let mut with = FlowWith::default();
        let mut gateway_node = None;
        let mut executor_nodes: &[Node] = &[];
        let mut flow_pos = Pos::new(1, 1);
        for (key, value) in entries {
            match key.name.as_str() {
                "jtype" => flow_pos = key.pos,
                "version" => self.version(value)?,
                "with" => with = self.flow_with(value)?,
                "gateway" => gateway_node = Some(value),
                "executors" | "deployments" if value.is_null() => {}
                "executors" | "deployments" => executor_nodes = value.as_seq(&key.name)?,
                "jcloud" => self.warn(
                    key.pos,
                    "`jcloud` is JCloud-only and has no effect on Kubernetes",
                ),
                _ => return Err(unknown_key(key, "the Flow", TOP.iter().copied())),
            }
        }
        let gateway = self.gateway(gateway_node, &with, flow_pos)?;
        let mut executors = Vec::with_capacity(executor_nodes.len());
        for (i, n) in executor_nodes.iter().enumerate() {
            executors.push(self.executor_entry(n, i, &with.common)?);
        }
        self.finish(FlowKind::Flow, with.name, Some(gateway), executors)
    }

    fn deployment_document(&mut self, root: &Node, entries: &[(Key, Node)]) -> Result<Flow> {
        for (key, _) in entries {
            if !matches!(key.name.as_str(), "jtype" | "with" | "needs" | "version") {
                return Err(unknown_key(key, "a Deployment", ["jtype", "with"]));
            }
        }
        let with = root
            .get("with")
            .cloned()
            .unwrap_or(Node::new(root.pos, Value::Map(vec![])));
        let mut exec = self.executor(&with, "executor".to_string(), &[])?;
        exec.needs.clear();
        self.finish(FlowKind::Deployment, None, None, vec![exec])
    }

    fn finish(
        &mut self,
        kind: FlowKind,
        name: Option<String>,
        gateway: Option<Gateway>,
        mut executors: Vec<Executor>,
    ) -> Result<Flow> {
        names::check(&executors)?;
        if kind == FlowKind::Flow {
            graph::resolve(&mut executors)?;
        }
        Ok(Flow {
            kind,
            name,
            gateway,
            executors,
            warnings: Vec::new(),
        })
    }

    fn version(&mut self, value: &Node) -> Result<()> {
        let text = value.as_text("version")?;
        if text.split('.').next() != Some("1") {
            return Err(
                Error::input(value.pos, format!("unsupported Flow `version: {text}`"))
                    .with_hint("Jina 3.x only knows YAML version '1'"),
            );
        }
        Ok(())
    }

    fn flow_with<'a>(&mut self, value: &'a Node) -> Result<FlowWith<'a>> {
        let mut with = FlowWith::default();
        if value.is_null() {
            return Ok(with);
        }
        for (key, v) in value.as_map("with")? {
            if let Some(spec) = keys::flow_key(&key.name) {
                match key.name.as_str() {
                    "name" => with.name = Some(v.as_text("name")?),
                    "env" => with.env.push((key, v)),
                    _ if !spec.k8s => self.no_effect(key, "the Flow"),
                    // workspace/log_config of the Flow are handed down like common options.
                    _ => with.common.push((key, v)),
                }
            } else if keys::executor_key(&key.name).is_some()
                || keys::gateway_key(&key.name).is_some()
            {
                with.common.push((key, v));
            } else {
                let all = keys::FLOW_KEYS
                    .iter()
                    .chain(keys::EXECUTOR_KEYS)
                    .chain(keys::GATEWAY_KEYS)
                    .map(|k| k.name);
                return Err(unknown_key(key, "`with`", all));
            }
        }
        Ok(with)
    }

    fn no_effect(&mut self, key: &Key, place: &str) {
        self.warn(
            key.pos,
            format!(
                "`{}` in {place} has no effect on Kubernetes; ignored",
                key.name
            ),
        );
    }

    fn gateway(&mut self, node: Option<&Node>, with: &FlowWith, flow_pos: Pos) -> Result<Gateway> {
        let pos = node.map_or(flow_pos, |n| n.pos);
        let own: Vec<(&Key, &Node)> = match node {
            Some(n) if !n.is_null() => n.as_map("gateway")?.iter().map(|(k, v)| (k, v)).collect(),
            _ => Vec::new(),
        };
        let inherited = with
            .common
            .iter()
            .filter(|(k, _)| !keys::FLOW_TO_GATEWAY_BLACKLIST.contains(&k.name.as_str()))
            .filter(|(k, _)| !own.iter().any(|(o, _)| o.name == k.name))
            .copied();
        let mut gw = Gateway {
            protocols: vec![Protocol::Grpc],
            replicas: 1,
            uses: None,
            uses_with: None,
            pod: PodSettings::default(),
            pos,
        };
        // Flow-level env reaches the gateway only; a `gateway: {env}` replaces it rather than
        // merging (Jina's `_add_gateway` updates its kwargs with the gateway section's).
        if !own.iter().any(|(k, _)| k.name == "env") {
            for (_, env) in &with.env {
                self.env_into(&mut gw.pod.env, env)?;
            }
        }
        for (key, value) in inherited.chain(own.iter().copied()) {
            self.gateway_key(&mut gw, key, value)?;
        }
        Ok(gw)
    }

    fn gateway_key(&mut self, gw: &mut Gateway, key: &Key, value: &Node) -> Result<()> {
        // `name` as written (for messages); matched as the argparse dest it is an alias of.
        let name = key.name.as_str();
        if self.pod_key(&mut gw.pod, key, value)? {
            return Ok(());
        }
        match keys::canonical_gateway_key(name) {
            "protocol" => gw.protocols = protocols(value)?,
            "replicas" => gw.replicas = count(value, "replicas")?,
            "uses" => gw.uses = self.gateway_uses(value)?,
            "uses_with" => gw.uses_with = Some(json_map(value, "uses_with")?),
            "port" | "port_monitoring" => {
                ports(value, name)?;
                self.warn(
                    key.pos,
                    format!("`{name}` is ignored on Kubernetes: the gateway listens on {} (one port per protocol) and monitoring on {}, as in Jina; expose it with `gateway.service`", jina::PORT, jina::MONITORING_PORT),
                );
            }
            _ => match keys::gateway_key(name) {
                Some(spec) => {
                    self.pass_through(&mut gw.pod.args, spec, key, value, Place::Gateway)?
                }
                None => {
                    let all = keys::GATEWAY_KEYS.iter().map(|k| k.name);
                    return Err(unknown_key(key, "`gateway`", all));
                }
            },
        }
        Ok(())
    }

    fn gateway_uses(&mut self, value: &Node) -> Result<Option<Uses>> {
        let text = value.as_str("uses")?;
        if jina::is_builtin_gateway(text) {
            return Ok(None);
        }
        Ok(Some(uses(value, "uses")?))
    }

    /// Keys that configure a pod the same way for the gateway and executors.
    /// Returns false when `key` is not one of them.
    fn pod_key(&mut self, pod: &mut PodSettings, key: &Key, value: &Node) -> Result<bool> {
        match key.name.as_str() {
            "env" => self.env_into(&mut pod.env, value)?,
            "env_from_secret" => pod.env_from_secret = env_from_secret(value)?,
            "image_pull_secrets" => pod.image_pull_secrets = pull_secrets(value)?,
            "monitoring" => pod.monitoring = value.as_bool("monitoring")?,
            "timeout_ready" => {
                let ms = value.as_int("timeout_ready")?;
                // Helm reads numbers as float64 and the probe threshold is an int32: beyond
                // 2^31-1 ms (24.8 days) neither stays exact.
                if !(-1..=i64::from(i32::MAX)).contains(&ms) {
                    return Err(Error::input(
                        value.pos,
                        format!("`timeout_ready` must be -1 (wait forever) or 0 to 2147483647 milliseconds, found {ms}"),
                    ));
                }
                pod.timeout_ready = Some(ms);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn env_into(&mut self, env: &mut IndexMap<String, String>, value: &Node) -> Result<()> {
        if value.is_null() {
            return Ok(());
        }
        for (k, v) in value.as_map("env")? {
            if !is_env_name(&k.name) {
                return Err(Error::input(
                    k.pos,
                    format!("`{}` is not a valid environment variable name", k.name),
                )
                .with_hint("use letters, digits, `_`, `-` and `.`, not starting with a digit"));
            }
            let text = match &v.value {
                Value::Seq(_) | Value::Map(_) => {
                    serde_json::to_string(&v.to_json()).unwrap_or_default()
                }
                _ => v.scalar_text().unwrap_or_default(),
            };
            env.insert(k.name.clone(), text);
        }
        Ok(())
    }

    /// One executor entry of `executors:`; `common` are the Flow-level defaults.
    fn executor_entry(
        &mut self,
        n: &Node,
        index: usize,
        common: &[(&Key, &Node)],
    ) -> Result<Executor> {
        match &n.value {
            Value::Str(path) => Err(Error::input(
                n.pos,
                format!("executor entry `{path}` refers to a Deployment file"),
            )
            .with_hint("inline the Deployment as `- jtype: Deployment` with its `with:` block")),
            Value::Map(_) if n.get("jtype").is_some() => {
                let jtype_node = n.get("jtype").unwrap_or(n);
                let jtype = jtype_node.as_text("jtype")?;
                if jtype != "Deployment" {
                    return Err(Error::input(
                        jtype_node.pos,
                        format!("an inline executor entry must be `jtype: Deployment`, found `jtype: {jtype}`"),
                    ));
                }
                let mut merged = n
                    .get("with")
                    .cloned()
                    .unwrap_or(Node::new(n.pos, Value::Map(vec![])));
                if let (Value::Map(m), Some(needs)) = (&mut merged.value, n.get("needs")) {
                    let key = n
                        .as_map("")?
                        .iter()
                        .find(|(k, _)| k.name == "needs")
                        .map(|(k, _)| k.clone());
                    m.push((
                        key.unwrap_or(Key {
                            pos: n.pos,
                            name: "needs".into(),
                        }),
                        needs.clone(),
                    ));
                }
                self.executor(&merged, format!("executor{index}"), common)
            }
            _ => self.executor(n, format!("executor{index}"), common),
        }
    }

    fn executor(
        &mut self,
        n: &Node,
        default_name: String,
        common: &[(&Key, &Node)],
    ) -> Result<Executor> {
        let own: Vec<(&Key, &Node)> = match &n.value {
            Value::Map(m) => m.iter().map(|(k, v)| (k, v)).collect(),
            _ => {
                return Err(Error::input(
                    n.pos,
                    format!(
                        "an executor must be a mapping of options, found {}",
                        n.type_name()
                    ),
                )
                .with_hint(
                    "write `- name: NAME` followed by `uses: docker://IMAGE` and other options",
                ))
            }
        };
        let inherited = common
            .iter()
            .filter(|(k, _)| !keys::FLOW_TO_EXECUTOR_BLACKLIST.contains(&k.name.as_str()))
            .filter(|(k, _)| keys::executor_key(&k.name).is_some_and(|s| s.k8s))
            .filter(|(k, _)| !own.iter().any(|(o, _)| o.name == k.name))
            .copied();
        let mut e = Executor::new(default_name, n.pos);
        let mut ext = ExternalParts::default();
        let mut needs_given = false;
        for (key, value) in inherited.chain(own.iter().copied()) {
            if key.name == "needs" {
                needs_given = true;
            }
            self.executor_key(&mut e, &mut ext, key, value)?;
        }
        if !needs_given {
            e.needs = Vec::new();
        } else if e.needs.is_empty() {
            e.needs = vec!["gateway".into()];
        }
        e.dns = names::dns_name(&e.name);
        e.external = ext.finish(&e)?;
        self.check_sidecars(&e, n.pos);
        Ok(e)
    }

    fn check_sidecars(&mut self, e: &Executor, pos: Pos) {
        if e.shards == 1 && (e.uses_before.is_some() || e.uses_after.is_some()) {
            self.warn(
                pos,
                format!(
                    "`{}` has `uses_before`/`uses_after` but one shard: Jina runs them only in a head, which exists with `shards` > 1; they are kept as values and start when `executors.{}.shards` > 1",
                    e.name, e.name
                ),
            );
        }
    }

    fn executor_key(
        &mut self,
        e: &mut Executor,
        ext: &mut ExternalParts,
        key: &Key,
        value: &Node,
    ) -> Result<()> {
        // `name` as written (for messages); matched as the argparse dest it is an alias of.
        let name = key.name.as_str();
        if self.pod_key(&mut e.pod, key, value)? {
            return Ok(());
        }
        match keys::canonical_executor_key(name) {
            "name" => e.name = executor_name(value)?,
            "uses" => e.uses = uses(value, name)?,
            "uses_before" => e.uses_before = sidecar(value, name)?,
            "uses_after" => e.uses_after = sidecar(value, name)?,
            "uses_with" => e.uses_with = Some(json_map(value, name)?),
            "uses_metas" => e.uses_metas = Some(json_map(value, name)?),
            "replicas" => e.replicas = count(value, name)?,
            "shards" => e.shards = count(value, name)?,
            "polling" => e.polling = polling(value)?,
            "needs" => e.needs = string_list(value, name)?,
            "method" => {
                let m = value.as_str(name)?;
                if m != "add" && m != "needs" {
                    return Err(Error::input(
                        value.pos,
                        format!("`method: {m}` is not supported on Kubernetes"),
                    )
                    .with_hint("use `add` (default) or `needs`"));
                }
            }
            "floating" => e.floating = value.as_bool(name)?,
            // `disable_reduce` and `no_reduce` are one option: either set turns it on.
            "no_reduce" => e.no_reduce = e.no_reduce || value.as_bool(name)?,
            "when" => e.when = Some(json_map(value, name)?),
            "volumes" => e.volumes = volumes(value)?,
            "gpus" => {
                let g = gpus(value)?;
                if g == "all" {
                    self.warn(value.pos, format!("`gpus: all` cannot be requested from Kubernetes; `{}` gets a limit of 1 `nvidia.com/gpu` (Jina set none): set `executors.{}.resources.limits` for more", e.name, e.name));
                }
                e.gpus = Some(g);
            }
            "protocol" => e.protocols = protocols(value)?,
            "grpc_metadata" => e.grpc_metadata = Some(json_map(value, name)?),
            "external" => ext.external = Some((key.pos, value.as_bool(name)?)),
            "host" => ext.hosts = Some((key.pos, hosts(value)?)),
            "port" => ext.ports = Some((key.pos, ports(value, name)?)),
            "tls" => ext.tls = value.as_bool(name)?,
            // Jina's CastPeerPorts: a list is the ports of shard 0; a mapping is per shard.
            "peer_ports" => {
                let per_shard = match &value.value {
                    Value::Map(m) => m
                        .iter()
                        .map(|(k, v)| Ok((k.name.clone(), serde_json::json!(ports(v, name)?))))
                        .collect::<Result<serde_json::Map<_, _>>>()?,
                    _ => std::iter::once(("0".to_string(), serde_json::json!(ports(value, name)?)))
                        .collect(),
                };
                e.pod.args.insert(
                    name.into(),
                    ArgValue::One(python_json(&serde_json::Value::Object(per_shard))),
                );
            }
            "port_monitoring" => {
                ports(value, name)?;
                self.warn(key.pos, format!("`port_monitoring` is ignored on Kubernetes: monitoring is served on {} as in Jina", jina::MONITORING_PORT));
            }
            _ => match keys::executor_key(name) {
                Some(spec) => {
                    self.pass_through(&mut e.pod.args, spec, key, value, Place::Executor)?
                }
                None => {
                    let all = keys::EXECUTOR_KEYS
                        .iter()
                        .map(|k| k.name)
                        .chain(keys::EXECUTOR_EXTRA_KEYS.iter().copied());
                    if keys::EXECUTOR_EXTRA_KEYS.contains(&name) {
                        self.no_effect(key, "an executor");
                        return Ok(());
                    }
                    return Err(unknown_key(key, "an executor", all));
                }
            },
        }
        Ok(())
    }

    /// A Jina option with no special meaning here: checked against its type and passed on the
    /// command line when it differs from Jina's default, as Jina's exporter does.
    fn pass_through(
        &mut self,
        args: &mut Args,
        spec: &KeySpec,
        key: &Key,
        value: &Node,
        place: Place,
    ) -> Result<()> {
        if !spec.k8s || place.taboo().contains(&spec.name) {
            self.no_effect(key, &place.to_string());
            return Ok(());
        }
        if keys::K8S_INERT_ARGS.contains(&spec.name) {
            self.warn(
                key.pos,
                format!("`{}` is passed to Jina, as its export does, but has no effect in a Kubernetes container (no Docker, no Hub pull)", key.name),
            );
        }
        let arg = arg_value(spec, value)?;
        let is_default = match (&arg, spec.default) {
            (ArgValue::Flag(b), d) => !*b || d == Some("True"),
            (ArgValue::One(s), Some(d)) => s == d,
            _ => false,
        };
        if is_default {
            args.shift_remove(spec.name);
        } else {
            args.insert(spec.name.to_string(), arg);
        }
        Ok(())
    }
}

/// Where a pass-through option is given: each drops its own taboo keys.
#[derive(Clone, Copy)]
enum Place {
    Gateway,
    Executor,
}

impl Place {
    fn taboo(self) -> &'static [&'static str] {
        match self {
            Place::Gateway => keys::K8S_GATEWAY_TABOO_KEYS,
            Place::Executor => keys::K8S_TABOO_KEYS,
        }
    }
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Place::Gateway => "the gateway",
            Place::Executor => "an executor",
        })
    }
}

/// Check a pass-through value against its declared kind and render it as Jina would.
fn arg_value(spec: &KeySpec, value: &Node) -> Result<ArgValue> {
    let what = spec.name;
    let one = |s: String| Ok(ArgValue::One(s));
    match (spec.kind, &value.value) {
        (Kind::Flag, _) => Ok(ArgValue::Flag(value.as_bool(what)?)),
        (Kind::Int, Value::Int(i)) => one(i.to_string()),
        (Kind::Int, _) => Err(value_type(value, what, "an integer")),
        (Kind::Float, Value::Int(_) | Value::Float(_)) => {
            one(value.scalar_text().unwrap_or_default())
        }
        (Kind::Float, _) => Err(value_type(value, what, "a number")),
        (Kind::Json, Value::Map(_)) => one(python_json(&value.to_json())),
        (Kind::Json, Value::Str(s)) if serde_json::from_str::<serde_json::Value>(s).is_ok() => {
            one(s.clone())
        }
        (Kind::Json, _) => Err(value_type(value, what, "a mapping")),
        (Kind::List | Kind::StrOrList, Value::Seq(items)) => Ok(ArgValue::Many(
            items
                .iter()
                .map(|i| i.as_text(what))
                .collect::<Result<_>>()?,
        )),
        (Kind::List, Value::Null) => Ok(ArgValue::Many(vec![])),
        (Kind::Choice(options), _) => {
            let text = value.as_text(what)?;
            match options.iter().find(|o| o.eq_ignore_ascii_case(&text)) {
                Some(o) => one(o.to_string()),
                None => Err(Error::input(
                    value.pos,
                    format!(
                        "`{what}` must be one of {}, found `{text}`",
                        options.join(", ")
                    ),
                )),
            }
        }
        (Kind::Port, Value::Int(p)) => one(port_number(value, *p, what)?.to_string()),
        (Kind::Port, Value::Seq(_)) => Ok(ArgValue::Many(
            ports(value, what)?.iter().map(u16::to_string).collect(),
        )),
        (Kind::Port, _) => Err(value_type(value, what, "a port number")),
        (_, Value::Seq(_) | Value::Map(_)) => Err(value_type(value, what, "a single value")),
        _ => one(value.as_text(what)?),
    }
}

fn value_type(value: &Node, what: &str, expected: &str) -> Error {
    Error::input(
        value.pos,
        format!("`{what}` must be {expected}, found {}", value.type_name()),
    )
}

/// `json.dumps` with Python's default separators, which is what Jina passes to its CLI.
pub fn python_json(v: &serde_json::Value) -> String {
    use serde_json::Value as J;
    match v {
        J::Array(items) => format!(
            "[{}]",
            items.iter().map(python_json).collect::<Vec<_>>().join(", ")
        ),
        J::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{}: {}", ascii_json_string(k), python_json(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        J::String(s) => ascii_json_string(s),
        J::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => node::python_float(f),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

/// A JSON string with non-ASCII escaped, as `json.dumps(ensure_ascii=True)`.
fn ascii_json_string(s: &str) -> String {
    let json = serde_json::to_string(s).unwrap_or_default();
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

#[derive(Default)]
struct ExternalParts {
    external: Option<(Pos, bool)>,
    hosts: Option<(Pos, Vec<String>)>,
    ports: Option<(Pos, Vec<u16>)>,
    tls: bool,
}

impl ExternalParts {
    fn finish(self, e: &Executor) -> Result<Option<External>> {
        let pos = match self.external {
            Some((pos, true)) => pos,
            // host/port of an in-cluster executor are fixed by Kubernetes (Jina ignores them too).
            _ => return Ok(None),
        };
        let Some((_, hosts)) = self.hosts.filter(|(_, h)| !h.is_empty()) else {
            return Err(Error::input(
                pos,
                format!("external executor `{}` needs a `host`", e.name),
            ));
        };
        let Some((ppos, ports)) = self.ports.filter(|(_, p)| !p.is_empty()) else {
            return Err(Error::input(
                pos,
                format!("external executor `{}` needs a `port`", e.name),
            ));
        };
        if hosts.len() != ports.len() && ports.len() != 1 {
            return Err(Error::input(
                ppos,
                format!(
                    "external executor `{}` has {} hosts but {} ports",
                    e.name,
                    hosts.len(),
                    ports.len()
                ),
            )
            .with_hint("give one port, or one port per host"));
        }
        Ok(Some(External {
            hosts,
            ports,
            tls: self.tls,
        }))
    }
}

fn unknown_key<'a>(key: &Key, place: &str, candidates: impl IntoIterator<Item = &'a str>) -> Error {
    let err = Error::input(key.pos, format!("unknown key `{}` in {place}", key.name));
    match did_you_mean(&key.name, candidates) {
        Some(s) => err.with_hint(format!("did you mean `{s}`?")),
        None => err.with_hint(
            "not an option here (Jina would ignore it); check the spelling or remove it",
        ),
    }
}

fn executor_name(value: &Node) -> Result<String> {
    let name = value.as_text("name")?;
    names::check_jina_name(&name, value.pos)?;
    Ok(name)
}

/// A count Kubernetes keeps in an `int32` (`replicas`), or `shards`, whose workloads each need a
/// name and an address in the head's list (the schema's maximum too).
fn count(value: &Node, what: &str) -> Result<u32> {
    let n = value.as_int(what)?;
    let max = if what == "shards" {
        crate::jina::MAX_SHARDS
    } else {
        i32::MAX as u32
    };
    if n < 1 || n > i64::from(max) {
        return Err(Error::input(
            value.pos,
            format!("`{what}` must be between 1 and {max}, found {n}"),
        ));
    }
    Ok(n as u32)
}

fn port_number(value: &Node, p: i64, what: &str) -> Result<u16> {
    u16::try_from(p)
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| Error::input(value.pos, format!("`{what}` {p} is out of range (1-65535)")))
}

fn ports(value: &Node, what: &str) -> Result<Vec<u16>> {
    match &value.value {
        Value::Int(p) => Ok(vec![port_number(value, *p, what)?]),
        Value::Seq(items) => items
            .iter()
            .map(|i| port_number(i, i.as_int(what)?, what))
            .collect(),
        _ => Err(value_type(value, what, "a port number or a list of them")),
    }
}

/// External hosts: each a DNS name or an IP address, since Jina dials it as given.
fn hosts(value: &Node) -> Result<Vec<String>> {
    let items: Vec<&Node> = match &value.value {
        Value::Seq(items) => items.iter().collect(),
        _ => vec![value],
    };
    items
        .into_iter()
        .map(|item| {
            let host = item.as_text("host")?;
            let ip = host.parse::<std::net::IpAddr>().is_ok();
            let dns = names::is_dns_subdomain(&host.to_ascii_lowercase());
            if ip || dns {
                Ok(host)
            } else {
                Err(Error::input(item.pos, format!("`{host}` is not a host name or IP address"))
                    .with_hint("write a DNS name (`encoder.example.com`) or an IP address; scheme and port go in `port`/`tls`"))
            }
        })
        .collect()
}

fn string_list(value: &Node, what: &str) -> Result<Vec<String>> {
    match &value.value {
        Value::Null => Ok(vec![]),
        Value::Seq(items) => items.iter().map(|i| i.as_text(what)).collect(),
        _ => Ok(vec![value.as_text(what)?]),
    }
}

/// Names of Secrets: DNS subdomains, or the kubelet can never find them.
fn pull_secrets(value: &Node) -> Result<Vec<String>> {
    let names = string_list(value, "image_pull_secrets")?;
    let items: Vec<&Node> = match &value.value {
        Value::Seq(items) => items.iter().collect(),
        _ => vec![value],
    };
    for (name, node) in names.iter().zip(items) {
        if !names::is_dns_subdomain(name) {
            return Err(Error::input(
                node.pos,
                format!("image pull secret `{name}` is not a valid Secret name"),
            )
            .with_hint("Secret names are lower-case DNS names (letters, digits, `-` and `.`), at most 253 characters"));
        }
    }
    Ok(names)
}

fn json_map(value: &Node, what: &str) -> Result<serde_json::Value> {
    match &value.value {
        Value::Map(_) => Ok(value.to_json()),
        Value::Null => Ok(serde_json::Value::Object(Default::default())),
        Value::Str(s) => match serde_json::from_str::<serde_json::Value>(s) {
            Ok(v @ serde_json::Value::Object(_)) => Ok(v),
            _ => Err(value_type(value, what, "a mapping")),
        },
        _ => Err(value_type(value, what, "a mapping")),
    }
}

fn protocols(value: &Node) -> Result<Vec<Protocol>> {
    let items: Vec<&Node> = match &value.value {
        Value::Seq(items) => items.iter().collect(),
        _ => vec![value],
    };
    let mut out = Vec::new();
    for item in items {
        let text = item.as_text("protocol")?;
        let p = Protocol::parse(&text).ok_or_else(|| {
            Error::input(item.pos, format!("unknown protocol `{text}`"))
                .with_hint("use grpc, http or websocket")
        })?;
        if out.contains(&p) {
            return Err(Error::input(
                item.pos,
                format!("protocol `{text}` is listed twice"),
            ));
        }
        out.push(p);
    }
    if out.is_empty() {
        return Err(Error::input(
            value.pos,
            "`protocol` must name at least one protocol",
        ));
    }
    Ok(out)
}

fn polling(value: &Node) -> Result<Polling> {
    let check = |n: &Node| -> Result<String> {
        let t = n.as_text("polling")?.to_ascii_uppercase();
        if t == "ANY" || t == "ALL" {
            Ok(t)
        } else {
            Err(Error::input(
                n.pos,
                format!("`polling` must be ANY or ALL, found `{t}`"),
            ))
        }
    };
    match &value.value {
        Value::Map(m) => Ok(Polling::PerEndpoint(
            m.iter()
                .map(|(k, v)| Ok((k.name.clone(), check(v)?)))
                .collect::<Result<_>>()?,
        )),
        _ => Ok(Polling::All(check(value)?)),
    }
}

fn gpus(value: &Node) -> Result<String> {
    let text = value.as_text("gpus")?;
    let ok = text == "all"
        || text.parse::<u32>().is_ok_and(|n| n > 0)
        || text.strip_prefix("device=").is_some_and(|d| !d.is_empty());
    if !ok {
        return Err(
            Error::input(value.pos, format!("`gpus: {text}` is not a GPU count"))
                .with_hint("use a positive number, `all`, or `device=0,1`"),
        );
    }
    Ok(text)
}

fn volumes(value: &Node) -> Result<Vec<Volume>> {
    let items: Vec<&Node> = match &value.value {
        Value::Null => vec![],
        Value::Seq(items) => items.iter().collect(),
        _ => vec![value],
    };
    items
        .into_iter()
        .map(|item| {
            let source = item.as_text("volumes")?;
            let mount_path = match source.split(':').collect::<Vec<_>>().as_slice() {
                [only] => only.to_string(),
                [_, container] | [_, container, _] => container.to_string(),
                _ => String::new(),
            };
            if !mount_path.starts_with('/') {
                return Err(Error::input(
                    item.pos,
                    format!("volume `{source}` has no absolute container path"),
                )
                .with_hint("write `HOST:/container/path` or `/container/path`"));
            }
            Ok((item.pos, Volume { source, mount_path }))
        })
        .collect::<Result<Vec<_>>>()
        .and_then(|located| {
            let mut seen = std::collections::HashSet::new();
            for (pos, v) in &located {
                if !seen.insert(v.mount_path.trim_end_matches('/').to_string()) {
                    return Err(Error::input(*pos, format!("two volumes are mounted at `{}`", v.mount_path))
                        .with_hint("Kubernetes refuses a pod with two mounts at one path: give each volume its own container path"));
                }
            }
            Ok(located.into_iter().map(|(_, v)| v).collect())
        })
}

fn env_from_secret(value: &Node) -> Result<IndexMap<String, SecretRef>> {
    let mut out = IndexMap::new();
    if value.is_null() {
        return Ok(out);
    }
    for (k, v) in value.as_map("env_from_secret")? {
        if !is_env_name(&k.name) {
            return Err(Error::input(
                k.pos,
                format!("`{}` is not a valid environment variable name", k.name),
            ));
        }
        let hint = "write `VAR: {name: SECRET, key: KEY}`";
        let entry = v
            .as_map(&format!("env_from_secret.{}", k.name))
            .map_err(|e| e.with_hint(hint))?;
        let mut name = None;
        let mut key = None;
        for (ek, ev) in entry {
            match ek.name.as_str() {
                "name" => name = Some(ev.as_text("name")?),
                "key" => key = Some(ev.as_text("key")?),
                _ => {
                    return Err(unknown_key(
                        ek,
                        &format!("`env_from_secret.{}`", k.name),
                        ["name", "key"],
                    ))
                }
            }
        }
        let (Some(name), Some(key)) = (name, key) else {
            return Err(Error::input(
                v.pos,
                format!("`env_from_secret.{}` needs both `name` and `key`", k.name),
            )
            .with_hint(hint));
        };
        if !names::is_dns_subdomain(&name) {
            return Err(Error::input(
                v.pos,
                format!("secret name `{name}` is not a valid Kubernetes name"),
            ));
        }
        if !is_data_key(&key) {
            return Err(Error::input(
                v.pos,
                format!("secret key `{key}` is not a valid Secret data key"),
            )
            .with_hint(
                "a Secret's keys are letters, digits, `-`, `_` and `.`, at most 253 of them",
            ));
        }
        out.insert(k.name.clone(), SecretRef { name, key });
    }
    Ok(out)
}

/// A ConfigMap or Secret data key (`IsConfigMapKey`).
fn is_data_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 253
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && key != "."
        && key != ".."
}

fn is_env_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

fn sidecar(value: &Node, what: &str) -> Result<Option<Uses>> {
    if value.is_null() {
        return Ok(None);
    }
    uses(value, what).map(Some)
}

/// Classify a `uses:` value the way Jina's `validate_uses` does for Kubernetes.
fn uses(value: &Node, what: &str) -> Result<Uses> {
    let text = value.as_str(what).map_err(|e| {
        e.with_hint("Kubernetes needs a containerized executor: `docker://IMAGE` or `jinaai+docker://USER/NAME`")
    })?;
    if text == "BaseExecutor" {
        return Ok(Uses::Base);
    }
    if let Some(image) = text.strip_prefix("docker://") {
        return Ok(Uses::Docker {
            image: names::parse_image(image).map_err(|m| {
                Error::input(value.pos, format!("`{what}`: {m}"))
                    .with_hint("write `docker://REGISTRY/REPOSITORY:TAG`")
            })?,
            source: text.to_string(),
        });
    }
    if text.starts_with("jinaai+docker://") || text.starts_with("jinahub+docker://") {
        return Ok(Uses::Hub {
            uri: text.to_string(),
        });
    }
    Err(Error::input(value.pos, format!("`{what}: {text}` is not a containerized executor"))
        .with_hint("Kubernetes runs images: use `docker://IMAGE` (build and push the executor first) or `jinaai+docker://USER/NAME`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_json_matches_json_dumps() {
        let v: serde_json::Value =
            serde_json::from_str(r#"{"a": [1, 2.5, "é"], "b": {"c": true, "d": null}}"#).unwrap();
        assert_eq!(
            python_json(&v),
            r#"{"a": [1, 2.5, "\u00e9"], "b": {"c": true, "d": null}}"#
        );
    }
}
