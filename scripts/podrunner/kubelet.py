"""The daemon: controllers, kubelet, kube-proxy and DNS for the objects `up` applies.

It runs inside the runner's node network namespace, as one asyncio loop:
- controllers turn Deployments and StatefulSets into pods (rolling updates and scaling as the
  real controllers do them, so a values change can be applied to a running set);
- each pod gets a network namespace on the bridge, its volumes, its containers (restarted as
  `restartPolicy` says, with the kubelet's back-off) and their probes;
- Services get endpoints from the Ready pods they select, iptables rules and DNS records.
"""

import asyncio
import json
import os
import shutil
import signal
import sys
import time
import traceback
import uuid

from . import network, objects, probes
from .state import write_atomic

RESTART_BACKOFF = (10, 300)  # first delay and cap, as the kubelet's CrashLoopBackOff
PKG_DIR = os.path.dirname(os.path.abspath(__file__))
CONTAINER_HELPER = os.path.join(PKG_DIR, 'container.py')


def now():
    return time.time()


def iso(t):
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(t)) if t else None


class Container:
    def __init__(self, pod, spec, init=False):
        self.pod, self.spec, self.init = pod, spec, init
        self.name = spec['name']
        self.image = spec.get('image', '')
        self.state, self.reason, self.message = 'waiting', 'ContainerCreating', ''
        self.restarts = 0
        self.started_at = None
        self.started = False  # startup probe passed
        self.ready = False
        self.last_exit = None
        self.exit_code = None
        self.proc = None
        self.kill_reason = None
        self.config = None
        self.probes = {}
        self.watchers = []
        self.log = os.path.join(pod.dir, f'{self.name}.log')

    def status(self):
        return {
            'name': self.name, 'image': self.image, 'init': self.init, 'state': self.state,
            'reason': self.reason, 'message': self.message, 'ready': self.ready,
            'started': self.started, 'restarts': self.restarts, 'startedAt': iso(self.started_at),
            'lastTermination': self.last_exit, 'exitCode': self.exit_code,
            'pid': self.proc.pid if self.proc and self.proc.returncode is None else None,
            'probes': self.probes,
        }

    # --- configuration -------------------------------------------------------------------

    def build(self):
        """Everything the container needs before it can start; ConfigError as the kubelet's."""
        kube = self.pod.kube
        image = objects.resolve_image(kube.image_map, self.image)
        if image is None:
            raise objects.ConfigError(f'image {self.image!r} matches no entry of the image map')
        env = objects.container_env(self.pod.info, self.spec, image, kube.lookup,
                                    kube.services_in(self.pod.namespace))
        argv = objects.command_line(self.spec, image, env)
        sec = objects.security(self.pod.spec, self.spec, image)
        env.setdefault('HOME', '/root' if sec['uid'] == 0 else '/')
        mounts = []
        for m in self.spec.get('volumeMounts') or []:
            source = self.pod.volumes.get(m['name'])
            if source is None:
                raise objects.ConfigError(f'volume "{m["name"]}" is not defined in the pod')
            mounts.append({'source': source, 'target': m['mountPath'],
                           'readOnly': bool(m.get('readOnly')), 'subPath': m.get('subPath', '')})
        return {
            'netns': f'/run/netns/{self.pod.netns}', 'etc': self.pod.etc_files(),
            'mounts': mounts, 'readOnlyRoot': sec['readOnlyRoot'], 'uid': sec['uid'],
            'gid': sec['gid'], 'groups': sec['groups'],
            'cwd': self.spec.get('workingDir') or image['workdir'], 'argv': argv, 'env': env,
        }

    # --- process -------------------------------------------------------------------------

    async def spawn(self):
        spec = dict(self.config)
        layer = os.path.join(self.pod.dir, 'layers', self.name)
        os.makedirs(layer, exist_ok=True)
        spec['layer'] = layer
        spec['startError'] = os.path.join(self.pod.dir, f'{self.name}.start-error')
        spec_path = os.path.join(self.pod.dir, f'{self.name}.spec.json')
        write_atomic(spec_path, json.dumps(spec))
        if os.path.exists(spec['startError']):
            os.unlink(spec['startError'])
        if os.path.exists(self.log):
            os.replace(self.log, os.path.join(self.pod.dir, f'{self.name}.previous.log'))
        with open(self.log, 'ab') as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, '-S', CONTAINER_HELPER, spec_path, stdin=asyncio.subprocess.DEVNULL,
                stdout=log, stderr=log, start_new_session=True, cwd='/')

    async def exec_in(self, argv, timeout, limit=400):
        """Run a command inside this container (exec probes and hooks), as `kubectl exec`."""
        if not self.proc or self.proc.returncode is not None:
            return 1, 'container is not running'
        cfg = self.config
        spec = {'join': self.proc.pid, 'cwd': cfg['cwd'], 'argv': [str(a) for a in argv],
                'env': cfg['env'], 'uid': cfg['uid'], 'gid': cfg['gid'], 'groups': cfg['groups']}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, '-S', '-c',
            'import json,sys; sys.path.insert(0, sys.argv[1]); import container; '
            'container.main_inline(json.loads(sys.argv[2]))', PKG_DIR, json.dumps(spec),
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT, start_new_session=True)
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), timeout)
        except asyncio.TimeoutError:
            kill_group(proc.pid, signal.SIGKILL)
            await proc.wait()
            return -1, f'timed out after {timeout}s'
        except asyncio.CancelledError:
            kill_group(proc.pid, signal.SIGKILL)
            raise
        return proc.returncode, out.decode(errors='replace').strip()[-limit:]

    def stop_probes(self):
        for w in self.watchers:
            w.cancel()
        self.watchers = []

    async def stop(self, grace):
        """SIGTERM to the container's process group, SIGKILL after `grace` seconds."""
        if not self.proc or self.proc.returncode is not None:
            return
        kill_group(self.proc.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), grace)
        except asyncio.TimeoutError:
            kill_group(self.proc.pid, signal.SIGKILL)
            await self.proc.wait()

    # --- lifecycle -----------------------------------------------------------------------

    async def run(self):
        """Start, watch and restart the container until the pod goes away (or, for pods that do
        not restart, until it ends)."""
        policy = self.pod.spec.get('restartPolicy', 'Always')
        backoff = RESTART_BACKOFF[0]
        while not self.pod.deleting:
            try:
                self.config = self.build()
            except objects.ConfigError as e:
                self.state, self.reason, self.message = 'waiting', 'CreateContainerConfigError', str(e)
                await asyncio.sleep(2)
                continue
            self.state, self.reason, self.message = 'waiting', 'ContainerCreating', ''
            await self.spawn()
            self.started_at = now()
            self.state, self.reason = 'running', ''
            self.kube.changed()
            self.watchers = [] if self.init else [asyncio.ensure_future(self.watch_probes())]
            code = await self.proc.wait()
            if code < 0:
                code = 128 - code  # killed by a signal: the runtime reports 128 + signal
            self.stop_probes()
            self.ready = self.started = False
            self.kube.changed()
            if self.pod.deleting:
                break
            reason, message = self.exit_reason(code)
            self.last_exit = {'exitCode': code, 'reason': reason, 'message': message,
                              'startedAt': iso(self.started_at), 'finishedAt': iso(now())}
            self.exit_code = code
            self.state, self.reason, self.message = 'terminated', reason, message
            if policy == 'Never' or (policy == 'OnFailure' and code == 0) or \
                    (self.init and code == 0):
                return code
            if now() - self.started_at > 600:
                backoff = RESTART_BACKOFF[0]
            self.state, self.reason = 'waiting', 'CrashLoopBackOff'
            self.message = f'back-off {backoff}s restarting failed container: {message}'
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, RESTART_BACKOFF[1])
            self.restarts += 1
        return None

    @property
    def kube(self):
        return self.pod.kube

    def exit_reason(self, code):
        start_error = os.path.join(self.pod.dir, f'{self.name}.start-error')
        if os.path.exists(start_error) and os.path.getsize(start_error):
            with open(start_error) as f:
                return 'StartError', f.read()
        if self.kill_reason:
            reason, self.kill_reason = self.kill_reason, None
            return 'Error', reason
        if code > 128 and not os.path.exists(self.log):
            return 'Error', f'killed by signal {code - 128}'
        # What the log ends with, when the container was not meant to end.
        expected = code == 0 and self.pod.spec.get('restartPolicy', 'Always') != 'Always'
        tail = '' if expected else errors_in(self.log)
        return ('Completed' if code == 0 else 'Error'), f'exit status {code}' + (
            f'; last output: {tail}' if tail else '')

    async def watch_probes(self):
        spec = self.spec
        start = self.started_at
        startup = spec.get('startupProbe')
        if startup and not await self.probe_until('startup', startup, start, kill=True,
                                                  until_success=True):
            return
        self.started = True
        self.kube.changed()
        tasks = []
        if spec.get('livenessProbe'):
            tasks.append(self.probe_until('liveness', spec['livenessProbe'], start, kill=True))
        if spec.get('readinessProbe'):
            tasks.append(self.probe_until('readiness', spec['readinessProbe'], start, kill=False))
        else:
            self.ready = True
            self.kube.changed()
        await asyncio.gather(*tasks)

    async def probe_until(self, kind, probe, start, kill, until_success=False):
        """Run one probe on its period. startup: until it succeeds (True) or fails
        failureThreshold times in a row (kill, False). liveness: forever, killing after
        failureThreshold failures. readiness: forever, flipping `ready` by the thresholds."""
        t = probes.timings(probe)
        rec = self.probes[kind] = {'result': 'unknown', 'output': '', 'at': None,
                                   'consecutiveFailures': 0, 'consecutiveSuccesses': 0,
                                   'failures': 0, 'runs': 0}
        await asyncio.sleep(max(0.0, start + t['initialDelaySeconds'] - now()))
        while True:
            began = now()
            ok, output = await probes.run_probe(
                probe, self.pod.ip, lambda p: objects.named_port(self.pod.spec, p), self.exec_in)
            rec.update(result='success' if ok else 'failure', output=output[-300:], at=iso(now()))
            rec['runs'] += 1
            if ok:
                rec['consecutiveSuccesses'] += 1
                rec['consecutiveFailures'] = 0
            else:
                rec['consecutiveFailures'] += 1
                rec['consecutiveSuccesses'] = 0
                rec['failures'] += 1
            if kind == 'readiness':
                if ok and rec['consecutiveSuccesses'] >= t['successThreshold'] and not self.ready:
                    self.ready = True
                    self.kube.changed()
                elif not ok and rec['consecutiveFailures'] >= t['failureThreshold'] and self.ready:
                    self.ready = False
                    self.kube.changed()
            elif ok and until_success:
                return True
            elif not ok and rec['consecutiveFailures'] >= t['failureThreshold']:
                self.kill_reason = f'{kind.capitalize()} probe failed: {output[-200:]}'
                grace = int(probe.get('terminationGracePeriodSeconds',
                                      self.pod.spec.get('terminationGracePeriodSeconds', 30)))
                await self.stop(grace)
                return False
            await asyncio.sleep(max(0.0, began + t['periodSeconds'] - now()))


class Pod:
    def __init__(self, kube, desc):
        self.kube = kube
        self.namespace = desc['namespace']
        self.name = desc['name'] or objects.generated_name(desc['generateName'])
        self.uid = str(uuid.uuid4())
        self.labels, self.annotations = desc['labels'], desc['annotations']
        self.spec, self.owner = desc['spec'], desc['owner']
        self.template_hash, self.ordinal = desc['templateHash'], desc['ordinal']
        self.hostname = desc.get('hostname') or self.name[:63]
        self.subdomain = desc.get('subdomain', '')
        self.claims = desc.get('claims', {})
        self.test = desc.get('test', False)
        self.ip, self.netns = kube.allocate_ip(), None
        self.dir = kube.state.path('pods', self.namespace, self.name)
        self.created = now()
        self.deleting = False
        self.gone = False
        self.error = None  # a pod-level reason it cannot start (a volume, a claim)
        self.volumes = {}
        self.init_containers = [Container(self, c, init=True)
                                for c in self.spec.get('initContainers') or []]
        self.containers = [Container(self, c) for c in self.spec.get('containers') or []]
        self.task = None
        self.done = asyncio.Event()

    @property
    def key(self):
        return (self.namespace, self.name)

    @property
    def info(self):
        """What the downward API and the environment builder read."""
        return {'name': self.name, 'namespace': self.namespace, 'uid': self.uid, 'ip': self.ip,
                'labels': self.labels, 'annotations': self.annotations, 'spec': self.spec,
                'hostname': self.hostname}

    @property
    def ready(self):
        return (not self.deleting and self.netns is not None and
                all(c.state == 'terminated' and c.exit_code == 0 for c in self.init_containers)
                and bool(self.containers) and all(c.ready for c in self.containers))

    @property
    def finished(self):
        """A pod that does not restart and whose containers all ended."""
        return self.spec.get('restartPolicy', 'Always') != 'Always' and self.containers and all(
            c.state == 'terminated' for c in self.containers)

    def etc_files(self):
        dns = self.spec.get('dnsConfig') or {}
        search = None
        if self.spec.get('dnsPolicy') == 'None':
            search = dns.get('searches') or []
        elif dns.get('searches'):
            search = [f'{self.namespace}.svc.cluster.local', 'svc.cluster.local',
                      'cluster.local'] + dns['searches']
        options = [o['name'] + (f':{o["value"]}' if 'value' in o else '')
                   for o in dns.get('options') or []] or None
        return {
            'hosts': network.pod_hosts(self.ip, self.hostname, self.subdomain, self.namespace,
                                       self.spec.get('hostAliases') or []),
            'resolv.conf': network.resolv_conf(self.namespace, search, options),
            'hostname': self.hostname + '\n',
        }

    def phase(self):
        if self.finished:
            failed = any(c.exit_code for c in self.containers)
            return 'Failed' if failed else 'Succeeded'
        if any(c.state == 'running' for c in self.containers):
            return 'Running'
        return 'Pending'

    def status(self):
        return {
            'name': self.name, 'namespace': self.namespace, 'uid': self.uid, 'ip': self.ip,
            'netns': self.netns, 'labels': self.labels, 'owner': self.owner,
            'templateHash': self.template_hash, 'phase': self.phase(), 'ready': self.ready,
            'deleting': self.deleting, 'error': self.error, 'test': self.test,
            'createdAt': iso(self.created),
            'initContainers': [c.status() for c in self.init_containers],
            'containers': [c.status() for c in self.containers],
        }

    def not_ready_reason(self):
        if self.error:
            return self.error
        reasons = []
        for c in self.init_containers + self.containers:
            if c.ready or (c.init and c.state == 'terminated' and c.exit_code == 0):
                continue
            what = c.reason or c.state
            detail = c.message
            for kind in ('startup', 'readiness', 'liveness'):
                rec = c.probes.get(kind)
                if rec and rec['result'] == 'failure':
                    detail = (detail + '; ' if detail else '') + f'{kind} probe: {rec["output"]}'
            if c.state == 'running' and not detail:
                detail = 'started, not Ready yet' if c.started else 'startup probe not passed yet'
            last = c.last_exit
            if last and c.state != 'terminated':
                detail += f'; last exit {last["exitCode"]} ({last["message"]})'
            reasons.append(f'container {c.name}: {what}' + (f': {detail}' if detail else '')
                           + (f' (restarts: {c.restarts})' if c.restarts else ''))
        return '; '.join(reasons) or 'not Ready'

    # --- sandbox -------------------------------------------------------------------------

    def make_volumes(self):
        """Folders for every volume: emptyDir per pod, claims per claim, files for ConfigMaps
        and Secrets. Raises ConfigError for a volume that cannot be provided."""
        fs_group = (self.spec.get('securityContext') or {}).get('fsGroup')
        for vol in self.spec.get('volumes') or []:
            name = vol['name']
            if 'emptyDir' in vol:
                path = os.path.join(self.dir, 'volumes', name)
                os.makedirs(path, exist_ok=True)
                os.chmod(path, 0o777)
            elif 'persistentVolumeClaim' in vol:
                claim = vol['persistentVolumeClaim']['claimName']
                if ('PersistentVolumeClaim', self.namespace, claim) not in self.kube.objects and \
                        claim not in self.claims.values():
                    raise objects.ConfigError(f'persistentvolumeclaim "{claim}" not found')
                path = self.kube.claim_dir(self.namespace, claim)
            elif 'configMap' in vol or 'secret' in vol:
                path = self.project_keys(vol)
            elif 'hostPath' in vol:
                path = vol['hostPath']['path']
            else:
                raise objects.ConfigError(f'volume "{name}": this kind of volume is not supported '
                                          'by the pod runner')
            if fs_group is not None and ('emptyDir' in vol or 'persistentVolumeClaim' in vol):
                os.chown(path, -1, int(fs_group))
                os.chmod(path, 0o2775)
            self.volumes[name] = path
        for template, claim in self.claims.items():
            self.volumes.setdefault(template, self.kube.claim_dir(self.namespace, claim))
            if fs_group is not None:
                os.chown(self.volumes[template], -1, int(fs_group))

    def project_keys(self, vol):
        kind, src = ('ConfigMap', vol['configMap']) if 'configMap' in vol else \
            ('Secret', vol['secret'])
        ref = src.get('name') or src.get('secretName')
        data = self.kube.lookup(kind, self.namespace, ref)
        path = os.path.join(self.dir, 'volumes', vol['name'])
        os.makedirs(path, exist_ok=True)
        if data is None:
            if src.get('optional'):
                return path
            raise objects.ConfigError(f'{kind.lower()} "{ref}" not found')
        items = src.get('items') or [{'key': k, 'path': k} for k in data]
        for item in items:
            if item['key'] not in data:
                raise objects.ConfigError(f'couldn\'t find key {item["key"]} in {kind} '
                                          f'{self.namespace}/{ref}')
            target = os.path.join(path, item['path'])
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, 'w') as f:
                f.write(data[item['key']])
            os.chmod(target, int(item.get('mode', src.get('defaultMode', 0o644))))
        return path

    async def run(self):
        os.makedirs(self.dir, exist_ok=True)
        try:
            self.make_volumes()
        except objects.ConfigError as e:
            self.error = f'volumes: {e}'
            while not self.deleting:
                await asyncio.sleep(1)
                try:
                    self.make_volumes()
                    self.error = None
                    break
                except objects.ConfigError as e2:
                    self.error = f'volumes: {e2}'
            if self.deleting:
                return
        self.netns = await self.kube.add_pod_network(self)
        self.kube.changed()
        for c in self.init_containers:
            code = await c.run()
            if code is None or code != 0 or self.deleting:
                return
        await asyncio.gather(*(c.run() for c in self.containers))

    async def terminate(self):
        """preStop hooks, SIGTERM, SIGKILL after the grace period, then the sandbox goes."""
        self.deleting = True
        self.kube.changed()
        for c in self.containers:
            c.stop_probes()
        grace = int(self.spec.get('terminationGracePeriodSeconds', 30))
        deadline = now() + grace

        async def stop(c):
            hook = ((c.spec.get('lifecycle') or {}).get('preStop') or {})
            if 'exec' in hook and c.proc and c.proc.returncode is None:
                await c.exec_in(hook['exec']['command'], max(1, grace))
            elif 'sleep' in hook:
                await asyncio.sleep(min(grace, int(hook['sleep']['seconds'])))
            await c.stop(max(0.0, deadline - now()))
        await asyncio.gather(*(stop(c) for c in self.containers + self.init_containers))
        if self.task:
            self.task.cancel()
        if self.netns:
            # Whatever still runs in the sandbox (an exec that outlived its container) goes too.
            await network.delete_pod_network(self.netns)
        shutil.rmtree(os.path.join(self.dir, 'layers'), ignore_errors=True)
        self.gone = True
        self.done.set()


def kill_group(pid, sig):
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass


def errors_in(path):
    """The end of a log, led by its last line that names an error (Jina logs one, then a long
    traceback), so a report says why rather than where."""
    text = tail_of(path, 60).split(' | ')
    marked = [i for i, line in enumerate(text) if 'Error' in line or 'error' in line]
    start = marked[-1] if marked else max(0, len(text) - 3)
    return ' | '.join(line.strip() for line in text[start:start + 3])[:400]


def tail_of(path, lines):
    try:
        with open(path, 'rb') as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - 16000))
            text = f.read().decode(errors='replace').strip().splitlines()
    except FileNotFoundError:
        return ''
    return ' | '.join(text[-lines:])


class Kubelet:
    def __init__(self, state):
        self.state = state
        self.objects = {}
        self.secrets = {}
        self.image_map = []
        self.pods = {}
        self.errors = {}
        self.ip_next = 2
        self.veth_next = 0
        self.service_ips = state.read_json('service-ips.json', {})
        self.masquerade_all = False
        self.dirty = asyncio.Event()
        self.converged = False
        self.synced_ready = set()
        self.applied_rules = None
        self.applied_hosts = None
        self.dnsmasq = None
        self.stopping = False
        self.version = 0

    # --- lookups -------------------------------------------------------------------------

    def lookup(self, kind, namespace, name):
        if kind == 'Secret' and (namespace, name) in self.secrets:
            return self.secrets[(namespace, name)]
        obj = self.objects.get((kind, namespace, name))
        if obj is None:
            return None
        if kind == 'Secret':
            return objects.secret_data(obj)
        return {k: str(v) for k, v in (obj.get('data') or {}).items()}

    def claim_dir(self, namespace, claim):
        path = self.state.path('claims', namespace, claim)
        os.makedirs(path, exist_ok=True)
        return path

    def allocate_ip(self):
        ip = network.POD_NET.network_address + self.ip_next
        self.ip_next += 1
        if str(ip) in (network.CLIENT_IP,):
            return self.allocate_ip()
        return str(ip)

    async def add_pod_network(self, pod):
        self.veth_next += 1
        netns = f'{self.state.netns_prefix}-p{self.veth_next}'
        await network.add_pod_network(netns, f'v{self.veth_next}', pod.ip)
        return netns

    def changed(self):
        self.dirty.set()

    # --- services ------------------------------------------------------------------------

    def service_objects(self):
        return [o for (k, _, _), o in self.objects.items() if k == 'Service']

    def cluster_ip(self, svc):
        spec = svc.get('spec') or {}
        if spec.get('clusterIP') in ('None',) or spec.get('type') == 'ExternalName':
            return 'None'
        key = f'{svc["metadata"]["namespace"]}/{svc["metadata"]["name"]}'
        if spec.get('clusterIP'):
            self.service_ips[key] = spec['clusterIP']
        if key not in self.service_ips:
            used = set(self.service_ips.values())
            n = network.FIRST_SERVICE_IP
            while str(network.SERVICE_NET.network_address + n) in used:
                n += 1
            self.service_ips[key] = str(network.SERVICE_NET.network_address + n)
            self.state.write_json('service-ips.json', self.service_ips)
        return self.service_ips[key]

    def services_in(self, namespace):
        """Services of a namespace as the service-link builder wants them."""
        out = []
        for svc in self.service_objects():
            if svc['metadata']['namespace'] != namespace:
                continue
            out.append({'name': svc['metadata']['name'], 'clusterIP': self.cluster_ip(svc),
                        'ports': (svc.get('spec') or {}).get('ports') or []})
        return out

    def endpoints(self, svc):
        """The pods a Service selects, with their target ports, Ready ones only unless the
        Service publishes not-ready addresses."""
        spec = svc.get('spec') or {}
        selector = spec.get('selector')
        if not selector:
            return []
        publish = spec.get('publishNotReadyAddresses', False)
        out = []
        for pod in self.pods.values():
            if pod.namespace != svc['metadata']['namespace'] or pod.deleting or pod.test:
                continue
            if not pod.netns or not objects.selector_matches({'matchLabels': selector}, pod.labels):
                continue
            if not (pod.ready or publish):
                continue
            ports = {}
            for p in spec.get('ports') or []:
                target = objects.named_port(pod.spec, p.get('targetPort', p['port']))
                if target is not None:
                    ports[str(p['port'])] = target
            out.append({'pod': pod.name, 'ip': pod.ip, 'ready': pod.ready, 'ports': ports,
                        'hostname': pod.hostname, 'subdomain': pod.subdomain})
        return sorted(out, key=lambda e: e['pod'])

    def service_table(self):
        table = []
        for svc in self.service_objects():
            meta, spec = svc['metadata'], svc.get('spec') or {}
            table.append({
                'namespace': meta['namespace'], 'name': meta['name'],
                'type': spec.get('type', 'ClusterIP'), 'clusterIP': self.cluster_ip(svc),
                'ports': [{'name': p.get('name', ''), 'port': p['port'],
                           'targetPort': p.get('targetPort', p['port'])}
                          for p in spec.get('ports') or []],
                'endpoints': self.endpoints(svc),
                'dns': f'{meta["name"]}.{meta["namespace"]}.svc.cluster.local',
            })
        return sorted(table, key=lambda s: (s['namespace'], s['name']))

    async def sync_network(self, table):
        """iptables rules and DNS records from the service table, rewritten only on change."""
        rules = network.nat_rules([s for s in table if s['clusterIP'] != 'None'],
                                  self.masquerade_all)
        if rules != self.applied_rules:
            await network.sh('iptables-restore', stdin=rules)
            self.applied_rules = rules
        records = {}
        for s in table:
            if s['clusterIP'] != 'None':
                records[s['dns']] = [s['clusterIP']]
                continue
            ips = sorted({e['ip'] for e in s['endpoints']})
            if ips:
                records[s['dns']] = ips
            for e in s['endpoints']:
                if e['subdomain'] == s['name']:
                    records[f'{e["hostname"]}.{s["dns"]}'] = [e['ip']]
        hosts = network.hosts_file(records)
        if hosts != self.applied_hosts:
            write_atomic(self.state.path('dns-hosts'), hosts)
            if self.dnsmasq and self.dnsmasq.returncode is None:
                self.dnsmasq.send_signal(signal.SIGHUP)
            self.applied_hosts = hosts

    # --- controllers ---------------------------------------------------------------------

    def owned(self, kind, namespace, name):
        return [p for p in self.pods.values()
                if p.owner == {'kind': kind, 'name': name} and p.namespace == namespace]

    def start_pod(self, desc):
        pod = Pod(self, desc)
        if pod.key in self.pods:
            return None
        self.pods[pod.key] = pod
        pod.task = asyncio.ensure_future(self.guard(pod.run(), f'pod {pod.name}'))
        self.changed()
        return pod

    def delete_pod(self, pod):
        if not pod.deleting:
            asyncio.ensure_future(self.guard(self.remove_after(pod), f'delete {pod.name}'))

    async def remove_after(self, pod):
        await pod.terminate()
        if self.pods.get(pod.key) is pod:
            del self.pods[pod.key]
        self.changed()

    async def guard(self, coro, what):
        try:
            return await coro
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the daemon reports and carries on
            self.log(f'{what} failed:\n{traceback.format_exc()}')

    def log(self, text):
        print(f'{iso(now())} {text}', flush=True)

    def reconcile(self):
        wanted = set()
        for (kind, ns, name), obj in list(self.objects.items()):
            if kind in objects.WORKLOAD_KINDS:
                wanted.add((kind, name, ns))
                try:
                    descs = objects.desired_pods(obj)
                except objects.ManifestError as e:
                    self.errors[f'{kind}/{ns}/{name}'] = str(e)
                    continue
                self.errors.pop(f'{kind}/{ns}/{name}', None)
                if kind == 'Deployment':
                    self.roll_deployment(obj, descs)
                else:
                    self.roll_statefulset(obj, descs)
            elif kind == 'Pod' and not objects.is_hook(obj):
                wanted.add(('Pod', name, ns))
                try:
                    objects.check_pod_spec(obj.get('spec') or {}, f'Pod {ns}/{name}')
                except objects.ManifestError as e:
                    self.errors[f'Pod/{ns}/{name}'] = str(e)
                    continue
                if (ns, name) not in self.pods:
                    self.start_pod(objects.bare_pod(obj))
        for pod in list(self.pods.values()):
            if pod.test:
                continue
            if (pod.owner['kind'], pod.owner['name'], pod.namespace) not in wanted:
                self.delete_pod(pod)

    def roll_deployment(self, obj, descs):
        meta, spec = obj['metadata'], obj['spec']
        replicas = len(descs)
        pods = [p for p in self.owned('Deployment', meta['namespace'], meta['name'])
                if not p.deleting]
        current = descs[0]['templateHash'] if descs else objects.template_hash(spec['template'])
        new = [p for p in pods if p.template_hash == current]
        old = [p for p in pods if p.template_hash != current]
        strategy = spec.get('strategy') or {}
        if strategy.get('type') == 'Recreate':
            if old:
                for p in old:
                    self.delete_pod(p)
                return
            if any(p.deleting for p in self.owned('Deployment', meta['namespace'], meta['name'])):
                return
            surge, unavailable = 0, replicas
        else:
            ru = strategy.get('rollingUpdate') or {}
            surge = percent(ru.get('maxSurge', '25%'), replicas, up=True)
            unavailable = percent(ru.get('maxUnavailable', '25%'), replicas, up=False)
            if surge == 0 and unavailable == 0:
                unavailable = 1  # the API server refuses both 0; never stall here
        template = descs[0] if descs else None
        room = replicas + surge - len(new) - len(old) if old else replicas - len(new)
        for _ in range(max(0, min(replicas - len(new), room))):
            self.start_pod(dict(template))
        if len(new) > replicas and not old:
            extra = sorted(new, key=lambda p: (p.ready, -p.created))[:len(new) - replicas]
            for p in extra:
                self.delete_pod(p)
        if old:
            # Old pods that serve nothing go first; Ready ones as the budget allows.
            for p in old:
                if not p.ready:
                    self.delete_pod(p)
            healthy = sorted((p for p in old if p.ready), key=lambda p: p.created)
            ready = len(healthy) + sum(1 for p in new if p.ready)
            for p in healthy[:max(0, ready - (replicas - unavailable))]:
                self.delete_pod(p)

    def roll_statefulset(self, obj, descs):
        meta, spec = obj['metadata'], obj['spec']
        ordered = spec.get('podManagementPolicy', 'OrderedReady') == 'OrderedReady'
        pods = {p.ordinal: p for p in self.owned('StatefulSet', meta['namespace'], meta['name'])}
        terminating = any(p.deleting for p in pods.values())
        for d in descs:
            p = pods.get(d['ordinal'])
            if p is None:
                if (meta['namespace'], d['name']) in self.pods:
                    continue
                if ordered and (terminating or not all(pods.get(i) and pods[i].ready
                                                       for i in range(d['ordinal']))):
                    break
                self.start_pod(d)
                if ordered:
                    break
        for ordinal in sorted(pods, reverse=True):
            if ordinal >= len(descs) and not pods[ordinal].deleting:
                self.delete_pod(pods[ordinal])
                if ordered:
                    return
        strategy = spec.get('updateStrategy') or {}
        if strategy.get('type') == 'OnDelete' or not descs:
            return
        partition = (strategy.get('rollingUpdate') or {}).get('partition', 0)
        current = descs[0]['templateHash']
        live = [pods[i] for i in sorted(pods) if i < len(descs)]
        if terminating or not all(p.ready for p in live) or len(live) < len(descs):
            return
        for p in sorted(live, key=lambda p: -p.ordinal):
            if p.ordinal >= partition and p.template_hash != current:
                self.delete_pod(p)
                return

    # --- the loop ------------------------------------------------------------------------

    def status(self):
        pods = sorted(self.pods.values(), key=lambda p: (p.namespace, p.name))
        workload_pods = [p for p in pods if not p.test]
        table = self.service_table()
        return {
            'running': not self.stopping, 'version': self.version, 'converged': self.converged,
            # Ready as the network last saw it: endpoints and DNS already route to these pods.
            'ready': self.converged and not self.errors and all(
                p.key in self.synced_ready or p.finished for p in workload_pods),
            'errors': self.errors,
            'pods': [p.status() for p in pods],
            'services': [{k: v for k, v in s.items()} for s in table],
            'ignored': sorted(f'{k}/{ns}/{n}' for (k, ns, n) in self.objects
                              if k not in objects.WORKLOAD_KINDS + ('Service', 'ConfigMap',
                                                                    'Secret', 'Pod')),
            'namespace': self.state.read_json('cluster.json', {}).get('namespace'),
        }

    def is_converged(self):
        """Every workload has exactly its desired, current pods and nothing is terminating."""
        for (kind, ns, name), obj in self.objects.items():
            if kind not in objects.WORKLOAD_KINDS or f'{kind}/{ns}/{name}' in self.errors:
                continue
            descs = objects.desired_pods(obj)
            pods = self.owned(kind, ns, name)
            want = descs[0]['templateHash'] if descs else None
            if len(pods) != len(descs) or any(p.template_hash != want or p.deleting
                                              for p in pods):
                return False
        return True

    async def loop(self):
        while not self.stopping:
            self.dirty.clear()
            try:
                self.reconcile()
                # Taken with the table, before any await: the pods the rules below route to.
                ready = {p.key for p in self.pods.values() if p.ready}
                table = self.service_table()
                await self.sync_network(table)
                self.synced_ready = ready
                self.converged = self.is_converged()
                self.state.write_json('status.json', self.status())
            except Exception:  # noqa: BLE001
                self.log(f'reconcile failed:\n{traceback.format_exc()}')
            try:
                await asyncio.wait_for(self.dirty.wait(), 1.0)
            except asyncio.TimeoutError:
                pass

    async def apply(self, req):
        objs = objects.index_objects(req['objects'])
        self.secrets = {(s['namespace'], s['name']): s['data'] for s in req.get('secrets', [])}
        self.image_map = req['imageMap']
        self.objects = objs
        self.version += 1
        self.converged = False
        self.state.write_json('desired.json', {'objects': req['objects'], 'version': self.version})
        self.changed()
        return {'version': self.version}

    async def run_tests(self, req):
        """helm test: start every test-hook Pod, wait for each to end, report exit statuses."""
        for pod in [p for p in self.pods.values() if p.test]:
            self.delete_pod(pod)
        hooks = [o for (k, _, _), o in sorted(self.objects.items())
                 if k == 'Pod' and objects.is_test_hook(o)]
        started = []
        for obj in hooks:
            while (obj['metadata']['namespace'], obj['metadata']['name']) in self.pods:
                await asyncio.sleep(0.2)
            desc = objects.bare_pod(obj)
            desc['test'] = True
            desc['spec'].setdefault('restartPolicy', 'Never')
            started.append(self.start_pod(desc))
        deadline = now() + req.get('timeout', 300)
        while now() < deadline and not all(p.finished or p.error for p in started):
            await asyncio.sleep(0.3)
        results = []
        for p in started:
            for c in p.containers:
                results.append({'pod': p.name, 'container': c.name, 'state': c.state,
                                'exitCode': c.exit_code, 'reason': c.reason or p.error,
                                'log': tail_of(c.log, 20)})
            succeeded = p.finished and all(c.exit_code == 0 for c in p.containers)
            if succeeded:
                self.delete_pod(p)  # helm.sh/hook-delete-policy: hook-succeeded
            elif not p.finished:
                self.delete_pod(p)
        return {'results': results}

    def find_pod(self, req):
        matches = [p for p in self.pods.values() if p.name == req['pod'] and not p.deleting
                   and (not req.get('namespace') or p.namespace == req['namespace'])]
        if len(matches) != 1:
            raise LookupError(f'no pod {req["pod"]}' if not matches else
                              f'pod {req["pod"]} is in several namespaces: give one')
        return matches[0]

    async def exec_request(self, req):
        """kubectl exec: run a command in a running container, return its status and output."""
        pod = self.find_pod(req)
        names = [c.name for c in pod.containers]
        name = req.get('container') or (names[0] if len(names) == 1 else None)
        if name not in names:
            raise LookupError(f'pod {pod.name} has containers {", ".join(names)}: name one')
        c = pod.containers[names.index(name)]
        code, out = await c.exec_in(req['argv'], req.get('timeout', 60), limit=1 << 20)
        return {'exitCode': code, 'output': out}

    async def delete_request(self, req):
        """kubectl delete pod: terminate it gracefully; its controller makes a new one."""
        pod = self.find_pod(req)
        self.delete_pod(pod)
        await pod.done.wait()
        return {'deleted': pod.name}

    async def handle(self, reader, writer):
        try:
            req = json.loads(await reader.readline())
            op = req.get('op')
            if op == 'status':
                reply = self.status()
            elif op == 'apply':
                reply = await self.apply(req)
            elif op == 'test':
                reply = await self.run_tests(req)
            elif op == 'exec':
                reply = await self.exec_request(req)
            elif op == 'delete':
                reply = await self.delete_request(req)
            elif op == 'shutdown':
                reply = {'ok': True}
                asyncio.ensure_future(self.shutdown())
            else:
                reply = {'error': f'unknown request {op!r}'}
        except Exception as e:  # noqa: BLE001
            self.log(traceback.format_exc())
            reply = {'error': f'{type(e).__name__}: {e}'}
        writer.write(json.dumps(reply).encode())
        await writer.drain()
        writer.close()

    async def shutdown(self):
        if self.stopping:
            return
        self.stopping = True
        await asyncio.gather(*(p.terminate() for p in list(self.pods.values()) if not p.gone),
                             return_exceptions=True)
        status = self.status()
        status['running'] = False
        self.state.write_json('status.json', status)
        if self.dnsmasq and self.dnsmasq.returncode is None:
            self.dnsmasq.terminate()
        asyncio.get_event_loop().stop()

    async def start_dns(self):
        write_atomic(self.state.path('dns-hosts'), '')
        log = open(self.state.path('dnsmasq.log'), 'ab')
        self.dnsmasq = await asyncio.create_subprocess_exec(
            *network.dnsmasq_argv(self.state.path('dns-hosts')), stdout=log, stderr=log,
            stdin=asyncio.subprocess.DEVNULL)

    async def main(self):
        bridged = await network.setup_node()
        self.masquerade_all = not bridged
        await self.start_dns()
        await network.add_pod_network(self.state.client_netns, 'vclient', network.CLIENT_IP)
        for sig in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_event_loop().add_signal_handler(
                sig, lambda: asyncio.ensure_future(self.shutdown()))
        server = await asyncio.start_unix_server(self.handle, path=self.state.socket)
        self.log(f'pod runner up: node namespace {self.state.node_netns}, '
                 f'bridged={bridged}, pid {os.getpid()}')
        async with server:
            await self.loop()


def percent(value, total, up):
    if isinstance(value, int):
        return value
    frac = int(str(value).rstrip('%')) * total / 100
    return int(-(-frac // 1)) if up else int(frac // 1)


def serve(state):
    """Entry of the daemon process (already inside the node network namespace)."""
    kube = Kubelet(state)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.create_task(kube.main())
    try:
        loop.run_forever()
    finally:
        if os.path.exists(state.socket):
            os.unlink(state.socket)


def decode_secrets(docs, default_namespace):
    out = []
    for obj in docs:
        if obj.get('kind') != 'Secret':
            raise objects.ManifestError(f'the secrets file holds a {obj.get("kind")}, not a Secret')
        out.append({'namespace': obj['metadata'].get('namespace') or default_namespace,
                    'name': obj['metadata']['name'], 'data': objects.secret_data(obj)})
    return out

