#!/usr/bin/env bash
# `make retrieval` (issue 18): does a LongNet trained here use context thousands of tokens back?
# Two phases on the long-context corpus (data/fetch_paper_corpus.sh; docs/retrieval.md says why):
#   1. configs/retrieval/induction.yaml: the copy circuit, formed dense on short rows of random
#      token runs (trains the tokenizer);
#   2. configs/retrieval/longnet-8k.yaml (the paper's schedule at 8,192 tokens) and
#      dense-2k.yaml (dense at 2,048), each continued from phase 1 (`train --init-from`) on the
#      corpus with the synthetic retrieval mixture (data.copy_rows, data.passkey_rows,
#      data.induction_rows with data.induction_reach: far).
# Then probes both on the corpus's held-out documents, which no model trained on:
#   - copy at distance D (`longnet probe copy`): the LongNet at its training length, and with
#     --extend-patterns beyond it; the dense model through a window of its 2,048 training tokens;
#   - passkey retrieval (`longnet probe passkey`) over lengths x depths, with its heatmap.
# Writes runs/retrieval/{induction,longnet-8k,dense-2k}/ (the runs),
# runs/retrieval/probes/*.json|svg|txt and runs/retrieval/REPORT.md (`longnet report retrieval`).
#
# Environment (the Makefile passes its variables of the same names):
#   RETRIEVAL_OUT      the folder (default runs/retrieval)
#   RETRIEVAL_SAMPLES  samples per probe cell (default 6; a smoke run may use 1)
#   RETRIEVAL_STEPS    override train.steps of every run (a smoke run; default: the configs')
#   LONGNET            the binary (default build/longnet)
# Re-running resumes: finished runs are not trained again, probes newer than their model's
# last checkpoint are kept.
set -euo pipefail
cd "$(dirname "$0")/.."

out="${RETRIEVAL_OUT:-runs/retrieval}"
samples="${RETRIEVAL_SAMPLES:-6}"
longnet="${LONGNET:-build/longnet}"
die() { echo "retrieval: $*" >&2; exit 2; }
[[ "${samples}" =~ ^[1-9][0-9]*$ ]] || die "RETRIEVAL_SAMPLES is '${samples}'; give a count >= 1"
[[ -z "${RETRIEVAL_STEPS:-}" || "${RETRIEVAL_STEPS}" =~ ^[1-9][0-9]*$ ]] ||
  die "RETRIEVAL_STEPS is '${RETRIEVAL_STEPS}'; give a step count >= 1 (or leave it unset)"
[[ -x "${longnet}" ]] || die "${longnet} is missing; run make build first"

data/fetch_paper_corpus.sh
heldout="data/paper/test"
mkdir -p "${out}/probes"
start=$(date +%s)

train() {  # name [extra --set ...]; INIT_FROM: a run to start from when this one has no checkpoint
  local name="$1"; shift
  local sets=(--set "train.out_dir=${out}/${name}")
  [[ -n "${RETRIEVAL_STEPS:-}" ]] && sets+=(--set "train.steps=${RETRIEVAL_STEPS}" --set "train.warmup_steps=1")
  local from=()
  if [[ -n "${INIT_FROM:-}" ]] && ! compgen -G "${out}/${name}/step-*" >/dev/null; then
    from=(--init-from "${INIT_FROM}")
  fi
  local t0; t0=$(date +%s)
  "${longnet}" train "configs/retrieval/${name}.yaml" "${sets[@]}" "${from[@]}" "$@"
  local prev=0
  [[ -f "${out}/${name}/retrieval_train_seconds" ]] && prev="$(cat "${out}/${name}/retrieval_train_seconds")"
  echo $(( prev + $(date +%s) - t0 )) >"${out}/${name}/retrieval_train_seconds"
}

# Phase 1 trains the tokenizer; both phase-2 runs take it, and the weights, from there. Its
# clock (max_minutes) ends it, so a re-run would train it further: once a phase-2 run has a
# checkpoint, phase 1 stays as it is, so that both models start from the same weights.
if compgen -G "${out}/longnet-8k/step-*" >/dev/null || compgen -G "${out}/dense-2k/step-*" >/dev/null; then
  echo "retrieval: phase 2 has begun; ${out}/induction stays as it is"
else
  train induction
fi
INIT_FROM="${out}/induction" train longnet-8k
INIT_FROM="${out}/induction" train dense-2k

source scripts/probe_once.sh
probe() {  # model kind tag [flags ...]; PROBE_SAMPLES: another sample count for this probe
  local model="$1" kind="$2" tag="$3"; shift 3
  probe_once "retrieval: " "${out}/probes/${model}.${kind}${tag}" "${out}/${model}" "${heldout}" \
    "${PROBE_SAMPLES:-${samples}}" "${kind}" "$@"
}

# Copy: distances from 64 to past the training length (the 8K model extended to 16K windows).
copy_distances="64,256,1024,2048,4096,7672"
probe longnet-8k copy "" --distances "${copy_distances}"
# Beyond the training length only: at or below it --extend-patterns scores the same windows alike.
probe longnet-8k copy .ext --distances 8192,12000 --extend-patterns
probe dense-2k copy .w2048 --distances "${copy_distances}" --window 2048
# Passkey: 1K..8K at the training length, 16K and 32K with the schedule continued.
probe longnet-8k passkey "" --lengths 1024,2048,4096,8192 --svg "${out}/probes/longnet-8k.passkey.svg"
# 16K and 32K windows cost 2-4x an 8K one each (and the dilated patterns that reach them are
# the extended ones): three depths and a fifth of the samples keep this under 3 minutes.
PROBE_SAMPLES=$(( (samples + 4) / 5 )) probe longnet-8k passkey .ext --lengths 16384,32768 --depths 0,0.5,1 \
  --extend-patterns --svg "${out}/probes/longnet-8k.passkey.ext.svg"
probe dense-2k passkey .w2048 --lengths 1024,2048,4096,8192 --window 2048 --svg "${out}/probes/dense-2k.passkey.w2048.svg"

"${longnet}" report retrieval "${out}"
echo "retrieval: done in $(( $(date +%s) - start )) s after the build"
