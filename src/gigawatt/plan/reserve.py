"""Reliability of supply: the firm capacity a site holds, and its N+1 unit.

Each site's firm capacity, every source counted at its availability (firm sources and
batteries x (1 - forced outage rate); solar counts nothing, the night has none), must
cover its peak facility load x (1 + ``reserve_margin``) plus, with ``n_plus_one``, the
largest on-site unit the plan builds there (a turbine, an engine, a CCGT block, the PPA
plant: ``unit_mw``, or all of the source's MW where it has less), so the site keeps its
load when that unit trips.

Which unit is the largest depends on what the plan builds, and "the largest unit built"
is not a linear function of the capacities (GenX's ``operational_reserves.jl`` offers a
static contingency MW, and the largest unit only with unit commitment, ``UCommit >= 1``,
through a big-M on integer commitment). Here the contingency is a
constant of each (year, site) row, settled by fixed-point iteration: solve, read the
largest unit built, solve again with it, until it no longer changes
(:func:`settle_contingency`; one or two re-solves from the previous basis).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import numpy as np
import pandas as pd

from .inputs import PlanInputs
from .installed import existing_power_mw

#: re-solves at most; the last one holds the largest unit seen
MAX_SETTLE = 3


def firm_credit(inputs: PlanInputs) -> np.ndarray:
    """Per source: MW of firm capacity one MW of it counts for (firm sources and
    batteries: 1 - forced outage rate; variable sources: 0)."""
    return credit_of(inputs.power_sources)


def credit_of(ps: pd.DataFrame) -> np.ndarray:
    """:func:`firm_credit` of power-source table ``ps``."""
    firm = ps.firm.to_numpy(bool) | (ps.kind == "battery").to_numpy()
    fo = (ps["forced_outage_rate"].fillna(0.0).to_numpy(float)
          if "forced_outage_rate" in ps else 0.0)
    return firm * (1.0 - fo)


def contingency_terms(inputs: PlanInputs) -> tuple[np.ndarray, np.ndarray]:
    """The N+1 unit of each firm row: (year x site MW held above the peak load, year x
    site x source 1 where the unit is a source's whole MW, which then counts for nothing
    firm: a source smaller than one unit cannot cover its own trip)."""
    ny, ns, npw = len(inputs.years), len(inputs.sites), len(inputs.power_sources)
    const, whole = np.zeros((ny, ns)), np.zeros((ny, ns, npw))
    c = inputs.contingency_mw
    if c is None or not inputs.n_plus_one:
        return const, whole
    const = c.reindex(index=inputs.years, columns=inputs.sites.index).fillna(0.0
                                                                             ).to_numpy(float)
    src = inputs.contingency_source
    if src is not None:
        ids = src.reindex(index=inputs.years, columns=inputs.sites.index).to_numpy(object)
        k = inputs.power_sources.index.get_indexer(ids.ravel()).reshape(ids.shape)
        y, s_ = np.nonzero(k >= 0)
        whole[y, s_, k[y, s_]] = 1.0
        const = np.where(k >= 0, 0.0, const)
    return const, whole


def onsite_units(ps: pd.DataFrame) -> np.ndarray:
    """Per source of table ``ps``: True for on-site firm units that can trip one at a time
    (firm, not the grid, not a battery)."""
    return (ps.firm.to_numpy(bool) & (ps.kind != "grid").to_numpy()
            & (ps.kind != "battery").to_numpy())


def largest_unit(ps: pd.DataFrame, capacity_mw: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The largest on-site unit of each year x site, from capacity year x site x source
    of power-source table ``ps``:
    (MW lost when it trips: ``unit_mw``, or all of the source's MW where it has less;
    the index of its source, -1 where none; True where that is the source's whole MW).
    A source without a unit size, such as the grid, is not a unit."""
    unit = (ps["unit_mw"] if "unit_mw" in ps else pd.Series(np.nan, ps.index)
            ).to_numpy(float)
    units = onsite_units(ps) & ~np.isnan(unit)
    lost = np.minimum(capacity_mw, np.nan_to_num(unit)[None, None, :])
    lost = np.where(units[None, None, :] & (capacity_mw > 1e-6), lost, 0.0)
    if not lost.shape[2]:
        z = np.zeros(lost.shape[:2])
        return z, z.astype(int) - 1, z.astype(bool)
    k = lost.argmax(axis=2)
    mw = np.take_along_axis(lost, k[..., None], 2)[..., 0]
    whole = mw < np.nan_to_num(unit)[k] - 1e-6
    return mw, np.where(mw > 1e-6, k, -1), whole & (mw > 1e-6)


def capacity_cube(inputs: PlanInputs, decisions: Any) -> np.ndarray:
    """year x site x source MW installed (built plus what serves the installed base)."""
    y, s = inputs.years, inputs.sites.index
    p = inputs.power_sources.index
    new = np.zeros((len(y), len(s), len(p)))
    d = decisions.power_mw
    if len(d):
        iy = y.get_indexer(d.year)
        is_ = s.get_indexer(d.site)
        ip = p.get_indexer(d.source)
        np.add.at(new, (iy, is_, ip), d.power_mw.to_numpy(float))
    base = existing_power_mw(inputs).reindex(index=s, columns=p).fillna(0.0).to_numpy()
    return np.cumsum(new, axis=0) + base[None]


def contingency_of(inputs: PlanInputs, decisions: Any) -> dict[str, pd.DataFrame]:
    """The PlanInputs fields of the N+1 unit the decisions build: ``contingency_mw``
    (year x site MW) and ``contingency_source`` (year x site: the source whose whole MW
    is the unit, "" where the unit is one of several)."""
    mw, k, whole = largest_unit(inputs.power_sources, capacity_cube(inputs, decisions))
    ids = np.asarray(inputs.power_sources.index, dtype=object)
    src = np.where(whole & (k >= 0), ids[np.clip(k, 0, None)] if len(ids) else "", "")
    frame = lambda v: pd.DataFrame(v, index=inputs.years, columns=inputs.sites.index)  # noqa
    return {"contingency_mw": frame(mw), "contingency_source": frame(src)}


def n_plus_one_short_mw(inputs: PlanInputs, decisions: Any) -> np.ndarray:
    """year x site MW by which firm capacity at availability, less the largest on-site
    unit the decisions build, falls short of the peak load x (1 + reserve margin), beyond
    the solver's tolerance."""
    from .accounting import fleet  # accounting reads this module's unit rule

    _, active = fleet(inputs, decisions)
    load = (active * inputs.accelerators.it_power_w.to_numpy()[None, None, :] / 1e6
            ).sum(axis=2) * inputs.sites.pue.to_numpy()[None, :]
    cap = capacity_cube(inputs, decisions)
    firm = (cap * firm_credit(inputs)[None, None, :]).sum(axis=2)
    unit = largest_unit(inputs.power_sources, cap)[0]
    # within the solver's tolerance (1e-4 of the load) a row that holds is not short
    short = load * (1.0 + inputs.reserve_margin) - (firm - unit)
    return np.clip(short - 1e-4 * load, 0.0, None)


def settle_contingency(inputs: PlanInputs, solved: Any,
                       solve: Callable[[PlanInputs, Any], Any]) -> tuple[PlanInputs, Any]:
    """Re-solve until the N+1 unit of every firm row is the largest unit the plan builds.

    ``solved`` is the solve of ``inputs`` (its ``decisions`` and ``start``); ``solve(inputs,
    start)`` solves a copy. A contingency already in ``inputs`` is the first guess (a
    what-if starting from its base plan's units re-solves only if they change). Returns
    the settled inputs (``contingency_mw`` set) and their solve; inputs without
    ``n_plus_one`` come back as they are.
    """
    if not inputs.n_plus_one:
        return inputs, solved
    held = None
    if inputs.contingency_mw is not None:
        src = inputs.contingency_source
        held = {"contingency_mw": inputs.contingency_mw.reindex(
                    index=inputs.years, columns=inputs.sites.index).fillna(0.0),
                "contingency_source": (src.reindex(index=inputs.years,
                                                   columns=inputs.sites.index).fillna("")
                                       if src is not None else pd.DataFrame(
                                           "", index=inputs.years, columns=inputs.sites.index))}
    for k in range(MAX_SETTLE):
        if held is not None and (n_plus_one_short_mw(inputs, solved.decisions)
                                 <= 1e-3).all():
            break  # the plan's own largest units are covered (if conservatively)
        want = contingency_of(inputs, solved.decisions)
        if held is None and not (want["contingency_mw"].to_numpy() > 1e-6).any():
            return dataclasses.replace(inputs, **want), solved
        if held is not None and k == MAX_SETTLE - 1:
            # the last pass holds the larger of the two units, so a plan that alternates
            # between two unit choices settles on the safe side
            bigger = want["contingency_mw"] >= held["contingency_mw"]
            want = {n: want[n].where(bigger, held[n]) for n in want}
        held = want
        inputs = dataclasses.replace(inputs, **held)
        solved = solve(inputs, solved.start)
    return inputs, solved
