#!/usr/bin/env bash
# Install Debian's chromium for the browser tests (tests/test_browser*.py) when it is missing.
# No-op when `chromium` is already on PATH. Never uses `playwright install` (that downloads
# a browser build from a CDN); Playwright drives the distribution's chromium instead.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "browser-deps: chromium not found and apt-get is unavailable; install chromium with your package manager" >&2
  exit 1
fi
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo); else
    echo "browser-deps: chromium not found; run as root or install it: apt-get install chromium" >&2
    exit 1
  fi
fi
echo "browser-deps: installing Debian's chromium (apt-get)" >&2
"${SUDO[@]}" apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2
command -v chromium >/dev/null 2>&1 || { echo "browser-deps: chromium still not on PATH after install" >&2; exit 1; }
echo "browser-deps: $(chromium --version 2>/dev/null || echo chromium installed)" >&2
