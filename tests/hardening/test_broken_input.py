"""Broken and hostile input: every case ends in one line naming the file, never a traceback.

The small cases are scanned together in one ``chujing scan`` beside a good file (one process,
one report: the good file must still be scanned); the big ones (100 MB lines, 50,000 columns,
a gzip bomb) each in a process of their own whose time and peak memory are measured. Cases
that need a setting of their own (FIFOs, symbolic link loops, an unreadable file, a file that
vanishes, non-UTF-8 names) follow.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap

import corpus
import pytest
from conftest import PYTHON, REPO, run_chujing

from scanner.sources.files import SourceError, discover, open_source

SMALL = [c for c in corpus.CASES if not c.big]
BIG = [c for c in corpus.CASES if c.big]
GOOD_ROWS = 10
# Far above what each run needs (~1-3 s, ~200-400 MB): a hang or a leak trips them, noise does not.
SHARED_SECONDS = 40
BIG_SECONDS = 30
MAX_RSS_MB = 900

# A gzip bomb is refused once it expands past max(floor, 200 x its size); a low floor keeps the
# end-to-end run short (the default floor is tested on the reader below).
BOMB_ENV = {"CHUJING_MAX_DECOMPRESSED_MB": "16"}


def assert_clean_failure(run, *, expect_rc: int = 1) -> None:
    assert run.killed is None, run.killed
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    assert run.returncode == expect_rc, (run.returncode, run.stderr[-2000:])


def error_line(run, name: str) -> str:
    """The one line on stderr that names ``name``."""
    lines = [ln for ln in run.stderr.splitlines() if ln.startswith(name + ": ")]
    assert len(lines) == 1, f"expected one stderr line for {name}, got {lines!r} in {run.stderr[-2000:]!r}"
    return lines[0]


@pytest.fixture(scope="module")
def shared(hardening_tmp, persons):
    directory = hardening_tmp / "small"
    paths = corpus.build(directory, persons, SMALL)
    good = corpus.write_good(directory, persons[:GOOD_ROWS])
    args = ["scan", good.name, *(p.name for p in paths.values()), "--format", "json"]
    run = run_chujing(args, cwd=directory, env=BOMB_ENV, timeout=SHARED_SECONDS, max_rss_mb=MAX_RSS_MB)
    return run, paths


def test_shared_scan_fails_cleanly_and_scans_the_good_file(shared):
    run, _ = shared
    assert_clean_failure(run)
    assert run.seconds < SHARED_SECONDS and run.max_rss_mb < MAX_RSS_MB
    good = run.file("good.csv")
    assert good["error"] is None and good["rows"] == GOOD_ROWS
    report = run.json()
    assert len(report["files"]) == len(SMALL) + 1


@pytest.mark.parametrize("case", SMALL, ids=lambda c: c.name)
def test_small_case(shared, case):
    run, paths = shared
    name = paths[case.name].name
    entry = run.file(name)
    if case.expect == "error":
        assert entry["error"], f"{name} was scanned ({entry['rows']} rows) instead of failing"
        assert "\n" not in entry["error"]
        assert re.search(case.reason, entry["error"]), entry["error"]
        assert entry["error"] in error_line(run, name)
        assert f"{name}: {entry['error']}" in run.json()["errors"]
    else:
        assert entry["error"] is None, entry["error"]
        assert entry["rows"] == case.rows


def test_duplicate_and_empty_names_are_kept_apart(shared):
    run, _ = shared
    names = [c["name"] for c in run.file("dup_names.csv")["columns"]]
    assert names == ["姓名", "身份证号", "身份证号.1", "column_4", "手机号", "column_6"]


def test_headerless_file_keeps_its_first_record_and_shows_no_value_as_a_name(shared, persons):
    run, _ = shared
    entry = run.file("headerless.csv")
    assert [c["name"] for c in entry["columns"]] == [f"column_{i}" for i in range(1, 6)]
    assert entry["rows"] == len(persons)


@pytest.mark.parametrize("case", BIG, ids=lambda c: c.name)
def test_big_case_is_bounded(hardening_tmp, persons, case):
    directory = hardening_tmp / f"big-{case.name}"
    directory.mkdir()
    path = case.make(directory, persons)
    good = corpus.write_good(directory, persons[:GOOD_ROWS])
    try:
        run = run_chujing(["scan", good.name, path.name, "--format", "json"], cwd=directory, env=BOMB_ENV,
                          timeout=BIG_SECONDS, max_rss_mb=MAX_RSS_MB)
    finally:
        path.unlink()
    assert_clean_failure(run)
    assert run.seconds < BIG_SECONDS and run.max_rss_mb < MAX_RSS_MB, (run.seconds, run.max_rss_mb)
    entry = run.file(path.name)
    assert entry["error"] and re.search(case.reason, entry["error"]), entry["error"]
    assert entry["error"] in error_line(run, path.name)
    assert run.file("good.csv")["rows"] == GOOD_ROWS


def test_gzip_bomb_reader_stops_at_the_default_limit(tmp_path, persons):
    """With no setting at all, a 2 GB bomb of ~2 MB is stopped at 1 GB, streaming (no parse)."""
    from scanner.sources import limits
    from scanner.sources.files import _open_binary

    path = corpus.gzip_bomb(tmp_path / "bomb.csv.gz", 1200, persons)
    (source,), _ = discover([str(path)])
    read = 0
    with pytest.raises(SourceError, match="decompression bomb"):
        with _open_binary(source) as fh:
            while chunk := fh.read(8 << 20):
                read += len(chunk)
    assert read <= max(limits.max_decompressed_bytes(), source.size * limits.max_expansion_ratio())


# --- FIFOs, links, permissions, vanishing files --------------------------------------------------

def test_fifo_is_refused_without_blocking(tmp_path, persons):
    good = corpus.write_good(tmp_path, persons[:GOOD_ROWS])
    os.mkfifo(tmp_path / "pipe.csv")
    (tmp_path / "sub").mkdir()
    os.mkfifo(tmp_path / "sub" / "inner.csv")
    run = run_chujing(["scan", good.name, "pipe.csv", "sub", "--format", "json"], cwd=tmp_path, timeout=20)
    assert_clean_failure(run)
    for name in ("pipe.csv", os.path.join("sub", "inner.csv")):
        assert "not a regular file" in run.file(name)["error"]
        error_line(run, name)
    assert run.file("good.csv")["rows"] == GOOD_ROWS


def test_file_replaced_by_a_fifo_after_discovery_does_not_block(tmp_path, persons):
    path = corpus.write_good(tmp_path, persons[:GOOD_ROWS], "swap.csv")
    (source,), _ = discover([str(path)])
    path.unlink()
    os.mkfifo(path)

    def give_up(signum, frame):
        raise TimeoutError("open blocked on a FIFO")

    old = signal.signal(signal.SIGALRM, give_up)
    signal.alarm(5)
    try:
        with pytest.raises(SourceError, match="not a regular file"):
            open_source(source)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def test_symbolic_link_loops(tmp_path, persons):
    folder = tmp_path / "exports"
    folder.mkdir()
    corpus.write_good(folder, persons[:GOOD_ROWS])
    os.symlink("b.csv", folder / "a.csv")
    os.symlink("a.csv", folder / "b.csv")
    (folder / "sub").mkdir()
    corpus.write_good(folder / "sub", persons[:3], "inner.csv")
    os.symlink("..", folder / "sub" / "up")
    os.symlink(".", folder / "self")
    run = run_chujing(["scan", "exports", "--format", "json"], cwd=tmp_path, timeout=20)
    assert_clean_failure(run)
    for name in ("a.csv", "b.csv"):
        assert "symbolic link loop" in error_line(run, f"exports/{name}")
    for name in ("sub/up", "self"):
        assert "not followed" in error_line(run, f"exports/{name}")
    files = run.json()["files"]
    scanned = sorted(f["path"] for f in files if f["error"] is None)
    assert scanned == ["exports/good.csv", "exports/sub/inner.csv"]


def _drop_read_override() -> None:
    """In the child: lose root's power to read any file (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH).

    Dropped from the bounding set before ``exec``, so the scan runs as root but obeys file modes.
    """
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _unreadable_setup() -> tuple[object, str | None]:
    if os.geteuid() != 0:
        return None, None
    if not sys.platform.startswith("linux"):
        return None, "running as root off Linux: root reads any file, so the case needs an unprivileged user"
    probe = subprocess.run(["cat", "/proc/self/status"], preexec_fn=_drop_read_override, capture_output=True, text=True)
    if probe.returncode != 0:
        return None, "running as root and the read-override capabilities cannot be dropped here"
    return _drop_read_override, None


def test_file_without_read_permission(tmp_path, persons):
    preexec, reason = _unreadable_setup()
    if reason:
        pytest.skip(reason)
    corpus.write_good(tmp_path, persons[:GOOD_ROWS])
    corpus.write_good(tmp_path, persons, "secret.csv").chmod(0o000)
    (tmp_path / "closed").mkdir()
    corpus.write_good(tmp_path / "closed", persons, "inside.csv")
    (tmp_path / "closed").chmod(0o000)
    try:
        run = run_chujing(["scan", ".", "--format", "json"], cwd=tmp_path, timeout=30, preexec_fn=preexec)
    finally:
        (tmp_path / "closed").chmod(0o755)
    assert_clean_failure(run)
    assert "permission denied" in error_line(run, "./secret.csv")
    assert "permission denied" in error_line(run, "./closed")
    assert run.file("good.csv")["rows"] == GOOD_ROWS


VANISH_SCRIPT = textwrap.dedent("""
    import json, os, sys
    from scanner.engines.local import scan
    from scanner.report.render import render_report

    victim, when = sys.argv[1], sys.argv[2]
    def progress(event):
        if when == "before_open" and event.get("event") == "file" and event["index"] == 0:
            os.unlink(victim)
        if when == "while_reading" and event.get("event") == "rows" and event["path"] == victim:
            if os.path.exists(victim):
                os.unlink(victim)
    report = scan(sys.argv[3:], progress=progress)
    print(render_report(report, "json"))
""")


@pytest.mark.parametrize("when", ["before_open", "while_reading"])
def test_path_that_vanishes_during_the_scan(tmp_path, persons, when):
    first = corpus.write_good(tmp_path, persons[:GOOD_ROWS], "a_first.csv")
    victim = corpus.write_good(tmp_path, persons, "b_victim.csv")
    script = tmp_path / "vanish.py"
    script.write_text(VANISH_SCRIPT)
    proc = subprocess.run([PYTHON, str(script), victim.name, when, first.name, victim.name], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert "Traceback" not in proc.stderr, proc.stderr
    report = json.loads(proc.stdout)
    entry = next(f for f in report["files"] if f["path"] == victim.name)
    if when == "before_open":
        assert entry["error"] == "the file disappeared during the scan"
    else:  # an open file stays readable once unlinked: every record is still counted
        assert entry["error"] is None and entry["rows"] == len(persons)
    assert next(f for f in report["files"] if f["path"] == first.name)["rows"] == GOOD_ROWS


# --- names that are not UTF-8 ---------------------------------------------------------------------

def test_file_names_that_are_not_utf8_or_hold_control_characters(tmp_path, persons):
    folder = tmp_path / "names"
    folder.mkdir()
    corpus.non_utf8_names(folder, persons[:GOOD_ROWS])
    expected = {"names/\\xb6\\xa9\\xb5\\xa5.csv", "names/bad-\\xff\\xfe.csv", "names/line\\x0abreak.csv",
                "names/esc\\x1b[31mred.csv"}
    for fmt in ("json", "md", "table"):
        out = tmp_path / f"report.{fmt}"
        run = run_chujing(["scan", "names", "--format", fmt, "-o", str(out)], cwd=tmp_path, timeout=30)
        assert run.killed is None and "Traceback" not in run.stderr, run.stderr[-2000:]
        assert run.returncode != 1, run.stderr
        text = out.read_bytes().decode("utf-8")  # strict: the report is valid UTF-8
        assert "\x1b" not in text
        if fmt == "json":
            report = json.loads(text)
            assert {f["path"] for f in report["files"]} == expected
            assert all(f["rows"] == GOOD_ROWS for f in report["files"])


def test_display_path_is_one_printable_utf8_line():
    from scanner.sources.files import display_path

    for raw in (b"\xb6\xa9.csv", b"a\nb.csv", b"\x1b[2J.csv", b"ok/\xe5\xa7\x93\xe5\x90\x8d.csv", b"\xe2\x80\xa8.csv"):
        shown = display_path(os.fsdecode(raw))
        shown.encode("utf-8")
        assert shown.isprintable(), shown
    assert display_path("ok/姓名.csv") == "ok/姓名.csv"


# --- describe_read_error never quotes data ---------------------------------------------------------

@pytest.mark.parametrize("exc", [
    ValueError("CSV parse error: Expected 5 columns, got 6: 王伟,11010519491231002X,13800138000"),
    ValueError("CSV conversion error to string: invalid value '6222021234567890128'"),
    KeyError("11010519491231002X"),
    OSError("Unexpected data '13800138000' near user0001@example.cn"),
    ValueError("13800138000 is not a valid column"),
    RuntimeError("\"王伟 11010519491231002X\""),
], ids=lambda e: type(e).__name__)
def test_describe_read_error_never_echoes_values(exc):
    from scanner.sources.files import describe_read_error

    reason = describe_read_error(exc)
    assert "\n" not in reason and reason
    for value in ("11010519491231002X", "13800138000", "6222021234567890128", "王伟", "user0001@example.cn"):
        assert value not in reason


def test_stat_of_a_path_replaced_by_a_folder(tmp_path, persons):
    path = corpus.write_good(tmp_path, persons[:3], "x.csv")
    (source,), _ = discover([str(path)])
    path.unlink()
    path.mkdir()
    with pytest.raises(SourceError):
        open_source(source)


def test_discover_reports_each_unusable_input_once(tmp_path):
    (tmp_path / "empty_folder").mkdir()
    sources, errors = discover([str(tmp_path / "missing.csv"), str(tmp_path / "empty_folder"),
                                str(tmp_path / "nothing*.csv"), str(tmp_path / "notes.docx")])
    assert sources == []
    assert len(errors) == 4 and all("\n" not in e for e in errors)


