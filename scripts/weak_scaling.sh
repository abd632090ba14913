#!/bin/sh
# Weak scaling of sequence parallelism at fixed tokens per rank (issue 19): `bench dist` (one
# attention layer) and `bench train` (a whole training step) under mpirun at P = 1, 2, 4, 8,
# one thread per rank, oversubscribed (--oversubscribe --bind-to none: on a machine with fewer
# cores than ranks the times are indicative only; bytes and messages are exact). Prints the JSON
# lines, then a markdown table: `bench dist` of the last rank of the sequence (causal: it
# receives the most), `bench train` of the busiest rank (maxima over the world).
# usage: scripts/weak_scaling.sh [LONGNET_BINARY] [TOKENS_PER_RANK] [REPEATS]
# (REPEATS: timed repeats of bench dist and timed steps of bench train, 5 by default; the test
# takes 1, since it checks only bytes, messages and memory)
longnet="${1:-build/longnet}"; l="${2:-2048}"; n="${3:-5}"
out=$(mktemp -d) || exit 1
trap 'rm -rf "$out"' EXIT
run() { mpirun --allow-run-as-root --oversubscribe --bind-to none -x OMP_WAIT_POLICY=PASSIVE -np "$@"; }
for P in 1 2 4 8; do
  T=$((P * l))
  run "$P" "$longnet" bench dist --threads 1 --tokens-per-rank "$l" --ratio 256 --repeats "$n" >>"$out/dist.jsonl" || exit 1
  run "$P" "$longnet" bench train --threads 1 --steps "$n" --warmup 1 --set parallel.sequence="$P" \
    --set data.seq_len="$T" --set train.batch_size=1 --set model.d_model=64 --set model.layers=2 \
    --set model.heads=4 --set tokenizer.vocab_size=256 --set "attention.segments=[256,1024,$T]" \
    --set "attention.dilations=[1,4,$((T / 256))]" 2>/dev/null >>"$out/train.jsonl" || exit 1
done
cat "$out/dist.jsonl" "$out/train.jsonl"
echo
echo "| P | T | dist fwd+bwd ms (last rank) | exposed ms | hidden ms | bytes recv fwd | messages recv fwd | attention bytes per rank | train step ms | train exposed ms | train hidden ms | train bytes recv | train messages recv | gradient bytes | train estimate per rank |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for P in 1 2 4 8; do
  d=$(grep "\"ranks\": $P," "$out/dist.jsonl" | grep "\"rank\": $((P - 1))," )
  num() { echo "$1" | grep "\"pass\": \"$2\"" | sed "s/.*\"$3\": \([-0-9.e+]*\).*/\1/"; }
  tot=$(awk "BEGIN { printf \"%.1f\", $(num "$d" fwd compute_ms) + $(num "$d" fwd exposed_ms) + $(num "$d" bwd compute_ms) + $(num "$d" bwd exposed_ms) }")
  exp=$(awk "BEGIN { printf \"%.2f\", $(num "$d" fwd exposed_ms) + $(num "$d" bwd exposed_ms) }")
  hid=$(awk "BEGIN { printf \"%.2f\", $(num "$d" fwd hidden_ms) + $(num "$d" bwd hidden_ms) }")
  t=$(grep "\"world\": $P," "$out/train.jsonl")
  tn() { echo "$t" | sed "s/.*\"$1\": \([-0-9.e+]*\).*/\1/"; }
  echo "| $P | $((P * l)) | $tot | $exp | $hid | $(num "$d" fwd bytes_recv) | $(num "$d" fwd messages_recv) | $(num "$d" fwd bytes_per_rank) | $(printf %.1f "$(tn step_ms)") | $(printf %.2f "$(tn comm_exposed_ms)") | $(printf %.2f "$(tn comm_hidden_ms)") | $(tn comm_bytes_recv) | $(tn comm_messages_recv) | $(tn gradient_bytes) | $(tn estimate_bytes) |"
done
