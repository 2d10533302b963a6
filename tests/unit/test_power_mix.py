"""`gigawatt size --power-mix`: the cheapest supply of one load at one site."""

from __future__ import annotations

import pytest

from gigawatt.errors import InfeasibleError, ValidationError
from gigawatt.plan.power_mix import power_mix


def _mix(catalog, site="abilene-tx", mw=600.0, **kw):
    kw.setdefault("average_load_fraction", 0.8)
    return power_mix(catalog, site, mw, **kw)


def test_supply_meets_the_load_every_block_and_holds_n_plus_one(catalog):
    r = _mix(catalog, swing_mw=200.0)
    s = r.sources
    # the year's energy is the average load, no more (a battery only shifts it)
    gen = s.energy_gwh[s.kind != "battery"].sum() * 1e3
    assert gen == pytest.approx(r.average_load_mw * 8760, rel=0.03)
    assert gen >= r.average_load_mw * 8760 * (1 - 1e-6)
    # firm capacity at availability, less the N+1 unit, carries the peak
    assert r.totals["firm_mw"] - r.totals["n_plus_one_mw"] >= r.facility_power_mw * (1 - 1e-6)
    if (s.capacity_mw[s.kind == "gas"] > 1e-3).any():
        assert r.totals["n_plus_one_mw"] == pytest.approx(12.0)  # one turbine
    # the swing Abilene's 50 MW/min grid cannot follow is held by batteries
    assert r.totals["ramp_shortfall_mw"] == pytest.approx(150.0)
    absorb = s.capacity_mw[s.kind == "battery"].sum()
    assert absorb >= 150.0 * (1 - 1e-6)
    assert any(b["constraint"] == "power-ramp_mw-lower" for b in r.binding)
    # the grid never exceeds what the utility delivers
    assert s.capacity_mw.get("grid", 0.0) <= r.grid_limit_mw + 1e-6


def test_all_in_cost_adds_up(catalog):
    r = _mix(catalog)
    t = r.totals
    assert t["annual_cost_usd"] == pytest.approx(r.sources.annual_cost_usd.sum())
    assert t["all_in_usd_per_mwh"] == pytest.approx(t["annual_cost_usd"] / t["energy_mwh"])
    assert t["capex_usd"] == pytest.approx(r.sources.capex_usd.sum())
    # a source's annual cost is its capex x the capital recovery factor + O&M + energy
    gas = r.sources.loc["gas-turbine"]
    if gas.capacity_mw > 1e-3:
        per_mw = (gas.annual_cost_usd - gas.energy_gwh * 1e3 * 40.0) / gas.capacity_mw
        assert per_mw == pytest.approx(1.5e6 * 0.08883 + 20e3, rel=1e-3)


def test_a_carbon_price_moves_the_mix_off_gas(catalog):
    free = _mix(catalog)
    priced = _mix(catalog, carbon_price_usd_per_tco2=150.0)
    assert priced.totals["emissions_tco2"] < 0.8 * free.totals["emissions_tco2"]
    assert priced.totals["all_in_usd_per_mwh"] > free.totals["all_in_usd_per_mwh"]


def test_a_grid_only_site_and_its_limit(catalog):
    # Saline: grid and batteries only, 1,000 MW from 2028
    r = _mix(catalog, site="saline-mi", mw=800.0, year=2028, swing_mw=100.0)
    assert set(r.sources.index[r.sources.capacity_mw > 1e-3]) <= {"grid", "battery"}
    assert r.totals["n_plus_one_mw"] == 0.0
    with pytest.raises(InfeasibleError, match="saline-mi"):
        _mix(catalog, site="saline-mi", mw=800.0, year=2027)  # 500 MW of grid then


def test_reserve_margin_and_no_n_plus_one(catalog):
    base = _mix(catalog, n_plus_one=False)
    assert base.totals["n_plus_one_mw"] == 0.0
    more = _mix(catalog, n_plus_one=False, reserve_margin=0.2)
    assert more.totals["firm_mw"] >= 1.2 * more.facility_power_mw * (1 - 1e-6)
    assert more.totals["annual_cost_usd"] > base.totals["annual_cost_usd"]


@pytest.mark.parametrize("kw, field", [({"mw": -5.0}, "facility_power_mw"),
                                       ({"average_load_fraction": 1.5},
                                        "average_load_fraction"),
                                       ({"reserve_margin": 2.0}, "reserve_margin"),
                                       ({"hours_per_block": 5}, "hours_per_block")])
def test_bad_values_name_their_field(catalog, kw, field):
    with pytest.raises(ValidationError) as e:
        _mix(catalog, **kw)
    assert e.value.field == field


def test_cli_power_mix(cli):
    r = cli("size", "--accelerator", "h100-sxm", "--count", "100000", "--site", "memphis-tn",
            "--power-mix", "--json")
    assert r.code == 0, r.stderr
    mix = r.json()["power_mix"]
    assert mix["site"] == "memphis-tn"
    assert mix["facility_power_mw"] == pytest.approx(r.json()["facility_power_mw"])
    assert {"all_in_usd_per_mwh", "emissions_tco2", "n_plus_one_mw"} <= set(mix["totals"])
    human = cli("size", "--accelerator", "h100-sxm", "--count", "100000", "--site",
                "memphis-tn", "--power-mix")
    assert human.code == 0 and "power mix at memphis-tn" in human.stdout
    bad = cli("size", "--accelerator", "h100-sxm", "--count", "1000", "--power-mix")
    assert bad.code == 2 and "--site" in bad.stderr and "Traceback" not in bad.stderr
    big = cli("size", "--accelerator", "h100-sxm", "--count", "2000000", "--site",
              "saline-mi", "--power-mix", "--year", "2027")
    assert big.code == 2 and "saline-mi" in big.stderr and "Traceback" not in big.stderr
