//! What Jina decides, in one place: the rules of jina 3.34.0's Kubernetes export that flowhelm
//! reproduces. Each entry names the Jina source it mirrors (paths are relative to the `jina`
//! package of the 3.34.0 wheel). The loader, the values and the chart's templates all take these
//! from here: templates read them from `templates/_jina.tpl`, which [`template_constants`]
//! generates, so no number or class name is typed twice.

pub(crate) mod keys;

use serde_json::json;

use crate::flow::Protocol;

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

/// What the chart's templates need of the above, as the JSON that `templates/_jina.tpl`
/// returns. Constants only: nothing from a Flow, so nothing a user wrote reaches a template.
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
/// Suffix of the headless Service naming every Ready pod of a workload.
pub const PODS_SERVICE_SUFFIX: &str = "-pods";

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
}
