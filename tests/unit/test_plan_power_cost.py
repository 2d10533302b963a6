"""Battery energy from the dispatch, the all-in cost of power per MWh delivered (with
capital), the swing-absorbing capacity a ramp limit requires and its capex, and the
report's power section with the power duals in words (hand-built inputs)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from gigawatt.plan import optimise
from gigawatt.plan.inputs import BATTERY_EFFICIENCY, BATTERY_HOURS
from gigawatt.plan.synthetic import synthetic_inputs
from test_plan_power import _dispatched, _grid, base  # noqa: F401  (the shared cases)

KEYS = ["year", "site"]


@pytest.fixture(scope="module")
def solar_night(base):
    """Solar and batteries only, dispatched: the batteries must carry every night."""
    ok = base.site_sources.copy()
    ok[:] = False
    ok[["solar-pv", "battery"]] = True
    return optimise(_dispatched(dataclasses.replace(base, site_sources=ok)))


@pytest.fixture(scope="module")
def mixed(base):
    """2 MW of grid against a ~13 MW load (gas and solar on site), a carbon price."""
    return optimise(dataclasses.replace(base, grid_mw=_grid(base, 2.0),
                                        carbon_price_usd_per_tco2=50.0))


def test_battery_energy_is_the_dispatched_discharge(solar_night):
    r = solar_night
    batt = r.power[r.power.source == "battery"].groupby(KEYS).energy_gwh.sum()
    sup = r.supply.set_index(KEYS)
    assert (batt > 1.0).any()                               # batteries carry the nights
    assert np.allclose(batt.reindex(sup.index).fillna(0), sup.battery_discharge_gwh)
    d = r.decisions.battery_gwh.set_index(KEYS).discharge_gwh
    assert np.allclose(batt, d.reindex(batt.index))
    # every period is balanced: drawn + discharged - charged = what the load draws
    assert np.allclose(sup.energy_gwh + sup.battery_discharge_gwh - sup.battery_charge_gwh,
                       sup.delivered_gwh, rtol=1e-6)
    # a day's discharge cannot exceed its charge after losses
    assert (sup.battery_discharge_gwh <= BATTERY_EFFICIENCY * sup.battery_charge_gwh
            * (1 + 1e-6) + 1e-9).all()
    # a battery's energy is not drawn twice: its emissions are its charging sources'
    assert r.power[r.power.source == "battery"].emissions_tco2.abs().max() == 0.0
    assert r.to_dict()["power"] and any(p["source"] == "battery" and p["energy_gwh"] > 1
                                        for p in r.to_dict()["power"])


def test_annual_balance_carries_no_dispatch(mixed):
    assert mixed.decisions.battery_gwh is None
    assert (mixed.supply.battery_discharge_gwh == 0).all()


def _crf(rate: float, life: float) -> float:
    return rate * (1 + rate) ** life / ((1 + rate) ** life - 1)


def test_all_in_cost_matches_a_hand_computation(base, mixed):
    r, ps = mixed, base.power_sources
    sup = r.supply.set_index(KEYS)
    assert (sup.all_in_usd_per_mwh >= sup.energy_usd_per_mwh - 1e-9).all()
    assert (sup.capital_usd_per_mwh > 0).all() and (sup.carbon_usd_per_mwh > 0).all()
    year, site = sup.index[-1]
    p = r.power[r.power.site == site]
    here = p[p.year == year]
    per_mw = ps.capex_usd_per_kw * 1e3 + (ps.kind == "battery") * BATTERY_HOURS \
        * ps.capex_usd_per_kwh * 1e3
    capital = sum(b.new_mw * per_mw[b.source] * _crf(base.discount_rate, ps.life_years[b.source])
                  for b in p[p.year <= year].itertuples())
    fixed = (here.capacity_mw * ps.fixed_opex_usd_per_kw_year.reindex(here.source).to_numpy()
             ).sum() * 1e3
    price = ps.energy_usd_per_mwh.reindex(here.source).fillna(
        base.sites.electricity_usd_per_mwh[site]).to_numpy()
    energy = (here.energy_gwh.to_numpy() * 1e3 * price).sum()
    carbon = here.emissions_tco2.sum() * 50.0
    load = r.sites.set_index(KEYS).facility_power_mw[(year, site)]
    mwh = load * base.facility["average_load_fraction"] * 8760.0
    assert capital > 0 and carbon > 0
    assert sup.all_in_usd_per_mwh[(year, site)] == pytest.approx(
        (capital + fixed + energy + carbon) / mwh, rel=1e-9)
    assert sup.capital_usd_per_mwh[(year, site)] == pytest.approx(capital / mwh, rel=1e-9)


def test_running_costs_add_up_to_the_cost_table(mixed):
    sup = mixed.supply
    mwh = sup.delivered_gwh * 1e3
    running = ((sup.fixed_om_usd_per_mwh + sup.carbon_usd_per_mwh) * mwh
               + sup.energy_usd_per_mwh * sup.energy_gwh * 1e3).groupby(sup.year).sum()
    c = mixed.costs
    want = (c.opex_power_om_usd + c.opex_energy_usd + c.opex_carbon_usd).reindex(running.index)
    assert np.allclose(running, want, rtol=1e-9)


def test_a_source_without_a_life_has_no_all_in_cost(base):
    ps = base.power_sources.drop(columns="life_years")
    sup = optimise(dataclasses.replace(base, power_sources=ps)).supply
    assert sup.all_in_usd_per_mwh.isna().all() and sup.energy_usd_per_mwh.notna().all()


@pytest.fixture(scope="module")
def ramped(base):
    swing = pd.DataFrame(0.0, index=base.years, columns=base.sites.index)
    swing.iloc[-1, 0] = 6.0                       # a placed run can drop 6 MW in seconds
    ramp = pd.Series(1.0, index=base.sites.index)  # the grid follows 1 MW per minute
    return optimise(dataclasses.replace(base, site_swing_mw=swing, grid_ramp_mw_per_min=ramp))


def test_ramp_capacity_and_its_capex(base, ramped):
    sup = ramped.supply.set_index(KEYS)
    key = (int(base.years[-1]), base.sites.index[0])
    assert sup.ramp_mw[key] == pytest.approx(5.0)   # 6 MW swing - 1 MW/min x 1 min
    assert sup.absorbing_mw[key] >= 5.0 - 1e-6
    assert sup.ramp_source[key] == "battery"
    battery = base.power_sources.loc["battery"]
    per_mw = battery.capex_usd_per_kw * 1e3 + BATTERY_HOURS * battery.capex_usd_per_kwh * 1e3
    assert sup.ramp_capex_usd[key] == pytest.approx(5.0 * per_mw)
    assert (sup.drop(index=key).ramp_mw == 0).all()


def test_power_duals_are_rescaled_per_mw_and_per_tco2(base, mixed):
    from gigawatt.plan.power_cost import power_duals

    d = power_duals(mixed.binding, mixed.objective)
    grid = [b for b in mixed.binding if b["constraint"] == "grid-capacity_mw-upper"]
    assert grid and len(d[d.constraint == "grid-capacity_mw-upper"]) == len(grid)
    assert d[d.constraint == "grid-capacity_mw-upper"].value.iloc[0] == pytest.approx(
        grid[0]["value_per_unit"] * 1e9)
    assert (d.unit == "USD NPV").all()
    emis = power_duals([{"constraint": "emissions-mtco2-upper", "index": {"year": 2028},
                         "value_per_unit": 0.2}], "min_cost")
    assert emis.value.iloc[0] == pytest.approx(200.0)   # 0.2 bn USD per MtCO2 = $200/t
    assert power_duals([{"constraint": "budget-phase_busd-upper", "index": {},
                         "value_per_unit": 1.0}], "min_cost").empty


def test_report_section_renders_sources_costs_and_duals(base, mixed, ramped):
    from gigawatt.report.html import render_page
    from gigawatt.report.power import capacity_by_source_figure, power_section

    sec = power_section(mixed)
    year, site = next((b["index"]["year"], b["index"]["site"]) for b in mixed.binding
                      if b["constraint"] == "grid-capacity_mw-upper")
    assert f"One more MW of grid at {site} in {year} is worth $" in sec.html
    assert "Emissions over the programme" in sec.html
    fig = capacity_by_source_figure(mixed)
    bars = {t.name: np.asarray(t.y, float) for t in fig.data if t.type == "bar"}
    assert {"grid", "gas-turbine"} <= set(bars)        # sources, not only the grid
    want = mixed.power.groupby(["source", "year"]).capacity_mw.sum()["gas-turbine"] / 1e3
    assert np.allclose(bars["gas-turbine"], want.reindex(mixed.fleet.index).fillna(0))
    costs = [t for t in sec.charts[2].data if t.name.endswith("all-in")]
    assert costs and all(np.all(np.asarray(t.y, float) > 0) for t in costs)
    page = render_page("t", "t", [sec])
    assert "Cost of power per MWh delivered" in page
    assert "swing needs 5 MW" in power_section(ramped).html
    last = optimise(base).power.groupby("year").emissions_tco2.sum().iloc[-1]
    capped = dataclasses.replace(base, emissions_cap_tco2=pd.Series(
        [np.nan, np.nan, np.nan, 0.5 * last], index=base.years))
    assert "shadow carbon price" in power_section(optimise(capped)).html


def test_an_unknown_life_leaves_only_its_own_site_unpriced(base, mixed):
    from gigawatt.plan.power_cost import capital_charge_usd

    one = mixed.power.site.iloc[0]
    power = mixed.power.assign(source=np.where(mixed.power.site == one, "mystery",
                                               mixed.power.source))
    ps = pd.concat([base.power_sources, base.power_sources.loc[["gas-turbine"]].rename(
        index={"gas-turbine": "mystery"}).assign(life_years=np.nan)])
    got = capital_charge_usd(dataclasses.replace(base, power_sources=ps), power)
    built = power[power.new_mw > 0].groupby("site").year.min()
    assert got.xs(one, level="site")[lambda s: s.index >= built[one]].isna().all()
    others = got.drop(index=one, level="site")
    assert others.notna().all() and (others > 0).any()

