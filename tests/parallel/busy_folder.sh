#!/bin/sh
# The run folder under mpirun: rank 0 alone holds the lock (a 2-rank job training on one
# folder runs, so rank 1 never trips over rank 0's lock); a second 2-rank job on the same
# folder exits 2 with exactly one "in use by pid N" line; SIGTERM to the first job's mpirun
# (forwarded to every rank) stops every rank at the same step with a checkpoint and a summary row.
# Exit 77 (skipped) without mpirun.
# usage: busy_folder.sh LONGNET_BINARY
longnet="$1"
if ! command -v mpirun >/dev/null 2>&1; then
  echo "SKIPPED: mpirun not found (install openmpi-bin, e.g. make deps)"; exit 77
fi
out=$(mktemp -d) || exit 1
bg=""
cleanup() { if [ -n "$bg" ]; then kill "$bg" 2>/dev/null; wait "$bg" 2>/dev/null; fi; rm -rf "$out"; }
trap cleanup EXIT
. "$(dirname "$0")/tiny_corpus.sh"
tiny_corpus "$out/corpus" || exit 1
tiny_model > "$out/tiny.yaml"
cat >> "$out/tiny.yaml" <<YAML
data: {train: [$out/corpus], cache_dir: $out/cache, seq_len: 64, val_fraction: 0.2}
train: {steps: 1000000, batch_size: 4, lr: 0.003, warmup_steps: 1, eval_every: 0, save_every: 0, out_dir: $out/run}
YAML
run() {  # run NP ARGS...: longnet train under mpirun
  np="$1"; shift
  mpirun --oversubscribe --allow-run-as-root -np "$np" --bind-to none "$longnet" train "$out/tiny.yaml" \
    --set parallel.sequence=2 -q --threads 1 "$@"
}
fail=0
# In the background as mpirun itself (not a subshell), so that $! is mpirun's pid.
mpirun --oversubscribe --allow-run-as-root -np 2 --bind-to none "$longnet" train "$out/tiny.yaml" \
  --set parallel.sequence=2 -q --threads 1 >"$out/first.log" 2>&1 &
bg=$!
n=0  # wait until the first job trains (its rank 0 holds the lock by then)
until grep -q '"kind": "train"' "$out/run/metrics.jsonl" 2>/dev/null; do
  n=$((n + 1))
  if [ $n -gt 600 ] || ! kill -0 "$bg" 2>/dev/null; then echo "FAIL: the first job never trained:"; cat "$out/first.log"; exit 1; fi
  sleep 0.1
done
run 2 >"$out/second.out" 2>"$out/second.err"
rc=$?
lines=$(grep -c "^longnet: error" "$out/second.err")
if [ "$rc" -ne 2 ] || [ "$lines" -ne 1 ] || ! grep -q "^longnet: error: run folder .* in use by pid [0-9]" "$out/second.err"; then
  echo "FAIL second job: exit $rc, $lines error line(s), expected exit 2 and one 'in use by pid N' line:"; cat "$out/second.err"; fail=1
else
  echo "ok second job: $(grep '^longnet: error' "$out/second.err")"
fi
kill -TERM "$bg"
wait "$bg"
bg=""
last=$(tail -n 1 "$out/run/metrics.jsonl")
if ! ls -d "$out/run"/step-* >/dev/null 2>&1 || ! echo "$last" | grep -q '"kind": "summary"'; then
  echo "FAIL: after SIGTERM the first job left no checkpoint or no summary row:"; cat "$out/first.log"; ls "$out/run"; fail=1
else
  echo "ok first job stopped by SIGTERM: $(ls -d "$out/run"/step-* | xargs -n1 basename | tr '\n' ' ')"
fi
if grep -q "^longnet: error" "$out/first.log"; then echo "FAIL: the first job reported an error:"; cat "$out/first.log"; fail=1; fi
exit $fail
