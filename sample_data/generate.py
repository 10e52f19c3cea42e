"""Realistic, seeded sample exports for every sector of the Beijing FTZ 2024 negative list.

Every identifier is synthetic but format-valid (checksums correct) except a documented few per
column (<= 3 %), so that detectors, person counting and rule mapping can be scored against
``truth.json``, which this script writes beside the data.

    python sample_data/generate.py                      # rewrite the committed sample files
    python sample_data/generate.py --out /tmp/s         # the same files elsewhere (byte-identical)
    python sample_data/generate.py --big /tmp/big.csv --size 1GB [--format parquet] [--columns 10]

The standard library, numpy and pyarrow; the media files also use the test images that ship
inside scikit-image (LFW faces, astronaut, coffee) and Pillow's JPEG encoder (``chujing[media]``). Same seed -> byte-identical files: every
file draws from its own ``random.Random`` seeded with the seed and the file's path, gzip is
written with ``mtime=0`` and no file name, Parquet without timestamps.

How truth is counted (``truth.json``): every row that holds personal data belongs to exactly one
generated person and carries at least one *valid* strong key (resident ID, passport or permit,
mobile phone, e-mail or bank card), and persons never share a key value. ``persons`` is the number
of distinct persons in a file as anyone could tell them apart: rows are one person when they
share a key value (a person's phone in one complaint and ID in another are two persons: nobody
can link them); ``sensitive_persons`` those of them with at least one valid value
of a sensitive entity in their rows (CONTRACT.md's sensitive column, free text included), or
under 14 on the scan date by a birth date visible in the file (a BIRTH_DATE column or an ID
number). Invalid values are only ever injected where they change neither count.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import hashlib
import io
import json
import math
import os
import random
import string
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

SEED = 20241
SCAN_DATE = dt.date(2026, 11, 27)
CHILD_CUTOFF = dt.date(SCAN_DATE.year - 14, SCAN_DATE.month, SCAN_DATE.day)  # born after: under 14
HERE = Path(__file__).resolve().parent

# --------------------------------------------------------------------------------------------
# Entities (CONTRACT.md)
# --------------------------------------------------------------------------------------------
SENSITIVE_ENTITIES = frozenset({
    "CN_RESIDENT_ID", "CN_PASSPORT", "CN_HK_MACAO_PERMIT", "CN_TAIWAN_PERMIT", "CN_EXIT_ENTRY_PERMIT",
    "CN_FOREIGNER_PR_ID", "CN_DRIVING_LICENCE_FILE_NO", "CN_VEHICLE_LICENCE_NO",
    "CN_SOCIAL_SECURITY_CARD", "CN_BANK_CARD", "CREDENTIAL", "BIOMETRIC", "MEDICAL", "GENETIC",
})
STRONG_KEYS = frozenset({
    "CN_RESIDENT_ID", "CN_PASSPORT", "CN_HK_MACAO_PERMIT", "CN_TAIWAN_PERMIT", "CN_EXIT_ENTRY_PERMIT",
    "CN_FOREIGNER_PR_ID", "CN_MOBILE_PHONE", "EMAIL", "CN_BANK_CARD",
})
# What a scanner links rows by (the detectors with person_key=True).
LINK_KEYS = STRONG_KEYS | {"CN_DRIVING_LICENCE_FILE_NO", "CN_SOCIAL_SECURITY_CARD"}
NON_PERSONAL_ENTITIES = frozenset({"CN_USCC", "FREE_TEXT"})  # FREE_TEXT: its own entities count

# --------------------------------------------------------------------------------------------
# Checksums (the standards are quoted in /work/shared/reference/RULES_AND_FORMATS.md)
# --------------------------------------------------------------------------------------------
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def id_check_char(first17: str) -> str:
    """GB 11643 (ISO 7064 MOD 11-2) check character of a resident ID's first 17 digits."""
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def wrong_id_check_char(first17: str) -> str:
    right = id_check_char(first17)
    return "0" if right != "0" else "1"


def luhn_check_digit(body: str) -> str:
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def luhn_ok(number: str) -> bool:
    return luhn_check_digit(number[:-1]) == number[-1]


VIN_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
VIN_VALUES = {**{str(d): d for d in range(10)},
              **dict(zip("ABCDEFGH", range(1, 9), strict=True)), **dict(zip("JKLMN", range(1, 6), strict=True)),
              "P": 7, "R": 9, **dict(zip("STUVWXYZ", range(2, 10), strict=True))}
VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin_check_char(vin: str) -> str:
    """ISO 3779 / GB 16735 check character (position 9) of a 17-character VIN."""
    r = sum(VIN_VALUES[c] * w for c, w in zip(vin, VIN_WEIGHTS, strict=True)) % 11
    return "X" if r == 10 else str(r)


USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_char(first17: str) -> str:
    """GB 32100 check character of a unified social credit code."""
    s = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - s % 31) % 31]


def org_code_check_char(first8: str) -> str:
    """GB 11714 check character of the 9-character organisation code inside a USCC."""
    s = sum(int(c, 36) * w for c, w in zip(first8, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    c = 11 - s % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


# --------------------------------------------------------------------------------------------
# Places: real administrative codes, plate prefixes, area codes and a few real roads each.
# Codes marked as historic were abolished but stay valid on IDs issued before the change.
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class City:
    key: str
    province: str  # "" for municipalities (the city name is the province-level name)
    city: str
    plate: str  # province character + the city's plate letters
    area: str  # landline area code
    landline_digits: int
    weight: float


@dataclass(frozen=True)
class District:
    code: str
    city: City
    name: str
    roads: tuple[str, ...]
    weight: float = 1.0


_CITIES = [
    City("bj", "", "北京市", "京ABCEFGHJKLMNPQ", "010", 8, 14),
    City("tj", "", "天津市", "津ABCDEFGHJKLMN", "022", 8, 4),
    City("sjz", "河北省", "石家庄市", "冀A", "0311", 8, 2),
    City("ts", "河北省", "唐山市", "冀B", "0315", 7, 1),
    City("ty", "山西省", "太原市", "晋A", "0351", 7, 1.5),
    City("hhht", "内蒙古自治区", "呼和浩特市", "蒙A", "0471", 7, 1),
    City("bt", "内蒙古自治区", "包头市", "蒙B", "0472", 7, 0.6),
    City("sy", "辽宁省", "沈阳市", "辽A", "024", 8, 2),
    City("dl", "辽宁省", "大连市", "辽B", "0411", 8, 1.5),
    City("cc", "吉林省", "长春市", "吉A", "0431", 8, 1.2),
    City("hrb", "黑龙江省", "哈尔滨市", "黑A", "0451", 8, 1.5),
    City("sh", "", "上海市", "沪ABCDEFGHJKLMN", "021", 8, 14),
    City("nj", "江苏省", "南京市", "苏A", "025", 8, 3),
    City("sz_js", "江苏省", "苏州市", "苏E", "0512", 8, 3),
    City("wx", "江苏省", "无锡市", "苏B", "0510", 8, 1.5),
    City("hz", "浙江省", "杭州市", "浙A", "0571", 8, 4),
    City("nb", "浙江省", "宁波市", "浙B", "0574", 8, 1.5),
    City("wz", "浙江省", "温州市", "浙C", "0577", 8, 1.2),
    City("hf", "安徽省", "合肥市", "皖A", "0551", 7, 2),
    City("fz", "福建省", "福州市", "闽A", "0591", 8, 1.5),
    City("xm", "福建省", "厦门市", "闽D", "0592", 7, 1.5),
    City("nc", "江西省", "南昌市", "赣A", "0791", 8, 1.2),
    City("jn", "山东省", "济南市", "鲁A", "0531", 8, 2),
    City("qd", "山东省", "青岛市", "鲁B", "0532", 8, 2),
    City("zz", "河南省", "郑州市", "豫A", "0371", 8, 2.5),
    City("wh", "湖北省", "武汉市", "鄂A", "027", 8, 3),
    City("cs", "湖南省", "长沙市", "湘A", "0731", 8, 2),
    City("jishou", "湖南省", "湘西土家族苗族自治州", "湘U", "0743", 7, 0.4),
    City("gz", "广东省", "广州市", "粤A", "020", 8, 7),
    City("sz", "广东省", "深圳市", "粤B", "0755", 8, 8),
    City("dg", "广东省", "东莞市", "粤S", "0769", 8, 2),
    City("fs", "广东省", "佛山市", "粤E", "0757", 8, 2),
    City("nn", "广西壮族自治区", "南宁市", "桂A", "0771", 7, 1.2),
    City("hk", "海南省", "海口市", "琼A", "0898", 8, 0.8),
    City("cq", "", "重庆市", "渝ABCDFGH", "023", 8, 4),
    City("cd", "四川省", "成都市", "川A", "028", 8, 4),
    City("ls", "四川省", "凉山彝族自治州", "川W", "0834", 7, 0.4),
    City("gy", "贵州省", "贵阳市", "贵A", "0851", 8, 1),
    City("kl", "贵州省", "黔东南苗族侗族自治州", "贵H", "0855", 7, 0.4),
    City("km", "云南省", "昆明市", "云A", "0871", 8, 1.5),
    City("ls_xz", "西藏自治区", "拉萨市", "藏A", "0891", 7, 0.4),
    City("xa", "陕西省", "西安市", "陕A", "029", 8, 3),
    City("lz", "甘肃省", "兰州市", "甘A", "0931", 7, 1),
    City("xn", "青海省", "西宁市", "青A", "0971", 7, 0.5),
    City("yc", "宁夏回族自治区", "银川市", "宁A", "0951", 7, 0.6),
    City("wlmq", "新疆维吾尔自治区", "乌鲁木齐市", "新A", "0991", 7, 1),
    City("ks", "新疆维吾尔自治区", "喀什地区", "新Q", "0998", 7, 0.4),
]
CITIES = {c.key: c for c in _CITIES}
_GENERIC_ROADS = ("人民路", "解放路", "中山路", "建设路", "新华路", "文化路")

_DISTRICT_ROWS = [
    ("110101", "bj", "东城区", "东四十条|崇文门外大街|和平里东街"),
    ("110102", "bj", "西城区", "西直门内大街|广安门内大街|德胜门外大街"),
    ("110105", "bj", "朝阳区", "建国路|朝阳北路|望京街|酒仙桥路"),
    ("110106", "bj", "丰台区", "丰台北路|南三环西路|富丰路"),
    ("110107", "bj", "石景山区", "石景山路|鲁谷路"),
    ("110108", "bj", "海淀区", "中关村大街|学院路|知春路|北四环西路"),
    ("110112", "bj", "通州区", "新华大街|运河西大街"),
    ("110113", "bj", "顺义区", "府前街|仁和路"),
    ("110114", "bj", "昌平区", "回龙观西大街|政府街"),
    ("110115", "bj", "大兴区", "兴华大街|黄村西大街"),
    ("120101", "tj", "和平区", "南京路|滨江道"),
    ("120103", "tj", "河西区", "友谊路|围堤道"),
    ("120104", "tj", "南开区", "鞍山西道|白堤路"),
    ("120116", "tj", "滨海新区", "第二大街|洞庭路"),
    ("130102", "sjz", "长安区", "中山东路|建设北大街"),
    ("130104", "sjz", "桥西区", "中华南大街|自强路"),
    ("130203", "ts", "路北区", "建设北路|新华西道"),
    ("140105", "ty", "小店区", "长风街|亲贤北街"),
    ("150102", "hhht", "新城区", "新华大街|中山东路"),
    ("150203", "bt", "昆都仑区", "钢铁大街|阿尔丁大街"),
    ("210102", "sy", "和平区", "南京北街|中华路"),
    ("210202", "dl", "中山区", "人民路|解放路"),
    ("220102", "cc", "南关区", "人民大街|解放大路"),
    ("230102", "hrb", "道里区", "中央大街|地段街"),
    ("310101", "sh", "黄浦区", "南京东路|淮海中路|西藏南路"),
    ("310104", "sh", "徐汇区", "漕溪北路|肇嘉浜路|天钥桥路"),
    ("310105", "sh", "长宁区", "天山路|延安西路"),
    ("310106", "sh", "静安区", "南京西路|共和新路"),
    ("310107", "sh", "普陀区", "曹杨路|真北路"),
    ("310109", "sh", "虹口区", "四川北路|曲阳路"),
    ("310110", "sh", "杨浦区", "国权路|控江路"),
    ("310112", "sh", "闵行区", "七莘路|虹井路|莘松路"),
    ("310113", "sh", "宝山区", "牡丹江路|友谊路"),
    ("310115", "sh", "浦东新区", "张杨路|世纪大道|锦绣路|川沙路"),
    ("320102", "nj", "玄武区", "中山路|北京东路"),
    ("320104", "nj", "秦淮区", "中华路|龙蟠中路"),
    ("320106", "nj", "鼓楼区", "中山北路|湖南路"),
    ("320505", "sz_js", "虎丘区", "狮山路|长江路"),
    ("320506", "sz_js", "吴中区", "东吴北路|宝带西路"),
    ("320508", "sz_js", "姑苏区", "人民路|干将西路"),
    ("320214", "wx", "新吴区", "长江路|新华路"),
    ("330102", "hz", "上城区", "解放路|清泰街"),
    ("330106", "hz", "西湖区", "文三路|天目山路"),
    ("330108", "hz", "滨江区", "江南大道|滨盛路"),
    ("330105", "hz", "拱墅区", "莫干山路|湖墅南路"),
    ("330110", "hz", "余杭区", "文一西路|临平大道"),
    ("330203", "nb", "海曙区", "中山西路|解放南路"),
    ("330302", "wz", "鹿城区", "人民路|车站大道"),
    ("340102", "hf", "瑶海区", "长江东路|胜利路"),
    ("340104", "hf", "蜀山区", "长江西路|黄山路"),
    ("350102", "fz", "鼓楼区", "五四路|杨桥路"),
    ("350203", "xm", "思明区", "中山路|湖滨南路"),
    ("360102", "nc", "东湖区", "八一大道|阳明路"),
    ("370102", "jn", "历下区", "泉城路|经十路"),
    ("370202", "qd", "市南区", "香港中路|中山路"),
    ("410105", "zz", "金水区", "花园路|金水路"),
    ("420102", "wh", "江岸区", "解放大道|沿江大道"),
    ("420106", "wh", "武昌区", "中南路|武珞路"),
    ("420111", "wh", "洪山区", "珞喻路|雄楚大道"),
    ("430102", "cs", "芙蓉区", "五一大道|韶山北路"),
    ("430104", "cs", "岳麓区", "麓山南路|枫林一路"),
    ("433101", "jishou", "吉首市", "人民北路|乾州大道"),
    ("440103", "gz", "荔湾区", "中山八路|芳村大道"),
    ("440104", "gz", "越秀区", "环市东路|东风中路|北京路"),
    ("440106", "gz", "天河区", "天河路|体育西路|黄埔大道"),
    ("440303", "sz", "罗湖区", "深南东路|人民南路"),
    ("440304", "sz", "福田区", "深南中路|福华路|益田路"),
    ("440305", "sz", "南山区", "南海大道|科苑路|后海大道"),
    ("440306", "sz", "宝安区", "宝安大道|新安六路"),
    ("441900", "dg", "南城街道", "鸿福路|宏图路"),
    ("440604", "fs", "禅城区", "季华路|祖庙路"),
    ("450102", "nn", "兴宁区", "朝阳路|民生路"),
    ("460105", "hk", "秀英区", "滨海大道|长滨路"),
    ("500103", "cq", "渝中区", "民族路|中山三路"),
    ("500105", "cq", "江北区", "建新北路|洋河一路"),
    ("500106", "cq", "沙坪坝区", "小龙坎正街|汉渝路"),
    ("510104", "cd", "锦江区", "春熙路|东大街"),
    ("510107", "cd", "武侯区", "人民南路四段|科华北路"),
    ("513401", "ls", "西昌市", "航天大道|三岔口东路"),
    ("520102", "gy", "南明区", "中华南路|花果园大街"),
    ("522601", "kl", "凯里市", "韶山南路|北京东路"),
    ("530102", "km", "五华区", "东风西路|人民中路"),
    ("540102", "ls_xz", "城关区", "北京中路|江苏路"),
    ("610103", "xa", "碑林区", "南大街|友谊西路"),
    ("610113", "xa", "雁塔区", "小寨西路|长安南路"),
    ("620102", "lz", "城关区", "庆阳路|东岗西路"),
    ("630102", "xn", "城东区", "东关大街|八一路"),
    ("640104", "yc", "兴庆区", "解放西街|文化东街"),
    ("650102", "wlmq", "天山区", "解放南路|新华北路"),
    ("650103", "wlmq", "沙依巴克区", "友好南路|西北路"),
    ("653101", "ks", "喀什市", "人民东路|解放北路"),
]
DISTRICTS = [District(code, CITIES[ck], name, tuple(roads.split("|"))) for code, ck, name, roads in _DISTRICT_ROWS]
DISTRICT_BY_CODE = {d.code: d for d in DISTRICTS}
# Abolished county codes -> (name, last birth year they were issued for, successor code).
HISTORIC_CODES = {
    "110103": ("崇文区", 2009, "110101"),
    "110104": ("宣武区", 2009, "110102"),
    "120107": ("塘沽区", 2008, "120116"),
    "310103": ("卢湾区", 2010, "310101"),
    "310108": ("闸北区", 2014, "310106"),
    "320103": ("白下区", 2012, "320104"),
    "330103": ("下城区", 2020, "330105"),
    "330104": ("江干区", 2020, "330102"),
    "440102": ("东山区", 2004, "440104"),
    "510202": ("重庆市市中区", 1994, "500103"),  # before Chongqing became a municipality
}
SUCCESSOR_TO_HISTORIC: dict[str, list[str]] = {}
for _old, (_n, _y, _new) in HISTORIC_CODES.items():
    SUCCESSOR_TO_HISTORIC.setdefault(_new, []).append(_old)

ETHNIC_MIX = {  # by residence city key: (ethnicity, share); the rest are 汉
    "wlmq": (("维吾尔族", 0.30), ("哈萨克族", 0.06), ("回族", 0.08)),
    "ks": (("维吾尔族", 0.85),),
    "ls_xz": (("藏族", 0.70),),
    "hhht": (("蒙古族", 0.18), ("回族", 0.03)),
    "bt": (("蒙古族", 0.10),),
    "nn": (("壮族", 0.35),),
    "yc": (("回族", 0.30),),
    "ls": (("彝族", 0.45),),
    "kl": (("苗族", 0.45), ("侗族", 0.15)),
    "jishou": (("土家族", 0.40), ("苗族", 0.30)),
    "sy": (("满族", 0.08), ("朝鲜族", 0.03)),
    "cc": (("满族", 0.05), ("朝鲜族", 0.04)),
    "hrb": (("满族", 0.05),),
    "km": (("彝族", 0.05), ("白族", 0.03)),
    "hk": (("黎族", 0.05),),
    "xn": (("回族", 0.15), ("藏族", 0.05)),
    "bj": (("满族", 0.02), ("回族", 0.02)),
}

# --------------------------------------------------------------------------------------------
# Names, with the pinyin that passports and airline systems print
# --------------------------------------------------------------------------------------------
def _pairs(spec: str) -> list[tuple[str, str]]:
    """'王wang 李li' -> [('王', 'wang'), ('李', 'li')]."""
    out = []
    for item in spec.split():
        han = "".join(c for c in item if ord(c) > 127)
        out.append((han, item[len(han):]))
    return out


SURNAMES = _pairs(
    "王wang 李li 张zhang 刘liu 陈chen 杨yang 黄huang 赵zhao 吴wu 周zhou 徐xu 孙sun 马ma 朱zhu 胡hu "
    "郭guo 何he 高gao 林lin 罗luo 郑zheng 梁liang 谢xie 宋song 唐tang 许xu 韩han 冯feng 邓deng 曹cao "
    "彭peng 曾zeng 肖xiao 田tian 董dong 袁yuan 潘pan 于yu 蒋jiang 蔡cai 余yu 杜du 叶ye 程cheng 苏su "
    "魏wei 吕lyu 丁ding 任ren 沈shen 姚yao 卢lu 姜jiang 崔cui 钟zhong 谭tan 陆lu 汪wang 范fan 金jin "
    "石shi 廖liao 贾jia 夏xia 韦wei 付fu 方fang 白bai 邹zou 孟meng 熊xiong 秦qin 邱qiu 江jiang 尹yin "
    "薛xue 闫yan 段duan 雷lei 侯hou 龙long 史shi 陶tao 黎li 贺he 顾gu 毛mao 郝hao 龚gong 邵shao 万wan "
    "钱qian 严yan 覃qin 武wu 戴dai 莫mo 孔kong 向xiang 汤tang 单shan 解xie"
)
# Weights roughly follow the census: the first ten surnames cover ~40 % of the population.
SURNAME_WEIGHTS = [7.2, 7.1, 6.8, 5.4, 5.3, 3.1, 2.4, 2.2, 2.0, 1.9] + [0.9] * 20 + [0.45] * (len(SURNAMES) - 30)
COMPOUND_SURNAMES = _pairs(
    "欧阳ouyang 司马sima 诸葛zhuge 上官shangguan 东方dongfang 皇甫huangfu 慕容murong 令狐linghu 夏侯xiahou "
    "尉迟yuchi 公孙gongsun 端木duanmu"
)
GIVEN_MALE = _pairs(
    "伟wei 强qiang 磊lei 军jun 勇yong 杰jie 涛tao 斌bin 超chao 明ming 刚gang 平ping 辉hui 鹏peng 华hua "
    "飞fei 鑫xin 波bo 宇yu 浩hao 凯kai 健jian 俊jun 帆fan 帅shuai 旭xu 宁ning 龙long 林lin 阳yang "
    "建jian 国guo 志zhi 文wen 东dong 晨chen 博bo 峰feng 海hai 成cheng 永yong 德de 宏hong 亮liang 振zhen "
    "毅yi 瑞rui 铭ming 嘉jia 立li 家jia 庆qing 春chun 昊hao 泽ze"
)
GIVEN_FEMALE = _pairs(
    "芳fang 娜na 敏min 静jing 丽li 艳yan 娟juan 霞xia 秀xiu 英ying 燕yan 玲ling 丹dan 萍ping 红hong "
    "婷ting 雪xue 琳lin 颖ying 倩qian 慧hui 洁jie 梅mei 琴qin 云yun 莉li 佳jia 欣xin 怡yi 雨yu "
    "萱xuan 涵han 诗shi 晶jing 璐lu 蕾lei 薇wei 彤tong 悦yue 瑶yao 琪qi 月yue 晓xiao 美mei 玉yu "
    "凤feng 兰lan 淑shu 珍zhen 思si"
)
# Full given names typical of a generation (born before 1965 / after 2005).
GIVEN_OLD = {
    "M": _pairs("建国jianguo 国强guoqiang 卫东weidong 建华jianhua 志强zhiqiang 振华zhenhua 德明deming 玉田yutian 长江changjiang 解放jiefang"),
    "F": _pairs("秀英xiuying 桂兰guilan 淑珍shuzhen 玉兰yulan 红梅hongmei 凤英fengying 桂芳guifang 秀兰xiulan 玉珍yuzhen 淑华shuhua"),
}
GIVEN_YOUNG = {
    "M": _pairs("子轩zixuan 浩然haoran 宇轩yuxuan 一诺yinuo 梓豪zihao 俊熙junxi 沐宸muchen 皓轩haoxuan 子墨zimo 奕辰yichen"),
    "F": _pairs("梓涵zihan 欣怡xinyi 雨萱yuxuan 诗涵shihan 梓萱zixuan 若汐ruoxi 一诺yinuo 语桐yutong 可馨kexin 思琪siqi"),
}
# Names of Uyghur, Kazakh, Tibetan and Mongolian people: (given, pinyin) lists; Uyghur and Kazakh
# names are "own name·father's name".
UYGHUR_GIVEN = {
    "M": _pairs("艾力aili 买买提maimaiti 阿不都abudu 艾尔肯aierken 帕尔哈提paerhati 努尔nuer 艾克拜尔aikebaier"),
    "F": _pairs("阿依古丽ayiguli 古丽娜尔gulinaer 热依拉reyila 迪丽努尔dilinuer 米热古丽mireguli 再娜甫zainafu"),
}
UYGHUR_FATHER = _pairs("买买提maimaiti 吐尔逊tuerxun 艾山aishan 阿不都热合曼abudureheman 库尔班kuerban 依明yiming 玉素甫yusufu")
KAZAKH_GIVEN = {"M": _pairs("努尔兰nuerlan 叶尔兰yeerlan 别克bieke"), "F": _pairs("阿依达娜ayidana 古丽米拉gulimila")}
KAZAKH_FATHER = _pairs("哈力木halimu 吐尔洪tuerhong 加肯jiaken")
TIBETAN_FIRST = _pairs("扎西zhaxi 次仁ciren 达瓦dawa 格桑gesang 旦增danzeng 洛桑luosang 尼玛nima 丹增danzeng")
TIBETAN_SECOND = {"M": _pairs("顿珠dunzhu 多吉duoji 平措pingcuo 罗布luobu"), "F": _pairs("卓玛zhuoma 央金yangjin 拉姆lamu 曲珍quzhen 德吉deji")}
MONGOL_NAMES = {
    "M": _pairs("巴特尔bateer 额尔敦eerdun 苏和suhe 朝鲁chaolu 那顺nashun 孟和menghe 毕力格bilige"),
    "F": _pairs("乌云其其格wuyunqiqige 萨仁高娃sarengaowa 娜仁托娅narentuoya 其木格qimuge 图雅tuya"),
}
FOREIGN_PEOPLE = [  # nationality alpha-3, numeric, given (Latin, Chinese), family (Latin, Chinese)
    ("USA", "840", [("John", "约翰"), ("Emily", "艾米丽"), ("Michael", "迈克尔")], [("Miller", "米勒"), ("Johnson", "约翰逊")]),
    ("DEU", "276", [("Anna", "安娜"), ("Lukas", "卢卡斯")], [("Schmidt", "施密特"), ("Weber", "韦伯")]),
    ("GBR", "826", [("David", "大卫"), ("Sophie", "索菲")], [("Wilson", "威尔逊"), ("Taylor", "泰勒")]),
    ("FRA", "250", [("Pierre", "皮埃尔"), ("Camille", "卡米尔")], [("Martin", "马丁"), ("Bernard", "贝尔纳")]),
    ("RUS", "643", [("Olga", "奥尔加"), ("Ivan", "伊万")], [("Ivanova", "伊万诺娃"), ("Petrov", "彼得罗夫")]),
    ("CAN", "124", [("Ryan", "瑞安"), ("Chloe", "克洛伊")], [("Brown", "布朗"), ("Tremblay", "特朗布莱")]),
    ("AUS", "036", [("Jack", "杰克"), ("Olivia", "奥利维亚")], [("Smith", "史密斯"), ("Kelly", "凯利")]),
    ("ITA", "380", [("Marco", "马可"), ("Giulia", "朱莉娅")], [("Rossi", "罗西"), ("Bianchi", "比安奇")]),
]
FOREIGN_GENDER = {"John": "M", "Emily": "F", "Michael": "M", "Anna": "F", "Lukas": "M", "David": "M", "Sophie": "F",
                  "Pierre": "M", "Camille": "F", "Olga": "F", "Ivan": "M", "Ryan": "M", "Chloe": "F", "Jack": "M",
                  "Olivia": "F", "Marco": "M", "Giulia": "F"}

# --------------------------------------------------------------------------------------------
# Identifier makers
# --------------------------------------------------------------------------------------------
MOBILE_PREFIXES = {
    "中国移动": "134 135 136 137 138 139 147 150 151 152 157 158 159 172 178 182 183 184 187 188 195 197 198".split(),
    "中国联通": "130 131 132 145 155 156 166 171 175 176 185 186 196".split(),
    "中国电信": "133 149 153 173 177 180 181 189 190 191 193 199".split(),
    "中国广电": ["192"],
}
ALL_MOBILE_PREFIXES = [p for ps in MOBILE_PREFIXES.values() for p in ps]
BANK_BINS = [  # UnionPay BINs starting with 62 (debit), with card length and issuer
    ("622202", 19, "中国工商银行"), ("621226", 19, "中国工商银行"), ("622848", 19, "中国农业银行"),
    ("622700", 19, "中国建设银行"), ("621700", 19, "中国建设银行"), ("621661", 19, "中国银行"),
    ("622588", 16, "招商银行"), ("621483", 16, "招商银行"), ("622262", 19, "交通银行"),
    ("621799", 19, "中国邮政储蓄银行"), ("622908", 18, "兴业银行"), ("622609", 16, "中国民生银行"),
]
BANK_BY_BIN = {b: name for b, _, name in BANK_BINS}
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I, O
VIN_YEAR = dict(zip(range(2010, 2027), "ABCDEFGHJKLMNPRST", strict=True))
CAR_MAKERS = [  # WMI, maker, models, new-energy share
    ("LFV", "一汽-大众", ("速腾", "迈腾", "宝来", "探岳"), 0.0),
    ("LSV", "上汽大众", ("朗逸", "帕萨特", "途观L"), 0.0),
    ("LSG", "上汽通用别克", ("英朗", "君威", "GL8"), 0.0),
    ("LVS", "长安福特", ("福克斯", "蒙迪欧"), 0.0),
    ("LHG", "广汽本田", ("雅阁", "飞度", "缤智"), 0.05),
    ("LVG", "广汽丰田", ("凯美瑞", "汉兰达"), 0.05),
    ("LBV", "华晨宝马", ("3系", "5系", "X3", "iX3"), 0.1),
    ("LE4", "北京奔驰", ("C级", "E级", "GLC"), 0.05),
    ("LGX", "比亚迪", ("秦PLUS", "汉", "宋PLUS", "海豚"), 0.95),
    ("LRW", "特斯拉", ("Model 3", "Model Y"), 1.0),
    ("LGB", "东风日产", ("轩逸", "奇骏"), 0.0),
    ("L6T", "吉利汽车", ("帝豪", "星越L", "银河L6"), 0.3),
    ("LVV", "奇瑞汽车", ("瑞虎8", "艾瑞泽5"), 0.1),
]
COMPOUNDS = ("阳光花园", "锦绣家园", "金色家园", "华润城", "万科城市花园", "碧桂园", "翠苑", "幸福里", "紫荆园",
             "丽景湾", "世纪城", "保利花园", "龙湖时代天街", "绿地新都会", "名都花园", "康乐小区")


def pick_weighted(rng: random.Random, items: list, weights: list[float]):
    return rng.choices(items, weights=weights, k=1)[0]


def make_resident_id(region: str, birth: dt.date, seq: int) -> str:
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + id_check_char(body)


def to_legacy_15(id18: str) -> str:
    """The 15-digit form issued before 1999: two-digit year, no check character."""
    return id18[:6] + id18[8:17]


def make_bank_card(rng: random.Random, used: set[str]) -> str:
    while True:
        bin_, length, _ = rng.choice(BANK_BINS)
        body = bin_ + "".join(rng.choice(string.digits) for _ in range(length - 7))
        card = body + luhn_check_digit(body)
        if card not in used:
            used.add(card)
            return card


def make_legacy_account(rng: random.Random, used: set[str]) -> str:
    """A legacy ICBC 9558 account number: 19 digits, deliberately not Luhn-valid."""
    while True:
        body = "95588" + "".join(rng.choice(string.digits) for _ in range(13))
        card = body + str((int(luhn_check_digit(body)) + 1 + rng.randrange(9)) % 10)
        if card not in used:
            used.add(card)
            return card


def make_uscc(rng: random.Random, region: str, kind: str = "91") -> str:
    """A unified social credit code (kind 91 company, 92 individual business, 12 public institution)."""
    org8 = "".join(rng.choice(string.digits) for _ in range(8))
    body = kind + region + org8 + org_code_check_char(org8)
    return body + uscc_check_char(body)


def make_vin(rng: random.Random, wmi: str, year: int) -> str:
    vds = "".join(rng.choice(VIN_ALPHABET) for _ in range(5))
    tail = VIN_YEAR[year] + rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") + "".join(rng.choice(string.digits) for _ in range(6))
    vin = wmi + vds + "0" + tail
    return vin[:8] + vin_check_char(vin) + vin[9:]


def make_plate(rng: random.Random, city: City, new_energy: bool) -> str:
    prov, letter = city.plate[0], rng.choice(city.plate[1:])
    digits = string.digits
    if new_energy:
        if rng.random() < 0.92:  # small car: D/F, a letter or digit, four digits
            tail = rng.choice("DF") + rng.choice(PLATE_LETTERS + digits) + "".join(rng.choice(digits) for _ in range(4))
        else:  # large car: five digits then D/F
            tail = "".join(rng.choice(digits) for _ in range(5)) + rng.choice("DF")
    else:
        r = rng.random()
        if r < 0.4:
            tail = "".join(rng.choice(digits) for _ in range(5))
        elif r < 0.75:
            tail = rng.choice(PLATE_LETTERS) + "".join(rng.choice(digits) for _ in range(4))
        elif r < 0.9:
            tail = rng.choice(PLATE_LETTERS) + rng.choice(PLATE_LETTERS) + "".join(rng.choice(digits) for _ in range(3))
        else:
            tail = "".join(rng.choice(digits) for _ in range(3)) + rng.choice(PLATE_LETTERS) + rng.choice(digits)
    return prov + letter + tail


def style_plate(rng: random.Random, plate: str) -> str:
    r = rng.random()
    if r < 0.12:
        return plate[:2] + "·" + plate[2:]
    if r < 0.15:
        return plate[:2] + " " + plate[2:]
    return plate


def make_imei(rng: random.Random) -> str:
    tac = rng.choice(("86", "35")) + "".join(rng.choice(string.digits) for _ in range(6))
    body = tac + "".join(rng.choice(string.digits) for _ in range(6))
    return body + luhn_check_digit(body)


def make_imsi(rng: random.Random) -> str:
    return "460" + rng.choice(("00", "01", "02", "03", "07", "11")) + "".join(rng.choice(string.digits) for _ in range(10))


def make_iccid(rng: random.Random) -> str:
    body = "8986" + rng.choice(("00", "01", "03", "11")) + "".join(rng.choice(string.digits) for _ in range(13))
    return body + luhn_check_digit(body)


def make_mac(rng: random.Random) -> str:
    oui = rng.choice(("00:E0:FC", "64:09:80", "3C:22:FB", "A4:50:46", "F4:F5:DB", "28:6C:07", "AC:C1:EE"))
    octets = oui.split(":") + [f"{rng.randrange(256):02X}" for _ in range(3)]
    r = rng.random()
    if r < 0.6:
        return ":".join(octets)
    if r < 0.85:
        return "-".join(octets).lower()
    return "".join(octets)


def make_device_serial(rng: random.Random) -> str:
    alnum = string.ascii_uppercase.replace("O", "").replace("I", "") + string.digits
    r = rng.random()
    if r < 0.45:  # phone-maker style, 12 characters
        return "".join(rng.choice(alnum) for _ in range(12))
    if r < 0.8:  # Android-style 16 hex-ish characters
        return "".join(rng.choice("0123456789ABCDEF") for _ in range(16))
    return rng.choice(("HW", "XM", "OP")) + "".join(rng.choice(string.digits) for _ in range(14))


def make_ip(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.75:
        first = rng.choice((36, 39, 58, 101, 106, 111, 112, 113, 114, 115, 116, 117, 120, 121, 123, 125, 180, 182, 183, 218, 220, 221, 222, 223))
        return f"{first}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    if r < 0.85:
        return f"192.168.{rng.randrange(0, 3)}.{rng.randrange(2, 254)}"
    prefix = rng.choice(("240e:3b4", "2409:8a00", "2408:8207"))
    return prefix + ":" + ":".join(f"{rng.randrange(65536):x}" for _ in range(6))


BCRYPT_ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
WEAK_PASSWORDS = ("123456", "123456789", "111111", "woaini1314", "qwerty", "a123456")


def make_password_hash(rng: random.Random, pid: int) -> str:
    r = rng.random()
    if r < 0.55:
        return rng.choice(("$2a$10$", "$2b$12$")) + "".join(rng.choice(BCRYPT_ALPHABET) for _ in range(53))
    if r < 0.85:
        return hashlib.md5(f"chujing-sample-{pid}".encode()).hexdigest()
    # Unsalted MD5 of a weak password: the same hash is held by several members (not a key).
    return hashlib.md5(rng.choice(WEAK_PASSWORDS).encode()).hexdigest()


def make_token(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return "".join(rng.choice("0123456789abcdef") for _ in range(32))
    b64 = string.ascii_letters + string.digits + "-_"
    return ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." + "".join(rng.choice(b64) for _ in range(48)) + "."
            + "".join(rng.choice(b64) for _ in range(43)))


# --------------------------------------------------------------------------------------------
# Decoys: values that look like personal identifiers but are not
# --------------------------------------------------------------------------------------------
def decoy_order_no(rng: random.Random) -> str:
    """18 digits whose 18th digit is never the GB 11643 check digit (mostly no valid date either)."""
    body = rng.choice("123456789") + "".join(rng.choice(string.digits) for _ in range(16))
    return body + wrong_id_check_char(body)


def decoy_timestamp_ms(rng: random.Random, start=dt.datetime(2026, 1, 1), end=dt.datetime(2026, 11, 26)) -> int:
    epoch = dt.datetime(1970, 1, 1)
    a, b = int((start - epoch).total_seconds() * 1000), int((end - epoch).total_seconds() * 1000)
    return rng.randrange(a, b)


def decoy_waybill(rng: random.Random) -> str:
    """16-19 digits, not starting with 62, Luhn-invalid nine times in ten."""
    length = rng.randint(16, 19)
    body = rng.choice(("77", "78", "43", "31", "98", "75", "88")) + "".join(rng.choice(string.digits) for _ in range(length - 3))
    right = luhn_check_digit(body)
    if rng.random() < 0.9:
        return body + str((int(right) + 1 + rng.randrange(9)) % 10)
    return body + right


def decoy_batch_date(rng: random.Random) -> str:
    """11 digits: 1 + YYMMDD + 4 digits (a production batch)."""
    day = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(1000))
    return f"1{day:%y%m%d}{rng.randrange(10000):04d}"


def decoy_batch_spread(rng: random.Random) -> str:
    """11 digits starting with 1, the second digit spread 0-9 (most look like mobile numbers)."""
    return "1" + str(rng.randrange(10)) + "".join(rng.choice(string.digits) for _ in range(9))


def decoy_sku(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.5:
        return f"SKU-{rng.choice('ABCDEFGH')}{rng.randrange(100000):05d}-{rng.choice(('S', 'M', 'L', 'XL', '01', '02'))}"
    if r < 0.8:
        return f"{rng.randrange(10**11, 10**12)}"  # 12-digit article number
    return f"{rng.choice(('06L', '5Q0', '8W0', '4K0'))}{rng.randrange(100, 999)}{rng.randrange(100, 999)}{rng.choice('ABCD')}"


def decoy_price(rng: random.Random, low=9.9, high=3999.0) -> str:
    return f"{rng.uniform(low, high):.2f}"

# --------------------------------------------------------------------------------------------
# Persons
# --------------------------------------------------------------------------------------------
@dataclass
class Person:
    pid: int
    kind: str  # mainland, hk, macao, taiwan, foreign
    name: str
    family_py: str  # pinyin / Latin family name (the part before "/" on a ticket)
    given_py: str
    gender: str  # "M" / "F"
    birth: dt.date
    ethnicity: str | None
    home: District
    address: str
    nationality: str = "CHN"
    id18: str | None = None  # resident ID, or HK/Macao/Taiwan residence permit
    legacy15: bool = False  # older records of this person hold the 15-digit form
    mobile: str | None = None
    email: str | None = None
    landline: str | None = None
    bank_card: str | None = None
    legacy_account: str | None = None
    passport: str | None = None
    exit_entry: str | None = None
    hkm_permit: str | None = None
    tw_permit: str | None = None
    pr_id: str | None = None
    ss_card: str | None = None
    dl_file_no: str | None = None

    @property
    def age(self) -> int:
        b = self.birth
        return SCAN_DATE.year - b.year - ((SCAN_DATE.month, SCAN_DATE.day) < (b.month, b.day))

    @property
    def is_child(self) -> bool:
        return self.birth > CHILD_CUTOFF

    @property
    def pinyin(self) -> str:
        """'Zhang Wei' (family name first, as Chinese passports print it in Latin letters)."""
        if self.kind == "foreign":
            return f"{self.given_py} {self.family_py}"
        return f"{self.family_py.capitalize()} {self.given_py.capitalize()}".strip()

    @property
    def ticket_name(self) -> str:
        """'ZHANG/WEI' as airline reservation systems print it."""
        return f"{self.family_py.upper()}/{self.given_py.upper()}" if self.given_py else self.family_py.upper()

    def id_as_written(self, rng: random.Random, lower_x: float = 0.0, allow_15: bool = True) -> str | None:
        if self.id18 is None:
            return None
        if allow_15 and self.legacy15:
            return to_legacy_15(self.id18)
        if self.id18.endswith("X") and rng.random() < lower_x:
            return self.id18[:-1] + "x"
        return self.id18


@dataclass
class Population:
    persons: list[Person]
    used: dict[str, set[str]] = field(default_factory=dict)

    def by_kind(self, *kinds: str) -> list[Person]:
        return [p for p in self.persons if p.kind in kinds]


def _random_birth(rng: random.Random, min_age: int = 0, max_age: int = 88) -> dt.date:
    bands = [(0, 13, 10), (14, 17, 4), (18, 35, 30), (36, 60, 40), (61, 88, 16)]
    bands = [(max(a, min_age), min(b, max_age), w) for a, b, w in bands if b >= min_age and a <= max_age]
    lo, hi, _ = pick_weighted(rng, bands, [w for _, _, w in bands])
    age = rng.randint(lo, hi)
    latest = dt.date(SCAN_DATE.year - age, SCAN_DATE.month, SCAN_DATE.day)
    return latest - dt.timedelta(days=rng.randrange(1, 365))


def _han_name(rng: random.Random, gender: str, birth: dt.date) -> tuple[str, str, str]:
    if rng.random() < 0.02:
        fam, fam_py = rng.choice(COMPOUND_SURNAMES)
    else:
        fam, fam_py = pick_weighted(rng, SURNAMES, SURNAME_WEIGHTS)
    if birth.year < 1965 and rng.random() < 0.5:
        given, given_py = rng.choice(GIVEN_OLD[gender])
    elif birth.year > 2005 and rng.random() < 0.5:
        given, given_py = rng.choice(GIVEN_YOUNG[gender])
    else:
        pool = GIVEN_MALE if gender == "M" else GIVEN_FEMALE
        a = rng.choice(pool)
        if rng.random() < 0.3:  # one-character given name
            given, given_py = a
        else:
            b = rng.choice(pool)
            given, given_py = a[0] + b[0], a[1] + b[1]
    return fam + given, fam_py, given_py


def _ethnic_name(rng: random.Random, ethnicity: str, gender: str, birth: dt.date) -> tuple[str, str, str]:
    if ethnicity == "维吾尔族" and rng.random() < 0.92:
        (g, gp), (f, fp) = rng.choice(UYGHUR_GIVEN[gender]), rng.choice(UYGHUR_FATHER)
        return f"{g}·{f}", fp, gp
    if ethnicity == "哈萨克族" and rng.random() < 0.9:
        (g, gp), (f, fp) = rng.choice(KAZAKH_GIVEN[gender]), rng.choice(KAZAKH_FATHER)
        return f"{g}·{f}", fp, gp
    if ethnicity == "藏族" and rng.random() < 0.95:
        (a, ap), (b, bp) = rng.choice(TIBETAN_FIRST), rng.choice(TIBETAN_SECOND[gender])
        return a + b, ap, bp
    if ethnicity == "蒙古族" and rng.random() < 0.6:
        n, py = rng.choice(MONGOL_NAMES[gender])
        return n, py, ""
    return _han_name(rng, gender, birth)


def _address(rng: random.Random, d: District) -> str:
    c = d.city
    prefix = f"{c.province}{c.city}{d.name}"
    road = rng.choice(d.roads + (_GENERIC_ROADS if rng.random() < 0.15 else ()))
    no = rng.randint(1, 399)
    r = rng.random()
    if r < 0.45:
        return f"{prefix}{road}{no}号{rng.choice(COMPOUNDS)}{rng.randint(1, 24)}号楼{rng.randint(1, 6)}单元{rng.randint(1, 32)}{rng.randint(1, 4):02d}室"
    if r < 0.65 and c.key == "sh":
        return f"{prefix}{road}{rng.randint(100, 1999)}弄{rng.randint(1, 80)}号{rng.randint(1, 20)}{rng.randint(1, 4):02d}室"
    if r < 0.8:
        return f"{prefix}{road}{no}号{rng.choice(COMPOUNDS)}{rng.choice('ABCDEFG')}座{rng.randint(2, 30)}{rng.randint(1, 12):02d}"
    return f"{prefix}{road}{no}号院{rng.randint(1, 18)}号楼{rng.randint(1, 20)}{rng.randint(1, 6):02d}"


def _unique(rng: random.Random, used: set[str], make: Callable[[], str]) -> str:
    while True:
        v = make()
        if v not in used:
            used.add(v)
            return v


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def _email(rng: random.Random, p: Person, used: set[str]) -> str:
    full = (p.family_py + p.given_py).lower() or p.given_py.lower()
    def make() -> str:
        r = rng.random()
        if r < 0.3:
            return f"{rng.randint(10000, 3999999999)}@qq.com"
        if r < 0.55:
            return f"{full}{p.birth:%y}{rng.randint(0, 99) if rng.random() < 0.5 else ''}@{rng.choice(('163.com', '126.com'))}"
        if r < 0.7:
            return f"{p.given_py.lower() or full}.{p.family_py.lower() or 'x'}@{rng.choice(('outlook.com', 'gmail.com', 'hotmail.com'))}"
        if r < 0.8 and p.mobile:
            return f"{p.mobile}@139.com"
        if r < 0.9:
            return f"{full}{rng.randint(1, 9999)}@{rng.choice(('sina.com', 'foxmail.com', 'aliyun.com'))}"
        return f"{full[:1]}{p.given_py.lower()[:1]}{rng.randint(100, 99999)}@{rng.choice(('163.com', 'sohu.com'))}"
    return _unique(rng, used, make)


def build_population(seed: int, size: int = 6000) -> Population:
    rng = random.Random(f"{seed}:population")
    used: dict[str, set[str]] = {k: set() for k in ("id", "mobile", "email", "card", "passport", "permit", "dl", "ss")}
    weights = [d.city.weight / sum(1 for x in DISTRICTS if x.city is d.city) for d in DISTRICTS]
    kinds = ["foreign"] * 60 + ["hk"] * 120 + ["macao"] * 40 + ["taiwan"] * 80
    kinds += ["mainland"] * (size - len(kinds))
    rng.shuffle(kinds)
    persons: list[Person] = []
    for pid, kind in enumerate(kinds):
        gender = rng.choice("MF")
        if kind == "mainland":
            birth = _random_birth(rng)
            home = pick_weighted(rng, DISTRICTS, weights)
            born_in = home if rng.random() < 0.6 else pick_weighted(rng, DISTRICTS, weights)
            eth = "汉族"
            for e, share in ETHNIC_MIX.get(born_in.city.key, ()):
                if rng.random() < share:
                    eth = e
                    break
            name, fam_py, given_py = _ethnic_name(rng, eth, gender, birth)
            region = born_in.code
            old = [c for c in SUCCESSOR_TO_HISTORIC.get(region, []) if birth.year <= HISTORIC_CODES[c][1]]
            if old and rng.random() < 0.6:
                region = rng.choice(old)
        elif kind in ("hk", "macao", "taiwan"):
            birth = _random_birth(rng, 18, 80)
            home = DISTRICT_BY_CODE[rng.choice(("440304", "440305", "440106", "310115", "310105", "110105", "350203", "320505"))]
            eth = None
            name, fam_py, given_py = _han_name(rng, gender, birth)
            region = {"hk": "810000", "macao": "820000", "taiwan": "830000"}[kind]
        else:
            birth = _random_birth(rng, 25, 70)
            home = DISTRICT_BY_CODE[rng.choice(("110105", "110101", "310115", "310104", "440305", "320505"))]
            eth = None
            alpha3, _, givens, families = rng.choice(FOREIGN_PEOPLE)
            (g, gcn), (f, fcn) = rng.choice(givens), rng.choice(families)
            gender = FOREIGN_GENDER[g]
            name, fam_py, given_py = f"{gcn}·{fcn}", f, g
            region = ""
        p = Person(pid, kind, name, fam_py, given_py, gender, birth, eth, home, _address(rng, home))
        if kind == "foreign":
            p.nationality = alpha3
            numeric = next(n for a, n, _, _ in FOREIGN_PEOPLE if a == alpha3)
            prov = home.code[:2]
            if rng.random() < 0.7:  # the 2023 form: 9 + province + nationality + birth + seq + check
                body = f"9{prov}{numeric}{birth:%Y%m%d}"
                p.pr_id = _unique(rng, used["permit"], lambda body=body: (lambda b: b + id_check_char(b))(
                    f"{body}{rng.randrange(1000):03d}"))
            else:  # the 2004 form: nationality letters + province + YYMMDD + seq + check digit
                body = f"{alpha3}{prov}{birth:%y%m%d}"
                p.pr_id = _unique(rng, used["permit"], lambda body=body: f"{body}{_digits(rng, 4)}")
        else:
            def make_id(region=region, birth=birth, gender=gender) -> str:
                seq = rng.randrange(0, 500) * 2 + (1 if gender == "M" else 0)
                return make_resident_id(region, birth, seq)
            if kind == "mainland" or rng.random() < 0.55:
                p.id18 = _unique(rng, used["id"], make_id)
            p.legacy15 = kind == "mainland" and 1940 <= birth.year <= 1983 and rng.random() < 0.12
        if kind == "hk":
            p.hkm_permit = _unique(rng, used["permit"], lambda: "H" + _digits(rng, 8) + (_digits(rng, 2) if rng.random() < 0.2 else ""))
        elif kind == "macao":
            p.hkm_permit = _unique(rng, used["permit"], lambda: "M" + _digits(rng, 8) + (_digits(rng, 2) if rng.random() < 0.2 else ""))
        elif kind == "taiwan":
            p.tw_permit = _unique(rng, used["permit"], lambda: _digits(rng, 8))
        adult = p.age >= 18
        if p.age >= 10 or rng.random() < 0.1:
            p.mobile = _unique(rng, used["mobile"], lambda: rng.choice(ALL_MOBILE_PREFIXES) + _digits(rng, 8))
        if p.age >= 12:
            p.email = _email(rng, p, used["email"])
        if p.age >= 16:
            p.bank_card = make_bank_card(rng, used["card"])
            if birth.year < 1985 and rng.random() < 0.1:
                p.legacy_account = make_legacy_account(rng, used["card"])
        if kind == "mainland":
            if rng.random() < (0.35 if adult else 0.12):
                p.passport = _unique(rng, used["passport"], lambda: "E" + _digits(rng, 8) if rng.random() < 0.35
                                     else "E" + rng.choice("ABCDEF") + _digits(rng, 7))
            if rng.random() < 0.3:
                p.exit_entry = _unique(rng, used["permit"], lambda: "C" + rng.choice(PLATE_LETTERS) + _digits(rng, 7))
            if rng.random() < 0.7:
                p.ss_card = _unique(rng, used["ss"], lambda: (rng.choice(PLATE_LETTERS) + _digits(rng, 8)) if rng.random() < 0.75
                                    else _digits(rng, 9))
            if adult and rng.random() < 0.7:
                p.dl_file_no = _unique(rng, used["dl"], lambda home=home: home.code[:4] + _digits(rng, 8))
        if rng.random() < (0.5 if p.age > 50 else 0.2):
            c = home.city
            p.landline = f"{c.area}-{rng.choice('2345678')}{_digits(rng, c.landline_digits - 1)}"
        persons.append(p)
    return Population(persons, used)


def messy_phone(rng: random.Random, mobile: str, share: float) -> str:
    """The mobile number as people and legacy systems write it."""
    if rng.random() >= share:
        return mobile
    a, b, c = mobile[:3], mobile[3:7], mobile[7:]
    return rng.choice((f"+86 {a} {b} {c}", f"86-{mobile}", f"{a}-{b}-{c}", f"+86{mobile}", f"{a} {b} {c}", f"0086 {mobile}"))


def spaced_card(card: str) -> str:
    return " ".join(card[i:i + 4] for i in range(0, len(card), 4))

# --------------------------------------------------------------------------------------------
# Tables and their truth
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    name: str
    entity: str | None
    decoy: bool = False
    arrow: pa.DataType = pa.string()


@dataclass
class Table:
    path: str  # relative to sample_data/
    sector: str
    columns: list[Column]
    fmt: str = "csv"  # csv or parquet
    encoding: str | None = "utf-8"
    delimiter: str | None = ","
    bom: bool = False
    line_end: str = "\n"
    gzip: bool = False
    description: str = ""
    rows: list[list] = field(default_factory=list)
    pids: list[Person | None] = field(default_factory=list)
    text_entities: list[frozenset[str]] = field(default_factory=list)
    invalid: list[set[int]] = field(default_factory=list)
    # Tables whose persons are not keyed by a strong identifier (vehicles of a trajectory,
    # anonymous speakers, pedestrians in camera frames) state their counts here, with why.
    counts: dict | None = None
    extra: dict = field(default_factory=dict)
    row_group_size: int = 1000

    def __post_init__(self) -> None:
        self.index = {c.name: i for i, c in enumerate(self.columns)}
        assert len(self.index) == len(self.columns), f"duplicate column in {self.path}"

    def add(self, person: Person | None, values: dict[str, object], text_entities: tuple[str, ...] = ()) -> None:
        unknown = set(values) - set(self.index)
        assert not unknown, f"{self.path}: unknown columns {unknown}"
        self.rows.append([values.get(c.name) for c in self.columns])
        self.pids.append(person)
        self.text_entities.append(frozenset(text_entities))
        self.invalid.append(set())

    # -- invalid values -------------------------------------------------------------------
    def _valid_entities(self, r: int, skip: int | None = None) -> list[str]:
        out = [c.entity for i, c in enumerate(self.columns)
               if i != skip and c.entity and c.entity not in NON_PERSONAL_ENTITIES
               and self.rows[r][i] not in (None, "") and i not in self.invalid[r]]
        return out + sorted(self.text_entities[r])

    def corrupt(self, rng: random.Random, column: str, share: float, spoil: Callable[[object], object]) -> None:
        """Replace ``share`` (<= 3 %) of a column's values by invalid ones, where no count changes."""
        assert share <= 0.03
        ci = self.index[column]
        entity = self.columns[ci].entity
        filled = [r for r in range(len(self.rows)) if self.rows[r][ci] not in (None, "")]
        wanted = int(round(share * len(filled)))
        order = filled[:]
        rng.shuffle(order)
        done = 0
        for r in order:
            if done >= wanted:
                break
            person = self.pids[r]
            if person is None or person.is_child:
                continue
            others = self._valid_entities(r, skip=ci)
            if entity in STRONG_KEYS and not STRONG_KEYS.intersection(others):
                continue
            if entity in SENSITIVE_ENTITIES:
                # the person must keep another valid sensitive value somewhere in this file
                keeps = SENSITIVE_ENTITIES.intersection(others) or any(
                    SENSITIVE_ENTITIES.intersection(self._valid_entities(o))
                    for o in range(len(self.rows)) if o != r and self.pids[o] is person)
                if not keeps:
                    continue
            self.rows[r][ci] = spoil(self.rows[r][ci])
            self.invalid[r].add(ci)
            done += 1

    # -- truth ------------------------------------------------------------------------------
    def truth(self) -> dict:
        if self.counts is not None:
            return self._entry(self.counts["persons"], self.counts["sensitive_persons"], self.counts["persons_by_entity"])
        persons: dict[int, Person] = {}
        sensitive: set[int] = set()
        by_entity: dict[str, set[int]] = {}
        component = self._linkable_components()
        for r, person in enumerate(self.pids):
            valid = self._valid_entities(r)
            if person is None:
                assert not valid, f"{self.path} row {r}: personal values without a person"
                continue
            assert STRONG_KEYS.intersection(valid), f"{self.path} row {r}: no valid strong key ({valid})"
            who = component[r]
            persons[who] = person
            for e in valid:
                by_entity.setdefault(e, set()).add(who)
            birth_seen = "BIRTH_DATE" in valid or ("CN_RESIDENT_ID" in valid and person.id18)
            if SENSITIVE_ENTITIES.intersection(valid) or (birth_seen and person.is_child):
                sensitive.add(who)
        return self._entry(len(persons), len(sensitive), {e: len(p) for e, p in sorted(by_entity.items())})

    def _row_keys(self, r: int) -> list[tuple[str, int, str]]:
        """The identifiers a scanner can link row ``r`` by: (entity, person, value) of valid keys."""
        person = self.pids[r]
        out = []
        for i, c in enumerate(self.columns):
            if c.entity in LINK_KEYS and self.rows[r][i] not in (None, "") and i not in self.invalid[r]:
                # a person's two bank accounts are two keys; every other key has one value per person
                value = "".join(ch for ch in str(self.rows[r][i]) if ch.isdigit()) if c.entity == "CN_BANK_CARD" else ""
                out.append((c.entity, person.pid, value))
        for e in sorted(self.text_entities[r] & LINK_KEYS):
            out.append((e, person.pid, "".join(ch for ch in str(person.bank_card) if ch.isdigit()) if e == "CN_BANK_CARD" else ""))
        return out

    def _linkable_components(self) -> dict[int, int]:
        """Row -> person as anyone could tell them apart: rows are one person when they share a key.

        A person whose phone appears in one complaint and ID number in another, or whose
        passport is on one booking and ID card on another with no phone, cannot be linked by
        anyone: such mentions are separate persons (the generator's own person ids would hide
        this and overstate what a correct scan can find).
        """
        parent: dict[tuple, tuple] = {}

        def find(x: tuple) -> tuple:
            while parent.setdefault(x, x) != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        row_keys = {r: self._row_keys(r) for r, p in enumerate(self.pids) if p is not None}
        for keys in row_keys.values():
            for k in keys[1:]:
                parent[find(keys[0])] = find(k)
        roots: dict[tuple, int] = {}
        out: dict[int, int] = {}
        for r, keys in row_keys.items():
            root = find(keys[0]) if keys else ("row", r)
            out[r] = roots.setdefault(root, len(roots))
        return out

    def _entry(self, persons: int, sensitive: int, by_entity: dict[str, int]) -> dict:
        invalid = {}
        for ci, c in enumerate(self.columns):
            n = sum(1 for inv in self.invalid if ci in inv)
            if n:
                invalid[c.name] = n
        entry = {
            "format": self.fmt,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "sector": self.sector,
            "rows": len(self.rows),
            "persons": persons,
            "sensitive_persons": sensitive,
            "columns": {c.name: c.entity for c in self.columns},
            "decoys": [c.name for c in self.columns if c.decoy],
        }
        if self.fmt == "csv":
            entry["bom"] = self.bom
            entry["compression"] = "gzip" if self.gzip else None
        entry["invalid_values"] = invalid
        entry["persons_by_entity"] = dict(sorted(by_entity.items()))
        entry["description"] = self.description
        entry.update(self.extra)
        return entry

    # -- writing ----------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        if self.fmt == "parquet":
            arrays = [pa.array([row[i] for row in self.rows], type=c.arrow) for i, c in enumerate(self.columns)]
            table = pa.Table.from_arrays(arrays, names=[c.name for c in self.columns])
            sink = pa.BufferOutputStream()
            pq.write_table(table, sink, compression="snappy", row_group_size=self.row_group_size)
            return sink.getvalue().to_pybytes()
        buf = io.StringIO()
        writer = csv.writer(buf, delimiter=self.delimiter, lineterminator=self.line_end, quoting=csv.QUOTE_MINIMAL)
        writer.writerow([c.name for c in self.columns])
        for row in self.rows:
            writer.writerow(["" if v is None else v for v in row])
        data = buf.getvalue().encode(self.encoding)
        if self.bom:
            data = b"\xef\xbb\xbf" + data
        if self.gzip:
            out = io.BytesIO()
            with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as gz:
                gz.write(data)
            data = out.getvalue()
        return data


def file_rng(seed: int, path: str) -> random.Random:
    return random.Random(f"{seed}:{path}")


def spread_rows(rng: random.Random, pool: list, rows: int, repeat_skew: float = 1.3) -> list:
    """Every member of the pool once, the remaining rows to a skewed few; shuffled."""
    assert rows >= len(pool)
    picks = list(pool)
    weights = [1.0 / (i + 1) ** (1 / repeat_skew) for i in range(len(pool))]
    order = pool[:]
    rng.shuffle(order)
    picks += rng.choices(order, weights=weights, k=rows - len(pool))
    rng.shuffle(picks)
    return picks


def gender_zh(p: Person) -> str:
    return "男" if p.gender == "M" else "女"


def invalid_id(v: object) -> str:
    s = str(v)
    if len(s) == 18:
        return s[:17] + wrong_id_check_char(s[:17])
    return s[:-1]  # a 15-digit number loses a digit


def invalid_phone(v: object) -> object:
    digits = "".join(c for c in str(v) if c.isdigit())[-11:]
    return int(digits[:10]) if isinstance(v, int) else digits[:10]


def invalid_vin(v: object) -> str:
    s = str(v)
    right = vin_check_char(s)
    return s[:8] + ("0" if right != "0" else "1") + s[9:]


def invalid_card(v: object) -> str:
    s = str(v).replace(" ", "")
    return s[:-1] + str((int(s[-1]) + 1) % 10)


def invalid_email(v: object) -> str:
    s = str(v)
    return s.replace("@", "#", 1) if len(s) % 2 else s.rsplit(".", 1)[0]


def invalid_plate(v: object) -> str:
    s = str(v).replace("·", "").replace(" ", "")
    return s[:-1]


# --------------------------------------------------------------------------------------------
# Shared world: pools of persons per sector, vehicles, dealers, hospitals
# --------------------------------------------------------------------------------------------
@dataclass
class Vehicle:
    vin: str
    plate: str
    maker: str
    model: str
    new_energy: bool
    year: int
    vl_file_no: str
    purchased: dt.date
    price: int
    dealer_uscc: str


@dataclass
class World:
    pop: Population
    pools: dict[str, list[Person]]
    fleet: dict[int, list[Vehicle]]
    dealers: list[tuple[str, str]]  # (name, uscc)


def _sample(rng: random.Random, items: list[Person], n: int, exclude: set[int] = frozenset()) -> list[Person]:
    cand = [p for p in items if p.pid not in exclude]
    return rng.sample(cand, n)


def build_world(seed: int) -> World:
    pop = build_population(seed)
    rng = random.Random(f"{seed}:world")
    ml = pop.by_kind("mainland")
    adults = [p for p in ml if 20 <= p.age <= 75 and p.mobile and p.id18]
    pools: dict[str, list[Person]] = {}
    pools["owners"] = _sample(rng, adults, 985) + _sample(rng, [p for p in pop.by_kind("hk", "macao") if p.id18], 15)
    pools["service"] = rng.sample(pools["owners"], 600)
    pools["tbox"] = rng.sample(pools["owners"], 650)
    owners = {p.pid for p in pools["owners"]}
    rent_ml = [p for p in adults if p.dl_file_no]
    pools["rental"] = (rng.sample([p for p in pools["owners"] if p.dl_file_no and p.kind == "mainland"], 80)
                       + _sample(rng, rent_ml, 250, owners) + rng.sample(pop.by_kind("hk", "macao"), 40))
    taken = {p.pid for p in pools["rental"]} | owners
    pools["hcp"] = (_sample(rng, [p for p in ml if 28 <= p.age <= 65 and p.mobile and p.id18 and p.bank_card], 232, taken)
                    + rng.sample(pop.by_kind("foreign"), 10) + rng.sample([p for p in pop.by_kind("hk") if p.mobile], 4))
    taken |= {p.pid for p in pools["hcp"]}
    pools["subjects"] = (_sample(rng, [p for p in ml if 18 <= p.age <= 75 and p.id18], 262, taken)
                         + _sample(rng, [p for p in ml if 6 <= p.age <= 13 and p.id18], 38, taken))
    taken |= {p.pid for p in pools["subjects"]}
    travellers = [p for p in ml if p.id18 and (p.mobile or p.age < 14)]
    pools["passengers"] = (_sample(rng, travellers, 1160, {p.pid for p in pools["subjects"]})
                           + rng.sample([p for p in pop.by_kind("hk", "macao") if p.mobile], 70)
                           + rng.sample([p for p in pop.by_kind("taiwan") if p.mobile], 50))
    pax_ml = [p for p in pools["passengers"] if p.kind == "mainland" and p.mobile and p.age >= 18]
    pools["ff"] = rng.sample(pax_ml, 600) + _sample(rng, [p for p in adults if p.email], 400, {p.pid for p in pools["passengers"]})
    shoppers = [p for p in ml if 8 <= p.age <= 70 and p.mobile]
    kids = [p for p in shoppers if p.is_child]
    pools["members"] = (rng.sample(kids, 60) + rng.sample([p for p in pools["passengers"] if p.kind == "mainland" and p.mobile and p.age >= 14], 200)
                        + rng.sample([p for p in pools["owners"] if p.kind == "mainland"], 150))
    have = {p.pid for p in pools["members"]}
    pools["members"] += _sample(rng, [p for p in shoppers if not p.is_child], 1400 - len(pools["members"]), have)
    rng.shuffle(pools["members"])
    pools["receivers"] = rng.sample([p for p in pools["members"] if not p.is_child], 700) + _sample(
        rng, [p for p in adults], 300, {p.pid for p in pools["members"]})
    pools["app"] = rng.sample(pools["members"], 800)
    pools["corpus"] = rng.sample([p for p in pop.persons if p.mobile and p.age >= 16], 360)
    pools["dialogue"] = rng.sample([p for p in pop.persons if p.mobile and p.age >= 16 and p.kind == "mainland"], 240)

    dealers = []
    for d in rng.sample(DISTRICTS, 24):
        dealers.append((f"{d.city.city.replace('市', '')}{rng.choice(('瑞丰', '恒通', '广汇', '中升', '永达', '庞大'))}汽车销售服务有限公司",
                        make_uscc(rng, d.code)))
    fleet: dict[int, list[Vehicle]] = {}
    frng = random.Random(f"{seed}:fleet")
    used_vl: set[str] = set()
    for p in pools["owners"]:
        n = 1 if frng.random() < 0.85 else (2 if frng.random() < 0.8 else 3)
        cars = []
        for _ in range(n):
            wmi, maker, models, nev_share = frng.choice(CAR_MAKERS)
            year = frng.randint(2020 if wmi == "LRW" else 2014, 2026)  # Tesla Shanghai builds since 2020
            nev = frng.random() < nev_share
            purchased = dt.date(year, 1, 1) + dt.timedelta(days=frng.randrange(300))
            if purchased > SCAN_DATE:
                purchased = SCAN_DATE - dt.timedelta(days=frng.randrange(30, 300))
            cars.append(Vehicle(
                vin=make_vin(frng, wmi, year), plate=make_plate(frng, p.home.city, nev), maker=maker,
                model=frng.choice(models), new_energy=nev, year=year,
                vl_file_no=_unique(frng, used_vl, lambda p=p: p.home.code[:2] + "00" + _digits(frng, 8)),
                purchased=purchased, price=frng.randrange(79800, 459800, 100),
                dealer_uscc=frng.choice(dealers)[1]))
        fleet[p.pid] = cars
    return World(pop, pools, fleet, dealers)


# --------------------------------------------------------------------------------------------
# Automotive
# --------------------------------------------------------------------------------------------
def automotive_owners(w: World, seed: int) -> Table:
    path = "automotive/owners_gb18030.csv"
    rng = file_rng(seed, path)
    t = Table(path, "automotive", [
        Column("客户编号", None), Column("姓名", "PERSON_NAME"), Column("性别", "GENDER"),
        Column("证件号码", "CN_RESIDENT_ID"), Column("手机号码", "CN_MOBILE_PHONE"), Column("家庭电话", "CN_LANDLINE"),
        Column("联系地址", "CN_ADDRESS"), Column("车牌号", "CN_LICENSE_PLATE"), Column("车辆识别代号", "CN_VIN"),
        Column("品牌车型", None), Column("驾驶证档案编号", "CN_DRIVING_LICENCE_FILE_NO"),
        Column("行驶证档案编号", "CN_VEHICLE_LICENCE_NO"), Column("银行账号", "CN_BANK_CARD"),
        Column("购车日期", None, decoy=True), Column("成交价(元)", None, decoy=True), Column("订单号", None, decoy=True),
        Column("经销商统一社会信用代码", "CN_USCC", decoy=True),
    ], encoding="gb18030", line_end="\r\n",
        description="Dealer CRM export of vehicle owners (one row per vehicle), saved from Excel as GBK/GB18030.")
    rows = [(p, v) for p in w.pools["owners"] for v in w.fleet[p.pid]]
    rng.shuffle(rows)
    for p, v in rows:
        card = None
        if rng.random() < 0.35:  # car-loan repayment account
            card = p.legacy_account if p.legacy_account and rng.random() < 0.6 else p.bank_card
            if card and card.startswith("62") and rng.random() < 0.15:
                card = spaced_card(card)
        id_value = p.id_as_written(rng, lower_x=0.3)
        phone = messy_phone(rng, p.mobile, 0.12)
        r = rng.random()
        if r < 0.02:
            id_value = None
        elif r < 0.05:
            phone = None
        t.add(p, {
            "客户编号": f"KH{p.pid * 7919 % 10**8:08d}", "姓名": p.name, "性别": gender_zh(p), "证件号码": id_value,
            "手机号码": phone, "家庭电话": p.landline if rng.random() < 0.8 else None, "联系地址": p.address,
            "车牌号": style_plate(rng, v.plate), "车辆识别代号": v.vin, "品牌车型": f"{v.maker} {v.model}",
            "驾驶证档案编号": p.dl_file_no, "行驶证档案编号": v.vl_file_no, "银行账号": card,
            "购车日期": f"{v.purchased:%Y-%m-%d}", "成交价(元)": f"{v.price:.2f}", "订单号": decoy_order_no(rng),
            "经销商统一社会信用代码": v.dealer_uscc,
        })
    t.corrupt(rng, "证件号码", 0.015, invalid_id)
    t.corrupt(rng, "车辆识别代号", 0.01, invalid_vin)
    t.corrupt(rng, "手机号码", 0.01, invalid_phone)
    return t


SERVICE_TYPES = ("常规保养", "更换刹车片", "钣金喷漆", "保险理赔", "召回检修", "轮胎更换", "空调检修", "OTA升级失败复检")
SERVICE_NOTES = (
    "客户反映刹车异响，已更换前刹车片。", "常规保养，更换机油机滤。", "空调不制冷，补充冷媒后正常。",
    "车辆召回检修，已升级发动机控制单元软件。", "左前轮胎鼓包，已更换同规格轮胎。", "客户自带配件，仅收取工时费。",
    "后保险杠刮擦，钣金喷漆处理。", "车机黑屏，重新刷写固件后恢复。", "", "",
)


def automotive_service_orders(w: World, seed: int) -> Table:
    path = "automotive/service_orders.parquet"
    rng = file_rng(seed, path)
    t = Table(path, "automotive", [
        Column("order_id", None, decoy=True), Column("create_time_ms", None, decoy=True, arrow=pa.int64()),
        Column("vin", "CN_VIN"), Column("plate_no", "CN_LICENSE_PLATE"), Column("customer_name", "PERSON_NAME"),
        Column("customer_mobile", "CN_MOBILE_PHONE", arrow=pa.int64()),
        Column("vehicle_licence_no", "CN_VEHICLE_LICENCE_NO"), Column("service_type", None),
        Column("mileage_km", None, arrow=pa.int64()), Column("amount", None, decoy=True, arrow=pa.float64()),
        Column("part_sku", None, decoy=True), Column("waybill_no", None, decoy=True),
        Column("dealer_uscc", "CN_USCC", decoy=True), Column("remark", "FREE_TEXT"),
    ], fmt="parquet", encoding=None, delimiter=None,
        description="After-sales service orders (Parquet; the mobile number is int64; remarks are free text).")
    for p in spread_rows(rng, w.pools["service"], 1800):
        v = rng.choice(w.fleet[p.pid])
        stype = rng.choice(SERVICE_TYPES)
        text_entities: tuple[str, ...] = ()
        note = rng.choice(SERVICE_NOTES)
        r = rng.random()
        if r < 0.06:
            note = f"客户要求改约到周六上午，联系电话{messy_phone(rng, p.mobile, 0.5)}。"
            text_entities = ("CN_MOBILE_PHONE",)
        elif r < 0.11:
            note = f"车主{p.name}来电，手机{p.mobile}，询问理赔进度。"
            text_entities = ("PERSON_NAME", "CN_MOBILE_PHONE")
        elif r < 0.14:
            note = f"代驾取车，联系人{p.name}（{messy_phone(rng, p.mobile, 0.3)}），车牌{v.plate}。"
            text_entities = ("PERSON_NAME", "CN_MOBILE_PHONE", "CN_LICENSE_PLATE")
        t.add(p, {
            "order_id": decoy_order_no(rng), "create_time_ms": decoy_timestamp_ms(rng), "vin": v.vin,
            "plate_no": style_plate(rng, v.plate), "customer_name": p.name, "customer_mobile": int(p.mobile),
            "vehicle_licence_no": v.vl_file_no if stype == "保险理赔" or rng.random() < 0.08 else None,
            "service_type": stype, "mileage_km": rng.randrange(800, 180000),
            "amount": round(rng.uniform(199, 12800), 2), "part_sku": decoy_sku(rng),
            "waybill_no": decoy_waybill(rng) if rng.random() < 0.3 else None, "dealer_uscc": v.dealer_uscc,
            "remark": note or None,
        }, text_entities)
    t.corrupt(rng, "vin", 0.01, invalid_vin)
    return t


def automotive_tbox(w: World, seed: int) -> Table:
    path = "automotive/tbox_accounts.csv"
    rng = file_rng(seed, path)
    names = ["c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9", "c10"]
    entities = [None, "PERSON_NAME", "CN_MOBILE_PHONE", "CN_VIN", "ICCID", "IMSI", "IMEI", "IP_ADDRESS", None, None]
    t = Table(path, "automotive", [Column(n, e, decoy=(n == "c9")) for n, e in zip(names, entities, strict=True)],
              description="Connected-vehicle app accounts with T-box SIM and modem identifiers; meaningless headers "
                          "c1..c10 (c1 account id, c9 last login in ms, c10 app version).")
    rows = [(p, v) for p in w.pools["tbox"] for v in w.fleet[p.pid]]
    rng.shuffle(rows)
    for p, v in rows:
        t.add(p, {"c1": str(rng.randrange(10**9, 10**10)), "c2": p.name if rng.random() < 0.9 else None,
                  "c3": messy_phone(rng, p.mobile, 0.05), "c4": v.vin, "c5": make_iccid(rng), "c6": make_imsi(rng),
                  "c7": make_imei(rng), "c8": make_ip(rng), "c9": decoy_timestamp_ms(rng),
                  "c10": rng.choice(("5.2.1", "5.3.0", "6.0.2", "4.9.8"))})
    return t


def automotive_rentals(w: World, seed: int) -> Table:
    path = "automotive/rental_contracts.txt"
    rng = file_rng(seed, path)
    t = Table(path, "automotive", [
        Column("htbh", None, decoy=True), Column("xm", "PERSON_NAME"), Column("xb", "GENDER"),
        Column("csrq", "BIRTH_DATE"), Column("sfzh", "CN_RESIDENT_ID"), Column("zjhm", "CN_HK_MACAO_PERMIT"),
        Column("jszdabh", "CN_DRIVING_LICENCE_FILE_NO"), Column("sjh", "CN_MOBILE_PHONE"),
        Column("cph", "CN_LICENSE_PLATE"), Column("yhkh", "CN_BANK_CARD"), Column("qcsj", None, decoy=True),
        Column("zj", None, decoy=True),
    ], delimiter="|", description="Car-rental contracts from a legacy system: pipe-separated, pinyin-initial headers "
                                  "(xm 姓名, sfzh 身份证号, zjhm 证件号码 = 港澳居民来往内地通行证, sjh 手机号, "
                                  "cph 车牌号 of the rented car, yhkh 银行卡号 for the deposit).")
    fleet_city = [CITIES[k] for k in ("bj", "sh", "sz", "gz", "cd", "hz")]
    rental_cars = [make_plate(rng, rng.choice(fleet_city), rng.random() < 0.3) for _ in range(140)]
    for p in spread_rows(rng, w.pools["rental"], 520):
        mainland = p.kind == "mainland"
        card = p.bank_card if p.bank_card and rng.random() < 0.85 else None
        if card and rng.random() < 0.25:
            card = spaced_card(card)
        t.add(p, {
            "htbh": decoy_order_no(rng), "xm": p.name, "xb": gender_zh(p), "csrq": f"{p.birth:%Y%m%d}",
            "sfzh": p.id_as_written(rng, lower_x=0.5, allow_15=False),
            "zjhm": None if mainland else p.hkm_permit,
            "jszdabh": p.dl_file_no if mainland else None, "sjh": messy_phone(rng, p.mobile, 0.1),
            "cph": style_plate(rng, rng.choice(rental_cars)), "yhkh": card,
            "qcsj": decoy_timestamp_ms(rng), "zj": decoy_price(rng, 158, 1880),
        })
    t.corrupt(rng, "yhkh", 0.02, invalid_card)
    return t


# --------------------------------------------------------------------------------------------
# Pharmaceutical
# --------------------------------------------------------------------------------------------
HOSPITALS = [  # name, e-mail domain, city key, county code
    ("北京协和医院", "pumch.cn", "bj", "110101"), ("中国医学科学院肿瘤医院", "cicams.ac.cn", "bj", "110105"),
    ("北京大学第一医院", "pkufh.com", "bj", "110102"), ("复旦大学附属中山医院", "zs-hospital.sh.cn", "sh", "310104"),
    ("上海交通大学医学院附属瑞金医院", "rjh.com.cn", "sh", "310101"), ("四川大学华西医院", "wchscu.cn", "cd", "510107"),
    ("中山大学附属第一医院", "gzsums.net", "gz", "440104"), ("浙江大学医学院附属第一医院", "zy91.com", "hz", "330102"),
    ("华中科技大学同济医学院附属同济医院", "tjh.com.cn", "wh", "420104"), ("中南大学湘雅医院", "xiangya.com.cn", "cs", "430102"),
    ("深圳市人民医院", "szhospital.com", "sz", "440303"), ("山东大学齐鲁医院", "qiluhospital.com", "jn", "370102"),
]
DEPARTMENTS = ("肿瘤内科", "心血管内科", "内分泌科", "呼吸与危重症医学科", "神经内科", "儿科", "消化内科", "药物临床试验机构")
TITLES = ("主任医师", "副主任医师", "主治医师", "住院医师", "研究护士", "临床研究协调员")


def pharma_subjects(w: World, seed: int) -> Table:
    path = "pharmaceutical/trial_subjects.csv"
    rng = file_rng(seed, path)
    t = Table(path, "pharmaceutical", [
        Column("受试者编号", None), Column("中心编号", None), Column("访视", None), Column("访视日期", None, decoy=True),
        Column("出生日期", "BIRTH_DATE"), Column("性别", "GENDER"), Column("民族", "ETHNICITY"),
        Column("身份证号", "CN_RESIDENT_ID"), Column("手机号", "CN_MOBILE_PHONE"), Column("社保卡号", "CN_SOCIAL_SECURITY_CARD"),
        Column("随机号", None), Column("药物批次号", None, decoy=True),
    ], bom=True, description="Clinical-trial subject visits (UTF-8 with BOM, one row per visit, paediatric arm "
                             "included; children have no mobile number).")
    subject_no: dict[int, tuple[str, str, str]] = {}
    batches = [decoy_batch_date(rng) for _ in range(12)]
    visits: dict[int, int] = {}
    for p in spread_rows(rng, w.pools["subjects"], 900, repeat_skew=3):
        if p.pid not in subject_no:
            site = rng.randrange(1, 13)
            subject_no[p.pid] = (f"S{site:02d}-{len(subject_no) + 1:04d}", f"{site:02d}", f"R{rng.randrange(1, 2000):04d}")
        sid, site, rand_no = subject_no[p.pid]
        visits[p.pid] = visits.get(p.pid, 0) + 1
        vdate = dt.date(2026, 1, 5) + dt.timedelta(days=rng.randrange(320))
        t.add(p, {
            "受试者编号": sid, "中心编号": site, "访视": f"V{visits[p.pid]}", "访视日期": f"{vdate:%Y-%m-%d}",
            "出生日期": f"{p.birth:%Y/%m/%d}" if rng.random() < 0.9 else f"{p.birth:%Y-%m-%d}",
            "性别": gender_zh(p), "民族": p.ethnicity, "身份证号": p.id_as_written(rng, lower_x=0.25, allow_15=False),
            "手机号": None if p.is_child else messy_phone(rng, p.mobile, 0.08), "社保卡号": p.ss_card,
            "随机号": rand_no, "药物批次号": rng.choice(batches),
        })
    t.corrupt(rng, "身份证号", 0.01, invalid_id)
    return t


def pharma_hcp_payments(w: World, seed: int) -> Table:
    path = "pharmaceutical/hcp_payments.tsv"
    rng = file_rng(seed, path)
    t = Table(path, "pharmaceutical", [
        Column("payment_id", None), Column("hcp_code", None), Column("name", "PERSON_NAME"),
        Column("name_pinyin", "PERSON_NAME"), Column("hospital", None), Column("hospital_uscc", "CN_USCC", decoy=True),
        Column("department", None), Column("title", None), Column("mobile", "CN_MOBILE_PHONE"),
        Column("office_phone", "CN_LANDLINE"), Column("email", "EMAIL"), Column("id_no", "CN_RESIDENT_ID"),
        Column("pr_card_no", "CN_FOREIGNER_PR_ID"), Column("bank_card", "CN_BANK_CARD"), Column("bank_name", None),
        Column("activity", None), Column("amount_cny", None, decoy=True), Column("payment_date", None, decoy=True),
    ], delimiter="\t", description="Payments to healthcare professionals and investigators (TSV): speaker and "
                                   "consulting fees, with bank cards; a few foreign investigators hold permanent residence IDs.")
    hosp_uscc = {h[0]: make_uscc(rng, h[3], "12") for h in HOSPITALS}
    profile: dict[int, dict[str, str]] = {}
    for p in spread_rows(rng, w.pools["hcp"], 700, repeat_skew=2):
        if p.pid not in profile:
            name, domain, ck, _ = rng.choice(HOSPITALS)
            c = CITIES[ck]
            office = f"{c.area}-{rng.choice('5678')}{_digits(rng, c.landline_digits - 1)}"
            if rng.random() < 0.1:
                office = f"({c.area}){office.split('-')[1]}"
            user = (p.family_py + p.given_py).lower()
            profile[p.pid] = {
                "hcp_code": f"HCP-{len(profile) + 1:06d}", "hospital": name, "department": rng.choice(DEPARTMENTS),
                "title": rng.choice(TITLES), "office_phone": office,
                "email": f"{user}{rng.randint(1, 99)}@{domain}" if rng.random() < 0.6 else p.email,
            }
        pr = profile[p.pid]
        card = p.bank_card if rng.random() < 0.8 else spaced_card(p.bank_card)
        t.add(p, {
            "payment_id": f"PAY{2026}{len(t.rows) + 1:06d}", "hcp_code": pr["hcp_code"], "name": p.name,
            "name_pinyin": p.pinyin, "hospital": pr["hospital"], "hospital_uscc": hosp_uscc[pr["hospital"]],
            "department": pr["department"], "title": pr["title"], "mobile": messy_phone(rng, p.mobile, 0.1),
            "office_phone": pr["office_phone"] if rng.random() < 0.85 else None, "email": pr["email"],
            "id_no": p.id_as_written(rng, lower_x=0.2, allow_15=False), "pr_card_no": p.pr_id, "bank_card": card,
            "bank_name": BANK_BY_BIN[p.bank_card[:6]], "activity": rng.choice(("讲课费", "咨询费", "临床研究者费", "差旅报销")),
            "amount_cny": decoy_price(rng, 500, 30000), "payment_date": f"{dt.date(2026, 1, 2) + dt.timedelta(days=rng.randrange(320)):%Y-%m-%d}",
        })
    t.corrupt(rng, "bank_card", 0.015, invalid_card)
    t.corrupt(rng, "email", 0.01, invalid_email)
    return t


# --------------------------------------------------------------------------------------------
# Civil aviation
# --------------------------------------------------------------------------------------------
ROUTES = {
    "domestic": [("MU5101", "SHA", "PEK"), ("CA1502", "PEK", "SHA"), ("CZ3101", "CAN", "PEK"), ("3U8881", "CTU", "PEK"),
                 ("HU7181", "PEK", "HAK"), ("ZH9101", "SZX", "PEK"), ("MF8101", "XMN", "PEK"), ("MU2105", "XIY", "PVG"),
                 ("CZ6901", "URC", "PEK"), ("TV9891", "LXA", "CTU"), ("CZ3539", "CAN", "PVG"), ("CA1857", "PEK", "HGH")],
    "hkmo": [("CA101", "PEK", "HKG"), ("MU501", "PVG", "HKG"), ("CZ3075", "CAN", "HKG"), ("NX001", "PEK", "MFM")],
    "tw": [("MU5007", "PVG", "TSA"), ("CA185", "PEK", "TSA"), ("MF881", "XMN", "TPE")],
    "intl": [("CA981", "PEK", "JFK"), ("MU569", "PVG", "CDG"), ("CA937", "PEK", "LHR"), ("CZ327", "CAN", "LAX"),
             ("MU521", "PVG", "NRT"), ("CA925", "PEK", "NRT"), ("MU5051", "PVG", "ICN")],
}
TICKET_PREFIX = {"MU": "781", "CA": "999", "CZ": "784", "3U": "876", "HU": "880", "ZH": "479", "MF": "731", "TV": "088", "NX": "675"}


def ffp_number(p: Person) -> str:
    return f"6{(p.pid * 2654435761 + 12345) % 10**11:011d}"


def aviation_passengers(w: World, seed: int) -> Table:
    path = "civil_aviation/passengers.csv.gz"
    rng = file_rng(seed, path)
    t = Table(path, "civil_aviation", [
        Column("订单号", None, decoy=True), Column("客票号", None), Column("航班号", None), Column("航班日期", None, decoy=True),
        Column("出发", None), Column("到达", None), Column("舱位", None), Column("旅客姓名", "PERSON_NAME"),
        Column("拼音姓名", "PERSON_NAME"), Column("旅客类型", None), Column("身份证号", "CN_RESIDENT_ID"),
        Column("护照号", "CN_PASSPORT"), Column("港澳通行证号", "CN_EXIT_ENTRY_PERMIT"), Column("回乡证号", "CN_HK_MACAO_PERMIT"),
        Column("台胞证号", "CN_TAIWAN_PERMIT"), Column("手机号", "CN_MOBILE_PHONE"), Column("常旅客卡号", None),
        Column("票价", None, decoy=True),
    ], gzip=True, description="Passenger manifest / booking export (gzip-compressed UTF-8 CSV): travel documents by "
                              "route (ID card at home, passport abroad, permits for Hong Kong, Macao and Taiwan).")
    ff = {p.pid for p in w.pools["ff"]}
    for p in spread_rows(rng, w.pools["passengers"], 2000, repeat_skew=1.6):
        doc = {"身份证号": None, "护照号": None, "港澳通行证号": None, "回乡证号": None, "台胞证号": None}
        if p.kind == "mainland":
            if p.passport and rng.random() < 0.3:
                kind = "intl"
                doc["护照号"] = p.passport
                if rng.random() < 0.5:
                    doc["身份证号"] = p.id_as_written(rng, 0.2, allow_15=False)
            elif p.exit_entry and rng.random() < 0.25:
                kind = "hkmo"
                doc["港澳通行证号"] = p.exit_entry
                if rng.random() < 0.5:
                    doc["身份证号"] = p.id_as_written(rng, 0.2, allow_15=False)
            else:
                kind = "domestic"
                doc["身份证号"] = p.id_as_written(rng, 0.2, allow_15=False)
        elif p.kind in ("hk", "macao"):
            kind = rng.choice(("hkmo", "domestic"))
            doc["回乡证号"] = p.hkm_permit
            if kind == "domestic" and p.id18 and rng.random() < 0.5:
                doc["身份证号"] = p.id18
        else:
            kind = rng.choice(("tw", "domestic"))
            doc["台胞证号"] = p.tw_permit
            if kind == "domestic" and p.id18 and rng.random() < 0.5:
                doc["身份证号"] = p.id18
        flight, dep, arr = rng.choice(ROUTES[kind])
        if rng.random() < 0.5:
            dep, arr = arr, dep
        fdate = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(360))
        t.add(p, {
            "订单号": decoy_order_no(rng), "客票号": f"{TICKET_PREFIX[flight[:2]]}-{_digits(rng, 10)}", "航班号": flight,
            "航班日期": f"{fdate:%Y-%m-%d}", "出发": dep, "到达": arr,
            "舱位": rng.choice("YYYYBMHKLQJCF"), "旅客姓名": p.name, "拼音姓名": p.ticket_name,
            "旅客类型": "婴儿" if p.age < 2 else "儿童" if p.age < 12 else "成人", **doc,
            "手机号": messy_phone(rng, p.mobile, 0.15) if p.mobile else None,
            "常旅客卡号": ffp_number(p) if p.pid in ff else None,
            "票价": decoy_price(rng, 380, 12800),
        })
    t.corrupt(rng, "护照号", 0.01, lambda v: str(v)[:-1])
    t.corrupt(rng, "手机号", 0.008, invalid_phone)
    return t


def aviation_ff_members(w: World, seed: int) -> Table:
    path = "civil_aviation/ff_members.parquet"
    rng = file_rng(seed, path)
    t = Table(path, "civil_aviation", [
        Column("ffp_no", None), Column("snapshot_month", None), Column("name_cn", "PERSON_NAME"),
        Column("name_en", "PERSON_NAME"), Column("gender", "GENDER"), Column("birth_date", "BIRTH_DATE", arrow=pa.date32()),
        Column("id_number", "CN_RESIDENT_ID", arrow=pa.int64()), Column("passport_no", "CN_PASSPORT"),
        Column("exit_entry_permit", "CN_EXIT_ENTRY_PERMIT"), Column("mobile", "CN_MOBILE_PHONE", arrow=pa.float64()),
        Column("email", "EMAIL"), Column("tier", None), Column("miles_balance", None, arrow=pa.int64()),
        Column("enrol_time_ms", None, decoy=True, arrow=pa.int64()), Column("cobrand_card_no", "CN_BANK_CARD"),
    ], fmt="parquet", encoding=None, delimiter=None,
        description="Frequent-flyer members, two monthly snapshots (Parquet; ID numbers as int64 - null when they end in X; "
                    "mobile as float64 as a pandas round trip leaves it).")
    members = w.pools["ff"]
    both = set(p.pid for p in rng.sample(members, 150))
    for p in members:
        tier = rng.choice(("普卡", "普卡", "银卡", "金卡", "白金卡"))
        months = ["2026-10"] + (["2026-09"] if p.pid in both else [])
        enrol = decoy_timestamp_ms(rng, dt.datetime(2012, 1, 1), dt.datetime(2026, 9, 1))
        cobrand = p.bank_card if rng.random() < 0.2 else None
        for m in months:
            t.add(p, {
                "ffp_no": ffp_number(p), "snapshot_month": m, "name_cn": p.name, "name_en": p.pinyin,
                "gender": p.gender, "birth_date": p.birth,
                "id_number": int(p.id18) if p.id18 and not p.id18.endswith("X") else None,
                "passport_no": p.passport, "exit_entry_permit": p.exit_entry,
                "mobile": float(p.mobile) if rng.random() < 0.97 else None, "email": p.email,
                "tier": tier, "miles_balance": rng.randrange(0, 400000), "enrol_time_ms": enrol, "cobrand_card_no": cobrand,
            })
    t.corrupt(rng, "email", 0.01, invalid_email)
    return t


# --------------------------------------------------------------------------------------------
# Retail and modern services
# --------------------------------------------------------------------------------------------
NICKNAMES = ("小鱼儿", "追风少年", "Lucky猫", "晴天", "吃货一枚", "momo", "阿杰", "向日葵", "大白", "路人甲", "柠檬不萌",
             "Sunny", "小土豆", "木子", "星空", "奶茶续命", "Coco", "老王", "一只喵", "风轻云淡")
PRODUCTS = (("儿童保温杯 500ml", 89), ("无线蓝牙耳机", 299), ("纯棉T恤", 79), ("电动牙刷", 199), ("空气炸锅", 399),
            ("运动跑鞋", 459), ("乐高积木套装", 699), ("护手霜三支装", 59), ("智能手表", 1299), ("婴儿湿巾 80抽×10", 69))


def member_id(p: Person) -> str:
    return f"{(p.pid * 40503 + 7) % 10**10:010d}"


def retail_members(w: World, seed: int) -> Table:
    path = "retail_services/members.csv"
    rng = file_rng(seed, path)
    t = Table(path, "retail_services", [
        Column("member_id", None), Column("nickname", None), Column("mobile", "CN_MOBILE_PHONE"), Column("email", "EMAIL"),
        Column("birthday", "BIRTH_DATE"), Column("gender", "GENDER"), Column("level", None), Column("points", None),
        Column("register_ip", "IP_ADDRESS"), Column("device_mac", "MAC_ADDRESS"), Column("device_sn", "DEVICE_SERIAL"),
        Column("password_hash", "CREDENTIAL"), Column("address", "CN_ADDRESS"), Column("register_time_ms", None, decoy=True),
    ], bom=True, description="Member accounts of a retail chain (UTF-8 with BOM): devices, password hashes, "
                             "birthdays (some members are children under 14).")
    rows = spread_rows(rng, w.pools["members"], 1500, repeat_skew=6)
    seen: dict[int, dict] = {}
    for p in rows:
        if p.pid not in seen:
            seen[p.pid] = {"nick": rng.choice(NICKNAMES) + (str(rng.randrange(1, 999)) if rng.random() < 0.5 else ""),
                           "pw": make_password_hash(rng, p.pid) if rng.random() < (0.5 if p.is_child else 0.7) else None,
                           "level": rng.choice(("普通会员", "银卡会员", "金卡会员", "黑金会员")), "reg": decoy_timestamp_ms(
                               rng, dt.datetime(2018, 1, 1), dt.datetime(2026, 11, 1))}
        s = seen[p.pid]
        t.add(p, {
            "member_id": member_id(p), "nickname": s["nick"], "mobile": messy_phone(rng, p.mobile, 0.06),
            "email": p.email if p.email and rng.random() < 0.6 else None, "birthday": f"{p.birth:%Y-%m-%d}",
            "gender": gender_zh(p) if rng.random() < 0.93 else "保密", "level": s["level"], "points": rng.randrange(0, 58000),
            "register_ip": make_ip(rng), "device_mac": make_mac(rng), "device_sn": make_device_serial(rng),
            "password_hash": s["pw"], "address": p.address if rng.random() < 0.4 else None, "register_time_ms": s["reg"],
        })
    t.corrupt(rng, "email", 0.01, invalid_email)
    return t


def retail_orders(w: World, seed: int) -> Table:
    path = "retail_services/orders_excel_gb18030.csv"
    rng = file_rng(seed, path)
    t = Table(path, "retail_services", [
        Column("订单编号", None, decoy=True), Column("下单时间", None, decoy=True), Column("会员ID", None),
        Column("收货人", "PERSON_NAME"), Column("收货人手机", "CN_MOBILE_PHONE"), Column("收货地址", "CN_ADDRESS"),
        Column("商品SKU", None, decoy=True), Column("商品名称", None), Column("数量", None), Column("实付金额", None, decoy=True),
        Column("快递单号", None, decoy=True), Column("批次号", None, decoy=True), Column("商家统一社会信用代码", "CN_USCC", decoy=True),
    ], encoding="gb18030", line_end="\r\n",
        description="E-commerce orders saved from Excel (GB18030): receivers, addresses, waybills and batch codes "
                    "(the batch codes are 11 digits starting with 1 and mostly look like mobile numbers).")
    members = {p.pid for p in w.pools["members"]}
    sellers = [make_uscc(rng, rng.choice(DISTRICTS).code, rng.choice(("91", "91", "92"))) for _ in range(8)]
    skus = [decoy_sku(rng) for _ in PRODUCTS]
    for p in spread_rows(rng, w.pools["receivers"], 1600, repeat_skew=1.5):
        k = rng.randrange(len(PRODUCTS))
        qty = rng.choice((1, 1, 1, 2, 3))
        when = dt.datetime(2026, 1, 1) + dt.timedelta(seconds=rng.randrange(330 * 86400))
        t.add(p, {
            "订单编号": decoy_order_no(rng), "下单时间": f"{when:%Y/%m/%d %H:%M:%S}",
            "会员ID": member_id(p) if p.pid in members else None, "收货人": p.name,
            "收货人手机": messy_phone(rng, p.mobile, 0.2), "收货地址": p.address, "商品SKU": skus[k],
            "商品名称": PRODUCTS[k][0], "数量": qty, "实付金额": f"{PRODUCTS[k][1] * qty * rng.choice((1, 1, 0.9, 0.85)):.2f}",
            "快递单号": decoy_waybill(rng), "批次号": decoy_batch_spread(rng), "商家统一社会信用代码": rng.choice(sellers),
        })
    return t


def retail_app_logins(w: World, seed: int) -> Table:
    path = "retail_services/app_logins.parquet"
    rng = file_rng(seed, path)
    t = Table(path, "retail_services", [
        Column("login_id", None, arrow=pa.int64()), Column("member_id", None), Column("mobile", "CN_MOBILE_PHONE", arrow=pa.int64()),
        Column("login_time_ms", None, decoy=True, arrow=pa.int64()), Column("ip", "IP_ADDRESS"), Column("mac", "MAC_ADDRESS"),
        Column("imei", "IMEI"), Column("imsi", "IMSI"), Column("iccid", "ICCID"), Column("device_sn", "DEVICE_SERIAL"),
        Column("os", None), Column("session_token", "CREDENTIAL"),
    ], fmt="parquet", encoding=None, delimiter=None,
        description="App login log of retail members (Parquet): device identifiers and session tokens; mobile as int64.")
    devices: dict[int, list[dict]] = {}
    for p in spread_rows(rng, w.pools["app"], 2000, repeat_skew=1.4):
        if p.pid not in devices:
            devices[p.pid] = [{"mac": make_mac(rng), "imei": make_imei(rng), "imsi": make_imsi(rng), "iccid": make_iccid(rng),
                               "sn": make_device_serial(rng), "os": rng.choice(("Android 14", "Android 13", "iOS 17.5", "iOS 18.1", "HarmonyOS 4.2"))}
                              for _ in range(1 if rng.random() < 0.8 else 2)]
        d = rng.choice(devices[p.pid])
        ios = d["os"].startswith("iOS")
        t.add(p, {
            "login_id": 880000000 + len(t.rows), "member_id": member_id(p), "mobile": int(p.mobile),
            "login_time_ms": decoy_timestamp_ms(rng), "ip": make_ip(rng), "mac": d["mac"],
            "imei": None if ios else d["imei"], "imsi": None if ios else d["imsi"], "iccid": d["iccid"], "device_sn": d["sn"],
            "os": d["os"], "session_token": make_token(rng) if rng.random() < 0.6 else None,
        })
    return t


def retail_shipments(w: World, seed: int) -> Table:
    path = "retail_services/shipments_no_pi.csv"
    rng = file_rng(seed, path)
    t = Table(path, "retail_services", [
        Column("shipment_id", None, decoy=True), Column("waybill_no", None, decoy=True), Column("batch_code", None, decoy=True),
        Column("create_time_ms", None, decoy=True), Column("warehouse", None), Column("sku", None, decoy=True),
        Column("qty", None), Column("unit_price", None, decoy=True), Column("carrier_uscc", "CN_USCC", decoy=True),
    ], description="Warehouse shipments without any personal data: every identifier-looking column is a decoy.")
    carriers = [make_uscc(rng, rng.choice(DISTRICTS).code) for _ in range(5)]
    for _ in range(800):
        t.add(None, {
            "shipment_id": decoy_order_no(rng), "waybill_no": decoy_waybill(rng), "batch_code": decoy_batch_date(rng),
            "create_time_ms": decoy_timestamp_ms(rng), "warehouse": rng.choice(("上海青浦仓", "广州白云仓", "北京大兴仓", "成都双流仓")),
            "sku": decoy_sku(rng), "qty": rng.randrange(1, 500), "unit_price": decoy_price(rng), "carrier_uscc": rng.choice(carriers),
        })
    return t


# --------------------------------------------------------------------------------------------
# AI training data
# --------------------------------------------------------------------------------------------
PLAIN_SENTENCES = {  # topic -> sentences without personal data (some with decoy numbers)
    "售后": ("耳机用了两周右耳就没声音了，希望能换新。", "客服态度很好，十分钟就帮我处理完了。", "维修周期太长，等了快一个月。",
           "说明书写得不清楚，安装花了两个小时。", "申请退货后三天内就收到了退款。"),
    "物流": ("快递单号{waybill}显示已签收，但我并没有收到包裹。", "订单{order}的包裹已经三天没有更新物流信息了。",
           "这次发货速度很快，隔天就到了。", "外包装有破损，好在商品本身没问题。", "批次{batch}的货据说要下周才能到仓。"),
    "旅行": ("航班延误了四个小时，机场提供了餐食。", "高铁二等座很舒适，三个多小时就到上海了。", "酒店离地铁站很近，早餐种类丰富。",
           "国庆假期景区人太多，建议错峰出行。", "这次坐的是夜间航班，落地时已经凌晨两点。"),
    "科技": ("新款手机的续航比上一代提升明显。", "系统更新后应用启动速度变快了。", "这款笔记本屏幕素质不错，但是风扇有点吵。",
           "大模型在长文本摘要任务上的表现仍有提升空间。", "云服务在{ts}毫秒时间戳附近出现了一次短暂抖动。"),
    "餐饮": ("这家店的小笼包皮薄汁多，排队半小时也值得。", "外卖送到时汤已经凉了。", "价格实惠，三个人人均不到八十元。",
           "服务员上菜速度很快，环境也干净。", "招牌菜麻婆豆腐偏咸，其他都还可以。"),
    "汽车": ("新能源车冬季续航会打七折左右。", "这款车的辅助驾驶在高速上表现稳定。", "保养一次花了六百多元，比预想的便宜。",
           "充电桩经常被燃油车占用，希望物业管理一下。", "试驾之后觉得底盘调校偏运动。"),
}
SENTIMENT = ("positive", "negative", "neutral")


def _plain_text(rng: random.Random) -> tuple[str, str]:
    topic = rng.choice(sorted(PLAIN_SENTENCES))
    n = rng.choice((1, 1, 2, 2, 3))
    sents = rng.sample(PLAIN_SENTENCES[topic], n)
    text = "".join(s.format(waybill=decoy_waybill(rng), order=decoy_order_no(rng), batch=decoy_batch_date(rng),
                            ts=decoy_timestamp_ms(rng)) for s in sents)
    return text, topic


def _person_text(rng: random.Random, p: Person) -> tuple[str, str, tuple[str, ...]]:
    """1-3 sentences holding one person's data, with the entities they hold (always a strong key)."""
    phone = messy_phone(rng, p.mobile, 0.3)
    options = [
        ("售后", f"我的手机号是{phone}，麻烦尽快联系我。", ("CN_MOBILE_PHONE",)),
        ("售后", f"{p.name}，电话{phone}，地址{p.address}，请安排师傅上门维修。", ("PERSON_NAME", "CN_MOBILE_PHONE", "CN_ADDRESS")),
        ("物流", f"收件人{p.name}，手机{phone}，快递放门卫就行。", ("PERSON_NAME", "CN_MOBILE_PHONE")),
        # a 139.com address is the phone number itself: anyone can read (and link) it
        ("账户", f"有问题可以发邮件到{p.email}，周末也会回复。",
         ("EMAIL",) + (("CN_MOBILE_PHONE",) if p.mobile and p.email.startswith(p.mobile) else ())) if p.email else None,
        ("汽车", f"昨天刚提的新车，客服电话一直打不通，我的号码是{phone}，希望回电。", ("CN_MOBILE_PHONE",)),
        ("账户", f"本人{p.name}，身份证号{p.id18}，申请补办会员卡。", ("PERSON_NAME", "CN_RESIDENT_ID")) if p.id18 else None,
        ("账户", f"退款请打到我的银行卡{p.bank_card}，户名{p.name}。", ("CN_BANK_CARD", "PERSON_NAME")) if p.bank_card else None,
        ("旅行", f"护照号{p.passport}，姓名{p.ticket_name}，请帮我改签到下周一。", ("CN_PASSPORT", "PERSON_NAME")) if p.passport else None,
        ("售后", f"联系人：{p.name} {phone}（微信同号）。", ("PERSON_NAME", "CN_MOBILE_PHONE")),
    ]
    topic, text, ents = rng.choice([o for o in options if o])
    if rng.random() < 0.4:  # a plain sentence around it
        extra, _ = _plain_text(rng)
        text = text + extra if rng.random() < 0.5 else extra + text
    return text, topic, ents


def ai_corpus(w: World, seed: int) -> Table:
    path = "ai_training/corpus_zh.csv"
    rng = file_rng(seed, path)
    t = Table(path, "ai_training", [
        Column("id", None), Column("text", "FREE_TEXT"), Column("label", None), Column("topic", None),
        Column("source", None), Column("split", None),
    ], description="Chinese text corpus for model training: 1-3 sentences per row, about a third embed one "
                   "person's phone, ID, bank card, e-mail, passport or address.")
    person_rows = spread_rows(rng, w.pools["corpus"], 480, repeat_skew=2)
    slots: list[Person | None] = person_rows + [None] * 1020
    rng.shuffle(slots)
    for i, p in enumerate(slots):
        if p is None:
            text, topic = _plain_text(rng)
            ents: tuple[str, ...] = ()
        else:
            text, topic, ents = _person_text(rng, p)
        t.add(p, {"id": f"zh-{i + 1:06d}", "text": text, "label": rng.choice(SENTIMENT), "topic": topic,
                  "source": rng.choice(("weibo", "forum", "customer_service", "app_review")),
                  "split": rng.choices(("train", "dev", "test"), (8, 1, 1))[0]}, ents)
    return t


def ai_dialogues(w: World, seed: int) -> Table:
    path = "ai_training/dialogue_turns.parquet"
    rng = file_rng(seed, path)
    t = Table(path, "ai_training", [
        Column("dialogue_id", None), Column("turn", None, arrow=pa.int64()), Column("speaker", None),
        Column("utterance", "FREE_TEXT"), Column("intent", None), Column("created_ms", None, decoy=True, arrow=pa.int64()),
    ], fmt="parquet", encoding=None, delimiter=None,
        description="Customer-service dialogues for fine-tuning (Parquet, one row per turn); users disclose phones, "
                    "IDs and plates in some turns.")
    users: list[Person | None] = spread_rows(rng, w.pools["dialogue"], 280, repeat_skew=3) + [None] * 40
    rng.shuffle(users)
    for d, p in enumerate(users):
        did = f"dlg-{d + 1:05d}"
        start = decoy_timestamp_ms(rng)
        intent = rng.choice(("查询订单", "修改预约", "投诉", "退款", "会员权益"))
        turns: list[tuple[str, str, Person | None, tuple[str, ...]]] = [
            ("agent", rng.choice(("您好，请问有什么可以帮您？", "您好，这里是在线客服，很高兴为您服务。")), None, ())]
        turns.append(("user", rng.choice((f"我上周的订单{decoy_order_no(rng)}还没发货。", "我想改一下保养预约的时间。",
                                         "会员积分为什么少了一半？", "申请退款一直没有到账。")), None, ()))
        turns.append(("agent", "麻烦提供一下预留的手机号码或身份证号，方便核实身份。", None, ()))
        if p is not None:
            r = rng.random()
            if r < 0.5:
                turns.append(("user", f"手机号{messy_phone(rng, p.mobile, 0.4)}。", p, ("CN_MOBILE_PHONE",)))
            elif r < 0.75 and p.id18:
                turns.append(("user", f"我叫{p.name}，身份证{p.id18}。", p, ("PERSON_NAME", "CN_RESIDENT_ID")))
            else:
                plate = make_plate(rng, p.home.city, rng.random() < 0.3)
                turns.append(("user", f"{p.name}，{p.mobile}，车牌{plate}。", p, ("PERSON_NAME", "CN_MOBILE_PHONE", "CN_LICENSE_PLATE")))
        else:
            turns.append(("user", "不方便提供，我晚点再来咨询吧。", None, ()))
        turns.append(("agent", rng.choice(("已为您登记，稍后会有专人回电。", "感谢您的耐心等待，问题已经处理。")), None, ()))
        for k, (speaker, text, person, ents) in enumerate(turns):
            t.add(person, {"dialogue_id": did, "turn": k + 1, "speaker": speaker, "utterance": text, "intent": intent,
                           "created_ms": start + k * rng.randrange(5000, 90000)}, ents)
    return t


# --------------------------------------------------------------------------------------------
# Rich content: trajectories, camera frames, speech, biometrics, medical records, genotypes
# --------------------------------------------------------------------------------------------
CITY_CENTRES = {  # city key -> (longitude, latitude), WGS-84
    "bj": (116.4074, 39.9042), "sh": (121.4737, 31.2304), "gz": (113.2644, 23.1291), "sz": (114.0579, 22.5431),
    "cd": (104.0665, 30.5723), "hz": (120.1551, 30.2741), "wh": (114.3054, 30.5931), "xa": (108.9398, 34.3416),
    "nj": (118.7969, 32.0603), "tj": (117.2010, 39.0842), "cq": (106.5516, 29.5630), "sz_js": (120.5853, 31.2990),
}


def wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    """The GCJ-02 offset Chinese maps apply (the published approximation of the transform)."""
    import math

    a, ee = 6378245.0, 0.00669342162296594323
    x, y = lng - 105.0, lat - 35.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
            + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
            + (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
            + (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0)
    dlng = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
            + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
            + (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
            + (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - ee * math.sin(rad) ** 2
    sq = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((a * (1 - ee)) / (magic * sq) * math.pi)
    dlng = (dlng * 180.0) / (a / sq * math.cos(rad) * math.pi)
    return lng + dlng, lat + dlat


def automotive_tracks(w: World, seed: int) -> Table:
    path = "automotive/vehicle_tracks.parquet"
    rng = file_rng(seed, path)
    t = Table(path, "automotive", [
        Column("vin", "CN_VIN"), Column("gps_time", None, arrow=pa.timestamp("s")),
        Column("lng", "GEO_LONGITUDE", arrow=pa.float64()), Column("lat", "GEO_LATITUDE", arrow=pa.float64()),
        Column("gcj02", "GEO_POINT"), Column("speed_kmh", None, decoy=True, arrow=pa.float64()),
        Column("heading", None, arrow=pa.int64()), Column("soc_pct", None, decoy=True, arrow=pa.float64()),
    ], fmt="parquet", encoding=None, delimiter=None, row_group_size=500,
        description="Connected-vehicle GPS tracks (one row per fix, every 30 s): 60 vehicles with a trip of 20-40 "
                    "points (行踪轨迹), 6 vehicles with a single parking fix; WGS-84 floats and the GCJ-02 string.")
    owners = [p for p in w.pools["owners"] if p.home.city.key in CITY_CENTRES and p.kind == "mainland"]
    chosen = rng.sample(owners, 66)
    rows: list[tuple] = []
    for k, p in enumerate(chosen):
        v = w.fleet[p.pid][0]
        lng0, lat0 = CITY_CENTRES[p.home.city.key]
        lng, lat = lng0 + rng.uniform(-0.15, 0.15), lat0 + rng.uniform(-0.12, 0.12)
        when = dt.datetime(2026, 11, rng.randint(1, 25), rng.randint(6, 21), rng.randrange(60), rng.randrange(60))
        n = 1 if k >= 60 else rng.randint(20, 40)
        heading = rng.randrange(360)
        for _ in range(n):
            speed = 0.0 if n == 1 else max(0.0, min(120.0, rng.gauss(45, 20)))
            rows.append((p, v.vin, when, round(lng, 6), round(lat, 6), round(speed, 1), heading, round(rng.uniform(20, 95), 1)))
            heading = (heading + rng.randint(-30, 30)) % 360
            step = speed / 3600 * 30 / 100  # km in 30 s, in degrees (roughly)
            lng += step * math.sin(math.radians(heading))
            lat += step * math.cos(math.radians(heading))
            when += dt.timedelta(seconds=30)
    rows.sort(key=lambda r: r[2])  # a telematics export is ordered by time, vehicles interleaved
    for p, vin, when, lng, lat, speed, heading, soc in rows:
        g_lng, g_lat = wgs84_to_gcj02(lng, lat)
        t.add(p, {"vin": vin, "gps_time": when, "lng": lng, "lat": lat, "gcj02": f"{g_lng:.6f},{g_lat:.6f}",
                  "speed_kmh": speed, "heading": heading, "soc_pct": soc})
    t.counts = {"persons": 66, "sensitive_persons": 60, "persons_by_entity": {"CN_VIN": 66, "TRAJECTORY": 60}}
    t.extra = {"trajectory_persons": 60, "counting": "rows have no person key: each vehicle is its owner or driver "
               "(rows grouped by VIN); a vehicle with 2+ time-ordered fixes has a trajectory (sensitive)"}
    return t


def _png(pixels: np.ndarray) -> bytes:
    """A PNG written with the standard library (zlib, crc32): 8-bit RGB or grey."""
    import struct
    import zlib

    h, w = pixels.shape[:2]
    colour = 2 if pixels.ndim == 3 else 0
    raw = b"".join(b"\x00" + pixels[y].astype(np.uint8).tobytes() for y in range(h))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, colour, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def _jpeg(pixels: np.ndarray) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(out, "JPEG", quality=85)
    return out.getvalue()


def _resize(img: np.ndarray, size: int) -> np.ndarray:
    from skimage import transform

    return (transform.resize(img, (size, size), anti_aliasing=True) * 255).round().astype(np.uint8)  # floats in [0, 1]


def _road_scene(rng: random.Random, size: int = 64) -> np.ndarray:
    """A drawn exterior-camera frame: sky, road, lane marks, a car with a plate-like box."""
    img = np.zeros((size, size, 3), dtype=np.uint8)
    horizon = rng.randint(size // 3, size // 2)
    for y in range(horizon):
        img[y] = (110 + y, 150 + y, 230)
    img[horizon:] = (90, 90, 95)
    for y in range(horizon, size, 6):
        img[y:y + 3, size // 2 - 1:size // 2 + 1] = (240, 240, 240)
    x0, y0 = rng.randint(4, size // 2), rng.randint(horizon, size - 20)
    img[y0:y0 + 14, x0:x0 + 22] = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
    img[y0 + 9:y0 + 12, x0 + 7:x0 + 15] = (30, 60, 200)  # a blue plate
    return img


CAMERAS = ("front_wide", "front_tele", "rear", "left_repeater", "right_repeater")


def automotive_camera_frames(w: World, seed: int) -> Table:
    from skimage import data as skdata

    path = "automotive/camera_frames.parquet"
    rng = file_rng(seed, path)
    t = Table(path, "automotive", [
        Column("frame_id", None), Column("test_vehicle", None), Column("captured_at", None, arrow=pa.timestamp("ms")),
        Column("camera", None), Column("position", "GEO_POINT"), Column("image", "FACE_IMAGE", arrow=pa.binary()),
    ], fmt="parquet", encoding=None, delimiter=None,
        description="Exterior camera frames of road-test vehicles (64x64 JPEG/PNG thumbnails): 13 show a pedestrian's "
                    "face (faces from scikit-image's shipped LFW subset and astronaut image), the others drawn road "
                    "scenes and scikit-image sample photos.")
    # 100 faces then 100 non-faces, 25x25, shipped inside scikit-image. The cascade finds about 3 in 4
    # of these faces at 64x64; the frames use faces it finds, so that the per-frame truth (a face is
    # shown) and the scanner's per-frame count can be compared exactly.
    lfw = skdata.lfw_subset()
    faces = [_jpeg(_resize(lfw[i], 64)) for i in (0, 1, 3, 5, 7, 8, 10, 11, 12, 15, 18, 19)]
    faces.append(_jpeg(_resize(skdata.astronaut()[0:260, 100:330], 64)))
    others = [_png(_road_scene(rng)) for _ in range(17)]
    others += [_jpeg(_resize(getattr(skdata, n)(), 64)) for n in ("coffee", "chelsea", "rocket")]
    others += [_png(_resize(lfw[i], 64)) for i in (120, 135, 150, 170, 185, 199)]
    frames = [(img, True) for img in faces] + [(img, False) for img in others]
    rng.shuffle(frames)
    start = dt.datetime(2026, 10, 12, 9, 30)
    lng0, lat0 = CITY_CENTRES["bj"]
    for i, (img, _) in enumerate(frames):
        lng, lat = wgs84_to_gcj02(lng0 + 0.002 * i, lat0 + 0.001 * (i % 7))
        t.add(None, {"frame_id": f"F{i + 1:06d}", "test_vehicle": f"TV-{rng.randint(1, 3):02d}",
                     "captured_at": start + dt.timedelta(seconds=7 * i), "camera": rng.choice(CAMERAS),
                     "position": f"POINT({lng:.6f} {lat:.6f})", "image": img})
    with_faces = sum(1 for _, face in frames if face)
    t.counts = {"persons": with_faces, "sensitive_persons": with_faces, "persons_by_entity": {"FACE_IMAGE": with_faces}}
    t.extra = {"images": len(frames), "images_with_faces": with_faces,
               "counting": "a pedestrian's face cannot be linked to anyone: each frame showing a face is one person "
                           "(the keyless reading); frames without a face hold no personal information"}
    return t


PROVINCES_OF = {"bj": "北京", "sh": "上海", "gz": "广东", "sz": "广东", "cd": "四川", "wlmq": "新疆", "ks": "新疆",
                "ls_xz": "西藏", "hhht": "内蒙古", "nn": "广西", "km": "云南", "xa": "陕西"}


def _wav(rng: random.Random, seconds: float = 0.25, rate: int = 8000) -> bytes:
    """A synthetic 8-bit mono WAV: a few harmonics of a voice-like pitch, with noise."""
    import struct

    n = int(seconds * rate)
    f0 = rng.uniform(90, 260)
    x = np.arange(n) / rate
    wave = sum(np.sin(2 * np.pi * f0 * k * x) / k for k in (1, 2, 3))
    noise = np.array([rng.uniform(-0.1, 0.1) for _ in range(n)])
    pcm = np.clip(128 + 40 * (wave + noise), 0, 255).astype(np.uint8).tobytes()
    header = (b"RIFF" + struct.pack("<I", 36 + len(pcm)) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate, 1, 8)
              + b"data" + struct.pack("<I", len(pcm)))
    return header + pcm


def ai_speech_clips(w: World, seed: int) -> Table:
    path = "ai_training/speech_clips.parquet"
    rng = file_rng(seed, path)
    t = Table(path, "ai_training", [
        Column("clip_id", None), Column("audio", "AUDIO", arrow=pa.binary()), Column("transcript", None),
        Column("省份", None), Column("民族", "ETHNICITY"), Column("性别", "GENDER"),
        Column("duration_s", None, decoy=True, arrow=pa.float64()), Column("session_video", "VIDEO"),
    ], fmt="parquet", encoding=None, delimiter=None,
        description="Speech-recognition training clips (synthetic 0.25 s WAV) with the audio labels the AI list "
                    "names (省份, 民族, 性别) and the recording session's video; one clip per anonymous speaker.")
    speakers = rng.sample([p for p in w.pop.persons if p.kind == "mainland" and p.age >= 16
                           and p.home.city.key in PROVINCES_OF], 60)
    for i, p in enumerate(speakers):
        text, _ = _plain_text(rng)
        t.add(None, {"clip_id": f"asr-{i + 1:05d}", "audio": _wav(rng), "transcript": text,
                     "省份": PROVINCES_OF[p.home.city.key], "民族": p.ethnicity, "性别": gender_zh(p),
                     "duration_s": round(rng.uniform(1.2, 9.8), 3),
                     "session_video": f"oss://asr-corpus/sessions/2026/{rng.randrange(16**8):08x}.mp4"})
    t.counts = {"persons": 60, "sensitive_persons": 60,
                "persons_by_entity": {"AUDIO": 60, "ETHNICITY": 60, "GENDER": 60, "VIDEO": 60}}
    t.extra = {"modality": "audio", "counting": "one clip per speaker, no speaker key: each row is one person"}
    return t


def retail_face_pay(w: World, seed: int) -> Table:
    path = "retail_services/face_pay_enrolments.parquet"
    rng = file_rng(seed, path)
    t = Table(path, "retail_services", [
        Column("member_mobile", "CN_MOBILE_PHONE"), Column("enrolled_at", None, arrow=pa.timestamp("s")),
        Column("face_embedding", "BIOMETRIC", arrow=pa.list_(pa.float32())),
        Column("fingerprint_template", "BIOMETRIC", arrow=pa.binary()),
        Column("liveness_scores", None, decoy=True, arrow=pa.list_(pa.float32())), Column("store", None),
    ], fmt="parquet", encoding=None, delimiter=None,
        description="Face-payment enrolments: 128-d face embeddings (L2-normalised float32), ISO/IEC 19794-2 "
                    "fingerprint templates, variable-length liveness scores (not biometric).")
    members = rng.sample([p for p in w.pools["members"] if not p.is_child], 240)
    gen = np.random.default_rng(rng.randrange(2**32))
    for p in members:
        v = gen.standard_normal(128)
        # Normalised with an exact sum (math.fsum), not a BLAS norm: the file is the same bytes
        # whatever numpy and BLAS build regenerates it.
        v = v / math.sqrt(math.fsum(float(x) * float(x) for x in v))
        minutiae = gen.integers(0, 256, size=6 * gen.integers(20, 40), dtype=np.uint8).tobytes()
        template = b"FMR\x00 20\x00" + len(minutiae).to_bytes(4, "big") + minutiae
        t.add(p, {"member_mobile": p.mobile, "enrolled_at": dt.datetime(2026, 3, 1) + dt.timedelta(minutes=rng.randrange(300000)),
                  "face_embedding": [round(float(x), 5) for x in v], "fingerprint_template": template,
                  "liveness_scores": [round(rng.random(), 3) for _ in range(rng.randint(1, 3))],
                  "store": rng.choice(("上海南京西路店", "北京三里屯店", "深圳万象城店"))})
    return t


DIAGNOSES = (  # ICD-10 (国家临床版 2.0 where it extends), diagnosis, typical medication
    ("E11.900", "2型糖尿病", "二甲双胍片 0.5g 口服 每日三次"), ("I10.X00", "原发性高血压", "苯磺酸氨氯地平片 5mg 口服 每日一次"),
    ("J45.900", "支气管哮喘", "布地奈德福莫特罗吸入粉雾剂 1吸 每日两次"), ("K29.700", "慢性胃炎", "奥美拉唑肠溶胶囊 20mg 口服"),
    ("E78.500", "高脂血症", "阿托伐他汀钙片 20mg 口服 每晚一次"), ("J18.900", "社区获得性肺炎", "头孢曲松钠注射液 2g 静滴"),
    ("M17.900", "膝关节骨性关节炎", "塞来昔布胶囊 200mg 口服"), ("C34.900", "肺恶性肿瘤", "紫杉醇注射液 化疗"),
    ("N18.300", "慢性肾脏病3期", "碳酸氢钠片 1g 口服"), ("I25.100", "冠状动脉粥样硬化性心脏病", "阿司匹林肠溶片 100mg 口服"),
    ("F32.900", "抑郁发作", "盐酸舍曲林片 50mg 口服"), ("O24.400", "妊娠期糖尿病", "门冬胰岛素注射液 皮下注射"),
)
ALLERGIES = ("无", "无", "否认药物过敏史", "青霉素过敏", "头孢类过敏", "磺胺类药物过敏", "海鲜过敏（皮疹）")
LAB_RESULTS = ("空腹血糖 {a:.1f} mmol/L", "糖化血红蛋白 {b:.1f}%", "血肌酐 {c} μmol/L", "白细胞 {d:.1f}×10^9/L",
               "乙肝表面抗原 阴性", "新冠病毒核酸 阴性", "尿蛋白 阳性(+)", "总胆固醇 {e:.2f} mmol/L")


def pharma_medical_records(w: World, seed: int) -> Table:
    path = "pharmaceutical/medical_records.csv"
    rng = file_rng(seed, path)
    t = Table(path, "pharmaceutical", [
        Column("病历号", None), Column("身份证号", "CN_RESIDENT_ID"), Column("就诊日期", None, decoy=True),
        Column("科室", None), Column("诊断编码", "MEDICAL"), Column("诊断", "MEDICAL"), Column("过敏史", "MEDICAL"),
        Column("用药", "MEDICAL"), Column("检验结果", "MEDICAL"), Column("住院天数", None),
    ], description="Outpatient and inpatient records of trial subjects (diagnosis with ICD-10 code, allergy history, "
                   "medication, test results): 诊疗和健康生理信息 under the pharmaceutical items.")
    patients = spread_rows(rng, rng.sample(w.pools["subjects"], 250), 600, repeat_skew=2)
    for p in patients:
        code, diagnosis, drug = rng.choice(DIAGNOSES)
        lab = rng.choice(LAB_RESULTS).format(a=rng.uniform(4, 14), b=rng.uniform(5, 11), c=rng.randint(45, 300),
                                             d=rng.uniform(3, 15), e=rng.uniform(3, 8))
        t.add(p, {"病历号": f"MR{rng.randrange(10**8):08d}", "身份证号": p.id_as_written(rng),
                  "就诊日期": (dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(320))).isoformat(),
                  "科室": rng.choice(DEPARTMENTS[:7]), "诊断编码": code, "诊断": diagnosis,
                  "过敏史": rng.choice(ALLERGIES), "用药": drug, "检验结果": lab,
                  "住院天数": str(rng.choice((0, 0, 0, 3, 5, 7, 12)))})
    return t


SNPS = (("rs1801133", "CT"), ("rs4988235", "CT"), ("rs12913832", "AG"), ("rs429358", "CT"), ("rs1815739", "CT"))
VARIANTS = ("chr7:117559590:G:A", "chr17:43094464:C:T", "chr13:32340300:G:T", "chr1:11796321:G:A", "chr19:44908684:T:C",
            "chr10:94781859:G:A", "chr2:47403192:C:T", "chr6:31576785:G:A")


def pharma_genotypes(w: World, seed: int) -> Table:
    path = "pharmaceutical/genotypes.parquet"
    rng = file_rng(seed, path)
    cols = [Column("sample_id", None), Column("subject_id_no", "CN_RESIDENT_ID")]
    cols += [Column(rs, "GENETIC") for rs, _ in SNPS]
    cols += [Column("top_variant", "GENETIC"), Column("hla_a_exon2", "GENETIC"), Column("chip", None),
             Column("call_rate", None, decoy=True, arrow=pa.float64())]
    t = Table(path, "pharmaceutical", cols, fmt="parquet", encoding=None, delimiter=None,
              description="Pharmacogenomic genotypes of trial subjects: SNP calls in rsID-named columns, the top "
                          "pathogenic variant (VCF-like), a HLA-A exon 2 read; human genetic resources data.")
    subjects = rng.sample(w.pools["subjects"], 260)
    exon = "".join(rng.choice("ACGT") for _ in range(270))
    for i, p in enumerate(subjects):
        calls = {}
        for rs, (a, b) in SNPS:
            calls[rs] = rng.choice((a + a, a + b, b + b))
        start = rng.randrange(0, 200)
        read = list(exon[start:start + rng.randint(40, 70)])
        for _ in range(rng.randint(0, 3)):
            read[rng.randrange(len(read))] = rng.choice("ACGT")
        t.add(p, {"sample_id": f"S{i + 1:05d}", "subject_id_no": p.id18, **calls, "top_variant": rng.choice(VARIANTS),
                  "hla_a_exon2": "".join(read), "chip": rng.choice(("ASA-24v1-0", "GSA-24v3-0")),
                  "call_rate": round(rng.uniform(0.975, 0.999), 4)})
    return t


# --------------------------------------------------------------------------------------------
# Hand-written customers: every value composed by hand; only check characters are computed
# --------------------------------------------------------------------------------------------
def _hw_card(body: str) -> str:
    """A hand-chosen UnionPay card body with its Luhn digit appended."""
    return body + luhn_check_digit(body)


def _hw_pr_new(province: str, nationality: str, birth: str, seq: str) -> str:
    body = f"9{province}{nationality}{birth.replace('-', '')}{seq}"
    return body + id_check_char(body)


# name, pinyin, gender, ethnicity, ID region code (historic ones included), birth date, sequence, ID form,
# then the document, contact and vehicle fields by column name.
HANDWRITTEN = [
    ("欧阳明辉", "Ouyang Minghui", "男", "汉族", "110103", "1968-03-15", 31, "18",
     {"手机号码": "13911024871", "固定电话": "010-67123456", "联系地址": "北京市东城区崇文门外大街9号新世界家园3号楼1单元602室",
      "驾驶证档案编号": "110102837465", "行驶证号": "110038264719", "车牌号码": "京N·7K2Q8", "社保卡号": "A06129473"}),
    ("司马婉清", "Sima Wanqing", "女", "汉族", "310103", "1979-11-02", 46, "18",
     {"手机号码": "15021876543", "电子邮箱": "simawanqing@126.com", "护照号码": "E58213647",
      "联系地址": "上海市黄浦区瑞金二路150弄7号502室", "银行账号": _hw_card("622588021376548")}),
    ("诸葛文博", "Zhuge Wenbo", "男", "汉族", "510107", "1990-07-21", 113, "18",
     {"手机号码": "186 2801 9346", "电子邮箱": "zhugewb@foxmail.com", "联系地址": "四川省成都市武侯区科华北路62号锦绣家园2栋3单元1203室",
      "银行账号": _hw_card("621700381001234567"), "车牌号码": "川A·D52817"}),
    ("阿依古丽·买买提", "Ayiguli Maimaiti", "女", "维吾尔族", "650102", "1993-05-08", 24, "18",
     {"手机号码": "13899127460", "电子邮箱": "ayiguli93@163.com", "联系地址": "新疆维吾尔自治区乌鲁木齐市天山区解放南路376号2号楼3单元401室"}),
    ("艾力·吐尔逊", "Aili Tuerxun", "男", "维吾尔族", "653101", "1985-09-30", 57, "18",
     {"手机号码": "+86 159 9904 8213", "联系地址": "新疆维吾尔自治区喀什地区喀什市人民东路128号康乐小区5号楼201室",
      "驾驶证档案编号": "653100472815"}),
    ("扎西顿珠", "Zhaxi Dunzhu", "男", "藏族", "540102", "1978-01-19", 15, "18",
     {"手机号码": "18989013572", "联系地址": "西藏自治区拉萨市城关区北京中路45号", "社保卡号": "T54018263"}),
    ("次仁卓玛", "Ciren Zhuoma", "女", "藏族", "540102", "1996-12-03", 28, "18",
     {"手机号码": "13908914267", "电子邮箱": "cirenzhuoma96@qq.com", "联系地址": "西藏自治区拉萨市城关区江苏路18号幸福里2单元302室"}),
    ("巴特尔", "Bateer", "男", "蒙古族", "150102", "1972-06-14", 39, "18",
     {"手机号码": "13347126958", "固定电话": "0471-6923481", "联系地址": "内蒙古自治区呼和浩特市新城区新华大街63号",
      "车牌号码": "蒙A8C637"}),
    ("乌云其其格", "Wuyun Qiqige", "女", "蒙古族", "150203", "1988-08-22", 62, "18",
     {"手机号码": "15247283091", "电子邮箱": "wuyun.qqg@sina.com", "联系地址": "内蒙古自治区包头市昆都仑区钢铁大街29号紫荆园7号楼1单元501室"}),
    ("韦秀梅", "Wei Xiumei", "女", "壮族", "450102", "1982-04-11", 88, "18",
     {"手机号码": "177-7710-3526", "联系地址": "广西壮族自治区南宁市兴宁区民生路86号", "银行账号": _hw_card("622848019283746501")}),
    ("马志强", "Ma Zhiqiang", "男", "回族", "640104", "1966-10-25", 17, "15",
     {"手机号码": "13995011834", "固定电话": "0951-5068127", "联系地址": "宁夏回族自治区银川市兴庆区解放西街112号3号楼2单元601室"}),
    ("金成浩", "Jin Chenghao", "男", "朝鲜族", "220102", "1991-02-27", 35, "18",
     {"手机号码": "18686432107", "电子邮箱": "jinchenghao@hotmail.com", "联系地址": "吉林省长春市南关区人民大街2288号名都花园B座1706",
      "往来港澳通行证": "CK5039182"}),
    ("上官晓燕", "Shangguan Xiaoyan", "女", "汉族", "330104", "2001-09-09", 128, "18",
     {"手机号码": "19857103264", "电子邮箱": "sgxy0909@163.com", "联系地址": "浙江省杭州市上城区清泰街46号翠苑12幢2单元702室"}),
    ("皇甫俊杰", "Huangfu Junjie", "男", "汉族", "440102", "1975-12-12", 51, "18",
     {"手机号码": "13802763915", "固定电话": "020-83726154", "联系地址": "广东省广州市越秀区环市东路371号世纪城9号楼1204室",
      "护照号码": "EB4409172", "驾驶证档案编号": "440100385126"}),
    ("令狐雨萱", "Linghu Yuxuan", "女", "汉族", "610113", "2015-04-18", 62, "18",
     {"联系地址": "陕西省西安市雁塔区小寨西路26号丽景湾3号楼2单元1101室", "社保卡号": "612300417"}),
    ("张伟", "Zhang Wei", "男", "汉族", "110105", "1987-05-20", 135, "18",
     {"手机号码": "13671234508", "电子邮箱": "zhangwei0520@126.com", "联系地址": "北京市朝阳区望京街10号院2号楼1803",
      "驾驶证档案编号": "110105620938", "车牌号码": "京Q·F0A683", "行驶证号": "110070213594"}),
    ("张伟", "Zhang Wei", "男", "汉族", "320106", "1992-08-03", 97, "18",
     {"手机号码": "15651893027", "联系地址": "江苏省南京市鼓楼区湖南路18号康乐小区6号楼1单元401室", "银行账号": _hw_card("622262012845076312")}),
    ("王芳", "Wang Fang", "女", "汉族", "420106", "1983-03-08", 102, "x",
     {"手机号码": "13329758016", "电子邮箱": "wangfang_wh@aliyun.com", "联系地址": "湖北省武汉市武昌区中南路99号保利花园5栋2单元902室"}),
    ("李娜", "Li Na", "女", "汉族", "120103", "1995-01-26", 102, "18",
     {"手机号码": "18522079461", "联系地址": "天津市河西区友谊路35号阳光花园8号楼3门502", "护照号码": "EC7318264"}),
    ("陈晓明", "Chen Xiaoming", "男", "汉族", "510202", "1979-07-07", 19, "18",
     {"手机号码": "13508326194", "固定电话": "023-63851247", "联系地址": "重庆市渝中区民族路166号名都花园A座2304",
      "车牌号码": "渝A5K2T8"}),
    ("黄志伟", "Huang Zhiwei", "男", None, "810000", "1984-02-29", 11, "18",
     {"港澳居民来往内地通行证": "H6031452801", "手机号码": "13510987612", "联系地址": "广东省深圳市福田区福华路118号华润城A座1502"}),
    ("何嘉欣", "He Jiaxin", "女", None, None, "1992-11-19", 0, None,
     {"港澳居民来往内地通行证": "M30825716", "手机号码": "13726985104", "电子邮箱": "jiaxin.ho@gmail.com",
      "联系地址": "广东省广州市天河区体育西路103号丽景湾6栋2104"}),
    ("林怡君", "Lin Yijun", "女", None, "830000", "1990-10-10", 26, "18",
     {"台胞证号码": "03417586", "手机号码": "18965072318", "联系地址": "福建省厦门市思明区湖滨南路57号金色家园3号楼801室"}),
    ("陈冠宇", "Chen Guanyu", "男", None, None, "1986-06-06", 0, None,
     {"台胞证号码": "10562893", "手机号码": "18659213470", "电子邮箱": "guanyu.chen@outlook.com",
      "联系地址": "上海市长宁区天山路600弄3号1202室"}),
    ("约翰·米勒", "John Miller", "男", None, None, "1980-03-15", 0, None,
     {"永久居留证号码": _hw_pr_new("11", "840", "1980-03-15", "012"), "手机号码": "13120678945",
      "电子邮箱": "j.miller1980@gmail.com", "联系地址": "北京市朝阳区建国路77号华润城3号楼2101室"}),
    ("安娜·施密特", "Anna Schmidt", "女", None, None, "1985-07-12", 0, None,
     {"永久居留证号码": "DEU318507120031", "手机号码": "18616027439", "联系地址": "上海市浦东新区锦绣路1500弄21号602室"}),
    ("田中健司", "Tanaka Kenji", "男", None, None, "1976-09-21", 0, None,
     {"永久居留证号码": _hw_pr_new("31", "392", "1976-09-21", "005"), "手机号码": "13817205936", "固定电话": "021-62098317",
      "联系地址": "上海市长宁区延安西路1116号2号楼1601室"}),
    ("刘洋", "Liu Yang", "女", "汉族", "440305", "1998-06-16", 44, "18",
     {"手机号码": "19925047381", "电子邮箱": "liuyang98@qq.com", "往来港澳通行证": "CE2318476", "护照号码": "EA3927105",
      "联系地址": "广东省深圳市南山区科苑路15号A座1908"}),
    ("赵建国", "Zhao Jianguo", "男", "汉族", "130102", "1956-09-30", 31, "15",
     {"手机号码": "13031127584", "固定电话": "0311-86047321", "银行账号": "9558801002387461524",
      "联系地址": "河北省石家庄市长安区中山东路188号2号楼3单元301室"}),
    ("孙秀英", "Sun Xiuying", "女", "汉族", "370102", "1949-10-01", 42, "15",
     {"固定电话": "0531-86123457", "银行账号": "9558800602176533418", "联系地址": "山东省济南市历下区泉城路220号康乐小区1号楼101室"}),
    ("周子轩", "Zhou Zixuan", "男", "汉族", "330106", "2016-07-01", 71, "18",
     {"社保卡号": "B33065170", "联系地址": "浙江省杭州市西湖区文三路259号翠苑1号楼2单元501室"}),
    ("吴梓涵", "Wu Zihan", "女", "汉族", "440106", "2014-02-14", 88, "18",
     {"联系地址": "广东省广州市天河区天河路385号紫荆园9号楼703室", "护照号码": "ED0428153"}),
    ("郑凯", "Zheng Kai", "男", "汉族", "350203", "1989-11-11", 135, "18",
     {"手机号码": "15880273619", "社保卡号": "D28563014", "驾驶证档案编号": "350200936142", "行驶证号": "350071046358",
      "车牌号码": "闽D·FK3806", "联系地址": "福建省厦门市思明区中山路120号3号楼2单元601室"}),
    ("邓丽华", "Deng Lihua", "女", "汉族", "430104", "1974-05-05", 66, "18",
     {"手机号码": "0086 13787310452", "车牌号码": "湘A8J6T2", "驾驶证档案编号": "430100518273",
      "联系地址": "湖南省长沙市岳麓区麓山南路932号锦绣家园4栋1101室"}),
    ("罗斌", "Luo Bin", "男", "土家族", "433101", "1986-03-12", 91, "18",
     {"手机号码": "15574390126", "联系地址": "湖南省湘西土家族苗族自治州吉首市人民北路58号", "银行账号": _hw_card("621799553008164273")}),
    ("吉克阿依", "Jike Ayi", "女", "彝族", "513401", "1994-01-08", 20, "18",
     {"手机号码": "18228653910", "联系地址": "四川省凉山彝族自治州西昌市航天大道三段26号3栋502室"}),
    ("龙梅", "Long Mei", "女", "苗族", "522601", "1991-09-18", 48, "18",
     {"手机号码": "19208557316", "联系地址": "贵州省黔东南苗族侗族自治州凯里市韶山南路17号", "电子邮箱": "longmei918@163.com"}),
    ("端木子墨", "Duanmu Zimo", "男", "汉族", "310115", "2008-12-30", 93, "18",
     {"手机号码": "16621907358", "联系地址": "上海市浦东新区张杨路1250弄12号601室"}),
    # the same persons again, written differently (a second visit): not new persons
    ("张伟", "ZHANG WEI", "男", "汉族", "110105", "1987-05-20", 135, "18",
     {"手机号码": "+86 136 7123 4508", "联系地址": "北京市朝阳区望京街10号院2号楼1803"}),
    ("王芳", "WANG/FANG", "女", "汉族", "420106", "1983-03-08", 102, "x",
     {"手机号码": "86-13329758016", "联系地址": "湖北省武汉市武昌区中南路99号保利花园5栋2单元902室"}),
]
BIRTH_FORMATS = ("{y}-{m:02d}-{d:02d}", "{y}年{m}月{d}日", "{y}.{m:02d}.{d:02d}", "{y}{m:02d}{d:02d}", "{y}/{m}/{d}")


def handwritten_customers(w: World, seed: int) -> Table:
    path = "handwritten/customers_handwritten.csv"
    t = Table(path, "other", [
        Column("序号", None), Column("客户姓名", "PERSON_NAME"), Column("拼音", "PERSON_NAME"), Column("性别", "GENDER"),
        Column("民族", "ETHNICITY"), Column("出生日期", "BIRTH_DATE"), Column("身份证号码", "CN_RESIDENT_ID"),
        Column("护照号码", "CN_PASSPORT"), Column("往来港澳通行证", "CN_EXIT_ENTRY_PERMIT"),
        Column("港澳居民来往内地通行证", "CN_HK_MACAO_PERMIT"), Column("台胞证号码", "CN_TAIWAN_PERMIT"),
        Column("永久居留证号码", "CN_FOREIGNER_PR_ID"), Column("社保卡号", "CN_SOCIAL_SECURITY_CARD"),
        Column("驾驶证档案编号", "CN_DRIVING_LICENCE_FILE_NO"), Column("行驶证号", "CN_VEHICLE_LICENCE_NO"),
        Column("车牌号码", "CN_LICENSE_PLATE"), Column("手机号码", "CN_MOBILE_PHONE"), Column("固定电话", "CN_LANDLINE"),
        Column("电子邮箱", "EMAIL"), Column("银行账号", "CN_BANK_CARD"), Column("联系地址", "CN_ADDRESS"),
    ], description="Hand-composed customer register (~40 rows): compound surnames, minority names, historic county "
                   "codes, 15-digit IDs, Hong Kong/Macao/Taiwan permits, foreigners' permanent residence IDs, "
                   "two persons written twice.")
    persons: dict[tuple[str, str], Person] = {}
    for i, (name, py, gender, eth, region, birth, seq, form, fields) in enumerate(HANDWRITTEN):
        y, m, d = (int(x) for x in birth.split("-"))
        born = dt.date(y, m, d)
        key = (name, birth)
        if key not in persons:  # a person of its own, outside the generated population
            persons[key] = Person(100000 + i, "handwritten", name, py, "", "M" if gender == "男" else "F", born, eth,
                                  DISTRICTS[0], fields.get("联系地址", ""))
        id_value = None
        if region:
            id18 = make_resident_id(region, born, seq)
            persons[key].id18 = id18
            id_value = to_legacy_15(id18) if form == "15" else id18.lower() if form == "x" else id18
        for k, v in fields.items():
            if k == "银行账号" and v.startswith("9558"):
                assert not luhn_ok(v), v  # the legacy accounts are deliberately not Luhn-valid
        t.add(persons[key], {"序号": str(i + 1), "客户姓名": name, "拼音": py, "性别": gender, "民族": eth,
                             "出生日期": BIRTH_FORMATS[i % len(BIRTH_FORMATS)].format(y=y, m=m, d=d),
                             "身份证号码": id_value, **fields})
    return t


# --------------------------------------------------------------------------------------------
# Writing the sample set
# --------------------------------------------------------------------------------------------
BUILDERS = (
    automotive_owners, automotive_service_orders, automotive_tbox, automotive_rentals,
    pharma_subjects, pharma_hcp_payments,
    aviation_passengers, aviation_ff_members,
    retail_members, retail_orders, retail_app_logins, retail_shipments,
    ai_corpus, ai_dialogues,
    handwritten_customers,
    automotive_tracks, automotive_camera_frames, ai_speech_clips, retail_face_pay, pharma_medical_records,
    pharma_genotypes,
)


def build_tables(seed: int = SEED) -> list[Table]:
    world = build_world(seed)
    return [build(world, seed) for build in BUILDERS]


def write_samples(out: Path, seed: int = SEED) -> dict:
    tables = build_tables(seed)
    # The schema key marks it as chujing's own file: a scan of sample_data/ lists it as skipped.
    truth = {"schema": "chujing.sample-truth/1", "generated_by": "sample_data/generate.py", "seed": seed, "scan_date": SCAN_DATE.isoformat(), "files": {}}
    for t in tables:
        target = out / t.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(t.to_bytes())
        truth["files"][t.path] = t.truth()
    (out / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return truth


# --------------------------------------------------------------------------------------------
# Big-file mode: a 10-column export streamed in chunks, with an exact distinct-person count
# --------------------------------------------------------------------------------------------
BIG_COLUMNS = ("id_number", "name", "mobile", "email", "plate", "bank_card", "address", "order_no", "create_time_ms",
               "amount", "gender", "birth_date", "ip_address", "waybill_no")
BIG_ENTITIES = {"id_number": "CN_RESIDENT_ID", "name": "PERSON_NAME", "mobile": "CN_MOBILE_PHONE", "email": "EMAIL",
                "plate": "CN_LICENSE_PLATE", "bank_card": "CN_BANK_CARD", "address": "CN_ADDRESS", "gender": "GENDER",
                "birth_date": "BIRTH_DATE", "ip_address": "IP_ADDRESS"}
_U64 = np.uint64


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser over a uint64 array (wrapping arithmetic)."""
    z = x + _U64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> _U64(27))) * _U64(0x94D049BB133111EB)
    return z ^ (z >> _U64(31))


def _digits_of(values: np.ndarray, width: int) -> np.ndarray:
    """(n, width) matrix of the decimal digits of non-negative int64 values, most significant first."""
    out = np.empty((len(values), width), dtype=np.int8)  # small: this matrix is the chunk's biggest
    v = values.copy()
    for i in range(width - 1, -1, -1):
        out[:, i] = v % 10
        v //= 10
    return out


def _s(values) -> pa.Array:
    return pa.array(values).cast(pa.string())


def _pad(values, width: int) -> pa.Array:
    import pyarrow.compute as pc
    return pc.utf8_lpad(_s(values), width=width, padding="0")


def _join(*parts) -> pa.Array:
    import pyarrow.compute as pc
    return pc.binary_join_element_wise(*parts, "")


class BigPersons:
    """Person attributes as pure functions of a person index: equal index -> equal values, and
    the keys (ID, mobile, e-mail, card) are bijections of the index, so distinct persons are
    exactly distinct indices."""

    def __init__(self, seed: int) -> None:
        self.seed = _U64(seed * 0x2545F4914F6CDD1D % 2**64)
        self.regions = np.array([int(d.code) for d in DISTRICTS], dtype=np.int64)
        self.region_text = pa.array([f"{d.city.province}{d.city.city}{d.name}" for d in DISTRICTS])
        roads = [(i, r) for i, d in enumerate(DISTRICTS) for r in d.roads]
        self.road_offsets = np.array([next(k for k, (i, _) in enumerate(roads) if i == j) for j in range(len(DISTRICTS))])
        self.road_counts = np.array([len(d.roads) for d in DISTRICTS])
        self.roads = pa.array([r for _, r in roads])
        self.plate_prefix = pa.array([d.city.plate[:2] for d in DISTRICTS])
        self.days = 365 * 70  # births 1950-01-01 .. 2019-12
        self.cap_id = len(DISTRICTS) * self.days * 1000
        self.prefixes = np.array([int(p) for p in ALL_MOBILE_PREFIXES], dtype=np.int64)
        self.bins = np.array([int(b) for b, n, _ in BANK_BINS if n == 19], dtype=np.int64)
        sw = np.array(SURNAME_WEIGHTS, dtype=float)
        self.surname_cdf = np.cumsum(sw) / sw.sum()
        self.surnames = pa.array([s for s, _ in SURNAMES])
        self.surnames_py = pa.array([p for _, p in SURNAMES])
        self.given = {g: (pa.array([a + b for a, _ in pool for b, _ in pool]), pa.array([x + y for _, x in pool for _, y in pool]))
                      for g, pool in (("M", GIVEN_MALE), ("F", GIVEN_FEMALE))}
        self.n_given = {g: len(pool) ** 2 for g, pool in (("M", GIVEN_MALE), ("F", GIVEN_FEMALE))}
        self.compounds = pa.array(list(COMPOUNDS))
        self.domains = pa.array(["@qq.com", "@163.com", "@126.com", "@outlook.com", "@sina.com", "@foxmail.com"])

    def columns(self, p: np.ndarray, rng: np.random.Generator, names: tuple[str, ...]) -> dict[str, pa.Array]:
        import pyarrow.compute as pc
        n = len(p)
        h1 = _mix(p.astype(_U64) ^ self.seed)
        h2, h3 = _mix(h1), _mix(h1 ^ _U64(0xABCDEF))
        # ID: a bijection index -> (region, birth day, sequence)
        q = (p * 2654435761 + 1234567891) % self.cap_id
        region_idx = q % len(DISTRICTS)
        q2 = q // len(DISTRICTS)
        day = q2 % self.days
        seq = q2 // self.days
        male = (seq % 2) == 1
        birth = np.datetime64("1950-01-01") + day.astype("timedelta64[D]")
        y = birth.astype("datetime64[Y]").astype(np.int64) + 1970
        mth = birth.astype("datetime64[M]").astype(np.int64) % 12 + 1
        dom = (birth - birth.astype("datetime64[M]")).astype(np.int64) + 1
        ymd = y * 10000 + mth * 100 + dom
        first17 = self.regions[region_idx] * 10**11 + ymd * 1000 + seq
        w = np.array(ID_WEIGHTS, dtype=np.int16)
        check = (_digits_of(first17, 17) * w).sum(axis=1, dtype=np.int64) % 11
        out: dict[str, pa.Array] = {}
        if "id_number" in names:
            out["id_number"] = _join(_s(first17), pa.array(np.array(list(ID_CHECK))[check]))
        if "gender" in names:
            out["gender"] = pa.array(np.where(male, "男", "女"))
        if "birth_date" in names:
            out["birth_date"] = pa.array(birth.astype("datetime64[D]")).cast(pa.string())
        fam_idx = np.searchsorted(self.surname_cdf, (h2 >> _U64(11)).astype(np.float64) / 2**53)
        fam_idx = np.minimum(fam_idx, len(SURNAMES) - 1)
        g_m = (h3 % _U64(self.n_given["M"])).astype(np.int64)
        g_f = (h3 % _U64(self.n_given["F"])).astype(np.int64)
        mask = pa.array(male)
        given = pc.if_else(mask, self.given["M"][0].take(g_m), self.given["F"][0].take(g_f))
        given_py = pc.if_else(mask, self.given["M"][1].take(g_m), self.given["F"][1].take(g_f))
        if "name" in names:
            out["name"] = _join(self.surnames.take(fam_idx), given)
        if "mobile" in names:
            qm = (p * 2654435761 + 987654321) % (len(self.prefixes) * 10**8)
            out["mobile"] = _join(_s(self.prefixes[qm // 10**8]), _pad(qm % 10**8, 8))
        if "email" in names:
            ue = (p * 2654435761 + 31415926) % 10**9
            dom_idx = (h1 % _U64(len(self.domains))).astype(np.int64)
            out["email"] = _join(self.surnames_py.take(fam_idx), given_py, _s(ue), self.domains.take(dom_idx))
        if "plate" in names:
            tail = _pad((h2 % _U64(100000)).astype(np.int64), 5)
            letters = pa.array(np.array(list(PLATE_LETTERS))[(h3 % _U64(len(PLATE_LETTERS))).astype(np.int64)])
            with_letter = pa.array((h1 % _U64(100)).astype(np.int64) < 35)
            tail = pc.if_else(with_letter, _join(letters, pc.utf8_slice_codeunits(tail, 1)), tail)
            out["plate"] = _join(self.plate_prefix.take(region_idx), tail)
        if "bank_card" in names:
            uc = (p * 998_244_353 + 271828182) % 10**9
            bin_idx = (h2 % _U64(len(self.bins))).astype(np.int64)
            body = self.bins[bin_idx] * 10**12 + (h3 % _U64(1000)).astype(np.int64) * 10**9 + uc
            d = _digits_of(body, 18)[:, ::-1].copy()
            d[:, 0::2] *= 2
            d[d > 9] -= 9
            luhn = (10 - d.sum(axis=1, dtype=np.int64) % 10) % 10
            out["bank_card"] = _join(_s(body), _s(luhn))
        if "address" in names:
            road_idx = self.road_offsets[region_idx] + (h1 % _U64(1000)).astype(np.int64) % self.road_counts[region_idx]
            r = rng.integers(0, 10**9, n)
            out["address"] = _join(self.region_text.take(region_idx), self.roads.take(road_idx), _s(r % 399 + 1), pa.scalar("号"),
                                   self.compounds.take((h2 % _U64(len(COMPOUNDS))).astype(np.int64)), _s(r // 1000 % 24 + 1),
                                   pa.scalar("号楼"), _s(r // 100000 % 30 + 1), _pad(r // 10000000 % 4 + 1, 2), pa.scalar("室"))
        if "order_no" in names:
            body = rng.integers(10**16, 10**17 - 1, n, dtype=np.int64)
            right = (_digits_of(body, 17) * w).sum(axis=1, dtype=np.int64) % 11
            right_digit = np.array([1, 0, -1, 9, 8, 7, 6, 5, 4, 3, 2])[right]
            bump = rng.integers(1, 10, n)
            wrong = np.where(right_digit < 0, bump % 10, (right_digit + bump) % 10)
            out["order_no"] = _join(_s(body), _s(wrong))
        if "create_time_ms" in names:
            out["create_time_ms"] = pa.array(rng.integers(1_767_225_600_000, 1_795_737_600_000, n, dtype=np.int64))
        if "amount" in names:
            out["amount"] = pa.array(np.round(rng.uniform(1, 5000, n), 2))
        if "ip_address" in names:
            o = rng.integers(0, 256, (n, 4))
            o[:, 0] = np.array([36, 58, 101, 112, 114, 117, 120, 183, 223])[o[:, 0] % 9]
            out["ip_address"] = pc.binary_join_element_wise(*[_s(o[:, i]) for i in range(4)], ".")
        if "waybill_no" in names:
            out["waybill_no"] = _join(pa.scalar("77"), _pad(rng.integers(0, 10**15, n, dtype=np.int64), 15))
        return out


def parse_size(text: str) -> int:
    units = {"KB": 10**3, "MB": 10**6, "GB": 10**9, "K": 10**3, "M": 10**6, "G": 10**9, "B": 1}
    t = text.strip().upper()
    for u in sorted(units, key=len, reverse=True):
        if t.endswith(u):
            return int(float(t[: -len(u)]) * units[u])
    return int(t)


def write_big(path: Path, size: int | None, rows: int | None, fmt: str, ncols: int, seed: int = SEED,
              repeat_share: float = 0.2, chunk_rows: int = 100_000) -> dict:
    """Stream an export of ``size`` bytes on disk (or ``rows`` rows); memory stays bounded by one chunk."""
    import resource

    import pyarrow.csv as pacsv
    if not 1 <= ncols <= len(BIG_COLUMNS):
        raise SystemExit(f"--columns must be between 1 and {len(BIG_COLUMNS)}")
    names = BIG_COLUMNS[:ncols]
    persons = BigPersons(seed)
    started = time.perf_counter()
    written_rows = fresh = 0
    chunk_no = 0
    bytes_per_row = None
    sink = pa.OSFile(str(path), "wb")
    writer = None
    try:
        while True:
            target_rows = chunk_rows
            if rows is not None:
                target_rows = min(target_rows, rows - written_rows)
            if size is not None and bytes_per_row:
                target_rows = min(target_rows, max(1, int((size - sink.tell()) / bytes_per_row) + 1))
            if target_rows <= 0 or (size is not None and sink.tell() >= size):
                break
            rng = np.random.default_rng([seed, chunk_no])
            new = rng.random(target_rows) >= repeat_share
            if fresh == 0:
                new[0] = True
            c = np.cumsum(new)
            avail = fresh + c
            idx = np.where(new, fresh + c - 1, (rng.random(target_rows) * avail).astype(np.int64))
            fresh += int(c[-1])
            cols = persons.columns(idx.astype(np.int64), rng, names)
            table = pa.table({k: cols[k] for k in names})
            if writer is None:
                if fmt == "parquet":
                    writer = pq.ParquetWriter(sink, table.schema, compression="snappy")
                else:  # a plain header line, then unquoted values (none of them holds a comma or quote)
                    sink.write((",".join(names) + "\n").encode())
                    writer = pacsv.CSVWriter(sink, table.schema, write_options=pacsv.WriteOptions(
                        include_header=False, quoting_style="none"))
            before = sink.tell()
            writer.write_table(table)
            if sink.tell() > before:
                bytes_per_row = (sink.tell() - before) / target_rows
            written_rows += target_rows
            chunk_no += 1
    finally:
        if writer is not None:
            writer.close()
        sink.close()
    seconds = time.perf_counter() - started
    nbytes = os.path.getsize(path)
    return {
        "path": str(path), "format": fmt, "columns": {n: BIG_ENTITIES.get(n) for n in names}, "rows": written_rows,
        "persons": fresh, "sensitive_persons": fresh if "id_number" in names or "bank_card" in names else 0,
        "bytes": nbytes, "seconds": round(seconds, 2), "rows_per_s": int(written_rows / seconds),
        "mb_per_s": round(nbytes / 1e6 / seconds, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="examples:\n  python sample_data/generate.py\n"
                                        "  python sample_data/generate.py --big /tmp/big.csv --size 1GB\n"
                                        "  python sample_data/generate.py --big /tmp/big.parquet --rows 5000000 --format parquet")
    ap.add_argument("--out", type=Path, default=HERE, help="folder for the sample set (default: this folder)")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--big", type=Path, help="write one big export to this path instead of the sample set")
    ap.add_argument("--size", help="target size on disk of the big export, e.g. 1GB, 200MB")
    ap.add_argument("--rows", type=int, help="exact number of rows of the big export (instead of --size)")
    ap.add_argument("--format", choices=("csv", "parquet"), default=None, help="big export format (default: from suffix)")
    ap.add_argument("--columns", type=int, default=10, help=f"big export columns, 1-{len(BIG_COLUMNS)} (default 10)")
    ap.add_argument("--repeat", type=float, default=0.2, help="share of big-export rows that repeat an earlier person")
    args = ap.parse_args(argv)
    if args.big:
        if args.size is None and args.rows is None:
            ap.error("--big needs --size or --rows")
        fmt = args.format or ("parquet" if args.big.suffix == ".parquet" else "csv")
        result = write_big(args.big, parse_size(args.size) if args.size else None, args.rows, fmt, args.columns,
                           args.seed, args.repeat)
        print(json.dumps(result, ensure_ascii=False))
        return 0
    truth = write_samples(args.out, args.seed)
    for path, entry in truth["files"].items():
        print(f"{path:45s} rows {entry['rows']:5d}  persons {entry['persons']:5d}  sensitive {entry['sensitive_persons']:5d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
