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
    assert r.power[r.power.year == 2027].emissions_tco2.sum() <= 1.0e6 * (1 + 1e-6)
    doc["power"]["carbon_price_usd_per_tco2"] = -1
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(ValidationError, match="carbon_price_usd_per_tco2"):
        load_scenario(str(path), catalog)
