"""The helm plugin (helm-plugin/) installs from its directory into real helm 3.17 and helm 4.3,
each with helm homes of its own, and `helm flowhelm ...` runs the installed flowhelm command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import flowhelm
from conftest import ROOT, assert_same_tree, cli, required_env

PLUGIN = ROOT / "helm-plugin"


@pytest.fixture(params=["FLOWHELM_HELM3", "FLOWHELM_HELM4"], ids=["helm3", "helm4"])
def helm(request, tmp_path: Path):
    """Runs the helm named by the parameter's variable, with data, config and cache homes in
    `tmp_path` (removed with it) and the virtualenv's `flowhelm` first on PATH."""
    binary = required_env(request.param)
    env = dict(os.environ)
    for var in ("HELM_DATA_HOME", "HELM_CONFIG_HOME", "HELM_CACHE_HOME"):
        env[var] = str(tmp_path / "helm" / var.lower())
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"

    def run(*args: str, path: str = env["PATH"]) -> subprocess.CompletedProcess:
        return subprocess.run(
            [binary, *args],
            env={**env, "PATH": path},
            cwd=ROOT,
            check=False,
            capture_output=True,
            text=True,
        )

    return run


def test_the_plugin_installs_and_charts(helm, tmp_path: Path) -> None:
    installed = helm("plugin", "install", str(PLUGIN))
    assert installed.returncode == 0, installed.stderr
    assert "Installed plugin: flowhelm" in installed.stdout
    listed = helm("plugin", "list")
    row = next(line.split() for line in listed.stdout.splitlines() if line.startswith("flowhelm"))
    assert row[1] == flowhelm.__version__  # plugin.yaml's version is the package's

    made = helm(
        "flowhelm", "chart", "examples/search.yml", "-o", str(tmp_path / "plugin" / "search")
    )
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("wrote chart search 0.1.0 to ")
    cli("chart", "examples/search.yml", "-o", str(tmp_path / "command" / "search"))
    assert_same_tree(tmp_path / "plugin" / "search", tmp_path / "command" / "search")

    # flowhelm's errors and exit status come through helm; helm's own flags stay helm's.
    bad = tmp_path / "bad.yml"
    bad.write_text("jtype: Flow\nexecutors:\n  - name: a\n    replica: 2\n")
    refused = helm("--debug", "flowhelm", "check", str(bad), "-n", "demo")
    assert refused.returncode == 2
    assert f"{bad}:4:5: error: unknown key `replica`" in refused.stderr

    # Without a flowhelm on PATH the plugin says how to get one.
    missing = helm("flowhelm", "--version", path="/usr/bin:/bin")
    assert missing.returncode == 127
    assert "no `flowhelm` command on PATH" in missing.stderr
