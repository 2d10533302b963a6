"""What a site-year's power costs per MWh delivered, capital included; the swing-absorbing
capacity a grid's ramp limit requires and its capex; the power limits' duals in plain
units (pure pandas, from the power table of :func:`gigawatt.plan.accounting.power_table`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..annuity import crf
from .inputs import PlanInputs
from .installed import (
    HOURS_PER_YEAR, absorbs_swings, carbon_price, energy_price, power_capex_usd_per_mw,
    ramp_shortfall_mw, source_column,
)

KEYS = ["year", "site"]


def capital_recovery(inputs: PlanInputs) -> pd.Series:
    """Per source: the capital recovery factor at the plan's discount rate over the
    source's ``life_years`` (NaN where the inputs carry no life)."""
    life = source_column(inputs, "life_years", np.nan).astype(float)
    return pd.Series({p: crf(inputs.discount_rate, v) if v > 0 else np.nan
                      for p, v in life.items()}, dtype=float)


def capital_charge_usd(inputs: PlanInputs, power: pd.DataFrame) -> pd.Series:
    """Per year x site: the level yearly capital charge of the power capacity the plan
    builds (each build's capex x its source's capital recovery factor, charged from its
    year for the source's life), USD. The installed base's supply is sunk: no charge."""
    life = source_column(inputs, "life_years", np.nan).astype(float)
    per_mw = pd.Series(power_capex_usd_per_mw(inputs), index=inputs.power_sources.index)
    b = power[power.new_mw > 1e-9]
    charge = (b.new_mw * per_mw.reindex(b.source).to_numpy()
              * capital_recovery(inputs).reindex(b.source).to_numpy()).to_numpy()
    y = inputs.years.to_numpy()
    age = y[:, None] - b.year.to_numpy()[None, :]
    on = (age >= 0) & (age < np.nan_to_num(life.reindex(b.source).to_numpy(), nan=np.inf))
    at = (b.site.to_numpy()[:, None] == inputs.sites.index.to_numpy()[None, :]).astype(float)
    v = np.where(on, charge[None, :], 0.0)
    # a build in service without a life leaves its site's charge unknown (NaN), not 0
    unknown = (np.isnan(v).astype(float) @ at) > 0
    by_site = pd.DataFrame(np.where(unknown, np.nan, np.nan_to_num(v) @ at),
                           index=inputs.years, columns=inputs.sites.index)
    return by_site.rename_axis(index="year", columns="site").stack(
        future_stack=True).rename("capital_usd")


def cost_columns(inputs: PlanInputs, power: pd.DataFrame) -> pd.DataFrame:
    """Per year x site, USD in the year: ``capital_usd`` (:func:`capital_charge_usd`),
    ``fixed_om_usd`` (capacity x fixed O&M), ``energy_usd`` (energy drawn from each
    source x its price: grid price, fuel; battery discharge is not drawn, its charge
    is), ``carbon_usd`` (emissions x the year's carbon price)."""
    ps = inputs.power_sources
    price = energy_price(inputs).stack().reindex(
        pd.MultiIndex.from_arrays([power.site, power.source])).to_numpy()
    drawn = power.energy_gwh - (power.discharge_gwh if "discharge_gwh" in power else 0.0)
    co2 = pd.Series(carbon_price(inputs), index=inputs.years)
    df = power.assign(
        fixed_om_usd=power.capacity_mw * ps.fixed_opex_usd_per_kw_year.reindex(
            power.source).to_numpy() * 1e3,
        energy_usd=drawn * 1e3 * price,
        carbon_usd=power.emissions_tco2 * co2.reindex(power.year).to_numpy())
    running = df.groupby(KEYS)[["fixed_om_usd", "energy_usd", "carbon_usd"]].sum()
    capital = capital_charge_usd(inputs, power)
    return running.reindex(capital.index, fill_value=0.0).join(capital)


def per_mwh_columns(costs: pd.DataFrame, delivered_gwh: pd.Series) -> pd.DataFrame:
    """USD per MWh delivered of each cost column (``capital_usd`` -> ``capital_usd_per_mwh``)
    and ``all_in_usd_per_mwh``, their sum; NaN where nothing is delivered."""
    mwh = (delivered_gwh * 1e3).where(delivered_gwh > 0)
    out = pd.DataFrame({f"{c[:-4]}_usd_per_mwh": costs[c] / mwh
                        for c in ("capital_usd", "fixed_om_usd", "carbon_usd")})
    out["all_in_usd_per_mwh"] = costs[["capital_usd", "fixed_om_usd", "energy_usd",
                                       "carbon_usd"]].sum(axis=1, skipna=False) / mwh
    return out


def delivered_gwh(inputs: PlanInputs, facility_power_mw: pd.Series) -> pd.Series:
    """Energy the facility draws in a year at its average load, GWh."""
    return facility_power_mw * inputs.facility["average_load_fraction"] * HOURS_PER_YEAR / 1e3


def ramp_columns(inputs: PlanInputs, power: pd.DataFrame) -> pd.DataFrame:
    """Per year x site: ``ramp_mw``, the swing-absorbing MW a placed training run's swing
    requires beyond what the grid's ramp follows (:func:`ramp_shortfall_mw`; 0 without a
    swing or a ramp limit); ``absorbing_mw``, the swing-absorbing capacity in service;
    ``ramp_source``, the cheapest swing-absorbing source allowed at the site (per MW of
    capex, as the planner prices it); ``ramp_capex_usd``, ``ramp_mw`` of it (a stock, not
    additive over years)."""
    ps = inputs.power_sources
    idx = pd.MultiIndex.from_product([inputs.years, inputs.sites.index], names=KEYS)
    short = ramp_shortfall_mw(inputs)
    ramp = pd.Series(0.0 if short is None else short.ravel(), index=idx)
    absorbs = pd.Series(absorbs_swings(inputs) > 0, index=ps.index)
    on = power[absorbs.reindex(power.source).to_numpy()]
    per_mw = pd.Series(power_capex_usd_per_mw(inputs), index=ps.index)
    ok = inputs.site_sources.reindex(index=inputs.sites.index, columns=ps.index,
                                     fill_value=False) & absorbs
    cost = ok.where(ok).mul(per_mw, axis=1)
    source = cost.fillna(np.inf).idxmin(axis=1).where(cost.notna().any(axis=1))
    site = idx.get_level_values("site")
    return pd.DataFrame({
        "ramp_mw": ramp,
        "absorbing_mw": on.groupby(KEYS).capacity_mw.sum().reindex(idx, fill_value=0.0),
        "ramp_source": source.reindex(site).to_numpy(),
        "ramp_capex_usd": ramp * cost.min(axis=1).reindex(site).to_numpy()}, index=idx)


#: the power families of ``binding`` -> what one unit of their right-hand side is
POWER_FAMILIES = {
    "grid-capacity_mw-upper": "MW of grid",
    "site-power_mw-upper": "MW of site power",
    "power-supply_mw-upper": "MW of new supply",
    "power-ramp_mw-lower": "MW less of swing to absorb",
    "emissions-mtco2-upper": "tCO2 of emissions cap",
}


def power_duals(binding: list[dict[str, Any]], objective: str) -> pd.DataFrame:
    """The binding power limits with their duals per MW (per tCO2 for the emissions cap):
    ``constraint``, ``year``, ``site``, ``source``, ``value`` and its ``unit`` (USD NPV for
    ``min_cost``, else effective exaFLOP/s-years). The LP's duals are per unit of the
    formulation's right-hand side (billion USD, MtCO2); here they are rescaled."""
    cost = objective == "min_cost"
    rows = []
    for b in binding:
        fam = b["constraint"]
        if fam not in POWER_FAMILIES:
            continue
        per_t = fam == "emissions-mtco2-upper"  # the row is in MtCO2
        v = b["value_per_unit"] * (1e9 if cost else 1.0) / (1e6 if per_t else 1.0)
        ix = b["index"]
        rows.append({"constraint": fam, "year": ix.get("year"), "site": ix.get("site"),
                     "source": ix.get("source"), "per": POWER_FAMILIES[fam], "value": v,
                     "unit": "USD NPV" if cost else "effective exaFLOP/s-years"})
    return pd.DataFrame(rows, columns=["constraint", "year", "site", "source", "per",
                                       "value", "unit"])
