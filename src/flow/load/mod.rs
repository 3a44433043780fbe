//! From YAML text to a validated [`Flow`]: key checks, types, defaults, Flow-level inheritance,
//! the executor graph and every name the chart will use.

use indexmap::IndexMap;

use crate::error::{Error, Pos, Result, Warning};
use crate::flow::model::{ArgValue, Args, Executor, Flow, FlowKind, Gateway, PodSettings};
use crate::flow::names;
use crate::flow::{envsubst, graph};
use crate::jcloud::{self, Setting, Target, Translated};
use crate::jina::keys::{self, KeySpec};
use crate::yaml::{self, Key, Node, Value};

mod coerce;
mod executor;
mod gateway;

use coerce::{arg_value, env_from_secret, is_env_name, pull_secrets, unknown_key};

/// Read and load a Flow file; `env` answers `${{ ENV.X }}` look-ups (the CLI passes the process
/// environment). Errors name the file.
pub fn load_file(path: &std::path::Path, env: &dyn Fn(&str) -> Option<String>) -> Result<Flow> {
    let source = crate::read::text(path)?;
    load_str(&source, env).map_err(|e| e.in_file(path))
}

/// Load a Flow from text; `env` answers `${{ ENV.X }}` look-ups.
pub fn load_str(source: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Flow> {
    let mut root = yaml::parse_flow(source)?;
    let deferred = envsubst::substitute(&mut root, env)?;
    let mut cx = Loader::default();
    cx.warnings.extend(yaml::helm3_unsafe_warning(&root));
    cx.warnings
        .extend(deferred.iter().map(envsubst::deferred_warning));
    let flow = cx
        .flow(&root, source)
        .map_err(|e| unset_variable_hint(e, &deferred))?;
    // A Flow-level option each executor inherits is warned about once, where it is written;
    // warnings come in the file's order.
    let mut seen = std::collections::HashSet::new();
    cx.warnings
        .retain(|w| seen.insert((w.pos(), w.message().to_string())));
    cx.warnings
        .sort_by_key(|w| w.pos().map(|p| (p.line, p.col)));
    Ok(Flow {
        warnings: cx.warnings,
        ..flow
    })
}

/// A value refused because it holds a `$X` left for an unset variable says so.
fn unset_variable_hint(err: Error, deferred: &[envsubst::Deferred]) -> Error {
    match deferred.iter().find(|(pos, _)| err.pos() == Some(*pos)) {
        Some((_, name)) => err.with_hint(format!(
            "`${name}` stands for `${{{{ ENV.{name} }}}}`, which is not set: export {name}=… before running flowhelm, or write the value"
        )),
        None => err,
    }
}

/// The warning for a `jcloud:` block where JCloud never read one.
fn jcloud_misplaced(key: &Key) -> Warning {
    Warning::new(
        key.pos,
        "JCloud read `jcloud` at the top of the file, under `gateway` and on executors, not in `with`; not translated",
    )
}

/// An option of an older Jina syntax, refused with what replaced it.
fn old_syntax(key: &Key, old: &crate::jina::legacy::OldKey) -> Error {
    Error::input(
        key.pos,
        format!(
            "`{}` is {} syntax, which Jina 3 no longer reads",
            key.name, old.versions
        ),
    )
    .with_hint(old.instead)
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
        self.warnings.push(Warning::new(pos, message));
    }

    fn flow(&mut self, root: &Node, source: &str) -> Result<Flow> {
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
        // A document tagged `!Flow` is a `jtype: Flow` to Jina, which rewrites `!word` tags to
        // `jtype: word` before reading the file (`JAML.escape`); a `jtype` key wins over the tag
        // there too, being read after it.
        let (jtype, jtype_pos, written) = match root.get("jtype") {
            Some(n) => {
                let t = n.as_str("jtype")?.to_string();
                let written = format!("jtype: {t}");
                (t, n.pos, written)
            }
            None => match yaml::root_tag(source) {
                Some((pos, tag)) => {
                    let written = format!("!{tag}");
                    (tag, pos, written)
                }
                None => {
                    return Err(Error::input(root.pos, "missing `jtype`")
                        .with_hint("start the file with `jtype: Flow` or `jtype: Deployment`"))
                }
            },
        };
        match jtype.as_str() {
            "Flow" => self.flow_document(entries),
            "Deployment" => self.deployment_document(root, entries),
            _ => Err(Error::input(jtype_pos, format!("unsupported `{written}`"))
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
        let mut jcloud_node = None;
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
                "jcloud" => jcloud_node = Some((key, value)),
                name => {
                    if let Some(old) = crate::jina::legacy::top(name) {
                        return Err(old_syntax(key, old));
                    }
                    return Err(unknown_key(key, "the Flow", TOP.iter().copied()));
                }
            }
        }
        let mut gateway = self.gateway(gateway_node, &with, flow_pos)?;
        let mut executors = Vec::with_capacity(executor_nodes.len());
        for (i, n) in executor_nodes.iter().enumerate() {
            executors.push(self.executor_entry(n, i, &with.common)?);
        }
        let translated = match jcloud_node {
            Some((key, value)) => self.jcloud_top(key, value, jcloud::Scope::Flow),
            None => Translated::default(),
        };
        // The Flow's block first, so that a workload's own keys win.
        let pick = |targets: &[Target]| -> Vec<Setting> {
            translated
                .settings
                .iter()
                .filter(|s| targets.contains(&s.target))
                .cloned()
                .collect()
        };
        let mut for_gateway = pick(&[Target::Every, Target::Gateway]);
        for_gateway.append(&mut gateway.pod.jcloud);
        gateway.pod.jcloud = for_gateway;
        for x in &mut executors {
            let mut settings = pick(&[Target::Every]);
            settings.append(&mut x.pod.jcloud);
            x.pod.jcloud = settings;
        }
        let mut flow = self.finish(FlowKind::Flow, with.name, Some(gateway), executors)?;
        flow.jcloud = pick(&[Target::Global]);
        flow.jcloud_version = translated.version;
        Ok(flow)
    }

    /// Translate a `jcloud:` block, keeping its warnings.
    fn jcloud(
        &mut self,
        key: &Key,
        value: &Node,
        scope: jcloud::Scope,
        context: &jcloud::Context,
    ) -> Vec<Setting> {
        let mut t = jcloud::translate(key, value, scope, context);
        self.warnings.append(&mut t.warnings);
        t.settings
    }

    /// Translate the file's own `jcloud:` block (a Flow's or a Deployment's).
    fn jcloud_top(&mut self, key: &Key, value: &Node, scope: jcloud::Scope) -> Translated {
        let mut t = jcloud::translate(key, value, scope, &jcloud::Context::default());
        self.warnings.append(&mut t.warnings);
        t
    }

    fn deployment_document(&mut self, root: &Node, entries: &[(Key, Node)]) -> Result<Flow> {
        // Jina's Deployment parser reads `with` and `needs` and nothing else.
        let mut jcloud_node = None;
        for (key, value) in entries {
            match key.name.as_str() {
                "jtype" | "with" | "needs" | "version" => {}
                "jcloud" => jcloud_node = Some((key, value)),
                "gateway" => self.warn(
                    key.pos,
                    "`gateway` has no effect in a `jtype: Deployment`, which runs no gateway (Jina ignores it too); its executor's protocols go in `with: {protocol: …}`",
                ),
                _ => return Err(unknown_key(key, "a Deployment", ["jtype", "with"])),
            }
        }
        let with = root
            .get("with")
            .cloned()
            .unwrap_or(Node::new(root.pos, Value::Map(vec![])));
        let mut exec = self.executor(&with, "executor".to_string(), &[])?;
        exec.needs.clear();
        let translated = match jcloud_node {
            Some((key, value)) => self.jcloud_top(key, value, jcloud::Scope::Deployment),
            None => Translated::default(),
        };
        // The file's block first, so that one in `with` wins.
        let (global, mut own): (Vec<Setting>, Vec<Setting>) = translated
            .settings
            .into_iter()
            .partition(|s| s.target == Target::Global);
        own.append(&mut exec.pod.jcloud);
        exec.pod.jcloud = own;
        let mut flow = self.finish(FlowKind::Deployment, None, None, vec![exec])?;
        flow.jcloud = global;
        flow.jcloud_version = translated.version;
        Ok(flow)
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
            jcloud: Vec::new(),
            jcloud_version: None,
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
                // Jina's "common kwargs": the gateway takes those of its options, every executor
                // that does not set them itself those of its own.
                with.common.push((key, v));
            } else if key.name == "jcloud" {
                self.warnings.push(jcloud_misplaced(key));
            } else if let Some(old) = crate::jina::legacy::executor(&key.name)
                .or_else(|| crate::jina::legacy::gateway(&key.name))
            {
                return Err(old_syntax(key, old));
            } else {
                // Jina hands it to the gateway and the executors, whose parsers ignore it.
                let all = keys::FLOW_KEYS
                    .iter()
                    .chain(keys::EXECUTOR_KEYS)
                    .chain(keys::GATEWAY_KEYS)
                    .map(|k| k.name);
                let close = crate::error::did_you_mean(&key.name, all)
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                self.warn(
                    key.pos,
                    format!("`{}` in the Flow's `with` is an option of neither the executors nor the gateway, so Jina ignores it{close}; ignored", key.name),
                );
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
        // Options the chart passes itself (a head's runtime, the gateway's address): an `args`
        // entry would override them, so the values never hold one.
        if crate::jina::chart_arg(place.role(), spec.name, "").is_some() {
            self.warn(
                key.pos,
                format!(
                    "`{}` is an option the chart sets itself on Kubernetes; ignored",
                    key.name
                ),
            );
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
    fn role(self) -> crate::jina::Role {
        match self {
            Place::Gateway => crate::jina::Role::Gateway,
            Place::Executor => crate::jina::Role::Executor,
        }
    }

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
