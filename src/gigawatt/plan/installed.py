"""Tables the build-out formulation and its accounting share (pure numpy/pandas): the
installed base, site limits, lead times, energy prices and discount factors.

Kept apart from :mod:`gigawatt.plan.model` (linopy) so the array model
(:mod:`gigawatt.plan.lp`), the accounting and the risk layer use them without importing
linopy and xarray.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .inputs import BATTERY_HOURS, PlanInputs, lead_years

HOURS_PER_YEAR = 8760.0


def existing_kacc(inputs: PlanInputs) -> np.ndarray:
    """Installed-base accelerators active each year (thousands), year x site x accelerator."""
    y = inputs.years.to_numpy()
    arr = np.zeros((len(y), len(inputs.sites), len(inputs.accelerators)))
    life = inputs.life_years_int()
    for e in inputs.existing.itertuples():
        if e.accelerator not in inputs.accelerators.index:
            continue
        i = inputs.sites.index.get_loc(e.site)
        j = inputs.accelerators.index.get_loc(e.accelerator)
        on = (y >= e.installed_year) & (y < e.installed_year + life)
        arr[on, i, j] += e.count / 1e3
    return arr


def existing_it_mw(inputs: PlanInputs) -> pd.Series:
    """IT MW of the installed base per site (its halls exist already)."""
    w = inputs.accelerators.it_power_w
    out = pd.Series(0.0, index=inputs.sites.index)
    for e in inputs.existing.itertuples():
        if e.accelerator in w.index:
            out[e.site] += e.count * w[e.accelerator] / 1e6
    return out


def site_limit_mw(inputs: PlanInputs) -> pd.DataFrame:
    """year x site: the site's power limit, and never below what its installed base
    already draws (an installed fleet is powered, whatever the schedule says)."""
    it_mw = existing_kacc(inputs) @ (inputs.accelerators.it_power_w.to_numpy() * 1e3 / 1e6)
    fac = pd.DataFrame(it_mw * inputs.sites.pue.to_numpy()[None, :], index=inputs.years,
                       columns=inputs.sites.index)
    limit = inputs.site_power_mw.reindex(index=inputs.years, columns=inputs.sites.index)
    return np.maximum(limit, fac.reindex(index=limit.index, columns=limit.columns))


def existing_power_mw(inputs: PlanInputs) -> pd.DataFrame:
    """site x source: power serving the installed base, credited to the site's first firm
    source (grid preferred, up to the grid MW of the first year; the rest on the next
    firm source)."""
    out = pd.DataFrame(0.0, index=inputs.site_sources.index, columns=inputs.site_sources.columns)
    fac = existing_it_mw(inputs) * inputs.sites.pue
    ps = inputs.power_sources
    order = sorted(ps.index, key=lambda p: (ps.kind[p] != "grid", not ps.firm[p], p))
    grid = inputs.grid_mw.iloc[0] if inputs.grid_mw is not None else None
    for site, mw in fac.items():
        firm = [p for p in order if inputs.site_sources.loc[site, p] and ps.firm[p]
                and ps.kind[p] != "battery"]
        for k, p in enumerate(firm):
            if mw <= 0:
                break
            room = mw
            if (ps.kind[p] == "grid" and grid is not None and k < len(firm) - 1
                    and pd.notna(grid.get(site, np.nan))):
                room = min(mw, float(grid[site]))  # the rest on the next firm source
            out.loc[site, p] = room
            mw -= room
    return out


def power_capex_usd_per_mw(inputs: PlanInputs) -> np.ndarray:
    """Per source: capex of one MW of new capacity, USD (a battery's power part plus
    :data:`~gigawatt.plan.inputs.BATTERY_HOURS` of its energy part)."""
    return capex_usd_per_mw_of(inputs.power_sources)


def capex_usd_per_mw_of(ps: pd.DataFrame) -> np.ndarray:
    """:func:`power_capex_usd_per_mw` of power-source table ``ps``."""
    battery = (ps.kind == "battery").to_numpy(float)
    return (ps.capex_usd_per_kw.to_numpy(float) * 1e3 + battery * BATTERY_HOURS
            * np.nan_to_num(ps.capex_usd_per_kwh.to_numpy(float)) * 1e3)


def source_lead_years(inputs: PlanInputs) -> pd.Series:
    """Whole years from the programme start before new capacity of each source can run.

    Grid supply has none here: the site's power schedule (``site_power_mw``) already says
    when its interconnection delivers, and caps the load.
    """
    ps = inputs.power_sources
    lead = ps.lead_time_years.map(lead_years)
    return lead.where(ps.kind != "grid", 0)


def energy_price(inputs: PlanInputs) -> pd.DataFrame:
    """site x source energy price, USD/MWh (a source without its own price: site grid)."""
    ps = inputs.power_sources
    out = pd.DataFrame(prices_of(ps, inputs.sites.electricity_usd_per_mwh.to_numpy(float)),
                       index=inputs.sites.index, columns=ps.index)
    return out.rename_axis(index="site", columns="source").astype(float)


def prices_of(ps: pd.DataFrame, grid_usd_per_mwh: np.ndarray) -> np.ndarray:
    """site x source energy price of power-source table ``ps``, USD/MWh, with each site's
    grid price ``grid_usd_per_mwh`` for a source without its own."""
    own = ps.energy_usd_per_mwh.to_numpy(float)
    return np.where(np.isnan(own)[None, :], np.asarray(grid_usd_per_mwh, float)[:, None],
                    own[None, :])


def discount_factors(inputs: PlanInputs) -> np.ndarray:
    """Discount factor of each year to the programme start."""
    y = inputs.years.to_numpy()
    return (1 + inputs.discount_rate) ** -(y - y[0]).astype(float)


def source_column(inputs: PlanInputs, name: str, default: Any) -> pd.Series:
    """A per-source column of ``inputs.power_sources``, or ``default`` for every source
    where the table has no such column (hand-built inputs that predate it)."""
    ps = inputs.power_sources
    return ps[name] if name in ps else pd.Series(default, index=ps.index)


def emission_factors(inputs: PlanInputs) -> np.ndarray:
    """site x source tCO2 per MWh drawn: the source's factor; a grid source without one
    takes its site's regional factor (``grid_emissions_tco2_per_mwh``; 0 without it)."""
    grid = (inputs.grid_emissions_tco2_per_mwh.reindex(inputs.sites.index).fillna(0.0)
            .to_numpy(float) if inputs.grid_emissions_tco2_per_mwh is not None
            else np.zeros(len(inputs.sites)))
    return factors_of(inputs.power_sources, grid)


def factors_of(ps: pd.DataFrame, grid_tco2_per_mwh: np.ndarray) -> np.ndarray:
    """site x source tCO2 per MWh of power-source table ``ps``, with each site's grid
    factor ``grid_tco2_per_mwh`` for a grid source without its own."""
    own = (ps["emissions_tco2_per_mwh"].to_numpy(float) if "emissions_tco2_per_mwh" in ps
           else np.full(len(ps), np.nan))
    is_grid = (ps.kind == "grid").to_numpy()
    return np.where(np.isnan(own)[None, :] & is_grid[None, :],
                    np.asarray(grid_tco2_per_mwh, float)[:, None], np.nan_to_num(own)[None, :])


def carbon_price(inputs: PlanInputs) -> np.ndarray:
    """USD per tCO2 in each programme year."""
    c = inputs.carbon_price_usd_per_tco2
    if isinstance(c, pd.Series):
        return c.reindex(inputs.years).fillna(0.0).to_numpy(float)
    return np.full(len(inputs.years), float(c or 0.0))


def grid_limit_mw(inputs: PlanInputs) -> np.ndarray | None:
    """year x site grid MW (NaN: no grid limit), or None without any."""
    if inputs.grid_mw is None:
        return None
    g = inputs.grid_mw.reindex(index=inputs.years, columns=inputs.sites.index).to_numpy(float)
    return g if (~np.isnan(g)).any() else None


def source_supply(inputs: PlanInputs) -> np.ndarray | None:
    """year x source most new MW per year (NaN: none), or None without any limit."""
    ps = inputs.power_sources
    sup = pd.DataFrame(np.nan, index=inputs.years, columns=ps.index)
    for p, v in source_column(inputs, "supply_mw_per_year", np.nan).items():
        sup[p] = v
    if inputs.source_supply_mw is not None:
        o = inputs.source_supply_mw.reindex(index=inputs.years, columns=ps.index)
        sup = o.where(o.notna(), sup)
    arr = sup.to_numpy(float)
    return arr if (~np.isnan(arr)).any() else None


def emissions_cap(inputs: PlanInputs) -> np.ndarray | None:
    if inputs.emissions_cap_tco2 is None:
        return None
    c = inputs.emissions_cap_tco2.reindex(inputs.years).to_numpy(float)
    return c if (~np.isnan(c)).any() else None


#: minutes a grid ramp has to follow a job's drop before the absorbing capacity hands the
#: load back (the ramp rates are stated per minute)
RAMP_WINDOW_MIN = 1.0


def ramp_shortfall_mw(inputs: PlanInputs) -> np.ndarray | None:
    """year x site MW of a placed training run's swing the site's grid cannot follow
    within :data:`RAMP_WINDOW_MIN` (swing - ramp x window, >= 0); None where no run is
    placed or no site states a ramp limit."""
    swing, ramp = inputs.site_swing_mw, inputs.grid_ramp_mw_per_min
    if swing is None or ramp is None or swing.empty:
        return None
    sw = swing.reindex(index=inputs.years, columns=inputs.sites.index).fillna(0.0)
    r = ramp.reindex(inputs.sites.index).to_numpy(float)
    short = np.clip(np.where(np.isnan(r)[None, :], 0.0,
                             sw.to_numpy(float) - r[None, :] * RAMP_WINDOW_MIN), 0.0, None)
    return short if (short > 0).any() else None


def absorbs_swings(inputs: PlanInputs) -> np.ndarray:
    """Per source: 1 where it can follow a job's swing within seconds (batteries)."""
    return absorbs_of(inputs.power_sources)


def absorbs_of(ps: pd.DataFrame) -> np.ndarray:
    """:func:`absorbs_swings` of power-source table ``ps``."""
    col = ps["absorbs_swings"] if "absorbs_swings" in ps else ps.kind == "battery"
    return col.fillna(False).astype(bool).to_numpy(float)


def dispatch_availability(inputs: PlanInputs) -> np.ndarray:
    """site x source x period: the fraction of a source's MW that can run in a dispatch
    period (solar: its capacity factor then; others: 1 - forced outage rate; batteries
    0, they are dispatched by their own charge and discharge)."""
    return availability(inputs.power_sources, inputs.solar_cf)


def availability(ps: pd.DataFrame, cf: np.ndarray) -> np.ndarray:
    """:func:`dispatch_availability` of power-source table ``ps`` and solar capacity
    factors ``cf`` (site x period)."""
    fo = ps["forced_outage_rate"] if "forced_outage_rate" in ps else pd.Series(0.0, ps.index)
    avail = np.broadcast_to((1.0 - fo.fillna(0.0).to_numpy(float))[None, :, None],
                            (cf.shape[0], len(ps), cf.shape[1])).copy()
    solar = (ps.kind == "solar").to_numpy()
    avail[:, solar, :] = cf[:, None, :]
    avail[:, (ps.kind == "battery").to_numpy(), :] = 0.0
    return avail


def previous_period(inputs: PlanInputs) -> np.ndarray:
    """Index of the period before each one, cyclic within its day (a battery's state of
    charge at a day's start is its state at that day's end)."""
    return previous_of(inputs.solar_cf.shape[1], inputs.block_hours)


def previous_of(n: int, block_hours: float) -> np.ndarray:
    """:func:`previous_period` of ``n`` periods of ``block_hours`` each."""
    k = int(round(24 / block_hours))
    t = np.arange(n)
    return (t // k) * k + (t % k - 1) % k
