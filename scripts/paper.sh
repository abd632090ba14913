#!/usr/bin/env bash
# `make paper` (issue 10): train dense-2k, sparse-8k and longnet-8k (configs/paper/) for the same
# training FLOPs on the same data and tokenizer, evaluate each at 2K, 8K and 32K on the same
# held-out tokens (LongNet also with --extend-patterns beyond its training length), probe each
# (`longnet probe copy` and `probe passkey` on the same held-out text, as make retrieval does;
# models that are not dilated through a window of their training length), and write
# runs/paper/REPORT.md with `longnet report paper`.
#
# Environment (the Makefile passes its variables of the same names):
#   PAPER_BUDGET      minutes per model at the nominal rate (default 40: about 2.5 h in all)
#   PAPER_GFLOPS      the nominal training rate that turns minutes into FLOPs (default 60, about
#                     what 2 cores sustain on these models); the FLOP budget is the same for
#                     every model, so the comparison does not depend on it
#   PAPER_MODELS      which configs/paper/*.yaml (default "dense-2k sparse-8k longnet-8k")
#   PAPER_EVAL_BYTES  cut each held-out document to this many bytes (at a word boundary);
#                     0: whole. Default: whole, or 160000 (one 32K window each) when
#                     PAPER_BUDGET < 10 (a smoke run)
#   PAPER_PROBE_SAMPLES  samples per probe cell (default 4; 1 when PAPER_BUDGET < 10)
#   PAPER_OUT         the run folder (default runs/paper)
#   LONGNET           the binary (default build/longnet)
# Re-running resumes: finished models are not trained again, measurements already made (newer
# than the model's last checkpoint) are kept. To change the budget, remove the run folder.
set -euo pipefail
cd "$(dirname "$0")/.."

budget="${PAPER_BUDGET:-40}"
gflops="${PAPER_GFLOPS:-60}"
models="${PAPER_MODELS:-dense-2k sparse-8k longnet-8k}"
out="${PAPER_OUT:-runs/paper}"
longnet="${LONGNET:-build/longnet}"
contexts="2048 8192 32768"
if [[ -z "${PAPER_EVAL_BYTES:-}" ]]; then
  eval_bytes=$(awk -v b="${budget}" 'BEGIN { print (b < 10) ? 160000 : 0 }')
else
  eval_bytes="${PAPER_EVAL_BYTES}"
fi

probe_samples="${PAPER_PROBE_SAMPLES:-$(awk -v b="${budget}" 'BEGIN { print (b < 10) ? 1 : 4 }')}"

die() { echo "paper: $*" >&2; exit 2; }
awk -v b="${budget}" 'BEGIN { exit !(b > 0) }' || die "PAPER_BUDGET is '${budget}'; give minutes per model > 0, e.g. PAPER_BUDGET=40"
awk -v g="${gflops}" 'BEGIN { exit !(g > 0) }' || die "PAPER_GFLOPS is '${gflops}'; give a rate > 0, e.g. PAPER_GFLOPS=60"
[[ "${probe_samples}" =~ ^[1-9][0-9]*$ ]] || die "PAPER_PROBE_SAMPLES is '${probe_samples}'; give a count >= 1"
[[ "${eval_bytes}" =~ ^[0-9]+$ ]] || die "PAPER_EVAL_BYTES is '${eval_bytes}'; give a byte count (0: whole documents)"
[[ -x "${longnet}" ]] || die "${longnet} is missing; run make build first"
for m in ${models}; do
  [[ -f "configs/paper/${m}.yaml" ]] || die "PAPER_MODELS names '${m}' but configs/paper/${m}.yaml does not exist"
done

source scripts/probe_once.sh
data/fetch_paper_corpus.sh
mkdir -p "${out}/eval" "${out}/heldout" "${out}/probes"

# The held-out set: the same files (and tokens) for every model and context.
rm -f "${out}/heldout/"*.txt
for f in data/paper/test/*.txt; do
  if [[ "${eval_bytes}" -gt 0 ]]; then
    # Cut at the last whitespace within the limit (some documents are one long line).
    head -c "${eval_bytes}" "${f}" | sed '$ s/[^[:space:]]*$//' >"${out}/heldout/$(basename "${f}")"
  else
    cp "${f}" "${out}/heldout/"
  fi
done
heldout_desc="$(cd "${out}/heldout" && for f in *.txt; do printf '%s (%s bytes), ' "${f}" "$(wc -c <"${f}")"; done)"
heldout_desc="${heldout_desc%, }"

budget_flops=$(awk -v b="${budget}" -v g="${gflops}" 'BEGIN { printf "%.6e", b * 60 * g * 1e9 }')
max_minutes=$(awk -v b="${budget}" 'BEGIN { printf "%g", 2 * b + 1 }')
echo "paper: budget ${budget} min x ${gflops} GFLOP/s = ${budget_flops} training FLOPs per model; models: ${models}"

json_field() { sed -n "s/.*\"$2\": *\([^,}]*\).*/\1/p" <<<"$1" | tr -d '"'; }

tokenizer=""
manifest="${out}/paper.jsonl.tmp"
printf '{"budget_minutes": %s, "nominal_gflops": %s, "budget_flops": %s, "eval_files": "%s"}\n' \
  "${budget}" "${gflops}" "${budget_flops}" "${heldout_desc}" >"${manifest}"
for m in ${models}; do
  cfg="configs/paper/${m}.yaml"
  run="${out}/${m}"
  sets=(--set "train.out_dir=${run}")
  [[ -n "${tokenizer}" ]] && sets+=(--set "tokenizer.model=${tokenizer}")
  flops_json="$("${longnet}" flops "${cfg}" "${sets[@]}" --budget "${budget_flops}" --json)"
  steps="$(json_field "${flops_json}" steps)"
  per_step="$(json_field "${flops_json}" train_flops_per_step)"
  tokens="$(json_field "${flops_json}" tokens_per_step)"
  [[ "${steps}" -ge 1 ]] || die "the budget ${budget_flops} FLOPs is less than one step of ${m} (${per_step}); raise PAPER_BUDGET"
  warmup=$(( steps / 20 > 0 ? steps / 20 : 1 ))
  every=$(( steps / 4 > 0 ? steps / 4 : 1 ))
  echo "paper: ${m}: ${steps} steps x ${per_step} FLOPs"
  t0=$(date +%s)
  "${longnet}" train "${cfg}" "${sets[@]}" --set "train.steps=${steps}" --set "train.warmup_steps=${warmup}" \
    --set "train.eval_every=${every}" --set "train.save_every=${every}" --set "train.max_minutes=${max_minutes}"
  t1=$(date +%s)
  # Training time adds up over re-runs (a resumed run trains only what is left).
  prev=0
  [[ -f "${run}/paper_train_seconds" ]] && prev="$(cat "${run}/paper_train_seconds")"
  echo $(( prev + t1 - t0 )) >"${run}/paper_train_seconds"
  printf '{"model": "%s", "config": "%s", "tokens_per_step": %s, "flops_per_step": %s, "steps_planned": %s, "train_seconds": %s}\n' \
    "${m}" "${cfg}" "${tokens}" "${per_step}" "${steps}" "$(cat "${run}/paper_train_seconds")" >>"${manifest}"
  [[ -z "${tokenizer}" ]] && tokenizer="${run}/tokenizer.model"

  seq_len="$("${longnet}" config "${cfg}" "${sets[@]}" --yaml | sed -n 's/^  seq_len: *//p' | head -n 1)"
  dilated=0
  grep -Eq '^  kind: *dilated' "${cfg}" && dilated=1
  last_ckpt="$(ls -d "${run}"/step-* | tail -n 1)"
  cmax="${contexts##* }"
  for c in ${contexts}; do
    for ext in "" ".ext"; do
      [[ -n "${ext}" && ( "${dilated}" -eq 0 || "${c}" -le "${seq_len}" ) ]] && continue
      dest="${out}/eval/${m}.c${c}${ext}"
      [[ -f "${dest}.json" && "${dest}.json" -nt "${last_ckpt}" ]] && continue
      args=(eval -m "${run}" -f "${out}/heldout" -c "${c}" --json -q)
      [[ -n "${ext}" ]] && args+=(--extend-patterns)
      [[ "${c}" == "${cmax}" ]] && args+=(--by-position "${dest}.pos")
      echo "paper: ${m}: eval at ${c}${ext:+ with extended patterns}"
      "${longnet}" "${args[@]}" >"${dest}.json.tmp"
      mv "${dest}.json.tmp" "${dest}.json"
    done
  done

  # Probes: copy from 64 tokens back to the training length, passkeys up to it (and for
  # LongNet to 32K with the schedule continued). A dense or sparse model runs through a window
  # of its training length, as it was trained; LongNet sees the whole document.
  probe() {  # kind tag [flags ...]
    probe_once "paper: ${m}: " "${out}/probes/${m}.$1$2" "${run}" "${out}/heldout" "${probe_samples}" "$1" "${@:3}"
  }
  distances="64,256,1024,2048,4096,7672"
  if [[ "${dilated}" -eq 1 ]]; then
    probe copy "" --distances "${distances}"
    # Beyond the training length only: at or below it --extend-patterns scores the windows alike.
    probe copy .ext --distances 8192,12000 --extend-patterns
    probe passkey "" --lengths 1024,2048,4096,8192 --svg "${out}/probes/${m}.passkey.svg"
    # 16K and 32K windows cost 2-4x an 8K one each: three depths.
    probe passkey .ext --lengths 16384,32768 --depths 0,0.5,1 --extend-patterns \
      --svg "${out}/probes/${m}.passkey.ext.svg"
  else
    probe copy ".w${seq_len}" --distances "${distances}" --window "${seq_len}"
    probe passkey ".w${seq_len}" --lengths 1024,2048,4096,8192 --window "${seq_len}" \
      --svg "${out}/probes/${m}.passkey.w${seq_len}.svg"
  fi
done
mv "${manifest}" "${out}/paper.jsonl"
ctx_list="$(tr ' ' ',' <<<"${contexts}")"
"${longnet}" report paper "${out}" --contexts "${ctx_list}"
