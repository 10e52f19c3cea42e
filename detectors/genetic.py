"""基因与遗传信息 (genetic data: DNA/RNA sequences, genotype calls, rsIDs, VCF-like variants).

* **Sequences**: 20 or more nucleotides (``ACGT``, ``U`` for RNA, ``N`` for unknown); nothing
  else is spelt with only these letters at that length.
* **rsIDs** (dbSNP reference SNP numbers): ``rs`` and 3–10 digits.
* **Variants** as VCF and most exports write them: ``chr7:117559590:G:A``, ``7-117559590-G-A``,
  ``chr1:g.12345A>G``, HGVS ``c.677C>T``.
* **Genotype calls** (``AG``, ``A/G``, ``0|1``, ``DI``) are too short to stand alone: they count
  only under a header naming a genotype, a gene or a SNP (``rs1801133`` as a column name too).

Sensitive (PIPL Art 28: 生物识别 / 医疗健康), and human genetic resources leave the country
by another legal path (pharmaceutical item 14 of the Beijing list; 人类遗传资源管理条例).

>>> is_valid("ACGTACGTTAGCCGATAGCTAGGCT"), is_valid("rs1801133"), is_valid("chr7:117559590:G:A"), is_valid("AG")
(True, True, True, False)
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

from detectors.base import Detector, replace_regex

ENTITY = "GENETIC"
CATEGORY = "genetic"

SEQUENCE = r"[ACGTUN]{20,}"
RSID = r"RS\d{3,10}"
VARIANT = r"(?:CHR)?(?:[1-9]|1\d|2[0-2]|X|Y|MT?)[:\-_](?:G\.)?\d{1,9}(?:[:\-_]?[ACGT]+[:\-_>/][ACGT]+|[ACGT]+>[ACGT]+)"
HGVS = r"[CGNM]\.\d{1,7}(?:[+\-]\d{1,4})?[ACGT]>[ACGT]"
PATTERN = rf"{SEQUENCE}|{RSID}|{VARIANT}|{HGVS}"
GENOTYPE = r"[ACGTDI]{1,2}|[ACGT][/|][ACGT]|[0-9.][/|][0-9.]|--"

HEADER_WORDS = (
    "基因", "基因型", "测序", "碱基", "位点", "突变", "变异", "等位基因", "遗传", "单核苷酸", "genotype", "gene", "genome",
    "genomic", "snp", "allele", "variant", "sequence", "sequencing", "dna", "rna", "vcf", "hla", "haplotype", "jiyin",
)
HEADER_NEGATIVE = ("序列号", "sequenceno", "seqno", "sequencenumber", "流水", "serial", "批次")


def normalise(values: pa.Array) -> pa.Array:
    return pc.utf8_upper(replace_regex(values, pattern=r"\s+", replacement=""))


def is_valid(value: str) -> bool:
    return re.fullmatch(PATTERN, re.sub(r"\s+", "", value).upper()) is not None


def mask(value: str) -> str:
    """Never a whole sequence or genotype: its kind and length.

    >>> mask("ACGTACGTTAGCCGATAGCTAGGCT"), mask("rs1801133")
    ('ACG… (25 nt)', 'rs18*****')
    """
    v = value.strip()
    if re.fullmatch(SEQUENCE, v.upper()):
        return f"{v[:3]}… ({len(v)} nt)"
    if len(v) <= 4:
        return "*" * len(v)
    return v[:4] + "*" * (len(v) - 4)


DETECTOR = Detector(
    entity=ENTITY,
    sensitive=True,
    category=CATEGORY,
    description="基因数据 — DNA/RNA sequences, rsIDs, VCF-like variants, genotype calls under a genotype header",
    pattern=PATTERN,
    normalise=normalise,
    mask=mask,
    header_words=HEADER_WORDS,
    header_exact=("gt",),
    header_negative=HEADER_NEGATIVE,
    header_regex=r"rs\d{3,10}.*",
    header_pattern=GENOTYPE,
    min_share=0.8,
    priority=19,
    examples=("rs1801133", "chr7:117559590:G:A"),
    in_free_text=False,
)
