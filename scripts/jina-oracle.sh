#!/usr/bin/env bash
# Developer tool (not used by the tests): runs the real `jina export kubernetes` of jina 3.34.0 to
# produce reference cases under tests/fixtures/jina-reference/.
#
#   scripts/jina-oracle.sh install            # venv at $JINA_VENV (default ~/.cache/jina-oracle/venv)
#   scripts/jina-oracle.sh export CASE_DIR    # CASE_DIR/flow.yml -> CASE_DIR/{jina-out/,cmd.txt}
#
# export runs, inside CASE_DIR, in an empty environment (env -i) with
#   HOME=~/.cache/jina-oracle/home PATH=<venv>/bin:/usr/bin:/bin COLUMNS=200
#   HTTP(S)_PROXY / http(s)_proxy = http://127.0.0.1:9   (keeps Jina off the network: Docker Hub
#                                                          and Jina Hub calls fail fast)
#   JINA_GATEWAY_IMAGE=jinaai/jina:3.34.0-py311-standard
#   jina export kubernetes flow.yml jina-out --k8s-namespace demo
# Optional per-case files:
#   CASE_DIR/env   extra KEY=VALUE lines (blank lines and '#' comments ignored); a key set here
#                  replaces the default of the same name (e.g. JINA_GATEWAY_IMAGE)
#   CASE_DIR/args  words that replace `--k8s-namespace demo` (an empty file means: no extra args)
# A stale CASE_DIR/jina-out is removed first (Jina writes into an existing folder and never
# removes stale files). cmd.txt records the variables that matter and the command, on one line:
#   JINA_GATEWAY_IMAGE=... [KEY=VALUE ...] jina export kubernetes flow.yml jina-out [args]
# Jina's log is printed only with JINA_ORACLE_VERBOSE=1. On failure it is always printed, the
# partial jina-out is left for inspection, cmd.txt is not written, and the exit status is non-zero.
set -euo pipefail

JINA_VERSION=3.34.0
DEFAULT_GATEWAY_IMAGE=jinaai/jina:3.34.0-py311-standard
oracle_root="${XDG_CACHE_HOME:-$HOME/.cache}/jina-oracle"
venv="${JINA_VENV:-$oracle_root/venv}"
jina_home="$oracle_root/home"

usage() {
  sed -n '2,6p' "$0" >&2
  exit 2
}

install_jina() {
  local py=${PYTHON:-python3}
  if [ -x "$venv/bin/jina" ] && "$venv/bin/python" -c \
    "import importlib.metadata as m, sys; sys.exit(m.version('jina') != '$JINA_VERSION')" 2>/dev/null; then
    echo "jina $JINA_VERSION already installed in $venv"
    return 0
  fi
  mkdir -p "$oracle_root"
  "$py" -m venv "$venv"
  # pip 23.x (bundled with Python 3.11) gives ResolutionImpossible after backtracking through every
  # opentelemetry-* release; a recent pip resolves jina 3.34.0 without pins.
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  if ! "$venv/bin/python" -m pip install "jina==$JINA_VERSION"; then
    echo "unpinned install failed; retrying with the opentelemetry family pinned" >&2
    local cons
    cons=$(mktemp)
    cat >"$cons" <<'EOF'
opentelemetry-api==1.45.1
opentelemetry-sdk==1.45.1
opentelemetry-exporter-otlp==1.45.1
opentelemetry-exporter-otlp-proto-common==1.45.1
opentelemetry-exporter-otlp-proto-grpc==1.45.1
opentelemetry-exporter-otlp-proto-http==1.45.1
opentelemetry-exporter-prometheus==0.66b1
opentelemetry-instrumentation==0.66b1
opentelemetry-instrumentation-aiohttp-client==0.66b1
opentelemetry-instrumentation-fastapi==0.66b1
opentelemetry-instrumentation-grpc==0.66b1
opentelemetry-instrumentation-asgi==0.66b1
opentelemetry-semantic-conventions==0.66b1
opentelemetry-util-http==0.66b1
EOF
    "$venv/bin/python" -m pip install -c "$cons" "jina==$JINA_VERSION"
    rm -f "$cons"
  fi
  mkdir -p "$jina_home"
  "$venv/bin/python" -m pip freeze >"$oracle_root/jina-freeze.txt"
  echo "installed jina $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("jina"))') in $venv"
  echo "freeze: $oracle_root/jina-freeze.txt"
}

export_case() {
  local dir=$1
  [ -f "$dir/flow.yml" ] || { echo "no flow.yml in $dir" >&2; exit 2; }
  [ -x "$venv/bin/jina" ] || { echo "jina not installed: run $0 install" >&2; exit 2; }
  dir=$(cd "$dir" && pwd)
  mkdir -p "$jina_home"

  # Variables recorded in cmd.txt, in order; the env file may replace a default.
  local -a keys=(JINA_GATEWAY_IMAGE) vals=("$DEFAULT_GATEWAY_IMAGE")
  if [ -f "$dir/env" ]; then
    local line k v i found
    while IFS= read -r line || [ -n "$line" ]; do
      case "$line" in '' | '#'*) continue ;; esac
      case "$line" in *=*) ;; *) echo "bad line in $dir/env: $line" >&2; exit 2 ;; esac
      k=${line%%=*}
      v=${line#*=}
      found=0
      for i in "${!keys[@]}"; do
        if [ "${keys[i]}" = "$k" ]; then vals[i]=$v; found=1; fi
      done
      [ $found = 1 ] || { keys+=("$k"); vals+=("$v"); }
    done <"$dir/env"
  fi

  local -a args=(--k8s-namespace demo)
  if [ -f "$dir/args" ]; then
    # shellcheck disable=SC2207
    args=($(cat "$dir/args"))
  fi

  local -a assigns=()
  local i
  for i in "${!keys[@]}"; do assigns+=("${keys[$i]}=${vals[$i]}"); done

  local proxy=http://127.0.0.1:9
  rm -rf "$dir/jina-out"
  local log rc=0
  log=$(mktemp)
  (
    cd "$dir"
    env -i HOME="$jina_home" PATH="$venv/bin:/usr/local/bin:/usr/bin:/bin" COLUMNS=200 \
      HTTP_PROXY=$proxy HTTPS_PROXY=$proxy http_proxy=$proxy https_proxy=$proxy \
      "${assigns[@]}" \
      "$venv/bin/jina" export kubernetes flow.yml jina-out "${args[@]}"
  ) >"$log" 2>&1 || rc=$?
  if [ $rc != 0 ]; then
    cat "$log" >&2
    rm -f "$log"
    echo "jina export failed (exit $rc) for $dir" >&2
    exit $rc
  fi
  [ "${JINA_ORACLE_VERBOSE:-0}" = 1 ] && cat "$log" >&2
  rm -f "$log"
  printf '%s\n' "${assigns[*]} jina export kubernetes flow.yml jina-out${args[*]:+ ${args[*]}}" >"$dir/cmd.txt"
  echo "exported $dir"
}

case "${1:-}" in
  install) install_jina ;;
  export) [ $# = 2 ] || usage; export_case "$2" ;;
  *) usage ;;
esac
