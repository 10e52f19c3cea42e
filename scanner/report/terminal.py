"""The terminal: tables and paragraphs drawn to fit the screen, with ``rich``.

A table's cells wrap inside their column (nothing is cut) and no line is wider than the
terminal, so the terminal never wraps a row itself. Chinese characters take two columns.
The width is ``COLUMNS`` when set, else the terminal's; a report written to a file or a pipe
is not wrapped at all (each paragraph on one line, each table at its natural width).

Everything drawn is plain text: no colour, no markup (a column name such as ``[bold]`` is
shown as written), and control characters from the data are replaced (escape injection).
"""

from __future__ import annotations

import io
import os
import re
import sys
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from scanner.report.text import display_width, safe_terminal

# A report written to a file is drawn this wide: wide enough that no table of a report wraps.
UNBOUNDED = 10_000
MIN_WIDTH = 40


def terminal_width(stream: TextIO | None = None) -> int | None:
    """Columns to draw in: ``COLUMNS`` when set, else the width of the terminal ``stream``
    (stdout) is, else ``None`` (a file or a pipe: do not wrap)."""
    env = os.environ.get("COLUMNS", "").strip()
    if env.isdigit():
        return max(MIN_WIDTH, int(env))
    stream = stream or sys.stdout
    try:
        if stream.isatty():
            return max(MIN_WIDTH, os.get_terminal_size(stream.fileno()).columns)
    except (AttributeError, OSError, ValueError):
        pass
    return None


# Break opportunities: a space, and on either side of a wide (Chinese) character, except before
# closing punctuation and after opening punctuation (they stay with their neighbour).
_TOKEN = re.compile(r"\s+|[^\s\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]+|.")
_CLOSING = set("，。；：、！？）】》」』”’%,.;:!?)]}")
_OPENING = set("（【《「『“‘([{")


def wrap(text: str, first: int, rest: int) -> list[str]:
    """``text`` in lines of at most ``first`` then ``rest`` columns, broken at spaces and between
    Chinese characters; a word longer than a line is cut where the line ends."""
    tokens: list[str] = []
    for token in _TOKEN.findall(text):
        if tokens and not token.isspace() and not tokens[-1].isspace() and (
                token[0] in _CLOSING or tokens[-1][-1] in _OPENING):
            tokens[-1] += token
        else:
            tokens.append(token)
    lines: list[str] = []
    line, used = "", 0
    for token in tokens:
        room = max(1, first if not lines else rest)
        if token.isspace():
            if line:
                line += " "
                used += 1
            continue
        size = display_width(token)
        if used + size > room and line.strip():
            lines.append(line.rstrip())
            line, used = "", 0
            room = max(1, rest)
        while size > room:  # a word longer than a line: cut it
            cut, taken = "", 0
            for ch in token:
                w = display_width(ch)
                if taken + w > room - used:
                    break
                cut += ch
                taken += w
            if not cut:
                lines.append(line.rstrip())
                line, used = "", 0
                continue
            lines.append((line + cut).rstrip())
            line, used = "", 0
            token = token[len(cut):]
            size = display_width(token)
            room = max(1, rest)
        line += token
        used += size
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


class Canvas:
    """Lines of a plain-text report, drawn ``width`` columns wide (``None``: unbounded)."""

    def __init__(self, width: int | None) -> None:
        self.width = width
        self.lines: list[str] = []
        self._console = Console(file=io.StringIO(), width=width or UNBOUNDED, color_system=None, force_terminal=False,
                                force_jupyter=False, no_color=True, highlight=False, markup=False, emoji=False,
                                legacy_windows=False, soft_wrap=False)

    def line(self, text: str = "") -> None:
        """One line as it is (the caller keeps it short: a heading)."""
        self.lines.append(safe_terminal(text).rstrip())

    def paragraph(self, text: str, indent: int = 0, hanging: int = 2) -> None:
        """Prose wrapped at spaces and between Chinese characters; lines after the first
        indented ``hanging`` more."""
        text = safe_terminal("" if text is None else text)
        if self.width is None:
            self.lines.append(" " * indent + text)
            return
        for i, part in enumerate(wrap(text, self.width - indent, self.width - indent - hanging)):
            self.lines.append(" " * (indent if i == 0 else indent + hanging) + part)

    def table(self, headers: Sequence[str], rows: Iterable[Sequence[Any]], *, indent: int = 0,
              wrap: Sequence[int] = (), right: Sequence[int] = (), keep: Sequence[int] = ()) -> None:
        """A table: a header, a rule under it, one row per entry. When the table is wider than
        the terminal, the cells of the columns in ``wrap`` wrap (all columns when none is
        named); the other columns keep their width while they fit. A column in ``keep`` never
        wraps (an item id)."""
        cells = [[safe_terminal(h) for h in headers]]
        cells += [[safe_terminal("" if v is None else v) for v in row] for row in rows]
        natural = [max(display_width(line) for row in cells for line in (row[i].splitlines() or [""]))
                   for i in range(len(headers))]
        fixed = {i for i in range(len(headers)) if i in keep or (wrap and i not in wrap)}
        if self.width is not None and sum(natural[i] + 2 for i in fixed) + 12 * (len(headers) - len(fixed)) > \
                self.width - indent:
            fixed = set(keep)  # too narrow to keep them all: every column may wrap
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1), expand=False,
                      show_header=True, header_style="", border_style="", collapse_padding=True)
        for i, header in enumerate(cells[0]):
            table.add_column(header, overflow="fold", no_wrap=i in fixed, justify="right" if i in right else "left")
        for row in cells[1:]:
            table.add_row(*(Text(v) for v in row))
        console = self._console
        if self.width is not None:
            console.width = max(MIN_WIDTH, self.width - indent)
        buffer = io.StringIO()
        console.file = buffer
        console.print(table)
        console.width = self.width or UNBOUNDED
        for out in buffer.getvalue().splitlines():
            out = out.rstrip()
            if out:
                self.lines.append(" " * indent + out)

    def grid(self, cells: Sequence[str], indent: int = 2, gap: int = 3) -> None:
        """Short cells (``name count``) in as many aligned columns as fit, read down the columns;
        unbounded: one line."""
        cells = [safe_terminal(x) for x in cells]
        if not cells:
            return
        if self.width is None:
            self.lines.append(" " * indent + ", ".join(cells))
            return
        cell = max(display_width(x) for x in cells)
        if indent + cell > self.width:
            for x in cells:
                self.paragraph(x, indent=indent)
            return
        per_line = max(1, (self.width - indent + gap) // (cell + gap))
        lines = -(-len(cells) // per_line)
        for r in range(lines):
            row = [cells[k * lines + r] for k in range(per_line) if k * lines + r < len(cells)]
            self.lines.append((" " * indent + (" " * gap).join(x + " " * (cell - display_width(x)) for x in row)).rstrip())

    def text(self) -> str:
        while self.lines and not self.lines[-1]:
            self.lines.pop()
        return "\n".join(self.lines) + "\n"
