#!/usr/bin/env bash
# Set up, then run the whole test suite (core and plugins).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/python -m pytest "$@"
