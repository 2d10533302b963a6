"""Power of the simulated cluster: the job's draw as it runs, checkpoints and stalls,
the inference fleet and idle spares, against the site limit."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ValidationError
from .recovery import Interrupts, Timeline, activity
from .result import Series
from .spares import SparePool, counts_at

if TYPE_CHECKING:
    from ..catalog import Catalog

#: candidate bin widths of the time series, minutes
STEPS_MIN = (1, 5, 10, 15, 30, 60, 120, 240, 360, 720, 1440)
MAX_BINS = 2000


@dataclass(frozen=True)
class PowerModel:
    """All-in IT power per accelerator (W), PUE, and the draw of a stalled job and of a
    blocking checkpoint as fractions of full power."""

    all_in_w: float
    pue: float
    idle_fraction: float
    checkpoint_fraction: float
    limit_mw: float | None

    @classmethod
    def from_catalog(cls, catalog: Catalog, accelerator: str, defaults: dict[str, float],
                     limit_mw: float | None, pue: float | None = None) -> "PowerModel":
        """Power of ``accelerator``; PUE: ``pue`` if given, else its system's cooling."""
        acc = catalog.accelerator(accelerator)
        if pue is None:
            pue = catalog.get("coolings", catalog.system(acc.system).cooling).pue
        elif not (isinstance(pue, (int, float)) and 1.0 <= pue <= 3.0):
            raise ValidationError(f"{pue!r} is out of range; allowed: >= 1 and <= 3",
                                  field="pue")
        if limit_mw is not None and not (isinstance(limit_mw, (int, float))
                                         and math.isfinite(limit_mw) and limit_mw > 0):
            raise ValidationError(f"{limit_mw!r} is out of range; "
                                  "allowed: > 0", field="power_limit_mw")
        return cls(acc.all_in_power_w, pue, defaults["idle_power_fraction"],
                   defaults["checkpoint_power_fraction"], limit_mw)

    def swing_mw(self, gpus: int) -> float:
        """Facility power lost in an instant when a synchronous job of ``gpus`` stalls."""
        return gpus * self.all_in_w * (1.0 - self.idle_fraction) * self.pue / 1e6

    def hours_over(self, facility_mw: np.ndarray, step_h: float) -> float | None:
        if self.limit_mw is None:
            return None
        return float((facility_mw > self.limit_mw).sum() * step_h)


def _step_h(horizon_h: float, timestep_min: Any) -> float:
    if timestep_min is None:
        minutes = next((m for m in STEPS_MIN if horizon_h * 60 / m <= MAX_BINS), STEPS_MIN[-1])
        return minutes / 60.0
    ok = isinstance(timestep_min, (int, float)) and math.isfinite(timestep_min)
    if not ok or timestep_min < 1 or horizon_h * 60 / timestep_min > 10 * MAX_BINS * 10:
        raise ValidationError(f"{timestep_min!r} is out of range; allowed: "
                              f">= 1 and at most {10 * MAX_BINS * 10} bins over the run",
                              field="timestep_min")
    return float(timestep_min) / 60.0


def build_series(setup: Any, tl: Timeline, ints: Interrupts, pool: SparePool,
                 power: PowerModel, timestep_min: Any) -> Series:
    """Bin the job's activity, interruptions, spares and power on a regular time grid."""
    T = setup.horizon_h
    step = _step_h(T, timestep_min)
    edges = np.append(np.arange(0.0, T, step), T)
    act = np.clip(activity(edges, tl), 0.0, 1.0)
    computing = 1.0 - (1.0 - power.checkpoint_fraction) * (1.0 - tl.duty)
    unit_w = power.all_in_w / 1e6
    idle = power.idle_fraction
    job = setup.job_gpus * unit_w * (idle + (1.0 - idle) * act * computing)
    spare = setup.spares * setup.model.gpus_per_node * unit_w * idle
    it = job + (setup.gpus - setup.job_gpus) * unit_w + spare
    times = np.concatenate([ints.fail_h, ints.planned_h])
    hits = np.histogram(times, bins=edges)[0]
    repair, spares = counts_at(edges[:-1], pool, setup.spares)
    return Series(edges[:-1], step, act, it, it * power.pue, hits, repair, spares)
