"""The evaluation on sample_data reaches its targets (precision and recall >= 0.98, no decoy, trajectory persons exact)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"


def load_eval():
    spec = importlib.util.spec_from_file_location("eval_detectors", ROOT / "benchmarks" / "eval_detectors.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["eval_detectors"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not (SAMPLE / "truth.json").exists(),
                    reason="sample_data/truth.json not generated yet (python sample_data/generate.py)")
def test_eval_targets_on_sample_data():
    ev_mod = load_eval()
    from detectors.registry import builtin_detectors

    in_scope = {d.entity for d in builtin_detectors()}
    ev = ev_mod.evaluate(SAMPLE, sample=2000)
    assert ev.outcomes, "truth.json lists no columns"
    failures = ev.decoy_failures()
    assert not failures, [(o.file, o.column, o.predicted) for o in failures]
    for entity, (tp, fp, fn) in ev.scores(in_scope).items():
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        assert precision >= ev_mod.TARGET and recall >= ev_mod.TARGET, (entity, tp, fp, fn)
    rich = {"GEO_LATITUDE", "GEO_LONGITUDE", "GEO_POINT", "FACE_IMAGE", "AUDIO", "VIDEO", "BIOMETRIC", "MEDICAL", "GENETIC"}
    assert rich <= set(ev.scores(in_scope)), "the rich-content entities are scored"
    trajectories = ev_mod.evaluate_trajectories(SAMPLE)
    assert trajectories and all(expected == scanned for _, expected, scanned in trajectories), trajectories


def test_eval_script_on_a_small_truth(tmp_path):
    """The script itself: reads CSV (GB18030 too) and Parquet, scores, finds decoys."""
    import json
    import random

    import pyarrow as pa
    import pyarrow.parquet as pq
    from fixtures import mobile, name, resident_id

    r = random.Random(3)
    n = 200
    (tmp_path / "a.csv").write_bytes(
        ("姓名,身份证号,c1,批次号\n" + "".join(f"{name(r)},{resident_id(r)},{mobile(r)},1{r.randrange(10**10):010d}\n"
                                          for _ in range(n))).encode("gb18030"))
    pq.write_table(pa.table({"c2": pa.array([int(mobile(r)) for _ in range(n)])}), tmp_path / "b.parquet")
    truth = {"files": {
        "a.csv": {"rows": n, "encoding": "gb18030",
                  "columns": {"姓名": "PERSON_NAME", "身份证号": "CN_RESIDENT_ID", "c1": "CN_MOBILE_PHONE", "批次号": None},
                  "decoys": ["批次号"]},
        "b.parquet": {"rows": n, "columns": {"c2": "CN_MOBILE_PHONE"}},
    }}
    (tmp_path / "truth.json").write_text(json.dumps(truth, ensure_ascii=False), encoding="utf-8")
    ev_mod = load_eval()
    assert ev_mod.main(["--sample-data", str(tmp_path)]) == 0
