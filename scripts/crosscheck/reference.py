#!/usr/bin/env python3
"""Independent reference implementation of the grdp contract (CONTRACT.md §2–§5, §7).

Written from the contract text only, for cross-checking `grdp run` + `grdp export`.
Stdlib + PyYAML (config parsing only).

    python3 reference.py --config case/pipeline.yml --table target-vs-actual|by-district|quarantine
    python3 reference.py --config case/pipeline.yml --json      # everything, as JSON

Exit code mirrors what `grdp run` should exit with (0 or 65), or 64 for a bad config.
"""
from __future__ import annotations

import argparse
import bz2
import csv
import fnmatch
import gzip
import hashlib
import io
import json
import lzma
import os
import re
import stat
import sys
import tarfile
import unicodedata
import zipfile
import zlib
from datetime import date, datetime, timedelta
from fractions import Fraction

import yaml

# ---------------------------------------------------------------- config


class FracLoader(yaml.SafeLoader):
    pass


def _float_ctor(loader, node):
    v = loader.construct_scalar(node).replace("_", "")
    return Fraction(v)


FracLoader.add_constructor("tag:yaml.org,2002:float", _float_ctor)


class ConfigError(Exception):
    pass


def norm_key(s) -> str:
    return unicodedata.normalize("NFC", str(s).strip()).lower()


DEFAULT_KINDS = {
    "enterprise": ["enterprise*.csv"],
    "transaction": ["transaction*.csv", "ecommerce*.csv"],
    "grdp": ["grdp*.csv"],
}
DEFAULT_CORE = ["26", "4651", "4652", "5820", "61", "62", "631", "951"]


def parse_offset(s: str) -> timedelta:
    m = re.fullmatch(r"([+-])(\d\d):(\d\d)", s)
    if not m:
        if s in ("Z", "z"):
            return timedelta(0)
        raise ConfigError(f"bad utc_offset {s!r}")
    sign = -1 if m.group(1) == "-" else 1
    return sign * timedelta(hours=int(m.group(2)), minutes=int(m.group(3)))


def config_number(v) -> Fraction:
    """A config number, refused past 18 decimal places (as a cell; grdp computes in 38 digits)."""
    f = Fraction(v)
    d, places2, places5 = f.denominator, 0, 0
    while d % 2 == 0:
        d //= 2
        places2 += 1
    while d % 5 == 0:
        d //= 5
        places5 += 1
    if d != 1 or max(places2, places5) > 18:
        raise ConfigError(f"config number {v!r} has more than 18 decimal places")
    return f


def load_config(path: str) -> dict:
    with open(path, "rb") as f:
        raw = yaml.load(f.read().decode("utf-8"), Loader=FracLoader)
    if not isinstance(raw, dict) or raw.get("version") != 1:
        raise ConfigError("version")
    region = raw.get("region") or {}
    if "code" not in region or region["code"] is None:
        raise ConfigError("region.code")
    inputs = raw.get("inputs") or {}
    meth = raw.get("methodology") or {}
    ecom = meth.get("ecommerce") or {}
    targets = raw.get("targets") or {}
    quality = raw.get("quality") or {}
    base = os.path.dirname(os.path.abspath(path))
    kinds = {k: list(v) for k, v in DEFAULT_KINDS.items()}
    for k, v in (inputs.get("kinds") or {}).items():
        if v is not None:
            kinds[k] = list(v)
    columns = {}
    for kind, m in (inputs.get("columns") or {}).items():
        columns[kind] = {}
        for canon, aliases in (m or {}).items():
            for a in aliases or []:
                columns[kind][norm_key(a)] = norm_key(canon)
    statuses = {norm_key(k): str(v) for k, v in (inputs.get("statuses") or {}).items()}
    fx = {}
    for cur, years in (inputs.get("fx") or {}).items():
        fx[str(cur).strip().upper()] = {int(y): config_number(r) for y, r in (years or {}).items()}
    points = {}
    for p in targets.get("points") or []:
        y = int(p["year"])
        if y in points:
            raise ConfigError("duplicate target year")
        points[y] = config_number(p["share_pct"])
    returns = inputs.get("returns") or "Inputs/returns"
    outputs = raw.get("outputs") or {}
    return {
        "base": base,
        "region_code": str(region["code"]),
        "utc_offset": parse_offset(str(region.get("utc_offset") or "+07:00")),
        "districts": {str(k): str(v) for k, v in (region.get("districts") or {}).items()},
        "returns": os.path.join(base, str(returns)),
        "exclude": [str(x) for x in (inputs.get("exclude") or [])],
        "number_format": str(inputs.get("number_format") or "auto"),
        "kinds": kinds,
        "columns": columns,
        "statuses": statuses,
        "fx": fx,
        "max_quarantine_ratio": config_number(quality.get("max_quarantine_ratio", Fraction(1, 100))),
        "core": [str(x) for x in (meth.get("core_vsic_prefixes") or DEFAULT_CORE)],
        "counted": [str(x) for x in (ecom.get("counted_statuses") or ["completed"])],
        "va_default": config_number(ecom.get("va_ratio_default", Fraction(1, 10)) if ecom.get("va_ratio_default") is not None else Fraction(1, 10)),
        "va_by_channel": {norm_key(k): config_number(v) for k, v in (ecom.get("va_ratio_by_channel") or {}).items()},
        "coef": {str(k): config_number(v) for k, v in (meth.get("digitised_coefficients") or {}).items()},
        "interpolation": str(targets.get("interpolation") or "linear"),
        "points": points,
        "outputs": os.path.join(base, str(outputs.get("folder") or "Outputs")),
        "max_member_bytes": int((raw.get("limits") or {}).get("max_member_bytes") or 2147483648),
        "max_ratio": config_number((raw.get("limits") or {}).get("max_compression_ratio") or 200),
    }


# ---------------------------------------------------------------- archives

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2")


class Rejected(Exception):
    def __init__(self, reason, member="", detail=""):
        super().__init__(reason)
        self.reason, self.member, self.detail = reason, member, detail


def is_archive_name(name: str) -> bool:
    low = name.lower()
    return low.endswith(ARCHIVE_SUFFIXES) or low.endswith(".csv.gz")


def strip_dot(p: str) -> str:
    while p.startswith("./"):
        p = p[2:]
    return p


def unsafe(p: str) -> bool:
    if p.startswith("/") or p.startswith("\\") or re.match(r"^[A-Za-z]:", p):
        return True
    return ".." in re.split(r"[/\\]", p)


def gunzip_strict(data: bytes) -> bytes:
    """Multi-member gzip; rejects trailing garbage (incl. zero padding) and bad CRC/length."""
    out = bytearray()
    pos = 0
    if not data:
        raise Rejected("corrupt-archive", detail="empty gzip")
    while pos < len(data):
        if data[pos:pos + 2] != b"\x1f\x8b":
            raise Rejected("corrupt-archive", detail="trailing bytes")
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            chunk = d.decompress(data[pos:])
        except zlib.error as e:
            raise Rejected("corrupt-archive", detail=str(e))
        if not d.eof:
            raise Rejected("corrupt-archive", detail="truncated gzip")
        out += chunk
        pos = len(data) - len(d.unused_data)
    return bytes(out)


def decompress(data: bytes) -> bytes:
    if data[:2] == b"\x1f\x8b":
        return gunzip_strict(data)
    if data[:6] == b"\xfd7zXZ\x00":
        try:
            d = lzma.LZMADecompressor()
            out = d.decompress(data)
            if not d.eof or d.unused_data:
                raise Rejected("corrupt-archive", detail="xz trailing/truncated")
            return out
        except lzma.LZMAError as e:
            raise Rejected("corrupt-archive", detail=str(e))
    if data[:3] == b"BZh":
        try:
            d = bz2.BZ2Decompressor()
            out = d.decompress(data)
            if not d.eof or d.unused_data:
                raise Rejected("corrupt-archive", detail="bz2 trailing/truncated")
            return out
        except (OSError, ValueError) as e:
            raise Rejected("corrupt-archive", detail=str(e))
    return data


def looks_tar(b: bytes) -> bool:
    return len(b) >= 512 and (b[257:262] == b"ustar" or b[:512] == b"\0" * 512)


def check_limits(cfg, name, size, compressed):
    if cfg is None:
        return
    if size > cfg["max_member_bytes"]:
        raise Rejected("member-too-large", member=name)
    if size > 1024 * 1024 and Fraction(size, max(1, compressed)) > cfg["max_ratio"]:
        raise Rejected("compression-ratio", member=name)


def read_archive(path: str, rel: str, cfg=None) -> list:
    """Returns list of (member_path, kindless entry dict) for regular files; raises Rejected."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) == 0:
        raise Rejected("empty-archive")
    side = path + ".sha256"
    if os.path.isfile(side):
        want = open(side, "rb").read().decode("utf-8", "replace").split()
        if not want or want[0].lower() != hashlib.sha256(data).hexdigest():
            raise Rejected("corrupt-archive", detail="sha256 mismatch")
    members = []
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile as e:
            raise Rejected("corrupt-archive", detail=str(e))
        for zi in zf.infolist():
            name = zi.filename
            if unsafe(name):
                raise Rejected("unsafe-member-path", member=name)
            mode = zi.external_attr >> 16
            if zi.is_dir():
                continue
            if stat.S_IFMT(mode) and not stat.S_ISREG(mode):
                members.append((strip_dot(name), None))
                continue
            try:
                content = zf.read(zi)
            except (zipfile.BadZipFile, zlib.error, EOFError) as e:
                raise Rejected("corrupt-archive", member=name, detail=str(e))
            check_limits(cfg, name, len(content), zi.compress_size)
            members.append((strip_dot(name), content))
    else:
        raw = decompress(data)
        if looks_tar(raw) or not rel.lower().endswith(".csv.gz"):
            try:
                tf = tarfile.open(fileobj=io.BytesIO(raw), mode="r:")
                infos = tf.getmembers()
            except tarfile.TarError as e:
                raise Rejected("corrupt-archive", detail=str(e))
            for ti in infos:
                if unsafe(ti.name):
                    raise Rejected("unsafe-member-path", member=ti.name)
            for ti in infos:
                if ti.isdir():
                    continue
                if not ti.isreg():
                    members.append((strip_dot(ti.name), None))
                    continue
                fo = tf.extractfile(ti)
                content = fo.read()
                if len(content) != ti.size:
                    raise Rejected("corrupt-archive", member=ti.name, detail="short member")
                # approximation: compressed bytes attributed in proportion (clear-cut cases only)
                check_limits(cfg, ti.name, len(content), max(1, len(data) * (len(content) + 512) // max(1, len(raw))))
                members.append((strip_dot(ti.name), content))
            if raw[tf.offset:].strip(b"\0"):
                raise Rejected("corrupt-archive", detail="data after tar end-of-archive")
        else:
            base = os.path.basename(rel)
            check_limits(cfg, base[:-3], len(raw), len(data))
            members.append((base[:-3], raw))
    seen = set()
    for name, _ in members:
        if name in seen:
            raise Rejected("duplicate-member", member=name)
        seen.add(name)
    return members


# ---------------------------------------------------------------- CSV

COLUMNS = {
    "enterprise": ["tax_code", "year", "vsic", "value_added", "gross_output", "intermediate_consumption",
                   "name", "district_code", "employees"],
    "transaction": ["transaction_id", "date", "amount", "status", "channel", "seller_tax_code",
                    "seller_province", "seller_district_code", "currency", "refund_amount"],
    "grdp": ["year", "grdp", "province_code", "price_basis"],
}
NUMERIC = {
    "enterprise": ["value_added", "gross_output", "intermediate_consumption", "employees"],
    "transaction": ["amount", "refund_amount"],
    "grdp": ["grdp"],
}


def split_lines_blank(data: bytes, pos: int):
    """Return (end_of_line_pos_after_newline, is_blank) for the physical line starting at pos."""
    nl = data.find(b"\n", pos)
    end = len(data) if nl < 0 else nl + 1
    line = data[pos:end].rstrip(b"\n")
    if line.endswith(b"\r"):
        line = line[:-1]
    return end, (line.strip(b" ") == b"")


def parse_csv(data: bytes):
    """Yields ('header', line, fields) then ('row', line, fields) with fields as bytes."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    pos, line = 0, 1
    n = len(data)
    # header: first non-blank line
    while pos < n:
        end, blank = split_lines_blank(data, pos)
        if not blank:
            break
        pos, line = end, line + 1
    if pos >= n:
        return None, None, []
    # delimiter from the header line, outside quotes
    end, _ = split_lines_blank(data, pos)
    hl = data[pos:end]
    inq = False
    found = set()
    for c in hl:
        if c == 0x22:
            inq = not inq
        elif not inq and c in (0x2C, 0x3B, 0x09):
            found.add(c)
    delim = 0x2C if 0x2C in found else 0x3B if 0x3B in found else 0x09 if 0x09 in found else 0x2C

    records = []
    first = True
    while pos < n:
        end, blank = split_lines_blank(data, pos)
        if blank:
            pos, line = end, line + 1
            continue
        start_line = line
        fields = []
        field = bytearray()
        fstart = True
        inq = False
        i = pos
        while True:
            if i >= n:
                fields.append(bytes(field))
                pos = n
                break
            c = data[i]
            if inq:
                if c == 0x22:
                    if i + 1 < n and data[i + 1] == 0x22:
                        field.append(0x22)
                        i += 2
                        continue
                    inq = False
                    i += 1
                    continue
                if c == 0x0A:
                    line += 1
                field.append(c)
                i += 1
                continue
            if fstart and c == 0x22:
                inq = True
                fstart = False
                i += 1
                continue
            fstart = False
            if c == delim:
                fields.append(bytes(field))
                field = bytearray()
                fstart = True
                i += 1
                continue
            if c == 0x0A:
                if field.endswith(b"\r"):
                    del field[-1]
                fields.append(bytes(field))
                line += 1
                pos = i + 1
                break
            if c == 0x0D and i + 1 < n and data[i + 1] == 0x0A:
                i += 1
                continue
            field.append(c)
            i += 1
        records.append((start_line, fields))
    return delim, records[0] if records else None, records[1:]


def text(b: bytes) -> str:
    return unicodedata.normalize("NFC", b.decode("utf-8").strip())


# ---------------------------------------------------------------- field rules


class Q(Exception):
    def __init__(self, reason, detail=""):
        super().__init__(reason)
        self.reason, self.detail = reason, detail


def num_clean(s: str) -> str:
    return s.replace(" ", "").replace("\u00a0", "")


def decisive(s: str):
    """Return 'en' / 'vi' if the value decides the convention, else None."""
    v = num_clean(s)
    # ambiguity: only number-looking values (sign, digits, marks) are taken as decisive
    if not re.fullmatch(r"-?[0-9.,]*[0-9][0-9.,]*|-?[.,][0-9.,]*", v):
        return None
    has_dot, has_comma = "." in v, "," in v
    if has_dot and has_comma:
        return "vi" if v.rfind(",") > v.rfind(".") else "en"
    for mark, conv_group, conv_dec in ((".", "vi", "en"), (",", "en", "vi")):
        if mark in v:
            if v.count(mark) > 1:
                return conv_group
            after = v.split(mark, 1)[1]
            if not (len(after) == 3 and after.isdigit() and after.isascii()):
                return conv_dec
    return None


def parse_number(s: str, conv: str) -> Fraction:
    v = num_clean(s)
    neg = False
    if v.startswith("-"):
        neg, v = True, v[1:]
    th, dec = (",", ".") if conv == "en" else (".", ",")
    m = re.fullmatch(r"([0-9]{1,3}(?:" + re.escape(th) + r"[0-9]{3})+|[0-9]+)(?:" + re.escape(dec) + r"([0-9]+))?", v)
    if not m:
        raise Q("type-error", f"number {s!r}")
    ip = m.group(1).replace(th, "")
    fp = m.group(2) or ""
    # no more than 18 decimal places, trailing zeros aside (grdp computes money in 38 digits)
    if len(fp.rstrip("0")) > 18:
        raise Q("out-of-range", f"number {s!r} has more than 18 decimal places")
    val = Fraction(int(ip + fp), 10 ** len(fp))
    return -val if neg else val


def check_digit_ok(d10: str) -> bool:
    w = [31, 29, 23, 19, 17, 13, 7, 5, 3]
    s = sum(int(d10[i]) * w[i] for i in range(9))
    c = 10 - (s % 11)
    return c != 10 and c == int(d10[9])


def norm_tax(s: str, seller: bool):
    v = s.replace(" ", "")
    if seller and re.fullmatch(r"[0-9]{12}", v):
        return v
    if re.fullmatch(r"[0-9]{13}", v):
        v = v[:10] + "-" + v[10:]
    if not re.fullmatch(r"[0-9]{10}(-[0-9]{3})?", v):
        raise Q("invalid-tax-code", s)
    if not check_digit_ok(v[:10]):
        raise Q("invalid-tax-code", s)
    return v


SECTIONS = [("A", 1, 3), ("B", 5, 9), ("C", 10, 33), ("D", 35, 35), ("E", 36, 39), ("F", 41, 43),
            ("G", 45, 47), ("H", 49, 53), ("I", 55, 56), ("J", 58, 63), ("K", 64, 66), ("L", 68, 68),
            ("M", 69, 75), ("N", 77, 82), ("O", 84, 84), ("P", 85, 85), ("Q", 86, 88), ("R", 90, 93),
            ("S", 94, 96), ("T", 97, 98), ("U", 99, 99)]


def norm_vsic(s: str):
    v = s.replace(".", "").replace(" ", "")
    # "one leading section letter dropped": a section letter is A-U (either case). The
    # contract does not say the letter must agree with the division, so it is not checked.
    if v[:1] and v[:1].upper() in "ABCDEFGHIJKLMNOPQRSTU" and v[:1].isalpha():
        v = v[1:]
    if not re.fullmatch(r"[0-9]{4,5}", v):
        raise Q("invalid-vsic", s)
    div = int(v[:2])
    for sec, lo, hi in SECTIONS:
        if lo <= div <= hi:
            return v, sec
    raise Q("invalid-vsic", s)


def parse_year(s: str) -> int:
    if not (s.isdigit() and s.isascii()):
        raise Q("type-error", f"year {s!r}")
    if len(s) != 4 or not (1990 <= int(s) <= 2100):
        raise Q("out-of-range", f"year {s!r}")
    return int(s)


ISO_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?)?")
DMY_RE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?")


def parse_date(s: str, local: timedelta):
    """Returns the local date (year, month)."""
    m = ISO_RE.fullmatch(s)
    off = None
    if m:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        hh = int(m.group(4) or 0)
        mi = int(m.group(5) or 0)
        ss = int(m.group(6) or 0)
        tz = m.group(8)
        if tz:
            if tz == "Z":
                off = timedelta(0)
            else:
                oh, om = int(tz[1:3]), int(tz[4:6])
                if oh > 23 or om > 59:
                    raise Q("type-error", s)
                off = (1 if tz[0] == "+" else -1) * timedelta(hours=oh, minutes=om)
    else:
        m = DMY_RE.fullmatch(s)
        if not m:
            raise Q("type-error", f"date {s!r}")
        d, mo, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        hh = int(m.group(4) or 0)
        mi = int(m.group(5) or 0)
        ss = int(m.group(6) or 0)
    if hh > 23 or mi > 59 or ss > 59:
        raise Q("type-error", f"date {s!r}")
    try:
        # Year 0000 (ISO 8601's 1 BC) has 2000's calendar; it is out of range below anyway.
        dt = datetime(y or 2000, mo, d, hh, mi, ss)
    except ValueError:
        raise Q("type-error", f"date {s!r}")
    if y == 0:
        raise Q("out-of-range", f"date {s!r} falls in year 0")
    if off is not None:
        try:
            dt = dt - off + local
        except OverflowError:
            raise Q("out-of-range", f"date {s!r} falls after 9999")
    # The local year must be one a `year` cell may name (README, Readings of the contract).
    if not (1990 <= dt.year <= 2100):
        raise Q("out-of-range", f"date {s!r} falls in {dt.year}")
    return dt.year, dt.month


DEFAULT_STATUS = {"completed": "completed", "complete": "completed", "success": "completed",
                  "delivered": "completed", "cancelled": "cancelled", "canceled": "cancelled",
                  "refunded": "refunded", "returned": "refunded", "pending": "pending"}


# ---------------------------------------------------------------- normalize a member


def classify(member: str, kinds: dict):
    base = member.rsplit("/", 1)[-1].lower()
    for kind in ("enterprise", "transaction", "grdp"):
        for pat in kinds.get(kind, []):
            if fnmatch.fnmatchcase(base, str(pat).lower()):
                return kind
    return None


def map_header(kind, fields, cfg):
    aliases = cfg["columns"].get(kind, {})
    cols = {}
    for idx, fb in enumerate(fields):
        try:
            h = norm_key(fb.decode("utf-8").strip(" "))
        except UnicodeDecodeError:
            continue
        canon = h if h in COLUMNS[kind] else aliases.get(h)
        if canon is None or canon not in COLUMNS[kind]:
            continue
        if canon in cols:
            raise Rejected("header-error", detail=f"duplicate column {canon}")
        cols[canon] = idx
    req = {"enterprise": ["tax_code", "year", "vsic"], "transaction": ["transaction_id", "date", "amount", "status"],
           "grdp": ["year", "grdp"]}[kind]
    missing = [c for c in req if c not in cols]
    if kind == "enterprise" and "value_added" not in cols and not ("gross_output" in cols and "intermediate_consumption" in cols):
        missing.append("value_added")
    if missing:
        raise Rejected("header-error", detail="missing " + ",".join(missing))
    return cols


def normalize_member(kind, data, cfg):
    """Returns (records, quarantined, excluded_count, rows_read).
    records: list of (line, record dict); quarantined: list of (line, reason, detail)."""
    delim, header, rows = parse_csv(data)
    if header is None:
        raise Rejected("header-error", detail="no header")
    cols = map_header(kind, header[1], cfg)
    ncols = len(header[1])
    conv = cfg["number_format"]
    if conv == "auto":
        conv = None
        numidx = sorted(cols[c] for c in NUMERIC[kind] if c in cols)
        for _, fields in rows[:1000]:
            if len(fields) != ncols:
                continue
            for idx in numidx:
                try:
                    v = fields[idx].decode("utf-8")
                except UnicodeDecodeError:
                    continue
                d = decisive(v)
                if d:
                    conv = d
                    break
            if conv:
                break
        if conv is None:
            conv = "vi" if delim == 0x3B else "en"
    recs, quar, excluded = [], [], 0
    for line, fields in rows:
        if len(fields) != ncols:
            quar.append((line, "field-count", ""))
            continue
        try:
            vals = {c: text(fields[i]) for c, i in cols.items()}
        except UnicodeDecodeError:
            quar.append((line, "encoding-error", ""))
            continue
        try:
            r = RULES[kind](vals, conv, cfg)
        except Q as q:
            quar.append((line, q.reason, q.detail))
            continue
        if r is None:
            excluded += 1
            continue
        recs.append((line, r))
    return recs, quar, excluded, len(rows)


def req(vals, c):
    v = vals.get(c, "")
    if v == "":
        raise Q("missing-cell", c)
    return v


def rule_enterprise(vals, conv, cfg):
    tax = norm_tax(req(vals, "tax_code"), False)
    year = parse_year(req(vals, "year"))
    vsic, section = norm_vsic(req(vals, "vsic"))
    va = vals.get("value_added", "")
    if va != "":
        va = parse_number(va, conv)
    else:
        go = parse_number(req(vals, "gross_output"), conv)
        ic = parse_number(req(vals, "intermediate_consumption"), conv)
        va = go - ic
    # no figure past what one row can carry (grdp's RowMoneyLimit; the contract sets no bound)
    if abs(va) > 10 ** 9:
        raise Q("out-of-range", "value_added")
    if vals.get("employees", "") != "":
        parse_number(vals["employees"], conv)
    return {"tax": tax, "year": year, "vsic": vsic, "section": section, "va": va,
            "district": vals.get("district_code", ""), "name": vals.get("name", "")}


def rule_transaction(vals, conv, cfg):
    tid = req(vals, "transaction_id")
    y, mo = parse_date(req(vals, "date"), cfg["utc_offset"])
    amount = parse_number(req(vals, "amount"), conv)
    if amount < 0:
        raise Q("out-of-range", "amount")
    st = norm_key(req(vals, "status"))
    if st in cfg["statuses"]:
        status = cfg["statuses"][st]
    elif st in DEFAULT_STATUS:
        status = DEFAULT_STATUS[st]
    else:
        raise Q("unknown-status", st)
    channel = vals.get("channel", "").lower() or "unknown"
    seller = vals.get("seller_tax_code", "")
    seller = norm_tax(seller, True) if seller.replace(" ", "") != "" else ""
    prov = vals.get("seller_province", "")
    sdist = vals.get("seller_district_code", "")
    cur = vals.get("currency", "").upper()  # ambiguity: currency codes compared case-insensitively
    rate = Fraction(1)
    if cur != "" and cur.upper() != "VND":
        if cur not in cfg["fx"] or y not in cfg["fx"][cur]:
            raise Q("missing-fx-rate", cur)
        rate = cfg["fx"][cur][y]
    refund = Fraction(0)
    if vals.get("refund_amount", "") != "":
        refund = parse_number(vals["refund_amount"], conv)
        if refund < 0 or refund > amount:
            raise Q("out-of-range", "refund_amount")
    if amount * rate > 10 ** 15:
        raise Q("out-of-range", "amount over 10^15 VND")
    if prov != "" and prov != cfg["region_code"]:
        return None
    return {"tid": tid, "year": y, "month": mo, "status": status, "channel": channel, "seller": seller,
            "district": sdist, "net": (amount - refund) * rate}


def rule_grdp(vals, conv, cfg):
    year = parse_year(req(vals, "year"))
    g = parse_number(req(vals, "grdp"), conv)
    if abs(g) > 10 ** 9 or (g != 0 and abs(g) < 1):
        raise Q("out-of-range", "grdp beyond 10^9 or under 1 billion VND (not 0)")
    prov = vals.get("province_code", "")
    pb = vals.get("price_basis", "")
    if prov != "" and prov != cfg["region_code"]:
        return None
    if pb != "" and pb.lower() != "current":
        return None
    return {"year": year, "grdp": g}


RULES = {"enterprise": rule_enterprise, "transaction": rule_transaction, "grdp": rule_grdp}


# ---------------------------------------------------------------- pipeline


def scan(cfg):
    root = cfg["returns"]
    found = []
    for dp, dns, fns in os.walk(root):
        for fn in fns:
            full = os.path.join(dp, fn)
            if not os.path.isfile(full) or os.path.islink(full):
                continue
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            found.append(rel)
    found.sort(key=lambda s: s.encode("utf-8"))
    return [r for r in found if is_archive_name(r) and r not in cfg["exclude"]]


def run(cfg):
    out = {"exit": 0, "rejected": [], "quarantine": [], "members": []}
    ent, txn, grdp = {}, {}, {}
    for rel in scan(cfg):
        try:
            members = read_archive(os.path.join(cfg["returns"], rel), rel, cfg)
            data_members = []
            for name, content in members:
                if content is None:
                    continue
                kind = classify(name, cfg["kinds"])
                if kind:
                    data_members.append((name, kind, content))
            if not data_members:
                raise Rejected("empty-archive")
            data_members.sort(key=lambda t: t[0].encode("utf-8"))
            parsed = []
            for name, kind, content in data_members:
                try:
                    parsed.append((name, kind, normalize_member(kind, content, cfg)))
                except Rejected as r:
                    r.member = name
                    raise
        except Rejected as r:
            out["rejected"].append((rel, r.member, r.reason, r.detail))
            out["exit"] = 65
            continue
        for name, kind, (recs, quar, excl, nread) in parsed:
            out["members"].append((rel, name, kind, nread, len(recs), len(quar), excl))
            if nread and Fraction(len(quar), nread) > cfg["max_quarantine_ratio"]:
                out["rejected"].append((rel, name, "quarantine-ratio", ""))
                out["exit"] = 65
            for line, reason, detail in quar:
                out["quarantine"].append((rel, name, str(line), kind, reason, detail))
            for line, r in recs:
                if kind == "enterprise":
                    ent[(r["tax"], r["year"])] = r
                elif kind == "transaction":
                    txn[(r["channel"], r["tid"])] = r
                else:
                    grdp[r["year"]] = r
    out["tables"] = compute(cfg, ent, txn, grdp)
    return out


def rnd(x: Fraction, n: int) -> str:
    r = round(x, n)
    s = f"{abs(r.numerator) // r.denominator}"
    frac = abs(r) - abs(r.numerator) // r.denominator
    digits = str(int(frac * 10 ** n)).rjust(n, "0")
    sign = "-" if r < 0 else ""
    return f"{sign}{s}.{digits}"


def compute(cfg, ent, txn, grdp):
    core_p = cfg["core"]

    def is_core(e):
        return any(e["vsic"].startswith(p) for p in core_p)

    ents_by_year = {}
    for (tax, y), e in ent.items():
        ents_by_year.setdefault(y, {})[tax] = e

    def seller_match(t):
        s = t["seller"]
        if not s:
            return None
        eb = ents_by_year.get(t["year"], {})
        if s in eb:
            return eb[s]
        if len(s) == 14 and s[:10] in eb:
            return eb[s[:10]]
        return None

    years = set(ents_by_year) | {t["year"] for t in txn.values()} | set(grdp)
    rows, drows = [], []
    for y in sorted(years):
        core = Fraction(0)
        ecom = Fraction(0)
        dig = Fraction(0)
        d = {}  # district -> [core, ecom, dig]
        ecva_by_ent = {}
        for t in txn.values():
            if t["year"] != y or t["status"] not in cfg["counted"]:
                continue
            e = seller_match(t)
            if e is not None and is_core(e):
                continue
            va = t["net"] * cfg["va_by_channel"].get(t["channel"], cfg["va_default"])
            ecom += va
            if e is not None:
                ecva_by_ent[e["tax"]] = ecva_by_ent.get(e["tax"], 0) + va
            dist = t["district"] or (e["district"] if e is not None else "") or "unknown"
            d.setdefault(dist, [Fraction(0)] * 3)[1] += va
        for tax, e in ents_by_year.get(y, {}).items():
            dist = e["district"] or "unknown"
            acc = d.setdefault(dist, [Fraction(0)] * 3)
            if is_core(e):
                v = e["va"] * 1_000_000
                core += v
                acc[0] += v
            else:
                base = max(Fraction(0), e["va"] * 1_000_000 - ecva_by_ent.get(tax, 0))
                v = base * cfg["coef"].get(e["section"], Fraction(0))
                dig += v
                acc[2] += v
        B = Fraction(10 ** 9)
        core, ecom, dig = core / B, ecom / B, dig / B
        de = core + ecom + dig
        g = grdp[y]["grdp"] if y in grdp else None
        share = de / g * 100 if g else None
        pts = cfg["points"]
        if y in pts:
            tgt, kind = pts[y], "explicit"
        else:
            before = [p for p in pts if p < y]
            after = [p for p in pts if p > y]
            if cfg["interpolation"] == "linear" and before and after:
                y0, y1 = max(before), min(after)
                tgt = pts[y0] + (pts[y1] - pts[y0]) * Fraction(y - y0, y1 - y0)
                kind = "interpolated"
            else:
                tgt, kind = None, "none"
        gap = share - tgt if share is not None and tgt is not None else None
        if not g:
            status = "no-grdp"
        elif tgt is None:
            status = "no-target"
        elif share >= tgt:
            status = "met"
        else:
            status = "behind"
        rows.append([str(y), rnd(g, 3) if g is not None else "", rnd(core, 3), rnd(ecom, 3), rnd(dig, 3),
                     rnd(de, 3), rnd(share, 4) if share is not None else "",
                     rnd(tgt, 4) if tgt is not None else "", kind, rnd(gap, 4) if gap is not None else "", status])
        for dist in sorted(d, key=lambda s: s.encode("utf-8")):
            c, e_, g_ = (v / B for v in d[dist])
            drows.append([str(y), dist, cfg["districts"].get(dist, ""), rnd(c, 3), rnd(e_, 3), rnd(g_, 3),
                          rnd(c + e_ + g_, 3)])
    return {"target-vs-actual": rows, "by-district": drows}


HEADERS = {
    "target-vs-actual": "year,grdp_bvnd,core_bvnd,ecommerce_bvnd,digitised_bvnd,de_bvnd,share_pct,target_pct,target_kind,gap_pp,status".split(","),
    "by-district": "year,district_code,district_name,core_bvnd,ecommerce_bvnd,digitised_bvnd,de_bvnd".split(","),
    "quarantine": "archive_path,member_path,line,kind,reason,detail".split(","),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="pipeline.yml")
    ap.add_argument("--table", default="target-vs-actual")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    try:
        cfg = load_config(a.config)
    except (ConfigError, KeyError, TypeError, ValueError) as e:
        print(f"config error: {e}", file=sys.stderr)
        return 64
    out = run(cfg)
    if a.json:
        json.dump({"exit": out["exit"], "rejected": out["rejected"], "quarantine": out["quarantine"],
                   "members": out["members"], **out["tables"]}, sys.stdout, ensure_ascii=False, indent=1)
        print()
        return out["exit"]
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(HEADERS[a.table])
    rows = out["quarantine"] if a.table == "quarantine" else out["tables"][a.table]
    for r in rows:
        w.writerow(r)
    return out["exit"]


if __name__ == "__main__":
    sys.exit(main())
