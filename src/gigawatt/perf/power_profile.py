"""A synchronous training job's power over one step, and how much of it can vanish.

Every accelerator of a synchronous job runs the same phase at the same time, so the
job's power follows its step: near TDP while it computes, near idle while it waits on
exposed communication or a pipeline bubble (Choukse et al., *Power Stabilization for AI
Training Datacenters*, arXiv 2508.14318, 2025: compute-heavy phases run near TDP,
communication-heavy phases near idle power, swinging at 0.2-3 Hz). A stall (a failure,
a restart, a blocking checkpoint) drops the whole job to idle within seconds: the worst
case a site's supply must absorb.

Per accelerator the all-in power splits into the accelerator's own draw (TDP when busy,
``GPU_IDLE_FRACTION`` of TDP when idle) and the rest of its share of the system (host,
network, storage: ``all_in_power_w - tdp_w``), which stays on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from ..errors import ValidationError

#: an idle accelerator's draw as a fraction of its TDP: an H200 measured at 80.3 W idle
#: against its 700 W TDP (SerialAlice GPU energy benchmark, June 2026, nvidia-smi, a
#: TDX-attested H200; 80.3 / 700 = 0.115). The failure model's stalled-job share of
#: all-in power (ops/data/failures.yaml, 0.48 for an H100) follows from the same split.
GPU_IDLE_FRACTION = 0.115
#: step phases during which the accelerators compute (at TDP); every other phase of the
#: breakdown (exposed tp/ep/cp/pp/dp/wan communication, the pipeline bubble) waits
BUSY_PHASES = ("compute", "optimizer")


@dataclass(frozen=True)
class StepPower:
    """Power of one accelerator's share of a job over one training step.

    ``phase``, ``start_s``, ``duration_s`` and ``power_w`` list the phases in step order
    (busy phases first, then the waiting phases); ``busy_w``/``idle_w`` are the all-in
    power of a computing/waiting accelerator; ``mean_w`` the step average."""

    phase: tuple[str, ...]
    start_s: np.ndarray
    duration_s: np.ndarray
    power_w: np.ndarray
    busy_w: float
    idle_w: float

    @property
    def step_time_s(self) -> float:
        return float(self.duration_s.sum())

    @property
    def mean_w(self) -> float:
        t = self.step_time_s
        return float((self.power_w * self.duration_s).sum() / t) if t > 0 else self.busy_w

    def to_dict(self) -> dict:
        return {"phases": [{"phase": p, "start_s": float(s), "duration_s": float(d),
                            "power_w": float(w)} for p, s, d, w in
                           zip(self.phase, self.start_s, self.duration_s, self.power_w)],
                "busy_w": self.busy_w, "idle_w": self.idle_w, "mean_w": self.mean_w,
                "step_time_s": self.step_time_s}


def _positive(name: str, value: float) -> float:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise ValidationError(f"{value!r} is out of range; allowed: > 0", field=name)
    return float(value)


def _fraction(name: str, value: float) -> float:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and 0 <= value <= 1):
        raise ValidationError(f"{value!r} is out of range; allowed: 0 to 1", field=name)
    return float(value)


def busy_idle_w(tdp_w: float, all_in_w: float,
                idle_fraction: float = GPU_IDLE_FRACTION) -> tuple[float, float]:
    """All-in power of one accelerator computing and waiting, W."""
    tdp_w, all_in_w = _positive("tdp_w", tdp_w), _positive("all_in_power_w", all_in_w)
    if all_in_w < tdp_w:
        raise ValidationError(f"all_in_power_w ({all_in_w}) must be at least tdp_w "
                              f"({tdp_w})", field="all_in_power_w")
    rest = all_in_w - tdp_w
    return all_in_w, rest + _fraction("idle_fraction", idle_fraction) * tdp_w


def step_power(breakdown_s: Mapping[str, float], tdp_w: float, all_in_w: float,
               idle_fraction: float = GPU_IDLE_FRACTION) -> StepPower:
    """The power waveform of one step from a step breakdown.

    Parameters
    ----------
    breakdown_s : phase -> seconds per step, as ``TrainingEstimate.breakdown_s``
        (``compute``, ``optimizer`` busy; exposed communication and ``bubble`` waiting).
    tdp_w, all_in_w : the accelerator's TDP and all-in power (catalog), W.
    idle_fraction : an idle accelerator's share of its TDP.
    """
    busy, idle = busy_idle_w(tdp_w, all_in_w, idle_fraction)
    items = [(k, float(v)) for k, v in breakdown_s.items()]
    for k, v in items:
        if not (math.isfinite(v) and v >= 0):
            raise ValidationError(f"{v!r} is out of range; allowed: >= 0 seconds",
                                  field=f"breakdown_s.{k}")
    ordered = ([kv for kv in items if kv[0] in BUSY_PHASES]
               + [kv for kv in items if kv[0] not in BUSY_PHASES])
    ordered = [kv for kv in ordered if kv[1] > 0]
    dur = np.array([v for _, v in ordered], dtype=float)
    power = np.array([busy if k in BUSY_PHASES else idle for k, _ in ordered], dtype=float)
    start = np.concatenate([[0.0], np.cumsum(dur)[:-1]]) if dur.size else np.zeros(0)
    return StepPower(tuple(k for k, _ in ordered), start, dur, power, busy, idle)


def swing_fraction(tdp_w: float, all_in_w: float, *,
                   breakdown_s: Mapping[str, float] | None = None, case: str = "stall",
                   smoothing_fraction: float = 0.0,
                   idle_fraction: float = GPU_IDLE_FRACTION) -> float:
    """Largest fraction of a job's busy power that can vanish within seconds.

    ``case="stall"``: a failure, restart or blocking stall drops every accelerator from
    busy to idle (the worst case, independent of the step). ``case="step"``: the periodic
    swing inside a step, from its highest to its lowest phase (0 for a step without
    waiting phases; needs ``breakdown_s``). ``smoothing_fraction``: the share of the
    swing that rack-level storage absorbs (catalog ``power_smoothing_fraction``).
    """
    if case not in ("stall", "step"):
        raise ValidationError(f"{case!r} is not allowed; allowed: stall, step", field="case")
    keep = 1.0 - _fraction("smoothing_fraction", smoothing_fraction)
    busy, idle = busy_idle_w(tdp_w, all_in_w, idle_fraction)
    if case == "stall":
        return (busy - idle) / busy * keep
    if breakdown_s is None:
        raise ValidationError("the step case needs the step breakdown", field="breakdown_s")
    w = step_power(breakdown_s, tdp_w, all_in_w, idle_fraction).power_w
    return float((w.max() - w.min()) / busy * keep) if w.size else 0.0
