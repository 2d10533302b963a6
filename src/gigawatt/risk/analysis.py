"""Statistics of a Monte Carlo run: percentiles, milestone odds, tornado sensitivities."""

from __future__ import annotations

from dataclasses import dataclass
import numpy as np

PERCENTILES = (10, 50, 90)


def summarise(values: np.ndarray) -> dict[str, float]:
    """P10/P50/P90, mean and the share of draws with a finite value of one outcome.

    Draws where an outcome is undefined (NaN: e.g. full capacity never comes online in
    the horizon) are left out of the percentiles and counted in ``defined_fraction``.
    """
    v = np.asarray(values, dtype=float)
    ok = v[np.isfinite(v)]
    if ok.size == 0:
        return {"p10": float("nan"), "p50": float("nan"), "p90": float("nan"),
                "mean": float("nan"), "defined_fraction": 0.0}
    p10, p50, p90 = np.percentile(ok, PERCENTILES)
    return {"p10": float(p10), "p50": float(p50), "p90": float(p90),
            "mean": float(ok.mean()), "defined_fraction": ok.size / v.size}


def rank(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n with ties given their average rank (as Spearman's rho needs)."""
    x = np.asarray(x, dtype=float)
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(1, len(x) + 1)
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    return (sums / counts)[inverse]


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman rank correlation of two samples (NaN where either is constant).

    Only pairs where both values are finite take part.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3:
        return float("nan")
    rx, ry = rank(x[ok]), rank(y[ok])
    sx, sy = rx.std(), ry.std()
    if sx == 0 or sy == 0:
        return float("nan")
    return float(((rx - rx.mean()) * (ry - ry.mean())).mean() / (sx * sy))


@dataclass(frozen=True)
class Swing:
    """One bar of the tornado: an outcome with one input at its P10 and its P90."""

    input: str
    outcome: str
    input_p10: float
    input_p90: float
    outcome_at_p10: float
    outcome_at_p90: float
    spearman: float

    @property
    def swing(self) -> float:
        """|outcome(P90) - outcome(P10)|, in the outcome's unit (NaN if undefined)."""
        return abs(self.outcome_at_p90 - self.outcome_at_p10)

    def to_dict(self) -> dict[str, float | str]:
        return {"input": self.input, "outcome": self.outcome, "swing": self.swing,
                "input_p10": self.input_p10, "input_p90": self.input_p90,
                "outcome_at_p10": self.outcome_at_p10, "outcome_at_p90": self.outcome_at_p90,
                "spearman": self.spearman}


def tornado(input_names: list[str], outcome_names: list[str], lows: np.ndarray,
            highs: np.ndarray, at_low: np.ndarray, at_high: np.ndarray,
            inputs: np.ndarray, outcomes: np.ndarray) -> dict[str, list[Swing]]:
    """Tornado bars per outcome, largest swing first (ties: larger |Spearman| first)."""
    out: dict[str, list[Swing]] = {}
    for k, oname in enumerate(outcome_names):
        bars = [Swing(iname, oname, float(lows[j]), float(highs[j]), float(at_low[j, k]),
                      float(at_high[j, k]), spearman(inputs[:, j], outcomes[:, k]))
                for j, iname in enumerate(input_names)]
        out[oname] = sorted(bars, key=lambda b: (-_nan_to(b.swing, -1.0),
                                                 -_nan_to(abs(b.spearman), -1.0), b.input))
    return out


def _nan_to(x: float, fill: float) -> float:
    return fill if not np.isfinite(x) else x


def milestone_probability(values: np.ndarray, threshold: float, *, at_most: bool) -> float:
    """Share of draws whose value meets a threshold (undefined values count as a miss)."""
    v = np.asarray(values, dtype=float)
    hit = (v <= threshold) if at_most else (v >= threshold)
    return float(np.mean(hit & np.isfinite(v)))


__all__ = ["summarise", "spearman", "rank", "Swing", "tornado",
           "milestone_probability", "PERCENTILES"]
