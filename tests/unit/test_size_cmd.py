"""`gigawatt size`: what N accelerators take, through the command and the core."""

from __future__ import annotations

import math

import pytest

from gigawatt.deploy import size_deployment
from gigawatt.plan.sizing import firm_power_source, size


def test_json_document(cli, catalog):
    r = cli("size", "--accelerator", "gb200", "--count", "1000", "--site", "abilene-tx",
            "--json")
    assert r.code == 0, r.stderr
    doc = r.json()
    for key in ("systems", "racks", "it_power_mw", "facility_power_mw", "floor_m2",
                "capex_usd", "energy_mwh_per_year", "opex_usd_per_year"):
        assert key in doc
    system = catalog.system(catalog.accelerator("gb200").system)
    assert doc["systems"] == math.ceil(1000 / system.accelerators)
    assert doc["facility_power_mw"] == pytest.approx(doc["it_power_mw"] * doc["pue"])
    parts = {k: v for k, v in doc["capex_usd"].items() if k != "total"}
    assert set(parts) == {"accelerators_and_systems", "network", "data_hall", "power_plant"}
    assert doc["capex_usd"]["total"] == pytest.approx(sum(parts.values()))


def test_same_numbers_as_deploy(catalog):
    s = size(catalog, "h100-sxm", 20_000, "memphis-tn")
    d = size_deployment(catalog, "h100-sxm", 20_000, "memphis-tn")
    assert s.deployment == d
    per_kw = catalog.get("power_sources", s.power_source).capex_usd_per_kw
    assert s.power_plant_usd == pytest.approx(d.facility_power_mw * 1e3 * per_kw)


def test_site_sets_pue_and_override_wins(catalog):
    site = size(catalog, "h100-sxm", 8000, "abilene-tx").deployment
    cooling = catalog.get("coolings", catalog.site("abilene-tx").cooling)
    assert site.pue == cooling.pue
    assert size(catalog, "h100-sxm", 8000, "abilene-tx", pue=1.5).deployment.pue == 1.5


def test_twice_the_count_twice_the_power(catalog):
    one = size(catalog, "mi300x", 8000).deployment
    two = size(catalog, "mi300x", 16000).deployment
    assert two.it_power_mw == pytest.approx(2 * one.it_power_mw)


def test_power_source_is_firm(catalog):
    src = firm_power_source(catalog, "abilene-tx")
    row = catalog.get("power_sources", src)
    assert row.firm and row.kind != "battery"


@pytest.mark.parametrize("args, text", [
    (["--accelerator", "h100-sxn", "--count", "10"], "did you mean"),
    (["--accelerator", "h100-sxm", "--count", "0"], "count"),
    (["--accelerator", "h100-sxm", "--count", "10", "--site", "nowhere"], "unknown site"),
])
def test_bad_input_exits_2(cli, args, text):
    r = cli("size", *args)
    assert r.code == 2 and text in r.stderr and "Traceback" not in r.stderr
