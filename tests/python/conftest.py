"""Shared helpers for the packaging tests (run by scripts/test-packaging, in a fresh virtualenv
holding the wheel just built, jina 3.34.0 and pytest)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def required_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        # Never skip: these tests run from scripts/test-packaging, which sets it.
        raise RuntimeError(f"{name} is not set: run these tests with scripts/test-packaging")
    return value


@pytest.fixture(autouse=True)
def _no_jina_image(monkeypatch: pytest.MonkeyPatch) -> None:
    # The gateway image comes from JINA_GATEWAY_IMAGE when set; the tests want the default.
    monkeypatch.delenv("JINA_GATEWAY_IMAGE", raising=False)


def console_script() -> Path:
    """The `flowhelm` command the wheel installed beside this interpreter."""
    return Path(sys.executable).parent / "flowhelm"


def cli(*args: str, cwd: Path = ROOT, check: bool = True) -> subprocess.CompletedProcess:
    """Runs the installed `flowhelm` command."""
    proc = subprocess.run(
        [str(console_script()), *args], cwd=cwd, check=False, capture_output=True, text=True
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"flowhelm {' '.join(args)} failed:\n{proc.stderr}")
    return proc


def cli_diagnostics(*args: str) -> list[dict]:
    """The diagnostics of a `flowhelm --message-format json` run, one dict each."""
    proc = cli("--message-format", "json", *args, check=False)
    return [json.loads(line) for line in proc.stderr.splitlines()]


def tree(directory: Path) -> dict[str, bytes]:
    """Every file under `directory`, by relative path."""
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def assert_same_tree(a: Path, b: Path) -> None:
    left, right = tree(a), tree(b)
    assert sorted(left) == sorted(right), (sorted(left), sorted(right))
    differing = [name for name in left if left[name] != right[name]]
    assert not differing, f"files differ between {a} and {b}: {differing}"
    assert len(left) > 5, f"{a} is not a chart: {sorted(left)}"


def recorded(fn, *args, **kwargs) -> tuple[object, list[warnings.WarningMessage]]:
    """`fn(*args, **kwargs)` and the warnings it issued."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn(*args, **kwargs)
    return result, list(caught)
