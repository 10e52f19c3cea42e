"""Speed of names and addresses in prose: sampled classification and the ``--full`` pass.

Prints, for a column of short chat/customer-service messages (names, addresses, phones and
plain chatter, every message distinct):

* the one-off cost of loading jieba's dictionary and the spaCy pipeline;
* sampled classification of a 5,000-value prose column (:func:`detectors.classify.classify_column`);
* the ``--full`` pass over every row (:func:`detectors.free_text.entities_in_text` for
  PERSON_NAME and CN_ADDRESS, as the scan pipeline calls it per batch), in sentences/s on one core.

    python benchmarks/bench_ner.py [--rows 200000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pyarrow as pa  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢傅洪赖"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华红玉梅飞鹏斌宇浩凯健俊帆帅旭宁龙林欢佳嘉琳雪婷倩颖"
FRAMES = ["我是{n}，我家住在{a}，麻烦送到门口", "{n}你好，快递放{a}楼下就行", "收件人{n}，地址{a}", "今天{n}说他搬到{a}了",
          "好的，谢谢！订单{k}什么时候到", "几点到呀？我{k}点以后在家", "已经下单了，等发货，编号{k}", "{n}，明天下午{k}点开会别忘了",
          "这个价格{k}元有点贵，能便宜点吗", "请问退款{k}天内能到账吗", "快递员说{k}分钟后到", "联系电话138{k:08d}"]
ROADS = ("建国路", "人民路", "解放大道", "中山北路", "文三路", "长江路", "和平里东街", "科苑路")
COMPOUNDS = ("阳光花园", "幸福小区", "翠苑一区", "金地名苑", "龙湖春江彼岸")


def messages(n: int, seed: int = 18) -> list[str]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        if rng.random() < 0.5:
            address = f"{rng.choice(ROADS)}{rng.randint(1, 999)}号"
        else:
            address = f"{rng.choice(COMPOUNDS)}{rng.randint(1, 30)}-{rng.randint(1, 6)}-{rng.randint(101, 2402)}"
        out.append(rng.choice(FRAMES).format(n=name, a=address, k=i))  # k makes every message distinct
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()

    from detectors.classify import classify_column
    from detectors.free_text import entities_in_text
    from detectors.ner import lexicon
    from detectors.presidio import _default_analyzer
    from detectors.registry import builtin_detectors, by_entity

    start = time.perf_counter()
    lexicon()
    _default_analyzer()
    print(f"load jieba, the tag table and the spaCy/Presidio pipeline (once per process): {time.perf_counter() - start:.2f} s")

    detectors = builtin_detectors()
    column = pa.array(messages(5000, seed=1))
    classify_column("message", column, detectors)  # first call compiles patterns
    column = pa.array(messages(5000, seed=2))
    start, cpu = time.perf_counter(), time.process_time()
    c = classify_column("message", column, detectors)
    took, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"sampled classification of a 5,000-value prose column: {took:.3f} s wall, {cpu:.3f} s CPU -> {c.entity} {c.entities}")

    texts = pa.array(messages(args.rows))
    names, addresses = by_entity()["PERSON_NAME"], by_entity()["CN_ADDRESS"]
    batch = 65_536
    start = time.perf_counter()
    cpu = time.process_time()
    found = 0
    for offset in range(0, len(texts), batch):
        part = texts.slice(offset, batch)
        ok_names, _ = entities_in_text(names, part)
        ok_addresses, _ = entities_in_text(addresses, part)
        found += int((ok_names | ok_addresses).sum())
    took = time.perf_counter() - start
    cpu = time.process_time() - cpu
    print(f"--full pass, {len(texts):,} distinct messages: {took:.1f} s wall, {cpu:.1f} s CPU -> "
          f"{len(texts) / cpu:,.0f} sentences/s per core; {found:,} rows with a name or an address")


if __name__ == "__main__":
    main()
