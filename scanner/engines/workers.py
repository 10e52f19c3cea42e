"""A second process for the scan's work that goes file by file: the other core of the machine.

The scan runs in one Python process, and reading and classifying thousands of small files is
Python work that one core does at a time. :class:`Worker` runs the same work for some of the
files in a process of its own and hands back what it found; the scan puts the pieces into its
report and its person counter in file order, so the report is the one a single process writes.

The worker is a fresh interpreter, started as multiprocessing's "spawn" would but without
running the caller's main script again: forking a process whose Arrow threads are running can
leave a lock held for good in the child. It runs in a session of its own with SIGINT ignored
(Ctrl-C stops the scan in the main process, which then ends the worker; the worker also ends
when the main process is gone), and it tells nothing but results: a task it cannot do comes
back as ``None`` and the main process does it itself, so an error is said once, in the main
process's words. Its output goes nowhere: nothing it holds is written anywhere.

``CHUJING_JOBS=1`` keeps a scan in one process.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from scanner.runtime import collect_less

JOBS_VARIABLE = "CHUJING_JOBS"

# What a task's result is when the worker could not do it: the main process does it.
NOT_DONE = None


def processes() -> int:
    """How many processes a scan may use: ``CHUJING_JOBS`` (1: one process; a value that is not
    a whole number is ignored), else 2 where the machine has more than one core."""
    cores = os.cpu_count() or 1
    raw = os.environ.get(JOBS_VARIABLE, "").strip()
    try:
        wanted = int(raw) if raw else 2
    except ValueError:
        wanted = 2
    return max(1, min(2, wanted, cores))


class Worker:
    """One process that runs ``work(state, task)`` for each task submitted, in order, after
    ``state = setup(*setup_args)``; both are module-level functions (sent by name). A task not
    yet started can be taken back (:meth:`cancel`); :attr:`started` names the tasks begun."""

    def __init__(self, setup: Callable[..., Any], setup_args: tuple, work: Callable[[Any, Any], Any]):
        ours, theirs = socket.socketpair()
        # A fresh interpreter of its own, in a session of its own (a terminal's Ctrl-C reaches
        # the main process alone), told nothing on its command line; its output goes nowhere.
        code = ("import sys; from multiprocessing.connection import Connection; c = Connection(int(sys.argv[1])); "
                "sys.path[:] = c.recv(); from scanner.engines.workers import serve; serve(c)")
        try:
            self._process = subprocess.Popen([sys.executable, "-c", code, str(theirs.fileno())],
                                             pass_fds=(theirs.fileno(),), start_new_session=True,
                                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                             stderr=subprocess.DEVNULL, close_fds=True)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self._conn = Connection(ours.detach())
        self.ready = False  # set up and waiting for tasks
        self.alive = True
        self.outstanding: list[Any] = []  # task ids submitted (and not taken back) whose answer is to come
        self.started: set[Any] = set()
        self._dropped = set()  # task ids taken back
        try:
            self._conn.send(list(sys.path))
            self._conn.send((setup, work, setup_args))
        except (OSError, ValueError):
            self.close()

    def submit(self, task_id: Any, task: Any) -> None:
        self._conn.send((TASK, task_id, task))
        self.outstanding.append(task_id)

    def cancel(self, task_id: Any) -> bool:
        """Take back a task the worker has not started (its answer, if it comes, is dropped).
        False when it has started, or when the worker is gone."""
        if task_id in self.started or task_id not in self.outstanding or not self.alive:
            return False
        try:
            self._conn.send((CANCEL, task_id))
        except (OSError, ValueError):
            return False
        self.outstanding.remove(task_id)
        self._dropped.add(task_id)
        return True

    def poll(self, timeout: float | None = 0.0) -> list[tuple[Any, Any]]:
        """Results that have come back (waiting up to ``timeout`` seconds for the first, None:
        until one comes): ``(task_id, result)``, ``result`` :data:`NOT_DONE` when the worker could
        not do the task. The worker lost (it died, or could not set up) makes every outstanding
        task come back :data:`NOT_DONE` and :attr:`alive` false."""
        out: list[tuple[Any, Any]] = []
        while self.alive:
            try:
                if not self._conn.poll(timeout):
                    break
                message = self._conn.recv()
            except Exception:  # noqa: BLE001 - the worker gone, or a result that does not unpickle
                message = (LOST,)
            kind = message[0]
            if kind == READY:
                self.ready = True
            elif kind == STARTED:
                self.started.add(message[1])
                continue  # not an answer: go on waiting as asked
            elif kind == LOST:
                out.extend((task_id, NOT_DONE) for task_id in self.outstanding)
                self.outstanding = []
                self.close()
                break
            else:
                task_id, result = message[1], message[2]
                self.started.discard(task_id)
                if task_id in self._dropped:
                    self._dropped.discard(task_id)
                    continue
                self.outstanding.remove(task_id)
                out.append((task_id, result))
            timeout = 0.0
        return out

    def close(self) -> None:
        """End the worker now (it holds nothing that needs closing)."""
        self.alive = False
        self.ready = False
        try:
            self._conn.close()
        except OSError:
            pass
        if self._process.poll() is None:
            self._process.terminate()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


READY, LOST, STARTED, DONE, TASK, CANCEL = "ready", "lost", "started", "done", "task", "cancel"


def serve(conn: Connection) -> None:
    """The worker's loop: set up, say so, then answer each task until told to stop. Every
    message already sent is read before a task starts, so that a task taken back is skipped."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        setup, work, setup_args = conn.recv()
        state = setup(*setup_args)
    except BaseException:  # noqa: BLE001 - the main process then does every task itself
        _send(conn, (LOST,))
        return
    _send(conn, (READY,))
    collect_less()  # for the process's life: see scanner.runtime
    queue: deque[tuple[Any, Any]] = deque()
    while True:
        try:
            while not queue or conn.poll(0):
                message = conn.recv()
                if message is None:
                    return
                if message[0] == CANCEL:
                    queue = deque(t for t in queue if t[0] != message[1])
                else:
                    queue.append((message[1], message[2]))
        except (EOFError, OSError):
            return
        task_id, task = queue.popleft()
        _send(conn, (STARTED, task_id))
        try:
            result = work(state, task)
        except Exception:  # noqa: BLE001 - the main process does this task, and says what failed
            result = NOT_DONE
        try:
            conn.send((DONE, task_id, result))
        except (EOFError, OSError):
            return
        except Exception:  # noqa: BLE001 - a result that cannot be sent: the main process does it
            _send(conn, (DONE, task_id, NOT_DONE))


def _send(conn, message) -> None:
    try:
        conn.send(message)
    except (EOFError, OSError):
        pass
