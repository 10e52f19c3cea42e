"""``chujing redact``: copies in the input's format and encoding, a manifest, rescans that give
the predicted path, and no raw value of a dropped, masked or pseudonymised column anywhere."""

from __future__ import annotations

import codecs
import json
import os
import re
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.engines.local import ScanOptions, scan
from scanner.minimise.redact import fingerprint
from scanner.sources.files import discover, open_source

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
CONTEXT = ["--ftz", "beijing", "--sector", "retail_services", "--scenario", "member_management"]
OPTS = dict(ftz="beijing", sector="retail_services", scenario="member_management")
FILES = ["members.csv", "orders_excel_gb18030.csv", "app_logins.parquet"]
CHANGES = ["--drop", "password_hash", "--drop", "session_token", "--mask", "email", "--pseudonymise", "mobile",
           "--pseudonymise", "收货人手机", "--generalise", "birthday=year", "--generalise", "收货地址=city"]
HIDDEN = {"members.csv": ["password_hash", "email", "mobile"], "orders_excel_gb18030.csv": ["收货人手机"],
          "app_logins.parquet": ["session_token", "mobile"]}


def _values(path: Path, column: str) -> set[str]:
    """Every non-empty value of a column, as written and with its separators removed."""
    (source,), _ = discover([str(path)])
    stream = open_source(source)
    out = set()
    for batch in stream.batches:
        for v in batch.column(stream.schema.get_field_index(column)).to_pylist():
            if v is None:
                continue
            v = str(v).strip()
            if len(v) >= 6:
                out.add(v)
                compact = re.sub(r"[\s\-+]", "", v)
                out.add(compact[2:] if compact.startswith("86") and len(compact) == 13 else compact)
    return out


def _text_of(path: Path) -> str:
    """Everything a file holds, as text a value could be found in."""
    raw = path.read_bytes()
    parts = [raw.decode("latin-1")]
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        parts.append(json.dumps(table.to_pylist(), ensure_ascii=False, default=str))
    else:
        for enc in ("utf-8-sig", "gb18030"):
            parts.append(raw.decode(enc, errors="replace"))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def redacted(tmp_path_factory):
    root = tmp_path_factory.mktemp("redact")
    inputs = root / "in"
    inputs.mkdir()
    for name in FILES:
        shutil.copy(SAMPLE / "retail_services" / name, inputs / name)
    out, key = root / "out", root / "secret" / "pseudonym.key"
    result = CliRunner().invoke(
        main, ["redact", str(inputs), "-o", str(out), *CHANGES, "--key", str(key), *CONTEXT])
    assert result.exit_code == 0, result.output + result.stderr
    return inputs, out, key, result


def test_copies_keep_format_encoding_and_rows(redacted):
    inputs, out, _, _ = redacted
    manifest = json.loads((out / "chujing-manifest.json").read_text(encoding="utf-8"))
    by_input = {Path(f["input"]).name: f for f in manifest["files"]}
    assert set(by_input) == set(FILES)
    assert (out / "members.csv").read_bytes().startswith(codecs.BOM_UTF8)  # UTF-8 with BOM stays so
    orders = (out / "orders_excel_gb18030.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        orders.decode("utf-8")  # still GB18030
    assert "收货地址" in orders.decode("gb18030")
    assert pq.read_table(out / "app_logins.parquet").num_rows == by_input["app_logins.parquet"]["rows"] == 2000
    assert by_input["orders_excel_gb18030.csv"]["encoding"] == "gb18030"
    assert "password_hash" not in by_input["members.csv"]["columns_after"]
    for f in manifest["files"]:
        # fingerprints of every input and output, as they are on disk
        assert f["input_fingerprint"] == fingerprint(inputs / Path(f["input"]).name)
        assert f["output_fingerprint"] == fingerprint(f["output"])
        assert f["rows"] > 0 and not f["error"]
    actions = {(Path(f["input"]).name, c["column"]): c["action"] for f in manifest["files"] for c in f["changes"]}
    assert actions[("members.csv", "birthday")] == "generalise" and actions[("members.csv", "email")] == "mask"
    assert manifest["path_before"] and manifest["path_after"] and manifest["pseudonym_key"]["key_id"]
    assert "PIPL Art 4 and 73" in manifest["law"][0]["en"]
    assert (out / "chujing-manifest.md").read_text(encoding="utf-8").startswith("# chujing redaction manifest")


def test_no_raw_value_is_written_anywhere(redacted):
    inputs, out, key, result = redacted
    haystacks = {p.name: _text_of(p) for p in out.rglob("*") if p.is_file()}
    haystacks["cli output"] = result.output + result.stderr
    assert {"chujing-manifest.json", "chujing-manifest.md", "chujing-decisions.yaml"} <= set(haystacks)
    checked = 0
    for name, columns in HIDDEN.items():
        for column in columns:
            for value in _values(inputs / name, column):
                checked += 1
                for where, text in haystacks.items():
                    assert value not in text, f"a value of {name}:{column} is in {where}"
    assert checked > 5000
    assert key.exists() and os.stat(key).st_mode & 0o077 == 0


def test_pseudonyms_still_join_across_files(redacted):
    inputs, out, _, _ = redacted
    import pyarrow.csv as pacsv

    def column(path, name, enc="utf8"):
        t = pacsv.read_csv(path, read_options=pacsv.ReadOptions(encoding=enc),
                           convert_options=pacsv.ConvertOptions(column_types={name: "string"}))
        return {v for v in t.column(name).to_pylist() if v}

    members = column(out / "members.csv", "mobile")
    orders = column(out / "orders_excel_gb18030.csv", "收货人手机", "gb18030")
    assert all(v.startswith("ps_") for v in members | orders)
    raw_members = {re.sub(r"\D", "", v)[-11:] for v in column(inputs / "members.csv", "mobile")}
    raw_orders = {re.sub(r"\D", "", v)[-11:] for v in column(inputs / "orders_excel_gb18030.csv", "收货人手机", "gb18030")}
    assert len(raw_members & raw_orders) > 100  # members among order receivers (sample_data/README.md)
    assert len(members & orders) == len(raw_members & raw_orders)


def test_rescan_with_the_decisions_gives_the_path_after(redacted):
    _, out, _, _ = redacted
    manifest = json.loads((out / "chujing-manifest.json").read_text(encoding="utf-8"))
    report = scan([out], ScanOptions(decisions=str(out / "chujing-decisions.yaml"), **OPTS))
    assert not report.errors
    assert report.path == manifest["path_after"]
    after = manifest["after"]["persons"]
    # pseudonymised and generalised columns still count as the personal information they are
    assert report.persons.by_entity.get("CN_MOBILE_PHONE") and report.persons.by_entity.get("BIRTH_DATE")
    assert report.persons.personal >= after["personal"] * 0.95


def test_a_plans_set_applied_rescans_to_the_predicted_path(tmp_path):
    runner = CliRunner()
    plan_file = tmp_path / "plan.json"
    args = [str(SAMPLE / "retail_services"), *CONTEXT]
    result = runner.invoke(main, ["plan", *args, "--format", "json", "-o", str(plan_file), "-q"])
    assert result.exit_code == 0, result.stderr
    plan = json.loads(plan_file.read_text(encoding="utf-8"))
    sets = [s for s in plan["plan"] if s["kind"] == "set" and s["reached"]]
    assert sets, "the sample retail export can reach a lower path"
    target = min(sets, key=lambda s: s["path"] != "none")
    out = tmp_path / "out"
    result = runner.invoke(main, ["redact", *args, "-o", str(out), "--plan", str(plan_file), "--target",
                                  target["target"], "--key", str(tmp_path / "k.key")])
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((out / "chujing-manifest.json").read_text(encoding="utf-8"))
    assert manifest["path_before"] == plan["verdict"]["path"]
    assert manifest["path_after"] == target["path"]
    rescan = scan([out], ScanOptions(decisions=str(out / "chujing-decisions.yaml"), **OPTS))
    assert rescan.path == target["path"]
    assert (rescan.persons.personal, rescan.persons.sensitive) == \
        (target["persons"]["personal"], target["persons"]["sensitive"])


def test_redact_usage_errors_are_one_line(tmp_path):
    runner = CliRunner()
    members = str(SAMPLE / "retail_services" / "members.csv")
    cases = [
        (["--drop", "no_such_column"], "no column 'no_such_column'"),
        (["--generalise", "birthday=decade"], "unknown generalisation rule"),
        (["--generalise", "birthday"], "COLUMN=RULE"),
        (["--pseudonymise", "mobile"], "needs a key"),
        ([], "no change given"),
    ]
    for extra, message in cases:
        result = runner.invoke(main, ["redact", members, "-o", str(tmp_path / "o"), "--no-assess", *extra])
        assert result.exit_code == 2, (extra, result.stderr)
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    # the output folder may not be the input's own
    result = runner.invoke(main, ["redact", members, "-o", str(SAMPLE / "retail_services"), "--drop", "email",
                                  "--no-assess"])
    assert result.exit_code == 2 and "overwrite" in result.stderr
    assert not list(tmp_path.glob("o/*.csv"))


def test_ages_generalised_to_bands_keep_every_child_a_child(tmp_path):
    """``--generalise 年龄=band``: the bands (0-13, 14-17, 18-19, 20-29 ...) replace the ages, and
    the copy scanned again has the same children (a band is read by its lower end, as an age)."""
    ages = list(range(5, 41))
    lines = [f"{'赵钱孙李周吴郑王'[i % 8]}{'伟芳娜敏静丽'[i % 6]}{'强军洋'[i % 3]},{a},139{52_000_000 + 7919 * i:08d}"
             for i, a in enumerate(ages)]
    (tmp_path / "in").mkdir()
    roster = tmp_path / "in" / "roster.csv"
    roster.write_text("姓名,年龄,手机号\n" + "\n".join(lines) + "\n", encoding="utf-8")
    runner = CliRunner()
    before = json.loads(runner.invoke(main, ["scan", str(roster), "--format", "json"]).output)
    result = runner.invoke(main, ["redact", str(roster), "-o", str(tmp_path / "out"), "--no-assess",
                                  "--generalise", "年龄=band"])
    assert result.exit_code == 0, result.output
    copy = tmp_path / "out" / "roster.csv"
    import csv

    bands = [row[1] for row in list(csv.reader(copy.read_text(encoding="utf-8").splitlines()))[1:]]
    assert sorted(set(bands)) == ["0-13", "14-17", "18-19", "20-29", "30-39", "40-49"]
    after = json.loads(runner.invoke(main, ["scan", str(copy), "--format", "json"]).output)
    assert before["persons"]["minors"] == after["persons"]["minors"] == 9  # ages 5 to 13
    assert after["persons"]["sensitive"] == before["persons"]["sensitive"]
