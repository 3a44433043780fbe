"""examples/search.yml written with Jina's Python API.

    python examples/search.py charts/search

writes the chart `flowhelm chart examples/search.yml -o charts/search` writes, byte for byte
(the Python package's tests check it).
"""

import sys

import flowhelm
from jina import Flow

flow = (
    Flow(name="search", env={"JINA_LOG_LEVEL": "INFO"})
    .config_gateway(protocol=["grpc", "http"], replicas=2)
    .add(name="segmenter", uses="docker://ghcr.io/acme/segmenter:1.4.2")
    .add(
        name="text_encoder",
        uses="docker://ghcr.io/acme/text-encoder:2.0.1",
        needs="segmenter",
        when={"tags__modality": {"$eq": "text"}},
        uses_with={"model_name": "sentence-transformers/all-MiniLM-L6-v2", "batch_size": 64},
        gpus=1,
        timeout_ready=900000,
    )
    .add(
        name="image_encoder",
        uses="docker://ghcr.io/acme/image-encoder:2.0.1",
        needs="segmenter",
        when={"tags__modality": {"$eq": "image"}},
        replicas=2,
    )
    .add(
        name="indexer",
        uses="docker://ghcr.io/acme/hnsw-indexer:0.9.0",
        needs=["text_encoder", "image_encoder"],
        shards=2,
        polling={"/index": "ANY", "/search": "ALL"},
        env={"INDEX_METRIC": "cosine"},
        env_from_secret={"DB_PASSWORD": {"name": "indexer-db", "key": "password"}},
        image_pull_secrets=["ghcr-pull"],
    )
)

if __name__ == "__main__":
    print(flowhelm.chart(flow, sys.argv[1] if len(sys.argv) > 1 else "search"))
