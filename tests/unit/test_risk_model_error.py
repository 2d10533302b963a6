"""The performance model's calibration bands as risk inputs (risk.model_error)."""

from __future__ import annotations

import math

from gigawatt.risk.distributions import quantile
from gigawatt.risk.model_error import Z90, model_error_uncertainty, with_model_error
from gigawatt.risk.world import world_from_vector
from gigawatt.scenario import Uncertainty


def _span(u):
    return float(quantile(u, 0.9)) / float(quantile(u, 0.1))


def test_band_matches_the_calibration_and_uncalibrated_is_wider():
    from gigawatt.perf.calibration import error_band

    h = model_error_uncertainty("h100-sxm", "hopper")
    g = model_error_uncertainty("trainium2", "trainium")
    band = error_band("training", "hopper")
    assert float(quantile(h, 0.1)) == __import__("pytest").approx(
        1 / (1 + band["error_p90"]), rel=1e-3)
    assert _span(g) > _span(h)
    assert math.isclose(h.median * math.exp(Z90 * h.sigma), float(quantile(h, 0.9)),
                        rel_tol=1e-3)


def test_mfu_factor_is_replaced_and_applied_per_accelerator(catalog):
    mfu = Uncertainty(id="mfu", kind="mfu_factor", distribution="uniform", min=0.8, max=1.0)
    keep = Uncertainty(id="build", kind="construction_factor", distribution="uniform",
                       min=0.9, max=1.1)
    uncs, notes = with_model_error([mfu, keep], ["b200", "tpu-v6e"], catalog)
    assert [u.id for u in uncs] == ["build", "model-error-b200", "model-error-tpu-v6e"]
    assert "replaced" in notes[0] and len(notes) == 3
    w = world_from_vector(uncs, [1.0, 0.9, 1.2])
    assert w.accelerator_mfu_factor == {"b200": 0.9, "tpu-v6e": 1.2}
    same, none = with_model_error([keep], [], catalog)
    assert same == [keep] and none == []
