"""The verdict's paths, from the least to the most demanding, and their names (zh, en).

The one vocabulary of paths that the engine's reasons, every report and the CLI use. It stands
apart from :mod:`mappings.schema` (which re-exports it) so that what only needs the names, such
as ``chujing --help`` listing ``--fail-on``'s choices, does not load pydantic and the rule files'
models.
"""

PATHS = ("none", "standard_contract_or_certification", "other_legal_path", "security_assessment")
PATH_NAMES: dict[str, tuple[str, str]] = {
    "none": ("无需申报、订立标准合同或认证", "no path required"),
    "standard_contract_or_certification": ("个人信息出境标准合同备案或个人信息保护认证", "standard contract or certification"),
    "other_legal_path": ("其他合法合规路径", "other legal path"),
    "security_assessment": ("数据出境安全评估", "security assessment"),
}
