"""A corpus of broken and hostile inputs, written at test time (no binaries in the repository).

Every case holds realistic identifiers (valid resident ID numbers, mobile numbers, UnionPay
cards, e-mail addresses, names), so that the privacy test can check that none of them reaches
a report, a log or an error message, whatever went wrong with the file.

``CASES`` lists the cases with the outcome the scan must reach:

* ``error``: the file is reported failed, with a one-line reason matching ``reason``, and the
  other inputs of the same scan are still scanned;
* ``scanned``: odd but well-formed (a header-only export, duplicate or empty column names, a
  headerless file): every record is read, ``rows`` of them.

Special cases need a setting the shared scan cannot give (an unprivileged user, a file that
vanishes mid-scan, a FIFO, a non-UTF-8 name): their tests build them with the helpers below.
"""

from __future__ import annotations

import datetime as _dt
import gzip
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

# --- identities -----------------------------------------------------------------------------------

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
REGIONS = ("110105", "310104", "440305", "510107", "330106", "420111", "120101", "610113", "370202", "500103")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华红玉梅飞鹏斌宇浩凯健俊帆帅旭宁龙林欢佳嘉琳雪婷倩颖"


def id_check_char(first17: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def luhn_complete(body: str) -> str:
    """``body`` plus the Luhn check digit."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return body + str((10 - total % 10) % 10)


@dataclass(frozen=True)
class Person:
    name: str
    resident_id: str
    mobile: str
    bank_card: str
    email: str

    def identifiers(self) -> list[str]:
        """The values that identify this person and must never appear whole in any output."""
        return [self.name, self.resident_id, self.mobile, self.bank_card, self.email]


def people(n: int, seed: int = 7) -> list[Person]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        born = _dt.date(1950, 1, 1) + _dt.timedelta(days=rng.randrange(0, 365 * 55))
        first17 = f"{rng.choice(REGIONS)}{born:%Y%m%d}{rng.randrange(1000):03d}"
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        out.append(Person(
            name=name,
            resident_id=first17 + id_check_char(first17),
            mobile=f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}",
            bank_card=luhn_complete(f"622202{rng.randrange(10**12):012d}"),
            email=f"user{i:04d}.{rng.randrange(10**6):06d}@example.cn",
        ))
    return out


HEADER = ["姓名", "身份证号", "手机号", "银行卡号", "电子邮箱"]


def person_row(p: Person) -> list[str]:
    return [p.name, p.resident_id, p.mobile, p.bank_card, p.email]


def csv_text(rows: list[list[str]], header: list[str] | None = HEADER, sep: str = ",") -> str:
    lines = [] if header is None else [sep.join(header)]
    lines += [sep.join(r) for r in rows]
    return "\n".join(lines) + "\n"


def write_good(directory: Path, persons: list[Person], name: str = "good.csv") -> Path:
    """A well-formed export that must always be scanned (the control of every case)."""
    path = directory / name
    path.write_text(csv_text([person_row(p) for p in persons]), encoding="utf-8")
    return path


# --- cases -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[Path, list[Person]], Path]
    expect: str  # "error" or "scanned"
    reason: str = ""  # regex the error must match
    rows: int | None = None  # records a scanned case holds
    big: bool = False  # costs seconds: scanned in its own process, with its time and memory measured


def _rows(persons: list[Person]) -> list[list[str]]:
    return [person_row(p) for p in persons]


def _empty(d: Path, ps: list[Person]) -> Path:
    (d / "empty.csv").write_bytes(b"")
    return d / "empty.csv"


def _blank(d: Path, ps: list[Person]) -> Path:
    (d / "blank.csv").write_bytes(b"\n \r\n\t\n")
    return d / "blank.csv"


def _header_only(d: Path, ps: list[Person]) -> Path:
    (d / "header_only.csv").write_text(",".join(HEADER) + "\n", encoding="utf-8")
    return d / "header_only.csv"


def _binary_junk(d: Path, ps: list[Person]) -> Path:
    rng = random.Random(1)
    data = rng.randbytes(200_000) + ps[0].resident_id.encode() + rng.randbytes(1000)
    (d / "junk.csv").write_bytes(data)
    return d / "junk.csv"


def _high_junk(d: Path, ps: list[Person]) -> Path:
    """Junk without NUL bytes (every byte >= 0x80): not caught by the binary sniff."""
    rng = random.Random(2)
    data = bytes(rng.randrange(0x80, 0x100) for _ in range(50_000))
    (d / "high_junk.csv").write_bytes(",".join(HEADER).encode() + b"\n" + data + b"\n")
    return d / "high_junk.csv"


def _switch_utf8_to_gb(d: Path, ps: list[Person]) -> Path:
    rows = _rows(ps)
    body = csv_text(rows * 200).encode("utf-8") + csv_text(rows, header=None).encode("gb18030")
    (d / "switch_utf8_gb.csv").write_bytes(body)
    return d / "switch_utf8_gb.csv"


def _switch_gb_to_utf8(d: Path, ps: list[Person]) -> Path:
    rows = _rows(ps)
    body = csv_text(rows * 200).encode("gb18030") + csv_text(rows, header=None).encode("utf-8")
    (d / "switch_gb_utf8.csv").write_bytes(body)
    return d / "switch_gb_utf8.csv"


def _invalid_utf8(d: Path, ps: list[Person]) -> Path:
    rows = _rows(ps)
    bad = f"{ps[0].name},{ps[0].resident_id},".encode() + b"\xff\xfe\xc3(" + f",{ps[0].bank_card},x\n".encode()
    body = csv_text(rows * 100).encode() + bad + csv_text(rows, header=None).encode()
    (d / "invalid_utf8.csv").write_bytes(body)
    return d / "invalid_utf8.csv"


def _unbalanced_quote_eof(d: Path, ps: list[Person]) -> Path:
    """An opening quote in the last column never closed: it would swallow every later row."""
    rows = _rows(ps)
    rows[2] = rows[2][:-1] + ['"' + rows[2][-1]]
    (d / "quote_eof.csv").write_text(csv_text(rows), encoding="utf-8")
    return d / "quote_eof.csv"


def _unbalanced_quote_mid(d: Path, ps: list[Person]) -> Path:
    rows = _rows(ps)
    rows[2] = ['"' + rows[2][0]] + rows[2][1:]
    (d / "quote_mid.csv").write_text(csv_text(rows), encoding="utf-8")
    return d / "quote_mid.csv"


def _more_fields(d: Path, ps: list[Person]) -> Path:
    rows = _rows(ps)
    rows[3] = rows[3] + [ps[4].resident_id]
    (d / "more_fields.csv").write_text(csv_text(rows), encoding="utf-8")
    return d / "more_fields.csv"


def _fewer_fields(d: Path, ps: list[Person]) -> Path:
    rows = _rows(ps)
    rows[3] = rows[3][:2]
    (d / "fewer_fields.csv").write_text(csv_text(rows), encoding="utf-8")
    return d / "fewer_fields.csv"


def _one_long_line(d: Path, ps: list[Person]) -> Path:
    """A 100 MB file that is a single line (no header can be found)."""
    path = d / "one_line_100mb.csv"
    chunk = (",".join(person_row(ps[0])) + ",").encode() * 20_000
    with open(path, "wb") as f:
        while f.tell() < 100 << 20:
            f.write(chunk)
    return path


def _long_row(d: Path, ps: list[Person]) -> Path:
    """A header, good rows, then one row of 100 MB."""
    path = d / "long_row_100mb.csv"
    with open(path, "wb") as f:
        f.write(csv_text(_rows(ps)).encode())
        f.write(ps[0].name.encode())
        f.write(b"," + ps[0].resident_id.encode() + b",")
        chunk = b"x" * (1 << 20)
        for _ in range(100):
            f.write(chunk)
        f.write(b",1,2\n")
    return path


def _wide(d: Path, ps: list[Person]) -> Path:
    path = d / "wide_50000.csv"
    n = 50_000
    header = ",".join(f"c{i}" for i in range(n))
    row = ",".join([ps[0].resident_id] * n)
    path.write_text(header + "\n" + row + "\n", encoding="utf-8")
    return path


def _dup_names(d: Path, ps: list[Person]) -> Path:
    header = ["姓名", "身份证号", "身份证号", "", "手机号", ""]
    rows = [[p.name, p.resident_id, p.resident_id, "x", p.mobile, "y"] for p in ps]
    (d / "dup_names.csv").write_text(csv_text(rows, header=header), encoding="utf-8")
    return d / "dup_names.csv"


def _pandas_index(d: Path, ps: list[Person]) -> Path:
    """pandas ``to_csv`` with its index: the first header cell is empty."""
    rows = [[str(i)] + person_row(p) for i, p in enumerate(ps)]
    (d / "pandas_index.csv").write_text(csv_text(rows, header=[""] + HEADER), encoding="utf-8")
    return d / "pandas_index.csv"


def _headerless(d: Path, ps: list[Person]) -> Path:
    """No header row: the first record must be counted, and none of its values shown as a name."""
    (d / "headerless.csv").write_text(csv_text(_rows(ps), header=None), encoding="utf-8")
    return d / "headerless.csv"


def gzip_bomb(path: Path, total_mb: int, persons: list[Person]) -> Path:
    """A small gzip file that decompresses to ``total_mb`` MB of rows (repeated gzip members)."""
    row = (",".join(person_row(persons[0])) + "\n").encode()
    block = csv_text([]).encode()
    member_plain = row * ((4 << 20) // len(row))  # 4 MB of rows per member
    member = gzip.compress(member_plain, compresslevel=9)
    with open(path, "wb") as f:
        f.write(gzip.compress(block))
        for _ in range(total_mb // 4):
            f.write(member)
    return path


def _gzip_bomb(d: Path, ps: list[Person]) -> Path:
    return gzip_bomb(d / "bomb.csv.gz", 128, ps)


def _truncated_gzip(d: Path, ps: list[Person]) -> Path:
    data = gzip.compress(csv_text(_rows(ps) * 500).encode())
    (d / "truncated.csv.gz").write_bytes(data[: len(data) // 2])
    return d / "truncated.csv.gz"


def _corrupt_gzip(d: Path, ps: list[Person]) -> Path:
    data = bytearray(gzip.compress(csv_text(_rows(ps) * 500).encode()))
    for i in range(len(data) // 3, len(data) // 3 + 64):
        data[i] ^= 0x5A
    (d / "corrupt.csv.gz").write_bytes(bytes(data))
    return d / "corrupt.csv.gz"


def _parquet_table(ps: list[Person]) -> pa.Table:
    rows = _rows(ps) * 50
    return pa.table({h: [r[i] for r in rows] for i, h in enumerate(HEADER)})


def _truncated_parquet(d: Path, ps: list[Person]) -> Path:
    path = d / "truncated.parquet"
    pq.write_table(_parquet_table(ps), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _corrupt_footer(d: Path, ps: list[Person]) -> Path:
    path = d / "corrupt_footer.parquet"
    pq.write_table(_parquet_table(ps), path)
    data = bytearray(path.read_bytes())
    footer_len = int.from_bytes(data[-8:-4], "little")
    start = len(data) - 8 - footer_len
    rng = random.Random(3)
    for i in range(start, len(data) - 8):
        data[i] = rng.randrange(256)
    path.write_bytes(bytes(data))
    return path


def _footer_length_lies(d: Path, ps: list[Person]) -> Path:
    """The footer claims to be 2 GB long."""
    path = d / "footer_len.parquet"
    pq.write_table(_parquet_table(ps), path)
    data = bytearray(path.read_bytes())
    data[-8:-4] = (0x7FFFFFF0).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    return path


def _deep_parquet(d: Path, ps: list[Person]) -> Path:
    """Identifiers nested 99 levels deep (structs in lists in structs...), Arrow's writing limit."""
    values = pa.array([p.resident_id for p in ps])
    for level in range(98):
        if level % 2:
            values = pa.ListArray.from_arrays(pa.array(range(len(values) + 1), pa.int32()), values)
        else:
            values = pa.StructArray.from_arrays([values], names=["v"])
    path = d / "deep.parquet"
    pq.write_table(pa.table({"deep": values, "手机号": [p.mobile for p in ps]}), path)
    return path


CASES: list[Case] = [
    Case("empty", _empty, "error", r"empty"),
    Case("blank", _blank, "error", r"empty"),
    Case("header_only", _header_only, "scanned", rows=0),
    Case("binary_junk", _binary_junk, "error", r"binary content"),
    Case("high_byte_junk", _high_junk, "error", r"cannot be decoded|not valid|encoding"),
    Case("switch_utf8_to_gb18030", _switch_utf8_to_gb, "error", r"encoding changes from UTF-8 .*\(line 10,002\)"),
    Case("switch_gb18030_to_utf8", _switch_gb_to_utf8, "error", r"encoding changes from gb18030 to UTF-8 .*\(line 10,002\)"),
    Case("invalid_utf8", _invalid_utf8, "error", r"not valid UTF-8 at byte [\d,]+ \(line 5,002\)"),
    Case("unbalanced_quote_to_eof", _unbalanced_quote_eof, "error", r"unbalanced quote"),
    Case("unbalanced_quote_mid_row", _unbalanced_quote_mid, "error", r"fields where the header has 5|unbalanced quote"),
    Case("more_fields", _more_fields, "error", r"a row has 6 fields where the header has 5"),
    Case("fewer_fields", _fewer_fields, "error", r"a row has 2 fields where the header has 5"),
    Case("single_100mb_line", _one_long_line, "error", r"first line is longer than", big=True),
    Case("row_of_100mb", _long_row, "error", r"record is too long: longer than the line limit", big=True),
    Case("columns_50000", _wide, "error", r"50,000 columns", big=True),
    Case("duplicate_and_empty_names", _dup_names, "scanned", rows=50),
    Case("pandas_index_column", _pandas_index, "scanned", rows=50),
    Case("headerless", _headerless, "scanned", rows=50),
    Case("gzip_bomb", _gzip_bomb, "error", r"decompression bomb", big=True),
    Case("truncated_gzip", _truncated_gzip, "error", r"truncated or corrupt"),
    Case("corrupt_gzip", _corrupt_gzip, "error", r"truncated or corrupt"),
    Case("truncated_parquet", _truncated_parquet, "error", r"not a valid Parquet file"),
    Case("parquet_corrupt_footer", _corrupt_footer, "error", r"not a valid Parquet file"),
    Case("parquet_footer_length_lies", _footer_length_lies, "error", r"not a valid Parquet file"),
    Case("parquet_nested_99_levels", _deep_parquet, "error", r"nested \d+ levels deep|nested too deeply"),
]

CASE_BY_NAME = {c.name: c for c in CASES}


def build(directory: Path, persons: list[Person], cases: list[Case] | None = None) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    return {c.name: c.make(directory, persons) for c in (cases if cases is not None else CASES)}


# --- special cases ---------------------------------------------------------------------------

def non_utf8_names(directory: Path, persons: list[Person]) -> list[bytes]:
    """Files whose names are GBK bytes, a stray 0xFF, a new line and a terminal escape."""
    names = [b"\xb6\xa9\xb5\xa5.csv", b"bad-\xff\xfe.csv", b"line\nbreak.csv", b"esc\x1b[31mred.csv"]
    out = []
    for name in names:
        path = os.path.join(os.fsencode(directory), name)
        with open(path, "wb") as f:
            f.write(csv_text(_rows(persons)).encode())
        out.append(path)
    return out
