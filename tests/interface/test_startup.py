"""What the ``chujing`` command loads when it starts, seen from inside the real command.

Each test runs the command in a fresh interpreter whose only addition is a trace (an audit hook
on imports, and a note at every ``threading.Thread.start``) written line by line to a file, since
the command leaves with ``os._exit``:

- a scan imports pandas in the main thread while no other thread exists, and before any thread
  it starts (pyarrow imports pandas at its first conversion of a Python object under a lock of its
  own: from a second thread during an import, that hung the scan once in 30 runs);
- ``--version`` and ``--help`` load neither pandas nor pyarrow (each command loads its own module).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from detectors.cn_resident_id import check_char

REPO = Path(__file__).resolve().parents[2]

TRACED = r"""
import json, os, sys, threading

_trace = open(os.environ["CHUJING_TEST_TRACE"], "a", encoding="utf-8")


def _note(**fields):
    _trace.write(json.dumps(fields) + "\n")
    _trace.flush()


def _on_import(event, args):
    if event == "import" and args[0] in ("pandas", "pyarrow") and args[0] not in sys.modules:
        _note(kind="import", module=args[0], thread=threading.current_thread().name,
              threads=sorted(t.name for t in threading.enumerate()))


sys.addaudithook(_on_import)
_start = threading.Thread.start


def _traced_start(self):
    _note(kind="thread", name=self.name, pandas="pandas" in sys.modules)
    return _start(self)


threading.Thread.start = _traced_start
from scanner.cli import run

run()
"""


def traced_chujing(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, list[dict]]:
    trace = tmp_path / "trace.jsonl"
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LANG", "LC_ALL", "LC_MESSAGES")}
    env["CHUJING_TEST_TRACE"] = str(trace)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    done = subprocess.run([sys.executable, "-c", TRACED, *args], capture_output=True, text=True, cwd=tmp_path,
                          env=env, timeout=300, check=False)
    lines = trace.read_text(encoding="utf-8").splitlines() if trace.exists() else []
    return done, [json.loads(line) for line in lines]


def members(path: Path, n: int) -> None:
    """``n`` persons with a resident ID and a mobile number each."""
    rng = random.Random(17)
    lines = ["证件号码,手机"]
    for _ in range(n):
        first17 = f"110105{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
        lines.append(f"{first17}{check_char(first17)},1{rng.choice('3589')}{rng.randint(0, 10**9 - 1):09d}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_scan_imports_pandas_in_the_main_thread_before_any_thread_starts(tmp_path):
    # More rows than the sample: the file is streamed and checked by worker threads (a file the
    # sample holds whole is counted from memory, in the main thread alone).
    members(tmp_path / "members.csv", 500)
    done, trace = traced_chujing(tmp_path, "scan", "members.csv", "--sample-rows", "100", "--format", "json",
                                 "-o", "r.json")
    assert done.returncode in (0, 10, 20, 30), done.stderr
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["persons"]["personal"] == 500
    pandas = [e for e in trace if e["kind"] == "import" and e["module"] == "pandas"]
    assert pandas == [{"kind": "import", "module": "pandas", "thread": "MainThread", "threads": ["MainThread"]}]
    threads = [e for e in trace if e["kind"] == "thread"]
    assert threads, "the scan started no thread: this test would prove nothing"
    assert trace.index(pandas[0]) < trace.index(threads[0])
    assert all(e["pandas"] for e in threads)


@pytest.mark.parametrize("args", [("--version",), ("--help",), ("scan", "--help")], ids=" ".join)
def test_version_and_help_load_neither_pandas_nor_pyarrow(tmp_path, args):
    done, trace = traced_chujing(tmp_path, *args)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    assert [e["module"] for e in trace if e["kind"] == "import"] == []


def test_the_patterns_not_compiled_at_start_are_valid_re2():
    """A built-in whose patterns are marked tested skips their RE2 check at every start (the e-mail
    pattern: ~0.17 s): here they are compiled as written, as the check would."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from detectors.registry import builtin_detectors

    tested = [d for d in builtin_detectors() if d.patterns_tested]
    assert "EMAIL" in {d.entity for d in tested}
    for det in tested:
        for pattern in (det.pattern, det.header_pattern, det.header_regex, det.placeholder):
            if pattern is not None:
                pc.match_substring_regex(pa.array([""], pa.string()), pattern)  # raises when RE2 refuses it


def test_a_mistyped_command_is_told_the_command_it_resembles():
    """The commands load on first use; the suggestion still looks among all of them."""
    from click.testing import CliRunner

    from scanner.cli import main

    result = CliRunner().invoke(main, ["ledgr", "status"])
    assert result.exit_code == 2
    assert "No such command 'ledgr'. Did you mean 'ledger'?" in result.output
