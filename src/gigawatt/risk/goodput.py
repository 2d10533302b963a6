"""Goodput (ETTR) as a function of the failure-rate factor, from the operations simulator.

Simulating a large fleet per draw would cost seconds a draw, so the simulator runs once
per point of a grid of failure-rate factors spanning the scenario's distribution
(P0.1..P99.9, geometric, with 1.0 included), with one fixed seed; each draw then
interpolates the ETTR at its factor (linear in log factor, clamped at the ends). The
curve is part of the model, so every executor and worker sees the same numbers.

The job is the one the base plan's largest reference training run is placed on
(:func:`gigawatt.risk.model.placed_job_gpus`; the 16,384-accelerator reference cluster
where there is none), with the simulator's defaults (restart from storage, Daly-optimal
checkpoint interval): ``goodput_exaflops`` counts the fleet at that job's ETTR, the
goodput of the frontier run the build-out exists for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..scenario import Uncertainty
from .distributions import quantile

#: grid points of the failure-rate factor
GRID_POINTS = 9
#: simulated days per grid point
SIM_DAYS = 30.0


@dataclass(frozen=True)
class EttrCurve:
    """ETTR at failure-rate factors (for a job of ``gpus`` accelerators)."""

    factors: tuple[float, ...]
    ettr: tuple[float, ...]
    gpus: int
    days: float

    def __call__(self, factor: float) -> float:
        """ETTR at ``factor`` (interpolated in log factor, clamped to the grid)."""
        lf = np.log(np.maximum(np.asarray(self.factors), 1e-12))
        return float(np.interp(np.log(max(factor, 1e-12)), lf, self.ettr))

    def to_dict(self) -> dict[str, object]:
        return {"factors": list(self.factors), "ettr": list(self.ettr), "gpus": self.gpus,
                "days": self.days}


def factor_grid(uncertainties: Sequence[Uncertainty], points: int = GRID_POINTS) -> np.ndarray:
    """Failure-rate factors spanning the product of the failure uncertainties."""
    us = [u for u in uncertainties if u.kind == "failure_rate_factor"]
    lo = float(np.prod([quantile(u, 0.001) for u in us]))
    hi = float(np.prod([quantile(u, 0.999) for u in us]))
    lo, hi = max(lo, 1e-3), max(hi, 1e-3)
    return np.unique(np.concatenate([np.geomspace(lo, hi, points), [1.0]]))


def ettr_curve(gpus: int, uncertainties: Sequence[Uncertainty], *, seed: int = 0,
               days: float = SIM_DAYS) -> tuple[EttrCurve | None, str]:
    """The ETTR curve where the scenario has a failure-rate uncertainty; (None, why) else."""
    if not any(u.kind == "failure_rate_factor" for u in uncertainties):
        return None, ""
    try:
        from ..ops import simulate
    except ImportError:
        return None, ("goodput left out: the operations simulator (gigawatt.ops.simulate) "
                      "is not available")
    grid = factor_grid(uncertainties)
    values = [float(simulate(gpus, days, failure_multiplier=float(f), seed=seed).ettr)
              for f in grid]
    return EttrCurve(tuple(map(float, grid)), tuple(values), int(gpus), float(days)), ""


__all__ = ["EttrCurve", "ettr_curve", "factor_grid"]
