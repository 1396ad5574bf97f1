#!/usr/bin/env bash
# Installs what the project needs from package registries: uv, the locked packages, the web's
# front-end files.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v uv >/dev/null 2>&1 && ! python3 -m uv --version >/dev/null 2>&1; then
  echo "[bootstrap] installing uv"
  python3 -m pip install --quiet uv
fi
UV="uv"
command -v uv >/dev/null 2>&1 || UV="python3 -m uv"
$UV sync --frozen --quiet
# The web application's pinned front-end files (htmx, Pico CSS), from the npm registry.
if ! command -v npm >/dev/null 2>&1; then
  echo "[bootstrap] installing npm"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
fi
if [ ! -f services/web/node_modules/.package-lock.json ] \
  || ! cmp -s services/web/package-lock.json services/web/node_modules/.kasa-lock; then
  npm ci --prefix services/web --no-audit --no-fund --silent
  cp services/web/package-lock.json services/web/node_modules/.kasa-lock
fi
