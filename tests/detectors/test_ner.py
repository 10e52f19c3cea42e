"""Names and addresses inside prose: the evaluation set, the chat-log case through the CLI, the
Presidio path and RE2 for every pattern that meets text."""

from __future__ import annotations

import csv
import json
import random
import time
from pathlib import Path

import pyarrow as pa
from click.testing import CliRunner

from detectors.ner import ADDRESS, PERSON, find_entities, find_entities_batch, texts_with
from detectors.person_name import is_valid as is_name
from scanner.cli import main

EVAL = Path(__file__).parent / "ner_eval" / "ner_eval.tsv"


def _rows():
    with EVAL.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def test_evaluation_set_recall_and_false_flags():
    rows = _rows()
    assert len(rows) >= 600
    found = find_entities_batch([r["sentence"] for r in rows])
    for label, column in ((PERSON, "has_name"), (ADDRESS, "has_address")):
        flagged = [any(e[0] == label for e in ents) for ents in found]
        with_ = [f for f, r in zip(flagged, rows, strict=True) if r[column] == "1"]
        without = [f for f, r in zip(flagged, rows, strict=True) if r[column] == "0"]
        assert sum(with_) / len(with_) >= 0.90, label
        assert sum(without) / len(without) <= 0.05, label


def test_names_of_every_kind_in_prose():
    for text, name in [("收件人：赖春生，电话见附件", "赖春生"), ("记者周恩来报道", "周恩来"), ("华罗庚教授昨天说", "华罗庚"),
                       ("我是欧阳娜娜，加个好友", "欧阳娜娜"), ("约翰·菲茨杰拉德·肯尼迪是总统", "约翰·菲茨杰拉德·肯尼迪"),
                       ("Contact Zhang Wei tomorrow", "Zhang Wei"), ("张先生您好，订单已发出", "张先生")]:
        assert name in [e[3] for e in find_entities(text) if e[0] == PERSON], text
    for text in ("明天去张家口滑雪吗？", "高兴死了，马上放假了！", "我买了个小米手机", "维吾尔族的传统节日到了"):
        assert not [e for e in find_entities(text) if e[0] == PERSON], text


def test_addresses_at_every_level():
    for text in ("快递寄到幸福小区5-7-1091", "住址：塘渡口镇杨柳村三组", "地址：文三路477号华星科技大厦",
                 "寄到海淀区中关村大街27号", "我家在阳光花园3栋2单元502室"):
        assert [e for e in find_entities(text) if e[0] == ADDRESS], text
    for text in ("我们去南京路逛街", "北京市今天召开新闻发布会", "乘坐地铁2号线", "2023-05-12 到货"):
        assert not [e for e in find_entities(text) if e[0] == ADDRESS], text


def test_texts_with_analyses_repeated_texts_once():
    texts = pa.array(["患者王建国，男，45岁"] * 1000 + ["今天天气很好"] * 1000 + [None])
    found, values = texts_with(PERSON, texts)
    assert found.sum() == 1000 and values[0].as_py() == "王建国" and values[-1].as_py() is None


def test_name_column_lexicon():
    for name in ("傅雷", "洪涛", "赖春生", "周恩来", "华罗庚", "任继愈", "李政", "张凌", "约翰·菲茨杰拉德·肯尼迪",
                 "欧阳娜娜", "司马相如"):
        assert is_name(name), name
    for word in ("武汉", "汉族", "苹果手机", "张家口"):
        assert not is_name(word), word


GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华红玉梅飞鹏斌宇浩凯"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙朱胡郭何罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢傅洪赖"
ROADS = ("建国路", "人民路", "解放大道", "中山北路", "文三路", "长江路")
COMPOUNDS = ("阳光花园", "幸福小区", "翠苑一区", "金地名苑")


def _chat_log(path: Path, n: int = 3000) -> None:
    rng = random.Random(18)
    frames = ["我是{n}，我家住在{a}，麻烦送到门口", "{n}你好，快递放{a}楼下就行", "收件人{n}，地址{a}",
              "今天{n}说他搬到{a}了", "好的，谢谢！", "几点到呀？", "已经下单了，等发货"]
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["msg_id", "sent_at", "message"])
        for i in range(n):
            name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
            if rng.random() < 0.5:
                address = f"{rng.choice(ROADS)}{rng.randint(1, 999)}号"
            else:
                address = f"{rng.choice(COMPOUNDS)}{rng.randint(1, 30)}-{rng.randint(1, 6)}-{rng.randint(101, 2402)}"
            w.writerow([f"M{i:05d}", f"2026-03-{1 + i % 28:02d} 10:{i % 60:02d}", rng.choice(frames).format(n=name, a=address)])


def test_chat_log_through_the_cli(tmp_path):
    path = tmp_path / "chat.csv"
    _chat_log(path)
    result = CliRunner().invoke(main, ["scan", str(path), "--sector", "other", "--scenario", "other", "--format", "json"])
    assert result.exit_code in (0, 10, 20, 30), result.output
    report = json.loads(result.output)
    column = next(c for c in report["files"][0]["columns"] if c["name"] == "message")
    assert column["entity"] == "FREE_TEXT"
    assert {"PERSON_NAME", "CN_ADDRESS"} <= set(column["entities"])
    assert all("*" in s for s in column["samples"])
    assert report["persons"]["personal"] > 1000
    assert report["verdict"]["path"] != "none" or report["persons"]["personal"] < 10000
    text = result.output
    with path.open(encoding="utf-8") as fh:
        for row in list(csv.DictReader(fh))[:200]:
            for name in [e[3] for e in find_entities(row["message"]) if e[0] == PERSON]:
                assert name not in text  # no raw name in the report
    assert report["persons"]["by_entity"].get("PERSON_NAME", 0) > 1000


def test_custom_patterns_run_on_re2_in_prose():
    from detectors.presidio import analyze_texts_plain, re2_matches
    from detectors.registry import by_entity

    credential = by_entity()["CREDENTIAL"]
    token = "eyJ" + "a" * 160_000 + ".eyJ" + "b" * 20 + "." + "c" * 20
    start = time.perf_counter()
    re2_matches(credential, "token " + token + " end")
    assert time.perf_counter() - start < 5
    hits = analyze_texts_plain(["登录令牌 " + token[:60] + ".eyJabcdefghij.abcdefghij 已过期", "客户电话13800138000"])
    assert any(h[0] == "CN_MOBILE_PHONE" for h in hits[1])


def test_catastrophic_pattern_is_linear():
    from detectors.base import Detector
    from detectors.presidio import re2_matches

    det = Detector(entity="X_TEST", sensitive=False, category="test", description="", pattern="(a+)+b",
                   text_pattern="(a+)+b")
    start = time.perf_counter()
    assert re2_matches(det, "a" * 40) == []
    assert re2_matches(det, "a" * 5000 + "b") == [(0, 5001)]
    assert time.perf_counter() - start < 2
