"""The progress of a long scan: on a terminal, a ``rich`` bar over the bytes of every input;
for schedulers (``--log-json``), one JSON line per file; otherwise nothing.

The bar shows the file being read (its name masked, as every path chujing prints), the bytes
read of all inputs, the percentage, the rate and the time left. A file's share counts the rows
read so far (their size in memory, close to the text's size for CSV), capped at the file's size
on disk, so that the total never runs ahead of the inputs.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

log = logging.getLogger("chujing")


class TerminalProgress:
    """A progress bar on ``stream`` (a terminal), cleared when the scan ends."""

    def __init__(self, stream: TextIO | None = None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self.console = Console(file=stream or sys.stderr, highlight=False, markup=False, emoji=False)
        self.bar = Progress(TextColumn("{task.description}", markup=False), BarColumn(bar_width=None),
                            TaskProgressColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn(),
                            console=self.console, transient=True, refresh_per_second=4, expand=True)
        self.task = self.bar.add_task("", total=None, start=True)
        self.done = 0          # bytes of the files finished
        self.current_size = 0  # the file being read: its size on disk, and what was read of it
        self.current_read = 0
        self.bar.start()

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "file":
            from scanner.sources.files import display_path  # loaded by the scan already

            self.done += self.current_size
            self.current_size = int(event.get("bytes") or 0)
            self.current_read = 0
            name = _short(event.get("display") or display_path(event.get("path") or ""), 40)
            self.bar.update(self.task, total=int(event.get("total_bytes") or 0) or None, completed=self.done,
                            description=f"{event['index'] + 1}/{event['total']} {name}")
            self.bar.refresh()
        elif kind == "rows":
            self.current_read += int(event.get("bytes") or 0)
            self.bar.update(self.task, completed=self.done + min(self.current_read, self.current_size))

    def close(self) -> None:
        self.bar.stop()


class JsonLinesProgress:
    """One log line per file for schedulers: which file (masked), its place, its size, and
    whether it was read (``scanned``; ``rescanned`` with ``--state`` and ``--rescan``) or taken
    unread from the state file (``cached``: unchanged since the last scan)."""

    def __call__(self, event: dict[str, Any]) -> None:
        if event.get("event") != "file_done":
            return
        from scanner.sources.files import display_path  # loaded by the scan already

        status = "cached" if event.get("cached") else ("rescanned" if event.get("rescan") else "scanned")
        fields = {"file": event.get("display") or display_path(event.get("path") or ""), "index": event["index"] + 1,
                  "total": event["total"], "bytes": int(event.get("bytes") or 0), "status": status}
        log.info("file %d of %d %s: %s", fields["index"], fields["total"], status, fields["file"],
                 extra={"fields": fields})

    def close(self) -> None:
        pass


def _short(text: str, width: int) -> str:
    """The end of a path, which names the file, within ``width`` columns."""
    from rich.cells import cell_len

    if cell_len(text) <= width:
        return text
    while text and cell_len(text) > width - 1:
        text = text[1:]
    return "…" + text


def progress_reporter(json_lines: bool, stream: TextIO | None = None):
    """The progress for this run: JSON lines with ``--log-json``, a bar when ``stream``
    (stderr) is a terminal, else ``None`` (a pipe, a file, a scheduler: nothing is drawn)."""
    if json_lines:
        return JsonLinesProgress()
    stream = stream or sys.stderr
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    return TerminalProgress(stream) if tty else None
