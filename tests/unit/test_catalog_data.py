"""The built-in hardware, facility, power and site catalog: coverage, provenance, sanity.

These tests read the shipped YAML files. They fail when a row is missing, a fact has no
source, a price is not flagged as an estimate, or a value breaks a physical relation
(FP8 below BF16, all-in power below TDP, HBM bandwidth outside any shipped part's range),
and they cross-check rack- and pod-level figures that vendors publish against the
per-accelerator rows.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gigawatt.catalog import load_catalog_from
from gigawatt.catalog.loader import DATA_DIR
from gigawatt.errors import UnknownIdError
from gigawatt.yamlio import read_yaml

ACCELERATORS = ["a100-80gb", "h100-sxm", "h800", "h200", "b200", "gb200", "gb300", "mi300x",
                "mi325x", "mi355x", "tpu-v5p", "tpu-v6e", "tpu-ironwood", "trainium2",
                "maia-100", "gaudi3", "gaudi2"]
SYSTEMS = ["hgx-a100", "hgx-h100", "hgx-h800", "hgx-h200", "hgx-b200", "gb200-nvl72",
           "gb300-nvl72", "mi300x-platform", "mi325x-platform", "mi355x-platform",
           "tpu-v5p-pod", "tpu-v6e-pod", "tpu-ironwood-pod", "trn2-ultraserver",
           "maia-100-rack", "gaudi3-node", "gaudi2-node"]
FABRICS = ["ib-ndr", "ib-xdr", "ethernet-400g", "ethernet-800g", "tpu-ici-dcn", "efa"]
POWER = ["grid", "solar-pv", "battery", "gas-turbine", "gas-ccgt"]
PRICES = ["us-average", "us-tx", "us-nm", "us-oh", "us-mi", "us-tn", "us-wi", "kr"]
SITES = ["abilene-tx", "shackelford-tx", "milam-tx", "dona-ana-nm", "lordstown-oh",
         "saline-mi", "memphis-tn", "korea-generic"]
FAMILIES = {"nvidia": {"ampere", "hopper", "blackwell"}, "amd": {"cdna3", "cdna4"},
            "google": {"tpu"}, "aws": {"trainium"}, "microsoft": {"maia"},
            "intel": {"gaudi"}}
MY_FILES = ["accelerators.yaml", "systems.yaml", "facility.yaml", "power.yaml", "sites.yaml"]
MY_TABLES = ["accelerators", "systems", "fabrics", "coolings", "facilities", "power_sources",
             "electricity_prices", "hbm_suppliers", "sites"]
META = {"id", "name", "source", "estimate", "notes"}


def rows(catalog, table):
    return list(catalog.table(table).values())


@pytest.mark.parametrize("table, ids", [
    ("accelerators", ACCELERATORS), ("systems", SYSTEMS), ("fabrics", FABRICS),
    ("power_sources", POWER), ("electricity_prices", PRICES), ("sites", SITES),
    ("coolings", ["air", "liquid"]), ("facilities", ["ai-hall"]),
    ("hbm_suppliers", ["sk-hynix", "samsung", "micron"]),
])
def test_the_interface_ids_exist(catalog, table, ids):
    missing = sorted(set(ids) - set(catalog.table(table)))
    assert not missing, f"{table} lacks {missing}"


def test_at_least_16_accelerators_from_6_vendors(catalog):
    accs = rows(catalog, "accelerators")
    assert len(accs) >= 16
    assert len({a.vendor for a in accs}) >= 6


@pytest.mark.parametrize("acc_id", ACCELERATORS)
def test_vendor_and_family_agree(catalog, acc_id):
    acc = catalog.accelerator(acc_id)
    assert acc.family in FAMILIES[acc.vendor]


@pytest.mark.parametrize("table", MY_TABLES)
def test_every_fact_has_a_provenance_whose_source_exists(catalog, table):
    for row in rows(catalog, table):
        facts = {k for k, v in row.facts().items() if v is not None} - META
        assert facts <= set(row.provenance), f"{table}.{row.id}: {facts - set(row.provenance)}"
        for fact in facts:
            prov = row.source_of(fact)
            assert prov.source in catalog.sources, f"{table}.{row.id}.{fact}: {prov.source}"
            cited = catalog.cite(row, fact)
            assert cited["date"][:4].isdigit() and len(cited["source"]) >= 3


def test_every_source_defined_in_these_files_is_cited(catalog):
    defined = set()
    for name in MY_FILES:
        doc = read_yaml(DATA_DIR / name)
        defined |= {s["id"] for s in doc.data.get("sources") or []}
    cited = {p.source for table in catalog.tables.values() for r in table.values()
             for p in r.provenance.values()} | {r.source for t in catalog.tables.values()
                                                 for r in t.values()}
    assert not defined - cited, f"sources never cited: {sorted(defined - cited)}"


@pytest.mark.parametrize("table, field", [
    ("accelerators", "price_usd"), ("accelerators", "all_in_power_w"),
    ("systems", "price_usd"), ("fabrics", "cost_usd_per_port"),
])
def test_prices_and_derived_powers_are_flagged_as_estimates(catalog, table, field):
    unflagged = [r.id for r in rows(catalog, table) if not r.source_of(field).estimate]
    assert not unflagged, f"{table}.{field} not marked estimate: {unflagged}"


def test_a_row_level_estimate_flag_is_not_lost_by_per_fact_notes(catalog):
    # A fact written as {value, note} without `estimate:` is a stated value; the rows of
    # this catalog that are assumptions say so fact by fact.
    korea = catalog.site("korea-generic")
    assert korea.source_of("power_mw_by_year").estimate
    assert korea.source_of("land_m2").estimate


@pytest.mark.parametrize("acc_id", ACCELERATORS)
def test_accelerator_physics(catalog, acc_id):
    a = catalog.accelerator(acc_id)
    assert 150 <= a.bf16_tflop_per_s <= 3000, "dense BF16, not the sparse figure"
    if a.fp8_tflop_per_s:
        assert a.fp8_tflop_per_s >= a.bf16_tflop_per_s
        assert a.fp8_tflop_per_s <= 2.01 * a.bf16_tflop_per_s
    if a.fp4_tflop_per_s:
        assert a.fp8_tflop_per_s and a.fp4_tflop_per_s >= a.fp8_tflop_per_s
    assert a.all_in_power_w >= a.tdp_w
    assert a.all_in_power_w <= 2.0 * a.tdp_w
    assert 1.5 <= a.hbm_tb_per_s <= 8.5
    assert 16 <= a.hbm_gb <= 300
    assert 250 <= a.tdp_w <= 1500
    assert 100 <= a.scaleup_gb_per_s <= 1000, "one direction per accelerator"
    assert 25 <= a.scaleout_gbit_per_s <= 4800
    assert 2020 <= a.year <= 2026
    assert 1000 <= a.price_usd <= 100_000


def test_accelerators_and_systems_point_at_each_other(catalog):
    for acc in rows(catalog, "accelerators"):
        assert catalog.system(acc.system).accelerator == acc.id
    assert {s.accelerator for s in rows(catalog, "systems")} == set(catalog.accelerators)


@pytest.mark.parametrize("sys_id", SYSTEMS)
def test_rack_power_matches_the_accelerators_all_in_power(catalog, sys_id):
    s = catalog.system(sys_id)
    acc = catalog.accelerator(s.accelerator)
    per_rack_kw = s.accelerators * s.systems_per_rack * acc.all_in_power_w / 1000
    assert 0.7 <= s.rack_power_kw / per_rack_kw <= 1.3
    assert s.price_usd >= 0.5 * s.accelerators * acc.price_usd
    assert s.rack_power_kw <= 200


def _validation():
    """The case table of scripts/validation_catalog.py (the docs' table comes from it)."""
    import importlib.util
    import sys

    path = Path(__file__).resolve().parents[2] / "scripts" / "validation_catalog.py"
    spec = importlib.util.spec_from_file_location("validation_catalog", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("validation_catalog", mod)
    spec.loader.exec_module(mod)
    return mod


VALIDATION = _validation()
#: spec cases the catalog does not reproduce, with the reason; strict, so a fix shows.
KNOWN_MISSES = {
    "Trn2 UltraServer BF16": "AWS's instance table (10 PF per 16 chips) predates the chip "
                             "page's 667 TFLOP/s; the catalog keeps the newer chip figure",
}


@pytest.mark.parametrize("case", [c for c in VALIDATION.CASES if c.kind == "spec"],
                         ids=lambda c: c.name)
def test_vendor_rack_and_pod_totals_are_reproduced(catalog, case, request):
    if case.name in KNOWN_MISSES:
        request.applymarker(pytest.mark.xfail(reason=KNOWN_MISSES[case.name], strict=True))
    assert case.model(catalog) == pytest.approx(case.published, rel=case.tolerance)


def test_deployment_cases_are_computed_and_reported(catalog):
    results = VALIDATION.evaluate(catalog)
    text = VALIDATION.markdown(results)
    for r in results:
        assert r["model"] > 0
        assert r["case"].name in text
    assert text.count("**miss**") == sum(not r["hit"] for r in results)


def test_fabrics_are_priced_by_bandwidth(catalog):
    fabs = {f.id: f for f in rows(catalog, "fabrics")}
    assert fabs["ib-xdr"].port_gbit_per_s == 2 * fabs["ib-ndr"].port_gbit_per_s
    assert fabs["ib-xdr"].cost_usd_per_port > fabs["ib-ndr"].cost_usd_per_port
    assert fabs["ethernet-400g"].cost_usd_per_port < fabs["ib-ndr"].cost_usd_per_port
    for f in fabs.values():
        assert 0.5 <= f.latency_us <= 50


def test_power_sources_are_consistent(catalog):
    p = catalog.table("power_sources")
    assert p["battery"].capex_usd_per_kwh > 0 and not p["battery"].firm
    assert p["solar-pv"].capacity_factor < 0.35 and not p["solar-pv"].firm
    assert p["grid"].firm and p["gas-turbine"].firm and p["gas-ccgt"].firm
    assert p["grid"].energy_usd_per_mwh is None, "grid energy is the site's regional price"
    for gas in ("gas-turbine", "gas-ccgt"):
        assert 10 <= p[gas].energy_usd_per_mwh <= 100
    # A combined-cycle plant burns less fuel per MWh but takes longer to build.
    assert p["gas-ccgt"].energy_usd_per_mwh < p["gas-turbine"].energy_usd_per_mwh
    assert p["gas-ccgt"].lead_time_years > p["gas-turbine"].lead_time_years
    assert p["grid"].lead_time_years >= 3


def test_electricity_prices_are_plausible(catalog):
    prices = catalog.table("electricity_prices")
    for r in prices.values():
        assert 30 <= r.usd_per_mwh <= 300
    # EIA 2023: New Mexico is the cheapest of the listed US states, Wisconsin the dearest.
    us = {k: v.usd_per_mwh for k, v in prices.items() if k.startswith("us-")}
    assert min(us, key=us.get) == "us-nm" and max(us, key=us.get) == "us-wi"
    assert prices["kr"].usd_per_mwh > prices["us-average"].usd_per_mwh


@pytest.mark.parametrize("site_id", SITES)
def test_site_power_grows_and_uses_known_sources(catalog, site_id):
    site = catalog.site(site_id)
    years = sorted(site.power_mw_by_year)
    mw = [site.power_mw_by_year[y] for y in years]
    assert mw == sorted(mw), "deliverable power does not shrink"
    assert 0 < max(mw) <= 3000
    assert site.power_mw_in(years[0] - 1) == 0.0
    assert site.power_mw_in(2035) == mw[-1]
    assert "grid" in site.power_sources
    assert site.cooling in catalog.table("coolings")


def test_announced_sites_have_land_for_their_power(catalog):
    # The facility's land per MW must not make an announced campus infeasible by itself.
    per_mw = catalog.get("facilities", "ai-hall").land_m2_per_mw
    for site in rows(catalog, "sites"):
        peak_mw = max(site.power_mw_by_year.values())
        assert per_mw * peak_mw <= site.land_m2, site.id


def test_stargate_abilene_reaches_the_announced_1_2_gw(catalog):
    abilene = catalog.site("abilene-tx")
    assert abilene.power_mw_in(2026) == pytest.approx(1200)
    assert abilene.land_m2 == pytest.approx(3.54e6)


def test_liquid_cooling_is_more_efficient_than_air(catalog):
    c = catalog.table("coolings")
    assert 1.0 < c["liquid"].pue < c["air"].pue < 1.6


def test_a_fact_citing_an_unknown_source_is_rejected(tmp_path: Path):
    text = (DATA_DIR / "power.yaml").read_text()
    bad = tmp_path / "power.yaml"
    bad.write_text(text.replace("source: eia-epa-2023\n    usd_per_mwh: 66.0",
                                "source: no-such-report\n    usd_per_mwh: 66.0"))
    others = [DATA_DIR / n for n in MY_FILES if n != "power.yaml"]
    with pytest.raises(UnknownIdError) as err:
        load_catalog_from(others + [bad])
    assert "no-such-report" in str(err.value) and "us-tx" in str(err.value)
