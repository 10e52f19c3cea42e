"""The ``chujing`` logger's output: plain lines, or JSON lines for schedulers (``--log-json``).

Used by the CLI and by the Spark submit script alike; messages never hold a value from the data.
"""

from __future__ import annotations

import json
import logging
import sys


class JsonLogFormatter(logging.Formatter):
    """One JSON object a line: time, level, message, and the record's ``fields`` (a file's
    progress: ``file``, ``index``, ``total``, ``bytes``, ``status``)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": self.formatTime(record), "level": record.levelname.lower(), "message": record.getMessage()}
        line.update(getattr(record, "fields", None) or {})
        return json.dumps(line, ensure_ascii=False)


def setup_logging(level: str = "warning", json_lines: bool = False) -> None:
    logger = logging.getLogger("chujing")
    logger.handlers.clear()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLogFormatter() if json_lines else logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(getattr(logging, level.upper(), logging.WARNING))
    logger.propagate = False
