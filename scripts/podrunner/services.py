"""kube-proxy's and CoreDNS's part: cluster IPs, endpoints, the iptables rules and DNS records.

Endpoints are the Ready pods a Service's selector picks in its namespace (every matching pod
with `publishNotReadyAddresses`), each with the target ports its containers resolve. The rules
and records are rewritten only when they change; a change of records is confirmed by asking
dnsmasq for a serial name before the network counts as synced.
"""

import asyncio
import signal

from . import network, objects
from .state import write_atomic

SERIAL_NAME = 'serial-{n}.pod-runner.cluster.local'
SERIAL_IP = '192.0.2.1'  # TEST-NET-1: an address nothing answers, for the serial record only


class Services:
    def __init__(self, node):
        self.node = node
        self.ips = node.state.read_json('service-ips.json', {})
        self.applied_rules = None
        self.applied_hosts = None
        self.serial = 0
        self.dnsmasq = None

    # --- objects -------------------------------------------------------------------------

    def objects(self):
        return [o for (k, _, _), o in self.node.objects.items() if k == 'Service']

    def assign_ips(self):
        """A virtual IP for every ClusterIP Service, kept for its life (clusterIP is immutable)."""
        used = set(self.ips.values())
        for svc in self.objects():
            spec, key = svc.get('spec') or {}, svc_key(svc)
            if spec.get('clusterIP') and spec['clusterIP'] != 'None':
                self.ips[key] = spec['clusterIP']
            if key in self.ips or is_headless(svc):
                continue
            n = network.FIRST_SERVICE_IP
            while str(network.SERVICE_NET.network_address + n) in used:
                n += 1
            self.ips[key] = str(network.SERVICE_NET.network_address + n)
            used.add(self.ips[key])
        self.node.state.write_json('service-ips.json', self.ips)

    def cluster_ip(self, svc):
        return 'None' if is_headless(svc) else self.ips[svc_key(svc)]

    def links_for(self, namespace):
        """Services of a namespace as the service-link builder wants them."""
        return [{'name': s['metadata']['name'], 'clusterIP': self.cluster_ip(s),
                 'ports': (s.get('spec') or {}).get('ports') or []}
                for s in self.objects() if s['metadata']['namespace'] == namespace]

    def endpoints(self, svc):
        spec = svc.get('spec') or {}
        selector = spec.get('selector')
        if not selector:
            return []
        publish = spec.get('publishNotReadyAddresses', False)
        out = []
        for pod in self.node.pods.values():
            if pod.namespace != svc['metadata']['namespace'] or pod.deleting or not pod.netns:
                continue
            if not objects.selector_matches({'matchLabels': selector}, pod.labels):
                continue
            if not (pod.ready or publish):
                continue
            ports = {}
            for p in spec.get('ports') or []:
                target = objects.named_port(pod.spec.get('containers') or [],
                                            p.get('targetPort', p['port']))
                if target is not None:
                    ports[str(p['port'])] = target
            out.append({'pod': pod.name, 'ip': pod.ip, 'ready': pod.ready, 'ports': ports,
                        'hostname': pod.dns_hostname, 'subdomain': pod.subdomain})
        return sorted(out, key=lambda e: e['pod'])

    def table(self):
        table = []
        for svc in self.objects():
            meta, spec = svc['metadata'], svc.get('spec') or {}
            table.append({
                'namespace': meta['namespace'], 'name': meta['name'],
                'type': spec.get('type', 'ClusterIP'), 'clusterIP': self.cluster_ip(svc),
                'ports': [{'name': p.get('name', ''), 'port': p['port'],
                           'protocol': p.get('protocol', 'TCP'),
                           'targetPort': p.get('targetPort', p['port'])}
                          for p in spec.get('ports') or []],
                'endpoints': self.endpoints(svc),
                'dns': f'{meta["name"]}.{meta["namespace"]}.svc.cluster.local',
            })
        return sorted(table, key=lambda s: (s['namespace'], s['name']))

    # --- the network ---------------------------------------------------------------------

    async def sync(self, table):
        """Rules and records for `table`; returns once both are in force."""
        rules = network.nat_rules([s for s in table if s['clusterIP'] != 'None'],
                                  self.node.masquerade_all)
        if rules != self.applied_rules:
            await network.sh('iptables-restore', stdin=rules)
            self.applied_rules = rules
        hosts = network.hosts_file(records(table))
        if hosts != self.applied_hosts:
            self.serial += 1
            serial = SERIAL_NAME.format(n=self.serial)
            write_atomic(self.node.state.path('dns-hosts'), hosts + f'{SERIAL_IP} {serial}\n')
            await self.reload_dns(serial)
            self.applied_hosts = hosts

    async def reload_dns(self, serial):
        """SIGHUP makes dnsmasq re-read its hosts; it has once it answers the new serial."""
        if not self.dnsmasq or self.dnsmasq.returncode is not None:
            await self.start_dns()
        else:
            self.dnsmasq.send_signal(signal.SIGHUP)
        loop = asyncio.get_running_loop()
        for _ in range(50):
            try:
                if SERIAL_IP in await loop.run_in_executor(None, network.dns_query, serial, 0.2):
                    return
            except OSError:
                pass
            await asyncio.sleep(0.05)
        self.node.log(f'dnsmasq did not load {serial}')

    async def start_dns(self):
        path = self.node.state.path('dns-hosts')
        if self.applied_hosts is None:
            write_atomic(path, '')
        log = open(self.node.state.path('dnsmasq.log'), 'ab')
        self.dnsmasq = await asyncio.create_subprocess_exec(
            *network.dnsmasq_argv(path), stdout=log, stderr=log,
            stdin=asyncio.subprocess.DEVNULL)

    def stop(self):
        if self.dnsmasq and self.dnsmasq.returncode is None:
            self.dnsmasq.terminate()


def svc_key(svc):
    return f'{svc["metadata"]["namespace"]}/{svc["metadata"]["name"]}'


def is_headless(svc):
    spec = svc.get('spec') or {}
    return spec.get('clusterIP') == 'None' or spec.get('type') == 'ExternalName'


def records(table):
    """A records: a ClusterIP Service's name → its virtual IP; a headless one's → its endpoints,
    and `<hostname>.<service>…` → the pod, for pods with a hostname whose subdomain it is."""
    out = {}
    for s in table:
        if s['clusterIP'] != 'None':
            out[s['dns']] = [s['clusterIP']]
            continue
        ips = sorted({e['ip'] for e in s['endpoints']})
        if ips:
            out[s['dns']] = ips
        for e in s['endpoints']:
            if e['hostname'] and e['subdomain'] == s['name']:
                out[f'{e["hostname"]}.{s["dns"]}'] = [e['ip']]
    return out
