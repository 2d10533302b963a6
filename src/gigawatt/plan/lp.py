"""The build-out formulation of :mod:`gigawatt.plan.model` as solver arrays (numpy only).

The linopy model (:mod:`gigawatt.plan.model`) is the readable statement of the
optimisation; building it costs about a second of xarray alignment at every size while
HiGHS solves the LP in milliseconds. This module writes the same variables, constraint
families and objective straight into sparse arrays (tens of milliseconds), with a fixed
layout: every variable slot of the grid exists (a slot linopy masks is fixed at 0 here)
and every constraint slot is a row (a masked one is free), so a perturbed copy of the
inputs (a what-if, a risk draw) gives a model of the same shape, and the solver can
start from the basis of an earlier solve. ``tests/unit/test_plan_lp.py`` keeps the two
formulations equal (same optimum on every built-in scenario and on synthetic ones).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .inputs import BATTERY_EFFICIENCY, BATTERY_HOURS, PlanInputs, lead_years
from .reserve import contingency_terms, firm_credit
from .installed import (
    HOURS_PER_YEAR, carbon_price, discount_factors, emission_factors, emissions_cap,
    energy_price, existing_it_mw, existing_kacc, existing_power_mw, grid_limit_mw,
    absorbs_swings, dispatch_availability, previous_period, ramp_shortfall_mw,
    site_limit_mw, source_lead_years, source_supply,
)

#: objective units per slack unit; far above the most any unit of a limit can buy
PENALTY = 1e4
#: weight of NPV cost (billion USD) in the max-compute objective: a tie-breaker only
COST_TIEBREAK = 1e-3
#: constraint family -> (slack variable, penalty per slack unit, unit). A demand is the
#: first thing to give (its penalty is above what meeting it costs, below what relaxing a
#: physical or financial limit to meet it would cost), then HBM, power, supply, budget.
SLACKS = {
    "budget-phase_busd-upper": ("slack-budget_busd", PENALTY, "billion USD"),
    "site-power_mw-upper": ("slack-site_power_mw", PENALTY / 10, "MW"),
    "supply-kacc-upper": ("slack-supply_kacc", PENALTY, "thousand accelerators"),
    "hbm-supply_tb-upper": ("slack-hbm_tb", PENALTY / 100, "TB of HBM"),
    "vendor-share_kacc-upper": ("slack-vendor_kacc", PENALTY, "thousand accelerators"),
    "training-tokens_t-lower": ("slack-training_ttokens", 1.0, "trillion tokens"),
    "training-site_kacc-lower": ("slack-training_site_kacc", PENALTY / 10,
                                 "thousand accelerators"),
    "inference-mtok_per_s-lower": ("slack-inference_mtok_per_s", 10.0,
                                   "million output tokens/s"),
    "grid-capacity_mw-upper": ("slack-grid_mw", PENALTY, "MW"),
    "power-ramp_mw-lower": ("slack-ramp_mw", PENALTY / 10, "MW"),
    "emissions-mtco2-upper": ("slack-emissions_mtco2", PENALTY, "MtCO2"),
}
INF = float("inf")


class Expr:
    """A block of linear expressions over the model's columns, shape ``shape``.

    Each term is (column indices, coefficients) of shape ``shape + extra``: the trailing
    ``extra`` axes are summed. ``const`` (shape ``shape``) is the constant part.
    """

    def __init__(self, shape: tuple[int, ...], terms: list[tuple[np.ndarray, np.ndarray]],
                 const: np.ndarray | None = None) -> None:
        self.shape = tuple(shape)
        self.terms = terms
        self.const = np.zeros(self.shape) if const is None else np.broadcast_to(
            np.asarray(const, float), self.shape)

    @staticmethod
    def of(cols: np.ndarray) -> "Expr":
        return Expr(cols.shape, [(cols, np.ones(cols.shape))])

    def __mul__(self, f: Any) -> "Expr":
        f = np.asarray(f, float)
        if f.ndim:
            f = np.broadcast_to(f, self.shape)
        out = []
        for cols, coef in self.terms:
            extra = cols.ndim - len(self.shape)
            out.append((cols, coef * (f.reshape(f.shape + (1,) * extra) if f.ndim else f)))
        return Expr(self.shape, out, self.const * f)

    __rmul__ = __mul__

    def __add__(self, other: Any) -> "Expr":
        if isinstance(other, Expr):
            if other.shape != self.shape:
                raise ValueError(f"shapes {self.shape} and {other.shape} differ")
            return Expr(self.shape, self.terms + other.terms, self.const + other.const)
        return Expr(self.shape, self.terms, self.const + np.asarray(other, float))

    def __neg__(self) -> "Expr":
        return self * -1.0

    def __sub__(self, other: Any) -> "Expr":
        return self + (-other if isinstance(other, Expr) else -np.asarray(other, float))

    def sum(self, axis: int | None = None) -> "Expr":
        """Sum over one leading axis (or all of them)."""
        if axis is None:
            out = self
            while out.shape:
                out = out.sum(0)
            return out
        shape = self.shape[:axis] + self.shape[axis + 1:]
        terms = [(np.moveaxis(c, axis, -1), np.moveaxis(v, axis, -1)) for c, v in self.terms]
        return Expr(shape, terms, self.const.sum(axis))

    def take(self, axis: int, i: int) -> "Expr":
        shape = self.shape[:axis] + self.shape[axis + 1:]
        return Expr(shape, [(c.take(i, axis), v.take(i, axis)) for c, v in self.terms],
                    self.const.take(i, axis))

    def expand(self, axis: int, n: int) -> "Expr":
        """Repeat along a new leading axis of length ``n`` inserted at ``axis``."""
        shape = self.shape[:axis] + (n,) + self.shape[axis:]
        terms = []
        for c, v in self.terms:
            full = shape + c.shape[len(self.shape):]
            terms.append((np.broadcast_to(np.expand_dims(c, axis), full),
                          np.broadcast_to(np.expand_dims(v, axis), full)))
        return Expr(shape, terms, np.broadcast_to(np.expand_dims(self.const, axis), shape))


def cumulative(cols: np.ndarray, n_years: int, life: int | None = None) -> Expr:
    """Sum over the build years ``b`` active in year ``y`` of a year-first block."""
    y = np.arange(n_years)
    age = y[:, None] - y[None, :]
    active = ((age >= 0) & (age < life) if life else age >= 0).astype(float)  # (Y, B)
    moved = np.moveaxis(cols, 0, -1)                                             # (..., B)
    full = (n_years,) + moved.shape
    c = np.broadcast_to(moved[None], full)
    w = active.reshape((n_years,) + (1,) * (moved.ndim - 1) + (n_years,))
    return Expr(full[:-1], [(c, np.broadcast_to(w, full))])


@dataclass(frozen=True)
class Block:
    """A labelled block of columns or rows: its name, dimension names and coordinates."""

    name: str
    dims: tuple[str, ...]
    coords: tuple[tuple[Any, ...], ...]
    offset: int

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(c) for c in self.coords)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=int))

    def index(self) -> np.ndarray:
        return self.offset + np.arange(self.size).reshape(self.shape)

    def where(self, flat: int) -> dict[str, Any]:
        """The labels of entry ``flat`` (C order) of the block."""
        pos = np.unravel_index(flat, self.shape) if self.shape else ()
        return {d: _plain(c[i]) for d, c, i in zip(self.dims, self.coords, pos)}


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


@dataclass
class ArrayModel:
    """A build-out as solver arrays: minimise ``cost . x`` s.t. ``row_lower <= A x <=
    row_upper``, ``col_lower <= x <= col_upper``, the ``units`` columns integer.

    ``key`` identifies the layout (dimensions and which blocks exist): two models with
    the same key have the same columns and rows in the same order.
    """

    cols: dict[str, Block] = field(default_factory=dict)
    rows: dict[str, Block] = field(default_factory=dict)
    families: dict[str, str] = field(default_factory=dict)   # row block -> family
    col_lower: list[np.ndarray] = field(default_factory=list)
    col_upper: list[np.ndarray] = field(default_factory=list)
    col_open: list[np.ndarray] = field(default_factory=list)
    row_lower: list[np.ndarray] = field(default_factory=list)
    row_upper: list[np.ndarray] = field(default_factory=list)
    a_row: list[np.ndarray] = field(default_factory=list)
    a_col: list[np.ndarray] = field(default_factory=list)
    a_val: list[np.ndarray] = field(default_factory=list)
    cost: np.ndarray | None = None
    n_col: int = 0
    n_row: int = 0
    period_hours: np.ndarray | None = None  # site x dispatch period, when dispatched

    @property
    def key(self) -> tuple:
        return (tuple((b.name, b.coords) for b in self.cols.values()),
                tuple((b.name, b.coords) for b in self.rows.values()))

    # ------------------------------------------------------------------ building
    def add_cols(self, name: str, dims: tuple[str, ...], coords: list, open_: Any = True
                 ) -> np.ndarray:
        block = Block(name, dims, tuple(tuple(_plain(x) for x in c) for c in coords),
                      self.n_col)
        self.cols[name] = block
        self.n_col += block.size
        is_open = np.broadcast_to(np.asarray(open_, bool), block.shape).ravel()
        self.col_open.append(is_open)
        self.col_lower.append(np.zeros(block.size))
        self.col_upper.append(np.where(is_open, INF, 0.0))
        return block.index()

    def add_rows(self, name: str, dims: tuple[str, ...], coords: list, expr: Expr,
                 sense: str, rhs: Any, mask: Any = True, family: str | None = None) -> None:
        """Rows ``expr (<=|>=) rhs`` (the constant of ``expr`` moves to the right)."""
        block = Block(name, dims, tuple(tuple(_plain(x) for x in c) for c in coords),
                      self.n_row)
        if block.shape != expr.shape:
            raise ValueError(f"{name}: rows {block.shape}, expression {expr.shape}")
        self.rows[name] = block
        self.families[name] = family or name
        self.n_row += block.size
        rhs = (np.broadcast_to(np.asarray(rhs, float), block.shape) - expr.const).ravel()
        open_ = np.concatenate(self.col_open)
        rid = block.index().ravel()
        used = np.zeros(block.size, bool)
        for cols, coef in expr.terms:
            c = np.broadcast_to(cols, coef.shape).reshape(block.size, -1)
            v = np.broadcast_to(coef, coef.shape).reshape(block.size, -1)
            r = np.broadcast_to(rid[:, None], c.shape)
            keep = (v != 0) & open_[c]
            used |= keep.any(axis=1)
            self.a_row.append(r[keep])
            self.a_col.append(c[keep])
            self.a_val.append(v[keep])
        live = used & np.broadcast_to(np.asarray(mask, bool), block.shape).ravel()
        lower = np.where(live & (sense == ">="), rhs, -INF)
        upper = np.where(live & (sense == "<="), rhs, INF)
        self.row_lower.append(lower)
        self.row_upper.append(upper)

    def set_objective(self, expr: Expr) -> None:
        cost = np.zeros(self.n_col)
        open_ = np.concatenate(self.col_open)
        for cols, coef in expr.terms:
            c, v = np.broadcast_to(cols, coef.shape).ravel(), np.asarray(coef).ravel()
            np.add.at(cost, c, v)
        self.cost = np.where(open_, cost, 0.0)

    # ------------------------------------------------------------------ reading
    def arrays(self) -> dict[str, np.ndarray]:
        """Column-wise (CSC) matrix and bound vectors, duplicates summed."""
        r, c = np.concatenate(self.a_row), np.concatenate(self.a_col)
        v = np.concatenate(self.a_val)
        key = c.astype(np.int64) * max(self.n_row, 1) + r
        uniq, inv = np.unique(key, return_inverse=True)
        val = np.bincount(inv, weights=v, minlength=len(uniq))
        col, row = uniq // max(self.n_row, 1), uniq % max(self.n_row, 1)
        start = np.searchsorted(col, np.arange(self.n_col + 1))
        return {"start": start.astype(np.int32), "index": row.astype(np.int32), "value": val,
                "col_lower": np.concatenate(self.col_lower),
                "col_upper": np.concatenate(self.col_upper),
                "row_lower": np.concatenate(self.row_lower),
                "row_upper": np.concatenate(self.row_upper), "cost": self.cost}

    def col_slice(self, name: str) -> slice:
        b = self.cols[name]
        return slice(b.offset, b.offset + b.size)


@dataclass
class _Terms:
    """Fleet, power and money expressions in terms of the decisions (as in model.py)."""

    active_kacc: Expr   # year, site, accelerator
    it_mw: Expr         # year, site
    facility_mw: Expr   # year, site
    power_cum_mw: Expr  # year, site, source
    capex_busd: Expr    # year
    opex_busd: Expr     # year
    emissions_tco2: Expr  # year


def _add_variables(m: ArrayModel, inputs: PlanInputs) -> None:
    y, a, s = inputs.years, inputs.accelerators, inputs.sites.index
    ps = inputs.power_sources
    yv = y.to_numpy()
    in_phase = inputs.phase_of_year().notna().to_numpy()
    window = ((yv[:, None] >= a.available_from.to_numpy()[None, :])
              & (yv[:, None] <= a.available_to.to_numpy()[None, :]))
    m.add_cols("units", ("year", "site", "accelerator"), [yv, s, a.index],
               (window & in_phase[:, None])[:, None, :])
    m.add_cols("hall_mw", ("year", "site"), [yv, s], in_phase[:, None])
    lead = source_lead_years(inputs).to_numpy()
    src_ok = yv[:, None] >= inputs.start_year + lead[None, :]
    allowed = inputs.site_sources.reindex(index=s, columns=ps.index).to_numpy(bool)
    m.add_cols("power_mw", ("year", "site", "source"), [yv, s, ps.index],
               (src_ok & in_phase[:, None])[:, None, :] & allowed[None])
    generating = (ps.kind != "battery").to_numpy()
    m.add_cols("gen_gwh", ("year", "site", "source"), [yv, s, ps.index],
               (allowed & generating[None, :])[None])
    inf = inputs.inference_demand_tokens_per_s
    if len(inf.columns):
        m.add_cols("serve_kacc", ("year", "accelerator", "inference"), [yv, a.index, inf.columns])


def _terms(m: ArrayModel, inputs: PlanInputs) -> _Terms:
    a, sites, ps, fac = inputs.accelerators, inputs.sites, inputs.power_sources, inputs.facility
    ny = len(inputs.years)
    units = m.cols["units"].index()
    per_unit_kacc = a.accelerators_per_unit.to_numpy(float) / 1e3
    active = cumulative(units, ny, inputs.life_years_int()) * per_unit_kacc + existing_kacc(inputs)
    it_mw = (active * (a.it_power_w.to_numpy(float) * 1e3 / 1e6)).sum(2)
    facility_mw = it_mw * sites.pue.to_numpy(float)
    power = m.cols["power_mw"].index()
    base_power = existing_power_mw(inputs).reindex(index=sites.index, columns=ps.index)
    power_cum = cumulative(power, ny) + base_power.to_numpy(float)
    acc_busd = a.capex_usd_per_accelerator.to_numpy(float) * 1e3 / 1e9
    capex_acc = (Expr.of(units) * per_unit_kacc * acc_busd).sum(2).sum(1)
    capex_hall = (Expr.of(m.cols["hall_mw"].index()) * (fac["capex_usd_per_mw"] / 1e9)).sum(1)
    battery = (ps.kind == "battery").to_numpy(float)
    per_mw = (ps.capex_usd_per_kw.to_numpy(float) * 1e3
              + battery * BATTERY_HOURS * np.nan_to_num(ps.capex_usd_per_kwh.to_numpy(float)) * 1e3)
    capex_power = (Expr.of(power) * (per_mw / 1e9)).sum(2).sum(1)
    price = energy_price(inputs).reindex(index=sites.index, columns=ps.index).to_numpy(float)
    energy = (Expr.of(m.cols["gen_gwh"].index()) * (price * 1e3 / 1e9)).sum(2).sum(1)
    fixed_om = (power_cum * (ps.fixed_opex_usd_per_kw_year.to_numpy(float) * 1e3 / 1e9)
                ).sum(2).sum(1)
    hall_cum = cumulative(m.cols["hall_mw"].index(), ny).sum(1)
    hall_om = hall_cum * (fac["capex_usd_per_mw"] * fac["opex_fraction_per_year"] / 1e9)
    support = (active * (acc_busd * fac["hardware_support_fraction_per_year"])).sum(2).sum(1)
    emissions = (Expr.of(m.cols["gen_gwh"].index()) * (emission_factors(inputs) * 1e3)[None]
                 ).sum(2).sum(1)
    carbon = emissions * (carbon_price(inputs) / 1e9)
    return _Terms(active_kacc=active, it_mw=it_mw, facility_mw=facility_mw,
                  power_cum_mw=power_cum, capex_busd=capex_acc + capex_hall + capex_power,
                  opex_busd=energy + fixed_om + hall_om + support + carbon,
                  emissions_tco2=emissions)


def _ys(inputs: PlanInputs) -> list:
    return [inputs.years.to_numpy(), inputs.sites.index]


def define_halls(m: ArrayModel, inputs: PlanInputs, t: _Terms) -> None:
    """hall-it_mw-upper, hall-lead_mw-upper, site-land_km2-upper (see model.py)."""
    ny = len(inputs.years)
    hall = cumulative(m.cols["hall_mw"].index(), ny)
    base = existing_it_mw(inputs).reindex(inputs.sites.index).to_numpy(float)
    m.add_rows("hall-it_mw-upper", ("year", "site"), _ys(inputs), t.it_mw - hall, "<=", base)
    lead = lead_years(inputs.facility["build_years"])
    early = inputs.years.to_numpy() < inputs.start_year + lead
    limit = inputs.site_power_mw.reindex(index=inputs.years, columns=inputs.sites.index
                                         ).div(inputs.sites.pue, axis=1).to_numpy(float)
    m.add_rows("hall-lead_mw-upper", ("year", "site"), _ys(inputs), hall, "<=",
               np.clip(limit - base[None, :], 0, None), mask=early[:, None])
    per_mw = inputs.facility["land_m2_per_mw"]
    free = (inputs.sites.land_m2.to_numpy(float) - base * per_mw) / 1e6
    m.add_rows("site-land_km2-upper", ("year", "site"), _ys(inputs), hall * (per_mw / 1e6),
               "<=", free)


def define_site_power(m: ArrayModel, inputs: PlanInputs, t: _Terms) -> None:
    slack = m.add_cols("slack-site_power_mw", ("year", "site"), _ys(inputs))
    limit = site_limit_mw(inputs).to_numpy(float)
    m.add_rows("site-power_mw-upper", ("year", "site"), _ys(inputs),
               t.facility_mw - Expr.of(slack), "<=", limit)


def define_power_supply(m: ArrayModel, inputs: PlanInputs, t: _Terms) -> None:
    ps = inputs.power_sources
    is_batt = (ps.kind == "battery").to_numpy()
    held_mw, whole = contingency_terms(inputs)
    m.add_rows("power-firm_mw-lower", ("year", "site"), _ys(inputs),
               (t.power_cum_mw * (firm_credit(inputs)[None, None, :] - whole)).sum(2)
               - t.facility_mw * (1.0 + inputs.reserve_margin), ">=", held_mw)
    load = t.facility_mw * (inputs.facility["average_load_fraction"] * HOURS_PER_YEAR / 1e3)
    gen = Expr.of(m.cols["gen_gwh"].index())
    m.add_rows("power-energy_gwh-lower", ("year", "site"), _ys(inputs), gen.sum(2) - load,
               ">=", 0.0)
    cf = ps.capacity_factor.to_numpy(float) * HOURS_PER_YEAR / 1e3
    m.add_rows("power-gen_gwh-upper", ("year", "site", "source"), _ys(inputs) + [ps.index],
               gen - t.power_cum_mw * cf, "<=", 0.0)
    # balanced as annual energy, a battery charges from the site's variable sources;
    # dispatched, its charge is in the blocks' balance (from any source)
    if is_batt.any() and inputs.solar_cf is None:
        variable = ((~ps.firm.to_numpy(bool)) & ~is_batt).astype(float)
        m.add_rows("power-battery_mw-charge", ("year", "site"), _ys(inputs),
                   (t.power_cum_mw * is_batt.astype(float)).sum(2)
                   - (t.power_cum_mw * variable).sum(2), "<=", 0.0)


def define_grid(m: ArrayModel, inputs: PlanInputs, t: _Terms) -> None:
    """grid-capacity_mw-upper: grid MW at a site within what the utility delivers."""
    limit = grid_limit_mw(inputs)
    if limit is None:
        return
    has = ~np.isnan(limit)
    is_grid = (inputs.power_sources.kind == "grid").to_numpy(float)
    slack = m.add_cols("slack-grid_mw", ("year", "site"), _ys(inputs), has)
    m.add_rows("grid-capacity_mw-upper", ("year", "site"), _ys(inputs),
               (t.power_cum_mw * is_grid).sum(2) - Expr.of(slack), "<=",
               np.nan_to_num(limit), mask=has)


def define_dispatch(m: ArrayModel, inputs: PlanInputs, t: _Terms) -> None:
    """Supply matched to load in every dispatch period (see model.py)."""
    if inputs.solar_cf is None:
        return
    ps, nt = inputs.power_sources, inputs.solar_cf.shape[1]
    yv, sites = inputs.years.to_numpy(), inputs.sites.index
    periods = np.arange(nt)
    allowed = inputs.site_sources.reindex(index=sites, columns=ps.index).to_numpy(bool)
    is_batt = (ps.kind == "battery").to_numpy()
    dims4 = ("year", "site", "source", "period")
    disp = m.add_cols("dispatch_mw", dims4, [yv, sites, ps.index, periods],
                      (allowed & ~is_batt[None])[None, :, :, None])
    has_batt = (allowed & is_batt[None]).any(axis=1)
    ysp = [yv, sites, periods]
    charge = m.add_cols("charge_mw", ("year", "site", "period"), ysp, has_batt[None, :, None])
    discharge = m.add_cols("discharge_mw", ("year", "site", "period"), ysp,
                           has_batt[None, :, None])
    soc = m.add_cols("soc_mwh", ("year", "site", "period"), ysp, has_batt[None, :, None])
    m.add_rows("power-dispatch_mw-upper", dims4, [yv, sites, ps.index, periods],
               Expr.of(disp) - t.power_cum_mw.expand(3, nt) * dispatch_availability(inputs),
               "<=", 0.0)
    m.period_hours = inputs.period_hours
    hours = np.broadcast_to((inputs.period_hours / 1e3)[None, :, None, :], disp.shape)
    m.add_rows("power-dispatch_gwh-link", ("year", "site", "source"),
               _ys(inputs) + [ps.index],
               Expr.of(m.cols["gen_gwh"].index()) - Expr(disp.shape[:3], [(disp, hours)]),
               ">=", 0.0)
    batt = (t.power_cum_mw * is_batt.astype(float)).sum(2).expand(2, nt)
    dims3 = ("year", "site", "period")
    m.add_rows("power-charge_mw-upper", dims3, ysp, Expr.of(charge) - batt, "<=", 0.0)
    m.add_rows("power-discharge_mw-upper", dims3, ysp, Expr.of(discharge) - batt, "<=", 0.0)
    m.add_rows("power-soc_mwh-upper", dims3, ysp, Expr.of(soc) - batt * BATTERY_HOURS,
               "<=", 0.0)
    h = inputs.block_hours
    m.add_rows("power-soc_mwh-balance", dims3, ysp,
               Expr.of(soc) - Expr.of(soc[:, :, previous_period(inputs)])
               - Expr.of(charge) * (h * BATTERY_EFFICIENCY) + Expr.of(discharge) * h,
               "<=", 0.0)
    load = t.facility_mw.expand(2, nt) * inputs.facility["average_load_fraction"]
    net = Expr.of(disp).sum(2) + Expr.of(discharge) - Expr.of(charge) - load
    m.add_rows("power-balance_mw-lower", dims3, ysp, net, ">=", 0.0)
    m.add_rows("power-balance_mw-upper", dims3, ysp, net, "<=", 0.0)  # curtail, not dump


def define_ramp(m: ArrayModel, inputs: PlanInputs, t: _Terms) -> None:
    """power-ramp_mw-lower: swing-absorbing MW at a site >= the placed run's swing the
    grid cannot follow (see :func:`ramp_shortfall_mw`)."""
    short = ramp_shortfall_mw(inputs)
    if short is None:
        return
    has = short > 0
    slack = m.add_cols("slack-ramp_mw", ("year", "site"), _ys(inputs), has)
    m.add_rows("power-ramp_mw-lower", ("year", "site"), _ys(inputs),
               (t.power_cum_mw * absorbs_swings(inputs)).sum(2) + Expr.of(slack), ">=",
               short, mask=has)


def define_power_market(m: ArrayModel, inputs: PlanInputs, t: _Terms) -> None:
    """power-supply_mw-upper: new MW of a source per year, all sites, within its market."""
    sup = source_supply(inputs)
    if sup is None:
        return
    coords = [inputs.years.to_numpy(), inputs.power_sources.index]
    m.add_rows("power-supply_mw-upper", ("year", "source"), coords,
               Expr.of(m.cols["power_mw"].index()).sum(1), "<=", np.nan_to_num(sup),
               mask=~np.isnan(sup))


def define_emissions(m: ArrayModel, inputs: PlanInputs, t: _Terms) -> None:
    """emissions-mtco2-upper: MtCO2 emitted per year within the cap (in tCO2)."""
    cap = emissions_cap(inputs)
    if cap is None:
        return
    has = ~np.isnan(cap)
    coords = [inputs.years.to_numpy()]
    slack = m.add_cols("slack-emissions_mtco2", ("year",), coords, has)
    m.add_rows("emissions-mtco2-upper", ("year",), coords,
               t.emissions_tco2 * 1e-6 - Expr.of(slack), "<=", np.nan_to_num(cap) / 1e6,
               mask=has)


def define_supply(m: ArrayModel, inputs: PlanInputs, t: _Terms) -> None:
    a = inputs.accelerators
    cap = inputs.supply_cap.reindex(index=inputs.years, columns=a.index).to_numpy(float)
    has = ~np.isnan(cap)
    if not has.any():
        return
    coords = [inputs.years.to_numpy(), a.index]
    slack = m.add_cols("slack-supply_kacc", ("year", "accelerator"), coords, has)
    new = (Expr.of(m.cols["units"].index()) * (a.accelerators_per_unit.to_numpy(float) / 1e3)
           ).sum(1)
    m.add_rows("supply-kacc-upper", ("year", "accelerator"), coords, new - Expr.of(slack),
               "<=", np.nan_to_num(cap) / 1e3, mask=has)


def define_hbm(m: ArrayModel, inputs: PlanInputs, t: _Terms) -> None:
    sup = inputs.hbm_supply_gb.reindex(index=inputs.years).to_numpy(float)
    has = ~np.isnan(sup)
    if not has.any():
        return
    a = inputs.accelerators
    share = inputs.hbm_share.reindex(index=a.index, columns=inputs.hbm_supply_gb.columns)
    tb = share.to_numpy(float) * (a.accelerators_per_unit * a.hbm_gb / 1e3).to_numpy(float)[:, None]
    units = m.cols["units"].index()                                    # (Y, S, A)
    ny, nh = len(inputs.years), tb.shape[1]
    cols = np.broadcast_to(units[:, None], (ny, nh) + units.shape[1:])  # (Y, H, S, A)
    coef = np.broadcast_to(tb.T[None, :, None, :], cols.shape)
    drawn = Expr((ny, nh), [(cols, coef)])
    coords = [inputs.years.to_numpy(), inputs.hbm_supply_gb.columns]
    slack = m.add_cols("slack-hbm_tb", ("year", "supplier"), coords, has)
    m.add_rows("hbm-supply_tb-upper", ("year", "supplier"), coords, drawn - Expr.of(slack),
               "<=", np.nan_to_num(sup) / 1e3, mask=has)


def define_vendor_share(m: ArrayModel, inputs: PlanInputs, t: _Terms) -> None:
    share = inputs.vendor_max_share
    if share is None or share >= 1:
        return
    vendors = sorted(set(inputs.accelerators.vendor))
    onehot = np.array([(inputs.accelerators.vendor == v).to_numpy(float) for v in vendors])
    fleet = t.active_kacc.sum(1)                                       # (Y, A)
    by_vendor = (fleet.expand(1, len(vendors)) * onehot[None]).sum(2)  # (Y, V)
    total = fleet.sum(1).expand(1, len(vendors))
    coords = [inputs.years.to_numpy(), vendors]
    slack = m.add_cols("slack-vendor_kacc", ("year", "vendor"), coords)
    m.add_rows("vendor-share_kacc-upper", ("year", "vendor"), coords,
               by_vendor - total * share - Expr.of(slack), "<=", 0.0)


def define_training(m: ArrayModel, inputs: PlanInputs, t: _Terms) -> None:
    tr = inputs.training
    if tr.empty:
        return
    years = inputs.years
    rate = inputs.training_tokens_per_s_per_gpu.reindex(inputs.accelerators.index)
    free = t.active_kacc.sum(1)                                        # (Y, A)
    if "serve_kacc" in m.cols:
        free = free - Expr.of(m.cols["serve_kacc"].index()).sum(2)
    slack = m.add_cols("slack-training_ttokens", ("training",), [tr.index])
    for k, (w, row) in enumerate(tr.iterrows()):
        year = int(min(max(row.deadline_year, years[0]), years[-1]))
        per_kacc = rate[w].to_numpy(float) * 1e3 * row.max_days * 86400.0 / 1e12
        done = (free.take(0, years.get_loc(year)) * per_kacc).sum(0)
        m.add_rows(f"training-tokens_t-lower[{w}]", (), [], done + Expr.of(slack[k]), ">=",
                   row.tokens / 1e12, family="training-tokens_t-lower")
    _placement(m, inputs, t)


def _placement(m: ArrayModel, inputs: PlanInputs, t: _Terms) -> None:
    """A placed run's site holds the accelerators its job needs (``training_sites``)."""
    req = inputs.training_sites
    if req is None or req.empty:
        return
    years, sites, accs = inputs.years, inputs.sites.index, inputs.accelerators.index
    slack = m.add_cols("slack-training_site_kacc", ("placement",), [req.index])
    for k, r in enumerate(req.itertuples()):
        have = (t.active_kacc.take(0, years.get_loc(int(r.year)))
                .take(0, sites.get_loc(r.site)).take(0, accs.get_loc(r.accelerator)))
        m.add_rows(f"training-site_kacc-lower[{k}]", (), [], have + Expr.of(slack[k]), ">=",
                   float(r.kacc), family="training-site_kacc-lower")


def define_inference(m: ArrayModel, inputs: PlanInputs, t: _Terms) -> None:
    if "serve_kacc" not in m.cols:
        return
    serve = Expr.of(m.cols["serve_kacc"].index())                      # (Y, A, I)
    demand = inputs.inference_demand_tokens_per_s.reindex(index=inputs.years)
    rate = inputs.inference_tokens_per_s_per_gpu.reindex(
        index=inputs.accelerators.index, columns=demand.columns).to_numpy(float)
    coords = [inputs.years.to_numpy(), demand.columns]
    slack = m.add_cols("slack-inference_mtok_per_s", ("year", "inference"), coords)
    served = (serve * (rate * 1e3 / 1e6)[None]).sum(1)
    m.add_rows("inference-mtok_per_s-lower", ("year", "inference"), coords,
               served + Expr.of(slack), ">=", demand.to_numpy(float) / 1e6)
    m.add_rows("inference-kacc-upper", ("year", "accelerator"),
               [inputs.years.to_numpy(), inputs.accelerators.index],
               serve.sum(2) - t.active_kacc.sum(1), "<=", 0.0)


def define_budget(m: ArrayModel, inputs: PlanInputs, t: _Terms) -> None:
    phase = inputs.phase_of_year()
    slack = m.add_cols("slack-budget_busd", ("phase",), [inputs.phases.index])
    for k, (pid, p) in enumerate(inputs.phases.iterrows()):
        years = np.flatnonzero((phase == pid).to_numpy())
        spent = Expr((), [(np.asarray(c)[years].T, np.asarray(v)[years].T)
                          for c, v in t.capex_busd.terms])
        spent = spent + float(t.capex_busd.const[years].sum())
        m.add_rows(f"budget-phase_busd-upper[{pid}]", (), [], spent - Expr.of(slack[k]), "<=",
                   p.budget_usd / 1e9, family="budget-phase_busd-upper")


CONSTRAINT_FAMILIES = (define_halls, define_site_power, define_power_supply, define_grid,
                       define_dispatch, define_ramp, define_power_market, define_emissions,
                       define_supply, define_hbm, define_vendor_share, define_training, define_inference,
                       define_budget)


def _objective(m: ArrayModel, inputs: PlanInputs, t: _Terms) -> None:
    npv = ((t.capex_busd + t.opex_busd) * discount_factors(inputs)).sum()
    penalty = [Expr.of(m.cols[var].index()).sum() * weight
               for var, weight, _ in SLACKS.values() if var in m.cols]
    obj = npv if inputs.objective == "min_cost" else (
        -(t.active_kacc * (inputs.accelerators.effective_flop_per_s.to_numpy(float)
                           * 1e3 / 1e18)).sum() + npv * COST_TIEBREAK)
    for p in penalty:
        obj = obj + p
    m.set_objective(obj)


def build_arrays(inputs: PlanInputs) -> ArrayModel:
    """The build-out model of ``inputs`` as solver arrays (same formulation as
    :func:`gigawatt.plan.model.build_model`; the objective's constant is dropped)."""
    m = ArrayModel()
    _add_variables(m, inputs)
    t = _terms(m, inputs)
    for define in CONSTRAINT_FAMILIES:
        define(m, inputs, t)
    _objective(m, inputs, t)
    return m
