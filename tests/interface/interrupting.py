"""Run the real ``chujing`` command, wait for a line on its stderr, then press Ctrl-C (SIGINT)."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable


def interrupt_when(args: list[str], marker: bytes, *, cwd, env: dict[str, str],
                   before: Callable[[subprocess.Popen], None] | None = None) -> tuple[int, bytes, bytes]:
    """Start ``args``, read its stderr until ``marker`` appears, call ``before(proc)``, send SIGINT
    and return (exit status, stdout, the stderr that came after the marker was read).

    stderr is read unbuffered: ``communicate()`` reads the pipe's file descriptor, so anything
    waiting in a reader's buffer would be lost and a log line cut in two."""
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=env, bufsize=0)
    started = time.monotonic()
    seen = b""
    while marker not in seen and time.monotonic() - started < 120:
        line = proc.stderr.readline()
        if not line:
            break
        seen += line
    assert marker in seen, seen[-500:]
    if before is not None:
        before(proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err
