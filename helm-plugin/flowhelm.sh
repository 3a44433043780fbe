#!/bin/sh
# The helm plugin's command: runs the flowhelm binary on PATH with the arguments helm passes on.
if ! command -v flowhelm >/dev/null 2>&1; then
  echo "helm flowhelm: no \`flowhelm\` command on PATH" >&2
  echo "  hint: install it: \`pip install\` the flowhelm wheel, or \`cargo install --path .\` in a flowhelm clone" >&2
  exit 127
fi
exec flowhelm "$@"
