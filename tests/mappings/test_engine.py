"""The subtleties of the list, each with its own test. Numbers come from the rule files."""

from __future__ import annotations

import pytest

from mappings.engine import (
    Context,
    ContextError,
    Counts,
    ImportantCandidate,
    apply_review,
    assess,
    important_candidates,
    load_ruleset,
)

FTZ = load_ruleset("beijing-ftz-2024")
CAC = load_ruleset("cac-2024")


def path_and_items(assessment) -> dict:
    """The verdict's path and items; ``paths`` (every path required, strictest first) must agree."""
    verdict = dict(assessment.verdict())
    paths = verdict.pop("paths")
    assert paths == ([verdict["path"]] + [p for p in paths[1:]] if verdict["items"] else []), verdict
    return verdict


def clause(item_id: str, index: int = 0, rs=FTZ):
    return rs.item(item_id).thresholds[index]


def by_id(assessment):
    return {r.id: r for r in assessment.items}


def test_every_item_of_the_list_is_encoded() -> None:
    sizes = {s: len(FTZ.sector_items(s)) for s in FTZ.sectors}
    assert sizes == {"automotive": 11, "pharmaceutical": 14, "civil_aviation": 8, "retail_services": 6, "ai_training": 9}
    for item in FTZ.items:
        assert item.text_zh.startswith(f"{item.number}."), item.id  # the original text, as printed
    important = sorted(i.id for i in FTZ.items if i.category == "important_data")
    expected = ([f"automotive.{n}" for n in range(1, 8)] + [f"pharmaceutical.{n}" for n in (1, 2, 3, 14)]
                + [f"civil_aviation.{n}" for n in range(1, 5)] + [f"ai_training.{n}" for n in range(1, 4)])
    assert important == sorted(expected)


def test_contract_example_pharmaceutical_9() -> None:
    a = assess(Context(ftz="beijing", sector="pharmaceutical", scenario="clinical_trial", subject="trial_subject"),
               Counts(personal=30000, sensitive=30000))
    assert path_and_items(a) == {"path": "standard_contract_or_certification", "items": ["pharmaceutical.9"]}
    item = by_id(a)["pharmaceutical.9"]
    t = clause("pharmaceutical.9")
    assert (item.count, item.threshold, item.headroom) == (30000, f">= {t.min} and < {t.max}", t.max - 30000)
    assert "pharmaceutical.9" in item.reason["en"] and str(t.min) in item.reason["en"] and "trial subjects" in item.reason["en"]
    assert "受试者" in item.reason["zh"]


def test_items_only_for_named_scenarios_and_roles() -> None:
    n = clause("pharmaceutical.9").min
    hcp = assess(Context(ftz="beijing", sector="pharmaceutical", scenario="clinical_trial", subject="hcp"), Counts(n, 0))
    assert not by_id(hcp)["pharmaceutical.9"].applies
    assert hcp.verdict_items == ["pharmaceutical.11"]  # investigators' data, by their own item
    patients = assess(Context(ftz="beijing", sector="pharmaceutical", scenario="clinical_trial", subject="patient"), Counts(n, n))
    assert not by_id(patients)["pharmaceutical.10"].applies  # 仅限于 pharmacovigilance, complaints, inquiries
    # pharmaceutical.8 covers "除第4、5、6、7项涉及场景以外的其他场景": a clinical trial is a scenario of
    # items 4, 6 and 7, so the other-scenarios item never applies there, whoever the persons are;
    # patients in a trial are on no item of the list: the national baseline judges them.
    assert "除第4、5、6、7项涉及场景以外的其他场景" in FTZ.item("pharmaceutical.8").text_zh
    assert not by_id(patients)["pharmaceutical.8"].applies
    assert patients.verdict_items == ["cac-2024.7"]


def test_sensitive_threshold_without_lower_bound() -> None:
    ctx = Context(ftz="beijing", sector="automotive", scenario="after_sales")
    assert path_and_items(assess(ctx, Counts(1, 1))) == {"path": "standard_contract_or_certification", "items": ["automotive.11"]}
    assert assess(ctx, Counts(0, 0)).verdict_path == "none"
    assert by_id(assess(ctx, Counts(1, 1)))["automotive.11"].threshold == f"< {clause('automotive.11').max}"


def test_relaxation_below_the_item_is_off_the_list_but_not_under_the_baseline() -> None:
    n = clause("pharmaceutical.9").min - 1
    ctx = Context(ftz="beijing", sector="pharmaceutical", scenario="clinical_trial", subject="trial_subject")
    relaxed = assess(ctx, Counts(n, n))
    assert relaxed.verdict_path == "none"
    assert any("off the list" in note["en"] for note in relaxed.notes)
    national = assess(Context(ruleset="cac-2024", sector="pharmaceutical", scenario="clinical_trial",
                              subject="trial_subject"), Counts(n, n))
    assert path_and_items(national) == {"path": "standard_contract_or_certification", "items": ["cac-2024.8"]}


def test_aviation_customer_service_relaxation() -> None:
    below = clause("civil_aviation.7").min - 1
    assert assess(Context(ftz="beijing", sector="civil_aviation", scenario="customer_service"), Counts(below)).verdict_path == "none"
    other = assess(Context(ftz="beijing", sector="civil_aviation", scenario="aircraft_maintenance"), Counts(below))
    assert other.verdict_items == ["civil_aviation.8"]


@pytest.mark.parametrize("modality", ["audio", "image", "text"])
def test_ai_training_thresholds_depend_on_modality(modality: str) -> None:
    ctx = Context(ftz="beijing", sector="ai_training", scenario="model_training", modality=modality)
    security = {"audio": "ai_training.4", "image": "ai_training.5", "text": "ai_training.6"}[modality]
    n = clause(security).min
    assert assess(ctx, Counts(n, n)).verdict_items[:1] == [security]
    below = assess(ctx, Counts(n - 1, n - 1))
    assert "ai_training.8" in below.verdict_items and security not in below.verdict_items
    contract = by_id(below)["ai_training.8"]
    assert contract.threshold.endswith(f"< {n}")


def test_ai_training_modality_inferred_from_entities_and_video_outside_the_list() -> None:
    n = clause("ai_training.5").min
    inferred = assess(Context(ftz="beijing", sector="ai_training", scenario="model_training"), Counts(n, n, by_entity={"IMAGE": n}))
    assert "ai_training.5" in inferred.verdict_items and by_id(inferred)["ai_training.5"].count == n
    assert by_id(inferred)["ai_training.4"].count == 0  # image persons are not audio persons
    assert not any("no known modality" in note["en"] for note in inferred.notes)
    video = assess(Context(ftz="beijing", sector="ai_training", scenario="model_training", modality="video"), Counts(n, n))
    assert path_and_items(video) == {"path": "security_assessment", "items": ["cac-2024.7"]}
    assert "video" in by_id(video)["cac-2024.7"].reason["en"]


def test_ai_training_ordinary_personal_information_falls_back_to_the_baseline() -> None:
    n = clause("cac-2024.8", rs=CAC).min
    a = assess(Context(ftz="beijing", sector="ai_training", scenario="model_training", modality="text"), Counts(n, 0))
    assert a.verdict_items == ["cac-2024.8"]
    assert "only sensitive" in by_id(a)["cac-2024.8"].reason["en"]


def test_ciio_always_needs_a_security_assessment() -> None:
    for ruleset in ("beijing-ftz-2024", "cac-2024"):
        a = assess(Context(ruleset=ruleset, sector="automotive", scenario="vehicle_rd", ciio=True), Counts(1, 0))
        assert path_and_items(a) == {"path": "security_assessment", "items": ["cac-2024.7"]}
        assert "critical information infrastructure" in by_id(a)["cac-2024.7"].reason["en"]
    nothing = assess(Context(ftz="beijing", sector="automotive", ciio=True), Counts(0, 0))
    assert nothing.verdict_path == "none"
    important = assess(Context(ftz="beijing", sector="other", ciio=True), Counts(0, 0),
                       important=[ImportantCandidate("cac-2024.7", ["notified"], "confirmed")])
    assert important.verdict_path == "security_assessment"


def test_retail_id_numbers_fall_back_to_the_national_rule() -> None:
    members = clause("retail_services.4").min
    ids = clause("cac-2024.8", 1, rs=CAC).max - 1
    ctx = Context(ftz="beijing", sector="retail_services", scenario="member_management", subject="member")
    a = assess(ctx, Counts(members, ids, by_entity={"PERSON_NAME": members, "CN_RESIDENT_ID": ids}))
    assert path_and_items(a) == {"path": "standard_contract_or_certification", "items": ["retail_services.4", "cac-2024.8"]}
    fallback = by_id(a)["cac-2024.8"]
    assert fallback.count == ids and "CN_RESIDENT_ID" in fallback.reason["en"] and "stricter national rule" in fallback.reason["en"]
    more = assess(ctx, Counts(members, ids + 1, by_entity={"PERSON_NAME": members, "CN_RESIDENT_ID": ids + 1}))
    assert more.verdict_path == "security_assessment" and "cac-2024.7" in more.verdict_items


def test_retail_member_sensitive_types_counted_by_entity() -> None:
    n = clause("retail_services.5").min
    ctx = Context(ftz="beijing", sector="retail_services", scenario="member_management", subject="member")
    a = assess(ctx, Counts(n, 0, by_entity={"MAC_ADDRESS": n}))  # a MAC is not sensitive elsewhere
    assert a.verdict_items == ["retail_services.5"]
    assert by_id(a)["retail_services.5"].count == n
    below = assess(ctx, Counts(n - 1, 0, by_entity={"MAC_ADDRESS": n - 1}))
    assert below.verdict_path == "none"


def test_retail_sensitive_of_unknown_type_leans_strict() -> None:
    n = clause("retail_services.5").min
    a = assess(Context(ftz="beijing", sector="retail_services", scenario="member_management", subject="member"), Counts(n, n))
    assert a.verdict_path == "security_assessment"
    reason = by_id(a)["cac-2024.7"].reason["en"]
    assert "of no type given" in reason and "give --by-entity" in reason
    # With --by-entity given, the reason does not ask for it again.
    given = assess(Context(ftz="beijing", sector="retail_services", scenario="member_management", subject="member"),
                   Counts(n, n, by_entity={"MAC_ADDRESS": n // 2}))
    assert given.verdict_path == "security_assessment"
    assert "give --by-entity" not in by_id(given)["cac-2024.7"].reason["en"]


def test_patients_real_names_are_outside_the_patient_items() -> None:
    n = clause("pharmaceutical.10").min
    ctx = Context(ftz="beijing", sector="pharmaceutical", scenario="pharmacovigilance", subject="patient")
    clean = assess(ctx, Counts(n, n, by_entity={"MEDICAL": n}))
    assert clean.verdict_items == ["pharmaceutical.10"]
    named = assess(ctx, Counts(n, n, by_entity={"MEDICAL": n, "PERSON_NAME": n}))
    assert named.verdict_path == "security_assessment"
    assert "PERSON_NAME" in by_id(named)["cac-2024.7"].reason["en"]


def test_unknown_role_leans_strict_and_says_so() -> None:
    n = clause("pharmaceutical.9").min
    a = assess(Context(ftz="beijing", sector="pharmaceutical", scenario="clinical_trial"), Counts(n, n))
    # Counted under every role's items, and judged by the national baseline (the persons may be
    # of no role the list names), never by the other scenarios' item pharmaceutical.8.
    assert a.verdict_path == "security_assessment" and "cac-2024.7" in a.verdict_items
    assert "pharmaceutical.8" not in a.verdict_items and "pharmaceutical.9" in a.verdict_items
    assert any("role is not known" in note["en"] and "cac-2024.7" in note["en"] for note in a.notes)


def test_counts_by_subject_role_are_judged_by_their_own_items() -> None:
    subjects, investigators = clause("pharmaceutical.9").min, clause("pharmaceutical.11").min
    counts = Counts(subjects + investigators, subjects, by_subject={
        "trial_subject": {"personal": subjects, "sensitive": subjects},
        "hcp": {"personal": investigators, "sensitive": 0}})
    a = assess(Context(ftz="beijing", sector="pharmaceutical", scenario="clinical_trial"), counts)
    assert a.verdict_items == ["pharmaceutical.9", "pharmaceutical.11"]
    assert by_id(a)["pharmaceutical.9"].count == subjects and by_id(a)["pharmaceutical.11"].count == investigators
    assert not any("role is not known" in note["en"] for note in a.notes)


def test_sector_other_and_baseline_ruleset_apply_article_5_4() -> None:
    n = clause("cac-2024.8", rs=CAC).min
    for ctx in (Context(ftz="beijing", sector="other"), Context(ruleset="cac-2024", sector="automotive", scenario="vehicle_rd")):
        assert assess(ctx, Counts(n - 1)).verdict_path == "none"
        assert assess(ctx, Counts(n)).verdict_items == ["cac-2024.8"]
    assert any("Art 5(1)(4)" in note["en"] for note in assess(Context(ftz="beijing", sector="other"), Counts(n - 1)).notes)


def test_autonomous_driving_is_outside_the_automotive_list() -> None:
    n = clause("automotive.10").min
    a = assess(Context(ftz="beijing", sector="automotive", scenario="autonomous_driving"), Counts(n, 1))
    assert set(a.verdict_items) == {"cac-2024.8"}
    assert "autonomous" in by_id(a)["cac-2024.8"].reason["en"]


def test_important_data_paths_and_verdict_lists_every_triggered_item() -> None:
    genes = [ImportantCandidate("pharmaceutical.14", ["genes.csv: snp"], "confirmed")]
    ctx = Context(ftz="beijing", sector="pharmaceutical", scenario="drug_rd", subject="trial_subject")
    assert path_and_items(assess(ctx, Counts(), important=genes)) == {"path": "other_legal_path", "items": ["pharmaceutical.14"]}
    both = assess(ctx, Counts(clause("pharmaceutical.4").min, 1), important=genes)
    assert path_and_items(both) == {"path": "security_assessment", "items": ["pharmaceutical.4", "pharmaceutical.14"]}
    outside = assess(Context(ftz="beijing", sector="other"), Counts(), important=genes)
    assert path_and_items(outside) == {"path": "security_assessment", "items": ["cac-2024.7"]}


def test_apply_review_confirms_dismisses_and_rejects_unknown_items() -> None:
    candidates = [ImportantCandidate("automotive.3", ["a.csv: 充电桩经度"])]
    reviewed = apply_review(candidates, important=["automotive.5"], not_important=["automotive.3"])
    assert [(c.item, c.status) for c in reviewed] == [("automotive.3", "dismissed"), ("automotive.5", "confirmed")]
    assert candidates[0].status == "unreviewed"  # the input is not changed
    with pytest.raises(ValueError, match="personal-information item"):
        apply_review([], important=["automotive.9"])
    with pytest.raises(ValueError, match="both"):
        apply_review([], important=["automotive.3"], not_important=["automotive.3"])
    assert apply_review([], important=["cac-2024.7"], ruleset="cac-2024")[0].status == "confirmed"


def test_candidates_from_headers_and_entities() -> None:
    ctx = Context(ftz="beijing", sector="automotive")
    columns = [
        ("stations.csv", "充电桩经度", "GEO_LONGITUDE"), ("stations.csv", "pile_status", None),
        ("frames.parquet", "front_camera_jpg", "IMAGE"), ("frames.parquet", "ped_face", "FACE_IMAGE"),
        ("tbox.csv", "ECU_DTC", None), ("tbox.csv", "remote_unlock_cmd", None),
        ("ota.csv", "firmware_version", None), ("ota.csv", "sim", "ICCID"),
        ("platform.csv", "platform", None), ("platform.csv", "relation", None),
    ]
    found = {c.item: c for c in important_candidates(ctx, columns)}
    assert set(found) == {"automotive.3", "automotive.4", "automotive.5", "automotive.6"}
    assert found["automotive.3"].evidence == ["stations.csv: 充电桩经度", "stations.csv: 充电桩经度, pile_status"]
    assert "firmware" in found["automotive.6"].reason["en"]
    aviation = important_candidates(Context(ftz="beijing", sector="civil_aviation"), [
        ("qar.csv", "FDR_altitude", None), ("cvr.csv", "cockpit_voice_text", None), ("ahm.csv", "aircraft_health_code", None)])
    assert [c.item for c in aviation] == ["civil_aviation.1", "civil_aviation.2", "civil_aviation.3"]
    medical = FTZ.item("pharmaceutical.1").candidates[0].min_persons
    pharma = Context(ftz="beijing", sector="pharmaceutical")
    cols = [("emr.csv", "诊断", "MEDICAL"), ("g.csv", "基因序列", "GENETIC")]
    assert {c.item for c in important_candidates(pharma, cols, Counts(medical, medical, {"MEDICAL": medical}))} == {
        "pharmaceutical.1", "pharmaceutical.14"}
    assert {c.item for c in important_candidates(pharma, cols, Counts(9, 9, {"MEDICAL": 9}))} == {"pharmaceutical.14"}
    assert important_candidates(Context(ftz="beijing", sector="other"), columns) == []


def test_unknown_context_values_are_named() -> None:
    with pytest.raises(ContextError, match="unknown scenario 'bogus'.*clinical_trial"):
        assess(Context(ftz="beijing", sector="pharmaceutical", scenario="bogus"), Counts())
    with pytest.raises(ContextError, match="unknown sector"):
        assess(Context(ftz="beijing", sector="banking"), Counts())
    with pytest.raises(ContextError, match="unknown subject"):
        assess(Context(ftz="beijing", sector="retail_services", subject="trial_subject"), Counts())


def test_roles_without_their_own_entity_counts_use_the_export_s() -> None:
    n = clause("retail_services.5").min
    counts = Counts(n, 0, by_entity={"MAC_ADDRESS": n}, by_subject={"member": {"personal": n, "sensitive": 0}})
    a = assess(Context(ftz="beijing", sector="retail_services", scenario="member_management"), counts)
    assert a.verdict_items == ["retail_services.5"]  # never lenient for want of per-role counts
