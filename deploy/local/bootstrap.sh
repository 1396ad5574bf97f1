#!/usr/bin/env bash
# Installs what the project needs from package registries: uv, then the locked packages.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v uv >/dev/null 2>&1 && ! python3 -m uv --version >/dev/null 2>&1; then
  echo "[bootstrap] installing uv"
  python3 -m pip install --quiet uv
fi
UV="uv"
command -v uv >/dev/null 2>&1 || UV="python3 -m uv"
$UV sync --frozen --quiet
