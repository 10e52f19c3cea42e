"""Many small files prepared by two processes (``scanner.engines.local``, ``scanner.engines.workers``).

A folder of many small files is shared with a worker process, group by group; the main process
counts every file in file order. The report must be the one a single process writes (timings
aside), a bad file among them fails alone with the same line, and ``--log-json`` names the files
in their order. The thresholds are lowered so that a few dozen files make several groups.
"""

from __future__ import annotations

import json
import os
import random
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "interface"))  # no conftest there

from interrupting import interrupt_when  # noqa: E402

from scanner.cli import main  # noqa: E402
from scanner.engines import local

ROOT = Path(__file__).resolve().parents[2]
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _resident_id(rng: random.Random) -> str:
    body = f"310104{rng.randint(1950, 2020)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def _write_folder(folder, rng: random.Random, files: int = 60) -> list[str]:
    """Small exports of a few shapes, with an empty file, a broken one, a GBK one and a header
    only; the names in file order."""
    people = [(f"王{'小明华伟静'[k % 5]}", _resident_id(rng), f"13{rng.randint(5, 9)}{rng.randrange(10**8):08d}")
              for k in range(40)]
    headers = ["姓名,身份证号,手机号", "name,id_number,mobile", "客户,证件号码,联系电话"]
    for i in range(files):
        rows = [rng.choice(people) for _ in range(rng.randint(1, 4))]
        header = headers[i % len(headers)] if i % 7 else "编号,备注"
        if i % 7:
            lines = [header] + [f"{n},{p},{m}" for n, p, m in rows]
        else:
            lines = [header] + [f"{k},{rng.choice(['ok', '待定', ''])}" for k in range(3)]
        (folder / f"part-{i:03d}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "part-010.csv").write_text("", encoding="utf-8")  # empty: fails alone
    (folder / "part-023.csv").write_text("姓名,手机号\n王华,13800138000\nx,y,z,w\n", encoding="utf-8")  # ragged
    (folder / "part-031.csv").write_bytes(f"姓名,身份证号\n李静,{people[3][1]}\n".encode("gbk"))
    (folder / "part-044.csv").write_text("姓名,身份证号,手机号\n", encoding="utf-8")  # header only
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def many_groups(monkeypatch):
    """Worker for a few dozen files, in groups of 8, and the scan waits for it to be up."""
    monkeypatch.setattr(local, "PARALLEL_FILES", 20)
    monkeypatch.setattr(local, "PARALLEL_GROUP_FILES", 8)
    monkeypatch.setattr(local, "GROUP_FILES", 8)
    monkeypatch.setattr(local, "WORKER_WAIT", 60.0)


def _scan(args: list[str], jobs: int, env: dict[str, str] | None = None):
    result = CliRunner().invoke(main, ["scan", *args, "--format", "json"], env={"CHUJING_JOBS": str(jobs), **(env or {})})
    assert result.exit_code in (1, 10, 20), result.output[-2000:]
    report = json.loads(result.stdout)
    timing = report.pop("timing")
    return report, timing, result


def test_two_processes_report_what_one_reports(tmp_path, many_groups):
    folder = tmp_path / "exports"
    folder.mkdir()
    names = _write_folder(folder, random.Random(11))
    args = [str(folder), "--log-json", "--log-level", "info"]
    two, timing, run = _scan(args, jobs=2)
    assert timing.get("worker_files", 0) > 0  # the worker did prepare files
    one, timing_one, _ = _scan(args, jobs=1)
    assert "worker_files" not in timing_one
    assert two == one
    errors = {f["path"].rsplit("/", 1)[-1]: f["error"] for f in two["files"] if f["error"]}
    assert set(errors) == {"part-010.csv", "part-023.csv"}, errors
    assert all("\n" not in e for e in errors.values())
    gbk = next(f for f in two["files"] if f["path"].endswith("part-031.csv"))
    assert gbk["encoding"] == "gb18030" and gbk["columns"][1]["entity"] == "CN_RESIDENT_ID"
    # --log-json: one line per file, in file order
    lines = [json.loads(line) for line in run.stderr.splitlines() if line.startswith("{")]
    logged = [line["file"].rsplit("/", 1)[-1] for line in lines if "file" in line and "status" in line]
    assert logged == names


def test_two_processes_full_scan_and_record(tmp_path, many_groups):
    folder = tmp_path / "exports"
    folder.mkdir()
    _write_folder(folder, random.Random(5), files=40)
    env = {"CHUJING_LEDGER_KEY": "22" * 32}
    reports = []
    for jobs in (2, 1):
        ledger = tmp_path / f"ledger-{jobs}.db"
        report, timing, _ = _scan([str(folder), "--full", "--ledger", str(ledger), "--record", "--transfer-id", "T-1"],
                                  jobs=jobs, env=env)
        assert ("worker_files" in timing) == (jobs == 2)
        reports.append(report)
    assert reports[0] == reports[1]
    assert reports[0]["persons"]["personal"] > 0 and reports[0]["persons"]["year_to_date"]


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8") as fh:
                    stat = fh.read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc to find the worker")
def test_ctrl_c_with_the_worker_running_exits_130_with_one_line_and_ends_it(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    _write_folder(folder, random.Random(2), files=120)
    # the real command, with the tuning of the fixture above: the worker is up before the first group
    code = ("import scanner.engines.local as L; L.PARALLEL_FILES = 20; L.PARALLEL_GROUP_FILES = L.GROUP_FILES = 8; "
            "L.WORKER_WAIT = 60.0; from scanner.cli import run; run()")
    env = dict(os.environ, PYTHONUNBUFFERED="1", CHUJING_JOBS="2")
    workers: list[int] = []

    def find_the_worker(proc):
        workers.extend(_children(proc.pid))
        assert workers, "no worker process"

    returncode, out, err = interrupt_when([sys.executable, "-c", code, "scan", str(folder), "--format", "json",
                                           "--log-json", "--log-level", "info"], b"file 20 of",
                                          cwd=ROOT, env=env, before=find_the_worker)
    assert returncode == 130
    assert out == b""
    # the files' log lines (a broken file's error among them) written before the signal, then one line
    lines = err.decode().strip().splitlines()
    assert lines[-1] == "chujing: interrupted" and all(line.startswith("{") for line in lines[:-1]), lines[-3:]
    assert b"Traceback" not in err
    assert not any(os.path.exists(f"/proc/{pid}") for pid in workers)  # ended and reaped
