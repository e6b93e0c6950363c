#!/usr/bin/env bash
# Print the pip arguments that install torch for this machine, one a line; a note goes to stderr.
#   NVIDIA GPU (nvidia-smi works): the default build from PyPI (CUDA).
#   No NVIDIA GPU: the CPU build from PyTorch's CPU wheel index (the default PyPI build is multi-GB CUDA).
# Overrides: ZOO_TORCH=cpu|cuda picks the build; ZOO_TORCH_INDEX=URL names the index to use.
set -euo pipefail
VERSION=${ZOO_TORCH_VERSION:-2.13.0}
CPU_INDEX=https://download.pytorch.org/whl/cpu
kind=${ZOO_TORCH:-}
if [ -z "$kind" ]; then
    if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then kind=cuda; else kind=cpu; fi
fi
case "$kind" in
    cuda) index=${ZOO_TORCH_INDEX:-} ;;
    cpu) index=${ZOO_TORCH_INDEX:-$CPU_INDEX} ;;
    *) echo "setup: ZOO_TORCH=$kind: give cpu or cuda" >&2; exit 2 ;;
esac
reachable() {  # python, not curl: every machine that runs setup has it
    "${PYTHON:-python3}" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)" "$1/" >/dev/null 2>&1
}
if [ -n "$index" ] && [ -z "${ZOO_TORCH_INDEX:-}" ] && ! reachable "$index"; then
    # Offline or a closed network: the wheels pip already knows (a local wheel folder, a cache) will do.
    echo "setup: $index is not reachable; installing torch $VERSION from the indexes pip is configured with" >&2
    index=""
fi
echo "setup: torch $VERSION, $kind build${index:+, from $index}" >&2
echo "torch==$VERSION"
if [ -n "$index" ]; then
    echo "--index-url"
    echo "$index"
    echo "--extra-index-url"
    echo "https://pypi.org/simple"
fi
