#!/usr/bin/env python3
"""Generate small adversarial datasets for the grdp cross-check.

    python3 make_cases.py OUTDIR [--random N] [--first-seed S]   (random cases seeded S … S+N−1)

Each case is OUTDIR/<name>/{pipeline.yml, returns/...}. Stdlib only.
"""
from __future__ import annotations

import gzip
import bz2
import hashlib
import io
import lzma
import os
import random
import shutil
import sys
import tarfile
import time
import zipfile


# ---------------------------------------------------------------- helpers

def tax10(prefix9: str) -> str | None:
    w = [31, 29, 23, 19, 17, 13, 7, 5, 3]
    s = sum(int(prefix9[i]) * w[i] for i in range(9))
    c = 10 - (s % 11)
    return None if c == 10 else prefix9 + str(c)


def valid_taxes(n, rng=None, start=10000000):
    out = []
    i = start
    while len(out) < n:
        t = tax10(f"{i:09d}")
        if t:
            out.append(t)
        i += 7
    return out


TAX = valid_taxes(40)
PERSONAL = ["001203004005", "079188001234"]
# a 9-digit prefix whose check digit would be 10
BAD10 = next(f"{i:09d}" for i in range(10000000, 20000000) if tax10(f"{i:09d}") is None)


def csv_bytes(rows, delim=",", eol="\n", bom=False):
    def cell(v):
        v = str(v)
        if any(c in v for c in (delim, '"', "\n", "\r")):
            return '"' + v.replace('"', '""') + '"'
        return v
    s = eol.join(delim.join(cell(v) for v in r) for r in rows) + eol
    b = s.encode("utf-8")
    return (b"\xef\xbb\xbf" + b) if bom else b


FIXED_TIME = 1700000000


def make_archive(path, fmt, members):
    """members: list of (name, bytes) in storage order; name may be ('symlink', target)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if fmt == "zip":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in members:
                zi = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
                zi.external_attr = 0o100644 << 16
                zi.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(zi, data)
        return
    if fmt == "csvgz":
        (name, data), = members
        with open(path, "wb") as f:
            f.write(gzip.compress(data, mtime=0))
        return
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in members:
            ti = tarfile.TarInfo(name)
            ti.mtime = FIXED_TIME
            if isinstance(data, tuple) and data[0] == "symlink":
                ti.type = tarfile.SYMTYPE
                ti.linkname = data[1]
                t.addfile(ti)
            else:
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
    raw = buf.getvalue()
    if fmt == "tar":
        out = raw
    elif fmt == "tgz":
        out = gzip.compress(raw, mtime=0)
    elif fmt == "txz":
        out = lzma.compress(raw)
    elif fmt == "tbz2":
        out = bz2.compress(raw)
    else:
        raise ValueError(fmt)
    with open(path, "wb") as f:
        f.write(out)


def yml_val(v, ind):
    pad = "  " * ind
    if isinstance(v, dict):
        if not v:
            return " {}\n"
        s = "\n"
        for k, x in v.items():
            s += f"{pad}{yml_key(k)}:{yml_val(x, ind + 1)}"
        return s
    if isinstance(v, list):
        if not v:
            return " []\n"
        if all(isinstance(x, dict) for x in v):
            s = "\n"
            for x in v:
                s += f"{pad}- {{" + ", ".join(f"{yml_key(k)}: {yml_scalar(y)}" for k, y in x.items()) + "}\n"
            return s
        return " [" + ", ".join(yml_scalar(x) for x in v) + "]\n"
    return " " + yml_scalar(v) + "\n"


def yml_key(k):
    return k if isinstance(k, int) or (isinstance(k, str) and k.replace("_", "").isalnum() and k.isascii() and not k.isdigit()) else '"' + str(k) + '"'


def yml_scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, Raw):
        return str(v)
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


class Raw(str):
    """Unquoted YAML scalar (numbers written exactly)."""


def write_config(dirpath, cfg):
    s = ""
    for k, v in cfg.items():
        s += f"{k}:{yml_val(v, 1)}"
    with open(os.path.join(dirpath, "pipeline.yml"), "w", encoding="utf-8") as f:
        f.write(s)


def base_config(**over):
    cfg = {
        "version": 1,
        "region": {"code": "67", "name": "Đắk Nông", "utc_offset": "+07:00",
                   "districts": {"660": "Gia Nghĩa", "661": "Đắk Glong", "662": "Cư Jút"}},
        "inputs": {"returns": "returns"},
        "quality": {"max_quarantine_ratio": Raw("1")},
        "methodology": {"ecommerce": {"va_ratio_default": Raw("0.10"),
                                      "va_ratio_by_channel": {"marketplace": Raw("0.08"), "website": Raw("0.12")}},
                        "digitised_coefficients": {"C": Raw("0.03"), "G": Raw("0.05"), "K": Raw("0.08")}},
        "targets": {"interpolation": "linear",
                    "points": [{"year": 2020, "share_pct": Raw("1.64")}, {"year": 2025, "share_pct": Raw("20.0")},
                               {"year": 2030, "share_pct": Raw("30.0")}]},
    }
    for k, v in over.items():
        path = k.split("__")
        d = cfg
        for p in path[:-1]:
            d = d.setdefault(p, {})
        if v is None:
            d.pop(path[-1], None)
        else:
            d[path[-1]] = v
    return cfg


class Case:
    def __init__(self, root, name, **cfg_over):
        self.dir = os.path.join(root, name)
        if os.path.exists(self.dir):
            shutil.rmtree(self.dir)
        os.makedirs(os.path.join(self.dir, "returns"))
        self.cfg = base_config(**cfg_over)

    def archive(self, rel, fmt, members):
        make_archive(os.path.join(self.dir, "returns", rel), fmt, members)
        return os.path.join(self.dir, "returns", rel)

    def raw(self, rel, data: bytes):
        p = os.path.join(self.dir, "returns", rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)

    def done(self):
        write_config(self.dir, self.cfg)


ENT_H = ["tax_code", "year", "vsic", "value_added", "name", "district_code", "employees"]
TX_H = ["transaction_id", "date", "amount", "status", "channel", "seller_tax_code", "seller_province",
        "seller_district_code", "currency", "refund_amount"]
GRDP_H = ["year", "grdp", "province_code", "price_basis"]


def std_grdp(years=(2022, 2023, 2024, 2025), vals=None):
    vals = vals or {2022: "48000.5", 2023: "51234.125", 2024: "55700", 2025: "60000.25", 2021: "45000"}
    return csv_bytes([GRDP_H] + [[y, vals[y], "67", "current"] for y in years])


# ---------------------------------------------------------------- cases

def fixed_cases(root):
    T = TAX
    # 1. basic
    c = Case(root, "basic")
    c.archive("2024-01-01_a.zip", "zip", [
        ("enterprise.csv", csv_bytes([ENT_H,
                                      [T[0], 2023, "J6201", "12345.678", "Cty A", "660", "12"],
                                      [T[1], 2023, "4711", "5000", "Cty B", "661", "3"],
                                      [T[2], 2023, "C1010", "2500.5", "Cty C", "", ""],
                                      [T[3], 2024, "62010", "13000", "Cty A2", "660", ""],
                                      [T[4], 2024, "64190", "8000", "Bank", "662", ""]])),
        ("transactions.csv", csv_bytes([TX_H,
                                         ["t1", "2023-05-01", "150000000", "completed", "marketplace", T[1], "67", "", "", ""],
                                         ["t2", "2023-06-01", "250000000", "completed", "website", T[0], "67", "", "", ""],
                                         ["t3", "2024-02-01", "1000000000", "delivered", "Website", "", "", "662", "", "100000000"],
                                         ["t4", "2024-03-01", "700000000", "cancelled", "", T[4], "", "", "", ""],
                                         ["t5", "2024-03-01", "900000000", "success", "social", T[4], "", "", "", ""]])),
        ("grdp.csv", std_grdp()),
    ])
    c.done()

    # 2. number conventions
    def numcase(name, fmt, rows_va, delim=",", extra=None, nf="auto"):
        c = Case(root, name, inputs__number_format=nf)
        rows = [ENT_H] + [[T[i % 30], 2024 if i < 30 else 2023, "4711", v, "x", "660", ""] for i, v in enumerate(rows_va)]
        c.archive("a.zip", "zip", [("enterprise.csv", csv_bytes(rows, delim=delim)), ("grdp.csv", std_grdp())])
        c.done()

    numcase("num_en_fixed", "en", ["1,234.5", "1234", "1.234", "12,345,678.9", "1,23", "1234,567", "-1,000.25"], nf="en")
    numcase("num_vi_fixed", "vi", ["1.234,5", "1234", "1.234", "12.345.678,9", "1.23", "-1.000,25", "0,5"], nf="vi")
    numcase("num_auto_default_comma", "", ["1.234", "2.500", "1234"])
    numcase("num_auto_default_semicolon", "", ["1.234", "2.500", "1234"], delim=";")
    numcase("num_auto_default_tab", "", ["1.234", "2.500", "1234"], delim="\t")
    numcase("num_auto_decisive_late_vi", "", ["1.234"] * 20 + ["5,5"])
    numcase("num_auto_decisive_late_en", "", ["1,234"] * 20 + ["5.5"], delim=";")
    numcase("num_auto_repeated_mark", "", ["1.234", "1.234.567"])
    numcase("num_auto_both_marks", "", ["2,500", "1.234,5"])
    numcase("num_auto_both_marks_en", "", ["2.500", "1,234.5"], delim=";")
    numcase("num_type_errors", "", ["+5", ".5", "5.", "1e5", "12,34", "1 234.5", "1\u00a0234.5", "- 5", "--5", "0x10", "٣"], nf="en")
    numcase("num_many_digits", "", ["0.123456789012345678901234567890", "1234.0005", "0.0005", "0.0015", "0.0025"], nf="en")
    numcase("num_spaces_vi", "", ["1 234,5", "12 345", "1\u00a0000\u00a0000"], nf="vi")
    numcase("num_dot_only_after_decisive_type_error", "", ["1.5", "1,234", "1,234.5"])

    # decisive after 1000 records: not decisive -> default
    c = Case(root, "num_auto_after_1000")
    rows = [TX_H] + [[f"x{i}", "2024-01-01", "1.234", "completed", "", "", "", "", "", ""] for i in range(1000)]
    rows += [["late", "2024-01-01", "5,5", "completed", "", "", "", "", "", ""]]
    c.archive("a.zip", "zip", [("transaction.csv", csv_bytes(rows)), ("grdp.csv", std_grdp())])
    c.done()
    c = Case(root, "num_auto_at_1000")
    rows = [TX_H] + [[f"x{i}", "2024-01-01", "1.234", "completed", "", "", "", "", "", ""] for i in range(999)]
    rows += [["late", "2024-01-01", "5,5", "completed", "", "", "", "", "", ""]]
    c.archive("a.zip", "zip", [("transaction.csv", csv_bytes(rows)), ("grdp.csv", std_grdp())])
    c.done()
    # blank lines do not count as records; 998 rows, 5 blank lines, decisive at record 1000
    c = Case(root, "num_auto_1000_with_blanks")
    rows = [TX_H] + [[f"x{i}", "2024-01-01", "1.234", "completed", "", "", "", "", "", ""] for i in range(999)]
    b = csv_bytes(rows) + b"\n\n   \n" + csv_bytes([["late", "2024-01-01", "5,5", "completed", "", "", "", "", "", ""]])
    c.archive("a.zip", "zip", [("transaction.csv", b), ("grdp.csv", std_grdp())])
    c.done()
    # decisive in employees column (left of value_added in column order)
    c = Case(root, "num_auto_decisive_employees")
    h = ["tax_code", "year", "vsic", "employees", "value_added"]
    rows = [h, [T[0], 2024, "4711", "1,5", "1.234"], [T[1], 2024, "4711", "3", "2.000"]]
    c.archive("a.zip", "zip", [("enterprise.csv", csv_bytes(rows)), ("grdp.csv", std_grdp())])
    c.done()
    # decisive value in a non-numeric column must not decide
    c = Case(root, "num_auto_decisive_nonnumeric")
    rows = [ENT_H, [T[0], 2024, "4711", "1.234", "1,5", "660", ""], [T[1], 2024, "4711", "2.000", "a", "660", ""]]
    c.archive("a.zip", "zip", [("enterprise.csv", csv_bytes(rows)), ("grdp.csv", std_grdp())])
    c.done()
    # decisive value in a row that is quarantined for another reason
    c = Case(root, "num_auto_decisive_in_bad_row")
    rows = [ENT_H, [T[0], 2024, "4711", "1.234", "", "660", ""], ["123", 2024, "4711", "5,5", "", "660", ""]]
    c.archive("a.zip", "zip", [("enterprise.csv", csv_bytes(rows)), ("grdp.csv", std_grdp())])
    c.done()
    # grdp with vi numbers in ; csv
    c = Case(root, "num_grdp_semicolon")
    c.archive("a.zip", "zip", [("grdp.csv", csv_bytes([GRDP_H, [2024, "55.700,125", "67", ""], [2023, "51.234", "", ""]], delim=";"))])
    c.done()
    # gross_output/intermediate_consumption
    c = Case(root, "go_ic")
    h = ["tax_code", "year", "vsic", "gross_output", "intermediate_consumption", "value_added"]
    rows = [h, [T[0], 2024, "6201", "10000", "4000", ""], [T[1], 2024, "1010", "5000", "6000", ""],
            [T[2], 2024, "6201", "10000", "", ""], [T[3], 2024, "6201", "", "", "777"],
            [T[4], 2024, "1010", "x", "1", "50"]]
    c.archive("a.zip", "zip", [("enterprise.csv", csv_bytes(rows)), ("grdp.csv", std_grdp())])
    c.done()
    c = Case(root, "go_ic_only")
    h = ["tax_code", "year", "vsic", "gross_output", "intermediate_consumption"]
    rows = [h, [T[0], 2024, "6201", "10000.5", "4000.25"], [T[1], 2024, "2610", "1", "2"]]
    c.archive("a.zip", "zip", [("enterprise.csv", csv_bytes(rows)), ("grdp.csv", std_grdp())])
    c.done()

    # 3. dates
    dates = ["2023-12-31", "2023-12-31T23:59", "2023-12-31 23:59:59", "2023-12-31T16:59:59Z", "2023-12-31T17:00:00Z",
             "2023-12-31T17:00:00.000001Z", "2023-12-31T16:59:59.999999999Z", "2024-01-01T06:59:59+07:00",
             "2024-01-01T00:30:00+08:00", "2023-12-31T12:00:00-05:30", "2023-12-31T18:00-05:30",
             "31/12/2023", "1/1/2024", "31/12/2023 23:59", "31/12/2023 9:05:07", "1/12/2023 0:00",
             "2023-6-1", "2023-06-1", "2023/06/01", "31/02/2023", "29/02/2024", "29/02/2023", "2024-02-30",
             "2023-12-31T24:00", "2023-12-31T23:60", "2023-12-31T23:59:60", "2023-12-31T23:59:59+0700",
             "2023-12-31T23:59:59+07", "2023-12-31Z", "2023-12-31T23:59:59.Z", "2023-12-31t10:00", "2023-12-31T10:00z",
             "31/12/23", "31-12-2023", "2023-12-31T10:00:00 +07:00", "31/12/2023T10:00", "31/12/2023 10:00+07:00",
             "31/12/2023 24:00", "2023-12-31T5:00", "31/12/2023 10:0", "2023-12-31T10", "2023-12-31 ",
             "2024-01-31T23:30:00-01:00", "2024-02-29T23:00:00Z", "31/1/2024 23:00", "1/13/2024", "0/1/2024",
             "2024-01-01T00:00:00+00:00", "2023-12-31T17:00:00-00:00", "2023-12-31T23:00:00+23:59",
             "2023-12-31T23:00:00+24:00", "2023-12-31T23:00:00+05:60"]
    for off in ["+07:00", "-05:30", "+00:00"]:
        c = Case(root, "dates" + off.replace(":", "").replace("+", "p").replace("-", "m"), region__utc_offset=off,
                 methodology__ecommerce__va_ratio_default=Raw("1"))
        rows = [TX_H] + [[f"d{i}", d, str(2 ** i * 1000000), "completed", "", "", "", "", "", ""] for i, d in enumerate(dates)]
        c.archive("a.zip", "zip", [("transactions.csv", csv_bytes(rows)), ("grdp.csv", std_grdp())])
        c.done()
    # months by-district do not matter; but year boundaries for ecommerce_sales month: skip
    # The local year must be within 1990–2100; placeholders are out of range (a case of its own:
    # amounts of 2**i million VND stay exact in the snapshot's REAL columns).
    range_dates = ["1990-01-01", "1989-12-31", "1989-12-31T17:00:00Z", "2100-12-31", "2100-12-31T17:00:00Z",
                   "0001-01-01", "0000-01-01", "0000-02-29", "0000-02-30", "9999-12-31T23:00Z", "1/1/0001",
                   "31/12/2100 23:59:59", "1/1/2101"]
    c = Case(root, "dates_range", methodology__ecommerce__va_ratio_default=Raw("1"))
    rows = [TX_H] + [[f"r{i}", d, str(2 ** i * 1000000), "completed", "", "", "", "", "", ""]
                     for i, d in enumerate(range_dates)]
    c.archive("a.zip", "zip", [("transactions.csv", csv_bytes(rows)), ("grdp.csv", std_grdp())])
    c.done()

    # 3b. money figures past what one row can carry: out-of-range at 10^15 VND (after fx), ±10^9
    # million VND of value added, 10^9 billion VND of GRDP; at the limit accepted
    c = Case(root, "money_limits", methodology__ecommerce__va_ratio_default=Raw("1"),
             inputs__fx={"USD": {2024: 25000}})
    rows = [TX_H, ["m1", "2024-02-02", "1000000000000000", "completed", "", "", "", "", "", ""],
            ["m2", "2024-02-02", "1000000000000000.5", "completed", "", "", "", "", "", ""],
            ["m3", "2024-02-02", "40000000000", "completed", "", "", "", "", "USD", ""],
            ["m4", "2024-02-02", "40000000001", "completed", "", "", "", "", "USD", ""],
            ["m5", "2024-02-02", "123456789012345678901234", "completed", "", "", "", "", "", ""]]
    ents = [ENT_H, [T[0], 2024, "6201", "1000000000", "at", "660", ""],
            [T[1], 2024, "6201", "-1000000000", "at, negative", "660", ""],
            [T[2], 2024, "4711", "1000000000.001", "over", "660", ""],
            [T[3], 2024, "4711", "-1000000001", "under", "660", ""]]
    grdp = csv_bytes([GRDP_H, [2023, "1000000001", "", ""], [2024, "1000000000", "", ""],
                      [2022, "0.000000000000001", "", ""], [2021, "0.000", "", ""], [2020, "1", "", ""]])
    c.archive("a.zip", "zip", [("transactions.csv", csv_bytes(rows)), ("enterprise.csv", csv_bytes(ents)),
                               ("grdp.csv", grdp)])
    c.done()

    # 4. tax codes
    t13 = T[5] + "001"
    c = Case(root, "taxcodes")
    rows = [ENT_H, [T[5], 2024, "6201", "1000", "core parent", "660", ""],
            [T[6], 2024, "4711", "2000", "retail parent", "661", ""],
            [T[7] + "-002", 2024, "4711", "300", "retail branch", "662", ""],
            [T[8][:5] + " " + T[8][5:], 2024, "4711", "10", "spaced", "660", ""],
            [T[9] + "005", 2024, "4711", "20", "13 nodash", "660", ""],
            [BAD10 + "0", 2024, "4711", "5", "check10", "660", ""],
            [T[10][:9] + str((int(T[10][9]) + 1) % 10), 2024, "4711", "5", "bad check", "660", ""],
            [PERSONAL[0], 2024, "4711", "5", "personal as enterprise", "660", ""],
            [T[11] + "-01", 2024, "4711", "5", "bad branch", "660", ""],
            [T[12] + "-0001", 2024, "4711", "5", "bad branch", "660", ""],
            [T[13] + "_001", 2024, "4711", "5", "bad sep", "660", ""],
            [T[14] + "-000", 2024, "4711", "7", "branch 000", "660", ""]]
    txs = [TX_H, ["a", "2024-05-01", "100000000", "completed", "", t13, "", "", "", ""],  # branch of core -> not counted
           ["b", "2024-05-01", "200000000", "completed", "", T[5][:4] + " " + T[5][4:] + "-001", "", "", "", ""],
           ["c", "2024-05-01", "300000000", "completed", "", T[6] + "-009", "", "", "", ""],  # branch of retail -> parent
           ["d", "2024-05-01", "400000000", "completed", "", T[7] + "-002", "", "", "", ""],  # exact branch record
           ["e", "2024-05-01", "500000000", "completed", "", T[7], "", "", "", ""],  # parent of branch: no record
           ["f", "2024-05-01", "600000000", "completed", "", PERSONAL[0], "", "", "", ""],
           ["g", "2024-05-01", "700000000", "completed", "", "12345", "", "", "", ""],
           ["h", "2024-05-01", "800000000", "completed", "", T[9] + "005", "", "", "", ""],
           ["i", "2024-05-01", "900000000", "completed", "", T[9] + "-005", "", "", "", ""],
           ["j", "2024-05-01", "110000000", "completed", "", "0" + PERSONAL[1], "", "", "", ""],
           ["k", "2024-05-01", "120000000", "completed", "", T[6] + "009", "", "", "", ""],
           ["l", "2023-05-01", "130000000", "completed", "", T[5], "", "", "", ""],  # core seller, other year
           ]
    c.archive("a.zip", "zip", [("enterprise.csv", csv_bytes(rows)), ("transaction.csv", csv_bytes(txs)), ("grdp.csv", std_grdp())])
    c.done()

    # 5. VSIC
    vs = ["J6201", "62.01", "6201", "62010", "A0111", "0111", "01.11.0", "j6201", "JJ6201", "6 2 0 1", "620", "620100",
          "0411", "9999", "99000", "3400", "4000", "4400", "4800", "5700", "6700", "7600", "8300", "8900", "9400", "26.10",
          "46510", "4652", "5820", "61", "6311", "9511", "63110", "95110", "6320", "2680", "G4651", "6-201", "Z6201"]
    c = Case(root, "vsic", methodology__digitised_coefficients={"A": Raw("0.5"), "C": Raw("0.03"), "G": Raw("0.05"),
                                                                "J": Raw("0.25"), "U": Raw("1"), "T": Raw("0.7"), "S": Raw("0.11"),
                                                                "H": Raw("0.13"), "N": Raw("0.17")})
    rows = [ENT_H] + [[T[i], 2024, v, str(2 ** i), "", "", ""] for i, v in enumerate(vs)]
    c.archive("a.zip", "zip", [("enterprise.csv", csv_bytes(rows)), ("grdp.csv", std_grdp())])
    c.done()
    c = Case(root, "vsic_core_custom", methodology__core_vsic_prefixes=["01", "4711", "620"])
    vs2 = ["0111", "4711", "47110", "4719", "6201", "6209", "6311"]
    rows = [ENT_H] + [[T[i], 2024, v, str(2 ** i), "", "", ""] for i, v in enumerate(vs2)]
    c.archive("a.zip", "zip", [("enterprise.csv", csv_bytes(rows)), ("grdp.csv", std_grdp())])
    c.done()

    # 6. statuses
    c = Case(root, "statuses", inputs__statuses={"thanh cong": "completed", "Đã giao": "completed", " HUY ": "cancelled",
                                                 "pending": "completed"},
             methodology__ecommerce__counted_statuses=["completed", "refunded"])
    sts = ["completed", "Complete", " SUCCESS ", "delivered", "cancelled", "canceled", "refunded", "returned", "pending",
           "Thanh Cong", "thanh  cong", "Đã giao", "Đa\u0303 giao", "huy", "done", "", "Delivered "]
    rows = [TX_H] + [[f"s{i}", "2024-03-03", str(2 ** i * 1000000), s, "", "", "", "", "", ""] for i, s in enumerate(sts)]
    c.archive("a.zip", "zip", [("transaction.csv", csv_bytes(rows)), ("grdp.csv", std_grdp())])
    c.done()

    # 7. fx / refunds / amounts
    c = Case(root, "fx_refunds", inputs__fx={"USD": {2023: 23800, 2024: Raw("24900.5")}, "EUR": {2024: 27000}},
             methodology__ecommerce__va_ratio_default=Raw("1"))
    rows = [TX_H,
            ["u1", "2024-03-03", "1000", "completed", "", "", "", "", "USD", ""],
            ["u2", "2023-12-31T18:00:00Z", "1000", "completed", "", "", "", "", "USD", "100.5"],
            ["u3", "2022-03-03", "1000", "completed", "", "", "", "", "USD", ""],
            ["u4", "2024-03-03", "1000", "completed", "", "", "", "", "usd", ""],
            ["u5", "2024-03-03", "1000000", "completed", "", "", "", "", "VND", ""],
            ["u6", "2024-03-03", "1000000", "completed", "", "", "", "", " EUR ", ""],
            ["u7", "2024-03-03", "1000000", "completed", "", "", "", "", "JPY", ""],
            ["r1", "2024-03-03", "5000000", "completed", "", "", "", "", "", "5000000"],
            ["r2", "2024-03-03", "5000000", "completed", "", "", "", "", "", "5000001"],
            ["r3", "2024-03-03", "5000000", "completed", "", "", "", "", "", "-1"],
            ["r4", "2024-03-03", "-5000000", "completed", "", "", "", "", "", ""],
            ["r5", "2024-03-03", "0", "completed", "", "", "", "", "", "0"],
            ["r6", "2024-03-03", "5000000", "refunded", "", "", "", "", "", "100"],
            ["r7", "2024-03-03", "", "completed", "", "", "", "", "", ""],
            ["r8", "2024-03-03", "7000000", "completed", "", "", "", "", "", "x"],
            ["r9", "2024-03-03", "-0", "completed", "", "", "", "", "", ""],
            ]
    c.archive("a.zip", "zip", [("transaction.csv", csv_bytes(rows)), ("grdp.csv", std_grdp())])
    c.done()

    # 8. exclusions, constant-price GRDP
    c = Case(root, "exclusions", methodology__ecommerce__va_ratio_default=Raw("1"))
    g = [GRDP_H, [2024, "55700", "67", "current"], [2024, "24500", "67", "constant-2010"], [2023, "51000", "68", ""],
         [2022, "40000", "", ""], [2021, "30000", "67", "Current"], [2019, "20000", "67", "constant-2010"],
         [2018, "10000", "068", ""], [2017, "100", " 67 ", " current "]]
    tx = [TX_H, ["a", "2024-01-02", "1000000", "completed", "", "", "67", "", "", ""],
          ["b", "2024-01-02", "2000000", "completed", "", "", "79", "", "", ""],
          ["c", "2016-01-02", "4000000", "completed", "", "", "01", "", "", ""],
          ["b", "2024-01-02", "8000000", "completed", "", "", "67", "", "", ""],
          ["a", "2024-01-02", "16000000", "completed", "", "", "01", "", "", ""],
          ["d", "2024-01-02", "32000000", "completed", "", "", "x", "", "", "999999999"]]
    c.archive("a.zip", "zip", [("grdp.csv", csv_bytes(g)), ("transactions.csv", csv_bytes(tx))])
    c.archive("b.zip", "zip", [("grdp.csv", csv_bytes([GRDP_H, [2022, "1", "67", "constant-2010"], [2022, "2", "01", ""]]))])
    c.done()

    # 9. revisions & ordering
    c = Case(root, "revisions_archive_order", methodology__ecommerce__va_ratio_default=Raw("1"))
    for rel, fmt, va, g in [("B.zip", "zip", "100", "1000"), ("a.zip", "zip", "200", "2000"),
                            ("2024-06-30_x.zip", "zip", "300", "3000"), ("2024/07-01_y.tar.gz", "tgz", "400", "4000"),
                            ("2024-06-30_x.tar", "tar", "500", "5000"), ("Đắk.zip", "zip", "600", "6000"),
                            ("Z/a.zip", "zip", "700", "7000"), ("Z.zip", "zip", "800", "8000"), ("Z-.zip", "zip", "900", "9000")]:
        c.archive(rel, fmt, [("enterprise.csv", csv_bytes([ENT_H, [T[0], 2024, "6201", va, rel, "", ""]])),
                             ("grdp.csv", csv_bytes([GRDP_H, [2024, g, "", ""]]))])
    c.done()
    c = Case(root, "revisions_member_order", methodology__ecommerce__va_ratio_default=Raw("1"))
    c.archive("a.tar", "tar", [("z/enterprise.csv", csv_bytes([ENT_H, [T[0], 2024, "6201", "1", "", "", ""]])),
                               ("enterprise_b.csv", csv_bytes([ENT_H, [T[0], 2024, "6201", "2", "", "", ""]])),
                               ("Enterprise_c.csv", csv_bytes([ENT_H, [T[0], 2024, "6201", "4", "", "", ""]])),
                               ("./a/enterprise.csv", csv_bytes([ENT_H, [T[0], 2024, "6201", "8", "", "", ""]])),
                               ("grdp.csv", csv_bytes([GRDP_H, [2024, "10", "", ""], [2024, "20", "", ""]]))])
    c.archive("b.zip", "zip", [("y/grdp.csv", csv_bytes([GRDP_H, [2023, "1", "", ""]])),
                               ("x/grdp.csv", csv_bytes([GRDP_H, [2023, "2", "", ""]])),
                               ("x/transaction.csv", csv_bytes([TX_H, ["t", "2023-01-01", "1000000", "completed", "web", "", "", "", "", ""],
                                                                 ["t", "2023-01-01", "2000000", "refunded", "Web", "", "", "", "", ""],
                                                                 ["t", "2023-01-01", "4000000", "completed", "shop", "", "", "", "", ""]])),
                               ("w/ecommerce.csv", csv_bytes([TX_H, ["t", "2023-01-01", "8000000", "completed", "shop", "", "", "", "", ""],
                                                               ["u", "2023-01-01", "16000000", "completed", "shop", "", "", "", "", ""]])),
                               ("x/transaction2.csv", csv_bytes([TX_H, ["u", "2023-01-01", "32000000", "completed", "shop", "", "99", "", "", ""],
                                                                  ["u", "2023-01-01", "bad", "completed", "shop", "", "", "", "", ""]]))])
    c.done()
    c = Case(root, "revision_changes_year", methodology__ecommerce__va_ratio_default=Raw("1"))
    c.archive("1.zip", "zip", [("transaction.csv", csv_bytes([TX_H, ["t", "2022-01-01", "1000000", "completed", "", "", "", "", "", ""]]))])
    c.archive("2.zip", "zip", [("transaction.csv", csv_bytes([TX_H, ["t", "2023-01-01", "2000000", "completed", "", "", "", "", "", ""]])),
                               ("enterprise.csv", csv_bytes([ENT_H, [T[0], 2021, "6201", "1", "", "", ""]]))])
    c.archive("3.zip", "zip", [("enterprise.csv", csv_bytes([ENT_H, [T[0], 2021, "4711", "2", "", "", ""], [T[0] + "-001", 2021, "6201", "3", "", "", ""]]))])
    c.done()

    # 10. districts and digitised with e-commerce netting
    c = Case(root, "districts", region__districts={"660": "Gia Nghĩa", "661": "Đắk Glong", "unknown": "??", "1": "one"})
    ents = [ENT_H, [T[0], 2024, "4711", "100", "", "660", ""], [T[1], 2024, "4711", "1", "", "661", ""],
            [T[2], 2024, "6201", "50", "", "", ""], [T[3], 2024, "1010", "30", "", "1", ""],
            [T[4], 2024, "6419", "20", "", "0660", ""], [T[5], 2023, "4711", "20", "", "663", ""]]
    txs = [TX_H, ["a", "2024-01-01", "50000000000", "completed", "marketplace", T[0], "", "", "", ""],
           ["b", "2024-01-01", "30000000000", "completed", "website", T[1], "", "662", "", ""],
           ["c", "2024-01-01", "1000000000", "completed", "", T[2], "", "665", "", ""],
           ["d", "2024-01-01", "1000000000", "completed", "", "", "", "", "", ""],
           ["e", "2024-01-01", "1000000000", "completed", "", T[3], "", "", "", ""],
           ["f", "2024-01-01", "1000000000", "pending", "", T[3], "", "667", "", ""],
           ["g", "2023-01-01", "1000000000", "completed", "", T[0], "", "", "", ""],
           ["h", "2022-01-01", "1000000000", "pending", "", T[0], "", "", "", ""],
           ["i", "2024-01-01", "1000000000", "completed", "", T[5], "", "", "", ""]]
    c.archive("a.zip", "zip", [("enterprise.csv", csv_bytes(ents)), ("transaction.csv", csv_bytes(txs)), ("grdp.csv", std_grdp())])
    c.done()

    # 11. targets
    for nm, over in [("targets_none", {"targets__interpolation": "none"}),
                     ("targets_empty", {"targets__points": []}),
                     ("targets_custom", {"targets__points": [{"year": 2023, "share_pct": Raw("5")}, {"year": 2021, "share_pct": Raw("1.5")},
                                                             {"year": 2026, "share_pct": Raw("7.25")}]}),
                     ("targets_default", {"targets": None})]:
        c = Case(root, nm, **over)
        ents = [ENT_H] + [[T[i], y, "6201", str(1000 * (y - 2015)), "", "", ""] for i, y in enumerate(range(2018, 2029))]
        g = [GRDP_H] + [[y, str(40000 + 1000 * (y - 2018)), "", ""] for y in range(2019, 2028) if y != 2022] + [[2022, "0", "", ""]]
        c.archive("a.zip", "zip", [("enterprise.csv", csv_bytes(ents)), ("grdp.csv", csv_bytes(g))])
        c.done()
    c = Case(root, "met_exact", targets__points=[{"year": 2024, "share_pct": Raw("10")}, {"year": 2023, "share_pct": Raw("10.00001")}])
    c.archive("a.zip", "zip", [("enterprise.csv", csv_bytes([ENT_H, [T[0], 2024, "6201", "100000", "", "", ""], [T[0], 2023, "6201", "100000", "", "", ""]])),
                               ("grdp.csv", csv_bytes([GRDP_H, [2024, "1000", "", ""], [2023, "1000", "", ""]]))])
    c.done()
    c = Case(root, "rounding_half_even", targets__points=[{"year": 2024, "share_pct": Raw("0.00005")}, {"year": 2023, "share_pct": Raw("0.00015")}],
             methodology__ecommerce__va_ratio_default=Raw("1"))
    c.archive("a.zip", "zip", [("enterprise.csv", csv_bytes([ENT_H, [T[0], 2024, "6201", "0.5", "", "", ""], [T[1], 2024, "6201", "1", "", "", ""],
                                                              [T[0], 2023, "6201", "1.5", "", "", ""]])),
                               ("transactions.csv", csv_bytes([TX_H, ["a", "2022-01-01", "500000", "completed", "", "", "", "", "", ""],
                                                                ["b", "2021-01-01", "1500000", "completed", "", "", "", "", "", ""],
                                                                ["c", "2020-01-01", "2500001", "completed", "", "", "", "", "", ""],
                                                                ["d", "2019-01-01", "499999", "completed", "", "", "", "", "", ""]])),
                               ("grdp.csv", csv_bytes([GRDP_H, [2024, "1000", "", ""], [2023, "2000", "", ""], [2022, "0.0005", "", ""],
                                                       [2021, "0.0015", "", ""], [2020, "3", "", ""]]))])
    c.done()
    c = Case(root, "only_transactions", methodology__ecommerce__va_ratio_default=Raw("1"))
    c.archive("a.zip", "zip", [("transaction.csv", csv_bytes([TX_H, ["a", "2019-06-01", "1000000", "pending", "", "", "", "", "", ""],
                                                               ["b", "2018-06-01", "1000000", "completed", "", "", "", "", "", ""],
                                                               ["c", "2017-06-01", "1000000", "completed", "", "", "99", "", "", ""]]))])
    c.done()
    c = Case(root, "negative_values", methodology__digitised_coefficients={"G": Raw("0.5")})
    c.archive("a.zip", "zip", [("enterprise.csv", csv_bytes([ENT_H, [T[0], 2024, "6201", "-100", "", "660", ""], [T[1], 2024, "4711", "-50", "", "661", ""],
                                                              [T[2], 2024, "4711", "0.0001", "", "661", ""]])),
                               ("grdp.csv", csv_bytes([GRDP_H, [2024, "-1000", "", ""], [2023, "-0", "", ""]]))])
    c.done()

    # 12. dialect
    c = Case(root, "dialect", inputs__columns={"enterprise": {"tax_code": ["MST", "ma so thue"], "value_added": ["GTGT"],
                                                              "District_Code": ["Mã Huyện"]},
                                               "transaction": {"transaction_id": ["id"], "amount": ["so tien"]}})
    ent = ("\ufeff  MST ;  YEAR;Vsic; gtgt ;NAME;mã huye\u0302\u0323n;unknown col\r\n"
           "\r\n"
           f"{T[0]};2024;6201;1.234,5;\"Công ty \"\"A\"\"\r\nline2\";660;x\r\n"
           "   \r\n"
           f"{T[1]};2024;4711;\"2.000\";\"multi\n\nline\";661\r\n"
           f"{T[2]};2024;4711;\"3.000\";\"ok\";661;y\r\n"
           f"{T[3]};2024;\"1010\"; 4.000 ;b;\"662\";z").encode("utf-8")
    tx = ("\n\n ID ,DATE,\"So Tien\",Status\n"
          "x1,2024-01-01,\"1,000,000\",completed\n"
          "x2,2024-01-01,\"2,000,000\",\"completed\n\"\n"
          "x3,2024-01-01, \"3,000,000\",completed\n"
          "x4,2024-01-01,4000000,completed,\n"
          "\"x5\",\"2024-01-01\",\"5000000\",\"completed\"\n").encode("utf-8")
    tabs = ("year\tgrdp\n2024\t55700.5\n\n2023\t\"51,000.25\"\n").encode("utf-8")
    c.archive("a.zip", "zip", [("enterprise.csv", ent), ("transaction.csv", tx), ("grdp.csv", tabs)])
    c.done()
    c = Case(root, "dialect_encoding")
    ent = (ENT_H[0] + "," + ",".join(ENT_H[1:]) + "\n").encode() + \
        f"{T[0]},2024,6201,100,caf\xe9,660,\n".encode("latin-1") + \
        f"{T[1]},2024,6201,200,ok,660,\n".encode() + \
        f"{T[2]},2024,6201,bad,caf\xe9,660,\n".encode("latin-1") + \
        f"{T[3]},2024,6201,300,ok,660\n".encode() + \
        f"{T[4]},2024,6201,400,ok,660,,\n".encode() + \
        f"{T[5]},2024,6201,500,\"unterminated,660,\n{T[6]},2024,6201,600,ok,660,\n".encode()
    c.archive("a.zip", "zip", [("enterprise.csv", ent), ("grdp.csv", std_grdp())])
    c.done()
    c = Case(root, "dialect_quotes_midfield")
    ent = (",".join(ENT_H) + "\n" + f"{T[0]},2024,6201,100,ab\"c\"d,660,\n{T[1]},2024,6201,200, \"x,y\" ,660,\n"
           f"{T[2]},2024,6201,300,\"q\"\"\",660,\n").encode()
    c.archive("a.zip", "zip", [("enterprise.csv", ent), ("grdp.csv", std_grdp())])
    c.done()
    c = Case(root, "nfc_names_keys")
    tx = [TX_H, ["Mã\u0301", "2024-01-01", "1000000", "completed", "Sàn", "", "", "", "", ""],
          ["Mã\u0301", "2024-01-01", "2000000", "completed", "sa\u0300n", "", "", "", "", ""],
          ["Mấ".upper(), "2024-01-01", "4000000", "completed", "SÀN", "", "", "", "", ""]]
    c.archive("a.zip", "zip", [("transaction.csv", csv_bytes(tx)), ("grdp.csv", std_grdp())])
    c.done()

    # 13. archive formats
    c = Case(root, "formats", methodology__ecommerce__va_ratio_default=Raw("1"))
    for i, (rel, fmt) in enumerate([("a.zip", "zip"), ("b.tar", "tar"), ("c.tar.gz", "tgz"), ("d.tgz", "tgz"), ("e.tar.xz", "txz"),
                                    ("f.txz", "txz"), ("g.tar.bz2", "tbz2"), ("h.tbz2", "tbz2"), ("i.ZIP", "zip"), ("j.zip", "tgz"),
                                    ("k.tar.gz", "zip"), ("l.TAR.XZ", "txz")]):
        c.archive(rel, fmt, [("dir/transactions_%d.csv" % i, csv_bytes([TX_H, [f"t{i}", "2024-01-01", str(2 ** i * 1000000), "completed", "", "", "", "", "", ""]]))])
    c.archive("transactions_m.csv.gz", "csvgz", [("x", csv_bytes([TX_H, ["gz1", "2024-01-01", str(2 ** 20 * 1000000), "completed", "", "", "", "", "", ""]]))])
    c.archive("sub/grdp_2024.CSV.GZ", "csvgz", [("x", std_grdp())])
    c.raw("README.txt", b"hello")
    c.raw("notes.csv", b"a,b\n")
    c.done()
    c = Case(root, "csvgz_dated_name")
    c.archive("2024-01-01_grdp.csv.gz", "csvgz", [("x", std_grdp())])
    c.archive("grdp.zip", "zip", [("grdp.csv", std_grdp(years=(2022,)))])
    c.done()
    c = Case(root, "kinds_custom", inputs__kinds={"enterprise": ["dn_*.csv", "*.dat"], "grdp": ["*grdp*"]})
    c.archive("a.tar", "tar", [("DN_2024.csv", csv_bytes([ENT_H, [T[0], 2024, "6201", "1", "", "", ""]])),
                               ("enterprise.csv", csv_bytes([ENT_H, [T[1], 2024, "6201", "2", "", "", ""]])),
                               ("x.dat", csv_bytes([ENT_H, [T[2], 2024, "6201", "4", "", "", ""]])),
                               ("my_grdp.txt", std_grdp()),
                               ("dn_transactions.csv", csv_bytes([ENT_H, [T[3], 2024, "6201", "8", "", "", ""]])),
                               ("transactions.csv", csv_bytes([TX_H, ["a", "2024-01-01", "1000000", "completed", "", "", "", "", "", ""]])),
                               ("notes.txt", b"x"), ("link.csv", ("symlink", "enterprise.csv"))])
    c.done()

    # 14. rejections (exit 65)
    def rej(name, build, **over):
        c = Case(root, name, **over)
        c.archive("0_good.zip", "zip", [("grdp.csv", std_grdp())])
        build(c)
        c.done()
    rej("rej_duplicate", lambda c: c.archive("b.tar", "tar", [("grdp.csv", std_grdp()), ("./grdp.csv", std_grdp())]))
    rej("rej_unsafe", lambda c: c.archive("b.tar", "tar", [("grdp.csv", std_grdp()), ("../x.txt", b"x")]))
    rej("rej_unsafe_backslash", lambda c: c.archive("b.zip", "zip", [("grdp.csv", std_grdp()), ("a\\..\\x.txt", b"x")]))
    rej("rej_unsafe_drive", lambda c: c.archive("b.zip", "zip", [("grdp.csv", std_grdp()), ("C:x.txt", b"x")]))
    rej("rej_header", lambda c: c.archive("b.zip", "zip", [("enterprise.csv", csv_bytes([["tax_code", "year", "vsic", "gross_output"], [T[0], 2024, "6201", "1"]]))]))
    rej("rej_header_dup", lambda c: c.archive("b.zip", "zip", [("grdp.csv", csv_bytes([["year", "grdp", "GRDP "], [2024, "1", "2"]]))]))
    rej("rej_header_dup_alias", lambda c: c.archive("b.zip", "zip", [("grdp.csv", csv_bytes([["year", "grdp", "gdp"], [2024, "1", "2"]]))]),
        inputs__columns={"grdp": {"grdp": ["gdp"]}})
    rej("rej_empty", lambda c: c.archive("b.zip", "zip", [("readme.txt", b"x"), ("other.csv", b"a\n")]))
    rej("rej_zero_byte", lambda c: c.raw("b.zip", b""))
    rej("rej_trailing_zero", lambda c: c.raw("b.tar.gz", gzip.compress(tar_of([("grdp.csv", std_grdp())]), mtime=0) + b"\0" * 16))
    rej("rej_trailing_garbage_csvgz", lambda c: c.raw("grdp.csv.gz", gzip.compress(std_grdp(), mtime=0) + b"junk"))
    rej("rej_truncated", lambda c: c.raw("b.tar.gz", gzip.compress(tar_of([("grdp.csv", std_grdp())]), mtime=0)[:-3]))
    rej("rej_concat_targz", lambda c: c.raw("b.tar.gz", gzip.compress(tar_of([("grdp.csv", std_grdp())]), mtime=0) +
                                             gzip.compress(tar_of([("enterprise.csv", csv_bytes([ENT_H]))]), mtime=0)))
    rej("ok_multimember_gzip", lambda c: c.raw("b.tar.gz", (lambda t: gzip.compress(t[:700], mtime=0) + gzip.compress(t[700:], mtime=0))(tar_of([("grdp.csv", std_grdp())]))))
    rej("rej_bad_crc_gzip", lambda c: c.raw("b.csv.gz", (lambda g: g[:-8] + bytes([g[-8] ^ 1]) + g[-7:])(gzip.compress(b"year,grdp\n2024,1\n", mtime=0))))
    rej("rej_sha_mismatch", lambda c: (c.archive("b.zip", "zip", [("grdp.csv", std_grdp())]), c.raw("b.zip.sha256", b"00" * 32 + b"  b.zip\n")))
    rej("ok_sha_match", lambda c: (lambda p: c.raw("b.zip.sha256", hashlib.sha256(open(p, "rb").read()).hexdigest().upper().encode() + b"  b.zip\n"))(
        c.archive("b.zip", "zip", [("grdp.csv", std_grdp(years=(2030,), vals={2030: "1"}))])))
    rej("ok_excluded", lambda c: c.raw("sub/b.zip", b"garbage"), inputs__exclude=["sub/b.zip"])
    rej("rej_quarantine_ratio", lambda c: c.archive("b.zip", "zip", [("grdp.csv", csv_bytes([GRDP_H] + [[2000 + i, "1", "", ""] for i in range(99)] + [[1, "1", "", ""]]))]),
        quality__max_quarantine_ratio=Raw("0.0099"))
    rej("ok_quarantine_ratio_equal", lambda c: c.archive("b.zip", "zip", [("grdp.csv", csv_bytes([GRDP_H] + [[2000 + i, "1", "", ""] for i in range(99)] + [[1, "1", "", ""]]))]),
        quality__max_quarantine_ratio=None)
    rej("rej_quarantine_default", lambda c: c.archive("b.zip", "zip", [("grdp.csv", csv_bytes([GRDP_H] + [[2000 + i, "1", "", ""] for i in range(98)] + [[1, "1", "", ""], [2, "1", "", ""]]))]),
        quality__max_quarantine_ratio=None)
    rej("ok_dirs_and_links", lambda c: c.archive("b.tar", "tar", [("d/", b""), ("grdp.csv", std_grdp()), ("ln", ("symlink", "/etc/passwd"))]))


def fixed_cases2(root):
    T = TAX
    tx = lambda tid, amt, **kw: [kw.get("transaction_id", tid), kw.get("date", "2024-01-01"), amt, kw.get("status", "completed"),
                                 kw.get("channel", ""), kw.get("seller", ""), kw.get("prov", ""), kw.get("dist", ""), kw.get("cur", ""), kw.get("refund", "")]
    # decisive value ordering: employees column left of value_added (enterprise money is visible in output)
    c = Case(root, "dec_left_to_right")
    h = ["tax_code", "year", "vsic", "employees", "value_added"]
    c.archive("a.zip", "zip", [("enterprise.csv", csv_bytes([h, [T[0], 2024, "6201", "1,5", "2.5"], [T[1], 2024, "6201", "", "1.234"]]))])
    c.done()
    c = Case(root, "dec_left_to_right_tx", methodology__ecommerce__va_ratio_default=Raw("1"))
    h = ["transaction_id", "date", "refund_amount", "amount", "status"]
    c.archive("a.zip", "zip", [("transaction.csv", csv_bytes([h, ["a", "2024-01-01", "1,5", "2.5", "completed"],
                                                              ["b", "2024-01-01", "", "1.234.567.890", "completed"],
                                                              ["c", "2024-01-01", "", "1.234", "completed"]]))])
    c.done()
    # decisive: odd values, in grdp members (billion units: 1.234 vs 1234 is visible)
    odd = ["abc.de", "1.2.3x", "1,2a", "N/A", "-.5", "1.", "1.234,", "1..2", "1 .5", "1.2345", "12.34", ".123", "1.23 4",
           "1.2\u00a034", "-1.5", "1.234.5", "1,234.567.8", "5", "", "1.23"]
    for i, v in enumerate(odd):
        for delim in (",", ";"):
            c = Case(root, f"dec_odd_{i}_{'c' if delim == ',' else 's'}")
            c.archive("a.zip", "zip", [("grdp.csv", csv_bytes([["year", "grdp"], [2020, v], [2021, "1.234"], [2022, "2,500"]], delim=delim))])
            c.done()
            v2 = v.replace(".", "#").replace(",", ".").replace("#", ",")
            c = Case(root, f"dec_oddm_{i}_{'c' if delim == ',' else 's'}")
            c.archive("a.zip", "zip", [("grdp.csv", csv_bytes([["year", "grdp"], [2020, v2], [2021, "1.234"], [2022, "2,500"]], delim=delim))])
            c.done()
    # decisive value inside a field-count row / encoding-error row / bad-year row
    c = Case(root, "dec_in_fieldcount_row")
    c.archive("a.zip", "zip", [("grdp.csv", b"year;grdp;province_code\n2020;5.5\n2021;1,234;67\n")])
    c.done()
    c = Case(root, "dec_in_fieldcount_row_long")
    c.archive("a.zip", "zip", [("grdp.csv", b"year;grdp\n2020;5.5;x\n2021;1,234\n")])
    c.done()
    c = Case(root, "dec_in_encoding_row")
    c.archive("a.zip", "zip", [("grdp.csv", b"year;grdp;province_code\n2020;5.5;\xe9\n2021;1,234;67\n")])
    c.done()
    c = Case(root, "dec_in_baddate_row")
    c.archive("a.zip", "zip", [("grdp.csv", b"year;grdp\n20x0;5.5\n2021;1,234\n")])
    c.done()
    c = Case(root, "dec_in_excluded_row")
    c.archive("a.zip", "zip", [("grdp.csv", b"year;grdp;province_code\n2020;5.5;01\n2021;1,234;67\n")])
    c.done()
    # 1000-record boundary with enterprise money
    many = valid_taxes(1001, start=20000000)
    for nm, nrows, extra_blank in [("dec1000_at", 999, b""), ("dec1000_after", 1000, b""), ("dec1000_blanks", 999, b"\n \n\n"),
                                   ("dec1000_quoted_nl", 999, None)]:
        c = Case(root, nm)
        rows = [ENT_H] + [[many[i], 2024, "6201", "1.234", "", "", ""] for i in range(nrows)]
        if extra_blank is None:
            rows[1][4] = "multi\nline\nname"
            extra_blank = b""
        b = csv_bytes(rows) + extra_blank + csv_bytes([[many[1000], 2024, "6201", "5,5", "", "", ""]])
        c.archive("a.zip", "zip", [("enterprise.csv", b)])
        c.done()
    # header delimiter detection
    for nm, hdr in [("delim_quoted_comma", '"year,x";grdp;year2\n'), ("delim_both", "year;grdp,x\n"),
                    ("delim_tab_and_semicolon_quoted", 'year\t"g;x"\tgrdp\n')]:
        c = Case(root, nm)
        c.archive("a.zip", "zip", [("grdp.csv", hdr.encode() + b"2024;1.234,5;x\n2024\t1.234,5\t2,5\n2024,1.234\n")])
        c.done()
    # 13-digit enterprise key equals dashed form; revision across forms
    c = Case(root, "tax13_key")
    c.archive("a.zip", "zip", [("enterprise.csv", csv_bytes([ENT_H, [T[0] + "001", 2024, "6201", "100", "", "", ""],
                                                              [T[0] + "-001", 2024, "6201", "200", "", "", ""],
                                                              [T[1][:3] + " " + T[1][3:], 2024, "6201", "400", "", "", ""],
                                                              [T[1], 2024, "6201", "800", "", "", ""],
                                                              [T[2], 2024, "6201", "1600", "", "", ""],
                                                              [T[2], 2024, "620", "3200", "", "", ""]]))])
    c.done()
    # empty data member / header only / blank only
    for nm, data in [("member_zero_bytes", b""), ("member_header_only", b"year,grdp\n"), ("member_blank_only", b"\n  \n\n"),
                     ("member_bom_only", b"\xef\xbb\xbf"), ("member_header_no_eol", b"year,grdp"),
                     ("member_last_no_eol", b"year,grdp\n2024,5"), ("member_cr_only", b"year,grdp\r2024,5\r2023,6\r")]:
        c = Case(root, nm)
        c.archive("a.zip", "zip", [("grdp.csv", data), ("grdp_x.csv", b"year,grdp\n2020,1\n")])
        c.done()
    # empty tar
    c = Case(root, "rej_empty_tar")
    c.archive("0.zip", "zip", [("grdp.csv", std_grdp())])
    c.archive("b.tar", "tar", [])
    c.done()
    # limits
    big = b"year,grdp\n" + b"2024,1\n" * 200000  # 1.4 MB, compresses extremely well
    c = Case(root, "rej_ratio_tgz")
    c.archive("b.tar.gz", "tgz", [("grdp.csv", big)])
    c.done()
    c = Case(root, "rej_ratio_zip")
    c.archive("b.zip", "zip", [("grdp.csv", big)])
    c.done()
    c = Case(root, "ok_ratio_raised", limits__max_compression_ratio=100000)
    c.archive("b.zip", "zip", [("grdp.csv", big)])
    c.done()
    c = Case(root, "ok_ratio_small_member")
    c.archive("b.zip", "zip", [("grdp.csv", b"year,grdp\n" + b"2024,1\n" * 100000)])  # 0.7 MB < 1 MiB
    c.done()
    c = Case(root, "rej_ratio_nondata_member")
    c.archive("b.zip", "zip", [("grdp.csv", std_grdp()), ("padding.bin", b"\0" * 3_000_000)])
    c.done()
    d = std_grdp()
    c = Case(root, "ok_member_size_equal", limits__max_member_bytes=len(d))
    c.archive("b.tar", "tar", [("grdp.csv", d)])
    c.done()
    c = Case(root, "rej_member_size_over", limits__max_member_bytes=len(d) - 1)
    c.archive("b.tar", "tar", [("grdp.csv", d)])
    c.done()
    c = Case(root, "rej_member_size_nondata", limits__max_member_bytes=len(d))
    c.archive("b.tar", "tar", [("grdp.csv", d), ("readme.txt", b"x" * (len(d) + 1))])
    c.done()
    # links
    c = Case(root, "tar_hardlink")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        ti = tarfile.TarInfo("grdp.csv"); ti.size = len(d); ti.mtime = FIXED_TIME; t.addfile(ti, io.BytesIO(d))
        ti = tarfile.TarInfo("grdp_copy.csv"); ti.type = tarfile.LNKTYPE; ti.linkname = "grdp.csv"; ti.mtime = FIXED_TIME; t.addfile(ti)
    c.raw("b.tar", buf.getvalue())
    c.done()
    c = Case(root, "zip_symlink")
    with zipfile.ZipFile(os.path.join(c.dir, "returns", "b.zip"), "w") as z:
        z.writestr(zipfile.ZipInfo("grdp.csv", date_time=(2024, 1, 1, 0, 0, 0)), d)
        zi = zipfile.ZipInfo("grdp_link.csv", date_time=(2024, 1, 1, 0, 0, 0)); zi.external_attr = (0o120777 << 16); z.writestr(zi, "grdp.csv")
    c.done()
    c = Case(root, "rej_unsafe_symlink_name")
    c.archive("b.tar", "tar", [("grdp.csv", d), ("/abs/link", ("symlink", "x"))])
    c.done()
    # later quarantined enterprise row does not replace
    c = Case(root, "quarantined_no_replace")
    c.archive("a.zip", "zip", [("enterprise.csv", csv_bytes([ENT_H, [T[0], 2024, "6201", "100", "", "", ""]]))])
    c.archive("b.zip", "zip", [("enterprise.csv", csv_bytes([ENT_H, [T[0], 2024, "6201", "x", "", "", ""], [T[0], 2024, "9999", "5", "", "", ""]])),
                               ("grdp.csv", csv_bytes([GRDP_H, [2024, "1000", "", ""], [2024, "", "", ""], [2024, "500", "68", ""], [2024, "700", "", "constant"]]))])
    c.done()
    # channel ratio keys with case in config; currency case in config
    c = Case(root, "config_case_keys", methodology__ecommerce__va_ratio_by_channel={"Marketplace": Raw("0.5"), "WEB SITE": Raw("0.25")},
             inputs__fx={"usd": {2024: 20000}})
    c.archive("a.zip", "zip", [("transaction.csv", csv_bytes([TX_H, tx("a", "1000000000", channel="marketplace"),
                                                              tx("b", "1000000000", channel="Web Site"),
                                                              tx("c", "1000", cur="USD"), tx("d", "1000", cur="usd")]))])
    c.done()
    # years: excluded/constant-only years, uncounted transaction years
    c = Case(root, "years_reported")
    c.archive("a.zip", "zip", [("grdp.csv", csv_bytes([GRDP_H, [2019, "1", "", "constant-2010"], [2018, "1", "68", ""], [2017, "0", "", ""]])),
                               ("transaction.csv", csv_bytes([TX_H, tx("a", "1", date="2016-01-01", status="cancelled"),
                                                              tx("b", "1", date="2015-01-01", prov="68"),
                                                              tx("c", "1", date="2014-01-01", seller=T[0])])),
                               ("enterprise.csv", csv_bytes([ENT_H, [T[0], 2014, "6201", "1", "", "", ""], [T[1], 2013, "0111", "0", "", "", ""]]))])
    c.done()
    # year forms
    c = Case(root, "year_forms")
    ys = ["2024", " 2024 ", "2024.0", "24", "02024", "1989", "1990", "2100", "2101", "２０２４", "+2024", "-2024", "2,024", "20 24"]
    c.archive("a.zip", "zip", [("enterprise.csv", csv_bytes([ENT_H] + [[T[i], y, "6201", str(2 ** i), "", "", ""] for i, y in enumerate(ys)]))])
    c.done()
    # employees
    c = Case(root, "employees", inputs__number_format="en")
    es = ["12", "1,234", "1.5", "-3", "x", "1,2", " ", "1e3"]
    c.archive("a.zip", "zip", [("enterprise.csv", csv_bytes([ENT_H] + [[T[i], 2024, "6201", str(2 ** i), "", "", e] for i, e in enumerate(es)]))])
    c.done()
    # fault order within a row
    c = Case(root, "fault_order")
    c.archive("a.zip", "zip", [("enterprise.csv", csv_bytes([ENT_H, ["123", "x", "zz", "y", "", "", "q"], [T[0], "x", "zz", "y", "", "", "q"],
                                                              [T[0], "2024", "zz", "y", "", "", "q"], [T[0], "2024", "6201", "y", "", "", "q"],
                                                              [T[0], "2024", "6201", "1", "", "", "q"], ["", "", "", "", "", "", ""],
                                                              [T[1], "", "6201", "", "", "", ""], [T[1], "1800", "", "", "", "", ""]])),
                               ("transaction.csv", csv_bytes([TX_H, ["", "bad", "-1", "weird", "", "123", "", "", "XXX", "5"],
                                                              ["a", "bad", "-1", "weird", "", "123", "", "", "XXX", "5"],
                                                              ["a", "2024-01-01", "-1", "weird", "", "123", "", "", "XXX", "5"],
                                                              ["a", "2024-01-01", "1", "weird", "", "123", "", "", "XXX", "5"],
                                                              ["a", "2024-01-01", "1", "completed", "", "123", "", "", "XXX", "5"],
                                                              ["a", "2024-01-01", "1", "completed", "", "", "", "", "XXX", "5"],
                                                              ["a", "2024-01-01", "1", "completed", "", "", "99", "", "XXX", "5"],
                                                              ["a", "2024-01-01", "1", "completed", "", "", "99", "", "", "5"],
                                                              ["a", "2024-01-01", "", "", "", "", "", "", "", ""]]))])
    c.done()
    # grdp fault order + zero grdp + revisions of grdp to zero
    c = Case(root, "grdp_misc")
    c.archive("a.zip", "zip", [("grdp.csv", csv_bytes([GRDP_H, ["x", "y", "", ""], [2024, "100", "", ""], [2024, "0", "", ""], [2023, "100", "", ""],
                                                       [2023, "0", "", "constant-2010"], [2022, "1.5", "67", "current"]]))])
    c.done()
    # digitised netting across branches and ecommerce_va bigger than VA
    c = Case(root, "netting")
    c.archive("a.zip", "zip", [("enterprise.csv", csv_bytes([ENT_H, [T[0], 2024, "4711", "100", "", "660", ""],
                                                              [T[1], 2024, "4711", "100", "", "661", ""],
                                                              [T[1] + "-001", 2024, "4711", "10", "", "662", ""],
                                                              [T[2], 2024, "1010", "1000", "", "", ""]])),
                               ("transaction.csv", csv_bytes([TX_H, tx("a", "2000000000000", seller=T[0], channel="website"),
                                                              tx("b", "500000000000", seller=T[1] + "-002"),
                                                              tx("c", "50000000000", seller=T[1] + "-001"),
                                                              tx("d", "50000000000", seller=T[2], date="2023-12-31T17:00:00Z"),
                                                              tx("e", "50000000000", seller=T[2], date="2024-12-31T17:00:00Z")]))])
    c.done()


def fixed_cases3(root):
    T = TAX
    # exact comparison with repeating decimals: share == interpolated target == 1/3, 2/3
    c = Case(root, "exact_thirds", targets__points=[{"year": 2020, "share_pct": Raw("0")}, {"year": 2023, "share_pct": Raw("1")},
                                                    {"year": 2026, "share_pct": Raw("2")}])
    c.archive("a.zip", "zip", [("enterprise.csv", csv_bytes([ENT_H, [T[0], 2021, "6201", "1000", "", "", ""], [T[0], 2022, "6201", "2000", "", "", ""],
                                                              [T[0], 2024, "6201", "4000", "", "", ""], [T[0], 2025, "6201", "4999.999999999", "", "", ""]])),
                               ("grdp.csv", csv_bytes([GRDP_H, [2021, "300", "", ""], [2022, "300", "", ""], [2024, "300", "", ""], [2025, "300", "", ""]]))])
    c.done()
    # share just below the target by a tiny amount
    c = Case(root, "exact_tiny_gap", targets__points=[{"year": 2024, "share_pct": Raw("10")}])
    c.archive("a.zip", "zip", [("enterprise.csv", csv_bytes([ENT_H, [T[0], 2024, "6201", "99999.9999999999999999999999", "", "", ""]])),
                               ("grdp.csv", csv_bytes([GRDP_H, [2024, "1000", "", ""]]))])
    c.done()
    c = Case(root, "exact_tiny_gap_ecom", targets__points=[{"year": 2024, "share_pct": Raw("10")}],
             methodology__ecommerce__va_ratio_default=Raw("0.3333333333333333333333333333"))
    c.archive("a.zip", "zip", [("transaction.csv", csv_bytes([TX_H, ["a", "2024-01-01", "300000000000", "completed", "", "", "", "", "", ""]])),
                               ("grdp.csv", csv_bytes([GRDP_H, [2024, "1000", "", ""]]))])
    c.done()
    # big numbers (beyond 64-bit)
    c = Case(root, "big_numbers", inputs__number_format="en", inputs__fx={"USD": {2024: Raw("24900.123456789")}},
             methodology__ecommerce__va_ratio_default=Raw("0.123456789"))
    c.archive("a.zip", "zip", [("enterprise.csv", csv_bytes([ENT_H, [T[0], 2024, "6201", "9,000,000,000,000,000,000", "", "", ""],
                                                              [T[1], 2024, "6201", "9,000,000,000,000,000,000.5", "", "", ""],
                                                              [T[2], 2024, "4711", "123456789012345678901234567890.123456789", "", "", ""]])),
                               ("transaction.csv", csv_bytes([TX_H, ["a", "2024-01-01", "99999999999999999999.99999999", "completed", "", "", "", "", "USD", "0.00000001"],
                                                              ["b", "2024-01-01", "18446744073709551617", "completed", "", "", "", "", "", ""]])),
                               ("grdp.csv", csv_bytes([GRDP_H, [2024, "0.000000000000000000001", "", ""]]))])
    c.done()
    c = Case(root, "many_decimals")
    c.archive("a.zip", "zip", [("enterprise.csv", csv_bytes([ENT_H, [T[0], 2024, "6201", "0." + "3" * 40, "", "", ""],
                                                              [T[1], 2024, "6201", "0.0005" + "0" * 30, "", "", ""],
                                                              [T[2], 2023, "6201", "0.5" + "0" * 30 + "1", "", "", ""]])),
                               ("grdp.csv", csv_bytes([GRDP_H, [2024, "3", "", ""], [2023, "0.00049999999999999999999", "", ""]]))])
    c.done()


def fixed_cases4(root):
    """Plausible 'many decimals' inputs: each value alone is ordinary."""
    T = TAX
    combos = [
        ("realistic_decimals_1", "0.0833333333", "24912.3456", "1234567.89", "55700.123456"),
        ("realistic_decimals_2", "0.085", "24900.5", "19.99", "55700.125"),
        ("realistic_decimals_3", "0.0833333333333", "24912.3456", "1234567.8912", "55700.1234567"),
        ("realistic_decimals_4", "0.08", "23800", "1999.999999", "47321.987654321"),
        ("realistic_decimals_5", "0.1", "24900", "100", "55700.123456789012"),
    ]
    for nm, ratio, fx, amt, g in combos:
        c = Case(root, nm, inputs__number_format="en", inputs__fx={"USD": {2024: Raw(fx)}},
                 methodology__ecommerce__va_ratio_default=Raw(ratio))
        c.archive("a.zip", "zip", [("enterprise.csv", csv_bytes([ENT_H, [T[0], 2024, "6201", "1234.567891", "", "660", ""],
                                                                  [T[1], 2024, "4711", "98765.4321", "", "661", ""]])),
                                   ("transaction.csv", csv_bytes([TX_H] + [[f"t{i}", "2024-01-01", amt, "completed", "", T[1], "", "", "USD", ""] for i in range(50)] +
                                                                 [["v", "2024-01-01", "123456789.123", "completed", "", "", "", "", "", ""]])),
                                   ("grdp.csv", csv_bytes([GRDP_H, [2024, g, "", ""]]))])
        c.done()


def repro_cases(root):
    """Minimal repros of the disagreements found (committed under scripts/crosscheck/cases/)."""
    T = TAX
    g = csv_bytes([GRDP_H, [2024, "1000", "", ""]])
    c = Case(root, "R1_vsic_letter_not_matching_division")
    c.archive("a.zip", "zip", [("enterprise.csv", csv_bytes([["tax_code", "year", "vsic", "value_added"], [T[0], 2024, "A6201", "100"]])), ("grdp.csv", g)])
    c.done()
    c = Case(root, "R2_number_39_significant_digits")
    c.archive("a.zip", "zip", [("enterprise.csv", csv_bytes([["tax_code", "year", "vsic", "value_added"],
                                                              [T[0], 2024, "6201", "0.111111111111111111111111111111111111111"]])), ("grdp.csv", g)])
    c.done()
    c = Case(root, "R3_overflow_exit70_long_ratio", methodology__ecommerce__va_ratio_default=Raw("0.3333333333333333333333333333"))
    c.archive("a.zip", "zip", [("transaction.csv", csv_bytes([TX_H, ["a", "2024-01-01", "300000000000", "completed", "", "", "", "", "", ""]])), ("grdp.csv", g)])
    c.done()
    c = Case(root, "R4_decisive_value_in_encoding_error_row")
    c.archive("a.zip", "zip", [("grdp.csv", b"year;grdp;province_code\n2020;5.5;\xe9\n2021;1,234;67\n")])
    c.done()
    c = Case(root, "R5_decisive_nonnumeric_value")
    c.archive("a.zip", "zip", [("grdp.csv", b"year;grdp\n2020;abc.de\n2021;1.234\n")])
    c.done()
    c = Case(root, "R6_semicolon_inside_quoted_header_cell")
    c.archive("a.zip", "zip", [("grdp.csv", b'year\t"g;x"\tgrdp\n2024\tx\t1.5\n')])
    c.done()
    c = Case(root, "R7_gross_output_checked_when_value_added_present")
    c.archive("a.zip", "zip", [("enterprise.csv", csv_bytes([["tax_code", "year", "vsic", "gross_output", "intermediate_consumption", "value_added"],
                                                              [T[0], 2024, "1010", "x", "1", "50"]])), ("grdp.csv", g)])
    c.done()
    c = Case(root, "R8_currency_code_case", inputs__fx={"USD": {2024: 25000}})
    c.archive("a.zip", "zip", [("transaction.csv", csv_bytes([TX_H, ["a", "2024-01-01", "1000000", "completed", "", "", "", "", "usd", ""]])), ("grdp.csv", g)])
    c.done()


def tar_of(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in members:
            ti = tarfile.TarInfo(name)
            ti.mtime = FIXED_TIME
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


# ---------------------------------------------------------------- random cases

def fmt_num(rng, x_cents: int, conv: str, group: bool):
    """x_cents: integer in 1/100 units (exact). Formats with the convention."""
    neg = x_cents < 0
    x = abs(x_cents)
    ip, fp = divmod(x, 100)
    s = str(ip)
    th, dec = (",", ".") if conv == "en" else (".", ",")
    if group and len(s) > 3:
        parts = []
        while len(s) > 3:
            parts.insert(0, s[-3:])
            s = s[:-3]
        parts.insert(0, s)
        s = th.join(parts)
    if fp:
        s += dec + f"{fp:02d}".rstrip("0") if rng.random() < 0.5 else dec + f"{fp:02d}"
    return ("-" if neg else "") + s


GARBAGE = ["", " ", "x", "1.234", "1,234", "1.234,5", "1,234.5", "-1", "+5", ".5", "5.", "1e5", "12,34", "2024", "1989",
           "31/02/2023", "2023-12-31T17:00:00Z", "29/2/2024 23:59", "2024-13-01", "J6201", "A6201", "0111", "9999",
           "0100109106", "0100109106-001", "0100109106001", "0100109107", "079188001234", "completed", "thanh cong",
           "refunded", "unknown", "USD", "EUR", "67", "68", "constant-2010", "Current", "\"q\"", "a\nb", "1 234", "-0"]


def random_case(root, seed):
    rng = random.Random(seed)
    conv_cfg = rng.choice(["auto", "auto", "en", "vi"])
    off = rng.choice(["+07:00", "+07:00", "-05:30", "+00:00", "+09:30"])
    c = Case(root, f"rand_{seed:04d}", inputs__number_format=conv_cfg, region__utc_offset=off,
             inputs__fx={"USD": {2022: 23000, 2023: 23800, 2024: Raw("24900.5")}},
             inputs__statuses={"thanh cong": "completed", "da huy": "cancelled"},
             methodology__ecommerce__counted_statuses=rng.choice([["completed"], ["completed", "pending"]]),
             targets__interpolation=rng.choice(["linear", "none"]),
             region__districts={"660": "Gia Nghĩa", "661": "Đắk Glong", "662": "Cư Jút", "663": "Đắk Mil"})
    years = list(range(2021, 2026))
    taxes = TAX[:12]
    vsics = ["6201", "J6201", "62.01", "4711", "47110", "1010", "C10.10", "6419", "K64190", "2610", "4651", "0111", "5510", "9511"]
    ents_seen = []
    narch = rng.randint(1, 4)
    for a in range(narch):
        members = []
        for kind in rng.sample(["enterprise", "transaction", "grdp"], rng.randint(1, 3)):
            conv = conv_cfg if conv_cfg != "auto" else rng.choice(["en", "vi"])
            delim = rng.choice([",", ";", "\t"]) if conv == "en" else rng.choice([";", ",", ";"])
            group = rng.random() < 0.6
            if kind == "enterprise":
                h = ["tax_code", "year", "vsic", "value_added", "name", "district_code", "employees"]
                rng.shuffle(h)
                rows = [h]
                for _ in range(rng.randint(1, 12)):
                    t = rng.choice(taxes)
                    if rng.random() < 0.1:
                        t = t + "-00" + str(rng.randint(1, 3))
                    r = {"tax_code": t, "year": str(rng.choice(years)), "vsic": rng.choice(vsics),
                         "value_added": fmt_num(rng, rng.randint(-1000, 5_000_000_00) if rng.random() < 0.95 else rng.randint(-50000, 0), conv, group),
                         "name": rng.choice(["Công ty A", "Cong ty B", "X, Y & Co", ""]),
                         "district_code": rng.choice(["660", "661", "662", "", "669"]),
                         "employees": rng.choice(["", "12", fmt_num(rng, 123400, conv, group)])}
                    rows.append([r[k] for k in h])
                    ents_seen.append(t)
                name = rng.choice(["enterprise.csv", "enterprise_%d.csv" % a, "sub/enterprise.csv"])
            elif kind == "transaction":
                h = list(TX_H)
                rng.shuffle(h)
                rows = [h]
                for _ in range(rng.randint(1, 25)):
                    y = rng.choice(years)
                    dform = rng.randint(0, 4)
                    mo, d = rng.randint(1, 12), rng.randint(1, 28)
                    if rng.random() < 0.15:
                        mo, d = rng.choice([(12, 31), (1, 1)])
                    hh, mi = rng.randint(0, 23), rng.randint(0, 59)
                    if dform == 0:
                        ds = f"{y}-{mo:02d}-{d:02d}"
                    elif dform == 1:
                        ds = f"{y}-{mo:02d}-{d:02d}T{hh:02d}:{mi:02d}:00Z"
                    elif dform == 2:
                        ds = f"{y}-{mo:02d}-{d:02d} {hh:02d}:{mi:02d}" + rng.choice(["", "+07:00", "-05:30", ":12.5"])
                    elif dform == 3:
                        ds = f"{d}/{mo}/{y}"
                    else:
                        ds = f"{d}/{mo}/{y} {hh}:{mi:02d}"
                    amt = rng.randint(0, 5_000_000_000_00)
                    cur = rng.choice(["", "", "", "USD"])
                    if cur == "USD":
                        amt = rng.randint(0, 100_000_00)
                    refund = rng.choice(["", "", fmt_num(rng, rng.randint(0, amt), conv, group)])
                    seller = rng.choice(["", rng.choice(taxes), rng.choice(taxes) + "-001", PERSONAL[0]] + ents_seen[-3:])
                    r = {"transaction_id": f"T{rng.randint(1, 30)}", "date": ds, "amount": fmt_num(rng, amt, conv, group),
                         "status": rng.choice(["completed", "Completed", "success", "cancelled", "refunded", "pending", "thanh cong", "da huy"]),
                         "channel": rng.choice(["marketplace", "Website", "", "social", " MARKETPLACE "]),
                         "seller_tax_code": seller, "seller_province": rng.choice(["", "", "67", "79"]),
                         "seller_district_code": rng.choice(["", "", "660", "663"]), "currency": cur, "refund_amount": refund}
                    rows.append([r[k] for k in h])
                name = rng.choice(["transactions.csv", "ecommerce_%d.csv" % a, "b/transaction.csv"])
            else:
                h = list(GRDP_H)
                rows = [h]
                for y in rng.sample(years, rng.randint(1, 5)):
                    rows.append([str(y), fmt_num(rng, rng.randint(30000_00, 70000_00), conv, group),
                                 rng.choice(["", "67", "67", "68"]), rng.choice(["", "current", "constant-2010"])])
                name = "grdp.csv"
            if rng.random() < 0.5:
                for r in rows[1:]:
                    for j in range(len(r)):
                        if rng.random() < 0.04:
                            r[j] = rng.choice(GARBAGE)
            members.append((name, csv_bytes(rows, delim=delim, eol=rng.choice(["\n", "\r\n"]), bom=rng.random() < 0.2)))
        # dedupe member names
        seen = set()
        members = [(n, d) for n, d in members if not (n in seen or seen.add(n))]
        fmt = rng.choice(["zip", "tar", "tgz", "txz", "tbz2"])
        ext = {"zip": ".zip", "tar": ".tar", "tgz": ".tar.gz", "txz": ".tar.xz", "tbz2": ".tbz2"}[fmt]
        rel = rng.choice([f"2024-0{a + 1}-01_r{a}", f"2024/0{a + 1}_r{a}", f"R{a}"]) + ext
        rng.shuffle(members)
        c.archive(rel, fmt, members)
    c.done()


def main():
    # An option where OUTDIR goes (`--help`) would otherwise become a folder of that name.
    if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
        print(__doc__.strip(), file=sys.stderr)
        sys.exit(0 if len(sys.argv) > 1 and sys.argv[1] in ("-h", "--help") else 64)
    out = sys.argv[1]
    if "--repro" in sys.argv:
        repro_cases(sys.argv[1])
        return
    n = int(sys.argv[sys.argv.index("--random") + 1]) if "--random" in sys.argv else 60
    # Another first seed makes other random cases: every run from 0 repeats the same ones.
    first = int(sys.argv[sys.argv.index("--first-seed") + 1]) if "--first-seed" in sys.argv else 0
    os.makedirs(out, exist_ok=True)
    fixed_cases(out)
    fixed_cases2(out)
    fixed_cases3(out)
    fixed_cases4(out)
    for s in range(first, first + n):
        random_case(out, s)


if __name__ == "__main__":
    main()
