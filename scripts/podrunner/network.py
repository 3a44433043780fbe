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
import socket

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
    try:
        out, err = await proc.communicate(stdin.encode() if stdin is not None else None)
    except asyncio.CancelledError:
        proc.kill()
        raise
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
    # Service addresses route to the bridge, so that traffic no rule DNATs reaches FORWARD and
    # a Service without endpoints rejects it, as kube-proxy does.
    await sh('ip', 'route', 'add', str(SERVICE_NET), 'dev', BRIDGE)
    write_sysctl('net.ipv4.ip_forward', 1)
    bridged = os.path.exists('/proc/sys/net/bridge/bridge-nf-call-iptables')
    if bridged:
        write_sysctl('net.bridge.bridge-nf-call-iptables', 1)
    return bridged


async def add_pod_network(netns, veth, ip):
    """A pod's namespace: lo, eth0 with its address, the default route via the node."""
    await sh('ip', 'netns', 'add', netns)
    try:
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
    except BaseException:
        await sh('ip', 'netns', 'del', netns, check=False)
        raise


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

    `services`: list of {namespace, name, clusterIP, ports: [{name, port, protocol}],
    endpoints: [{ip, ports: {service port: target port}}]}. Only TCP is served (the runner has
    no UDP Services).
    """
    nat_chains = ['*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]',
                  ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ':FH-SERVICES - [0:0]',
                  ':FH-POSTROUTING - [0:0]']
    nat = ['-A PREROUTING -j FH-SERVICES', '-A OUTPUT -j FH-SERVICES',
           '-A POSTROUTING -j FH-POSTROUTING',
           f'-A FH-POSTROUTING -m mark --mark {MASQ_MARK} -j MASQUERADE']
    reject = []
    for svc in services:
        for port in svc['ports']:
            if port.get('protocol', 'TCP') != 'TCP':
                continue
            key = (svc['namespace'], svc['name'], str(port['port']))
            comment = f'{svc["namespace"]}/{svc["name"]}:{port.get("name") or port["port"]}'
            eps = [(ep['ip'], ep['ports'][str(port['port'])]) for ep in svc['endpoints']
                   if ep['ports'].get(str(port['port']))]
            match = f'-d {svc["clusterIP"]}/32 -p tcp -m tcp --dport {port["port"]}'
            if not eps:
                for where in ('FORWARD', 'OUTPUT'):
                    reject.append(f'-A {where} {match} -m comment --comment "{comment} has no '
                                  'endpoints" -j REJECT --reject-with icmp-port-unreachable')
                continue
            svc_chain = chain('FH-SVC-', *key)
            nat_chains.append(f':{svc_chain} - [0:0]')
            nat.append(f'-A FH-SERVICES {match} -m comment --comment "{comment}" -j {svc_chain}')
            for i, (ip, target) in enumerate(eps):
                ep_chain = chain('FH-SEP-', *key, ip)
                nat_chains.append(f':{ep_chain} - [0:0]')
                left = len(eps) - i
                if left > 1:
                    nat.append(f'-A {svc_chain} -m statistic --mode random --probability '
                               f'{1 / left:.10f} -j {ep_chain}')
                else:
                    nat.append(f'-A {svc_chain} -j {ep_chain}')
                source = '' if masquerade_all else f'-s {ip}/32 '
                nat.append(f'-A {ep_chain} {source}-j MARK --set-xmark {MASQ_MARK}')
                nat.append(f'-A {ep_chain} -p tcp -m tcp -j DNAT --to-destination {ip}:{target}')
    filter_rules = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]',
                    ':OUTPUT ACCEPT [0:0]'] + reject
    return '\n'.join(nat_chains + nat + ['COMMIT'] + filter_rules + ['COMMIT']) + '\n'


def hosts_file(records):
    """dnsmasq's hosts file: one line per (name, address); several lines give several A records."""
    return ''.join(f'{ip} {name}\n' for name, ips in sorted(records.items()) for ip in ips)


CLUSTER_SEARCH = ('{ns}.svc.cluster.local', 'svc.cluster.local', 'cluster.local')


def resolv_conf(namespace, policy=None, dns_config=None):
    """What the kubelet writes (pkg/kubelet/network/dns): ClusterFirst gives the cluster DNS,
    its search path and ndots:5, with `dnsConfig` added (options merged by name); `None` gives
    `dnsConfig` alone; `Default` the node's, which here knows no names."""
    cfg = dns_config or {}
    if policy in ('None', 'Default'):
        servers, search, options = [], [], {}
    else:
        servers = [NODE_IP]
        search = [s.format(ns=namespace) for s in CLUSTER_SEARCH]
        options = {'ndots': '5'}
    servers += cfg.get('nameservers') or []
    search += cfg.get('searches') or []
    for o in cfg.get('options') or []:
        options[o['name']] = o.get('value')
    lines = [f'nameserver {s}' for s in servers]
    if search:
        lines.insert(0, f'search {" ".join(search)}')
    if options:
        lines.append('options ' + ' '.join(k if v is None else f'{k}:{v}'
                                           for k, v in options.items()))
    return '\n'.join(lines) + '\n'


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


def dns_query(name, timeout=1.0):
    """Ask the node's DNS server for `name`'s A records (a bare UDP query: the daemon's own
    resolver is the machine's, not the cluster's). Returns the addresses."""
    qid = os.urandom(2)
    question = b''.join(bytes([len(p)]) + p.encode() for p in name.split('.')) + b'\0'
    packet = qid + bytes.fromhex('01000001000000000000') + question + bytes.fromhex('00010001')
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(packet, (NODE_IP, 53))
        reply = s.recv(4096)
    if reply[:2] != qid:
        return []
    count, pos = int.from_bytes(reply[6:8], 'big'), 12 + len(question) + 4
    out = []
    for _ in range(count):
        pos += 2 if reply[pos] & 0xC0 == 0xC0 else len(question)
        rtype = int.from_bytes(reply[pos:pos + 2], 'big')
        length = int.from_bytes(reply[pos + 8:pos + 10], 'big')
        if rtype == 1 and length == 4:
            out.append('.'.join(str(b) for b in reply[pos + 10:pos + 14]))
        pos += 10 + length
    return out
