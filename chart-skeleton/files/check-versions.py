"""helm test: every gateway protocol answers, and every workload runs the gateway's Jina version.

Run by the test Pod in the gateway's Jina image as `python check-versions.py TARGETS.json`.
TARGETS.json (written by the chart) holds the gateway's address for each protocol it serves and,
for each executor workload, head and uses_before/uses_after container that serves gRPC, its
address, what it is and its image. Jina's servers answer the `/jina.JinaInfoRPC/_status` RPC
(the gateway's HTTP and WebSocket servers `GET /status`) with the versions they were built on;
the `jina` entry is the Jina release.

Prints one line per answer and exits 1, listing each workload whose version differs from the
gateway's (with its image) or that did not answer, or 0 when all agree.
"""

import json
import sys
import urllib.request

import grpc
from jina.proto import jina_pb2

TIMEOUT = 10


def grpc_status(address):
    with grpc.insecure_channel(address) as channel:
        status = channel.unary_unary(
            "/jina.JinaInfoRPC/_status",
            request_serializer=lambda _: b"",
            response_deserializer=jina_pb2.JinaInfoProto.FromString,
        )
        return dict(status(None, timeout=TIMEOUT).jina)


def http_status(address):
    with urllib.request.urlopen(f"http://{address}/status", timeout=TIMEOUT) as r:
        return json.load(r)["jina"]


def ask(protocol, address):
    """(Jina version, jina-proto version) of the server at `address`, or an exception."""
    info = grpc_status(address) if protocol == "grpc" else http_status(address)
    return info.get("jina", "?"), info.get("jina-proto", "?")


def main(path):
    with open(path, encoding="utf-8") as f:
        targets = json.load(f)
    problems = []
    reference = None
    for protocol, address in targets["gateway"]:
        try:
            version, proto = ask(protocol, address)
        except Exception as e:  # noqa: BLE001 - every failure is a finding
            problems.append(f"gateway ({protocol} {address}) did not answer: {e}")
            continue
        print(f"gateway {protocol} {address}: jina {version}, jina-proto {proto}")
        reference = reference or version
    if reference is None:
        problems.append("no gateway protocol answered: nothing to compare the workloads with")
    for t in targets["workloads"]:
        try:
            version, proto = ask("grpc", t["address"])
        except Exception as e:  # noqa: BLE001
            problems.append(f"{t['what']} ({t['address']}, image {t['image']}) did not answer: {e}")
            continue
        print(f"{t['what']} {t['address']}: jina {version}, jina-proto {proto}")
        if reference is not None and version != reference:
            problems.append(
                f"{t['what']} runs jina {version}, the gateway {reference}: image {t['image']}"
            )
    for line in problems:
        print(f"FAIL: {line}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
