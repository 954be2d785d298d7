#!/usr/bin/env python3
"""Issue 5's yardstick, measured beside grdp in the same minutes on the same machine.

Issue 5 compares grdp with Polars (1.58 s at 1 M transactions), DuckDB (2.00 s) and pandas (5.32 s)
measured once, on another day. The same grdp binary has taken from 1.36 s to 2.1 s for that set from one day
to the next on this shared machine, so a fixed figure says little. This script times, in turn
and RUNS times each:

  floor    `grdp bench-unpack SET/returns` (libarchive reading every member to nowhere)
  grdp     a cold `grdp run --force` (SET/Outputs removed first), validating every row
  polars   the members streamed from each archive into `polars.read_csv`, then the table
  duckdb   the members extracted to a temporary folder, DuckDB's parallel `read_csv`, SQL
  pandas   the members streamed from each archive into `pandas.read_csv` (its C parser), then the
           same steps as Polars'

Polars, DuckDB and pandas compute the target-vs-actual table of CONTRACT §4.3–§5 the way a
statistician would write it for these returns, not validating them: no tax code check digit, VSIC or
quarantine, and only the date forms, statuses and columns `grdp generate` writes. They read the
config's region, UTC offset, statuses, fx rates, methodology and targets. Each tool's table is
checked cell by cell against grdp's export of the same set (`grdp export --format csv`), so the
figures timed are the same figures; a tool whose table differs is reported as such. The generated
sets exercise revisions of transactions across archives, USD amounts, UTC and local timestamps,
refunds, other provinces' sellers, personal and branch sellers, ICT-core sellers, and sections
with and without a coefficient; they hold no revised enterprise or GRDP record, no member stored out of
path order and no excluded GRDP row, so the tools' handling of those is written but not checked.

Each tool runs in a process of its own under GNU time (wall, peak RSS).

Set up once (PyPI; nothing else is needed from the network):
    python3 -m venv /tmp/yardstick-venv
    /tmp/yardstick-venv/bin/pip install polars duckdb pandas pyyaml
Usage:
    /tmp/yardstick-venv/bin/python scripts/yardstick.py SET [--runs N] [--grdp BIN] [--tools a,b]
    e.g. swift build -c release && scripts/bench.sh --transactions 1000000 --runs 1 &&
         /tmp/yardstick-venv/bin/python scripts/yardstick.py /tmp/grdp-bench/n1000000 --runs 3
SET is a folder `scripts/bench.sh` made (`grdp generate --layout benchmark`): SET/pipeline.yml
and SET/returns. Its outputs folder (`outputs.folder`) is removed before each grdp run. Exits 70
when a tool's table differs from grdp's, 0 otherwise (without grdp among --tools, nothing is
checked, and it says so).
"""
from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

# ---------------------------------------------------------------------------------------------
# The returns and the config, as CONTRACT §2–§4 reads them (the parts these returns use)

BUILT_IN_STATUSES = {
    "completed": "completed", "complete": "completed", "success": "completed", "delivered": "completed",
    "cancelled": "cancelled", "canceled": "cancelled", "refunded": "refunded", "returned": "refunded",
    "pending": "pending",
}
SECTIONS = [("A", 1, 3), ("B", 5, 9), ("C", 10, 33), ("D", 35, 35), ("E", 36, 39), ("F", 41, 43),
            ("G", 45, 47), ("H", 49, 53), ("I", 55, 56), ("J", 58, 63), ("K", 64, 66), ("L", 68, 68),
            ("M", 69, 75), ("N", 77, 82), ("O", 84, 84), ("P", 85, 85), ("Q", 86, 88), ("R", 90, 93),
            ("S", 94, 96), ("T", 97, 98), ("U", 99, 99)]


def section_of(division: int) -> str | None:
    return next((s for s, low, high in SECTIONS if low <= division <= high), None)


class Settings:
    def __init__(self, set_dir: Path):
        import yaml
        config = yaml.safe_load((set_dir / "pipeline.yml").read_text())
        self.region = str(config["region"]["code"])
        sign, hours, minutes = config["region"]["utc_offset"][0], *config["region"]["utc_offset"][1:].split(":")
        self.offset_minutes = (1 if sign == "+" else -1) * (int(hours) * 60 + int(minutes))
        inputs = config.get("inputs", {})
        self.returns = set_dir / inputs.get("returns", "returns")
        self.outputs = set_dir / (config.get("outputs") or {}).get("folder", "Outputs")
        self.statuses = dict(BUILT_IN_STATUSES)
        self.statuses.update({k.strip().lower(): v for k, v in (inputs.get("statuses") or {}).items()})
        self.fx = {cur.upper(): {int(y): float(r) for y, r in years.items()}
                   for cur, years in (inputs.get("fx") or {}).items()}
        method = config["methodology"]
        self.core_prefixes = [str(p) for p in method["core_vsic_prefixes"]]
        ecommerce = method["ecommerce"]
        self.counted = set(ecommerce["counted_statuses"])
        self.ratio_default = float(ecommerce["va_ratio_default"])
        self.ratios = {k: float(v) for k, v in (ecommerce.get("va_ratio_by_channel") or {}).items()}
        self.coefficients = {k: float(v) for k, v in (method.get("digitised_coefficients") or {}).items()}
        targets = config.get("targets") or {}
        self.interpolation = targets.get("interpolation", "linear")
        self.points = sorted((int(p["year"]), float(p["share_pct"])) for p in targets.get("points") or [])

    def archives(self) -> list[Path]:
        """The archives in revision order: bytewise order of their path under returns (§3)."""
        found = [p for p in self.returns.rglob("*") if p.is_file() and p.name.lower().endswith((".tar.gz", ".tgz"))]
        return sorted(found, key=lambda p: str(p.relative_to(self.returns)).encode())

    def member_frames(self, read_csv) -> dict[str, list]:
        """Each member read by `read_csv` (its bytes → a frame), by kind: the archives in revision
        order, each one's stream read once, its members in path order (§4.4), not the order they
        are stored in."""
        frames: dict[str, list] = {"enterprise": [], "transaction": [], "grdp": []}
        for archive in self.archives():
            with tarfile.open(archive, mode="r|gz") as tar:  # one pass over the stream
                read: dict[str, bytes] = {}
                for entry in tar:
                    if entry.isfile() and self.kind(entry.name):
                        read[entry.name] = tar.extractfile(entry).read()
            for name in sorted(read, key=lambda n: n.encode()):
                frames[self.kind(name)].append(read_csv(read.pop(name)))
        return frames

    @staticmethod
    def kind(member: str) -> str | None:
        """A member's kind by its basename (the config's default patterns, which these sets use)."""
        base = member.rsplit("/", 1)[-1].lower()
        return ("enterprise" if base.startswith("enterprise") else
                "transaction" if base.startswith(("transaction", "ecommerce")) else
                "grdp" if base.startswith("grdp") else None)

    def target(self, year: int) -> tuple[float | None, str]:
        for y, pct in self.points:
            if y == year:
                return pct, "explicit"
        before = [p for p in self.points if p[0] < year]
        after = [p for p in self.points if p[0] > year]
        if self.interpolation == "linear" and before and after:
            (y0, p0), (y1, p1) = before[-1], after[0]
            return p0 + (p1 - p0) * (year - y0) / (y1 - y0), "interpolated"
        return None, "none"


def finish_table(settings: Settings, years: set[int], grdp: dict[int, float], core: dict[int, float],
                 ecommerce: dict[int, float], digitised: dict[int, float]) -> list[list[str]]:
    """The target-vs-actual rows (§5) as grdp's CSV export writes them, from the tools' sums.

    The sums of value added come exact (`Decimal`, from the tools' decimal types): they are sums of
    amounts of one decimal in million VND, whose total in billion VND often ends in a 5 at the
    fourth decimal, where a float sum's last bit decides the half-to-even rounding (DuckDB's
    parallel float sum gave 712.369 for grdp's exact 712.368). The transaction sums are floats:
    no tie there short of an exact 500,000 VND remainder."""
    def exact(x) -> Decimal:
        return x if isinstance(x, Decimal) else Decimal(repr(float(x)))

    def money(x: Decimal) -> str:
        return str(x.quantize(Decimal("0.001"), ROUND_HALF_EVEN))

    def pct(x: Decimal | None) -> str:
        return "" if x is None else str(x.quantize(Decimal("0.0001"), ROUND_HALF_EVEN))

    rows = []
    for year in sorted(years):
        c, e, d = (exact(part.get(year, 0)) for part in (core, ecommerce, digitised))
        de = c + e + d
        g = exact(grdp[year]) if year in grdp else None
        share = de / g * 100 if g else None
        target, kind = settings.target(year)
        target = None if target is None else exact(target)
        gap = share - target if share is not None and target is not None else None
        status = ("no-grdp" if share is None else "no-target" if target is None
                  else "met" if share >= target else "behind")
        rows.append([str(year), "" if g is None else money(g), money(c), money(e), money(d), money(de),
                     pct(share), pct(target), kind, pct(gap), status])
    return rows


# ---------------------------------------------------------------------------------------------
# Polars: each member streamed from its archive into read_csv

def polars_table(settings: Settings) -> list[list[str]]:
    import polars as pl

    frames = settings.member_frames(lambda data: pl.read_csv(data, infer_schema=False))

    region, local = settings.region, settings.offset_minutes
    # Enterprises: the last record of each (tax code, year).
    e = pl.concat(frames["enterprise"], how="diagonal")
    e = e.with_columns(
        pl.col("tax_code").str.replace_all(" ", ""), pl.col("year").cast(pl.Int32),
        pl.col("vsic").str.replace_all(r"[. ]", "").str.replace(r"^[A-Za-z]", ""),
        (pl.col("value_added").cast(pl.Float64) / 1000).alias("va"),
        pl.col("value_added").cast(pl.Decimal(38, 6)).alias("va_million"),
    ).unique(["tax_code", "year"], keep="last")
    e = e.with_columns(
        pl.any_horizontal([pl.col("vsic").str.starts_with(p) for p in settings.core_prefixes]).alias("core"),
        pl.col("vsic").str.slice(0, 2).cast(pl.Int32)
        .replace_strict({d: section_of(d) for d in range(100)}, return_dtype=pl.String).alias("section"))

    # GRDP: current prices of this province, the last row of each year.
    g = pl.concat(frames["grdp"], how="diagonal")
    g = g.filter(
        (pl.col("province_code").fill_null("") == "") | (pl.col("province_code") == region),
        pl.col("price_basis").fill_null("").str.to_lowercase().is_in(["", "current"]),
    ).with_columns(pl.col("year").cast(pl.Int32), pl.col("grdp").cast(pl.Float64)).unique("year", keep="last")

    # Transactions: this province's sellers, the last record of each (channel, id): the frames
    # come in revision order, so `unique` keeps the last as it stands.
    t = pl.concat(frames["transaction"], how="diagonal").lazy()
    date = pl.col("date")
    # The local year (CONTRACT §4.3): as written when the date has no offset; else the written time
    # moved from its offset to the region's.
    has_offset = date.str.ends_with("Z") | date.str.contains(r"[+-]\d\d:\d\d$")
    offset = (pl.when(date.str.ends_with("Z")).then(0)
              .otherwise((date.str.slice(-5, 2).cast(pl.Int32) * 60 + date.str.slice(-2, 2).cast(pl.Int32))
                         * pl.when(date.str.slice(-6, 1) == "-").then(-1).otherwise(1)))
    moved = (date.str.slice(0, 16).str.to_datetime("%Y-%m-%dT%H:%M", strict=False)
             + pl.duration(minutes=local - offset)).dt.year()
    t = t.filter((pl.col("seller_province").fill_null("") == "") | (pl.col("seller_province") == region))
    t = t.with_columns(
        pl.col("channel").fill_null("").str.strip_chars().str.to_lowercase().replace("", "unknown").alias("channel"),
        pl.when(has_offset).then(moved).otherwise(date.str.slice(0, 4).cast(pl.Int32)).cast(pl.Int32).alias("year"),
        pl.col("status").str.strip_chars().str.to_lowercase().replace_strict(settings.statuses).alias("status"),
        pl.col("seller_tax_code").fill_null("").str.replace_all(" ", "").alias("seller"),
    ).unique(["channel", "transaction_id"], keep="last")
    rate = pl.lit(1.0)
    for currency, years in settings.fx.items():
        rate = pl.when(pl.col("currency").fill_null("").str.to_uppercase() == currency).then(
            pl.col("year").replace_strict(years, default=None, return_dtype=pl.Float64)).otherwise(rate)
    ratio = pl.col("channel").replace_strict(settings.ratios, default=settings.ratio_default, return_dtype=pl.Float64)
    t = t.with_columns(
        ((pl.col("amount").cast(pl.Float64) - pl.col("refund_amount").fill_null("0").replace("", "0")
          .cast(pl.Float64)) * rate * ratio / 1e9).alias("va_b"),
        pl.col("status").is_in(list(settings.counted)).alias("counted_status"),
        # A 13-digit code's parent: its first ten digits.
        pl.when(pl.col("seller").str.len_chars() == 14).then(pl.col("seller").str.slice(0, 10))
        .otherwise(None).alias("parent")).select("year", "seller", "parent", "counted_status", "va_b").collect()

    keys = e.select(pl.col("tax_code"), pl.col("year"), pl.col("core"))
    matched = t.join(keys, left_on=["seller", "year"], right_on=["tax_code", "year"], how="left")
    matched = matched.join(keys.rename({"tax_code": "parent", "core": "parent_core"}), on=["parent", "year"],
                           how="left")
    matched = matched.with_columns(
        pl.when(pl.col("core").is_not_null()).then(pl.col("seller")).when(pl.col("parent_core").is_not_null())
        .then(pl.col("parent")).otherwise(None).alias("enterprise"),
        pl.coalesce("core", "parent_core").fill_null(False).alias("seller_core"))
    counted = matched.filter(pl.col("counted_status") & ~pl.col("seller_core"))
    ecommerce = dict(counted.group_by("year").agg(pl.col("va_b").sum()).iter_rows())
    by_enterprise = counted.filter(pl.col("enterprise").is_not_null()).group_by("enterprise", "year").agg(
        pl.col("va_b").sum().alias("ecommerce_va"))

    core = {year: total / 1000 for year, total in
            e.filter(pl.col("core")).group_by("year").agg(pl.col("va_million").sum()).iter_rows()}
    coefficient = pl.col("section").replace_strict(settings.coefficients, default=0.0, return_dtype=pl.Float64)
    digitised_rows = e.filter(~pl.col("core")).join(
        by_enterprise, left_on=["tax_code", "year"], right_on=["enterprise", "year"], how="left")
    digitised = dict(digitised_rows.with_columns(
        ((pl.col("va") - pl.col("ecommerce_va").fill_null(0.0)).clip(lower_bound=0.0) * coefficient).alias("d"))
        .group_by("year").agg(pl.col("d").sum()).iter_rows())
    grdp = dict(g.select("year", "grdp").iter_rows())
    years = set(e["year"].to_list()) | set(t["year"].drop_nulls().to_list()) | set(grdp)
    return finish_table(settings, years, grdp, core, ecommerce, digitised)


# ---------------------------------------------------------------------------------------------
# pandas: each member streamed from its archive into read_csv (the C parser), then the same steps

def pandas_table(settings: Settings) -> list[list[str]]:
    import numpy as np
    import pandas as pd

    frames = settings.member_frames(
        lambda data: pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, engine="c"))

    def column(frame, name: str):
        return frame[name] if name in frame else pd.Series("", index=frame.index)

    region, local = settings.region, settings.offset_minutes
    # Enterprises: the last record of each (tax code, year).
    e = pd.concat(frames["enterprise"], ignore_index=True).fillna("")
    e["tax_code"] = e["tax_code"].str.replace(" ", "", regex=False)
    e["year"] = e["year"].astype(np.int64)
    e["vsic"] = e["vsic"].str.replace(r"[. ]", "", regex=True).str.replace(r"^[A-Za-z]", "", regex=True)
    e["va"] = e["value_added"].astype(float) / 1000
    e["va_million"] = e["value_added"].map(Decimal)
    e = e.drop_duplicates(["tax_code", "year"], keep="last").copy()
    e["core"] = np.logical_or.reduce([e["vsic"].str.startswith(p) for p in settings.core_prefixes])
    e["section"] = e["vsic"].str.slice(0, 2).astype(int).map(section_of)

    # GRDP: current prices of this province, the last row of each year.
    g = pd.concat(frames["grdp"], ignore_index=True).fillna("")
    g = g[column(g, "province_code").isin(["", region]) & column(g, "price_basis").str.lower().isin(["", "current"])]
    g = g.assign(year=g["year"].astype(np.int64), grdp=g["grdp"].astype(float)).drop_duplicates("year", keep="last")

    # Transactions: this province's sellers, the last record of each (channel, id): the frames
    # come in revision order, so `drop_duplicates` keeps the last as it stands.
    t = pd.concat(frames["transaction"], ignore_index=True).fillna("")
    frames.clear()
    t = t[column(t, "seller_province").isin(["", region])]
    t = t.assign(ch=column(t, "channel").str.strip().str.lower().replace("", "unknown"))
    t = t.drop_duplicates(["ch", "transaction_id"], keep="last")
    date = t["date"]
    # The local year (CONTRACT §4.3): as written when the date has no offset; else the written time
    # moved from its offset to the region's.
    zulu = date.str.endswith("Z")
    has_offset = zulu | date.str.contains(r"[+-]\d\d:\d\d$", regex=True)
    year = date.str.slice(0, 4).astype(np.int64)
    if has_offset.any():
        written = date[has_offset]
        numeric = has_offset & ~zulu
        offset = pd.Series(0, index=written.index, dtype=np.int64)
        tail = date[numeric]
        offset[numeric[has_offset]] = ((tail.str.slice(-5, -3).astype(np.int64) * 60
                                        + tail.str.slice(-2).astype(np.int64))
                                       * np.where(tail.str.slice(-6, -5) == "-", -1, 1))
        moved = pd.to_datetime(written.str.slice(0, 16), format="%Y-%m-%dT%H:%M", errors="coerce") + \
            pd.to_timedelta(local - offset, unit="m")
        year[has_offset] = moved.dt.year
    status = t["status"].str.strip().str.lower().map(settings.statuses)
    seller = column(t, "seller_tax_code").str.replace(" ", "", regex=False)
    rate = pd.Series(1.0, index=t.index)
    currency = column(t, "currency").str.upper()
    for code, years in settings.fx.items():
        rate[currency == code] = year[currency == code].map(years)
    ratio = t["ch"].map(settings.ratios).fillna(settings.ratio_default)
    refund = column(t, "refund_amount").replace("", "0").astype(float)
    t = pd.DataFrame({
        "year": year, "seller": seller,
        # A 13-digit code's parent: its first ten digits.
        "parent": seller.str.slice(0, 10).where(seller.str.len() == 14),
        "counted_status": status.isin(settings.counted),
        "va_b": (t["amount"].astype(float) - refund) * rate * ratio / 1e9})

    keys = e[["tax_code", "year", "core"]]
    matched = t.merge(keys, left_on=["seller", "year"], right_on=["tax_code", "year"], how="left")
    matched = matched.merge(keys.rename(columns={"tax_code": "parent", "core": "parent_core"}),
                            on=["parent", "year"], how="left")
    matched["enterprise"] = matched["seller"].where(matched["core"].notna(),
                                                    matched["parent"].where(matched["parent_core"].notna()))
    seller_core = matched["core"].fillna(matched["parent_core"]).fillna(False).astype(bool)
    counted = matched[matched["counted_status"] & ~seller_core]
    ecommerce = counted.groupby("year")["va_b"].sum().to_dict()
    by_enterprise = (counted[counted["enterprise"].notna()].groupby(["enterprise", "year"])["va_b"].sum()
                     .rename("ecommerce_va").reset_index())

    core = {year: total / 1000 for year, total in e[e["core"]].groupby("year")["va_million"].sum().items()}
    coefficient = e["section"].map(settings.coefficients).fillna(0.0)
    rows = e[~e["core"]].assign(coefficient=coefficient).merge(
        by_enterprise, left_on=["tax_code", "year"], right_on=["enterprise", "year"], how="left")
    rows["d"] = (rows["va"] - rows["ecommerce_va"].fillna(0.0)).clip(lower=0.0) * rows["coefficient"]
    digitised = rows.groupby("year")["d"].sum().to_dict()
    grdp = dict(zip(g["year"], g["grdp"]))
    years = set(e["year"]) | set(t["year"].dropna()) | set(grdp)
    return finish_table(settings, {int(y) for y in years}, grdp, core, ecommerce, digitised)


# ---------------------------------------------------------------------------------------------
# DuckDB: the members extracted, then its parallel read_csv and SQL

def duckdb_table(settings: Settings) -> list[list[str]]:
    import duckdb

    scratch = Path(tempfile.mkdtemp(prefix="yardstick-duckdb-"))
    try:
        files: dict[str, list[tuple[int, Path]]] = {"enterprise": [], "transaction": [], "grdp": []}
        order = 0
        for number, archive in enumerate(settings.archives()):
            folder = scratch / str(number)
            with tarfile.open(archive, mode="r|gz") as tar:
                tar.extractall(folder, filter="data")
            extracted = sorted((str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()),
                               key=lambda n: n.encode())
            for name in extracted:
                if kind := settings.kind(name):
                    files[kind].append((order, folder / name))
                    order += 1
        db = duckdb.connect()

        def union(kind: str) -> str:
            return " UNION ALL BY NAME ".join(
                f"SELECT *, {o} AS _order, row_number() OVER () AS _line FROM read_csv('{p}', all_varchar=true)"
                for o, p in files[kind])

        region, local = settings.region, settings.offset_minutes
        statuses = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in settings.statuses.items())
        ratios = " ".join(f"WHEN '{k}' THEN {v}" for k, v in settings.ratios.items())
        fx = " ".join(f"WHEN upper(currency) = '{c}' AND y = {year} THEN {r}"
                      for c, years in settings.fx.items() for year, r in years.items())
        core = " OR ".join(f"starts_with(vsic, '{p}')" for p in settings.core_prefixes)
        coefficients = " ".join(f"WHEN '{k}' THEN {v}" for k, v in settings.coefficients.items())
        sections = " ".join(f"WHEN d BETWEEN {low} AND {high} THEN '{s}'" for s, low, high in SECTIONS)
        db.execute(f"""
            CREATE TEMP TABLE e AS
            SELECT tax_code, year, vsic, va, va_million, ({core}) AS core, CASE {sections} END AS section FROM (
              SELECT replace(tax_code, ' ', '') AS tax_code, CAST(year AS INTEGER) AS year,
                     regexp_replace(regexp_replace(vsic, '[. ]', '', 'g'), '^[A-Za-z]', '') AS vsic,
                     CAST(value_added AS DOUBLE) / 1000 AS va, CAST(value_added AS DECIMAL(38, 6)) AS va_million,
                     CAST(substr(regexp_replace(regexp_replace(vsic, '[. ]', '', 'g'), '^[A-Za-z]', ''), 1, 2)
                          AS INTEGER) AS d,
                     row_number() OVER (PARTITION BY replace(tax_code, ' ', ''), CAST(year AS INTEGER)
                                        ORDER BY _order DESC, _line DESC) AS last
              FROM ({union("enterprise")})) WHERE last = 1;
            CREATE TEMP TABLE g AS
            SELECT year, grdp FROM (
              SELECT CAST(year AS INTEGER) AS year, CAST(grdp AS DOUBLE) AS grdp,
                     row_number() OVER (PARTITION BY CAST(year AS INTEGER) ORDER BY _order DESC, _line DESC) AS last
              FROM ({union("grdp")})
              WHERE coalesce(province_code, '') IN ('', '{region}')
                AND lower(coalesce(price_basis, '')) IN ('', 'current')) WHERE last = 1;
            CREATE TEMP TABLE t AS
            WITH raw AS (
              SELECT *, coalesce(nullif(lower(trim(coalesce(channel, ''))), ''), 'unknown') AS ch,
                     CASE WHEN ends_with(date, 'Z') THEN 0
                          WHEN regexp_matches(date, '[+-][0-9][0-9]:[0-9][0-9]$')
                          THEN (CAST(substr(date, -5, 2) AS INTEGER) * 60 + CAST(substr(date, -2, 2) AS INTEGER))
                               * CASE WHEN substr(date, -6, 1) = '-' THEN -1 ELSE 1 END
                          ELSE {local} END AS off,
                     coalesce(try_strptime(substr(date, 1, 19), '%Y-%m-%dT%H:%M:%S'),
                              try_strptime(substr(date, 1, 19), '%Y-%m-%d %H:%M:%S'),
                              try_strptime(substr(date, 1, 16), '%Y-%m-%dT%H:%M'),
                              try_strptime(substr(date, 1, 10), '%Y-%m-%d')) AS naive
              FROM ({union("transaction")})
              WHERE coalesce(seller_province, '') IN ('', '{region}')),
            last AS (
              SELECT *, row_number() OVER (PARTITION BY ch, transaction_id ORDER BY _order DESC, _line DESC) AS n
              FROM raw),
            kept AS (
              SELECT ch, replace(coalesce(seller_tax_code, ''), ' ', '') AS seller, currency,
                     year(naive + to_minutes(CAST({local} - off AS BIGINT))) AS y,
                     CASE lower(trim(status)) {statuses} END AS status,
                     CAST(amount AS DOUBLE) - CAST(coalesce(nullif(refund_amount, ''), '0') AS DOUBLE) AS net
              FROM last WHERE n = 1)
            SELECT y AS year, seller, CASE WHEN length(seller) = 14 THEN substr(seller, 1, 10) END AS parent,
                   status IN ({", ".join(f"'{s}'" for s in settings.counted)}) AS counted_status,
                   net * CASE {fx} ELSE 1.0 END * CASE ch {ratios} ELSE {settings.ratio_default} END / 1e9 AS va_b
            FROM kept;
            CREATE TEMP TABLE c AS
            SELECT t.year, t.va_b, CASE WHEN e1.core IS NOT NULL THEN t.seller
                                        WHEN e2.core IS NOT NULL THEN t.parent END AS enterprise
            FROM t LEFT JOIN e e1 ON e1.tax_code = t.seller AND e1.year = t.year
                   LEFT JOIN e e2 ON e2.tax_code = t.parent AND e2.year = t.year
            WHERE t.counted_status AND NOT coalesce(e1.core, e2.core, false);
        """)
        ecommerce = dict(db.execute("SELECT year, sum(va_b) FROM c GROUP BY year").fetchall())
        core = {year: total / 1000 for year, total in
                db.execute("SELECT year, sum(va_million) FROM e WHERE core GROUP BY year").fetchall()}
        digitised = dict(db.execute(f"""
            SELECT e.year, sum(greatest(e.va - coalesce(x.v, 0), 0) * CASE e.section {coefficients} ELSE 0 END)
            FROM e LEFT JOIN (SELECT enterprise, year, sum(va_b) AS v FROM c WHERE enterprise IS NOT NULL
                              GROUP BY enterprise, year) x ON x.enterprise = e.tax_code AND x.year = e.year
            WHERE NOT e.core GROUP BY e.year""").fetchall())
        grdp = dict(db.execute("SELECT year, grdp FROM g").fetchall())
        years = ({y for (y,) in db.execute("SELECT DISTINCT year FROM e").fetchall()}
                 | {y for (y,) in db.execute("SELECT DISTINCT year FROM t WHERE year IS NOT NULL").fetchall()}
                 | set(grdp))
        return finish_table(settings, years, grdp, core, ecommerce, digitised)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Timing

def timed(command: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """Wall seconds, peak RSS MiB and standard output of a command under GNU time."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as times:
        done = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", times.name, *command],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        if done.returncode != 0:
            sys.exit(f"yardstick: {' '.join(command)} exited {done.returncode}:\n{done.stderr[-2000:]}")
        wall, kib = times.read().split()[-2:]
    return float(wall), int(kib) / 1024, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("set", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--grdp", default=".build/release/grdp")
    parser.add_argument("--tools", default="floor,grdp,polars,duckdb,pandas")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # a child: one tool's table as CSV
    args = parser.parse_args()
    settings = Settings(args.set)
    if args.one:
        rows = {"polars": polars_table, "duckdb": duckdb_table, "pandas": pandas_table}[args.one](settings)
        csv.writer(sys.stdout, lineterminator="\n").writerows(rows)
        return 0

    grdp = str(Path(args.grdp).resolve())
    config = str(args.set / "pipeline.yml")
    tools = args.tools.split(",")
    commands = {
        "floor": [grdp, "bench-unpack", str(settings.returns)],
        "grdp": [grdp, "--quiet", "--config", config, "run", "--force"],
        "polars": [sys.executable, __file__, str(args.set), "--one", "polars"],
        "duckdb": [sys.executable, __file__, str(args.set), "--one", "duckdb"],
        "pandas": [sys.executable, __file__, str(args.set), "--one", "pandas"],
    }
    results: dict[str, list[tuple[float, float]]] = {tool: [] for tool in tools}
    tables: dict[str, str] = {}
    for run in range(args.runs):
        for tool in tools:
            if tool == "grdp":
                shutil.rmtree(settings.outputs, ignore_errors=True)  # a cold run
            wall, mib, out = timed(commands[tool])
            results[tool].append((wall, mib))
            if tool in ("polars", "duckdb", "pandas"):
                tables[tool] = out
            print(f"run {run + 1} {tool:7s} {wall:6.2f} s {mib:7.0f} MiB", file=sys.stderr, flush=True)

    # grdp's own table, exported from the snapshot its last run published.
    expected = None
    if "grdp" in tools:
        export = subprocess.run([grdp, "--quiet", "--config", config, "export", "--format", "csv", "--output", "-"],
                                stdout=subprocess.PIPE, text=True, check=True).stdout
        expected = [row for row in csv.reader(io.StringIO(export))][1:]
    failed = False
    if expected is None and tables:
        print("yardstick: grdp not among --tools: the tools' tables are not checked", file=sys.stderr)
    load = os.getloadavg()
    print(f"\n{args.set} — best and median of {args.runs}, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print("| tool | wall best s | wall median s | peak RSS MiB | same table as grdp |")
    print("|---|---:|---:|---:|---|")
    for tool in tools:
        walls = [w for w, _ in results[tool]]
        same = "—" if tool not in tables else "not checked"
        if tool in tables and expected is not None:
            got = [row for row in csv.reader(io.StringIO(tables[tool]))]
            differing = [(g, x) for g, x in zip(got, expected) if g != x]
            same = "yes" if len(got) == len(expected) and not differing else "NO"
            if same == "NO":
                failed = True
                for g, x in differing[:5]:
                    print(f"  {tool}: {g}\n  grdp:  {x}", file=sys.stderr)
        print(f"| {tool} | {min(walls):.2f} | {statistics.median(walls):.2f} | "
              f"{max(m for _, m in results[tool]):.0f} | {same} |")
    return 70 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
