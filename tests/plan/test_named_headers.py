"""``plan`` and ``redact`` on a rota with a column per employee: the persons named in headers are
counted as the scan counts them, in every scenario, and no name is written raw anywhere."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from scanner.cli import main

ROTA_NAMES = ["韩晓建", "孔娜子", "郝志军", "欧阳娜娜", "李娜", "王芳"]
MASKED = ["韩**", "孔**", "郝**", "欧***", "李*", "王*"]


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _rota(folder: Path, name: str = "排班表.csv", names: list[str] = ROTA_NAMES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rota = folder / name
    lines = ["日期," + ",".join(names)]
    lines += [f"2024-09-{d:02d}," + ",".join(("早班", "晚班", "休")[(d + k) % 3] for k in range(len(names)))
              for d in range(1, 31)]
    rota.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return rota


def _no_raw_name(*texts: str) -> None:
    for text in texts:
        assert not [n for n in ROTA_NAMES if n in text]


def test_plan_counts_the_persons_named_in_headers_as_the_scan_does(tmp_path):
    rota = _rota(tmp_path)
    scanned = json.loads(run("scan", str(rota), "--format", "json").stdout)
    assert scanned["persons"]["personal"] == 6

    result = run("plan", str(rota), "--format", "json")
    plan = json.loads(result.stdout)
    assert plan["persons"]["personal"] == scanned["persons"]["personal"]
    assert plan["persons"]["by_entity"] == scanned["persons"]["by_entity"]
    drops = {e["changes"][0]["column"]: e["persons"]["personal"] for e in plan["plan"] if e["kind"] == "change"}
    # Dropping a person's column no longer counts that person; the others still count.
    assert drops == {m: 5 for m in MASKED}
    _no_raw_name(result.output)


def test_redact_predicts_what_a_rescan_of_the_copy_counts(tmp_path):
    rota = _rota(tmp_path / "in")
    for change, after in ((["--drop", "韩**", "--drop", "李*"], 4), (["--mask", "孔**"], 6)):
        out = tmp_path / f"out{after}"
        result = run("redact", str(rota), "-o", str(out), *change)
        assert result.exit_code == 0, result.output
        manifest = json.loads((out / "chujing-manifest.json").read_text(encoding="utf-8"))
        assert manifest["before"]["persons"]["personal"] == 6
        assert manifest["after"]["persons"]["personal"] == after
        rescan = json.loads(run("scan", str(out / rota.name), "--decisions", str(out / "chujing-decisions.yaml"),
                                "--format", "json").stdout)
        assert rescan["persons"]["personal"] == after


def test_redact_shows_every_path_masked_and_keeps_the_users_file_names(tmp_path):
    for k, person in enumerate(("李娜", "郝志军")):
        folder = tmp_path / "员工" / person
        folder.mkdir(parents=True)
        rows = [f"2024-{m:02d},{8000 + m},138{k:02d}13{8000 + m:04d}" for m in range(1, 13)]
        (folder / "工资.csv").write_text("月份,实发,手机\n" + "\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "王芳导出"
    result = run("redact", str(tmp_path / "员工"), "-o", str(out), "--pseudonymise", "手机",
                 "--key", str(tmp_path / "pseudonym.key"))
    assert result.exit_code == 0, result.output
    # The copies are the user's files, under their own names.
    assert (out / "李娜" / "工资.csv").is_file() and (out / "郝志军" / "工资.csv").is_file()
    manifest = json.loads((out / "chujing-manifest.json").read_text(encoding="utf-8"))
    assert sorted(f["input"].split("员工/")[1] for f in manifest["files"]) == ["李*/工资.csv", "郝**/工资.csv"]
    assert sorted(f["output"].split("/", f["output"].count("/") - 2)[-1] for f in manifest["files"]) == \
        ["王*导出/李*/工资.csv", "王*导出/郝**/工资.csv"]
    texts = [(out / name).read_text(encoding="utf-8")
             for name in ("chujing-manifest.json", "chujing-manifest.md", "chujing-decisions.yaml")]
    _no_raw_name(result.output, *texts)
    assert "王芳" not in result.output + "".join(texts)
    # The decisions file names the copies as shown, and a rescan applies it: the pseudonyms count.
    assert "李*/工资.csv" in texts[2]
    rescan = json.loads(run("scan", str(out), "--decisions", str(out / "chujing-decisions.yaml"),
                            "--format", "json").stdout)
    assert rescan["persons"]["personal"] == manifest["after"]["persons"]["personal"] == 24


def test_a_decision_or_a_change_written_with_the_raw_header_applies_to_the_masked_column(tmp_path):
    rota = _rota(tmp_path / "in")
    decisions = tmp_path / "decisions.yaml"
    # Written before headers naming a person were masked: the column by its raw header.
    decisions.write_text("version: 1\ncolumns:\n- file: 排班表.csv\n  column: 郝志军\n  action: not_personal\n"
                         "  who: QA\n  when: '2026-11-30'\n  why: a shift code\n", encoding="utf-8")
    result = run("scan", str(rota), "--decisions", str(decisions), "--format", "json")
    scanned = json.loads(result.stdout)
    assert scanned["persons"]["personal"] == 5
    assert scanned["decisions"]["applied"] == 1 and scanned["decisions"]["stale"] == []
    planned = run("plan", str(rota), "--decisions", str(decisions), "--format", "json")
    assert json.loads(planned.stdout)["persons"]["personal"] == 5
    _no_raw_name(result.output, planned.output)

    for assess in ([], ["--no-assess"]):
        out = tmp_path / f"out{len(assess)}"
        result = run("redact", str(rota), "-o", str(out), "--drop", "韩晓建", "--mask", "欧阳娜娜", *assess)
        assert result.exit_code == 0, result.output
        with open(out / rota.name, encoding="utf-8") as fh:
            assert fh.readline().strip().replace('"', "").split(",") == ["日期", *MASKED[1:]]
        manifest = json.loads((out / "chujing-manifest.json").read_text(encoding="utf-8"))
        assert [(c["action"], c["column"]) for c in manifest["changes"]] == [("drop", "韩**"), ("mask", "欧***")]
        if not assess:
            assert manifest["after"]["persons"]["personal"] == 5
        _no_raw_name(result.output, *(p.read_text(encoding="utf-8") for p in out.iterdir()))


def test_a_raw_header_whose_masked_name_is_ambiguous_is_refused_without_naming_it(tmp_path):
    rota = _rota(tmp_path, "排班.csv", ["韩晓建", "韩晓东", "李娜"])
    for assess in ([], ["--no-assess"]):
        result = run("redact", str(rota), "-o", str(tmp_path / "out"), "--drop", "韩晓东", *assess)
        assert result.exit_code == 2
        assert result.output.count("\n") == 1 and "韩**, 韩**.1" in result.output
        assert "韩晓" not in result.output
    decisions = tmp_path / "decisions.yaml"
    decisions.write_text("version: 1\ncolumns:\n- file: 排班.csv\n  column: 韩晓东\n  action: not_personal\n"
                         "  who: QA\n  when: '2026-11-30'\n  why: a shift code\n", encoding="utf-8")
    for fmt in ("md", "table"):
        assert "韩晓" not in run("scan", str(rota), "--decisions", str(decisions), "--format", fmt).output
    result = run("scan", str(rota), "--decisions", str(decisions), "--format", "json")
    assert "韩晓" not in result.output
    scanned = json.loads(result.stdout)
    # It could be either column: it decides neither, and says so.
    assert scanned["persons"]["personal"] == 3
    (stale,) = scanned["decisions"]["stale"]
    assert stale["column"] == "韩**" and stale["could_be"] == ["韩**", "韩**.1"]


def test_the_manifest_says_which_headers_are_written_masked(tmp_path):
    rota = _rota(tmp_path / "in")
    out = tmp_path / "out"
    assert run("redact", str(rota), "-o", str(out), "--drop", "李*").exit_code == 0
    manifest = json.loads((out / "chujing-manifest.json").read_text(encoding="utf-8"))
    (copy,) = manifest["files"]
    (masked,) = [c for c in copy["changes"] if c["action"] == "header_masked"]
    assert masked["columns"] == ["韩**", "孔**", "郝**", "欧***", "王*"]
    md = (out / "chujing-manifest.md").read_text(encoding="utf-8")
    assert [line for line in md.splitlines() if "header written masked" in line] == \
        [f"| {copy['input']} | 韩**, 孔**, 郝**, 欧***, 王* | | header written masked: {masked['why']} |"]
