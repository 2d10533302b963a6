"""The plan report's power section: where each gigawatt comes from (capacity by source and
year), what it emits (by year and site), what it costs per MWh delivered (energy only and
all-in, with capital), the swing-absorbing capacity a grid's ramp limit requires, and the
power limits' duals in words (:func:`gigawatt.plan.power_cost.power_duals`)."""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from ..numfmt import field, money
from .html import Section, Table, bullet_list

#: the supply-table columns of the section's cost table
COST_COLUMNS = ["year", "site", "facility_power_mw", "delivered_gwh", "battery_discharge_gwh",
                "energy_usd_per_mwh", "capital_usd_per_mwh", "fixed_om_usd_per_mwh",
                "carbon_usd_per_mwh", "all_in_usd_per_mwh", "ramp_mw", "absorbing_mw",
                "ramp_capex_usd"]


def capacity_by_source_figure(r: Any) -> Any:
    """Capacity in service by source and year over all sites (stacked), against the load."""
    import plotly.graph_objects as go

    from .plan_report import _layout, _nonzero

    fig = go.Figure()
    years = list(r.fleet.index)
    if len(r.power):
        by = r.power.groupby(["source", "year"]).capacity_mw.sum()
        for src, s in by.groupby(level=0):
            s = s.droplevel(0).reindex(years).fillna(0.0)
            if _nonzero(s):
                fig.add_trace(go.Bar(x=years, y=s.to_numpy() / 1e3, name=src))
    load = r.sites.groupby("year").facility_power_mw.sum().reindex(years).fillna(0.0)
    fig.add_trace(go.Scatter(x=years, y=load.to_numpy() / 1e3, mode="lines+markers",
                             name="facility load (IT x PUE)",
                             line={"color": "black"}))
    fig.update_layout(barmode="stack")
    return _layout(fig, "Power capacity in service by source, all sites", "GW", "year")


def emissions_figure(r: Any) -> Any:
    """Emissions by year, stacked by site."""
    import plotly.graph_objects as go

    from .plan_report import _layout, _nonzero

    fig = go.Figure()
    years = list(r.fleet.index)
    if len(r.power) and "emissions_tco2" in r.power:
        by = r.power.groupby(["site", "year"]).emissions_tco2.sum()
        for site, s in by.groupby(level=0, sort=False):
            s = s.droplevel(0).reindex(years).fillna(0.0)
            if _nonzero(s):
                fig.add_trace(go.Bar(x=years, y=s.to_numpy() / 1e6, name=site))
    if not fig.data:
        fig.add_annotation(text="no emissions in this plan", showarrow=False)
    fig.update_layout(barmode="stack")
    return _layout(fig, "Emissions by year and site (the dispatch x each source's factor)",
                   "MtCO2", "year")


def cost_figure(r: Any) -> Any:
    """Cost per MWh delivered by site and year: all-in (capital, fixed O&M, energy,
    carbon; solid) and energy only (dotted)."""
    import plotly.graph_objects as go

    from .plan_report import _layout

    fig = go.Figure()
    sup = r.supply if r.supply is not None else pd.DataFrame()
    for site, g in (sup.groupby("site", sort=False) if len(sup) else []):
        if "all_in_usd_per_mwh" in g and g.all_in_usd_per_mwh.notna().any():
            fig.add_trace(go.Scatter(x=g.year, y=g.all_in_usd_per_mwh, mode="lines+markers",
                                     name=f"{site}: all-in", legendgroup=site))
        fig.add_trace(go.Scatter(x=g.year, y=g.energy_usd_per_mwh, mode="lines",
                                 name=f"{site}: energy only", legendgroup=site,
                                 line={"dash": "dot"}))
    return _layout(fig, "Cost of power per MWh delivered: all-in (with capital) and energy "
                   "only", "USD/MWh", "year")


def _value(d: Any) -> str:
    if d.unit == "USD NPV":
        per = "tCO2" if d.constraint == "emissions-mtco2-upper" else "MW"
        return f"{money(d.value)} of NPV per {per}"
    return f"{d.value:.4g} {d.unit}"


def dual_sentences(duals: pd.DataFrame) -> list[str]:
    """The power duals (:func:`gigawatt.plan.power_cost.power_duals`) in words."""
    out = []
    for d in duals.itertuples():
        v = _value(d)
        if d.constraint == "grid-capacity_mw-upper":
            s = f"One more MW of grid at {d.site} in {d.year} is worth {v}."
        elif d.constraint == "site-power_mw-upper":
            s = (f"One more MW of site power (grid + permitted on site) at {d.site} in "
                 f"{d.year} is worth {v}.")
        elif d.constraint == "power-supply_mw-upper":
            s = (f"One more MW of {d.source} obtainable in {d.year} (one more slot in its "
                 f"sold-out market, e.g. a turbine) is worth {v}.")
        elif d.constraint == "power-ramp_mw-lower":
            s = (f"One MW less of training swing to absorb at {d.site} in {d.year} is "
                 f"worth {v}.")
        else:
            s = (f"One more tCO2 under the {d.year} emissions cap is worth {v}: the cap's "
                 "shadow carbon price.")
        out.append(s)
    return out


def ramp_sentences(sup: pd.DataFrame) -> list[str]:
    """One line per site-year whose grid cannot follow a placed run's swing; or one line
    saying none needs swing-absorbing capacity."""
    if "ramp_mw" not in sup:
        return []
    need = sup[sup.ramp_mw > 1e-6]
    if not len(need):
        held = sup.absorbing_mw.max() if len(sup) else 0.0
        return ["No placed training run swings a site faster than its grid's ramp: no "
                "swing-absorbing capacity is required" + (
                    f" (the {field('absorbing_mw', held)} of it in the plan is there for "
                    "energy)." if held > 1e-6 else ".")]
    return [f"{x.site} {x.year}: the placed run's swing needs {field('ramp_mw', x.ramp_mw)} "
            f"of swing-absorbing capacity beyond the grid's ramp ({x.ramp_source}: capex "
            f"{money(x.ramp_capex_usd)}); {field('absorbing_mw', x.absorbing_mw)} in service."
            for x in need.itertuples()]


def power_section(r: Any, prefix: str = "") -> Section:
    """The section "Power: where it comes from, what it costs, what binds"."""
    from ..plan.power_cost import power_duals

    sup = r.supply if r.supply is not None else pd.DataFrame(columns=COST_COLUMNS)
    duals = dual_sentences(power_duals(r.binding, r.objective))
    total = r.totals.get("emissions_tco2", 0.0)
    text = (f"<p>Emissions over the programme: <b>{html.escape(field('emissions_tco2', total))}"
            "</b>.</p><p><b>What binds</b> (LP duals):</p>"
            + bullet_list(duals or ["No power limit binds: more grid, site power, supply or "
                                    "emissions room would not change the plan."])
            + "<p><b>Swings of training</b>:</p>" + bullet_list(ramp_sentences(sup))
            + "<p>All-in cost per MWh delivered = (capex of the power the plan builds, "
            "annualised at the discount rate over each source's life, + fixed O&amp;M + "
            "energy and fuel + carbon) / MWh the facility draws; energy only = energy "
            "and fuel over the MWh drawn.</p>"
            + ("<p>Where the all-in cost is blank a power source in service has no economic "
               "life in the planner's inputs (<code>life_years</code>), so its capital "
               "cannot be annualised.</p>"
               if "all_in_usd_per_mwh" in sup and sup.all_in_usd_per_mwh.isna().any()
               else ""))
    cols = [c for c in COST_COLUMNS if c in sup]
    return Section(f"{prefix}power", f"{prefix}Power: where it comes from, what it costs, "
                   "what binds", html=text,
                   charts=[capacity_by_source_figure(r), emissions_figure(r), cost_figure(r)],
                   tables=[Table(f"{prefix}power_cost", "Cost of power per MWh delivered and "
                                 "swing-absorbing capacity by site and year", sup[cols])])
