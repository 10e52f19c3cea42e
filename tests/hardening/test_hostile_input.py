"""Hostile and careless input: nothing lost in silence, nothing quadratic, nothing leaked.

Each case runs the real ``chujing`` command in a child process whose time and peak memory are
measured and capped (``conftest.run_chujing``):

* shapes that used to be counted short or not at all (identifiers stored as Parquet BINARY,
  in ``list<string>`` and map columns, a headerless file whose first row holds formatted
  identifiers, CR-only line ends, UTF-16 without a BOM) are scanned in one run, each file with
  persons of its own, so the total says whether every one of them was counted;
* unbalanced quotes in one- and two-column files fail the file, one line, exit status 1;
* a file truncated or appended to between the two reads of a scan is failed, not counted
  short: through the API (mid-count) and through the real command (between the reads);
* identifiers in file, folder, column and struct field names, Delta table folders and remote
  URLs are masked in every report, the state and the ledger;
* fixed costs: 4 times the columns, or 4 times the small files, may not cost more than
  ``GROWTH`` times the time (each column and each file used to cost a fixed ~0.1 s);
* inputs that grew quadratically (a header line of letters or base64, a file of quotes, a
  GB18030 line full of UTF-8-like runs, 20,000 duplicate names, a 7 MB column name, 10,000
  Parquet row groups under ``--full``, a long token in prose) are scanned at two sizes: the bigger run may not take
  more than ``GROWTH`` times the smaller one's time for four times the input;
* ledger, state and review faults end in one line naming the file and what to do, exit status
  1, and the scan's report is still written.
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import corpus
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import PYTHON, REPO, run_chujing

SECONDS = 90  # per run, far above what each needs (~5-15 s on a loaded 2-core machine)
MAX_RSS_MB = 900
# Four times the input may cost at most this many times the time (and peak memory): a linear
# scan with a fixed start-up cost stays well below it, a quadratic one (16x) does not.
GROWTH = 6.0
PERSONS = corpus.people(400, seed=16)


def _slice(start: int, n: int) -> list[corpus.Person]:
    return PERSONS[start: start + n]


def _one_line(run, name: str) -> str:
    lines = [ln for ln in run.stderr.splitlines() if name in ln]
    assert len(lines) == 1, (name, run.stderr[-3000:])
    return lines[0]


def _clean(run, rc: int = 1) -> None:
    assert run.killed is None, run.killed
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    assert run.returncode == rc, (run.returncode, run.stderr[-2000:])


# --- shapes that must be counted -------------------------------------------------------------

def _binary_parquet(d: Path, ps: list[corpus.Person]) -> Path:
    """Older Hive/Impala writers store strings as BINARY."""
    path = d / "ids_binary.parquet"
    pq.write_table(pa.table({"证件号码": pa.array([p.resident_id.encode() for p in ps], pa.binary()),
                             "手机": pa.array([p.mobile.encode() for p in ps], pa.large_binary())}), path)
    return path


def _list_parquet(d: Path, ps: list[corpus.Person]) -> Path:
    """Households: each row a list of 1 to 5 members' ID numbers."""
    ids = [p.resident_id for p in ps]
    rows, i, k = [], 0, 1
    while i < len(ids):
        rows.append(ids[i: i + k])
        i, k = i + k, k % 5 + 1
    path = d / "households_list.parquet"
    pq.write_table(pa.table({"户号": [f"H{j:04d}" for j in range(len(rows))],
                             "members": pa.array(rows, pa.list_(pa.string()))}), path)
    return path


def _map_parquet(d: Path, ps: list[corpus.Person]) -> Path:
    """One entry per row: each value of a list or map is a cell of its own, not linked to the
    others of its row (a household's members are several persons)."""
    path = d / "contacts_map.parquet"
    pq.write_table(pa.table({"k": list(range(len(ps))),
                             "contacts": pa.array([[("mobile", p.mobile)] for p in ps],
                                                  pa.map_(pa.string(), pa.string()))}), path)
    return path


def formatted_rows(ps: list[corpus.Person]) -> list[list[str]]:
    """``138-0013-8000``, ``440305 19721201 8141``, ``E10000000``: identifiers as people type them."""
    return [[f"{p.mobile[:3]}-{p.mobile[3:7]}-{p.mobile[7:]}",
             f"{p.resident_id[:6]} {p.resident_id[6:14]} {p.resident_id[14:]}", f"E{10000000 + i}"]
            for i, p in enumerate(ps)]


def _formatted_headerless(d: Path, ps: list[corpus.Person]) -> Path:
    path = d / "formatted_headerless.csv"
    path.write_text(corpus.csv_text(formatted_rows(ps), header=None), encoding="utf-8")
    return path


def _cr_only(d: Path, ps: list[corpus.Person]) -> Path:
    path = d / "mac_classic.csv"
    path.write_bytes(corpus.csv_text([corpus.person_row(p) for p in ps]).replace("\n", "\r").encode("utf-8"))
    return path


def _utf16(order: str):
    def make(d: Path, ps: list[corpus.Person]) -> Path:
        path = d / f"utf16{order}_nobom.csv"
        text = corpus.csv_text([corpus.person_row(p) for p in ps]).replace("\n", "\r\n")
        path.write_bytes(text.encode(f"utf-16-{order}"))
        return path
    return make


# (maker, persons in it, rows expected)
COUNTED = {
    "ids_binary.parquet": (_binary_parquet, 20, 20),
    "households_list.parquet": (_list_parquet, 21, 8),
    "contacts_map.parquet": (_map_parquet, 20, 20),
    "formatted_headerless.csv": (_formatted_headerless, 20, 20),
    "mac_classic.csv": (_cr_only, 20, 20),
    "utf16le_nobom.csv": (_utf16("le"), 20, 20),
    "utf16be_nobom.csv": (_utf16("be"), 20, 20),
}


def _quote_one_column(d: Path, ps: list[corpus.Person]) -> Path:
    """A quote opened in row 3 of a one-column file and never closed: every later row in it."""
    values = [p.mobile for p in ps]
    values[2] = '"' + values[2]
    path = d / "quote_one_column.csv"
    path.write_text("手机号\n" + "\n".join(values) + "\n", encoding="utf-8")
    return path


def _quote_two_columns(d: Path, ps: list[corpus.Person]) -> Path:
    """A quote opened in row 2 and closed by a stray quote in row 9: rows 3-8 vanish into it."""
    rows = [[p.name, p.mobile] for p in ps]
    rows[1][1] = '"' + rows[1][1]
    rows[8][1] = rows[8][1] + '"'
    path = d / "quote_two_columns.csv"
    path.write_text(corpus.csv_text(rows, header=["姓名", "手机号"]), encoding="utf-8")
    return path


def _quote_two_columns_to_end(d: Path, ps: list[corpus.Person]) -> Path:
    rows = [[p.name, p.mobile] for p in ps]
    rows[-2][0] = '"' + rows[-2][0]
    path = d / "quote_two_columns_eof.csv"
    path.write_text(corpus.csv_text(rows, header=["姓名", "手机号"]), encoding="utf-8")
    return path


FAILING = {
    "quote_one_column.csv": _quote_one_column,
    "quote_two_columns.csv": _quote_two_columns,
    "quote_two_columns_eof.csv": _quote_two_columns_to_end,
}


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    directory = tmp_path_factory.mktemp("shapes")
    start = 0
    for name, (make, n, _) in COUNTED.items():
        assert make(directory, _slice(start, n)).name == name
        start += n
    for name, make in FAILING.items():
        assert make(directory, _slice(start, 12)).name == name
        start += 12
    run = run_chujing(["scan", ".", "--format", "json", "--quiet"], cwd=directory, timeout=SECONDS,
                      max_rss_mb=MAX_RSS_MB)
    return run, directory


def test_every_shape_is_counted_and_the_broken_ones_fail_alone(shapes):
    run, _ = shapes
    _clean(run)
    assert run.seconds < SECONDS and run.max_rss_mb < MAX_RSS_MB
    for name, (_, _, rows) in COUNTED.items():
        entry = run.file(name)
        assert entry["error"] is None and entry["rows"] == rows, (name, entry["error"], entry["rows"])
    # Persons are disjoint between the files: the total is the sum only if each one is whole.
    assert run.json()["persons"]["personal"] == sum(n for _, n, _ in COUNTED.values())


@pytest.mark.parametrize("name", list(FAILING))
def test_unbalanced_quote_in_one_or_two_columns_fails_the_file(shapes, name):
    run, _ = shapes
    entry = run.file(name)
    assert entry["error"] and any(w in entry["error"] for w in ("unbalanced quote", "never closed", "check quoting")), entry
    assert entry["error"] in _one_line(run, f"./{name}: ")


@pytest.mark.parametrize("name, entity", [("ids_binary.parquet", "CN_RESIDENT_ID"),
                                          ("households_list.parquet", "CN_RESIDENT_ID"),
                                          ("contacts_map.parquet", "CN_MOBILE_PHONE")])
def test_binary_list_and_map_columns_are_classified(shapes, name, entity):
    run, _ = shapes
    assert entity in {e for c in run.file(name)["columns"] for e in c["entities"]}


def test_formatted_first_row_is_data_not_a_header(shapes):
    run, directory = shapes
    entry = run.file("formatted_headerless.csv")
    assert [c["name"] for c in entry["columns"]] == ["column_1", "column_2", "column_3"]
    assert {c["entity"] for c in entry["columns"]} == {"CN_MOBILE_PHONE", "CN_RESIDENT_ID", "CN_PASSPORT"}
    first = (directory / "formatted_headerless.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert not any(value in run.stdout for value in first)


# --- a file that changes between the two reads ---------------------------------------------------

TRUNCATE_SCRIPT = textwrap.dedent("""
    import os, sys
    from scanner.engines.local import ScanOptions, scan
    from scanner.report.render import render_report

    victim, mode = sys.argv[1], sys.argv[2]
    done = []
    def progress(event):
        # The count pass is under way (its first batch is counted): the file changes under it.
        if event.get("event") == "rows" and event["path"] == victim and not done:
            done.append(1)
            if mode == "truncate":
                with open(victim, "r+b") as fh:
                    fh.truncate(os.path.getsize(victim) // 2)
            else:
                with open(victim, "ab") as fh:
                    fh.write(b"\\n".join([b"x,110105194912310021,13800138000,6222021234567890128,a@b.cn"] * 100) + b"\\n")
    report = scan(sys.argv[3:], ScanOptions(block_size=1 << 16, progress=progress))
    print(render_report(report, "json"))
    sys.exit(report.exit_code)
""")


@pytest.mark.parametrize("mode", ["truncate", "append"])
def test_file_changed_between_the_two_reads_is_failed_not_counted_short(tmp_path, mode):
    victim = corpus.write_good(tmp_path, PERSONS * 10, "export.csv")  # ~4,000 rows, several 64 KB batches
    other = corpus.write_good(tmp_path, _slice(0, 10), "other.csv")
    script = tmp_path / "truncate.py"
    script.write_text(TRUNCATE_SCRIPT)
    proc = subprocess.run([PYTHON, str(script), victim.name, mode, other.name, victim.name], cwd=tmp_path,
                          capture_output=True, text=True, timeout=SECONDS, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert proc.returncode == 1, proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    entry = next(f for f in report["files"] if f["path"] == victim.name)
    assert "changed while it was scanned" in entry["error"], entry
    assert next(f for f in report["files"] if f["path"] == other.name)["rows"] == 10
    # Exit status 1 and the error: the verdict stands on an incomplete scan, and says so.
    assert f"{victim.name}: {entry['error']}" in report["errors"]


def _change_between_reads(path: Path, mode: str) -> None:
    if mode == "truncate":
        with open(path, "r+b") as fh:
            fh.truncate(path.stat().st_size // 2)
    else:
        with open(path, "ab") as fh:
            fh.write("".join(f"{p.name},{p.resident_id},{p.mobile},{p.bank_card},{p.email}\n"
                             for p in _slice(0, 50)).encode("utf-8"))


@pytest.mark.parametrize("mode", ["truncate", "append"])
def test_file_changed_between_the_reads_of_the_real_command_is_failed(tmp_path, mode):
    """The real command, paused by its test hook between the sample read and the count read of
    a file too big to be counted from its sample (more rows than the sample holds)."""
    from scanner.sources import files

    victim = corpus.write_good(tmp_path, PERSONS * 15, "export.csv")  # 6,000 rows: read twice
    other = corpus.write_good(tmp_path, _slice(0, 10), "other.csv")  # small: read once
    marker = tmp_path / "between-reads"
    changed = []

    def change_when_paused():
        deadline = time.monotonic() + SECONDS
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        if marker.exists():
            _change_between_reads(victim, mode)
            changed.append(mode)
            marker.unlink()

    watcher = threading.Thread(target=change_when_paused)
    watcher.start()
    try:
        run = run_chujing(["scan", victim.name, other.name, "--format", "json", "--quiet"], cwd=tmp_path,
                          timeout=SECONDS, max_rss_mb=MAX_RSS_MB,
                          env={files.PAUSE_ENV: str(marker), files.PAUSE_SECONDS_ENV: str(SECONDS)})
    finally:
        if not marker.exists():
            marker.write_text("")  # let the watcher go if the scan never paused
        watcher.join()
        marker.unlink(missing_ok=True)
    _clean(run)
    assert changed == [mode]
    entry = run.file(victim.name)
    assert "changed while it was scanned" in entry["error"], entry
    assert entry["error"] in _one_line(run, f"{victim.name}: ")
    assert run.file(other.name)["rows"] == 10 and run.file(other.name)["error"] is None


# --- identifiers in names -------------------------------------------------------------------------

def test_identifiers_in_file_folder_and_column_names_are_masked_everywhere(tmp_path):
    owner, holder = _slice(300, 2)
    folder = tmp_path / "data" / f"客户_{owner.resident_id}"
    folder.mkdir(parents=True)
    # Column names holding identifiers come from Parquet (in a CSV such a first row is data).
    path = folder / f"{owner.mobile}.parquet"
    pq.write_table(pa.table({"姓名": [p.name for p in _slice(310, 5)], f"备注{holder.mobile}": ["x"] * 5,
                             holder.email: ["y"] * 5}), path)
    secrets = [owner.resident_id, owner.mobile, holder.mobile, holder.email]
    outputs = {fmt: tmp_path / f"report.{fmt}" for fmt in ("json", "md", "html")}
    key = tmp_path / "ledger.key"
    for fmt, out in outputs.items():
        run = run_chujing(["scan", "data", "--format", fmt, "-o", str(out), "--state", "state.db",
                           "--ledger", "ledger.db", "--ledger-key", str(key), "--record",
                           "--transfer-id", f"T-{fmt}"], cwd=tmp_path, timeout=SECONDS, max_rss_mb=MAX_RSS_MB)
        assert run.killed is None and "Traceback" not in run.stderr, run.stderr[-3000:]
        for secret in secrets:
            assert secret not in run.stdout and secret not in run.stderr
    report = json.loads(outputs["json"].read_text(encoding="utf-8"))
    (entry,) = report["files"]
    assert owner.mobile[:3] + "****" + owner.mobile[-4:] in entry["path"]
    assert len(entry["columns"]) == 3 and entry["rows"] == 5
    written = b"".join(p.read_bytes() for p in [*outputs.values(), tmp_path / "state.db", tmp_path / "ledger.db"]
                       if p.exists())
    written += b"".join(p.read_bytes() for p in tmp_path.glob("*.db-*"))
    for secret in secrets:
        assert secret.encode() not in written, secret
    # The state keeps paths as keyed hashes: the second and third runs found the file unchanged.
    with sqlite3.connect(tmp_path / "state.db") as db:
        (stored,) = db.execute("SELECT path FROM files").fetchone()
    assert stored.startswith("h:") and "客户" not in stored


def test_identifiers_in_delta_struct_hive_and_url_names_are_masked_everywhere(tmp_path):
    """A Delta table's folder, a struct field (an e-mail address as a field name), a hive
    partition folder and a remote URL, each named after a person: masked in every report, in
    the state and in the ledger."""
    deltalake = pytest.importorskip("deltalake", reason="the lake extra (deltalake) is not installed")
    pytest.importorskip("fsspec", reason="the lake extra (fsspec) is not installed")
    a, b, c, d = _slice(320, 4)
    data = tmp_path / "data"
    delta = data / f"delta_{a.mobile}"
    deltalake.write_deltalake(str(delta), pa.table({"证件号码": [p.resident_id for p in _slice(325, 4)]}))
    pq.write_table(pa.table({"info": pa.array([{b.email: p.mobile, "n": 1} for p in _slice(330, 3)])}),
                   data / "struct.parquet")
    hive = data / "hive" / f"客户={c.resident_id}"
    hive.mkdir(parents=True)
    pq.write_table(pa.table({"姓名": [p.name for p in _slice(335, 3)]}), hive / "part-0.parquet")
    remote = tmp_path / "remote"
    remote.mkdir()
    (remote / f"{d.mobile}.csv").write_text(corpus.csv_text([corpus.person_row(p) for p in _slice(340, 3)]),
                                             encoding="utf-8")
    secrets = [a.mobile, b.email, c.resident_id, d.mobile]
    key = tmp_path / "ledger.key"
    outputs = []
    for fmt in ("json", "md", "html"):
        out = tmp_path / f"report.{fmt}"
        outputs.append(out)
        run = run_chujing(["scan", str(delta), str(data / "struct.parquet"), str(data / "hive"),
                           f"local://{remote}/", "--format", fmt, "-o", str(out), "--state", "state.db",
                           "--ledger", "ledger.db", "--ledger-key", str(key), "--record", "--transfer-id", f"T-{fmt}"],
                          cwd=tmp_path, timeout=SECONDS, max_rss_mb=MAX_RSS_MB)
        assert run.killed is None and "Traceback" not in run.stderr, run.stderr[-3000:]
        for secret in secrets:
            assert secret not in run.stdout and secret not in run.stderr, secret
    report = json.loads(outputs[0].read_text(encoding="utf-8"))
    assert all(f["error"] is None for f in report["files"]), [f["error"] for f in report["files"]]
    # The partition's value is a column of the dataset: its three rows hold one ID, one person.
    assert report["persons"]["personal"] == 4 + 3 + 1 + 3
    written = b"".join(p.read_bytes() for p in [*outputs, tmp_path / "state.db", tmp_path / "ledger.db"] if p.exists())
    written += b"".join(p.read_bytes() for p in tmp_path.glob("*.db-*"))
    for secret in secrets:
        assert secret.encode() not in written, secret
    names = {c["name"] for f in report["files"] for c in f["columns"]}
    assert any(n.endswith(f"***@{b.email.split('@')[1]}") for n in names), names  # the field, masked


# --- fixed costs per column and per file ----------------------------------------------------------

def _wide(path: Path, columns: int, rows: int = 20) -> None:
    """A table of ``columns`` columns: numbers, words, dates, codes and, one in five, mobiles."""
    ps = corpus.people(rows, seed=columns)
    kinds = ["num", "word", "phone", "code", "date"]
    header = [f"c{i}_{kinds[i % 5]}" for i in range(columns)]
    cell = {"num": lambda i, r: str(i * 7919 + r * 104729), "word": lambda i, r: ("甲", "乙", "alpha", "beta")[(i + r) % 4],
            "phone": lambda i, r: ps[r].mobile, "code": lambda i, r: f"X{(i * 31 + r) % 9000 + 1000}",
            "date": lambda i, r: f"2024-0{1 + (i + r) % 9}-1{(i * r) % 10}"}
    lines = [",".join(header)] + [",".join(cell[kinds[i % 5]](i, r) for i in range(columns)) for r in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_columns_have_no_large_fixed_cost(tmp_path):
    """Four times the columns cost at most GROWTH times the time: each detector runs once over
    all the columns of a table, not once per column (2,500 columns took a minute)."""
    runs = {}
    for columns in (1_250, 5_000):
        _wide(tmp_path / f"wide{columns}.csv", columns)
        runs[columns] = run_chujing(["scan", f"wide{columns}.csv", "--format", "json", "--quiet"], cwd=tmp_path,
                                    timeout=SECONDS * 2, max_rss_mb=MAX_RSS_MB)
    small, big = runs[1_250], runs[5_000]
    print(f"columns x1 (1,250): {small.seconds:.1f} s, {small.max_rss_mb:.0f} MB; "
          f"x4 (5,000): {big.seconds:.1f} s, {big.max_rss_mb:.0f} MB")
    for run in (small, big):
        assert run.killed is None and "Traceback" not in run.stderr and run.returncode not in (1, 2), run.stderr[-2000:]
    assert big.seconds < GROWTH * small.seconds, (small.seconds, big.seconds)
    entry = big.file("wide5000.csv")
    assert entry["rows"] == 20 and len(entry["columns"]) == 5_000
    assert sum(c["entity"] == "CN_MOBILE_PHONE" for c in entry["columns"]) == 1_000
    assert big.json()["persons"]["personal"] == 20  # the same 20 persons in every phone column


def test_small_files_have_no_large_fixed_cost(tmp_path):
    """Four times the small files cost at most GROWTH times the time: small files are read and
    classified a group at a time and counted in joined batches (each file cost ~0.1 s)."""
    runs = {}
    for files in (200, 800):
        folder = tmp_path / f"f{files}"
        folder.mkdir()
        ps = corpus.people(files * 3, seed=files)
        for i in range(files):
            corpus.write_good(folder, ps[i * 3: i * 3 + 3], f"part-{i:05d}.csv")
        runs[files] = run_chujing(["scan", folder.name, "--format", "json", "--quiet"], cwd=tmp_path,
                                  timeout=SECONDS * 3, max_rss_mb=MAX_RSS_MB)
    small, big = runs[200], runs[800]
    print(f"files x1 (200): {small.seconds:.1f} s, {small.max_rss_mb:.0f} MB; "
          f"x4 (800): {big.seconds:.1f} s, {big.max_rss_mb:.0f} MB")
    for files, run in runs.items():
        assert run.killed is None and "Traceback" not in run.stderr and run.returncode not in (1, 2), run.stderr[-2000:]
        report = run.json()
        assert len(report["files"]) == files and all(f["rows"] == 3 and f["error"] is None for f in report["files"])
        assert report["persons"]["personal"] == files * 3
    assert big.seconds < GROWTH * small.seconds, (small.seconds, big.seconds)


# --- linear time --------------------------------------------------------------------------------

def _grow(directory: Path, k: int) -> None:
    """Every input that used to grow faster than its size, at ``k`` times a base size."""
    directory.mkdir(parents=True)
    (directory / "letters_header.csv").write_bytes(b"a" * (100_000 * k) + b"\n1\n")
    blob = base64.b64encode(os.urandom(30_000 * k))
    (directory / "base64_header.csv").write_bytes(blob + b"\n1\n")
    (directory / "quotes.csv").write_bytes(b'"' * (1_250_000 * k))
    unit = b"\xe4\xb8\xa0\xe4\xb8\xa0a"  # GB18030 text whose bytes look like UTF-8 CJK runs
    (directory / "gb_line.csv").write_bytes("姓名,备注\n".encode("gb18030") + b"x," + unit * (18_000 * k) +
                                            "中\n".encode("gb18030"))
    (directory / "dup_header.csv").write_text(",".join(["客户"] * (5_000 * k)) + "\n", encoding="utf-8")
    (directory / "long_name.csv").write_bytes(b"n" * (1_750_000 * k) + b",b\n1,2\n")
    token = "eyJ" + base64.urlsafe_b64encode(os.urandom(30_000 * k)).decode().rstrip("=")
    (directory / "token_prose.csv").write_text("备注\n" + f"客户来电说明情况，令牌 {token} 已经过期，请协助处理。\n" * 3,
                                               encoding="utf-8")
    groups = 2_500 * k
    table = pa.table({"id": [f"{i:08d}" for i in range(groups)]})
    pq.write_table(table, directory / "row_groups.parquet", row_group_size=1)


@pytest.fixture(scope="module")
def growth(tmp_path_factory):
    runs = {}
    for k in (1, 4):
        directory = tmp_path_factory.mktemp("growth") / f"x{k}"
        _grow(directory, k)
        runs[k] = run_chujing(["scan", ".", "--full", "--format", "json", "--quiet"], cwd=directory,
                              timeout=SECONDS * 2, max_rss_mb=MAX_RSS_MB)
    return runs


def test_inputs_that_grew_quadratically_now_grow_linearly(growth):
    small, big = growth[1], growth[4]
    print(f"growth x1: {small.seconds:.1f} s, {small.max_rss_mb:.0f} MB; x4: {big.seconds:.1f} s, {big.max_rss_mb:.0f} MB")
    for run in (small, big):
        assert run.killed is None and "Traceback" not in run.stderr, (run.killed, run.stderr[-3000:])
    assert big.seconds < GROWTH * small.seconds, (small.seconds, big.seconds)
    assert big.max_rss_mb < max(GROWTH * small.max_rss_mb, 300), (small.max_rss_mb, big.max_rss_mb)


def test_long_names_are_reported_too_long_and_duplicates_numbered(growth):
    run = growth[4]
    names = [c["name"] for c in run.file("long_name.csv")["columns"]]
    assert names[0].startswith("column_1 (name too long: 7,000,000 bytes)") and names[1] == "b"
    assert run.file("long_name.csv")["rows"] == 1
    dup = [c["name"] for c in run.file("dup_header.csv")["columns"]]
    assert len(dup) == len(set(dup)) == 20_000 and dup[:3] == ["客户", "客户.1", "客户.2"]
    assert run.file("row_groups.parquet")["rows"] == 10_000
    assert run.file("gb_line.csv")["error"] is None
    assert run.file("token_prose.csv")["rows"] == 3


def test_cells_past_the_cell_limit_are_reported_and_their_rows_counted(tmp_path):
    ps = _slice(380, 20)
    notes = [p.name for p in ps]
    notes[7] = "长" * 2000  # 6,000 bytes: past a 1 KB cell limit
    pq.write_table(pa.table({"证件号码": [p.resident_id for p in ps], "备注": notes}), tmp_path / "cells.parquet")
    run = run_chujing(["scan", "cells.parquet", "--format", "json", "--quiet"], cwd=tmp_path, timeout=SECONDS,
                      env={"CHUJING_MAX_CELL_BYTES": "1024"})
    assert run.killed is None and run.returncode not in (1, 2), run.stderr[-2000:]
    entry = run.file("cells.parquet")
    assert entry["rows"] == 20 and run.json()["persons"]["personal"] == 20
    (note,) = [c for c in entry["columns"] if c["name"] == "备注"]
    assert "1 sampled values longer than 1 KB were too long to classify" in note["evidence"], note["evidence"]


# --- ledger, state and review faults ---------------------------------------------------------------

@pytest.fixture()
def ledger_setup(tmp_path):
    data = corpus.write_good(tmp_path, _slice(350, 5), "a.csv")
    key = tmp_path / "ledger.key"
    good = tmp_path / "good.db"
    run = run_chujing(["scan", data.name, "--ledger", str(good), "--ledger-key", str(key), "--record",
                       "--transfer-id", "T-1", "--format", "json", "-o", "r0.json"], cwd=tmp_path, timeout=SECONDS)
    assert run.killed is None and run.returncode not in (1, 2), run.stderr[-2000:]
    return tmp_path, data, key, good


def _scan_with_ledger(directory: Path, data: Path, key: Path, ledger: Path, *extra: str, **kwargs):
    out = directory / "report.json"
    run = run_chujing(["scan", data.name, "--ledger", str(ledger.name), "--ledger-key", str(key), *extra,
                       "--format", "json", "-o", str(out)], cwd=directory, timeout=SECONDS, **kwargs)
    return run, out


def _corrupt_pages(path: Path) -> None:
    data = bytearray(path.read_bytes())
    page = 4096
    for i in range(page, len(data)):
        data[i] = (data[i] * 7 + 3) % 256
    path.write_bytes(bytes(data))


def _drop_table(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE person_arrays")


def _bad_counts(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("UPDATE transfers SET counts = '{not json'")


@pytest.mark.parametrize("damage, words", [(_corrupt_pages, "damaged|not a chujing ledger"),
                                           (_drop_table, "damaged"),
                                           (_bad_counts, "cannot be read")],
                         ids=["corrupt_pages", "dropped_table", "invalid_counts_json"])
@pytest.mark.parametrize("record", [False, True], ids=["read", "record"])
def test_damaged_ledger_is_one_line_and_the_report_is_written(ledger_setup, damage, words, record):
    import re

    directory, data, key, good = ledger_setup
    ledger = directory / "damaged.db"
    ledger.write_bytes(good.read_bytes())
    damage(ledger)
    extra = ["--record", "--transfer-id", "T-2"] if record else []
    run, out = _scan_with_ledger(directory, data, key, ledger, *extra)
    _clean(run)
    line = _one_line(run, "damaged.db: ")
    assert re.search(words, line) and ("restore" in line or "ledger" in line), line
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["files"][0]["rows"] == 5 and any("damaged.db" in e for e in report["errors"])


def test_ledger_commands_on_a_damaged_ledger_are_one_line(ledger_setup):
    directory, _, key, good = ledger_setup
    ledger = directory / "damaged.db"
    ledger.write_bytes(good.read_bytes())
    _bad_counts(ledger)
    for command in (["status"], ["list"]):
        run = run_chujing(["ledger", *command, "--ledger", str(ledger), "--ledger-key", str(key)], cwd=directory,
                          timeout=SECONDS)
        _clean(run)
        assert "cannot be read" in _one_line(run, "damaged.db: ")


def _without_read_override():
    """A child that obeys file modes although it runs as root (see test_broken_input)."""
    from test_broken_input import _unreadable_setup

    preexec, reason = _unreadable_setup()
    if reason:
        pytest.skip(reason)
    return preexec


def test_record_on_a_read_only_ledger(ledger_setup):
    preexec = _without_read_override()
    directory, data, key, good = ledger_setup
    folder = directory / "locked"
    folder.mkdir()
    ledger = folder / "ro.db"
    ledger.write_bytes(good.read_bytes())
    ledger.chmod(0o444)
    folder.chmod(0o555)
    try:
        run = run_chujing(["scan", data.name, "--ledger", str(ledger), "--ledger-key", str(key), "--record",
                           "--transfer-id", "T-ro", "--format", "json", "-o", "report.json"], cwd=directory,
                          timeout=SECONDS, preexec_fn=preexec)
    finally:
        folder.chmod(0o755)
    _clean(run)
    assert "read-only" in _one_line(run, "ro.db: ")
    assert json.loads((directory / "report.json").read_text(encoding="utf-8"))["files"][0]["rows"] == 5


def test_busy_ledger_still_writes_the_report(ledger_setup):
    directory, data, key, good = ledger_setup
    from scanner.persons import ledger as ledger_mod

    marker = directory / "holding"
    holder = subprocess.Popen(
        [PYTHON, "-c", "from scanner.cli import run; run()", "scan", data.name, "--ledger", good.name,
         "--ledger-key", str(key), "--record", "--transfer-id", "T-hold", "--format", "json", "-o", "hold.json"],
        cwd=directory, env={**os.environ, "PYTHONPATH": str(REPO), ledger_mod.PAUSE_ENV: str(marker),
                            ledger_mod.PAUSE_SECONDS_ENV: "40"}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        import time

        deadline = time.monotonic() + SECONDS
        while not marker.exists():
            assert holder.poll() is None and time.monotonic() < deadline, holder.stderr.read()
            time.sleep(0.05)
        run, out = _scan_with_ledger(directory, data, key, good, "--record", "--transfer-id", "T-wait",
                                     env={ledger_mod.LOCK_SECONDS_ENV: "2"})
    finally:
        holder.kill()
        holder.wait()
    _clean(run)
    assert "busy" in _one_line(run, "good.db: ")
    assert json.loads(out.read_text(encoding="utf-8"))["files"][0]["rows"] == 5


@pytest.mark.parametrize("make, words", [
    (lambda p: p.write_text("not a database\n"), "not a usable chujing state file"),
    (lambda p: p.write_bytes(b"SQLite format 3\x00" + os.urandom(8192)), "not a usable chujing state file"),
], ids=["not_sqlite", "corrupt"])
def test_unusable_state_file_is_one_line_and_the_scan_goes_on(tmp_path, make, words):
    data = corpus.write_good(tmp_path, _slice(360, 5), "a.csv")
    make(tmp_path / "state.db")
    run = run_chujing(["scan", data.name, "--state", "state.db", "--format", "json", "-o", "report.json"],
                      cwd=tmp_path, timeout=SECONDS)
    _clean(run)
    assert words in _one_line(run, "state.db: ")
    assert json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["files"][0]["rows"] == 5


def test_state_in_an_unwritable_folder(tmp_path):
    preexec = _without_read_override()
    data = corpus.write_good(tmp_path, _slice(365, 5), "a.csv")
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked").chmod(0o555)
    try:
        run = run_chujing(["scan", data.name, "--state", "locked/state.db", "--format", "json", "-o", "report.json"],
                          cwd=tmp_path, timeout=SECONDS, preexec_fn=preexec)
    finally:
        (tmp_path / "locked").chmod(0o755)
    _clean(run)
    assert "folder" in _one_line(run, "locked/state.db: ")
    assert json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["files"][0]["rows"] == 5


@pytest.mark.parametrize("text", [
    "[" * 100_000 + "]" * 100_000,
    '{"schema": "chujing.report/1", "files": ' + "[" * 900 + "]" * 900 + "}",
    '{"schema": "chujing.report/1", "files": {"a": 1}}',
    '{"schema": "chujing.report/1", "files": [{"path": "a.csv", "columns": [{"name": "x", "confidence": "high"}]}]}',
    '{"schema": "chujing.report/1", "files": [], "important_data": [7]}',
], ids=["deep", "deep_files", "files_not_a_list", "wrong_type", "candidate_not_an_object"])
def test_review_of_a_deep_or_wrongly_shaped_report_is_one_line(tmp_path, text):
    (tmp_path / "r.json").write_text(text, encoding="utf-8")
    run = run_chujing(["review", "r.json", "--who", "t"], cwd=tmp_path, timeout=SECONDS)
    _clean(run)
    assert "r.json: " in _one_line(run, "r.json: ") and "chujing scan --format json" in run.stderr


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
