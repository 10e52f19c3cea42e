"""医疗健康信息 (medical data: diagnoses, ICD-10 codes, prescriptions, allergies, test results).

* **ICD-10 codes** (国家临床版 included): a letter, two digits, optionally a dot and up to four
  more characters, and the Chinese national extension ``x001`` (``E11.900x001``). Values alone
  only label a column when the codes spread over several chapters and many carry the dotted
  subdivision (a seat or room code such as ``A12`` does not).
* **Vocabulary**: diagnoses and chronic conditions (…病, …炎, …癌, …症, 综合征, 骨折, 高血压, 痛风,
  甲亢, 残疾…, the values of a 健康状况 column), drugs and dosage
  (…片, …胶囊, 注射液, mg, 口服, bid…), test results (阳性/阴性, mmol/L, 白细胞…), allergy and
  history phrases (否认…史, 青霉素过敏). A column of them labels itself when 80% of its values
  use the vocabulary, 40% under a header that names medical data (病史, 过敏史, 诊断, 用药,
  检验, 住院, diagnosis, allergy, AE term, MedDRA…).

Sensitive (PIPL Art 28, 医疗健康). The pharmaceutical items of the list count subjects and
patients on these (诊疗记录、用药记录、检验检查报告、病史、过敏史…).

>>> is_icd10("E11.9"), is_icd10("E11.900x001"), is_icd10("U07.1"), is_icd10("12A")
(True, True, True, False)
>>> has_medical_terms("2型糖尿病"), has_medical_terms("二甲双胍片 0.5g bid"), has_medical_terms("常规保养")
(True, True, False)
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors.base import Detector, strip_whitespace

ENTITY = "MEDICAL"
CATEGORY = "health"

ICD10 = r"[A-Z]\d{2}(?:\.\d{0,2}[0-9A-Z]{0,2}(?:[xX]\d{3})?)?"
TERMS = (
    # diagnoses and symptoms
    "病", "炎", "癌", "瘤", "综合征", "骨折", "高血压", "低血压", "哮喘", "贫血", "感染", "结石", "梗死", "梗塞", "衰竭",
    "中风", "卒中", "抑郁", "焦虑", "痴呆", "妊娠", "流产", "囊肿", "息肉", "增生", "硬化", "狭窄", "出血", "血栓",
    "疼痛", "发热", "咳嗽", "头痛", "腹泻", "皮疹", "水肿", "症", "疹", "疮", "溃疡", "过敏", "术后", "化疗", "放疗",
    # chronic conditions and disabilities, as a 健康状况 column holds them
    "高血脂", "血脂异常", "痛风", "甲亢", "甲减", "甲状腺", "冠心", "心律失常", "房颤", "脂肪肝", "骨质疏松", "癫痫",
    "帕金森", "精神分裂", "孤独症", "自闭", "白内障", "青光眼", "艾滋", "乙肝", "丙肝", "残疾", "失明", "失聪", "耳聋",
    "肥胖", "怀孕", "哺乳",
    # drugs and dosage
    "片", "胶囊", "注射液", "颗粒", "口服液", "软膏", "滴眼液", "气雾剂", "缓释", "青霉素", "头孢", "阿莫西林", "二甲双胍",
    "阿司匹林", "胰岛素", "他汀", "沙坦", "地平", "毫克", "口服", "静滴", "皮下注射",
    # tests
    "阳性", "阴性", "mmol/l", "μmol/l", "umol/l", "g/l", "白细胞", "红细胞", "血红蛋白", "血小板", "血糖", "糖化", "肌酐",
    "尿酸", "转氨酶", "胆固醇", "甘油三酯", "b超", "心电图", "彩超",
    # history phrases
    "否认", "病史", "既往", "家族史", "手术史",
    # English
    "diabetes", "hypertension", "asthma", "cancer", "carcinoma", "tumor", "tumour", "fracture", "infection", "syndrome",
    "disease", "allergy", "allergic", "tablet", "capsule", "injection", "positive", "negative",
)
_TERMS_RE = "|".join(re.escape(t) for t in sorted(TERMS, key=len, reverse=True))
VOCABULARY = rf"(?is).{{0,200}}(?:{_TERMS_RE}).{{0,200}}"
# "无" / "否认" alone in an allergy or history column is a medical statement too (under the header).
# Under a health-status header, "健康" or "良好" states the person's health as much as 高血压 does.
HEADER_PATTERN = r"无|否认|未见异常|正常|健康|良好|一般|较好|较差|none|nkda|nil|healthy|good"
PATTERN = rf"{ICD10}|{VOCABULARY}"

HEADER_WORDS = (
    "病史", "既往史", "现病史", "过敏史", "过敏", "诊断", "用药", "药物", "处方", "医嘱", "检验", "检查结果", "化验", "检测结果",
    "住院", "出院", "病历", "病案", "主诉", "手术", "麻醉", "不良反应", "不良事件", "体检", "生育", "随访", "疾病", "症状",
    "icd", "diagnosis", "diagnoses", "prescription", "medication", "drug", "allergy", "allergies", "labresult",
    "testresult", "medicalhistory", "adverseevent", "aeterm", "meddra", "comorbid", "condition", "dosage",
    "bingshi", "zhenduan", "yongyao", "guomin",
    "健康状况", "健康情况", "身体状况", "健康状态", "慢性病", "基础病", "基础疾病", "疾病史", "残疾", "healthstatus",
    "healthcondition", "chronic", "disability",
)
HEADER_NEGATIVE = ("故障", "ecu", "dtc", "obd", "车辆", "诊断仪", "设备", "批次", "batch", "网络", "network", "fault")

_ICD_FULL = re.compile(rf"^(?:{ICD10})$")
_TERMS_SEARCH = re.compile(_TERMS_RE, re.IGNORECASE)


def is_icd10(value: str) -> bool:
    return _ICD_FULL.match(value.strip().upper()) is not None


def has_medical_terms(value: str) -> bool:
    return _TERMS_SEARCH.search(value) is not None


def normalise(values: pa.Array) -> pa.Array:
    """Trim; ICD codes are upper-cased (vocabulary matching ignores case anyway)."""
    trimmed = strip_whitespace(values)
    is_code = pc.match_substring_regex(trimmed, rf"^(?i:{ICD10})$")
    return pc.if_else(is_code, pc.utf8_upper(trimmed), trimmed)


def plausible(valid: pa.Array) -> float:
    """Codes alone must look like a diagnosis list: several chapters, many subdivided codes.

    >>> plausible(pa.array(["E11.9", "I10", "J45.901", "K29.7", "E78.5"] * 4))
    1.0
    >>> plausible(pa.array(["A12", "A13", "B01", "A14"] * 5))
    0.0
    """
    codes = valid.filter(pc.match_substring_regex(valid, rf"^{ICD10}$"))
    if len(codes) < 0.5 * len(valid) or len(codes) == 0:
        return 1.0  # vocabulary, not codes
    chapters = len(pc.unique(pc.utf8_slice_codeunits(codes, 0, 1)))
    dotted = float(np.mean(pc.match_substring(codes, ".").to_numpy(zero_copy_only=False)))
    return 1.0 if chapters >= 3 and dotted >= 0.3 else 0.0


def mask(value: str) -> str:
    """ICD codes keep their chapter letter; prose keeps two characters."""
    v = value.strip()
    if is_icd10(v):
        return v[0] + "**" + ("." + "*" * (len(v) - 4) if len(v) > 3 else "")
    return v[:2] + "***"


DETECTOR = Detector(
    entity=ENTITY,
    sensitive=True,
    category=CATEGORY,
    description="医疗健康信息 — ICD-10 codes, diagnoses, prescriptions, allergies, test results, medical history",
    pattern=PATTERN,
    normalise=normalise,
    mask=mask,
    header_words=HEADER_WORDS,
    header_exact=("ae", "dx", "rx", "zd", "bs", "gms"),
    header_negative=HEADER_NEGATIVE,
    header_pattern=HEADER_PATTERN,
    min_share=0.8,
    priority=18,
    examples=("E11.9", "2型糖尿病", "青霉素过敏"),
    column_check=plausible,
    in_free_text=False,
)
