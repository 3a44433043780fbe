//! The resolved Flow: what Jina would deploy, with every default applied and every reference
//! checked. Built by [`crate::load`]; consumed by the chart compiler and `flowhelm check`.

use indexmap::IndexMap;
use serde::Serialize;

use crate::error::{Pos, Warning};

/// `jtype: Flow` (gateway + executors) or `jtype: Deployment` (one executor, no gateway).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FlowKind {
    Flow,
    Deployment,
}

/// A wire protocol Jina serves (a fact about Jina, so it lives in [`crate::jina`]).
pub use crate::jina::Protocol;

/// A container image reference split the way the chart's `image` values are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Image {
    pub repository: String,
    pub tag: String,
    pub digest: String,
}

impl Image {
    pub fn reference(&self) -> String {
        let mut s = self.repository.clone();
        if !self.tag.is_empty() {
            s.push(':');
            s.push_str(&self.tag);
        }
        if !self.digest.is_empty() {
            s.push('@');
            s.push_str(&self.digest);
        }
        s
    }
}

/// What an executor (or sidecar) runs, from its `uses:`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Uses {
    /// No `uses` or `BaseExecutor`: Jina runs its base image without `--uses`.
    Base,
    /// `docker://IMAGE`: the image must contain `config.yml`; Jina passes `--uses config.yml`.
    Docker { image: Image, source: String },
    /// `jinaai+docker://…` / `jinahub+docker://…`: Jina resolves the image through Jina Hub at
    /// export time. flowhelm cannot (no network), so the image must be given as a value.
    Hub { uri: String },
}

/// How a sharded executor's head fans requests out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Polling {
    /// One mode for every endpoint.
    Uniform(PollingMode),
    /// A mode per endpoint (`*` for the rest), passed to the head as JSON.
    PerEndpoint(IndexMap<String, PollingMode>),
}

impl Default for Polling {
    fn default() -> Self {
        Polling::Uniform(PollingMode::Any)
    }
}

/// Whether a request goes to one shard or to all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PollingMode {
    /// One shard answers (Jina's default).
    #[serde(rename = "ANY")]
    Any,
    /// Every shard answers; the head (or `uses_after`) merges the replies.
    #[serde(rename = "ALL")]
    All,
}

impl PollingMode {
    /// The mode as Jina spells it, case-insensitively, or `None`.
    pub fn parse(text: &str) -> Option<PollingMode> {
        match text.to_ascii_uppercase().as_str() {
            "ANY" => Some(PollingMode::Any),
            "ALL" => Some(PollingMode::All),
            _ => None,
        }
    }

    /// `ANY` or `ALL`, as Jina's arguments take it.
    pub fn as_str(self) -> &'static str {
        match self {
            PollingMode::Any => "ANY",
            PollingMode::All => "ALL",
        }
    }
}

impl std::fmt::Display for PollingMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `secretKeyRef` from `env_from_secret`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretRef {
    pub name: String,
    pub key: String,
}

/// One entry of `volumes:` (`host:container` or a bare container path).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Volume {
    /// As written in the Flow.
    pub source: String,
    /// Where it is mounted in the container.
    pub mount_path: String,
}

/// An executor served outside the cluster (`external: true`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct External {
    pub hosts: Vec<String>,
    pub ports: Vec<u16>,
    pub tls: bool,
}

/// The value of a pass-through Jina CLI option, already in the form Jina puts on the command line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ArgValue {
    /// `store_true` option set: a bare `--flag`.
    Flag(bool),
    /// One value (Python `str()`).
    One(String),
    /// `nargs` option: repeated values.
    Many(Vec<String>),
    /// A mapping, which Jina passes as its `json.dumps` (dict options, and any other option
    /// written as a mapping, e.g. `expose_endpoints`).
    Json(serde_json::Value),
}

/// Pass-through Jina options keyed by their snake_case name (`--` + name with `-` is the flag).
pub type Args = IndexMap<String, ArgValue>;

/// Settings shared by the gateway and executors' pods.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PodSettings {
    /// ConfigMap data (`env:`), values as Python `str()`.
    pub env: IndexMap<String, String>,
    pub env_from_secret: IndexMap<String, SecretRef>,
    pub image_pull_secrets: Vec<String>,
    pub monitoring: bool,
    /// Milliseconds; `None` is Jina's default ([`crate::jina::DEFAULT_TIMEOUT_READY`]).
    pub timeout_ready: Option<i64>,
    /// Other options Jina passes on the command line.
    pub args: Args,
    /// Values translated from JCloud's `jcloud:` blocks (the Flow's, then the workload's own),
    /// laid over the values the rest of the Flow gives.
    pub jcloud: Vec<crate::jcloud::Setting>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gateway {
    pub protocols: Vec<Protocol>,
    pub replicas: u32,
    /// A custom gateway image (`gateway: {uses: docker://…}`).
    pub uses: Option<Uses>,
    pub uses_with: Option<serde_json::Value>,
    pub pod: PodSettings,
    /// Where `gateway:` (or the Flow) starts, for messages.
    pub pos: Pos,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Executor {
    /// The Jina name (used in `--name`, graph JSON and `JINA_DEPLOYMENT_NAME`).
    pub name: String,
    /// The Kubernetes-compatible form (`_` → `-`, lower case).
    pub dns: String,
    pub pos: Pos,
    pub uses: Uses,
    pub replicas: u32,
    pub shards: u32,
    pub polling: Polling,
    /// Resolved `needs` (executor names; `gateway` for the start).
    pub needs: Vec<String>,
    pub floating: bool,
    pub when: Option<serde_json::Value>,
    pub no_reduce: bool,
    pub uses_before: Option<Uses>,
    pub uses_after: Option<Uses>,
    pub uses_with: Option<serde_json::Value>,
    pub uses_metas: Option<serde_json::Value>,
    pub volumes: Vec<Volume>,
    /// `gpus:` as written (`"2"`, `"all"`).
    pub gpus: Option<String>,
    pub protocols: Vec<Protocol>,
    pub external: Option<External>,
    pub grpc_metadata: Option<serde_json::Value>,
    pub pod: PodSettings,
}

impl Executor {
    /// An executor named `name` with nothing set: Jina's defaults for every option.
    pub fn new(name: String, pos: Pos) -> Executor {
        Executor {
            name,
            dns: String::new(),
            pos,
            uses: Uses::Base,
            replicas: 1,
            shards: 1,
            polling: Polling::default(),
            needs: Vec::new(),
            floating: false,
            when: None,
            no_reduce: false,
            uses_before: None,
            uses_after: None,
            uses_with: None,
            uses_metas: None,
            volumes: Vec::new(),
            gpus: None,
            protocols: vec![Protocol::Grpc],
            external: None,
            grpc_metadata: None,
            pod: PodSettings::default(),
        }
    }

    pub fn protocol(&self) -> Protocol {
        self.protocols.first().copied().unwrap_or(Protocol::Grpc)
    }
}

/// A loaded, validated Flow.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flow {
    pub kind: FlowKind,
    /// `with: {name: …}`, if given.
    pub name: Option<String>,
    /// Absent for `jtype: Deployment`.
    pub gateway: Option<Gateway>,
    pub executors: Vec<Executor>,
    /// Chart-wide values translated from the Flow's (or Deployment's) own `jcloud:` block.
    pub jcloud: Vec<crate::jcloud::Setting>,
    /// The Jina version JCloud ran (`jcloud.version`) and where it is written.
    #[serde(skip)]
    pub jcloud_version: Option<(String, Pos)>,
    #[serde(skip)]
    pub warnings: Vec<Warning>,
}

impl Flow {
    pub fn executor(&self, name: &str) -> Option<&Executor> {
        self.executors.iter().find(|e| e.name == name)
    }

    /// Edges of the executor graph as `(from, to)`, with `gateway` as the start and the end.
    pub fn edges(&self) -> Vec<(String, String)> {
        let mut edges = Vec::new();
        for e in &self.executors {
            for need in &e.needs {
                edges.push((need.clone(), e.name.clone()));
            }
        }
        if let Some(last) = self.last_executor() {
            edges.push((last.name.clone(), "gateway".into()));
        }
        edges
    }

    /// The executor whose output goes back to the gateway: the last one that is not floating.
    pub fn last_executor(&self) -> Option<&Executor> {
        if self.kind == FlowKind::Deployment {
            return None;
        }
        self.executors.iter().rev().find(|e| !e.floating)
    }

    /// Jina's `--graph-description`: node → successors, in Flow order.
    pub fn graph_description(&self) -> IndexMap<String, Vec<String>> {
        let mut graph: IndexMap<String, Vec<String>> = IndexMap::new();
        for e in &self.executors {
            graph.entry(e.name.clone()).or_default();
            let mut needs = e.needs.clone();
            needs.sort();
            for need in needs {
                let from = if need == "gateway" {
                    "start-gateway".to_string()
                } else {
                    need
                };
                graph.entry(from).or_default().push(e.name.clone());
            }
        }
        if let Some(last) = self.last_executor() {
            graph
                .entry(last.name.clone())
                .or_default()
                .push("end-gateway".into());
        }
        graph
    }
}
