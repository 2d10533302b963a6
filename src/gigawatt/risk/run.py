"""Run a Monte Carlo analysis: sample draws, evaluate them on an executor, summarise.

The model of the world is anything with ``outcome_names``, ``primary_outcome``,
``milestones()`` and ``evaluate(x) -> outcomes`` for one input vector (one value per
uncertainty, in the scenario's order). :mod:`gigawatt.risk.model` builds the one for a
scenario (fixed plan or re-solve); tests pass small ones of their own.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol, Sequence

import numpy as np

from ..errors import ValidationError
from ..scenario import Uncertainty
from .analysis import milestone_probability, tornado
from .distributions import median_values, quantile, transform
from .executors import ChunkResult, Progress, get_executor, run_draws
from .result import Milestone, RiskResult
from .seeding import check_seed, draw_uniforms

#: Largest run accepted (memory: draws x (inputs + outcomes) floats stay small).
MAX_DRAWS = 10_000_000


class RiskModel(Protocol):
    """A world model: maps one input vector to one outcome vector (pure, picklable)."""

    outcome_names: list[str]
    primary_outcome: str

    def evaluate(self, x: np.ndarray) -> np.ndarray: ...

    def milestones(self) -> list[Milestone]: ...


@dataclass(frozen=True)
class DrawEvaluator:
    """Evaluates items ``start..stop-1``: Monte Carlo draws, then optional given rows.

    Items ``0..draws-1`` are draws (per-draw uniforms -> inputs -> outcomes); items from
    ``draws`` on are the rows of ``extra`` (the tornado's one-at-a-time points), so one
    executor run covers both. ``draws=None``: every item is a draw.
    """

    model: Any
    uncertainties: tuple[Uncertainty, ...]
    draws: int | None = None
    extra: np.ndarray | None = None

    def evaluate_chunk(self, seed: int, start: int, stop: int) -> ChunkResult:
        n = stop if self.draws is None else self.draws
        parts = []
        if min(stop, n) > start:
            u = draw_uniforms(seed, start, min(stop, n), len(self.uncertainties))
            parts.append(transform(list(self.uncertainties), u) if self.uncertainties else u)
        if stop > max(start, n):
            parts.append(self.extra[max(start, n) - n:stop - n])
        x = np.vstack(parts)
        return ChunkResult(start, stop, x, _evaluate_rows(self.model, x))


def _evaluate_rows(model: Any, x: np.ndarray) -> np.ndarray:
    many = getattr(model, "evaluate_many", None)
    if many is not None:
        return np.asarray(many(x), dtype=float)
    return np.array([model.evaluate(row) for row in x], dtype=float).reshape(
        len(x), len(model.outcome_names))


def check_draws(draws: int) -> int:
    """``draws`` must be an integer in 1..MAX_DRAWS."""
    if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or not (
            1 <= draws <= MAX_DRAWS):
        raise ValidationError(f"draws = {draws!r}; allowed: an integer 1..{MAX_DRAWS:,}",
                              field="draws")
    return int(draws)


def run_risk(model: Any, uncertainties: Sequence[Uncertainty], *, scenario: str, draws: int,
             seed: int, executor: str = "local", workers: int | None = None,
             address: str | None = None, chunk_size: int | None = None,
             fixed_plan: bool = True, progress: Progress | None = None,
             notes: Sequence[str] = ()) -> RiskResult:
    """Monte Carlo over ``uncertainties`` with ``model``; same seed, same result anywhere.

    Parameters
    ----------
    model : a :class:`RiskModel`.
    uncertainties : the scenario's uncertainties (their order is the input order).
    scenario : scenario id, for the record.
    draws : number of draws (>= 1).
    seed : non-negative integer; draw ``i`` uses ``SeedSequence(seed).spawn(draws)[i]``.
    executor : ``local`` (process pool) or ``ray``.
    workers : processes / Ray tasks in flight (default: CPUs).
    address : Ray head ``HOST:PORT`` (``ray`` only; default: start a local instance).
    chunk_size : draws per task (default: about 8 tasks per worker, at most 500 draws).
    fixed_plan : recorded in the result (the model decides what it evaluates).
    progress : called with (draws done, draws total) as chunks finish.
    """
    n, seed = check_draws(draws), check_seed(seed)
    uncs = tuple(uncertainties)
    ex = get_executor(executor, workers=workers, address=address)
    names = [u.id for u in uncs]
    med = median_values(list(uncs)) if uncs else np.empty(0)
    lows = np.array([float(quantile(u, 0.1)) for u in uncs])
    highs = np.array([float(quantile(u, 0.9)) for u in uncs])
    rows = _oat_rows(med, lows, highs)
    t0 = time.perf_counter()
    all_x, all_y = run_draws(DrawEvaluator(model, uncs, n, rows), seed, n + len(rows), ex,
                             chunk_size, progress)
    timings = {"wall_s": time.perf_counter() - t0, "evaluations": float(n + len(rows))}
    inputs, outcomes, oat = all_x[:n], all_y[:n], all_y[n:]
    base = oat[0]
    at_low, at_high = oat[1::2], oat[2::2]
    ms, n_out = model.milestones(), len(model.outcome_names)
    return RiskResult(
        scenario=scenario, seed=seed, fixed_plan=fixed_plan, input_names=names,
        input_kinds=[u.kind for u in uncs], inputs=inputs,
        outcome_names=list(model.outcome_names), outcomes=outcomes,
        base={o: float(v) for o, v in zip(model.outcome_names, base)},
        milestones=ms,
        milestone_probabilities={m.name: milestone_probability(
            outcomes[:, model.outcome_names.index(m.outcome)], m.threshold,
            at_most=m.at_most) for m in ms},
        tornado=tornado(names, list(model.outcome_names), lows, highs,
                        at_low.reshape(len(names), n_out), at_high.reshape(len(names), n_out),
                        inputs, outcomes),
        primary_outcome=model.primary_outcome, notes=list(notes), timings_s=timings,
        planned=dict(getattr(model, "promise", {})))


def _oat_rows(med: np.ndarray, lows: np.ndarray, highs: np.ndarray) -> np.ndarray:
    """Row 0: all medians; then for each input j its low row and its high row."""
    rows = [med.copy()]
    for j in range(len(med)):
        for v in (lows[j], highs[j]):
            r = med.copy()
            r[j] = v
            rows.append(r)
    return np.array(rows).reshape(len(rows), len(med))


__all__ = ["run_risk", "RiskModel", "DrawEvaluator", "check_draws",
           "MAX_DRAWS"]
