#!/usr/bin/env bash
# scripts/bench.sh — the grdp benchmark: a full rebuild of N transactions, against the
# decompression floor, with the content hash that must never change; optionally the other
# scenarios of issue 5 (nightly run with nothing new, one new archive, one year, many archives).
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
#   5. the scenarios asked for (none by default; each runs RUNS times, per size):
#      --nightly      after the full rebuild, `grdp run` again (no --force) on the same Outputs:
#                     nothing new; checks exit 0 and report outcome "up-to-date";
#      --increment M  one new archive of M transaction rows on top of the set
#                     (`grdp generate --layout increment`, sorting last; about 1 in 20 rows revise
#                     earlier orders). In a copy of the set (hard links, DATA/n<N>-inc<M>) processed by
#                     `run --force` first: `grdp run` (no --force) with the new archive added, from
#                     a copy of that processed Outputs each time; against `run --force` over a set
#                     holding only that archive and the same pipeline.yml (DATA/n<N>-inc<M>-alone);
#                     then checks incremental == from scratch: `run --force` into a fresh Outputs
#                     must give the incremental run's content_sha256 (exit 70 after the table if not);
#                     then the night after a `run --year <last year>` that took the new archive
#                     first (not timed): it must find that content hash up to date;
#      --recent-revisions  with --increment: its revisions re-send orders of the last year's fourth
#                     quarter only, the quarter of its new orders (`grdp generate --recent-revisions`,
#                     DATA/n<N>-inc<M>-recent…), as a night's return of recent orders does: the
#                     night hashes its year again from October, not January;
#      --config-edit  after the full rebuild, `grdp run` with the 2025 target edited in a copy of
#                     pipeline.yml (DATA/n<N>-edit, from a copy of the Outputs each time): checks
#                     that every archive comes from the cache (issue 5: same sha256, same
#                     normalization settings) and that the hash is that of `run --force` with it;
#                     then with a comment and an export added instead (no setting of the figures:
#                     up to date without reading, the export written, the full rebuild's hash); then
#                     with the first archive renamed (`-v1` before its suffix, which keeps the order
#                     of revisions): every archive from the cache, the hash as from scratch;
#      --year Y       after the full rebuild, `grdp run --year Y` (no --force) against it;
#      --archives K   the same N transactions cut into K .tar.gz (`--archives K`, DATA/n<N>-k<K>):
#                     floor and cold `run --force`, against the five yearly archives;
#                     also says whether exports/target-vs-actual.csv equals the five-archive set's;
#                     with --nightly, `grdp run` with nothing new over the K archives (processed
#                     and settled first in DATA/n<N>-k<K>-nights), against the five archives';
#                     with --increment, the night with the same new archive added, against the
#                     five archives' night: the same figures, and the hash of `run --force`;
#      --dirty D      the same N transactions with every Dth row of each member of first sends dated
#                     the 30th of February (`grdp generate --faulty-every D`, DATA/n<N>-dirty<D>),
#                     which grdp quarantines: cold `run --force`, and with --increment the night with
#                     the new archive added, against the sound set's; at D ≥ 100 every member stays
#                     within max_quarantine_ratio 0.01 (returns as dirty as the default accepts);
#      --all          --nightly --config-edit --increment 100000 --year <last year> --archives 100 --dirty 100;
#   6. the bundled sample (Inputs/, pipeline.yml, copied to a temp folder): its content_sha256;
#   7. prints a table: wall (best and median), CPU, peak RSS, rows/s, CSV MiB/s, content hash;
#      a scenario's row says in its "what" cell how it compares (× the full rebuild's best wall).
#
# Usage
#   scripts/bench.sh [--transactions N]... [--runs K] [--data ROOT] [--no-build]
#                    [--nightly] [--config-edit] [--increment M [--recent-revisions]] [--year Y] [--archives K]
#                    [--dirty D] [--all]
#   defaults: --transactions 1000000 --runs 3 --data /tmp/grdp-bench, no scenario
#   e.g. scripts/bench.sh --transactions 1000000 --transactions 10000000 --runs 5
#        scripts/bench.sh --no-build --all                  # every scenario at 1 M
#        scripts/bench.sh --no-build --nightly --transactions 10000000 --runs 1
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
YEARS=2020-2024
NIGHTLY=0
CONFIG_EDIT=0
INCREMENT=
RECENT=
YEAR=
ARCHIVES=
DIRTY=
while [ $# -gt 0 ]; do
    case "$1" in
        --transactions) SIZES+=("$2"); shift 2 ;;
        --runs) RUNS=$2; shift 2 ;;
        --data) DATA=$2; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        --nightly) NIGHTLY=1; shift ;;
        --config-edit) CONFIG_EDIT=1; shift ;;
        --increment) INCREMENT=$2; shift 2 ;;
        --recent-revisions) RECENT=-recent; shift ;;
        --year) YEAR=$2; shift 2 ;;
        --archives) ARCHIVES=$2; shift 2 ;;
        --dirty) DIRTY=$2; shift 2 ;;
        --all) NIGHTLY=1; CONFIG_EDIT=1; INCREMENT=${INCREMENT:-100000}; YEAR=${YEAR:-${YEARS#*-}}; ARCHIVES=${ARCHIVES:-100}
            DIRTY=${DIRTY:-100}; shift ;;
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
# shellcheck source=scripts/bench-lib.sh
source "$ROOT/scripts/bench-lib.sh"

# row SET WHAT TIMES [ROWS] [MIB]: a table row from the lines of TIMES; rows/s and MiB/s over the
# best wall when ROWS and MIB are given.
row() {
    local b m c r rps='' mps=''
    read -r b m c r <<<"$(summarize "$3")"
    [ -z "${4:-}" ] || rps=$(awk -v x="$4" -v t="$b" 'BEGIN { printf "%.0f", x / t }')
    [ -z "${5:-}" ] || mps=$(awk -v x="$5" -v t="$b" 'BEGIN { printf "%.0f", x / t }')
    printf '| %s | %s | %s | %s | %s | %s | %s | %s |' "$1" "$2" "$b" "$m" "$c" "$r" "$rps" "$mps"
}

# best TIMES: the best wall of TIMES; ratio A B: "A/B" to two decimals.
best() { sort -n -k1 "$1" | head -1 | cut -d' ' -f1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# Set when a check fails: exit 70 after the table.
FAILED=0

# generate_once DIR WHAT ARG...: `grdp generate --out DIR ARG...` (WHAT says what, in the log),
# unless DIR already holds a complete set.
generate_once() {
    local dir=$1 what=$2
    shift 2
    [ ! -f "$dir/.complete" ] || return 0
    echo "== generating $what in $dir" >&2
    rm -rf "$dir"
    mkdir -p "$dir"
    "$BIN" --quiet generate --out "$dir" "$@"
    touch "$dir/.complete"
}

# floor_runs DIR: RUNS timed `grdp bench-unpack DIR/returns`; times in DIR/floor.times.
floor_runs() {
    local dir=$1
    : >"$dir/floor.times"
    for _ in $(seq "$RUNS"); do
        time_cmd "$dir/floor.one" "$BIN" bench-unpack "$dir/returns"
        cat "$dir/floor.one" >>"$dir/floor.times"
    done
}

# cold_runs DIR: RUNS timed `grdp run --force`, each into a fresh DIR/Outputs; times in
# DIR/run.times, each run's content_sha256 in COLD_HASHES.
cold_runs() {
    local dir=$1
    : >"$dir/run.times"
    COLD_HASHES=()
    for _ in $(seq "$RUNS"); do
        rm -rf "$dir/Outputs"
        time_cmd "$dir/run.one" "$BIN" --quiet --config "$dir/pipeline.yml" run --force
        cat "$dir/run.one" >>"$dir/run.times"
        COLD_HASHES+=("$(jq -r .content_sha256 "$(latest_report "$dir")")")
    done
}

# from_cache_nights WHAT: RUNS nights over EDIT, each from a copy of the full rebuild's Outputs
# (SET/Outputs); checks that every archive came from the cache and that the hash is that of
# `run --force` over EDIT into a fresh Outputs; adds WHAT's row to TABLE.
from_cache_nights() {
    local best_wall
    nights "$EDIT" "$SET/Outputs"
    # Every run started from the same copy: the last one's report speaks for all.
    [ "$(jq '[.archives[].from_cache] | all' "$(latest_report "$EDIT")")" = true ] \
        || CHECK="$CHECK, archives read again"
    rm -rf "$EDIT/Outputs"
    "$BIN" --quiet --config "$EDIT/pipeline.yml" run --force
    [ "$(jq -r .content_sha256 "$(latest_report "$EDIT")")" = "$NIGHT_HASH" ] || CHECK="$CHECK, HASH != FROM SCRATCH"
    [ "$CHECK" = ok ] || FAILED=1
    best_wall=$(best "$EDIT/inc.times")
    TABLE+=("$(row "$ROWS rows" \
        "$1 (every archive from the cache, hash as from scratch: $CHECK; $(ratio "$best_wall" "$FULL")× run --force)" \
        "$EDIT/inc.times")")
}

TABLE=()
for N in "${SIZES[@]}"; do
    SET="$DATA/n$N"
    generate_once "$SET" "$N transactions" --layout benchmark --transactions "$N" --enterprises 4600 \
        --years 2020-2024
    COMPRESSED=$(du -cb "$SET"/returns/*.tar.gz | tail -1 | cut -f1)

    echo "== floor: bench-unpack x$RUNS" >&2
    floor_runs "$SET"
    CSV_BYTES=$("$BIN" bench-unpack "$SET/returns" | sed -n 's/.*bytes=\([0-9]*\).*/\1/p')

    echo "== cold run --force x$RUNS" >&2
    cold_runs "$SET"
    HASHES=("${COLD_HASHES[@]}")
    ROWS=$(jq '[.archives[].members[].rows_read] | add' "$(latest_report "$SET")")
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
    FULL=$RB

    # b. nightly with nothing new: the Outputs of the last full rebuild, `run` without --force.
    if [ "$NIGHTLY" = 1 ]; then
        echo "== nightly: run (nothing new) x$RUNS" >&2
        : >"$SET/nightly.times"
        CHECKS=()
        for _ in $(seq "$RUNS"); do
            TIME_ALLOW_FAIL=1 time_cmd "$SET/nightly.one" "$BIN" --quiet --config "$SET/pipeline.yml" run
            cat "$SET/nightly.one" >>"$SET/nightly.times"
            CHECKS+=("$(outcome_check "$SET" "$SET/nightly.one" up-to-date)")
            [ "$(jq -r .content_sha256 "$(latest_report "$SET")")" = "${HASHES[0]}" ] || CHECKS+=("hash differs")
        done
        CHECK=$(printf '%s\n' "${CHECKS[@]}" | sort -u | paste -sd, -)
        [ "$CHECK" = ok ] || FAILED=1
        NB=$(best "$SET/nightly.times")
        TABLE+=("$(row "$ROWS rows" "run, nothing new (up-to-date: $CHECK; $(ratio "$NB" "$FULL")× run --force)" \
            "$SET/nightly.times")")
    fi

    # g. an edit of pipeline.yml that reading does not depend on: the 2025 target at 25 % instead of
    #    20 %, in a copy of the set (hard links, DATA/n<N>-edit), each run from a copy of the full
    #    rebuild's Outputs. Every archive must come from the cache, and the content hash be that of
    #    `run --force` with the edited config into a fresh Outputs.
    if [ "$CONFIG_EDIT" = 1 ]; then
        EDIT="$DATA/n$N-edit"
        rm -rf "$EDIT"
        mkdir -p "$EDIT"
        cp -al "$SET/returns" "$EDIT/returns"
        sed 's/{year: 2025, share_pct: 20.0,/{year: 2025, share_pct: 25.0,/' "$SET/pipeline.yml" >"$EDIT/pipeline.yml"
        ! cmp -s "$SET/pipeline.yml" "$EDIT/pipeline.yml" || { echo "no 2025 target to edit" >&2; exit 70; }
        echo "== config edit: run (no --force) after a new 2025 target x$RUNS" >&2
        from_cache_nights "run after a target edit"

        # A comment and an export: no setting the figures depend on (`PipelineConfig.figuresSHA256`).
        { cat "$SET/pipeline.yml"; printf '# reviewed by the statistics office\n'; } \
            | sed 's/^  exports:$/  exports:\n    - {table: by-district, format: csv}/' >"$EDIT/pipeline.yml"
        grep -q 'table: by-district, format: csv' "$EDIT/pipeline.yml" || { echo "no exports to add to" >&2; exit 70; }
        echo "== config edit: run (no --force) after a comment and an export added x$RUNS" >&2
        NIGHT_WANT=up-to-date nights "$EDIT" "$SET/Outputs"
        [ "$(jq -r '.inputs_unchanged_since // empty' "$(latest_report "$EDIT")")" != "" ] \
            || CHECK="$CHECK, archives read"
        [ -f "$EDIT/Outputs/exports/by-district.csv" ] || CHECK="$CHECK, export not written"
        [ "$NIGHT_HASH" = "${HASHES[0]}" ] || CHECK="$CHECK, HASH != FULL REBUILD'S"
        [ "$CHECK" = ok ] || FAILED=1
        CB=$(best "$EDIT/inc.times")
        TABLE+=("$(row "$ROWS rows" \
            "run after a comment and an export added (up to date, nothing read: $CHECK; $(ratio "$CB" "$FULL")× run --force)" \
            "$EDIT/inc.times")")

        # The first archive renamed: not decompressed again (issue 5: same sha256), every year
        # computed from the cache.
        cp "$SET/pipeline.yml" "$EDIT/pipeline.yml"
        FIRST=$(ls "$EDIT"/returns/*.tar.gz | head -1)
        mv "$FIRST" "${FIRST%.tar.gz}-v1.tar.gz"
        echo "== archive renamed: run (no --force) x$RUNS" >&2
        from_cache_nights "run after an archive renamed"
        rm -rf "$EDIT"
    fi

    # d. one year: `run --year Y` after the full rebuild.
    if [ -n "$YEAR" ]; then
        echo "== run --year $YEAR x$RUNS" >&2
        : >"$SET/year.times"
        OUTCOMES=()
        for _ in $(seq "$RUNS"); do
            TIME_ALLOW_FAIL=1 time_cmd "$SET/year.one" "$BIN" --quiet --config "$SET/pipeline.yml" run --year "$YEAR"
            cat "$SET/year.one" >>"$SET/year.times"
            OUTCOMES+=("exit $(cut -d' ' -f5 "$SET/year.one") $(jq -r .outcome "$(latest_report "$SET")")")
        done
        OUTCOME=$(printf '%s\n' "${OUTCOMES[@]}" | sort -u | paste -sd, -)
        YB=$(best "$SET/year.times")
        TABLE+=("$(row "$ROWS rows" "run --year $YEAR ($OUTCOME; $(ratio "$YB" "$FULL")× run --force)" \
            "$SET/year.times")")
    fi

    # c. one new archive of INCREMENT rows on top of the set, against that archive alone.
    if [ -n "$INCREMENT" ]; then
        ALONE="$DATA/n$N-inc$INCREMENT$RECENT-alone"
        INC="$DATA/n$N-inc$INCREMENT$RECENT"
        generate_once "$ALONE" "an increment of $INCREMENT rows${RECENT:+, revising Q4 orders only}" \
            --layout increment --transactions "$N" --enterprises 4600 --years "$YEARS" --increment "$INCREMENT" \
            ${RECENT:+--recent-revisions}
        cmp -s "$ALONE/pipeline.yml" "$SET/pipeline.yml" || { echo "the increment's pipeline.yml differs" >&2; exit 70; }
        NEW=$(ls "$ALONE"/returns/*.tar.gz)
        NEW_BYTES=$("$BIN" bench-unpack "$ALONE/returns" | sed -n 's/.*bytes=\([0-9]*\).*/\1/p')
        NEW_MIB=$(awk -v b="$NEW_BYTES" 'BEGIN { printf "%.1f", b / 1048576 }')

        echo "== increment: the set processed first (run --force, then a run 6 s later; not timed)" >&2
        linked_set "$SET" "$INC"
        processed_set "$SET" "$INC" "$NEW"

        echo "== increment: run (no --force) with the new archive x$RUNS" >&2
        nights "$INC"
        INC_HASH=$NIGHT_HASH
        # (Its figures, for the K archives' night below: INC/Outputs is another run's by then.)
        cp "$INC/Outputs/exports/target-vs-actual.csv" "$INC/night-target-vs-actual.csv"
        [ "$CHECK" = ok ] || FAILED=1

        echo "== increment: the same set from scratch (run --force, fresh Outputs)" >&2
        rm -rf "$INC/Outputs"
        time_cmd "$INC/scratch.one" "$BIN" --quiet --config "$INC/pipeline.yml" run --force
        SCRATCH_HASH=$(jq -r .content_sha256 "$(latest_report "$INC")")
        SCRATCH_ROWS=$(jq '[.archives[].members[].rows_read] | add' "$(latest_report "$INC")")
        if [ "$SCRATCH_HASH" = "$INC_HASH" ]; then
            SAME="incremental == from scratch"
        else
            SAME="INCREMENTAL != FROM SCRATCH"
            FAILED=1
        fi

        echo "== increment: the new archive alone (run --force, fresh Outputs) x$RUNS" >&2
        : >"$ALONE/alone.times"
        OUTCOMES=()
        for _ in $(seq "$RUNS"); do
            rm -rf "$ALONE/Outputs"
            TIME_ALLOW_FAIL=1 time_cmd "$ALONE/alone.one" "$BIN" --quiet --config "$ALONE/pipeline.yml" run --force
            cat "$ALONE/alone.one" >>"$ALONE/alone.times"
            OUTCOMES+=("exit $(cut -d' ' -f5 "$ALONE/alone.one") $(jq -r .outcome "$(latest_report "$ALONE")")")
        done
        OUTCOME=$(printf '%s\n' "${OUTCOMES[@]}" | sort -u | paste -sd, -)
        IB=$(best "$INC/inc.times")
        AB=$(best "$ALONE/alone.times")
        TABLE+=("$(row "$INCREMENT new rows ($NEW_MIB MiB CSV${RECENT:+, revising Q4 orders only})" \
            "the new archive alone, run --force ($OUTCOME)" \
            "$ALONE/alone.times" "$INCREMENT" "$NEW_MIB")")
        TABLE+=("$(row "$ROWS + $INCREMENT rows" \
            "run with it added ($CHECK; $(ratio "$IB" "$AB")× alone, $(ratio "$IB" "$FULL")× run --force)" \
            "$INC/inc.times" "$INCREMENT" "$NEW_MIB")")
        TABLE+=("$(row "$SCRATCH_ROWS rows" "run --force, from scratch ($SAME)" "$INC/scratch.one")")
        TABLE+=("| | content_sha256 | \`$INC_HASH\` | | | | | |")

        # The night after an analyst's `run --year` of the last year took the new archive (not
        # timed): it builds on the last full run's snapshot, and finds that run's figures up to date.
        LAST=${YEARS#*-}
        echo "== increment: run --year $LAST took it first (not timed), then the night x$RUNS" >&2
        rm -rf "$INC/Outputs" "$INC/Outputs.year"
        cp -a "$INC/Outputs.before" "$INC/Outputs"
        "$BIN" --quiet --config "$INC/pipeline.yml" run --year "$LAST"
        mv "$INC/Outputs" "$INC/Outputs.year"
        NIGHT_WANT=up-to-date nights "$INC" "$INC/Outputs.year"
        [ "$NIGHT_HASH" = "$INC_HASH" ] || CHECK="$CHECK, HASH != FROM SCRATCH"
        [ "$CHECK" = ok ] || FAILED=1
        YN=$(best "$INC/inc.times")
        TABLE+=("$(row "$ROWS + $INCREMENT rows" \
            "run after a run --year $LAST that took it ($CHECK; $(ratio "$YN" "$IB")× the night with it)" \
            "$INC/inc.times")")
    fi

    # f. the same N transactions, every DIRTY-th row of each member of first sends quarantined.
    if [ -n "$DIRTY" ]; then
        DSET="$DATA/n$N-dirty$DIRTY"
        generate_once "$DSET" "$N transactions, every ${DIRTY}th faulty" --layout benchmark --transactions "$N" \
            --enterprises 4600 --years "$YEARS" --faulty-every "$DIRTY"
        # (A new archive left in its returns by an interrupted bench, or by hand, would be read by
        # the cold runs, and the night would then find nothing new.)
        rm -f "$DSET"/returns/*_increment.tar.gz
        echo "== dirty: cold run --force x$RUNS" >&2
        cold_runs "$DSET"
        DREPORT=$(latest_report "$DSET")
        DROWS=$(jq '[.archives[].members[].rows_read] | add' "$DREPORT")
        DQUARANTINED=$(jq '[.archives[].members[].rows_quarantined] | add' "$DREPORT")
        DB=$(best "$DSET/run.times")
        TABLE+=("$(row "$DROWS rows, $DQUARANTINED quarantined" \
            "run --force ($(ratio "$DB" "$FULL")× the sound set's)" "$DSET/run.times" "$DROWS" "$MIB")")
        if [ -n "$INCREMENT" ]; then
            echo "== dirty: run (no --force) with the new archive x$RUNS" >&2
            # (A folder left by an interrupted bench would take the mv inside it, and every night
            # would then start from those stale outputs.)
            rm -rf "$DSET/Outputs.before"
            settle "$DSET"
            mv "$DSET/Outputs" "$DSET/Outputs.before"
            ln -f "$NEW" "$DSET/returns/"
            nights "$DSET"
            rm -f "$DSET/returns/$(basename "$NEW")"
            rm -rf "$DSET/Outputs.before"
            [ "$CHECK" = ok ] || FAILED=1
            DIB=$(best "$DSET/inc.times")
            TABLE+=("$(row "$DROWS + $INCREMENT rows" \
                "run with the new archive added ($CHECK; $(ratio "$DIB" "$IB")× the sound set's night)" \
                "$DSET/inc.times" "$INCREMENT" "$NEW_MIB")")
        fi
    fi

    # e. the same N transactions in ARCHIVES archives.
    if [ -n "$ARCHIVES" ]; then
        KSET="$DATA/n$N-k$ARCHIVES"
        generate_once "$KSET" "$N transactions in $ARCHIVES archives" --layout benchmark --transactions "$N" \
            --enterprises 4600 --years "$YEARS" --archives "$ARCHIVES"
        echo "== $ARCHIVES archives: floor and cold run --force x$RUNS" >&2
        floor_runs "$KSET"
        cold_runs "$KSET"
        KBYTES=$("$BIN" bench-unpack "$KSET/returns" | sed -n 's/.*bytes=\([0-9]*\).*/\1/p')
        KMIB=$(awk -v b="$KBYTES" 'BEGIN { printf "%.1f", b / 1048576 }')
        KROWS=$(jq '[.archives[].members[].rows_read] | add' "$(latest_report "$KSET")")
        if cmp -s "$KSET/Outputs/exports/target-vs-actual.csv" "$SET/Outputs/exports/target-vs-actual.csv"; then
            FIGURES="target-vs-actual.csv equal to 5 archives'"
        else
            FIGURES="target-vs-actual.csv DIFFERS from 5 archives'"
            FAILED=1
        fi
        KB=$(best "$KSET/run.times")
        TABLE+=("$(row "$KROWS rows in $ARCHIVES archives" "floor" "$KSET/floor.times" "$KROWS" "$KMIB")")
        TABLE+=("$(row "$KROWS rows in $ARCHIVES archives" \
            "run --force ($(ratio "$KB" "$FULL")× 5 archives; $FIGURES)" "$KSET/run.times" "$KROWS" "$KMIB")")

        # The nights of the K archives (a returns folder that grew by a return a night for years
        # holds thousands): with --nightly, nothing new; with --increment, the same new archive as
        # the five archives' night, against that night (the same figures, other archive names).
        if [ "$NIGHTLY" = 1 ] || [ -n "$INCREMENT" ]; then
            KINC="$DATA/n$N-k$ARCHIVES-nights"
            echo "== $ARCHIVES archives: processed first (run --force, then a run 6 s later; not timed)" >&2
            # (Linked anew: an earlier bench left the new archive in its returns.)
            linked_set "$KSET" "$KINC"
            processed_set "$KSET" "$KINC"
        fi
        if [ "$NIGHTLY" = 1 ]; then
            echo "== $ARCHIVES archives: run (nothing new) x$RUNS" >&2
            NIGHT_WANT=up-to-date nights "$KINC"
            [ "$CHECK" = ok ] || FAILED=1
            KN=$(best "$KINC/inc.times")
            TABLE+=("$(row "$KROWS rows in $ARCHIVES archives" \
                "run, nothing new (up-to-date: $CHECK; $(ratio "$KN" "$NB")× 5 archives')" "$KINC/inc.times")")
        fi
        if [ -n "$INCREMENT" ]; then
            echo "== $ARCHIVES archives: run (no --force) with the new archive x$RUNS" >&2
            ln -f "$NEW" "$KINC/returns/"
            nights "$KINC"
            KNIGHT_HASH=$NIGHT_HASH
            if cmp -s "$KINC/Outputs/exports/target-vs-actual.csv" "$INC/night-target-vs-actual.csv"; then
                KFIGURES="target-vs-actual.csv equal to 5 archives'"
            else
                KFIGURES="target-vs-actual.csv DIFFERS from 5 archives'"
                FAILED=1
            fi
            rm -rf "$KINC/Outputs"
            "$BIN" --quiet --config "$KINC/pipeline.yml" run --force
            [ "$(jq -r .content_sha256 "$(latest_report "$KINC")")" = "$KNIGHT_HASH" ] \
                || CHECK="$CHECK, HASH != FROM SCRATCH"
            [ "$CHECK" = ok ] || FAILED=1
            KIB=$(best "$KINC/inc.times")
            TABLE+=("$(row "$KROWS + $INCREMENT rows in $ARCHIVES + 1 archives" \
                "run with it added ($CHECK, hash as from scratch; $(ratio "$KIB" "$IB")× 5 archives' night; $KFIGURES)" \
                "$KINC/inc.times" "$INCREMENT" "$NEW_MIB")")
        fi
    fi
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
[ "$FAILED" = 0 ] || { echo "a scenario's check FAILED (see its row)" >&2; exit 70; }
