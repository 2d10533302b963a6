"""How to power one load at one site: the cheapest mix of grid and on-site supply.

The question ``gigawatt size --power-mix`` answers on its own ("how would I power N
accelerators at site S"), with the planner's power physics for one site in one steady
year: the grid within what the utility delivers that year, the site's on-site options
(turbines, engines, CCGT, solar, batteries, fuel cells, PPAs) within their market's
supply per year, dispatch on representative days (:mod:`gigawatt.solar`; batteries
with charge, discharge and a 4-hour state of charge), firm capacity at each source's
availability with a reserve margin and N+1 on on-site units
(:mod:`gigawatt.plan.reserve`), and swing-absorbing batteries for the ramp the grid
cannot follow. Unlike the planner, which pays each build in its year over a programme,
capital here is annualised (capital recovery factor at ``discount_rate`` over each
source's economic life), so the mix is the one that is cheapest to run year after year.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..catalog import Catalog
from ..annuity import crf
from ..errors import InfeasibleError, ValidationError
from ..numfmt import ResultRepr
from .inputs import BATTERY_EFFICIENCY, BATTERY_HOURS, site_periods, source_table
from .installed import (HOURS_PER_YEAR, RAMP_WINDOW_MIN, absorbs_of, availability,
                        capex_usd_per_mw_of, factors_of, previous_of, prices_of)
from .lp import ArrayModel, Expr
from .reserve import MAX_SETTLE, credit_of, largest_unit
from .solve import Session

#: the built-in scenarios' real discount rate
DEFAULT_DISCOUNT_RATE = 0.08
#: USD per MWh of load left unserved: far above any supply, so it shows only a shortfall
UNSERVED_USD_PER_MWH = 1e5
#: dispatch periods above which the LP is solved by interior point (a year of hours)
IPM_PERIODS = 2000
#: solver time limit, s (a year of hours at one site takes ~20-60 s on 2 cores)
HOURLY_TIME_LIMIT_S = 300.0
#: the families whose duals the result explains, with what one more unit of each is
DUALS = {"grid-capacity_mw-upper": "MW of grid", "power-supply_mw-upper": "MW of supply",
         "power-ramp_mw-lower": "MW of ramp to absorb",
         "power-firm_mw-lower": "MW of firm capacity required"}


@dataclass(frozen=True, repr=False)
class PowerMix(ResultRepr):
    """The cheapest steady-state supply of one site's load.

    Attributes
    ----------
    site, year : where, and the year whose grid the site has (None: its latest).
    facility_power_mw, average_load_mw : peak and average facility load.
    swing_mw, ramp_mw_per_min : what a training job can drop within seconds, and the
        ramp the site's grid follows (None: not limited).
    grid_limit_mw : grid MW the utility delivers that year (None: not limited).
    sources : per source: ``kind``, ``capacity_mw``, ``energy_gwh`` (a battery: what it
        discharges), ``capex_usd`` (overnight), ``annual_cost_usd`` (annualised capital
        + fixed O&M + energy + carbon), ``emissions_tco2``, ``lead_time_years``,
        ``unit_mw``.
    totals : ``capex_usd``, ``annual_cost_usd``, ``energy_mwh``, ``all_in_usd_per_mwh``,
        ``emissions_tco2``, ``emissions_t_per_mwh``, ``firm_mw`` (at availability),
        ``n_plus_one_mw`` (the largest unit held in reserve), ``ramp_shortfall_mw``,
        ``shed_on_grid_trip_mw``, ``battery_cover_h``.
    binding : limits with a price: ``constraint``, ``value_usd_per_year`` (what one
        more unit is worth), ``unit`` and a ``message``.
    notes : assumptions and warnings (lead times, a load above the site's power).
    """

    site: str
    year: int | None
    facility_power_mw: float
    average_load_mw: float
    swing_mw: float
    ramp_mw_per_min: float | None
    grid_limit_mw: float | None
    sources: pd.DataFrame
    totals: dict[str, float]
    binding: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def _headline(self) -> dict[str, Any]:
        return {"site": self.site, "facility_power_mw": self.facility_power_mw,
                "capex_usd": self.totals["capex_usd"],
                "all_in_usd_per_mwh": self.totals["all_in_usd_per_mwh"]}

    def to_frame(self) -> pd.DataFrame:
        """The per-source table."""
        return self.sources.reset_index()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: the inputs, ``sources`` rows, ``totals``, ``binding``, ``notes``."""
        src = self.sources.reset_index().replace({np.nan: None}).to_dict(orient="records")
        return {"site": self.site, "year": self.year,
                "facility_power_mw": self.facility_power_mw,
                "average_load_mw": self.average_load_mw, "swing_mw": self.swing_mw,
                "ramp_mw_per_min": self.ramp_mw_per_min, "grid_limit_mw": self.grid_limit_mw,
                "sources": src, "totals": self.totals, "binding": self.binding,
                "notes": self.notes}


def _crf_each(rate: float, life_years: np.ndarray) -> np.ndarray:
    """:func:`gigawatt.annuity.crf` of each source's life."""
    return np.array([crf(rate, float(x)) for x in life_years])


def _latest(by_year: dict[int, float] | None, year: int | None) -> float | None:
    if not by_year:
        return None
    past = [y for y in by_year if year is None or y <= year]
    return float(by_year[max(past)]) if past else 0.0


def _check(value: float, name: str, lo: float, hi: float = float("inf")) -> None:
    if not (np.isfinite(value) and lo <= value <= hi):
        raise ValidationError(f"{name} = {value!r} is out of range; allowed: {lo:g} to "
                              f"{hi:g}", field=name)


def power_mix(catalog: Catalog, site: str, facility_power_mw: float, *,
              average_load_fraction: float, year: int | None = None, swing_mw: float = 0.0,
              discount_rate: float = DEFAULT_DISCOUNT_RATE,
              carbon_price_usd_per_tco2: float = 0.0, reserve_margin: float = 0.0,
              n_plus_one: bool = True, representative_days: int = 4,
              hours_per_block: int = 4) -> PowerMix:
    """The cheapest mix of the site's power sources for a load, in a steady year.

    Parameters
    ----------
    catalog : the catalog (sites, power sources, regions).
    site : catalog site id.
    facility_power_mw : peak facility load, MW (> 0).
    average_load_fraction : average load / peak (0 to 1].
    year : the year whose grid the site has (``grid_mw_by_year``, else its
        ``power_mw_by_year``); None: the latest stated.
    swing_mw : MW a training job can drop within seconds (see
        :func:`gigawatt.ops.power_swing.accelerator_swing_fraction`; 0: none).
    discount_rate : real rate annualising capital.
    carbon_price_usd_per_tco2, reserve_margin, n_plus_one, representative_days,
    hours_per_block : as in the scenario's ``power:`` block.

    Raises
    ------
    ValidationError
        A value out of range.
    InfeasibleError
        The site's options cannot carry the load (grid too small and no firm on-site
        option, say); the message names the shortfall and the options.
    """
    _check(facility_power_mw, "facility_power_mw", 1e-6, 1e7)
    _check(average_load_fraction, "average_load_fraction", 1e-6, 1.0)
    _check(swing_mw, "swing_mw", 0.0, 1e7)
    _check(discount_rate, "discount_rate", 0.0, 1.0)
    _check(carbon_price_usd_per_tco2, "carbon_price_usd_per_tco2", 0.0, 10_000.0)
    _check(reserve_margin, "reserve_margin", 0.0, 1.0)
    _check(representative_days, "representative_days", 2, 365)
    if hours_per_block not in (1, 2, 3, 4, 6):
        raise ValidationError(f"hours_per_block = {hours_per_block!r}; allowed: 1, 2, 3, 4 "
                              "or 6", field="hours_per_block")
    s = catalog.site(site)
    ps = source_table(catalog, list(s.power_sources))
    region = catalog.get("electricity_prices", s.region)
    grid_limit = _latest(s.grid_mw_by_year, year)
    if grid_limit is None:
        grid_limit = _latest(s.power_mw_by_year, year)
    ramp = s.grid_ramp_mw_per_min
    cf, hours = site_periods(s, ps, representative_days, hours_per_block)
    args = dict(ps=ps, cf=cf, hours=hours, block=float(hours_per_block),
                peak=facility_power_mw, avg=facility_power_mw * average_load_fraction,
                grid_limit=grid_limit, price=region.usd_per_mwh,
                grid_tco2=float(region.emissions_tco2_per_mwh or 0.0),
                ramp_short=(max(0.0, swing_mw - ramp * RAMP_WINDOW_MIN) if ramp is not None
                            else 0.0),
                rate=discount_rate, carbon=carbon_price_usd_per_tco2, margin=reserve_margin)
    held, cur, last = (np.zeros(1), np.zeros((1, len(ps)))), None, False
    seen: list[tuple[float, int, bool]] = []
    for _ in range(MAX_SETTLE + 1):
        m, sess = _solve(**args, held=held)
        if not n_plus_one or last:
            break
        mw, idx, whole = largest_unit(ps, sess.values("capacity_mw")[None, None, :])
        unit = (round(float(mw[0, 0]), 3), int(idx[0, 0]), bool(whole[0, 0]))
        if unit == cur or unit[0] == 0.0:
            break
        if unit in seen:  # alternating between two units: hold the larger, once more
            unit, last = max(unit, cur, key=lambda u: u[0]), True
        seen.append(unit)
        cur = unit
        w = np.zeros((1, len(ps)))
        if unit[2]:
            w[0, unit[1]] = 1.0
        held = (np.array([0.0 if unit[2] else unit[0]]), w)
    return _read(m, sess, s.id, year, swing_mw, ramp, args, n_plus_one)


def _solve(*, ps, cf, hours, block, peak, avg, grid_limit, price, grid_tco2, ramp_short,
           rate, carbon, margin, held) -> tuple[ArrayModel, Session]:
    """The one-site LP (objective in million USD per year)."""
    nt = len(cf)
    is_batt = (ps.kind == "battery").to_numpy()
    is_grid = (ps.kind == "grid").to_numpy()
    m = ArrayModel()
    cap = m.add_cols("capacity_mw", ("source",), [ps.index])
    disp = m.add_cols("dispatch_mw", ("source", "period"), [ps.index, np.arange(nt)],
                      (~is_batt)[:, None])
    has_batt = bool(is_batt.any())
    ch = m.add_cols("charge_mw", ("period",), [np.arange(nt)], has_batt)
    dis = m.add_cols("discharge_mw", ("period",), [np.arange(nt)], has_batt)
    soc = m.add_cols("soc_mwh", ("period",), [np.arange(nt)], has_batt)
    short = m.add_cols("unserved_mw", ("period",), [np.arange(nt)])
    short_firm = m.add_cols("unserved_firm_mw", (), [])
    C = Expr.of(cap)
    avail = availability(ps, cf[None, :])[0]                                # source x t
    m.add_rows("power-dispatch_mw-upper", ("source", "period"), [ps.index, np.arange(nt)],
               Expr.of(disp) - C.expand(1, nt) * avail, "<=", 0.0)
    batt = (C * is_batt.astype(float)).sum()
    net = Expr.of(disp).sum(0) + Expr.of(dis) - Expr.of(ch) + Expr.of(short)
    m.add_rows("power-balance_mw-lower", ("period",), [np.arange(nt)], net, ">=", avg)
    m.add_rows("power-balance_mw-upper", ("period",), [np.arange(nt)], net, "<=", avg)
    if has_batt:
        for name, col, per in (("charge", ch, 1.0), ("discharge", dis, 1.0),
                               ("soc", soc, BATTERY_HOURS)):
            m.add_rows(f"power-{name}_mw-upper", ("period",), [np.arange(nt)],
                       Expr.of(col) - batt.expand(0, nt) * per, "<=", 0.0)
        m.add_rows("power-soc_mwh-balance", ("period",), [np.arange(nt)],
                   Expr.of(soc) - Expr.of(soc[previous_of(nt, block)])
                   - Expr.of(ch) * (block * BATTERY_EFFICIENCY) + Expr.of(dis) * block,
                   "<=", 0.0)
    if grid_limit is not None and is_grid.any():
        m.add_rows("grid-capacity_mw-upper", (), [], (C * is_grid.astype(float)).sum(),
                   "<=", grid_limit)
    supply = ps.supply_mw_per_year.to_numpy(float)
    if (~np.isnan(supply)).any():
        m.add_rows("power-supply_mw-upper", ("source",), [ps.index], C, "<=",
                   np.nan_to_num(supply), mask=~np.isnan(supply))
    if ramp_short > 0:
        m.add_rows("power-ramp_mw-lower", (), [], (C * absorbs_of(ps)).sum()
                   + Expr.of(short_firm),
                   ">=", ramp_short)
    const, whole = held
    m.add_rows("power-firm_mw-lower", (), [],
               (C * (credit_of(ps) - whole[0])).sum() + Expr.of(short_firm), ">=",
               peak * (1.0 + margin) + float(const[0]))
    per_mw = _capacity_usd_per_mw_year(ps, rate)
    w = hours[None, :] * _running_usd_per_mwh(ps, price, grid_tco2, carbon)[:, None]
    m.set_objective((C * (per_mw / 1e6)).sum() + (Expr.of(disp) * (w / 1e6)).sum()
                    + (Expr.of(short) * (hours * UNSERVED_USD_PER_MWH / 1e6)).sum()
                    + Expr.of(short_firm) * (UNSERVED_USD_PER_MWH * 1e-3))
    sess = Session(m, HOURLY_TIME_LIMIT_S, 1e-6)
    if nt > IPM_PERIODS:  # a year of hours: interior point, then crossover (2-3x faster)
        sess.h.setOptionValue("solver", "ipm")
    sess.run()
    return m, sess


def _capacity_usd_per_mw_year(ps: pd.DataFrame, rate: float) -> np.ndarray:
    """Per source: annualised capital + fixed O&M of one MW, USD per year."""
    return (capex_usd_per_mw_of(ps) * _crf_each(rate, ps.life_years.to_numpy(float))
            + ps.fixed_opex_usd_per_kw_year.to_numpy(float) * 1e3)


def _running_usd_per_mwh(ps: pd.DataFrame, price: float, grid_tco2: float,
                         carbon: float) -> np.ndarray:
    """Per source: energy or fuel + carbon of one MWh drawn, USD."""
    return (prices_of(ps, np.array([price]))[0]
            + carbon * factors_of(ps, np.array([grid_tco2]))[0])


def _read(m: ArrayModel, sess: Session, site: str, year: int | None, swing_mw: float,
          ramp: float | None, a: dict, n_plus_one: bool) -> PowerMix:
    ps, hours = a["ps"], a["hours"]
    unserved = float((sess.values("unserved_mw") * hours).sum())
    firm_gap = float(sess.values("unserved_firm_mw"))
    if unserved > 1e-3 or firm_gap > 1e-3:
        gap = max(firm_gap, float(sess.values("unserved_mw").max()))
        raise InfeasibleError(
            f"site {site} cannot carry {a['peak']:,.0f} MW with its power options "
            f"({', '.join(ps.index)}) and {a['grid_limit']:,.0f} MW of grid"
            f"{'' if year is None else f' in {year}'}: {gap:,.0f} MW short (firm after "
            "N+1, or in some hours); allowed: a smaller --count, another --site or --year",
            field="count")
    cap = sess.values("capacity_mw")
    disp = sess.values("dispatch_mw")
    is_batt = (ps.kind == "battery").to_numpy()
    mwh = (disp * hours[None, :]).sum(axis=1)
    if is_batt.any():
        mwh = np.where(is_batt, (sess.values("discharge_mw") * hours).sum(), mwh)
    tco2 = factors_of(ps, np.array([a["grid_tco2"]]))[0]
    running = _running_usd_per_mwh(ps, a["price"], a["grid_tco2"], a["carbon"])
    annual = (cap * _capacity_usd_per_mw_year(ps, a["rate"])
              + np.where(is_batt, 0.0, mwh * running))
    sources = pd.DataFrame({
        "kind": ps.kind, "capacity_mw": cap, "energy_gwh": mwh / 1e3,
        "capex_usd": cap * capex_usd_per_mw_of(ps), "annual_cost_usd": annual,
        "emissions_tco2": np.where(is_batt, 0.0, mwh * tco2),
        "lead_time_years": ps.lead_time_years, "unit_mw": ps.unit_mw}, index=ps.index)
    delivered = a["avg"] * HOURS_PER_YEAR
    credit = credit_of(ps)
    mw_unit = largest_unit(ps, cap[None, None, :])[0][0, 0] if n_plus_one else 0.0
    onsite = (credit * cap * ~(ps.kind == "grid").to_numpy()).sum()
    totals = {"capex_usd": float(sources.capex_usd.sum()),
              "annual_cost_usd": float(annual.sum()), "energy_mwh": delivered,
              "all_in_usd_per_mwh": float(annual.sum()) / delivered,
              "emissions_tco2": float(sources.emissions_tco2.sum()),
              "emissions_t_per_mwh": float(sources.emissions_tco2.sum()) / delivered,
              "firm_mw": float((credit * cap).sum()), "n_plus_one_mw": float(mw_unit),
              "ramp_shortfall_mw": float(a["ramp_short"]),
              "shed_on_grid_trip_mw": float(max(0.0, a["peak"] - onsite)),
              "battery_cover_h": float(cap[is_batt].sum() * BATTERY_HOURS / a["avg"])}
    days = len(hours) // int(24 / a['block'])
    notes = [f"capital annualised at {a['rate']:.0%} over each source's life; " + (
        "every hour of the year" if days >= 365 and a["block"] == 1 else
        f"{days} {'' if days >= 365 else 'representative '}days of {a['block']:g}-hour "
        "blocks")]
    for p in ps.index[(cap > 1e-3) & (ps.lead_time_years.to_numpy(float) >= 2)]:
        notes.append(f"{p}: {ps.lead_time_years[p]:g} years from decision to operation")
    return PowerMix(site=site, year=year, facility_power_mw=a["peak"],
                    average_load_mw=a["avg"], swing_mw=swing_mw, ramp_mw_per_min=ramp,
                    grid_limit_mw=a["grid_limit"], sources=sources, totals=totals,
                    binding=_binding(m, sess), notes=notes)


def _binding(m: ArrayModel, sess: Session) -> list[dict[str, Any]]:
    """Priced limits: the dual of each explained row family, USD per year per unit."""
    out = []
    for name, block in m.rows.items():
        unit = DUALS.get(m.families[name])
        if unit is None:
            continue
        duals = sess.row_dual[block.offset:block.offset + block.size]
        for i, d in enumerate(duals):
            v = abs(float(d)) * 1e6
            if v < 1.0:
                continue
            where = block.where(i)
            label = f" ({', '.join(str(x) for x in where.values())})" if where else ""
            verb = "costs" if name.endswith("-lower") else "is worth"
            out.append({"constraint": m.families[name], **where, "value_usd_per_year": v,
                        "unit": unit, "message": f"{m.families[name]}{label}: one more "
                        f"{unit} {verb} ${v:,.0f} per year"})
    return out
