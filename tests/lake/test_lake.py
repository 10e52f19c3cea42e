"""Data-lake inputs: Delta Lake tables and an S3-compatible object store (moto, on localhost)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scanner.engines.local import scan

ROOT = Path(__file__).resolve().parents[2]


def people_table(people, start: int, stop: int) -> pa.Table:
    return pa.table({"证件号码": [p["id"] for p in people[start:stop]], "手机": [p["phone"] for p in people[start:stop]]})


def test_delta_table_reads_its_current_version(tmp_path, people):
    deltalake = pytest.importorskip("deltalake", reason="the lake extra (deltalake) is not installed")
    table_path = tmp_path / "lake" / "owners"
    deltalake.write_deltalake(str(table_path), people_table(people, 0, 40))
    deltalake.write_deltalake(str(table_path), people_table(people, 0, 10), mode="overwrite")  # version 1: 10 persons
    report = scan([str(table_path)])
    assert report.files[0].format == "delta"
    assert {c.name: c.entity for c in report.files[0].columns} == {"证件号码": "CN_RESIDENT_ID", "手机": "CN_MOBILE_PHONE"}
    assert report.persons.personal == 10  # the files the overwrite removed are not counted


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    pytest.importorskip("moto", reason="moto[server] is not installed")
    pytest.importorskip("s3fs", reason="s3fs (the lake extra) is not installed")
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield url
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def s3_env(s3_server, monkeypatch):
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ENDPOINT_URL": s3_server}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


def test_scan_an_s3_prefix(s3_env, tmp_path, people):
    import s3fs

    fs = s3fs.S3FileSystem(client_kwargs={"endpoint_url": s3_env["AWS_ENDPOINT_URL"]})
    fs.mkdir("exports")
    with fs.open("exports/2026/owners.csv", "wb") as f:
        f.write(("证件号码,手机\n" + "".join(f"{p['id']},{p['phone']}\n" for p in people[:30])).encode("gb18030"))
    local = tmp_path / "members.parquet"
    pq.write_table(people_table(people, 20, 40), local)
    fs.put(str(local), "exports/2026/members.parquet")

    # Through the real CLI, in a subprocess: the endpoint comes from the environment.
    out = tmp_path / "report.json"
    result = subprocess.run([sys.executable, "-m", "scanner.cli", "scan", "s3://exports/2026/", "--format", "json",
                             "-o", str(out), "--quiet"], cwd=ROOT, env={**os.environ, **s3_env},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 10, result.stderr
    report = json.loads(out.read_text())
    assert sorted(f["path"] for f in report["files"]) == ["s3://exports/2026/members.parquet", "s3://exports/2026/owners.csv"]
    assert {f["encoding"] for f in report["files"] if f["format"] == "csv"} == {"gb18030"}
    assert report["persons"]["personal"] == 40  # ten persons in both files count once


def test_a_missing_bucket_is_a_one_line_error(s3_env, tmp_path):
    result = subprocess.run([sys.executable, "-m", "scanner.cli", "scan", "s3://no-such-bucket/x/", "--format", "json",
                             "--quiet"], cwd=ROOT, env={**os.environ, **s3_env}, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert any(line.startswith("s3://no-such-bucket/x/: ") for line in result.stderr.splitlines())


def test_a_delta_table_inside_a_scanned_folder_is_read_as_a_table(tmp_path, people):
    deltalake = pytest.importorskip("deltalake", reason="the lake extra (deltalake) is not installed")
    folder = tmp_path / "exports"
    deltalake.write_deltalake(str(folder / "owners"), people_table(people, 0, 40))
    deltalake.write_deltalake(str(folder / "owners"), people_table(people, 0, 10), mode="overwrite")
    (folder / "notes.csv").write_text("phone\n" + people[39]["phone"] + "\n")
    report = scan([folder])
    assert sorted((f.path.rsplit("/", 1)[-1], f.format) for f in report.files) == [("notes.csv", "csv"), ("owners", "delta")]
    assert report.persons.personal == 11  # ten in the table's current version, one in notes.csv
