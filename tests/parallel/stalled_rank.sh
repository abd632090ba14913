#!/bin/sh
# No hangs (DESIGN §4, deadlines): a 3-rank training job whose rank 1 is stopped (SIGSTOP) after
# its first checkpoint ends within parallel.timeout_s + 30 s, non-zero, with exactly one
# "longnet: error:" line that names rank 1; the checkpoint it had written stays intact (its
# manifest verifies: `longnet eval` loads it). Exit 77 (skipped) without mpirun.
# usage: stalled_rank.sh LONGNET_BINARY
longnet="$1"
if ! command -v mpirun >/dev/null 2>&1; then
  echo "SKIPPED: mpirun not found (install openmpi-bin, e.g. make deps)"; exit 77
fi
out=$(mktemp -d) || exit 1
bg=""
cleanup() {
  if [ -n "$bg" ]; then
    for p in $(pgrep -P "$bg" 2>/dev/null); do kill -CONT "$p" 2>/dev/null; kill -KILL "$p" 2>/dev/null; done
    kill -KILL "$bg" 2>/dev/null; wait "$bg" 2>/dev/null
  fi
  rm -rf "$out"
}
trap cleanup EXIT
. "$(dirname "$0")/tiny_corpus.sh"
tiny_corpus "$out/corpus" || exit 1
timeout_s=6
tiny_model > "$out/tiny.yaml"
cat >> "$out/tiny.yaml" <<YAML
data: {train: [$out/corpus], cache_dir: $out/cache, seq_len: 48, val_fraction: 0.2}
train: {steps: 1000000, batch_size: 2, lr: 0.003, warmup_steps: 1, eval_every: 0, save_every: 5, out_dir: $out/run}
parallel: {sequence: 3, timeout_s: $timeout_s}
YAML
mpirun --oversubscribe --allow-run-as-root -np 3 --bind-to none "$longnet" train "$out/tiny.yaml" \
  -q --threads 1 >"$out/job.out" 2>"$out/job.err" &
bg=$!
n=0  # until the first checkpoint is written
until ls -d "$out/run"/step-* >/dev/null 2>&1; do
  n=$((n + 1))
  if [ $n -gt 1200 ] || ! kill -0 "$bg" 2>/dev/null; then echo "FAIL: the job never saved:"; cat "$out/job.err"; exit 1; fi
  sleep 0.1
done
victim=""
for p in $(pgrep -P "$bg"); do
  if tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=1"; then victim=$p; fi
done
if [ -z "$victim" ]; then echo "FAIL: no process of rank 1 among mpirun's children"; exit 1; fi
kill -STOP "$victim"
stopped=$(date +%s)
limit=$((timeout_s + 30))
while kill -0 "$bg" 2>/dev/null; do
  if [ $(($(date +%s) - stopped)) -gt $limit ]; then echo "FAIL: the job still runs $limit s after rank 1 stopped"; cat "$out/job.err"; exit 1; fi
  sleep 0.2
done
wait "$bg"; rc=$?
bg=""
took=$(($(date +%s) - stopped))
kill -CONT "$victim" 2>/dev/null; kill -KILL "$victim" 2>/dev/null
fail=0
lines=$(grep -c "^longnet: error" "$out/job.err")
if [ "$rc" -eq 0 ] || [ "$lines" -ne 1 ] || ! grep -q "^longnet: error: rank 1 went silent" "$out/job.err"; then
  echo "FAIL: exit $rc, $lines error line(s), expected non-zero and one 'rank 1 went silent' line:"; cat "$out/job.err"; fail=1
else
  echo "ok: exit $rc after $took s: $(grep '^longnet: error' "$out/job.err")"
fi
if grep -q "saving" "$out/job.err"; then echo "FAIL: a rank claimed to save:"; cat "$out/job.err"; fail=1; fi
last=$(ls -d "$out/run"/step-* | tail -n 1)
if ! grep -q "The last checkpoint, .*step-[0-9]*, is intact" "$out/job.err"; then
  echo "FAIL: the error line does not name the last checkpoint"; fail=1
fi
if ! "$longnet" eval --checkpoint "$last" -f "$out/corpus/doc0.txt" --threads 1 >"$out/eval.out" 2>&1; then
  echo "FAIL: the last checkpoint $last does not load:"; cat "$out/eval.out"; fail=1
else
  echo "ok: $(basename "$last") loads"
fi
exit $fail
