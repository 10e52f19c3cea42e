"""Writing a report where it was asked for, in the language asked for: a file, or stdout.

The CLI and the Spark submit script both write reports through here.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from scanner.report.model import Report


def lang_from_environment(environ: dict[str, str] | None = None) -> str:
    """The report language a locale asks for: the first of ``LC_ALL``, ``LC_MESSAGES`` and
    ``LANG`` that is set (the POSIX order), ``zh`` when it starts with zh, else ``en``.

    >>> lang_from_environment({"LANG": "zh_CN.UTF-8"}), lang_from_environment({"LANG": "zh_CN.UTF-8", "LC_ALL": "C"})
    ('zh', 'en')
    """
    environ = os.environ if environ is None else environ
    for key in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if environ.get(key):
            return "zh" if environ[key].lower().startswith("zh") else "en"
    return "en"


def report_text(report: Report, fmt: str, lang: str | None = None, width: int | None = None) -> str:
    """``report`` drawn in ``fmt`` in ``lang`` (the locale's when None), ending with a new line;
    ``width``: a terminal's columns for a table."""
    from scanner.report.render import render_report

    text = render_report(report, fmt, lang=lang or lang_from_environment(), width=width)
    return text if text.endswith("\n") else text + "\n"


def write_report(report: Report, fmt: str, output: str | None, lang: str | None = None, width: int | None = None,
                 stdout: Callable[[str], object] | None = None) -> None:
    """``report`` drawn in ``fmt`` and written to ``output`` (``stdout`` when None: by default
    ``sys.stdout``), in ``lang`` (the locale's when None). ``OSError`` when the file cannot be
    written."""
    text = report_text(report, fmt, lang, width)
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
    elif stdout is not None:
        stdout(text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
