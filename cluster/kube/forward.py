"""The API server on the machine's loopback: `helm` and `kubectl` run on the machine, the API
server on the node's address inside the cluster's network namespace.

Listens on 127.0.0.1 (a free port, written to STATE/apiserver.port) and relays each connection,
byte for byte (TLS passes through untouched), to the API server from a thread that joined the
namespace. Run by `up` as `python -m kube.forward STATE`, detached; `down` kills it.
"""

import contextlib
import os
import socket
import sys
import threading

from kube import net, netns_thread, paths


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)


def relay(client, netns):
    try:
        netns_thread.join(netns)
        upstream = socket.create_connection((net.NODE_IP, net.API_PORT), timeout=10)
        upstream.settimeout(None)
    except OSError:
        client.close()
        return
    back = threading.Thread(target=pump, args=(upstream, client), daemon=True)
    back.start()
    pump(client, upstream)
    back.join()
    client.close()
    upstream.close()


def main():
    state = paths.State(sys.argv[1])
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    tmp = state("apiserver.port.tmp")
    with open(tmp, "w") as f:
        f.write(str(listener.getsockname()[1]))
    os.replace(tmp, state("apiserver.port"))
    while True:
        client, _ = listener.accept()
        threading.Thread(target=relay, args=(client, state.netns), daemon=True).start()


if __name__ == "__main__":
    main()
