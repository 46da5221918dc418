#!/usr/bin/env bash
# Set up, then lint and run the tests. Slow statistical suites run when CI=true or
# EGOV_SLOW=1 (CI sets it); otherwise they are deselected to keep the default run quick.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -f scripts/browser-deps.sh ]; then bash scripts/browser-deps.sh; fi
.venv/bin/ruff check simulation tests benchmarks setup.py
.venv/bin/ruff format --check simulation tests benchmarks setup.py
# The layer contract (.importlinter, docs/ARCHITECTURE.md): no upward imports, no cycles.
.venv/bin/lint-imports --no-cache
marker=(-m "not slow")
if [ "${CI:-}" = "true" ] || [ "${EGOV_SLOW:-}" = "1" ]; then marker=(); fi
# CI (or EGOV_WHEEL=1): build the wheel, install it in a clean venv, run it from elsewhere.
if [ "${CI:-}" = "true" ] || [ "${EGOV_WHEEL:-}" = "1" ]; then bash scripts/wheel-check.sh; fi
exec .venv/bin/python -m pytest "${marker[@]}" "$@"
