#!/bin/sh
# Weak scaling as scripts/weak_scaling.sh measures it (DESIGN §4): at 2048 tokens per rank and
# P = 1, 2, 4, 8 (oversubscribed), the last rank of the sequence receives exactly
# (P - 1)/P * 512 KiB per attention layer forward in log2 P messages (2 * H * (l/r) * D * 4 bytes
# a piece, l/r = 256/P, H = 4, D = 64), and a training step's memory estimate per rank is the
# same at every P > 1. Times are not checked (they mean nothing on a shared, oversubscribed box).
# Exit 77 (skipped) without mpirun. usage: weak_scaling.sh LONGNET_BINARY SOURCE_DIR
longnet="$1"; src="$2"
if ! command -v mpirun >/dev/null 2>&1; then
  echo "SKIPPED: mpirun not found (install openmpi-bin, e.g. make deps)"; exit 77
fi
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
sh "$src/scripts/weak_scaling.sh" "$longnet" 2048 1 >"$out" 2>&1 || { echo "FAIL: the script failed:"; cat "$out"; exit 1; }
# The table's rows: | P | T | ... | bytes recv fwd (6) | messages recv fwd (7) | ... | train estimate per rank (15) |
awk -F'|' '
  /^\| [0-9]/ {
    P = $2 + 0; bytes = $7 + 0; messages = $8 + 0; estimate = $16 + 0; rows++
    want = (P - 1) * 524288 / P; log2 = 0; while (2 ^ log2 < P) log2++
    if (bytes != want || messages != log2) { printf "FAIL: P = %d: %d bytes in %d messages, want %d in %d\n", P, bytes, messages, want, log2; bad = 1 }
    if (P > 1 && first && estimate != first) { printf "FAIL: P = %d: memory estimate %d per rank, %d at P = 2\n", P, estimate, first; bad = 1 }
    if (P > 1 && !first) first = estimate
  }
  END { if (rows != 4) { print "FAIL: " rows " table rows, want 4"; bad = 1 }
        if (!bad) print "ok: P = 1, 2, 4, 8: bytes = (P-1)/P * 512 KiB, messages = log2 P, memory per rank flat"
        exit bad }' "$out" || { cat "$out"; exit 1; }
