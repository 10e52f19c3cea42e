"""Fixtures of the hardening suite: the corpus, and a way to run ``chujing`` as a user would.

``run_chujing`` starts the real command in a child process and watches it: wall time, peak
memory (``wait4``'s ``ru_maxrss`` of that very child) and a kill switch if it outgrows a limit,
so that a bomb or a hang fails the test instead of the machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import corpus  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable

# Every run of the hardening suite must stay within these, per chujing process.
DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_RSS_MB = 1024


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    max_rss_mb: float
    killed: str | None = None

    def json(self) -> dict:
        return json.loads(self.stdout)

    def file(self, path_suffix: str) -> dict:
        matches = [f for f in self.json()["files"] if f["path"] == path_suffix or f["path"].endswith("/" + path_suffix)]
        assert len(matches) == 1, f"{path_suffix}: {len(matches)} file entries in the report"
        return matches[0]


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_chujing(args: list[str | bytes], cwd: Path | str | None = None, env: dict[str, str] | None = None,
                timeout: float = DEFAULT_TIMEOUT, max_rss_mb: float = DEFAULT_MAX_RSS_MB,
                preexec_fn=None, prefix: list[str] | None = None, python_args: list[str] | None = None,
                command: list[str] | None = None) -> Run:
    """Run ``chujing ARGS`` in a child process; measure it and kill it past the limits.

    ``prefix`` goes before the interpreter (``unshare -n``); ``python_args`` and ``command``
    replace the default ``-c "from scanner.cli import run; run()"`` (a script instead).
    """
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    full_env.pop("PYTEST_CURRENT_TEST", None)
    full_env.update(env or {})
    if command is None:
        command = ["-c", "from scanner.cli import run; run()"]
    cmd = [*(prefix or []), PYTHON, *(python_args or []), *command, *args]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=cwd, env=full_env, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                preexec_fn=preexec_fn)
        killed = None
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            elapsed = time.monotonic() - started
            if elapsed > timeout:
                killed = f"timeout after {timeout:.0f} s"
            elif _rss_mb(proc.pid) > max_rss_mb:
                killed = f"memory over {max_rss_mb:.0f} MB"
            if killed:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        return Run(proc.returncode, out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"),
                   seconds, usage.ru_maxrss / 1024, killed)


@pytest.fixture(scope="session")
def persons() -> list[corpus.Person]:
    return corpus.people(50)


@pytest.fixture(scope="session")
def hardening_tmp(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("hardening")
