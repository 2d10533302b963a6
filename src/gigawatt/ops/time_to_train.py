"""Time to train, composed: ideal days from the performance model, goodput (ETTR) from the
operations simulator for a synchronous job of exactly that size.

A training run of N accelerators is interrupted at N times the per-node failure rate, so
its ETTR falls with N (``gigawatt simulate --job-gpus N`` shows it); its wall-clock time
is ``ideal_days / ettr``. This module is the one place that composition is done, so the
`train` command, the planner's report rows and the frontier search agree.

The checkpoint of a run is its training state, 16 bytes per parameter (bf16 weights, fp32
master weights and the two Adam moments, as in the Llama 3 snapshot the simulator's
defaults cite) spread over the job's accelerators; storage bandwidth per accelerator stays
at the simulator's default (the store grows with the cluster).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from ..errors import ValidationError
from .engine import simulate
from .failures import load_failure_model

#: training-state bytes per parameter (bf16 weights + fp32 master + Adam m and v)
STATE_BYTES_PER_PARAM = 16.0
#: simulated horizon bounds, days: long enough for a stable ratio, short enough to be fast
MIN_SIM_DAYS, MAX_SIM_DAYS = 30.0, 730.0


@dataclass(frozen=True)
class ComposedTime:
    """Ideal and wall-clock time of one training run of ``gpus`` accelerators."""

    gpus: int
    ideal_days: float
    ettr: float
    wall_days: float
    recovery: str
    checkpoint_gb_per_gpu: float
    checkpoint_interval_min: float
    interruptions_per_day: float
    simulated_days: float
    seed: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def checkpoint_gb_per_gpu(params: float, gpus: int) -> float:
    """Training-state checkpoint per accelerator, GB (10^9 bytes)."""
    return STATE_BYTES_PER_PARAM * float(params) / max(int(gpus), 1) / 1e9


def compose_time_to_train(ideal_days: float, gpus: int, *, params: float | None = None,
                          recovery: str = "restart", failure_multiplier: float = 1.0,
                          checkpoint_interval_min: float | str = "auto",
                          restart_min: float | None = None, async_checkpoint: bool = False,
                          accelerator: str = "h100-sxm", seed: int = 0,
                          catalog: Any = None) -> ComposedTime:
    """Wall-clock days of a synchronous run needing ``ideal_days`` of failure-free compute
    on ``gpus`` accelerators, with ETTR simulated for a job of that size.

    ``params`` (model parameters) sets the checkpoint size; without it the simulator's
    default checkpoint per accelerator is used. The simulated horizon is the expected
    wall-clock time (from a first short run), clamped to 30..730 days; ETTR is a long-run
    ratio, so the horizon changes it only by sampling noise.
    """
    ideal = float(ideal_days)
    if not (math.isfinite(ideal) and ideal >= 0):
        raise ValidationError(f"{ideal_days!r} is out of range; allowed: finite >= 0 days",
                              field="ideal_days")
    gb = None if params is None else checkpoint_gb_per_gpu(params, gpus)
    kw = dict(job_gpus=gpus, recovery=recovery, failure_multiplier=failure_multiplier,
              checkpoint_interval_min=checkpoint_interval_min, restart_min=restart_min,
              async_checkpoint=async_checkpoint, checkpoint_gb_per_gpu=gb,
              accelerator=accelerator, seed=seed, catalog=catalog)
    days = MIN_SIM_DAYS
    res = simulate(gpus, days, **kw)
    if res.ettr > 0:
        want = min(max(ideal / res.ettr, MIN_SIM_DAYS), MAX_SIM_DAYS)
        if want > days * 1.5:
            days = want
            res = simulate(gpus, days, **kw)
    ettr = float(res.ettr)
    wall = ideal / ettr if ettr > 0 else math.inf
    return ComposedTime(gpus=int(gpus), ideal_days=ideal, ettr=ettr, wall_days=wall,
                        recovery=recovery,
                        checkpoint_gb_per_gpu=float(gb if gb is not None else
                                                    load_failure_model().defaults[
                                                        "checkpoint_gb_per_gpu"]),
                        checkpoint_interval_min=float(res.checkpoint["interval_min"]),
                        interruptions_per_day=res.interruptions["total"] / days,
                        simulated_days=days, seed=int(seed))


def compose_search(search: Any, *, recovery: str = "restart", seed: int = 0,
                   catalog: Any = None, model: Any = None) -> dict[str, Any]:
    """The fields a training estimate with tokens gains from the composition:
    ``ideal_days`` (failure-free), ``ettr`` (simulated for a job of the estimate's size)
    and ``time_to_train_days`` = wall-clock days; ``cost_usd`` at wall-clock GPU-hours.

    ``search`` is a :class:`~gigawatt.perf.training.TrainingSearch` or estimate with
    ``tokens``; ``model`` (id or architecture) sets the checkpoint size.
    """
    from ..perf.training import resolve_model

    best = getattr(search, "best", search)
    if best.time_to_train_days is None:
        raise ValidationError("the estimate has no tokens; give --tokens", field="tokens")
    params = float(resolve_model(model, catalog, best.seq_len).params()) if model else None
    ct = compose_time_to_train(best.time_to_train_days, best.gpus, params=params,
                               recovery=recovery, accelerator=best.accelerator, seed=seed,
                               catalog=catalog)
    out = {"ideal_days": ct.ideal_days, "ettr": ct.ettr,
           "time_to_train_days": ct.wall_days, "time_to_train": ct.to_dict()}
    if best.cost_usd is not None and ct.ettr > 0:
        out["cost_usd"] = best.cost_usd / ct.ettr
    return out
