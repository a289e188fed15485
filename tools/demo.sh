#!/bin/bash
# make demo: damontop's live view on accessgen's stairs (10 regions of
# 10 MiB, 2 s each, twice).  q quits.
set -eu
BUILD=${KSCOPE_BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build}
[ "$(id -u)" = 0 ] || { echo "demo: run as root (BPF needs it)" >&2; exit 1; }
exec "$BUILD/bin/damontop" -c "$BUILD/tools/accessgen stairs --regions 10 --size 10M --phase 2s --rounds 2"
