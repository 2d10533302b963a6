"""Recovery modes: how a synchronous training job turns interruptions into lost time.

Each mode maps the sampled interruptions of one job (with the time its replacement nodes
are ready) to a :class:`Timeline`: useful job-hours, lost job-hours by reason, and the
job's activity as weighted segments (for the power time series). All times in hours;
"job-hours" are hours of the whole job's width (multiply by its accelerators for
GPU-hours). The timelines are vectorised over interruptions; see each function for the
renewal argument it implements.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class JobParams:
    """Times of one job's recovery model, hours (replica_fraction: one data-parallel
    group's share of the job's width)."""

    horizon_h: float
    detect_h: float
    restart_h: float
    tau_h: float
    block_h: float
    commit_h: float
    replica_fraction: float = 1.0
    reconfigure_h: float = 0.0
    join_h: float = 0.0


@dataclass(frozen=True)
class Timeline:
    """Outcome of a recovery mode for one job (job-width hours)."""

    useful_h: float
    lost_h: dict[str, float]
    seg_start_h: np.ndarray
    seg_end_h: np.ndarray
    seg_weight: np.ndarray
    duty: float


@dataclass(frozen=True)
class Interrupts:
    """Interruptions of one job: unexpected failures (time, spare-ready time, data-parallel
    groups hit) and planned stops (time)."""

    fail_h: np.ndarray
    ready_h: np.ndarray
    groups: np.ndarray
    planned_h: np.ndarray


def _checkpoint_split(run: np.ndarray, p: JobParams) -> tuple[np.ndarray, np.ndarray]:
    """Per run segment: (blocking checkpoint time, committed useful time).

    The job computes tau, blocks for the write (or the snapshot, when asynchronous), and
    a checkpoint counts once committed, ``commit_h`` after its blocking part ends.
    """
    if not math.isfinite(p.tau_h):
        return np.zeros_like(run), np.zeros_like(run)
    cycle = p.tau_h + p.block_h
    blocks = np.floor(run / cycle)
    partial = run - blocks * cycle
    overhead = blocks * p.block_h + np.clip(partial - p.tau_h, 0.0, p.block_h)
    committed = np.floor(np.clip(run - p.commit_h, 0.0, None) / cycle) * p.tau_h
    return overhead, committed


@dataclass(frozen=True)
class _Segments:
    """Per interruption-delimited interval of the rollback model (hours)."""

    starts: np.ndarray
    run: np.ndarray
    compute: np.ndarray
    useful: np.ndarray
    overhead: np.ndarray
    down: np.ndarray
    wait: np.ndarray
    kind: np.ndarray


def _rollback_segments(ints: Interrupts, p: JobParams) -> _Segments:
    t = np.concatenate([ints.fail_h, ints.planned_h])
    kind = np.concatenate([np.zeros(ints.fail_h.size, np.int8),
                           np.ones(ints.planned_h.size, np.int8)])
    ready = np.concatenate([ints.ready_h, ints.planned_h])
    order = np.argsort(t, kind="stable")
    t, kind, ready = t[order], kind[order], ready[order]
    detect = np.where(kind == 0, p.detect_h, 0.0)
    cmr = np.maximum.accumulate(ready) if t.size else ready
    resume = np.maximum(t + detect, cmr) + p.restart_h
    nxt = np.append(t[1:], p.horizon_h)
    down = np.clip(np.minimum(resume, nxt) - t, 0.0, None)
    wait = np.minimum(np.clip(cmr - (t + detect), 0.0, None), down)
    starts = np.concatenate([[0.0], resume])
    run = np.clip(np.append(t, p.horizon_h) - starts, 0.0, None)
    overhead, committed = _checkpoint_split(run, p)
    compute = run - overhead
    useful = np.where(np.append(kind == 0, False), committed, compute)
    return _Segments(starts, run, compute, useful, overhead, down, wait, kind)


def rollback(ints: Interrupts, p: JobParams) -> Timeline:
    """Stop everything and roll back to the last checkpoint (storage or in-memory).

    After an unexpected failure at t the job resumes at max(t + detect, spares ready) +
    restart; a failure during recovery starts it again. Each run segment computes and
    checkpoints; at a failure, work since the last committed checkpoint is rework. A
    planned stop checkpoints first (no rework) and costs a restart.
    """
    g = _rollback_segments(ints, p)
    lost = {"rework": float((g.compute - g.useful).sum()),
            "restart": float((g.down - g.wait)[g.kind == 0].sum()),
            "waiting_for_spares": float(g.wait.sum()),
            "planned": float((g.down - g.wait)[g.kind == 1].sum()),
            "checkpoint": float(g.overhead.sum()),
            "degraded": 0.0}
    live = g.run > 0
    return Timeline(float(g.useful.sum()), lost, g.starts[live], g.starts[live] + g.run[live],
                    np.ones(int(live.sum())), _duty(p))


def rollback_finish(ints: Interrupts, p: JobParams, work_h: float) -> float | None:
    """When the job has computed ``work_h`` hours of useful work (None: not by the horizon).

    The job ends in the first run segment where the work kept so far plus what the
    segment computes reaches ``work_h``; inside it, each full interval before the end
    also pays its blocking checkpoint.
    """
    g = _rollback_segments(ints, p)
    before = np.cumsum(g.useful) - g.useful
    done = np.flatnonzero(before + g.compute >= work_h - 1e-12)
    if done.size == 0:
        return None
    i = int(done[0])
    rest = max(work_h - float(before[i]), 0.0)
    blocks = max(math.ceil(rest / p.tau_h) - 1, 0) if math.isfinite(p.tau_h) else 0
    return float(g.starts[i] + rest + blocks * p.block_h)


def _truncate(ints: Interrupts, h: float) -> Interrupts:
    f, q = ints.fail_h < h, ints.planned_h < h
    return Interrupts(ints.fail_h[f], ints.ready_h[f], ints.groups[f], ints.planned_h[q])


def monotone_finish(timeline: Callable[[Interrupts, JobParams], Timeline], ints: Interrupts,
                    p: JobParams, work_h: float) -> float | None:
    """Finish time by bisection for modes without roll-back (useful work only grows)."""
    if timeline(ints, p).useful_h < work_h:
        return None
    lo, hi = 0.0, p.horizon_h
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        q = JobParams(**{**p.__dict__, "horizon_h": mid})
        if timeline(_truncate(ints, mid), q).useful_h >= work_h:
            hi = mid
        else:
            lo = mid
    return hi


def _duty(p: JobParams) -> float:
    """Fraction of running time spent computing rather than blocked on checkpoints."""
    return p.tau_h / (p.tau_h + p.block_h) if math.isfinite(p.tau_h) else 1.0


def _union(start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge intervals into disjoint sorted ones."""
    if start.size == 0:
        return start, end
    order = np.argsort(start, kind="stable")
    s, e = start[order], np.maximum.accumulate(end[order])
    new = np.ones(s.size, bool)
    new[1:] = s[1:] > e[:-1]
    first = np.flatnonzero(new)
    last = np.append(first[1:] - 1, s.size - 1)
    return s[first], e[last]


def _covered(x: np.ndarray, s: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Length of the disjoint sorted intervals [s, e) that lies before each x."""
    if s.size == 0:
        return np.zeros_like(x)
    cum = np.concatenate([[0.0], np.cumsum(e - s)])
    k = np.searchsorted(s, x, side="right")
    last = np.maximum(k - 1, 0)
    part = np.where(k > 0, np.clip(x - s[last], 0.0, (e - s)[last]), 0.0)
    return cum[np.maximum(k - 1, 0)] * (k > 0) + part


def elastic(ints: Interrupts, p: JobParams) -> Timeline:
    """Elastic recovery: only the failed data-parallel groups drop out.

    A failure stalls the whole job for detection and reconfiguration; the job then runs
    without the failed groups (their state is restored from the other replicas, so
    nothing is rolled back) until a warm standby on a spare node joins. Planned stops
    stop the whole job for a restart. Storage checkpoints are kept for durability.
    """
    T = p.horizon_h
    stall_end = ints.fail_h + p.detect_h + p.reconfigure_h
    us, ue = _union(ints.fail_h, np.minimum(stall_end, T))
    a_s, a_e = _union(np.concatenate([ints.fail_h, ints.planned_h]),
                      np.minimum(np.concatenate([stall_end, ints.planned_h + p.restart_h]), T))
    width = np.minimum(ints.groups * p.replica_fraction, 1.0)
    d_start = np.minimum(stall_end, T)
    d_end = np.minimum(np.maximum(stall_end, ints.ready_h) + p.join_h, T)
    w_end = np.clip(np.minimum(ints.ready_h, T), d_start, None)
    stopped = float((a_e - a_s).sum())
    active_s, active_e = np.concatenate([[0.0], a_e]), np.append(a_s, T)
    ok = active_e > active_s
    duty = _duty(p)
    ckpt = (T - stopped) * (1.0 - duty)

    def running(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        # time in [a, b) when the whole job is not stopped
        return (b - a) - (_covered(b, a_s, a_e) - _covered(a, a_s, a_e))

    # missing groups only cost time while the rest of the job runs; never more than all
    room = max(T - stopped - ckpt, 0.0)
    degraded = min(float((width * running(d_start, d_end)).sum()), room)
    wait = min(float((width * running(d_start, w_end)).sum()), degraded)
    lost = {"rework": 0.0, "restart": float((ue - us).sum()), "waiting_for_spares": wait,
            "planned": stopped - float((ue - us).sum()), "checkpoint": ckpt,
            "degraded": degraded - wait}
    seg_s = np.concatenate([active_s[ok], d_start])
    seg_e = np.concatenate([active_e[ok], d_end])
    seg_w = np.concatenate([np.ones(int(ok.sum())), -width])
    useful = max(T - stopped - ckpt - degraded, 0.0)
    return Timeline(useful, lost, seg_s, seg_e, seg_w, duty)


@dataclass(frozen=True)
class RecoveryMode:
    """A recovery mode: its timeline and where its checkpoints go."""

    timeline: Callable[[Interrupts, JobParams], Timeline]
    finish: Callable[[Interrupts, JobParams, float], float | None]
    restart_default: str
    checkpoint_to: str
    description: str


def elastic_finish(ints: Interrupts, p: JobParams, work_h: float) -> float | None:
    """Finish time of an elastic job (its useful work never rolls back)."""
    return monotone_finish(elastic, ints, p, work_h)


#: recovery modes by name (the CLI's --recovery)
MODES: dict[str, RecoveryMode] = {
    "restart": RecoveryMode(rollback, rollback_finish, "restart_min", "storage",
                            "full restart from the last storage checkpoint"),
    "in-memory": RecoveryMode(rollback, rollback_finish, "inmemory_restart_min", "memory",
                              "restart from in-memory replicas of the last checkpoint"),
    "elastic": RecoveryMode(elastic, elastic_finish, "restart_min", "storage",
                            "failed data-parallel group drops out, warm standby joins"),
}


def activity(edges_h: np.ndarray, tl: Timeline) -> np.ndarray:
    """Mean job activity (1: full width computing or checkpointing) in each bin."""
    s, e, w = tl.seg_start_h, tl.seg_end_h, tl.seg_weight

    def integral(at: np.ndarray, x: np.ndarray) -> np.ndarray:
        # sum_i w_i * max(at - x_i, 0), for every value of ``at``
        order = np.argsort(x, kind="stable")
        xs, ws = x[order], w[order]
        cw = np.concatenate([[0.0], np.cumsum(ws)])
        cwx = np.concatenate([[0.0], np.cumsum(ws * xs)])
        k = np.searchsorted(xs, at, side="right")
        return at * cw[k] - cwx[k]

    area = integral(edges_h, s) - integral(edges_h, e)
    return np.diff(area) / np.diff(edges_h)
