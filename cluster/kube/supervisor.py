"""The cluster's init: PID 1 of its own PID and mount namespaces, inside its network namespace.

Started by `up` as `nsenter --net=NS unshare --pid --fork --kill-child --mount --mount-proc
python -m kube.supervisor STATE`. It prepares the mount namespace (so the kubelet's,
containerd's and the CNI plugins' mounts and run files never reach the machine's), starts the
processes of components.py in order, each once the one before passes its check, and then reaps
orphans for as long as the cluster lives. Its progress is one JSON object per line in
STATE/supervisor.jsonl, which `up` follows.

When this process dies, the kernel kills every process of the PID namespace (containers
included) and drops the mount namespace with every mount in it: `down` only has to kill the
`unshare` above it.
"""

import json
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.request

from kube import components, paths

CHECK_TIMEOUT = 120  # seconds a process may take to pass its check


def report(state, **event):
    event["time"] = round(time.time(), 3)
    with open(state("supervisor.jsonl"), "a") as f:
        f.write(json.dumps(event) + "\n")


def mount(*args):
    subprocess.run(["mount", *args], check=True, capture_output=True)


def prepare_mounts(state):
    # Mount propagation for the kubelet's volumes (it refuses Bidirectional mounts otherwise);
    # this only shares mounts within this namespace and the containers below it.
    mount("--make-rshared", "/")
    # /run holds containerd's sockets, the pods' network namespaces and iptables' lock;
    # /var/log/{pods,containers} the kubelet's logs; /var/lib/cni the CNI plugins' results
    # cache: all fresh for this cluster and gone with it.
    for path in ("/run", "/var/log", "/var/lib/cni"):
        mount("-t", "tmpfs", "-o", "mode=0755", "tmpfs", path)
    # The controller-manager's host-path provisioner creates claims' directories under
    # /tmp/hostpath_pv (fixed in its code): they live in the state folder instead.
    mount("--bind", state("volumes"), "/tmp/hostpath_pv")


def open_claims(state):
    """Claims' directories writable by any UID, as the local-path provisioner makes them.

    The controller-manager's host-path provisioner creates them 0750 and root's, and the
    kubelet gives host-path volumes no `fsGroup` ownership, so a non-root pod (the hardened
    values' UID 10001) could not write its claim; cloud disks and local-path get the pod's
    fsGroup or 0777. The provisioner works in the state folder, so the cluster checks there."""
    try:
        entries = os.scandir(state("volumes"))
    except OSError:
        return
    for e in entries:
        if e.is_dir(follow_symlinks=False) and e.stat().st_mode & 0o777 != 0o777:
            os.chmod(e.path, 0o777)


def check(ready, state):
    kind, target = ready
    try:
        if kind == "file":
            return os.path.exists(target)
        ctx = None
        if kind == "https":
            # Health on the node's loopback: the controller-manager and scheduler serve
            # certificates of their own making, so only the connection matters here.
            ctx = ssl._create_unverified_context()
            ctx.load_cert_chain(state("pki", "admin.crt"), state("pki", "admin.key"))
        with urllib.request.urlopen(target, timeout=2, context=ctx) as r:
            return r.status == 200
    except (OSError, ValueError):
        return False


class Supervisor:
    def __init__(self, state):
        self.state = state
        self.children = {}  # pid -> name

    def reap(self):
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            name = self.children.pop(pid, None)
            if name:
                report(
                    self.state, event="exited", name=name, status=os.waitstatus_to_exitcode(status)
                )

    def start(self, p):
        env = dict(os.environ, **dict(p.env))
        argv = list(p.argv)
        # For the test of `up`'s failure report: this process gets a flag it does not know.
        if os.environ.get("FLOWHELM_CLUSTER_FAIL") == p.name:
            argv.append("--flowhelm-test-failure")
        # The child holds its own copy of the log's descriptor; ours closes once it is started.
        with open(self.state("logs", p.name + ".log"), "ab") as log:
            child = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, cwd=self.state.path
            )
        self.children[child.pid] = p.name
        report(self.state, event="started", name=p.name, pid=child.pid)
        return child.pid

    def wait_ready(self, p, pid):
        deadline = time.monotonic() + CHECK_TIMEOUT
        while time.monotonic() < deadline:
            self.reap()
            if pid not in self.children:
                return "exited"
            if check(p.ready, self.state):
                return "ready"
            time.sleep(0.2)
        return "timeout"

    def run(self):
        os.makedirs(self.state("logs"), exist_ok=True)
        try:
            prepare_mounts(self.state)
        except subprocess.CalledProcessError as e:
            report(self.state, event="failed", name="mounts", why=e.stderr.decode().strip())
            return
        start = time.monotonic()
        for p in components.processes(self.state):
            t = time.monotonic()
            outcome = self.wait_ready(p, self.start(p))
            if outcome != "ready":
                report(self.state, event="failed", name=p.name, why=outcome)
                return
            report(self.state, event="ready", name=p.name, seconds=round(time.monotonic() - t, 1))
        report(self.state, event="running", seconds=round(time.monotonic() - start, 1))
        while True:
            self.reap()
            open_claims(self.state)
            time.sleep(1)


def main():
    state = paths.State(sys.argv[1])
    Supervisor(state).run()
    # A failed start leaves the init running, so `up` can read the logs before `down`.
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
