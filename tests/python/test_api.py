"""The installed wheel: the `flowhelm` command, and `flowhelm.chart`/`check` on paths and YAML
text, their errors, warnings and parameters."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import flowhelm
from conftest import ROOT, assert_same_tree, cli, console_script, recorded, required_env
from flowhelm import FlowError, FlowWarning


def test_the_wheel_installs_the_native_command_and_a_typed_package() -> None:
    site = Path(sysconfig.get_paths()["purelib"])
    package = Path(flowhelm.__file__).parent
    assert package.parent == site, f"flowhelm imported from {package}, not the wheel"
    assert (package / "py.typed").is_file()
    # The command is the Rust binary itself (as ruff and uv ship), not a Python launcher.
    assert console_script().read_bytes()[:4] == b"\x7fELF"
    assert cli("--version").stdout == f"flowhelm {flowhelm.__version__}\n"
    cargo_version = re.search(r'^version = "(.+)"', (ROOT / "Cargo.toml").read_text(), re.M)
    assert cargo_version and flowhelm.__version__ == cargo_version.group(1)
    module = subprocess.run(
        [sys.executable, "-m", "flowhelm", "--version"], check=False, capture_output=True, text=True
    )
    assert module.stdout == f"flowhelm {flowhelm.__version__}\n"


def test_importing_flowhelm_imports_nothing_else() -> None:
    # Not Jina, not even typing or json: they come when a function runs
    # (docs/install.md: about 0.7 ms).
    code = (
        "import sys; before = set(sys.modules); import flowhelm; "
        "print(sorted(set(sys.modules) - before))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "['__future__', 'flowhelm', 'flowhelm._errors']\n"


def test_the_command_and_the_function_write_the_same_chart(tmp_path: Path) -> None:
    proc = cli("chart", "examples/summarizer.yml", "-o", str(tmp_path / "cli" / "summarizer"))
    assert proc.stdout.startswith("wrote chart summarizer 0.1.0 to ")
    path = flowhelm.chart(ROOT / "examples" / "summarizer.yml", tmp_path / "py" / "summarizer")
    assert path == tmp_path / "py" / "summarizer"
    assert_same_tree(tmp_path / "cli" / "summarizer", path)
    # A path given as text, and the YAML text itself (chart named after the directory).
    flowhelm.chart(str(ROOT / "examples" / "summarizer.yml"), tmp_path / "str" / "summarizer")
    assert_same_tree(path, tmp_path / "str" / "summarizer")
    text = (ROOT / "examples" / "summarizer.yml").read_text()
    flowhelm.chart(text, tmp_path / "text" / "summarizer")
    assert_same_tree(path, tmp_path / "text" / "summarizer")


def test_check_is_the_commands_topology() -> None:
    topology = flowhelm.check(ROOT / "examples" / "search.yml")
    assert topology == json.loads(cli("check", "--format", "json", "examples/search.yml").stdout)
    assert topology["kind"] == "Flow" and topology["name"] == "search"
    indexer = next(e for e in topology["executors"] if e["name"] == "indexer")
    assert (indexer["shards"], indexer["needs"]) == (2, ["text_encoder", "image_encoder"])


BAD = (
    "jtype: Flow\nexecutors:\n  - name: a\n    uses: docker://registry.example/a:1\n"
    "    replica: 2\n"
)


def test_errors_carry_the_commands_message_and_place(tmp_path: Path) -> None:
    flow = tmp_path / "flow.yml"
    flow.write_text(BAD)
    command = cli("check", str(flow), check=False)
    assert command.returncode == 2
    with pytest.raises(FlowError) as caught:
        flowhelm.check(flow)
    e = caught.value
    assert str(e) + "\n" == command.stderr
    assert (e.file, e.line, e.column, e.kind) == (str(flow), 5, 5, "input")
    assert (e.message, e.hint) == (
        "unknown key `replica` in an executor",
        "did you mean `replicas`?",
    )
    assert e.executor is None and e.document is None
    # YAML text: the same place, in "<string>".
    with pytest.raises(FlowError) as caught:
        flowhelm.chart(BAD, tmp_path / "chart")
    assert str(caught.value).startswith("<string>:5:5: error: unknown key `replica`")
    assert not (tmp_path / "chart").exists()
    # A file that is not there.
    with pytest.raises(FlowError) as caught:
        flowhelm.check(tmp_path / "missing.yml")
    assert caught.value.message == "no such file or directory"
    assert caught.value.origin == str(tmp_path / "missing.yml")


def test_warnings_go_through_the_warnings_module(tmp_path: Path) -> None:
    text = "jtype: Flow\njcloud:\n  retention_days: 7\nexecutors:\n  - uses: docker://registry.example/a:1\n"
    with pytest.warns(FlowWarning) as caught:
        flowhelm.check(text)
    [w] = caught
    assert (w.message.file, w.message.line, w.message.column) == ("<string>", 3, 3)
    assert str(w.message).startswith("<string>:3:3: warning: `jcloud.retention_days`")
    assert w.filename == __file__  # attributed to the caller's line


def test_chart_parameters(tmp_path: Path) -> None:
    flow = ROOT / "examples" / "search.yml"
    out = flowhelm.chart(flow, tmp_path / "c", name="demo", chart_version="1.2.3")
    assert 'name: "demo"' in (out / "Chart.yaml").read_text()
    assert 'version: "1.2.3"' in (out / "Chart.yaml").read_text()
    # A directory flowhelm did not write is kept, unless force=True.
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    with pytest.raises(FlowError):
        flowhelm.chart(flow, tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").exists()
    flowhelm.chart(flow, tmp_path / "mine", force=True)
    assert (tmp_path / "mine" / "Chart.yaml").exists()
    # Bad values name the parameter.
    with pytest.raises(FlowError) as caught:
        flowhelm.chart(flow, tmp_path / "v", chart_version="one")
    assert caught.value.origin == "chart_version"
    # The version parser's words are the cause, on a line of their own.
    assert caught.value.message == "`one` is not a SemVer 2 version"
    assert caught.value.causes == ["unexpected character 'o' while parsing major version number"]
    assert "\n  caused by: unexpected character 'o'" in str(caught.value)
    with pytest.raises(FlowError) as caught:
        flowhelm.chart(flow, tmp_path / "n", name="Not A Name")
    assert caught.value.origin == "name"
    assert "cannot be a chart name" in caught.value.message
    with pytest.raises(TypeError):
        flowhelm.chart(42, tmp_path / "x")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        flowhelm.chart(flow, tmp_path / "x", name=3)  # type: ignore[arg-type]


def test_the_module_docstring_example_runs_as_written(tmp_path: Path, monkeypatch) -> None:
    # The indented block after "::", up to the next unindented line.
    after = (flowhelm.__doc__ or "").split("::\n", 1)[1].splitlines()
    block = []
    for line in after:
        if line and not line.startswith("    "):
            break
        block.append(line[4:])
    code = "\n".join(block)
    assert len([line for line in block if line.strip()]) == 5, code
    printed = re.search(r"print\(.*\)\s+# (.*)", code)
    assert printed, code
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        _, caught = recorded(exec, code, {})
    assert out.getvalue().strip() == printed.group(1)
    assert (tmp_path / "charts" / "search" / "Chart.yaml").is_file()
    assert [w for w in caught if issubclass(w.category, FlowWarning)] == []
    assert os.listdir(tmp_path) == ["charts"]


def test_cargo_install_gives_the_same_command(tmp_path: Path) -> None:
    installed = required_env("FLOWHELM_CARGO_INSTALLED")  # `cargo install --path .`
    version = subprocess.run([installed, "--version"], capture_output=True, text=True, check=True)
    assert version.stdout == f"flowhelm {flowhelm.__version__}\n"
    subprocess.run(
        [installed, "chart", "examples/search.yml", "-o", str(tmp_path / "cargo" / "search")],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    cli("chart", "examples/search.yml", "-o", str(tmp_path / "wheel" / "search"))
    assert_same_tree(tmp_path / "cargo" / "search", tmp_path / "wheel" / "search")


def test_the_readme_python_example_runs_as_written(tmp_path: Path, monkeypatch) -> None:
    readme = (ROOT / "README.md").read_text()
    code = readme.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    _, caught = recorded(exec, code, {})
    assert [w for w in caught if issubclass(w.category, FlowWarning)] == []
    chart_yaml = (tmp_path / "charts" / "encoder" / "Chart.yaml").read_text()
    assert 'name: "encoder"' in chart_yaml
