"""Many training jobs on one cluster: a scheduler (FIFO, priorities, EASY backfill) and
an inference fleet that absorbs the idle accelerators.

The scheduler is a Python event loop over job-level events (submissions and
completions), because which job starts when depends on simulated state. Each job's own
failures, checkpoints and recovery are simulated, vectorised, by the same models as
:func:`gigawatt.ops.simulate`, from the moment it starts on its nodes until its work is
done. Job i draws from ``SeedSequence(seed).spawn(n)[i]``, so a job's failures do not
depend on the order in which jobs happen to start.
"""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..catalog import Catalog, load_catalog
from ..errors import ValidationError
from ..numfmt import with_units
from . import engine
from .checkpoint import renewal_ettr
from .failures import FailureModel
from .power import PowerModel, _step_h
from .recovery import MODES, Timeline, _truncate, activity

HOURS_PER_DAY = 24.0


@dataclass(frozen=True)
class JobSpec:
    """A training job: accelerators, useful compute it needs (hours at full speed), when it
    is submitted (hours from the start) and its priority (higher first)."""

    id: str
    gpus: int
    work_h: float
    submit_h: float = 0.0
    priority: int = 0


@dataclass(frozen=True)
class Scheduler:
    """A queue order and whether later jobs may backfill around a blocked head."""

    by_priority: bool
    backfill: bool


#: schedulers by name
SCHEDULERS: dict[str, Scheduler] = {
    "fifo": Scheduler(by_priority=False, backfill=False),
    "priority": Scheduler(by_priority=True, backfill=False),
    "backfill": Scheduler(by_priority=True, backfill=True),
}


def _field(row: Any, key: str, where: str, lo: float, default: Any = None) -> float:
    val = row.get(key, default) if isinstance(row, dict) else None
    ok = isinstance(val, (int, float)) and not isinstance(val, bool) and math.isfinite(val)
    if not ok or val < lo:
        raise ValidationError(f"{val!r} is out of range; allowed: a number >= {lo:g}",
                              field=f"{where}.{key}")
    return float(val)


def job_specs(rows: Any, cluster_gpus: int) -> list[JobSpec]:
    """Validate a list of job mappings: ``{id, gpus, work_h | work_days, submit_h,
    priority}``; a job larger than the cluster is refused."""
    if not isinstance(rows, list) or not rows:
        raise ValidationError("jobs must be a non-empty list of {id, gpus, work_h}",
                              field="jobs")
    out = []
    for i, row in enumerate(rows):
        where = f"jobs[{i}]"
        if not isinstance(row, dict):
            raise ValidationError("a job is a mapping {id, gpus, work_h}", field=where)
        unknown = set(row) - {"id", "gpus", "work_h", "work_days", "submit_h", "priority"}
        if unknown:
            raise ValidationError(f"unknown field(s) {sorted(unknown)}; allowed: id, gpus, "
                                  "work_h or work_days, submit_h, priority", field=where)
        gpus = int(_field(row, "gpus", where, 1))
        if gpus > cluster_gpus:
            raise ValidationError(f"{gpus} is larger than the cluster ({cluster_gpus} gpus); "
                                  f"allowed: 1..{cluster_gpus}", field=f"{where}.gpus")
        work = (_field(row, "work_days", where, 0) * HOURS_PER_DAY if "work_days" in row
                else _field(row, "work_h", where, 0))
        if work <= 0:
            raise ValidationError("work_h (or work_days) must be > 0", field=f"{where}.work_h")
        out.append(JobSpec(str(row.get("id", f"job-{i}")), gpus, work,
                           _field(row, "submit_h", where, 0, 0.0),
                           int(_field(row, "priority", where, -1e9, 0))))
    return out


@dataclass(frozen=True)
class JobRun:
    """What happened to one job (hours from the start of the simulation)."""

    spec: JobSpec
    start_h: float | None
    finish_h: float | None
    useful_h: float
    interruptions: int
    lost_h: dict[str, float]
    timeline: Timeline | None

    def to_dict(self) -> dict[str, Any]:
        s = self.spec
        ran = None if self.start_h is None else (self.finish_h or math.nan) - self.start_h
        return {"id": s.id, "gpus": s.gpus, "priority": s.priority, "work_h": s.work_h,
                "submit_h": s.submit_h, "start_h": self.start_h, "finish_h": self.finish_h,
                "wait_h": None if self.start_h is None else self.start_h - s.submit_h,
                "useful_h": self.useful_h, "completed": self.finish_h is not None,
                "ettr": self.useful_h / ran if ran and math.isfinite(ran) else None,
                "interruptions": self.interruptions,
                "lost_gpu_hours": {k: v * s.gpus for k, v in self.lost_h.items()}}


@dataclass
class _Context:
    model: FailureModel
    recovery: str
    kw: dict[str, Any]
    horizon_h: float
    seeds: list[np.random.SeedSequence] = field(default_factory=list)


def _estimate_h(ctx: _Context, spec: JobSpec) -> float:
    """Wall time the scheduler expects (renewal-theory ETTR of the job's failure rate)."""
    nodes = -(-spec.gpus // ctx.model.gpus_per_node)
    rate_h = ctx.model.rate_per_node_day * nodes / HOURS_PER_DAY
    d = ctx.model.defaults
    down_h = (d["detect_min"] + d["restart_min"]) / 60.0
    tau_h = math.sqrt(2 * (1 / 1800.0) / rate_h) if rate_h > 0 else math.inf
    ettr = renewal_ettr(rate_h, tau_h, 1 / 1800.0, down_h) if rate_h > 0 else 1.0
    return spec.work_h / max(ettr, 0.02)


def _run_job(ctx: _Context, i: int, spec: JobSpec, start_h: float) -> JobRun:
    """Simulate job i from ``start_h`` until its work is done or the horizon."""
    remaining = ctx.horizon_h - start_h
    rngs = [np.random.default_rng(s) for s in ctx.seeds[i].spawn(3)]
    nodes = -(-spec.gpus // ctx.model.gpus_per_node)
    window = min(remaining, 2.0 * _estimate_h(ctx, spec) + 24.0)
    while True:
        setup = engine._setup(ctx.model, spec.gpus, nodes, spec.gpus, nodes, window,
                              ctx.kw["spare_nodes"], ctx.kw["repair_capacity"],
                              ctx.kw["replica_gpus"])
        job = engine._job_params(setup, ctx.recovery, ctx.model.defaults, *ctx.kw["job"])
        ints, _, _ = engine._interrupts(setup, ctx.model.planned_per_day, rngs)
        fin = MODES[ctx.recovery].finish(ints, job, spec.work_h)
        if fin is not None or window >= remaining:
            break
        window = min(2.0 * window, remaining)
    end = window if fin is None else fin
    ints = _truncate(ints, end)
    tl = MODES[ctx.recovery].timeline(ints, job.__class__(**{**job.__dict__, "horizon_h": end}))
    shifted = Timeline(tl.useful_h, tl.lost_h, tl.seg_start_h + start_h,
                       tl.seg_end_h + start_h, tl.seg_weight, tl.duty)
    return JobRun(spec, start_h, None if fin is None else start_h + fin,
                  min(tl.useful_h, spec.work_h), int(ints.fail_h.size + ints.planned_h.size),
                  tl.lost_h, shifted)


class _Cluster:
    """The scheduler's state: free nodes, queue, running jobs (by actual and expected end)."""

    def __init__(self, ctx: _Context, specs: list[JobSpec], nodes: int, sched: Scheduler):
        self.ctx, self.specs, self.free, self.sched = ctx, specs, nodes, sched
        self.need = [-(-s.gpus // ctx.model.gpus_per_node) for s in specs]
        self.est = [_estimate_h(ctx, s) for s in specs]
        self.queue: list[int] = []
        self.running: list[tuple[float, int]] = []  # heap of (actual finish, job)
        self.expected_end: dict[int, float] = {}
        self.runs: dict[int, JobRun] = {}

    def key(self, i: int) -> tuple:
        s = self.specs[i]
        return ((-s.priority if self.sched.by_priority else 0), s.submit_h, i)

    def start(self, i: int, now: float) -> None:
        run = _run_job(self.ctx, i, self.specs[i], now)
        self.runs[i] = run
        self.free -= self.need[i]
        self.queue.remove(i)
        heapq.heappush(self.running, (run.finish_h if run.finish_h is not None else math.inf, i))
        self.expected_end[i] = now + self.est[i]

    def reservation(self, head: int, now: float) -> tuple[float, int]:
        """EASY backfill: when the head job can start (expected) and the nodes spare then."""
        free, shadow = self.free, math.inf
        for end, i in sorted((max(e, now), i) for i, e in self.expected_end.items()):
            free += self.need[i]
            if free >= self.need[head]:
                shadow = end
                break
        return shadow, free - self.need[head]

    def schedule(self, now: float) -> None:
        self.queue.sort(key=self.key)
        while self.queue and self.need[self.queue[0]] <= self.free:
            self.start(self.queue[0], now)
        if not (self.queue and self.sched.backfill):
            return
        shadow, extra = self.reservation(self.queue[0], now)
        for i in list(self.queue[1:]):
            if self.need[i] > self.free:
                continue
            ends_before = now + self.est[i] <= shadow
            if ends_before or self.need[i] <= extra:
                if not ends_before:
                    extra -= self.need[i]
                self.start(i, now)

    def finish_until(self, now: float) -> None:
        while self.running and self.running[0][0] <= now:
            _, i = heapq.heappop(self.running)
            self.free += self.need[i]
            self.expected_end.pop(i, None)


def _event_loop(cl: _Cluster, horizon_h: float) -> None:
    arrivals = sorted(range(len(cl.specs)), key=lambda i: (cl.specs[i].submit_h, i))
    k, now = 0, 0.0
    while True:
        while k < len(arrivals) and cl.specs[arrivals[k]].submit_h <= now:
            cl.queue.append(arrivals[k])
            k += 1
        cl.schedule(now)
        nxt = min(cl.specs[arrivals[k]].submit_h if k < len(arrivals) else math.inf,
                  cl.running[0][0] if cl.running else math.inf)
        if nxt >= horizon_h:
            return
        now = nxt
        cl.finish_until(now)


@dataclass(frozen=True, eq=False)
class ScheduleResult:
    """Outcome of :func:`simulate_jobs`: per-job runs, totals and time series."""

    jobs: tuple[JobRun, ...]
    totals: dict[str, Any]
    series: dict[str, np.ndarray]
    step_h: float
    sim_wall_s: float

    def to_dict(self, timings: bool = False) -> dict[str, Any]:
        """The JSON document; ``sim_wall_s`` only with ``timings`` (not deterministic)."""
        return {"totals": self.totals, "jobs": [j.to_dict() for j in self.jobs],
                **({"sim_wall_s": self.sim_wall_s} if timings else {})}

    def to_frame(self):  # -> pandas.DataFrame
        """Time series: accelerators training and serving inference, power."""
        import pandas as pd

        df = pd.DataFrame(self.series)
        df.attrs["step_h"] = self.step_h
        return with_units(df, {"training_gpus": "accelerators", "inference_gpus": "accelerators"})

    def jobs_frame(self):  # -> pandas.DataFrame
        import pandas as pd

        return with_units(pd.DataFrame([{k: v for k, v in j.to_dict().items()
                                         if k != "lost_gpu_hours"} for j in self.jobs]))


def _series(runs: list[JobRun], gpus: int, horizon_h: float, power: PowerModel,
            inference: bool) -> tuple[dict[str, np.ndarray], float]:
    step = _step_h(horizon_h, None)
    edges = np.append(np.arange(0.0, horizon_h, step), horizon_h)
    alloc = np.zeros(edges.size - 1)
    busy = np.zeros(edges.size - 1)
    for r in runs:
        if r.start_h is None:
            continue
        end = r.finish_h if r.finish_h is not None else horizon_h
        window = Timeline(0.0, {}, np.array([r.start_h]), np.array([end]), np.ones(1), 1.0)
        alloc += r.spec.gpus * activity(edges, window)
        computing = 1.0 - (1.0 - power.checkpoint_fraction) * (1.0 - r.timeline.duty)
        busy += r.spec.gpus * np.clip(activity(edges, r.timeline), 0, 1) * computing
    idle_gpus = np.clip(gpus - alloc, 0.0, None)
    f = power.idle_fraction
    unit = power.all_in_w / 1e6
    it = unit * (alloc * f + busy * (1 - f) + idle_gpus * (1.0 if inference else f))
    return {"time_h": edges[:-1], "training_gpus": alloc, "inference_gpus":
            idle_gpus if inference else np.zeros_like(idle_gpus), "it_power_mw": it,
            "facility_power_mw": it * power.pue}, step


def simulate_jobs(gpus: int, days: float, jobs: Any, *, scheduler: str = "backfill",
                  recovery: str = "restart", seed: int = 0, inference: bool = True,
                  failure_rate: float | None = None, failure_multiplier: float = 1.0,
                  checkpoint_interval_min: float | str = "auto",
                  restart_min: float | None = None, detect_min: float | None = None,
                  spare_nodes: int | str = "auto", repair_capacity: int | None = None,
                  checkpoint_gb_per_gpu: float | None = None,
                  storage_gb_per_s_per_gpu: float | None = None,
                  async_checkpoint: bool = False, replica_gpus: int | None = None,
                  accelerator: str = "h100-sxm", catalog: Catalog | None = None,
                  failure_model: FailureModel | None = None) -> ScheduleResult:
    """Simulate many training jobs sharing a cluster of ``gpus`` accelerators.

    Parameters
    ----------
    gpus, days : cluster size (8 per node) and simulated time, days.
    jobs : list of mappings ``{id, gpus, work_h | work_days, submit_h, priority}``; work
        is useful compute at full speed, hours (or days).
    scheduler : "fifo" (submission order), "priority" (higher priority first, FIFO
        within), "backfill" (priority order with EASY backfill: a later job may start on
        idle nodes if it does not delay the expected start of the blocked head job).
    recovery, failure_rate, ... : as :func:`gigawatt.ops.simulate`, per job.
    inference : idle accelerators serve inference (full power) rather than idle.

    Returns
    -------
    ScheduleResult
    """
    t0 = time.perf_counter()
    if scheduler not in SCHEDULERS:
        raise ValidationError(f"{scheduler!r} is not allowed; allowed: "
                              f"{', '.join(SCHEDULERS)}", field="scheduler")
    if recovery not in MODES:
        raise ValidationError(f"{recovery!r} is not allowed; allowed: {', '.join(MODES)}",
                              field="recovery")
    model = engine._model(failure_model, failure_rate, failure_multiplier, "exponential", 1.0)
    g, nodes, _, _, horizon_h = engine._sizes(gpus, None, days, model.gpus_per_node)
    specs = job_specs(jobs, g)
    seed = int(engine._number("seed", seed, 0, 2**63 - 1))
    power = PowerModel.from_catalog(catalog or load_catalog(), accelerator, model.defaults, None)
    kw = {"spare_nodes": spare_nodes, "repair_capacity": repair_capacity,
          "replica_gpus": replica_gpus,
          "job": (checkpoint_interval_min, restart_min, detect_min, checkpoint_gb_per_gpu,
                  storage_gb_per_s_per_gpu, async_checkpoint)}
    ctx = _Context(model, recovery, kw, horizon_h,
                   list(np.random.SeedSequence(seed).spawn(len(specs))))
    cl = _Cluster(ctx, specs, nodes, SCHEDULERS[scheduler])
    _event_loop(cl, horizon_h)
    runs = [cl.runs.get(i, JobRun(s, None, None, 0.0, 0, {}, None)) for i, s in enumerate(specs)]
    series, step = _series(runs, g, horizon_h, power, inference)
    return ScheduleResult(tuple(runs), _totals(runs, g, horizon_h, series, step), series, step,
                          time.perf_counter() - t0)


def _totals(runs: list[JobRun], gpus: int, horizon_h: float, series: dict[str, np.ndarray],
            step: float) -> dict[str, Any]:
    useful = sum(r.useful_h * r.spec.gpus for r in runs)
    waits = [r.start_h - r.spec.submit_h for r in runs if r.start_h is not None]
    done = [r.finish_h for r in runs if r.finish_h is not None]
    inf_h = float(series["inference_gpus"].sum() * step)
    return {"gpus": gpus, "days": horizon_h / HOURS_PER_DAY, "jobs": len(runs),
            "jobs_started": len(waits), "jobs_completed": len(done),
            "mean_wait_h": float(np.mean(waits)) if waits else None,
            "makespan_h": max(done) if len(done) == len(runs) else None,
            "useful_training_gpu_hours": useful,
            "allocated_training_gpu_hours": float(series["training_gpus"].sum() * step),
            "inference_gpu_hours": inf_h,
            "training_goodput": useful / (gpus * horizon_h),
            "utilisation": (useful + inf_h) / (gpus * horizon_h),
            "energy_mwh": float(series["facility_power_mw"].sum() * step),
            "peak_facility_power_mw": float(series["facility_power_mw"].max())}
