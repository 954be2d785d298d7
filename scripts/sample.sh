#!/usr/bin/env bash
# Sets up what grdp needs on Debian (only the packages that are missing) and runs the pipeline
# on the bundled sample (Inputs/returns, pipeline.yml), then prints the target-vs-actual table.
# Usage, from anywhere: scripts/sample.sh
set -euo pipefail
cd "$(dirname "$0")/.."

packages="libarchive-dev libsqlite3-dev zlib1g-dev liblzma-dev libbz2-dev pkg-config"
missing=""
for package in $packages; do
    dpkg -s "$package" >/dev/null 2>&1 || missing="$missing $package"
done
if [ -n "$missing" ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "Installing:$missing"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing
fi

swift build --product grdp
.build/debug/grdp run            # a new snapshot, or "up to date" when the figures are unchanged
.build/debug/grdp export --format md
