"""Compile a Jina Flow into a production Helm chart.

Give it the ``jina.Flow`` you already have (or a ``jina.Deployment``, a Flow YAML file, or YAML
text)::

    from jina import Flow
    import flowhelm

    flow = Flow().add(name="encoder", uses="docker://acme/encoder:1", shards=2, replicas=2)
    flowhelm.chart(flow, "charts/search")   # the chart, ready for `helm install`
    print(flowhelm.check(flow)["edges"])     # [['gateway', 'encoder'], ['encoder', 'gateway']]

The wheel also installs the ``flowhelm`` command (``flowhelm chart flow.yml -o charts/search``);
these functions run that same binary, so a chart made here is byte-for-byte the chart the command
makes from the equivalent YAML. Errors raise :class:`FlowError`; warnings (settings Kubernetes
cannot honour) are issued as :class:`FlowWarning` through :mod:`warnings`.
"""

from __future__ import annotations

import os

from ._errors import FlowError, FlowWarning

# `import flowhelm` imports nothing more (not even typing, which would be nine tenths of its
# time); json, pathlib, subprocess, and Jina for an object, come when a function runs.
TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path
    from typing import Any, Union

    from jina import Deployment, Flow

    FlowLike = Union[Flow, Deployment, str, os.PathLike[str]]

__all__ = ["FlowError", "FlowWarning", "chart", "check"]


def chart(
    flow: FlowLike,
    output_dir: str | os.PathLike[str],
    *,
    name: str | None = None,
    chart_version: str | None = None,
    force: bool = False,
) -> Path:
    """Writes the Helm chart of `flow` to `output_dir` and returns that path.

    `flow` is one of:

    * a ``jina.Flow`` or ``jina.Deployment`` (what is read from it is below);
    * a path (``str`` without a line break, or ``os.PathLike``) to a Flow YAML file;
    * Flow YAML text (a ``str`` with a line break), read as a file would be.

    `name` is the chart's name: by default the file's name without its extension for a path,
    and `output_dir`'s last component otherwise. `chart_version` is its SemVer 2 version
    (default ``0.1.0``). The chart is written atomically; a directory that flowhelm did not
    generate is replaced only with ``force=True``. `${{ ENV.X }}` in the Flow is substituted from
    the process environment, and ``JINA_GATEWAY_IMAGE`` picks the gateway's image, as for the
    ``flowhelm`` command.

    **From a Jina object**, flowhelm builds the Flow document from the arguments the object
    keeps, not from ``save_config()`` (which drops ``env_from_secret`` and
    ``image_pull_secrets`` and writes Jina's random ports as settings):

    * ``Flow(...)``: every keyword, as the ``with:`` block (the Flow's own keys, such as
      ``env``, ``name``, ``workspace``, where they differ from Jina's defaults, and every other
      keyword as given), so the gateway and the executors inherit them as from a YAML file;
    * ``Flow.config_gateway(...)`` and the ``port``, ``protocol`` and ``host`` setters: the
      ``gateway:`` block;
    * each ``.add(...)`` and ``.needs(...)``: every argument Jina parsed that differs from
      Jina's default, hidden ones included (``env_from_secret``, ``image_pull_secrets``,
      ``volumes``, ``polling``, ``uses_with``, ``when``, ``gpus``, ...), and its ``needs``;
    * ``Deployment(...)``: every argument, and the ``port`` it keeps for its gateway.

    What cannot be honoured, or read back:

    * A Python class as ``uses`` (``.add(uses=MyExecutor)``): Kubernetes runs images, so this
      raises :class:`FlowError`, the refusal the command gives for ``uses: MyExecutor``, with
      :attr:`~FlowError.executor` naming the ``.add()`` call's executor. Build and push an image
      and pass ``uses="docker://..."`` (or a ``jinaai+docker://`` Hub executor).
    * An in-cluster executor's ``port``: Jina draws one at random when none is given, and the
      pod listens on Jina's fixed port anyway (as in ``jina export kubernetes``); it is read
      only for an ``external`` executor. ``port_monitoring`` is read when it is not one of
      Jina's random draws (it has no effect on Kubernetes either; a warning says so).
    * ``polling`` of a one-shard executor: Jina resets it to ``ANY`` when it builds the
      Deployment, so the object no longer holds it.
    * The order of ``needs``: Jina keeps a set; the list is written in the order the executors
      were added.
    * ``.inspect()`` executors are refused, as ``method: inspect`` is.

    Raises :class:`FlowError` for a Flow flowhelm refuses (located: a file's line and column,
    or the Jina call and argument) or a chart it cannot write, and ``TypeError`` for a `flow`
    of another type.
    """
    from pathlib import Path

    from . import _run

    out = Path(os.fspath(output_dir))
    _string("name", name)
    _string("chart_version", chart_version)
    with _run.source(flow) as src:
        if name is None and not src.is_users_file:
            name = os.path.basename(os.path.abspath(out))
        args = ["chart", src.path, "-o", str(out)]
        if name is not None:
            args += ["--name", name]
            src.parameters[name] = "name"
        if chart_version is not None:
            args += ["--chart-version", chart_version]
        if force:
            args.append("--force")
        _run.run(args, src, stacklevel=2)
    return out


def check(flow: FlowLike) -> dict[str, Any]:
    """The topology of `flow`, as ``flowhelm check --format json`` prints it: ``kind``,
    ``name``, ``gateway`` (replicas, protocols), ``executors`` (name, image, replicas, shards,
    polling, protocol, needs, ...), ``edges`` and the ``warnings``' messages.

    `flow` is what :func:`chart` takes, read the same way. Warnings are also issued as
    :class:`FlowWarning`; a refused Flow raises :class:`FlowError`.
    """
    import json

    from . import _run

    with _run.source(flow) as src:
        out = _run.run(["check", src.path, "--format", "json"], src, stacklevel=2)
    result: dict[str, Any] = json.loads(out)
    return result


def _string(parameter: str, value: Any) -> None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{parameter} must be a str, not {type(value).__name__}")


def __getattr__(attribute: str) -> Any:
    # Read on demand: importlib.metadata would cost every `import flowhelm` several milliseconds.
    if attribute == "__version__":
        from importlib.metadata import version

        return version("flowhelm")
    raise AttributeError(f"module 'flowhelm' has no attribute {attribute!r}")
