"""Persons' names in labels: a rota with a column per employee, a sheet or a file named after a
person. The names never reach a report or a log, and the persons named in headers are counted.

The names below are ordinary names from a public list (github.com/xiaolinbenben/10k-chinese-names,
``10000中国普通人名大全.txt``) and from exports tried as users make them; the common words are
jieba's own dictionary (a dependency), not a list written here.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))

import office_files  # noqa: E402

from detectors.person_name import name_spans  # noqa: E402
from scanner.cli import main  # noqa: E402
from scanner.sources.files import display_path  # noqa: E402

# The first names of that list, as it writes them.
PUBLIC_NAMES = ("张吉惟 林国瑞 林雅南 刘柏宏 阮建安 林子帆 夏志豪 吉茹定 黄文隆 谢彦文 傅智翔 洪振霞 刘姿婷 荣姿康 "
                "吕致盈 方一强 黎芸贵 雷进宝 吴美隆 吴心真 王美珠 李雅惠 陈文婷 王依婷 陈婉璇 吴美玉 蔡依婷 郑昌梦 "
                "黄丽昆 李育泉 黄芸欢 吴韵如 李肇芬 卢木仲 李成白 方兆玉 刘翊惠 吴佳瑞 周白芷 张姿妤 张虹伦 倪怡芳 "
                "郭贵妃 杨佩芳 黄文旺 郑丽青 许智云 张孟涵 李小爱 王恩龙 朱政廷 邓诗涵 陈政倩 吴俊伯 阮馨学 翁惠珠 "
                "吴思翰 林佩玲 邓海来 陈翊依 李建智 武淑芬 金雅琪 赖怡宜 黄育霖 张仪湖 王俊民 张诗刚 林慧颖 沈俊君 "
                "陈淑妤 黄彦宜 周孟儒 李祯韵 叶洁启 梁哲宇 黄晓萍 杨雅萍 卢志铭 张茂以 林婉婷 蔡宜芸").split()
ROTA_NAMES = ["韩晓建", "孔娜子", "郝志军", "欧阳娜娜", "李娜", "王芳"]
# Headers of business exports that are led by a surname and are no one's name.
HEADER_WORDS = ["金额", "时间", "关系", "周一", "白班", "早班", "日期", "余额", "金额合计", "申请人", "联系人", "过敏",
                "麻醉", "车型", "费用", "云平台", "车机号", "项目", "高度", "公积金", "华东区域", "明细表", "交易金额",
                "车龄", "工龄",
                # found on realistic exports: short business words led by a surname
                "续保", "单休", "常客", "金豆", "房补", "师傅", "过充", "云仓", "申通", "陈皮", "杨梅", "梅雨",
                # English headers that read like pinyin
                "Hong Kong", "Min Age", "Long Name", "Ping Time"]


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_names_found_and_common_words_left_alone():
    found = [n for n in PUBLIC_NAMES if name_spans(n) == [(0, len(n))]]
    assert len(found) >= 0.9 * len(PUBLIC_NAMES), sorted(set(PUBLIC_NAMES) - set(found))
    assert all(name_spans(n) == [(0, len(n))] for n in ROTA_NAMES)
    assert [w for w in HEADER_WORDS if name_spans(w)] == []
    # jieba's common words (seen 100 times or more, not tagged a person): hardly any is a name.
    import jieba

    words = []
    with open(os.path.join(os.path.dirname(jieba.__file__), "dict.txt"), encoding="utf-8") as fh:
        for line in fh:
            word, count, tag = line.split()
            if 2 <= len(word) <= 6 and int(count) >= 100 and not tag.startswith("nr") and re.fullmatch(r"[\u4e00-\u9fff]+", word):
                words.append(word)
    taken = [w for w in words if name_spans(w)]
    assert len(words) > 20_000 and len(taken) <= len(words) // 2000, taken


def test_names_in_the_shapes_rotas_and_payrolls_write_them():
    from scanner.sources.names import header_names

    got = header_names(["韩晓建工时", "韩晓建加班", "李娜签字", "王芳确认", "张伟组", "李娜护士", "早班韩晓建", "组长韩晓建",
                        "1号张伟", "销售一部张伟", "A班张伟", "阿卜杜拉·艾力", "韩晓建(早班)"])
    assert got == ["韩**工时", "韩**加班", "李*签字", "王*确认", "张*组", "李*护士", "早班韩**", "组长韩**", "1号张*",
                   "销售一部张*", "A班张*", "阿******", "韩**(早班)"]
    # Beside other names, a common word that is also a name is a name; alone it is a word.
    assert header_names(["日期", "韩晓建", "孔娜子", "高峰", "白雪", "方圆", "金额"]) == \
        ["日期", "韩**", "孔**", "高*", "白*", "方*", "金额"]
    assert header_names(["日期", "高峰", "金额"]) == ["日期", "高峰", "金额"]


def test_names_inside_labels():
    assert display_path("报销/欧阳娜娜报销.xlsx") == "报销/欧***报销.xlsx"
    assert display_path("hr/张伟的简历.csv") == "hr/张*的简历.csv"
    assert display_path("hr/2024年王芳工资.csv") == "hr/2024年王*工资.csv"
    assert display_path("exports/客户信息导出_2024.csv") == "exports/客户信息导出_2024.csv"


def test_rota_with_a_column_per_person(tmp_path):
    rota = tmp_path / "排班表.csv"
    lines = ["日期," + ",".join(ROTA_NAMES)]
    lines += [f"2024-09-{d:02d}," + ",".join(("早班", "晚班", "休")[(d + k) % 3] for k in range(len(ROTA_NAMES)))
              for d in range(1, 31)]
    rota.write_text("\n".join(lines) + "\n", encoding="gbk")
    plain = tmp_path / "plain.csv"
    plain.write_text(",".join(HEADER_WORDS) + "\n" + ",".join("1" for _ in HEADER_WORDS) + "\n", encoding="utf-8")

    result = run("scan", str(rota), str(plain), "--format", "json", "--log-level", "debug")
    report = json.loads(result.stdout)
    rota_file, plain_file = report["files"]
    named = [c for c in rota_file["columns"] if c["name"] != "日期"]
    assert [c["name"] for c in named] == ["韩**", "孔**", "郝**", "欧***", "李*", "王*"]
    assert all(c["evidence"].startswith("the header names a person") for c in named)
    assert [c["name"] for c in plain_file["columns"]] == HEADER_WORDS
    # Six persons named, none in the rows (dates and shifts); the plain file's row is no one.
    assert report["persons"]["personal"] == 6
    assert report["persons"]["by_entity"]["PERSON_NAME"] == 6
    for fmt in ("json", "md", "html", "table"):
        text = run("scan", str(rota), "--format", fmt, "--log-level", "debug").output
        assert not [n for n in ROTA_NAMES if n in text], fmt
    assert not [n for n in ROTA_NAMES if n in result.output]  # the log lines too (stderr is mixed in)


def test_sheet_named_after_a_person(tmp_path):
    book = tmp_path / "报销.xlsx"
    people = office_files.people(12)
    office_files.write_xlsx(book, {
        "欧阳娜娜报销": [["项目", "手机"]] + [["差旅", p["phone"]] for p in people[:6]],
        "韩晓建": [["项目", "手机"]] + [["餐费", p["phone"]] for p in people[6:]],
        "汇总": [["月份", "金额"], ["9", 1200]],
        "高峰": [["月份", "金额"], ["9", 800]],  # a name that is also a word, among sheets named after persons
    })
    result = run("scan", str(book), "--format", "json", "--log-level", "info", "--log-json")
    report = json.loads(result.stdout)
    assert [f["path"].rsplit("#", 1)[1] for f in report["files"]] == ["欧***报销", "韩**", "汇总", "高*"]
    assert not [n for n in ("欧阳娜娜", "韩晓建", "高峰") if n in result.output]
    assert report["persons"]["personal"] == 12


def test_a_person_key_written_with_its_raw_header(tmp_path):
    """``--person-key 会员号_韩晓建`` names the column reported 会员号_韩**; a key naming no column
    is said in a note (shown masked), never silently dropped."""
    path = tmp_path / "members.csv"
    path.write_text("会员号_韩晓建,备注\n" + "".join(f"M{i:04d},x\n" for i in range(20)), encoding="utf-8")
    result = run("scan", str(path), "--person-key", "会员号_韩晓建", "--person-key", "会员号_孔娜子", "--format", "json")
    report = json.loads(result.stdout)
    (column,) = [c for c in report["files"][0]["columns"] if c["name"] == "会员号_韩**"]
    assert "named as a person key" in column["evidence"]
    notes = [n["en"] for n in report.get("notes", []) if "--person-key" in n["en"]]
    assert notes == ["--person-key 会员号_孔** names no column of the files read (or more than one): no row is linked by it"]
    assert "韩晓建" not in result.output and "孔娜子" not in result.output


def test_required_field_stars_of_an_import_template_name_no_one(tmp_path):
    """Import templates mark required fields with a star (姓名*, 岗位*): no column is taken for
    one named after a person, so no person is added beside the rows."""
    path = tmp_path / "员工导入模板.csv"
    rows = "".join(f"{'王李张刘陈'[i % 5]}{'伟芳娜敏静'[i % 5]}{'强军洋'[i % 3]},139{52_000_000 + 7919 * i:08d},销售,总部\n"
                   for i in range(12))
    path.write_text("姓名*,手机号*,岗位*,单位*\n" + rows, encoding="utf-8")
    report = json.loads(run("scan", str(path), "--format", "json").stdout)
    assert [c["name"] for c in report["files"][0]["columns"]] == ["姓名*", "手机号*", "岗位*", "单位*"]
    assert not any(c["evidence"].startswith("the header names a person") for c in report["files"][0]["columns"])
    assert report["persons"]["personal"] == 12
