//! What Jina decides, in one place: the rules of jina 3.34.0's Kubernetes export that flowhelm
//! reproduces. Each entry names the Jina source it mirrors (paths are relative to the `jina`
//! package of the 3.34.0 wheel). The loader, the values and the chart's templates all take these
//! from here: templates read them from `templates/_jina.tpl`, which [`template_constants`]
//! generates, so no number or class name is typed twice.

pub(crate) mod keys;
pub(crate) mod legacy;

use serde::Serialize;
use serde_json::json;

/// A wire protocol Jina serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Grpc,
    Http,
    Websocket,
}

impl Protocol {
    pub const ALL: [Protocol; 3] = [Protocol::Grpc, Protocol::Http, Protocol::Websocket];

    /// Lower-case scheme used in addresses and probes.
    pub fn scheme(self) -> &'static str {
        match self {
            Protocol::Grpc => "grpc",
            Protocol::Http => "http",
            Protocol::Websocket => "websocket",
        }
    }

    /// Jina's enum name, as passed to `--protocol`.
    pub fn jina_name(self) -> &'static str {
        match self {
            Protocol::Grpc => "GRPC",
            Protocol::Http => "HTTP",
            Protocol::Websocket => "WEBSOCKET",
        }
    }

    /// The gateway class Jina picks for a single protocol.
    pub fn gateway_class(self) -> &'static str {
        gateway_class(self)
    }

    pub fn parse(text: &str) -> Option<Protocol> {
        Protocol::ALL
            .into_iter()
            .find(|p| p.jina_name().eq_ignore_ascii_case(text))
    }
}

/// The Jina release these rules were read from.
pub const VERSION: &str = "3.34.0";

/// Image of the gateway, heads and `BaseExecutor` pods when `JINA_GATEWAY_IMAGE` is not set.
/// Jina asks Jina Hub for it (`orchestrate/deployments/config/helper.py`,
/// `get_base_executor_version`), which needs the network; this is what it answers for 3.34.0.
pub const DEFAULT_IMAGE: &str = "jinaai/jina:3.34.0-py311-standard";

/// How Jina tags its images: `<version>[-py<python>][-<flavour>]` (`3.34.0`,
/// `3.34.0-py311-standard`); the version is what a tag of this shape starts with. `latest`,
/// `master` and digests carry none.
pub const TAG_VERSION_PATTERN: &str = "^[0-9]+\\.[0-9]+\\.[0-9]+(-|$)";

/// The Jina version an image tag of Jina's carries, if it has the shape of
/// [`TAG_VERSION_PATTERN`].
pub fn tag_version(tag: &str) -> Option<semver::Version> {
    let version = tag.split_once('-').map_or(tag, |(v, _)| v);
    let numbers: Vec<u64> = version
        .split('.')
        .map(|p| {
            if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) {
                p.parse().ok()
            } else {
                None
            }
        })
        .collect::<Option<_>>()?;
    match numbers[..] {
        [major, minor, patch] => Some(semver::Version::new(major, minor, patch)),
        _ => None,
    }
}

/// Port of every executor, head and gateway container, plus one per extra protocol
/// (`serve/networking/__init__.py`: `GrpcConnectionPool.K8S_PORT`; `orchestrate/deployments/
/// config/k8s.py`: `K8S_PORT + i for i in range(len(cargs.protocol))`).
pub const PORT: u16 = 8080;
/// Prometheus metrics port (`GrpcConnectionPool.K8S_PORT_MONITORING`).
pub const MONITORING_PORT: u16 = 9090;
/// uses_before / uses_after containers in a head pod (`K8S_PORT_USES_BEFORE` / `_AFTER`).
pub const USES_BEFORE_PORT: u16 = 8078;
pub const USES_AFTER_PORT: u16 = 8079;
/// Their metrics ports. Jina gives them 9090 too, in the head's network namespace, so only one
/// could bind it (`k8s.py` copies `port_monitoring` into both); flowhelm's fix.
pub const USES_BEFORE_MONITORING_PORT: u16 = 9091;
pub const USES_AFTER_MONITORING_PORT: u16 = 9092;

/// Every container listens on all addresses (`k8s.py`: `cargs.host = args.host[0]`, the
/// parser's default `__default_host__`).
pub const HOST: &str = "0.0.0.0";
/// `timeout_ready`'s default in milliseconds (`parsers/orchestrate/pod.py`).
pub const DEFAULT_TIMEOUT_READY: i64 = 600_000;
/// Shards one executor may have: Jina sets no limit, but each shard is a workload whose name
/// carries its number, and name budgets (src/chart/limits.rs, `flowhelm.objname`) allow four digits.
pub const MAX_SHARDS: u32 = 9999;
/// `--timeout` of the liveness probe's `jina ping`, in milliseconds
/// (`resources/k8s/template/deployment-executor.yml`).
pub const PING_TIMEOUT_MS: i64 = 9500;

/// A head pod's runtime and role (`k8s.py`, `_get_container_args` of the head deployment).
pub const HEAD_RUNTIME: &str = "HeadRuntime";
pub const HEAD_ROLE: &str = "HEAD";
/// Options a head does not take from its executor: `gpus` is reset
/// (`k8s.py`: `parsed_args['head_deployment'].gpus = None`) and `workspace` is taboo for heads
/// (`orchestrate/deployments/config/helper.py`, `construct_runtime_container_args`).
pub const HEAD_DROPPED_ARGS: &[&str] = &["gpus", "workspace"];
/// uses_before / uses_after containers are built from the executor's arguments without GPUs
/// (`k8s.py`: their `cargs` come from the head's, whose `gpus` is None).
pub const SIDECAR_DROPPED_ARGS: &[&str] = &["gpus"];

/// The gateway class Jina picks for one protocol, and for several
/// (`orchestrate/flow/base.py`, `_get_gateway_uses`... `GATEWAY_NAME_BY_PROTOCOL`).
pub const GATEWAY_CLASSES: [(Protocol, &str); 3] = [
    (Protocol::Grpc, "GRPCGateway"),
    (Protocol::Http, "HTTPGateway"),
    (Protocol::Websocket, "WebSocketGateway"),
];
pub const COMPOSITE_GATEWAY: &str = "CompositeGateway";

/// The gateway class for one protocol.
pub fn gateway_class(p: Protocol) -> &'static str {
    GATEWAY_CLASSES
        .iter()
        .find(|(q, _)| *q == p)
        .map_or(COMPOSITE_GATEWAY, |(_, c)| c)
}

/// Whether `uses` names one of Jina's own gateway classes (no custom gateway image).
pub fn is_builtin_gateway(uses: &str) -> bool {
    uses == COMPOSITE_GATEWAY || GATEWAY_CLASSES.iter().any(|(_, c)| *c == uses)
}

/// Longest executor name flowhelm accepts: `<dns>-head` and `<dns>-<shard>` must fit in a
/// 63-character label (`app.kubernetes.io/component`) with room for 4-digit shard numbers.
pub const MAX_EXECUTOR_NAME: usize = 53;

/// Longest name of a Service or workload (a DNS label: Services are DNS-1035 labels, and
/// workload names are pod label values).
pub const NAME_MAX: usize = 63;
/// Longest StatefulSet name: its pods carry `controller-revision-hash: <name>-<10 characters>`,
/// a label value (kubernetes#64023). Every executor's objects keep to it, since any executor
/// becomes a StatefulSet when its persistence is turned on: its names do not change with that.
pub const STATEFUL_SET_NAME_MAX: usize = 52;

/// How each protocol is announced to Kubernetes and meshes (Service `appProtocol`: an IANA
/// name, or one of Kubernetes' own `kubernetes.io/…` values).
pub const APP_PROTOCOLS: [(Protocol, &str); 3] = [
    (Protocol::Grpc, "grpc"),
    (Protocol::Http, "http"),
    (Protocol::Websocket, "kubernetes.io/ws"),
];

/// Linux refuses to start a process with an argument longer than this (MAX_ARG_STRLEN, 32
/// pages): the gateway's address and graph lists and a head's shard list must stay below it.
pub const MAX_ARG_LEN: usize = 131_072;

/// What `gpus` may say on Kubernetes: `all`, or a count (`2`, `+2`). The count becomes the
/// `nvidia.com/gpu` limit, which the API server reads as a quantity and an extended resource
/// must be a whole one; `all` has no count (a limit of 1 and a warning, docs/flows.md). Jina also takes
/// Docker's `device=0,1` (`orchestrate/pods/container_helper.py`), but only for Docker: its
/// Kubernetes export writes the text as the limit (`k8slib/kubernetes_deployment.py`), which the
/// API server refuses, and a device plugin, not the pod, picks the devices. The Flow loader, the
/// values schema (empty: no GPU) and so `values check` all use this one rule.
pub const GPUS_PATTERN: &str = "^(all|\\+?[0-9]+)$";

/// Whether `text` is a `gpus` value Kubernetes can run ([`GPUS_PATTERN`]).
pub fn gpus_ok(text: &str) -> bool {
    let digits = text.strip_prefix('+').unwrap_or(text);
    text == "all" || (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// Who runs a set of Jina options: an executor's containers (the executor or its shards, its
/// head and uses_before/after), or the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Executor,
    Gateway,
}

/// Jina options the chart passes itself, so that `args` may not: `(option, role, what to do
/// instead)`, where `{}` stands for the values key of the workload (`executors.encoder`,
/// `executorDefaults`, `gateway`). An `args` entry would silently win over the chart's own
/// (`args.port: 9000` gives a pod that listens where no Service or probe looks), so the render
/// and `values check` refuse them; the Flow loader never puts them in `args`.
pub const CHART_ARGS: &[(&str, Role, &str)] = &[
    ("connection_list", Role::Executor, "remove it: the chart gives a head its shards"),
    ("disable_reduce", Role::Executor, "use `{}.noReduce`"),
    ("env", Role::Executor, "use `{}.env`"),
    ("env_from_secret", Role::Executor, "use `{}.envFromSecret`"),
    ("external", Role::Executor, "use `{}.external.enabled`"),
    ("floating", Role::Executor, "use `floating: true` in the Flow (`flow.floating`), and regenerate"),
    ("gpus", Role::Executor, "use `{}.gpus`"),
    ("grpc_metadata", Role::Executor, "use `flow.grpcMetadata`"),
    ("host", Role::Executor, "remove it: executors listen on every address of their pod (`{}.external.hosts` for an external one)"),
    ("host_in", Role::Executor, "remove it: executors listen on every address of their pod (`{}.external.hosts` for an external one)"),
    ("image_pull_secrets", Role::Executor, "use `{}.imagePullSecrets`"),
    ("k8s_namespace", Role::Executor, "remove it: it is the release's namespace (`helm --namespace`)"),
    ("monitoring", Role::Executor, "use `{}.monitoring`"),
    ("name", Role::Executor, "remove it: it is the executor's key under `executors`"),
    ("native", Role::Executor, "remove it: the chart always runs executors with `--native`"),
    ("no_reduce", Role::Executor, "use `{}.noReduce`"),
    ("pod_role", Role::Executor, "remove it: the chart sets it for heads"),
    ("polling", Role::Executor, "use `{}.polling` and `{}.pollingByEndpoint`"),
    ("port", Role::Executor, "use `{}.protocols`: an executor listens on 8080 and up, a port per protocol (`{}.external.ports` for an external one)"),
    ("port_monitoring", Role::Executor, "use `{}.monitoring`: metrics are served on 9090"),
    ("ports", Role::Executor, "use `{}.protocols`: an executor listens on 8080 and up, a port per protocol (`{}.external.ports` for an external one)"),
    ("protocol", Role::Executor, "use `{}.protocols`"),
    ("protocols", Role::Executor, "use `{}.protocols`"),
    ("replicas", Role::Executor, "use `{}.replicas`"),
    ("runtime_cls", Role::Executor, "remove it: the chart sets it for heads"),
    ("shard_id", Role::Executor, "remove it: the chart numbers the shards"),
    ("shards", Role::Executor, "use `{}.shards`"),
    ("timeout_ready", Role::Executor, "use `{}.timeoutReady`"),
    ("tls", Role::Executor, "use `{}.external.tls`"),
    ("uses", Role::Executor, "use `{}.image` and `{}.uses`"),
    ("uses_after", Role::Executor, "use `{}.usesAfter`"),
    ("uses_after_address", Role::Executor, "remove it: the chart sets it for heads"),
    ("uses_before", Role::Executor, "use `{}.usesBefore`"),
    ("uses_before_address", Role::Executor, "remove it: the chart sets it for heads"),
    ("uses_metas", Role::Executor, "use `{}.usesMetas`"),
    ("uses_with", Role::Executor, "use `{}.usesWith`"),
    ("volumes", Role::Executor, "use `{}.persistence.volumes`"),
    ("when", Role::Executor, "use `flow.conditions`"),
    ("deployments_addresses", Role::Gateway, "remove it: the chart lists every executor's address"),
    ("deployments_disable_reduce", Role::Gateway, "use the executors' `noReduce`"),
    ("deployments_metadata", Role::Gateway, "use `flow.grpcMetadata`"),
    ("deployments_no_reduce", Role::Gateway, "use the executors' `noReduce`"),
    ("env", Role::Gateway, "use `{}.env`"),
    ("env_from_secret", Role::Gateway, "use `{}.envFromSecret`"),
    ("graph_conditions", Role::Gateway, "use `flow.conditions`"),
    ("graph_description", Role::Gateway, "remove it: the chart writes the Flow's graph (`flow.graph`)"),
    ("host", Role::Gateway, "remove it: the gateway listens on every address of its pod"),
    ("host_in", Role::Gateway, "remove it: the gateway listens on every address of its pod"),
    ("image_pull_secrets", Role::Gateway, "use `{}.imagePullSecrets`"),
    ("k8s_namespace", Role::Gateway, "remove it: it is the release's namespace (`helm --namespace`)"),
    ("monitoring", Role::Gateway, "use `{}.monitoring`"),
    ("name", Role::Gateway, "remove it: the gateway is named `gateway`"),
    ("port", Role::Gateway, "use `{}.service.ports` for the ports clients use; the gateway listens on 8080 and up, a port per protocol"),
    ("port_expose", Role::Gateway, "use `{}.service.ports` for the ports clients use; the gateway listens on 8080 and up, a port per protocol"),
    ("port_in", Role::Gateway, "use `{}.service.ports` for the ports clients use; the gateway listens on 8080 and up, a port per protocol"),
    ("port_monitoring", Role::Gateway, "use `{}.monitoring`: metrics are served on 9090"),
    ("ports", Role::Gateway, "use `{}.service.ports` for the ports clients use; the gateway listens on 8080 and up, a port per protocol"),
    ("protocol", Role::Gateway, "use `{}.protocols`"),
    ("protocols", Role::Gateway, "use `{}.protocols`"),
    ("replicas", Role::Gateway, "use `{}.replicas`"),
    ("timeout_ready", Role::Gateway, "use `{}.timeoutReady`"),
    ("uses", Role::Gateway, "use `{}.image` and `{}.uses`"),
    ("uses_with", Role::Gateway, "use `{}.usesWith`"),
];

/// What to do instead of `args.<option>` (written `snake_case` or `kebab-case`) of `role`, if
/// the chart passes that option itself; `key` is the values key of the workload.
pub fn chart_arg(role: Role, option: &str, key: &str) -> Option<String> {
    let option = option.replace('-', "_");
    CHART_ARGS
        .iter()
        .find(|(o, r, _)| *r == role && *o == option)
        .map(|(_, _, instead)| instead.replace("{}", key))
}

/// Balancing without a mesh (`global.loadBalancing.mode: jina`). Jina hands an address string to
/// `grpc.aio.insecure_channel` unresolved (`serve/networking/connection_pool_map.py`,
/// `replica_list.py`), so a name with one A record per Ready pod plus gRPC's `round_robin` policy
/// (`--grpc-channel-options`, gateway and head parsers: `parsers/orchestrate/runtimes/remote.py`,
/// `worker.py`) spreads calls over the pods; a maximum connection age on the servers
/// (`--grpc-server-options`) makes clients re-resolve, which is when new pods join.
pub const LB_POLICY_OPTION: &str = "grpc.lb_policy_name";
pub const LB_POLICY: &str = "round_robin";
pub const DNS_MIN_RESOLUTION_OPTION: &str = "grpc.dns_min_time_between_resolutions_ms";
pub const MAX_CONNECTION_AGE_OPTION: &str = "grpc.max_connection_age_ms";
pub const MAX_CONNECTION_AGE_GRACE_OPTION: &str = "grpc.max_connection_age_grace_ms";
/// The Prometheus series of a workload's load, by `autoscaling.keda.metric`. Jina's gateway, heads
/// and executors each keep a summary of the time they spend on each request
/// (`jina_receiving_request_seconds`, jina/serve/runtimes/worker/request_handling.py and
/// monitoring.py): its count rises by one per answered request (a rate of it is requests per
/// second), its sum by the seconds spent (a rate of it is the requests in flight, on average).
pub const LOAD_METRICS: [(&str, &str); 2] = [
    ("rps", "jina_receiving_request_seconds_count"),
    ("concurrency", "jina_receiving_request_seconds_sum"),
];
/// Suffix of the headless Service naming every Ready pod of a workload.
pub const PODS_SERVICE_SUFFIX: &str = "-pods";

fn chart_args(role: Role) -> serde_json::Value {
    CHART_ARGS
        .iter()
        .filter(|(_, r, _)| *r == role)
        .map(|(o, _, instead)| (o.to_string(), json!(instead)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// What the chart's templates need of the above, as the JSON that `templates/_jina.tpl`
/// returns. Constants only: nothing from a Flow, so nothing a user wrote reaches a template.
pub fn template_constants() -> serde_json::Value {
    let classes: serde_json::Map<String, serde_json::Value> = GATEWAY_CLASSES
        .iter()
        .map(|(p, c)| (p.scheme().to_string(), json!(c)))
        .collect();
    let app_protocols: serde_json::Map<String, serde_json::Value> = APP_PROTOCOLS
        .iter()
        .map(|(p, a)| (p.scheme().to_string(), json!(a)))
        .collect();
    json!({
        "version": VERSION,
        "tagVersion": TAG_VERSION_PATTERN,
        "nameMax": NAME_MAX,
        "statefulSetNameMax": STATEFUL_SET_NAME_MAX,
        "maxArgLen": MAX_ARG_LEN,
        "appProtocols": app_protocols,
        "port": PORT,
        "monitoringPort": MONITORING_PORT,
        "sidecars": [
            {"key": "usesBefore", "name": "uses-before", "addressFlag": "uses-before-address",
             "monitoringPort": USES_BEFORE_MONITORING_PORT, "metricsPortName": "mon-uses-before"},
            {"key": "usesAfter", "name": "uses-after", "addressFlag": "uses-after-address",
             "monitoringPort": USES_AFTER_MONITORING_PORT, "metricsPortName": "mon-uses-after"},
        ],
        "host": HOST,
        "timeoutReady": DEFAULT_TIMEOUT_READY,
        "pingTimeout": PING_TIMEOUT_MS.to_string(),
        "head": {"runtime": HEAD_RUNTIME, "role": HEAD_ROLE, "dropArgs": HEAD_DROPPED_ARGS},
        "sidecarDropArgs": SIDECAR_DROPPED_ARGS,
        "gatewayClasses": classes,
        "compositeGateway": COMPOSITE_GATEWAY,
        "gpusPattern": GPUS_PATTERN,
        "chartArgs": {
            "executor": chart_args(Role::Executor),
            "gateway": chart_args(Role::Gateway),
        },
        "metrics": LOAD_METRICS.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
        "balancing": {
            "lbPolicyOption": LB_POLICY_OPTION, "lbPolicy": LB_POLICY,
            "dnsMinResolutionOption": DNS_MIN_RESOLUTION_OPTION,
            "maxAgeOption": MAX_CONNECTION_AGE_OPTION, "maxAgeGraceOption": MAX_CONNECTION_AGE_GRACE_OPTION,
            "podsSuffix": PODS_SERVICE_SUFFIX,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_carry_a_version_only_in_jinas_shape() {
        let v = |t: &str| tag_version(t).map(|v| v.to_string());
        assert_eq!(v("3.34.0-py311-standard").as_deref(), Some("3.34.0"));
        assert_eq!(v("3.20.0").as_deref(), Some("3.20.0"));
        for none in [
            "latest",
            "",
            "master",
            "3.34",
            "3.34.0.1",
            "v3.34.0",
            "3.34.0rc1",
            "3.x.0-py38",
        ] {
            assert_eq!(v(none), None, "{none}");
        }
        // The template reads tags with the same rule.
        let re = regex::Regex::new(TAG_VERSION_PATTERN).unwrap();
        assert!(re.is_match("3.34.0-py311-standard") && re.is_match("3.20.0"));
        assert!(!re.is_match("3.34.0rc1") && !re.is_match("latest"));
    }

    #[test]
    fn one_rule_for_gpus_in_rust_and_in_the_schema() {
        let re = regex::Regex::new(GPUS_PATTERN).unwrap();
        for text in [
            "all", "1", "+1", "00", "2", "device=0", "device=,", "-1", "+", "", "1.5", "All", "2 ",
            "0x1", "lots",
        ] {
            assert_eq!(gpus_ok(text), re.is_match(text), "{text:?}");
        }
        assert!(gpus_ok("+1") && gpus_ok("all") && !gpus_ok("device=0,1") && !gpus_ok("-1"));
    }

    #[test]
    fn chart_args_name_the_value_to_set() {
        assert_eq!(
            chart_arg(Role::Executor, "port", "executors.enc").as_deref(),
            Some("use `executors.enc.protocols`: an executor listens on 8080 and up, a port per protocol (`executors.enc.external.ports` for an external one)")
        );
        assert!(chart_arg(Role::Executor, "k8s-namespace", "x").is_some());
        assert!(chart_arg(Role::Executor, "exit_on_exceptions", "x").is_none());
        assert!(chart_arg(Role::Gateway, "expose_endpoints", "gateway").is_none());
        // Every option named is one of Jina's.
        for (option, role, _) in CHART_ARGS {
            let known = match role {
                Role::Executor => keys::executor_key(option).is_some(),
                Role::Gateway => keys::gateway_key(option).is_some(),
            };
            assert!(known, "{option}");
        }
    }
}
