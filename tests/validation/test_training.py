"""Training model vs published runs, per accelerator family and training stack: Megatron-LM
SC21 Tables 1-2 and Korthikanti et al. Table 5 (A100), Llama 3 Table 4 and NeMo /
Megatron-Bridge 25.09-26.04 tables (H100, B200, GB200, GB300), MaxText tiering (TPU v5p,
v6e), Intel Gaudi 2 performance-data tables 1.18 and 1.19 (Llama 3.1 8B), MLPerf Training v5.1
Llama 3.1 8B on MI355X (AMD and GigaComputing systems) and MI350X (AMD). The per-row tables in
docs/validation.md come from the same code
(scripts/validation_training.py); the fitted parameters and the leave-one-source-out (LOSO)
errors are in src/gigawatt/perf/data/calibration.json (``--calibrate`` rewrites it)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from gigawatt.perf import calibration

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("validation_training",
                                               ROOT / "scripts" / "validation_training.py")
vt = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(vt)

ROWS = vt.load_rows()
DOC = calibration.load()["training"]


def _id(row: dict) -> str:
    return f"{row['id']}[{row['source_id']}]"


@pytest.fixture(scope="module")
def results():
    return {r["id"]: r for r in vt.run()}


def test_data_is_complete():
    assert len(ROWS) == 61
    assert all(r["source"] and r["published_value"] and r["source_id"] and r["stack"]
               for r in ROWS)
    fams = {r["family"] for r in DOC["loso"]}
    assert {"ampere", "hopper", "blackwell", "tpu", "gaudi", "cdna4"} <= fams


def test_calibration_file_matches_the_rows():
    assert [r["id"] for r in DOC["in_sample"]] == [r["id"] for r in ROWS]
    assert sorted(r["id"] for r in DOC["loso"]) == sorted(r["id"] for r in ROWS)


@pytest.mark.parametrize("row", ROWS, ids=[_id(r) for r in ROWS])
def test_row_within_tolerance(row, results):
    r = results[row["id"]]
    stored = {x["id"]: x["error"] for x in DOC["in_sample"]}[row["id"]]
    assert r["error"] == pytest.approx(stored, abs=2e-3), "calibration.json is stale"
    assert abs(r["error"]) <= vt.ROW_TOLERANCE, (
        f"{row['id']} ({row['source']}): predicted {r['metric']} {r['predicted']:.4g}, "
        f"measured {r['measured']:.4g} ({r['error']:+.1%})")


def test_in_sample_mape(results):
    assert vt.mape(list(results.values())) <= vt.MAPE_TARGET


def test_loso_mape():
    loso = DOC["loso"]
    assert calibration.mape(loso) <= vt.LOSO_TARGET
    per = calibration.summary("training")
    hits = [f for f, s in per.items() if s["mape"] <= vt.LOSO_TARGET]
    # the target: LOSO <= 10% over at least four families
    assert len(hits) >= 4, per
    assert all(s["mape"] <= vt.LOSO_FAMILY_CEILING for s in per.values()), per


def test_stack_selects_the_efficiency_set():
    from gigawatt.perf.gemm import family_efficiency, training_stack

    with training_stack("meta-llama3-2024"):
        old = family_efficiency("hopper")
    with training_stack("nemo-2025"):
        new = family_efficiency("hopper")
    assert old.fp8_gemm_ratio != new.fp8_gemm_ratio
    assert "meta-llama3-2024" in old.basis and new.calibrated
    assert not family_efficiency("trainium").calibrated
    with training_stack("gaudi-megatron-2024"):
        gaudi = family_efficiency("gaudi")
    assert gaudi.calibrated and "gaudi2-perf-1.19" in gaudi.basis
    with training_stack("rocm-megatron-2025"):
        cdna4 = family_efficiency("cdna4")
    assert cdna4.calibrated and "mlperf-t5.1-amd-mi355x" in cdna4.basis
    # no public MI300X / MI325X (or Trainium2) training measurement: still uncalibrated
    assert not family_efficiency("cdna3").calibrated


def test_gaudi_loso_predicts_each_release_from_the_other():
    rows = [r for r in DOC["loso"] if r["family"] == "gaudi"]
    assert {r["source_id"] for r in rows} == {"gaudi2-perf-1.18", "gaudi2-perf-1.19"}
    assert all(abs(r["error"]) <= vt.LOSO_TARGET for r in rows), rows


def test_cdna4_loso_predicts_each_mlperf_system_from_the_others():
    rows = [r for r in DOC["loso"] if r["family"] == "cdna4"]
    assert {r["source_id"] for r in rows} == {"mlperf-t5.1-amd-mi355x",
                                              "mlperf-t5.1-giga-mi355x",
                                              "mlperf-t5.1-amd-mi350x"}
    assert all(r["basis"] == "stack" for r in rows)
    assert all(abs(r["error"]) <= vt.LOSO_TARGET for r in rows), rows


def test_cdna4_without_its_rows_is_the_uncalibrated_prediction():
    """With no MI355X row in the fit (the family uncalibrated, as MI300X / MI325X are),
    the pooled fit of the other families is used; its error on the MLPerf rows is what an
    uncalibrated family's band must cover (fitted: within LOSO_TARGET, see above)."""
    from gigawatt.catalog import load_catalog
    from gigawatt.perf.gemm import calibration_override

    cat = load_catalog()
    others = [r for r in ROWS if r["stack"] != "rocm-megatron-2025"]
    doc = vt.fit_all(others, cat)
    assert "cdna4" not in doc["params"]
    with calibration_override(doc):
        errs = [vt.predict(r, cat)["error"] for r in ROWS
                if r["stack"] == "rocm-megatron-2025"]
    # the pooled fit is faster than measured on both systems, by more than the fitted band
    assert all(-0.25 < e < -0.05 for e in errs), errs


#: families whose leave-one-source-out MAPE misses the issue's target (reported, not tuned);
#: none since the memory model stopped forcing recomputation on dropout-free FP8 plans
#: (Blackwell 12.0% -> 9.2%)
KNOWN_LOSO_MISSES: dict[str, str] = {}


@pytest.mark.parametrize("family", sorted(calibration.summary("training")), ids=str)
def test_family_loso_within_target(family, request):
    if family in KNOWN_LOSO_MISSES:
        request.applymarker(pytest.mark.xfail(strict=True, reason=KNOWN_LOSO_MISSES[family]))
    assert calibration.summary("training")[family]["mape"] <= vt.LOSO_TARGET


MLPERF_CHECKS = [c for c in vt.CHECKS if c["id"].startswith("MP")]
#: MLPerf Training v5.0 Llama 3.1 405B checks the model misses by more than 15%
KNOWN_CHECK_MISSES = {
    cid: "miss: GB200 MLPerf v5.0 (NeMo 25.04) at 256-512 GPUs (DP4-8) runs 17-18% fewer "
         "tokens/s than the model predicts for the stated plan without recomputation (as "
         "run); the 1,024-2,496 GPU runs are within 13%" for cid in ("MP1", "MP2", "MP3")}


@pytest.fixture(scope="module")
def checks():
    return {c["id"]: c for c in vt.run_checks() if c["id"].startswith("MP")}


@pytest.mark.parametrize("case", MLPERF_CHECKS, ids=[c["id"] for c in MLPERF_CHECKS])
def test_mlperf_405b_check(case, checks, request):
    if case["id"] in KNOWN_CHECK_MISSES:
        request.applymarker(pytest.mark.xfail(strict=True,
                                              reason=KNOWN_CHECK_MISSES[case["id"]]))
    assert abs(checks[case["id"]]["error"]) <= vt.LOSO_FAMILY_CEILING, checks[case["id"]]


def test_mlperf_405b_plans_fit_without_recompute(checks):
    """The MLPerf configs set no activation checkpointing: their plans (TP8 PP8 VP8 CP2 in
    80 GB H100, TP4 PP8 VP8 CP2 in GB200) fit without it, so the search keeps none."""
    assert {c["plan_found"]["recompute"] for c in checks.values()} == {"none"}, checks


@pytest.mark.parametrize("rid", ["K3", "K5", "K7", "T1", "T4"])
def test_published_recompute_plans_still_need_it(rid):
    """Korthikanti et al. / SC21 runs that recomputed: their plans do not fit without it."""
    from gigawatt.errors import PlanError

    row = next(r for r in ROWS if r["id"] == rid)
    with pytest.raises(PlanError, match="memory"):
        vt.predict({**row, "recompute": "none"})
