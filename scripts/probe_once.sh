#!/usr/bin/env bash
# Sourced by scripts/retrieval.sh and scripts/paper.sh: one `longnet probe` of a trained run, its
# JSON written whole (a .tmp file renamed), and skipped on a re-run when the JSON is newer than
# the run's last checkpoint. Uses the caller's ${longnet} (the binary).
#
# probe_once LOG_PREFIX DEST RUN HELDOUT SAMPLES KIND [flags ...]
#   writes DEST.json from `longnet probe KIND -m RUN -f HELDOUT --samples SAMPLES --precision bf16
#   --json -q flags ...`; prints "LOG_PREFIXprobe <DEST's name>" when it runs.
probe_once() {
  local prefix="$1" dest="$2" run="$3" heldout="$4" samples="$5" kind="$6"; shift 6
  local last; last="$(ls -d "${run}"/step-* | tail -n 1)"
  [[ -f "${dest}.json" && "${dest}.json" -nt "${last}" ]] && return 0
  echo "${prefix}probe $(basename "${dest}")"
  "${longnet}" probe "${kind}" -m "${run}" -f "${heldout}" --samples "${samples}" --precision bf16 \
    --json -q "$@" >"${dest}.json.tmp"
  mv "${dest}.json.tmp" "${dest}.json"
}
