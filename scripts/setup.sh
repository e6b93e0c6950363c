#!/usr/bin/env bash
# Create .venv with the CPU build of torch, then the core and every first-party plugin (editable).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
# Pin the CPU wheel first: an unpinned torch would pull a multi-GB CUDA build.
.venv/bin/python -m pip install -q --disable-pip-version-check torch==2.13.0
plugins=()
for project in plugins/*/pyproject.toml; do plugins+=(-e "$(dirname "$project")"); done
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[plot,test]" "${plugins[@]}"
