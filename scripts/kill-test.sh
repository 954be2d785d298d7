#!/usr/bin/env bash
# Crash safety by killing (CONTRACT §6, §7): `kill -9` a `grdp run --force` at random moments and
# check that no snapshot is ever partial and that the next run recovers with the same figures.
#
# Usage: scripts/kill-test.sh [KILLS] [TRANSACTIONS]
#   KILLS         runs to kill (default 50)
#   TRANSACTIONS  size of the generated dataset (default 200000; a release `run --force` should
#                 take a few seconds)
# Environment:
#   GRDP_BIN   the grdp binary to test (default: builds and uses .build/release/grdp)
#   KEEP=1     keep the work folder for inspection
#   SEED       seed of the random delays (default: $RANDOM)
#   GRDP_KEEP_LEDGER_FROM  passed on to grdp (default here 0: the revision ledger is always kept)
#   MAX_DELAY_PCT  latest kill, in % of one uninterrupted run (default 110: some runs finish first,
#              and the publish and export steps at the very end are hit too)
#   GENERATE   more arguments for `grdp generate`, e.g. "--layout benchmark --faulty-every 100"
#              for a set whose members have quarantined rows past their first 20 (kept in the
#              archive cache and read back at the publish)
#   QUARANTINE_RATIO  sets the generated pipeline.yml's quality.max_quarantine_ratio, e.g. 0.6 with
#              "--faulty-every 2" for members with many quarantined rows (the archive cache's
#              quarantine sections then go through their spill temporaries, which kills hit too)
#
# For each of KILLS rounds:
#   1. start `grdp run --force` (odd rounds), `grdp run` (even rounds, which takes archives from
#      Outputs/cache/; before it, a note the run ignores is written into the returns folder, so that
#      the inputs differ from the last run's and the run goes on to copy the unchanged years' sales
#      rows from the latest snapshot, which is every year here) or, every fourth round,
#      `grdp run --year 2023` (which starts its snapshot from a copy of the latest), SIGKILL it after
#      a random delay within the length of one uninterrupted run (rounds where the run finished
#      first are counted, not failed);
#   2. every grdp-v*.sqlite passes `grdp verify` (once; afterwards it must stay byte-identical to the
#      file that passed); snapshots/ holds nothing but published
#      snapshots and `.grdp-*.tmp` leftovers; every run report is complete JSON;
#   3. the next `grdp run --force` (every third round a plain `grdp run`, trusting what the killed
#      runs left in the cache) exits 0, leaves no `.grdp-*.tmp` in snapshots/, exports/ or cache/, and its
#      snapshot's content_sha256 (from `grdp snapshots --json`) equals the reference hash, computed
#      once by an uninterrupted run in a separate copy of the dataset.
# Exits 1 at the first failed check, printing it; else prints the figures and exits 0.
set -euo pipefail

KILLS=${1:-50}
TRANSACTIONS=${2:-200000}
SEED=${SEED:-$RANDOM}
RANDOM=$SEED
ROOT=$(cd "$(dirname "$0")/.." && pwd)

if [[ -z "${GRDP_BIN:-}" ]]; then
    (cd "$ROOT" && swift build -c release --product grdp >&2)
    GRDP_BIN="$ROOT/.build/release/grdp"
fi
BIN=$GRDP_BIN
# The revision ledger is kept (cache/ledger.bin, and a journal beside it) whatever its size, so that
# its writes are killed too (by default only from 3 M transaction keys).
export GRDP_KEEP_LEDGER_FROM=${GRDP_KEEP_LEDGER_FROM:-0}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/grdp-kill.XXXXXX")
cleanup() { if [[ "${KEEP:-0}" != 1 ]]; then rm -rf "$WORK"; else echo "work folder kept: $WORK"; fi; }
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
    echo "FAIL (round $round): $*" >&2
    KEEP=1
    exit 1
}

now_ms() { date +%s%3N; }

# Prints the content_sha256 of the latest snapshot, as grdp itself reports it.
latest_hash() {
    (cd "$1" && "$BIN" --quiet snapshots --json) | grep '"content_sha256"' | tail -1 | sed 's/.*: *"\([0-9a-f]*\)".*/\1/'
}

round=0
echo "seed $SEED; generating $TRANSACTIONS transactions in $WORK" >&2
# shellcheck disable=SC2086 # GENERATE is a list of arguments
"$BIN" --quiet generate --out "$WORK/data" --transactions "$TRANSACTIONS" ${GENERATE:-} >/dev/null
if [[ -n ${QUARANTINE_RATIO:-} ]]; then
    sed -i "s/max_quarantine_ratio: .*/max_quarantine_ratio: $QUARANTINE_RATIO/" "$WORK/data/pipeline.yml"
    grep -q "max_quarantine_ratio: $QUARANTINE_RATIO" "$WORK/data/pipeline.yml" || fail "QUARANTINE_RATIO not set"
fi
cp -r "$WORK/data" "$WORK/reference"

start=$(now_ms)
(cd "$WORK/reference" && "$BIN" --quiet run >/dev/null 2>&1) || fail "the reference run failed"
RUN_MS=$(($(now_ms) - start))
REFERENCE=$(latest_hash "$WORK/reference")
[[ ${#REFERENCE} == 64 ]] || fail "no reference hash"
echo "one uninterrupted run: ${RUN_MS} ms; reference content_sha256 $REFERENCE" >&2

cd "$WORK/data"
SNAPSHOTS=Outputs/snapshots
killed=0 finished_first=0 leftovers_seen=0 recovered=0
declare -A verified=()

for round in $(seq 1 "$KILLS"); do
    # Up to MAX_DELAY_PCT % of an uninterrupted run.
    delay_ms=$((RANDOM * 32768 + RANDOM))
    delay_ms=$((delay_ms % (RUN_MS * ${MAX_DELAY_PCT:-110} / 100 + 1)))
    # Odd rounds kill `run --force` (reads every archive, writes the caches), even rounds a plain
    # `run` (takes archives from Outputs/cache/ when it can), every fourth `run --year` (copies the
    # latest snapshot, then rewrites one year).
    if ((round % 4 == 0)); then args=(--year 2023); elif ((round % 2)); then args=(--force); else args=(); fi
    # An ignored file changes the inputs' fingerprint, not the figures (see step 1 above).
    if ((round % 4 == 2)); then echo "round $round" >returns/NOTES.txt; fi
    "$BIN" --quiet run "${args[@]}" >/dev/null 2>&1 &
    pid=$!
    sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
    if kill -9 "$pid" 2>/dev/null; then
        wait "$pid" 2>/dev/null && status=0 || status=$?
        if [[ $status == 137 ]]; then killed=$((killed + 1)); else finished_first=$((finished_first + 1)); fi
    else
        wait "$pid" 2>/dev/null || true
        finished_first=$((finished_first + 1))
    fi

    # Nothing partial: every published snapshot verifies; nothing else but temporaries.
    if [[ -d $SNAPSHOTS ]]; then
        for file in "$SNAPSHOTS"/* "$SNAPSHOTS"/.[!.]*; do
            [[ -e $file ]] || continue
            name=$(basename "$file")
            if [[ $name =~ ^grdp-v([0-9]{4,})\.sqlite$ ]]; then
                # A snapshot seen before must be byte-identical to the one verified then; a new one
                # is verified in full (integrity, application_id, schema, content hash).
                sum=$(sha256sum "$file" | cut -d' ' -f1)
                if [[ -n ${verified[$name]:-} ]]; then
                    [[ ${verified[$name]} == "$sum" ]] || fail "$name changed after it was published"
                else
                    "$BIN" --quiet verify "v${BASH_REMATCH[1]}" >/dev/null 2>&1 || fail "$name does not verify after a kill at ${delay_ms} ms"
                    verified[$name]=$sum
                fi
            elif [[ $name == .grdp-*.tmp || $name == .grdp-*.tmp-journal ]]; then
                leftovers_seen=$((leftovers_seen + 1))
            else
                fail "unexpected file $name in snapshots/ after a kill at ${delay_ms} ms"
            fi
        done
    fi
    for report in Outputs/reports/*.json; do
        [[ -e $report ]] || continue
        [[ $(tail -c 2 "$report") == "}" ]] || fail "report $report is incomplete"
    done

    # The next run cleans up and completes with the reference figures: every third one a plain
    # `run`, which trusts what the killed runs left in Outputs/cache/ (complete entries only).
    if ((round % 3 == 0)); then force=; else force=--force; fi
    "$BIN" --quiet run $force >/dev/null 2>"$WORK/next.err" || fail "the run after a kill at ${delay_ms} ms failed: $(cat "$WORK/next.err")"
    for folder in "$SNAPSHOTS" Outputs/exports Outputs/cache Outputs/cache/archives; do
        if compgen -G "$folder/.grdp-*" >/dev/null; then fail "leftover in $folder after a completed run: $(ls -a "$folder")"; fi
    done
    hash=$(latest_hash .)
    [[ $hash == "$REFERENCE" ]] || fail "content hash $hash differs from the reference after a kill at ${delay_ms} ms"
    recovered=$((recovered + 1))
    printf '\rround %d/%d: killed %d, finished before the kill %d' "$round" "$KILLS" "$killed" "$finished_first" >&2
done
echo >&2

count=$(find "$SNAPSHOTS" -name 'grdp-v*.sqlite' | wc -l)
echo "kills: $killed (runs killed by SIGKILL), finished before the kill: $finished_first"
echo "survived: $recovered of $KILLS rounds (every snapshot verified, the next run recovered with the reference hash)"
echo "temporary leftovers seen after kills: $leftovers_seen; snapshots published: $count; one run: ${RUN_MS} ms; seed $SEED"
