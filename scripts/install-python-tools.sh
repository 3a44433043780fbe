#!/usr/bin/env bash
# Installs what building, testing and linting the Python code needs (scripts/test-packaging,
# scripts/lint):
#   .tools/maturin   a virtualenv with maturin 1.16.0 (scripts/maturin-requirements.txt), which
#                    builds the wheel
#   .tools/ruff      a virtualenv with ruff 0.17.6 (scripts/ruff-requirements.txt), which formats
#                    and lints every Python file (scripts/lint)
#   the wheels of jina 3.34.0 and its dependencies (scripts/jina-requirements.txt; jcloud 0.3 is an
#   sdist, so setuptools and wheel come too, to build it) and of pytest
#   (scripts/pytest-requirements.txt), downloaded once into ~/.cache/flowhelm-tools/python-wheels,
#   from which scripts/test-packaging builds a fresh virtualenv for every run without the network.
# Every download is pinned by sha256; stamps name the requirement files they were made from, so a
# reused machine installs nothing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/flowhelm-tools"
mkdir -p "$tools" "$cache"

download() { # dir requirements...
  local dir=$1 req
  shift
  for req in "$@"; do
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --require-hashes \
      -r "$req" -d "$dir" >&2
  done
}

# A virtualenv at .tools/NAME holding the one tool pinned in scripts/NAME-requirements.txt,
# from wheels downloaded once into the cache.
tool_venv() { # name
  local name=$1 req venv stamp
  req="$root/scripts/$name-requirements.txt"
  venv="$tools/$name"
  stamp="$venv/.complete-$(sha256sum "$req" | cut -c1-16)"
  [ -f "$stamp" ] && return
  download "$cache/$name" "$req"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
    --require-hashes --no-index --find-links "$cache/$name" -r "$req" >&2
  "$venv/bin/$name" --version >/dev/null
  touch "$stamp"
}
tool_venv maturin
tool_venv ruff

# What pip builds jcloud's sdist with, offline, from the same directory (setup.py needs both).
build_pins="setuptools==84.2.1 --hash=sha256:ca140b45d5325a9478f880e351484f62fef15f336462e449ca0c03c873d589c2
wheel==0.48.0 --hash=sha256:3217dcc807155e45db462d7ef2431f5ddda0d7273b700d05a67b271ceb1287ab"
wheels="$cache/python-wheels"
test_reqs=("$root/scripts/jina-requirements.txt" "$root/scripts/pytest-requirements.txt")
wheels_stamp="$wheels/.complete-$(printf '%s' "$build_pins" | cat - "${test_reqs[@]}" | sha256sum | cut -c1-16)"
if [ ! -f "$wheels_stamp" ]; then
  build_req=$(mktemp)
  printf '%s\n' "$build_pins" >"$build_req"
  download "$wheels" "${test_reqs[@]}" "$build_req"
  rm -f "$build_req"
  touch "$wheels_stamp"
fi
