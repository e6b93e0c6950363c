#!/usr/bin/env bash
# The tinyshakespeare char-LM run of docs/lm-results.md: train (10 minutes), curve, sample, benchmark, report.
# Usage: bench/lm_heavy.sh [WORKDIR]   (run from the repository root; needs ../shared/data)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/lm-heavy}
mkdir -p "$work"
export ZOO_HOME=$work/home
date -u "+%Y-%m-%d %H:%M UTC" > "$work/start"
OMP_NUM_THREADS=1 timeout 900 .venv/bin/zoo train char-lstm-lm --data ../shared/data/tinyshakespeare/input.txt \
    --set training.max_minutes=10 --set training.epochs=40 --set training.lr=0.003 --out shakespeare-char --force \
    > "$work/train.log" 2>&1
.venv/bin/python bench/lm_curve.py shakespeare-char docs/lm-tinyshakespeare-curve.png --target 1.55
timeout 120 .venv/bin/zoo run shakespeare-char "ROMEO:" --max-tokens 500 --temperature 0.8 --seed 1 > "$work/sample.txt"
timeout 300 .venv/bin/python bench/bench_lm.py --reps 5 > "$work/bench.txt" 2>&1
.venv/bin/python bench/lm_report.py "$work"
