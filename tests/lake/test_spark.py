"""``--engine spark`` gives the local engine's report, figure for figure.

Both engines scan the same inputs (``sample_data/`` and a small set of files whose persons are
linked across files, encodings and formats) and every part of the reports is compared: each
column's classification and profile, persons (by entity, by subject role, keyless rows,
minors), important data, items and verdict. Only the timing differs.

Runs Spark in local mode (``local[2]``, one session for the module); skipped when PySpark or
Java is missing (``.ci/install-spark.sh`` installs Java, ``pip install -e '.[spark]'`` PySpark).
"""

from __future__ import annotations

import datetime as _dt
import gzip
import os
import random
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

pytest.importorskip("pyspark", reason="PySpark is not installed (pip install -e '.[spark]')")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("no Java runtime for Spark (bash .ci/install-spark.sh installs one)", allow_module_level=True)

from detectors.cn_resident_id import check_char  # noqa: E402
from scanner.engines import local as pipeline  # noqa: E402
from scanner.engines import spark as spark_engine  # noqa: E402
from scanner.engines.local import ScanOptions, scan  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")

SAMPLE_DATA = Path(__file__).resolve().parents[2] / "sample_data"
SCAN_DATE = _dt.date(2026, 11, 27)


@pytest.fixture(scope="module")
def spark():
    session = spark_engine.spark_session("local[2]")
    yield session
    session.stop()


def comparable(report) -> dict:
    """The report as JSON, without what may differ between two runs (the timing)."""
    d = report.to_dict()
    d.pop("timing", None)
    return d


def differences(a, b, path: str = "report") -> list[str]:
    """Where two JSON documents differ, as short readable lines (for the failure message)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in list(a) + [k for k in b if k not in a]:
            out += differences(a.get(k, "<missing>"), b.get(k, "<missing>"), f"{path}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: local {str(a)[:120]!r} != spark {str(b)[:120]!r}"]


def assert_same(local, spark_report) -> None:
    diff = differences(comparable(local), comparable(spark_report))
    assert not diff, "the engines disagree:\n" + "\n".join(diff[:30])
    # Same order too: JSON output and the HTML report follow dict order.
    assert list(local.persons.by_entity) == list(spark_report.persons.by_entity)
    assert list(local.persons.by_subject) == list(spark_report.persons.by_subject)


def test_sample_data_same_report(spark, monkeypatch):
    """Every sector's sample exports: GB18030, BOM, gzip, pipes, TSV, Parquet, free text, media."""
    monkeypatch.setattr(spark_engine, "DRIVER_COMPONENTS_MAX_EDGES", 0)  # link persons in Spark itself
    options = dict(sector="automotive", scenario="vehicle_rd", scan_date=SCAN_DATE)
    local = scan([str(SAMPLE_DATA)], ScanOptions(**options))
    distributed = spark_engine.scan_spark([str(SAMPLE_DATA)], ScanOptions(**options), spark=spark)
    assert_same(local, distributed)
    assert distributed.persons.personal > 1000 and distributed.verdict["path"] != "none"
    timing = distributed.extra["timing"]
    assert timing["engine"] == "spark" and timing["spark"]["components"] == "spark"
    assert timing["spark"]["tasks"] == sum(1 for f in local.files if f.format is not None or f.error)


# --- persons linked across files -----------------------------------------------------------------

def resident_id(rng: random.Random, birth: _dt.date) -> str:
    first17 = f"110105{birth:%Y%m%d}{rng.randint(0, 999):03d}"
    return first17 + check_char(first17)


def phone(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randint(0, 999_999_999):09d}"


@pytest.fixture(scope="module")
def linked_files(tmp_path_factory) -> Path:
    """Forty persons spread over four files; the even ones are chained across three files.

    * ``visits.csv`` (UTF-8): name, mobile, resident ID;
    * ``claims.csv.gz`` (GB18030, gzip): name, resident ID, e-mail — even persons only;
    * ``patients.parquet``: e-mail, a second mobile, birth date (a few children);
    * ``notes.txt`` (pipe-separated): names and genders only — rows without any key.

    An even person is one row chain: mobile — ID (visits) — ID — e-mail (claims) — e-mail —
    second mobile (patients), so 20 persons; each odd person is two unlinked persons.
    """
    rng = random.Random(20261127)
    root = tmp_path_factory.mktemp("linked")
    surnames, given = "王李张刘陈杨黄赵吴周", "伟芳娜敏静丽强磊军洋"
    people = []
    for i in range(40):
        child = i % 9 == 0
        birth = _dt.date(2018 if child else rng.randint(1950, 2000), rng.randint(1, 12), rng.randint(1, 28))
        people.append({"name": rng.choice(surnames) + rng.choice(given) + rng.choice(given), "mobile": phone(rng),
                       "id": resident_id(rng, birth), "email": f"user{i:03d}@example.cn", "mobile2": phone(rng),
                       "birth": birth, "gender": rng.choice("男女")})
    with open(root / "visits.csv", "w", encoding="utf-8", newline="") as f:
        f.write("姓名,手机号,身份证号,就诊序号\n")
        for i, p in enumerate(people + people[:10]):  # some persons visit twice
            f.write(f"{p['name']},{p['mobile']},{p['id']},V{i:05d}\n")
    text = "姓名,身份证号,电子邮箱,理赔金额\n" + "".join(
        f"{p['name']},{p['id']},{p['email']},{rng.randint(100, 9999)}.00\n" for p in people[::2])
    (root / "claims.csv.gz").write_bytes(gzip.compress(text.encode("gb18030"), mtime=0))
    pq.write_table(pa.table({
        "email": [p["email"] for p in people],
        "mobile": [p["mobile2"] for p in people],
        "birth_date": pa.array([p["birth"] for p in people], pa.date32()),
        "ward": [f"W{rng.randint(1, 9)}" for _ in people],
    }), root / "patients.parquet")
    with open(root / "notes.txt", "w", encoding="utf-8") as f:
        f.write("姓名|性别|备注编号\n")
        for i in range(25):
            f.write(f"{rng.choice(surnames)}{rng.choice(given)}|{rng.choice('男女')}|N{i:04d}\n")
    return root


@pytest.mark.parametrize(("components", "policy"), [("spark", "each_row_is_a_person"), ("driver", "ignore_keyless")])
def test_linked_across_files_same_report(spark, linked_files, monkeypatch, policy, components):
    monkeypatch.setattr(spark_engine, "DRIVER_COMPONENTS_MAX_EDGES", 0 if components == "spark" else 10**6)
    if components == "driver":
        monkeypatch.setattr(spark_engine, "MAX_TASKS", 2)  # four inputs, two per task
    options = dict(sector="pharmaceutical", scenario="clinical_trial", scan_date=SCAN_DATE, keyless_policy=policy,
                   subjects={"visits.csv": "trial_subject", "patients.parquet": "patient"})
    local = scan([str(linked_files)], ScanOptions(**options))
    distributed = spark_engine.scan_spark([str(linked_files)], ScanOptions(**options), spark=spark)
    assert_same(local, distributed)
    assert distributed.extra["timing"]["spark"]["components"] == components
    assert distributed.extra["timing"]["spark"]["tasks"] == (4 if components == "spark" else 2)
    # The chains were followed across the files: 20 even persons + 2 × 20 odd ones.
    keyless = distributed.persons.keyless_rows if policy == "each_row_is_a_person" else 0
    assert distributed.persons.personal == 60 + keyless
    assert set(distributed.persons.by_subject) == {"trial_subject", "patient"}
    assert distributed.persons.minors > 0


def test_children_by_their_ages_same_report(spark, tmp_path):
    """A roster with names and ages but no ID number: the ages under 14 make children in Spark
    as they do locally."""
    roster = tmp_path / "roster.csv"
    roster.write_text("姓名,年龄,家长手机\n" + "".join(f"{'赵钱孙李'[i % 4]}{'伟芳娜敏静'[i % 5]}{'强磊军'[i % 3]},{6 + i},"
                                                  f"139{52_000_000 + 7919 * i:08d}\n" for i in range(12)),
                      encoding="utf-8")
    options = dict(sector="other", scenario="other", scan_date=SCAN_DATE)
    local = scan([str(roster)], ScanOptions(**options))
    distributed = spark_engine.scan_spark([str(roster)], ScanOptions(**options), spark=spark)
    assert_same(local, distributed)
    # ages 6 to 17: those from 6 to 13 are children
    assert (distributed.persons.personal, distributed.persons.minors, distributed.persons.sensitive) == (12, 8, 8)


def _file_log_lines(run) -> list[dict]:
    """The ``--log-json`` lines a scan writes about its files (the CLI's JsonLinesProgress on
    the ``chujing`` logger), without their time."""
    import json
    import logging

    from scanner.cli.progress import JsonLinesProgress
    from scanner.logs import JsonLogFormatter

    lines: list[dict] = []

    class Keep(logging.Handler):
        def emit(self, record):
            lines.append(json.loads(JsonLogFormatter().format(record)))

    logger = logging.getLogger("chujing")
    handler, level = Keep(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        run(JsonLinesProgress())
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    return [{k: v for k, v in line.items() if k != "time"} for line in lines if "file" in line]


def test_failed_and_missing_inputs_reported_alike(spark, tmp_path):
    """A file that fails half-way is reported with the same reason; its earlier rows still count.
    ``--log-json`` names each file and its status alike from either engine."""
    good = tmp_path / "ok.csv"
    good.write_text("手机号\n" + "".join(f"1380013{i:04d}\n" for i in range(40)), encoding="utf-8")
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("手机号,姓名\n" + "".join(f"1390013{i:04d},张{i}\n" for i in range(40)) + "1,2,3,4\n",
                      encoding="utf-8")
    paths = [str(good), str(ragged), str(tmp_path / "missing.csv")]
    options = dict(scan_date=SCAN_DATE)
    reports = {}
    local_lines = _file_log_lines(lambda progress: reports.setdefault(
        "local", scan(paths, ScanOptions(**options, progress=progress))))
    spark_lines = _file_log_lines(lambda progress: reports.setdefault(
        "spark", spark_engine.scan_spark(paths, ScanOptions(**options, progress=progress), spark=spark)))
    local, distributed = reports["local"], reports["spark"]
    assert_same(local, distributed)
    assert len(distributed.errors) == 2
    assert spark_lines == local_lines
    assert [(line["file"].rsplit("/", 1)[-1], line["status"]) for line in spark_lines] == \
        [("ok.csv", "scanned"), ("ragged.csv", "scanned")]
    assert all(line["total"] == 2 and line["bytes"] > 0 for line in spark_lines)


def test_nothing_to_scan_needs_no_spark():
    report = spark_engine.scan_spark(["/nonexistent/chujing/nothing.csv"], ScanOptions(scan_date=SCAN_DATE))
    assert report.persons.personal == 0 and report.errors


def test_keys_never_leave_the_task_in_clear(spark, linked_files):
    """What Spark holds of a row is keyed hashes: no phone, ID or e-mail of the input."""
    from pyspark.sql import functions as F

    options = ScanOptions(scan_date=SCAN_DATE)
    from scanner.report.model import Report

    sources = pipeline.discover_inputs(Report(ruleset="cac-2024", context={}), [str(linked_files)], options)
    task = spark_engine._Task(sources=sources, schedule=[[i] for i in range(len(sources))], options=options,
                              detectors=None, decisions=None, secret=b"k" * 32)
    rows = (spark.range(len(sources), numPartitions=len(sources)).mapInArrow(task, spark_engine._TASK_DDL)
            .where(F.col("kind") == 0).select("keys").toArrow())
    held = {bytes(k) for keys in rows.column("keys").to_pylist() for k in keys}
    assert held and all(len(k) == 16 for k in held)
    visits = (linked_files / "visits.csv").read_text(encoding="utf-8")
    clear = {cell.encode() for line in visits.splitlines()[1:] for cell in line.split(",")[1:3]}
    assert not any(c in k for c in clear for k in held)


def test_ledger_hashes_agree_between_engines(spark, linked_files, tmp_path):
    """A transfer recorded by the Spark engine links with the local engine's persons, and back."""
    ledger = dict(ledger=str(tmp_path / "ledger.db"), ledger_key_file=str(tmp_path / "ledger.key"), scan_date=SCAN_DATE)
    recorded = spark_engine.scan_spark([str(linked_files / "visits.csv")],
                                       ScanOptions(record=True, transfer_id="T-spark", **ledger), spark=spark)
    assert recorded.persons.year_to_date["transfer_id"] == "T-spark"
    local = scan([str(linked_files)], ScanOptions(**ledger))
    distributed = spark_engine.scan_spark([str(linked_files)], ScanOptions(**ledger), spark=spark)
    assert_same(local, distributed)
    ytd = distributed.persons.year_to_date
    # visits.csv's persons were recorded already: they are not counted twice.
    assert ytd["transfers"] == 2 and ytd["personal"] == distributed.persons.personal


def test_spark_submit_entry_reads_the_config(spark, linked_files, tmp_path):
    """scanner/engines/spark_submit.py runs the scan a chujing.toml describes and writes its outputs."""
    import json

    from scanner.engines import spark_submit

    out = tmp_path / "report.json"
    config = tmp_path / "chujing.toml"
    config.write_text(f'''[scan]
sources = ["{linked_files}"]
sector = "pharmaceutical"
scenario = "clinical_trial"

[scan.subjects]
"{linked_files / 'visits.csv'}" = "trial_subject"

[[outputs]]
format = "json"
path = "{out}"
''', encoding="utf-8")
    code = spark_submit.main(["--config", str(config)])
    written = json.loads(out.read_text(encoding="utf-8"))
    local = scan([str(linked_files)], ScanOptions(sector="pharmaceutical", scenario="clinical_trial",
                                                 subjects={"visits.csv": "trial_subject"}))
    assert code == local.exit_code
    assert written["persons"] == comparable(local)["persons"]
    assert written["verdict"] == local.verdict
    assert spark.sparkContext._jsc is not None  # the module's session is still running


def test_star_components_match_union_find(spark):
    """Large-star / small-star labels the same components as scipy, on a long chain too."""
    import numpy as np

    from scanner.persons.linking import components as _components

    rng = random.Random(7)
    n = 240
    nodes = [rng.randbytes(16) for _ in range(n)]
    edges = [(i, i + 1) for i in range(31)]  # a chain of 32 keys: the slowest shape to converge
    edges += [(rng.randrange(32, n), rng.randrange(32, n)) for _ in range(120)]
    edges = [(a, b) for a, b in edges if a != b]
    frame = spark.createDataFrame(pa.table({
        "u": pa.array([max(nodes[a], nodes[b]) for a, b in edges], pa.binary()),
        "v": pa.array([min(nodes[a], nodes[b]) for a, b in edges], pa.binary())})).distinct()
    stats = spark_engine._SparkStats()
    labels = {bytes(r["node"]): bytes(r["label"]) for r in spark_engine._star_components(frame, stats).collect()}
    expected = _components(n, np.array([a for a, _ in edges]), np.array([b for _, b in edges]))
    linked = {i for e in edges for i in e}
    for a in linked:
        for b in linked:
            assert (labels[nodes[a]] == labels[nodes[b]]) == (expected[a] == expected[b])
    # Each component is labelled by its smallest key.
    for i in linked:
        assert labels[nodes[i]] == min(nodes[j] for j in linked if expected[j] == expected[i])
    assert 1 < stats.rounds < 20


def _failing_valid_mask(values, *args, **kwargs):
    """A detector bug whose message quotes the data, as real exceptions sometimes do."""
    raise KeyError(f"unexpected value {values.to_pylist()[:3]}")


def test_task_failure_names_no_value(spark, linked_files, capfd):
    """An unexpected error while scanning a file in a task fails that file, as locally: one line,
    its type and place, and no identifier anywhere."""
    import copy
    import sys

    from pyspark import cloudpickle

    from scanner.engines.local import load_detectors

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers cannot import this test module
    try:
        detectors = []
        for det in load_detectors([]):
            if det.entity == "CN_MOBILE_PHONE":
                det = copy.copy(det)
                object.__setattr__(det, "valid_mask", _failing_valid_mask)
            detectors.append(det)
        visits = linked_files / "visits.csv"
        report = spark_engine.scan_spark([str(visits)], ScanOptions(scan_date=SCAN_DATE, detectors=detectors),
                                         spark=spark)
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    assert report.exit_code == 1
    assert report.files[0].error.startswith("internal error while scanning (KeyError at")
    phones = [line.split(",")[1] for line in visits.read_text(encoding="utf-8").splitlines()[1:]]
    printed = report.to_json() + "".join(capfd.readouterr())
    assert not any(p in printed for p in phones)


def test_decisions_apply_alike(spark, linked_files, tmp_path):
    """Recorded column decisions reach the Spark tasks: applied before counting, as locally."""
    decisions = tmp_path / "decisions.yaml"
    decisions.write_text("""version: 1
columns:
- file: visits.csv
  column: 手机号
  action: not_personal
  who: test
  when: '2026-11-27'
  why: a switchboard number in this test
- file: claims.csv.gz
  column: 理赔金额
  action: confirm
  entity: null
  who: test
  when: '2026-11-27'
""", encoding="utf-8")
    paths = [str(linked_files / "visits.csv"), str(linked_files / "claims.csv.gz")]
    options = dict(scan_date=SCAN_DATE, decisions=str(decisions))
    local = scan(paths, ScanOptions(**options))
    distributed = spark_engine.scan_spark(paths, ScanOptions(**options), spark=spark)
    assert_same(local, distributed)
    assert "CN_MOBILE_PHONE" not in distributed.persons.by_entity


@pytest.mark.parametrize("components", ["spark", "driver"])
def test_shared_contacts_conflicts_and_placeholders_same_report(spark, tmp_path, monkeypatch, components):
    """The rules of "persons you can defend" give the same figures in Spark: a placeholder
    phone, a department's shared address, a family phone joining two ID numbers, a chain of
    contacts between two ID numbers, phone-only rows in another file; with a ledger too."""
    import csv

    from tests.detectors.fixtures import mobile, resident_id

    monkeypatch.setattr(spark_engine, "DRIVER_COMPONENTS_MAX_EDGES", 0 if components == "spark" else 10**6)
    rng = random.Random(13)
    ids = sorted({resident_id(rng) for _ in range(80)})
    rows = []
    for i, id_ in enumerate(ids):
        phone = "13800138000" if i % 5 == 0 else "13912345670" if i in (1, 2) else mobile(rng)
        mail = "hr-dept@corp.cn" if i % 4 == 0 else f"u{i}@corp.cn"
        rows.append([id_, phone, mail, ""])
    rows += [[ids[10], "", "", "6222021234567890128"], ["", rows[10][1], "chain@corp.cn", ""],
             ["", "", "chain@corp.cn", "6222021234567890128"], [ids[11], "", "chain@corp.cn", ""]]
    data = tmp_path / "data"  # the ledger and its key stay outside the folder scanned
    data.mkdir()
    with open(data / "members.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["证件号码", "手机号码", "邮箱", "银行卡号"], *rows])
    with open(data / "orders.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["订单号", "手机号码"], *[[f"A{i}", r[1]] for i, r in enumerate(rows[:30]) if r[1]]])
    options = dict(scan_date=SCAN_DATE, ledger=str(tmp_path / "ledger.db"), ledger_key_file=str(tmp_path / "key"))
    local = scan([str(data)], ScanOptions(**options))
    distributed = spark_engine.scan_spark([str(data)], ScanOptions(**options), spark=spark)
    assert_same(local, distributed)
    linking = local.persons.linking
    assert linking["shared_contacts_total"] >= 1 and linking["conflicts"] >= 1 and linking["placeholder_rows"] > 0
