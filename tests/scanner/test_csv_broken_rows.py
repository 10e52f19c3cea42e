"""CSV exports that fail their file, through the real CLI, each in one line naming where and
never what: a stray byte in a UTF-8 export, and a row with a field too many or too few.

A byte that is not UTF-8 fails its file with a message saying it is read as UTF-8 and where the
byte is: reading on with the byte replaced could lose a digit of an ID number. A head that is
UTF-8 but for a stray byte is read as UTF-8, not as GB18030 or a code page that would turn every
character into another one without a word. Genuine GBK exports are still read as GB18030.

A ragged row is named by its data row (Arrow's threaded reader does not know where the row
stands, so the message named the start of its batch: "after data row 0"), numbered as the other
messages number them (data rows from 1, a quoted value over several lines one row, blank lines
none); the file is not counted rather than counted without the row, and the others still are.
"""

from __future__ import annotations

import gzip
import json
import re

import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.report.model import EXIT_ERROR

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华红玉梅"
# Characters whose GBK bytes are valid UTF-8 too (lead 0xC2-0xDF, trail 0xA1-0xBF).
UTF8_LOOKING_GBK = "郑谢肖袁叶魏姚卢谭陆石韦薛史毛钱莫伟英强霞平梅帅雪倩颖"
ROWS = 20_000


def scan(*paths) -> tuple[int, dict, str]:
    result = CliRunner().invoke(main, ["scan", *map(str, paths), "--format", "json", "-q"])
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    return result.exit_code, json.loads(result.stdout), result.stderr


def entry(report: dict, name: str) -> dict:
    (found,) = [f for f in report["files"] if f["path"].endswith("/" + name)]
    return found


def member_lines(people: list[dict], rows: int = ROWS, names: str = GIVEN) -> list[str]:
    """A member export: header, then a three-character name, an ID number, an address and a
    mobile number per line (the address an even number of characters: see the deep case)."""
    lines = ["姓名,身份证号,地址,手机号\n"]
    for i in range(rows):
        p = people[i % len(people)]
        name = SURNAMES[i % len(SURNAMES)] + names[i % len(names)] + names[(i * 7) % len(names)]
        lines.append(f"{name},{p['id']},北京市朝阳区建国门外大街,{p['phone']}\n")
    return lines


def with_stray_byte(lines: list[str], line: int, byte: int, after_chars: int) -> bytes:
    data = [ln.encode() for ln in lines]
    cut = len(lines[line - 1][:after_chars].encode())
    data[line - 1] = data[line - 1][:cut] + bytes([byte]) + data[line - 1][cut:]
    return b"".join(data)


@pytest.fixture
def good(tmp_path, people):
    path = tmp_path / "good.csv"
    path.write_text("".join(member_lines(people, rows=10)), encoding="utf-8")
    return path


@pytest.mark.parametrize("line, byte, after_chars", [
    # Deep inside: the broken line happens to decode as GB18030 (0xC0 after a 9-byte name makes
    # every pair a GB18030 character), which was reported as a change of encoding.
    (15_000, 0xC0, 3),
    # In the sniffed head: the file was read as GB18030 (or failed on "the first line").
    (100, 0xFF, 3),
    (100, 0xC0, 3),
    (2, 0x80, 1),
    # In the header.
    (1, 0xFF, 2),
])
def test_a_stray_byte_fails_the_file_naming_utf8_and_the_line(tmp_path, people, good, line, byte,
                                                               after_chars):
    lines = member_lines(people)
    path = tmp_path / "members.csv"
    path.write_bytes(with_stray_byte(lines, line, byte, after_chars))
    code, report, err = scan(path, good)
    assert code == EXIT_ERROR
    failed = entry(report, "members.csv")
    assert failed["rows"] == 0 and failed["encoding"] is None
    assert re.fullmatch(rf"read as UTF-8, it contains bytes that are not valid UTF-8 at byte [\d,]+ "
                        rf"\(line {line:,}\); not scanned rather than scanned with them replaced: "
                        rf"fix or re-export the file", failed["error"]), failed["error"]
    assert [ln for ln in err.splitlines() if "members.csv" in ln] == [f"{path}: {failed['error']}"]
    assert entry(report, "good.csv")["error"] is None and entry(report, "good.csv")["rows"] == 10
    broken = lines[line - 1].rstrip("\n").split(",")
    for value in broken[1:]:
        assert value not in failed["error"] and value not in err


def test_a_mostly_ascii_utf8_head_with_a_stray_byte_is_not_read_as_a_code_page(tmp_path, people, good):
    """One-character values (男, 女) and ASCII: the stray byte made the file a Thai or Cyrillic
    code page, read without an error and every 男 and 女 turned into two other letters."""
    lines = ["id,gender,mobile\n"] + [f"{i},{'男女'[i % 2]},{people[i % 40]['phone']}\n" for i in range(3_000)]
    path = tmp_path / "members.csv"
    path.write_bytes(with_stray_byte(lines, 1_000, 0xFF, 0))
    code, report, err = scan(path, good)
    assert code == EXIT_ERROR
    failed = entry(report, "members.csv")
    assert failed["rows"] == 0
    assert "read as UTF-8" in failed["error"] and "(line 1,000)" in failed["error"], failed["error"]


def test_gbk_exports_are_still_read_as_gb18030(tmp_path, people):
    lines = member_lines(people)
    (tmp_path / "plain_gbk.csv").write_bytes("".join(lines).encode("gbk"))
    # The first rows' names are GBK characters whose bytes are also valid UTF-8 (and the rest
    # of those rows ASCII): the file is valid UTF-8 for a stretch after its header, then GBK.
    n = len(UTF8_LOOKING_GBK)
    utf8_looking = [f"{UTF8_LOOKING_GBK[i % n]}{UTF8_LOOKING_GBK[(i * 7) % n]},{p['id']},Room {i},"
                    f"{p['phone']}\n" for i, p in enumerate(people * 8)]
    "".join(utf8_looking).encode("gbk").decode("utf-8")  # raises if the stretch is not valid UTF-8
    (tmp_path / "stretch_gbk.csv").write_bytes((lines[0] + "".join(utf8_looking) + "".join(lines[1:]))
                                                .encode("gbk"))
    code, report, err = scan(tmp_path / "plain_gbk.csv", tmp_path / "stretch_gbk.csv")
    assert code != EXIT_ERROR, err  # the exit code then says the legal path
    for name, rows in (("plain_gbk.csv", ROWS), ("stretch_gbk.csv", ROWS + 320)):
        read = entry(report, name)
        assert read["error"] is None and read["encoding"] == "gb18030" and read["rows"] == rows
        columns = {c["name"]: c["entity"] for c in read["columns"]}
        assert columns["身份证号"] == "CN_RESIDENT_ID" and columns["姓名"] == "PERSON_NAME", columns


# --- rows with a field too many or too few ---------------------------------------------------

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
