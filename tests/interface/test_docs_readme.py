"""Docs that cannot drift: the README's example outputs are what the current code prints, and a
Markdown report never prints an empty field.

Each ```text block of README.md that starts with ``$ chujing ...`` is run as written, from the
repository's folder, on a terminal ``COLUMNS`` wide (100, as the README says); the block must
be the output's first lines (a last line ``…`` marks the rest as left out). The year is the
only thing allowed to differ. ``CHUJING_UPDATE_README=1`` rewrites the blocks from the output.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
COLUMNS = 100
BLOCK = re.compile(r"```text\n(\$ chujing [^\n]*)\n(.*?)```", re.S)
ELIDED = "…"


def chujing(args: list[str], env: dict[str, str] | None = None, cwd: Path = REPO) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LANG", "LC_ALL", "LC_MESSAGES")}
    environ.update(env or {})
    return subprocess.run([sys.executable, "-m", "scanner.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env=environ, timeout=600, check=False)


def examples() -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in BLOCK.finditer(README.read_text(encoding="utf-8"))]


def _same_year(text: str) -> str:
    return re.sub(r"\b20\d\d\b", "YYYY", text)


def test_the_readme_has_example_outputs():
    commands = [command for command, _ in examples()]
    assert any(" scan " in c for c in commands) and any("--lang zh" in c for c in commands), commands


@pytest.mark.parametrize("command", [c for c, _ in examples()] or ["(none)"])
def test_a_readme_example_is_what_the_code_prints(command):
    shown = dict(examples())[command]
    args = shlex.split(command[len("$ chujing "):])
    run = chujing(args, env={"COLUMNS": str(COLUMNS)})
    assert "Traceback" not in run.stderr, run.stderr[-2000:]
    printed = run.stdout.rstrip("\n").splitlines()
    lines = shown.rstrip("\n").splitlines()
    elided = bool(lines) and lines[-1].strip() == ELIDED
    if elided:
        lines = lines[:-1]
    if os.environ.get("CHUJING_UPDATE_README") == "1":
        new = "\n".join(printed[:len(lines)] if elided else printed) + ("\n" + ELIDED if elided else "") + "\n"
        text = README.read_text(encoding="utf-8").replace(f"{command}\n{shown}", f"{command}\n{new}", 1)
        README.write_text(text, encoding="utf-8")
        return
    expected = [_same_year(line) for line in lines]
    actual = [_same_year(line) for line in (printed[:len(lines)] if elided else printed)]
    assert actual == expected, ("README.md shows an output the code no longer prints; rerun with "
                                "CHUJING_UPDATE_README=1 and read the difference")


def test_a_markdown_report_prints_no_empty_field(tmp_path):
    sample = REPO / "sample_data" / "automotive"
    for name in ("vehicle_tracks.parquet", "tbox_accounts.csv"):
        shutil.copy(sample / name, tmp_path / name)
    run = chujing(["scan", str(tmp_path), "--sector", "automotive", "--scenario", "vehicle_rd", "--format", "md",
                   "--quiet"], cwd=tmp_path)
    assert run.returncode in (0, 10, 20, 30), run.stderr[-2000:]
    md = run.stdout
    assert "parquet, 1,824 rows" in md  # a Parquet file has no encoding: none is printed
    assert "csv, utf-8, 763 rows" in md
    for line in md.splitlines():
        assert not re.search(r"(^|[,(] ?), |, ?$|\(\s*\)", line), f"an empty field: {line!r}"
        if line.startswith("|"):
            cells = re.split(r"(?<!\\)\|", line)[1:-1]
            assert all(cell.strip() for cell in cells), f"an empty cell: {line!r}"
