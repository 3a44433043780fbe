"""Running the `flowhelm` binary this package was installed with, and turning what it reports
(one JSON object per diagnostic, `--message-format json`) into `FlowError` and warnings."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import subprocess
import sysconfig
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ._errors import FlowError, FlowWarning
from ._yaml import Document

# Flags the Python API sets from its keyword arguments: a diagnostic about one names the argument.
_PARAMETER_OF_FLAG = {"--name": "name", "--chart-version": "chart_version"}


@functools.cache
def binary() -> str:
    """The `flowhelm` executable installed from the same wheel as this package: in the scripts
    directory of the install scheme whose library directory holds the package (a virtualenv,
    the system, `pip install --user`), else the first `flowhelm` on PATH."""
    exe = "flowhelm.exe" if os.name == "nt" else "flowhelm"
    here = Path(__file__).resolve().parent.parent
    for scheme in sysconfig.get_scheme_names():
        try:
            paths = sysconfig.get_paths(scheme)
        except KeyError:
            continue
        libs = {Path(paths[k]).resolve() for k in ("purelib", "platlib") if k in paths}
        candidate = Path(paths.get("scripts", "")) / exe
        if here in libs and candidate.is_file():
            return str(candidate)
    found = shutil.which(exe)
    if found:
        return found
    raise FlowError(
        "the flowhelm binary is not installed beside the flowhelm package",
        hint="reinstall the wheel (`pip install --force-reinstall flowhelm-*.whl`)",
        kind="internal",
    )


class Source:
    """The Flow handed to the binary: a file of the user's, their YAML text, or the document
    built from a Jina object, written to a temporary file."""

    def __init__(self, path: str, *, file: str | None, document: Document | None = None):
        self.path = path  # what the binary reads
        self.file = file  # what errors name: the user's path, "<string>", or None for an object
        self.document = document
        # Flags and values the binary may name, as the API's parameters: `--name` is `name`.
        self.parameters = dict(_PARAMETER_OF_FLAG)

    @property
    def is_users_file(self) -> bool:
        return self.path == self.file

    def place(self, line: int | None) -> dict[str, Any]:
        """Where in the Jina object the document's `line` came from: the call, its keyword
        argument and, for an executor, its name."""
        assert self.document is not None
        fields: dict[str, Any] = {"document": self.document.text(), "origin": self.document.owner}
        where = self.document.where(line)
        if where is not None:
            call, argument, fields["executor"] = where
            fields["argument"] = argument
            # `Flow.add(name='enc')` and `uses` make `Flow.add(name='enc', uses=...)`.
            if argument != "name":
                sep = ", " if not call.endswith("()") else ""
                call = f"{call[:-1]}{sep}{argument}=...)"
            fields["origin"] = call
        return fields


@contextlib.contextmanager
def source(flow: Any) -> Iterator[Source]:
    """The Flow as a file the binary can read, for as long as the block runs."""
    from . import _jina

    if isinstance(flow, os.PathLike):
        yield Source(os.fspath(flow), file=os.fspath(flow))
        return
    if isinstance(flow, str) and "\n" not in flow:
        yield Source(flow, file=flow)
        return
    if isinstance(flow, str):
        text, document, file = flow, None, "<string>"
    elif _jina.is_jina_object(flow):
        document = _jina.document(flow)
        text, file = document.text(), None
    else:
        raise TypeError(
            "flow must be a jina.Flow, a jina.Deployment, a path or YAML text, "
            f"not {type(flow).__name__}"
        )
    with tempfile.TemporaryDirectory(prefix="flowhelm-") as tmp:
        path = os.path.join(tmp, "flow.yml")
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        yield Source(path, file=file, document=document)


def _fields(diagnostic: dict[str, Any], src: Source) -> dict[str, Any]:
    """FlowError/FlowWarning fields of one diagnostic: its place said in the caller's terms."""
    fields: dict[str, Any] = {
        "hint": diagnostic.get("hint"),
        "causes": list(diagnostic.get("causes") or ()),
        "line": diagnostic.get("line"),
        "column": diagnostic.get("column"),
    }
    origin = diagnostic.get("origin")
    if not isinstance(origin, dict):
        return fields
    kind, name = origin.get("kind"), origin.get("name")
    if kind in ("flag", "value") and name in src.parameters:
        fields["origin"] = src.parameters[name]
    elif kind == "file" and name == src.path and src.document is not None:
        fields.update(src.place(fields["line"]))
    elif kind == "file" and name == src.path:
        fields["origin"] = fields["file"] = src.file
    else:
        fields["origin"] = name
        if kind == "file":
            fields["file"] = name
    return fields


def run(args: list[str], src: Source, *, stacklevel: int) -> str:
    """Runs `flowhelm ARGS`, warns for each warning and raises the error, if any; returns
    stdout."""
    proc = subprocess.run(
        [binary(), "--message-format", "json", *args],
        stdin=subprocess.DEVNULL,
        check=False,
        capture_output=True,
        encoding="utf-8",
        errors="replace",
    )
    errors: list[dict[str, Any]] = []
    other: list[str] = []
    for line in proc.stderr.splitlines():
        try:
            diagnostic = json.loads(line)
        except ValueError:
            other.append(line)
            continue
        if not isinstance(diagnostic, dict) or "severity" not in diagnostic:
            other.append(line)
        elif diagnostic["severity"] == "warning":
            fields = _fields(diagnostic, src)
            warnings.warn(
                FlowWarning(diagnostic.get("message", ""), **fields), stacklevel=stacklevel + 1
            )
        else:
            errors.append(diagnostic)
    if proc.returncode == 0:
        return proc.stdout
    kind = "input" if proc.returncode == 2 else "internal"
    if errors:
        diagnostic = errors[-1]
        raise FlowError(diagnostic.get("message", ""), kind=kind, **_fields(diagnostic, src))
    # Not one of flowhelm's diagnostics (a usage error, a crash): say what the binary said.
    text = "\n".join(other).strip() or f"flowhelm exited with status {proc.returncode}"
    raise FlowError(text, kind="internal")
