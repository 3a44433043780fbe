"""The cluster's network: one network namespace holds the node and everything on it.

The node's address sits on a veth pair inside that namespace (this kernel has no dummy links);
pods get addresses on the CNI bridge, Services are kube-proxy's rules, and DNS is CoreDNS: all of
it inside the namespace, so nothing is added to the machine's own network. Addresses that lead
nowhere are unreachable at once (an `unreachable` default route) rather than timing out.
"""

import os
import subprocess

NODE_NAME = "flowhelm-node"
NODE_IP = "172.30.0.2"
NODE_NET = "172.30.0.0/24"
API_PORT = 6443
SERVICE_CIDR = "10.96.0.0/16"
API_SERVICE_IP = "10.96.0.1"
DNS_SERVICE_IP = "10.96.0.10"
CLUSTER_CIDR = "10.244.0.0/16"
# The controller-manager gives the first node the first /24 of CLUSTER_CIDR.
POD_CIDR = "10.244.0.0/24"
CLUSTER_DOMAIN = "cluster.local"
REGISTRY = "127.0.0.1:5000"  # the image registry, on the namespace's loopback

# Per-namespace settings the node needs (the kubelet and kube-proxy check them).
NETNS_SYSCTLS = {
    "net/ipv4/ip_forward": "1",
    "net/bridge/bridge-nf-call-iptables": "1",
    "net/ipv4/conf/all/route_localnet": "1",
}


def ip(*args, netns=None, check=True):
    cmd = ["ip"] + (["-n", netns] if netns else []) + list(args)
    return subprocess.run(cmd, check=check, capture_output=True, text=True)


def exists(netns):
    return os.path.exists(f"/run/netns/{netns}")


def create(netns):
    ip("netns", "add", netns)
    ip("link", "set", "lo", "up", netns=netns)
    ip("link", "add", "node0", "type", "veth", "peer", "name", "node1", netns=netns)
    ip("addr", "add", f"{NODE_IP}/24", "dev", "node0", netns=netns)
    for dev in ("node0", "node1"):
        ip("link", "set", dev, "up", netns=netns)
    ip("route", "add", SERVICE_CIDR, "dev", "node0", netns=netns)
    ip("route", "add", "unreachable", "default", netns=netns)
    for key, value in NETNS_SYSCTLS.items():
        in_netns(netns, ["sysctl", "-q", "-w", f"{key.replace('/', '.')}={value}"])


def delete(netns):
    if exists(netns):
        ip("netns", "delete", netns, check=False)


def in_netns(netns, argv, **kw):
    return subprocess.run(
        ["ip", "netns", "exec", netns] + argv, check=True, capture_output=True, text=True, **kw
    )
