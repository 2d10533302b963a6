"""Inference model vs published serving throughput (TensorRT-LLM max-throughput tables).

Each fixed-length row runs through `gigawatt serve` in maximum-throughput mode; the rows and
their sources are in tests/validation/data/inference.csv, and the same code
(scripts/validation_inference.py) prints the table in docs/validation.md.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

_spec = importlib.util.spec_from_file_location(
    "validation_inference", ROOT / "scripts" / "validation_inference.py")
vi = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(vi)

ROWS = vi.load_rows()
FIXED = [r for r in ROWS if vi.is_fixed_length(r) and not vi.is_check(r)]
CHECKS = [r for r in ROWS if vi.is_check(r)]


@pytest.mark.parametrize("row", FIXED, ids=[r["id"] for r in FIXED])
def test_row_within_tolerance(row):
    res = vi.predict(row)
    assert abs(res["error"]) <= vi.ROW_TOLERANCE, (
        f"{row['id']} ({row['source'][:60]}): predicted {res['predicted']:.0f} tokens/s, "
        f"published {res['published']:.0f} ({res['error']:+.1%})")


def test_mape_within_target():
    results = [vi.predict(r) for r in FIXED]
    assert len(results) == 76
    assert vi.mape(results) <= vi.MAPE_TARGET


def test_calibration_file_matches_the_rows():
    from gigawatt.perf import calibration

    doc = calibration.load()["inference"]
    stored = {r["id"]: r["error"] for r in doc["in_sample"]}
    assert set(stored) == {r["id"] for r in FIXED}
    assert sorted(r["id"] for r in doc["loso"]) == sorted(stored)
    for row in FIXED[::7]:
        assert vi.predict(row)["error"] == pytest.approx(stored[row["id"]], abs=2e-3)


def test_loso_within_target_on_four_families():
    from gigawatt.perf import calibration

    per = calibration.summary("inference")
    assert len(per) >= 4
    assert all(s["mape"] <= vi.MAPE_TARGET for s in per.values()), per


def test_dataset_rows_are_reported_not_run():
    not_run = [r for r in ROWS if not vi.is_fixed_length(r)]
    assert {r["id"] for r in not_run} == {"mlperf41-h100-l2-70b", "mlperf41-h200-l2-70b",
                                          "mlperf41-mi300x-l2-70b"}
    text = vi.markdown([vi.predict(FIXED[0])], not_run)
    assert "Not run" in text and "mlperf41-mi300x-l2-70b" in text


def test_moe_checks_are_held_out_and_recorded():
    """MoE serving rows are never fitted; their (large) errors are stored for the MoE band
    and reported in docs/validation.md as misses where they miss."""
    from gigawatt.perf import calibration

    checks = calibration.load()["inference"]["checks"]
    assert {r["id"] for r in checks} == {r["id"] for r in CHECKS} and len(CHECKS) == 31
    assert all(r["moe"] for r in checks)
    stored = {r["id"]: r["error"] for r in checks}
    for row in CHECKS[::10]:
        assert vi.predict(row)["error"] == pytest.approx(stored[row["id"]], abs=2e-3)
    band = calibration.error_band("inference", "hopper", "fp8", moe=True)
    assert band["covered"] and band["error_p90"] > 0.3  # the miss widens the MoE band


def test_every_row_names_its_source():
    assert all(r["source"].strip() for r in ROWS)
