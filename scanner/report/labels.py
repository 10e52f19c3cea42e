"""The words of the reports, in Chinese and English: one place for every name a report shows.

- The verdict paths: :data:`mappings.schema.PATH_NAMES`.
- Entities, categories, modalities, keyless policies, review statuses and table findings:
  ``mappings/names.yaml`` (:mod:`mappings.names`), the table the rule engine's reasons use too.
- Sectors, scenarios and subject roles: the rule files, next to the items that name them.
- The reports' own words (headings, column names, warnings): :data:`LABELS` below.

A Chinese report shows names, never codes; an English report keeps the codes that scripts and
flags use. The detectors write a column's evidence (and media samples) in English:
:func:`evidence_text` and :func:`sample_text` give them in Chinese.

>>> name("entity", "CN_RESIDENT_ID", "zh"), name("scenario", "vehicle_rd", "zh", sector="automotive")
('居民身份证号', '车辆研发')
>>> evidence_text("98% of values valid, header names it", "zh")
'98% 的值有效，表头也指明此类型'
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Any

from mappings import names as vocabulary
from mappings.engine import CONFIRMED_BY_USER
from mappings.schema import PATH_NAMES
from scanner.report.json_text import json_text

if TYPE_CHECKING:
    from scanner.report.model import Report

# --- the reports' own words -------------------------------------------------------------------

LABELS: dict[str, tuple[str, str]] = {  # key: (zh, en)
    "title": ("chujing 数据出境扫描报告", "chujing data export report"),
    "verdict": ("结论", "Verdict"),
    "path_required": ("需要的出境路径", "Path required"),
    "required_by": ("依据条目", "Required by"),
    "no_item": ("未触发规则条目", "no item of the rule set"),
    "context": ("场景", "Context"),
    "ruleset": ("规则集", "rule set"),
    "sector": ("行业", "sector"),
    "scenario": ("场景", "scenario"),
    "subject": ("主体", "subject"),
    "modality": ("模态", "modality"),
    "year": ("年度", "year"),
    "ciio": ("关键信息基础设施运营者", "critical information infrastructure operator"),
    "persons": ("个人数量", "Persons"),
    "persons_export": ("本次出境涉及的自然人", "persons in this export"),
    "sensitive_persons": ("其中敏感个人信息", "of them with sensitive personal information"),
    "keyless": ("无个人标识的行（各计一人）", "rows without a person key (each counted as one person)"),
    "minors": ("不满十四周岁的未成年人", "children under 14"),
    "by_entity": ("按数据类型", "By entity"),
    "by_subject": ("按主体角色", "By subject role"),
    "incomplete": ("扫描不完整：{n} 个输入无法读取（见下方错误）", "Incomplete: {n} input(s) could not be scanned (see errors below)"),
    "unreviewed_warning": ("{n} 项重要数据候选待评审，已计入结论", "{n} important-data candidate(s) await review and count in the verdict"),
    "shared_warning": ("{n} 个共用联系方式（如 {example}，{identities} 个身份证件共用）不用于关联人员：严格计为 {personal} 人"
                       "（全部联系方式都关联时为 {low} 人，都不关联时为 {high} 人）",
                       "{n} shared contact(s) (e.g. {example}, held by {identities} identities) link nobody: persons "
                       "counted strictly as {personal} (between {low} if every contact linked and {high} if none did)"),
    "stale_warning": ("{n} 条已记录的决定不再对应任何发现（列被改名？）", "{n} recorded decision(s) no longer match anything (a renamed column?)"),
    "triggered_items": ("触发的条目", "Triggered items"),
    "other_items": ("已检查但未触发的条目（{n}）", "Items checked and not triggered ({n})"),
    "item": ("条目", "Item"),
    "path": ("路径", "Path"),
    "count": ("数量", "Count"),
    "threshold": ("阈值", "Threshold"),
    "headroom": ("余量", "Headroom"),
    "reason": ("理由", "Reason"),
    "bar": ("数量与阈值", "Count against threshold"),
    "important": ("重要数据候选", "Important-data candidates"),
    "status": ("状态", "Status"),
    "evidence": ("依据", "Evidence"),
    "decision": ("决定", "Decision"),
    "unreviewed": ("待评审", "unreviewed"),
    "confirmed": ("已确认", "confirmed"),
    "dismissed": ("已排除", "dismissed"),
    "files": ("文件", "Files"),
    "file": ("文件", "File"),
    "format": ("格式", "Format"),
    "encoding": ("编码", "Encoding"),
    "rows": ("行数", "Rows"),
    "size": ("大小", "Size"),
    "columns": ("列", "Columns"),
    "personal_columns": ("个人信息列", "Personal columns"),
    "error": ("错误", "Error"),
    "ok": ("已扫描", "scanned"),
    "column": ("列名", "Column"),
    "entity": ("数据类型", "Entity"),
    "sensitive": ("敏感", "Sensitive"),
    "category": ("类别", "Category"),
    "confidence": ("置信度", "Confidence"),
    "valid": ("有效率", "Valid"),
    "samples": ("样例（已脱敏）", "Samples (masked)"),
    "yes": ("是", "yes"),
    "filter": ("筛选…", "Filter…"),
    "only_personal": ("仅个人信息列", "personal only"),
    "only_sensitive": ("仅敏感", "sensitive only"),
    "only_decided": ("仅已决定", "decided only"),
    "shown": ("显示", "shown"),
    "of": ("/", "of"),
    "errors": ("错误", "Errors"),
    "ytd": ("本年度累计（含本次）", "Year to date (this transfer included)"),
    "personal": ("个人信息", "personal"),
    "decisions": ("已记录的决定", "Recorded decisions"),
    "decisions_file": ("决定文件", "Decisions file"),
    "applied": ("已应用", "applied"),
    "changed": ("改变的发现", "Findings changed by a decision"),
    "stale": ("失效的决定", "Stale decisions"),
    "decided_by": ("由 {who} 于 {when} 决定", "decided by {who} on {when}"),
    "action_confirm": ("确认", "confirmed"),
    "action_override": ("改为", "overridden to"),
    "action_not_personal": ("非个人信息", "not personal"),
    "detected": ("检测结果", "detected"),
    "outdated": ("确认的类型与本次检测不符，需重新评审", "confirmed as another entity than detected now: review again"),
    "notes": ("说明", "Notes"),
    "every_path": ("需履行的全部路径", "Every path required"),
    "raised_by": ("依据规则", "raised by"),
    "exporter": ("出境方声明", "Exporter"),
    "alternative": ("若注册于自贸区", "If in the zone"),
    "generated": ("生成于", "Generated"),
    "none_found": ("未发现个人信息", "no personal information found"),
    "sort_hint": ("点击表头排序", "click a header to sort"),
    "who_why": ("决定人、日期与理由", "Who, when, why"),
    "from": ("原为", "was"),
    "to": ("现为", "now"),
}

LABELS.update({  # the terminal and Markdown reports' own
    "colon": ("：", ": "),
    "not_personal": ("非个人信息列", "Not personal"),
    "conf": ("置信度", "Conf."),
    "note": ("说明", "Note"),
    "no": ("否", "no"),
    "rules": ("规则", "Rules"),
    "persons_by_entity": ("各类数据涉及的人数", "Persons by entity"),
})

LABELS.update({  # chujing plan
    "plan_path_now": ("当前路径：{path}；个人信息 {personal} 人，敏感个人信息 {sensitive} 人",
                      "Path now: {path}; {personal} persons' personal information, {sensitive} persons' sensitive"),
    "plan_items": ("触发的条目：{items}", "Items triggered: {items}"),
    "plan_each": ("每项修改单独的效果", "Each change alone"),
    "plan_change": ("修改", "change"),
    "plan_file": ("文件", "file"),
    "plan_path": ("路径", "path"),
    "plan_personal": ("个人信息", "personal"),
    "plan_sensitive": ("敏感", "sensitive"),
    "plan_no_longer": ("不再触发", "no longer triggered"),
    "plan_below_k": ("少于 k 人的组", "groups below k"),
    "plan_reaching": ("达到更低路径：{path}", "Reaching a lower path: {path}"),
    "plan_set_minimal": ("最小修改集合（{n} 项）→ {path}；个人信息 {personal} 人，敏感 {sensitive} 人（少任何一项都达不到该路径）",
                         "A minimal set of {n} change(s) → {path}: {personal} persons' personal information, "
                         "{sensitive} sensitive (leaving out any one of them misses the path)"),
    "plan_set": ("修改集合（{n} 项）→ {path}；个人信息 {personal} 人，敏感 {sensitive} 人（未证明是最小集合）",
                 "A set of {n} change(s) → {path}: {personal} persons' personal information, {sensitive} sensitive "
                 "(not proven minimal)"),
    "plan_groups_left": ("剩余少于 k 人的组：{groups}", "Groups below k left: {groups}"),
    "plan_groups_now": ("当前数据中人数少于 k={k} 的组", "Groups of fewer than k={k} persons now"),
    "plan_quasi": ("准标识符", "quasi-identifiers"),
    "plan_groups": ("组数", "groups"),
    "plan_persons_in": ("其中人数", "persons in them"),
    "plan_group_count": ("{file}：{groups} 组中 {below} 组少于 k 人（{persons} 人）",
                         "{file}: {below} of {groups} groups < k ({persons} persons)"),
    "plan_not_computed": ("{file}：未计算", "{file}: not computed"),
    "plan_none": ("无", "none"),
    "change_drop": ("删除", "drop"),
    "change_generalise": ("泛化", "generalise"),
    "change_pseudonymise": ("假名化", "pseudonymise"),
    "change_mask": ("掩码", "mask"),
    "rule_year": ("年份", "year"),
    "rule_month": ("月份", "month"),
    "rule_city": ("城市", "city"),
    "rule_province": ("省份", "province"),
    "rule_grid": ("{step}° 网格", "grid"),
})

LABELS.update({  # chujing review
    "review_start": ("结论：{path}；{n} 个待决问题。输入 q 停止，并保存已做的决定。",
                     "Verdict: {path}; {n} open question(s). [q] stops and saves what was decided so far."),
    "review_who": ("你的名字（记录为决定人）", "Your name (recorded as who decided)"),
    "review_column": ("[{i}/{n}] 文件 {file} 中的列 {column}", "[{i}/{n}] column {column} in {file}"),
    "review_detected": ("  检测结果：{facts}；置信度 {confidence}，{valid} 的值有效",
                        "  detected : {facts}; confidence {confidence}, {valid} of values valid"),
    "review_sensitive": ("（敏感）", " (sensitive)"),
    "review_evidence": ("  依据    ：{text}", "  evidence : {text}"),
    "review_samples": ("  样例    ：{text}（已脱敏）", "  samples  : {text}  (masked)"),
    "review_asked": ("  提问原因：{text}", "  asked as : {text}"),
    "review_reason": ("  理由    ：{text}", "  reason   : {text}"),
    "review_why_confirmed_other": ("{when} 确认为 {entity}，本次检测为 {detected}",
                                   "confirmed as {entity} on {when}, now detected as {detected}"),
    "review_why_low": ("置信度低（{confidence}）", "low confidence ({confidence})"),
    "review_why_header": ("仅凭表头识别", "found from the header alone"),
    "review_why_sensitive": ("敏感，尚未决定", "sensitive, not yet decided"),
    "review_why_all": ("--all", "--all"),
    "review_why_candidate": ("重要数据候选，尚未评审", "important-data candidate not yet reviewed"),
    "review_column_choices": ("[c] 确认  [o] 改为其他数据类型  [n] 非个人信息  [s] 跳过  [q] 退出",
                              "[c]onfirm  [o]verride the entity  [n]ot personal  [s]kip  [q]uit"),
    "review_why_required": ("理由（一行，留给审计）", "Why (one line, kept for the auditor)"),
    "review_why_optional": ("理由（可不填）", "Why (optional)"),
    "review_entity": ("该列实际的数据类型代码（如 CN_PASSPORT）", "Entity the column really holds (e.g. CN_PASSPORT)"),
    "review_entity_shape": ("  数据类型代码由字母、数字和 _ 组成（如 CN_RESIDENT_ID）",
                            "  an entity name is letters, digits and _ (like CN_RESIDENT_ID)"),
    "review_entity_unknown": ("  {entity} 不是 chujing 认识的数据类型{close}；`chujing detectors` 列出全部",
                              "  {entity} is not an entity chujing knows{close}; `chujing detectors` lists them"),
    "review_did_you_mean": ("（是否指 {names}？）", " (did you mean {names}?)"),
    "review_candidate": ("[{i}/{n}] 重要数据候选 {item}", "[{i}/{n}] important-data candidate {item}"),
    "review_candidate_choices": ("[c] 确认是重要数据  [d] 排除  [s] 跳过  [q] 退出",
                                 "[c]onfirm it is important data  [d]ismiss  [s]kip  [q]uit"),
    "review_stale": ("[{i}/{n}] 失效的决定：{what}", "[{i}/{n}] stale decision on {what}"),
    "review_stale_column": ("文件 {file} 中的列 {column}", "column {column} in {file}"),
    "review_decided": ("  原决定  ：{decision}（{who} 于 {when}）：{why}", "  decided  : {decision} by {who} on {when}: {why}"),
    "review_now": ("  现在    ：{text}", "  now      : {text}"),
    "review_stale_choices": ("[k] 保留  [r] 删除  {move}[q] 退出", "[k]eep  [r]emove  {move}[q]uit"),
    "review_move": ("[m] 移到改名后的列  ", "[m]ove to a renamed column  "),
    "review_columns": ("  可选的列：{names}", "  columns  : {names}"),
    "review_new_column": ("新的列名", "New column name"),
    "review_choose": ("  请回答其中之一：{options}", "  answer one of: {options}"),
    "review_nothing": ("无需评审：{report} 中没有待决问题", "Nothing to review: no open question in {report}"),
    "review_nothing_decisions": ("（{path} 中有 {n} 条决定）。", " ({n} decision(s) in {path})."),
    "review_no_change": ("{path} 没有变化；{n} 个问题留待以后。", "No change to {path}; {n} question(s) left for later."),
    "review_saved": ("已在 {path} 中保存 {n} 条决定", "Saved {n} decision(s) in {path}"),
    "review_left": ("；{n} 个问题留待以后。", "; {n} question(s) left for later."),
    "review_apply": ("应用这些决定：chujing scan ... --decisions {path}", "Apply them: chujing scan ... --decisions {path}"),
    "period": ("。", "."),
})


# --- names of the codes -------------------------------------------------------------------------

# The one sector no rule file names (only the national baseline applies to it).
_OTHER_SECTOR = ("其他行业", "other sectors")
# A report's kinds of code and their tables in mappings/names.yaml.
_KINDS = {"entity": "entities", "category": "categories", "modality": "modalities", "policy": "keyless_policies",
          "status": "statuses", "finding": "findings"}

# --- the detectors' evidence in Chinese ---------------------------------------------------------
# A column's evidence is fragments joined by "; ", each from a fixed set of English sentences
# (detectors/classify.py, detectors/media.py, scanner/engines/local.py); the numbers in them
# are carried over, entities by their names. A fragment of no known form is shown as it is.

# Our sentences are short; anything longer is data (a path, a reason typed by a reviewer) and is
# never matched, so that no pattern ever runs long on what a user wrote.
_LONGEST = 300
_PERCENT = r"(\d{1,3})%"
_EVIDENCE_FORMS: list[tuple[re.Pattern[str], str]] = [(re.compile(p), zh) for p, zh in (
    (rf"{_PERCENT} of values valid, header names it", r"\1% 的值有效，表头也指明此类型"),
    (rf"{_PERCENT} of values valid", r"\1% 的值有效"),
    (r"header names it", "表头指明此类型"),
    (r"values cannot be checked", "值无法校验"),
    (r"header names a biometric feature", "表头指明为生物识别特征"),
    (r"every value is a (\d+)-d vector", r"每个值都是 \1 维向量"),
    (r"vectors of (\d+)-(\d+) values: not fixed-length features", r"\1 至 \2 维的向量：不是定长特征"),
    (r"vectors of (\d+)-(\d+) values", r"\1 至 \2 维的向量"),
    (r"the header names no biometric or feature", "表头未指明生物识别特征"),
    (r"float column past 2\*\*53, checked by shape only", "浮点数超过 2**53，只按形状检查"),
    (r"the digits past the 15th are lost: destroyed by the export \(re-export as text\)",
     "第15位之后的数字已丢失：导出时已损坏（请按文本重新导出）"),
    (r"the values of a map, each read as a cell", "映射中的每个值按一个单元格读取"),
    (r"the values of a list, each read as a cell", "列表中的每个值按一个单元格读取"),
    (r"float column of fractions \(only coordinates are checked\)", "小数浮点列（只检查坐标）"),
    (r"binary values that are UTF-8 text, read as text", "二进制值为 UTF-8 文本，按文本读取"),
    (r"binary values: no media or template found", "二进制值：未发现媒体或特征模板"),
    (r"free text", "自由文本"),
    (r"Presidio found no entities in (\d+) values", r"Presidio 识别器在 \1 个值中未发现个人信息"),
    (r"patterns found no entities in (\d+) values", r"模式匹配在 \1 个值中未发现个人信息"),
    (r"(\d{1,3})% of values are media by their first bytes \((.*)\)", r"按文件头判断 \1% 的值为媒体（\2）"),
    (r"faces in (\d+) of (\d+) checked images", r"抽查 \2 张图像，\1 张有人脸"),
    (r"faces not checked \(install chujing\[media\] for scikit-image's face detector\)",
     "未检查人脸（安装 chujing[media] 以使用 scikit-image 人脸检测）"),
    (r"named as a person key \(--person-key\)", "指定为个人标识列（--person-key）"),
    (r"([\d,]+) sampled values longer than ([\d,]+) KB were too long to classify \(their rows are read and counted\)",
     r"\1 个抽样值超过 \2 KB，未用于分类（其所在行仍被读取和计数）"),
    (r"no detector reached its share", "没有检测器达到所需比例"),
    (r"header names a biometric", "表头指明为生物识别特征"),
    (r"every value is a (\d+)-byte blob", r"每个值都是 \1 字节的数据块"),
    (r"type holds no identifiers", "该数据类型不含标识符"),
    (r"no values", "没有值"),
)]

_TEMPLATES = re.compile(r"(\d{1,3})% of values are ISO/ANSI biometric templates \((.*)\)")
_TEMPLATE_KINDS = {"fingerprint": "指纹", "face": "人脸", "iris": "虹膜", "finger image": "指纹图像"}
_FOUND = re.compile(r"(Presidio|patterns) found ([A-Z0-9_, ]+) in (\d+) sampled values")


def lang_of(value: str | None) -> str:
    """``zh`` for any Chinese language tag (``zh``, ``zh_CN.UTF-8``, ``zh-Hans``), else ``en``."""
    return "zh" if str(value or "").lower().replace("-", "_").startswith("zh") else "en"


@functools.cache
def _rule_names() -> dict[tuple[str, str, str], tuple[str, str]]:
    """Sectors, scenarios and subject roles as the shipped rule files name them:
    ``(kind, sector, code) -> (zh, en)``; a sector's own key is under ``("sector", "", code)``."""
    from mappings import engine

    out: dict[tuple[str, str, str], tuple[str, str]] = {}
    for ruleset_name in engine.available_rulesets():
        ruleset = engine.load_ruleset(ruleset_name)
        for key, sector in ruleset.sectors.items():
            out.setdefault(("sector", "", key), (sector.title.zh, sector.title.en))
            for code, text in sector.scenarios.items():
                out.setdefault(("scenario", key, code), (text.zh, text.en))
                out.setdefault(("scenario", "", code), (text.zh, text.en))
            for code, text in sector.subjects.items():
                out.setdefault(("subject", key, code), (text.zh, text.en))
                out.setdefault(("subject", "", code), (text.zh, text.en))
    out.setdefault(("sector", "", "other"), _OTHER_SECTOR)
    return out


def names(kind: str, code: str, sector: str | None = None) -> tuple[str, str] | None:
    """``(zh, en)`` names of ``code`` of ``kind`` (entity, category, modality, policy, status,
    finding, path, sector, scenario, subject), or ``None`` when it has none."""
    if kind in _KINDS:
        return vocabulary.names(_KINDS[kind], code)
    if kind == "path":
        return PATH_NAMES.get(code)
    found = _rule_names()
    return found.get((kind, sector or "", code)) or found.get((kind, "", code))


def name(kind: str, code: str | None, lang: str, sector: str | None = None) -> str:
    """The name of ``code`` in ``lang``; the code itself when it has none (a user's own detector
    or rule file), so that nothing is hidden."""
    if code is None:
        return "—"
    found = names(kind, code, sector)
    if found is None and kind == "entity":
        found = _custom_entity(code)
    if found is None:
        return code
    return found[0] if lang == "zh" else found[1]


@functools.cache
def _custom_entity(code: str) -> tuple[str, str] | None:
    """A user's detector (declared in YAML): its description's Chinese words, when it starts with some."""
    try:
        from detectors.registry import load_detectors

        detector = next((d for d in load_detectors([]) if d.entity == code), None)
    except Exception:  # noqa: BLE001 - a name is never worth failing a report for
        return None
    if detector is None:
        return None
    head = re.split(r"\s+[—-]\s+|, ", detector.description, maxsplit=1)[0].strip()
    return (head, code) if head and not head.isascii() else None


def ui(key: str, lang: str, **kwargs: Any) -> str:
    """A word of the reports' own (headings, column names, warnings) in ``lang``."""
    zh, en = LABELS[key]
    text = zh if lang == "zh" else en
    return text.format(**kwargs) if kwargs else text


# --- evidence and samples in Chinese --------------------------------------------------------------

def evidence_text(evidence: str, lang: str) -> str:
    """A column's evidence in ``lang`` (the detectors write it in English)."""
    if lang != "zh" or not evidence:
        return evidence
    for prefix, zh in (("decided not personal:", "已决定为非个人信息："),):
        if evidence.startswith(prefix):
            return (zh + evidence[len(prefix):].strip()).rstrip("：")
    if evidence.startswith("decided as "):
        code, _, why = evidence[len("decided as "):].partition(":")
        return f"已决定为{name('entity', code.strip(), 'zh')}" + (f"：{why.strip()}" if why.strip() else "")
    return "；".join(_evidence_fragment(part) for part in evidence.split("; "))


def _evidence_fragment(fragment: str) -> str:
    if len(fragment) > _LONGEST:  # none of our sentences is this long: not ours, shown as it is
        return fragment
    templates = _TEMPLATES.fullmatch(fragment)
    if templates:
        kinds = "、".join(_TEMPLATE_KINDS.get(k, k) for k in templates.group(2).split(", "))
        return f"{templates.group(1)}% 的值为 ISO/ANSI 生物识别特征模板（{kinds}）"
    found = _FOUND.fullmatch(fragment)
    if found:
        how = "Presidio 识别器" if found.group(1) == "Presidio" else "模式匹配"
        entities = "、".join(name("entity", e.strip(), "zh") for e in found.group(2).split(","))
        return f"{how}在 {found.group(3)} 个抽样值中发现{entities}"
    for pattern, zh in _EVIDENCE_FORMS:
        match = pattern.fullmatch(fragment)
        if match:
            return match.expand(zh)
    return fragment


_TEMPLATE = re.compile(r"ISO/ANSI (.+) template")
_BLOB = re.compile(r"(\d+)-byte template")
_ENCODED = re.compile(r"(\d+) characters of encoded template")
_VECTOR = re.compile(r"(\d+)-d (\w+) vector(?:, L2 norm ([\d.]+))?")
_FACES = re.compile(r"(.+?) (\d+)×(\d+), (?:(\d+) faces?|no face)")
_WAV = re.compile(r"WAV ([\d.]+) s, ([\d.]+) kHz, (?:mono|(\d+) channels)")


def sample_text(sample: str, entity: str | None, lang: str) -> str:
    """A masked sample in ``lang``: media are described by us in English (``JPEG 64×64, 1 face``,
    ``WAV 3.0 s, 16 kHz, mono``); every other sample is the data, masked, shown as it is."""
    if lang != "zh" or entity not in ("IMAGE", "FACE_IMAGE", "AUDIO", "VIDEO", "BIOMETRIC") or len(sample) > _LONGEST:
        return sample
    template = _TEMPLATE.fullmatch(sample)
    if template:
        return f"ISO/ANSI {_TEMPLATE_KINDS.get(template.group(1), template.group(1))}模板"
    blob = _BLOB.fullmatch(sample) or _ENCODED.fullmatch(sample)
    if blob:
        return f"{blob.group(1)} 字节的模板" if "byte" in sample else f"{blob.group(1)} 个字符的编码模板"
    vector = _VECTOR.fullmatch(sample)
    if vector:
        dim, kind, norm = vector.groups()
        return f"{dim} 维 {kind} 向量" + (f"，L2 范数 {norm}" if norm else "")
    faces = _FACES.fullmatch(sample)
    if faces:
        kind, w, h, n = faces.groups()
        return f"{kind} {w}×{h}，" + (f"{n} 张人脸" if n else "无人脸")
    wav = _WAV.fullmatch(sample)
    if wav:
        seconds, rate, channels = wav.groups()
        return f"WAV {seconds} 秒，{rate} kHz，" + (f"{channels} 声道" if channels else "单声道")
    return sample


def stale_reason(entry: dict[str, Any], lang: str) -> str:
    """Why a recorded decision matched nothing (``scanner.review.decisions``), in ``lang``: the
    reason's kind from its first words, the names in it from the entry itself (never parsed)."""
    reason = str(entry.get("reason") or "")
    if lang != "zh":
        return reason
    if entry.get("kind") == "important":
        return "本次扫描中没有该条目的候选"
    if entry.get("could_be"):
        return f"列「{entry.get('column')}」可能是 {'、'.join(entry['could_be'])} 中的任一列：请按报告中的列名记录决定"
    if reason.startswith("no column "):
        return f"匹配的文件中没有列「{entry.get('column')}」：被改名或删除了？"
    if reason.startswith("no scanned file matches "):
        return f"没有扫描到的文件匹配「{entry.get('file')}」"
    return reason


def decision_text(decision: dict[str, Any], lang: str) -> str:
    """A recorded decision in words: its action or status, and the entity it names."""
    action, status = decision.get("action"), decision.get("status")
    key = f"action_{action}" if action else status
    words = ui(key, lang) if key in LABELS else str(action or status or "")
    entity = decision.get("entity")
    return words + (f" {name('entity', entity, lang) if lang == 'zh' else entity}" if entity else "")


def stale_rows(report: Report, lang: str) -> list[list[str]]:
    """The recorded decisions that matched nothing: what, the decision, why it is stale, who."""
    rows = []
    for s in (report.extra.get("decisions") or {}).get("stale") or []:
        what = s.get("item") if s.get("kind") == "important" else f"{s.get('file')} › {s.get('column')}"
        who = ui("decided_by", lang, who=s.get("who") or "?", when=s.get("when") or "?")
        rows.append([str(what), decision_text(s, lang), stale_reason(s, lang),
                     who + (ui("colon", lang) + str(s["why"]) if s.get("why") else "")])
    return rows


def rule_text(rule: str, lang: str) -> str:
    """The rule that raised a candidate: ``automotive.4#1`` as it is, ``table:sensitive_area``
    by the finding's name."""
    if lang == "zh" and rule.startswith("table:"):
        return "表级发现：" + name("finding", rule[len("table:"):], lang)
    return rule


_PERSONS_AT_LEAST = re.compile(r"(.*) \((\d+) persons ≥ (\d+)\)")


def candidate_evidence(line: str, candidate: dict[str, Any], lang: str) -> str:
    """One line of an important-data candidate's evidence in ``lang``: ``file: columns`` is the
    data; a table finding's kind and a count of persons are ours, named in Chinese."""
    if lang != "zh":
        return line
    if line == CONFIRMED_BY_USER:
        return "用户确认（--important）"
    for rule in candidate.get("rules") or []:
        if rule.startswith("table:"):
            kind = rule[len("table:"):]
            line = line.replace(f": {kind} (", f"：{name('finding', kind, 'zh')}（", 1)
            if line.endswith(")") and "（" in line:
                line = line[:-1] + "）"
    persons = _PERSONS_AT_LEAST.fullmatch(line)
    if persons:
        line = f"{persons.group(1)}（{persons.group(2)} 人 ≥ {persons.group(3)}）"
    return line


def json_report(report: Report, lang: str) -> str:
    """The contract's JSON, keys and codes unchanged; in Chinese, each column's evidence in
    Chinese beside the English (``evidence_zh``): every other human text is bilingual already."""
    if lang != "zh":
        return report.to_json()
    data = report.to_dict()
    for f in data["files"]:
        for c in f["columns"]:
            c["evidence_zh"] = evidence_text(c.get("evidence") or "", "zh")
    return json_text(data)
