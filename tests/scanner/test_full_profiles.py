"""``--full`` profiles the columns while it reads every row for its sample, not during the
count: the profiles, rows and persons are those of a scan that profiles during the count."""

from __future__ import annotations

import random

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from detectors.cn_resident_id import check_char
from scanner.engines.local import scan


def _rows(n: int) -> pa.Table:
    rng = random.Random(5)
    ids, phones, names, notes = [], [], [], []
    for i in range(n):
        first17 = f"110105{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
        ids.append(first17 + check_char(first17) if i % 7 else None)
        phones.append(f"1{rng.choice('3589')}{rng.randint(0, 10**9 - 1):09d}" if i % 5 else "")
        names.append(rng.choice(["张伟", "王芳", "李娜", "刘洋", "欧阳娜娜"]))
        notes.append("备注" * rng.randint(0, 30))
    return pa.table({"身份证号": ids, "手机": phones, "姓名": names, "备注": notes})


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_full_scan_profiles_while_sampling_and_says_the_same(tmp_path, fmt):
    table = _rows(40_000)
    path = tmp_path / f"export.{fmt}"
    if fmt == "csv":
        pacsv.write_csv(table, path)
    else:
        pq.write_table(table, path, row_group_size=4_000)
    block = 64 << 10  # far smaller than the file: the sample's reading and the count stream it
    full = scan([path], full=True, block_size=block)
    counted = scan([path], full=False, block_size=block)
    whole = scan([path], full=True)  # one block: counted from the sample's own table
    figures = [[(c.name, c.rows, c.nulls, c.distinct_estimate, c.min_length, c.max_length, c.type)
                for c in report.files[0].columns] for report in (full, counted, whole)]
    assert figures[0] == figures[1] == figures[2]
    assert full.files[0].rows == 40_000 and not full.errors
    assert full.persons.personal == whole.persons.personal > 30_000
    assert [c.entity for c in full.files[0].columns] == [c.entity for c in whole.files[0].columns]


def test_a_file_broken_past_the_first_blocks_says_why_with_full(tmp_path):
    """The sample's reading fails on a ragged row far into the file: the file's error is that
    row's one line, not the column profiler's (which stops with the reading)."""
    path = tmp_path / "export.csv"
    pacsv.write_csv(_rows(20_000), path)
    with open(path, "a", encoding="utf-8") as f:
        f.write("a,b,c,d,e,f\n")
    report = scan([path], full=True, block_size=64 << 10)
    error = report.files[0].error
    assert error and "internal error" not in error and "\n" not in error
    assert report.errors and "export.csv" in report.errors[0]
