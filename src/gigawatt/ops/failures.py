"""Failure model: causes with cited rates, and sampling of failure and maintenance events.

The default model (``data/failures.yaml``) is calibrated from the Llama 3 54-day snapshot
on 16,384 H100 GPUs: each cause's rate is its count of unexpected job interruptions over
the snapshot's exposure in node-days. Failure times are sampled with numpy (Poisson
superposition for exponential lifetimes, per-node renewal processes for Weibull ones), so
that the event loop only handles what depends on simulated state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ValidationError
from ..limits import MAX_EVENTS
from ..yamlio import path_key, read_yaml

DATA_FILE = Path(__file__).resolve().parent / "data" / "failures.yaml"
HOURS_PER_DAY = 24.0
LIFETIMES = ("exponential", "weibull")


@dataclass(frozen=True)
class Cause:
    """One root cause of unexpected interruptions.

    Attributes
    ----------
    id, name, category : identifiers and the source's grouping.
    rate_per_node_day : events per node (8 accelerators) per day.
    replace : whether the affected nodes leave service for repair (hot-spare swap).
    nodes_affected : nodes taken out by one event (correlated failures > 1).
    repair_h : mean time to repair, hours.
    lifetime : ``exponential`` or ``weibull``; ``weibull_shape`` is its shape k.
    source : source id of the rate.
    """

    id: str
    name: str
    category: str
    rate_per_node_day: float
    replace: bool
    nodes_affected: int
    repair_h: float
    lifetime: str = "exponential"
    weibull_shape: float = 1.0
    source: str = ""


@dataclass(frozen=True)
class FailureModel:
    """Causes of unexpected interruptions, the planned-maintenance rate and job defaults."""

    causes: tuple[Cause, ...]
    planned_per_day: float
    gpus_per_node: int
    defaults: dict[str, float] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def rate_per_node_day(self) -> float:
        """Total unexpected interruptions per node-day."""
        return float(sum(c.rate_per_node_day for c in self.causes))

    @property
    def per_1000_node_days(self) -> float:
        """Total unexpected interruptions per 1000 node-days (the CLI's --failure-rate)."""
        return 1000.0 * self.rate_per_node_day

    def scaled(self, factor: float) -> "FailureModel":
        """The same mix of causes with every unexpected rate multiplied by ``factor``."""
        if not (factor >= 0 and math.isfinite(factor)):
            raise ValidationError(f"{factor!r} is out of range; "
                                  "allowed: >= 0 and finite", field="failure_multiplier")
        causes = tuple(replace(c, rate_per_node_day=c.rate_per_node_day * factor)
                       for c in self.causes)
        return replace(self, causes=causes)

    def with_lifetime(self, lifetime: str, shape: float) -> "FailureModel":
        """Every cause with the given lifetime distribution (same mean rate)."""
        if lifetime not in LIFETIMES:
            raise ValidationError(f"{lifetime!r} is not allowed; allowed: "
                                  f"{', '.join(LIFETIMES)}", field="lifetime")
        if not shape > 0:
            raise ValidationError(f"{shape!r} is out of range; allowed: > 0",
                                  field="weibull_shape")
        causes = tuple(replace(c, lifetime=lifetime, weibull_shape=shape) for c in self.causes)
        return replace(self, causes=causes)

    def to_dict(self) -> dict[str, Any]:
        return {"per_1000_node_days": self.per_1000_node_days,
                "planned_per_day": self.planned_per_day,
                "causes": [c.__dict__ for c in self.causes]}


def _value(entry: Any) -> float:
    return float(entry["value"] if isinstance(entry, dict) else entry)


def _get(doc: Any, path: list[Any], lo: float | None = None, strict: bool = False) -> Any:
    """The value at ``path`` in a failure-model file; errors name the file, line, field."""
    node = doc.data
    try:
        for key in path:
            node = node[key]
    except (KeyError, IndexError, TypeError):
        raise ValidationError("required field is missing", file=doc.file,
                              line=doc.line_of(path), field=path_key(path)) from None
    if lo is None:
        return node
    ok = isinstance(node, (int, float)) and not isinstance(node, bool) and math.isfinite(node)
    if not ok or (node <= lo if strict else node < lo):
        raise ValidationError(f"{node!r} is out of range; allowed: {'>' if strict else '>='} "
                              f"{lo:g}", file=doc.file, line=doc.line_of(path),
                              field=path_key(path))
    return float(node)


def _cause(doc: Any, i: int, exposure: float) -> Cause:
    at = ["causes", i]
    c = _get(doc, at)
    lifetime = c.get("lifetime", "exponential") if isinstance(c, dict) else None
    if lifetime not in LIFETIMES:
        raise ValidationError(f"{lifetime!r} is not allowed; allowed: {', '.join(LIFETIMES)}",
                              file=doc.file, line=doc.line_of(at + ["lifetime"]),
                              field=path_key(at + ["lifetime"]))
    shape = _get(doc, at + ["weibull_shape"], 0, strict=True) if "weibull_shape" in c else 1.0
    return Cause(id=str(_get(doc, at + ["id"])), name=str(_get(doc, at + ["name"])),
                 category=str(_get(doc, at + ["category"])),
                 rate_per_node_day=_get(doc, at + ["count"], 0) / exposure,
                 replace=bool(_get(doc, at + ["replace"])),
                 nodes_affected=int(_get(doc, at + ["nodes_affected"], 0)),
                 repair_h=_get(doc, at + ["repair_h"], 0), lifetime=lifetime,
                 weibull_shape=shape, source=str(_get(doc, at + ["source"])))


@lru_cache(maxsize=4)
def load_failure_model(path: str | None = None) -> FailureModel:
    """Load a failure model file (default: the calibrated fleet model).

    Rates are the published counts over the exposure in node-days. A malformed file
    raises :class:`ValidationError` naming the file, line and field.
    """
    doc = read_yaml(path or DATA_FILE)
    exposure = _get(doc, ["exposure", "node_days"], 0, strict=True)
    causes = tuple(_cause(doc, i, exposure) for i in range(len(_get(doc, ["causes"]))))
    planned = _get(doc, ["planned", "count"], 0) / _get(doc, ["planned", "days"], 0,
                                                        strict=True)
    defaults = {k: _value(v) for k, v in (doc.data.get("defaults") or {}).items()}
    missing = sorted(set(DEFAULT_KEYS) - set(defaults))
    if missing:
        raise ValidationError(f"defaults is missing {', '.join(missing)}", file=doc.file,
                              line=doc.line_of(["defaults"]), field="defaults")
    sources = {s["id"]: s["title"] for s in doc.data.get("sources", [])}
    gpn = int(_get(doc, ["exposure", "gpus_per_node"], 1))
    return FailureModel(causes, planned, gpn, defaults, sources)


#: job and recovery defaults a failure-model file must give
DEFAULT_KEYS = ("detect_min", "restart_min", "inmemory_restart_min", "elastic_reconfigure_min",
                "checkpoint_gb_per_gpu", "storage_gb_per_s_per_gpu",
                "host_memory_gb_per_s_per_gpu", "replica_gpus", "idle_power_fraction",
                "checkpoint_power_fraction", "spare_miss_probability")


@dataclass(frozen=True)
class Events:
    """Sampled unexpected failures on a set of nodes: sorted times and cause indices."""

    time_h: np.ndarray
    cause: np.ndarray


def _poisson_events(rate_per_h: np.ndarray, horizon_h: float,
                    rng: np.random.Generator) -> Events:
    """Superposed exponential processes: a Poisson count, uniform times, causes by share."""
    total = float(rate_per_h.sum())
    n = int(rng.poisson(total * horizon_h)) if total > 0 else 0
    times = np.sort(rng.random(n) * horizon_h)
    cum = np.cumsum(rate_per_h) / total if total > 0 else np.ones(1)
    cause = np.searchsorted(cum, rng.random(n), side="right").astype(np.int64)
    return Events(times, np.minimum(cause, len(rate_per_h) - 1))


def renewal_times(nodes: int, rate_per_h: float, shape: float, horizon_h: float,
                  rng: np.random.Generator) -> np.ndarray:
    """Event times of ``nodes`` independent Weibull renewal processes (mean 1/rate).

    A failed node is replaced by a fresh one, so each node slot is a renewal process.
    Drawn in vectorised rounds: each round extends every slot not yet past the horizon.
    """
    if nodes == 0 or rate_per_h <= 0:
        return np.empty(0)
    scale = 1.0 / (rate_per_h * math.gamma(1.0 + 1.0 / shape))
    mean = rate_per_h * horizon_h
    k = max(2, int(math.ceil(mean + 4.0 * math.sqrt(mean) + 1)))
    start = np.zeros(nodes)
    out = []
    while start.size:
        t = start[:, None] + np.cumsum(scale * rng.weibull(shape, (start.size, k)), axis=1)
        out.append(t[t < horizon_h])
        last = t[:, -1]
        start = last[last < horizon_h]
    return np.concatenate(out)


def sample_failures(model: FailureModel, nodes: int, horizon_h: float,
                    rng: np.random.Generator) -> Events:
    """Unexpected failure events on ``nodes`` nodes over ``horizon_h`` hours.

    Raises
    ------
    ValidationError
        The expected number of events exceeds :data:`gigawatt.limits.MAX_EVENTS` (a
        memory bound: each event is a few array entries).
    """
    rates = np.array([c.rate_per_node_day for c in model.causes]) * nodes / HOURS_PER_DAY
    expected = float(rates.sum() * horizon_h)
    if not expected <= MAX_EVENTS:
        raise ValidationError(
            f"{model.per_1000_node_days:.4g} failures per 1000 node-days on {nodes:,} nodes "
            f"over {horizon_h / HOURS_PER_DAY:,.4g} days means ~{expected:.3g} failures to "
            f"simulate; allowed: at most {MAX_EVENTS:.0e} (lower the failure rate, the "
            "cluster or the days)", field="failure_rate")
    weib = np.array([c.lifetime == "weibull" and c.weibull_shape != 1.0
                     for c in model.causes])
    ev = _poisson_events(np.where(weib, 0.0, rates), horizon_h, rng)
    if not weib.any():
        return ev
    times, causes = [ev.time_h], [ev.cause]
    for i in np.flatnonzero(weib):
        c = model.causes[i]
        t = renewal_times(nodes, c.rate_per_node_day / HOURS_PER_DAY, c.weibull_shape,
                          horizon_h, rng)
        times.append(t)
        causes.append(np.full(t.size, i, dtype=np.int64))
    t, c = np.concatenate(times), np.concatenate(causes)
    order = np.argsort(t, kind="stable")
    return Events(t[order], c[order])


def sample_planned(per_day: float, horizon_h: float, rng: np.random.Generator) -> np.ndarray:
    """Planned maintenance stops of one job: a Poisson process, sorted times in hours."""
    n = int(rng.poisson(per_day * horizon_h / HOURS_PER_DAY)) if per_day > 0 else 0
    return np.sort(rng.random(n) * horizon_h)
