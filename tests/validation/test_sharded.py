"""ZeRO-3 without model parallelism (Narayanan et al. SC21 Table 2, DeepSpeed 2021) vs the
model: with each rank's gathers over its own NIC (the 2021 software generation) every row
within 30%, and the ranking against PTD-P that the paper reports is reproduced."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("validation_sharded",
                                               ROOT / "scripts" / "validation_sharded.py")
vs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(vs)
ROWS = vs.load_rows()


@pytest.fixture(scope="module")
def flat():
    return {r["id"]: r for r in vs.run(flat=True)}


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_flat_ring_row_within_30_percent(row, flat):
    r = flat[row["id"]]
    assert abs(r["error"]) <= 0.30, f"{r['id']}: {r['predicted']:.1f} vs {r['measured']}"


def test_throughput_falls_with_gpus_at_fixed_batch(flat):
    assert flat["Z1"]["predicted"] > 2 * flat["Z3"]["predicted"]
    assert flat["Z4"]["predicted"] > 2 * flat["Z6"]["predicted"]


def test_ptdp_beats_zero3_at_1536_gpus():
    """Table 2: PTD-P 141 vs ZeRO-3 44 TFLOP/s per GPU for 175B on 1,536 GPUs."""
    from gigawatt.perf import estimate_training

    # the 2021 software generation (flat ring); with NCCL's hierarchical rings the model
    # predicts ZeRO-3 faster than PTD-P here, the miss docs/validation.md reports
    z3 = vs.predict(ROWS[2], flat=True)
    ptdp = estimate_training("gpt3-175b", "a100-80gb", 1536, tp=8, pp=12, microbatch=1,
                             global_batch=1536, recompute="full", zero=0, vp=4,
                             attention="unfused", overlap_dp=False, seq_len=2048)
    assert ptdp.step_time_s < z3["step_time_s"]
