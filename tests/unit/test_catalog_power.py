"""The catalog's power fields (issue 13): every source has its emissions, outage rate,
unit size, supply limit and swing flag; fuel costs follow from heat rate and price;
emission factors from heat rate and EPA's natural-gas factor; sites carry latitude,
solar capacity factor, grid split and grid ramp; GB300 racks smooth part of a swing."""

from __future__ import annotations

import pytest

from gigawatt.catalog import load_catalog_from
from gigawatt.catalog.loader import DATA_DIR

NEW = ["gas-recip", "fuel-cell", "nuclear-ppa"]
#: EPA/EIA: pipeline natural gas, weighted national average, kg CO2 per MMBtu
GAS_KG_CO2_PER_MMBTU = 53.06


def sources(catalog):
    return catalog.table("power_sources")


def test_new_sources_exist_and_are_firm(catalog):
    p = sources(catalog)
    for pid in NEW:
        assert pid in p and p[pid].firm
    assert p["nuclear-ppa"].kind == "nuclear"
    assert p["gas-recip"].kind == "gas" and p["fuel-cell"].kind == "gas"


@pytest.mark.parametrize("pid", ["grid", "solar-pv", "battery", "gas-turbine", "gas-ccgt",
                                 *NEW])
def test_power_fields_present_and_cited(catalog, pid):
    p = sources(catalog)[pid]
    for field in ("forced_outage_rate", "absorbs_swings"):
        assert field in p.provenance, f"{pid}.{field} has no source"
    assert 0 <= p.forced_outage_rate < 0.2
    if p.kind != "grid":
        assert p.emissions_tco2_per_mwh is not None
    if p.kind in ("gas", "nuclear"):
        assert p.unit_mw and p.unit_mw > 0 and "unit_mw" in p.provenance
        assert p.supply_mw_per_year and "supply_mw_per_year" in p.provenance


def test_only_the_battery_and_engines_absorb_swings(catalog):
    p = sources(catalog)
    assert p["battery"].absorbs_swings
    assert not p["grid"].absorbs_swings and not p["solar-pv"].absorbs_swings
    assert not p["gas-ccgt"].absorbs_swings and not p["nuclear-ppa"].absorbs_swings


@pytest.mark.parametrize("pid", ["gas-turbine", "gas-ccgt", *NEW[:2]])
def test_energy_cost_is_fuel_times_heat_rate_plus_variable_om(catalog, pid):
    p = sources(catalog)[pid]
    fuel = p.heat_rate_mmbtu_per_mwh * p.fuel_usd_per_mmbtu
    assert p.energy_usd_per_mwh == pytest.approx(fuel + p.variable_om_usd_per_mwh, rel=0.03)
    assert p.energy_usd_per_mwh > fuel


@pytest.mark.parametrize("pid", ["gas-turbine", "gas-ccgt", *NEW[:2]])
def test_gas_emissions_follow_the_heat_rate(catalog, pid):
    p = sources(catalog)[pid]
    expected = p.heat_rate_mmbtu_per_mwh * GAS_KG_CO2_PER_MMBTU / 1000
    assert p.emissions_tco2_per_mwh == pytest.approx(expected, rel=0.01)


def test_efficiency_orders_heat_rates_and_emissions(catalog):
    p = sources(catalog)
    hr = {k: p[k].heat_rate_mmbtu_per_mwh for k in ("gas-ccgt", "gas-recip", "gas-turbine")}
    assert hr["gas-ccgt"] < hr["gas-recip"] < hr["gas-turbine"]
    assert all(6.0 <= v <= 11.0 for v in hr.values())  # 31%-57% HHV efficiency
    for clean in ("solar-pv", "battery", "nuclear-ppa"):
        assert p[clean].emissions_tco2_per_mwh == 0
        assert p[clean].heat_rate_mmbtu_per_mwh is None


def test_grid_emissions_come_from_the_region(catalog):
    grid = sources(catalog)["grid"]
    assert grid.emissions_tco2_per_mwh is None and grid.heat_rate_mmbtu_per_mwh is None
    regions = catalog.table("electricity_prices")
    for r in regions.values():
        assert r.emissions_tco2_per_mwh is not None, r.id
        assert 0.1 <= r.emissions_tco2_per_mwh <= 1.0
        assert r.source_of("emissions_tco2_per_mwh").source in catalog.sources
    assert grid.emissions_factor(regions["us-tx"].emissions_tco2_per_mwh) == \
        regions["us-tx"].emissions_tco2_per_mwh
    assert sources(catalog)["solar-pv"].emissions_factor(0.5) == 0.0


def test_turbine_slots_are_limited(catalog):
    p = sources(catalog)
    assert p["grid"].supply_mw_per_year is None and p["solar-pv"].supply_mw_per_year is None
    for gas in ("gas-turbine", "gas-ccgt", "gas-recip"):
        assert 100 <= p[gas].supply_mw_per_year <= 20_000


def test_sites_have_latitude_solar_and_ramp(catalog):
    for s in catalog.table("sites").values():
        assert s.latitude_deg is not None and 20 <= abs(s.latitude_deg) <= 50, s.id
        assert 0.1 <= s.solar_capacity_factor <= 0.32, s.id
        assert s.grid_ramp_mw_per_min and s.grid_ramp_mw_per_min > 0
        for f in ("latitude_deg", "solar_capacity_factor", "grid_ramp_mw_per_min"):
            assert f in s.provenance
        for year in range(2024, 2031):  # the grid never delivers more than the site takes
            assert s.grid_mw_in(year) <= s.power_mw_in(year) + 1e-9, (s.id, year)
    tx, mi = catalog.site("dona-ana-nm"), catalog.site("saline-mi")
    assert tx.solar_capacity_factor > mi.solar_capacity_factor


def test_public_site_mixes(catalog):
    abilene = catalog.site("abilene-tx")  # grid + 360 MW of permitted gas turbines
    assert abilene.power_mw_in(2026) - abilene.grid_mw_in(2026) == pytest.approx(360)
    colossus = catalog.site("memphis-tn")  # 150 MW MLGW, then a second substation
    assert colossus.grid_mw_in(2025) == 150 and colossus.grid_mw_in(2026) == 300
    assert colossus.grid_mw_in(2024) == 0  # 2024 ran on turbines
    saline = catalog.site("saline-mi")  # DTE supplies all of it: no split given
    assert saline.grid_mw_by_year is None
    assert saline.grid_mw_in(2028) == saline.power_mw_in(2028)


def test_gb300_racks_smooth_part_of_the_swing(catalog):
    assert 0 < catalog.system("gb300-nvl72").power_smoothing_fraction < 1
    assert catalog.system("hgx-h100").power_smoothing_fraction is None


def test_old_catalogs_without_the_new_fields_still_load(tmp_path):
    """A power file in the pre-issue-13 form (no new fields) loads with the defaults."""
    import yaml

    doc = yaml.safe_load((DATA_DIR / "power.yaml").read_text())
    new = {"emissions_tco2_per_mwh", "heat_rate_mmbtu_per_mwh", "fuel_usd_per_mmbtu",
           "variable_om_usd_per_mwh", "unit_mw", "forced_outage_rate",
           "supply_mw_per_year", "absorbs_swings"}
    doc["power_sources"] = [{k: v for k, v in row.items() if k not in new}
                            for row in doc["power_sources"]]
    for row in doc["electricity_prices"]:
        row.pop("emissions_tco2_per_mwh", None)
    (tmp_path / "power.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    others = [p for p in DATA_DIR.glob("*.yaml") if p.name != "power.yaml"]
    cat = load_catalog_from(others + [tmp_path / "power.yaml"])
    gas = cat.get("power_sources", "gas-turbine")
    assert gas.forced_outage_rate == 0 and gas.unit_mw is None and not gas.absorbs_swings
    assert gas.emissions_factor(0.4) == 0.0 and cat.get("power_sources", "grid"
                                                        ).emissions_factor(0.4) == 0.4
