"""The runner's network: what a CNI plugin, kube-proxy and cluster DNS do, inside namespaces.

Everything lives in network namespaces the runner makes: one "node" namespace holding a bridge
(the pod network 10.244.0.0/16, the node at 10.244.0.1), the Service rules and the DNS server,
and one namespace per pod joined to the bridge by a veth pair. The machine's own network is
never touched: no link, address, route or rule is added outside those namespaces.

Services work as kube-proxy's iptables mode: a virtual IP per ClusterIP Service whose new TCP
connections are DNATed to one Ready endpoint picked with `-m statistic --mode random`, so an open
connection (a gRPC channel) stays on one pod, exactly as on a cluster. Bridged traffic passes
iptables (br_netfilter), so replies are un-NATed; hairpin traffic (a pod reaching itself through
its Service) is masqueraded, as kube-proxy's KUBE-MARK-MASQ does.
"""

import asyncio
import hashlib
import ipaddress
import os
import signal

POD_NET = ipaddress.ip_network('10.244.0.0/16')
NODE_IP = '10.244.0.1'
CLIENT_IP = '10.244.255.254'
SERVICE_NET = ipaddress.ip_network('10.96.0.0/16')
FIRST_SERVICE_IP = 11  # 10.96.0.1 and .10 are what clusters give the API server and DNS
BRIDGE = 'br0'
MASQ_MARK = '0x4000/0x4000'


class NetworkError(Exception):
    pass


async def sh(*argv, stdin=None, check=True):
    proc = await asyncio.create_subprocess_exec(
        *argv, stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate(stdin.encode() if stdin is not None else None)
    if check and proc.returncode != 0:
        raise NetworkError(f'{" ".join(argv)}: {err.decode().strip() or out.decode().strip()}')
    return out.decode()


def write_sysctl(name, value):
    """A sysctl of the calling process's network namespace (/proc/sys/net is per namespace)."""
    with open('/proc/sys/' + name.replace('.', '/'), 'w') as f:
        f.write(str(value))


async def setup_node():
    """The node side, run once in the node namespace. Returns whether bridged traffic passes
    iptables; when it cannot (no br_netfilter), every Service connection is masqueraded
    instead, which hides client addresses but keeps replies correct."""
    await sh('ip', 'link', 'set', 'lo', 'up')
    await sh('ip', '-batch', '-', stdin=(
        f'link add {BRIDGE} type bridge\n'
        f'addr add {NODE_IP}/{POD_NET.prefixlen} dev {BRIDGE}\n'
        f'link set {BRIDGE} up\n'))
    write_sysctl('net.ipv4.ip_forward', 1)
    bridged = os.path.exists('/proc/sys/net/bridge/bridge-nf-call-iptables')
    if bridged:
        write_sysctl('net.bridge.bridge-nf-call-iptables', 1)
    return bridged


async def add_pod_network(netns, veth, ip):
    """A pod's namespace: lo, eth0 with its address, the default route via the node."""
    await sh('ip', 'netns', 'add', netns)
    await sh('ip', '-batch', '-', stdin=(
        f'link add {veth} type veth peer name eth0 netns {netns}\n'
        f'link set {veth} master {BRIDGE}\n'
        f'link set {veth} type bridge_slave hairpin on\n'
        f'link set {veth} up\n'))
    await sh('ip', '-n', netns, '-batch', '-', stdin=(
        'link set lo up\n'
        f'addr add {ip}/{POD_NET.prefixlen} dev eth0\n'
        'link set eth0 up\n'
        f'route add default via {NODE_IP}\n'))


async def kill_namespace_processes(netns):
    for pid in (await sh('ip', 'netns', 'pids', netns, check=False)).split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass


async def delete_pod_network(netns):
    """Kill what still runs in the namespace, then remove it (its veth pair goes with it)."""
    await kill_namespace_processes(netns)
    await sh('ip', 'netns', 'del', netns, check=False)


def chain(prefix, *parts):
    return prefix + hashlib.sha256('/'.join(parts).encode()).hexdigest()[:16].upper()


def nat_rules(services, masquerade_all):
    """iptables-restore input for the whole nat and filter tables.

    `services`: list of {namespace, name, clusterIP, ports: [{name, port, targetPort}],
    endpoints: [{ip, ports: {service port name or number: target port}}]}.
    """
    nat = ['*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]',
           ':POSTROUTING ACCEPT [0:0]', ':FH-SERVICES - [0:0]', ':FH-POSTROUTING - [0:0]']
    rules = ['-A PREROUTING -j FH-SERVICES', '-A OUTPUT -j FH-SERVICES',
             '-A POSTROUTING -j FH-POSTROUTING',
             f'-A FH-POSTROUTING -m mark --mark {MASQ_MARK} -j MASQUERADE']
    reject = []
    for svc in services:
        for port in svc['ports']:
            key = (svc['namespace'], svc['name'], str(port['port']))
            comment = f'{svc["namespace"]}/{svc["name"]}:{port.get("name") or port["port"]}'
            eps = [(ep['ip'], ep['ports'][str(port['port'])]) for ep in svc['endpoints']
                   if ep['ports'].get(str(port['port']))]
            match = f'-d {svc["clusterIP"]}/32 -p tcp -m tcp --dport {port["port"]}'
            if not eps:
                reject.append(f'-A FORWARD {match} -m comment --comment "{comment} has no '
                              'endpoints" -j REJECT --reject-with icmp-port-unreachable')
                reject.append(reject[-1].replace('-A FORWARD', '-A OUTPUT', 1))
                continue
            svc_chain = chain('FH-SVC-', *key)
            nat.append(f':{svc_chain} - [0:0]')
            rules.append(f'-A FH-SERVICES {match} -m comment --comment "{comment}" -j {svc_chain}')
            for i, (ip, target) in enumerate(eps):
                ep_chain = chain('FH-SEP-', *key, ip)
                nat.append(f':{ep_chain} - [0:0]')
                left = len(eps) - i
                if left > 1:
                    rules.append(f'-A {svc_chain} -m statistic --mode random --probability '
                                 f'{1 / left:.10f} -j {ep_chain}')
                else:
                    rules.append(f'-A {svc_chain} -j {ep_chain}')
                source = '' if masquerade_all else f'-s {ip}/32 '
                rules.append(f'-A {ep_chain} {source}-j MARK --set-xmark {MASQ_MARK}')
                rules.append(f'-A {ep_chain} -p tcp -m tcp -j DNAT --to-destination {ip}:{target}')
    filt = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]']
    return '\n'.join(nat + rules + ['COMMIT'] + filt + reject + ['COMMIT']) + '\n'


async def apply_rules(services, masquerade_all):
    await sh('iptables-restore', stdin=nat_rules(services, masquerade_all))


def hosts_file(records):
    """dnsmasq's hosts file: one line per (name, address); several lines give several A records."""
    return ''.join(f'{ip} {name}\n' for name, ips in sorted(records.items()) for ip in ips)


def resolv_conf(namespace, search=None, options=None):
    """What the kubelet writes for dnsPolicy ClusterFirst."""
    search = search or [f'{namespace}.svc.cluster.local', 'svc.cluster.local', 'cluster.local']
    opts = options or ['ndots:5']
    return f'search {" ".join(search)}\nnameserver {NODE_IP}\noptions {" ".join(opts)}\n'


def pod_hosts(ip, hostname, subdomain, namespace, aliases=()):
    """The kubelet-managed /etc/hosts of a pod."""
    lines = ['# Kubernetes-managed hosts file (pod runner).', '127.0.0.1\tlocalhost',
             '::1\tlocalhost ip6-localhost ip6-loopback']
    if subdomain:
        lines.append(f'{ip}\t{hostname}.{subdomain}.{namespace}.svc.cluster.local\t{hostname}')
    else:
        lines.append(f'{ip}\t{hostname}')
    for alias in aliases:
        lines.append(f'{alias["ip"]}\t' + '\t'.join(alias.get('hostnames') or []))
    return '\n'.join(lines) + '\n'


def dnsmasq_argv(hosts_path):
    return ['dnsmasq', '--keep-in-foreground', '--conf-file=/dev/null', '--no-resolv',
            '--no-hosts', '--no-poll', f'--addn-hosts={hosts_path}', f'--listen-address={NODE_IP}',
            '--bind-interfaces', '--port=53', '--local-ttl=0', '--no-negcache',
            '--local=/cluster.local/', '--user=root', '--pid-file=', '--log-facility=-']
