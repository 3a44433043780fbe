"""The Flow document of a `jina.Flow` or `jina.Deployment` object, from the object's own arguments.

`Flow.save_config()` is lossy for Kubernetes: it leaves out the arguments Jina hides from its help
(`env_from_secret`, `image_pull_secrets`) and writes the random ports Jina drew for every executor
and the gateway as if the user had chosen them. This module reads what Jina keeps instead:

* the Flow's own arguments (`Flow(...)`): `flow.args` (the Flow parser's keys, compared with that
  parser's defaults) and `flow._common_kwargs` (every other keyword, as given), written to `with:`;
* the gateway's (`Flow.config_gateway(...)`, `flow.port = ...`): `flow._gateway_kwargs`, as given,
  written to `gateway:` where they differ from what `with:` already hands down;
* each `.add()`: the argparse namespace Jina parsed it into (`flow._deployment_nodes[name].args`),
  compared with the Deployment parser's defaults, and its `needs`;
* a `Deployment(...)`: its namespace, and the `port` it keeps for its own gateway.

Values are written as Jina parsed them (enums by name, a Python class by its name, as Jina's
`kwargs2list` passes it). What cannot be read back is said in `flowhelm.chart`'s docstring.
"""

from __future__ import annotations

import enum
import functools
import json
import os
from typing import Any

from ._yaml import Document, plain_key

# Arguments the Flow or the Deployment sets itself, never the user: its role in the graph, the
# start-up mode of a local Flow, and a random UUID.
_SET_BY_JINA = {"deployment_role", "noblock_on_start", "workspace_id"}

# Addresses a Deployment with shards fills in for its head's sidecars, over anything given.
_SIDECAR_ADDRESS = {"uses_before_address": "uses_before", "uses_after_address": "uses_after"}

# Roles `.add()` does not give: `.needs()` adds a JOIN, `.inspect()` the others (which Kubernetes
# cannot run; the binary refuses `method: inspect`, located at the entry).
_METHOD_OF_ROLE = {
    "JOIN": "needs",
    "INSPECT": "inspect",
    "INSPECT_AUX_PASS": "inspect",
    "JOIN_INSPECT": "inspect",
}


def plain(value: Any) -> Any:
    """`value` as YAML can hold it, the way Jina passes it on (`ArgNamespace.kwargs2list`)."""
    if isinstance(value, enum.Enum):
        return value.name
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {plain_key(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, type):
        return value.__name__
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return str(value)


@functools.cache
def _parsers() -> dict[str, Any]:
    # Building a Jina parser draws random ports from Jina's pool: once per process is enough.
    from jina.parsers import set_deployment_parser
    from jina.parsers.flow import set_flow_parser

    deployment = set_deployment_parser()
    flow = set_flow_parser()
    return {
        "deployment": deployment,
        "deployment_defaults": vars(deployment.parse_args([])),
        "flow": flow,
        "flow_defaults": vars(flow.parse_args([])),
    }


def _dest(parser: Any, key: str) -> str:
    """The argparse dest a keyword names (`protocols` is `protocol`)."""
    option = "--" + key.replace("_", "-")
    for action in parser._actions:
        if option in action.option_strings:
            return str(action.dest)
    return key


def _random_ports() -> set[int]:
    # Every port Jina drew at random (argparse defaults, `random_port()`) is in this set, so a
    # port found there is not one the user chose.
    from jina import helper

    return set(getattr(helper, "assigned_ports", ()))


def _executor_args(
    args: Any, inherited: dict[str, Any], external_port: Any = None
) -> list[tuple[str, Any]]:
    """The arguments of one Deployment that differ from Jina's defaults and from what the
    Flow's `with:` hands down, in the parser's order."""
    p = _parsers()
    defaults = p["deployment_defaults"]
    random_ports = _random_ports()
    out = []
    for dest, default in defaults.items():
        if dest in _SET_BY_JINA or dest == "name" or not hasattr(args, dest):
            continue
        value = getattr(args, dest)
        if dest == "port":
            # In the cluster an executor listens on Jina's fixed port; only an external one's
            # address matters, and Jina drew a random default for every other.
            if not args.external:
                continue
            if external_port is not None:
                value = external_port
            if isinstance(value, list) and len(value) == 1:
                value = value[0]
        elif dest == "port_monitoring":
            ports = value if isinstance(value, list) else [value]
            if all(port in random_ports for port in ports):
                continue
        elif plain(value) == plain(default) or (
            dest in _SIDECAR_ADDRESS and _sets_sidecar(args, _SIDECAR_ADDRESS[dest])
        ):
            continue
        if dest == "polling":
            value = _polling(value)
        if dest in inherited and plain(value) == plain(inherited[dest]):
            continue
        out.append((dest, plain(value)))
    return out


def _sets_sidecar(args: Any, sidecar: str) -> bool:
    return getattr(args, "shards", 1) > 1 and getattr(args, sidecar, None) not in (
        None,
        "BaseExecutor",
    )


def _polling(value: Any) -> Any:
    """`polling` as given: Jina turns a per-endpoint dict into its JSON text (the argument is a
    string, read back by the head), so that text is read back here too."""
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        if isinstance(parsed, dict):
            return parsed
    return value


def _flow_with(flow: Any) -> list[tuple[str, Any]]:
    p = _parsers()
    out = []
    for dest, default in p["flow_defaults"].items():
        if dest == "workspace_id" or not hasattr(flow.args, dest):
            continue
        value = getattr(flow.args, dest)
        if plain(value) != plain(default):
            out.append((dest, plain(value)))
    for key, value in flow._common_kwargs.items():
        if value is not None:  # Jina passes no argument for None
            out.append((key, plain(value)))
    return out


def _inherited(flow: Any) -> dict[str, Any]:
    """What each `.add()` took from `Flow(...)`, parsed as the executor's own arguments are."""
    from jina.helper import ArgNamespace
    from jina.orchestrate.flow.base import EXECUTOR_ARGS_BLACKLIST

    p = _parsers()
    given = {
        k: v
        for k, v in flow._common_kwargs.items()
        if k not in EXECUTOR_ARGS_BLACKLIST and v is not None
    }
    parsed = vars(ArgNamespace.kwargs2namespace(given, p["deployment"]))
    out = {}
    for key in given:
        dest = _dest(p["deployment"], key)
        if dest in parsed:
            out[dest] = parsed[dest]
    # The Flow's own log_config and workspace reach every `.add()` that sets none.
    out["log_config"] = flow.args.log_config
    if flow.args.workspace is not None:
        out["workspace"] = os.path.abspath(flow.args.workspace)
    return out


def _call(function: str, name: str) -> str:
    return f"{function}(name={name!r})"


def flow_document(flow: Any) -> Document:
    """The `jtype: Flow` document of a `jina.Flow`."""
    from jina.helper import GATEWAY_NAME

    doc = Document("Flow()")
    doc.raw("jtype: Flow")
    with_args = _flow_with(flow)
    if with_args:
        doc.raw("with:")
        for key, value in with_args:
            doc.entry(key, value, "  ", ("Flow()", key, None))
    common = {k: plain(v) for k, v in with_args}
    gateway = [
        (k, plain(v))
        for k, v in flow._gateway_kwargs.items()
        if v is not None and (k not in common or common[k] != plain(v))
    ]
    if gateway:
        doc.raw("gateway:")
        for key, value in gateway:
            doc.entry(key, value, "  ", ("Flow.config_gateway()", key, None))
    nodes = [(n, d) for n, d in flow._deployment_nodes.items() if n != GATEWAY_NAME]
    rank = {n: i for i, n in enumerate([GATEWAY_NAME] + [n for n, _ in nodes])}
    inherited = _inherited(flow)
    doc.raw("executors:" if nodes else "executors: []")
    for name, deployment in nodes:
        role = getattr(deployment.args, "deployment_role", None)
        method = _METHOD_OF_ROLE.get(getattr(role, "name", ""))
        call = _call(f"Flow.{method or 'add'}", name)
        doc.entry("- name", name, "", (call, "name", name))
        if method:
            doc.entry("method", method, "  ", (call, "name", name))
        # `needs` is a set in Jina; it is written in the order the executors were added.
        needs = sorted(deployment.needs, key=lambda n: (rank.get(n, len(rank)), n))
        doc.entry("needs", needs, "  ", (call, "needs", name))
        external_port = getattr(deployment, "_gateway_kwargs", {}).get("port")
        for key, value in _executor_args(deployment.args, inherited, external_port):
            doc.entry(key, value, "  ", (call, key, name))
    return doc


def deployment_document(deployment: Any) -> Document:
    """The `jtype: Deployment` document of a `jina.Deployment`."""
    name = deployment.args.name
    call = _call("Deployment", name)
    doc = Document(call)
    doc.raw("jtype: Deployment")
    doc.raw("with:")
    doc.entry("name", name, "  ", (call, "name", name))
    # Given to a Deployment, `port` and `ports` are its gateway's; Jina keeps them apart.
    own = dict(getattr(deployment, "_gateway_kwargs", {}))
    for key in ("port", "ports"):
        if own.get(key) is not None:
            doc.entry(key, plain(own[key]), "  ", (call, key, name))
    for key, value in _executor_args(deployment.args, {}):
        if key != "port":
            doc.entry(key, value, "  ", (call, key, name))
    return doc


def document(obj: Any) -> Document:
    """The Flow document of a `jina.Flow` or `jina.Deployment`."""
    from jina import Deployment, Flow

    if isinstance(obj, Flow):
        return flow_document(obj)
    if isinstance(obj, Deployment):
        return deployment_document(obj)
    raise TypeError(f"not a jina.Flow or jina.Deployment: {type(obj).__name__}")


def is_jina_object(obj: Any) -> bool:
    """Whether `obj` is a Jina Flow or Deployment (or of a subclass), without importing Jina
    when it is not."""
    modules = (getattr(c, "__module__", "") or "" for c in type(obj).__mro__)
    if not any(m == "jina" or m.startswith("jina.") for m in modules):
        return False
    from jina import Deployment, Flow

    return isinstance(obj, (Flow, Deployment))
