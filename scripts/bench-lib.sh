#!/usr/bin/env bash
# scripts/bench-lib.sh — what scripts/bench.sh and scripts/night-pairs.sh share: timing a command,
# summing up its times, checking a run's report, and a processed set's nights. Sourced, not run;
# the functions read BIN (the grdp binary) and RUNS (how many times) where they say so.

# time_cmd OUTFILE CMD...: runs CMD under GNU time; prints "wall user sys rss_kib exit" to OUTFILE.
# A failing CMD shows GNU time's log and fails, unless TIME_ALLOW_FAIL=1 (its exit status is kept).
time_cmd() {
    local out=$1; shift
    local log rc=0
    log=$(mktemp)
    /usr/bin/time -v "$@" >/dev/null 2>"$log" || rc=$?
    if [ "$rc" != 0 ] && [ "${TIME_ALLOW_FAIL:-0}" != 1 ]; then cat "$log" >&2; rm -f "$log"; return 1; fi
    awk -F': ' '
        /Elapsed \(wall clock\)/ { n = split($2, p, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + p[i] }
        /User time \(seconds\)/ { u = $2 }
        /System time \(seconds\)/ { s = $2 }
        /Maximum resident set size/ { r = $2 }
        /Exit status/ { x = $2 }
        END { printf "%.3f %.2f %.2f %d %d\n", w, u, s, r, x }' "$log" >"$out"
    rm -f "$log"
}

# summarize FILE: "best median cpu_of_best rss_max" over the lines of FILE.
summarize() {
    sort -n -k1 "$1" | awk '
        { w[NR] = $1; c[NR] = $2 + $3; if ($4 > r) r = $4 }
        END { m = (NR % 2) ? w[(NR + 1) / 2] : (w[NR / 2] + w[NR / 2 + 1]) / 2
              printf "%.2f %.2f %.2f %.0f\n", w[1], m, c[1], r / 1024 }'
}

# latest_report DIR: the newest run report of DIR/Outputs.
latest_report() {
    ls -t "$1"/Outputs/reports/run-*.json | head -1
}

# outcome_check DIR ONEFILE WANT: "ok" when the last timed run (ONEFILE) exited 0 and the newest
# report of DIR says WANT, else what it said.
outcome_check() {
    local rc outcome
    rc=$(cut -d' ' -f5 "$2")
    outcome=$(jq -r .outcome "$(latest_report "$1")")
    if [ "$rc" = 0 ] && [ "$outcome" = "$3" ]; then echo ok; else echo "exit $rc, outcome $outcome"; fi
}

# linked_set SET DIR: DIR made a copy of SET (hard links to its archives but an increment left
# there, its pipeline.yml). A hard link moves the linked file's status-change time, so every copy
# of a set is linked before any of them is processed (`settle`).
linked_set() {
    local set=$1 dir=$2
    rm -rf "$dir"
    mkdir -p "$dir"
    cp -al "$set/returns" "$dir/returns"
    rm -f "$dir"/returns/*_increment.tar.gz
    cp "$set/pipeline.yml" "$dir/"
}

# settle DIR: one more `BIN run` over DIR (up to date, not timed), over 5 s after the last: its
# archives' digests then come from the memo that two runs that far apart vouch for
# (`ArchiveDigestMemo`), as on any night after the one that first saw them.
settle() {
    sleep 6
    "$BIN" --quiet --config "$1/pipeline.yml" run
}

# processed_set SET DIR [NEW]: DIR linked from SET (`linked_set`, unless DIR/returns is there
# already), processed by `BIN run --force` (not timed) and settled (`settle`) into
# DIR/Outputs.before, then NEW (an archive), when given, linked into DIR/returns: ready for
# `nights DIR`.
processed_set() {
    local set=$1 dir=$2 new=${3:-}
    [ -d "$dir/returns" ] || linked_set "$set" "$dir"
    rm -rf "$dir/Outputs" "$dir/Outputs.before"
    "$BIN" --quiet --config "$dir/pipeline.yml" run --force
    settle "$dir"
    mv "$dir/Outputs" "$dir/Outputs.before"
    [ -z "$new" ] || ln -f "$new" "$dir/returns/"
}

# nights DIR [FROM]: RUNS timed `grdp run` (no --force) over DIR, each from a copy of FROM (an
# Outputs folder; DIR/Outputs.before by default), written back with `sync` first (a real night
# does not follow a copy of its outputs: ~0.6 GB at 10 M); times in DIR/inc.times. Sets CHECK
# ("ok", or what went wrong, hashes differing between runs included) and NIGHT_HASH (the first
# run's content_sha256). Each run must publish a snapshot, or report NIGHT_WANT when set
# (up-to-date).
nights() {
    local dir=$1 from=${2:-$1/Outputs.before} checks=() hashes=() want=${NIGHT_WANT:-snapshot}
    : >"$dir/inc.times"
    for _ in $(seq "$RUNS"); do
        rm -rf "$dir/Outputs"
        cp -a "$from" "$dir/Outputs"
        sync
        TIME_ALLOW_FAIL=1 time_cmd "$dir/inc.one" "$BIN" --quiet --config "$dir/pipeline.yml" run
        cat "$dir/inc.one" >>"$dir/inc.times"
        checks+=("$(outcome_check "$dir" "$dir/inc.one" "$want")")
        hashes+=("$(jq -r .content_sha256 "$(latest_report "$dir")")")
    done
    CHECK=$(printf '%s\n' "${checks[@]}" | sort -u | paste -sd, -)
    [ "$(printf '%s\n' "${hashes[@]}" | sort -u | wc -l)" = 1 ] || CHECK="$CHECK, hash differs between runs"
    NIGHT_HASH=${hashes[0]}
}
