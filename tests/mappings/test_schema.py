"""Rule files are checked when loaded: a broken one is rejected with the file, the item and why."""

from __future__ import annotations

import copy
from importlib import resources
from pathlib import Path

import pytest
import yaml

from mappings.engine import Context, Counts, assess, available_rulesets, load_ruleset
from mappings.schema import RulesetError

SHIPPED = yaml.load((resources.files("mappings") / "rules" / "beijing-ftz-2024.yaml").read_text(encoding="utf-8"),
                    Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def write_variant(tmp_path: Path, change) -> Path:
    data = copy.deepcopy(SHIPPED)
    change(data)
    path = tmp_path / "my-ftz.yaml"
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    path.write_text(yaml.dump(data, Dumper=dumper, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def item(data: dict, item_id: str) -> dict:
    return next(i for i in data["items"] if i["id"] == item_id)


def test_shipped_rule_sets_load() -> None:
    assert set(available_rulesets()) >= {"beijing-ftz-2024", "cac-2024"}
    for name in available_rulesets():
        assert load_ruleset(name).id == name


def test_a_users_own_rule_file_is_used(tmp_path: Path) -> None:
    def rename(data):
        data["id"] = "my-ftz-2025"
        item(data, "automotive.11")["thresholds"][0]["max"] = 20000
        item(data, "automotive.9")["thresholds"][0]["min"] = 20000

    path = write_variant(tmp_path, rename)
    a = assess(Context(ruleset=str(path), sector="automotive", scenario="after_sales"), Counts(15000, 15000))
    assert a.ruleset == "my-ftz-2025"
    assert a.verdict_items == ["automotive.11"]


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: item(d, "automotive.10")["thresholds"][0].update(min=2000000),
     "item automotive.10: thresholds.0: threshold min 2000000 is not below max 1000000"),
    (lambda d: item(d, "pharmaceutical.9")["scenarios"].update(keys=["clinical_trials"]),
     "item pharmaceutical.9: unknown scenario 'clinical_trials'"),
    (lambda d: item(d, "pharmaceutical.9").update(subjects=["volunteer"]),
     "item pharmaceutical.9: unknown subject role 'volunteer'"),
    (lambda d: item(d, "retail_services.2").update(thresholds=[]),
     "item retail_services.2: a personal-information item needs thresholds"),
    (lambda d: item(d, "automotive.3").update(thresholds=[{"measure": "personal", "min": 1}]),
     "item automotive.3: no count decides important data"),
    (lambda d: item(d, "automotive.8").update(threshold=[]),
     "item automotive.8: threshold: Extra inputs are not permitted"),
    (lambda d: item(d, "automotive.8").update(path="security_review"),
     "item automotive.8: path: Input should be"),
    (lambda d: d["items"].append(dict(item(d, "automotive.8"))),
     "item automotive.8: duplicate id"),
    (lambda d: d["items"].remove(item(d, "civil_aviation.4")),
     "sector civil_aviation: item numbers"),
    (lambda d: item(d, "ai_training.8")["thresholds"][0].update(modalities=["smell"]),
     "item ai_training.8: unknown modality 'smell'"),
    (lambda d: item(d, "pharmaceutical.8")["scenarios"].update(items=["pharmaceutical.40"]),
     "item pharmaceutical.8: except_items names pharmaceutical.40"),
])
def test_a_broken_rule_file_names_file_item_and_reason(tmp_path: Path, change, message: str) -> None:
    path = write_variant(tmp_path, change)
    with pytest.raises(RulesetError) as error:
        load_ruleset(str(path))
    text = str(error.value)
    assert text.startswith(str(path.resolve())), text
    assert message in text, text


def test_unreadable_or_unknown_rule_sets(tmp_path: Path) -> None:
    with pytest.raises(RulesetError, match="unknown rule set 'shanghai'.*beijing-ftz-2024"):
        load_ruleset("shanghai")
    with pytest.raises(RulesetError, match="no such rule file"):
        load_ruleset(str(tmp_path / "missing.yaml"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("items: [\n", encoding="utf-8")
    with pytest.raises(RulesetError, match="bad.yaml: not valid YAML"):
        load_ruleset(str(bad))
