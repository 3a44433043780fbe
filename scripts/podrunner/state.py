"""The state directory shared by the CLI and the kubelet daemon, and the RPC between them.

    STATE/cluster.json     cluster id, namespace names, default namespace, image map
    STATE/kubelet.sock     the daemon's socket (one JSON request and one JSON reply per connection)
    STATE/status.json      the last status the daemon wrote (kept after `down`, marked stopped)
    STATE/desired.json     the objects last applied
    STATE/runner.log       the daemon's own log; dnsmasq's too
    STATE/pods/<ns>/<pod>/<uid>/  one folder per pod: <container>.log, emptyDir/ConfigMap/Secret
                           volumes (removed with the pod), spec files
    STATE/claims/<ns>/<claim>/  persistent volume claims: survive pod restarts and `down`
"""

import fcntl
import hashlib
import json
import os
import socket
import tempfile


class State:
    def __init__(self, path):
        self.root = os.path.abspath(path)
        self.id = hashlib.sha256(self.root.encode()).hexdigest()[:8]

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    # Every namespace the runner makes starts with this; `down` sweeps them by name.
    @property
    def netns_prefix(self):
        return f'fh{self.id}'

    @property
    def node_netns(self):
        return f'{self.netns_prefix}-node'

    @property
    def client_netns(self):
        return f'{self.netns_prefix}-client'

    @property
    def socket(self):
        return self.path('kubelet.sock')

    def read_json(self, name, default=None):
        try:
            with open(self.path(name)) as f:
                return json.load(f)
        except FileNotFoundError:
            return default

    def write_json(self, name, data):
        write_atomic(self.path(name), json.dumps(data, indent=1, sort_keys=True) + '\n')

    def lock(self):
        """An exclusive lock for up/down: one changer of the cluster at a time."""
        os.makedirs(self.root, exist_ok=True)
        fd = os.open(self.path('lock'), os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        return fd


def write_atomic(path, text):
    d = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(dir=d, prefix='.tmp-')
    with os.fdopen(fd, 'w') as f:
        f.write(text)
    os.replace(tmp, path)


def rpc(state, request, timeout=30):
    """Send one request to the daemon; raises ConnectionError when none is running."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        try:
            s.connect(state.socket)
        except (FileNotFoundError, ConnectionRefusedError) as e:
            raise ConnectionError('no pod runner is running for this state directory') from e
        s.sendall(json.dumps(request).encode())
        s.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            chunk = s.recv(1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    reply = json.loads(b''.join(chunks) or b'null')
    if isinstance(reply, dict) and 'error' in reply:
        raise RuntimeError(reply['error'])
    return reply
