"""The simulator's result: headline figures, breakdowns and time series."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..numfmt import ResultRepr, with_units


@dataclass(frozen=True)
class Series:
    """Time series on regular bins (left edges ``time_h``, width ``step_h``)."""

    time_h: np.ndarray
    step_h: float
    job_activity: np.ndarray
    it_power_mw: np.ndarray
    facility_power_mw: np.ndarray
    interruptions: np.ndarray
    nodes_in_repair: np.ndarray
    spares_available: np.ndarray


@dataclass(frozen=True)
class EventLog:
    """The job's interruptions: time (h), cause id, kind (unexpected | planned)."""

    time_h: np.ndarray
    cause: tuple[str, ...]
    kind: tuple[str, ...]


@dataclass(frozen=True, eq=False, repr=False)
class OpsResult(ResultRepr):
    """Outcome of :func:`gigawatt.ops.simulate` (units in field names).

    ``ettr`` is useful training time over wall time of the job (effective training time
    ratio, goodput); ``lost_gpu_hours_by_reason`` splits the rest: rework (rolled-back
    work), restart (detection and restart), waiting_for_spares, planned (maintenance
    stops), checkpoint (blocking writes), degraded (elastic mode's missing groups).
    """

    inputs: dict[str, Any]
    interruptions: dict[str, Any]
    ettr: float
    mtbf_h: float | None
    useful_gpu_hours: float
    lost_gpu_hours: float
    lost_gpu_hours_by_reason: dict[str, float]
    utilisation: float
    energy_mwh: float
    it_energy_mwh: float
    mean_facility_power_mw: float
    peak_facility_power_mw: float
    max_power_swing_mw: float
    hours_over_power_limit: float | None
    spare_nodes: int
    checkpoint: dict[str, float]
    fleet_failures: int
    sim_wall_s: float
    series: Series = field(repr=False)
    events: EventLog = field(repr=False)

    def to_dict(self, timings: bool = False) -> dict[str, Any]:
        """JSON-safe summary (the ``gigawatt simulate --json`` document)."""
        return {
            **self.inputs,
            "interruptions": self.interruptions,
            "ettr": self.ettr,
            "mtbf_h": self.mtbf_h,
            "lost_gpu_hours": self.lost_gpu_hours,
            "lost_gpu_hours_by_reason": self.lost_gpu_hours_by_reason,
            "useful_gpu_hours": self.useful_gpu_hours,
            "utilisation": self.utilisation,
            "energy_mwh": self.energy_mwh,
            "it_energy_mwh": self.it_energy_mwh,
            "mean_facility_power_mw": self.mean_facility_power_mw,
            "peak_facility_power_mw": self.peak_facility_power_mw,
            "max_power_swing_mw": self.max_power_swing_mw,
            "hours_over_power_limit": self.hours_over_power_limit,
            "spare_nodes": self.spare_nodes,
            "checkpoint": self.checkpoint,
            "fleet_failures": self.fleet_failures,
            **({"sim_wall_s": self.sim_wall_s} if timings else {}),
        }

    def to_frame(self):  # -> pandas.DataFrame
        """The time series, one row per bin, with units in the column names."""
        import pandas as pd

        s = self.series
        df = pd.DataFrame({"time_h": s.time_h, "job_activity": s.job_activity,
                           "it_power_mw": s.it_power_mw,
                           "facility_power_mw": s.facility_power_mw,
                           "interruptions": s.interruptions,
                           "nodes_in_repair": s.nodes_in_repair,
                           "spares_available": s.spares_available})
        df.attrs["step_h"] = s.step_h
        return with_units(df, {"job_activity": "fraction", "interruptions": "count per bin",
                               "nodes_in_repair": "nodes", "spares_available": "nodes"})

    def _headline(self) -> dict[str, Any]:
        return {"gpus": self.inputs.get("gpus"), "days": self.inputs.get("days"),
                "ettr": self.ettr, "interruptions": self.interruptions.get("total"),
                "mtbf_h": self.mtbf_h, "lost_gpu_hours": self.lost_gpu_hours,
                "energy_mwh": self.energy_mwh}

    def events_frame(self):  # -> pandas.DataFrame
        """The job's interruptions, one row each."""
        import pandas as pd

        e = self.events
        return with_units(pd.DataFrame({"time_h": e.time_h, "cause": list(e.cause),
                                        "kind": list(e.kind)}))
