"""The terminal, through the real CLI: reports and ``rules list`` fit 80 and 200 columns with
nothing cut; the progress shows on a terminal (a pseudo-terminal here) with the bytes, the
percentage, the rate, the time left and the file (masked), and stays quiet in a pipe;
``--log-json`` names each file and whether it was read or taken from the state."""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import struct
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_data" / "automotive"
CONTEXT = ["--sector", "automotive", "--scenario", "vehicle_rd", "--ftz", "beijing"]


def chujing(*args: str, env: dict[str, str] | None = None, cwd: Path = REPO) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LANG", "LC_ALL", "LC_MESSAGES")}
    environ.update(env or {})
    return subprocess.run([sys.executable, "-m", "scanner.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env=environ, timeout=600, check=False)


def width(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("terminal") / "exports"
    folder.mkdir()
    for name in ("owners_gb18030.csv", "tbox_accounts.csv"):
        shutil.copy(SAMPLE / name, folder / name)
    return folder


@pytest.fixture(scope="module")
def report(export) -> dict:
    run = chujing("scan", str(export), *CONTEXT, "--format", "json", "--quiet", cwd=export.parent)
    assert run.returncode == 20, run.stderr[-2000:]
    return json.loads(run.stdout)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("columns", [80, 200])
def test_the_table_fits_the_terminal_and_cuts_nothing(export, report, columns, lang):
    run = chujing("scan", str(export), *CONTEXT, "--format", "table", "--quiet", "--lang", lang,
                  env={"COLUMNS": str(columns)}, cwd=export.parent)
    assert run.returncode == 20, run.stderr[-2000:]
    lines = run.stdout.splitlines()
    too_wide = [line for line in lines if width(line) > columns]
    assert not too_wide, f"{len(too_wide)} line(s) wider than {columns} columns: {too_wide[:3]}"
    assert "…" not in run.stdout  # nothing clipped
    flat = squeeze(run.stdout)
    triggered = [i for i in report["items"] if i["triggered"]]
    assert triggered
    for item in triggered:  # every reason whole, however long
        assert squeeze(item["reason"][lang]) in flat, item["id"]
    for f in report["files"]:  # every column named, personal or not (a long name wraps in its cell at 80)
        for c in f["columns"]:
            assert squeeze(c["name"]) in flat or (columns < 100 and c["entity"]), c["name"]
        others = [c["name"] for c in f["columns"] if not c["entity"]]
        assert squeeze(("、" if lang == "zh" else ", ").join(others)) in flat
    # persons by entity: each name and its count together on one line
    if lang == "en":
        for entity, n in report["persons"]["by_entity"].items():
            assert any(f"{entity} {n:,}" in line for line in lines), entity
    else:
        assert "各类数据涉及的人数" in run.stdout and "居民身份证号" in run.stdout


def test_not_personal_columns_wrap_under_their_heading(export, report):
    run = chujing("scan", str(export), *CONTEXT, "--format", "table", "--quiet", env={"COLUMNS": "60"},
                  cwd=export.parent)
    lines = run.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("  Not personal:"))
    block = [lines[start]] + [line for line in lines[start + 1:start + 20] if line.startswith("    ")]
    tbox = next(f for f in report["files"] if f["path"].endswith("tbox_accounts.csv"))
    assert all(width(line) <= 60 for line in block)
    others = [c["name"] for c in tbox["columns"] if not c["entity"]]
    assert others and all(name in " ".join(run.stdout.split()) for name in others)


@pytest.mark.parametrize("columns", [80, 200])
def test_rules_list_is_aligned_and_fits(columns):
    run = chujing("rules", "list", "--ruleset", "beijing-ftz-2024", env={"COLUMNS": str(columns)})
    assert run.returncode == 0, run.stderr[-2000:]
    lines = run.stdout.splitlines()
    assert all(width(line) <= columns for line in lines), max(lines, key=width)
    rows = [line for line in lines if re.match(r"[a-z_]+\.\d+ ", line)]
    assert len(rows) == 48
    # the second column starts at one place in every row
    starts = {len(re.match(r"\S+\s+", line).group()) for line in rows}
    assert len(starts) == 1, starts
    if columns >= 200:  # ids, categories, paths and thresholds whole on a wide screen
        assert any(line.startswith("automotive.11 ") and "standard_contract_or_certification" in line
                   and "sensitive < 10000" in line for line in rows)


@pytest.mark.parametrize("columns", [80, 200])
def test_detectors_list_fits_with_every_description_whole(columns):
    from click.testing import CliRunner

    from scanner.cli import main

    result = CliRunner().invoke(main, ["detectors"], env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert all(width(line) <= columns for line in lines), max(lines, key=width)
    listed = json.loads(CliRunner().invoke(main, ["detectors", "--format", "json"]).output)["detectors"]
    flat = squeeze(result.output)
    for row in listed:  # every entity on a line of its own with its facts, its description whole
        assert any(line.startswith(row["entity"] + " ") and row["category"] in line for line in lines), row["entity"]
        assert squeeze(row["description"]) in flat, row["entity"]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("columns", [80, 200])
def test_the_plan_fits_the_terminal_and_cuts_nothing(export, columns, lang):
    from click.testing import CliRunner

    from scanner.cli import main

    args = ["plan", str(export / "owners_gb18030.csv"), *CONTEXT, "--format", "table", "--lang", lang, "--no-search",
            "-q"]
    result = CliRunner().invoke(main, args, env={"COLUMNS": str(columns), "LANG": "C.UTF-8"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    too_wide = [line for line in lines if width(line) > columns]
    assert not too_wide, f"{len(too_wide)} line(s) wider than {columns} columns: {too_wide[:3]}"
    assert "…" not in result.output
    md = CliRunner().invoke(main, [*args[:-4], "--format", "md", "--lang", lang, "--no-search", "-q"],
                            env={"LANG": "C.UTF-8"}).output
    # every sentence whole; every character of the tables' cells drawn (a cell wraps in its
    # column, between the lines of its neighbours, but loses nothing)
    from collections import Counter

    flat = squeeze(result.output)
    prose = [line.lstrip("-# ").strip() for line in md.splitlines() if line and not line.startswith("|")]
    missing = [p for p in prose if squeeze(p).lower() not in flat.lower()]
    assert not missing, missing[:3]
    cells = "".join(line for line in md.splitlines() if line.startswith("| ") and not line.startswith("|---"))
    lost = Counter(squeeze(cells.replace("|", ""))) - Counter(flat)
    assert not lost, lost


# --- progress -----------------------------------------------------------------------------------

def _in_pty(args: list[str], cwd: Path, columns: int = 120) -> tuple[int, str, str]:
    """Run the CLI with stderr on a pseudo-terminal ``columns`` wide (stdout to a pipe)."""
    import fcntl
    import pty
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    environ = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LANG", "LC_ALL")}
    environ["TERM"] = "xterm"
    proc = subprocess.Popen([sys.executable, "-m", "scanner.cli", *args], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=slave, cwd=cwd, env=environ)
    os.close(slave)
    screen = b""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed its end
                break
            if not chunk:
                break
            screen += chunk
        elif proc.poll() is not None:
            break
    out = proc.stdout.read().decode()
    code = proc.wait(timeout=60)
    os.close(master)
    return code, out, screen.decode("utf-8", "replace")


def _named_export(folder: Path) -> tuple[Path, str]:
    """An export whose file name is a person's ID number (it must show masked)."""
    from detectors.cn_resident_id import check_char

    first17 = "11010519850307123"
    person_id = first17 + check_char(first17)
    folder.mkdir(exist_ok=True)
    path = folder / f"{person_id}.csv"
    head, _, rows = (SAMPLE / "owners_gb18030.csv").read_bytes().partition(b"\n")
    path.write_bytes(head + b"\n" + rows * 20)  # ~5 MB: read in several blocks, so a rate is measured
    return path, person_id


def test_progress_on_a_terminal_shows_bytes_percent_rate_time_left_and_the_masked_file(tmp_path):
    path, person_id = _named_export(tmp_path / "exports")
    code, out, screen = _in_pty(["scan", str(path.parent), *CONTEXT, "--format", "json"], cwd=tmp_path)
    assert code in (10, 20), screen[-2000:]
    json.loads(out)  # the report went to stdout whole
    assert person_id not in screen, "the file name's ID number reached the terminal"
    assert f"********{person_id[-4:]}.csv" in screen  # the file, masked
    assert re.search(r"\d+%", screen)                      # percent
    assert re.search(r"\d+(\.\d+)?/\d+(\.\d+)? ?[kMG]?B", screen)  # bytes done of all inputs
    assert re.search(r"[\d.]+ ?[kMG]?B/s", screen)          # rate
    assert re.search(r"\d+:\d\d:\d\d|-:--:--", screen)       # time left
    assert "Traceback" not in screen


def test_no_progress_in_a_pipe(tmp_path):
    path, _ = _named_export(tmp_path / "exports")
    run = chujing("scan", str(path.parent), *CONTEXT, "--format", "json", cwd=tmp_path)
    assert run.returncode in (10, 20)
    assert run.stderr == "", run.stderr[-500:]


def test_log_json_names_each_file_and_whether_it_was_read_or_cached(tmp_path):
    path, person_id = _named_export(tmp_path / "exports")
    shutil.copy(SAMPLE / "tbox_accounts.csv", path.parent / "tbox_accounts.csv")
    args = ["scan", str(path.parent), *CONTEXT, "--format", "json", "-o", str(tmp_path / "r.json"),
            "--state", str(tmp_path / "state.db"), "--log-json"]

    def file_lines(run):
        lines = [json.loads(line) for line in run.stderr.splitlines() if line.strip()]
        return [line for line in lines if "file" in line]

    first = chujing(*args, cwd=tmp_path)
    assert first.returncode in (10, 20), first.stderr[-2000:]
    assert person_id not in first.stderr
    lines = file_lines(first)
    assert {line["status"] for line in lines} == {"scanned"} and len(lines) == 2
    assert any(line["file"].endswith("********" + person_id[-4:] + ".csv") for line in lines)
    assert all(line["total"] == 2 and "bytes" in line for line in lines)
    second = chujing(*args, cwd=tmp_path)
    assert {line["status"] for line in file_lines(second)} == {"cached"}
    third = chujing(*args, "--rescan", cwd=tmp_path)
    assert {line["status"] for line in file_lines(third)} == {"rescanned"}
