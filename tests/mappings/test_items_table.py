"""Every item of every shipped rule set at its boundaries (N-1, N, N+1) and its restrictions.

Thresholds, scenarios, roles and modalities are read from the rule files: a fact lives once.
Only the list's reading of numbers is restated here: 以上 includes N (>=), 不满 excludes it (<),
and a threshold without a lower bound needs one person.
"""

from __future__ import annotations

import pytest

from mappings.engine import Context, Counts, ImportantCandidate, assess, load_ruleset
from mappings.schema import Clause, Item, Ruleset

FTZ = load_ruleset("beijing-ftz-2024")
CAC = load_ruleset("cac-2024")


def path_and_items(assessment) -> dict:
    """The verdict's path and items; ``paths`` (every path required, strictest first) must agree."""
    verdict = dict(assessment.verdict())
    paths = verdict.pop("paths")
    assert paths == ([verdict["path"]] + [p for p in paths[1:]] if verdict["items"] else []), verdict
    return verdict


def personal_items(rs: Ruleset) -> list[Item]:
    return [i for i in rs.items if i.category == "personal_information"]


def applying_context(rs: Ruleset, item: Item, clause: Clause | None = None) -> Context:
    """A context in which ``item`` certainly applies (and ``clause``, for its modalities)."""
    if not rs.sectors:
        return Context(ruleset=rs.id, sector="other")
    sector = rs.sectors[item.sector]
    scenario = item.scenarios.keys[0] if item.scenarios.reading == "only" else "other"
    subject = item.subjects[0] if item.subjects else ("other" if sector.subjects else None)
    modalities = (clause.modalities if clause else []) or item.modalities or list(sector.modalities)
    return Context(ruleset=rs.id, sector=item.sector, scenario=scenario, subject=subject,
                   modality=modalities[0] if modalities else None)


def counts_for(clause: Clause, n: int) -> Counts:
    """Counts where ``clause``'s measure is ``n`` (sensitive persons are among the persons)."""
    if clause.measure == "personal":
        return Counts(personal=n)
    if clause.measure == "sensitive":
        return Counts(personal=n, sensitive=n)
    return Counts(personal=n, by_entity={clause.entities[0]: n})


def measure_of(clause: Clause, counts: Counts) -> int:
    if clause.measure == "personal":
        return counts.personal
    if clause.measure == "sensitive":
        return counts.sensitive
    return sum(counts.by_entity.get(e, 0) for e in clause.entities)


def reading(clause: Clause, n: int) -> bool:
    """以上 (>=) for min, 不满 (<) for max, at least one person when there is no lower bound."""
    return n >= (clause.min if clause.min is not None else 1) and (clause.max is None or n < clause.max)


def boundary_cases():
    for rs in (FTZ, CAC):
        for item in personal_items(rs):
            for index, clause in enumerate(item.thresholds):
                bounds = [b for b in (clause.min, clause.max) if b is not None]
                for bound in bounds:
                    for n in (bound - 1, bound, bound + 1):
                        yield pytest.param(rs.id, item.id, index, n, id=f"{item.id}[{index}]@{n}")
                if clause.min is None:  # no lower bound: zero is nothing, one person is enough
                    for n in (0, 1):
                        yield pytest.param(rs.id, item.id, index, n, id=f"{item.id}[{index}]@{n}")


@pytest.mark.parametrize(("ruleset", "item_id", "index", "n"), list(boundary_cases()))
def test_item_at_its_boundaries(ruleset: str, item_id: str, index: int, n: int) -> None:
    rs = load_ruleset(ruleset)
    item = rs.item(item_id)
    clause = item.thresholds[index]
    context = applying_context(rs, item, clause)
    counts = counts_for(clause, n)
    result = {r.id: r for r in assess(context, counts).items}[item_id]
    assessment = assess(context, counts)

    live = [c for c in item.thresholds if not c.modalities or context.modality in c.modalities]
    expected = any(reading(c, measure_of(c, counts)) for c in live)
    assert result.applies, result.reason
    assert result.triggered is expected, result.reason
    assert (item_id in assessment.verdict_items) is expected
    judged = [c for c in result.clauses if c["threshold"] == clause.describe() and c["modalities"] == clause.modalities
              and c["measure"] == clause.measure]
    assert judged, result.clauses
    assert judged[0]["count"] == n
    assert judged[0]["triggered"] is reading(clause, n)
    if n + 1 in (clause.min, clause.max) or (clause.min is None and n == 0):
        assert judged[0]["headroom"] == 1  # one more person changes the judgement
    if result.triggered:
        assert item_id in result.reason["en"] and item_id in result.reason["zh"]
        assert str(result.count) in result.reason["en"]
        assert PATH_RANK_OF(assessment.verdict_path) >= PATH_RANK_OF(item.path)


def PATH_RANK_OF(path: str) -> int:  # noqa: N802 - reads like the contract's ordering
    return ["none", "standard_contract_or_certification", "other_legal_path", "security_assessment"].index(path)


def inside(clause: Clause) -> int:
    """A count inside the clause's range."""
    return clause.min if clause.min is not None else max(1, (clause.max or 2) - 1)


def restriction_cases():
    for item in personal_items(FTZ):
        sector = FTZ.sectors[item.sector]
        if item.scenarios.reading == "only":
            for scenario in sector.scenarios:
                if scenario not in item.scenarios.keys:
                    yield pytest.param(item.id, {"scenario": scenario}, id=f"{item.id}-scenario-{scenario}")
        for role in sector.subjects:
            if item.subjects and role not in item.subjects:
                yield pytest.param(item.id, {"subject": role}, id=f"{item.id}-subject-{role}")
        for modality in sector.modalities:
            if item.modalities and modality not in item.modalities:
                yield pytest.param(item.id, {"modality": modality}, id=f"{item.id}-modality-{modality}")
        for excluded_id in item.scenarios.items:
            yield pytest.param(item.id, {"like": excluded_id}, id=f"{item.id}-covered-by-{excluded_id}")


@pytest.mark.parametrize(("item_id", "change"), list(restriction_cases()))
def test_item_does_not_apply_outside_its_scenarios_roles_and_modalities(item_id: str, change: dict) -> None:
    item = FTZ.item(item_id)
    clause = item.thresholds[0]
    context = applying_context(FTZ, item, clause)
    if "like" in change:  # where an excluded item certainly applies, the residual item does not
        excluded = FTZ.item(change["like"])
        context = applying_context(FTZ, excluded, excluded.thresholds[0])
    else:
        context = Context(**{**context.__dict__, **change})
    result = {r.id: r for r in assess(context, counts_for(clause, inside(clause))).items}[item_id]
    assert not result.triggered
    assert not result.applies
    assert "does not apply" in result.reason["en"]


def test_per_clause_modalities_are_respected() -> None:
    """An item whose clauses name modalities judges each modality by its own clause only."""
    for item in personal_items(FTZ):
        for clause in item.thresholds:
            for modality in FTZ.sectors[item.sector].modalities if clause.modalities else []:
                context = Context(ftz="beijing", sector=item.sector, scenario=applying_context(FTZ, item).scenario, modality=modality)
                result = {r.id: r for r in assess(context, counts_for(clause, inside(clause))).items}[item.id]
                shown = [c for c in result.clauses if c["modalities"] == clause.modalities]
                assert bool(shown) is (modality in clause.modalities), (item.id, modality)


def important_items() -> list[Item]:
    return [i for i in FTZ.items if i.category == "important_data"]


@pytest.mark.parametrize("item_id", [i.id for i in important_items()])
def test_important_item_follows_review_status(item_id: str) -> None:
    item = FTZ.item(item_id)
    context = Context(ftz="beijing", sector=item.sector, scenario=(item.scenarios.keys or ["other"])[0])
    evidence = ["export.csv: column"]
    by_status = {}
    for status in ("unreviewed", "confirmed", "dismissed"):
        a = assess(context, Counts(), important=[ImportantCandidate(item_id, evidence, status)])
        by_status[status] = a
        result = {r.id: r for r in a.items}[item_id]
        assert result.triggered is (status != "dismissed")
        assert result.count is None and result.threshold is None  # no count decides important data
    assert path_and_items(by_status["confirmed"]) == {"path": item.path, "items": [item_id]}
    assert by_status["unreviewed"].verdict_path == item.path
    assert any("not reviewed" in n["en"] for n in by_status["unreviewed"].notes)
    assert by_status["dismissed"].verdict_path == "none"
    untouched = {r.id: r for r in assess(context, Counts()).items}[item_id]
    assert not untouched.triggered and f"--important {item_id}" in untouched.reason["en"]


def evidence_columns(rule) -> tuple[list[tuple[str, str, str | None]], Counts | None]:
    """Columns made from the first word of each evidence group (headers or entities)."""
    columns = []
    for index, group in enumerate(rule.all):
        word = group[0]
        if word.startswith("entity:"):
            entity = word.removeprefix("entity:").replace("*", "POINT")
            columns.append(("export.csv", f"col{index}", entity))
        else:
            columns.append(("export.csv", f"{word}_{index}", None))
    counts = None
    if rule.min_persons:
        counts = Counts(personal=rule.min_persons, by_entity={e: rule.min_persons for _, _, e in columns if e})
    return columns, counts


@pytest.mark.parametrize("item_id", [i.id for i in important_items()])
def test_every_evidence_rule_raises_its_candidate(item_id: str) -> None:
    item = FTZ.item(item_id)
    assert item.candidates, f"{item_id} has no evidence rule"
    context = Context(ftz="beijing", sector=item.sector)
    from mappings.engine import important_candidates

    for rule in item.candidates:
        columns, counts = evidence_columns(rule)
        found = {c.item: c for c in important_candidates(context, columns, counts)}
        assert item_id in found, (rule.all, columns)
        assert found[item_id].status == "unreviewed"
        assert found[item_id].evidence[0].startswith("export.csv: ")
        if rule.min_persons:  # one person fewer than the scale raises nothing
            fewer = Counts(personal=rule.min_persons, by_entity={e: rule.min_persons - 1 for _, _, e in columns if e})
            assert item_id not in {c.item for c in important_candidates(context, columns, fewer)}
