//! What every workload has (gateway, executor, head): pod settings, scheduling, probes, its
//! Services, NetworkPolicy, ServiceMonitor, and the objects beside it (ServiceAccount,
//! PodDisruptionBudget, HorizontalPodAutoscaler).

use serde_json::{json, Value as J};

use super::parts::{
    args, args_schema, e, rows, s, secret_names_schema, string_map, strings, Row, DATA_KEY,
    DNS_LABEL, DNS_SUBDOMAIN, DNS_SUBDOMAIN_BODY, ENV_NAME,
};
use crate::chart::doc::{Entry, Val};
use crate::flow::PodSettings;
use crate::jina;

/// Settings every workload (gateway, executor) has. The Flow never sets the `fixed` ones, so
/// executors leave them out (they would only be diffed away against executorDefaults).
pub(super) fn pod(p: &PodSettings, resources: Val, fixed: bool) -> Vec<Entry> {
    let secrets = Val::Map(
        p.env_from_secret
            .iter()
            .map(|(k, r)| {
                e(
                    k.clone(),
                    "",
                    Val::Map(vec![e("name", "", s(&r.name)), e("key", "", s(&r.key))]),
                )
            })
            .collect(),
    );
    let mut entries = vec![
        e(
            "env",
            "Environment variables, stored in the workload's ConfigMap (the Flow's `env`).",
            string_map(&p.env),
        )
        .schema(|| {
            json!({
                "type": "object",
                "propertyNames": {"pattern": ENV_NAME},
                "additionalProperties": {"type": "string"},
            })
        }),
        e(
            "envFromSecret",
            "Environment variables read from Secrets: `VAR: {name: SECRET, key: \
            KEY}` (the Flow's `env_from_secret`).",
            secrets,
        )
        .schema(env_from_secret_schema),
        e(
            "imagePullSecrets",
            "Names of Secrets used to pull this workload's images (the Flow's \
            `image_pull_secrets`).",
            strings(&p.image_pull_secrets),
        )
        .schema(secret_names_schema),
        e(
            "monitoring",
            "Serve Prometheus metrics (`--monitoring`) and add a ServiceMonitor.",
            Val::Bool(p.monitoring),
        ),
        e(
            "timeoutReady",
            "Milliseconds Jina waits for the workload to start (`--timeout-ready`; \
            -1 waits forever); also sets the startup probe's failure threshold.",
            Val::Int(p.timeout_ready.unwrap_or(jina::DEFAULT_TIMEOUT_READY)),
        )
        .schema(|| json!({"type": "integer", "minimum": -1, "maximum": i32::MAX})),
        e(
            "args",
            "Other Jina options, as in the Flow (`snake_case: value`); `true` is a bare \
            flag, lists repeat the value.",
            args(&p.args),
        )
        .schema(args_schema),
        e(
            "resources",
            "Container resources (requests/limits; the default requests keep pods out \
            of the BestEffort class, set real ones); GPU limits come from `gpus`.",
            resources,
        )
        .schema(|| json!({"type": "object"})),
    ];
    if fixed {
        entries.extend(pod_fixed());
    }
    entries
}

pub(super) fn pod_fixed() -> Vec<Entry> {
    let mut entries = rows(PLACEMENT, &());
    entries.extend([pod_security_context(), security_context()]);
    entries.extend(rows(CONTAINERS, &()));
    entries.push(probes());
    entries.extend(scheduling());
    entries.extend(production());
    entries
}

/// What pods carry and where they may run.
const PLACEMENT: &[Row<()>] = &[
    Row {
        key: "extraEnv",
        drives: "",
        doc: "More container `env` entries, as Kubernetes writes them.",
        val: |()| Val::List(vec![]),
        schema: Some(|| json!({"type": "array", "items": {"type": "object"}})),
    },
    Row {
        key: "podAnnotations",
        drives: "",
        doc: "Annotations added to the pods.",
        val: |()| Val::open(),
        schema: None,
    },
    Row {
        key: "podLabels",
        drives: "",
        doc: "Labels added to the pods.",
        val: |()| Val::open(),
        schema: None,
    },
    Row {
        key: "nodeSelector",
        drives: "",
        doc: "Node selector of the pods.",
        val: |()| Val::open(),
        schema: None,
    },
    Row {
        key: "tolerations",
        drives: "",
        doc: "Tolerations of the pods.",
        val: |()| Val::List(vec![]),
        schema: Some(|| json!({"type": "array"})),
    },
    Row {
        key: "capacity",
        drives: "",
        doc: "The kind of node capacity the pods run on: `spot` or `on-demand` add \
            `global.capacity.<kind>`'s nodeSelector and tolerations to the pods' own (empty: \
            neither).",
        val: |()| s(""),
        schema: Some(|| json!({"type": "string", "enum": ["", "spot", "on-demand"]})),
    },
    Row {
        key: "affinity",
        drives: "",
        doc: "Affinity of the pods.",
        val: |()| Val::open(),
        schema: None,
    },
    Row {
        key: "schedulerName",
        drives: "",
        doc: "The scheduler that places the pods (empty: the cluster's default).",
        val: |()| s(""),
        schema: Some(optional_name_schema),
    },
    Row {
        key: "dnsConfig",
        drives: "",
        doc: "The pods' `dnsConfig` (nameservers, searches, options such as `ndots`), as \
            Kubernetes writes it.",
        val: |()| Val::open(),
        schema: None,
    },
    Row {
        key: "hostAliases",
        drives: "",
        doc: "Entries added to the pods' `/etc/hosts` (`[{ip, hostnames}]`).",
        val: |()| Val::List(vec![]),
        schema: Some(|| {
            json!({"type": "array", "items": {
                "type": "object",
                "required": ["ip"],
                "properties": {
                    "ip": {"type": "string"},
                    "hostnames": {"type": "array", "items": {"type": "string"}},
                },
            }})
        }),
    },
];

/// How pods are updated, and what runs and is mounted beside the Jina container.
const CONTAINERS: &[Row<()>] = &[
    Row {
        key: "strategy",
        drives: "",
        doc: "Update strategy: a Deployment's `strategy` (`rollingUpdate` only with \
            `RollingUpdate`; `maxSurge` and `maxUnavailable` cannot both be 0), or with \
            persistence a StatefulSet's `updateStrategy` (`RollingUpdate`, one pod at a time, or \
            `OnDelete`).",
        val: |()| rolling_update(1, 0),
        schema: Some(strategy_schema),
    },
    Row {
        key: "revisionHistoryLimit",
        drives: "",
        doc: "Old revisions kept for `kubectl rollout undo` (ReplicaSets of a Deployment, \
            ControllerRevisions of a StatefulSet); empty: Kubernetes' default, 10.",
        val: |()| s(""),
        schema: Some(optional_seconds_schema),
    },
    Row {
        key: "minReadySeconds",
        drives: "",
        doc: "Seconds a new pod must stay Ready before it counts as available (empty: 0).",
        val: |()| s(""),
        schema: Some(optional_seconds_schema),
    },
    Row {
        key: "progressDeadlineSeconds",
        drives: "",
        doc: "Seconds a Deployment's rollout may make no progress before Kubernetes reports \
            it failed (more than `minReadySeconds`). Empty: the startup probe's budget (initial \
            delay plus period times failure threshold, from `timeoutReady`) plus \
            `minReadySeconds` and 120 s, at least Kubernetes' 600, so a slow model load is not \
            a failed rollout. StatefulSets (persistence on) have no deadline.",
        val: |()| s(""),
        schema: Some(optional_seconds_schema),
    },
    Row {
        key: "writableDirs",
        drives: "",
        doc: "Paths given an emptyDir of their own, writable with a read-only root \
            filesystem (e.g. `/tmp` and `HOME`).",
        val: |()| Val::List(vec![]),
        schema: Some(|| json!({"type": "array", "items": {"type": "string", "pattern": "^/"}})),
    },
    Row {
        key: "extraVolumes",
        drives: "",
        doc: "More pod volumes.",
        val: |()| Val::List(vec![]),
        schema: Some(|| json!({"type": "array", "items": {"type": "object"}})),
    },
    Row {
        key: "extraVolumeMounts",
        drives: "",
        doc: "More container volume mounts.",
        val: |()| Val::List(vec![]),
        schema: Some(|| json!({"type": "array", "items": {"type": "object"}})),
    },
    Row {
        key: "initContainers",
        drives: "",
        doc: "Init containers run before the workload's own, as Kubernetes writes them.",
        val: |()| Val::List(vec![]),
        schema: Some(containers_schema),
    },
    Row {
        key: "sidecars",
        drives: "",
        doc: "More containers in each pod, as Kubernetes writes them (e.g. a log shipper).",
        val: |()| Val::List(vec![]),
        schema: Some(containers_schema),
    },
    Row {
        key: "lifecycle",
        drives: "",
        doc: "Lifecycle hooks of the Jina container. The default preStop pause lets \
            endpoints drop the pod before Jina stops; it needs `/bin/sh` in the image (set \
            `preStop: null` for images without one).",
        val: |()| pre_stop_pause(),
        schema: Some(|| {
            json!({
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "preStop": {"type": ["object", "null"]},
                    "postStart": {"type": ["object", "null"]},
                },
            })
        }),
    },
];

/// A count that may be left empty for Kubernetes' default.
fn optional_seconds_schema() -> J {
    json!({"oneOf": [
        {"type": "integer", "minimum": 0, "maximum": i32::MAX},
        {"type": "string", "enum": [""]},
    ]})
}

/// `preStop: {exec: {command: [/bin/sh, -c, sleep 2]}}`.
fn pre_stop_pause() -> Val {
    let command = Val::List(vec![s("/bin/sh"), s("-c"), s("sleep 2")]);
    let exec = Val::Map(vec![e("command", "", command)]);
    Val::Map(vec![e("preStop", "", Val::Map(vec![e("exec", "", exec)]))])
}

/// Where and with what priority the pods run: what a head sets on its own too.
pub(super) fn scheduling() -> Vec<Entry> {
    vec![
        e(
            "topologySpreadConstraints",
            "How the pods spread over zones or nodes; a constraint \
            without `labelSelector` gets the workload's own pod labels.",
            Val::List(vec![]),
        )
        .schema(|| {
            json!({
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["maxSkew", "topologyKey", "whenUnsatisfiable"],
                },
            })
        }),
        e(
            "priorityClassName",
            "PriorityClass of the pods (empty: the cluster's default).",
            s(""),
        )
        .schema(optional_name_schema),
        e(
            "runtimeClassName",
            "RuntimeClass of the pods (e.g. `nvidia` on clusters whose GPU \
            runtime is not the default; empty: the default).",
            s(""),
        )
        .schema(optional_name_schema),
        e(
            "terminationGracePeriodSeconds",
            "Seconds a pod has to finish its requests after SIGTERM \
            before it is killed.",
            Val::Int(30),
        )
        .schema(|| json!({"type": "integer", "minimum": 0, "maximum": i32::MAX})),
    ]
}

/// Objects beside the workload: its ServiceAccount, PodDisruptionBudget and
/// HorizontalPodAutoscaler.
pub(super) fn production() -> Vec<Entry> {
    rows(PRODUCTION, &())
}

const PRODUCTION: &[Row<()>] = &[
    Row {
        key: "serviceAccount",
        drives: "",
        doc: "The pods' ServiceAccount.",
        val: |()| Val::Map(rows(SERVICE_ACCOUNT, &())),
        schema: None,
    },
    Row {
        key: "podDisruptionBudget",
        drives: "",
        doc: "A PodDisruptionBudget, created when the workload runs more than \
            one pod (or autoscales): a budget on a single pod would block every node drain.",
        val: |()| Val::Map(rows(DISRUPTION_BUDGET, &())),
        schema: None,
    },
    Row {
        key: "autoscaling",
        drives: "",
        doc: "A HorizontalPodAutoscaler. On, the workload's `replicas` is left to it \
            (not rendered) and Jina is not told a replica count (see the README).",
        val: |()| Val::Map(rows(AUTOSCALING, &())),
        schema: None,
    },
];

const SERVICE_ACCOUNT: &[Row<()>] = &[
    Row {
        key: "create",
        drives: "",
        doc: "Create one for the workload (named after it; a sharded executor's shards \
            share one, its head has its own).",
        val: |()| Val::Bool(true),
        schema: None,
    },
    Row {
        key: "name",
        drives: "",
        doc: "Its name: with `create`, instead of the workload's; without, an existing \
            account (empty: the namespace's `default`).",
        val: |()| s(""),
        schema: Some(|| {
            json!({
                "type": "string",
                "pattern": format!("^(|{DNS_SUBDOMAIN_BODY})$"),
                "maxLength": 253,
            })
        }),
    },
    Row {
        key: "annotations",
        drives: "",
        doc: "Annotations of the created account (e.g. \
            `eks.amazonaws.com/role-arn` for IRSA, `iam.gke.io/gcp-service-account` for \
            Workload Identity).",
        val: |()| Val::open(),
        schema: None,
    },
    Row {
        key: "automount",
        drives: "",
        doc: "Mount the account's API token in the pods (Jina never calls the Kubernetes API).",
        val: |()| Val::Bool(false),
        schema: None,
    },
];

const DISRUPTION_BUDGET: &[Row<()>] = &[
    Row {
        key: "enabled",
        drives: "",
        doc: "Create it.",
        val: |()| Val::Bool(true),
        schema: None,
    },
    Row {
        key: "minAvailable",
        drives: "",
        doc: "Pods that must stay up during a voluntary disruption: a number or a \
            percentage (empty: unset; set at most one of the two).",
        val: |()| s(""),
        schema: Some(budget_schema),
    },
    Row {
        key: "maxUnavailable",
        drives: "",
        doc: "Pods that may be down at once during a voluntary disruption: a \
            number or a percentage (both empty: 1).",
        val: |()| s(""),
        schema: Some(budget_schema),
    },
];

const AUTOSCALING: &[Row<()>] = &[
    Row {
        key: "enabled",
        drives: "",
        doc: "Create it.",
        val: |()| Val::Bool(false),
        schema: None,
    },
    Row {
        key: "minReplicas",
        drives: "",
        doc: "Fewest pods; 0 only with `keda.query` (a series that exists while the \
            workload has no pod; without KEDA served, the autoscaler keeps one).",
        val: |()| Val::Int(1),
        schema: Some(|| json!({"type": "integer", "minimum": 0, "maximum": i32::MAX})),
    },
    Row {
        key: "maxReplicas",
        drives: "",
        doc: "Most pods.",
        val: |()| Val::Int(5),
        schema: Some(|| json!({"type": "integer", "minimum": 1, "maximum": i32::MAX})),
    },
    Row {
        key: "targetCPUUtilizationPercentage",
        drives: "",
        doc: "Average CPU use, in percent of \
            `resources.requests.cpu`, to keep (0: no CPU target).",
        val: |()| Val::Int(80),
        schema: Some(|| json!({"type": "integer", "minimum": 0})),
    },
    Row {
        key: "targetMemoryUtilizationPercentage",
        drives: "",
        doc: "Average memory use, in percent of \
            `resources.requests.memory`, to keep (0: no memory target).",
        val: |()| Val::Int(0),
        schema: Some(|| json!({"type": "integer", "minimum": 0})),
    },
    Row {
        key: "metrics",
        drives: "",
        doc: "More metrics, as an autoscaling/v2 HorizontalPodAutoscaler lists them (`Pods`, \
            `Object`, `External`, `Resource`), after the CPU and memory targets: e.g. requests per \
            second from a metrics adapter.",
        val: |()| Val::List(vec![]),
        schema: Some(|| json!({"type": "array", "items": {"type": "object"}})),
    },
    Row {
        key: "behavior",
        drives: "",
        doc: "Scaling behavior, as in an autoscaling/v2 HorizontalPodAutoscaler \
            (`scaleUp`, `scaleDown`).",
        val: |()| Val::open(),
        schema: None,
    },
    Row {
        key: "keda",
        drives: "",
        doc: "A KEDA ScaledObject instead of the HorizontalPodAutoscaler, to scale on \
            requests (and to 0), where the cluster serves `keda.sh/v1alpha1`; elsewhere the \
            HorizontalPodAutoscaler is rendered. Its queries read the metrics Prometheus \
            scrapes through the ServiceMonitor (`monitoring` on, `global.keda.prometheusAddress`).",
        val: |()| Val::Map(rows(KEDA, &())),
        schema: None,
    },
];

/// `autoscaling.keda`: KEDA's ScaledObject and its Prometheus trigger.
const KEDA: &[Row<()>] = &[
    Row {
        key: "enabled",
        drives: "",
        doc: "Render a ScaledObject where KEDA is served.",
        val: |()| Val::Bool(false),
        schema: None,
    },
    Row {
        key: "metric",
        drives: "",
        doc: "Jina's metric to keep at `target` per pod: `rps` (requests per second the \
            workload answers) or `concurrency` (requests it works on at once, on average); \
            empty: only `query`, CPU and memory.",
        val: |()| s(""),
        schema: Some(|| {
            let names = crate::jina::LOAD_METRICS.iter().map(|(name, _)| *name);
            json!({"type": "string", "enum": std::iter::once("").chain(names).collect::<Vec<_>>()})
        }),
    },
    Row {
        key: "target",
        drives: "",
        doc: "The metric's (or query's) value to keep per pod.",
        val: |()| s("10"),
        schema: Some(|| json!({"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?$"})),
    },
    Row {
        key: "activationTarget",
        drives: "",
        doc: "From 0 pods, the value above which KEDA starts one (empty: KEDA's 0).",
        val: |()| s(""),
        schema: Some(|| json!({"type": "string", "pattern": "^([0-9]+(\\.[0-9]+)?)?$"})),
    },
    Row {
        key: "query",
        drives: "",
        doc: "A PromQL query of your own in place of `metric`'s (its total over the \
            workload's pods; KEDA divides it by the pod count).",
        val: |()| s(""),
        schema: None,
    },
    Row {
        key: "window",
        drives: "",
        doc: "The rate window of `metric`'s query (at least twice the scrape interval).",
        val: |()| s("1m"),
        schema: Some(|| json!({"type": "string", "pattern": "^[1-9][0-9]*[smh]$"})),
    },
    Row {
        key: "pollingInterval",
        drives: "",
        doc: "Seconds between two of KEDA's checks.",
        val: |()| Val::Int(30),
        schema: Some(|| json!({"type": "integer", "minimum": 1, "maximum": i32::MAX})),
    },
    Row {
        key: "cooldownPeriod",
        drives: "",
        doc: "Seconds without activity before KEDA scales to 0 (with `minReplicas` 0).",
        val: |()| Val::Int(300),
        schema: Some(|| json!({"type": "integer", "minimum": 0, "maximum": i32::MAX})),
    },
];

/// A PodDisruptionBudget count: a number, a percentage, or empty for unset.
pub(super) fn budget_schema() -> J {
    json!({"oneOf": [
        {"type": "integer", "minimum": 0},
        {"type": "string", "pattern": "^([0-9]+%)?$"},
    ]})
}

pub(super) fn containers_schema() -> J {
    json!({
        "type": "array",
        "items": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string", "pattern": DNS_LABEL, "maxLength": 63}},
        },
    })
}

/// Which thresholds a probe offers: the startup one derives its failure threshold from
/// `timeoutReady`, and only readiness may need several successes (the API server requires 1
/// for the others).
#[derive(Clone, Copy)]
pub(super) enum Thresholds {
    Derived,
    Failure,
    FailureAndSuccess,
}

pub(super) fn strategy_schema() -> J {
    let count = json!({"oneOf": [
        {"type": "integer", "minimum": 0},
        {"type": "string", "pattern": "^[0-9]+%$"},
    ]});
    json!({"type": "object", "additionalProperties": false, "properties": {
        "type": {"type": "string", "enum": ["RollingUpdate", "Recreate", "OnDelete"]},
        "rollingUpdate": {"type": "object", "additionalProperties": false, "properties": {
            "maxSurge": count, "maxUnavailable": count}}}})
}

pub(super) fn probe(
    key: &'static str,
    doc: &'static str,
    timings: [i64; 3],
    t: Thresholds,
) -> Entry {
    let [initial, period, timeout] = timings;
    let mut entries = vec![
        e("enabled", "", Val::Bool(true)),
        e("initialDelaySeconds", "", Val::Int(initial)),
        e("periodSeconds", "", Val::Int(period)),
        e("timeoutSeconds", "", Val::Int(timeout)),
    ];
    if !matches!(t, Thresholds::Derived) {
        entries.push(e("failureThreshold", "", Val::Int(3)));
    }
    if matches!(t, Thresholds::FailureAndSuccess) {
        entries.push(e("successThreshold", "", Val::Int(1)));
    }
    entries.push(e("handler", "", Val::open()));
    let entry = e(key, doc, Val::Map(entries));
    match t {
        Thresholds::FailureAndSuccess => entry.schema(|| probe_schema(true)),
        _ => entry.schema(|| probe_schema(false)),
    }
}

pub(super) fn probe_schema(success: bool) -> J {
    let mut schema = json!({"type": "object", "additionalProperties": false, "properties": {
        "enabled": {"type": "boolean"},
        "initialDelaySeconds": {"type": "integer", "minimum": 0},
        "periodSeconds": {"type": "integer", "minimum": 1},
        "timeoutSeconds": {"type": "integer", "minimum": 1},
        "failureThreshold": {"type": "integer", "minimum": 1, "maximum": i32::MAX},
        "handler": {
            "type": "object",
            "maxProperties": 1,
            "propertyNames": {"enum": ["exec", "grpc", "httpGet", "tcpSocket"]},
        },
    }});
    if success {
        schema["properties"]["successThreshold"] = json!({"type": "integer", "minimum": 1});
    }
    schema
}

pub(super) fn probes() -> Entry {
    e(
        "probes",
        "How Kubernetes checks the workload. The startup probe allows `timeoutReady` before the \
            liveness probe starts, so slow model loads are not killed; each probe's `handler` (a \
            Kubernetes probe handler: `exec`, `grpc`, `httpGet` or `tcpSocket`) replaces the one \
            `type` picks.",
        Val::Map(vec![
            e(
                "type",
                "`native`: Kubernetes' own gRPC health check (grpc) or `GET /` (http, \
                websocket), answered by Jina's servers with no process per probe. `jina-ping`: \
                `jina ping` inside the container, as Jina's export does (about 0.6 s of CPU and 90 \
                MB of memory per probe).",
                s("native"),
            )
            .schema(|| json!({"type": "string", "enum": ["native", "jina-ping"]})),
            probe(
                "startup",
                "Startup probe; its failure threshold is derived from `timeoutReady` \
                (-1: no limit) unless `failureThreshold` is set.",
                [5, 5, 10],
                Thresholds::Derived,
            ),
            probe(
                "liveness",
                "Liveness probe.",
                [30, 5, 10],
                Thresholds::Failure,
            ),
            probe(
                "readiness",
                "Readiness probe (Jina has none; keeps traffic off pods that \
                stopped answering).",
                [5, 10, 10],
                Thresholds::FailureAndSuccess,
            ),
        ]),
    )
}

/// Requests for a process of Jina's own (gateway, head): enough that it is not BestEffort, the
/// first to be evicted under memory pressure.
pub(super) fn jina_resources() -> Val {
    Val::Map(vec![e(
        "requests",
        "",
        Val::Map(vec![e("cpu", "", s("100m")), e("memory", "", s("256Mi"))]),
    )])
}

pub(super) fn env_from_secret_schema() -> J {
    json!({
        "type": "object",
        "propertyNames": {"pattern": ENV_NAME},
        "additionalProperties": {
            "type": "object",
            "additionalProperties": false,
            "required": ["name", "key"],
            "properties": {
                "name": {"type": "string", "pattern": DNS_SUBDOMAIN, "maxLength": 253},
                "key": {"type": "string", "pattern": DATA_KEY, "maxLength": 253},
            },
        },
    })
}

pub(super) fn service() -> Entry {
    let per_protocol = || {
        json!({"type": "object", "additionalProperties": false, "properties": {
        "grpc": {"type": "integer", "minimum": 1, "maximum": 65535},
        "http": {"type": "integer", "minimum": 1, "maximum": 65535},
        "websocket": {"type": "integer", "minimum": 1, "maximum": 65535}}})
    };
    e(
        "service",
        "The gateway's Service: one port per protocol (named `grpc`, `http`, `websocket`).",
        Val::Map(vec![
            e("type", "Service type.", s("ClusterIP")).schema(
                || json!({"type": "string", "enum": ["ClusterIP", "NodePort", "LoadBalancer"]}),
            ),
            e(
                "annotations",
                "Service annotations (e.g. for a cloud load balancer).",
                Val::open(),
            ),
            e(
                "ports",
                "Port clients use, by protocol (`http: 80`); default: the gateway's own \
                port for it.",
                Val::open(),
            )
            .schema(per_protocol),
            e(
                "nodePorts",
                "Node ports by protocol (`grpc: 30080`); only with type NodePort or \
                LoadBalancer.",
                Val::open(),
            )
            .schema(per_protocol),
            e(
                "loadBalancerSourceRanges",
                "CIDRs allowed to reach the load balancer; only with \
                type LoadBalancer.",
                Val::List(vec![]),
            )
            .schema(|| json!({"type": "array", "items": {"type": "string"}})),
        ]),
    )
}

pub(super) fn network_policy() -> Entry {
    let peers = || json!({"type": "array", "items": {"type": "object"}});
    e(
        "networkPolicy",
        "NetworkPolicies from the Flow's graph: each executor, shard and head accepts traffic only \
            from the pods that call it in the Flow (the gateway, or its head); the entry point \
            (the gateway, or a `jtype: Deployment`'s executor) from `clients`.",
        Val::Map(vec![
            e("enabled", "Create one NetworkPolicy per workload.", Val::Bool(false)),
            e("clients", "Who may reach the entry point's protocol ports, as NetworkPolicy `from` \
                peers (empty: any source). The `helm test` Pod is always allowed.", Val::List(vec![]))
                .schema(peers),
            e("metrics", "Who may scrape metrics ports (workloads with `monitoring`), as `from` \
                peers (empty: any source).", Val::List(vec![]))
                .schema(peers),
            e("egress", "Restrict what pods may connect to.", Val::Map(vec![
                e("enabled", "Allow only DNS, the Flow's own edges (gateway to executors and \
                    heads, heads to shards), external executors' ports, and `extra`.", Val::Bool(false)),
                e("dns", "Where DNS may be reached, as `to` peers (e.g. kube-system's \
                    `k8s-app: kube-dns` pods); empty: any address, on `dnsPorts`, which also \
                    covers a node-local DNS cache (a link-local address, not a pod) and \
                    OpenShift's DNS pods (port 5353 behind the Service's 53).", Val::List(vec![]))
                    .schema(peers),
                e("dnsPorts", "Ports DNS egress is allowed to, UDP and TCP.",
                    Val::List(vec![Val::Int(53), Val::Int(5353)]))
                    .schema(|| json!({"type": "array", "minItems": 1,
                        "items": {"type": "integer", "minimum": 1, "maximum": 65535}})),
                e("extra", "More egress rules for every workload, as a NetworkPolicy writes them \
                    (`to`, `ports`).", Val::List(vec![]))
                    .schema(|| json!({"type": "array", "items": {"type": "object"}})),
            ])),
        ]),
    )
}

pub(super) fn service_monitor() -> Entry {
    e(
        "serviceMonitor",
        "Prometheus Operator ServiceMonitors for the workloads with `monitoring` on, created only \
            when the cluster serves monitoring.coreos.com/v1 ServiceMonitor.",
        Val::Map(vec![
            e("enabled", "Create them.", Val::Bool(true)),
            e(
                "labels",
                "Labels the Prometheus selects them by (kube-prometheus-stack: `release: \
                <its release>`).",
                Val::open(),
            ),
            e(
                "interval",
                "Scrape interval (empty: Prometheus' default).",
                s(""),
            ),
            e(
                "scrapeTimeout",
                "Scrape timeout (empty: Prometheus' default).",
                s(""),
            ),
            e(
                "relabelings",
                "Relabelings of every endpoint.",
                Val::List(vec![]),
            )
            .schema(|| json!({"type": "array", "items": {"type": "object"}})),
        ]),
    )
}

/// The pod security context every pod starts from: the runtime's default seccomp profile, as
/// the `restricted` Pod Security Standard requires.
pub(super) fn pod_security_context() -> Entry {
    e(
        "podSecurityContext",
        "Pod security context.",
        Val::Map(vec![e(
            "seccompProfile",
            "",
            Val::Map(vec![e("type", "", s("RuntimeDefault"))]),
        )]),
    )
    .schema(|| json!({"type": "object"}))
}

/// The container security context every container starts from: no privilege escalation, no
/// capabilities.
pub(super) fn security_context() -> Entry {
    e(
        "securityContext",
        "Container security context.",
        Val::Map(vec![
            e("allowPrivilegeEscalation", "", Val::Bool(false)),
            e(
                "capabilities",
                "",
                Val::Map(vec![e("drop", "", Val::List(vec![s("ALL")]))]),
            ),
        ]),
    )
    .schema(|| json!({"type": "object"}))
}

/// A name Kubernetes resolves to another object (a PriorityClass, a RuntimeClass), or empty for
/// the cluster's default.
fn optional_name_schema() -> J {
    json!({
        "type": "string",
        "pattern": format!("^(|{DNS_SUBDOMAIN_BODY})$"),
        "maxLength": 253,
    })
}

/// A `RollingUpdate` strategy with these surge and unavailability counts.
pub(super) fn rolling_update(max_surge: i64, max_unavailable: i64) -> Val {
    Val::Map(vec![
        e("type", "", s("RollingUpdate")),
        e(
            "rollingUpdate",
            "",
            Val::Map(vec![
                e("maxSurge", "", Val::Int(max_surge)),
                e("maxUnavailable", "", Val::Int(max_unavailable)),
            ]),
        ),
    ])
}
