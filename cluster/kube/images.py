"""Container images built here without Docker, and served to the node by a local registry.

An image is a list of layers (uncompressed tar files, which every OCI runtime accepts) and a
config. The layers:
- `debian`: a Debian root filesystem from Debian's package archive (debootstrap, minbase) with
  Python 3.11, as jinaai/jina's own images start from a Debian Python;
- `jina-<version>`: a virtualenv at /opt/jina with that release of Jina and its hash-pinned
  dependencies (scripts/jina-requirements.txt), installed inside the Debian tree by its own pip;
- small ones: a single static binary (pause, CoreDNS, metrics-server), or the trace executor
  (tests/fixtures/cluster/executor).

Layers and image configs are kept in the cache under their sha256 digests (blobs/), each
layer's digest in layers/<name>-<key>.json; registry.py uploads them to the registry the node
pulls from.
"""

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field

from kube import build, paths
from kube.log import phase

DEBIAN_SUITE = "bookworm"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
DEBIAN_PACKAGES = ("python3", "python3-venv", "ca-certificates")
PATH = "/opt/jina/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# jina 3.33.0 on 3.34.0's other dependencies, with the docarray it can read (0.40.0): the second
# release the helm test's version check needs. Its jina-proto (0.1.27) is 3.34.0's.
OLD_JINA_PINS = {
    "jina": "jina==3.33.0 "
    "--hash=sha256:f6aea6a40dbe1aba11a6c538ac68c6ddd504a2a3dc11649be92b7dd343279b6d",
    "docarray": "docarray==0.40.0 "
    "--hash=sha256:86ceadb84cdec2dc9579e2f79823748a3af094c57df4e0441c5f0bac7e63ef97",
}
# jcloud (a jina dependency) is published as an sdist only; building it needs `wheel`.
WHEEL_PIN = (
    "wheel==0.45.1 --hash=sha256:708e7481cc80179af0e556bbf0cc00b8444c7321e2700b8d8580231d13017248"
)


@dataclass(frozen=True)
class Image:
    name: str
    layers: tuple  # layer names, bottom first (see LAYERS)
    entrypoint: tuple = ()
    cmd: tuple = ()
    workdir: str = "/"
    user: str = ""
    env: tuple = field(default=(("PATH", PATH),))


IMAGES = {
    i.name: i
    for i in (
        Image("pause", ("pause",), entrypoint=("/pause",), user="65535:65535"),
        Image("coredns", ("coredns",), entrypoint=("/coredns",)),
        Image(
            "metrics-server",
            ("metrics-server",),
            entrypoint=("/metrics-server",),
            user="65534:65534",
        ),
        # As jinaai/jina: `jina` is the entry command, so a pod's args are Jina's subcommand.
        Image("jina-3.34.0", ("debian", "jina-3.34.0"), entrypoint=("jina",)),
        Image("jina-3.33.0", ("debian", "jina-3.33.0"), entrypoint=("jina",)),
        # The trace executor (tests/fixtures/cluster/executor), run as an executor image's
        # Dockerfile runs it: `jina executor --uses config.yml` in the folder holding config.yml.
        Image(
            "trace",
            ("debian", "jina-3.34.0", "trace"),
            entrypoint=("jina",),
            cmd=("executor", "--uses", "config.yml"),
            workdir="/executor",
        ),
        Image(
            "trace-jina-3.33.0",
            ("debian", "jina-3.33.0", "trace"),
            entrypoint=("jina",),
            cmd=("executor", "--uses", "config.yml"),
            workdir="/executor",
        ),
    )
}

SYSTEM_IMAGES = ("pause", "coredns", "metrics-server")


def store():
    return os.path.join(paths.cache(), "images")


def blob_path(digest):
    return os.path.join(store(), "blobs", "sha256", digest.split(":", 1)[1])


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def add_blob(path):
    """Moves `path` into the blob store; returns (digest, size)."""
    digest = sha256_file(path)
    dest = blob_path(digest)
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    size = os.path.getsize(path)
    os.replace(path, dest)
    return digest, size


def add_json_blob(obj):
    data = json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()
    fd, tmp = tempfile.mkstemp(dir=store())
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return add_blob(tmp)


def tar_dir(src, out, exclude=()):
    """A layer from a folder: sorted, numeric owners, fixed times, so rebuilding one gives the
    same digest when the files are the same."""
    cmd = [
        "tar",
        "--sort=name",
        "--numeric-owner",
        "--mtime=@0",
        "--format=posix",
        "--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime",
    ]
    cmd += [f"--exclude=./{e}" for e in exclude]
    subprocess.run(cmd + ["-C", src, "-cf", out, "."], check=True)


# -- layers -----------------------------------------------------------------------------------


def read(path):
    with open(path, "rb") as f:
        return f.read()


def requirements(version):
    lock = read(os.path.join(paths.root(), "scripts", "jina-requirements.txt")).decode()
    if version == "3.34.0":
        return lock
    lines = []
    for line in lock.splitlines():
        pkg = line.split("==", 1)[0].strip()
        lines.append(OLD_JINA_PINS.get(pkg, line))
    return "\n".join(lines) + "\n"


def layer_key(name):
    """What a layer is made from: the same inputs give the cached layer."""
    h = hashlib.sha256(name.encode() + b"\0" + read(__file__))
    if name.startswith("jina-"):
        h.update(requirements(name[len("jina-") :]).encode())
    elif name in SYSTEM_IMAGES:
        path = binary_of(name)
        h.update(read(path))
    elif name == "trace":
        for rel in sorted(fixture_files(name)):
            h.update(rel.encode() + b"\0" + read(os.path.join(fixture_dir(name), rel)))
    return h.hexdigest()[:16]


def binary_of(name):
    if name == "pause":
        return os.path.join(build.build_pause(), "pause")
    comp = {"coredns": "coredns", "metrics-server": "metrics-server"}[name]
    return os.path.join(build.bin_dir(comp), name)


def fixture_dir(name):
    return os.path.join(paths.root(), "tests", "fixtures", "cluster", "executor")


def fixture_files(name):
    d = fixture_dir(name)
    return [
        os.path.relpath(os.path.join(dp, f), d)
        for dp, _, fs in os.walk(d)
        for f in fs
        if "__pycache__" not in dp
    ]


def make_binary_layer(name, work):
    os.makedirs(os.path.join(work, "root"))
    shutil.copy2(binary_of(name), os.path.join(work, "root", name))
    os.chmod(os.path.join(work, "root", name), 0o755)


def make_fixture_layer(name, work):
    dest = os.path.join(work, "root", "executor")
    shutil.copytree(fixture_dir(name), dest, ignore=shutil.ignore_patterns("__pycache__"))
    for dp, ds, fs in os.walk(dest):
        for x in ds + fs:
            os.chmod(os.path.join(dp, x), 0o755 if x in ds else 0o644)


def make_debian_layer(work):
    root = os.path.join(work, "root")
    subprocess.run(
        [
            "debootstrap",
            "--variant=minbase",
            "--include=" + ",".join(DEBIAN_PACKAGES),
            DEBIAN_SUITE,
            root,
            DEBIAN_MIRROR,
        ],
        check=True,
        capture_output=True,
    )
    for d in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for x in os.listdir(os.path.join(root, d)):
            p = os.path.join(root, d, x)
            if os.path.isfile(p):
                os.remove(p)
    # A HOME for any UID (Jina writes ~/.cache at start); the hardened values mount their own.
    os.makedirs(os.path.join(root, "home", "jina"), mode=0o777, exist_ok=True)
    os.chmod(os.path.join(root, "home", "jina"), 0o1777)


def wheels_dir():
    return os.path.join(paths.cache(), "wheels")


def download_wheels(req_text):
    os.makedirs(wheels_dir(), exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write(req_text + WHEEL_PIN + "\n")
    try:
        subprocess.run(
            [
                "python3",
                "-m",
                "pip",
                "download",
                "--quiet",
                "--disable-pip-version-check",
                "--no-deps",
                "--require-hashes",
                "-r",
                f.name,
                "-d",
                wheels_dir(),
            ],
            check=True,
            capture_output=True,
        )
    finally:
        os.remove(f.name)


def make_jina_layer(version, work):
    """/opt/jina, installed by the Debian tree's own Python over the `debian` layer (an overlay
    whose upper folder becomes the layer)."""
    req = requirements(version)
    download_wheels(req)
    lower = unpacked("debian")
    up, wk, mnt = (os.path.join(work, x) for x in ("root", "work", "mnt"))
    for d in (up, wk, mnt):
        os.makedirs(d)
    with open(os.path.join(work, "req.txt"), "w") as f:
        f.write(req)
    wheel = WHEEL_PIN.split(" ")[0].replace("==", "-") + "-py3-none-any.whl"
    pip = (
        "/opt/jina/bin/pip install --quiet --disable-pip-version-check --no-cache-dir "
        "--no-deps --no-index --find-links /wheels"
    )
    script = f"""set -e
mount -t overlay overlay -o lowerdir={lower},upperdir={up},workdir={wk} {mnt}
mount --bind /dev {mnt}/dev
mount -t proc proc {mnt}/proc
mkdir -p {mnt}/wheels && mount --bind {wheels_dir()} {mnt}/wheels
cp {work}/req.txt {mnt}/tmp/req.txt
chroot {mnt} /usr/bin/python3 -m venv /opt/jina
chroot {mnt} {pip} /wheels/{wheel}
chroot {mnt} {pip} --require-hashes --no-build-isolation -r /tmp/req.txt
chroot {mnt} /opt/jina/bin/pip uninstall --quiet --yes wheel
rm {mnt}/tmp/req.txt
"""
    r = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
        check=False,
        capture_output=True,
        text=True,
    )
    if r.returncode:
        raise SystemExit(
            f"cluster: error: installing jina {version} into the image failed:\n" + r.stderr[-3000:]
        )
    os.rmdir(os.path.join(up, "wheels"))
    # The overlay marks what it removed with character devices; nothing here removes files.
    whiteouts = subprocess.run(
        ["find", up, "-type", "c"], check=False, capture_output=True, text=True
    ).stdout
    if whiteouts.strip():
        raise SystemExit(f"cluster: error: the jina layer removed files: {whiteouts[:500]}")


def unpacked(layer):
    """A layer's files, as a folder (the lower folder for layers built on it)."""
    d = os.path.join(store(), "unpacked", layer + "-" + layer_key(layer))
    if not os.path.exists(os.path.join(d, ".complete")):
        ensure_layer(layer)
    return os.path.join(d, "root")


def ensure_layer(name):
    """The layer's (digest, size), built if missing."""
    key = layer_key(name)
    meta = os.path.join(store(), "layers", f"{name}-{key}.json")
    if os.path.exists(meta):
        with open(meta) as f:
            d = json.load(f)
        return d["digest"], d["size"]
    work = os.path.join(store(), "unpacked", f"{name}-{key}")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    with phase(f"image layer {name}"):
        if name == "debian":
            make_debian_layer(work)
        elif name.startswith("jina-"):
            make_jina_layer(name[len("jina-") :], work)
        elif name in SYSTEM_IMAGES:
            make_binary_layer(name, work)
        else:
            make_fixture_layer(name, work)
        out = os.path.join(work, "layer.tar")
        tar_dir(os.path.join(work, "root"), out, exclude=("dev/*", "proc/*", "sys/*"))
        digest, size = add_blob(out)
    # Only layers others are built on keep their files (the overlay's lower folder).
    for sub in ("work", "mnt"):
        shutil.rmtree(os.path.join(work, sub), ignore_errors=True)
    if name != "debian":
        shutil.rmtree(os.path.join(work, "root"), ignore_errors=True)
    open(os.path.join(work, ".complete"), "w").close()
    os.makedirs(os.path.dirname(meta), exist_ok=True)
    with open(meta, "w") as f:
        json.dump({"digest": digest, "size": size}, f)
    return digest, size


def ensure(name):
    """Builds image `name` if needed; returns its manifest (a dict) and the blobs it names."""
    img = IMAGES[name]
    with paths.cache_lock():
        layers = [ensure_layer(layer) for layer in img.layers]
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": [f"{k}={v}" for k, v in img.env], "WorkingDir": img.workdir},
        "rootfs": {"type": "layers", "diff_ids": [d for d, _ in layers]},
    }
    if img.entrypoint:
        config["config"]["Entrypoint"] = list(img.entrypoint)
    if img.cmd:
        config["config"]["Cmd"] = list(img.cmd)
    if img.user:
        config["config"]["User"] = img.user
    cdigest, csize = add_json_blob(config)
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": cdigest,
            "size": csize,
        },
        "layers": [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d, "size": s}
            for d, s in layers
        ],
    }
    return manifest
