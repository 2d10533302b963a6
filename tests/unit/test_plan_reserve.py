"""Reliability of supply in the planner: firm capacity at its availability, a reserve
margin, and N+1 on on-site units settled from the plan (both formulations)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from gigawatt.plan import optimise
from gigawatt.plan.reserve import contingency_of, largest_unit
from gigawatt.plan.synthetic import synthetic_inputs
from test_plan_power import _same_optimum  # lp = linopy on the same inputs

UNIT_MW = 2.0  # against a load of ~13 MW per site


@pytest.fixture(scope="module")
def base():
    inp = synthetic_inputs(n_sites=2, n_accelerators=2, n_years=4, seed=1, objective="min_cost")
    ps = inp.power_sources.assign(
        unit_mw=[np.nan if k in ("grid", "solar", "battery") else UNIT_MW
                 for k in inp.power_sources.kind],
        forced_outage_rate=[0.001 if k == "grid" else 0.05 for k in inp.power_sources.kind])
    # no grid: every site runs on its own units
    return dataclasses.replace(inp, power_sources=ps, grid_mw=pd.DataFrame(
        0.0, index=inp.years, columns=inp.sites.index))


def _firm(r, source: str = "gas-turbine") -> pd.Series:
    p = r.power[r.power.source == source]
    return p.set_index(["year", "site"]).capacity_mw


def _load(r) -> pd.Series:
    return r.sites.set_index(["year", "site"]).facility_power_mw


def test_n_plus_one_keeps_the_load_when_the_largest_unit_trips(base):
    plain = optimise(dataclasses.replace(base, n_plus_one=False))
    r = optimise(base)
    load = _load(r)
    on = load[load > 1e-6].index
    gas = _firm(r).reindex(on).fillna(0.0)
    batt = _firm(r, "battery").reindex(on).fillna(0.0)
    # firm at availability, less one unit, still carries the peak load
    assert ((gas * 0.95 + batt * 0.95 - UNIT_MW) >= load[on] * (1 - 1e-6)).all()
    assert np.allclose(r.contingency_mw.stack().reindex(on), UNIT_MW)
    sup = r.to_frame("supply")
    assert sup.shed_on_unit_trip_mw.max() < 1e-6
    # without N+1 the same load needs one unit less (and a unit trip sheds load)
    gas0 = _firm(plain).reindex(_load(plain)[_load(plain) > 1e-6].index).fillna(0.0)
    assert (gas0 * 0.95 + _firm(plain, "battery").reindex(gas0.index).fillna(0.0) * 0.95
            ).min() < (gas * 0.95 + batt * 0.95).min()
    assert plain.to_frame("supply").shed_on_unit_trip_mw.max() > 0.5
    _same_optimum(dataclasses.replace(base, contingency_mw=r.contingency_mw,
                                      contingency_source=None))


def _firm_at_availability(r) -> tuple[pd.Series, pd.Series]:
    load = _load(r)
    on = load[load > 1e-6].index
    firm = sum(_firm(r, p).reindex(on).fillna(0.0) for p in ("gas-turbine", "battery"))
    return firm * 0.95, load[on]


def test_reserve_margin_adds_firm_capacity(base):
    r0 = optimise(dataclasses.replace(base, n_plus_one=False))
    r = optimise(dataclasses.replace(base, n_plus_one=False, reserve_margin=0.2))
    firm, load = _firm_at_availability(r)
    assert (firm >= load * 1.2 * (1 - 1e-6)).all()
    firm0, load0 = _firm_at_availability(r0)
    assert (firm0 < load0 * 1.2).all()
    _same_optimum(dataclasses.replace(base, n_plus_one=False, reserve_margin=0.2))


def test_a_source_smaller_than_one_unit_cannot_cover_its_own_trip(base):
    # one big unit (50 MW) against a ~13 MW load: the plant is the unit, whole
    ps = base.power_sources.assign(unit_mw=[np.nan if k in ("grid", "solar", "battery")
                                            else 50.0 for k in base.power_sources.kind])
    big = dataclasses.replace(base, power_sources=ps)
    cap = np.zeros((len(big.years), len(big.sites), len(ps)))
    gas = ps.index.get_loc("gas-turbine")
    cap[:, 0, gas] = 20.0
    mw, k, whole = largest_unit(big.power_sources, cap)
    assert mw[0, 0] == 20.0 and k[0, 0] == gas and whole[0, 0]
    assert mw[0, 1] == 0.0 and k[0, 1] == -1
    r = optimise(big)
    # gas alone can never be N+1 here: the site holds batteries beside it, or nothing
    load = _load(r)
    on = load[load > 1e-6].index
    batt = _firm(r, "battery").reindex(on).fillna(0.0)
    assert (batt * 0.95 >= load[on] * (1 - 1e-6)).all()
    settled = contingency_of(big, r.decisions)
    assert set(settled) == {"contingency_mw", "contingency_source"}


def test_scenario_power_block_sets_the_reserve(tmp_path, catalog):
    import yaml

    from gigawatt.errors import ValidationError
    from gigawatt.plan import capability_for, plan_inputs
    from gigawatt.scenario import load_scenario

    doc = yaml.safe_load(open("src/gigawatt/scenarios/colossus.yaml"))
    doc["power"] = {"reserve_margin": 0.15, "n_plus_one": False}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc))
    sc = load_scenario(str(path), catalog)
    inputs = plan_inputs(sc, catalog, capability_for(sc, catalog))
    assert inputs.reserve_margin == 0.15 and not inputs.n_plus_one
    r = optimise(inputs)
    assert r.contingency_mw is None
    doc["power"]["reserve_margin"] = 1.5
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(ValidationError, match="reserve_margin"):
        load_scenario(str(path), catalog)
