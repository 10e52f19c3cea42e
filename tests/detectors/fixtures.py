"""Columns for classifier tests: realistic values, messy formats, decoys.

Values are made here (no generator): valid identifiers are computed with their real check
digits, and decoys are the traps peers fall into (batch codes, order numbers, timestamps...).
"""

from __future__ import annotations

import datetime as dt
import random

import pyarrow as pa

from detectors.cn_resident_id import check_char

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂华红玉梅飞鹏斌宇浩凯健俊帆宁龙林欢佳嘉琳雪婷倩颖晨阳辉鑫波亮宏志峰建国文新"
REGIONS = ["110105", "110108", "310115", "440305", "440106", "330106", "510107", "420106", "320102", "370202", "210102",
           "610113", "500103", "120101", "130102", "410105", "430104", "350203", "530102", "650102", "810000", "830000"]
ADDRESSES = ["北京市朝阳区建国路88号SOHO现代城2号楼1502室", "上海市浦东新区世纪大道100号", "广东省深圳市南山区科技园南区高新南一道8号",
             "浙江省杭州市西湖区文三路398号东信大厦5楼", "四川省成都市武侯区人民南路四段12号", "湖北省武汉市洪山区珞喻路1037号",
             "江苏省南京市鼓楼区中山北路30号", "天津市和平区南京路189号", "重庆市渝中区解放碑民权路28号英利国际金融中心",
             "山东省青岛市市南区香港中路6号", "陕西省西安市雁塔区高新路52号", "福建省厦门市思明区湖滨南路90号",
             "辽宁省沈阳市和平区青年大街286号", "河南省郑州市金水区花园路139号", "云南省昆明市五华区东风西路11号",
             "朝阳区望京街道阜通东大街6号院3号楼", "海淀区中关村大街27号", "南山区粤海街道科苑路15号"]


def rng(seed: int = 7) -> random.Random:
    return random.Random(seed)


def resident_id(r: random.Random, fifteen: bool = False) -> str:
    region = r.choice(REGIONS)
    born = dt.date(1940, 1, 1) + dt.timedelta(days=r.randrange(0, 365 * 80))
    seq = f"{r.randrange(0, 1000):03d}"
    if fifteen:
        born = dt.date(r.randrange(1930, 1999), r.randrange(1, 13), r.randrange(1, 29))
        return region + born.strftime("%y%m%d") + seq
    first17 = region + born.strftime("%Y%m%d") + seq
    return first17 + check_char(first17)


def luhn_complete(prefix_and_body: str) -> str:
    digits = [int(c) for c in prefix_and_body]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return prefix_and_body + str((10 - total % 10) % 10)


def bank_card(r: random.Random) -> str:
    bin_ = r.choice(["622202", "621700", "622848", "622588", "621483", "622700", "623058", "625965"])
    length = r.choice([16, 19, 19])
    body = bin_ + "".join(str(r.randrange(10)) for _ in range(length - 7))
    return luhn_complete(body)


def mobile(r: random.Random) -> str:
    prefix = r.choice(["138", "139", "135", "136", "150", "151", "186", "187", "177", "199", "131", "158", "189", "166"])
    return prefix + "".join(str(r.randrange(10)) for _ in range(8))


def name(r: random.Random) -> str:
    return r.choice(SURNAMES) + "".join(r.choice(GIVEN) for _ in range(r.choice([1, 2, 2])))


def uscc(r: random.Random) -> str:
    import numpy as np

    from detectors.checks import _USCC_ALPHABET, USCC_WEIGHTS
    body = "91" + r.choice(REGIONS[:10]) + "".join(r.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    total = int(sum(_USCC_ALPHABET.index(c) * int(w) for c, w in zip(body, USCC_WEIGHTS, strict=True)))
    _ = np
    return body + _USCC_ALPHABET[(31 - total % 31) % 31]


def vin(r: random.Random) -> str:
    from detectors.checks import _VIN_VALUE, VIN_WEIGHTS
    alphabet = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
    body = list(r.choice(["LSV", "LFV", "LGB", "LHG", "LVS", "LBV"]) + "".join(r.choice(alphabet) for _ in range(14)))
    body[8] = "0"
    total = sum(int(_VIN_VALUE[ord(c)]) * int(w) for c, w in zip(body, VIN_WEIGHTS, strict=True))
    body[8] = "0123456789X"[total % 11]
    return "".join(body)


def imei(r: random.Random) -> str:
    return luhn_complete(r.choice(["86", "35", "01"]) + "".join(str(r.randrange(10)) for _ in range(12)))


def iccid(r: random.Random) -> str:
    return luhn_complete("8986" + r.choice(["00", "01", "03", "11"]) + "".join(str(r.randrange(10)) for _ in range(13)))


def plate(r: random.Random) -> str:
    prov = r.choice("京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼")
    letter = r.choice("ABCDEFGHJKLMNPQ")
    kind = r.random()
    alnum = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
    if kind < 0.2:
        tail = r.choice("DF") + r.choice(alnum) + "".join(str(r.randrange(10)) for _ in range(4))
    elif kind < 0.25:
        tail = "".join(str(r.randrange(10)) for _ in range(5)) + r.choice("DF")
    else:
        tail = "".join(r.choice(alnum) for _ in range(5))
    sep = r.choice(["", "", "·", " "])
    return prov + letter + sep + tail


def columns(n: int = 400, seed: int = 7) -> dict[str, tuple[pa.Array, str | None]]:
    """name → (values, expected entity or None)."""
    r = rng(seed)
    today = dt.date.today()
    cols: dict[str, tuple[list, str | None]] = {
        "身份证号": ([resident_id(r) for _ in range(n)], "CN_RESIDENT_ID"),
        "c1": ([resident_id(r).lower() if r.random() < 0.1 else resident_id(r) for _ in range(n)], "CN_RESIDENT_ID"),
        "zjhm": ([resident_id(r, fifteen=r.random() < 0.3) for _ in range(n)], "CN_RESIDENT_ID"),
        "联系电话": ([r.choice(["+86 ", "86-", "", "", "0086"]) + (lambda m: r.choice([m, m[:3] + " " + m[3:7] + " " + m[7:], m[:3] + "-" + m[3:7] + "-" + m[7:]]))(mobile(r)) for _ in range(n)], "CN_MOBILE_PHONE"),
        "c2": ([float(mobile(r)) for _ in range(n)], "CN_MOBILE_PHONE"),
        "yhkh": ([bank_card(r) for _ in range(n)], "CN_BANK_CARD"),
        "开户账号": ([("9558" + "".join(str(r.randrange(10)) for _ in range(15))) for _ in range(n)], "CN_BANK_CARD"),
        "col_x": ([bank_card(r) for _ in range(n)], "CN_BANK_CARD"),
        "姓名": ([name(r) for _ in range(n)], "PERSON_NAME"),
        "c3": ([name(r) for _ in range(n)], "PERSON_NAME"),
        "name_en": ([r.choice(["Zhang", "Wang", "Li", "Liu", "Chen", "OUYANG"]) + " " + r.choice(["Wei", "Xiaoming", "Na", "Jianguo", "Lina"]) for _ in range(n)], "PERSON_NAME"),
        "地址": ([r.choice(ADDRESSES) for _ in range(n)], "CN_ADDRESS"),
        "c4": ([r.choice(ADDRESSES[:15]) for _ in range(n)], "CN_ADDRESS"),
        "birthday": ([(dt.date(1950, 1, 1) + dt.timedelta(days=r.randrange(0, 365 * 60))).strftime(r.choice(["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y%m%d"])) for _ in range(n)], "BIRTH_DATE"),
        "性别": ([r.choice(["男", "女"]) for _ in range(n)], "GENDER"),
        "xb": ([r.choice(["1", "2"]) for _ in range(n)], "GENDER"),
        "民族": ([r.choice(["汉族"] * 8 + ["回族", "满族", "壮族", "维吾尔族", "蒙古族"]) for _ in range(n)], "ETHNICITY"),
        "车牌号码": ([plate(r) for _ in range(n)], "CN_LICENSE_PLATE"),
        "c5": ([plate(r) for _ in range(n)], "CN_LICENSE_PLATE"),
        "VIN": ([vin(r) for _ in range(n)], "CN_VIN"),
        "c6": ([vin(r) for _ in range(n)], "CN_VIN"),
        "email": ([f"{r.choice(['zhang', 'wang', 'li', 'chen'])}{r.randrange(1000)}@{r.choice(['163.com', 'qq.com', '126.com', 'gmail.com'])}" for _ in range(n)], "EMAIL"),
        "登录IP": ([f"{r.randrange(1, 224)}.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(1, 255)}" for _ in range(n)], "IP_ADDRESS"),
        "mac": ([":".join(f"{r.randrange(256):02X}" for _ in range(6)) for _ in range(n)], "MAC_ADDRESS"),
        "imei": ([imei(r) for _ in range(n)], "IMEI"),
        "c7": ([imei(r) for _ in range(n)], "IMEI"),
        "imsi": ([f"460{r.choice(['00', '01', '02', '03', '11'])}{r.randrange(10**10):010d}" for _ in range(n)], "IMSI"),
        "sim_iccid": ([iccid(r) for _ in range(n)], "ICCID"),
        "设备序列号": ([f"SN{r.randrange(10**9):09d}{r.choice('ABCDEF')}" for _ in range(n)], "DEVICE_SERIAL"),
        "password_hash": ([f"{r.getrandbits(128):032x}" for _ in range(n)], "CREDENTIAL"),
        "c8": ([f"$2b$12${''.join(r.choice('./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789') for _ in range(53))}" for _ in range(n)], "CREDENTIAL"),
        "统一社会信用代码": ([uscc(r) for _ in range(n)], "CN_USCC"),
        "c9": ([uscc(r) for _ in range(n)], "CN_USCC"),
        "护照号": ([r.choice(["E", "G"]) + f"{r.randrange(10**8):08d}" for _ in range(n)], "CN_PASSPORT"),
        "c10": ([r.choice(["E", "EA", "EB"]) + (f"{r.randrange(10**8):08d}" if r.random() < 0.5 else f"{r.randrange(10**7):07d}") for _ in range(n)], None),
        "回乡证": ([r.choice("HM") + f"{r.randrange(10**8):08d}" for _ in range(n)], "CN_HK_MACAO_PERMIT"),
        "台胞证号": ([f"{r.randrange(10**8):08d}" for _ in range(n)], "CN_TAIWAN_PERMIT"),
        "往来港澳通行证": ([f"C{r.choice('ABCDEFGHJKLMN')}{r.randrange(10**7):07d}" for _ in range(n)], "CN_EXIT_ENTRY_PERMIT"),
        "驾驶证档案编号": ([f"{r.randrange(10**12):012d}" for _ in range(n)], "CN_DRIVING_LICENCE_FILE_NO"),
        "社保卡号": ([f"{r.choice('ABCDEFGH')}{r.randrange(10**8):08d}" for _ in range(n)], "CN_SOCIAL_SECURITY_CARD"),
        "固定电话": ([f"{r.choice(['010', '021', '0755', '0571', '028'])}-{r.randrange(2, 9)}{r.randrange(10**7):07d}" for _ in range(n)], "CN_LANDLINE"),
        # decoys
        "batch_no": ([f"1{r.randrange(10**10):010d}" for _ in range(n)], None),
        "batch_seq": ([str(13800000000 + i * 3) for i in range(n)], None),
        "c11": ([str(13912340000 + i) for i in range(n)], None),
        "order_no": ([f"{r.randrange(10**17, 10**18)}" for _ in range(n)], None),
        "c12": ([f"2024{r.randrange(10**14):014d}" for _ in range(n)], None),
        "created_ms": ([str(int((dt.datetime(2024, 1, 1) + dt.timedelta(seconds=r.randrange(10**7))).timestamp() * 1000)) for _ in range(n)], None),
        "c13": ([int((dt.datetime(2024, 1, 1) + dt.timedelta(seconds=r.randrange(10**7))).timestamp() * 1000) for _ in range(n)], None),
        "order_date": ([(today - dt.timedelta(days=r.randrange(0, 700))).isoformat() for _ in range(n)], None),
        "product": ([r.choice(["苹果手机", "黄金手链", "高压锅", "马铃薯", "白色T恤", "方便面", "金龙鱼油", "牛奶", "洗衣液", "电动牙刷"]) for _ in range(n)], None),
        "city": ([r.choice(["北京", "上海", "广州", "深圳", "杭州", "武汉", "南京", "成都"]) for _ in range(n)], None),
        "amount": ([round(r.random() * 1000, 2) for _ in range(n)], None),
        "qty": ([r.randrange(1, 50) for _ in range(n)], None),
        "sku": ([f"SKU-{r.randrange(10**6):06d}" for _ in range(n)], None),
        "file_md5": ([f"{r.getrandbits(128):032x}" for _ in range(n)], None),
        "version": ([f"{r.randrange(1, 5)}.{r.randrange(10)}.{r.randrange(20)}" for _ in range(n)], None),
        "status": ([r.choice(["已发货", "待付款", "已完成", "已取消"]) for _ in range(n)], None),
        "size": ([r.choice(["S", "M", "L", "XL"]) for _ in range(n)], None),
        "one_id_in_many": ([resident_id(r) if i == 5 else f"备注{i}" for i in range(n)], None),
    }
    out: dict[str, tuple[pa.Array, str | None]] = {}
    for col, (values, expected) in cols.items():
        out[col] = (pa.array(values), expected)
    return out
