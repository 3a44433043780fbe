//! Every key that Jina's own argparse parsers accept in a Flow YAML.
//!
//! The tables were taken from the jina **3.34.0** wheel on PyPI (`jina/parsers/**`,
//! plus `hubble/executor/parsers/pull.py` from jina-hubble-sdk 0.39.0 for
//! `force_update` / `prefer_platform`). The parsers were built, and every `dest`,
//! option string, action, type, `nargs`, default and `choices` was dumped and
//! checked against these tables. The k8s columns come from the same release's
//! `jina/orchestrate/deployments/config/{k8s,helper}.py`,
//! `jina/orchestrate/deployments/__init__.py` and `jina/orchestrate/flow/base.py`.
//! Only 3.34.0 was checked. Older 3.x releases lack some of these keys. For example, an older
//! generated table in the jina repo (`docs/concepts/orchestration/flow/executor-args.md`) has no
//! `stateful`, `peer_ports`, `provider` or `image_pull_secrets`.
//!
//! Sources:
//! * executors (`executors:` entries and `jtype: Deployment` `with:`): `set_deployment_parser()`
//!   (= `set_pod_parser()` + `mixin_base_deployment_parser`).
//! * the `gateway:` section: `set_gateway_parser()`.
//! * Flow `with:`: `set_flow_parser()`. Every other `with:` key is a "common kwarg". It goes to
//!   the gateway (except [`FLOW_TO_GATEWAY_BLACKLIST`]) and to every executor that does not set it
//!   (except [`FLOW_TO_EXECUTOR_BLACKLIST`]).
//!
//! How YAML values reach argparse: Jina turns each `key: value` into `--key-with-dashes value`.
//! Booleans become a bare flag (or nothing for false), lists become repeated values, and dicts
//! are `json.dumps`ed. It then runs `parse_known_args`, so unknown keys are dropped with a warning.
//! Deprecated names that are no longer options (`override_with`, `parallel`, `https`, and for
//! executors `port_in` / `port_expose`) only get a "use X instead" warning and are dropped.
//! argparse also accepts unique prefixes of long options (`shard: 2` is read as `shards`).
//! This module does not model that.
//!
//! `default` convention: the Python default as `str()` renders it (`"False"`, `"1"`, `"ANY"`,
//! `"BaseExecutor"`). Enum members are shown by name. List defaults are shown as JSON arrays of
//! the members' `str()` (`["GRPC"]`, `["0.0.0.0"]`, `[]`). `None` stands for a Python `None`
//! or a value drawn at random (ports, `workspace_id`).
//!
//! `k8s` convention (mechanical, as in 3.34 `jina export kubernetes`): `true` when a
//! user-supplied value can change the generated manifests. That means the value is forwarded as
//! a container argument, or mapped to Kubernetes objects or gateway arguments. Executors forward
//! every non-default key of `set_pod_parser()` except [`K8S_TABOO_KEYS`]. The gateway forwards
//! every non-default key of `set_gateway_parser()` except [`K8S_GATEWAY_TABOO_KEYS`]. `false`
//! means Jina drops the value, or overwrites it (`port_monitoring`, `k8s_namespace`, `shard_id`,
//! the gateway's `port` and graph JSONs). Some forwarded keys have no effect inside the
//! `jina executor --native` container; they are listed in [`K8S_INERT_ARGS`].

/// How a key's value is typed in Jina's argparse definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `action='store_true'`.
    Flag,
    /// `type=str`, a single value (may hold a JSON string, e.g. `polling`, `expose_endpoints`).
    Str,
    /// `type=int`.
    Int,
    /// `KVAppendAction` (a dict / JSON object), or a JSON dict such as `peer_ports`.
    Json,
    /// `nargs='*'` or `nargs='+'` of strings.
    List,
    /// `choices=[...]`, parsed case-insensitively for Jina enums. `protocol` takes one or more.
    Choice(&'static [&'static str]),
    /// `CastToIntAction` ports: an int, a list of ints, or comma-separated ints.
    Port,
    /// `type=str` that users commonly give as an int (`gpus: 1`).
    IntOrStr,
    /// One string or a list of strings (`CastHostAction`, also comma-separated).
    StrOrList,
}

/// One accepted key.
#[derive(Debug, Clone, Copy)]
pub struct KeySpec {
    /// snake_case as written in YAML (the argparse dest, or a deprecated alias of it).
    pub name: &'static str,
    /// How argparse types the value.
    pub kind: Kind,
    /// Python default rendered as Jina would `str()` it; see the module docs.
    pub default: Option<&'static str>,
    /// Whether a user value can change Jina's Kubernetes export; see the module docs.
    pub k8s: bool,
}

/// `protocol` / `protocols` (`ProtocolType`, parsed case-insensitively).
pub const PROTOCOL_CHOICES: &[&str] = &["GRPC", "HTTP", "WEBSOCKET"];
/// `compression` (gRPC compression algorithms).
pub const COMPRESSION_CHOICES: &[&str] = &["NoCompression", "Deflate", "Gzip"];
/// `provider` (`ProviderType`).
pub const PROVIDER_CHOICES: &[&str] = &["NONE", "SAGEMAKER", "AZURE"];
/// `force_network_mode` (`DockerNetworkMode`).
pub const NETWORK_MODE_CHOICES: &[&str] = &["AUTO", "HOST", "BRIDGE", "NONE"];
/// `pod_role` (`PodRoleType`).
pub const POD_ROLE_CHOICES: &[&str] = &["HEAD", "WORKER", "GATEWAY"];
/// `deployment_role` (`DeploymentRoleType`).
pub const DEPLOYMENT_ROLE_CHOICES: &[&str] = &[
    "DEPLOYMENT",
    "JOIN",
    "INSPECT",
    "GATEWAY",
    "INSPECT_AUX_PASS",
    "JOIN_INSPECT",
];
/// Flow `inspect` (`FlowInspectType`).
pub const INSPECT_CHOICES: &[&str] = &["HANG", "REMOVE", "COLLECT"];

const fn key(name: &'static str, kind: Kind, default: Option<&'static str>, k8s: bool) -> KeySpec {
    KeySpec {
        name,
        kind,
        default,
        k8s,
    }
}

/// Keys of `set_deployment_parser()`: executor entries under `executors:` and
/// `jtype: Deployment` `with:`. Sorted by name (byte order). Aliases are listed as their
/// own entries (see [`EXECUTOR_KEY_ALIASES`]).
pub const EXECUTOR_KEYS: &[KeySpec] = &[
    // allow concurrent requests in a thread-safe executor; forwarded
    key("allow_concurrent", Kind::Flag, Some("False"), true),
    // gRPC compression between head/gateway and workers; forwarded
    key("compression", Kind::Choice(COMPRESSION_CHOICES), None, true),
    // internal JSON of shard addresses; the exporter fills it for heads
    key("connection_list", Kind::Str, None, true),
    // add CORS middleware to the HTTP server; executor side: not in set_pod_parser, so the k8s export drops it
    key("cors", Kind::Flag, Some("False"), false),
    // hidden/internal; set by the Flow
    key(
        "deployment_role",
        Kind::Choice(DEPLOYMENT_ROLE_CHOICES),
        None,
        false,
    ),
    // HTTP server description (Swagger); executor side: not in set_pod_parser, so the k8s export drops it
    key("description", Kind::Str, None, false),
    // no automatic Docker volume; forwarded but inert under `--native`
    key("disable_auto_volume", Kind::Flag, Some("False"), true),
    // deprecated alias of `no_reduce` (same argparse dest)
    key("disable_reduce", Kind::Flag, Some("False"), true),
    // kwargs for the Docker SDK; forwarded as JSON but inert under `--native`
    key("docker_kwargs", Kind::Json, None, true),
    // Docker ENTRYPOINT override; forwarded as an arg but inert under `--native`
    key("entrypoint", Kind::Str, None, true),
    // env vars; k8s: ConfigMap data + envFrom (never an arg)
    key("env", Kind::Json, None, true),
    // hidden; {VAR: {name, key}} -> secretKeyRef env on the first container
    key("env_from_secret", Kind::Json, None, true),
    // exception names that make the executor exit; forwarded
    key("exit_on_exceptions", Kind::List, Some("[]"), true),
    // already running elsewhere; no objects, gateway address from host/port/tls/protocol
    key("external", Kind::Flag, Some("False"), true),
    // hidden; extra module/YAML search paths; forwarded if set
    key("extra_search_paths", Kind::List, Some("[]"), true),
    // not chained to by the next executor; affects graph and is forwarded
    key("floating", Kind::Flag, Some("False"), true),
    // alias of `force_update`
    key("force", Kind::Flag, Some("False"), true),
    // hidden; Docker network mode; forwarded but inert under `--native`
    key(
        "force_network_mode",
        Kind::Choice(NETWORK_MODE_CHOICES),
        Some("AUTO"),
        true,
    ),
    // always re-pull the Hub bundle; forwarded but inert in k8s
    key("force_update", Kind::Flag, Some("False"), true),
    // docker-style GPU spec (`all`, `2`, `device=..`); k8s: nvidia.com/gpu limit (none for `all`) + `--gpus`
    key("gpus", Kind::IntOrStr, None, true),
    // options for outgoing gRPC channels; forwarded as JSON
    key("grpc_channel_options", Kind::Json, None, true),
    // metadata for gRPC calls to this executor; k8s: gateway `--deployments-metadata`
    key("grpc_metadata", Kind::Json, None, true),
    // options for the gRPC server; forwarded as JSON
    key("grpc_server_options", Kind::Json, None, true),
    // bind/connect host(s) (default from JINA_DEFAULT_HOST); list or comma-separated for external replicas; k8s passes host[0] as `--host`
    key("host", Kind::StrOrList, Some("[\"0.0.0.0\"]"), true),
    // deprecated alias of `host`
    key("host_in", Kind::StrOrList, Some("[\"0.0.0.0\"]"), true),
    // hidden; -> spec.template.spec.imagePullSecrets
    key("image_pull_secrets", Kind::List, None, true),
    // pip-install requirements.txt; forwarded but only acted on by a local Deployment (inert in k8s)
    key("install_requirements", Kind::Flag, Some("False"), true),
    // hidden; always overwritten with the export namespace
    key("k8s_namespace", Kind::Str, None, false),
    // logger config name or YAML path (must exist in the image)
    key("log_config", Kind::Str, Some("default"), true),
    // OpenTelemetry metrics; forwarded
    key("metrics", Kind::Flag, Some("False"), true),
    // OTLP metrics exporter host; forwarded
    key("metrics_exporter_host", Kind::Str, None, true),
    // OTLP metrics exporter port; forwarded
    key("metrics_exporter_port", Kind::Int, None, true),
    // Prometheus endpoint; k8s: `--monitoring`, Service port 9090 + ServiceMonitor
    key("monitoring", Kind::Flag, Some("False"), true),
    // executor name (Flow default executor<N>); k8s object names, labels and `--name`
    key("name", Kind::Str, Some("executor"), true),
    // run WorkerRuntime directly; the k8s export always appends `--native` anyway
    key("native", Kind::Flag, Some("False"), true),
    // disable built-in reduce; `--no-reduce` + gateway `--deployments-no-reduce`
    key("no_reduce", Kind::Flag, Some("False"), true),
    // hidden/internal; taboo in the k8s export
    key("noblock_on_start", Kind::Flag, Some("False"), false),
    // docarray protobuf ndarray type for tensors/embeddings; forwarded
    key("output_array_type", Kind::Str, None, true),
    // RAFT peer ports: a list (shard 0) or {shard: [ports]}; forwarded
    key("peer_ports", Kind::Json, None, true),
    // hidden/internal; heads get HEAD; forwarded if non-default
    key(
        "pod_role",
        Kind::Choice(POD_ROLE_CHOICES),
        Some("WORKER"),
        true,
    ),
    // ANY|ALL or a JSON {endpoint: ANY|ALL} dict; only the head gets `--polling` (omitted for ANY)
    key("polling", Kind::Str, Some("ANY"), true),
    // random by default; forced to 8080(+i) for containers, but used verbatim for `external` addresses
    key("port", Kind::Port, None, true),
    // random by default; forced to 9090 by the k8s export
    key("port_monitoring", Kind::Port, None, false),
    // alias of `port`
    key("ports", Kind::Port, None, true),
    // preferred Docker platform for Hub pulls; forwarded but inert in k8s
    key("prefer_platform", Kind::Str, None, true),
    // one protocol or a list (case-insensitive); ports 8080+i, extra Services, probe scheme, `--protocol`
    key(
        "protocol",
        Kind::Choice(PROTOCOL_CHOICES),
        Some("[\"GRPC\"]"),
        true,
    ),
    // alias of `protocol`
    key(
        "protocols",
        Kind::Choice(PROTOCOL_CHOICES),
        Some("[\"GRPC\"]"),
        true,
    ),
    // custom-container provider; default is a one-element list but a parsed value is a scalar, so any explicit value is forwarded
    key(
        "provider",
        Kind::Choice(PROVIDER_CHOICES),
        Some("[\"NONE\"]"),
        true,
    ),
    // endpoint used by the provider container; forwarded
    key("provider_endpoint", Kind::Str, None, true),
    // Python modules to import first; forwarded verbatim (paths must exist in the image)
    key("py_modules", Kind::List, None, true),
    // no log output; forwarded as `--quiet`
    key("quiet", Kind::Flag, Some("False"), true),
    // omit exception stack traces from logs; forwarded
    key("quiet_error", Kind::Flag, Some("False"), true),
    // RAFT node options (stateful executors); forwarded as JSON
    key("raft_configuration", Kind::Json, None, true),
    // hot reload on file changes; forwarded as `--reload`
    key("reload", Kind::Flag, Some("False"), true),
    // hidden/internal (stateful replicas); forwarded if non-default
    key("replica_id", Kind::Int, Some("0"), true),
    // replicas per shard -> spec.replicas and `--replicas` (head stays 1)
    key("replicas", Kind::Int, Some("1"), true),
    // gRPC retries per call, <0 = max(3, replicas); forwarded
    key("retries", Kind::Int, Some("-1"), true),
    // runtime class (internal); heads get HeadRuntime; forwarded if non-default
    key("runtime_cls", Kind::Str, Some("WorkerRuntime"), true),
    // hidden/internal; set per shard by the exporter
    key("shard_id", Kind::Int, Some("0"), false),
    // shard count; >1 creates a head plus one workload per shard
    key("shards", Kind::Int, Some("1"), true),
    // TLS certificate path for the HTTP server; executor side: not in set_pod_parser, so the k8s export drops it
    key("ssl_certfile", Kind::Str, None, false),
    // TLS key path for the HTTP server; executor side: not in set_pod_parser, so the k8s export drops it
    key("ssl_keyfile", Kind::Str, None, false),
    // RAFT-replicated executor; forwarded (no StatefulSet from Jina)
    key("stateful", Kind::Flag, Some("False"), true),
    // control request timeout in ms (default from JINA_DEFAULT_TIMEOUT_CTRL, else 60)
    key("timeout_ctrl", Kind::Int, Some("60"), true),
    // ms to wait for readiness, -1 = forever; drives startupProbe failureThreshold and is forwarded
    key("timeout_ready", Kind::Int, Some("600000"), true),
    // ms timeout for data requests, -1 = none; forwarded
    key("timeout_send", Kind::Int, None, true),
    // HTTP server title (Swagger); executor side: not in set_pod_parser, so the k8s export drops it
    key("title", Kind::Str, None, false),
    // connect with TLS; external addresses become grpcs:// etc.
    key("tls", Kind::Flag, Some("False"), true),
    // OTLP trace exporter host; forwarded
    key("traces_exporter_host", Kind::Str, None, true),
    // OTLP trace exporter port; forwarded
    key("traces_exporter_port", Kind::Int, None, true),
    // OpenTelemetry tracing; forwarded
    key("tracing", Kind::Flag, Some("False"), true),
    // executor config; k8s: image from docker:// or jinaai+docker://, arg `--uses config.yml`
    key("uses", Kind::Str, Some("BaseExecutor"), true),
    // executor run after the shards (shards > 1 only); k8s: `uses-after` sidecar in the head pod
    key("uses_after", Kind::Str, None, true),
    // internal; set to 127.0.0.1:8079 on the head by the exporter, cleared on workers
    key("uses_after_address", Kind::Str, None, false),
    // executor run before the shards (shards > 1 only); k8s: `uses-before` sidecar in the head pod
    key("uses_before", Kind::Str, None, true),
    // internal; set to 127.0.0.1:8078 on the head by the exporter, cleared on workers
    key("uses_before_address", Kind::Str, None, false),
    // overrides `dynamic_batching:`; forwarded as JSON
    key("uses_dynamic_batching", Kind::Json, None, true),
    // overrides `metas:`; k8s: always appended as `--uses-metas` (`{}` when unset)
    key("uses_metas", Kind::Json, None, true),
    // overrides `requests:` (endpoint -> method); forwarded as JSON
    key("uses_requests", Kind::Json, None, true),
    // overrides `with:` of the uses config; k8s: appended as `--uses-with`
    key("uses_with", Kind::Json, None, true),
    // kwargs for the Uvicorn server; executor side: not in set_pod_parser, so the k8s export drops it
    key("uvicorn_kwargs", Kind::Json, None, false),
    // host volumes; k8s: StatefulSet + PVC, only volumes[0] used as mountPath (never an arg)
    key("volumes", Kind::List, None, true),
    // docarray filter condition on incoming docs; k8s: gateway `--graph-conditions`
    key("when", Kind::Json, None, true),
    // working dir for IO; made absolute on the exporting machine, passed as `--workspace`
    key("workspace", Kind::Str, None, true),
    // hidden; random UUID by default; taboo in the k8s export
    key("workspace_id", Kind::Str, None, false),
];

/// Keys of `set_gateway_parser()` (the `gateway:` section; Flow-level common kwargs end up here
/// too). Sorted by name (byte order). Aliases are listed as their own entries (see
/// [`GATEWAY_KEY_ALIASES`]).
pub const GATEWAY_KEYS: &[KeySpec] = &[
    // gRPC compression between head/gateway and workers; forwarded
    key("compression", Kind::Choice(COMPRESSION_CHOICES), None, true),
    // add CORS middleware to the HTTP server
    key("cors", Kind::Flag, Some("False"), true),
    // internal JSON of executor addresses; always recomputed
    key("deployments_addresses", Kind::Str, Some("{}"), false),
    // deprecated alias of `deployments_no_reduce`
    key("deployments_disable_reduce", Kind::Str, Some("[]"), false),
    // internal JSON of grpc_metadata per executor; always recomputed
    key("deployments_metadata", Kind::Str, Some("{}"), false),
    // internal JSON list of no_reduce executors; always recomputed
    key("deployments_no_reduce", Kind::Str, Some("[]"), false),
    // HTTP server description (Swagger)
    key("description", Kind::Str, None, true),
    // kwargs for the Docker SDK; forwarded as JSON but inert under `--native`
    key("docker_kwargs", Kind::Json, None, true),
    // Docker ENTRYPOINT override; forwarded as an arg but inert under `--native`
    key("entrypoint", Kind::Str, None, true),
    // env vars; k8s: gateway ConfigMap (a gateway value replaces the Flow-level env)
    key("env", Kind::Json, None, true),
    // hidden; {VAR: {name, key}} -> secretKeyRef env on the first container
    key("env_from_secret", Kind::Json, None, true),
    // JSON map executor endpoint -> HTTP endpoint; Jina always emits it (`{}` by default); a gateway value replaces the computed one
    key("expose_endpoints", Kind::Str, None, true),
    // add /graphql to HTTP; forwarded
    key("expose_graphql_endpoint", Kind::Flag, Some("False"), true),
    // hidden; extra module/YAML search paths; forwarded if set
    key("extra_search_paths", Kind::List, Some("[]"), true),
    // chaining flag; forwarded but meaningless for the gateway
    key("floating", Kind::Flag, Some("False"), true),
    // internal JSON of `when` per executor; always recomputed
    key("graph_conditions", Kind::Str, Some("{}"), false),
    // internal routing graph JSON; always recomputed from `needs`
    key("graph_description", Kind::Str, Some("{}"), false),
    // options for outgoing gRPC channels; forwarded as JSON
    key("grpc_channel_options", Kind::Json, None, true),
    // options for the gRPC server; forwarded as JSON
    key("grpc_server_options", Kind::Json, None, true),
    // bind host (default from JINA_DEFAULT_HOST); forwarded if non-default
    key("host", Kind::Str, Some("0.0.0.0"), true),
    // deprecated alias of `host`
    key("host_in", Kind::Str, Some("0.0.0.0"), true),
    // hidden; -> spec.template.spec.imagePullSecrets
    key("image_pull_secrets", Kind::List, None, true),
    // hidden; always overwritten with the export namespace
    key("k8s_namespace", Kind::Str, None, false),
    // logger config name or YAML path (must exist in the image)
    key("log_config", Kind::Str, Some("default"), true),
    // OpenTelemetry metrics; forwarded
    key("metrics", Kind::Flag, Some("False"), true),
    // OTLP metrics exporter host; forwarded
    key("metrics_exporter_host", Kind::Str, None, true),
    // OTLP metrics exporter port; forwarded
    key("metrics_exporter_port", Kind::Int, None, true),
    // Prometheus endpoint; k8s: `--monitoring`, Service port 9090 + ServiceMonitor
    key("monitoring", Kind::Flag, Some("False"), true),
    // must stay `gateway`: a `gateway:` override replaces it and breaks the export
    key("name", Kind::Str, Some("gateway"), true),
    // drop /index /search /update /delete from HTTP; forwarded
    key("no_crud_endpoints", Kind::Flag, Some("False"), true),
    // drop /status and /post from HTTP; forwarded
    key("no_debug_endpoints", Kind::Flag, Some("False"), true),
    // hidden/internal; taboo in the k8s export
    key("noblock_on_start", Kind::Flag, Some("False"), false),
    // RAFT peer ports; accepted by the gateway parser, forwarded but meaningless there
    key("peer_ports", Kind::Json, None, true),
    // hidden/internal; reset to GATEWAY by the exporter
    key(
        "pod_role",
        Kind::Choice(POD_ROLE_CHOICES),
        Some("GATEWAY"),
        false,
    ),
    // random by default; forced to 8080(+i) by the k8s export (one per protocol)
    key("port", Kind::Port, None, false),
    // deprecated alias of `port` (gateway only in 3.34)
    key("port_expose", Kind::Port, None, false),
    // deprecated alias of `port` (gateway only in 3.34)
    key("port_in", Kind::Port, None, false),
    // random by default; forced to 9090 by the k8s export
    key("port_monitoring", Kind::Port, None, false),
    // alias of `port`
    key("ports", Kind::Port, None, false),
    // client requests fetched ahead, 0 = off; forwarded
    key("prefetch", Kind::Int, Some("1000"), true),
    // one protocol or a list (case-insensitive); ports, Services, probes, default gateway class, `--protocol`
    key(
        "protocol",
        Kind::Choice(PROTOCOL_CHOICES),
        Some("[\"GRPC\"]"),
        true,
    ),
    // alias of `protocol`
    key(
        "protocols",
        Kind::Choice(PROTOCOL_CHOICES),
        Some("[\"GRPC\"]"),
        true,
    ),
    // custom-container provider; default is a one-element list but a parsed value is a scalar, so any explicit value is forwarded
    key(
        "provider",
        Kind::Choice(PROVIDER_CHOICES),
        Some("[\"NONE\"]"),
        true,
    ),
    // endpoint used by the provider container; forwarded
    key("provider_endpoint", Kind::Str, None, true),
    // keep http(s)_proxy env vars; forwarded
    key("proxy", Kind::Flag, Some("False"), true),
    // Python modules to import first; forwarded verbatim (paths must exist in the image)
    key("py_modules", Kind::List, None, true),
    // no log output; forwarded as `--quiet`
    key("quiet", Kind::Flag, Some("False"), true),
    // omit exception stack traces from logs; forwarded
    key("quiet_error", Kind::Flag, Some("False"), true),
    // restart the gateway when its YAML changes; forwarded as `--reload`
    key("reload", Kind::Flag, Some("False"), true),
    // hidden/internal (stateful replicas); forwarded if non-default
    key("replica_id", Kind::Int, Some("0"), true),
    // gateway Deployment spec.replicas + `--replicas`
    key("replicas", Kind::Int, Some("1"), true),
    // gRPC retries per call, <0 = max(3, replicas); forwarded
    key("retries", Kind::Int, Some("-1"), true),
    // runtime class (internal); forwarded if non-default
    key("runtime_cls", Kind::Str, Some("GatewayRuntime"), true),
    // hidden/internal; set per shard by the exporter
    key("shard_id", Kind::Int, Some("0"), false),
    // TLS certificate path for the HTTP server
    key("ssl_certfile", Kind::Str, None, true),
    // TLS key path for the HTTP server
    key("ssl_keyfile", Kind::Str, None, true),
    // RAFT flag; accepted by the gateway parser, forwarded but meaningless there
    key("stateful", Kind::Flag, Some("False"), true),
    // control request timeout in ms (default from JINA_DEFAULT_TIMEOUT_CTRL, else 60)
    key("timeout_ctrl", Kind::Int, Some("60"), true),
    // ms to wait for readiness, -1 = forever; drives startupProbe failureThreshold and is forwarded
    key("timeout_ready", Kind::Int, Some("600000"), true),
    // ms timeout for data requests, -1 = none; forwarded
    key("timeout_send", Kind::Int, None, true),
    // HTTP server title (Swagger)
    key("title", Kind::Str, None, true),
    // OTLP trace exporter host; forwarded
    key("traces_exporter_host", Kind::Str, None, true),
    // OTLP trace exporter port; forwarded
    key("traces_exporter_port", Kind::Int, None, true),
    // OpenTelemetry tracing; forwarded
    key("tracing", Kind::Flag, Some("False"), true),
    // custom gateway; None resolves to GRPCGateway/HTTPGateway/WebSocketGateway/CompositeGateway; custom -> image + `--uses config.yml`
    key("uses", Kind::Str, None, true),
    // overrides `with:` of the uses config; k8s: appended as `--uses-with`
    key("uses_with", Kind::Json, None, true),
    // kwargs for the Uvicorn server
    key("uvicorn_kwargs", Kind::Json, None, true),
    // working dir; taboo in the gateway k8s export
    key("workspace", Kind::Str, None, false),
    // hidden; random UUID by default; taboo in the k8s export
    key("workspace_id", Kind::Str, None, false),
];

/// Keys of the Flow parser proper (`with:` keys that configure the Flow itself). Every other
/// `with:` key is a common kwarg. The loader also pops `args` (a list) and `kwargs` (a dict, merged
/// into `with:`) before parsing. Sorted by name (byte order).
pub const FLOW_KEYS: &[KeySpec] = &[
    // env vars; in k8s they reach the gateway ConfigMap only, not executors
    key("env", Kind::Json, None, true),
    // what to do with `method: inspect` nodes when building the graph
    key(
        "inspect",
        Kind::Choice(INSPECT_CHOICES),
        Some("COLLECT"),
        true,
    ),
    // inherited by executors and the gateway that do not set it
    key("log_config", Kind::Str, Some("default"), true),
    // Flow name; the k8s namespace when none is given (not sanitised)
    key("name", Kind::Str, None, true),
    // Flow-level only (a Flow parser key, so not inherited)
    key("quiet", Kind::Flag, Some("False"), false),
    // Flow-level only (a Flow parser key, so not inherited)
    key("quiet_error", Kind::Flag, Some("False"), false),
    // local hot reload of the Flow YAML
    key("reload", Kind::Flag, Some("False"), false),
    // suppress root logging handlers (local process only)
    key("suppress_root_logging", Kind::Flag, Some("False"), false),
    // path/URL of a Flow YAML to load
    key("uses", Kind::Str, None, false),
    // default workspace inherited by executors (as an absolute path) -> `--workspace`
    key("workspace", Kind::Str, None, true),
    // hidden; random UUID by default
    key("workspace_id", Kind::Str, None, false),
];

/// Executor-entry keys that the Flow YAML loader (`jina/jaml/parsers/flow/v1.py`,
/// `Flow.add`) handles itself, outside argparse. Sorted.
/// * `jcloud`: JCloud-only settings, removed silently.
/// * `jtype`: `jtype: Deployment` marks an inline Deployment YAML. Only its `with:` and `needs`
///   are read. (A plain string entry is a path to a Deployment YAML.)
/// * `method`: `add` (default), `needs` or `inspect`. It picks the Flow method; the key itself then
///   reaches argparse as an unknown key and only causes a warning.
/// * `needs`: a name or a list of names; `gateway` means the start of the Flow. The default is the
///   previous non-floating executor.
/// * `with`: the argparse keys of an inline `jtype: Deployment`.
///
/// `when` is a real argparse key (see [`EXECUTOR_KEYS`]). An entry named `gateway` is skipped.
pub const EXECUTOR_EXTRA_KEYS: &[&str] = &["jcloud", "jtype", "method", "needs", "with"];

/// Deprecated or alternative option strings of executor keys: `(alias, canonical dest)`. Sorted.
pub const EXECUTOR_KEY_ALIASES: &[(&str, &str)] = &[
    ("disable_reduce", "no_reduce"),
    ("force", "force_update"),
    ("host_in", "host"),
    ("ports", "port"),
    ("protocols", "protocol"),
];

/// Deprecated or alternative option strings of gateway keys: `(alias, canonical dest)`. Sorted.
pub const GATEWAY_KEY_ALIASES: &[(&str, &str)] = &[
    ("deployments_disable_reduce", "deployments_no_reduce"),
    ("host_in", "host"),
    ("port_expose", "port"),
    ("port_in", "port"),
    ("ports", "port"),
    ("protocols", "protocol"),
];

/// Keys that Jina's k8s export never passes as executor container args
/// (`construct_runtime_container_args` in `jina/orchestrate/deployments/config/helper.py`).
/// Several of them are mapped to objects instead: `env` becomes a ConfigMap, `env_from_secret`
/// secretKeyRef env, `image_pull_secrets` imagePullSecrets, `volumes` a StatefulSet with a PVC,
/// and `uses_before`/`uses_after` head sidecars. `uses_metas` (always, `{}` when unset) and
/// `uses_with` (when set) are appended explicitly after the other args.
/// Heads also drop `uses` and `workspace` (and lose `gpus`: [`crate::jina::HEAD_DROPPED_ARGS`]);
/// only heads get `--polling`. Only `set_pod_parser()` keys are forwarded at all, so keys of
/// `set_deployment_parser()` alone (`when`, `grpc_metadata`, `external`, `tls`, `cors`, ...)
/// are never executor args: they reach the gateway or shape objects instead.
pub const K8S_TABOO_KEYS: &[&str] = &[
    "env",
    "env_from_secret",
    "image_pull_secrets",
    "noblock_on_start",
    "uses_after",
    "uses_before",
    "uses_metas",
    "uses_with",
    "volumes",
    "workspace_id",
];

/// Keys that Jina's k8s export never passes as gateway container args (`get_gateway_yamls` in
/// `jina/orchestrate/deployments/config/k8s.py`). `env`, `env_from_secret` and
/// `image_pull_secrets` are mapped to objects instead. Unlike executors, the gateway does
/// forward `uses_with`.
pub const K8S_GATEWAY_TABOO_KEYS: &[&str] = &[
    "env",
    "env_from_secret",
    "image_pull_secrets",
    "noblock_on_start",
    "uses_after",
    "uses_before",
    "uses_metas",
    "volumes",
    "workspace",
    "workspace_id",
];

/// Keys that Jina's k8s export forwards as container args (so `k8s` is `true`), but that have no
/// effect inside the container. The container runs `jina executor ... --native` with no Docker
/// and no Hub pull, and requirements are installed only by a local Deployment.
pub const K8S_INERT_ARGS: &[&str] = &[
    "disable_auto_volume",
    "docker_kwargs",
    "entrypoint",
    "force_network_mode",
    "force_update",
    "install_requirements",
    "prefer_platform",
];

/// Flow `with:` common kwargs that the gateway does not inherit (`GATEWAY_ARGS_BLACKLIST`).
pub const FLOW_TO_GATEWAY_BLACKLIST: &[&str] = &["uses", "uses_with"];

/// Flow `with:` common kwargs that executors do not inherit (`EXECUTOR_ARGS_BLACKLIST`).
/// The match is on the literal key, so e.g. `port_expose` is still inherited.
pub const FLOW_TO_EXECUTOR_BLACKLIST: &[&str] = &[
    "port",
    "port_monitoring",
    "ports",
    "protocol",
    "protocols",
    "uses",
    "uses_with",
];

fn lookup(table: &'static [KeySpec], name: &str) -> Option<&'static KeySpec> {
    table
        .binary_search_by(|k| k.name.cmp(name))
        .ok()
        .map(|i| &table[i])
}

/// Looks up an executor key (aliases are found as their own entries).
pub fn executor_key(name: &str) -> Option<&'static KeySpec> {
    lookup(EXECUTOR_KEYS, name)
}

/// Looks up a `gateway:` key (aliases are found as their own entries).
pub fn gateway_key(name: &str) -> Option<&'static KeySpec> {
    lookup(GATEWAY_KEYS, name)
}

/// The argparse dest that an executor key (or alias) is stored under.
pub fn canonical_executor_key(name: &str) -> &str {
    resolve_alias(EXECUTOR_KEY_ALIASES, name)
}

/// The argparse dest that a gateway key (or alias) is stored under.
pub fn canonical_gateway_key(name: &str) -> &str {
    resolve_alias(GATEWAY_KEY_ALIASES, name)
}

fn resolve_alias<'a>(aliases: &'static [(&'static str, &'static str)], name: &'a str) -> &'a str {
    match aliases.binary_search_by(|(a, _)| (*a).cmp(name)) {
        Ok(i) => aliases[i].1,
        Err(_) => name,
    }
}

/// Looks up a Flow-parser `with:` key.
pub fn flow_key(name: &str) -> Option<&'static KeySpec> {
    lookup(FLOW_KEYS, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_sorted_unique(what: &str, names: &[&str]) {
        for w in names.windows(2) {
            assert!(
                w[0] < w[1],
                "{what}: {:?} must sort before {:?}",
                w[0],
                w[1]
            );
        }
    }

    #[test]
    fn tables_are_sorted_without_duplicates() {
        for (what, table) in [
            ("EXECUTOR_KEYS", EXECUTOR_KEYS),
            ("GATEWAY_KEYS", GATEWAY_KEYS),
            ("FLOW_KEYS", FLOW_KEYS),
        ] {
            let names: Vec<&str> = table.iter().map(|k| k.name).collect();
            assert_sorted_unique(what, &names);
        }
        for (what, list) in [
            ("EXECUTOR_EXTRA_KEYS", EXECUTOR_EXTRA_KEYS),
            ("K8S_TABOO_KEYS", K8S_TABOO_KEYS),
            ("K8S_GATEWAY_TABOO_KEYS", K8S_GATEWAY_TABOO_KEYS),
            ("K8S_INERT_ARGS", K8S_INERT_ARGS),
            ("FLOW_TO_EXECUTOR_BLACKLIST", FLOW_TO_EXECUTOR_BLACKLIST),
        ] {
            assert_sorted_unique(what, list);
        }
        for (what, aliases) in [
            ("EXECUTOR_KEY_ALIASES", EXECUTOR_KEY_ALIASES),
            ("GATEWAY_KEY_ALIASES", GATEWAY_KEY_ALIASES),
        ] {
            let names: Vec<&str> = aliases.iter().map(|(a, _)| *a).collect();
            assert_sorted_unique(what, &names);
        }
    }

    #[test]
    fn aliases_point_at_real_keys_with_the_same_kind() {
        type Find = fn(&str) -> Option<&'static KeySpec>;
        let cases: [(&[(&str, &str)], Find); 2] = [
            (EXECUTOR_KEY_ALIASES, executor_key),
            (GATEWAY_KEY_ALIASES, gateway_key),
        ];
        for (aliases, find) in cases {
            for (alias, canonical) in aliases {
                let a = find(alias).expect("alias is listed in its table");
                let c = find(canonical).expect("canonical key is listed in its table");
                assert_eq!(a.kind, c.kind, "{alias}");
                assert_eq!(a.default, c.default, "{alias}");
                assert_eq!(a.k8s, c.k8s, "{alias}");
            }
        }
    }

    #[test]
    fn taboo_and_extra_keys_are_consistent() {
        for k in K8S_TABOO_KEYS {
            assert!(executor_key(k).is_some(), "{k}");
        }
        for k in K8S_GATEWAY_TABOO_KEYS {
            // uses_after, uses_before, uses_metas and volumes are executor-only keys.
            assert!(gateway_key(k).is_some() || executor_key(k).is_some(), "{k}");
        }
        for k in EXECUTOR_EXTRA_KEYS {
            assert!(executor_key(k).is_none(), "{k}");
        }
        assert_eq!(canonical_executor_key("disable_reduce"), "no_reduce");
        assert_eq!(canonical_gateway_key("port_expose"), "port");
        assert_eq!(canonical_executor_key("shards"), "shards");
        assert!(executor_key("port_in").is_none());
        assert!(gateway_key("port_in").is_some());
    }

    #[test]
    fn spot_checks() {
        let p = executor_key("protocol").unwrap();
        assert_eq!(p.kind, Kind::Choice(PROTOCOL_CHOICES));
        assert_eq!(p.default, Some("[\"GRPC\"]"));
        assert_eq!(executor_key("polling").unwrap().default, Some("ANY"));
        assert_eq!(executor_key("replicas").unwrap().default, Some("1"));
        assert_eq!(
            executor_key("timeout_ready").unwrap().default,
            Some("600000")
        );
        assert_eq!(executor_key("port").unwrap().default, None);
        assert!(!executor_key("port_monitoring").unwrap().k8s);
        assert!(!executor_key("cors").unwrap().k8s);
        assert!(gateway_key("cors").unwrap().k8s);
        assert_eq!(gateway_key("prefetch").unwrap().default, Some("1000"));
        assert_eq!(flow_key("inspect").unwrap().default, Some("COLLECT"));
        assert!(flow_key("retries").is_none());
    }
}
