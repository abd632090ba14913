#!/usr/bin/env bash
# Checks that the layer graph declared in CMakeLists.txt (the LAYERS of each
# `longnet_layer(<layer> LAYERS ... LIBS ...)` line) equals the include graph: the layers whose
# headers lib/<layer> includes directly. The build already fails on an include of an undeclared
# layer that is not reachable through the declared ones; this also catches a declared layer that
# nothing includes any more, and an include that only compiles because another layer declares it.
# Usage: scripts/check_layers.sh [source dir]   (run by ctest as `layer_graph`)
set -euo pipefail
src=${1:-$(cd "$(dirname "$0")/.." && pwd)}
status=0
layers=$(sed -n 's/^longnet_layer(\([a-z_]*\).*/\1/p' "$src/CMakeLists.txt")
[ -n "$layers" ] || { echo "check_layers: no longnet_layer(...) lines in $src/CMakeLists.txt" >&2; exit 1; }
for layer in $layers; do
  declared=$(sed -n "s/^longnet_layer($layer\b\(.*\))[^)]*\$/\1/p" "$src/CMakeLists.txt" |
    sed 's/#.*//; s/.*LAYERS//; s/LIBS.*//' | tr ' ' '\n' | grep -v '^$' | sort -u || true)
  included=$(grep -rhoE '^#include "[a-z_]+/' "$src/lib/$layer" --include='*.cpp' --include='*.hpp' \
    --include='*.inc' | sed -E 's/#include "([a-z_]+)\//\1/' | grep -vx "$layer" | sort -u || true)
  missing=$(comm -13 <(echo "$declared") <(echo "$included") | grep -v '^$' || true)
  unused=$(comm -23 <(echo "$declared") <(echo "$included") | grep -v '^$' || true)
  if [ -n "$missing" ]; then
    echo "check_layers: lib/$layer includes $(echo $missing) but does not declare it: add it to LAYERS of" \
         "longnet_layer($layer ...) in CMakeLists.txt if it is below $layer (docs/DESIGN.md §1), else remove the include"
    for m in $missing; do grep -rlE "^#include \"$m/" "$src/lib/$layer" | sed "s|^$src/|  |"; done
    status=1
  fi
  if [ -n "$unused" ]; then
    echo "check_layers: longnet_layer($layer ...) declares $(echo $unused) but lib/$layer includes none of its" \
         "headers: remove it from LAYERS in CMakeLists.txt"
    status=1
  fi
done
[ $status -eq 0 ] && echo "check_layers: the declared layer graph equals the include graph ($(echo $layers | wc -w) layers)"
exit $status
