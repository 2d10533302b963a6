"""The operations simulator: one synchronous training job on a cluster, its failures,
checkpoints, spares, repairs, recovery and power, over days to years.

Failure processes are sampled with numpy; what depends on simulated state (the spare pool
and a capacity-limited repair queue, recovery that restarts when a failure arrives during
recovery) is advanced per event, vectorised where the recurrence allows it. Same seed,
same result: the generators are derived from ``numpy.random.SeedSequence(seed)``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ValidationError
from .checkpoint import choose_interval
from .failures import FailureModel, load_failure_model, sample_failures, sample_planned
from .power import PowerModel, build_series
from .recovery import MODES, Interrupts, JobParams
from .result import EventLog, OpsResult
from .spares import auto_spares, serve

if TYPE_CHECKING:
    from ..catalog import Catalog

HOURS_PER_DAY = 24.0
MAX_GPUS = 100_000_000


def _number(name: str, value: Any, lo: float, hi: float = math.inf, *,
            strict: bool = False) -> float:
    """Check a number against its range; the error names the field, value and range."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = (value > lo if strict else value >= lo) and value <= hi
    if not ok:
        rng = f"{'>' if strict else '>='} {lo:g}" + (f" and <= {hi:g}" if math.isfinite(hi) else "")
        raise ValidationError(f"{value!r} is out of range; allowed: {rng}", field=name)
    return float(value)


def _default(value: Any, model: FailureModel, key: str) -> Any:
    return model.defaults[key] if value is None else value


@dataclass(frozen=True)
class Setup:
    """Resolved, validated inputs of one simulation."""

    gpus: int
    nodes: int
    job_nodes: int
    job_gpus: int
    horizon_h: float
    model: FailureModel
    spares: int
    repair_capacity: int | None
    replica_nodes: int


def _sizes(gpus: Any, job_gpus: Any, days: Any, per_node: int) -> tuple[int, int, int, int, float]:
    g = int(_number("gpus", gpus, 1, MAX_GPUS))
    j = int(_number("job_gpus", g if job_gpus is None else job_gpus, 1, MAX_GPUS))
    if j > g:
        raise ValidationError(f"{j} is larger than the cluster ({g} gpus); "
                              f"allowed: 1..{g}", field="job_gpus")
    horizon_h = _number("days", days, 0, 36500, strict=True) * HOURS_PER_DAY
    return g, -(-g // per_node), j, -(-j // per_node), horizon_h


def _model(model: FailureModel | None, failure_rate: Any, multiplier: Any,
           lifetime: str, shape: float) -> FailureModel:
    m = model or load_failure_model()
    if failure_rate is not None:
        rate = _number("failure_rate", failure_rate, 0)
        m = m.scaled(rate / m.per_1000_node_days)
    m = m.scaled(_number("failure_multiplier", multiplier, 0))
    return m if lifetime == "exponential" else m.with_lifetime(lifetime, shape)


def _repair_load(m: FailureModel, nodes: int) -> tuple[float, float, float]:
    """Mean and variance of nodes in repair (M/G/infinity with batches) and the mean
    repair time, hours, for ``nodes`` nodes at risk."""
    hw = [c for c in m.causes if c.replace and c.nodes_affected > 0]
    lam = [c.rate_per_node_day / HOURS_PER_DAY * nodes for c in hw]
    mean = sum(x * c.nodes_affected * c.repair_h for x, c in zip(lam, hw))
    var = sum(x * c.nodes_affected ** 2 * c.repair_h for x, c in zip(lam, hw))
    events = sum(lam)
    return mean, var, (sum(x * c.repair_h for x, c in zip(lam, hw)) / events if events else 0.0)


def _checkpoint_times(mode: str, is_async: bool, gb: float, storage: float,
                      host: float) -> tuple[float, float]:
    """(blocking, commit) minutes of one checkpoint for a recovery mode."""
    to_storage, to_host = gb / storage / 60.0, gb / host / 60.0
    if MODES[mode].checkpoint_to == "memory":
        return to_host, 0.0
    return (to_host, to_storage) if is_async else (to_storage, 0.0)


def _interrupts(s: Setup, planned_per_day: float, rngs: list[np.random.Generator]
                ) -> tuple[Interrupts, np.ndarray, Any]:
    """Sample the job's failures and planned stops and serve them from the spare pool."""
    ev = sample_failures(s.model, s.job_nodes, s.horizon_h, rngs[0])
    causes = s.model.causes
    units = np.array([c.nodes_affected if c.replace else 0 for c in causes], np.int64)[ev.cause]
    repair = np.array([c.repair_h for c in causes])[ev.cause]
    pool = serve(ev.time_h, units, repair, s.spares, s.repair_capacity, rngs[1])
    groups = np.maximum(1, -(-units // s.replica_nodes))
    planned = sample_planned(planned_per_day, s.horizon_h, rngs[2])
    return Interrupts(ev.time_h, pool.ready_h, groups, planned), ev.cause, pool


def _by_cause(model: FailureModel, cause: np.ndarray) -> dict[str, int]:
    counts = np.bincount(cause, minlength=len(model.causes))
    return {c.id: int(n) for c, n in zip(model.causes, counts) if n}


def simulate(gpus: int, days: float, *, job_gpus: int | None = None,
             checkpoint_interval_min: float | str = "auto", restart_min: float | None = None,
             detect_min: float | None = None, recovery: str = "restart",
             failure_rate: float | None = None, failure_multiplier: float = 1.0,
             planned_per_day: float | None = None, seed: int = 0,
             spare_nodes: int | str = "auto", repair_capacity: int | None = None,
             checkpoint_gb_per_gpu: float | None = None,
             storage_gb_per_s_per_gpu: float | None = None, async_checkpoint: bool = False,
             replica_gpus: int | None = None, lifetime: str = "exponential",
             weibull_shape: float = 1.0, timestep_min: float | None = None,
             power_limit_mw: float | None = None, pue: float | None = None,
             accelerator: str = "h100-sxm",
             catalog: Catalog | None = None, failure_model: FailureModel | None = None
             ) -> OpsResult:
    """Simulate a synchronous training job on a cluster of ``gpus`` accelerators.

    Parameters
    ----------
    gpus : accelerators in the cluster (8 per node); those outside the job serve inference.
    days : simulated time, days.
    job_gpus : accelerators of the training job (default: all of them).
    checkpoint_interval_min : compute time between checkpoints, minutes, or a policy
        ("auto"/"daly": Daly's optimum for the model's failure rate, "young").
    restart_min, detect_min : restart and failure-detection time, minutes (defaults from
        ``data/failures.yaml``; in-memory recovery has a shorter default restart).
    recovery : "restart" (from storage), "in-memory" (from peer replicas), "elastic".
    failure_rate : unexpected failures per 1000 node-days, scaling the default mix of
        causes (default: the calibrated fleet rate, 3.79).
    failure_multiplier : further factor on every failure rate (for Monte Carlo; the risk
        layer's failure-rate factor).
    planned_per_day : planned maintenance stops of the job per day (default: Llama 3's).
    seed : seed of the run; same seed, same result.
    spare_nodes : hot spare nodes beside the cluster, or "auto" (enough that the pool runs
        dry during the run with about 5% probability; see ``spares.auto_spares``).
    repair_capacity : parallel repair slots (None: unlimited).
    checkpoint_gb_per_gpu, storage_gb_per_s_per_gpu : checkpoint size per accelerator, GB,
        and storage write bandwidth per accelerator, GB/s.
    async_checkpoint : block only for a snapshot to host memory; the write to storage runs
        in the background and the checkpoint counts once written.
    replica_gpus : accelerators of one data-parallel replica (elastic recovery).
    lifetime, weibull_shape : failure lifetime distribution of every cause.
    timestep_min : bin width of the time series, minutes (default: at most 2000 bins).
    power_limit_mw : site facility power limit, MW (reports hours over it).
    pue : power usage effectiveness (default: the PUE of the system's cooling).
    accelerator : catalog accelerator id (power: its all-in power and its system's PUE).
    catalog, failure_model : override the built-in catalog and failure model.

    Returns
    -------
    OpsResult
    """
    if recovery not in MODES:
        raise ValidationError(f"{recovery!r} is not allowed; allowed: "
                              f"{', '.join(MODES)}", field="recovery")
    model = _model(failure_model, failure_rate, failure_multiplier, lifetime, weibull_shape)
    d = model.defaults
    g, nodes, j, job_nodes, horizon_h = _sizes(gpus, job_gpus, days, model.gpus_per_node)
    seed = int(_number("seed", seed, 0, 2**63 - 1))
    if catalog is None:
        from ..catalog import load_catalog

        catalog = load_catalog()
    power = PowerModel.from_catalog(catalog, accelerator, d, power_limit_mw, pue)
    t0 = time.perf_counter()  # the simulation proper: inputs (catalog, failure model) read
    setup = _setup(model, g, nodes, j, job_nodes, horizon_h, spare_nodes, repair_capacity,
                   replica_gpus)
    job = _job_params(setup, recovery, d, checkpoint_interval_min, restart_min, detect_min,
                      checkpoint_gb_per_gpu, storage_gb_per_s_per_gpu, async_checkpoint)
    planned = model.planned_per_day if planned_per_day is None else _number(
        "planned_per_day", planned_per_day, 0)
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)]
    ints, cause, pool = _interrupts(setup, planned, rngs)
    tl = MODES[recovery].timeline(ints, job)
    other = sample_failures(model, nodes - job_nodes, horizon_h, rngs[3])
    series = build_series(setup, tl, ints, pool, power, timestep_min)
    inputs = {"gpus": g, "days": horizon_h / HOURS_PER_DAY, "job_gpus": j,
              "recovery": recovery, "accelerator": accelerator, "seed": seed,
              "failure_rate_per_1000_node_days": model.per_1000_node_days,
              "planned_per_day": planned, "pue": power.pue}
    return _result(setup, job, tl, ints, cause, other, series, power, inputs, t0)


def _setup(model: FailureModel, g: int, nodes: int, j: int, job_nodes: int,
           horizon_h: float, spare_nodes: Any, repair_capacity: Any, replica_gpus: Any) -> Setup:
    d = model.defaults
    if spare_nodes == "auto":
        mean, var, repair_h = _repair_load(model, job_nodes)
        spares = auto_spares(mean, var, horizon_h / repair_h if repair_h else 1.0,
                             d["spare_miss_probability"])
    else:
        spares = int(_number("spare_nodes", spare_nodes, 0, MAX_GPUS))
    cap = None if repair_capacity is None else int(_number("repair_capacity", repair_capacity,
                                                           1, MAX_GPUS))
    rep = int(_number("replica_gpus", replica_gpus, 1, j) if replica_gpus is not None
              else min(model.defaults["replica_gpus"], j))
    return Setup(g, nodes, job_nodes, j, horizon_h, model, spares, cap,
                 max(1, -(-rep // model.gpus_per_node)))


def _job_params(s: Setup, recovery: str, d: dict[str, float], interval: Any, restart: Any,
                detect: Any, gb: Any, storage: Any, is_async: bool) -> JobParams:
    restart_min = _number("restart_min", _default(restart, s.model,
                                                  MODES[recovery].restart_default), 0)
    detect_min = _number("detect_min", _default(detect, s.model, "detect_min"), 0)
    gb = _number("checkpoint_gb_per_gpu", _default(gb, s.model, "checkpoint_gb_per_gpu"), 0)
    bw = _number("storage_gb_per_s_per_gpu",
                 _default(storage, s.model, "storage_gb_per_s_per_gpu"), 0, strict=True)
    block_min, commit_min = _checkpoint_times(recovery, bool(is_async), gb, bw,
                                              d["host_memory_gb_per_s_per_gpu"])
    rate_per_min = s.model.rate_per_node_day * s.job_nodes / (HOURS_PER_DAY * 60.0)
    if recovery == "elastic":  # checkpoints only guard against whole-job stops
        rate_per_min = s.model.planned_per_day / (HOURS_PER_DAY * 60.0)
    mtbi_min = 1.0 / rate_per_min if rate_per_min > 0 else math.inf
    tau_min = choose_interval(interval, block_min, mtbi_min, commit_min)
    return JobParams(s.horizon_h, detect_min / 60, restart_min / 60, tau_min / 60,
                     block_min / 60, commit_min / 60, s.replica_nodes / s.job_nodes,
                     d["elastic_reconfigure_min"] / 60, d["inmemory_restart_min"] / 60)


def _result(s: Setup, job: JobParams, tl: Any, ints: Interrupts, cause: np.ndarray,
            other: Any, series: Any, power: PowerModel, inputs: dict[str, Any],
            t0: float) -> OpsResult:
    T, m = s.horizon_h, s.model
    n_u, n_p = int(ints.fail_h.size), int(ints.planned_h.size)
    by_reason = {k: v * s.job_gpus for k, v in tl.lost_h.items()}
    reasons = {c.id: (c.nodes_affected if c.replace else 0) * c.repair_h for c in m.causes}
    inf_down = sum(reasons[m.causes[i].id] for i in other.cause.tolist()) * m.gpus_per_node
    inference = max((s.gpus - s.job_gpus) * T - inf_down, 0.0)
    useful = tl.useful_h * s.job_gpus
    names = [m.causes[i].id for i in cause.tolist()] + ["planned"] * n_p
    kinds = ["unexpected"] * n_u + ["planned"] * n_p
    times = np.concatenate([ints.fail_h, ints.planned_h])
    order = np.argsort(times, kind="stable")
    events = EventLog(times[order], tuple(names[i] for i in order), tuple(kinds[i] for i in order))
    step = series.step_h
    return OpsResult(
        inputs=inputs,
        interruptions={"total": n_u + n_p, "unexpected": n_u, "planned": n_p,
                       "by_cause": _by_cause(m, cause)},
        ettr=tl.useful_h / T, mtbf_h=T / n_u if n_u else None,
        useful_gpu_hours=useful, lost_gpu_hours=float(sum(by_reason.values())),
        lost_gpu_hours_by_reason=by_reason,
        utilisation=(useful + inference) / (s.gpus * T),
        energy_mwh=float(series.facility_power_mw.sum() * step),
        it_energy_mwh=float(series.it_power_mw.sum() * step),
        mean_facility_power_mw=float(series.facility_power_mw.mean()),
        peak_facility_power_mw=float(series.facility_power_mw.max()),
        max_power_swing_mw=power.swing_mw(s.job_gpus),
        hours_over_power_limit=power.hours_over(series.facility_power_mw, step),
        spare_nodes=s.spares,
        checkpoint={"interval_min": job.tau_h * 60, "blocking_write_min": job.block_h * 60,
                    "commit_min": job.commit_h * 60, "detect_min": job.detect_h * 60,
                    "restart_min": job.restart_h * 60},
        fleet_failures=n_u + int(other.time_h.size), sim_wall_s=time.perf_counter() - t0,
        series=series, events=events)
