"""Every process of the cluster: its command line, its configuration files, and the check that
says it is up. `up` writes the files; the supervisor (inside the cluster's namespaces) starts
the processes in this order, each once the one before it passes its check.

Where a flag is not the upstream default, the comment says why.
"""

import json
import os
from dataclasses import dataclass

from kube import build, net, paths

# kube-system's addons and the pods of the tests request CPU from two cores, so nothing here
# reserves any for the system: allocatable = capacity.
KUBELET_CONFIG = """apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# This kernel mounts cgroup v1 (hybrid); 1.35+ refuse it unless told (KEP-5573).
failCgroupV1: false
cgroupDriver: cgroupfs
# Every pod's cgroup lives below the cluster's own, so `down` finds and removes them all.
cgroupRoot: /{cgroup}
failSwapOn: false
containerRuntimeEndpoint: unix:///run/containerd/containerd.sock
authentication:
  anonymous: {{enabled: false}}
  webhook: {{enabled: true}}
  x509: {{clientCAFile: {pki}/ca.crt}}
authorization: {{mode: Webhook}}
tlsCertFile: {pki}/kubelet-serving.crt
tlsPrivateKeyFile: {pki}/kubelet-serving.key
clusterDNS: [{dns}]
clusterDomain: {domain}
resolvConf: {state}/node/resolv.conf
healthzBindAddress: 127.0.0.1
# The machine's disk is shared with everything else on it: evict only when it is really full,
# and never collect images (a test's next pod would pull again).
evictionHard:
  memory.available: 100Mi
  nodefs.available: 1%
  imagefs.available: 1%
  nodefs.inodesFree: 1%
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
# Pods start and stop quickly in tests; the default is 10 s between status syncs of a pod.
nodeStatusUpdateFrequency: 4s
"""

CONTAINERD_CONFIG = """version = 3
root = "{state}/containerd"
state = "/run/containerd"

[grpc]
  address = "/run/containerd/containerd.sock"

[plugins.'io.containerd.cri.v1.images']
  snapshotter = "overlayfs"
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = "registry.k8s.io/pause:{pause}"
  [plugins.'io.containerd.cri.v1.images'.registry]
    config_path = "{state}/node/certs.d"

[plugins.'io.containerd.cri.v1.runtime']
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ["{cni_bin}"]
    conf_dir = "{state}/node/cni"
  [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
      BinaryName = "{runc}"
"""

# Every registry name is answered by the local registry (the `_default` host of containerd's
# hosts.toml), so a chart's own references pull as written; `server` keeps containerd from
# trying the real registry first.
HOSTS_TOML = """server = "http://{registry}"

[host."http://{registry}"]
  capabilities = ["pull", "resolve"]
"""

SCHEDULER_CONFIG = """apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection:
  kubeconfig: {state}/kubeconfig/scheduler.yaml
leaderElection:
  leaderElect: false
"""

PROXY_CONFIG = """apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: {state}/kubeconfig/kube-proxy.yaml
hostnameOverride: {node}
mode: iptables
clusterCIDR: {cluster_cidr}
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
# 0: leave the machine-wide conntrack table size and timeouts as they are.
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
"""

REGISTRY_CONFIG = """version: 0.1
storage:
  filesystem:
    rootdirectory: {storage}
  delete:
    enabled: true
http:
  addr: {registry}
log:
  level: warn
"""


@dataclass(frozen=True)
class Process:
    name: str
    argv: tuple
    ready: tuple  # ('http', url) | ('https', url) | ('file', path): what says it is up
    env: tuple = ()


def k8s(name):
    return os.path.join(build.bin_dir("kubernetes"), name)


def processes(state):
    """The cluster's processes in start order."""
    pki = state("pki")
    kc = state("kubeconfig")
    etcd = "http://127.0.0.1:2379"
    return (
        Process(
            "registry",
            ("docker-registry", "serve", state("node", "registry.yaml")),
            ("http", f"http://{net.REGISTRY}/v2/"),
        ),
        # Tests write and delete a lot and never need a crash-consistent etcd.
        Process(
            "etcd",
            (
                os.path.join(build.bin_dir("etcd"), "server"),
                "--data-dir",
                state("etcd"),
                "--listen-client-urls",
                etcd,
                "--advertise-client-urls",
                etcd,
                "--listen-peer-urls",
                "http://127.0.0.1:2380",
                "--unsafe-no-fsync",
                "--log-level",
                "warn",
            ),
            ("http", f"{etcd}/health"),
        ),
        Process(
            "kube-apiserver",
            (
                k8s("kube-apiserver"),
                "--etcd-servers",
                etcd,
                "--advertise-address",
                net.NODE_IP,
                "--secure-port",
                str(net.API_PORT),
                "--service-cluster-ip-range",
                net.SERVICE_CIDR,
                "--client-ca-file",
                f"{pki}/ca.crt",
                "--tls-cert-file",
                f"{pki}/apiserver.crt",
                "--tls-private-key-file",
                f"{pki}/apiserver.key",
                "--kubelet-client-certificate",
                f"{pki}/apiserver-kubelet-client.crt",
                "--kubelet-client-key",
                f"{pki}/apiserver-kubelet-client.key",
                "--kubelet-preferred-address-types",
                "InternalIP",
                "--service-account-key-file",
                f"{pki}/sa.pub",
                "--service-account-signing-key-file",
                f"{pki}/sa.key",
                "--service-account-issuer",
                f"https://kubernetes.default.svc.{net.CLUSTER_DOMAIN}",
                "--authorization-mode",
                "Node,RBAC",
                # Added to the default plugins (PodSecurity, LimitRanger, ResourceQuota, ...).
                "--enable-admission-plugins",
                "NodeRestriction",
                "--allow-privileged=true",
                # The aggregation layer, for metrics-server's metrics.k8s.io.
                "--requestheader-client-ca-file",
                f"{pki}/front-proxy-ca.crt",
                "--requestheader-allowed-names",
                "front-proxy-client",
                "--requestheader-username-headers",
                "X-Remote-User",
                "--requestheader-group-headers",
                "X-Remote-Group",
                "--requestheader-extra-headers-prefix",
                "X-Remote-Extra-",
                "--proxy-client-cert-file",
                f"{pki}/front-proxy-client.crt",
                "--proxy-client-key-file",
                f"{pki}/front-proxy-client.key",
                "--enable-aggregator-routing=true",
            ),
            ("https", f"https://127.0.0.1:{net.API_PORT}/readyz"),
        ),
        Process(
            "kube-controller-manager",
            (
                k8s("kube-controller-manager"),
                "--kubeconfig",
                f"{kc}/controller-manager.yaml",
                "--authentication-kubeconfig",
                f"{kc}/controller-manager.yaml",
                "--authorization-kubeconfig",
                f"{kc}/controller-manager.yaml",
                "--bind-address",
                "127.0.0.1",
                "--service-account-private-key-file",
                f"{pki}/sa.key",
                "--root-ca-file",
                f"{pki}/ca.crt",
                "--cluster-signing-cert-file",
                f"{pki}/ca.crt",
                "--cluster-signing-key-file",
                f"{pki}/ca.key",
                "--use-service-account-credentials=true",
                "--leader-elect=false",
                "--service-cluster-ip-range",
                net.SERVICE_CIDR,
                "--allocate-node-cidrs=true",
                "--cluster-cidr",
                net.CLUSTER_CIDR,
                "--node-cidr-mask-size",
                "24",
                # Claims bind to directories of the node (the default StorageClass's provisioner).
                "--enable-hostpath-provisioner=true",
                # Autoscalers react within seconds in tests (defaults: 15 s and 5 min).
                "--horizontal-pod-autoscaler-sync-period",
                "5s",
                "--horizontal-pod-autoscaler-downscale-stabilization",
                "30s",
            ),
            ("https", "https://127.0.0.1:10257/healthz"),
        ),
        Process(
            "kube-scheduler",
            (
                k8s("kube-scheduler"),
                "--config",
                state("node", "scheduler.yaml"),
                "--bind-address",
                "127.0.0.1",
            ),
            ("https", "https://127.0.0.1:10259/healthz"),
        ),
        Process(
            "containerd",
            (
                os.path.join(build.bin_dir("containerd"), "containerd"),
                "--config",
                state("node", "containerd.toml"),
            ),
            ("file", "/run/containerd/containerd.sock"),
            # containerd finds its shim on PATH.
            env=(("PATH", build.bin_dir("containerd") + ":" + os.environ.get("PATH", "")),),
        ),
        Process(
            "kubelet",
            (
                k8s("kubelet"),
                "--config",
                state("node", "kubelet.yaml"),
                "--kubeconfig",
                f"{kc}/kubelet.yaml",
                "--root-dir",
                state("kubelet"),
                "--node-ip",
                net.NODE_IP,
                "--hostname-override",
                net.NODE_NAME,
            ),
            ("http", "http://127.0.0.1:10248/healthz"),
        ),
        Process(
            "kube-proxy",
            (k8s("kube-proxy"), "--config", state("node", "kube-proxy.yaml")),
            ("http", "http://127.0.0.1:10256/livez"),
        ),
        # NetworkPolicies, enforced with iptables and ipsets (kube-network-policies needs
        # nftables' queue, which this kernel lacks); pods and Services stay kube-proxy's.
        Process(
            "kube-router",
            (
                os.path.join(build.bin_dir("kube-router"), "kube-router"),
                "--run-firewall=true",
                "--run-router=false",
                "--run-service-proxy=false",
                "--enable-ipv6=false",
                "--kubeconfig",
                f"{kc}/kube-router.yaml",
                "--hostname-override",
                net.NODE_NAME,
                "--health-port",
                "20244",
            ),
            ("http", "http://127.0.0.1:20244/healthz"),
        ),
    )


def write_configs(state, registry_storage):
    """Every configuration file the processes read, into the state folder."""
    d = state("node")
    os.makedirs(os.path.join(d, "cni"), exist_ok=True)
    os.makedirs(os.path.join(d, "certs.d", "_default"), exist_ok=True)
    fields = dict(
        state=state.path,
        pki=state("pki"),
        cgroup=state.cgroup,
        dns=net.DNS_SERVICE_IP,
        domain=net.CLUSTER_DOMAIN,
        node=net.NODE_NAME,
        cluster_cidr=net.CLUSTER_CIDR,
        registry=net.REGISTRY,
        pause=build.PAUSE_VERSION,
        storage=registry_storage,
        cni_bin=build.bin_dir("cni"),
        runc=os.path.join(build.bin_dir("runc"), "runc-oom"),
    )
    files = {
        "kubelet.yaml": KUBELET_CONFIG,
        "containerd.toml": CONTAINERD_CONFIG,
        "scheduler.yaml": SCHEDULER_CONFIG,
        "kube-proxy.yaml": PROXY_CONFIG,
        "registry.yaml": REGISTRY_CONFIG,
        "certs.d/_default/hosts.toml": HOSTS_TOML,
        # The node's own resolver: pods with dnsPolicy Default get it; nothing outside answers.
        "resolv.conf": "nameserver 127.0.0.1\n",
    }
    for name, text in files.items():
        with open(os.path.join(d, name), "w") as f:
            f.write(text.format(**fields))
    with open(os.path.join(d, "cni", "10-pods.conflist"), "w") as f:
        json.dump(cni_config(state), f, indent=2)


def cni_config(state):
    return {
        "cniVersion": "1.0.0",
        "name": "pods",
        "plugins": [
            {
                "type": "bridge",
                "bridge": "cni0",
                "isGateway": True,
                "ipMasq": True,
                # A pod reaching its own Service must get the answer back over the bridge.
                "hairpinMode": True,
                "ipam": {
                    "type": "host-local",
                    "dataDir": state("node", "ipam"),
                    "ranges": [[{"subnet": net.POD_CIDR}]],
                    "routes": [{"dst": "0.0.0.0/0"}],
                },
            },
            {"type": "portmap", "capabilities": {"portMappings": True}},
        ],
    }


def registry_storage():
    """Images pushed once stay for every later cluster on this machine (a build cache)."""
    return os.path.join(paths.cache(), "registry")
