"""Cross-check: the vectorised engine agrees with an independent, textbook SimPy model of
the same cluster (benchmarks/simpy_model.py), including failures during recovery and an
exhausted spare pool."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

import gigawatt as gw

pytest.importorskip("simpy")
ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("simpy_model",
                                               ROOT / "benchmarks" / "simpy_model.py")
sm = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sm)


@pytest.mark.parametrize("kw", [
    {"gpus": 65536, "days": 120, "checkpoint_interval_min": 20.0},
    {"gpus": 16384, "days": 120, "spare_nodes": 12},
], ids=["failures-during-recovery", "spares-run-out"])
def test_engine_matches_simpy_model(kw):
    # the engine is cheap: many runs; the SimPy model is slow: a few (different streams)
    ours = np.array([gw.ops.simulate(seed=s, **kw).ettr for s in range(40)])
    simpy_runs = [sm.run(seed=100 + s, **kw) for s in range(8)]
    theirs = np.array([r["ettr"] for r in simpy_runs])
    se = math.sqrt(ours.var(ddof=1) / len(ours) + theirs.var(ddof=1) / len(theirs))
    assert abs(ours.mean() - theirs.mean()) <= 3 * se + 0.003, (ours, theirs)
