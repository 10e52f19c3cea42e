"""A byte that is not UTF-8 in a UTF-8 export fails that file, through the real CLI.

The file is reported failed in one line saying it is read as UTF-8 and where the byte is (never
what is around it), the other files are still scanned: reading on with the byte replaced could
lose a digit of an ID number. A head that is UTF-8 but for a stray byte is read as UTF-8, not as
GB18030 or a code page that would turn every character into another one without a word.
Genuine GBK exports are still read as GB18030.
"""

from __future__ import annotations

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
