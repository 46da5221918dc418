#!/usr/bin/env bash
# Set up, then run the main job: integration vs fragmentation on the default municipality
# scenario, 5 replications with common random numbers; prints the KPI table, writes the figure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/egov-sim compare --replications "${REPLICATIONS:-5}" --out "${OUT:-results/demo}" "$@"
