"""Small files counted together (``scanner.engines.local``): the same report as each file alone.

A folder of small exports is read, classified and counted a group at a time; files of one shape
(columns, types, plans) are counted as one table. Every figure of a file's report (rows, column
profiles, match rates under ``--full``, persons) must be what scanning it alone gives.
"""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from scanner.detect.column_profile import ColumnProfile, profiles_of_files
from scanner.engines import local

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _resident_id(rng: random.Random) -> str:
    body = f"110105{rng.randint(1950, 2020)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def _write_folder(folder, rng: random.Random) -> None:
    people = [("王小明李华张伟刘洋陈静"[k % 11] + "华伟", _resident_id(rng), f"139{rng.randrange(10**8):08d}")
              for k in range(30)]
    header = "姓名,身份证号,手机号"
    for i in range(8):  # one shape: counted together
        rows = [rng.choice(people) for _ in range(rng.randint(1, 4))]
        lines = [header] + [f"{n},{p},{m}" for n, p, m in rows]
        if i == 3:
            lines.append(" ,,")  # blanks and spaces
        if i == 5:
            lines.append("张伟,12345,not-a-phone")  # values that do not validate
        (folder / f"a{i}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    # Another shape: a phone column whose values mostly do not validate (classified otherwise).
    (folder / "b0.csv").write_text("姓名,身份证号,手机号\n王华伟,x1,N1\n李华伟,x2,N2\n", encoding="utf-8")
    (folder / "c0.csv").write_text("name,email\n王华伟,wang@example.cn\n李华伟,\n", encoding="utf-8")
    (folder / "d0.csv").write_text(header + "\n", encoding="utf-8")  # header only
    (folder / "e0.csv").write_text(header + "\n王华伟,x,y\nx,y\n", encoding="utf-8")  # broken: fails alone
    p = people[0]
    pq.write_table(pa.table({"姓名": [p[0], None], "手机号": [p[2], p[2]], "年龄": [30, 41]}), folder / "f0.parquet")
    pq.write_table(pa.table({"姓名": [p[0]], "手机号": [p[2]], "年龄": [30]}), folder / "f1.parquet")
    # more distinct values than the profile's exact sketch holds (1,024)
    many = [f"{n},{p},{m}" for n, p, m in ((f"名{k}", _resident_id(rng), f"138{k:08d}") for k in range(1_100))]
    (folder / "g0.csv").write_text("\n".join([header] + many) + "\n", encoding="utf-8")


def _report(folder, **options) -> dict:
    report = local.scan([folder], **options).to_dict()
    report.pop("timing", None)
    return report


def test_small_files_together_report_what_each_alone_reports(tmp_path):
    _write_folder(tmp_path, random.Random(7))
    # --full: each column's match rate is its valid rows over its non-empty rows, counted per file
    together = _report(tmp_path, full=True, person_keys=["name"])
    threshold = local.SMALL_FILE_BYTES
    local.SMALL_FILE_BYTES = -1  # every file read, classified and counted on its own
    try:
        alone = _report(tmp_path, full=True, person_keys=["name"])
    finally:
        local.SMALL_FILE_BYTES = threshold
    assert together == alone
    assert together["persons"]["personal"] > 0 and any(f["error"] for f in together["files"])


def test_profiles_of_files_are_each_files_profile():
    rng = random.Random(3)
    for _ in range(60):
        sizes = [rng.choice([1, 3, 8, 1_100]) for _ in range(rng.randint(1, 6))]
        kind = rng.choice([pa.string(), pa.large_string(), pa.int64()])
        if kind == pa.int64():
            parts = [[None if rng.random() < 0.2 else rng.randint(0, 9) for _ in range(n)] for n in sizes]
        else:
            parts = [[None if rng.random() < 0.2 else "x" * rng.randint(0, 20) + str(rng.randint(0, 2_000))
                      for _ in range(n)] for n in sizes]
        arrays = [pa.array(p, kind) for p in parts]
        bounds = np.concatenate([[0], np.cumsum(sizes)])
        for values, got in zip(arrays, profiles_of_files("c", pa.concat_arrays(arrays), bounds), strict=True):
            alone = ColumnProfile("c", str(kind))
            alone.add(values)
            assert (got.type, got.rows, got.nulls, got.min_length, got.max_length, got.distinct_estimate) == \
                   (alone.type, alone.rows, alone.nulls, alone.min_length, alone.max_length, alone.distinct_estimate)
