"""The cluster's certificates and kubeconfigs, made with openssl.

One CA signs the API server's serving certificate and every client identity (components
authenticate with the Common Name as user and the Organisations as groups, as kubeadm sets them
up); a second CA signs the front proxy's client certificate, which the aggregation layer
(metrics-server's API) requires apart. The service-account tokens get their own key pair.
"""

import os
import subprocess

from kube import net

# Identity -> (user, groups). The built-in RBAC roles bind these names: system:kube-controller-
# manager, system:kube-scheduler, system:node-proxier (kube-proxy), and the Node authorizer
# plus NodeRestriction recognise system:node:<name> in system:nodes.
CLIENTS = {
    "admin": ("kubernetes-admin", ["system:masters"]),
    "controller-manager": ("system:kube-controller-manager", []),
    "scheduler": ("system:kube-scheduler", []),
    "kube-proxy": ("system:kube-proxy", []),
    "kubelet": (f"system:node:{net.NODE_NAME}", ["system:nodes"]),
    # The API server's identity towards kubelets (logs, exec, port-forward); bound to
    # system:kubelet-api-admin by the addons.
    "apiserver-kubelet-client": ("kube-apiserver", []),
    # kube-router runs on the node as kube-proxy does; bound to its own ClusterRole.
    "kube-router": ("system:kube-router", []),
}


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def key(name, cwd):
    openssl(
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        f"{name}.key",
        cwd=cwd,
    )


def ca(name, cn, cwd):
    key(name, cwd)
    openssl(
        "req",
        "-x509",
        "-new",
        "-key",
        f"{name}.key",
        "-subj",
        f"/CN={cn}",
        "-days",
        "3650",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
        "-out",
        f"{name}.crt",
        cwd=cwd,
    )


def signed(name, ca_name, subject, usage, sans=(), cwd="."):
    key(name, cwd)
    openssl("req", "-new", "-key", f"{name}.key", "-subj", subject, "-out", f"{name}.csr", cwd=cwd)
    ext = [
        f"extendedKeyUsage={usage}",
        "keyUsage=critical,digitalSignature,keyEncipherment",
        "basicConstraints=critical,CA:FALSE",
    ]
    if sans:
        ext.append("subjectAltName=" + ",".join(sans))
    with open(os.path.join(cwd, f"{name}.ext"), "w") as f:
        f.write("\n".join(ext) + "\n")
    openssl(
        "x509",
        "-req",
        "-in",
        f"{name}.csr",
        "-CA",
        f"{ca_name}.crt",
        "-CAkey",
        f"{ca_name}.key",
        "-CAcreateserial",
        "-days",
        "3650",
        "-extfile",
        f"{name}.ext",
        "-out",
        f"{name}.crt",
        cwd=cwd,
    )
    os.remove(os.path.join(cwd, f"{name}.csr"))
    os.remove(os.path.join(cwd, f"{name}.ext"))


def subject(user, groups):
    return "".join(f"/O={g}" for g in groups) + f"/CN={user}"


def make(state):
    d = state("pki")
    os.makedirs(d, exist_ok=True)
    ca("ca", "flowhelm-test-cluster-ca", d)
    ca("front-proxy-ca", "flowhelm-test-front-proxy-ca", d)
    sans = [
        "DNS:kubernetes",
        "DNS:kubernetes.default",
        "DNS:kubernetes.default.svc",
        "DNS:kubernetes.default.svc.cluster.local",
        "DNS:localhost",
        f"DNS:{net.NODE_NAME}",
        "IP:127.0.0.1",
        f"IP:{net.NODE_IP}",
        f"IP:{net.API_SERVICE_IP}",
    ]
    signed("apiserver", "ca", "/CN=kube-apiserver", "serverAuth", sans, cwd=d)
    signed(
        "kubelet-serving",
        "ca",
        f"/CN={net.NODE_NAME}",
        "serverAuth",
        [f"DNS:{net.NODE_NAME}", f"IP:{net.NODE_IP}"],
        cwd=d,
    )
    for name, (user, groups) in CLIENTS.items():
        signed(name, "ca", subject(user, groups), "clientAuth", cwd=d)
    signed("front-proxy-client", "front-proxy-ca", "/CN=front-proxy-client", "clientAuth", cwd=d)
    openssl(
        "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "sa.key", cwd=d
    )
    openssl("pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub", cwd=d)
    for name in CLIENTS:
        kubeconfig(state, name, f"https://{net.NODE_IP}:{net.API_PORT}")


def kubeconfig(state, name, server, path=None):
    """A kubeconfig for identity `name` (its certificate files are named after it)."""
    d = state("pki")
    path = path or state("kubeconfig", f"{name}.yaml")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(f"""apiVersion: v1
kind: Config
clusters:
- name: flowhelm-test
  cluster:
    certificate-authority: {os.path.join(d, "ca.crt")}
    server: {server}
users:
- name: {name}
  user:
    client-certificate: {os.path.join(d, name + ".crt")}
    client-key: {os.path.join(d, name + ".key")}
contexts:
- name: {name}@flowhelm-test
  context:
    cluster: flowhelm-test
    user: {name}
    namespace: default
current-context: {name}@flowhelm-test
""")
    return path
