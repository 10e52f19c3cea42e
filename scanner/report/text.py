"""What every drawing of a report shares: terminal widths (CJK characters take two columns),
control characters dropped, counts written out, the items that triggered."""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scanner.report.model import Report


def display_width(text: str) -> int:
    """Terminal columns taken by ``text`` (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def clip(text: str, width: int) -> str:
    if display_width(text) <= width:
        return text
    out = ""
    for ch in text:
        if display_width(out + ch) > width - 1:
            break
        out += ch
    return out + "…"


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x1b]")


def safe_terminal(text: Any) -> str:
    """Drop control characters (terminal escape injection from a column name)."""
    return _CONTROL.sub("?", str(text))


def text_table(headers: list[str], rows: list[list[Any]], max_width: int = 40) -> str:
    cells = [[clip(safe_terminal("" if v is None else v), max_width) for v in row] for row in rows]
    widths = [display_width(h) for h in headers]
    for row in cells:
        for i, v in enumerate(row):
            widths[i] = max(widths[i], display_width(v))
    def join(values: list[str]) -> str:
        return "  ".join(pad(v, widths[i]) for i, v in enumerate(values)).rstrip()

    rule = "  ".join("─" * w for w in widths)
    return "\n".join([join(headers), rule, *(join(row) for row in cells)])


def fmt_count(n: Any) -> str:
    return f"{n:,}" if isinstance(n, int) else ("—" if n is None else str(n))


def triggered_items(report: Report) -> list[dict[str, Any]]:
    return [i for i in report.items if i.get("triggered")]
