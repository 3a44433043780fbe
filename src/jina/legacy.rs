//! Flow syntax of Jina 1.x and 2.x that Jina 3 no longer reads, and what replaced it.
//!
//! Read from the jina 2.6.4 and 3.0.0 sdists on PyPI beside the 3.34.0 wheel: 2.x's Flow parser
//! (`jaml/parsers/flow/v1.py`) read `executors:` or `pods:`, its legacy parser (no `version`) a
//! `pods:` mapping, and 3.0's reads `executors:` or `deployments:`; the executor options below
//! are those of 2.6.4's `parsers/peapods/` that 3.34.0's parsers no longer have (`restful`, the
//! 1.x switch for an HTTP gateway, was already gone in 2.6.4). jina 3.34 ignores all of them, with
//! at most an "ignored unknown argument" warning, so a Flow that relies on one deploys without
//! it: a top-level `pods:` leaves the Flow with no executor at all. flowhelm refuses them instead,
//! naming what to write.

/// A key of an older Flow syntax.
#[derive(Debug, Clone, Copy)]
pub struct OldKey {
    pub name: &'static str,
    /// The Jina releases whose syntax it is.
    pub versions: &'static str,
    /// What to do instead, as a hint.
    pub instead: &'static str,
}

const fn old(name: &'static str, versions: &'static str, instead: &'static str) -> OldKey {
    OldKey {
        name,
        versions,
        instead,
    }
}

const ZMQ: &str = "remove it: Jina 3 connects executors over gRPC, and on Kubernetes the chart sets every address and port";
const REMOTE: &str =
    "remove it: Jina 3 has no JinaD or remote Peas; on Kubernetes the chart runs every executor";
const K8S: &str = "remove it: the chart's values set this (see the chart's README)";

/// Top-level keys of a Flow.
pub const TOP: &[OldKey] = &[old(
    "pods",
    "Jina 1.x and 2.x",
    "write `executors:`, a list of `- name: NAME` entries (jina 3.34 ignores `pods:`, and its export has no executor)",
)];

/// Keys of an executor entry (and so of the Flow's `with:`). Sorted by name.
pub const EXECUTOR: &[OldKey] = &[
    old("compress", "Jina 2.x", ZMQ),
    old("compress_min_bytes", "Jina 2.x", ZMQ),
    old("compress_min_ratio", "Jina 2.x", ZMQ),
    old("connect_to_predecessor", "Jina 2.x", ZMQ),
    old("ctrl_with_ipc", "Jina 2.x", ZMQ),
    old("daemon", "Jina 2.x", REMOTE),
    old("disable_remote", "Jina 2.x", REMOTE),
    old(
        "dump_path",
        "Jina 2.x",
        "pass it to the executor in `uses_with`",
    ),
    old("dynamic_routing", "Jina 2.x", ZMQ),
    old("dynamic_routing_in", "Jina 2.x", ZMQ),
    old("dynamic_routing_out", "Jina 2.x", ZMQ),
    old("expose_public", "Jina 2.x", REMOTE),
    old("grpc_data_requests", "Jina 2.x", ZMQ),
    old("host_out", "Jina 2.x", ZMQ),
    old("hosts_in_connect", "Jina 2.x", ZMQ),
    old("https", "Jina 2.x", "write `tls: true`"),
    old("identity", "Jina 2.x", ZMQ),
    old("infrastructure", "Jina 2.x", K8S),
    old("k8s_custom_resource_dir", "Jina 2.x", K8S),
    old("k8s_disable_connection_pool", "Jina 2.x", K8S),
    old("k8s_init_container_command", "Jina 2.x", K8S),
    old("k8s_mount_path", "Jina 2.x", K8S),
    old("k8s_uses_init", "Jina 2.x", K8S),
    old("memory_hwm", "Jina 2.x", ZMQ),
    old("no_dynamic_routing", "Jina 2.x", ZMQ),
    old("num_part", "Jina 2.x", ZMQ),
    old(
        "on_error_strategy",
        "Jina 2.x",
        "remove it: Jina 3 has no such option",
    ),
    old("override_metas", "Jina 1.x and 2.x", "write `uses_metas`"),
    old(
        "override_requests",
        "Jina 1.x and 2.x",
        "write `uses_requests`",
    ),
    old("override_with", "Jina 1.x and 2.x", "write `uses_with`"),
    old(
        "parallel",
        "Jina 1.x and 2.x",
        "write `shards` (to split the data) or `replicas` (copies of the executor)",
    ),
    old("pea_id", "Jina 2.x", ZMQ),
    old("pea_role", "Jina 2.x", ZMQ),
    old("peas_hosts", "Jina 2.x", ZMQ),
    old("port_ctrl", "Jina 2.x", ZMQ),
    old("port_jinad", "Jina 2.x", REMOTE),
    old("port_out", "Jina 2.x", ZMQ),
    old("pull_latest", "Jina 2.x", "write `force_update: true`"),
    old("quiet_remote_logs", "Jina 2.x", REMOTE),
    old("routing_table", "Jina 2.x", ZMQ),
    old("runs_in_docker", "Jina 2.x", REMOTE),
    old("runtime_backend", "Jina 2.x", ZMQ),
    old("scheduling", "Jina 2.x", ZMQ),
    old("socket_in", "Jina 2.x", ZMQ),
    old("socket_out", "Jina 2.x", ZMQ),
    old("ssh_keyfile", "Jina 2.x", REMOTE),
    old("ssh_password", "Jina 2.x", REMOTE),
    old("ssh_server", "Jina 2.x", REMOTE),
    old("static_routing_table", "Jina 2.x", ZMQ),
    old("upload_files", "Jina 2.x", REMOTE),
    old("zmq_identity", "Jina 2.x", ZMQ),
];

/// Keys of the gateway (and so of the Flow's `with:`). Sorted by name.
pub const GATEWAY: &[OldKey] = &[
    old(
        "default_swagger_ui",
        "Jina 2.x",
        "remove it: Jina 3's HTTP gateway serves its own `/docs`",
    ),
    old(
        "restful",
        "Jina 1.x",
        "write `protocol: http` in `gateway:`",
    ),
];

fn find(table: &'static [OldKey], name: &str) -> Option<&'static OldKey> {
    table
        .binary_search_by(|k| k.name.cmp(name))
        .ok()
        .map(|i| &table[i])
}

/// An old top-level key of a Flow.
pub fn top(name: &str) -> Option<&'static OldKey> {
    TOP.iter().find(|k| k.name == name)
}

/// An old executor key.
pub fn executor(name: &str) -> Option<&'static OldKey> {
    find(EXECUTOR, name)
}

/// An old gateway key.
pub fn gateway(name: &str) -> Option<&'static OldKey> {
    find(GATEWAY, name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jina::keys;

    #[test]
    fn tables_are_sorted_and_none_is_a_key_of_jina_3() {
        for table in [EXECUTOR, GATEWAY] {
            for w in table.windows(2) {
                assert!(w[0].name < w[1].name, "{} before {}", w[0].name, w[1].name);
            }
        }
        for k in EXECUTOR.iter().chain(GATEWAY).chain(TOP) {
            assert!(
                keys::executor_key(k.name).is_none()
                    && keys::gateway_key(k.name).is_none()
                    && keys::flow_key(k.name).is_none(),
                "{} is still a key of jina 3.34",
                k.name
            );
        }
    }
}
