"""The planner's power model: grid capacity by year, power market supply limits,
emissions with a carbon price and a cap (both formulations, hand-built inputs)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from gigawatt.plan import build_model, optimise, solve_model
from gigawatt.plan.lp import build_arrays
from gigawatt.plan.solve import Session
from gigawatt.plan.synthetic import synthetic_inputs


@pytest.fixture(scope="module")
def base():
    inp = synthetic_inputs(n_sites=2, n_accelerators=2, n_years=4, seed=1, objective="min_cost")
    ps = inp.power_sources.assign(emissions_tco2_per_mwh=[np.nan, 0.0, 0.0, 0.45])
    return dataclasses.replace(inp, power_sources=ps, grid_emissions_tco2_per_mwh=pd.Series(
        0.8, index=inp.sites.index))


def _grid(inputs, mw: float) -> pd.DataFrame:
    return pd.DataFrame(mw, index=inputs.years, columns=inputs.sites.index)


def _by_source(r, column: str) -> pd.Series:
    return r.power.groupby("source")[column].sum()


def _families(r) -> set[str]:
    return {b["constraint"] for b in r.binding}


def _same_optimum(inputs) -> None:
    s = Session(build_arrays(inputs), 60.0, 1e-5)
    s.run()
    m, _ = build_model(inputs, integer=False)
    assert s.objective == pytest.approx(solve_model(m), rel=1e-7)


def test_no_grid_builds_on_site_power_at_a_cost(base):
    free = optimise(base)
    late = dataclasses.replace(base, grid_mw=_grid(base, 2.0))  # the load is ~13 MW
    r = optimise(late)
    assert _by_source(free, "capacity_mw").get("grid", 0) > 8
    grid = r.power[r.power.source == "grid"].groupby(["year", "site"]).capacity_mw.sum()
    assert grid.max() == pytest.approx(2.0, rel=1e-6)
    assert _by_source(r, "capacity_mw").get("gas-turbine", 0) > 0
    assert r.totals["capex_usd"] + r.totals["opex_usd"] > (free.totals["capex_usd"]
                                                            + free.totals["opex_usd"])
    assert "grid-capacity_mw-upper" in _families(r)
    assert not r.relaxations
    _same_optimum(late)


def test_turbine_supply_limit_binds_and_is_priced(base):
    limited = dataclasses.replace(
        base, grid_mw=_grid(base, 0.0),
        source_supply_mw=pd.DataFrame({"gas-turbine": 3.0}, index=base.years))
    r = optimise(limited)
    new = r.power[r.power.source == "gas-turbine"].groupby("year").new_mw.sum()
    assert (new <= 3.0 + 1e-6).all() and new.max() == pytest.approx(3.0, rel=1e-6)
    assert "power-supply_mw-upper" in _families(r)
    _same_optimum(limited)


def test_carbon_price_shifts_the_mix_to_clean_energy(base):
    dirty = optimise(base)
    priced = dataclasses.replace(base, carbon_price_usd_per_tco2=400.0)
    r = optimise(priced)
    assert r.totals["emissions_tco2"] < dirty.totals["emissions_tco2"] * 0.9
    assert _by_source(r, "energy_gwh").get("solar-pv", 0) > _by_source(
        dirty, "energy_gwh").get("solar-pv", 0)
    assert r.costs.opex_carbon_usd.sum() > 0
    _same_optimum(priced)


def test_emissions_cap_binds_with_a_shadow_price(base):
    free = optimise(base)
    by_year = free.power.groupby("year").emissions_tco2.sum()
    cap = pd.Series(np.nan, index=base.years)
    last = int(base.years[-1])
    cap[last] = 0.5 * by_year[last]
    capped = dataclasses.replace(base, emissions_cap_tco2=cap)
    r = optimise(capped)
    got = r.power.groupby("year").emissions_tco2.sum()
    assert got[last] <= cap[last] * (1 + 1e-6)
    assert any(b["constraint"] == "emissions-mtco2-upper" and b["value_per_unit"] > 0
               for b in r.binding)
    assert not r.relaxations
    _same_optimum(capped)


def test_plan_json_power_rows(base):
    d = optimise(base).to_dict()
    assert d["power"] and set(d["power"][0]) == {
        "year", "site", "source", "capacity_mw", "new_mw", "energy_gwh", "emissions_tco2"}
    assert d["totals"]["emissions_tco2"] == pytest.approx(
        sum(p["emissions_tco2"] for p in d["power"]))


def test_scenario_power_block_sets_carbon_cap_and_supply(tmp_path, catalog):
    import yaml

    from gigawatt.errors import ValidationError
    from gigawatt.plan import capability_for, plan_inputs
    from gigawatt.scenario import load_scenario

    doc = yaml.safe_load(open("src/gigawatt/scenarios/colossus.yaml"))
    doc["power"] = {"carbon_price_usd_per_tco2": 200.0,
                    "emissions_cap_tco2_by_year": {2027: 1.0e6},
                    "source_supply_mw_by_year": {"gas-turbine": {2025: 50.0}}}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc))
    sc = load_scenario(str(path), catalog)
    inputs = plan_inputs(sc, catalog, capability_for(sc, catalog))
    assert inputs.carbon_price_usd_per_tco2 == 200.0
    assert inputs.emissions_cap_tco2[2027] == 1.0e6 and np.isnan(inputs.emissions_cap_tco2[2026])
    assert (inputs.source_supply_mw["gas-turbine"] == 50.0).all()
    r = optimise(inputs)
    # the cap holds, or gives by a named, small relaxation (a whole deployable unit of
    # rounding can cost a few tCO2)
    over = sum(x["amount"] for x in r.relaxations if x["constraint"] == "emissions-mtco2-upper"
               and x["unit"] == "tCO2")
    assert over < 1e3  # under 1,000 tCO2, 0.1% of the cap
    assert r.power[r.power.year == 2027].emissions_tco2.sum() <= 1.0e6 + over + 1.0
    doc["power"]["carbon_price_usd_per_tco2"] = -1
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(ValidationError, match="carbon_price_usd_per_tco2"):
        load_scenario(str(path), catalog)


def test_a_ramp_limit_forces_swing_absorbing_batteries(base):
    free = optimise(base)
    swing = pd.DataFrame(0.0, index=base.years, columns=base.sites.index)
    swing.iloc[-1, 0] = 6.0                       # a placed run can drop 6 MW in seconds
    ramp = pd.Series(1.0, index=base.sites.index)  # the grid follows 1 MW per minute
    limited = dataclasses.replace(base, site_swing_mw=swing, grid_ramp_mw_per_min=ramp)
    r = optimise(limited)
    site, year = base.sites.index[0], int(base.years[-1])
    batt = r.power[(r.power.source == "battery") & (r.power.site == site)
                   & (r.power.year == year)].capacity_mw.sum()
    assert batt >= 5.0 - 1e-6                     # swing 6 MW - 1 MW/min x 1 min
    assert _by_source(free, "capacity_mw").get("battery", 0) < batt
    assert "power-ramp_mw-lower" in _families(r)
    assert not r.relaxations
    # a grid that follows the whole swing needs no battery for it
    easy = dataclasses.replace(limited, grid_ramp_mw_per_min=pd.Series(
        10.0, index=base.sites.index))
    assert "power-ramp_mw-lower" not in _families(optimise(easy))
    _same_optimum(limited)


def _dispatched(inputs, n_days: int = 4, block: int = 2):
    """The inputs with dispatch periods of a solar site at 32 N (CF 0.27)."""
    from gigawatt.solar import hourly_capacity_factor, representative_days

    prof, w = representative_days(hourly_capacity_factor(32.0, 0.27), n_days)
    k = 24 // block
    cf = prof.reshape(n_days, k, block).mean(axis=2).ravel()
    ns = len(inputs.sites)
    return dataclasses.replace(inputs, solar_cf=np.tile(cf, (ns, 1)),
                               period_hours=np.tile(np.repeat(w * block, k), (ns, 1)),
                               block_hours=float(block))


def _solar_site(inputs, battery: bool):
    ok = inputs.site_sources.copy()
    ok[:] = False
    ok["solar-pv"] = True
    ok["battery"] = battery
    return dataclasses.replace(inputs, site_sources=ok)


def test_solar_without_storage_cannot_carry_the_night(base):
    load = optimise(base).sites.groupby("year").facility_power_mw.sum().max()
    assert load > 1
    dark = optimise(_dispatched(_solar_site(base, battery=False)))
    # nothing can run at night: no load is powered and every demand goes unmet
    assert dark.sites.facility_power_mw.max() < 1e-6
    assert dark.relaxations
    # the annual-energy view would call solar plus a 4-hour battery of the peak firm;
    # matched in time, the battery must carry every night: several times the load
    annual = optimise(_solar_site(base, battery=True))
    timed = optimise(_dispatched(_solar_site(base, battery=True)))
    batt = lambda r: r.power[r.power.source == "battery"].groupby("year").capacity_mw.sum()
    peak = lambda r: r.sites.groupby("year").facility_power_mw.sum()
    ratio_annual = (batt(annual) / peak(annual)).max()
    ratio_timed = (batt(timed) / peak(timed)).dropna().max()
    assert ratio_annual == pytest.approx(1.0, rel=0.05)
    assert ratio_timed > 1.8 * ratio_annual
    assert timed.totals["capex_usd"] / max(peak(timed).max(), 1e-9) > (
        annual.totals["capex_usd"] / peak(annual).max())
    _same_optimum(_dispatched(_solar_site(base, battery=True)))


def test_dispatch_energy_matches_the_load(base):
    r = optimise(_dispatched(base))
    sites = r.sites.set_index(["year", "site"]).facility_power_mw
    energy = r.power.groupby(["year", "site"]).energy_gwh.sum()
    want = sites * base.facility["average_load_fraction"] * 8760 / 1e3
    got = energy.reindex(want.index).fillna(0.0)
    # supply equals the load; only the battery's losses add to it
    assert (got >= want * (1 - 1e-6) - 1e-6).all()
    assert (got <= want * 1.05 + 1e-6).all()
    _same_optimum(_dispatched(base))


def test_supply_table_reports_what_a_trip_sheds(base):
    r = optimise(dataclasses.replace(base, grid_mw=_grid(base, 2.0)))  # mostly on site
    sup = r.to_frame("supply")
    assert {"shed_on_grid_trip_mw", "shed_on_unit_trip_mw", "battery_cover_h",
            "energy_usd_per_mwh"} <= set(sup.columns)
    want = (sup.facility_power_mw - sup.onsite_firm_mw - sup.battery_mw).clip(lower=0)
    assert np.allclose(sup.shed_on_grid_trip_mw, want)
    assert (sup.grid_mw <= 2.0 + 1e-6).all()
    # with 2 MW of grid against a ~13 MW load, losing on-site power would shed far more
    # than losing the grid
    assert (sup.shed_on_grid_trip_mw < sup.facility_power_mw).any()
    assert r.to_dict()["power_supply"] and "power_supply" in r.to_dict()
