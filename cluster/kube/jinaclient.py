"""Sends documents through a Flow with Jina's own Client, from the cluster's node.

Run by `scripts/cluster client` as `python -m kube.jinaclient REQUEST_JSON` inside the cluster's
network namespace, whose resolver is the cluster's DNS. Prints the returned documents as one
JSON list of {"id": ..., "tags": {...}}.
"""

import json
import sys


def main(request):
    from docarray import DocList
    from jina._docarray_legacy import LegacyDocumentJina as Doc

    from jina import Client

    client = Client(host=request["host"], port=request["port"], protocol=request["protocol"])
    docs = DocList[Doc](
        [Doc(id=f"doc-{i}", tags=dict(request["tags"])) for i in range(request["docs"])]
    )
    out = client.post(
        request["endpoint"],
        inputs=docs,
        request_size=request["requestSize"],
        return_type=DocList[Doc],
    )
    print(json.dumps([{"id": d.id, "tags": d.tags} for d in out], sort_keys=True))


if __name__ == "__main__":
    try:
        main(json.loads(sys.argv[1]))
    except Exception as e:  # noqa: BLE001 - one line for the caller, not a traceback
        print(f"client: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
