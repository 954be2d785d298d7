#!/usr/bin/env bash
# scripts/bench.sh — the grdp benchmark: a full rebuild of N transactions, against the
# decompression floor, with the content hash that must never change.
#
# What it does
#   1. builds release (`swift build -c release`; skip with --no-build);
#   2. generates the benchmark set once per size (deterministic, seed 1):
#        grdp generate --layout benchmark --transactions N --enterprises 4600 --years 2020-2024
#      → five .tar.gz (one per year: grdp, ~4,600 enterprise records, N/5 transactions plus the
#        revised ones), plain en numbers, ISO dates; 1 M ≈ 80 MiB of CSV, ≈ 20 MiB compressed;
#   3. the floor: `grdp bench-unpack DIR/returns` (libarchive + our gzip check, every member
#      read to nowhere), RUNS times;
#   4. a cold full rebuild: `grdp --config DIR/pipeline.yml run --force` with the Outputs folder
#      removed first, RUNS times, under /usr/bin/time -v (wall, user+sys CPU, peak RSS);
#   5. the bundled sample (Inputs/, pipeline.yml, copied to a temp folder): its content_sha256;
#   6. prints a table: wall (best and median), CPU, peak RSS, rows/s, CSV MiB/s, content hash.
#
# Usage
#   scripts/bench.sh [--transactions N]... [--runs K] [--data ROOT] [--no-build]
#   defaults: --transactions 1000000 --runs 3 --data /tmp/grdp-bench
#   e.g. scripts/bench.sh --transactions 1000000 --transactions 10000000 --runs 5
#
# Rows/s counts every data row read (transactions, enterprise, grdp); MiB/s is uncompressed CSV
# over wall time. The machine is shared: compare best-of-RUNS walls and CPU time, not one run.
# GRDP_BIN=path measures another binary (e.g. an older build) on the same sets; GRDP_THREADS=1
# reads one archive at a time. Needs bash, /usr/bin/time (GNU), jq.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZES=()
RUNS=3
DATA=/tmp/grdp-bench
BUILD=1
while [ $# -gt 0 ]; do
    case "$1" in
        --transactions) SIZES+=("$2"); shift 2 ;;
        --runs) RUNS=$2; shift 2 ;;
        --data) DATA=$2; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d;s/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 64 ;;
    esac
done
[ ${#SIZES[@]} -gt 0 ] || SIZES=(1000000)

cd "$ROOT"
if [ "$BUILD" = 1 ]; then
    swift build -c release >&2
fi
BIN=${GRDP_BIN:-$ROOT/.build/release/grdp}
[ -x "$BIN" ] || { echo "no $BIN; build first" >&2; exit 66; }

# time_cmd OUTFILE CMD...: runs CMD under GNU time; prints "wall user sys rss_kib" to OUTFILE.
time_cmd() {
    local out=$1; shift
    local log
    log=$(mktemp)
    /usr/bin/time -v "$@" >/dev/null 2>"$log" || { cat "$log" >&2; rm -f "$log"; return 1; }
    awk -F': ' '
        /Elapsed \(wall clock\)/ { n = split($2, p, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + p[i] }
        /User time \(seconds\)/ { u = $2 }
        /System time \(seconds\)/ { s = $2 }
        /Maximum resident set size/ { r = $2 }
        END { printf "%.3f %.2f %.2f %d\n", w, u, s, r }' "$log" >"$out"
    rm -f "$log"
}

# summarize FILE: "best median cpu_of_best rss_max" over the lines of FILE.
summarize() {
    sort -n -k1 "$1" | awk '
        { w[NR] = $1; c[NR] = $2 + $3; if ($4 > r) r = $4 }
        END { m = (NR % 2) ? w[(NR + 1) / 2] : (w[NR / 2] + w[NR / 2 + 1]) / 2
              printf "%.2f %.2f %.2f %.0f\n", w[1], m, c[1], r / 1024 }'
}

TABLE=()
for N in "${SIZES[@]}"; do
    SET="$DATA/n$N"
    if [ ! -f "$SET/.complete" ]; then
        echo "== generating $N transactions in $SET" >&2
        rm -rf "$SET"
        mkdir -p "$SET"
        "$BIN" --quiet generate --out "$SET" --layout benchmark --transactions "$N" --enterprises 4600 \
            --years 2020-2024
        touch "$SET/.complete"
    fi
    COMPRESSED=$(du -cb "$SET"/returns/*.tar.gz | tail -1 | cut -f1)

    echo "== floor: bench-unpack x$RUNS" >&2
    : >"$SET/floor.times"
    for _ in $(seq "$RUNS"); do
        time_cmd "$SET/floor.one" "$BIN" bench-unpack "$SET/returns"
        cat "$SET/floor.one" >>"$SET/floor.times"
    done
    CSV_BYTES=$("$BIN" bench-unpack "$SET/returns" | sed -n 's/.*bytes=\([0-9]*\).*/\1/p')

    echo "== cold run --force x$RUNS" >&2
    : >"$SET/run.times"
    HASHES=()
    for _ in $(seq "$RUNS"); do
        rm -rf "$SET/Outputs"
        time_cmd "$SET/run.one" "$BIN" --quiet --config "$SET/pipeline.yml" run --force
        cat "$SET/run.one" >>"$SET/run.times"
        REPORT=$(ls "$SET"/Outputs/reports/run-*.json | tail -1)
        HASHES+=("$(jq -r .content_sha256 "$REPORT")")
    done
    ROWS=$(jq '[.archives[].members[].rows_read] | add' "$REPORT")
    UNIQUE=$(printf '%s\n' "${HASHES[@]}" | sort -u | wc -l)
    [ "$UNIQUE" = 1 ] || { echo "content hash differs between runs: ${HASHES[*]}" >&2; exit 70; }

    read -r FB FM FC FR <<<"$(summarize "$SET/floor.times")"
    read -r RB RM RC RR <<<"$(summarize "$SET/run.times")"
    MIB=$(awk -v b="$CSV_BYTES" 'BEGIN { printf "%.1f", b / 1048576 }')
    CMIB=$(awk -v b="$COMPRESSED" 'BEGIN { printf "%.1f", b / 1048576 }')
    TABLE+=("$(printf '| %s rows (%s MiB CSV, %s MiB gz) | floor | %s | %s | %s | %s | %s | %s |' \
        "$ROWS" "$MIB" "$CMIB" "$FB" "$FM" "$FC" "$FR" \
        "$(awk -v r="$ROWS" -v t="$FB" 'BEGIN { printf "%.0f", r / t }')" \
        "$(awk -v b="$MIB" -v t="$FB" 'BEGIN { printf "%.0f", b / t }')")")
    TABLE+=("$(printf '| %s rows | run --force | %s | %s | %s | %s | %s | %s |' \
        "$ROWS" "$RB" "$RM" "$RC" "$RR" \
        "$(awk -v r="$ROWS" -v t="$RB" 'BEGIN { printf "%.0f", r / t }')" \
        "$(awk -v b="$MIB" -v t="$RB" 'BEGIN { printf "%.0f", b / t }')")")
    TABLE+=("| | content_sha256 | \`${HASHES[0]}\` | | | | | |")
done

echo "== bundled sample" >&2
SAMPLE=$(mktemp -d)
cp -R "$ROOT/Inputs" "$ROOT/pipeline.yml" "$SAMPLE/"
"$BIN" --quiet --config "$SAMPLE/pipeline.yml" run --force
SAMPLE_HASH=$(jq -r .content_sha256 "$(ls "$SAMPLE"/Outputs/reports/run-*.json | tail -1)")
rm -rf "$SAMPLE"

echo
echo "grdp $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- Sources || echo '+dirty'), $(nproc) cores, $(uname -m), runs=$RUNS; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| set | what | wall best s | wall median s | CPU user+sys s (best run) | peak RSS MiB | rows/s | CSV MiB/s |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${TABLE[@]}"
echo
echo "sample content_sha256: $SAMPLE_HASH"
