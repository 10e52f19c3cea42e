"""Regenerate the compact data files beside this script from maintained sources.

Run once when the sources change (the outputs are committed; nothing here runs at scan time)::

    pip download --no-deps cpca pypinyin -d /tmp/src && (cd /tmp/src && unzip -o -q 'cpca-*.whl' \
        && unzip -o -q 'pypinyin-*.whl')
    PYTHONPATH=/tmp/src python detectors/data/build_data.py

Sources:

* ``cpca`` (MIT, https://github.com/DQinYuan/chinese_province_city_area_mapper): the 3,511
  province / city / county names with their adcodes (``cn_regions.tsv``) and the 56 民族
  (``ethnicities.txt``).
* ``pypinyin`` (MIT, https://github.com/mozillazg/python-pinyin): every toneless pinyin
  syllable (``pinyin_syllables.txt``) and the readings of the surnames below
  (``surnames.tsv``).

* ``jieba`` (MIT, https://github.com/fxsjy/jieba): its dictionary's person entries (tag ``nr``,
  three characters led by a surname) give how often each character is used in given names
  (``given_name_stats.tsv``): broad enough for 周恩来, 华罗庚, 任继愈 without a hand list.
  Its common words of two to four characters led by a surname (金额, 时间, 关系, 周一, 高端)
  are the words that only look like names (``surname_words.txt``): a column header, a sheet or
  a file named 金额 is not a person, one named 韩晓建 is.

The surname list (single, compound and common minority surnames; the census's top 400 and the
classical compound surnames) and the list of characters common in given names are written by
hand here.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import unicodedata
from importlib import resources
from pathlib import Path

HERE = Path(__file__).parent

SINGLE_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    "常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季"
    "裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦"
    "戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻"
    "苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练"
    "廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿"
    "鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由钮濮"
    "隗宇尕旦贡格郗卢易续暴汝仉桓竺步拓蒯达谯渠益琚丘焉禄惠阎訾亓官韶郦聂綦操寿糜泮乜党钭蓟丑钦逄"
    "帖扎苏蔚凤鞠过淡伞靖冒第生郏杞晁厍胡营牧旷汲刑隽覃钞宦尹弓仓甫寻骞尚"
    # census top-100 surnames the list above had missed, and a few more of the top 400
    "傅洪赖萧代庹闪鄂凡邴仵禤甯佴"
)
COMPOUND_SURNAMES = (
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 令狐 夏侯 独孤 南宫 西门 轩辕 端木 百里 呼延 "
    "万俟 闻人 澹台 公冶 宗政 濮阳 太叔 申屠 钟离 仲孙 鲜于 闾丘 司空 亓官 司寇 子车 颛孙 拓跋 完颜 赫连 "
    "第五 梁丘 左丘 东郭 南门 羊舌 微生 公羊 公良 乐正 漆雕 壤驷 谷梁 段干 巫马 哥舒 爱新觉罗 叶赫那拉 "
    "钮祜禄 乌拉那拉 佟佳 瓜尔佳 富察 那拉 舒穆禄 郭络罗 阿史那 买买提 艾力 阿不都 热依 古丽"
)
# Characters frequent in given names (hand-written; a name passes when most of its given-name
# characters are here, so a rare character does not reject a real name).
GIVEN_NAME_CHARS = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华红玉梅飞鹏斌宇浩凯健俊帆帅旭宁龙林欢佳嘉琳雪婷倩颖"
    "晶晨阳辉鑫波亮宏志峰建国文新利清云莉萍燕丹玲蓉婧慧莹颖璐露薇茜琪瑶怡悦欣心诗雨涵梓萱子轩睿博文泽宇航"
    "昊然皓天一浩晨思彤可馨语嫣紫若依晓小春夏秋冬梦婉雅静淑惠贤德仁义礼智信忠孝廉耻勤俭诚正海山川江河湖"
    "岩石松柏竹菊荷莲桃杏李梨兰芝芬芸菲蕾蓓薇萌蒙苗茂荣华昌盛兴旺发财富贵福禄寿喜庆安康乐平和顺祥瑞吉利"
    "金银铜铁钢锋锐铭锦钰鑫淼森焱垚磊晶品众双春秀凤凰鹤鸿鹏雁燕莺鹃鹰龙虎豹彪麟骏驰腾跃飞翔宇宙乾坤日月"
    "星辰光辉耀明亮晖晗曦昕昱晔暄暖阳炎烨煜熙照然焕炜灿烁烽立成功业博学思远志达道德宝宸家国栋梁材柱"
    "东南西北中卫兵军武力刚毅坚强胜利凯旋振奋起启开创新世纪元年长永久恒常青彬杉楠桐梧楷模范典雅致"
    "琦琪瑜瑾璇璋璐瑛珊珍珠玲琳瑶环佩珏琼瑗璞瑄琛琰琬婕妤媛娇娅娉婵婷姗妍妮娜姝嫦娥丽莎琴瑟筝笛箫"
    "秀慧敏捷聪颖灵巧美善真诚朴实纯洁清白素朗月晴岚霖露霜雪雯霏霓虹云涛波浪洁涌泉源溪流浩瀚沛泓润泽"
    "伦理仪容伯仲叔季孟少幼老宗祖孙子女儿男郎君臣民众人士生员亚雄英杰豪俊彦哲睿贤良谦恭敬让宽厚德"
    "桂英秀兰玉珍凤芝翠花香莲菊梅娟芳惠淑珍秀英桂兰凤英金英玉兰素珍丽娟春华志强建华建国建军国华国强"
    "振华德华永红海燕艳红晓明晓红晓燕晓东晓峰晓军晓光卫东卫国卫红学军学文学明学东学军庆华庆国宏伟"
    "一二三四五六七八九十百千万亿元方圆正直中和天地人之于以为有无不也乃其者尔而若如若可以"
    "彩翠碧蓝青紫红丹朱赤黛墨彦韬略谋策军宁静致远恬淡泊淳朴旻昀晟昶昊昂晋晏景智暮暄曜朔望"
    "坤垚培基城坚堂墨壮声涵润淳湘沁沐沛泳洪洲浚浦涓淇渊溢滨漫澄澜潇濡灏尧舜禹汤周秦汉唐宋元明清"
    "钧铎锴镇铖钊钦锡镕磊砚硕碧磐祺祯禧福祥禄祉稷穗颂顺颜馥馨驹骐骥骞骁鹭麒茗荟蓓蔚蕴薪藤苒芊芃芮"
)


def _syllables(pinyin_dict: dict[str, str]) -> set[str]:
    out: set[str] = set()
    for readings in pinyin_dict.values():
        for reading in readings.split(","):
            plain = unicodedata.normalize("NFKD", reading).encode("ascii", "ignore").decode().lower()
            plain = plain.replace("u:", "v")
            if plain.isalpha() and not plain.startswith(("m", "n", "h")) or plain in {
                "ma", "mai", "man", "mang", "mao", "me", "mei", "men", "meng", "mi", "mian", "miao", "mie",
                "min", "ming", "miu", "mo", "mou", "mu", "na", "nai", "nan", "nang", "nao", "ne", "nei", "nen",
                "neng", "ni", "nian", "niang", "niao", "nie", "nin", "ning", "niu", "nong", "nou", "nu", "nuan",
                "nuo", "nv", "nve", "ha", "hai", "han", "hang", "hao", "he", "hei", "hen", "heng", "hong", "hou",
                "hu", "hua", "huai", "huan", "huang", "hui", "hun", "huo",
            }:
                if plain.isalpha():
                    out.add(plain)
    return out


# Given-name characters seen fewer times than this among jieba's person entries are left out.
MIN_GIVEN_COUNT = 3


def given_name_stats(surnames: set[str]) -> list[tuple[str, int, int]]:
    """(character, count, foreign count) of the given-name characters of jieba's three-character
    person entries, with how often the character appears in transliterated foreign names (tag
    ``nrt``: 卡尔, 罗伯特), so that users can tell 卡 (foreign) from 恩 (both)."""
    import collections

    spec = importlib.util.find_spec("jieba")
    counts: collections.Counter[str] = collections.Counter()
    foreign: collections.Counter[str] = collections.Counter()
    with (Path(spec.origin).parent / "dict.txt").open(encoding="utf-8") as fh:
        for line in fh:
            word, _, tag = (line.split() + ["", ""])[:3]
            if tag == "nr" and len(word) == 3 and word[0] in surnames:
                counts.update(c for c in word[1:] if "\u4e00" <= c <= "\u9fff")
            elif tag == "nrt":
                foreign.update(word)
    return sorted(((c, n, foreign[c]) for c, n in counts.items() if n >= MIN_GIVEN_COUNT), key=lambda x: (-x[1], x[0]))


def write_given_name_stats() -> None:
    stats = given_name_stats(set(SINGLE_SURNAMES))
    (HERE / "given_name_stats.tsv").write_text("".join(f"{c}\t{n}\t{f}\n" for c, n, f in stats), encoding="utf-8")


# Words seen fewer times than this in jieba's dictionary are left out of ``surname_words.txt``
# (headers and file names use common words).
MIN_WORD_COUNT = 3


def surname_words(singles: set[str], compounds: set[str]) -> list[str]:
    """jieba's words of two to four Chinese characters led by a surname, seen at least
    ``MIN_WORD_COUNT`` times: those not tagged a person (nr, nrt, nrfg), and those tagged one
    that begin other words (过敏 of 过敏史, 麻醉 of 麻醉药品: jieba tags some common words nr; a
    person's name begins no word). A longer word whose surname and next character already make a
    listed word is left out (金额 stands for 金额合计): that is how the list is read (see
    ``detectors.person_name.name_spans``)."""
    spec = importlib.util.find_spec("jieba")
    words: list[str] = []
    tagged_person: set[str] = set()
    others: list[str] = []
    with (Path(spec.origin).parent / "dict.txt").open(encoding="utf-8") as fh:
        for line in fh:
            word, count, tag = (line.split() + ["", "", ""])[:3]
            if int(count or 0) < MIN_WORD_COUNT or not all("\u4e00" <= c <= "\u9fff" for c in word):
                continue
            if tag.startswith("nr"):
                if 2 <= len(word) <= 4 and (word[0] in singles or word[:2] in compounds):
                    tagged_person.add(word)
                continue
            others.append(word)
            if 2 <= len(word) <= 4 and (word[0] in singles or word[:2] in compounds):
                words.append(word)
    words += sorted({w[:k] for w in others for k in (2, 3, 4) if len(w) > k and w[:k] in tagged_person})
    lead = {w for w in words if len(w) == (2 if w[:2] in compounds else 1) + 1}
    return sorted({w for w in words if w in lead or w[:(2 if w[:2] in compounds else 1) + 1] not in lead})


def write_surname_words() -> None:
    words = surname_words(set(SINGLE_SURNAMES), set(COMPOUND_SURNAMES.split()))
    (HERE / "surname_words.txt").write_text("\n".join(words) + "\n", encoding="utf-8")


def main() -> None:
    # Read cpca's data files without importing it (its import needs a compiled extension).
    spec = importlib.util.find_spec("cpca")
    data = Path(spec.origin).parent / "resources"
    with (data / "adcodes.csv").open(encoding="utf-8") as fh:
        rows = sorted((r["adcode"][:6], r["name"]) for r in csv.DictReader(fh))
    (HERE / "cn_regions.tsv").write_text("".join(f"{code}\t{name}\n" for code, name in rows), encoding="utf-8")
    nations = [line.strip() for line in (data / "56_nations.csv").read_text(encoding="utf-8").splitlines() if line.strip()]
    (HERE / "ethnicities.txt").write_text("\n".join(nations) + "\n", encoding="utf-8")

    import pypinyin

    pinyin_dict = json.loads((resources.files("pypinyin") / "pinyin_dict.json").read_text(encoding="utf-8"))
    # ü is written v (or yu) in romanised names: Lü → Lv / Lyu.
    syllables = sorted(_syllables(pinyin_dict) | {"lv", "nv", "lve", "nve", "lyu", "nyu"})
    (HERE / "pinyin_syllables.txt").write_text("\n".join(syllables) + "\n", encoding="utf-8")

    surnames = list(dict.fromkeys(list(SINGLE_SURNAMES) + COMPOUND_SURNAMES.split()))
    lines = []
    for surname in surnames:
        readings = pypinyin.pinyin(surname, style=pypinyin.Style.NORMAL, heteronym=True)
        # Keep every reading of a single character (单 is Shan as a surname); compounds take
        # their first readings joined (Ouyang).
        if len(surname) == 1:
            spelled = sorted({r.replace("ü", "v") for r in readings[0]})
        else:
            spelled = ["".join(r[0] for r in readings).replace("ü", "v")]
        lines.append(f"{surname}\t{','.join(spelled)}\n")
    (HERE / "surnames.tsv").write_text("".join(lines), encoding="utf-8")
    chars = "".join(dict.fromkeys(c for c in GIVEN_NAME_CHARS if "\u4e00" <= c <= "\u9fff"))
    (HERE / "given_name_chars.txt").write_text(chars + "\n", encoding="utf-8")
    write_given_name_stats()
    write_surname_words()


if __name__ == "__main__":
    main()
