#!/usr/bin/env python3
"""Black-box differential campaign: grdp nightly (incremental) runs vs `run --force` from scratch.

Usage: nights.py [--seeds A-B] [--minutes M] [--modes mem,memkeep,part1,part2,part7]
                 [--keep] [--only-seed S]

Per seed: a base set of returns (grdp generate --layout benchmark, small), then 3-8 nights,
each a random change of the inputs (new archive, revisions, renames, removals, config edits, ...).
Each night's inputs ("state") are applied to one nightly folder per revision mode (the same
folder all along, only the changed files replaced), `grdp run` runs there, and the result is
compared with `grdp run --force` in a fresh folder over the same state: content_sha256, the
three CSV exports, exit codes, up-to-date vs snapshot, and `grdp verify`.
Failures are written to fails/<case>/ with the states and a repro.sh.
"""
import argparse, csv, datetime as dt, gzip, hashlib, io, json, os, random, re, shutil, sqlite3
import subprocess, sys, tarfile, time, traceback, unicodedata, zipfile, bz2, lzma
from decimal import Decimal

# Where it works and writes (work/, fails/, campaign.log), and the binary it runs: NIGHTS_ROOT and
# GRDP in the environment, else /tmp/nightcampaign and its copy of grdp there.
ROOT = os.environ.get('NIGHTS_ROOT', '/tmp/nightcampaign')
GRDP = os.environ.get('GRDP', os.path.join(ROOT, 'grdp'))
WORK = os.path.join(ROOT, 'work')
FAILS = os.path.join(ROOT, 'fails')
LOG = os.path.join(ROOT, 'campaign.log')

# How often a night has an analyst's `run --year` before it (NIGHTS_YEAR_RUNS, default 0.06).
YEAR_RUNS = float(os.environ.get('NIGHTS_YEAR_RUNS', '0.06'))

MODES = {
    'mem': {'GRDP_LEDGER': 'memory'},
    'memkeep': {'GRDP_LEDGER': 'memory', 'GRDP_KEEP_LEDGER_FROM': '0'},
    'part1': {'GRDP_LEDGER': 'partitioned', 'GRDP_LEDGER_PARTITIONS': '1'},
    'part2': {'GRDP_LEDGER': 'partitioned', 'GRDP_LEDGER_PARTITIONS': '2'},
    'part7': {'GRDP_LEDGER': 'partitioned', 'GRDP_LEDGER_PARTITIONS': '7'},
    'mixed': None,   # each night one of the above at random (the revision path switched between nights)
}
FIXED_MODES = [m for m in MODES if MODES[m] is not None]


def env_at(env, i):
    return env[i] if isinstance(env, list) else env
TABLES = ['target-vs-actual', 'by-district', 'quarantine']
TX_COLS = ['transaction_id', 'date', 'channel', 'seller_tax_code', 'seller_province',
           'seller_district_code', 'amount', 'currency', 'refund_amount', 'status']
EN_COLS = ['tax_code', 'year', 'vsic', 'name', 'district_code', 'employees', 'value_added']
GR_COLS = ['year', 'province_code', 'price_basis', 'grdp']
STATUS_CANON = {'completed': 'completed', 'complete': 'completed', 'success': 'completed',
                'delivered': 'completed', 'cancelled': 'cancelled', 'canceled': 'cancelled',
                'refunded': 'refunded', 'returned': 'refunded', 'pending': 'pending',
                'thành công': 'completed', 'giao thành công': 'completed', 'hoàn thành': 'completed',
                'đã hủy': 'cancelled', 'hủy đơn': 'cancelled', 'hoàn tiền': 'refunded',
                'trả hàng': 'refunded', 'đang xử lý': 'pending', 'chờ xác nhận': 'pending'}
STATUS_SPELL = {'completed': ['completed', 'Completed', 'success', 'delivered', 'Thành công', ' COMPLETE '],
                'cancelled': ['cancelled', 'Canceled', 'Đã hủy', 'Hủy đơn'],
                'refunded': ['refunded', 'Returned', 'Hoàn tiền', 'Trả hàng'],
                'pending': ['pending', 'Đang xử lý', 'Chờ xác nhận']}
CORE_VSIC = ['6201', '6202', '6209', '6311', '6312', '2610', '4651', '4652', '5820', '6110', '9511']
NONCORE_VSIC = ['4711', '4933', '1010', '4100', '6419', '5510', '8510', '8610', '0111', '3510', '6810']


def nfc(s):
    return unicodedata.normalize('NFC', s)


def tx_key(r):
    ch = nfc(r['channel'].strip()).lower() or 'unknown'
    return (ch, nfc(r['transaction_id'].strip()))


def check_digit_ok(code10):
    w = [31, 29, 23, 19, 17, 13, 7, 5, 3]
    n = [int(c) for c in code10]
    c = 10 - (sum(a * b for a, b in zip(w, n[:9])) % 11)
    return c != 10 and c == n[9]


def valid_seller(s):
    s = s.replace(' ', '')
    if s == '' or re.fullmatch(r'\d{12}', s):
        return True
    m = re.fullmatch(r'(\d{10})(?:-?(\d{3}))?', s)
    return bool(m) and check_digit_ok(m[1])


def make_tax(rng):
    while True:
        base = [rng.randrange(10) for _ in range(9)]
        w = [31, 29, 23, 19, 17, 13, 7, 5, 3]
        c = 10 - (sum(a * b for a, b in zip(w, base)) % 11)
        if c == 10:
            continue
        return ''.join(map(str, base)) + str(c)


def local_ym(date):
    """(year, month) of the local date (+07:00) of a date string, or None if unparseable."""
    s = date.strip()
    m = re.fullmatch(r'(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?', s)
    try:
        if m:
            y, mo, d = int(m[1]), int(m[2]), int(m[3])
            hh, mm = int(m[4] or 0), int(m[5] or 0)
            t = dt.datetime(y, mo, d, hh, mm)
            off = m[7]
            if off:
                if off == 'Z':
                    t = t + dt.timedelta(hours=7)
                else:
                    sign = 1 if off[0] == '+' else -1
                    oh, om = int(off[1:3]), int(off[4:6])
                    t = t - sign * dt.timedelta(hours=oh, minutes=om) + dt.timedelta(hours=7)
            return (t.year, t.month)
        m = re.fullmatch(r'(\d{1,2})/(\d{1,2})/(\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?', s)
        if m:
            dt.date(int(m[3]), int(m[2]), int(m[1]))
            return (int(m[3]), int(m[2]))
    except ValueError:
        return None
    return None


def parse_num(s, vi):
    s = s.replace(' ', '').replace('\u00a0', '')
    if s == '':
        return None
    if vi:
        s = s.replace('.', '').replace(',', '.')
    else:
        s = s.replace(',', '')
    try:
        return Decimal(s)
    except Exception:
        return None


def fmt_num(d, vi):
    s = format(d, 'f')
    return s.replace('.', ',') if vi else s


# ---------------------------------------------------------------- archives: read and write

def read_members(name, data):
    """[(member_path, bytes)] of an archive as grdp would take it (regular files)."""
    out = []
    low = name.lower()
    if low.endswith('.csv.gz'):
        return [(os.path.basename(name)[:-3], gzip.decompress(data))]
    if low.endswith('.zip'):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for i in z.infolist():
                if not i.is_dir():
                    out.append((i.filename, z.read(i)))
        return out
    with tarfile.open(fileobj=io.BytesIO(data), mode='r:*') as t:
        for m in t.getmembers():
            if m.isreg():
                out.append((m.name, t.extractfile(m).read()))
    return out


def member_kind(path):
    b = os.path.basename(path.lstrip('./')).lower()
    import fnmatch
    if fnmatch.fnmatchcase(b, 'enterprise*.csv'):
        return 'enterprise'
    if fnmatch.fnmatchcase(b, 'transaction*.csv') or fnmatch.fnmatchcase(b, 'ecommerce*.csv'):
        return 'transaction'
    if fnmatch.fnmatchcase(b, 'grdp*.csv'):
        return 'grdp'
    return None


def parse_csv(data):
    text = data.decode('utf-8-sig')
    first = text.split('\n', 1)[0]
    delim = ',' if ',' in first else (';' if ';' in first else ',')
    rows = list(csv.reader(io.StringIO(text, newline=''), delimiter=delim))
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        return [], delim
    hdr = [h.strip().lower() for h in rows[0]]
    recs = []
    for r in rows[1:]:
        if len(r) != len(hdr):
            continue
        recs.append({h: v.strip() for h, v in zip(hdr, r)})
    return recs, delim


def write_csv(cols, recs, style):
    """style: dict(delim=',' or ';', vi=bool, crlf=bool, bom=bool, shuffle=list or None)"""
    delim = style.get('delim', ',')
    vi = style.get('vi', False)
    cols = list(style.get('order') or cols)
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delim, lineterminator='\r\n' if style.get('crlf') else '\n')
    w.writerow(cols)
    numeric = {'amount', 'refund_amount', 'value_added', 'grdp', 'employees'}
    for r in recs:
        row = []
        for c in cols:
            v = r.get(c, '')
            if c in numeric and v not in ('', None) and not r.get('_raw'):
                d = parse_num(v, False)
                v = fmt_num(d, vi) if d is not None else v
            row.append(v)
        w.writerow(row)
    s = buf.getvalue()
    if style.get('bom'):
        s = '\ufeff' + s
    return s.encode('utf-8')


FIXED_MTIME = 1700000000


def pack(fmt, members, name_for_gz=None):
    """members: [(path, bytes)] in stored order. Returns archive bytes (deterministic)."""
    if fmt == 'csv.gz':
        bio = io.BytesIO()
        with gzip.GzipFile(filename='', mode='wb', fileobj=bio, mtime=0) as g:
            g.write(members[0][1])
        return bio.getvalue()
    if fmt == 'zip':
        bio = io.BytesIO()
        with zipfile.ZipFile(bio, 'w', compression=zipfile.ZIP_DEFLATED) as z:
            for p, d in members:
                zi = zipfile.ZipInfo(p, date_time=(2024, 1, 1, 0, 0, 0))
                zi.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(zi, d)
        return bio.getvalue()
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode='w', format=tarfile.USTAR_FORMAT) as t:
        for p, d in members:
            ti = tarfile.TarInfo(p)
            ti.size = len(d)
            ti.mtime = FIXED_MTIME
            ti.mode = 0o644
            t.addfile(ti, io.BytesIO(d))
    tb = raw.getvalue()
    if fmt == 'tar':
        return tb
    if fmt == 'tar.gz':
        bio = io.BytesIO()
        with gzip.GzipFile(filename='', mode='wb', fileobj=bio, mtime=0) as g:
            g.write(tb)
        return bio.getvalue()
    if fmt == 'tar.xz':
        return lzma.compress(tb, format=lzma.FORMAT_XZ)
    if fmt == 'tar.bz2':
        return bz2.compress(tb)
    raise ValueError(fmt)


EXT = {'tar.gz': '.tar.gz', 'tgz': '.tgz', 'tar': '.tar', 'tar.xz': '.tar.xz', 'tar.bz2': '.tar.bz2',
       'zip': '.zip', 'csv.gz': '.csv.gz'}


# ---------------------------------------------------------------- the state model

class State:
    def __init__(self, files, config):
        self.files = dict(files)   # relpath under returns -> bytes
        self.config = config       # pipeline.yml text

    def copy(self):
        return State(self.files, self.config)

    def save(self, d):
        os.makedirs(os.path.join(d, 'returns'), exist_ok=True)
        for p, b in self.files.items():
            fp = os.path.join(d, 'returns', p)
            os.makedirs(os.path.dirname(fp), exist_ok=True)
            with open(fp, 'wb') as f:
                f.write(b)
        with open(os.path.join(d, 'pipeline.yml'), 'w') as f:
            f.write(self.config)


class Registry:
    """What the inputs hold, as this harness understands grdp's rules (approximate; used only
    to pick realistic revisions: the oracle is grdp --force)."""

    def __init__(self, state):
        self.tx = {}        # key -> row (latest, accepted, in scope)
        self.ent = {}       # (tax, year) -> row
        self.grdp = {}      # year -> row
        for name in sorted(state.files, key=lambda s: s.encode()):
            if not re.search(r'\.(zip|tar|tar\.gz|tgz|tar\.xz|tar\.bz2|csv\.gz)$', name, re.I):
                continue
            try:
                mems = read_members(name, state.files[name])
            except Exception:
                continue
            for mp, data in sorted(mems, key=lambda m: m[0].encode()):
                k = member_kind(mp)
                if not k:
                    continue
                try:
                    recs, delim = parse_csv(data)
                except Exception:
                    continue
                vi = delim == ';'
                for r in recs:
                    if k == 'transaction':
                        r = {c: r.get(c, '') for c in TX_COLS}
                        if local_ym(r['date']) is None:
                            continue
                        a = parse_num(r['amount'], vi)
                        if a is None:
                            continue
                        r['amount'] = format(a, 'f')
                        rf = parse_num(r['refund_amount'], vi)
                        r['refund_amount'] = '' if rf is None else format(rf, 'f')
                        if r['status'].strip().lower() not in STATUS_CANON:
                            continue
                        if r['seller_province'] and r['seller_province'] != '67':
                            continue
                        if not valid_seller(r['seller_tax_code']):
                            continue
                        self.tx[tx_key(r)] = r
                    elif k == 'enterprise':
                        r = {c: r.get(c, '') for c in EN_COLS}
                        v = parse_num(r['value_added'], vi)
                        if v is None:
                            continue
                        r['value_added'] = format(v, 'f')
                        self.ent[(r['tax_code'], r['year'])] = r
                    elif k == 'grdp':
                        r = {c: r.get(c, '') for c in GR_COLS}
                        if r['price_basis'] not in ('', 'current'):
                            continue
                        if r['province_code'] and r['province_code'] != '67':
                            continue
                        v = parse_num(r['grdp'], vi)
                        if v is None:
                            continue
                        r['grdp'] = format(v, 'f')
                        self.grdp[r['year']] = r
        self.keys = sorted(self.tx)
        self.by_year = {}
        for k, r in self.tx.items():
            ym = local_ym(r['date'])
            self.by_year.setdefault(ym[0], []).append(k)
        for y in self.by_year:
            self.by_year[y].sort()
        self.sellers = sorted({r['seller_tax_code'] for r in self.tx.values()})
        self.ent_taxes = sorted({t for t, y in self.ent})


# ---------------------------------------------------------------- changes

class Gen:
    def __init__(self, rng, y0, y1):
        self.rng = rng
        self.y0, self.y1 = y0, y1
        self.day = 0
        self.fix_next = []     # actions forced onto the next night
        self.unusual_ids = []  # (channel, id) of unusual-stem orders written
        self.counter = 0
        self.kinds = []
        self.night_kinds = [['base']]

    def next_name(self, fmt, tag):
        self.day += 1
        y = self.y1 + 1
        base = dt.date(y, 2, 1) + dt.timedelta(days=self.day)
        ext = EXT[fmt]
        if fmt == 'csv.gz':
            return f'{base.isoformat()}_{tag}/transactions_{tag}.csv.gz'
        if self.rng.random() < 0.15:
            return f'{base.year}/{base.month:02d}-{base.day:02d}_{tag}{ext}'
        return f'{base.isoformat()}_{tag}{ext}'

    def style(self):
        r = self.rng
        st = {'delim': ',', 'vi': False}
        if r.random() < 0.25:
            st = {'delim': ';', 'vi': True}
        st['crlf'] = r.random() < 0.2
        st['bom'] = r.random() < 0.15
        return st

    def pick_fmt(self, allow_gz=True):
        fmts = ['tar.gz', 'tar.gz', 'tar.gz', 'zip', 'zip', 'tar', 'tar.xz', 'tar.bz2', 'tgz']
        if allow_gz:
            fmts.append('csv.gz')
        return self.rng.choice(fmts)

    def tx_archive(self, st, rows, tag, extra_members=(), fmt=None, label=None, nosplit=False):
        """Add one archive holding the transaction rows (and maybe other members)."""
        fmt = fmt or self.pick_fmt(allow_gz=not extra_members)
        style = self.style()
        cols = list(TX_COLS)
        if self.rng.random() < 0.2:
            self.rng.shuffle(cols)
        style['order'] = cols
        members = []
        if rows and not nosplit and self.rng.random() < 0.2:
            # the same key again later in the same member (the later line wins)
            for row in self.rng.sample(rows, min(len(rows), self.rng.randrange(1, 4))):
                d = dict(row)
                d.pop('_raw', None)
                if d['currency'] != 'USD':
                    d['amount'] = self.amount()
                    d['refund_amount'] = ''
                rows = rows + [d]
            self.dup_note = 'dup-in-member'
        if rows:
            split = not nosplit and fmt != 'csv.gz' and len(rows) > 4 and self.rng.random() < 0.2
            if split:
                # two transaction members, member path order != stored order; same key may be in both
                h = len(rows) // 2
                second = list(rows[h:])
                for row in self.rng.sample(rows[:h], min(h, self.rng.randrange(0, 3))):
                    d = dict(row)
                    d.pop('_raw', None)
                    if d['currency'] != 'USD':
                        d['amount'] = self.amount()
                        d['refund_amount'] = ''
                    second.insert(0, d)
                members.append((f'b/transactions_{tag}.csv', write_csv(TX_COLS, second, style)))
                members.append((f'a/transactions_{tag}.csv', write_csv(TX_COLS, rows[:h], style)))
            else:
                members.append((f'transactions_{tag}.csv', write_csv(TX_COLS, rows, style)))
        members.extend(extra_members)
        if fmt == 'csv.gz' and len(members) != 1:
            fmt = 'tar.gz'
        name = self.next_name(fmt, tag)
        data = pack('tar.gz' if fmt == 'tgz' else fmt, members)
        st.files[name] = data
        return name

    # --- row makers
    def amount(self):
        r = self.rng
        return str(r.randrange(100_000, 60_000_000_000) // 1000 * 1000)

    def date_in(self, y, m=None):
        r = self.rng
        m = m or r.randrange(1, 13)
        d = r.randrange(1, 29)
        forms = [f'{y}-{m:02d}-{d:02d}', f'{y}-{m:02d}-{d:02d}T{r.randrange(24):02d}:{r.randrange(60):02d}:{r.randrange(60):02d}+07:00',
                 f'{d}/{m}/{y}', f'{y}-{m:02d}-{d:02d} {r.randrange(24):02d}:{r.randrange(60):02d}',
                 f'{y}-{m:02d}-{d:02d}T{r.randrange(17):02d}:{r.randrange(60):02d}:00Z']
        return r.choice(forms)

    def new_row(self, reg, y, m=None, tid=None, channel=None):
        r = self.rng
        ch = channel or r.choice(['marketplace', 'website', 'social', 'livestream', 'Marketplace', ''])
        sellers = reg.sellers or [make_tax(r)]
        seller = r.choice(sellers + [make_tax(r), ''])
        row = {'transaction_id': tid, 'date': self.date_in(y, m), 'channel': ch,
               'seller_tax_code': seller, 'seller_province': r.choice(['67', '67', '67', '']),
               'seller_district_code': r.choice(['660', '661', '662', '663', '665', '666', '667', '', '669']),
               'amount': self.amount(), 'currency': '', 'refund_amount': '', 'status': r.choice(STATUS_SPELL['completed'][:3] + ['cancelled', 'pending'])}
        if r.random() < 0.05 and self.y0 <= y <= self.y1 and y >= 2020:
            row['currency'] = 'USD'
            row['amount'] = f'{r.randrange(1, 2_000_000)}.{r.randrange(100):02d}'
        return row

    def next_ids(self, reg, n, y):
        """Ids going on where the year's ids ended (stem by stem)."""
        stems = {}
        for (ch, tid) in reg.by_year.get(y, []) or reg.keys:
            m = re.fullmatch(r'(.*?)(\d+)', tid)
            if m:
                st = (ch, m[1], len(m[2]))
                stems[st] = max(stems.get(st, 0), int(m[2]))
        if not stems:
            stems[('marketplace', f'MP{y}Q4-', 6)] = 0
        out = []
        keys = sorted(stems)
        for _ in range(n):
            st = self.rng.choice(keys)
            stems[st] += 1
            out.append((st[0], f'{st[1]}{stems[st]:0{st[2]}d}'))
        return out

    def revise(self, reg, key, kinds=None):
        r = self.rng
        row = dict(reg.tx[key])
        y, m = local_ym(row['date'])
        kinds = kinds or r.sample(['amount', 'status', 'date_month', 'date_year', 'seller', 'district', 'channel_spelling', 'refund'], r.randrange(1, 3))
        for k in kinds:
            if k == 'amount':
                if row['currency'] == 'USD':
                    row['amount'] = f'{r.randrange(1, 2_000_000)}.{r.randrange(100):02d}'
                else:
                    row['amount'] = self.amount()
                row['refund_amount'] = ''
            elif k == 'status':
                row['status'] = r.choice(r.choice(list(STATUS_SPELL.values())))
            elif k == 'refund':
                a = Decimal(row['amount'])
                row['refund_amount'] = format((a * Decimal(r.randrange(0, 101)) / 100).quantize(Decimal('0.01') if row['currency'] else Decimal(1)), 'f')
                row['status'] = r.choice(['completed', 'refunded'])
            elif k == 'date_month':
                row['date'] = self.date_in(y, r.randrange(1, 13))
            elif k == 'date_year':
                ny = r.choice([yy for yy in range(self.y0, self.y1 + 1)] + ([self.y1 + 1] if not row['currency'] else []))
                row['date'] = self.date_in(ny)
            elif k == 'seller':
                row['seller_tax_code'] = r.choice(reg.sellers + [make_tax(r), ''])
            elif k == 'district':
                row['seller_district_code'] = r.choice(['660', '661', '664', '667', '', '668'])
            elif k == 'channel_spelling':
                ch = row['channel']
                canon = ch.strip().lower() or 'unknown'
                if canon == 'unknown':
                    row['channel'] = r.choice(['', 'unknown', 'Unknown', ' UNKNOWN '])
                else:
                    row['channel'] = r.choice([canon.upper(), canon.capitalize(), f'  {canon} ', canon])
        if row['currency'] == 'USD':
            yy = local_ym(row['date'])[0]
            if not (max(self.y0, 2020) <= yy <= min(self.y1, 2024)):
                row['date'] = self.date_in(max(min(yy, min(self.y1, 2024)), max(self.y0, 2020)))
        if row['refund_amount'] and Decimal(row['refund_amount']) > Decimal(row['amount']):
            row['refund_amount'] = row['amount']
        return row

    def pad(self, reg, rows, n=110):
        """Make a member big enough that one quarantined row is within the ratio."""
        y = self.y1
        for ch, tid in self.next_ids(reg, max(0, n - len(rows)), y):
            rows.append(self.new_row(reg, y, tid=tid, channel=ch))
        return rows

    # --- the changes; each returns a description
    def c_new_orders(self, st, reg):
        r = self.rng
        n = r.randrange(1, 400)
        y = self.y1
        rows = [self.new_row(reg, y, m=r.choice([10, 11, 12]) if r.random() < 0.7 else None, tid=tid, channel=ch)
                for ch, tid in self.next_ids(reg, n, y)]
        return f'new orders of {y} only: {n} rows -> {self.tx_archive(st, rows, "neworders")}'

    def c_new_orders_any_year(self, st, reg):
        r = self.rng
        rows = []
        ys = set()
        for _ in range(r.randrange(1, 60)):
            y = r.choice(list(range(self.y0, self.y1 + 1)) + [self.y1 + 1, self.y0 - 1])
            ys.add(y)
            ch, tid = self.next_ids(reg, 1, y)[0]
            if any(tx_key({'channel': x['channel'], 'transaction_id': x['transaction_id']}) == (ch, tid) for x in rows):
                continue
            row = self.new_row(reg, y, tid=tid, channel=ch)
            if y < 2020 or y > 2024:
                row['currency'] = ''
                row['amount'] = self.amount()
            rows.append(row)
        return f'new orders of years {sorted(ys)}: {len(rows)} rows -> {self.tx_archive(st, rows, "newyears")}'

    def c_revise_last_year(self, st, reg):
        r = self.rng
        ks = reg.by_year.get(self.y1) or reg.keys
        picked = r.sample(ks, min(len(ks), r.randrange(1, 120)))
        rows = [self.revise(reg, k, kinds=r.sample(['amount', 'status', 'refund', 'date_month', 'channel_spelling', 'district'], r.randrange(1, 3))) for k in picked]
        for row in rows:  # keep them in the last year
            yy = local_ym(row['date'])[0]
            if yy != self.y1:
                row['date'] = self.date_in(self.y1)
        if r.random() < 0.5:
            rows += [self.new_row(reg, self.y1, tid=tid, channel=ch) for ch, tid in self.next_ids(reg, r.randrange(1, 100), self.y1)]
        r.shuffle(rows)
        return f'revisions of {self.y1} orders ({len(picked)}) + new -> {self.tx_archive(st, rows, "rev" + str(self.y1))}'

    def c_revise_any(self, st, reg):
        r = self.rng
        picked = r.sample(reg.keys, min(len(reg.keys), r.randrange(1, 80)))
        rows = [self.revise(reg, k) for k in picked]
        return f'revisions of any year (moves of year/month/seller/district/channel spelling): {len(rows)} -> {self.tx_archive(st, rows, "revany")}'

    def c_identical_resend(self, st, reg):
        r = self.rng
        pool = reg.by_year.get(self.y1) if r.random() < 0.6 else reg.keys
        pool = pool or reg.keys
        picked = r.sample(pool, min(len(pool), r.randrange(1, 100)))
        rows = [dict(reg.tx[k]) for k in picked]
        return f're-sends identical to the current record: {len(rows)} -> {self.tx_archive(st, rows, "same")}'

    def c_unusual_stems(self, st, reg):
        r = self.rng
        y = self.y1 if r.random() < 0.7 else r.randrange(self.y0, self.y1 + 1)
        rows = []
        kinds = []
        used = set()

        def add(ch, tid):
            k = tx_key({'channel': ch, 'transaction_id': tid})
            if k in used:
                return
            used.add(k)
            rows.append(self.new_row(reg, y, tid=tid, channel=ch))
            self.unusual_ids.append((ch, tid))

        if r.random() < 0.5:
            kinds.append('no trailing digits')
            for _ in range(r.randrange(1, 10)):
                add(r.choice(['marketplace', 'website']), r.choice(['ORDER-', 'X', 'ĐH-', 'abc', 'Q-']) + ''.join(r.choice('ABCDEFGH') for _ in range(r.randrange(0, 6))))
        if r.random() < 0.5:
            kinds.append('very long numbers')
            for _ in range(r.randrange(1, 10)):
                nd = r.choice([17, 18, 19, 20, 21, 25, 30])
                add('marketplace', r.choice(['L', 'MP2024Q4-', '', 'LONG-']) + str(r.randrange(10 ** (nd - 1), 10 ** nd)))
        if r.random() < 0.5:
            kinds.append('same number under different prefixes')
            num = r.randrange(1, 10 ** 6)
            for p in r.sample(['AA-', 'BB-', 'MP2024Q4-', 'WEB2024Q4-', 'Z', '', 'mp2024q4-'], r.randrange(2, 6)):
                add(r.choice(['marketplace', 'website']), f'{p}{num:06d}')
        if r.random() < 0.5:
            n = r.choice([63, 64, 65, 66, 80, 130])
            kinds.append(f'{n} distinct id prefixes')
            for i in range(n):
                add('social', f'S{i:03d}X-{r.randrange(1, 10 ** 6):06d}')
        if r.random() < 0.4:
            kinds.append('leading-zero widths')
            num = r.randrange(1, 999)
            for w in (1, 3, 6, 9, 19):
                add('website', f'W-{num:0{w}d}')
        if r.random() < 0.3:
            kinds.append('unicode digits / decomposed')
            add('website', 'FW-' + ''.join(chr(0xFF10 + int(c)) for c in str(r.randrange(1, 99999))))
            add('website', unicodedata.normalize('NFD', 'ẤN-') + str(r.randrange(1, 99999)))
        if not rows:
            kinds.append('no trailing digits')
            add('marketplace', 'NODIGITS')
        # revisions of earlier unusual ids (spelled differently where the key allows it)
        earlier = [k for k in self.unusual_ids[:-len(rows)] if tx_key({'channel': k[0], 'transaction_id': k[1]}) in reg.tx]
        if earlier:
            kinds.append('revisions of earlier unusual ids')
            for ch, tid in r.sample(earlier, min(len(earlier), r.randrange(1, 20))):
                key = tx_key({'channel': ch, 'transaction_id': tid})
                if key in used:
                    continue
                used.add(key)
                row = self.revise(reg, key, kinds=r.sample(['amount', 'status', 'date_month', 'channel_spelling'], 2))
                if r.random() < 0.3:
                    row['transaction_id'] = r.choice([f' {tid} ', unicodedata.normalize('NFD', tid)])
                rows.append(row)
        r.shuffle(rows)
        return f'unusual id stems ({", ".join(kinds)}), {len(rows)} rows in {y} -> {self.tx_archive(st, rows, "stems")}'

    def c_empty_groups(self, st, reg):
        r = self.rng
        y = self.y1 if r.random() < 0.75 else r.randrange(self.y0, self.y1 + 1)
        groups = {}
        for k in reg.by_year.get(y, []):
            row = reg.tx[k]
            ym = local_ym(row['date'])
            if STATUS_CANON.get(row['status'].strip().lower()) != 'completed':
                continue
            g = (ym[1], row['channel'].strip().lower(), row['seller_tax_code'], row['seller_district_code'])
            groups.setdefault(g, []).append(k)
        if not groups:
            return self.c_new_orders(st, reg)
        gs = r.sample(sorted(groups), min(len(groups), r.choice([1, 2, 5, 20, 60, 200])))
        how = r.choice(['cancel', 'refund-full', 'move-month', 'mixed'])
        rows = []
        for g in gs:
            for k in groups[g]:
                row = dict(reg.tx[k])
                h = how if how != 'mixed' else r.choice(['cancel', 'refund-full', 'move-month', 'move-seller'])
                if h == 'cancel':
                    row['status'] = r.choice(STATUS_SPELL['cancelled'])
                elif h == 'refund-full':
                    row['status'] = r.choice(['refunded', 'completed'])
                    row['refund_amount'] = row['amount']
                elif h == 'move-month':
                    row['date'] = self.date_in(y, (g[0] % 12) + 1)
                else:
                    row['seller_tax_code'] = r.choice(reg.sellers)
                rows.append(row)
        r.shuffle(rows)
        if r.random() < 0.5:
            back = [dict(reg.tx[k]) for g in gs for k in groups[g]]
            back = r.sample(back, max(1, len(back) // 2))
            self.fix_next.append(('refill', back))
        return f'a return that empties {len(gs)} seller-month groups of {y} ({how}): {len(rows)} rows -> {self.tx_archive(st, rows, "empty")}'

    def c_enterprise(self, st, reg):
        r = self.rng
        recs = []
        ys = set()
        what = []
        ents = sorted(reg.ent)
        for _ in range(r.randrange(1, 15)):
            t = r.random()
            if t < 0.4 and ents:
                k = r.choice([e for e in ents if e[1] == str(self.y1)] or ents) if r.random() < 0.6 else r.choice(ents)
                row = dict(reg.ent[k])
                row['value_added'] = f'{r.randrange(1000, 900000)}.{r.randrange(10)}'
                what.append('value_added')
            elif t < 0.65 and ents:
                k = r.choice([e for e in ents if e[1] == str(self.y1)] or ents)
                row = dict(reg.ent[k])
                row['vsic'] = r.choice(NONCORE_VSIC if row['vsic'][:2] in ('26', '46', '58', '61', '62', '63', '95') else CORE_VSIC)
                what.append('core flip')
            elif t < 0.8 and ents:
                k = r.choice(ents)
                row = dict(reg.ent[k])
                row['district_code'] = r.choice(['660', '663', '667', '', '669'])
                what.append('district')
            else:
                # an enterprise record for a seller (maybe 13-digit parent) that had none
                s = r.choice([x for x in reg.sellers if len(x) in (10, 14)] or [make_tax(r)])
                s = s[:10] if r.random() < 0.5 else s
                y = r.choice([self.y1, self.y1, r.randrange(self.y0, self.y1 + 1)])
                row = {'tax_code': s, 'year': str(y), 'vsic': r.choice(CORE_VSIC + NONCORE_VSIC), 'name': 'Công ty mới ' + s,
                       'district_code': r.choice(['660', '665', '']), 'employees': str(r.randrange(1, 90)),
                       'value_added': f'{r.randrange(1000, 500000)}.0'}
                what.append('new enterprise for a seller')
            ys.add(row['year'])
            recs.append(row)
        style = self.style()
        mem = [(f'enterprise_rev{self.day + 1}.csv', write_csv(EN_COLS, recs, style))]
        # sometimes a few sales too
        rows = []
        if r.random() < 0.5:
            rows = [self.new_row(reg, self.y1, tid=tid, channel=ch) for ch, tid in self.next_ids(reg, r.randrange(1, 40), self.y1)]
        name = self.tx_archive(st, rows, 'ent', extra_members=mem, fmt=r.choice(['tar.gz', 'zip', 'tar']))
        return f'enterprise records revised/added ({", ".join(sorted(set(what)))}; years {sorted(ys)}) -> {name}'

    def c_grdp(self, st, reg):
        r = self.rng
        recs = []
        for _ in range(r.randrange(1, 4)):
            y = r.choice(sorted(reg.grdp) + [str(self.y1 + 1)]) if reg.grdp else str(self.y1)
            v = f'{r.randrange(30000, 90000)}.{r.randrange(10)}'
            kind = r.random()
            if kind < 0.6:
                recs.append({'year': y, 'province_code': r.choice(['67', '']), 'price_basis': r.choice(['current', '']), 'grdp': v})
            elif kind < 0.8:
                recs.append({'year': y, 'province_code': '67', 'price_basis': 'constant-2010', 'grdp': v})
            else:
                recs.append({'year': y, 'province_code': '01', 'price_basis': 'current', 'grdp': v})
        mem = [(f'grdp_rev{self.day + 1}.csv', write_csv(GR_COLS, recs, self.style()))]
        name = self.tx_archive(st, [], 'grdp', extra_members=mem, fmt=r.choice(['tar.gz', 'zip']))
        return f'GRDP records revised (incl. constant-price / other-province rows): {recs} -> {name}'

    def archives(self, st):
        return sorted([p for p in st.files if re.search(r'\.(zip|tar|tar\.gz|tgz|tar\.xz|tar\.bz2|csv\.gz)$', p, re.I)], key=lambda s: s.encode())

    def archive_and_suffix(self, st):
        """A random archive that is not a .csv.gz, and its suffix; None when there is none."""
        arcs = [a for a in self.archives(st) if not a.endswith('.csv.gz')]
        if not arcs:
            return None
        a = self.rng.choice(arcs)
        return a, next(e for e in ['.tar.gz', '.tgz', '.tar.xz', '.tar.bz2', '.tar', '.zip'] if a.endswith(e))

    def c_rename(self, st, reg):
        r = self.rng
        picked = self.archive_and_suffix(st)
        if not picked:
            return self.c_new_orders(st, reg)
        a, ext = picked
        if r.random() < 0.5:
            new = self.next_name('tar.gz', 'renamed')[:-len('.tar.gz')] + ext
        else:
            new = f'{self.y0 - 1}-12-31_renamed{self.day}{ext}'
        st.files[new] = st.files.pop(a)
        return f'archive renamed {a} -> {new}'

    def c_rename_gz(self, st, reg):
        r = self.rng
        arcs = [a for a in self.archives(st) if a.endswith('.csv.gz')]
        if not arcs:
            return self.c_rename(st, reg)
        a = r.choice(arcs)
        base = os.path.basename(a)
        if r.random() < 0.5:
            new = self.next_name('tar.gz', 'gzmoved')[:-len('.tar.gz')] + '/' + base    # same member name
        else:
            new = self.next_name('tar.gz', 'gzrenamed')[:-len('.tar.gz')] + '/transactions_other.csv.gz'
        st.files[new] = st.files.pop(a)
        return f'csv.gz archive moved/renamed {a} -> {new}'

    def c_remove(self, st, reg):
        r = self.rng
        arcs = self.archives(st)
        if len(arcs) < 2:
            return self.c_new_orders(st, reg)
        a = r.choice(arcs)
        del st.files[a]
        return f'archive removed: {a}'

    def c_resend_identical_archive(self, st, reg):
        picked = self.archive_and_suffix(st)
        if not picked:
            return self.c_new_orders(st, reg)
        a, ext = picked
        new = self.next_name('tar.gz', 'resent')[:-len('.tar.gz')] + ext
        st.files[new] = st.files[a]
        return f'archive {a} re-sent byte-identical as {new}'

    def c_quarantine(self, st, reg):
        r = self.rng
        rows = []
        # a few revisions, then pad to > 100 rows, then one bad row
        ks = reg.by_year.get(self.y1) or reg.keys
        for k in r.sample(ks, min(len(ks), r.randrange(0, 20))):
            rows.append(self.revise(reg, k))
        self.pad(reg, rows, 130)
        bad_kind = r.choice(['bad-date', 'bad-amount', 'bad-status', 'excluded-resend', 'bad-refund', 'bad-tax'])
        k = r.choice(reg.keys)
        bad = dict(reg.tx[k])
        bad['_raw'] = True
        if bad_kind == 'bad-date':
            bad['date'] = f'30/02/{self.y1}'
        elif bad_kind == 'bad-amount':
            bad['amount'] = '12abc'
        elif bad_kind == 'bad-status':
            bad['status'] = 'lost-in-post'
        elif bad_kind == 'bad-refund':
            bad['refund_amount'] = '99999999999999'
            bad['amount'] = '1000'
        elif bad_kind == 'excluded-resend':
            bad['seller_province'] = '01'
            bad['status'] = 'cancelled'
            bad.pop('_raw')
        elif bad_kind == 'bad-tax':
            t = make_tax(r)
            bad['seller_tax_code'] = t[:9] + str((int(t[9]) + 1) % 10)
        rows.insert(r.randrange(len(rows) + 1), bad)
        return f'archive with a quarantined/excluded re-send of an existing key ({bad_kind}, key {k}) among {len(rows)} rows -> {self.tx_archive(st, rows, "quar", nosplit=True)}'

    def c_late(self, st, reg):
        r = self.rng
        ks = reg.by_year.get(self.y1 - 1) or reg.keys
        rows = [self.revise(reg, k) for k in r.sample(ks, min(len(ks), r.randrange(1, 40)))]
        rows += [self.new_row(reg, self.y1 - 1, tid=tid, channel=ch) for ch, tid in self.next_ids(reg, r.randrange(0, 30), self.y1 - 1)]
        name = f'{self.y1}-06-{r.randrange(1, 29):02d}_late{self.day}.zip'
        style = self.style()
        st.files[name] = pack('zip', [(f'transactions_late{self.day}.csv', write_csv(TX_COLS, rows, style))])
        self.day += 1
        return f'backdated archive sorting between earlier ones: {name} ({len(rows)} rows)'

    def c_late2(self, st, reg):
        """An archive sorting between two later nights' archives, revising keys of the last year: some of
        them revised again in a later archive (its rows beaten), others not, plus new keys."""
        r = self.rng
        arcs = [a for a in self.archives(st) if re.match(r'\d{4}-\d{2}-\d{2}_', a) and a >= f'{self.y1 + 1}-02']
        if len(arcs) < 2:
            return self.c_late(st, reg)
        i = r.randrange(len(arcs) - 1)
        name = arcs[i][:10] + '_zz_late' + str(self.day) + '.tar.gz'
        later_keys = []
        for a in arcs[i + 1:]:
            try:
                for mp, data in read_members(a, st.files[a]):
                    if member_kind(mp) == 'transaction':
                        recs, _ = parse_csv(data)
                        later_keys += [tx_key({'channel': x.get('channel', ''), 'transaction_id': x.get('transaction_id', '')}) for x in recs]
            except Exception:
                pass
        later_keys = sorted(k for k in set(later_keys) if k in reg.tx)
        ks = r.sample(later_keys, min(len(later_keys), r.randrange(1, 30)))
        pool = reg.by_year.get(self.y1) or reg.keys
        ks += r.sample(pool, min(len(pool), r.randrange(1, 30)))
        rows = [self.revise(reg, k, kinds=r.sample(['amount', 'status', 'refund', 'date_month', 'seller'], 2)) for k in dict.fromkeys(ks)]
        rows += [self.new_row(reg, self.y1, tid=tid, channel=ch) for ch, tid in self.next_ids(reg, r.randrange(0, 20), self.y1)]
        st.files[name] = pack('tar.gz', [(f'transactions_zz{self.day}.csv', write_csv(TX_COLS, rows, self.style()))])
        self.day += 1
        return f'archive sorting between later nights\' archives ({name}): {len(rows)} rows, {min(len(later_keys), len(ks))} of keys revised again later'

    def c_corrupt(self, st, reg):
        r = self.rng
        rows = self.pad(reg, [], 50)
        name = self.tx_archive(st, rows, 'corrupt', fmt='tar.gz')
        b = st.files[name]
        st.files[name] = b[:len(b) - r.randrange(5, 40)]
        self.fix_next.append(('remove', name))
        return f'a truncated archive arrives (exit 65 expected) -> {name}; removed next night'

    def c_config(self, st, reg):
        r = self.rng
        c = st.config
        opts = ['va_default', 'va_channel', 'target', 'target_new', 'counted', 'core', 'digitised', 'district', 'comment', 'fx', 'status_map', 'exclude', 'exclude_back', 'ratio']
        o = r.choice(opts)
        if o == 'va_default':
            c = re.sub(r'va_ratio_default: [0-9.]+', f'va_ratio_default: {r.choice(["0.1", "0.100", "0.05", "0.15", "0.123"])}', c)
        elif o == 'va_channel':
            c = re.sub(r'marketplace: [0-9.]+', f'marketplace: {r.choice(["0.08", "0.07", "0.2"])}', c, count=1)
        elif o == 'target':
            c = re.sub(r'\{year: 2025, share_pct: [0-9.]+', f'{{year: 2025, share_pct: {r.choice(["20.0", "18.5", "25"])}', c)
        elif o == 'target_new':
            if 'year: 2023, share_pct' not in c:
                c = c.replace('  points:\n', f'  points:\n    - {{year: 2023, share_pct: {r.randrange(5, 15)}.5, source: "night edit"}}\n', 1)
        elif o == 'counted':
            c = re.sub(r'counted_statuses: \[[^\]]*\]', r.choice(['counted_statuses: [completed, pending]', 'counted_statuses: [completed]', 'counted_statuses: [completed, refunded]']), c)
        elif o == 'core':
            c = re.sub(r'core_vsic_prefixes: \[[^\]]*\]', r.choice(['core_vsic_prefixes: ["26", "4651", "4652", "5820", "61", "62", "631", "951"]', 'core_vsic_prefixes: ["26", "4651", "5820", "61", "631", "951"]', 'core_vsic_prefixes: ["26", "4651", "4652", "5820", "61", "62", "631", "951", "47"]']), c)
        elif o == 'digitised':
            c = re.sub(r'G: [0-9.]+', f'G: {r.choice(["0.05", "0.06", "0.01"])}', c, count=1)
        elif o == 'district':
            c = re.sub(r'"667": "[^"]*"', r.choice(['"667": "Tuy Đức"', '"667": "Tuy Duc (renamed)"']), c)
        elif o == 'comment':
            c = c + f'# night edit {self.day}\n'
        elif o == 'fx':
            c = re.sub(r'2024: [0-9]+\}', f'2024: {r.choice([24900, 25000, 24000])}}}', c)
        elif o == 'status_map':
            if 'Đã giao' not in c:
                c = c.replace('    "Thành công": completed\n', '    "Thành công": completed\n    "Đã giao": completed\n', 1)
        elif o == 'exclude':
            arcs = self.archives(st)
            if arcs:
                c = re.sub(r'exclude: \[[^\]]*\]', f'exclude: ["{r.choice(arcs)}"]', c)
        elif o == 'exclude_back':
            c = re.sub(r'exclude: \[[^\]]*\]', 'exclude: []', c)
        elif o == 'ratio':
            c = re.sub(r'max_quarantine_ratio: [0-9.]+', f'max_quarantine_ratio: {r.choice(["0.01", "0.02", "0.010"])}', c)
        st.config = c
        return f'config edit: {o}'

    def c_nothing(self, st, reg):
        return 'no change'

    CHANGES = [('c_new_orders', 10), ('c_new_orders_any_year', 3), ('c_revise_last_year', 12), ('c_revise_any', 6),
               ('c_identical_resend', 4), ('c_unusual_stems', 8), ('c_empty_groups', 6), ('c_enterprise', 4),
               ('c_grdp', 2), ('c_rename', 2), ('c_rename_gz', 1), ('c_remove', 2), ('c_resend_identical_archive', 2),
               ('c_quarantine', 3), ('c_late', 2), ('c_late2', 3), ('c_corrupt', 1), ('c_config', 4), ('c_nothing', 3)]

    def night(self, st, reg):
        descs = []
        for act, arg in self.fix_next:
            if act == 'remove' and arg in st.files:
                del st.files[arg]
                descs.append(f'removed {arg} (the corrupt one)')
            elif act == 'refill':
                descs.append(f'refill of emptied groups: {len(arg)} rows back as they were -> {self.tx_archive(st, arg, "refill")}')
                self.night_kinds[-1].append('refill')
        self.fix_next = []
        n = 1 if self.rng.random() < 0.8 else 2
        self.night_kinds.append([])
        for i in range(n):
            names, weights = zip(*self.CHANGES)
            ch = self.rng.choices(names, weights)[0]
            if i > 0 and ch in ('c_corrupt', 'c_nothing'):
                continue
            self.kinds.append(ch)
            self.night_kinds[-1].append(ch)
            descs.append(getattr(self, ch)(st, reg))
            if i == 0 and n == 2:
                reg = Registry(st)
        return descs


# ---------------------------------------------------------------- running grdp

def run(cmd, env_extra, cwd=None, timeout=600):
    env = dict(os.environ)
    for k in list(env):
        if k.startswith('GRDP_'):
            del env[k]
    env.update(env_extra)
    t = time.time()
    p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr.decode('utf-8', 'replace'), time.time() - t


def sync_state(state, d):
    """Make folder d hold the state, touching only what changed (a rename is a rename)."""
    ret = os.path.join(d, 'returns')
    os.makedirs(ret, exist_ok=True)
    have = {}
    for root, _, files in os.walk(ret):
        for f in files:
            fp = os.path.join(root, f)
            have[os.path.relpath(fp, ret)] = fp
    want = state.files
    gone = {p: fp for p, fp in have.items() if p not in want}
    gone_by_hash = {}
    for p, fp in gone.items():
        with open(fp, 'rb') as f:
            gone_by_hash.setdefault(hashlib.sha256(f.read()).hexdigest(), []).append(fp)
    for p, b in want.items():
        fp = os.path.join(ret, p)
        if p in have:
            with open(fp, 'rb') as f:
                if f.read() == b:
                    continue
        os.makedirs(os.path.dirname(fp), exist_ok=True)
        h = hashlib.sha256(b).hexdigest()
        if gone_by_hash.get(h):
            os.rename(gone_by_hash[h].pop(), fp)   # renamed: same inode
            continue
        tmp = fp + '.harness-tmp'
        with open(tmp, 'wb') as f:
            f.write(b)
        os.replace(tmp, fp)
    for lst in gone_by_hash.values():
        for fp in lst:
            os.remove(fp)
    # empty dirs
    for root, dirs, files in os.walk(ret, topdown=False):
        if root != ret and not os.listdir(root):
            os.rmdir(root)
    cfg = os.path.join(d, 'pipeline.yml')
    if not os.path.exists(cfg) or open(cfg).read() != state.config:
        with open(cfg + '.tmp', 'w') as f:
            f.write(state.config)
        os.replace(cfg + '.tmp', cfg)


def latest_report(d):
    rd = os.path.join(d, 'Outputs', 'reports')
    if not os.path.isdir(rd):
        return None
    fs = sorted(os.listdir(rd))
    if not fs:
        return None
    with open(os.path.join(rd, fs[-1])) as f:
        return json.load(f)


def outcome_of(d, env):
    """content hash of the latest snapshot and the three CSV exports."""
    cfg = os.path.join(d, 'pipeline.yml')
    rc, out, err, _ = run([GRDP, '--config', cfg, 'snapshots', '--json'], env)
    latest = None
    if rc == 0:
        for s in json.loads(out):
            if s.get('is_latest'):
                latest = s
    exports = {}
    for t in TABLES:
        rc2, o2, e2, _ = run([GRDP, '--config', cfg, 'export', '--table', t, '--format', 'csv', '--output', '-'], env)
        exports[t] = (rc2, o2.decode('utf-8', 'replace'), e2)
    return latest, exports


def log_fields(stderr):
    """key=value facts from --verbose --log-format json lines."""
    facts = []
    for line in stderr.splitlines():
        try:
            j = json.loads(line)
        except Exception:
            continue
        facts.append(j)
    return facts


def dump_db(path):
    con = sqlite3.connect(f'file:{path}?mode=ro', uri=True)
    out = {}
    for (t,) in con.execute("select name from sqlite_master where type='table' and name not like 'sqlite_%'"):
        if t == 'snapshot_meta':
            continue
        rows = con.execute(f'select * from "{t}"').fetchall()
        out[t] = sorted(map(repr, rows))
    con.close()
    return out


def db_diff(a, b, limit=8):
    lines = []
    for t in sorted(set(a) | set(b)):
        ra, rb = a.get(t, []), b.get(t, [])
        if ra == rb:
            continue
        sa, sb = set(ra), set(rb)
        lines.append(f'table {t}: nightly {len(ra)} rows, fresh {len(rb)} rows')
        for x in sorted(sa - sb)[:limit]:
            lines.append(f'  only nightly: {x}')
        for x in sorted(sb - sa)[:limit]:
            lines.append(f'  only fresh:   {x}')
        if sa == sb:
            lines.append('  (same set, different multiplicity)')
    return lines


def latest_db(d):
    sd = os.path.join(d, 'Outputs', 'snapshots')
    fs = sorted(f for f in os.listdir(sd) if f.endswith('.sqlite')) if os.path.isdir(sd) else []
    return os.path.join(sd, fs[-1]) if fs else None


# ---------------------------------------------------------------- a sequence

def write_repro(case_dir, mode, run_points, env, note):
    """repro.sh: states/state_XX are the inputs of each night; run nightly at run_points, then
    force in a fresh folder at the last one, and compare."""
    def envs_of(i):
        return ' '.join(f'{k}={v}' for k, v in env_at(env, i).items())
    envs = envs_of(run_points[-1]) if not isinstance(env, list) else 'per night, see below'
    last = run_points[-1]
    runs = '\n'.join(f'''python3 {os.path.abspath(__file__)} --sync "$HERE/states/state_{p:02d}" "$W/night"
env {envs_of(p)} "$GRDP" --quiet --config "$W/night/pipeline.yml" run; echo "night state_{p:02d} ({envs_of(p)}): exit $?"''' for p in run_points if isinstance(p, int))
    s = f'''#!/bin/bash
# {note}
# Rebuilds the nightly sequence from scratch ({mode}: {envs}) and compares the last night with
# `grdp run --force` in a fresh folder. Exit 1 when they differ.
set -u
GRDP=${{GRDP:-{GRDP}}}
HERE=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d {ROOT}/repro.XXXXXX)
mkdir -p "$W/night" "$W/fresh"
# each night: make the night folder hold state_XX (only changed files replaced, renames as renames), then run
{runs}
cp -a "$HERE/states/state_{last:02d}/returns" "$W/fresh/returns"
cp "$HERE/states/state_{last:02d}/pipeline.yml" "$W/fresh/pipeline.yml"
( unset GRDP_LEDGER GRDP_LEDGER_PARTITIONS GRDP_KEEP_LEDGER_FROM; "$GRDP" --quiet --config "$W/fresh/pipeline.yml" run --force ); echo "fresh --force: exit $?"
echo "nightly: $("$GRDP" --config "$W/night/pipeline.yml" snapshots --json | python3 -c 'import json,sys; print([s["content_sha256"] for s in json.load(sys.stdin) if s["is_latest"]][0])')"
echo "fresh:   $("$GRDP" --config "$W/fresh/pipeline.yml" snapshots --json | python3 -c 'import json,sys; print([s["content_sha256"] for s in json.load(sys.stdin) if s["is_latest"]][0])')"
rc=0
for t in target-vs-actual by-district quarantine; do
  diff <("$GRDP" --config "$W/night/pipeline.yml" export --table $t --format csv --output -) \\
       <("$GRDP" --config "$W/fresh/pipeline.yml" export --table $t --format csv --output -) > "$W/$t.diff" \\
    && echo "$t: same" || {{ echo "$t: DIFFERS"; head -20 "$W/$t.diff"; rc=1; }}
done
a=$("$GRDP" --config "$W/night/pipeline.yml" snapshots --json | python3 -c 'import json,sys; print([s["content_sha256"] for s in json.load(sys.stdin) if s["is_latest"]][0])')
b=$("$GRDP" --config "$W/fresh/pipeline.yml" snapshots --json | python3 -c 'import json,sys; print([s["content_sha256"] for s in json.load(sys.stdin) if s["is_latest"]][0])')
[ "$a" = "$b" ] || rc=1
echo "work folder: $W"
exit $rc
'''
    p = os.path.join(case_dir, 'repro.sh')
    with open(p, 'w') as f:
        f.write(s)
    os.chmod(p, 0o755)


class Stats:
    def __init__(self):
        self.seqs = {m: 0 for m in MODES}
        self.nights = {m: 0 for m in MODES}
        self.changes = {}
        self.fails = []
        self.facts = {}
        self.warnings = {}
        self.suspicious = []

    def fact(self, k):
        self.facts[k] = self.facts.get(k, 0) + 1


def logw(msg):
    with open(LOG, 'a') as f:
        f.write(msg + '\n')


def replay(mode, env, states, run_points, wd):
    run_points = [p for p in run_points if isinstance(p, int)]
    """Run the nightly sequence at the given states; return (rc, latest hash, exports) of the last."""
    shutil.rmtree(wd, ignore_errors=True)
    os.makedirs(wd)
    rc = None
    for i in run_points:
        sync_state(states[i], wd)
        rc, _, _, _ = run([GRDP, '--quiet', '--config', os.path.join(wd, 'pipeline.yml'), 'run'], env_at(env, i))
    latest, ex = outcome_of(wd, {})
    return rc, latest, ex


def run_sequence(seed, modes, stats, keep=False):
    rng = random.Random(seed)
    sd = os.path.join(WORK, f'seed{seed}')
    shutil.rmtree(sd, ignore_errors=True)
    os.makedirs(sd)
    # ---- base
    y1 = rng.choice([2024, 2024, 2023])
    y0 = y1 - rng.choice([1, 2, 4])
    ntx = rng.choice([3000, 5000, 8000, 15000, 30000, 60000])
    nent = rng.choice([60, 150, 400])
    gen_args = [GRDP, 'generate', '--layout', 'benchmark', '--transactions', str(ntx), '--enterprises', str(nent),
                '--years', f'{y0}-{y1}', '--seed', str(seed), '--out', os.path.join(sd, 'base')]
    if rng.random() < 0.3:
        gen_args += ['--archives', str(rng.choice([2, 3, 7]))]
    if rng.random() < 0.2:
        gen_args += ['--faulty-every', str(rng.choice([100, 250]))]
    rc, _, err, _ = run(gen_args, {})
    if rc != 0:
        logw(f'seed {seed}: generate failed {rc}: {err[-500:]}')
        return
    files = {}
    bret = os.path.join(sd, 'base', 'returns')
    for root, _, fs in os.walk(bret):
        for f in fs:
            fp = os.path.join(root, f)
            files[os.path.relpath(fp, bret)] = open(fp, 'rb').read()
    st = State(files, open(os.path.join(sd, 'base', 'pipeline.yml')).read())
    if rng.random() < 0.3:
        st.config = st.config.replace('max_quarantine_ratio: 0.01', 'max_quarantine_ratio: 0.05')
    states = [st.copy()]
    descs = [[f'base: {" ".join(gen_args[2:])}']]
    gen = Gen(rng, y0, y1)
    nn = rng.randrange(3, 9)
    for k in range(nn):
        st = st.copy()
        reg = Registry(st)
        descs.append(gen.night(st, reg))
        states.append(st.copy())
    for kk in gen.kinds:
        stats.changes[kk] = stats.changes.get(kk, 0) + 1
    logw(f'== seed {seed}: base {ntx} tx, {nent} ent, years {y0}-{y1}; {nn} nights')
    for k, dsc in enumerate(descs):
        logw(f'   night {k}: ' + ' | '.join(dsc))
    check_states(seed, sd, states, descs, gen.night_kinds, modes, stats, rng, y0, y1, keep)


def check_states(seed, sd, states, descs, night_kinds, modes, stats, rng, y0, y1, keep=False):
    # ---- reference: fresh --force per state (default mode; plus partitioned as a cross-check)
    refs = []
    for k, s in enumerate(states):
        fd = os.path.join(sd, f'fresh{k:02d}')
        shutil.rmtree(fd, ignore_errors=True)
        s.save(fd)
        rc, _, err, _ = run([GRDP, '--quiet', '--config', os.path.join(fd, 'pipeline.yml'), 'run', '--force'], {})
        latest, ex = outcome_of(fd, {})
        ref = {'rc': rc, 'hash': latest['content_sha256'] if (latest and rc == 0) else None, 'exports': ex, 'dir': fd, 'err': err}
        if rc not in (0, 65):
            stats.suspicious.append(f'seed {seed} state {k}: fresh --force exit {rc}: {err[-400:]}')
        if rc == 65 and not any('corrupt' in d for d in descs[k]):
            # an unintended rejection (e.g. a quarantine ratio passed): note it
            stats.suspicious.append(f'seed {seed} state {k}: fresh --force rejected (65) without an intended fault: {err[-300:]}')
        if rng.random() < 0.25 and rc == 0:
            fd2 = fd + 'p'
            s.save(fd2)
            rc2, _, err2, _ = run([GRDP, '--quiet', '--config', os.path.join(fd2, 'pipeline.yml'), 'run', '--force'], {'GRDP_LEDGER': 'partitioned', 'GRDP_LEDGER_PARTITIONS': '3'})
            l2, _ = outcome_of(fd2, {})
            stats.fact('fresh partitioned cross-check')
            if rc2 != rc or (l2 or {}).get('content_sha256') != ref['hash']:
                stats.fails.append(f'seed {seed} state {k}: fresh --force memory vs partitioned differ: {rc}/{rc2} {ref["hash"]} {l2}')
            shutil.rmtree(fd2, ignore_errors=True)
        refs.append(ref)
    for k, s in enumerate(states):
        s.save(os.path.join(sd, 'states', f'state_{k:02d}'))
    # ---- nightly per mode
    seq_failed = False
    for mode in modes:
        if MODES[mode] is None:
            env = []
            for _ in states:
                m2 = rng.choice(FIXED_MODES)
                e = dict(MODES[m2])
                if m2.startswith('part') and rng.random() < 0.5:
                    e['GRDP_LEDGER_PARTITIONS'] = str(rng.choice([1, 2, 3, 5, 7, 16]))
                env.append(e)
        else:
            env = dict(MODES[mode])
            if mode != 'mem' and rng.random() < 0.2:
                env['GRDP_THREADS'] = '1'
        full_env = env
        wd = os.path.join(sd, f'night-{mode}')
        shutil.rmtree(wd, ignore_errors=True)
        os.makedirs(wd)
        stats.seqs[mode] += 1
        prev_hash = None
        for k, s in enumerate(states):
            env = env_at(full_env, k)
            year_first = None
            # An analyst's `run --year` before the night: over the night's inputs, or over the last
            # night's, the night's new returns arriving after it.
            year_run = k > 0 and prev_hash is not None and rng.random() < YEAR_RUNS
            year_before_new = year_run and rng.random() < 0.5

            def year_run_now(fact):
                year = rng.randrange(y0, y1 + 1)
                rcy, _, erry, _ = run([GRDP, '--quiet', '--config', os.path.join(wd, 'pipeline.yml'), 'run', '--year', str(year)], env)
                stats.fact(fact)
                if rcy not in (0, 65):
                    stats.suspicious.append(f'seed {seed} {mode} night {k}: run --year {year} exit {rcy}: {erry[-400:]}')
                return year
            if year_before_new:
                year_first = year_run_now('run --year before a night, over the last night\'s inputs')
            sync_state(s, wd)
            if year_run and not year_before_new:
                year_first = year_run_now('run --year before a night')
            forced = False
            if k > 0 and year_first is None and rng.random() < 0.05:
                forced = True
                rcf, _, errf, _ = run([GRDP, '--quiet', '--config', os.path.join(wd, 'pipeline.yml'), 'run', '--force'], env)
                stats.fact('run --force in the night folder before a night')
                if rcf not in (0, 65):
                    stats.suspicious.append(f'seed {seed} {mode} night {k}: run --force in the night folder exit {rcf}: {errf[-400:]}')
            killed = None
            if k > 0 and rng.random() < 0.07:
                killed = rng.randrange(5, 400)
                e2 = dict(os.environ); [e2.pop(x) for x in list(e2) if x.startswith('GRDP_')]; e2.update(env)
                pk = subprocess.Popen([GRDP, '--quiet', '--config', os.path.join(wd, 'pipeline.yml'), 'run'], env=e2, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(killed / 1000)
                pk.kill()
                pk.wait()
                stats.fact('kill -9 of a nightly run, then run again')
            rc, _, err, secs = run([GRDP, '--verbose', '--log-format', 'json', '--config', os.path.join(wd, 'pipeline.yml'), 'run'], env)
            stats.nights[mode] += 1
            with open(os.path.join(wd, f'night{k:02d}.log'), 'w') as f:
                f.write(err)
            facts = log_fields(err)
            for j in facts:
                lvl = j.get('level')
                msg = j.get('message', '')
                if lvl in ('warning', 'error', 'critical'):
                    stats.warnings[msg] = stats.warnings.get(msg, 0) + 1
                if msg == 'Revisions taken by key partition':
                    stats.fact(f'partition pass from_kept={j.get("from_kept")}')
                if msg == 'Transaction groups taken':
                    stats.fact(f'groups updated_from_kept={j.get("updated_from_kept")}')
                if msg.startswith('Content hash went on'):
                    stats.fact('content hash resumed')
                if msg.startswith('Sales rows of the written years updated in the copy'):
                    stats.fact('sales rows updated in copy: ' + str(j.get('compared_with'))[:40])
                if msg.startswith('Sales rows of unchanged years copied'):
                    stats.fact('unchanged years copied')
                if 'ledger' in msg.lower() and ('resum' in msg.lower() or 'kept' in msg.lower()):
                    stats.fact('ledger: ' + msg[:60])
            rep0 = latest_report(wd) or {}
            summ = {'seed': seed, 'mode': mode, 'env': env, 'night': k, 'rc': rc, 'secs': round(secs, 3), 'year_first': year_first, 'killed_ms': killed, 'forced_before': forced,
                    'kinds': night_kinds[k] if k < len(night_kinds) else [], 'outcome': rep0.get('outcome'),
                    'archives': len(rep0.get('archives', [])), 'from_cache': sum(1 for a in rep0.get('archives', []) if a.get('from_cache')),
                    'desc': descs[k]}
            for j in facts:
                m = j.get('message', '')
                if m == 'Revisions taken by key partition':
                    summ['from_kept'] = j.get('from_kept'); summ['looked_up'] = j.get('kept_rows_looked_up'); summ['keys'] = j.get('transaction_keys')
                elif m == 'Transaction groups taken':
                    summ['groups_from_kept'] = j.get('updated_from_kept'); summ['emptied'] = j.get('emptied')
                elif m.startswith('Content hash went on'):
                    summ['hash_resumed'] = j.get('year') + '-' + str(j.get('month'))
                elif 'ledger' in m.lower():
                    summ.setdefault('ledger', []).append(m[:50])
            with open(os.path.join(ROOT, 'nights.jsonl'), 'a') as f:
                f.write(json.dumps(summ, ensure_ascii=False) + '\n')
            problems = []
            ref = refs[k]
            if rc != ref['rc']:
                problems.append(f'exit {rc}, fresh --force exit {ref["rc"]}')
            if rc == 70 or rc < 0 or rc > 128:
                problems.append(f'nightly exit {rc} (internal error/crash): {err[-600:]}')
            rep = latest_report(wd)
            if rc == 0 and rep:
                oc = rep.get('outcome')
                if prev_hash is not None and year_first is None and killed is None and not forced:
                    exp = 'up-to-date' if ref['hash'] == prev_hash else 'snapshot'
                    if oc != exp:
                        problems.append(f'outcome {oc}, expected {exp} (fresh hash {"equal to" if exp == "up-to-date" else "differs from"} the previous night\'s)')
                if oc == 'up-to-date':
                    stats.fact('nightly up-to-date')
                elif oc == 'snapshot':
                    stats.fact('nightly snapshot')
                    fc = sum(1 for a in rep.get('archives', []) if a.get('from_cache'))
                    stats.fact('nights with archives from cache' if fc else 'nights reading every archive')
            latest, ex = outcome_of(wd, env)
            cur_hash = latest['content_sha256'] if latest else None
            if ref['hash'] is not None:
                if cur_hash != ref['hash']:
                    problems.append(f'content_sha256 nightly {cur_hash} != fresh {ref["hash"]}')
                for t in TABLES:
                    if ex[t][0] != 0:
                        problems.append(f'export {t} exit {ex[t][0]}: {ex[t][2][-300:]}')
                    elif ex[t][1] != ref['exports'][t][1]:
                        problems.append(f'export {t} CSV differs')
                if rc == 0:
                    ep = os.path.join(wd, 'Outputs', 'exports', 'target-vs-actual.csv')
                    if os.path.exists(ep):
                        if open(ep, encoding='utf-8').read() != ex['target-vs-actual'][1]:
                            problems.append('Outputs/exports/target-vs-actual.csv written by the run differs from `export` of the latest snapshot')
                        stats.fact('configured export file checked')
                    dp = os.path.join(wd, 'Outputs', 'exports', 'datapackage.json')
                    if os.path.exists(dp) and cur_hash and cur_hash not in open(dp, encoding='utf-8').read():
                        problems.append('exports/datapackage.json does not name the latest snapshot\'s content hash')
                db = latest_db(wd)
                if db:
                    rcv, _, errv, _ = run([GRDP, '--quiet', '--config', os.path.join(wd, 'pipeline.yml'), 'verify'], env)
                    if rcv != 0:
                        problems.append(f'verify of the nightly snapshot exit {rcv}: {errv[-300:]}')
                prev_hash = ref['hash']
            if problems:
                seq_failed = True
                case = f'seed{seed}-{mode}-night{k:02d}'
                cd = os.path.join(FAILS, case)
                shutil.rmtree(cd, ignore_errors=True)
                os.makedirs(cd)
                shutil.copytree(os.path.join(sd, 'states'), os.path.join(cd, 'states'))
                lines = [f'seed {seed} mode {mode} env {full_env} night {k}' + (f' (run --year {year_first} before it)' if year_first else '') + (f' (a run killed after {killed} ms before it)' if killed else ''), 'problems:'] + ['  ' + p for p in problems]
                lines += ['sequence:'] + [f'  night {i}: ' + ' | '.join(d) for i, d in enumerate(descs[:k + 1])]
                try:
                    dn, dr = latest_db(wd), latest_db(ref['dir'])
                    if dn and dr:
                        lines += ['table differences (sorted rows, snapshot_meta left out):'] + db_diff(dump_db(dn), dump_db(dr))
                except Exception as e:
                    lines.append(f'db diff failed: {e}')
                for t in TABLES:
                    if ex[t][1] != ref['exports'][t][1]:
                        import difflib
                        lines.append(f'--- export {t} (nightly vs fresh):')
                        lines += list(difflib.unified_diff(ex[t][1].splitlines(), ref['exports'][t][1].splitlines(), 'nightly', 'fresh', lineterm='', n=0))[:30]
                shutil.copytree(wd, os.path.join(cd, 'night-folder'), ignore=shutil.ignore_patterns('returns'))
                # shrink: fewest nightly runs that still fail (always ending at k)
                pts = list(range(k + 1))
                try:
                    pts = shrink(mode, full_env, states, k, refs[k], os.path.join(sd, 'shrink'))
                except Exception as e:
                    lines.append(f'shrink failed: {e}')
                lines.append(f'shrunk nightly run points (states): {pts}')
                write_repro(cd, mode, pts, full_env, f'seed {seed}, {mode}, night {k}; ' + '; '.join(problems)[:300])
                with open(os.path.join(cd, 'CASE.txt'), 'w') as f:
                    f.write('\n'.join(lines) + '\n')
                stats.fails.append(f'{case}: ' + '; '.join(problems)[:400])
                logw(f'   FAIL {case}: ' + '; '.join(problems)[:400])
                break   # the rest of this mode's sequence is built on a wrong state
    if not keep and not seq_failed:
        shutil.rmtree(sd, ignore_errors=True)


def fails_at(mode, env, states, pts, ref, wd):
    rc, latest, ex = replay(mode, env, states, pts, wd)
    if rc != ref['rc']:
        return True
    if ref['hash'] is None:
        return False
    if (latest or {}).get('content_sha256') != ref['hash']:
        return True
    return any(ex[t][1] != ref['exports'][t][1] for t in TABLES)


def shrink(mode, env, states, k, ref, wd):
    pts = list(range(k + 1))
    if not fails_at(mode, env, states, pts, ref, wd):
        return pts + ['(not reproduced by a plain replay)']
    changed = True
    while changed:
        changed = False
        for p in list(pts[:-1]):
            cand = [x for x in pts if x != p]
            if fails_at(mode, env, states, cand, ref, wd):
                pts = cand
                changed = True
                break
    return pts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--seeds', default='1-100000')
    ap.add_argument('--minutes', type=float, default=75)
    ap.add_argument('--modes', default=','.join(MODES))
    ap.add_argument('--keep', action='store_true')
    ap.add_argument('--sync', nargs=2, metavar=('STATE_DIR', 'NIGHT_DIR'), help='make NIGHT_DIR hold a saved state (as the harness does) and exit')
    a = ap.parse_args()
    if a.sync:
        files = {}
        ret = os.path.join(a.sync[0], 'returns')
        for root, _, fs in os.walk(ret):
            for f in fs:
                fp = os.path.join(root, f)
                files[os.path.relpath(fp, ret)] = open(fp, 'rb').read()
        sync_state(State(files, open(os.path.join(a.sync[0], 'pipeline.yml')).read()), a.sync[1])
        return
    lo, hi = map(int, a.seeds.split('-'))
    modes = a.modes.split(',')
    os.makedirs(WORK, exist_ok=True)
    os.makedirs(FAILS, exist_ok=True)
    stats = Stats()
    t0 = time.time()
    seed = lo
    while seed <= hi and time.time() - t0 < a.minutes * 60:
        try:
            run_sequence(seed, modes, stats, keep=a.keep)
        except Exception:
            tb = traceback.format_exc()
            logw(f'seed {seed}: harness error\n{tb}')
            stats.suspicious.append(f'seed {seed}: harness error {tb.splitlines()[-1]}')
        seed += 1
        with open(os.path.join(ROOT, f'stats-{lo}.json'), 'w') as f:
            json.dump({'last_seed': seed - 1, 'elapsed_s': round(time.time() - t0), 'sequences': stats.seqs, 'nights': stats.nights,
                       'changes': stats.changes, 'facts': stats.facts, 'warnings': stats.warnings,
                       'fails': stats.fails, 'suspicious': stats.suspicious}, f, indent=1, ensure_ascii=False)
    print(json.dumps({'sequences': stats.seqs, 'nights': stats.nights, 'fails': len(stats.fails)}))


if __name__ == '__main__':
    main()
