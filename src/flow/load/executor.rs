//! One entry of `executors:` (or a `jtype: Deployment`): its keys, sidecars and external parts,
//! over the Flow-level defaults it inherits.

use super::coerce::{
    count, executor_name, gpus, hosts, json_map, polling, ports, protocols, sidecar, string_list,
    unknown_key, uses, volumes,
};
use super::{Loader, Place};
use crate::error::{Error, Pos, Result};
use crate::flow::model::{ArgValue, Executor, External};
use crate::flow::names;
use crate::jcloud;
use crate::jina;
use crate::jina::keys::{self};
use crate::yaml::{Key, Node, Value};

impl Loader {
    /// One executor entry of `executors:`; `common` are the Flow-level defaults.
    pub(super) fn executor_entry(
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

    pub(super) fn executor(
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
        e.external = self.external(&e, ext)?;
        // Read last: the translation needs the executor's `workspace`, wherever it is written.
        if let Some((key, value)) = own.iter().find(|(k, _)| k.name == "jcloud") {
            let workspace = match e.pod.args.get("workspace") {
                Some(ArgValue::One(w)) => Some(w.clone()),
                _ => None,
            };
            let context = jcloud::Context { workspace };
            e.pod.jcloud = self.jcloud(key, value, jcloud::Scope::Executor, &context);
            // Jina's own `gpus` is what Jina runs with: it wins over JCloud's.
            if e.gpus.is_some() && e.pod.jcloud.iter().any(|s| s.path == "gpus") {
                e.pod.jcloud.retain(|s| s.path != "gpus");
                self.warn(
                    key.pos,
                    format!(
                        "`{}` sets `gpus` and its `jcloud` block a GPU too: `gpus` is kept",
                        e.name
                    ),
                );
            }
        }
        self.check_sidecars(&e, n.pos);
        Ok(e)
    }

    pub(super) fn check_sidecars(&mut self, e: &Executor, pos: Pos) {
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

    pub(super) fn executor_key(
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
            "method" => method(value, name)?,
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
            // Read only for an external executor: the export gives every other one its pod's.
            "host" => ext.hosts = Some((key.pos, value.clone())),
            "port" => ext.ports = Some((key.pos, value.clone())),
            "tls" => ext.tls = value.as_bool(name)?,
            // Jina's CastPeerPorts: a list is the ports of shard 0; a mapping is per shard.
            "peer_ports" => {
                let per_shard = peer_ports(value, name)?;
                e.pod.args.insert(name.into(), ArgValue::Json(per_shard));
            }
            "port_monitoring" => {
                self.warn(key.pos, format!("`port_monitoring` is ignored on Kubernetes: monitoring is served on {} as in Jina", jina::MONITORING_PORT));
            }
            _ => self.other_executor_key(e, key, value)?,
        }
        Ok(())
    }

    /// A key Jina passes to the executor's runtime as it is, a key with no effect here, or a
    /// key Jina does not know.
    fn other_executor_key(&mut self, e: &mut Executor, key: &Key, value: &Node) -> Result<()> {
        let name = key.name.as_str();
        if let Some(spec) = keys::executor_key(name) {
            return self.pass_through(&mut e.pod.args, spec, key, value, Place::Executor);
        }
        if name == "jcloud" {
            // Translated once the rest of the executor is read.
            return Ok(());
        }
        if keys::EXECUTOR_EXTRA_KEYS.contains(&name) {
            self.no_effect(key, "an executor");
            return Ok(());
        }
        if let Some(old) = crate::jina::legacy::executor(name) {
            return Err(super::old_syntax(key, old));
        }
        let all = keys::EXECUTOR_KEYS
            .iter()
            .map(|k| k.name)
            .chain(keys::EXECUTOR_EXTRA_KEYS.iter().copied());
        Err(unknown_key(key, "an executor", all))
    }
}

#[derive(Default)]
pub(super) struct ExternalParts {
    external: Option<(Pos, bool)>,
    hosts: Option<(Pos, Node)>,
    ports: Option<(Pos, Node)>,
    tls: bool,
}

impl Loader {
    /// Where an external executor is; for any other, `host` and `port` are the pod's, fixed by
    /// Kubernetes (Jina's export ignores them too).
    fn external(&mut self, e: &Executor, parts: ExternalParts) -> Result<Option<External>> {
        let Some((pos, true)) = parts.external else {
            for (what, part) in [("host", &parts.hosts), ("port", &parts.ports)] {
                if let Some((at, _)) = part {
                    let listens = match what {
                        "host" => "on every address".to_string(),
                        _ => format!("on port {} and up", jina::PORT),
                    };
                    self.warn(*at, format!("`{what}` is ignored on Kubernetes for `{}`, which is not `external`: it listens {listens} in its pod, as in Jina's export", e.name));
                }
            }
            return Ok(None);
        };
        let hosts = match &parts.hosts {
            Some((_, node)) => hosts(node)?,
            None => Vec::new(),
        };
        if hosts.is_empty() {
            return Err(Error::input(
                pos,
                format!("external executor `{}` needs a `host`", e.name),
            ));
        }
        let (ppos, ports) = match &parts.ports {
            Some((at, node)) => (*at, ports(node, "port")?),
            None => (pos, Vec::new()),
        };
        if ports.is_empty() {
            return Err(Error::input(
                pos,
                format!("external executor `{}` needs a `port`", e.name),
            ));
        }
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
            tls: parts.tls,
        }))
    }
}

/// `method`: how `Flow.add` or `Flow.needs` built the Flow; Kubernetes runs only those two.
fn method(value: &Node, name: &str) -> Result<()> {
    let m = value.as_str(name)?;
    if m == "add" || m == "needs" {
        return Ok(());
    }
    Err(Error::input(
        value.pos,
        format!("`method: {m}` is not supported on Kubernetes"),
    )
    .with_hint("use `add` (default) or `needs`"))
}

/// Jina's CastPeerPorts: a list is the ports of shard 0; a mapping is per shard.
fn peer_ports(value: &Node, name: &str) -> Result<serde_json::Value> {
    let per_shard = match &value.value {
        Value::Map(m) => m
            .iter()
            .map(|(k, v)| Ok((k.name.clone(), serde_json::json!(ports(v, name)?))))
            .collect::<Result<serde_json::Map<_, _>>>()?,
        _ => std::iter::once(("0".to_string(), serde_json::json!(ports(value, name)?))).collect(),
    };
    Ok(serde_json::Value::Object(per_shard))
}
