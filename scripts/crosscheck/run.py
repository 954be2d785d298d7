#!/usr/bin/env python3
"""Run grdp and the reference on every case folder; diff cell by cell.

    python3 run.py --grdp .build/debug/grdp CASES_DIR [CASE ...] [-v]

Each case is copied to a scratch folder first (grdp writes Outputs/ beside the config).
Compares: exit code of `grdp run`; target-vs-actual CSV; by-district CSV; quarantine
(archive_path, member_path, line, kind, reason) — `detail` is free text and not compared.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import reference  # noqa: E402


def grdp_tables(grdp, cfg):
    r = subprocess.run([grdp, "--config", cfg, "--quiet", "run"], capture_output=True, text=True)
    out = {"exit": r.returncode, "stderr": r.stderr[-2000:]}
    if r.returncode != 0:
        return out
    for table in ("target-vs-actual", "by-district", "quarantine"):
        e = subprocess.run([grdp, "--config", cfg, "--quiet", "export", "--table", table, "--format", "csv", "--output", "-"],
                           capture_output=True, text=True)
        if e.returncode != 0:
            out[table] = None
            out["stderr"] += e.stderr[-500:]
            continue
        rows = list(csv.reader(io.StringIO(e.stdout)))
        out[table] = rows
    return out


def ref_tables(cfg):
    try:
        c = reference.load_config(cfg)
    except Exception as e:  # noqa: BLE001
        return {"exit": 64, "err": str(e)}
    o = reference.run(c)
    res = {"exit": o["exit"], "rejected": o["rejected"]}
    for t in ("target-vs-actual", "by-district"):
        res[t] = [reference.HEADERS[t]] + o["tables"][t]
    res["quarantine"] = [reference.HEADERS["quarantine"]] + [list(q) for q in o["quarantine"]]
    return res


def diff_table(name, want, got, ncols=None):
    """Returns (cells compared, list of diff strings)."""
    diffs = []
    if got is None:
        return 0, [f"{name}: grdp export failed"]
    if ncols:
        want = [r[:ncols] for r in want]
        got = [r[:ncols] for r in got]
    if want[:1] != got[:1]:
        diffs.append(f"{name}: header ref={want[:1]} grdp={got[:1]}")
    # key rows by first columns
    keyn = {"target-vs-actual": 1, "by-district": 2, "quarantine": 3}[name]
    wk = {tuple(r[:keyn]): r for r in want[1:]}
    gk = {tuple(r[:keyn]): r for r in got[1:]}
    cells = 0
    for k in sorted(set(wk) | set(gk)):
        if k not in gk:
            diffs.append(f"{name}: row {k} only in reference: {wk[k]}")
            continue
        if k not in wk:
            diffs.append(f"{name}: row {k} only in grdp: {gk[k]}")
            continue
        hdr = want[0]
        for i, col in enumerate(hdr):
            cells += 1
            a = wk[k][i] if i < len(wk[k]) else "<none>"
            b = gk[k][i] if i < len(gk[k]) else "<none>"
            if a != b:
                diffs.append(f"{name}: {k} {col}: ref={a!r} grdp={b!r}")
    if not diffs and [tuple(r[:keyn]) for r in want[1:]] != [tuple(r[:keyn]) for r in got[1:]]:
        diffs.append(f"{name}: row order differs")
    return cells, diffs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--grdp", default=os.path.join(HERE, "..", "..", ".build", "debug", "grdp"))
    ap.add_argument("cases")
    ap.add_argument("names", nargs="*")
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()
    grdp = os.path.abspath(a.grdp)
    names = a.names or sorted(d for d in os.listdir(a.cases) if os.path.isfile(os.path.join(a.cases, d, "pipeline.yml")))
    total_cells = 0
    bad = {}
    for n in names:
        with tempfile.TemporaryDirectory() as tmp:
            dst = os.path.join(tmp, n)
            shutil.copytree(os.path.join(a.cases, n), dst, symlinks=True)
            cfg = os.path.join(dst, "pipeline.yml")
            g = grdp_tables(grdp, cfg)
            r = ref_tables(cfg)
        diffs = []
        if g["exit"] != r["exit"]:
            diffs.append(f"exit: ref={r['exit']} grdp={g['exit']} ref_rejected={r.get('rejected')} grdp_stderr={g['stderr'].strip()[-600:]!r}")
        if g["exit"] == 0 and r["exit"] == 0:
            for t, nc in (("target-vs-actual", None), ("by-district", None), ("quarantine", 5)):
                cells, d = diff_table(t, r[t], g.get(t), nc)
                total_cells += cells
                diffs += d
        if diffs:
            bad[n] = diffs
        print(f"{'FAIL' if diffs else 'ok  '} {n} ({len(diffs)} diffs)")
        if diffs and a.v:
            for d in diffs:
                print("     " + d)
    print(f"\n{len(names)} cases, {total_cells} cells compared, {len(bad)} cases with disagreements")
    with open(os.path.join(tempfile.gettempdir(), "cc_last.json"), "w") as f:
        json.dump(bad, f, indent=1, ensure_ascii=False)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
