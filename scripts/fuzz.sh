#!/usr/bin/env bash
# libFuzzer for the CSV reader, the number and date parsers and the member normalizer (Linux).
#
# Usage: scripts/fuzz.sh [TARGET…] [-- LIBFUZZER_OPTIONS…]
#        scripts/fuzz.sh --check      type-check every target, fuzz nothing (~15 s; `swift test`
#                                     runs it, so that the file list below cannot go stale unseen)
#   TARGET    csv | numbers | member (default: all three, one after another)
#   options   passed to each fuzzer; default -max_total_time=${FUZZ_SECONDS:-180}
# Example: FUZZ_SECONDS=600 scripts/fuzz.sh csv
#          scripts/fuzz.sh member -- -runs=100000 -max_len=4096
#
# Each target is compiled on its own with `swiftc -sanitize=fuzzer,address` from the GRDPCore sources
# it needs (Normalize/, Model/, Config/PipelineConfig.swift) plus Fuzz/FuzzSupport.swift and
# Fuzz/<target>.swift, into .build/fuzz/; SwiftPM never sees Fuzz/, so `swift build` and
# `swift test` are unaffected. The corpus grows in .build/fuzz/corpus-<target> (seeded from
# Fuzz/seeds/<target>); a crash is written to .build/fuzz/crash-* — turn it into a regular test.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/.build/fuzz"
mkdir -p "$OUT"

check=false
if [[ ${1:-} == --check ]]; then check=true; shift; fi
targets=()
while [[ $# -gt 0 && $1 != -- ]]; do targets+=("$1"); shift; done
[[ ${1:-} == -- ]] && shift
options=("$@")
[[ ${#options[@]} -gt 0 ]] || options=("-max_total_time=${FUZZ_SECONDS:-180}")
[[ ${#targets[@]} -gt 0 ]] || targets=(csv numbers member)

S="$ROOT/Sources/GRDPCore"
# Normalize's transaction batch (`TransactionBatch`) and what it is built on: its texts, plain
# arrays, the cache's mapped file and the ledger state's coding.
sources=("$S"/Normalize/*.swift "$S"/Model/*.swift "$S/Config/PipelineConfig.swift"
    "$S/Export/OutputWriteError.swift" "$S/Export/FileSystem.swift" "$S/Unpack/InputFile.swift"
    "$S/Unpack/FileLocation.swift" "$ROOT/Fuzz/FuzzSupport.swift")
for name in TransactionBatch LedgerTexts PlainArray SlotIndex; do
    sources+=("$S/Revisions/$name.swift")
done
sources+=("$S/StateFiles/LedgerStateCoding.swift" "$S/StateFiles/MappedFile.swift")

# The library's own language settings (Package.swift): some of its files say `internal import`,
# which is ambiguous beside a plain `import` without them.
flags=(-parse-as-library -module-name GRDPFuzz
    -enable-upcoming-feature InternalImportsByDefault -enable-upcoming-feature MemberImportVisibility
    -enable-upcoming-feature ExistentialAny -I "$ROOT/Sources/CMemory" -I "$ROOT/Sources/CFileCopy")

for target in "${targets[@]}"; do
    [[ -f "$ROOT/Fuzz/$target.swift" ]] || { echo "no such target: $target" >&2; exit 64; }
    if $check; then
        echo "== type-checking $target" >&2
        swiftc -typecheck "${flags[@]}" "${sources[@]}" "$ROOT/Fuzz/$target.swift"
        continue
    fi
    binary="$OUT/fuzz-$target"
    echo "== compiling $target" >&2
    swiftc "${flags[@]}" -sanitize=fuzzer,address -O -g \
        "${sources[@]}" "$ROOT/Fuzz/$target.swift" -o "$binary" 2> >(grep -v "Cannot export local symbol" >&2)
    corpus="$OUT/corpus-$target"
    mkdir -p "$corpus"
    echo "== fuzzing $target: ${options[*]}" >&2
    (cd "$OUT" && "$binary" "$corpus" "$ROOT/Fuzz/seeds/$target" -artifact_prefix="$OUT/crash-$target-" \
        -print_final_stats=1 "${options[@]}")
done
