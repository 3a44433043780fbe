"""Pushes built images to the cluster's registry under the references charts name.

The registry (Debian's docker-registry, inside the cluster's network namespace) answers every
registry host for containerd (its `_default` hosts.toml), which asks it for the repository path
without the host: `registry.example.com/enc:1` is repository `enc`, tag `1`, and Docker Hub's
short names get `library/`. So making a reference pullable is: upload the image's blobs once
(under `flowhelm-test/<image>`), mount them into the reference's repository, put the manifest
under its tag.
"""

import http.client
import json
import os
import shutil

from kube import images, net, netns_thread

MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"


HOME = "flowhelm-test"


def forget_references(storage):
    """Drops every repository but the built images' own from the registry's storage (before it
    starts). The storage outlives a cluster, as a cache of blobs; the references charts name
    must not: a reference an earlier cluster made pullable would answer a pull that this
    cluster's image map cannot."""
    repositories = os.path.join(storage, "docker", "registry", "v2", "repositories")
    if not os.path.isdir(repositories):
        return
    for name in os.listdir(repositories):
        if name != HOME:
            shutil.rmtree(os.path.join(repositories, name))


class RegistryError(Exception):
    pass


def repository_and_tag(ref):
    """(repository, tag) the node will ask the registry for; a digest reference is refused."""
    if "@" in ref:
        raise RegistryError(
            f"{ref}: a reference by digest names one exact image, which no built "
            "image has; use a tag in the values for this test"
        )
    name, tag = ref, "latest"
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = ref.rsplit(":", 1)
    parts = name.split("/")
    host = "docker.io"
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        host, parts = parts[0], parts[1:]
    # Docker Hub's official images live under library/ (`busybox` is docker.io/library/busybox).
    if host in ("docker.io", "index.docker.io") and len(parts) == 1:
        parts = ["library"] + parts
    return "/".join(parts), tag


class Client:
    def __init__(self):
        host, port = net.REGISTRY.split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=120)

    def request(self, method, path, body=None, headers=None):
        self.conn.request(method, path, body=body, headers=headers or {})
        r = self.conn.getresponse()
        data = r.read()
        return r.status, dict(r.getheaders()), data

    def has_blob(self, repo, digest):
        return self.request("HEAD", f"/v2/{repo}/blobs/{digest}")[0] == 200

    def upload(self, repo, digest, size, mount_from=None):
        if self.has_blob(repo, digest):
            return
        if mount_from:
            status, headers, _ = self.request(
                "POST", f"/v2/{repo}/blobs/uploads/?mount={digest}&from={mount_from}"
            )
            if status == 201:
                return
        else:
            status, headers, _ = self.request("POST", f"/v2/{repo}/blobs/uploads/")
        if status != 202:
            raise RegistryError(f"starting an upload to {repo}: HTTP {status}")
        location = headers["Location"]
        sep = "&" if "?" in location else "?"
        path = location.split(net.REGISTRY, 1)[-1]
        with open(images.blob_path(digest), "rb") as f:
            status, _, body = self.request(
                "PUT",
                f"{path}{sep}digest={digest}",
                body=f,
                headers={"Content-Length": str(size), "Content-Type": "application/octet-stream"},
            )
        if status != 201:
            raise RegistryError(f"uploading {digest} to {repo}: HTTP {status} {body[:200]!r}")

    def put_manifest(self, repo, tag, manifest):
        body = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
        status, _, data = self.request(
            "PUT", f"/v2/{repo}/manifests/{tag}", body=body, headers={"Content-Type": MANIFEST_TYPE}
        )
        if status != 201:
            raise RegistryError(f"tagging {repo}:{tag}: HTTP {status} {data[:200]!r}")


def blobs(manifest):
    return [manifest["config"]] + manifest["layers"]


def push(state, image, refs):
    """Makes each reference in `refs` pull image `image` (built first if needed)."""
    manifest = images.ensure(image)

    def work():
        c = Client()
        home = f"{HOME}/{image}"
        for b in blobs(manifest):
            c.upload(home, b["digest"], b["size"])
        c.put_manifest(home, "latest", manifest)
        for ref in refs:
            repo, tag = repository_and_tag(ref)
            for b in blobs(manifest):
                c.upload(repo, b["digest"], b["size"], mount_from=home)
            c.put_manifest(repo, tag, manifest)

    netns_thread.run(state.netns, work)
