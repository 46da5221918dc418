#!/usr/bin/env bash
# Create .venv with a Python >= 3.12 and install the project with pinned dependencies.
# Python is looked up as: $EGOV_PYTHON, python3.13, python3.12, python3, python, then
# the versions under `pyenv root` (or ~/.pyenv). Re-running is cheap: it installs again only
# when pyproject.toml, setup.py or requirements/*.txt changed.
set -euo pipefail
cd "$(dirname "$0")/.."

ok_version() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; }

find_python() {
  if [ -n "${EGOV_PYTHON:-}" ]; then
    if ok_version "$EGOV_PYTHON"; then echo "$EGOV_PYTHON"; return 0; fi
    echo "setup: EGOV_PYTHON=$EGOV_PYTHON is not a Python >= 3.12" >&2; return 1
  fi
  for name in python3.13 python3.12 python3 python; do
    if command -v "$name" >/dev/null 2>&1 && ok_version "$(command -v "$name")"; then
      command -v "$name"; return 0
    fi
  done
  local roots=()
  if command -v pyenv >/dev/null 2>&1; then roots+=("$(pyenv root)"); fi
  roots+=("${PYENV_ROOT:-$HOME/.pyenv}")
  for root in "${roots[@]}"; do
    for candidate in $(ls -d "$root"/versions/3.* 2>/dev/null | sort -t. -k2,2nr -k3,3nr); do
      if [ -x "$candidate/bin/python" ] && ok_version "$candidate/bin/python"; then
        echo "$candidate/bin/python"; return 0
      fi
    done
  done
  echo "setup: no Python >= 3.12 found (tried \$EGOV_PYTHON, python3.13, python3.12, python3, python and pyenv's versions). Install one, or point EGOV_PYTHON at it." >&2
  return 1
}

VENV=.venv
extras="${EGOV_EXTRAS:-dev}"
stamp_src=$(cat pyproject.toml setup.py requirements/*.txt | sha1sum | cut -c1-16)
stamp="$VENV/.installed-$stamp_src-${extras//,/_}"
# Byte-code for the package, as pip writes it for an installed wheel: without it (here
# PYTHONDONTWRITEBYTECODE is often set) every command compiles its modules anew (about
# 0.1 s). Python checks each file's time stamp, so an edited module is never run stale.
compile_package() {
  "$VENV/bin/python" -m compileall -q simulation >&2 ||
    echo "setup: could not write the byte-code (a read-only checkout?); commands start slower" >&2
}
if [ -x "$VENV/bin/python" ] && ok_version "$VENV/bin/python" && [ -f "$stamp" ]; then
  compile_package
  exit 0
fi
PY=$(find_python)
echo "setup: using $PY ($("$PY" --version 2>&1))" >&2
if ! { [ -x "$VENV/bin/python" ] && ok_version "$VENV/bin/python"; }; then
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  -c requirements/constraints.txt -e ".[$extras]" >&2
rm -f "$VENV"/.installed-*
touch "$stamp"
compile_package
echo "setup: .venv ready" >&2
