"""The kubelet's part: one pod's sandbox, volumes and containers, their probes and restarts.

A pod gets a network namespace on the node's bridge and a folder `STATE/pods/<ns>/<name>/<uid>/`
holding its logs and its per-pod volumes (emptyDir, ConfigMap and Secret files), removed with
the pod. Claims live in `STATE/claims/` and outlive it. Each container runs `container.py`,
which sets up its namespaces and root and execs the command; the container counts as started
once that exec happened (the helper's start pipe closes on exec).
"""

import asyncio
import json
import os
import shutil
import signal
import sys
import time
import uuid

from . import network, objects, probes
from .state import write_atomic

PKG_DIR = os.path.dirname(os.path.abspath(__file__))
CONTAINER_HELPER = os.path.join(PKG_DIR, 'container.py')
# CrashLoopBackOff: the first restart is immediate, then 10 s doubling up to 5 minutes; a
# container that ran 10 minutes starts over (pkg/kubelet/kubelet.go, doBackOff).
BACKOFF_FIRST, BACKOFF_MAX, BACKOFF_RESET = 10, 300, 600
# The kubelet grants at least this much after a preStop hook used up the grace period.
MIN_GRACE_AFTER_HOOK = 2

WAITING, RUNNING, TERMINATED = 'waiting', 'running', 'terminated'


def now():
    return time.time()


def iso(t):
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(t)) if t else None


def kill_group(pid, sig):
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass


def tail_of(path, lines):
    try:
        with open(path, 'rb') as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - 16000))
            text = f.read().decode(errors='replace').strip().splitlines()
    except FileNotFoundError:
        return ''
    return ' | '.join(text[-lines:])


def errors_in(path):
    """The end of a log, led by its last line that names an error (Jina logs one, then a long
    traceback), so a report says why rather than where."""
    text = tail_of(path, 60).split(' | ')
    marked = [i for i, line in enumerate(text) if 'Error' in line or 'error' in line]
    start = marked[-1] if marked else max(0, len(text) - 3)
    return ' | '.join(line.strip() for line in text[start:start + 3])[:400]


class Container:
    def __init__(self, pod, spec, init=False):
        self.pod, self.spec, self.init = pod, spec, init
        self.name = spec['name']
        self.image = spec.get('image', '')
        self.state, self.reason, self.message = WAITING, 'ContainerCreating', ''
        self.restarts = 0
        self.started_at = None
        self.started = False  # the startup probe passed (or there is none)
        self.ready = False
        self.last_exit = None
        self.exit_code = None
        self.proc = None
        self.last_pid = None
        self.kill_reason = None
        self.config = None
        self.probes = {}
        self.watchers = []
        self.cgroup = node_cgroup(pod, self.name)

    @property
    def node(self):
        return self.pod.node

    @property
    def log(self):
        return os.path.join(self.pod.dir, f'{self.name}.log')

    @property
    def alive(self):
        return self.proc is not None and self.proc.returncode is None

    def status(self):
        return {
            'name': self.name, 'image': self.image, 'init': self.init, 'state': self.state,
            'reason': self.reason, 'message': self.message, 'ready': self.ready,
            'started': self.started, 'restarts': self.restarts, 'startedAt': iso(self.started_at),
            'lastTermination': self.last_exit, 'exitCode': self.exit_code,
            'pid': self.proc.pid if self.alive else None, 'lastPid': self.last_pid,
            'probes': self.probes, 'cpuSeconds': cpu_seconds(self.cgroup),
        }

    def set_state(self, state, reason='', message=''):
        self.state, self.reason, self.message = state, reason, message
        self.node.changed()

    # --- configuration -------------------------------------------------------------------

    def build(self):
        """Everything the container needs before it can start; ConfigError as the kubelet's."""
        image = objects.resolve_image(self.node.image_map, self.image)
        if image is None:
            raise objects.ConfigError(f'image {self.image!r} matches no entry of the image map')
        env, argv = objects.container_env(self.pod.info, self.spec, image, self.node.lookup,
                                          self.node.services.links_for(self.pod.namespace))
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

    def port(self, port):
        """A probe's or hook's port: a number, or the name of one of this container's ports."""
        return objects.named_port([self.spec], port)

    # --- process -------------------------------------------------------------------------

    async def spawn(self):
        """Start the helper; return once it exec'd the command (True) or failed (False)."""
        spec = dict(self.config)
        layer = os.path.join(self.pod.dir, 'layers', self.name)
        os.makedirs(layer, exist_ok=True)
        spec['layer'] = layer
        spec['startError'] = os.path.join(self.pod.dir, f'{self.name}.start-error')
        spec['cgroup'] = self.cgroup
        spec_path = os.path.join(self.pod.dir, f'{self.name}.spec.json')
        write_atomic(spec_path, json.dumps(spec))
        if os.path.exists(spec['startError']):
            os.unlink(spec['startError'])
        if os.path.exists(self.log):
            os.replace(self.log, os.path.join(self.pod.dir, f'{self.name}.previous.log'))
        started_r, started_w = os.pipe()
        spec_path_arg = f'{spec_path}:{started_w}'
        with open(self.log, 'ab') as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, '-S', CONTAINER_HELPER, spec_path_arg,
                stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True, cwd='/', pass_fds=(started_w,))
        os.close(started_w)
        self.last_pid = self.proc.pid
        # The write end is close-on-exec in the helper: EOF means the command was exec'd (or
        # the helper died first, which the exit status tells).
        await asyncio.get_running_loop().run_in_executor(None, os.read, started_r, 1)
        os.close(started_r)
        failed = os.path.exists(spec['startError']) and os.path.getsize(spec['startError'])
        return not failed

    async def exec_in(self, argv, timeout, limit=400):
        """Run a command inside this container (exec probes and hooks), as `kubectl exec`."""
        if not self.alive or self.config is None:
            return 1, 'container is not running'
        cfg = self.config
        # As a kubelet's exec, it runs (and is accounted) in the container's cgroup.
        spec = {'join': self.proc.pid, 'cwd': cfg['cwd'], 'argv': [str(a) for a in argv],
                'env': cfg['env'], 'uid': cfg['uid'], 'gid': cfg['gid'], 'groups': cfg['groups'],
                'cgroup': self.cgroup}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, '-S', CONTAINER_HELPER, '--join', json.dumps(spec),
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

    async def run_hook(self, hook, timeout):
        """A lifecycle hook (exec or httpGet); (ok, output)."""
        if 'exec' in hook:
            code, out = await self.exec_in(hook['exec']['command'], timeout)
            return code == 0, out
        if 'httpGet' in hook:
            port = self.port(hook['httpGet']['port'])
            host = hook['httpGet'].get('host') or self.pod.ip
            try:
                return await probes.http_get(host, port, hook, timeout)
            except (OSError, asyncio.TimeoutError) as e:
                return False, str(e)
        if 'sleep' in hook:
            await asyncio.sleep(min(timeout, int(hook['sleep']['seconds'])))
            return True, ''
        return True, ''

    def stop_probes(self):
        for w in self.watchers:
            w.cancel()
        self.watchers = []

    async def stop(self, grace, run_pre_stop=True):
        """The kubelet's killContainer: preStop (within the grace period), SIGTERM to the
        container's process group, SIGKILL when the grace period is over."""
        if not self.alive:
            return
        deadline = now() + grace
        hook = (self.spec.get('lifecycle') or {}).get('preStop')
        if hook and run_pre_stop:
            await self.run_hook(hook, max(1, grace))
            deadline = max(deadline, now() + MIN_GRACE_AFTER_HOOK)
        kill_group(self.proc.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), max(0.0, deadline - now()))
        except asyncio.TimeoutError:
            kill_group(self.proc.pid, signal.SIGKILL)
            await self.proc.wait()

    # --- lifecycle -----------------------------------------------------------------------

    async def run(self):
        """Start, watch and restart the container until the pod goes away (or, for pods that do
        not restart, until it ends). Returns the last exit code."""
        policy = self.pod.spec.get('restartPolicy', 'Always')
        backoff = 0
        while not self.pod.deleting:
            code = await self.run_once()
            if code is None or self.pod.deleting:
                return code
            if policy == 'Never' or (code == 0 and (policy == 'OnFailure' or self.init)):
                return code
            backoff = 0 if now() - self.started_at > BACKOFF_RESET else backoff
            if backoff:
                self.set_state(WAITING, 'CrashLoopBackOff',
                               f'back-off {backoff}s restarting failed container: '
                               f'{self.last_exit["message"]}')
                await asyncio.sleep(backoff)
            backoff = min(max(backoff * 2, BACKOFF_FIRST), BACKOFF_MAX)
            self.restarts += 1
        return None

    async def run_once(self):
        """One start of the container; its exit code, or None when it could not be created."""
        try:
            self.config = self.build()
        except objects.ConfigError as e:
            self.set_state(WAITING, 'CreateContainerConfigError', str(e))
            await asyncio.sleep(2)
            return None if self.pod.deleting else await self.run_once()
        self.set_state(WAITING, 'ContainerCreating')
        self.started_at = now()
        self.probes = {}  # a new container: the kubelet starts its probe workers afresh
        if await self.spawn():
            self.set_state(RUNNING)
            post = (self.spec.get('lifecycle') or {}).get('postStart')
            ok, out = (await self.run_hook(post, 30)) if post else (True, '')
            if not ok:
                self.kill_reason = f'PostStartHookError: {out}'
                await self.stop(self.grace(), run_pre_stop=False)
            elif not self.init:
                self.watchers = [asyncio.ensure_future(self.node.guard(
                    self.watch_probes(), f'probes of {self.pod.name}/{self.name}'))]
        code = await self.proc.wait()
        if code < 0:
            code = 128 - code  # killed by a signal: the runtime reports 128 + signal
        # What the container started and left behind dies with it, as with its PID namespace.
        kill_group(self.proc.pid, signal.SIGKILL)
        self.stop_probes()
        self.ready = self.started = False
        if self.pod.deleting:
            return code
        reason, message = self.exit_reason(code)
        self.last_exit = {'exitCode': code, 'reason': reason, 'message': message,
                          'startedAt': iso(self.started_at), 'finishedAt': iso(now())}
        self.exit_code = code
        self.set_state(TERMINATED, reason, message)
        return code

    def grace(self, probe=None):
        value = (probe or {}).get('terminationGracePeriodSeconds',
                                  self.pod.spec.get('terminationGracePeriodSeconds', 30))
        return int(value)

    def exit_reason(self, code):
        start_error = os.path.join(self.pod.dir, f'{self.name}.start-error')
        if os.path.exists(start_error) and os.path.getsize(start_error):
            with open(start_error) as f:
                return 'StartError', f.read()
        if self.kill_reason:
            reason, self.kill_reason = self.kill_reason, None
            return 'Error', reason
        # What the log ends with, when the container was not meant to end.
        expected = code == 0 and self.pod.spec.get('restartPolicy', 'Always') != 'Always'
        tail = '' if expected else errors_in(self.log)
        return ('Completed' if code == 0 else 'Error'), f'exit status {code}' + (
            f'; last output: {tail}' if tail else '')

    # --- probes --------------------------------------------------------------------------

    async def watch_probes(self):
        spec = self.spec
        startup = spec.get('startupProbe')
        if startup and not await self.startup(startup):
            return
        self.started = True
        self.node.changed()
        tasks = []
        if spec.get('livenessProbe'):
            tasks.append(self.liveness(spec['livenessProbe']))
        if spec.get('readinessProbe'):
            tasks.append(self.readiness(spec['readinessProbe']))
        else:
            self.ready = True
            self.node.changed()
        await asyncio.gather(*tasks)

    def record(self, kind):
        return self.probes.setdefault(kind, {
            'result': 'unknown', 'output': '', 'at': None, 'consecutiveFailures': 0,
            'consecutiveSuccesses': 0, 'failures': 0, 'runs': 0})

    async def attempts(self, kind, probe):
        """Yield (ok, record) for each attempt of a probe, on its period, from its initial
        delay after the container started."""
        t = probes.timings(probe)
        rec = self.record(kind)
        await asyncio.sleep(max(0.0, self.started_at + t['initialDelaySeconds'] - now()))
        while True:
            began = now()
            ok, output = await probes.run_probe(probe, self.pod.ip, self.port, self.exec_in)
            rec.update(result='success' if ok else 'failure', output=output[-300:], at=iso(now()))
            rec['runs'] += 1
            if ok:
                rec['consecutiveSuccesses'] += 1
                rec['consecutiveFailures'] = 0
            else:
                rec['consecutiveFailures'] += 1
                rec['consecutiveSuccesses'] = 0
                rec['failures'] += 1
            yield ok, rec
            await asyncio.sleep(max(0.0, began + t['periodSeconds'] - now()))

    async def startup(self, probe):
        """Until the probe succeeds (True), or fails failureThreshold times in a row (the
        container is killed: False)."""
        threshold = probes.timings(probe)['failureThreshold']
        async for ok, rec in self.attempts('startup', probe):
            if ok:
                return True
            if rec['consecutiveFailures'] >= threshold:
                await self.kill_for('startup', probe, rec)
                return False

    async def liveness(self, probe):
        threshold = probes.timings(probe)['failureThreshold']
        async for ok, rec in self.attempts('liveness', probe):
            if not ok and rec['consecutiveFailures'] >= threshold:
                await self.kill_for('liveness', probe, rec)
                return

    async def readiness(self, probe):
        t = probes.timings(probe)
        async for ok, rec in self.attempts('readiness', probe):
            if ok and rec['consecutiveSuccesses'] >= t['successThreshold'] and not self.ready:
                self.ready = True
                self.node.changed()
            elif not ok and rec['consecutiveFailures'] >= t['failureThreshold'] and self.ready:
                self.ready = False
                self.node.changed()

    async def kill_for(self, kind, probe, rec):
        self.kill_reason = f'{kind.capitalize()} probe failed: {rec["output"][-200:]}'
        await self.stop(self.grace(probe))


class Pod:
    def __init__(self, node, desc):
        self.node = node
        self.namespace = desc['namespace']
        self.name = desc['name'] or objects.generated_name(desc['generateName'])
        self.uid = str(uuid.uuid4())
        self.labels, self.annotations = desc['labels'], desc['annotations']
        self.spec, self.owner = desc['spec'], desc['owner']
        self.template_hash, self.ordinal = desc['templateHash'], desc['ordinal']
        self.hostname = desc.get('hostname') or self.name[:63]
        self.subdomain = desc.get('subdomain', '')
        # Only pods given a hostname (StatefulSet pods, `spec.hostname`) get a DNS record.
        self.dns_hostname = desc.get('dnsHostname', '')
        self.claims = desc.get('claims', {})
        self.test = desc.get('test', False)
        self.ip, self.netns = None, None
        self.dir = node.state.path('pods', self.namespace, self.name, self.uid[:8])
        self.created = now()
        self.deleting = False
        self.terminating = False
        self.gone = False
        self.error = None  # why the pod cannot start (a volume, a claim, the runner itself)
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
                all(c.state == TERMINATED and c.exit_code == 0 for c in self.init_containers)
                and bool(self.containers) and all(c.ready for c in self.containers))

    @property
    def finished(self):
        """A pod that does not restart and whose containers all ended, or whose init failed."""
        if self.spec.get('restartPolicy', 'Always') == 'Always':
            return False
        init_failed = any(c.state == TERMINATED and c.exit_code for c in self.init_containers)
        return init_failed or (bool(self.containers) and
                               all(c.state == TERMINATED for c in self.containers))

    def etc_files(self):
        return {
            'hosts': network.pod_hosts(self.ip, self.hostname, self.subdomain, self.namespace,
                                       self.spec.get('hostAliases') or []),
            'resolv.conf': network.resolv_conf(self.namespace, self.spec.get('dnsPolicy'),
                                               self.spec.get('dnsConfig') or {}),
            'hostname': self.hostname + '\n',
        }

    def phase(self):
        if self.finished:
            failed = any(c.exit_code for c in self.init_containers + self.containers)
            return 'Failed' if failed else 'Succeeded'
        if any(c.state == RUNNING for c in self.containers):
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

    # --- sandbox -------------------------------------------------------------------------

    def make_volumes(self):
        """A folder for every volume: emptyDir and ConfigMap/Secret files in the pod's own
        folder, claims in the claims folder. Raises ConfigError for one it cannot provide."""
        fs_group = (self.spec.get('securityContext') or {}).get('fsGroup')
        for vol in self.spec.get('volumes') or []:
            name = vol['name']
            if 'emptyDir' in vol:
                path = os.path.join(self.dir, 'volumes', name)
                os.makedirs(path, exist_ok=True)
                os.chmod(path, 0o777)
            elif 'persistentVolumeClaim' in vol:
                claim = vol['persistentVolumeClaim']['claimName']
                if ('PersistentVolumeClaim', self.namespace, claim) not in self.node.objects and \
                        claim not in self.claims.values():
                    raise objects.ConfigError(f'persistentvolumeclaim "{claim}" not found')
                path = self.node.claim_dir(self.namespace, claim)
            elif 'configMap' in vol or 'secret' in vol:
                path = self.project_keys(vol)
            elif 'hostPath' in vol:
                path = vol['hostPath']['path']
            else:
                raise objects.ConfigError(f'volume "{name}": this kind of volume is not supported '
                                          'by the pod runner')
            if fs_group is not None and ('emptyDir' in vol or 'persistentVolumeClaim' in vol):
                give_group(path, int(fs_group))
            self.volumes[name] = path
        for template, claim in self.claims.items():
            path = self.volumes.setdefault(template, self.node.claim_dir(self.namespace, claim))
            if fs_group is not None:
                give_group(path, int(fs_group))

    def project_keys(self, vol):
        kind, src = ('ConfigMap', vol['configMap']) if 'configMap' in vol else \
            ('Secret', vol['secret'])
        ref = src.get('name') or src.get('secretName')
        data = self.node.lookup(kind, self.namespace, ref)
        path = os.path.join(self.dir, 'volumes', vol['name'])
        os.makedirs(path, exist_ok=True)
        if data is None:
            if src.get('optional'):
                return path
            raise objects.ConfigError(f'{kind.lower()} "{ref}" not found')
        items = src.get('items') or [{'key': k, 'path': k} for k in data]
        for item in items:
            if item['key'] not in data:
                if src.get('optional'):
                    continue
                raise objects.ConfigError(f'couldn\'t find key {item["key"]} in {kind} '
                                          f'{self.namespace}/{ref}')
            target = os.path.join(path, item['path'])
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, 'w', encoding='utf-8', errors='surrogateescape') as f:
                f.write(data[item['key']])
            os.chmod(target, int(item.get('mode', src.get('defaultMode', 0o644))))
        return path

    async def run(self):
        os.makedirs(self.dir, exist_ok=True)
        while not self.deleting:
            try:
                self.make_volumes()
                self.error = None
                break
            except objects.ConfigError as e:
                self.error = f'volumes: {e}'
                await asyncio.sleep(1)
        if self.deleting:
            return
        self.ip = self.node.allocate_ip()
        self.netns = await self.node.add_pod_network(self)
        self.node.changed()
        for c in self.init_containers:
            code = await c.run()
            if code is None or code != 0 or self.deleting:
                return
        await asyncio.gather(*(c.run() for c in self.containers))

    async def terminate(self):
        """Stop every container (preStop, SIGTERM, SIGKILL after the grace period), then the
        sandbox and the pod's own volumes go; logs stay for `logs`."""
        if self.terminating:
            await self.done.wait()
            return
        self.terminating = self.deleting = True
        self.node.changed()
        for c in self.containers + self.init_containers:
            c.stop_probes()
        grace = int(self.spec.get('terminationGracePeriodSeconds', 30))
        await asyncio.gather(*(c.stop(grace) for c in self.containers + self.init_containers))
        if self.task:
            self.task.cancel()
        if self.netns:
            # Whatever still runs in the sandbox (an exec that outlived its container) goes too.
            await network.delete_pod_network(self.netns)
        for part in ('layers', 'volumes'):
            shutil.rmtree(os.path.join(self.dir, part), ignore_errors=True)
        for c in self.containers + self.init_containers:
            if c.cgroup:
                remove_cgroup(c.cgroup)
        self.gone = True
        self.done.set()


def node_cgroup(pod, container):
    """A CPU-accounting cgroup for one container (cgroup v1 cpuacct, where the machine has
    it): what the container and its exec probes use, as a kubelet charges them."""
    base = pod.node.cgroup
    if not base:
        return None
    path = os.path.join(base, f'{pod.uid[:8]}-{container}')
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return None
    return path


def cpu_seconds(cgroup):
    if not cgroup:
        return None
    try:
        with open(os.path.join(cgroup, 'cpuacct.usage')) as f:
            return int(f.read()) / 1e9
    except (OSError, ValueError):
        return None


def remove_cgroup(path):
    try:
        os.rmdir(path)
    except OSError:
        pass


def give_group(path, gid):
    """fsGroup: the volume belongs to the group, which can write it, and new files inherit it."""
    os.chown(path, -1, gid)
    os.chmod(path, os.stat(path).st_mode | 0o2070)
