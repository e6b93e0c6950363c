#!/usr/bin/env bash
# Create .venv with the right torch build (scripts/torch_source.sh), then the core and every first-party plugin (editable).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv with $("$PYTHON" --version)" >&2
    "$PYTHON" -m venv .venv
fi
mapfile -t torch_args < <(scripts/torch_source.sh)
if .venv/bin/python -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '${torch_args[0]#torch==}')" 2>/dev/null; then
    echo "setup: torch $(.venv/bin/python -c 'import torch; print(torch.__version__)') already installed" >&2
else
    echo "setup: installing torch (a CPU wheel is about 200 MB; this can take a few minutes)" >&2
    .venv/bin/python -m pip install -q --disable-pip-version-check "${torch_args[@]}"
fi
plugins=()
for project in plugins/*/pyproject.toml; do plugins+=(-e "$(dirname "$project")"); done
echo "setup: installing zoo-core and $((${#plugins[@]} / 2)) first-party plugins (editable)" >&2
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[plot,test]" "${plugins[@]}"
echo "setup: done; run the zoo as .venv/bin/zoo, or 'source .venv/bin/activate' and then zoo" >&2
