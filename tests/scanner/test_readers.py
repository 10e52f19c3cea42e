"""One reader per input format behind one interface (scanner/sources/base.Reader): discovery asks
the registry which reader reads a file, and every engine opens a source through its reader."""

from __future__ import annotations

import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scanner.sources import registry
from scanner.sources.base import Reader, Source, Stream
from scanner.sources.files import discover, file_state, open_source
from scanner.sources.registry import READ_TYPES, reader_for

ROWS = [("张三", "13800138000"), ("李四", "13900139000")]


def _csv(path, rows=ROWS):
    path.write_text("姓名,手机\n" + "".join(f"{n},{m}\n" for n, m in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("name, kind, compression", [
    ("a.csv", "csv", None), ("a.TSV.gz", "csv", "gzip"), ("a.txt.zst", "csv", "zstd"),
    ("a.parquet", "parquet", None), ("a.pq", "parquet", None), ("a.parquet.gz", None, None),
    ("a.xlsx", "excel", None), ("~$a.xlsx", None, None), ("a.xlsx.gz", None, None),
    ("a.jsonl", "json", None), ("a.json.bz2", "json", "bz2"),
    ("a.docx", None, None), ("README", None, None), (".csv", None, None),
])
def test_the_registry_names_the_reader_of_a_file(name, kind, compression):
    reader, comp = reader_for(f"exports/{name}")
    assert (reader.kind if reader else None, comp) == (kind, compression)


def test_what_is_read_is_said_from_the_readers():
    assert READ_TYPES == ".csv .tsv .txt .psv .dat (also .gz .bz2 .zst), .parquet, .xlsx .xlsm .xls .xlsb .ods, " \
                         ".json .jsonl .ndjson"


def test_each_format_is_found_and_opened_through_its_reader(tmp_path):
    _csv(tmp_path / "a.csv")
    with gzip.open(tmp_path / "b.csv.gz", "wt", encoding="utf-8") as fh:
        fh.write("姓名,手机\n张三,13800138000\n")
    pq.write_table(pa.table({"姓名": ["张三"], "手机": ["13800138000"]}), tmp_path / "c.parquet")
    (tmp_path / "d.jsonl").write_text(json.dumps({"姓名": "张三", "手机": 13800138000}, ensure_ascii=False) + "\n",
                                      encoding="utf-8")
    (tmp_path / "ds" / "year=2024").mkdir(parents=True)
    pq.write_table(pa.table({"手机": ["13800138000"]}), tmp_path / "ds" / "year=2024" / "part-0.parquet")
    sources, errors = discover([str(tmp_path)])
    assert errors == []
    found = {s.display.rsplit("/", 1)[-1]: s for s in sources}
    assert {n: s.kind for n, s in found.items()} == {"a.csv": "csv", "b.csv.gz": "csv", "c.parquet": "parquet",
                                                      "d.jsonl": "json", "ds": "dataset"}
    for s in sources:
        assert s.kind == s.reader.kind
        stream = open_source(s)
        assert stream.format in ("csv", "parquet", "json", "parquet-dataset")
        assert sum(b.num_rows for b in stream.batches) >= 1
        assert "手机" in stream.schema.names
    assert found["b.csv.gz"].compression == "gzip"
    # What a change during the scan is judged on: the files each reader reads.
    assert len(file_state(found["ds"])) == 1 and len(file_state(found["a.csv"])) == 1


class _Pipes(Reader):
    """A format of the test's own: ``.pipes`` files, one value per line under a header."""

    kind = "pipes"
    suffixes = frozenset({".pipes"})
    read_types = ".pipes"

    def open(self, source: Source, block_size: int = 0) -> Stream:
        with open(source.path, encoding="utf-8") as fh:
            header, *values = fh.read().split()
        schema = pa.schema([(header, pa.string())])
        return Stream(iter([pa.record_batch([pa.array(values)], schema=schema)]), schema, "pipes")


def test_a_new_format_is_a_reader_and_one_registration_line(tmp_path, monkeypatch):
    """The one place a new format goes: its reader, and a line in registry.READERS; the engine's
    scan then reads it like any other input."""
    from scanner import scan

    (tmp_path / "phones.pipes").write_text("手机\n13800138000\n13900139000\n13800138000\n", encoding="utf-8")
    assert reader_for("phones.pipes") == (None, None)
    monkeypatch.setattr(registry, "READERS", [*registry.READERS, _Pipes()])
    assert reader_for("phones.pipes")[0].kind == "pipes"
    report = scan([str(tmp_path / "phones.pipes")], ledger=None)
    (file_report,) = report.files
    assert file_report.error is None and file_report.format == "pipes" and file_report.rows == 3
    assert [c.entity for c in file_report.columns] == ["CN_MOBILE_PHONE"]
    assert report.persons.by_entity.get("CN_MOBILE_PHONE")  # its rows were counted


def test_one_content_fingerprint_keeps_both_forms_stored_on_disk(tmp_path):
    """State files and ledgers keep fingerprints made before they were one function: the forms
    (written out here with hashlib, as they were) must not change, or old files stop matching."""
    import hashlib
    import os

    from scanner.engines.incremental import fingerprint as state_fingerprint
    from scanner.verdict import file_fingerprint as ledger_fingerprint

    path = tmp_path / "big.csv"
    path.write_bytes(bytes(range(256)) * (3 * 4096 + 7))  # past two MiB: first and last MiB hashed
    size, mtime = path.stat().st_size, path.stat().st_mtime_ns
    data = path.read_bytes()
    ledger = hashlib.blake2b(str(size).encode(), digest_size=16)
    ledger.update(data[: 1 << 20])
    ledger.update(data[-(1 << 20):])
    assert ledger_fingerprint(str(path)) == ledger.hexdigest()
    state = hashlib.blake2b(digest_size=16)
    state.update(f"{path}\0{size}\0{mtime}\0".encode())
    state.update(data[: 64 << 10])
    state.update(data[-(64 << 10):])
    assert state_fingerprint(str(path)) == state.hexdigest()
    # A dataset folder: its files in order in the state's form; no fingerprint in the ledger's.
    (tmp_path / "ds" / "y=1").mkdir(parents=True)
    part = tmp_path / "ds" / "y=1" / "p.parquet"
    part.write_bytes(b"PAR1")
    st = os.stat(part)
    folder = hashlib.blake2b(f"{part}\0{st.st_size}\0{st.st_mtime_ns}\0".encode() + b"PAR1", digest_size=16)
    assert state_fingerprint(str(tmp_path / "ds")) == folder.hexdigest()
    assert ledger_fingerprint(str(tmp_path / "ds")) is None
