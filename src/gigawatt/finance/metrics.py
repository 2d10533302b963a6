"""Money metrics of a yearly cash flow: NPV, IRR (with the reason when undefined),
payback year and the largest funding gap."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: IRR search range: -99% to +1000% a year
IRR_LO, IRR_HI = -0.99, 10.0


def npv(rate: float, flows: np.ndarray, years: np.ndarray, base_year: int | None = None
        ) -> float:
    """Net present value at ``rate`` of ``flows`` by year, discounted to ``base_year``
    (default: the first year), USD."""
    base = int(years[0]) if base_year is None else base_year
    t = np.asarray(years, dtype=float) - base
    return float(np.sum(np.asarray(flows, dtype=float) / (1.0 + rate) ** t))


@dataclass(frozen=True)
class Irr:
    """An internal rate of return, or ``None`` with the reason it is undefined."""

    value: float | None
    reason: str | None = None


def irr(flows: np.ndarray, years: np.ndarray) -> Irr:
    """The rate at which the NPV of ``flows`` is zero.

    Robust root finding: the NPV is evaluated on a grid from -99% to +1000% a year, each
    sign change is refined by bisection. Undefined (value None) when every flow has the
    same sign, when the NPV has no root in the range, or when it has several (a cash flow
    that changes sign more than once); the reason says which.
    """
    f = np.asarray(flows, dtype=float)
    if not np.any(f > 0):
        return Irr(None, "no positive cash flow: the money never comes back")
    if not np.any(f < 0):
        return Irr(None, "no negative cash flow: nothing is invested")
    grid = np.concatenate([np.linspace(IRR_LO, 0.0, 100, endpoint=False),
                           np.geomspace(1e-4, IRR_HI, 300)])
    grid = np.unique(np.concatenate([[0.0], grid]))
    vals = np.array([npv(r, f, years) for r in grid])
    roots = [_bisect(f, years, grid[i], grid[i + 1])
             for i in range(len(grid) - 1) if np.sign(vals[i]) != np.sign(vals[i + 1])
             and np.isfinite(vals[i]) and np.isfinite(vals[i + 1])]
    if not roots:
        return Irr(None, f"the NPV does not cross zero between {IRR_LO:.0%} and "
                         f"{IRR_HI:.0%} a year (at 0%: {npv(0.0, f, years):,.4g} USD)")
    if len(roots) > 1:
        shown = ", ".join(f"{r:.2%}" for r in roots)
        return Irr(None, f"several rates give NPV 0 ({shown}): the cash flow changes sign "
                         "more than once, so the IRR is not defined; use the NPV")
    return Irr(roots[0])


def _bisect(f: np.ndarray, years: np.ndarray, lo: float, hi: float, tol: float = 1e-10
            ) -> float:
    flo = npv(lo, f, years)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        fm = npv(mid, f, years)
        if math.copysign(1, fm) == math.copysign(1, flo):
            lo, flo = mid, fm
        else:
            hi = mid
        if hi - lo < tol:
            break
    return 0.5 * (lo + hi)


def payback_year(flows: np.ndarray, years: np.ndarray) -> int | None:
    """First year from which the cumulative cash flow stays >= 0 after having been
    negative (None: it never pays back within the years)."""
    cum = np.cumsum(np.asarray(flows, dtype=float))
    if not np.any(cum < 0):
        return None
    last_negative = int(np.nonzero(cum < 0)[0][-1])
    if last_negative == len(cum) - 1:
        return None
    return int(years[last_negative + 1])


def funding_gap(position: np.ndarray, years: np.ndarray) -> tuple[float, int | None]:
    """The largest shortfall of a cumulative cash position (USD, >= 0) and its year
    (None when the position never goes below zero)."""
    pos = np.asarray(position, dtype=float)
    i = int(np.argmin(pos))
    if pos[i] >= 0:
        return 0.0, None
    return float(-pos[i]), int(years[i])


__all__ = ["npv", "Irr", "irr", "payback_year", "funding_gap"]
