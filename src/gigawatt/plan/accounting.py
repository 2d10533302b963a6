"""What a set of build decisions amounts to, under a given set of inputs (pure pandas).

The same arithmetic reads the optimiser's solution into tables and evaluates a fixed plan
under perturbed inputs (:func:`gigawatt.plan.evaluate.evaluate_plan`), so the two can never
disagree about what a plan costs or delivers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import power_cost as pc
from .inputs import BATTERY_HOURS, PlanInputs
from .reserve import credit_of, onsite_units
from .installed import (
    HOURS_PER_YEAR, carbon_price, emission_factors, energy_price, existing_it_mw,
    existing_power_mw, power_capex_usd_per_mw, site_limit_mw, source_column,
)


@dataclass(frozen=True)
class Decisions:
    """The optimiser's decisions as long tables (zeros dropped).

    Attributes
    ----------
    units : year, site, accelerator, units (deployable systems installed that year).
    hall_mw : year, site, hall_mw (critical-IT MW of halls commissioned that year).
    power_mw : year, site, source, power_mw (capacity commissioned that year).
    gen_gwh : year, site, source, gen_gwh (energy drawn that year).
    battery_gwh : year, site, charge_gwh, discharge_gwh (the site's batteries over the
        dispatch periods); None where power is not dispatched (an annual balance counts
        a battery's energy in ``gen_gwh``).
    """

    units: pd.DataFrame
    hall_mw: pd.DataFrame
    power_mw: pd.DataFrame
    gen_gwh: pd.DataFrame
    battery_gwh: pd.DataFrame | None = None


def _cube(df: pd.DataFrame, value: str, dims: list[pd.Index]) -> np.ndarray:
    idx = pd.MultiIndex.from_product(dims)
    s = df.set_index([d.name for d in dims])[value] if len(df) else pd.Series(dtype=float)
    return s.reindex(idx).fillna(0.0).to_numpy().reshape([len(d) for d in dims])


def _cum(arr: np.ndarray, years: pd.Index, life: int | None) -> np.ndarray:
    y = years.to_numpy()
    age = y[:, None] - y[None, :]
    w = ((age >= 0) & (age < life) if life else age >= 0).astype(float)
    return np.tensordot(w, arr, axes=([1], [0]))


def fleet(inputs: PlanInputs, d: Decisions) -> tuple[np.ndarray, np.ndarray]:
    """(new, active) accelerators, arrays year x site x accelerator."""
    y, s, a = inputs.years, inputs.sites.index.rename("site"), \
        inputs.accelerators.index.rename("accelerator")
    per = inputs.accelerators.accelerators_per_unit.to_numpy(float)
    new = _cube(d.units, "units", [y, s, a]) * per[None, None, :]
    active = _cum(new, y, inputs.life_years_int())
    for e in inputs.existing.itertuples():
        if e.accelerator in a:
            on = (y >= e.installed_year) & (y < e.installed_year + inputs.life_years_int())
            active[on, s.get_loc(e.site), a.get_loc(e.accelerator)] += e.count
    return new, active


def build_table(inputs: PlanInputs, d: Decisions) -> pd.DataFrame:
    """Per year x site x accelerator: new and active units, power, capex, compute, HBM."""
    new, active = fleet(inputs, d)
    acc = inputs.accelerators
    y, s, a = inputs.years, inputs.sites.index, acc.index
    idx = pd.MultiIndex.from_product([y, s, a], names=["year", "site", "accelerator"])
    df = pd.DataFrame({"new_accelerators": new.ravel(), "accelerators": active.ravel()},
                      index=idx).reset_index()
    df = df[(df.new_accelerators > 0) | (df.accelerators > 0)].copy()
    df["phase"] = inputs.phase_of_year().reindex(df.year).to_numpy()
    df["vendor"] = acc.vendor.reindex(df.accelerator).to_numpy()
    df["new_units"] = df.new_accelerators / acc.accelerators_per_unit.reindex(df.accelerator).to_numpy()
    df["it_power_mw"] = df.accelerators * acc.it_power_w.reindex(df.accelerator).to_numpy() / 1e6
    df["facility_power_mw"] = df.it_power_mw * inputs.sites.pue.reindex(df.site).to_numpy()
    df["capex_usd"] = df.new_accelerators * acc.capex_usd_per_accelerator.reindex(
        df.accelerator).to_numpy()
    df["effective_exaflops"] = df.accelerators * acc.effective_flop_per_s.reindex(
        df.accelerator).to_numpy() / 1e18
    df["peak_exaflops"] = df.accelerators * acc.peak_flop_per_s.reindex(
        df.accelerator).to_numpy() / 1e18
    fac = inputs.facility
    df["land_m2"] = df.it_power_mw * fac["land_m2_per_mw"]
    # opex attributed to the row: its energy at the site's grid price, its hall's
    # maintenance and its hardware support (the costs table has the exact split by source)
    price = inputs.sites.electricity_usd_per_mwh.reindex(df.site).to_numpy()
    per_acc = acc.capex_usd_per_accelerator.reindex(df.accelerator).to_numpy()
    df["opex_usd"] = (df.facility_power_mw * fac["average_load_fraction"] * HOURS_PER_YEAR
                      * price
                      + df.it_power_mw * fac["capex_usd_per_mw"] * fac["opex_fraction_per_year"]
                      + df.accelerators * per_acc * fac["hardware_support_fraction_per_year"])
    hbm = inputs.hbm_share.mul(acc.hbm_gb, axis=0)
    for sup in hbm.columns:
        df[f"hbm_gb:{sup}"] = df.new_accelerators * hbm[sup].reindex(df.accelerator).to_numpy()
    return df.reset_index(drop=True)


def power_table(inputs: PlanInputs, d: Decisions) -> pd.DataFrame:
    """Per year x site x source: capacity (cumulative and new, MW), energy (GWh) and
    emissions (tCO2).

    ``energy_gwh`` is the energy a source supplies: drawn from a generator, discharged
    from a battery (``discharge_gwh``; its ``charge_gwh`` is drawn from the site's other
    sources, whose emissions count there). A site's discharge is split over its battery
    sources by capacity.
    """
    y, s = inputs.years, inputs.sites.index.rename("site")
    p = inputs.power_sources.index.rename("source")
    cap = _cum(_cube(d.power_mw, "power_mw", [y, s, p]), y, None)
    cap = cap + existing_power_mw(inputs).reindex(index=s, columns=p).to_numpy()[None]
    gen = _cube(d.gen_gwh, "gen_gwh", [y, s, p])
    idx = pd.MultiIndex.from_product([y, s, p], names=["year", "site", "source"])
    tco2 = gen * 1e3 * emission_factors(inputs)[None]
    charge, discharge = _battery_split(inputs, d, cap)
    df = pd.DataFrame({"capacity_mw": cap.ravel(), "energy_gwh": (gen + discharge).ravel(),
                       "new_mw": _cube(d.power_mw, "power_mw", [y, s, p]).ravel(),
                       "emissions_tco2": tco2.ravel(), "charge_gwh": charge.ravel(),
                       "discharge_gwh": discharge.ravel()},
                      index=idx).reset_index()
    return df[(df.capacity_mw > 1e-9) | (df.energy_gwh > 1e-9)].reset_index(drop=True)


def _battery_split(inputs: PlanInputs, d: Decisions, cap: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """year x site x source battery charge and discharge, GWh: each site's split over its
    battery sources in proportion to their capacity."""
    if d.battery_gwh is None or not len(d.battery_gwh):
        return np.zeros_like(cap), np.zeros_like(cap)
    y, s = inputs.years, inputs.sites.index.rename("site")
    batt = cap * (inputs.power_sources.kind == "battery").to_numpy(float)[None, None, :]
    total = batt.sum(axis=2, keepdims=True)
    share = np.divide(batt, total, out=np.zeros_like(batt), where=total > 0)
    return tuple(_cube(d.battery_gwh, c, [y, s])[:, :, None] * share
                 for c in ("charge_gwh", "discharge_gwh"))


def site_table(inputs: PlanInputs, d: Decisions) -> pd.DataFrame:
    """Per year x site: IT and facility load, hall capacity, site power limit, land used."""
    _, active = fleet(inputs, d)
    y, s = inputs.years, inputs.sites.index.rename("site")
    it = (active * inputs.accelerators.it_power_w.to_numpy()[None, None, :] / 1e6).sum(axis=2)
    halls = _cum(_cube(d.hall_mw, "hall_mw", [y, s]), y, None) \
        + existing_it_mw(inputs).reindex(s).to_numpy()[None]
    idx = pd.MultiIndex.from_product([y, s], names=["year", "site"])
    df = pd.DataFrame({"it_power_mw": it.ravel(),
                       "facility_power_mw": (it * inputs.sites.pue.to_numpy()[None]).ravel(),
                       "hall_mw": halls.ravel(),
                       "site_limit_mw": site_limit_mw(inputs).reindex(index=y, columns=s)
                       .to_numpy().ravel(),
                       "land_m2": (halls * inputs.facility["land_m2_per_mw"]).ravel(),
                       "land_limit_m2": np.tile(inputs.sites.land_m2.reindex(s).to_numpy(),
                                                len(y))},
                      index=idx).reset_index()
    return df


def supply_table(inputs: PlanInputs, power: pd.DataFrame, sites: pd.DataFrame
                 ) -> pd.DataFrame:
    """Per year x site with load: what supplies it, what it costs per MWh and what the
    facility loses when a source trips.

    ``grid_mw``, ``onsite_firm_mw`` (on-site firm units x (1 - forced outage rate)),
    ``battery_mw``; ``shed_on_grid_trip_mw``: load no on-site unit or battery can carry
    when the grid trips; ``largest_unit_mw``: the largest on-site unit (its ``unit_mw``,
    or all of the source's MW if smaller); ``shed_on_unit_trip_mw``: load lost when it
    trips and the rest of the firm capacity at its availability cannot take it (0 where
    N+1 holds, :mod:`gigawatt.plan.reserve`); ``battery_cover_h``: hours the batteries carry the average load alone;
    ``energy_gwh``: energy drawn from the sources (a battery's charge is in it, its
    discharge is not); ``battery_charge_gwh``, ``battery_discharge_gwh``;
    ``delivered_gwh``: what the facility draws at its average load;
    ``energy_usd_per_mwh``: the energy (grid price, fuel) of the year's dispatch over the
    energy drawn (capex and fixed O&M not included); ``emissions_t_per_mwh`` likewise;
    ``all_in_usd_per_mwh``: capital charge (capex of the power the plan built, annualised
    at the discount rate over each source's life) + fixed O&M + energy + carbon over the
    MWh delivered, with its ``capital_``, ``fixed_om_`` and ``carbon_usd_per_mwh`` parts;
    ``ramp_mw``, ``absorbing_mw``, ``ramp_source``, ``ramp_capex_usd``: the
    swing-absorbing capacity the grid's ramp limit requires and its capex
    (:func:`gigawatt.plan.power_cost.ramp_columns`).
    """
    ps = inputs.power_sources
    unit = source_column(inputs, "unit_mw", np.nan)
    per_source = lambda v: pd.Series(v, index=ps.index).reindex(power.source).to_numpy()  # noqa
    credit_mw = power.capacity_mw.to_numpy() * per_source(credit_of(ps))
    flows = [c for c in ("charge_gwh", "discharge_gwh") if c in power]
    df = power.assign(
        kind=ps.kind.reindex(power.source).to_numpy(),
        drawn_gwh=power.energy_gwh - (power.discharge_gwh if flows else 0.0),
        firm_mw=np.where(per_source(onsite_units(ps)).astype(bool), credit_mw, 0.0),
        credit_mw=credit_mw,
        # a source without a unit size (the grid) is not a unit (gigawatt.plan.reserve)
        unit_mw=np.minimum(unit.reindex(power.source).fillna(0.0).to_numpy(),
                           power.capacity_mw.to_numpy()))
    onsite = df[(df.kind != "grid") & (df.kind != "battery")]
    g = df.groupby(["year", "site"])
    out = pd.DataFrame({
        "grid_mw": df[df.kind == "grid"].groupby(["year", "site"]).capacity_mw.sum(),
        "onsite_firm_mw": g.firm_mw.sum(),
        "battery_mw": df[df.kind == "battery"].groupby(["year", "site"]).capacity_mw.sum(),
        "largest_unit_mw": onsite[onsite.firm_mw > 0].groupby(["year", "site"]).unit_mw.max(),
        "firm_mw": g.credit_mw.sum(),
        "energy_gwh": g.drawn_gwh.sum(),
        **{f"battery_{c}": g[c].sum() for c in flows},
        "emissions_tco2": g.emissions_tco2.sum()}).fillna(0.0)
    load = sites.set_index(["year", "site"])[["facility_power_mw"]]
    out = load.join(out, how="left").fillna(0.0)
    out = out[out.facility_power_mw > 1e-9]
    avg = out.facility_power_mw * inputs.facility["average_load_fraction"]
    firm_all = out.pop("firm_mw")
    out["shed_on_grid_trip_mw"] = (out.facility_power_mw - out.onsite_firm_mw
                                   - out.battery_mw).clip(lower=0.0)
    out["shed_on_unit_trip_mw"] = (out.facility_power_mw - (firm_all - out.largest_unit_mw)
                                   ).clip(lower=0.0).where(out.largest_unit_mw > 0, 0.0)
    out["battery_cover_h"] = out.battery_mw * BATTERY_HOURS / avg
    out["delivered_gwh"] = pc.delivered_gwh(inputs, out.facility_power_mw)
    costs = pc.cost_columns(inputs, power).reindex(out.index, fill_value=0.0)
    mwh = out.energy_gwh * 1e3
    out["energy_usd_per_mwh"] = (costs.energy_usd / mwh).where(mwh > 0)
    out["emissions_t_per_mwh"] = (out.emissions_tco2 / mwh).where(mwh > 0)
    out = out.join(pc.per_mwh_columns(costs, out.delivered_gwh))
    out = out.join(pc.ramp_columns(inputs, power).reindex(out.index))
    return out.reset_index()


def cost_by_year(inputs: PlanInputs, d: Decisions) -> pd.DataFrame:
    """Per year: capex split (accelerators and systems with network, data halls, power) and
    opex split (energy, power O&M, hall maintenance, hardware support), USD."""
    new, active = fleet(inputs, d)
    y, s = inputs.years, inputs.sites.index.rename("site")
    p = inputs.power_sources.index.rename("source")
    acc, ps, fac = inputs.accelerators, inputs.power_sources, inputs.facility
    per_acc = acc.capex_usd_per_accelerator.to_numpy()
    hall_new = _cube(d.hall_mw, "hall_mw", [y, s])
    pw_new = _cube(d.power_mw, "power_mw", [y, s, p])
    per_mw = power_capex_usd_per_mw(inputs)
    cap = _cum(pw_new, y, None) + existing_power_mw(inputs).reindex(index=s, columns=p) \
        .to_numpy()[None]
    gen = _cube(d.gen_gwh, "gen_gwh", [y, s, p])
    price = energy_price(inputs).reindex(index=s, columns=p).to_numpy()
    halls = _cum(hall_new, y, None).sum(axis=1)
    df = pd.DataFrame({
        "capex_accelerators_usd": (new * per_acc).sum(axis=(1, 2)),
        "capex_data_hall_usd": hall_new.sum(axis=1) * fac["capex_usd_per_mw"],
        "capex_power_usd": (pw_new * per_mw).sum(axis=(1, 2)),
        "opex_energy_usd": (gen * 1e3 * price[None]).sum(axis=(1, 2)),
        "opex_carbon_usd": (gen * 1e3 * emission_factors(inputs)[None]).sum(axis=(1, 2))
        * carbon_price(inputs),
        "opex_power_om_usd": (cap * ps.fixed_opex_usd_per_kw_year.to_numpy() * 1e3)
        .sum(axis=(1, 2)),
        "opex_hall_usd": halls * fac["capex_usd_per_mw"] * fac["opex_fraction_per_year"],
        "opex_hardware_support_usd": (active * per_acc).sum(axis=(1, 2))
        * fac["hardware_support_fraction_per_year"],
    }, index=y)
    df["capex_usd"] = df.filter(like="capex_").sum(axis=1)
    df["opex_usd"] = df.filter(regex="^opex_(?!usd)").sum(axis=1)
    df["phase"] = inputs.phase_of_year()
    return df


def fleet_rates(inputs: PlanInputs, d: Decisions) -> pd.DataFrame:
    """Per year: accelerators, effective and peak exaFLOP/s of the active fleet."""
    _, active = fleet(inputs, d)
    acc = inputs.accelerators
    by_acc = active.sum(axis=1)
    return pd.DataFrame({
        "accelerators": by_acc.sum(axis=1),
        "effective_exaflops": by_acc @ acc.effective_flop_per_s.to_numpy() / 1e18,
        "peak_exaflops": by_acc @ acc.peak_flop_per_s.to_numpy() / 1e18,
        "it_power_mw": by_acc @ acc.it_power_w.to_numpy() / 1e6,
    }, index=inputs.years)


def time_to_train_days(inputs: PlanInputs, d: Decisions) -> pd.DataFrame:
    """Days to train each reference workload on the whole fleet at each phase's end."""
    _, active = fleet(inputs, d)
    by_acc = pd.DataFrame(active.sum(axis=1), index=inputs.years,
                          columns=inputs.accelerators.index)
    rows = []
    rate = inputs.training_tokens_per_s_per_gpu
    for pid, p in inputs.phases.iterrows():
        counts = by_acc.loc[int(p.end_year)]
        for w, t in inputs.training.iterrows():
            tok_per_s = float((counts * rate[w].reindex(counts.index).fillna(0)).sum())
            days = t.tokens / tok_per_s / 86400.0 if tok_per_s > 0 else np.inf
            rows.append({"phase": pid, "year": int(p.end_year), "workload": w,
                         "model": t.model, "tokens": t.tokens, "tokens_per_s": tok_per_s,
                         "time_to_train_days": days,
                         "deadline_year": int(t.deadline_year), "max_days": t.max_days})
    return pd.DataFrame(rows, columns=["phase", "year", "workload", "model", "tokens",
                                       "tokens_per_s", "time_to_train_days",
                                       "deadline_year", "max_days"])


def hbm_table(inputs: PlanInputs, d: Decisions) -> pd.DataFrame:
    """Per year x supplier: HBM drawn by new accelerators and the supply, GB."""
    new, _ = fleet(inputs, d)
    acc = inputs.accelerators
    per = inputs.hbm_share.mul(acc.hbm_gb, axis=0).reindex(acc.index)
    drawn = new.sum(axis=1) @ per.to_numpy()
    df = pd.DataFrame(drawn, index=inputs.years, columns=per.columns)
    out = df.stack().rename("demand_gb").reset_index()
    out.columns = ["year", "supplier", "demand_gb"]
    sup = inputs.hbm_supply_gb.stack(future_stack=True).rename("supply_gb").reset_index()
    sup.columns = ["year", "supplier", "supply_gb"]
    return out.merge(sup, on=["year", "supplier"], how="left")


def gpu_hours(inputs: PlanInputs, d: Decisions) -> float:
    """Accelerator-hours delivered within the programme years (average load ignored)."""
    return float(fleet_rates(inputs, d).accelerators.sum() * HOURS_PER_YEAR)
