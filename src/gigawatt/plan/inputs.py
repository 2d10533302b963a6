"""The planner's inputs: plain labelled tables derived from a scenario and the catalog.

:class:`PlanInputs` is what the optimisation reads and nothing else. It is a frozen
dataclass of pandas tables, so the risk layer perturbs a plan by copying it with
``dataclasses.replace`` (prices x 1.2, a supply cap halved, a site's power two years
late) and solving again. Unit tests build one by hand with their own numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..catalog import Catalog
from ..deploy import DEFAULT_FACILITY, unit_costs
from ..errors import InfeasibleError, ValidationError
from ..scenario import Scenario
from ..solar import hourly_capacity_factor, representative_days
from .capability import Capability

#: hours of storage behind each MW of battery (a 4-hour battery, the common utility design)
BATTERY_HOURS = 4.0
#: round-trip efficiency of that battery (NREL ATB 2024, utility-scale battery storage:
#: 85%, the ``nrel-atb-2024`` source of the catalog's battery row)
BATTERY_EFFICIENCY = 0.85


@dataclass(frozen=True)
class PlanInputs:
    """Everything the build-out optimisation needs, as labelled tables (units in names).

    Attributes
    ----------
    scenario_id : id of the scenario the tables come from.
    years : programme years (``pd.Index`` named ``year``).
    phases : index phase id; columns ``start_year``, ``end_year``, ``budget_usd``.
    accelerators : index accelerator id; columns ``vendor``, ``system``,
        ``accelerators_per_unit`` (accelerators in one deployable system),
        ``capex_usd_per_accelerator`` (its share of system price plus network),
        ``it_power_w`` (all-in IT power per accelerator), ``peak_flop_per_s`` (dense BF16),
        ``mfu`` (on the reference model), ``effective_flop_per_s`` (peak x MFU),
        ``hbm_gb``, ``available_from``, ``available_to`` (year).
    hbm_share : accelerator x HBM supplier, the fraction of its HBM from each supplier.
    supply_cap : year x accelerator, most accelerators obtainable (NaN: no cap).
    sites : index site id; ``pue``, ``electricity_usd_per_mwh``, ``land_m2``.
    site_power_mw : year x site, facility power deliverable to the site, MW.
    power_sources : index source id; ``kind``, ``capex_usd_per_kw``,
        ``capex_usd_per_kwh``, ``fixed_opex_usd_per_kw_year``, ``energy_usd_per_mwh``
        (NaN: the site's grid price), ``capacity_factor``, ``firm`` (bool),
        ``lead_time_years``.
    site_sources : site x source, True where the source may be built at the site.
    hbm_supply_gb : year x supplier, HBM obtainable, GB (NaN: no cap).
    existing : rows ``site``, ``accelerator``, ``count``, ``installed_year``.
    training : index workload id; ``model``, ``tokens``, ``deadline_year``, ``max_days``.
    training_tokens_per_s_per_gpu : accelerator x training workload (0: cannot run).
    training_sites : optional rows ``workload``, ``year``, ``site``, ``accelerator``,
        ``kacc``: a training run placed at a site needs at least ``kacc`` thousand active
        accelerators of that type there in that year (set by the layer that places runs,
        see ``gigawatt.ops.placement``; None: no placement requirement).
    site_swing_mw : optional year x site, MW a placed training run can drop within seconds
        (set with ``training_sites``, see ``gigawatt.ops.power_swing``; None: no swing).
    grid_mw : optional year x site, grid interconnection MW the utility delivers (NaN or
        None: the grid is limited only by the site's power).
    solar_cf, period_hours, block_hours : optional dispatch periods (representative days x
        hour blocks, see :func:`dispatch_periods`): ``solar_cf`` site x period, the solar
        capacity factor; ``period_hours`` site x period, hours of the year each period
        stands for (each site's row sums to 8,760); ``block_hours`` the length of a
        period. None: no dispatch, power is balanced as annual energy and firm capacity.
    grid_ramp_mw_per_min : optional site, the load change the site's grid tolerates, MW
        per minute (NaN: not limited); with ``site_swing_mw`` it sets how much
        swing-absorbing capacity (``absorbs_swings`` sources: batteries) a site needs.
    grid_emissions_tco2_per_mwh : optional site, the grid's average tCO2/MWh (region).
    carbon_price_usd_per_tco2 : USD per tCO2 emitted (a number, or a Series by year).
    emissions_cap_tco2 : optional year, most tCO2 emitted in the year (NaN: no cap).
    source_supply_mw : optional year x source, most new MW of the source obtainable in
        the year over all sites (NaN: no market limit).
    power_sources may carry ``emissions_tco2_per_mwh`` (NaN for the grid: the site's
        regional factor) and ``supply_mw_per_year``; missing columns mean 0 and no limit.
    reserve_margin : firm capacity each site holds above its peak load (fraction).
    n_plus_one : the site keeps its peak load when its largest on-site unit trips.
    contingency_mw, contingency_source : optional year x site, the MW of that largest
        unit, and the source whose whole MW it is where the site has less than one unit
        of it ("" otherwise; see :mod:`gigawatt.plan.reserve`, which settles both from
        the plan; None: not yet settled).
    inference_demand_tokens_per_s : year x inference workload, output tokens/s to serve.
    inference_tokens_per_s_per_gpu : accelerator x inference workload (0: cannot serve).
    facility : hall parameters ``capex_usd_per_mw``, ``build_years``, ``land_m2_per_mw``,
        ``opex_fraction_per_year``, ``hardware_support_fraction_per_year``,
        ``average_load_fraction``.
    discount_rate : real discount rate per year.
    hardware_life_years : accelerators retire this many years after installation.
    vendor_max_share : largest share of the active fleet (by count) from one vendor.
    objective : ``max_effective_compute`` or ``min_cost``.
    reference_model : LLM whose MFU defines effective compute.
    notes : capability notes (pairs that cannot run, and why).
    """

    scenario_id: str
    years: pd.Index
    phases: pd.DataFrame
    accelerators: pd.DataFrame
    hbm_share: pd.DataFrame
    supply_cap: pd.DataFrame
    sites: pd.DataFrame
    site_power_mw: pd.DataFrame
    power_sources: pd.DataFrame
    site_sources: pd.DataFrame
    hbm_supply_gb: pd.DataFrame
    existing: pd.DataFrame
    training: pd.DataFrame
    training_tokens_per_s_per_gpu: pd.DataFrame
    inference_demand_tokens_per_s: pd.DataFrame
    inference_tokens_per_s_per_gpu: pd.DataFrame
    facility: dict[str, float]
    discount_rate: float = 0.08
    hardware_life_years: float = 5.0
    vendor_max_share: float | None = None
    objective: str = "max_effective_compute"
    reference_model: str = ""
    notes: list[str] = field(default_factory=list)
    training_sites: pd.DataFrame | None = None
    site_swing_mw: pd.DataFrame | None = None
    grid_mw: pd.DataFrame | None = None
    grid_emissions_tco2_per_mwh: pd.Series | None = None
    carbon_price_usd_per_tco2: float | pd.Series = 0.0
    emissions_cap_tco2: pd.Series | None = None
    source_supply_mw: pd.DataFrame | None = None
    grid_ramp_mw_per_min: pd.Series | None = None
    solar_cf: np.ndarray | None = None
    period_hours: np.ndarray | None = None
    block_hours: float = 4.0
    reserve_margin: float = 0.0
    n_plus_one: bool = True
    contingency_mw: pd.DataFrame | None = None
    contingency_source: pd.DataFrame | None = None

    @property
    def start_year(self) -> int:
        return int(self.years[0])

    def phase_of_year(self) -> pd.Series:
        """Phase id of each programme year (NaN for years outside every phase)."""
        out = pd.Series(np.nan, index=self.years, dtype=object)
        for pid, p in self.phases.iterrows():
            out[(self.years >= p.start_year) & (self.years <= p.end_year)] = pid
        return out

    def life_years_int(self) -> int:
        return max(1, int(round(self.hardware_life_years)))


def accelerator_ids(sc: Scenario) -> list[str]:
    """The scenario's accelerator options, then those only in its installed base."""
    ids = [o.accelerator for o in sc.accelerators]
    return ids + [e for e in dict.fromkeys(x.accelerator for x in sc.existing) if e not in ids]


def _years_index(sc: Scenario) -> pd.Index:
    return pd.Index(sc.years, name="year")


def _phases(sc: Scenario) -> pd.DataFrame:
    return pd.DataFrame([{"phase": p.id, "start_year": p.start_year, "end_year": p.end_year,
                          "budget_usd": p.budget_usd} for p in sc.phases]).set_index("phase")


def _accelerators(sc: Scenario, cat: Catalog, cap: Capability) -> pd.DataFrame:
    """One row per accelerator; those only in the installed base cannot be bought (their
    window lies after the programme)."""
    rows = []
    options = {o.accelerator: o for o in sc.accelerators}
    never = sc.end_year + 1
    for aid in accelerator_ids(sc):
        opt = options.get(aid)
        acc = cat.accelerator(aid)
        system = cat.system(acc.system)
        unit = unit_costs(cat, acc.id)
        hw = unit["hardware_usd"]
        if opt is not None and opt.price_usd is not None:  # the override replaces the price
            hw += opt.price_usd - acc.price_usd
        peak = acc.bf16_tflop_per_s * 1e12
        mfu = cap.mfu.get(acc.id, 0.0)
        rows.append({"accelerator": acc.id, "vendor": acc.vendor, "system": system.id,
                     "accelerators_per_unit": system.accelerators,
                     "capex_usd_per_accelerator": hw + unit["network_usd"],
                     "it_power_w": unit["it_power_w"], "peak_flop_per_s": peak, "mfu": mfu,
                     "effective_flop_per_s": peak * mfu, "hbm_gb": acc.hbm_gb,
                     "available_from": opt.available_from if opt else never,
                     "available_to": (opt.available_to or sc.end_year) if opt else never})
    return pd.DataFrame(rows).set_index("accelerator")


def _hbm(sc: Scenario, cat: Catalog, years: pd.Index) -> tuple[pd.DataFrame, pd.DataFrame]:
    ids = accelerator_ids(sc)
    suppliers = sorted({s for a in ids for s in cat.accelerator(a).hbm_suppliers}
                       | set(sc.hbm_supply_gb_by_year))
    share = pd.DataFrame(0.0, index=pd.Index(ids, name="accelerator"),
                         columns=pd.Index(suppliers, name="supplier"))
    for a in ids:
        sup = cat.accelerator(a).hbm_suppliers
        share.loc[a, sup] = 1.0 / len(sup)  # an even split between suppliers
    supply = pd.DataFrame(np.nan, index=years, columns=share.columns)
    for supplier, by_year in sc.hbm_supply_gb_by_year.items():
        for year, gb in by_year.items():
            if year in years:
                supply.loc[year, supplier] = gb
    return share, supply


def _supply_cap(sc: Scenario, years: pd.Index) -> pd.DataFrame:
    cap = pd.DataFrame(np.nan, index=years,
                       columns=pd.Index(accelerator_ids(sc), name="accelerator"))
    for o in sc.accelerators:
        for year, n in o.supply_cap_by_year.items():
            if year in years:
                cap.loc[year, o.accelerator] = n
    return cap


def _sites(sc: Scenario, cat: Catalog, years: pd.Index) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, power = [], {}
    for opt in sc.sites:
        site = cat.site(opt.site)
        pue = opt.pue or cat.get("coolings", site.cooling).pue
        price = cat.get("electricity_prices", site.region).usd_per_mwh
        rows.append({"site": site.id, "pue": pue, "electricity_usd_per_mwh": price,
                     "land_m2": site.land_m2})
        by_year = opt.power_mw_by_year or site.power_mw_by_year
        power[site.id] = [_latest(by_year, y) for y in years]
    return (pd.DataFrame(rows).set_index("site"),
            pd.DataFrame(power, index=years).rename_axis(columns="site"))


def _latest(by_year: dict[int, float], year: int) -> float:
    past = [y for y in by_year if y <= year]
    return float(by_year[max(past)]) if past else 0.0


def _power_sources(sc: Scenario, cat: Catalog) -> tuple[pd.DataFrame, pd.DataFrame]:
    allowed = {opt.site: (opt.power_sources or cat.site(opt.site).power_sources)
               for opt in sc.sites}
    ids = sorted({p for ps in allowed.values() for p in ps})
    matrix = pd.DataFrame(False, index=pd.Index(list(allowed), name="site"),
                          columns=pd.Index(ids, name="source"))
    for site, ps in allowed.items():
        matrix.loc[site, ps] = True
    return source_table(cat, ids), matrix


def source_table(cat: Catalog, ids: list[str]) -> pd.DataFrame:
    """The power sources ``ids`` as the planner's table (index source id)."""
    rows = []
    for pid in ids:
        p = cat.get("power_sources", pid)
        rows.append({"source": pid, "kind": p.kind, "capex_usd_per_kw": p.capex_usd_per_kw,
                     "capex_usd_per_kwh": p.capex_usd_per_kwh,
                     "fixed_opex_usd_per_kw_year": p.fixed_opex_usd_per_kw_year,
                     "energy_usd_per_mwh": (np.nan if p.energy_usd_per_mwh is None
                                            else p.energy_usd_per_mwh),
                     "capacity_factor": p.capacity_factor, "firm": p.firm,
                     "lead_time_years": p.lead_time_years,
                     "emissions_tco2_per_mwh": (np.nan if p.emissions_tco2_per_mwh is None
                                                else p.emissions_tco2_per_mwh),
                     "supply_mw_per_year": (np.nan if p.supply_mw_per_year is None
                                            else p.supply_mw_per_year),
                     "absorbs_swings": bool(p.absorbs_swings),
                     "forced_outage_rate": float(p.forced_outage_rate or 0.0),
                     "unit_mw": np.nan if p.unit_mw is None else float(p.unit_mw),
                     "life_years": float(p.life_years)})
    return pd.DataFrame(rows).set_index("source")


def _grid(sc: Scenario, cat: Catalog, years: pd.Index) -> dict[str, Any]:
    """PlanInputs fields of the sites' grids: year x site grid MW (NaN where the site gives
    no grid split), each site's regional grid tCO2/MWh and the ramp its grid tolerates."""
    grid, factor, ramp = {}, {}, {}
    for opt in sc.sites:
        site = cat.site(opt.site)
        by_year = opt.grid_mw_by_year or site.grid_mw_by_year
        grid[site.id] = ([_latest(by_year, y) for y in years] if by_year is not None
                         else [np.nan] * len(years))
        f = cat.get("electricity_prices", site.region).emissions_tco2_per_mwh
        factor[site.id] = np.nan if f is None else float(f)
        r = site.grid_ramp_mw_per_min
        ramp[site.id] = np.nan if r is None else float(r)
    return {"grid_mw": pd.DataFrame(grid, index=years).rename_axis(columns="site"),
            "grid_emissions_tco2_per_mwh": pd.Series(factor, dtype=float).rename_axis("site"),
            "grid_ramp_mw_per_min": pd.Series(ramp, dtype=float).rename_axis("site")}


def _power_policy(sc: Scenario, years: pd.Index, sources: pd.Index) -> dict[str, Any]:
    """PlanInputs fields of the scenario's ``power:`` block (carbon, cap, supply)."""
    pw = sc.power
    if pw is None:
        return {}
    reserve = {"reserve_margin": float(pw.reserve_margin), "n_plus_one": bool(pw.n_plus_one)}
    cap = pd.Series({y: float(pw.emissions_cap_tco2_by_year[y]) if y in
                     pw.emissions_cap_tco2_by_year else np.nan for y in years}, dtype=float)
    supply = pd.DataFrame(np.nan, index=years, columns=sources)
    for src, by_year in pw.source_supply_mw_by_year.items():
        if src in supply.columns:
            supply[src] = [_latest(by_year, y) if any(k <= y for k in by_year) else np.nan
                           for y in years]
    return {"carbon_price_usd_per_tco2": float(pw.carbon_price_usd_per_tco2),
            "emissions_cap_tco2": cap.rename_axis("year"), "source_supply_mw": supply,
            **reserve}


def dispatch_periods(sc: Scenario, cat: Catalog, sources: pd.DataFrame) -> dict[str, Any]:
    """Dispatch periods of each site: representative days of its solar year (clear-sky
    geometry at its latitude scaled to its capacity factor, :mod:`gigawatt.solar`), cut
    into blocks of ``power.hours_per_block`` hours. The worst solar day is always one of
    the days, so a plan that is firm on these days is firm at night and in winter."""
    pw = sc.power
    n_days = pw.representative_days if pw is not None else 4
    block = pw.hours_per_block if pw is not None else 4
    cfs, hours = zip(*(site_periods(cat.site(opt.site), sources, n_days, block)
                       for opt in sc.sites))
    return {"solar_cf": np.array(cfs), "period_hours": np.array(hours),
            "block_hours": float(block)}


def site_periods(site: Any, sources: pd.DataFrame, n_days: int, block: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """One site's dispatch periods: (solar capacity factor, hours of the year each
    stands for) of ``n_days`` representative days cut into ``block``-hour blocks."""
    solar = sources[sources.kind == "solar"]
    default_cf = float(solar.capacity_factor.iloc[0]) if len(solar) else 0.25
    lat = 35.0 if site.latitude_deg is None else site.latitude_deg
    year = hourly_capacity_factor(lat, site.solar_capacity_factor or default_cf)
    prof, w = (year, np.ones(365)) if n_days >= 365 else representative_days(year, n_days)
    k = 24 // block
    return (prof.reshape(len(w), k, block).mean(axis=2).ravel(),
            np.repeat(np.asarray(w, float) * block, k))


def _existing(sc: Scenario) -> pd.DataFrame:
    return pd.DataFrame([{"site": e.site, "accelerator": e.accelerator, "count": e.count,
                          "installed_year": e.installed_year} for e in sc.existing],
                        columns=["site", "accelerator", "count", "installed_year"])


def _training(sc: Scenario) -> pd.DataFrame:
    return pd.DataFrame([{"workload": w.id, "model": w.model, "tokens": w.tokens,
                          "deadline_year": w.deadline_year, "max_days": w.max_days}
                         for w in sc.workloads.training],
                        columns=["workload", "model", "tokens", "deadline_year",
                                 "max_days"]).set_index("workload")


def _inference_demand(sc: Scenario, cat: Catalog, years: pd.Index) -> pd.DataFrame:
    out = {}
    for w in sc.workloads.inference:
        d = cat.get("demands", w.demand)
        base = d.tokens_per_day * w.scale / 86400.0 * d.peak_to_mean
        out[w.id] = [0.0 if y < w.from_year else base * (1 + w.growth_per_year) ** (y - w.from_year)
                     for y in years]
    return pd.DataFrame(out, index=years).rename_axis(columns="workload")


def _facility(cat: Catalog) -> dict[str, float]:
    f = cat.get("facilities", DEFAULT_FACILITY)
    return {k: float(getattr(f, k)) for k in (
        "capex_usd_per_mw", "build_years", "land_m2_per_mw", "opex_fraction_per_year",
        "hardware_support_fraction_per_year", "average_load_fraction")}


def plan_inputs(sc: Scenario, cat: Catalog, capability: Capability) -> PlanInputs:
    """Derive the planner's tables from a scenario, the catalog and a capability table.

    Parameters
    ----------
    sc : the validated scenario.
    cat : the catalog it was validated against.
    capability : per-accelerator MFU and workload throughputs (see
        :func:`gigawatt.plan.capability.capability_for`).

    Raises
    ------
    InfeasibleError
        Limits that contradict each other before any optimisation (see :func:`precheck`).
    """
    years = _years_index(sc)
    share, hbm_supply = _hbm(sc, cat, years)
    sites, site_power = _sites(sc, cat, years)
    sources, site_sources = _power_sources(sc, cat)
    inputs = PlanInputs(
        scenario_id=sc.id, years=years, phases=_phases(sc),
        accelerators=_accelerators(sc, cat, capability), hbm_share=share,
        supply_cap=_supply_cap(sc, years), sites=sites, site_power_mw=site_power,
        power_sources=sources, site_sources=site_sources, hbm_supply_gb=hbm_supply,
        existing=_existing(sc), training=_training(sc),
        training_tokens_per_s_per_gpu=capability.training_table(
            accelerator_ids(sc), list(sc.workloads.training)),
        inference_demand_tokens_per_s=_inference_demand(sc, cat, years),
        inference_tokens_per_s_per_gpu=capability.inference_table(
            accelerator_ids(sc), list(sc.workloads.inference)),
        facility=_facility(cat), discount_rate=sc.discount_rate,
        hardware_life_years=sc.hardware_life_years, vendor_max_share=sc.vendor_max_share,
        objective=sc.objective, reference_model=sc.reference_model,
        notes=list(capability.notes), **_grid(sc, cat, years),
        **dispatch_periods(sc, cat, sources), **_power_policy(sc, years, sources.index))
    precheck(inputs)
    return inputs


def cheapest_unit_usd(inputs: PlanInputs) -> pd.Series:
    """Capex of one deployable unit of each accelerator with its hall, USD."""
    a = inputs.accelerators
    it_mw = a.accelerators_per_unit * a.it_power_w / 1e6
    return (a.accelerators_per_unit * a.capex_usd_per_accelerator
            + it_mw * inputs.facility["capex_usd_per_mw"])


def precheck(inputs: PlanInputs) -> None:
    """Reject inputs no optimisation can make sense of, with a message naming the limit.

    Raises
    ------
    InfeasibleError
        No accelerator available in the programme years; a budget below one deployable
        unit; no site with any power in any year.
    ValidationError
        Negative or missing table values.
    """
    a = inputs.accelerators
    last = int(inputs.years[-1])
    window = (a.available_from <= last) & (a.available_to >= inputs.start_year)
    if not window.any():
        raise InfeasibleError(
            f"no accelerator can be installed in {inputs.start_year}-{last}: availability "
            f"windows are {dict(zip(a.index, a.available_from))} (first year)",
            field="accelerators.available_from")
    cheapest = float(cheapest_unit_usd(inputs).min())
    total = float(inputs.phases.budget_usd.sum())
    if total < cheapest:
        raise InfeasibleError(
            f"the total budget {total:,.0f} USD buys nothing: the cheapest deployable unit "
            f"with its data hall costs {cheapest:,.0f} USD; allowed: budget >= {cheapest:,.0f}",
            field="phases.budget_usd")
    if (inputs.site_power_mw.to_numpy() <= 0).all():
        raise InfeasibleError("no site has any power in any programme year "
                              "(sites.power_mw_by_year); allowed: > 0 MW in some year",
                              field="sites.power_mw_by_year")
    _precheck_contradictions(inputs, window)
    _precheck_installed_land(inputs)
    if (a.it_power_w <= 0).any() or (a.accelerators_per_unit < 1).any():
        raise ValidationError("accelerator table has non-positive power or unit size",
                              field="accelerators")
    for name in ("pue",):
        if (inputs.sites[name] < 1).any():
            raise ValidationError(f"sites.{name} must be >= 1", field=f"sites.{name}")


def _precheck_contradictions(inputs: PlanInputs, window: pd.Series) -> None:
    """Limits that exclude every build: a vendor cap no mix of the vendors can meet, or
    supply caps of zero in every year an accelerator could be bought."""
    a = inputs.accelerators
    share = inputs.vendor_max_share
    vendors = a.vendor[window].nunique()
    if share is not None and share * vendors < 1:
        raise InfeasibleError(
            f"vendor_max_share {share} with {vendors} vendor(s) available cannot hold for "
            f"any fleet (each vendor at most {share:.0%}); allowed: >= {1 / vendors:.3g}",
            field="vendor_max_share")
    years = inputs.years.to_numpy()
    buyable = False
    for acc, row in a[window].iterrows():
        on = (years >= row.available_from) & (years <= row.available_to)
        caps = inputs.supply_cap[acc].to_numpy()[on]
        if (pd.isna(caps) | (caps > 0)).any():
            buyable = True
            break
    if not buyable:
        raise InfeasibleError("every accelerator's supply cap is 0 in every year it is "
                              "available: nothing can be bought; allowed: a cap > 0 (or none) "
                              "in some available year", field="accelerators.supply_cap_by_year")


def _precheck_installed_land(inputs: PlanInputs) -> None:
    """The installed base needs halls, and halls need land: a base that needs more land
    than its site has can be neither kept nor relaxed (land has no elastic slack)."""
    w = inputs.accelerators.it_power_w
    per_mw = inputs.facility["land_m2_per_mw"]
    need: dict[str, float] = {}
    for e in inputs.existing.itertuples():
        if e.accelerator in w.index:
            need[e.site] = need.get(e.site, 0.0) + e.count * w[e.accelerator] / 1e6 * per_mw
    for site, m2 in need.items():
        land = float(inputs.sites.land_m2.get(site, np.inf))
        if m2 > land * (1 + 1e-9):
            raise InfeasibleError(
                f"the installed base at site {site} needs {m2:,.0f} m2 of data-hall land "
                f"({per_mw:,.0f} m2 per MW of IT), the site has {land:,.0f} m2; allowed: "
                f"existing counts at {site} whose IT power fits its land", field="existing")


def lead_years(years: float) -> int:
    """Whole years between the decision to build and the first year of operation.

    A hall that takes 1.5 years is commissioned in the calendar year after its start, and
    so on: the fractional part overlaps the first year.
    """
    return int(math.floor(years))


def to_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """A DataFrame as JSON-safe records (index reset)."""
    return df.reset_index().replace({np.nan: None}).to_dict(orient="records")
