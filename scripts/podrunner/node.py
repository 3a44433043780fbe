"""The daemon: one "node" running everything `up` applies, in the runner's node namespace.

One asyncio loop reconciles the applied objects: the controllers decide the pods, each pod runs
as `pods.Pod`, and `services.Services` keeps rules and DNS in step with the Ready pods. The CLI
talks to it over STATE/kubelet.sock (one JSON request, one JSON reply per connection).
"""

import asyncio
import json
import os
import signal
import traceback

from . import controllers, network, objects
from .pods import Pod, iso, now, tail_of
from .services import Services


class Node:
    def __init__(self, state):
        self.state = state
        self.objects = {}
        self.secrets = {}
        self.image_map = []
        self.pods = {}
        self.errors = {}
        self.ip_next = 2
        self.netns_next = 0
        self.masquerade_all = False
        self.dirty = asyncio.Event()
        self.version = 0
        self.synced = {'version': 0, 'ready': set(), 'converged': False}
        self.stopping = False
        self.services = Services(self)
        self.tasks = set()
        self.cgroup = make_cgroup(state)

    # --- what pods and containers ask for ------------------------------------------------

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
        while True:
            ip = str(network.POD_NET.network_address + self.ip_next)
            self.ip_next += 1
            if ip != network.CLIENT_IP:
                return ip

    async def add_pod_network(self, pod):
        self.netns_next += 1
        netns = f'{self.state.netns_prefix}-p{self.netns_next}'
        await network.add_pod_network(netns, f'v{self.netns_next}', pod.ip)
        return netns

    def changed(self):
        self.dirty.set()

    def spawn(self, coro, what):
        """A background task whose failure is logged, and kept until it ends."""
        task = asyncio.ensure_future(self.guard(coro, what))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def guard(self, coro, what, pod=None):
        try:
            return await coro
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - the daemon reports and carries on
            self.log(f'{what} failed:\n{traceback.format_exc()}')
            if pod is not None:
                pod.error = f'the pod runner failed: {type(e).__name__}: {e}'
                self.changed()

    def log(self, text):
        print(f'{iso(now())} {text}', flush=True)

    # --- pods ----------------------------------------------------------------------------

    def owned(self, kind, namespace, name):
        return [p for p in self.pods.values()
                if p.owner == {'kind': kind, 'name': name} and p.namespace == namespace]

    def start_pod(self, desc):
        pod = Pod(self, desc)
        if pod.key in self.pods:
            return None
        self.pods[pod.key] = pod
        pod.task = asyncio.ensure_future(self.guard(pod.run(), f'pod {pod.name}', pod))
        self.changed()
        return pod

    def delete_pod(self, pod):
        if not pod.deleting:
            pod.deleting = True
            self.spawn(self.remove(pod), f'delete {pod.name}')

    async def remove(self, pod):
        await pod.terminate()
        if self.pods.get(pod.key) is pod:
            del self.pods[pod.key]
        self.changed()

    def find_pod(self, req):
        matches = [p for p in self.pods.values() if p.name == req['pod'] and not p.deleting
                   and (not req.get('namespace') or p.namespace == req['namespace'])]
        if len(matches) != 1:
            raise LookupError(f'no pod {req["pod"]}' if not matches else
                              f'pod {req["pod"]} is in several namespaces: give one')
        return matches[0]

    # --- reconciling ---------------------------------------------------------------------

    def workloads(self):
        """(object, desired pods) of every workload, errors recorded per object."""
        for (kind, ns, name), obj in self.objects.items():
            if kind not in objects.WORKLOAD_KINDS:
                continue
            try:
                yield obj, objects.desired_pods(obj)
            except objects.ManifestError as e:
                self.errors[f'{kind}/{ns}/{name}'] = str(e)

    def reconcile(self):
        self.errors = {}
        wanted = set()
        for obj, descs in self.workloads():
            meta = obj['metadata']
            wanted.add((obj['kind'], meta['name'], meta['namespace']))
            if obj['kind'] == 'Deployment':
                controllers.deployment(self, obj, descs)
            else:
                controllers.statefulset(self, obj, descs)
        for (kind, ns, name), obj in self.objects.items():
            if kind != 'Pod' or objects.is_hook(obj):
                continue
            wanted.add(('Pod', name, ns))
            try:
                objects.check_pod_spec(obj.get('spec') or {}, f'Pod {ns}/{name}')
            except objects.ManifestError as e:
                self.errors[f'Pod/{ns}/{name}'] = str(e)
                continue
            if (ns, name) not in self.pods:
                self.start_pod(objects.bare_pod(obj))
        for pod in list(self.pods.values()):
            if not pod.test and (pod.owner['kind'], pod.owner['name'], pod.namespace) not in wanted:
                self.delete_pod(pod)

    def converged(self):
        return all(controllers.converged(self, obj, descs) for obj, descs in self.workloads())

    async def loop(self):
        while not self.stopping:
            self.dirty.clear()
            try:
                await self.tick()
            except Exception:  # noqa: BLE001
                self.log(f'reconcile failed:\n{traceback.format_exc()}')
            try:
                await asyncio.wait_for(self.dirty.wait(), 1.0)
            except asyncio.TimeoutError:
                pass

    async def tick(self):
        # Taken together before any await: the objects, pods and endpoints the rules route.
        version = self.version
        self.reconcile()
        ready = {p.key for p in self.pods.values() if p.ready}
        converged = self.converged()
        table = self.services.table()
        await self.services.sync(table)
        self.synced = {'version': version, 'ready': ready, 'converged': converged}
        self.state.write_json('status.json', self.status())

    def status(self):
        pods = sorted(self.pods.values(), key=lambda p: (p.namespace, p.name))
        synced = self.synced
        return {
            'running': not self.stopping, 'version': synced['version'],
            'converged': synced['converged'],
            # Ready as the network last saw it: endpoints and DNS already route to these pods.
            'ready': synced['converged'] and not self.errors and all(
                p.key in synced['ready'] or p.finished for p in pods if not p.test),
            'errors': self.errors,
            'pods': [p.status() for p in pods],
            'services': self.services.table(),
            'ignored': sorted(f'{k}/{ns}/{n}' for (k, ns, n) in self.objects
                              if k not in objects.WORKLOAD_KINDS + ('Service', 'ConfigMap',
                                                                    'Secret', 'Pod')),
            'namespace': self.state.read_json('cluster.json', {}).get('namespace'),
        }

    # --- requests ------------------------------------------------------------------------

    async def apply(self, req):
        objs = objects.index_objects(req['objects'])
        self.secrets = {(s['namespace'], s['name']): s['data'] for s in req.get('secrets', [])}
        self.image_map = req['imageMap']
        self.objects = objs
        self.services.assign_ips()
        self.version += 1
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
            # helm.sh/hook-delete-policy hook-succeeded: failed ones stay for `logs`.
            succeeded = p.finished and all(c.exit_code == 0 for c in p.containers)
            if succeeded or not p.finished:
                self.delete_pod(p)
        return {'results': results}

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
        ops = {'status': None, 'apply': self.apply, 'test': self.run_tests,
               'exec': self.exec_request, 'delete': self.delete_request, 'shutdown': None}
        try:
            req = json.loads(await reader.read())
            op = req.get('op')
            if op not in ops:
                reply = {'error': f'unknown request {op!r}'}
            elif op == 'status':
                reply = self.status()
            elif op == 'shutdown':
                reply = {'ok': True}
                self.spawn(self.shutdown(), 'shutdown')
            else:
                reply = await ops[op](req)
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
        self.services.stop()
        asyncio.get_running_loop().stop()

    async def main(self):
        bridged = await network.setup_node()
        self.masquerade_all = not bridged
        await self.services.start_dns()
        await network.add_pod_network(self.state.client_netns, 'vclient', network.CLIENT_IP)
        for sig in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_running_loop().add_signal_handler(
                sig, lambda: self.spawn(self.shutdown(), 'shutdown'))
        server = await asyncio.start_unix_server(self.handle, path=self.state.socket)
        self.log(f'pod runner up: node namespace {self.state.node_netns}, '
                 f'bridged={bridged}, pid {os.getpid()}')
        async with server:
            await self.loop()


CPUACCT = '/sys/fs/cgroup/cpuacct'


def make_cgroup(state):
    """The runner's CPU-accounting cgroup (cgroup v1 cpuacct), or None where there is none."""
    path = os.path.join(CPUACCT, state.netns_prefix)
    try:
        os.makedirs(path, exist_ok=True)
        return path
    except OSError:
        return None


def serve(state):
    """Entry of the daemon process (already inside the node network namespace)."""
    node = Node(state)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    async def main():
        try:
            await node.main()
        except Exception:  # noqa: BLE001 - `up` sees the daemon exit and prints this log
            node.log(f'the pod runner failed:\n{traceback.format_exc()}')
            loop.stop()
    loop.create_task(main())
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

