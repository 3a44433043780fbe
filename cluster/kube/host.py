"""What the cluster does to the machine, and how `down` undoes all of it.

Made on the machine, and recorded before it is made, so an interrupted `up` is undone too: the
network namespace; a cgroup `flowhelm-<id>` in every hierarchy (every process of the cluster,
pods included, lives below it); /etc/netns/<ns>/resolv.conf (what `ip netns exec` gives
processes there as their resolver: the cluster's DNS); the mount points /tmp/hostpath_pv and
/var/lib/cni if they were missing (empty folders; the mounts on them live in the cluster's own
mount namespace); and the machine-wide kernel settings the kubelet sets (vm.overcommit_memory,
kernel.panic, ...) and inotify's instance limit. The last cluster down restores what the first
one found (/run/flowhelm-cluster.json). Everything else (iptables rules, bridges, veths,
mounts, pods' network namespaces) lives in the cluster's namespaces and goes with them.
"""

import contextlib
import fcntl
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import time

from kube import net, paths

# What the kubelet writes at start (pkg/kubelet/cm: setupKernelTunables) and inotify's limit,
# which 128 (these machines' default) is too small for a node with many pods.
SYSCTLS = (
    "vm/overcommit_memory",
    "vm/panic_on_oom",
    "kernel/panic",
    "kernel/panic_on_oops",
    "kernel/keys/root_maxkeys",
    "kernel/keys/root_maxbytes",
    "fs/inotify/max_user_instances",
)
MIN_INOTIFY_INSTANCES = 1024
MOUNT_POINTS = ("/tmp/hostpath_pv", "/var/lib/cni")
TOOLS = (
    "ip",
    "iptables",
    "ipset",
    "docker-registry",
    "debootstrap",
    "openssl",
    "getent",
    "unshare",
    "nsenter",
    "tar",
    "gcc",
    "go",
)


def read_json(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=True)
    os.replace(tmp, path)


def read_text(path):
    with open(path) as f:
        return f.read()


def read_lines(path):
    try:
        with open(path) as f:
            return [line for line in f.read().splitlines() if line.strip()]
    except OSError:
        return []


def tail(path, n=25):
    return "\n".join(read_lines(path)[-n:])


def alive(pid):
    if not pid:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def preflight():
    if os.geteuid() != 0:
        raise SystemExit("cluster: error: the cluster needs root (namespaces, cgroups, mounts)")
    missing = [t for t in TOOLS if not shutil.which(t)]
    if missing:
        raise SystemExit(
            f"cluster: error: missing {', '.join(missing)}: run scripts/install-tools.sh"
        )
    for tool in ("kubectl",):
        if not os.path.exists(paths.tool(tool)):
            raise SystemExit(
                f"cluster: error: {paths.tool(tool)} is missing: run scripts/install-tools.sh"
            )


def sysctl_path(key):
    return "/proc/sys/" + key


def read_sysctl(key):
    with open(sysctl_path(key)) as f:
        return f.read().strip()


def write_sysctl(key, value):
    with open(sysctl_path(key), "w") as f:
        f.write(str(value))


# -- cgroups ----------------------------------------------------------------------------------


def hierarchies():
    """Mount points of every cgroup hierarchy (v1 controllers, named ones, the v2 one)."""
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, right = line.split(" - ", 1)
            if right.split()[0] in ("cgroup", "cgroup2"):
                out.append(left.split()[4])
    return sorted(set(out))


def make_cgroup(path):
    os.makedirs(path, exist_ok=True)
    # A v1 cpuset starts empty and takes no process until it has CPUs and memory nodes.
    for f in ("cpuset.cpus", "cpuset.mems"):
        mine = os.path.join(path, f)
        if os.path.exists(mine) and not read_text(mine).strip():
            with open(os.path.join(os.path.dirname(path), f)) as src, open(mine, "w") as dst:
                dst.write(src.read().strip())


def cgroup_dirs(state):
    return [os.path.join(h, state.cgroup) for h in hierarchies()]


def create_cgroups(state):
    for d in cgroup_dirs(state):
        make_cgroup(d)
        make_cgroup(os.path.join(d, "system"))


def join_cgroups(state):
    """Moves the calling process into the cluster's cgroups (run in the child before exec)."""
    for d in cgroup_dirs(state):
        with open(os.path.join(d, "system", "cgroup.procs"), "w") as f:
            f.write("0")


def cgroup_pids(state):
    pids = set()
    for d in cgroup_dirs(state):
        for procs in glob.glob(os.path.join(glob.escape(d), "**", "cgroup.procs"), recursive=True):
            pids.update(int(p) for p in read_lines(procs))
    return pids


def remove_cgroups(state):
    for d in cgroup_dirs(state):
        if not os.path.isdir(d):
            continue
        for dirpath, _, _ in sorted(os.walk(d), key=lambda w: -w[0].count("/")):
            with contextlib.suppress(OSError):
                os.rmdir(dirpath)


# -- up -----------------------------------------------------------------------------------------

# What the machine was like before the first of the clusters now running changed it: kernel
# settings and the folders made. Shared by every cluster on the machine, so the last one down
# restores what the first one found, however their `up`s and `down`s interleave.
MACHINE_RECORD = "/run/flowhelm-cluster.json"
MACHINE_LOCK = "/run/flowhelm-cluster.lock"


@contextlib.contextmanager
def machine_lock():
    with open(MACHINE_LOCK, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def prepare(state):
    write_json(state("host.json"), {"netns": state.netns})
    with machine_lock():
        record = read_json(MACHINE_RECORD)
        if record is None:
            record = {
                "sysctls": {k: read_sysctl(k) for k in SYSCTLS if os.path.exists(sysctl_path(k))},
                "made": [p for p in MOUNT_POINTS + ("/etc/netns",) if not os.path.exists(p)],
            }
            write_json(MACHINE_RECORD, record)
        for p in MOUNT_POINTS:
            os.makedirs(p, exist_ok=True)
        if int(read_sysctl("fs/inotify/max_user_instances")) < MIN_INOTIFY_INSTANCES:
            write_sysctl("fs/inotify/max_user_instances", MIN_INOTIFY_INSTANCES)
    etc = f"/etc/netns/{state.netns}"
    os.makedirs(etc, exist_ok=True)
    with open(os.path.join(etc, "resolv.conf"), "w") as f:
        f.write(
            f"nameserver {net.DNS_SERVICE_IP}\n"
            f"search svc.{net.CLUSTER_DOMAIN} {net.CLUSTER_DOMAIN}\noptions ndots:5\n"
        )
    create_cgroups(state)


def spawn(state, name, argv, cgroups=False):
    env = dict(
        os.environ, PYTHONPATH=os.path.join(paths.root(), "cluster"), PYTHONDONTWRITEBYTECODE="1"
    )
    # The child holds its own copy of the log's descriptor; ours closes once it is started.
    with open(state("logs", name + ".log"), "ab") as log:
        child = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            env=env,
            start_new_session=True,
            # Before exec, so that the process is in the cgroups from its first instruction; the
            # child runs only this (os.write calls), none of the locks preexec_fn warns about.
            preexec_fn=(lambda: join_cgroups(state)) if cgroups else None,  # noqa: PLW1509
        )
    pids = read_json(state("pids.json"), {})
    pids[name] = child.pid
    write_json(state("pids.json"), pids)
    return child.pid


def start_supervisor(state):
    spawn(
        state,
        "supervisor",
        [
            "nsenter",
            f"--net=/run/netns/{state.netns}",
            "--",
            "unshare",
            "--pid",
            "--fork",
            "--kill-child",
            "--mount",
            "--propagation",
            "private",
            "--mount-proc",
            sys.executable,
            "-m",
            "kube.supervisor",
            state.path,
        ],
        cgroups=True,
    )


def start_forwarder(state):
    spawn(state, "forwarder", [sys.executable, "-m", "kube.forward", state.path])


# -- down ---------------------------------------------------------------------------------------


def other_clusters(state):
    return (
        [n for n in os.listdir("/run/netns") if n.startswith("fhk") and n != state.netns]
        if os.path.isdir("/run/netns")
        else []
    )


def kill_all(state, timeout=30):
    for pid in read_json(state("pids.json"), {}).values():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = cgroup_pids(state)
        if not pids:
            return []
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)
    return sorted(cgroup_pids(state))


def teardown(state):
    left = kill_all(state)
    remove_cgroups(state)
    net.delete(state.netns)
    shutil.rmtree(f"/etc/netns/{state.netns}", ignore_errors=True)
    with machine_lock():
        record = read_json(MACHINE_RECORD)
        if record is not None and not other_clusters(state):
            for key, value in record["sysctls"].items():
                with contextlib.suppress(OSError):
                    write_sysctl(key, value)
            for p in record["made"]:
                with contextlib.suppress(OSError):
                    os.rmdir(p)
            os.remove(MACHINE_RECORD)
            os.remove(MACHINE_LOCK)
    if left:
        print(
            f"cluster: warning: processes {left} would not die; their cgroups remain",
            file=sys.stderr,
        )
    shutil.rmtree(state.path, ignore_errors=True)
