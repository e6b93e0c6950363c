#!/usr/bin/env bash
# Tagging experiments on CoNLL-2000 and rt-polarity (issue 4). Each run holds /tmp/zoo-heavy.lock,
# is bounded by training.max_minutes, and leaves results/tagging/NAME.json (test metrics + summary).
# Usage: bench/tagging_experiments.sh [final|compare|all]
#   FINAL_MINUTES (default 6) bounds the two final runs, CMP_MINUTES (default 2) each comparison run.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data}
export ZOO_HOME=${ZOO_HOME:-/tmp/bidir-home}
FINAL_MINUTES=${FINAL_MINUTES:-6}
CMP_MINUTES=${CMP_MINUTES:-2}
# Each run takes the heavy-job lock, unless the caller already holds it for the whole batch (LOCKED=1).
LOCK="flock /tmp/zoo-heavy.lock"
[[ ${LOCKED:-0} == 1 ]] && LOCK=""
mkdir -p results/tagging

run() {  # NAME ARCHITECTURE MINUTES ZOO-TRAIN-ARGS...
  local name=$1 arch=$2 minutes=$3; shift 3
  [[ -f results/tagging/$name.json ]] && { echo "== $name: done (delete results/tagging/$name.json to rerun)" >&2; return; }
  echo "== $name: zoo train $arch $* --set training.max_minutes=$minutes" >&2
  if [[ ! -f $ZOO_HOME/models/tag-$name.safetensors ]]; then  # a model left by an interrupted batch is kept
    $LOCK timeout $(( ${minutes%.*} * 60 + 240 )) \
      .venv/bin/zoo train "$arch" --out "tag-$name" --quiet --set training.max_minutes="$minutes" "$@" >&2
  fi
  .venv/bin/python bench/tagging_result.py "tag-$name" "$name" "$arch" "$minutes" "$*" > "results/tagging/$name.json"
}

conll=(--data "$DATA/conll2000/train.txt" --test "$DATA/conll2000/test.txt")
uni=(--set encoder.bidirectional=false)
what=${1:-all}
if [[ $what == final || $what == all ]]; then
  run pos-bilstm bilstm-tagger "$FINAL_MINUTES" "${conll[@]}" --label-field 1
  run chunk-bilstm-crf bilstm-crf-tagger "$FINAL_MINUTES" "${conll[@]}" --label-field 2
fi
if [[ $what == compare || $what == all ]]; then
  run cmp-chunk-lstm bilstm-tagger "$CMP_MINUTES" "${conll[@]}" --label-field 2 "${uni[@]}"
  run cmp-chunk-bilstm bilstm-tagger "$CMP_MINUTES" "${conll[@]}" --label-field 2
  run cmp-chunk-bilstm-crf bilstm-crf-tagger "$CMP_MINUTES" "${conll[@]}" --label-field 2
  run cmp-pos-lstm bilstm-tagger "$CMP_MINUTES" "${conll[@]}" --label-field 1 "${uni[@]}"
  run cmp-pos-bilstm bilstm-tagger "$CMP_MINUTES" "${conll[@]}" --label-field 1
  run cmp-polarity-lstm lstm-classifier "$CMP_MINUTES" --data "$DATA/rt-polarity"
  run cmp-polarity-bilstm bilstm-classifier "$CMP_MINUTES" --data "$DATA/rt-polarity"
fi
