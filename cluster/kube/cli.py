"""`scripts/cluster`: up, down, kubeconfig, images, client, build."""

import argparse
import fnmatch
import json
import os
import signal
import subprocess
import sys
import time

import yaml
from kube import addons, build, components, host, images, net, paths, pki, registry
from kube.log import phase, say

DEFAULT_IMAGE_MAP = os.path.join("tests", "fixtures", "cluster", "images.yaml")


class Failed(Exception):
    """`up` failed: the component, and what its log says."""

    def __init__(self, component, why, log=""):
        super().__init__(f"{component}: {why}")
        self.component, self.why, self.log = component, why, log


# -- up ---------------------------------------------------------------------------------------


def running(state):
    pids = host.read_json(state("pids.json"), {})
    return (
        bool(pids) and all(host.alive(p) for p in pids.values()) and os.path.exists(state("ready"))
    )


def follow_supervisor(state, deadline):
    """Prints each process's start as the supervisor reports it; raises Failed on a failure."""
    seen = 0
    while time.monotonic() < deadline:
        lines = host.read_lines(state("supervisor.jsonl"))
        for line in lines[seen:]:
            e = json.loads(line)
            if e["event"] == "ready":
                say(f"{e['name']}: ready in {e['seconds']} s")
            elif e["event"] == "failed":
                raise Failed(e["name"], e["why"], host.tail(state("logs", e["name"] + ".log")))
            elif e["event"] == "exited":
                raise Failed(
                    e["name"],
                    f"exited with status {e['status']}",
                    host.tail(state("logs", e["name"] + ".log")),
                )
            elif e["event"] == "running":
                return
        seen = len(lines)
        if not host.alive(host.read_json(state("pids.json"), {}).get("supervisor", 0)):
            raise Failed("supervisor", "exited", host.tail(state("logs", "supervisor.log")))
        time.sleep(0.2)
    raise Failed("supervisor", "timed out starting the control plane")


def kubectl(state, *args, input=None, check=True):
    r = subprocess.run(
        [paths.tool("kubectl"), "--kubeconfig", admin_kubeconfig(state), *args],
        input=input,
        check=False,
        capture_output=True,
        text=True,
    )
    if check and r.returncode:
        raise Failed("kubectl", f"kubectl {' '.join(args)}: {r.stderr.strip()}")
    return r


def admin_kubeconfig(state):
    return state("kubeconfig", "admin-local.yaml")


def wait_for(what, cond, deadline, component, log=None):
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.5)
    raise Failed(component, f"timed out waiting for {what}", host.tail(log) if log else "")


def node_ready(state):
    r = kubectl(
        state,
        "get",
        "node",
        net.NODE_NAME,
        "-o",
        'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
        check=False,
    )
    return r.stdout.strip() == "True"


def deployment_ready(state, name):
    r = kubectl(
        state,
        "-n",
        "kube-system",
        "get",
        "deployment",
        name,
        "-o",
        "jsonpath={.status.readyReplicas}",
        check=False,
    )
    return r.stdout.strip() == "1"


# GPUs the node advertises as an extended resource (there are none): a chart's GPU executors
# are scheduled as on a GPU node, and run without one (the test images need none).
FAKE_GPUS = 4


def crd_established(state, name):
    r = kubectl(
        state,
        "get",
        "crd",
        name,
        "-o",
        "jsonpath={.status.conditions[?(@.type=='Established')].status}",
        check=False,
    )
    return r.returncode == 0 and r.stdout.strip() == "True"


def advertise_gpus(state):
    patch = json.dumps(
        [{"op": "add", "path": "/status/capacity/nvidia.com~1gpu", "value": str(FAKE_GPUS)}]
    )
    kubectl(
        state, "patch", "node", net.NODE_NAME, "--subresource=status", "--type=json", "-p", patch
    )


def dns_answers(state):
    r = subprocess.run(
        [
            "ip",
            "netns",
            "exec",
            state.netns,
            "getent",
            "hosts",
            f"kubernetes.default.svc.{net.CLUSTER_DOMAIN}",
        ],
        check=False,
        capture_output=True,
        text=True,
    )
    return r.returncode == 0 and r.stdout.split()[0] == net.API_SERVICE_IP


def start_cluster(state, timeout):
    deadline = time.monotonic() + timeout
    with phase("build"):
        build.ensure_built()
    with phase("images of the cluster"):
        for name in images.SYSTEM_IMAGES:
            images.ensure(name)
    os.makedirs(state.path, exist_ok=True)
    for d in ("logs", "volumes"):
        os.makedirs(state(d), exist_ok=True)
    with phase("host"):
        host.prepare(state)
        net.create(state.netns)
        pki.make(state)
        registry.forget_references(components.registry_storage())
        components.write_configs(state, components.registry_storage())
    with phase("control plane and node"):
        host.start_supervisor(state)
        host.start_forwarder(state)
        follow_supervisor(state, deadline)
        wait_for(
            "the forwarder",
            lambda: os.path.exists(state("apiserver.port")),
            deadline,
            "forwarder",
            state("logs", "forwarder.log"),
        )
        with open(state("apiserver.port")) as f:
            port = f.read().strip()
        pki.kubeconfig(state, "admin", f"https://127.0.0.1:{port}", admin_kubeconfig(state))
    with phase("addons"):
        for image, refs in addons.images().items():
            registry.push(state, image, refs)
        kubectl(state, "apply", "-f", "-", input=addons.manifests())
        for crd in addons.CRDS:
            wait_for(
                f"the API server to serve {crd}",
                lambda crd=crd: crd_established(state, crd),
                deadline,
                "kube-apiserver",
            )
        wait_for(
            "the node to be Ready",
            lambda: node_ready(state),
            deadline,
            "kubelet",
            state("logs", "kubelet.log"),
        )
        advertise_gpus(state)
        wait_for("CoreDNS", lambda: deployment_ready(state, "coredns"), deadline, "coredns")
        wait_for("DNS answers", lambda: dns_answers(state), deadline, "coredns")
        wait_for(
            "metrics-server",
            lambda: deployment_ready(state, "metrics-server"),
            deadline,
            "metrics-server",
        )
    open(state("ready"), "w").close()


def cmd_up(args):
    state = paths.State(args.state)
    if running(state):
        say("already running")
        return 0
    host.preflight()
    if os.path.exists(state("pids.json")) or net.exists(state.netns):
        host.teardown(state)
    start = time.monotonic()

    def interrupted(sig, _frame):
        raise Failed("up", f"interrupted by signal {sig}")

    old = {s: signal.signal(s, interrupted) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        start_cluster(state, args.timeout)
    except (Failed, SystemExit, Exception) as e:
        report_failure(e)
        if os.environ.get("FLOWHELM_CLUSTER_KEEP"):
            say(
                f"FLOWHELM_CLUSTER_KEEP is set: left as it is; `down --state {state.path}` "
                "removes it"
            )
        else:
            host.teardown(state)
        return 1
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    say(f"up in {time.monotonic() - start:.1f} s; KUBECONFIG={admin_kubeconfig(state)}")
    return 0


def report_failure(e):
    if isinstance(e, Failed):
        print(f"cluster: error: {e.component} failed: {e.why}", file=sys.stderr)
        if e.log:
            print(f"--- last lines of {e.component}'s log:\n{e.log}", file=sys.stderr)
    elif isinstance(e, SystemExit):
        print(
            e.code if isinstance(e.code, str) else f"cluster: error: exit {e.code}", file=sys.stderr
        )
    else:
        print(f"cluster: error: {type(e).__name__}: {e}", file=sys.stderr)


# -- the other commands -----------------------------------------------------------------------


def cmd_down(args):
    host.teardown(paths.State(args.state))
    return 0


def require_running(state):
    if not running(state):
        print(
            f"cluster: error: no cluster is running for state {state.path}; run `up` first",
            file=sys.stderr,
        )
        raise SystemExit(2)


def cmd_kubeconfig(args):
    state = paths.State(args.state)
    require_running(state)
    print(admin_kubeconfig(state))
    return 0


def load_image_map(path):
    with open(path) as f:
        doc = yaml.safe_load(f) or {}
    entries = doc.get("images") or []
    for e in entries:
        if not isinstance(e, dict) or "match" not in e or e.get("image") not in images.IMAGES:
            raise SystemExit(
                f"cluster: error: {path}: each entry needs `match` (a glob) and "
                f"`image` (one of {', '.join(sorted(images.IMAGES))}): {e!r}"
            )
    return entries


def image_refs(manifest_paths):
    """Every container image a set of manifests names (pods, workloads, jobs)."""
    refs = set()

    def walk(node):
        if isinstance(node, dict):
            for key in ("containers", "initContainers", "ephemeralContainers"):
                for c in node.get(key) or []:
                    if isinstance(c, dict) and isinstance(c.get("image"), str):
                        refs.add(c["image"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for p in manifest_paths:
        with open(p) as f:
            for doc in yaml.safe_load_all(f):
                walk(doc)
    return sorted(refs)


def cmd_images(args):
    state = paths.State(args.state)
    require_running(state)
    entries = load_image_map(args.images or os.path.join(paths.root(), DEFAULT_IMAGE_MAP))
    plan, unanswered = {}, []
    for ref in image_refs(args.manifests):
        entry = next((e for e in entries if fnmatch.fnmatchcase(ref, e["match"])), None)
        if entry:
            plan.setdefault(entry["image"], []).append(ref)
        else:
            unanswered.append(ref)
    for image, refs in sorted(plan.items()):
        with phase(f"image {image} as {', '.join(refs)}"):
            registry.push(state, image, refs)
    for ref in unanswered:
        say(f"no image answers {ref}: its pods will not pull it")
    return 0


def service_port(state, ns, name, port, protocol):
    r = kubectl(state, "-n", ns, "get", "service", name, "-o", "json", check=False)
    if r.returncode:
        raise SystemExit(f"cluster: error: service {name}.{ns}: {r.stderr.strip()}")
    ports = json.loads(r.stdout)["spec"]["ports"]
    want = port or protocol
    for p in ports:
        if str(p["port"]) == want or p.get("name") == want:
            return p["port"]
    raise SystemExit(
        f"cluster: error: service {name}.{ns} has no port {want!r} "
        f"(ports: {', '.join(str(p.get('name') or p['port']) for p in ports)})"
    )


def cmd_client(args):
    state = paths.State(args.state)
    require_running(state)
    target, _, port = args.service.partition(":")
    name, _, ns = target.partition(".")
    ns = ns or "default"
    number = service_port(state, ns, name, port, args.protocol)
    request = {
        "host": f"{name}.{ns}.svc.{net.CLUSTER_DOMAIN}",
        "port": number,
        "protocol": args.protocol,
        "endpoint": args.endpoint,
        "docs": args.docs,
        "requestSize": args.request_size,
        "tags": json.loads(args.tags),
    }
    env = dict(os.environ, PYTHONPATH=os.path.join(paths.root(), "cluster"), JINA_LOG_LEVEL="ERROR")
    r = subprocess.run(
        [
            "ip",
            "netns",
            "exec",
            state.netns,
            paths.jina_python(),
            "-m",
            "kube.jinaclient",
            json.dumps(request),
        ],
        env=env,
        timeout=args.timeout,
        check=False,
    )
    return r.returncode


def cmd_build(args):
    with phase("build"):
        build.ensure_built()
    with phase("images"):
        for name in images.IMAGES:
            images.ensure(name)
    return 0


def parser():
    p = argparse.ArgumentParser(prog="scripts/cluster", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("up", help="start a cluster (does nothing if it runs)")
    up.add_argument("--state", required=True)
    up.add_argument("--images", help="accepted for symmetry with `images`; unused by up")
    up.add_argument("--timeout", type=float, default=600)
    down = sub.add_parser("down", help="stop it and remove everything it made")
    down.add_argument("--state", required=True)
    kc = sub.add_parser("kubeconfig", help="print the admin kubeconfig path")
    kc.add_argument("--state", required=True)
    im = sub.add_parser("images", help="make the manifests' images pullable by the node")
    im.add_argument("--state", required=True)
    im.add_argument("--manifests", action="append", required=True)
    im.add_argument("--images", help=f"image map (default {DEFAULT_IMAGE_MAP})")
    cl = sub.add_parser("client", help="send documents with jina's Client from the node")
    cl.add_argument("--state", required=True)
    cl.add_argument("--service", required=True, help="NAME[.NS][:PORT]")
    cl.add_argument("--protocol", required=True, choices=["grpc", "http", "websocket"])
    cl.add_argument("--endpoint", required=True)
    cl.add_argument("--docs", type=int, default=1)
    cl.add_argument("--request-size", type=int, default=100)
    cl.add_argument("--tags", default="{}")
    cl.add_argument("--timeout", type=float, default=600)
    sub.add_parser("build", help="build every component and image into the cache")
    return p


COMMANDS = {
    "up": cmd_up,
    "down": cmd_down,
    "kubeconfig": cmd_kubeconfig,
    "images": cmd_images,
    "client": cmd_client,
    "build": cmd_build,
}


def main(argv=None):
    args = parser().parse_args(argv)
    return COMMANDS[args.cmd](args)
