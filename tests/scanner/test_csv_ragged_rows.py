"""A row with a field too many or too few fails its file, naming the data row, through the real CLI.

Arrow's threaded reader does not know where the row stands, so the message named the start of
the batch it was in ("after data row 0"). The row is numbered as the other messages number them
(data rows from 1, a quoted value over several lines one row, blank lines none), its text never
printed; the file is not counted rather than counted without the row, and the others still are.
"""

from __future__ import annotations

import gzip
import json

import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.report.model import EXIT_ERROR

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华红玉梅"


def scan(*paths) -> tuple[int, dict, str]:
    result = CliRunner().invoke(main, ["scan", *map(str, paths), "--format", "json", "-q"])
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    return result.exit_code, json.loads(result.stdout), result.stderr


def entry(report: dict, name: str) -> dict:
    (found,) = [f for f in report["files"] if f["path"].endswith("/" + name)]
    return found


def member_rows(people: list[dict], rows: int) -> list[list[str]]:
    def name(i: int) -> str:
        return SURNAMES[i % len(SURNAMES)] + GIVEN[i % len(GIVEN)] + GIVEN[(i * 7) % len(GIVEN)]

    return [[name(i), people[i % len(people)]["id"], f"北京市朝阳区建国路{i}号", people[i % len(people)]["phone"]]
            for i in range(rows)]


def csv_text(rows: list[list[str]], header: bool = True) -> str:
    lines = [",".join(r) for r in ([["姓名", "身份证号", "地址", "手机号"]] if header else []) + rows]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("rows, bad_row, extra, encoding, compress, header", [
    (50, 40, 2, "utf-8", False, True),  # one small file, read whole: was "after data row 0"
    (120_000, 90_000, 1, "utf-8", False, True),  # many blocks, read by Arrow natively
    (120_000, 90_000, -2, "gbk", False, True),  # a field too few, transcoded from GBK
    (120_000, 90_000, 1, "utf-8", True, True),  # gzip
    (2_000, 1_500, 1, "utf-8", False, False),  # no header row: the first line is data row 1
])
def test_a_ragged_row_is_named_by_its_data_row(tmp_path, people, rows, bad_row, extra, encoding, compress,
                                                header):
    table = member_rows(people, rows)
    table[4][2] = "北京市朝阳区\n建国路\n4号"  # a quoted value over three lines is one row
    table[4][2] = f'"{table[4][2]}"'
    secret = people[0]["id"][::-1]
    table[bad_row - 1] = table[bad_row - 1] + [secret] * extra if extra > 0 else table[bad_row - 1][:extra]
    data = csv_text(table, header).encode(encoding)
    path = tmp_path / ("members.csv.gz" if compress else "members.csv")
    path.write_bytes(gzip.compress(data) if compress else data)
    good = tmp_path / "good.csv"
    good.write_text(csv_text(member_rows(people, 10)), encoding="utf-8")

    code, report, err = scan(path, good)
    assert code == EXIT_ERROR
    failed = entry(report, path.name)
    fields = 4 + extra
    assert failed["rows"] == 0
    assert failed["error"] == (f"a row has {fields} fields where the header has 4 (data row {bad_row:,}); "
                               f"check quoting and the delimiter. The file is not counted rather than "
                               f"counted without that row")
    assert [ln for ln in err.splitlines() if path.name in ln] == [f"{path}: {failed['error']}"]
    assert entry(report, "good.csv")["error"] is None and entry(report, "good.csv")["rows"] == 10
    for value in table[bad_row - 1]:
        assert value not in err and value not in json.dumps(report, ensure_ascii=False)
