#!/usr/bin/env bash
# Installs the Azure Storage emulator (azurite@3.37.0, the version DESIGN.md measured) into
# .ci/azurite/ when it is missing; does nothing when it is already there. The Azure tests start
# .ci/azurite/node_modules/.bin/azurite-table themselves (or use COMET_AZURITE_TABLE_ENDPOINT).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.ci/azurite/node_modules/.bin/azurite-table
if [ ! -x "$bin" ]; then
  command -v npm >/dev/null 2>&1 || { echo "npm is missing: install Node.js (apt-get install -y nodejs npm) to run the Azure tests" >&2; exit 1; }
  mkdir -p .ci/azurite
  npm install --prefix .ci/azurite --no-audit --no-fund --loglevel=error azurite@3.37.0 >&2
fi
echo "$(pwd)/$bin"
