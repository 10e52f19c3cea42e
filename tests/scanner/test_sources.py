"""Reading inputs: encodings, delimiters, compression, Parquet and hive datasets."""

from __future__ import annotations

import bz2
import codecs
import gzip

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from scanner.sources.files import detect_encoding, discover, open_source, parquet_batches, sniff_delimiter

ROWS = [("张三", "13800138000"), ("欧阳娜娜", "13912345678"), ("阿依古丽·买买提", "18612345678")]


def _text(delim: str = ",") -> str:
    return "姓名" + delim + "手机\n" + "".join(f"{a}{delim}{b}\n" for a, b in ROWS)


def _read(path) -> tuple[pa.Table, object]:
    sources, errors = discover([str(path)])
    assert not errors and len(sources) == 1
    stream = open_source(sources[0])
    return pa.Table.from_batches(list(stream.batches), schema=stream.schema), stream


@pytest.mark.parametrize("encoding,expected", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gb18030", "gb18030"), ("gbk", "gb18030"), ("utf-16", "utf-16"),
])
def test_encodings_are_detected_and_decoded(tmp_path, encoding, expected):
    path = tmp_path / "people.csv"
    path.write_bytes(_text().encode(encoding))
    table, stream = _read(path)
    assert stream.encoding == expected
    assert table.column_names == ["姓名", "手机"]
    assert table.column("姓名").to_pylist() == [r[0] for r in ROWS]


@pytest.mark.parametrize("delim,suffix", [(",", ".csv"), ("\t", ".tsv"), ("|", ".txt"), (";", ".csv")])
def test_delimiters_are_sniffed(tmp_path, delim, suffix):
    path = tmp_path / f"people{suffix}"
    path.write_text(_text(delim), encoding="utf-8")
    table, stream = _read(path)
    assert stream.delimiter == delim
    assert table.column("手机").to_pylist() == [r[1] for r in ROWS]


def test_identifiers_stay_strings(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text("id,phone\n11010519491231002X,013800138000\n110105194912310021,13800138000\n")
    table, _ = _read(path)
    assert table.schema.field("phone").type == pa.string()
    assert table.column("phone").to_pylist()[0] == "013800138000"


@pytest.mark.parametrize("suffix,compress", [
    (".csv.gz", gzip.compress), (".csv.bz2", bz2.compress), (".csv.zst", lambda b: zstandard.ZstdCompressor().compress(b)),
])
def test_compressed_text(tmp_path, suffix, compress):
    path = tmp_path / f"people{suffix}"
    path.write_bytes(compress(_text().encode("gb18030")))
    table, stream = _read(path)
    assert stream.encoding == "gb18030"
    assert table.num_rows == 3


def test_parquet_streams_by_row_group(tmp_path):
    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"x": list(range(10_000))}), path, row_group_size=1000)
    sources, _ = discover([str(path)])
    stream = open_source(sources[0])
    sizes = [b.num_rows for b in stream.batches]
    assert sum(sizes) == 10_000 and max(sizes) <= 65536 and stream.num_rows == 10_000


def test_hive_dataset_is_one_source(tmp_path):
    root = tmp_path / "lake" / "members"
    for year in (2025, 2026):
        part = root / f"year={year}"
        part.mkdir(parents=True)
        pq.write_table(pa.table({"phone": ["13800138000", "13912345678"]}), part / "part-0.parquet")
    sources, errors = discover([str(tmp_path / "lake")])
    assert not errors
    assert [s.kind for s in sources] == ["dataset"]
    stream = open_source(sources[0])
    table = pa.Table.from_batches(list(stream.batches))
    assert table.num_rows == 4 and "year" in table.column_names


def test_folders_globs_and_errors(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.csv").write_text(_text())
    (tmp_path / "a" / "notes.md").write_text("not data")
    (tmp_path / "empty").mkdir()
    sources, errors = discover([str(tmp_path / "a"), str(tmp_path / "empty"), str(tmp_path / "missing.csv"),
                                str(tmp_path / "a" / "*.csv"), str(tmp_path / "*.parquet")])
    assert [s.path.endswith("one.csv") for s in sources] == [True]  # found once, not twice
    assert any("empty: no CSV" in e for e in errors)
    assert any("missing.csv: no such file" in e for e in errors)
    assert any("no file matches" in e for e in errors)


def test_sniffing_helpers():
    assert detect_encoding(codecs.BOM_UTF16_LE + "姓名".encode("utf-16-le")) == "utf-16"
    assert detect_encoding(("号码," * 1000).encode("gbk")) == "gb18030"
    assert sniff_delimiter("only_one_column\nvalue\n", "x.tsv") == "\t"


def test_parquet_batches_hold_one_row_group_not_the_file(tmp_path):
    """pyarrow's whole-file ``iter_batches`` on an Arrow file keeps every row group it
    pre-buffered until the end (a 600 MB Parquet file held 644 MB); read a row group at a time
    (``parquet_batches``, used for local, remote and lake files), what Arrow holds stays small."""
    import numpy as np

    rng = np.random.default_rng(0)
    n = 400_000
    table = pa.table({"id": pa.array([f"{i:018d}" for i in rng.integers(0, 10**17, n)]),
                      "name": pa.array([f"name-{i}-padding" for i in rng.integers(0, 10**9, n)])})
    path = tmp_path / "big.parquet"
    pq.write_table(table, path, row_group_size=10_000)
    size = path.stat().st_size  # ~12 MB in 40 row groups
    del table

    def held_while_reading(batches_of) -> int:
        before, held = pa.total_allocated_bytes(), 0
        rows = 0
        for batch in batches_of(pq.ParquetFile(pa.OSFile(str(path)))):  # pre-buffering on
            held = max(held, pa.total_allocated_bytes() - before)
            rows += batch.num_rows
        assert rows == n
        return held

    assert held_while_reading(parquet_batches) < size // 3
    # the reason for it: the whole-file read holds more than the file
    assert held_while_reading(lambda pf: pf.iter_batches(batch_size=65536)) > size

    (source,), errors = discover([str(path)])
    assert not errors
    assert sum(b.num_rows for b in open_source(source).batches) == n
