#!/usr/bin/env bash
# Build the sdist and the wheel (the wheel from the sdist, as pip would), install the wheel
# with the core dependencies only (pinned by requirements/runtime.txt) into a clean venv,
# and run the shipped scenarios and experiments from an unrelated folder. CI runs this
# (scripts/test.sh with CI=true); pip's cache makes the install quick after the first time.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
PY=.venv/bin/python
tmp=$(mktemp -d "${TMPDIR:-/tmp}/egov-wheel.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
step() { echo "wheel-check: $*" >&2; }

step "building sdist and wheel"
if ! "$PY" -m build --outdir "$tmp/dist" . >"$tmp/build.log" 2>&1; then
  cat "$tmp/build.log" >&2; exit 1
fi
if grep -iE "deprecat|SetuptoolsWarning|BuildBackendWarning" "$tmp/build.log" >&2; then
  step "FAILED: the build emits warnings (above)"; exit 1
fi
wheel=$(ls "$tmp"/dist/*.whl)
sdist=$(ls "$tmp"/dist/*.tar.gz)
in_sdist=$(tar tzf "$sdist" | cut -d/ -f2-)
for f in LICENSE CITATION.cff CHANGELOG.md tests/conftest.py scenarios/ experiments/ data/ docs/ \
  $(cd "$REPO" && ls scenarios/*.toml experiments/*.toml data/*); do
  grep -qxF "$f" <<<"$in_sdist" || { step "FAILED: the sdist lacks $f"; exit 1; }
done
in_wheel=$("$PY" -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$wheel")
for f in $(cd "$REPO" && ls scenarios/*.toml experiments/*.toml data/*); do
  grep -qxF "simulation/_data/$f" <<<"$in_wheel" || { step "FAILED: the wheel lacks simulation/_data/$f"; exit 1; }
done
grep -qx "egov_sim-.*dist-info/licenses/LICENSE" <<<"$in_wheel" || { step "FAILED: no LICENSE in the wheel"; exit 1; }
grep -qx "simulation/py.typed" <<<"$in_wheel" || { step "FAILED: no py.typed in the wheel"; exit 1; }

step "installing $(basename "$wheel") (core only) into a clean venv"
"$PY" -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check -c requirements/runtime.txt "$wheel" >&2
for heavy in solara ipykernel distributed; do
  if "$tmp/venv/bin/python" -c "import importlib.util as u, sys; sys.exit(u.find_spec('$heavy') is None)"; then
    step "FAILED: the core install pulled in $heavy"; exit 1
  fi
done

mkdir "$tmp/elsewhere"
cd "$tmp/elsewhere"
export MPLBACKEND=Agg TQDM_DISABLE=1
sim="$tmp/venv/bin/egov-sim"
step "running from $PWD"
"$sim" --version
listing=$("$sim" scenarios)
for f in "$REPO"/scenarios/*.toml; do
  name=$(basename "$f" .toml)
  grep -q "^$name " <<<"$listing" || { step "FAILED: 'egov-sim scenarios' does not list $name"; exit 1; }
done
"$sim" run municipality_building_housing --set citizens.count=2000 --steps 24 --out out/run >/dev/null
test -s out/run/adoption.png -a -s out/run/kpis.json
"$sim" compare --replications 2 --citizens 1000 --out out/compare >/dev/null
test -s out/compare/comparison.csv
"$sim" sweep service_model_x_rollout --quick --workers 2 --out out/sweep >/dev/null
test -s out/sweep/kpis.parquet
"$sim" calibrate --method grid --bootstrap 50 --out out/calibrate >/dev/null
# Without the [calibrate] extra, the ABC calibration says what to install (exit 2).
if "$sim" calibrate --quick --out out/abc 2>out/abc.err; then echo "calibrate ran without pyabc" >&2; exit 1; fi
grep -q "egov-sim\[calibrate\]" out/abc.err
test -s out/calibrate/img/validation/calibration.png
"$sim" validate-patterns --quick --patterns 1 --workers 2 --out out/patterns >/dev/null
test -s out/patterns/VALIDATION.md
# Without the extras, their commands say which extra to install (exit 2, no traceback).
set +e
"$sim" serve >/dev/null 2>"$tmp/err"; rc=$?
set -e
[ "$rc" = 2 ] && grep -q "egov-sim\[app\]" "$tmp/err" || { cat "$tmp/err" >&2; step "FAILED: serve without [app]"; exit 1; }
set +e
"$sim" sweep service_model_x_rollout --quick --cluster local --out out/dask >/dev/null 2>"$tmp/err"; rc=$?
set -e
[ "$rc" = 2 ] && grep -q "egov-sim\[dask\]" "$tmp/err" || { cat "$tmp/err" >&2; step "FAILED: --cluster without [dask]"; exit 1; }
step "OK: the installed wheel runs the shipped scenarios and experiments from any folder"
