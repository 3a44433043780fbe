"""`scripts/cluster`: run `helm template` output as real processes, as a test bed.

    up      --manifests FILE [...] --namespace NS [--secrets FILE] [--images FILE] --state DIR
            [--timeout SECONDS]
    status  --state DIR
    client  --state DIR --service NAME[:PORT] --protocol grpc|http|websocket --endpoint PATH
            [--docs N] [--request-size K] [--tags JSON]
    test    --state DIR [--timeout SECONDS]
    logs    --state DIR POD [CONTAINER] [--previous]
    exec    --state DIR POD [-c CONTAINER] -- COMMAND...
    delete-pod --state DIR POD
    down    --state DIR

Exit status: 0 success, 1 the cluster or a request failed, 2 bad usage or missing tools.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid

from . import network, objects
from .node import decode_secrets
from .state import State, rpc

PKG_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(PKG_DIR))
DEFAULT_IMAGES = os.path.join(REPO, 'tests', 'fixtures', 'cluster', 'images.yaml')
REQUIRED_TOOLS = ('ip', 'nsenter', 'iptables-restore', 'dnsmasq')


class UsageError(Exception):
    pass


def say(text):
    print(f'cluster: {text}', file=sys.stderr, flush=True)


def preflight():
    if os.geteuid() != 0:
        raise UsageError('needs root (network and mount namespaces, iptables)')
    missing = [t for t in REQUIRED_TOOLS if not shutil.which(t)]
    if missing:
        raise UsageError(f'missing {", ".join(missing)}: run scripts/install-tools.sh')


def daemon_pid(state):
    """The daemon's pid when it is alive (a zombie or another program is not)."""
    pid = (state.read_json('cluster.json') or {}).get('pid')
    if not pid:
        return None
    try:
        with open(f'/proc/{pid}/status') as f:
            fields = dict(line.split(':', 1) for line in f if ':' in line)
        with open(f'/proc/{pid}/cmdline', 'rb') as f:
            cmdline = f.read()
    except FileNotFoundError:
        return None
    if fields.get('State', '').strip().startswith('Z') or b'_daemon' not in cmdline:
        return None
    return pid


def helper_env():
    return {'PYTHONPATH': os.path.dirname(PKG_DIR), 'PATH': os.environ.get('PATH', '/usr/bin:/bin'),
            'PYTHONUNBUFFERED': '1'}


def start_daemon(state, namespace):
    sweep(state)
    os.makedirs(state.root, exist_ok=True)
    subprocess.run(['ip', 'netns', 'add', state.node_netns], check=True)
    log = open(state.path('runner.log'), 'ab')
    proc = subprocess.Popen(
        ['nsenter', f'--net=/run/netns/{state.node_netns}', '--', sys.executable, '-m',
         'podrunner', '_daemon', '--state', state.root],
        stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
        env=helper_env(), cwd='/')
    state.write_json('cluster.json', {
        'id': state.id, 'pid': proc.pid, 'namespace': namespace, 'node': state.node_netns,
        'client': state.client_netns, 'startedAt': time.time()})
    deadline = time.time() + 30
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError('the pod runner daemon exited at start:\n' +
                               tail(state.path('runner.log'), 20))
        if os.path.exists(state.socket):
            try:
                rpc(state, {'op': 'status'}, timeout=5)
                return
            except (ConnectionError, OSError):
                pass
        time.sleep(0.1)
    raise RuntimeError('the pod runner daemon did not start within 30 s:\n' +
                       tail(state.path('runner.log'), 20))


def tail(path, n):
    try:
        with open(path, errors='replace') as f:
            return ''.join(f.readlines()[-n:])
    except FileNotFoundError:
        return ''


def load_inputs(args):
    objs = []
    for path in args.manifests:
        objs.extend(objects.load_documents(path, args.namespace))
    objects.index_objects(objs)
    secrets = []
    if args.secrets:
        secrets = decode_secrets(objects.load_documents(args.secrets, args.namespace),
                                 args.namespace)
    image_map = objects.load_image_map(args.images)
    return objs, secrets, image_map


def cmd_up(args):
    preflight()
    state = State(args.state)
    try:
        objs, secrets, image_map = load_inputs(args)
    except (objects.ManifestError, OSError) as e:
        raise UsageError(str(e)) from e
    lock = state.lock()
    interrupted = []

    def on_signal(sig, _frame):
        interrupted.append(sig)
        raise KeyboardInterrupt
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    try:
        if not daemon_pid(state):
            start_daemon(state, args.namespace)
        version = rpc(state, {'op': 'apply', 'objects': objs, 'secrets': secrets,
                              'imageMap': image_map})['version']
        status = wait_ready(state, version, args.timeout)
    except KeyboardInterrupt:
        say('interrupted: tearing down')
        teardown(state)
        return 130
    except Exception:
        say('failed: tearing down')
        teardown(state)
        raise
    finally:
        os.close(lock)
    if status is None:
        return 0
    report_not_ready(status)
    lock = state.lock()
    try:
        teardown(state)
    finally:
        os.close(lock)
    return 1


def wait_ready(state, version, timeout):
    """None once every pod is Ready (and rules follow), else the last status."""
    deadline = time.time() + timeout
    status = None
    while time.time() < deadline:
        status = rpc(state, {'op': 'status'})
        if status['version'] >= version and status['ready']:
            pods = [p for p in status['pods'] if not p['test']]
            say(f'{len(pods)} pods Ready in {len(status["services"])} Services')
            if status['ignored']:
                say(f'not run (the runner has no controller for them): '
                    f'{", ".join(status["ignored"])}')
            return None
        time.sleep(0.5)
    return status


def report_not_ready(status):
    say('not every pod became Ready:')
    for where, err in sorted(status['errors'].items()):
        print(f'  {where}: {err}', file=sys.stderr)
    for pod in status['pods']:
        if pod['test'] or pod['ready'] or pod['deleting']:
            continue
        print(f'  pod {pod["namespace"]}/{pod["name"]}: {pod_reason(pod)}', file=sys.stderr)
    if not status['converged'] and not status['errors']:
        print('  (a rollout was still in progress)', file=sys.stderr)


def pod_reason(pod):
    if pod['error']:
        return pod['error']
    reasons = []
    for c in pod['initContainers'] + pod['containers']:
        if c['ready'] or (c['init'] and c['state'] == 'terminated' and c['exitCode'] == 0):
            continue
        detail = c['message']
        for kind in ('startup', 'readiness', 'liveness'):
            rec = c['probes'].get(kind)
            if rec and rec['result'] == 'failure':
                detail = (detail + '; ' if detail else '') + f'{kind} probe failed: {rec["output"]}'
        if not detail and c['state'] == 'running':
            detail = 'started, no successful readiness probe yet' if c['started'] else \
                'startup probe has not passed yet'
        last = c['lastTermination']
        if last and c['state'] != 'terminated':
            detail += f'; last exit status {last["exitCode"]} ({last["reason"]}: {last["message"]})'
        restarts = f' (restarts: {c["restarts"]})' if c['restarts'] else ''
        reasons.append(f'container {c["name"]}: {c["reason"] or c["state"]}'
                       f'{": " + detail if detail else ""}{restarts}')
    return '; '.join(reasons) or 'not Ready'


def sweep(state):
    """Kill every process in, and delete, every network namespace of this state directory."""
    out = subprocess.run(['ip', 'netns', 'list'], capture_output=True, text=True).stdout
    names = [line.split()[0] for line in out.splitlines() if line.strip()]
    mine = [n for n in names if n.startswith(state.netns_prefix + '-')]
    for name in mine:
        pids = subprocess.run(['ip', 'netns', 'pids', name], capture_output=True,
                              text=True).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass
    for name in mine:
        subprocess.run(['ip', 'netns', 'del', name], capture_output=True)
    remove_cgroups(state)
    if os.path.exists(state.socket):
        os.unlink(state.socket)


def remove_cgroups(state):
    """The CPU-accounting cgroups the daemon made (empty once every process is gone)."""
    base = os.path.join('/sys/fs/cgroup/cpuacct', state.netns_prefix)
    if not os.path.isdir(base):
        return
    for entry in os.listdir(base):
        path = os.path.join(base, entry)
        if os.path.isdir(path):
            for pid in open(os.path.join(path, 'cgroup.procs')).read().split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.05)
            try:
                os.rmdir(path)
            except OSError:
                pass
    try:
        os.rmdir(base)
    except OSError:
        pass


def teardown(state):
    pid = daemon_pid(state)
    if pid:
        try:
            rpc(state, {'op': 'shutdown'}, timeout=5)
            deadline = time.time() + 45
            while daemon_pid(state) and time.time() < deadline:
                time.sleep(0.2)
        except (ConnectionError, OSError, RuntimeError):
            pass
    sweep(state)
    status = state.read_json('status.json')
    if status is not None and status.get('running'):
        status['running'] = False
        state.write_json('status.json', status)


def cmd_down(args):
    preflight()
    state = State(args.state)
    if not os.path.isdir(state.root):
        return 0
    lock = state.lock()
    try:
        teardown(state)
    finally:
        os.close(lock)
    return 0


def cmd_status(args):
    state = State(args.state)
    if daemon_pid(state):
        status = rpc(state, {'op': 'status'})
    else:
        status = state.read_json('status.json')
        if status is None:
            raise UsageError(f'{state.root}: no pod runner state here')
        status['running'] = False
    print(json.dumps(status, indent=1, sort_keys=True))
    return 0


def service_port(state, namespace, name, port):
    desired = state.read_json('desired.json') or {}
    for obj in desired.get('objects', []):
        meta = obj['metadata']
        if obj['kind'] == 'Service' and meta['name'] == name and meta['namespace'] == namespace:
            ports = (obj.get('spec') or {}).get('ports') or []
            if port is None:
                if not ports:
                    raise UsageError(f'Service {namespace}/{name} has no ports')
                return int(ports[0]['port'])
            return int(port)
    raise UsageError(f'no Service {namespace}/{name} in the applied manifests')


def run_in_client_pod(state, namespace, argv, env_extra=None, timeout=600):
    """Run a command in the client namespace, with a pod's DNS view of `namespace`."""
    work = state.path('clients', uuid.uuid4().hex[:12])
    os.makedirs(os.path.join(work, 'layer'))
    env = {'PATH': os.path.dirname(sys.executable) + ':/usr/local/bin:/usr/bin:/bin',
           'HOME': '/root', 'PYTHONPATH': os.path.dirname(PKG_DIR), 'PYTHONUNBUFFERED': '1'}
    env.update(env_extra or {})
    spec = {'netns': f'/run/netns/{state.client_netns}', 'layer': os.path.join(work, 'layer'),
            'etc': {'hosts': network.pod_hosts(network.CLIENT_IP, 'client', '', namespace),
                    'resolv.conf': network.resolv_conf(namespace), 'hostname': 'client\n'},
            'mounts': [], 'readOnlyRoot': False, 'uid': 0, 'gid': 0, 'groups': [], 'cwd': '/',
            'argv': argv, 'env': env, 'startError': os.path.join(work, 'start-error')}
    with open(os.path.join(work, 'spec.json'), 'w') as f:
        json.dump(spec, f)
    try:
        return subprocess.run([sys.executable, '-S', os.path.join(PKG_DIR, 'container.py'),
                               os.path.join(work, 'spec.json')], capture_output=True, text=True,
                              timeout=timeout)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def cmd_client(args):
    state = State(args.state)
    running(state)
    cluster = state.read_json('cluster.json')
    name, _, port = args.service.partition(':')
    name, _, namespace = name.partition('.')
    namespace = namespace or cluster['namespace']
    try:
        tags = json.loads(args.tags)
    except json.JSONDecodeError as e:
        raise UsageError(f'--tags is not JSON: {e}') from e
    if not isinstance(tags, dict):
        raise UsageError('--tags must be a JSON object')
    request = {'host': f'{name}.{namespace}.svc.cluster.local',
               'port': service_port(state, namespace, name, port or None),
               'protocol': args.protocol, 'endpoint': args.endpoint, 'docs': args.docs,
               'requestSize': args.request_size, 'tags': tags}
    done = run_in_client_pod(state, namespace, [sys.executable, '-m', 'podrunner.jinaclient',
                                                json.dumps(request)], timeout=args.timeout)
    sys.stderr.write(done.stderr)
    sys.stdout.write(done.stdout)
    return 0 if done.returncode == 0 else 1


def cmd_test(args):
    state = State(args.state)
    running(state)
    reply = rpc(state, {'op': 'test', 'timeout': args.timeout}, timeout=args.timeout + 30)
    results = reply['results']
    print(json.dumps(results, indent=1, sort_keys=True))
    if not results:
        say('the manifests have no helm test hook Pods: nothing was tested')
        return 1
    failed = [r for r in results if r['exitCode'] != 0]
    for r in failed:
        say(f'test pod {r["pod"]} container {r["container"]}: {r["state"]} '
            f'{r["reason"]} (exit {r["exitCode"]})')
    return 1 if failed else 0


def cmd_logs(args):
    state = State(args.state)
    base = state.path('pods')
    # pods/<namespace>/<pod>/<uid>/: the newest pod of that name.
    dirs = sorted((os.path.join(base, ns, args.pod, uid) for ns in os.listdir(base)
                   if os.path.isdir(os.path.join(base, ns, args.pod))
                   for uid in os.listdir(os.path.join(base, ns, args.pod))),
                  key=os.path.getmtime) if os.path.isdir(base) else []
    if not dirs:
        raise UsageError(f'no pod {args.pod} in {state.root}')
    pod_dir = dirs[-1]
    logs = sorted(f[:-4] for f in os.listdir(pod_dir)
                  if f.endswith('.log') and not f.endswith('.previous.log'))
    container = args.container
    if container is None:
        if len(logs) != 1:
            raise UsageError(f'pod {args.pod} has containers {", ".join(logs)}: name one')
        container = logs[0]
    suffix = '.previous.log' if args.previous else '.log'
    path = os.path.join(pod_dir, container + suffix)
    if not os.path.exists(path):
        raise UsageError(f'no {"previous " if args.previous else ""}log of container '
                         f'{container} in pod {args.pod}')
    with open(path, 'rb') as f:
        shutil.copyfileobj(f, sys.stdout.buffer)
    return 0


def running(state):
    if not daemon_pid(state):
        raise UsageError(f'{state.root}: no pod runner is running (run `up` first)')


def cmd_exec(args):
    state = State(args.state)
    running(state)
    argv = args.argv[1:] if args.argv[:1] == ['--'] else args.argv
    if not argv:
        raise UsageError('exec: no command given')
    reply = rpc(state, {'op': 'exec', 'pod': args.pod, 'container': args.container,
                        'argv': argv, 'timeout': args.timeout}, timeout=args.timeout + 30)
    sys.stdout.write(reply['output'] + ('\n' if reply['output'] else ''))
    return reply['exitCode'] if 0 <= reply['exitCode'] < 256 else 1


def cmd_delete_pod(args):
    state = State(args.state)
    running(state)
    say(f'deleted pod {rpc(state, {"op": "delete", "pod": args.pod}, timeout=120)["deleted"]}')
    return 0


def parser():
    p = argparse.ArgumentParser(prog='scripts/cluster', description=__doc__.split('\n')[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest='command', required=True)
    up = sub.add_parser('up', help='start every pod; exit 0 once all are Ready')
    up.add_argument('--manifests', action='append', required=True)
    up.add_argument('--namespace', required=True)
    up.add_argument('--secrets')
    up.add_argument('--images', default=DEFAULT_IMAGES)
    up.add_argument('--state', required=True)
    up.add_argument('--timeout', type=float, default=300)
    st = sub.add_parser('status', help='JSON: pods, containers, restarts, probes, endpoints')
    st.add_argument('--state', required=True)
    cl = sub.add_parser('client', help="send documents with jina's Client")
    cl.add_argument('--state', required=True)
    cl.add_argument('--service', required=True)
    cl.add_argument('--protocol', choices=('grpc', 'http', 'websocket'), required=True)
    cl.add_argument('--endpoint', required=True)
    cl.add_argument('--docs', type=int, default=1)
    cl.add_argument('--request-size', type=int, default=1)
    cl.add_argument('--tags', default='{}')
    cl.add_argument('--timeout', type=float, default=300)
    te = sub.add_parser('test', help="run the chart's helm test hook Pods")
    te.add_argument('--state', required=True)
    te.add_argument('--timeout', type=float, default=300)
    lg = sub.add_parser('logs', help="a container's output")
    lg.add_argument('--state', required=True)
    lg.add_argument('--previous', action='store_true')
    lg.add_argument('pod')
    lg.add_argument('container', nargs='?')
    ex = sub.add_parser('exec', help='run a command in a running container (kubectl exec)')
    ex.add_argument('--state', required=True)
    ex.add_argument('-c', '--container')
    ex.add_argument('--timeout', type=float, default=60)
    ex.add_argument('pod')
    ex.add_argument('argv', nargs=argparse.REMAINDER)
    dp = sub.add_parser('delete-pod', help='delete a pod gracefully; its controller replaces it')
    dp.add_argument('--state', required=True)
    dp.add_argument('pod')
    dn = sub.add_parser('down', help='stop everything and remove what the runner made')
    dn.add_argument('--state', required=True)
    dm = sub.add_parser('_daemon')
    dm.add_argument('--state', required=True)
    return p


COMMANDS = {'up': cmd_up, 'status': cmd_status, 'client': cmd_client, 'test': cmd_test,
            'logs': cmd_logs, 'exec': cmd_exec, 'delete-pod': cmd_delete_pod, 'down': cmd_down}


def main(argv=None):
    args = parser().parse_args(argv)
    if args.command == '_daemon':
        from .node import serve
        serve(State(args.state))
        return 0
    try:
        return COMMANDS[args.command](args)
    except UsageError as e:
        say(f'error: {e}')
        return 2
    except (RuntimeError, ConnectionError, LookupError, subprocess.SubprocessError) as e:
        say(f'error: {e}')
        return 1
