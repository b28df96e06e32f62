#!/usr/bin/env bash
# Installs Debian's chromium for the Playwright browser tests (Comet.Admin.Tests) when it is
# missing; does nothing when it is already there. Playwright drives it via ExecutablePath
# /usr/bin/chromium, so neither Playwright's browser download nor chromium-driver is needed.
set -euo pipefail
command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)
command -v chromium
