//! The Pod Security Standards, "baseline" and "restricted" levels, as the PodSecurity admission
//! controller applies them to the pod templates of rendered manifests (k8s.io/pod-security-admission,
//! policy/check_*.go, level "restricted", version "latest": every baseline check too).
//!
//! `restricted(docs)` lists each violation as `<kind>/<name>: <check>: <detail>`.

use serde_json::Value as J;

/// Volume types the restricted level allows (check_restrictedVolumes.go).
const RESTRICTED_VOLUMES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// Capabilities the baseline level lets a container add (check_capabilities_baseline.go).
const BASELINE_CAPABILITIES: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// Sysctls the baseline level allows (check_sysctls.go).
const SAFE_SYSCTLS: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];

/// Every violation of the restricted level in `docs`.
pub fn restricted(docs: &[J]) -> Vec<String> {
    let mut out = Vec::new();
    for doc in docs {
        let Some(spec) = pod_spec(doc) else { continue };
        let object = format!(
            "{}/{}",
            doc["kind"].as_str().unwrap_or(""),
            doc["metadata"]["name"].as_str().unwrap_or("")
        );
        for v in check_pod(spec) {
            out.push(format!("{object}: {v}"));
        }
    }
    out
}

fn pod_spec(o: &J) -> Option<&J> {
    match o["kind"].as_str()? {
        "Pod" => Some(&o["spec"]),
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
            Some(&o["spec"]["template"]["spec"])
        }
        "CronJob" => Some(&o["spec"]["jobTemplate"]["spec"]["template"]["spec"]),
        _ => None,
    }
}

fn list(v: &J) -> &[J] {
    v.as_array().map_or(&[], |a| a.as_slice())
}

/// Containers of every kind, with the field path they are under.
fn containers(spec: &J) -> Vec<(String, &J)> {
    ["initContainers", "containers", "ephemeralContainers"]
        .iter()
        .flat_map(|field| {
            list(&spec[*field])
                .iter()
                .map(move |c| (format!("{field}[{}]", c["name"].as_str().unwrap_or("?")), c))
        })
        .collect()
}

fn check_pod(spec: &J) -> Vec<String> {
    let mut v = Vec::new();
    let pod_sc = &spec["securityContext"];
    let ctrs = containers(spec);

    // Baseline.
    for host in ["hostNetwork", "hostPID", "hostIPC"] {
        if spec[host] == true {
            v.push(format!("host namespaces: {host} is true"));
        }
    }
    if pod_sc["seLinuxOptions"]["user"].is_string() || pod_sc["seLinuxOptions"]["role"].is_string()
    {
        v.push("seLinuxOptions: pod sets user or role".into());
    }
    for s in list(&pod_sc["sysctls"]) {
        let name = s["name"].as_str().unwrap_or("");
        if !SAFE_SYSCTLS.contains(&name) {
            v.push(format!("sysctls: {name} is not a safe sysctl"));
        }
    }
    if pod_sc["appArmorProfile"]["type"] == "Unconfined" {
        v.push("appArmorProfile: pod is Unconfined".into());
    }
    for vol in list(&spec["volumes"]) {
        let name = vol["name"].as_str().unwrap_or("?");
        let types: Vec<&str> = vol
            .as_object()
            .map(|m| {
                m.keys()
                    .map(String::as_str)
                    .filter(|k| *k != "name")
                    .collect()
            })
            .unwrap_or_default();
        for t in types {
            if !RESTRICTED_VOLUMES.contains(&t) {
                v.push(format!("volumes: {name} is a {t} volume"));
            }
        }
    }

    // Restricted, pod level.
    let pod_non_root = pod_sc["runAsNonRoot"] == true;
    if pod_sc["runAsNonRoot"] == false {
        v.push("runAsNonRoot: pod sets it to false".into());
    }
    if pod_sc["runAsUser"] == 0 {
        v.push("runAsUser: pod runs as 0".into());
    }
    let pod_seccomp = pod_sc["seccompProfile"]["type"].as_str();
    if let Some(t) = pod_seccomp {
        if t != "RuntimeDefault" && t != "Localhost" {
            v.push(format!("seccompProfile: pod type is {t}"));
        }
    }

    for (path, c) in ctrs {
        let sc = &c["securityContext"];
        if sc["privileged"] == true {
            v.push(format!("privileged: {path}"));
        }
        for p in list(&c["ports"]) {
            if p["hostPort"].as_i64().is_some_and(|n| n != 0) {
                v.push(format!(
                    "hostPorts: {path} uses host port {}",
                    p["hostPort"]
                ));
            }
        }
        if sc["procMount"].as_str().is_some_and(|m| m != "Default") {
            v.push(format!("procMount: {path} is not Default"));
        }
        if sc["seLinuxOptions"]["user"].is_string() || sc["seLinuxOptions"]["role"].is_string() {
            v.push(format!("seLinuxOptions: {path} sets user or role"));
        }
        if sc["appArmorProfile"]["type"] == "Unconfined" {
            v.push(format!("appArmorProfile: {path} is Unconfined"));
        }
        if sc["allowPrivilegeEscalation"] != false {
            v.push(format!(
                "allowPrivilegeEscalation != false: {path} must set it to false"
            ));
        }
        match sc["runAsNonRoot"].as_bool() {
            Some(false) => v.push(format!("runAsNonRoot: {path} sets it to false")),
            None if !pod_non_root => v.push(format!(
                "runAsNonRoot != true: neither the pod nor {path} sets it"
            )),
            _ => {}
        }
        if sc["runAsUser"] == 0 {
            v.push(format!("runAsUser: {path} runs as 0"));
        }
        match sc["seccompProfile"]["type"].as_str() {
            Some("RuntimeDefault" | "Localhost") => {}
            Some(t) => v.push(format!("seccompProfile: {path} type is {t}")),
            None if pod_seccomp.is_none() => v.push(format!(
                "seccompProfile: neither the pod nor {path} sets one"
            )),
            None => {}
        }
        let caps = &sc["capabilities"];
        if !list(&caps["drop"]).iter().any(|d| d == "ALL") {
            v.push(format!("capabilities: {path} must drop ALL"));
        }
        for add in list(&caps["add"]) {
            let a = add.as_str().unwrap_or("");
            if !BASELINE_CAPABILITIES.contains(&a) {
                v.push(format!("capabilities: {path} adds {a} (not even baseline)"));
            } else if a != "NET_BIND_SERVICE" {
                v.push(format!("capabilities: {path} adds {a}"));
            }
        }
    }
    v
}
