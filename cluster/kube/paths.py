"""Where the cluster keeps things: the repository, the build cache, and a cluster's state."""

import contextlib
import fcntl
import hashlib
import os


def root():
    """The repository (cluster/kube/ is two levels below it)."""
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def cache():
    """Builds and images, shared by every clone on the machine (never inside a clone)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.environ.get("FLOWHELM_CLUSTER_CACHE") or os.path.join(base, "flowhelm-cluster")


@contextlib.contextmanager
def cache_lock():
    """One builder at a time per cache: two `up`s on a new machine build once."""
    os.makedirs(cache(), exist_ok=True)
    with open(os.path.join(cache(), ".lock"), "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def tool(name):
    """A binary scripts/install-tools.sh installed (kubectl, helm4)."""
    return os.path.join(root(), ".tools", "bin", name)


def jina_python():
    return os.path.join(root(), ".tools", "jina-3.34.0", "bin", "python")


class State:
    """A cluster's state folder, and the names derived from it (namespaces, cgroups)."""

    def __init__(self, path):
        self.path = os.path.abspath(path)
        self.id = hashlib.sha256(self.path.encode()).hexdigest()[:8]

    def __call__(self, *parts):
        return os.path.join(self.path, *parts)

    @property
    def netns(self):
        return f"fhk{self.id}"

    @property
    def cgroup(self):
        """Every process of the cluster lives below this cgroup, in every hierarchy."""
        return f"flowhelm-{self.id}"
