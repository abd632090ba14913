#!/bin/sh
# The launch errors of the CLI under mpirun: a world that is not a multiple of
# parallel.sequence, and a sequence that does not split, each exit 2 with exactly one
# "longnet: error:" line (printed by rank 0 only). Exit 77 (skipped) without mpirun.
# usage: bad_grid.sh LONGNET_BINARY SOURCE_DIR
longnet="$1"; src="$2"
if ! command -v mpirun >/dev/null 2>&1; then
  echo "SKIPPED: mpirun not found (install openmpi-bin, e.g. make deps)"; exit 77
fi
out=$(mktemp -d) || exit 1
trap 'rm -rf "$out"' EXIT
fail=0
check() {  # check NAME EXPECTED-TEXT NP ARGS...
  name="$1"; want="$2"; np="$3"; shift 3
  mpirun --oversubscribe --allow-run-as-root -np "$np" --bind-to none "$longnet" train "$src/configs/default.yaml" \
    --set train.out_dir="$out/run" -q --threads 1 "$@" >"$out/stdout" 2>"$out/stderr"
  rc=$?
  lines=$(grep -c "^longnet: error" "$out/stderr")
  if [ "$rc" -ne 2 ] || [ "$lines" -ne 1 ] || ! grep -q "$want" "$out/stderr"; then
    echo "FAIL $name: exit $rc, $lines error line(s), expected exit 2 and one line with '$want':"; cat "$out/stderr"
    fail=1
  else
    echo "ok $name: $(grep '^longnet: error' "$out/stderr")"
  fi
  if [ -e "$out/run" ]; then echo "FAIL $name: the run directory was created"; fail=1; fi
}
check "world of 3, parallel.sequence 2" "is not a multiple of parallel.sequence (2)" 3 --set parallel.sequence=2
check "segment that does not split" "attention.segments\[0\] = 96" 2 --set parallel.sequence=2 \
  --set "attention.segments=[96,256,512]" --set data.seq_len=512
exit $fail
