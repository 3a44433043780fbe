"""Charts from `jina.Flow` and `jina.Deployment` objects are the charts of the equivalent YAML,
byte for byte, with the same warnings; what Kubernetes cannot run is refused, located at the
`.add()` call."""

from __future__ import annotations

import runpy
import textwrap
from pathlib import Path

import pytest

import flowhelm
import yaml
from conftest import ROOT, assert_same_tree, cli, cli_diagnostics, recorded
from flowhelm import FlowError, FlowWarning
from jina import Deployment, Executor, Flow


def flowhelm_document(obj) -> str:
    """The Flow YAML flowhelm builds from a Jina object."""
    from flowhelm import _jina

    return _jina.document(obj).text()


def flow_warnings(caught) -> list:
    return [w.message for w in caught if issubclass(w.category, FlowWarning)]


def same_chart(obj, yaml_text: str, tmp_path: Path) -> list:
    """Charts `obj` and `yaml_text` (a file, through the command) into two directories of one
    name, asserts the two charts are identical, and returns the object's warnings, which must
    say what the command says about the file."""
    (tmp_path / "flow.yml").write_text(textwrap.dedent(yaml_text))
    out, caught = recorded(flowhelm.chart, obj, tmp_path / "py" / "chart")
    assert out == tmp_path / "py" / "chart"
    cli(
        "chart",
        str(tmp_path / "flow.yml"),
        "-o",
        str(tmp_path / "yml" / "chart"),
        "--name",
        "chart",
    )
    assert_same_tree(tmp_path / "py" / "chart", tmp_path / "yml" / "chart")
    from_file = [d["message"] for d in cli_diagnostics("check", str(tmp_path / "flow.yml"))]
    got = flow_warnings(caught)
    assert [w.message for w in got] == from_file
    return got


def test_the_search_example_in_python_is_the_search_example_in_yaml(tmp_path: Path) -> None:
    # examples/search.py builds examples/search.yml with Flow().add(...): shards, replicas,
    # env_from_secret, image_pull_secrets, uses_with, needs, when, per-endpoint polling, gpus.
    flow = runpy.run_path(str(ROOT / "examples" / "search.py"))["flow"]
    _, caught = recorded(flowhelm.chart, flow, tmp_path / "py" / "search")
    assert flow_warnings(caught) == []
    cli("chart", "examples/search.yml", "-o", str(tmp_path / "yml" / "search"))
    assert_same_tree(tmp_path / "py" / "search", tmp_path / "yml" / "search")
    values = (tmp_path / "py" / "search" / "values.yaml").read_text()
    assert '"indexer-db"' in values and '"ghcr-pull"' in values
    # What Flow.save_config() would have lost (the Secret wiring, the pull secret) and added
    # (Jina's random ports as settings), and the document built from the object has not.
    saved = tmp_path / "saved.yml"
    flow.save_config(str(saved))
    built = flowhelm_document(flow)
    for lost in ("env_from_secret", "image_pull_secrets"):
        assert lost not in saved.read_text() and lost in built
    assert "port_monitoring:" in saved.read_text()
    assert "port" not in built


def test_a_flow_with_shards_replicas_secrets_needs_and_when(tmp_path: Path) -> None:
    flow = (
        Flow(protocol="http", env={"A": "1"})
        .add(
            name="encoder",
            uses="docker://registry.example/encoder:1",
            shards=2,
            replicas=3,
            polling="ALL",
            env_from_secret={"TOKEN": {"name": "api", "key": "token"}},
            uses_with={"model": "bert", "dims": [128, 256], "scale": 0.5},
            volumes=["/data"],
        )
        .add(
            name="ranker",
            uses="docker://registry.example/ranker:1",
            needs="gateway",
            when={"tags__lang": {"$eq": "en"}},
            image_pull_secrets=["regcred"],
        )
        .add(name="merger", uses="docker://registry.example/merger:1", needs=["encoder", "ranker"])
    )
    warned = same_chart(
        flow,
        """
        jtype: Flow
        with:
          protocol: http
          env:
            A: '1'
        executors:
          - name: encoder
            uses: docker://registry.example/encoder:1
            shards: 2
            replicas: 3
            polling: ALL
            env_from_secret:
              TOKEN: {name: api, key: token}
            uses_with: {model: bert, dims: [128, 256], scale: 0.5}
            volumes: [/data]
          - name: ranker
            uses: docker://registry.example/ranker:1
            needs: gateway
            when: {tags__lang: {$eq: en}}
            image_pull_secrets: [regcred]
          - name: merger
            uses: docker://registry.example/merger:1
            needs: [encoder, ranker]
        """,
        tmp_path,
    )
    assert warned == []  # none of Jina's random ports is taken for a setting


def test_a_deployment(tmp_path: Path) -> None:
    deployment = Deployment(
        name="encoder",
        uses="docker://registry.example/encoder:1",
        shards=2,
        replicas=2,
        env={"MODEL": "bert"},
        env_from_secret={"TOKEN": {"name": "api", "key": "token"}},
        uses_with={"batch_size": 32},
        polling={"/search": "ALL"},
        port=12345,
    )
    same_chart(
        deployment,
        """
        jtype: Deployment
        with:
          name: encoder
          uses: docker://registry.example/encoder:1
          shards: 2
          replicas: 2
          env: {MODEL: bert}
          env_from_secret: {TOKEN: {name: api, key: token}}
          uses_with: {batch_size: 32}
          polling: {/search: ALL}
          port: 12345
        """,
        tmp_path,
    )


def test_flow_arguments_reach_the_gateway_and_executors_as_from_with(tmp_path: Path) -> None:
    flow = (
        Flow(
            name="inherit",
            replicas=2,
            monitoring=True,
            port=8080,
            env_from_secret={"TOKEN": {"name": "api", "key": "token"}},
        )
        .config_gateway(replicas=3, protocol=["grpc", "http"])
        .add(name="a", uses="docker://registry.example/a:1")
        .add(name="b", uses="docker://registry.example/b:1", replicas=4, floating=True)
        .add(name="c", uses="docker://registry.example/c:1", gpus="all", port_monitoring=9999)
    )
    warned = same_chart(
        flow,
        """
        jtype: Flow
        with:
          name: inherit
          replicas: 2
          monitoring: true
          port: 8080
          env_from_secret: {TOKEN: {name: api, key: token}}
        gateway:
          replicas: 3
          protocol: [grpc, http]
        executors:
          - name: a
            uses: docker://registry.example/a:1
          - name: b
            uses: docker://registry.example/b:1
            replicas: 4
            floating: true
          - name: c
            uses: docker://registry.example/c:1
            needs: a
            gpus: all
            port_monitoring: 9999
        """,
        tmp_path,
    )
    # Ports the user chose are read (and warned about as in the file); each warning names the
    # Python call it is about.
    origins = sorted(w.origin for w in warned)
    assert origins == [
        "Flow(port=...)",
        "Flow.add(name='c', gpus=...)",
        "Flow.add(name='c', port_monitoring=...)",
    ], origins
    assert {w.executor for w in warned} == {None, "c"}


def test_external_executors_joins_and_head_sidecars(tmp_path: Path) -> None:
    flow = (
        Flow()
        .add(name="remote", external=True, host="10.1.2.3", port=8081, tls=True)
        .add(name="local", uses="docker://registry.example/local:1", needs="gateway")
        .needs(["remote", "local"])
        .add(
            name="sharded",
            uses="docker://registry.example/sharded:1",
            shards=3,
            uses_before="docker://registry.example/before:1",
            uses_after="docker://registry.example/after:1",
            polling="ALL",
        )
    )
    same_chart(
        flow,
        """
        jtype: Flow
        executors:
          - name: remote
            external: true
            host: 10.1.2.3
            port: 8081
            tls: true
          - name: local
            uses: docker://registry.example/local:1
            needs: gateway
          - name: joiner
            method: needs
            needs: [remote, local]
          - name: sharded
            uses: docker://registry.example/sharded:1
            shards: 3
            uses_before: docker://registry.example/before:1
            uses_after: docker://registry.example/after:1
            polling: ALL
        """,
        tmp_path,
    )


class MyEncoder(Executor):
    pass


def test_a_python_class_as_uses_is_refused_at_its_add_call(tmp_path: Path) -> None:
    flow = (
        Flow()
        .add(name="segmenter", uses="docker://registry.example/segmenter:1")
        .add(name="encoder", uses=MyEncoder, replicas=2)
    )
    with pytest.raises(FlowError) as caught:
        flowhelm.chart(flow, tmp_path / "chart")
    e = caught.value
    # The command's refusal of `uses: MyEncoder`, word for word ...
    (tmp_path / "flow.yml").write_text(
        "jtype: Flow\nexecutors:\n  - name: encoder\n    uses: MyEncoder\n"
    )
    [expected] = cli_diagnostics("check", str(tmp_path / "flow.yml"))
    assert (e.message, e.hint) == (expected["message"], expected["hint"])
    assert "not a containerized executor" in e.message and "docker://" in e.hint
    # ... located at the `.add()` call that gave it.
    assert (e.executor, e.argument, e.kind) == ("encoder", "uses", "input")
    assert e.origin == "Flow.add(name='encoder', uses=...)"
    assert str(e).startswith("Flow.add(name='encoder', uses=...): error: `uses: MyEncoder`")
    assert e.document is not None and e.line is not None
    assert e.document.splitlines()[e.line - 1].strip() == 'uses: "MyEncoder"'
    assert not (tmp_path / "chart").exists()

    with pytest.raises(FlowError) as caught:
        flowhelm.check(Deployment(name="solo", uses=MyEncoder))
    assert caught.value.executor == "solo"
    assert caught.value.origin == "Deployment(name='solo', uses=...)"


def test_strings_reach_the_chart_exactly(tmp_path: Path) -> None:
    # Quotes, YAML and template syntax, line breaks YAML would fold, a tab, non-ASCII: the
    # object's chart is the chart of the same text written with YAML escapes by hand.
    tricky = 'a: "b" # {{ .Values }} ${x}\n\ttab \u2028 \x85 caf\u00e9 \U0001f600 - [1]'
    flow = Flow().add(
        name="enc", uses="docker://registry.example/enc:1", uses_with={"text": tricky, "none": None}
    )
    same_chart(
        flow,
        r"""
        jtype: Flow
        executors:
          - name: enc
            uses: docker://registry.example/enc:1
            uses_with:
              text: "a: \"b\" # {{ .Values }} ${x}\n\ttab \u2028 \x85 caf\u00e9 \U0001F600 - [1]"
              none: null
        """,
        tmp_path,
    )
    values = yaml.safe_load((tmp_path / "py" / "chart" / "values.yaml").read_text())
    # A table, as in a Flow's chart: the text as written, the null as `{$json: "null"}` (helm
    # would drop a null).
    assert values["executors"]["enc"]["usesWith"] == {"text": tricky, "none": {"$json": "null"}}
