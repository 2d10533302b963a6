"""The performance model's own error as risk inputs, in place of an assumed MFU spread.

For every accelerator the base plan installs, a lognormal multiplier on its MFU and
workload rates whose P10 and P90 are those of the measured/predicted ratio of its
family's training estimates out of sample: ``1 / (1 + e)`` over the leave-one-source-out
errors ``e`` of :mod:`gigawatt.perf.calibration` (an uncalibrated family gets its wide
band). A scenario's scalar ``mfu_factor`` uncertainty, an assumed spread of the same
thing, is replaced. Draws are independent per accelerator (errors shared by a family are
not correlated here).
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from ..perf.calibration import error_band
from ..scenario import Uncertainty

#: standard-normal quantile of 0.9 (P10-P90 of a lognormal span 2 x this many sigmas)
Z90 = 1.2815515655446004


def model_error_uncertainty(accelerator: str, family: str) -> Uncertainty:
    """The lognormal MFU multiplier of one accelerator from its family's error band."""
    band = error_band("training", family)
    lo, hi = 1.0 / (1.0 + band["error_p90"]), 1.0 / (1.0 + band["error_p10"])
    sigma = max(math.log(hi / lo) / (2.0 * Z90), 1e-3)
    return Uncertainty(id=f"model-error-{accelerator}", kind="accelerator_mfu_factor",
                       of=accelerator, distribution="lognormal",
                       median=math.sqrt(lo * hi), sigma=sigma)


def with_model_error(uncertainties: Sequence[Uncertainty], accelerators: Sequence[str],
                     catalog: Any) -> tuple[list[Uncertainty], list[str]]:
    """``uncertainties`` with ``mfu_factor`` ones replaced by per-accelerator model error,
    and notes saying what was replaced and on which basis."""
    kept = [u for u in uncertainties if u.kind != "mfu_factor"]
    dropped = [u.id for u in uncertainties if u.kind == "mfu_factor"]
    added, notes = [], []
    for a in accelerators:
        fam = catalog.accelerator(a).family
        u = model_error_uncertainty(a, fam)
        added.append(u)
        band = error_band("training", fam)
        notes.append(f"model error of {a} ({fam}, "
                     f"{'calibrated' if band['calibrated'] else 'uncalibrated'}): MFU x "
                     f"lognormal, P10-P90 {u.median * math.exp(-Z90 * u.sigma):.2f}-"
                     f"{u.median * math.exp(Z90 * u.sigma):.2f}, from {band['basis']}")
    if dropped and added:
        notes.insert(0, f"uncertainty {', '.join(dropped)} (an assumed MFU spread) replaced by "
                        "the per-family calibration bands of the performance model")
    return (kept + added if added else list(uncertainties)), notes
