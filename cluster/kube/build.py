"""Builds the cluster's programs from their upstream Go modules, once per machine.

Each component is a wrapper module in cluster/go/<name>/: its go.mod names the upstream version
and its go.sum pins every module it builds from, so the go.mod is the one place a version is
written. The binaries land in the cache (`paths.cache()`), in a folder keyed by a hash of the
wrapper's files, the build flags and the Go version: a changed pin builds again, an unchanged one
costs a stat.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field

from kube import paths
from kube.log import phase


@dataclass(frozen=True)
class Binary:
    package: str  # a main package, relative to nothing: `go build` takes it as written
    cgo: bool = False
    tags: str = ""


@dataclass(frozen=True)
class Component:
    name: str  # the wrapper's folder under cluster/go/
    binaries: tuple
    stamp_version: bool = False  # Kubernetes' version variables (see `k8s_ldflags`)
    extra: tuple = field(default=())  # more files of the wrapper that go into the key


K8S = "k8s.io/kubernetes/cmd/"
COMPONENTS = (
    # kubelet links cgo as upstream builds it (hack/lib/golang.sh): its mount and cadvisor code
    # use libc's resolver and user look-ups.
    Component(
        "kubernetes",
        (
            Binary(K8S + "kube-apiserver"),
            Binary(K8S + "kube-controller-manager"),
            Binary(K8S + "kube-scheduler"),
            Binary(K8S + "kube-proxy"),
            Binary(K8S + "kubelet", cgo=True),
        ),
        stamp_version=True,
    ),
    Component("etcd", (Binary("go.etcd.io/etcd/server/v3"),)),
    Component(
        "containerd",
        tuple(
            Binary("github.com/containerd/containerd/v2/cmd/" + c, tags="no_btrfs")
            for c in ("containerd", "containerd-shim-runc-v2", "ctr")
        ),
    ),
    # runc's nsexec is C, and seccomp filters need libseccomp (Debian's libseccomp-dev).
    # runc-oom (ours) is what containerd calls: see its main.go.
    Component(
        "runc",
        (
            Binary("github.com/opencontainers/runc", cgo=True, tags="seccomp"),
            Binary("flowhelm.test/cluster/runc/runc-oom"),
        ),
        extra=("runc-oom/main.go",),
    ),
    Component(
        "cni",
        tuple(
            Binary("github.com/containernetworking/plugins/plugins/" + p)
            for p in ("main/bridge", "main/loopback", "ipam/host-local", "meta/portmap")
        ),
    ),
    Component("coredns", (Binary("."),), extra=("main.go",)),
    Component("metrics-server", (Binary("sigs.k8s.io/metrics-server/cmd/metrics-server"),)),
    Component(
        "kube-router", (Binary("github.com/cloudnativelabs/kube-router/v2/cmd/kube-router"),)
    ),
)


def wrapper(name):
    return os.path.join(paths.root(), "cluster", "go", name)


def required_version(name, module):
    """The version the wrapper `name` requires of `module` (its go.mod is the pin)."""
    with open(os.path.join(wrapper(name), "go.mod")) as f:
        text = f.read()
    m = re.search(r"^\s*(?:require\s+)?" + re.escape(module) + r"\s+(v\S+)", text, re.M)
    if not m:
        raise SystemExit(f"cluster: error: cluster/go/{name}/go.mod requires no {module}")
    return m.group(1)


def k8s_ldflags():
    """Stamps the release into the binaries, as Kubernetes' own build does (hack/lib/version.sh).

    Unstamped, the API server reports v0.0.0-master, and helm's `kubeVersion` checks fail."""
    version = required_version("kubernetes", "k8s.io/kubernetes")
    major, minor = version.lstrip("v").split(".")[:2]
    values = {
        "gitVersion": version,
        "gitMajor": major,
        "gitMinor": minor,
        "gitCommit": "0" * 40,
        "gitTreeState": "clean",
        "buildDate": "1970-01-01T00:00:00Z",
    }
    return [
        f"-X {pkg}.{k}={v}"
        for pkg in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version")
        for k, v in values.items()
    ]


def go_version():
    return subprocess.run(
        ["go", "env", "GOVERSION"], check=True, capture_output=True, text=True
    ).stdout.strip()


def ldflags(c):
    return " ".join(["-s", "-w"] + (k8s_ldflags() if c.stamp_version else []))


def key(c):
    h = hashlib.sha256()
    for f in ("go.mod", "go.sum") + c.extra:
        with open(os.path.join(wrapper(c.name), f), "rb") as fh:
            h.update(f.encode() + b"\0" + fh.read() + b"\0")
    h.update(repr((c.binaries, ldflags(c), go_version())).encode())
    return h.hexdigest()[:16]


def out_dir(c):
    return os.path.join(paths.cache(), "go", f"{c.name}-{key(c)}")


def built(c):
    return os.path.exists(os.path.join(out_dir(c), ".complete"))


def build_component(c):
    out = out_dir(c)
    tmp = out + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(os.path.join(tmp, "bin"))
    env = dict(os.environ, GOTOOLCHAIN="local", GOFLAGS="-buildvcs=false -mod=readonly")
    groups = {}
    for b in c.binaries:
        groups.setdefault((b.cgo, b.tags), []).append(b.package)
    for (cgo, tags), pkgs in groups.items():
        cmd = [
            "go",
            "build",
            "-trimpath",
            "-ldflags",
            ldflags(c),
            "-o",
            os.path.join(tmp, "bin") + "/",
        ]
        if tags:
            cmd += ["-tags", tags]
        env["CGO_ENABLED"] = "1" if cgo else "0"
        r = subprocess.run(
            cmd + pkgs, cwd=wrapper(c.name), env=env, check=False, capture_output=True, text=True
        )
        if r.returncode != 0:
            raise SystemExit(
                f"cluster: error: building {c.name} ({' '.join(pkgs)}) failed:\n" + r.stderr[-4000:]
            )
    open(os.path.join(tmp, ".complete"), "w").close()
    shutil.rmtree(out, ignore_errors=True)
    os.rename(tmp, out)


def build_pause():
    """The sandbox image's program, compiled as Kubernetes' build/pause/Makefile does."""
    version = required_version("kubernetes", "k8s.io/kubernetes")
    src = subprocess.run(
        ["go", "list", "-m", "-f", "{{.Dir}}", "k8s.io/kubernetes"],
        cwd=wrapper("kubernetes"),
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    out = os.path.join(paths.cache(), "go", f"pause-{PAUSE_VERSION}-{version}")
    if os.path.exists(os.path.join(out, ".complete")):
        return out
    os.makedirs(out, exist_ok=True)
    subprocess.run(
        [
            "gcc",
            "-Os",
            "-Wall",
            "-Werror",
            "-static",
            f"-DVERSION=v{PAUSE_VERSION}",
            "-o",
            os.path.join(out, "pause"),
            os.path.join(src, "build", "pause", "linux", "pause.c"),
        ],
        check=True,
    )
    open(os.path.join(out, ".complete"), "w").close()
    return out


# The sandbox image containerd 2.3 pins by default; build/pause/Makefile's TAG in the k8s module.
PAUSE_VERSION = "3.10.2"


def bin_dir(name):
    """Where component `name`'s binaries are (built or not)."""
    c = next(c for c in COMPONENTS if c.name == name)
    return os.path.join(out_dir(c), "bin")


KEDA = "github.com/kedacore/keda/v2"


def keda_crd(kind="scaledobjects"):
    """A CRD of KEDA (config/crd/bases in its module), at the version cluster/go/keda/go.mod
    requires and with the hash its go.sum pins: the cluster serves the kinds the chart renders
    without running KEDA itself."""
    env = dict(os.environ, GOTOOLCHAIN="local", GOFLAGS="-mod=readonly")
    r = subprocess.run(
        ["go", "mod", "download", "-json", KEDA],
        cwd=wrapper("keda"),
        env=env,
        check=False,
        capture_output=True,
        text=True,
    )
    info = json.loads(r.stdout or "{}")
    if r.returncode != 0 or info.get("Error"):
        raise SystemExit(
            f"cluster: error: downloading {KEDA} failed: {info.get('Error') or r.stderr}"
        )
    version = required_version("keda", KEDA)
    with open(os.path.join(wrapper("keda"), "go.sum")) as f:
        pinned = f"{KEDA} {version} {info['Sum']}\n" in f.read()
    if not pinned:
        raise SystemExit(
            f"cluster: error: {KEDA} {version} is not the module cluster/go/keda/go.sum pins"
        )
    return os.path.join(info["Dir"], "config", "crd", "bases", f"keda.sh_{kind}.yaml")


def ensure_built():
    """Builds every component that is not in the cache yet; prints how long each took."""
    keda_crd()
    for c in COMPONENTS:
        if built(c):
            continue
        with paths.cache_lock(), phase(f"build {c.name}"):
            if not built(c):
                build_component(c)
    with paths.cache_lock():
        build_pause()
