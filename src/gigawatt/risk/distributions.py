"""Distributions of the scenario's uncertainties, sampled by inverse transform.

Every uncertainty is turned into a value through its quantile function (inverse CDF)
applied to a uniform number in [0, 1). Sampling a draw is then "one uniform per
uncertainty from the draw's own generator", and the same quantile functions give the
P10/P50/P90 points of the tornado analysis, so sampled and swept values agree exactly.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import Callable

import numpy as np

from ..errors import ValidationError
from ..scenario import Uncertainty

_EPS = 1e-12
_STD_NORMAL = NormalDist()


def _ndtri(u: np.ndarray) -> np.ndarray:
    """Standard normal quantile of an array of probabilities (exact, via statistics)."""
    clipped = np.clip(np.asarray(u, dtype=float), _EPS, 1.0 - _EPS)
    return np.vectorize(_STD_NORMAL.inv_cdf, otypes=[float])(clipped)


def _uniform(u: Uncertainty, q: np.ndarray) -> np.ndarray:
    return u.min + q * (u.max - u.min)


def _triangular(u: Uncertainty, q: np.ndarray) -> np.ndarray:
    lo, mode, hi = u.min, u.mode, u.max
    width = hi - lo
    if width == 0:
        return np.full_like(q, lo, dtype=float)
    split = (mode - lo) / width
    left = lo + np.sqrt(q * width * (mode - lo))
    right = hi - np.sqrt((1.0 - q) * width * (hi - mode))
    return np.where(q < split, left, right)


def _lognormal(u: Uncertainty, q: np.ndarray) -> np.ndarray:
    return u.median * np.exp(u.sigma * _ndtri(q))


def _discrete(u: Uncertainty, q: np.ndarray) -> np.ndarray:
    order = np.argsort(u.values, kind="stable")
    values = np.asarray(u.values, dtype=float)[order]
    cum = np.cumsum(np.asarray(u.probs, dtype=float)[order])
    cum /= cum[-1]
    idx = np.searchsorted(cum, q, side="right")
    return values[np.minimum(idx, len(values) - 1)]


QUANTILE: dict[str, Callable[[Uncertainty, np.ndarray], np.ndarray]] = {
    "uniform": _uniform,
    "triangular": _triangular,
    "lognormal": _lognormal,
    "discrete": _discrete,
}


def quantile(u: Uncertainty, q: np.ndarray | float) -> np.ndarray:
    """Values of an uncertainty at probabilities ``q`` (inverse CDF, vectorised).

    Parameters
    ----------
    u : Uncertainty
        A validated scenario uncertainty.
    q : array_like
        Probabilities in [0, 1].

    Returns
    -------
    numpy.ndarray
        Values in the uncertainty's own unit (years for ``*_delay_years``, a factor
        for ``*_factor``), same shape as ``q``.
    """
    q = np.asarray(q, dtype=float)
    if np.any((q < 0) | (q > 1)) or np.any(np.isnan(q)):
        raise ValidationError(f"quantile probabilities must lie in [0, 1]; got {q.min()}"
                              f"..{q.max()}", field=f"uncertainties.{u.id}")
    return QUANTILE[u.distribution](u, q)


def sample(u: Uncertainty, rng: np.random.Generator, size: int) -> np.ndarray:
    """``size`` independent values of one uncertainty drawn with ``rng``."""
    return quantile(u, rng.random(size))


def transform(uncertainties: list[Uncertainty], uniforms: np.ndarray) -> np.ndarray:
    """Map a (draws x uncertainties) matrix of uniforms to values, column by column."""
    uniforms = np.atleast_2d(uniforms)
    if uniforms.shape[1] != len(uncertainties):
        raise ValidationError(f"uniform matrix has {uniforms.shape[1]} columns; expected "
                              f"{len(uncertainties)} (one per uncertainty)")
    out = np.empty_like(uniforms, dtype=float)
    for j, u in enumerate(uncertainties):
        out[:, j] = quantile(u, uniforms[:, j])
    return out


def median_values(uncertainties: list[Uncertainty]) -> np.ndarray:
    """The median (P50) of every uncertainty, one value each."""
    return np.array([float(quantile(u, 0.5)) for u in uncertainties])


__all__ = ["quantile", "sample", "transform", "median_values", "QUANTILE"]
