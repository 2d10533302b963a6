"""Build the build-out optimisation (linopy): variables, one ``define_*`` per constraint
family, objective. Solving and reading the result live in :mod:`gigawatt.plan.solve`.

Index sets are labelled dimensions: ``year`` x ``site`` x ``accelerator`` x ``source``
(power source), plus ``supplier`` (HBM), ``vendor`` and workload dimensions. Resolution is
the representative year: power is balanced as annual energy plus a firm-capacity (peak)
constraint, the planner note of DESIGN.md.

Scaled units inside the model (stated in each name): money in billions of USD (``busd``),
power MW, energy GWh, compute exaFLOP/s, HBM TB, accelerators in thousands (``kacc``),
training tokens in 10^12, inference tokens/s in 10^6. Decisions:

* ``units`` (integer): deployable systems of each accelerator installed per year and
  site; they retire ``hardware_life_years`` after installation;
* ``hall_mw``: data-hall capacity (MW of critical IT) commissioned per year and site;
* ``power_mw``: power capacity commissioned per year, site and source (battery: MW of a
  ``BATTERY_HOURS`` battery);
* ``gen_gwh``: energy drawn from each source per year and site;
* ``serve``: accelerators assigned to each inference workload per year;
* ``slack-*``: elastic slack on every limit that can make the problem infeasible, priced
  far above anything the objective can gain, so it is non-zero only when needed.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import linopy
import numpy as np
import pandas as pd
import xarray as xr

from .inputs import BATTERY_EFFICIENCY, BATTERY_HOURS, PlanInputs, lead_years
from .lp import COST_TIEBREAK, SLACKS  # one penalty table for both formulations
from .reserve import contingency_terms, firm_credit
from .installed import (  # noqa: F401  (site_limit_mw & co. are read from here too)
    HOURS_PER_YEAR, carbon_price, discount_factors, emission_factors, emissions_cap,
    energy_price, existing_it_mw, existing_kacc, existing_power_mw, grid_limit_mw,
    absorbs_swings, dispatch_availability, previous_period, ramp_shortfall_mw,
    site_limit_mw, source_lead_years, source_supply,
)


@dataclass
class Terms:
    """Expressions shared by several constraint families (built once)."""

    active_kacc: linopy.LinearExpression        # year, site, accelerator
    it_mw: linopy.LinearExpression              # year, site
    facility_mw: linopy.LinearExpression        # year, site
    power_cum_mw: linopy.LinearExpression       # year, site, source
    capex_busd: linopy.LinearExpression         # year
    opex_busd: linopy.LinearExpression          # year
    emissions_tco2: linopy.LinearExpression     # year


def _da(s: pd.Series | pd.DataFrame) -> xr.DataArray:
    return xr.DataArray(s)


def _cum_matrix(years: pd.Index, life: int | None) -> xr.DataArray:
    """year x built: 1 where a unit built in ``built`` is active in ``year``."""
    y = years.to_numpy()
    age = y[:, None] - y[None, :]
    active = (age >= 0) & (age < life) if life else age >= 0
    return xr.DataArray(active.astype(float), coords={"year": y, "built": y},
                        dims=["year", "built"])


def _cumulative(var: linopy.Variable, years: pd.Index, life: int | None = None
                ) -> linopy.LinearExpression:
    return (var.rename(year="built") * _cum_matrix(years, life)).sum("built")


def _in_phase(inputs: PlanInputs) -> xr.DataArray:
    return _da(inputs.phase_of_year().notna().rename_axis("year"))


def _existing_kacc(inputs: PlanInputs) -> xr.DataArray:
    """Installed-base accelerators active each year (thousands), year x site x accelerator."""
    return xr.DataArray(existing_kacc(inputs),
                        coords={"year": inputs.years.to_numpy(),
                                "site": inputs.sites.index.to_numpy(),
                                "accelerator": inputs.accelerators.index.to_numpy()},
                        dims=["year", "site", "accelerator"])


def add_variables(m: linopy.Model, inputs: PlanInputs, integer: bool = True,
                  unit_bounds: tuple[xr.DataArray, xr.DataArray] | None = None) -> None:
    """All decision variables, masked to where they may be non-zero."""
    y = inputs.years
    a = inputs.accelerators
    in_phase = _in_phase(inputs)
    window = ((y.to_numpy()[:, None] >= a.available_from.to_numpy()[None, :])
              & (y.to_numpy()[:, None] <= a.available_to.to_numpy()[None, :]))
    win = xr.DataArray(window, coords={"year": y.to_numpy(), "accelerator": a.index.to_numpy()},
                       dims=["year", "accelerator"])
    site_on = xr.DataArray(np.ones(len(inputs.sites), bool),
                           coords={"site": inputs.sites.index.to_numpy()}, dims=["site"])
    unit_mask = (win & in_phase & site_on).transpose("year", "site", "accelerator")
    coords = [y, inputs.sites.index.rename("site"), a.index.rename("accelerator")]
    lower, upper = unit_bounds if unit_bounds is not None else (0, np.inf)
    m.add_variables(lower=lower, upper=upper, coords=coords, name="units", integer=integer,
                    mask=unit_mask)
    start = inputs.start_year
    m.add_variables(lower=0, coords=[y, inputs.sites.index.rename("site")], name="hall_mw",
                    mask=in_phase.broadcast_like(site_on).transpose("year", "site"))
    lead = source_lead_years(inputs)
    src_ok = (xr.DataArray(y.to_numpy(), coords={"year": y.to_numpy()})
              >= start + _da(lead.rename_axis("source")))
    allowed = _da(inputs.site_sources)
    pcoords = [y, inputs.sites.index.rename("site"),
               inputs.power_sources.index.rename("source")]
    m.add_variables(lower=0, coords=pcoords, name="power_mw",
                    mask=(src_ok & in_phase & allowed).transpose("year", "site", "source"))
    generating = _da((inputs.power_sources.kind != "battery").rename_axis("source"))
    m.add_variables(lower=0, coords=pcoords, name="gen_gwh",
                    mask=(allowed & generating).broadcast_like(src_ok)
                    .transpose("year", "site", "source"))
    inf = inputs.inference_demand_tokens_per_s
    if len(inf.columns):
        m.add_variables(lower=0, coords=[y, a.index.rename("accelerator"),
                                         inf.columns.rename("inference")], name="serve_kacc")


def build_terms(m: linopy.Model, inputs: PlanInputs) -> Terms:
    """Fleet, power and money expressions in terms of the decisions."""
    a, sites, ps, fac = inputs.accelerators, inputs.sites, inputs.power_sources, inputs.facility
    per_unit_kacc = _da(a.accelerators_per_unit.rename_axis("accelerator") / 1e3)
    units = m.variables["units"]
    active_kacc = (_cumulative(units, inputs.years, inputs.life_years_int()) * per_unit_kacc
                   + _existing_kacc(inputs))
    w_mw_per_kacc = _da(a.it_power_w.rename_axis("accelerator") * 1e3 / 1e6)
    it_mw = (active_kacc * w_mw_per_kacc).sum("accelerator")
    facility_mw = it_mw * _da(sites.pue.rename_axis("site"))
    power_cum = _cumulative(m.variables["power_mw"], inputs.years) + _da(
        existing_power_mw(inputs).rename_axis(index="site", columns="source"))
    new_kacc = units * per_unit_kacc
    capex_acc = (new_kacc * _da(a.capex_usd_per_accelerator.rename_axis("accelerator")
                                * 1e3 / 1e9)).sum(["site", "accelerator"])
    capex_hall = (m.variables["hall_mw"] * (fac["capex_usd_per_mw"] / 1e9)).sum("site")
    battery = (ps.kind == "battery").astype(float)
    per_mw = ps.capex_usd_per_kw * 1e3 + battery * BATTERY_HOURS * ps.capex_usd_per_kwh * 1e3
    capex_power = (m.variables["power_mw"] * _da(per_mw.rename_axis("source") / 1e9)
                   ).sum(["site", "source"])
    price = energy_price(inputs)
    energy = (m.variables["gen_gwh"] * _da(price * 1e3 / 1e9)).sum(["site", "source"])
    fixed_om = (power_cum * _da(ps.fixed_opex_usd_per_kw_year.rename_axis("source")
                                * 1e3 / 1e9)).sum(["site", "source"])
    hall_cum = _cumulative(m.variables["hall_mw"], inputs.years).sum("site")
    hall_om = hall_cum * (fac["capex_usd_per_mw"] * fac["opex_fraction_per_year"] / 1e9)
    support = (active_kacc * _da(a.capex_usd_per_accelerator.rename_axis("accelerator")
                                 * 1e3 / 1e9 * fac["hardware_support_fraction_per_year"])
               ).sum(["site", "accelerator"])
    factor = xr.DataArray(emission_factors(inputs) * 1e3,
                          coords={"site": sites.index.to_numpy(), "source": ps.index.to_numpy()},
                          dims=["site", "source"])
    emissions = (m.variables["gen_gwh"] * factor).sum(["site", "source"])
    carbon = emissions * xr.DataArray(carbon_price(inputs) / 1e9,
                                      coords={"year": inputs.years.to_numpy()}, dims=["year"])
    return Terms(active_kacc=active_kacc, it_mw=it_mw, facility_mw=facility_mw,
                 power_cum_mw=power_cum, capex_busd=capex_acc + capex_hall + capex_power,
                 opex_busd=energy + fixed_om + hall_om + support + carbon,
                 emissions_tco2=emissions)


def define_hall_capacity(m: linopy.Model, inputs: PlanInputs, t: Terms) -> None:
    """Accelerators go only into halls that exist: IT MW <= halls built (+ installed base)."""
    hall = _cumulative(m.variables["hall_mw"], inputs.years)
    base = _da(existing_it_mw(inputs).rename_axis("site"))
    m.add_constraints(t.it_mw - hall <= base, name="hall-it_mw-upper")


def define_hall_lead(m: linopy.Model, inputs: PlanInputs, t: Terms) -> None:
    """Construction lead time: halls commissioned before a hall started at the programme's
    start could be finished (start + ``build_years``) are those already under way, which
    the site's announced power schedule shows: halls <= scheduled power / PUE then."""
    lead = lead_years(inputs.facility["build_years"])
    early = [int(y) for y in inputs.years if y < inputs.start_year + lead]
    if not early:
        return
    hall = _cumulative(m.variables["hall_mw"], inputs.years).sel(year=early)
    limit = inputs.site_power_mw.loc[early].div(inputs.sites.pue, axis=1)
    base = existing_it_mw(inputs)
    m.add_constraints(hall <= _da((limit - base).clip(lower=0)
                                  .rename_axis(index="year", columns="site")),
                      name="hall-lead_mw-upper")


def define_land(m: linopy.Model, inputs: PlanInputs, t: Terms) -> None:
    """Halls need land: built MW x land per MW <= site land."""
    hall = _cumulative(m.variables["hall_mw"], inputs.years)
    per_mw = inputs.facility["land_m2_per_mw"]
    free = _da(inputs.sites.land_m2.rename_axis("site")
               - existing_it_mw(inputs) * per_mw) / 1e6
    m.add_constraints(hall * (per_mw / 1e6) <= free, name="site-land_km2-upper")


def define_site_power(m: linopy.Model, inputs: PlanInputs, t: Terms) -> None:
    """Facility load (IT x PUE) within the power deliverable to the site that year (at
    least what its installed base draws)."""
    slack = m.add_variables(lower=0, coords=[inputs.years, inputs.sites.index.rename("site")],
                            name="slack-site_power_mw")
    limit = _da(site_limit_mw(inputs).rename_axis(index="year", columns="site"))
    m.add_constraints(t.facility_mw - slack <= limit, name="site-power_mw-upper")


def define_power_supply(m: linopy.Model, inputs: PlanInputs, t: Terms) -> None:
    """Power built covers the load: firm MW (batteries count, each source at its
    availability) >= peak facility load x (1 + reserve margin) + the N+1 unit (see
    :mod:`gigawatt.plan.reserve`); energy
    drawn >= annual energy; each source's energy <= its capacity x capacity factor; a
    battery charges from the site's non-firm sources (its MW <= theirs) when power is
    balanced as annual energy."""
    ps = inputs.power_sources
    is_batt = ps.kind == "battery"
    held_mw, whole = contingency_terms(inputs)
    coords = {"year": inputs.years.to_numpy(), "site": np.asarray(inputs.sites.index),
              "source": np.asarray(ps.index)}
    credit = xr.DataArray(firm_credit(inputs)[None, None, :] - whole, coords=coords,
                          dims=["year", "site", "source"])
    held = xr.DataArray(held_mw, coords={k: coords[k] for k in ("year", "site")},
                        dims=["year", "site"])
    m.add_constraints((t.power_cum_mw * credit).sum("source")
                      - t.facility_mw * (1.0 + inputs.reserve_margin) >= held,
                      name="power-firm_mw-lower")
    load_gwh = t.facility_mw * (inputs.facility["average_load_fraction"] * HOURS_PER_YEAR / 1e3)
    m.add_constraints(m.variables["gen_gwh"].sum("source") - load_gwh >= 0,
                      name="power-energy_gwh-lower")
    cf = _da(ps.capacity_factor.rename_axis("source") * HOURS_PER_YEAR / 1e3)
    m.add_constraints(m.variables["gen_gwh"] - t.power_cum_mw * cf <= 0,
                      name="power-gen_gwh-upper")
    # balanced as annual energy, a battery charges from the site's variable sources;
    # dispatched, its charge is in the blocks' balance (from any source)
    if is_batt.any() and inputs.solar_cf is None:
        variable = _da(((~ps.firm) & ~is_batt).astype(float).rename_axis("source"))
        batt = _da(is_batt.astype(float).rename_axis("source"))
        m.add_constraints((t.power_cum_mw * batt).sum("source")
                          - (t.power_cum_mw * variable).sum("source") <= 0,
                          name="power-battery_mw-charge")


def _ys_da(inputs: PlanInputs, arr: np.ndarray, second: str, labels) -> xr.DataArray:
    return xr.DataArray(arr, coords={"year": inputs.years.to_numpy(), second: np.asarray(labels)},
                        dims=["year", second])


def define_grid(m: linopy.Model, inputs: PlanInputs, t: Terms) -> None:
    """Grid MW at a site (cumulative) within what the utility delivers that year."""
    limit = grid_limit_mw(inputs)
    if limit is None:
        return
    has = _ys_da(inputs, ~np.isnan(limit), "site", inputs.sites.index)
    slack = m.add_variables(lower=0, coords=[inputs.years, inputs.sites.index.rename("site")],
                            name="slack-grid_mw", mask=has)
    is_grid = _da((inputs.power_sources.kind == "grid").astype(float).rename_axis("source"))
    m.add_constraints((t.power_cum_mw * is_grid).sum("source") - slack
                      <= _ys_da(inputs, np.nan_to_num(limit), "site", inputs.sites.index),
                      name="grid-capacity_mw-upper", mask=has)


def define_dispatch(m: linopy.Model, inputs: PlanInputs, t: Terms) -> None:
    """Supply matched to load in every dispatch period (representative days x hour
    blocks, ``inputs.solar_cf``): per year, site and period, the sources' dispatch plus
    battery discharge less charge covers the average load; a source dispatches at most
    its MW x availability (solar: the period's capacity factor, so none at night); a
    battery charges and discharges at most its MW, stores at most ``BATTERY_HOURS`` of it,
    loses ``1 - BATTERY_EFFICIENCY`` of what it stores and ends each day where it began;
    each source's annual energy covers its dispatch weighted by the hours each period
    stands for (so its cost and emissions are those of the dispatch). Supply equals the
    load: surplus solar is curtailed (dispatched below its availability), not dumped."""
    if inputs.solar_cf is None:
        return
    ps, sites = inputs.power_sources, inputs.sites.index
    nt = inputs.solar_cf.shape[1]
    period = pd.Index(np.arange(nt), name="period")
    allowed = _da(inputs.site_sources.reindex(index=sites, columns=ps.index)
                  .rename_axis(index="site", columns="source"))
    is_batt = _da((ps.kind == "battery").rename_axis("source"))
    yc = [inputs.years, sites.rename("site")]
    pcoords = yc + [ps.index.rename("source"), period]
    ones = xr.DataArray(np.ones((len(inputs.years), nt), bool),
                        coords={"year": inputs.years.to_numpy(), "period": period.to_numpy()},
                        dims=["year", "period"])
    disp = m.add_variables(lower=0, coords=pcoords, name="dispatch_mw",
                           mask=(allowed & ~is_batt & ones)
                           .transpose("year", "site", "source", "period"))
    has_batt = (allowed & is_batt).any("source")
    bmask = (has_batt & ones).transpose("year", "site", "period")
    charge = m.add_variables(lower=0, coords=yc + [period], name="charge_mw", mask=bmask)
    discharge = m.add_variables(lower=0, coords=yc + [period], name="discharge_mw",
                                mask=bmask)
    soc = m.add_variables(lower=0, coords=yc + [period], name="soc_mwh", mask=bmask)
    avail = xr.DataArray(dispatch_availability(inputs),
                         coords={"site": sites.to_numpy(), "source": ps.index.to_numpy(),
                                 "period": period.to_numpy()}, dims=["site", "source", "period"])
    m.add_constraints(disp - t.power_cum_mw * avail <= 0, name="power-dispatch_mw-upper")
    hours = xr.DataArray(inputs.period_hours / 1e3,
                         coords={"site": sites.to_numpy(), "period": period.to_numpy()},
                         dims=["site", "period"])
    m.add_constraints(m.variables["gen_gwh"] - (disp * hours).sum("period") >= 0,
                      name="power-dispatch_gwh-link")
    batt = (t.power_cum_mw * is_batt.astype(float)).sum("source")
    m.add_constraints(charge - batt <= 0, name="power-charge_mw-upper")
    m.add_constraints(discharge - batt <= 0, name="power-discharge_mw-upper")
    m.add_constraints(soc - batt * BATTERY_HOURS <= 0, name="power-soc_mwh-upper")
    before = soc.isel(period=previous_period(inputs)).assign_coords(period=period.to_numpy())
    h = inputs.block_hours
    m.add_constraints(soc - before - charge * (h * BATTERY_EFFICIENCY) + discharge * h <= 0,
                      name="power-soc_mwh-balance")
    load = t.facility_mw * inputs.facility["average_load_fraction"]
    m.add_constraints(disp.sum("source") + discharge - charge - load == 0,
                      name="power-balance_mw-lower")


def define_ramp(m: linopy.Model, inputs: PlanInputs, t: Terms) -> None:
    """A placed training run can drop its load within seconds; what the site's grid
    cannot follow within a minute is absorbed on site: swing-absorbing MW (batteries)
    >= swing - grid ramp x 1 min (see :func:`ramp_shortfall_mw`)."""
    short = ramp_shortfall_mw(inputs)
    if short is None:
        return
    has = _ys_da(inputs, short > 0, "site", inputs.sites.index)
    slack = m.add_variables(lower=0, coords=[inputs.years, inputs.sites.index.rename("site")],
                            name="slack-ramp_mw", mask=has)
    absorbs = xr.DataArray(absorbs_swings(inputs),
                           coords={"source": inputs.power_sources.index.to_numpy()},
                           dims=["source"])
    m.add_constraints((t.power_cum_mw * absorbs).sum("source") + slack
                      >= _ys_da(inputs, short, "site", inputs.sites.index),
                      name="power-ramp_mw-lower", mask=has)


def define_power_market(m: linopy.Model, inputs: PlanInputs, t: Terms) -> None:
    """New MW of each source per year over all sites within its market supply."""
    sup = source_supply(inputs)
    if sup is None:
        return
    src = inputs.power_sources.index
    m.add_constraints(m.variables["power_mw"].sum("site")
                      <= _ys_da(inputs, np.nan_to_num(sup), "source", src),
                      name="power-supply_mw-upper",
                      mask=_ys_da(inputs, ~np.isnan(sup), "source", src))


def define_emissions(m: linopy.Model, inputs: PlanInputs, t: Terms) -> None:
    """tCO2 emitted per year within the cap (years with one)."""
    cap = emissions_cap(inputs)
    if cap is None:
        return
    y = inputs.years.to_numpy()
    has = xr.DataArray(~np.isnan(cap), coords={"year": y}, dims=["year"])
    slack = m.add_variables(lower=0, coords=[inputs.years], name="slack-emissions_mtco2",
                            mask=has)
    m.add_constraints(t.emissions_tco2 * 1e-6 - slack
                      <= xr.DataArray(np.nan_to_num(cap) / 1e6, coords={"year": y},
                                      dims=["year"]),
                      name="emissions-mtco2-upper", mask=has)


def define_supply(m: linopy.Model, inputs: PlanInputs, t: Terms) -> None:
    """Accelerators installed per year within each supply cap (years with a cap)."""
    cap = inputs.supply_cap.rename_axis(index="year", columns="accelerator")
    if not cap.notna().to_numpy().any():
        return
    slack = m.add_variables(lower=0, coords=[inputs.years, cap.columns],
                            name="slack-supply_kacc", mask=_da(cap.notna()))
    per = _da(inputs.accelerators.accelerators_per_unit.rename_axis("accelerator") / 1e3)
    new = (m.variables["units"] * per).sum("site")
    m.add_constraints(new - slack <= _da(cap.fillna(0) / 1e3), name="supply-kacc-upper",
                      mask=_da(cap.notna()))


def define_hbm(m: linopy.Model, inputs: PlanInputs, t: Terms) -> None:
    """HBM drawn per supplier per year within its supply (years with a figure)."""
    sup = inputs.hbm_supply_gb.rename_axis(index="year", columns="supplier")
    if not sup.notna().to_numpy().any():
        return
    a = inputs.accelerators
    tb_per_unit = _da(inputs.hbm_share.mul(a.accelerators_per_unit * a.hbm_gb / 1e3, axis=0)
                      .rename_axis(index="accelerator", columns="supplier"))
    drawn = (m.variables["units"] * tb_per_unit).sum(["site", "accelerator"])
    slack = m.add_variables(lower=0, coords=[inputs.years, sup.columns], name="slack-hbm_tb",
                            mask=_da(sup.notna()))
    m.add_constraints(drawn - slack <= _da(sup.fillna(0) / 1e3), name="hbm-supply_tb-upper",
                      mask=_da(sup.notna()))


def define_vendor_share(m: linopy.Model, inputs: PlanInputs, t: Terms) -> None:
    """No vendor above ``vendor_max_share`` of the active fleet (by count), each year."""
    share = inputs.vendor_max_share
    vendors = sorted(set(inputs.accelerators.vendor))
    if share is None or share >= 1:
        return
    onehot = pd.DataFrame({v: (inputs.accelerators.vendor == v).astype(float) for v in vendors})
    fleet = t.active_kacc.sum("site")
    by_vendor = (fleet * _da(onehot.rename_axis(index="accelerator", columns="vendor"))
                 ).sum("accelerator")
    slack = m.add_variables(lower=0, coords=[inputs.years, pd.Index(vendors, name="vendor")],
                            name="slack-vendor_kacc")
    m.add_constraints(by_vendor - fleet.sum("accelerator") * share - slack <= 0,
                      name="vendor-share_kacc-upper")


def define_training(m: linopy.Model, inputs: PlanInputs, t: Terms) -> None:
    """Each reference training run finishes within ``max_days`` on the fleet of its
    deadline year (accelerators not serving inference), at the rates the training model
    predicts on each accelerator; and, where runs are placed (``training_sites``), the
    site of each holds the accelerators of the type its job needs."""
    tr = inputs.training
    if tr.empty:
        return
    years = inputs.years
    rate = inputs.training_tokens_per_s_per_gpu
    free = t.active_kacc.sum("site")
    if "serve_kacc" in m.variables:
        free = free - m.variables["serve_kacc"].sum("inference")
    slack = m.add_variables(lower=0, coords=[tr.index.rename("training")],
                            name="slack-training_ttokens")
    for w, row in tr.iterrows():
        year = int(min(max(row.deadline_year, years[0]), years[-1]))
        per_kacc = rate[w] * 1e3 * row.max_days * 86400.0 / 1e12
        done = (free.sel(year=year) * _da(per_kacc.rename_axis("accelerator"))).sum("accelerator")
        m.add_constraints(done + slack.sel(training=w) >= row.tokens / 1e12,
                          name=f"training-tokens_t-lower[{w}]")
    req = inputs.training_sites
    if req is None or req.empty:
        return
    slack = m.add_variables(lower=0, coords=[req.index.rename("placement")],
                            name="slack-training_site_kacc")
    for k, r in enumerate(req.itertuples()):
        have = t.active_kacc.sel(year=int(r.year), site=r.site, accelerator=r.accelerator)
        m.add_constraints(have + slack.isel(placement=k) >= float(r.kacc),
                          name=f"training-site_kacc-lower[{k}]")


def define_inference(m: linopy.Model, inputs: PlanInputs, t: Terms) -> None:
    """Inference demand served each year by accelerators assigned to it."""
    if "serve_kacc" not in m.variables:
        return
    serve = m.variables["serve_kacc"]
    demand = inputs.inference_demand_tokens_per_s.rename_axis(index="year", columns="inference")
    rate = inputs.inference_tokens_per_s_per_gpu.rename_axis(index="accelerator",
                                                              columns="inference")
    slack = m.add_variables(lower=0, coords=[inputs.years, demand.columns],
                            name="slack-inference_mtok_per_s")
    served = (serve * _da(rate * 1e3 / 1e6)).sum("accelerator")
    m.add_constraints(served + slack >= _da(demand / 1e6), name="inference-mtok_per_s-lower")
    m.add_constraints(serve.sum("inference") - t.active_kacc.sum("site") <= 0,
                      name="inference-kacc-upper")


def define_budget(m: linopy.Model, inputs: PlanInputs, t: Terms) -> None:
    """Capex of each phase within its budget (the total follows)."""
    phase = inputs.phase_of_year()
    phases = inputs.phases
    slack = m.add_variables(lower=0, coords=[phases.index.rename("phase")],
                            name="slack-budget_busd")
    for pid, p in phases.iterrows():
        years = [int(y) for y in phase.index[phase == pid]]
        spent = t.capex_busd.sel(year=years).sum("year")
        m.add_constraints(spent - slack.sel(phase=pid) <= p.budget_usd / 1e9,
                          name=f"budget-phase_busd-upper[{pid}]")


CONSTRAINT_FAMILIES = (define_hall_capacity, define_hall_lead, define_land, define_site_power,
                       define_power_supply, define_grid, define_dispatch, define_ramp,
                       define_power_market, define_emissions, define_supply, define_hbm,
                       define_vendor_share, define_training, define_inference, define_budget)


def discount(inputs: PlanInputs) -> xr.DataArray:
    """Discount factor of each year to the programme start."""
    return xr.DataArray(discount_factors(inputs), coords={"year": inputs.years.to_numpy()},
                        dims=["year"])


def effective_exaflops(inputs: PlanInputs, t: Terms) -> linopy.LinearExpression:
    """Effective exaFLOP/s of the fleet each year (peak x MFU on the reference model)."""
    eff = _da(inputs.accelerators.effective_flop_per_s.rename_axis("accelerator") * 1e3 / 1e18)
    return (t.active_kacc * eff).sum(["site", "accelerator"])


def define_objective(m: linopy.Model, inputs: PlanInputs, t: Terms) -> None:
    """Maximise effective compute delivered (exaFLOP/s-years), or minimise NPV cost; plus
    the elastic-slack penalties."""
    npv = ((t.capex_busd + t.opex_busd) * discount(inputs)).sum("year")
    penalty = sum((m.variables[var] * weight).sum()
                  for var, weight, _ in SLACKS.values() if var in m.variables)
    if inputs.objective == "min_cost":
        obj = npv + penalty
    else:
        obj = -effective_exaflops(inputs, t).sum("year") + COST_TIEBREAK * npv + penalty
    m.add_objective(obj - float(obj.const))  # the installed base's constant part dropped


def build_model(inputs: PlanInputs, integer: bool = True,
                unit_bounds: tuple[xr.DataArray, xr.DataArray] | None = None
                ) -> tuple[linopy.Model, Terms]:
    """The linopy model of a build-out.

    Parameters
    ----------
    inputs : the planner's tables.
    integer : deployable units are integers (False: the LP relaxation, whose duals price
        each constraint).
    unit_bounds : (lower, upper) year x site x accelerator bounds on the units (the
        rounding stage bounds each unit count between the floor and ceiling of the LP's).
    """
    m = linopy.Model()
    with warnings.catch_warnings():
        # masked slots contribute nothing to sums: linopy's legacy semantics, wanted here
        warnings.simplefilter("ignore", getattr(linopy, "LinopySemanticsWarning", Warning))
        add_variables(m, inputs, integer, unit_bounds)
        t = build_terms(m, inputs)
        for define in CONSTRAINT_FAMILIES:
            define(m, inputs, t)
        define_objective(m, inputs, t)
    return m, t


def solve_model(m: linopy.Model, time_limit_s: float = 60.0) -> float:
    """Solve the linopy model with HiGHS (quietly, no problem file left behind) and
    return its objective: the reference the array model is checked against."""
    from .solve import _quiet_stdout

    with _quiet_stdout():
        status, condition = m.solve("highs", io_api="direct", output_flag=False,
                                    log_to_console=False, time_limit=float(time_limit_s),
                                    threads=1)
    if status != "ok":
        from ..errors import InfeasibleError
        raise InfeasibleError(f"the linopy model returned {status}/{condition}")
    return float(m.objective.value)
