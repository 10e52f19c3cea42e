"""Children counted from a column of ages (PIPL Art 28: a child's personal information under 14 is
sensitive), as they are from birth dates and ID numbers: a school roster or a paediatric export
with names and ages but no ID number. Real files, the real command, sampled and ``--full``."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.engines.local import ScanOptions
from scanner.minimise.plan import Change, Engine

SURNAMES = "赵钱孙李周吴郑王冯陈"
GIVEN = "伟芳娜敏静丽强磊军洋"


def _names(n: int) -> list[str]:
    return [SURNAMES[i % 10] + GIVEN[(i // 10) % 10] + GIVEN[(i * 7 + 3) % 10] for i in range(n)]


def _phones(n: int) -> list[str]:
    return [f"139{52_000_000 + 7919 * i:08d}" for i in range(n)]


def _scan(path, *extra: str) -> tuple[dict, str]:
    result = CliRunner().invoke(main, ["scan", str(path), "--format", "json", "--sector", "other",
                                       "--scenario", "other", *extra])
    assert result.exit_code in (0, 10, 20, 30), result.output
    return json.loads(result.output), result.output


def _entities(report: dict) -> dict[str, str | None]:
    return {c["name"]: c["entity"] for f in report["files"] for c in f["columns"]}


@pytest.mark.parametrize("full", [False, True], ids=["sampled", "full"])
def test_a_school_roster_with_ages_counts_every_pupil_a_child(tmp_path, full):
    names = _names(30)
    roster = tmp_path / "roster.csv"
    roster.write_text("姓名,年龄,班级\n" + "".join(f"{name},{6 + i % 7},{1 + i % 6}年级{1 + i % 3}班\n"
                                                  for i, name in enumerate(names)), encoding="utf-8")
    report, output = _scan(roster, *(["--full"] if full else []))
    assert _entities(report)["年龄"] == "AGE"
    persons = report["persons"]
    assert (persons["personal"], persons["minors"], persons["sensitive"]) == (30, 30, 30)
    assert not any(name in output for name in names)  # the names are masked in every sample


@pytest.mark.parametrize("full", [False, True], ids=["sampled", "full"])
def test_ages_from_10_to_40_make_minors_of_those_under_14_only(tmp_path, full):
    ages = list(range(10, 41))
    names, phones = _names(len(ages)), _phones(len(ages))
    people = tmp_path / "members.csv"
    people.write_text("姓名,年龄,手机号\n" + "".join(f"{n},{a},{p}\n" for n, a, p in zip(names, ages, phones, strict=True)),
                      encoding="utf-8")
    report, output = _scan(people, *(["--full"] if full else []))
    assert not any(value in output for value in names + phones)
    assert _entities(report)["年龄"] == "AGE"
    persons = report["persons"]
    # 10, 11, 12 and 13 are under 14; 14 is not
    assert (persons["personal"], persons["minors"], persons["sensitive"]) == (len(ages), 4, 4)


def test_ages_as_written_in_exports(tmp_path):
    """岁 and 周岁, full-width digits, a range whose lower end is a child's (the stricter reading)."""
    written = ["8岁", "１２", "12周岁", "10-12", "13 岁", "１０～１５岁", "3个月", "14", "35", "20-30", "40岁", "20周岁"]
    people = tmp_path / "patients.csv"
    people.write_text("患者姓名,年龄,联系电话\n" + "".join(
        f"{n},{a},{p}\n" for n, a, p in zip(_names(len(written)), written, _phones(len(written)), strict=True)),
        encoding="utf-8")
    report, _ = _scan(people, "--full")
    assert _entities(report)["年龄"] == "AGE"
    assert report["files"][0]["columns"][1]["match_rate"] == 1.0
    assert (report["persons"]["personal"], report["persons"]["minors"]) == (len(written), 7)


def test_an_int_column_of_ages_in_parquet(tmp_path):
    n = 40
    path = tmp_path / "patients.parquet"
    pq.write_table(pa.table({"姓名": _names(n), "年龄": pa.array([3 + 2 * i for i in range(n)], pa.int32()),
                             "手机号": _phones(n)}), path)
    report, _ = _scan(path)
    assert _entities(report)["年龄"] == "AGE"
    # 3, 5, ..., 13 are under 14: six of them
    assert (report["persons"]["personal"], report["persons"]["minors"], report["persons"]["sensitive"]) == (n, 6, 6)


def test_small_integers_under_other_headers_are_no_ages(tmp_path):
    """A quantity, a car's, a house's age, years of work: small numbers (a child's age, were they
    read as ages), never a person's age. The adults' own ages beside them are ages."""
    n = 30
    rows = "".join(f"{name},{phone},{20 + i},{1 + i % 9},{2 + i % 12},{1 + i % 30},{i % 8}\n"
                   for i, (name, phone) in enumerate(zip(_names(n), _phones(n), strict=True)))
    path = tmp_path / "orders.csv"
    path.write_text("收货人,收货人手机,年龄,数量,车龄,工龄,房龄\n" + rows, encoding="utf-8")
    for extra in ([], ["--full"]):
        report, _ = _scan(path, *extra)
        entities = _entities(report)
        assert [entities[c] for c in ("年龄", "数量", "车龄", "工龄", "房龄")] == ["AGE", None, None, None, None], extra
        assert (report["persons"]["personal"], report["persons"]["minors"], report["persons"]["sensitive"]) == \
            (n, 0, 0), extra


def test_a_childs_age_dropped_in_a_plan_still_makes_the_child_sensitive(tmp_path):
    n = 20
    path = tmp_path / "roster.csv"
    path.write_text("姓名,年龄,家长手机\n" + "".join(f"{name},{6 + i % 7},{phone}\n" for i, (name, phone) in
                                                  enumerate(zip(_names(n), _phones(n), strict=True))),
                    encoding="utf-8")
    engine = Engine([path], ScanOptions(sector="other", scenario="other"))
    assert engine.baseline.report.persons.minors == n
    dropped = engine.evaluate([(Change("drop", "年龄"),)])[0]
    assert dropped.report.persons.sensitive == n  # a child stays a child


def test_a_redeclared_age_still_tells_a_minor(tmp_path):
    """YAML cannot give a detector an age reader: one that replaces the built-in AGE reads ages as
    the built-in does."""
    path = tmp_path / "members.csv"
    path.write_text("手机,年龄\n13952000001,9\n13952000002,40\n", encoding="utf-8")
    rules = tmp_path / "mine.yaml"
    rules.write_text("detectors:\n  - name: AGE\n    pattern: '[0-9]{1,3}'\n    header_words: [年龄]\n"
                     "    requires_header: true\n    category: identity\n", encoding="utf-8")
    report, _ = _scan(path, "--detectors", str(rules))
    assert _entities(report)["年龄"] == "AGE"
    assert (report["persons"]["personal"], report["persons"]["minors"]) == (2, 1)


@pytest.mark.parametrize("header", ["月龄", "年龄（月）", "age_months"])
def test_ages_in_months_under_a_header_that_says_so(tmp_path, header):
    """A paediatric export counting in months: 18 under 月龄 or 年龄（月） is a child of one year,
    not an adult of eighteen; 240 months is twenty years."""
    months = [6, 18, 30, 100, 160, 167, 168, 240, 300]  # under 14 years: the first six
    names, phones = _names(len(months)), _phones(len(months))
    path = tmp_path / "paediatrics.csv"
    path.write_text(f"姓名,{header},手机号\n" + "".join(f"{n},{m},{p}\n" for n, m, p in zip(names, months, phones, strict=True)),
                    encoding="utf-8")
    report, _ = _scan(path, "--full")
    assert _entities(report)[header] == "AGE_IN_MONTHS"
    assert (report["persons"]["minors"], report["persons"]["sensitive"]) == (6, 6)
