//! One executor's values (its Flow settings over Jina's defaults), its sidecars, its head, and
//! where an external one is.

use indexmap::IndexMap;
use serde_json::{json, Value as J};

use super::parts::{
    e, image, json_table, json_table_schema, protocols, protocols_schema, rows, s, string_map,
    strings, Row, ValuesOptions, DNS_LABEL, STORAGE_SIZE,
};
use super::pod::{
    env_from_secret_schema, jina_resources, pod, production, rolling_update, scheduling,
    strategy_schema,
};
use crate::chart::doc::{Entry, Val};
use crate::flow::{Executor, External, Image, Polling, PollingMode, Uses};
use crate::jina;

pub(super) fn uses_image(u: &Uses, opts: &ValuesOptions) -> (Image, &'static str) {
    match u {
        Uses::Docker { image, .. } => (image.clone(), "config.yml"),
        // The Hub resolves these at export time; without network the image must be set by hand.
        Uses::Hub { .. } => (
            Image {
                repository: String::new(),
                tag: String::new(),
                digest: String::new(),
            },
            "config.yml",
        ),
        Uses::Base => (opts.jina_image.clone(), ""),
    }
}

pub(super) fn sidecar(
    key: &'static str,
    doc: &'static str,
    u: Option<&Uses>,
    port: i64,
    opts: &ValuesOptions,
) -> Entry {
    let (img, uses) = u.map_or((opts.jina_image.clone(), ""), |u| uses_image(u, opts));
    e(
        key,
        doc,
        Val::Map(vec![
            e(
                "enabled",
                "Run this container in the head pod (only when `shards` > 1, as in Jina).",
                Val::Bool(u.is_some()),
            ),
            image(&img, "Image of the container."),
            e(
                "uses",
                "`--uses` passed to it (`config.yml` for docker images, empty for BaseExecutor).",
                s(uses),
            ),
            e(
                "port",
                "Port it listens on inside the head pod.",
                Val::Int(port),
            ),
            e("resources", "Container resources.", jina_resources())
                .schema(|| json!({"type": "object"})),
        ]),
    )
}

/// `polling` (the mode of every endpoint not listed: Jina's `*`, empty when the Flow gives none,
/// ANY) and `pollingByEndpoint` (the rest); a `*` the Flow writes stays in `--polling`.
fn polling(x: &Executor) -> (String, IndexMap<String, String>) {
    match &x.polling {
        Polling::Uniform(PollingMode::Any) => (String::new(), IndexMap::new()),
        Polling::Uniform(p) => (p.to_string(), IndexMap::new()),
        Polling::PerEndpoint(m) => {
            let mut m: IndexMap<String, String> =
                m.iter().map(|(k, v)| (k.clone(), v.to_string())).collect();
            let default = m.shift_remove("*").unwrap_or_default();
            (default, m)
        }
    }
}

/// `--uses`: `config.yml` for docker images, empty for BaseExecutor.
fn uses_flag(u: &Uses) -> &'static str {
    match u {
        Uses::Docker { .. } | Uses::Hub { .. } => "config.yml",
        Uses::Base => "",
    }
}

/// The values every executor has, after its image: one row per key. Adding a value is a row
/// here and its use in a template.
const EXECUTOR: &[Row<Executor>] = &[
    Row {
        key: "uses",
        drives: "uses",
        doc: "`--uses` passed to the executor: `config.yml` for docker images, empty for \
            BaseExecutor.",
        val: |x| s(uses_flag(&x.uses)),
        schema: None,
    },
    Row {
        key: "dnsName",
        drives: "name",
        doc: "The executor's name in Kubernetes object names (each executor has its own; a \
            DNS label).",
        val: |x| s(&x.dns),
        schema: Some(|| {
            json!({
                "type": "string",
                "pattern": "^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$",
                "maxLength": 53,
            })
        }),
    },
    Row {
        key: "replicas",
        drives: "replicas",
        doc: "Pods per shard.",
        val: |x| Val::Int(i64::from(x.replicas)),
        schema: Some(|| json!({"type": "integer", "minimum": 1, "maximum": i32::MAX})),
    },
    Row {
        key: "replicasArg",
        drives: "",
        doc: "Also pass the count as Jina's `--replicas`, as Jina's export does, for an \
            executor that reads `runtime_args.replicas`. Off, `replicas` is the workload's count \
            alone, and changing it starts or stops pods without restarting the others.",
        val: |_| Val::Bool(false),
        schema: Some(|| json!({"type": "boolean"})),
    },
    Row {
        key: "shards",
        drives: "shards",
        doc: "Shards; above 1 a head pod fans requests out to one workload per shard.",
        val: |x| Val::Int(i64::from(x.shards)),
        schema: Some(|| json!({"type": "integer", "minimum": 1, "maximum": jina::MAX_SHARDS})),
    },
    Row {
        key: "polling",
        drives: "polling",
        doc: "How the head polls shards: `ANY` (one shard) or `ALL` (every shard), for \
            endpoints not in `pollingByEndpoint` (Jina's `*`); empty: ANY, and no `*` in a \
            per-endpoint `--polling`.",
        val: |x| s(&polling(x).0),
        schema: Some(|| json!({"type": "string", "enum": ["", "ANY", "ALL"]})),
    },
    Row {
        key: "pollingByEndpoint",
        drives: "polling",
        doc: "Polling of particular endpoints (`/search: ALL`), over `polling`.",
        val: |x| string_map(&polling(x).1),
        schema: Some(|| {
            json!({
                "type": "object",
                "additionalProperties": {"type": "string", "enum": ["ANY", "ALL"]},
            })
        }),
    },
    Row {
        key: "protocols",
        drives: "protocol",
        doc: "Protocols the executor serves (the first is used by the gateway).",
        val: |x| protocols(&x.protocols),
        schema: Some(protocols_schema),
    },
    Row {
        key: "usesWith",
        drives: "uses_with",
        doc: "`--uses-with`, the arguments of the executor's constructor (a key set to \
            `{$json: TEXT}` gets the JSON value TEXT as written, e.g. `1.0` or `null`, which helm \
            would change).",
        val: |x| x.uses_with.as_ref().map_or_else(Val::open, json_table),
        schema: Some(json_table_schema),
    },
    Row {
        key: "usesMetas",
        drives: "uses_metas",
        doc: "`--uses-metas`, laid over the executor's `metas` (keys as in `usesWith`).",
        val: |x| x.uses_metas.as_ref().map_or_else(Val::open, json_table),
        schema: Some(json_table_schema),
    },
    Row {
        key: "noReduce",
        drives: "no_reduce",
        doc: "Do not reduce results from several needs (`disable_reduce`): `--no-reduce` \
            for the executor, and the gateway's `--deployments-no-reduce`.",
        val: |x| Val::Bool(x.no_reduce),
        schema: None,
    },
    Row {
        key: "gpus",
        drives: "gpus",
        doc: "GPUs (`gpus`): `--gpus`, and as many `nvidia.com/gpu` limits (`all`: 1); empty \
            for none. A count or `all`: Kubernetes' device plugin picks the devices, so Docker's \
            `device=…` has no meaning here.",
        val: |x| s(x.gpus.as_deref().unwrap_or("")),
        schema: Some(gpus_schema),
    },
    Row {
        key: "jinaVersion",
        drives: "",
        doc: "The Jina version the executor's image is built on (`3.34.0`; empty: \
            unknown, or read from the tag of a BaseExecutor's Jina image): it must match the Jina \
            images' (see `global.jinaVersionCheck`) and is the workload's \
            `app.kubernetes.io/version`.",
        val: |_| s(""),
        schema: Some(|| json!({"type": "string", "pattern": "^(|[0-9]+\\.[0-9]+\\.[0-9]+)$"})),
    },
];

fn gpus_schema() -> J {
    let pattern = jina::GPUS_PATTERN
        .replacen('^', "^(|", 1)
        .replacen('$', ")$", 1);
    json!({"oneOf": [
        {"type": "string", "pattern": pattern},
        {"type": "integer", "minimum": 0},
    ]})
}

/// Every value of one executor: its Flow settings over Jina's defaults. The parts a Flow leaves
/// at their defaults are only built for executorDefaults (`fixed`): an executor's tree exists to
/// be diffed against it, and these would diff away.
pub(super) fn executor(x: &Executor, opts: &ValuesOptions, fixed: bool) -> Vec<Entry> {
    let (img, _) = uses_image(&x.uses, opts);
    let image_doc = if matches!(x.uses, Uses::Hub { .. }) {
        "Executor image. REQUIRED: the Flow's `jinaai+docker://` is resolved by Jina Hub, \
        which flowhelm cannot reach; set the image it resolves to."
    } else {
        "Executor image (the Flow's `uses: docker://…`)."
    };
    let mut entries = vec![image(&img, image_doc)];
    entries.extend(rows(EXECUTOR, x));
    if fixed || x.external.is_some() {
        entries.push(e(
            "external",
            "An executor served outside the cluster (`external: true`).",
            external(x.external.as_ref()),
        ));
    }
    if fixed || !x.volumes.is_empty() {
        entries.push(persistence(x, fixed));
    }
    if fixed {
        entries.push(e(
            "head",
            "The head pod of a sharded executor.",
            Val::Map(head(opts)),
        ));
    }
    entries.extend(sidecars(x, opts, fixed));
    entries.extend(pod(&x.pod, jina_resources(), fixed));
    // A GPU executor rolls without a spare GPU: one pod down at a time, none added.
    if x.gpus.is_some() || x.pod.jcloud.iter().any(|s| s.path == "gpus") {
        entries.push(e("strategy", "", rolling_update(0, 1)).schema(strategy_schema));
    }
    entries
}

/// `persistence`: the Flow's volumes; how they are claimed only in executorDefaults (`fixed`).
fn persistence(x: &Executor, fixed: bool) -> Entry {
    let volumes = Val::Map(
        x.volumes
            .iter()
            .enumerate()
            .map(|(i, v)| {
                e(
                    format!("volume-{i}"),
                    "",
                    Val::Map(vec![e("mountPath", "", s(&v.mount_path))]),
                )
            })
            .collect(),
    );
    let mut entries = vec![
        e(
            "enabled",
            "Run as a StatefulSet with volume claims.",
            Val::Bool(!x.volumes.is_empty()),
        ),
        e(
            "volumes",
            "Volumes by name (a DNS label): `{mountPath, size}`.",
            volumes,
        )
        .schema(volumes_schema),
    ];
    if fixed {
        entries.extend(rows(CLAIMS, &()));
    }
    e(
        "persistence",
        "Volumes from the Flow's `volumes`: the executor runs as a \
        StatefulSet with one PersistentVolumeClaim per volume.",
        Val::Map(entries),
    )
}

fn volumes_schema() -> J {
    json!({
        "type": "object",
        "propertyNames": {"pattern": DNS_LABEL, "maxLength": 63},
        "additionalProperties": {
            "type": "object",
            "additionalProperties": false,
            "required": ["mountPath"],
            "properties": {
                "mountPath": {"type": "string", "pattern": "^/"},
                "size": {"type": "string", "pattern": format!("^$|{STORAGE_SIZE}")},
            },
        },
    })
}

/// How an executor's volumes are claimed (`persistence` in executorDefaults).
const CLAIMS: &[Row<()>] = &[
    Row {
        key: "size",
        drives: "",
        doc: "Requested size of each volume (a quantity: `10Gi`, `1.5Gi`, `500M`).",
        val: |()| s("10G"),
        schema: Some(|| json!({"type": "string", "pattern": STORAGE_SIZE})),
    },
    Row {
        key: "accessModes",
        drives: "",
        doc: "Access modes of the claims.",
        val: |()| Val::List(vec![s("ReadWriteOnce")]),
        schema: Some(|| {
            json!({
                "type": "array",
                "items": {
                    "type": "string",
                    "enum": ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"],
                },
            })
        }),
    },
    Row {
        key: "storageClass",
        drives: "",
        doc: "Storage class of the claims (empty: `global.storageClass`, else \
            the cluster's default; `-`: no class, for pre-provisioned volumes).",
        val: |()| s(""),
        schema: None,
    },
    Row {
        key: "retentionPolicy",
        drives: "",
        doc: "`persistentVolumeClaimRetentionPolicy`: what happens to the \
            claims when the StatefulSet is deleted or scaled down (`Retain` or `Delete`).",
        val: |()| {
            Val::Map(vec![
                e("whenDeleted", "", s("Retain")),
                e("whenScaled", "", s("Retain")),
            ])
        },
        schema: Some(|| {
            json!({"type": "object", "additionalProperties": false, "properties": {
                "whenDeleted": {"type": "string", "enum": ["Retain", "Delete"]},
                "whenScaled": {"type": "string", "enum": ["Retain", "Delete"]}}})
        }),
    },
];

/// `usesBefore` and `usesAfter`: the Flow's, or (for executorDefaults) disabled ones.
fn sidecars(x: &Executor, opts: &ValuesOptions, fixed: bool) -> Vec<Entry> {
    let sidecars = [
        (
            "usesBefore",
            "`uses_before`: a container in the head pod that runs before the shards.",
            x.uses_before.as_ref(),
            i64::from(jina::USES_BEFORE_PORT),
        ),
        (
            "usesAfter",
            "`uses_after`: a container in the head pod that runs after the shards.",
            x.uses_after.as_ref(),
            i64::from(jina::USES_AFTER_PORT),
        ),
    ];
    sidecars
        .into_iter()
        .filter(|(_, _, uses, _)| fixed || uses.is_some())
        .map(|(key, doc, uses, port)| sidecar(key, doc, uses, port, opts))
        .collect()
}

/// The head of a sharded executor: a router Jina runs from its own image, scheduled, sized and
/// given credentials apart from the executor (a CPU-only router need not land on the model node
/// pool, nor see the executor's Secrets).
pub(super) fn head(opts: &ValuesOptions) -> Vec<Entry> {
    let mut entries = vec![
        image(&opts.jina_image, "Head image (Jina's base image)."),
        e(
            "replicas",
            "Head pods. Jina runs one; heads keep no state, so more behind the head's \
            Service survive a node drain.",
            Val::Int(1),
        )
        .schema(|| json!({"type": "integer", "minimum": 1, "maximum": i32::MAX})),
        e("resources", "Head container resources.", jina_resources())
            .schema(|| json!({"type": "object"})),
        e(
            "envFromSecret",
            "Environment variables of the head container read from Secrets (the \
            executor's are not given to it).",
            Val::open(),
        )
        .schema(env_from_secret_schema),
        e(
            "nodeSelector",
            "Node selector of the head pods (the executor's is not inherited).",
            Val::open(),
        ),
        e(
            "tolerations",
            "Tolerations of the head pods.",
            Val::List(vec![]),
        )
        .schema(|| json!({"type": "array"})),
        e("affinity", "Affinity of the head pods.", Val::open()),
    ];
    entries.extend(scheduling());
    entries.extend(production());
    entries
}

pub(super) fn external(ext: Option<&External>) -> Val {
    let hosts = ext.map_or(&[][..], |x| &x.hosts[..]);
    let ports = ext.map_or(&[][..], |x| &x.ports[..]);
    Val::Map(vec![
        e(
            "enabled",
            "The executor runs outside the cluster; nothing is deployed for it.",
            Val::Bool(ext.is_some()),
        ),
        e(
            "hosts",
            "Its hosts (the gateway balances across them).",
            strings(hosts),
        )
        .schema(hosts_schema),
        e(
            "ports",
            "Its ports, one per host or one for all.",
            Val::List(ports.iter().map(|p| Val::Int(i64::from(*p))).collect()),
        )
        .schema(ports_schema),
        e(
            "tls",
            "Connect with TLS.",
            Val::Bool(ext.is_some_and(|x| x.tls)),
        ),
    ])
}

pub(super) fn hosts_schema() -> J {
    json!({"type": "array", "items": {"type": "string", "minLength": 1}})
}

pub(super) fn ports_schema() -> J {
    json!({"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 65535}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_names_a_key_jina_reads_or_none() {
        for row in EXECUTOR {
            assert!(
                row.drives.is_empty() || jina::keys::executor_key(row.drives).is_some(),
                "{}: Jina reads no executor key `{}`",
                row.key,
                row.drives
            );
        }
        let keys: std::collections::BTreeSet<_> = EXECUTOR.iter().map(|r| r.key).collect();
        assert_eq!(keys.len(), EXECUTOR.len(), "a key is declared twice");
    }
}
