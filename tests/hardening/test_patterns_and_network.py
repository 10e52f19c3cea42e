"""User-supplied patterns cannot hang a scan, and a scan makes no network connection.

* A custom detector's pattern runs through RE2 (linear time) or is refused: ``(a+)+$`` over
  ``aaaa…!`` (catastrophic for a backtracking engine) finishes at once; back-references and
  look-arounds (which RE2 cannot run) are refused with one line naming the file.
* Rule files hold header words matched as plain text, never compiled as patterns.
* A whole scan runs with every socket call replaced by one that records and refuses, and, where
  the kernel allows, inside a network namespace with no interface at all.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import textwrap
import time

import corpus
import pyarrow as pa
import pytest
from conftest import run_chujing

REDOS = "(a+)+$"
EVIL_VALUE = "a" * 50_000 + "!"


def _python_backtracks(pattern: str, value: str, budget: float = 0.2) -> bool:
    """Whether Python's backtracking ``re`` takes longer than ``budget`` on a short prefix of value."""
    started = time.monotonic()
    re.match(pattern, value[:24] + "!")
    return time.monotonic() - started > budget / 10


def test_the_redos_pattern_is_catastrophic_for_a_backtracking_engine():
    # The control: without RE2 this pattern is exponential (24 characters already take a while).
    assert _python_backtracks(REDOS, EVIL_VALUE)


def _detector_yaml(tmp_path, pattern: str, name: str = "EVIL_ID"):
    path = tmp_path / f"{name.lower()}.yaml"
    path.write_text(textwrap.dedent(f"""
        detectors:
          - name: {name}
            pattern: '{pattern}'
            header_words: [邪恶编号]
            person_key: true
    """), encoding="utf-8")
    return path


def test_custom_detector_pattern_runs_in_linear_time(tmp_path):
    custom = pytest.importorskip("detectors.custom", reason="custom detectors (YAML) are not present yet")
    (det,) = custom.from_yaml(_detector_yaml(tmp_path, REDOS))
    started = time.monotonic()
    ok, _ = det.valid_mask(pa.array([EVIL_VALUE] * 20 + ["aaaa"]))
    assert time.monotonic() - started < 2.0
    assert ok.tolist() == [False] * 20 + [True]


@pytest.mark.parametrize("pattern", [r"(a*)\1", r"(?=a)a+", r"(?<!b)a", r"a++", r"(?>a+)b", r"(unclosed"])
def test_patterns_re2_cannot_run_are_refused(tmp_path, pattern):
    custom = pytest.importorskip("detectors.custom", reason="custom detectors (YAML) are not present yet")
    path = _detector_yaml(tmp_path, pattern)
    with pytest.raises(ValueError) as info:
        custom.from_yaml(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def _scan_with_the_redos_detector(tmp_path, name: str, rows: list, header: list[str], timeout: int):
    """Scan ``rows`` written as ``name`` with the ReDoS detector file; it ends in time, cleanly."""
    (tmp_path / name).write_text(corpus.csv_text(rows, header=header), encoding="utf-8")
    yaml_path = _detector_yaml(tmp_path, REDOS)
    run = run_chujing(["scan", name, "--detectors", yaml_path.name, "--format", "json"], cwd=tmp_path,
                      timeout=timeout)
    assert run.killed is None and "Traceback" not in run.stderr, run.stderr[-2000:]
    assert run.returncode in (0, 10, 20, 30), run.stderr
    return run


def test_scan_with_a_redos_detector_file_is_bounded(tmp_path, persons):
    pytest.importorskip("detectors.custom", reason="custom detectors (YAML) are not present yet")
    rows = [[p.name, EVIL_VALUE] for p in persons]
    run = _scan_with_the_redos_detector(tmp_path, "evil.csv", rows, ["姓名", "邪恶编号"], timeout=30)
    assert run.file("evil.csv")["rows"] == len(persons)


def test_a_redos_detector_in_prose_is_bounded(tmp_path, persons):
    """The user's pattern also runs on RE2 inside free text (Presidio's recognizers), where a
    backtracking engine would meet ``aaaa…!`` in every complaint."""
    pytest.importorskip("detectors.custom", reason="custom detectors (YAML) are not present yet")
    rows = [[p.name, f"客户{p.name}来电反馈，说明如下：{'a' * 2000}!，请尽快处理，谢谢。"] for p in persons]
    run = _scan_with_the_redos_detector(tmp_path, "prose.csv", rows, ["姓名", "备注"], timeout=60)
    entry = run.file("prose.csv")
    assert entry["rows"] == len(persons)
    assert next(c for c in entry["columns"] if c["name"] == "备注")["entity"] in ("FREE_TEXT", None)


def test_scan_with_a_refused_pattern_is_a_usage_error(tmp_path, persons):
    pytest.importorskip("detectors.custom", reason="custom detectors (YAML) are not present yet")
    corpus.write_good(tmp_path, persons[:5])
    yaml_path = _detector_yaml(tmp_path, r"(a*)\1")
    run = run_chujing(["scan", "good.csv", "--detectors", yaml_path.name, "--format", "json"], cwd=tmp_path,
                      timeout=30)
    assert run.killed is None and "Traceback" not in run.stderr, run.stderr[-2000:]
    assert run.returncode == 2
    lines = [ln for ln in run.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and yaml_path.name in lines[0], lines


def test_rule_file_words_are_plain_text_not_patterns():
    engine = pytest.importorskip("mappings.engine")
    matches = getattr(engine, "_word_matches", None)
    if matches is None:
        pytest.skip("mappings.engine has no _word_matches: the rule-file matcher changed, update this test")
    started = time.monotonic()
    assert matches(REDOS, "a" * 50_000 + "!", None) is False
    assert matches("a.c", "abc", None) is False  # a dot is a dot, not "any character"
    assert time.monotonic() - started < 1.0


# --- no network ------------------------------------------------------------------------------------

GUARD = textwrap.dedent('''
    import os, socket
    _log = os.environ["CHUJING_NET_LOG"]

    def _refuse(what):
        def call(*args, **kwargs):
            with open(_log, "a") as fh:
                fh.write(what + " " + repr(args[1:2] if what.startswith("socket.") else args[:1]) + "\\n")
            raise OSError(101, "network blocked by the chujing test")
        return call

    # bind is left alone: urllib3 probes IPv6 support by binding ::1 at import (local, no traffic).
    for name in ("connect", "connect_ex", "sendto", "sendmsg"):
        setattr(socket.socket, name, _refuse("socket." + name))
    socket.create_connection = _refuse("create_connection")
    socket.getaddrinfo = _refuse("getaddrinfo")
    socket.gethostbyname = _refuse("gethostbyname")
''')


def _scan_args(tmp_path, persons):
    corpus.write_good(tmp_path, persons)
    (tmp_path / "notes.csv").write_text(corpus.csv_text(
        [[str(i), f"{p.name}的电话是{p.mobile}，邮箱{p.email}"] for i, p in enumerate(persons)],
        header=["编号", "备注"]), encoding="utf-8")
    return ["scan", "good.csv", "notes.csv", "--sector", "retail_services", "--scenario", "member_management",
            "--format", "html" if _has_html() else "json"]


def _has_html() -> bool:
    import importlib.util

    return importlib.util.find_spec("scanner.report.html_page") is not None


def test_scan_makes_no_connection_attempt(tmp_path, persons):
    guard_dir = tmp_path / "guard"
    guard_dir.mkdir()
    (guard_dir / "sitecustomize.py").write_text(GUARD)
    log = tmp_path / "net.log"
    log.write_text("")
    args = _scan_args(tmp_path, persons)
    # Prove the guard is live in the child before trusting its silence.
    probe = run_chujing([], cwd=tmp_path, env={"PYTHONPATH": str(guard_dir), "CHUJING_NET_LOG": str(log)},
                        command=["-c", "import socket\ntry: socket.create_connection(('192.0.2.1', 80))\n"
                                       "except OSError: pass"], timeout=30)
    assert probe.returncode == 0 and "create_connection" in log.read_text()
    log.write_text("")
    run = run_chujing(args, cwd=tmp_path, env={"PYTHONPATH": str(guard_dir), "CHUJING_NET_LOG": str(log)},
                      timeout=60)
    assert run.killed is None and "Traceback" not in run.stderr, run.stderr[-2000:]
    assert run.returncode in (0, 10, 20, 30), run.stderr
    assert log.read_text() == "", f"connection attempts: {log.read_text()}"


def test_scan_in_a_namespace_without_network(tmp_path, persons):
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("unshare(1) is not installed")
    if subprocess.run([unshare, "-n", "true"], capture_output=True).returncode != 0:
        pytest.skip("unshare -n is not permitted here (needs root or user namespaces)")
    args = [*_scan_args(tmp_path, persons)[:-2], "--format", "json"]
    offline = run_chujing(args, cwd=tmp_path, prefix=[unshare, "-n"], timeout=60)
    online = run_chujing(args, cwd=tmp_path, timeout=60)
    assert offline.killed is None and "Traceback" not in offline.stderr, offline.stderr[-2000:]
    assert offline.returncode == online.returncode
    assert offline.returncode in (0, 10, 20, 30)

    def gist(report):
        return (report["verdict"], report["persons"]["personal"], report["persons"]["sensitive"],
                [(f["path"], f["rows"], f["error"], sorted((c["name"], c["entity"]) for c in f["columns"]))
                 for f in report["files"]])

    assert gist(offline.json()) == gist(online.json())
