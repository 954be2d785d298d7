#!/usr/bin/env bash
# scripts/night-pairs.sh — two grdp binaries' nightly runs, interleaved, on the benchmark's sets:
# what a change does to a night's wall and peak RSS, which drift too much from minute to minute
# on a shared machine for two separate benchmarks to tell apart.
#
# What it does
#   1. for each binary, a folder DATA/pairs/<a|b>[-dirty] holding hard links to the set's archives
#      (DATA/n<N>/returns, or DATA/n<N>-dirty<D>/returns with --dirty D) and its pipeline.yml,
#      processed by that binary's `run --force`, then a `run` 6 s later (its archives' digests
#      remembered, as on any later night), into Outputs.before (each binary's own caches: a build
#      only trusts its own), then the increment archive of DATA/n<N>-inc<M>-alone linked in;
#   2. PAIRS times: for A then B, a copy of Outputs.before written back with `sync`, then
#      `grdp run` (no --force) under GNU time: one night with the new archive;
#   3. prints one line per night, then per binary the range and median of wall and peak RSS;
#      exits 70 if a night fails or the two binaries' content hashes differ.
#
# Usage
#   scripts/night-pairs.sh OLD_BIN NEW_BIN [--pairs K] [--transactions N] [--increment M]
#                          [--dirty D] [--recent-revisions] [--data ROOT] [--load]
#   defaults: --pairs 8 --transactions 10000000 --increment 100000 --data /tmp/grdp-bench
#   --load    a busy loop on one core while the nights run (a machine where other work runs)
#   --recent-revisions  the increment whose revisions re-send Q4 orders only
#             (DATA/n<N>-inc<M>-recent-alone: scripts/bench.sh --increment M --recent-revisions)
#   e.g. git stash; swift build -c release; cp .build/release/grdp /tmp/grdp-old; git stash pop
#        swift build -c release; scripts/night-pairs.sh /tmp/grdp-old .build/release/grdp --load
#
# The sets come from scripts/bench.sh (run it first with --transactions N --increment M, and
# --dirty D for --dirty). Needs bash, GNU /usr/bin/time, jq.
set -euo pipefail

[ $# -ge 2 ] || { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 64; }
BINS=("$(realpath "$1")" "$(realpath "$2")")
shift 2
PAIRS=8
N=10000000
M=100000
DIRTY=
RECENT=
DATA=/tmp/grdp-bench
LOAD=0
while [ $# -gt 0 ]; do
    case "$1" in
        --pairs) PAIRS=$2; shift 2 ;;
        --transactions) N=$2; shift 2 ;;
        --increment) M=$2; shift 2 ;;
        --dirty) DIRTY=$2; shift 2 ;;
        --recent-revisions) RECENT=-recent; shift ;;
        --data) DATA=$2; shift 2 ;;
        --load) LOAD=1; shift ;;
        *) echo "night-pairs.sh: unknown option $1" >&2; exit 64 ;;
    esac
done
for bin in "${BINS[@]}"; do [ -x "$bin" ] || { echo "night-pairs.sh: no binary $bin" >&2; exit 66; }; done

SET=$DATA/n$N${DIRTY:+-dirty$DIRTY}
NEW=$(ls "$DATA/n$N-inc$M$RECENT-alone/returns/"*_increment.tar.gz 2>/dev/null | head -1 || true)
[ -d "$SET/returns" ] || { echo "night-pairs.sh: no set $SET; run scripts/bench.sh first" >&2; exit 66; }
[ -n "$NEW" ] || {
    echo "night-pairs.sh: no increment in $DATA/n$N-inc$M$RECENT-alone; run scripts/bench.sh --increment $M${RECENT:+ --recent-revisions}" >&2
    exit 66
}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/bench-lib.sh
source "$ROOT/scripts/bench-lib.sh"

NAMES=(a b)
DIRS=()
# Both linked before either is processed: a link moves the shared archives' status-change time,
# which would make the first binary's memo of their digests stale (`linked_set`).
for k in 0 1; do
    DIRS+=("$DATA/pairs/${NAMES[$k]}${DIRTY:+-dirty}")
    linked_set "$SET" "${DIRS[$k]}"
done
for k in 0 1; do
    echo "== ${NAMES[$k]}: ${BINS[$k]}: run --force, then a run 6 s later (not timed)" >&2
    BIN=${BINS[$k]} processed_set "$SET" "${DIRS[$k]}" "$NEW"
done

LOADER=
if [ "$LOAD" = 1 ]; then
    (while :; do :; done) &
    LOADER=$!
fi
trap '[ -n "$LOADER" ] && kill "$LOADER" 2>/dev/null; true' EXIT

# One night at a time (`nights` with RUNS=1), A then B; a line each in RESULTS:
# "name wall rss_mib user sys check hash".
FAILED=0
RESULTS=$(mktemp)
for _ in $(seq "$PAIRS"); do
    for k in 0 1; do
        BIN=${BINS[$k]} RUNS=1 nights "${DIRS[$k]}"
        [ "$CHECK" = ok ] || FAILED=1
        read -r wall user sys rss _ <"${DIRS[$k]}/inc.one"
        printf '%s %s %d %s %s %s %s\n' "${NAMES[$k]}" "$wall" $((rss / 1024)) "$user" "$sys" "${CHECK// /_}" \
            "$NIGHT_HASH" | tee -a "$RESULTS"
    done
done

echo
echo "set $(basename "$SET") + $M new rows, $PAIRS pairs$([ "$LOAD" = 1 ] && echo ", one core busy"); load $(cut -d' ' -f1-3 /proc/loadavg)"
# range_median: "least most median" of the numbers on stdin.
range_median() {
    sort -n | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "%s %s %s\n", v[1], v[NR], m }'
}
for k in 0 1; do
    read -r wmin wmax wmed < <(awk -v n="${NAMES[$k]}" '$1 == n { print $2 }' "$RESULTS" | range_median)
    read -r rmin rmax _ < <(awk -v n="${NAMES[$k]}" '$1 == n { print $3 }' "$RESULTS" | range_median)
    printf '%s (%s): wall %.2f–%.2f s (median %.2f), peak %d–%d MiB\n' \
        "${NAMES[$k]}" "${BINS[$k]}" "$wmin" "$wmax" "$wmed" "$rmin" "$rmax"
done
if [ "$(awk '{print $7}' "$RESULTS" | sort -u | wc -l)" != 1 ]; then
    echo "content hashes differ between nights or binaries:" >&2
    awk '{print $1, $7}' "$RESULTS" | sort -u >&2
    FAILED=1
fi
rm -f "$RESULTS"
[ "$FAILED" = 0 ] || exit 70
