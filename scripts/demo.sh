#!/usr/bin/env bash
# Set up, train the default model on data the project generates itself, then run it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/zoo train lstm-classifier --out demo --force
.venv/bin/zoo run demo "the plot was dull but the acting was superb" "not a good film"
echo "next: .venv/bin/zoo list, .venv/bin/zoo run demo \"a sentence\" (or source .venv/bin/activate, then zoo ...)" >&2
