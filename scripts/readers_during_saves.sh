#!/usr/bin/env bash
# Readers while `longnet train` saves every step with keep_last 1 (issue 20, point 1): TRIES
# readers, `eval -m RUN` and `generate -m RUN` in turn, load a run while it trains and prunes;
# every one must get a complete checkpoint. Exits 1 when any reader fails, printing its error.
# Takes about a minute on 2 cores; the bounded test is tests/reliability/test_readers_during_saves.cpp.
#
#   scripts/readers_during_saves.sh [LONGNET] [TRIES]     # defaults: build/longnet 50
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
longnet=$(realpath "${1:-$root/build/longnet}")
tries=${2:-50}
work=$(mktemp -d)
trainer=
cleanup() {
  [ -n "$trainer" ] && kill "$trainer" 2>/dev/null && wait "$trainer" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# A tiny model (a step takes milliseconds) on the repository's own prose.
mkdir -p "$work/corpus"
cp "$root/README.md" "$root/docs/DESIGN.md" "$work/corpus/"
cat >"$work/run.yaml" <<EOF
model:
  d_model: 32
  layers: 2
  heads: 2
  mlp_ratio: 2
attention:
  segments: [8, 16, 32]
  dilations: [1, 2, 4]
tokenizer:
  vocab_size: 600
data:
  train: [$work/corpus]
  cache_dir: $work/cache
  seq_len: 32
train:
  steps: 1000000
  batch_size: 2
  warmup_steps: 2
  eval_every: 0
  save_every: 1
  keep_last: 1
  out_dir: $work/run
EOF

"$longnet" train "$work/run.yaml" -q --threads 1 >"$work/train.log" 2>&1 &
trainer=$!
for _ in $(seq 600); do
  compgen -G "$work/run/step-*" >/dev/null && break
  kill -0 "$trainer" 2>/dev/null || { cat "$work/train.log"; exit 1; }
  sleep 0.1
done
compgen -G "$work/run/step-*" >/dev/null || { echo "readers: the trainer saved nothing in 60 s"; exit 1; }

failures=0
for i in $(seq "$tries"); do
  if [ $((i % 2)) -eq 1 ]; then
    cmd=(eval -m "$work/run" -f "$work/corpus/README.md" -c 32 -q --threads 1)
  else
    cmd=(generate -m "$work/run" -p "the" -n 8 -s 1 --threads 1)
  fi
  if ! "$longnet" "${cmd[@]}" >"$work/reader.log" 2>&1; then
    failures=$((failures + 1))
    echo "readers: try $i (${cmd[0]}) failed: $(grep -m1 'error' "$work/reader.log" || tail -1 "$work/reader.log")"
  fi
done
kill -0 "$trainer" 2>/dev/null || { echo "readers: the trainer stopped:"; cat "$work/train.log"; exit 1; }
newest=$(basename "$(ls -d "$work"/run/step-* | tail -1)")
echo "readers: $failures failures in $tries tries, while the trainer saved and pruned up to $newest"
[ "$failures" -eq 0 ]
