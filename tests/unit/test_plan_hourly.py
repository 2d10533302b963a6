"""Hourly dispatch (`gigawatt plan --hourly`): every hour of the year balanced, identical
days merged exactly, hourly close to 4-hour blocks, and the size guard (exit code 2)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from gigawatt.errors import PlanError
from gigawatt.plan import optimise
from gigawatt.plan.lp import build_arrays
from gigawatt.plan.solve import (
    HOURLY_LIMIT_SITE_HOURS, Session, check_dispatch_size, hourly_scenario,
    merge_identical_days,
)
from gigawatt.plan.synthetic import synthetic_inputs
from gigawatt.solar import hourly_capacity_factor

YEAR_CF = hourly_capacity_factor(32.0, 0.27)  # 365 x 24, a solar site at 32 N


def _sources(inputs, *ids: str):
    ok = inputs.site_sources.copy()
    ok[:] = False
    for i in ids:
        ok[i] = True
    return dataclasses.replace(inputs, site_sources=ok)


def _year(inputs, block: int = 1):
    """Every day of the year in blocks of ``block`` hours."""
    k = 24 // block
    cf = YEAR_CF.reshape(365, k, block).mean(axis=2).ravel()
    ns = len(inputs.sites)
    return dataclasses.replace(inputs, solar_cf=np.tile(cf, (ns, 1)),
                               period_hours=np.full((ns, 365 * k), float(block)),
                               block_hours=float(block))


@pytest.fixture(scope="module")
def one_site():
    return synthetic_inputs(n_sites=1, n_accelerators=2, n_years=3, seed=1,
                            objective="min_cost")


@pytest.fixture(scope="module")
def solar_battery(one_site):
    return _year(_sources(one_site, "solar-pv", "battery"))


def _lp(inputs) -> Session:
    s = Session(build_arrays(inputs), 120.0, 1e-5)
    s.run()
    return s


def test_days_without_solar_merge_into_one_exactly(one_site):
    hourly = _year(_sources(one_site, "grid", "gas-turbine", "battery"))
    merged = merge_identical_days(hourly)
    assert merged.solar_cf.shape == (1, 24)
    assert merged.period_hours.sum() == pytest.approx(8760.0)
    assert _lp(merged).objective == pytest.approx(_lp(hourly).objective, rel=1e-7)
    # a solar site's days all differ: nothing to merge
    solar = _year(_sources(one_site, "solar-pv", "battery"))
    assert merge_identical_days(solar).solar_cf.shape[1] == 8760


def test_every_hour_of_a_solar_battery_site_is_balanced(solar_battery):
    s = _lp(merge_identical_days(solar_battery))
    ps = list(s.m.cols["dispatch_mw"].coords[2])
    disp = s.values("dispatch_mw")[:, 0]              # year, source, hour
    charge, discharge = s.values("charge_mw")[:, 0], s.values("discharge_mw")[:, 0]
    net = disp.sum(axis=1) + discharge - charge          # year, hour
    powered = net.max(axis=1) > 1.0
    assert powered.any()
    for y in np.flatnonzero(powered):                    # a flat load, met in every hour
        assert net[y].std() < 1e-6 * net[y].mean()
    solar = disp[:, ps.index("solar-pv")]
    dark = YEAR_CF.ravel() < 1e-9
    assert np.abs(solar[:, dark]).max() < 1e-6           # no solar at night
    # the battery carries the night
    assert (discharge[powered][:, dark] > 0.5 * net[powered][:, :1]).all()
    cap = s.values("power_mw")[:, 0].cumsum(axis=0)      # year, source (MW in service)
    soc = s.values("soc_mwh")[:, 0]
    assert (soc.max(axis=1) <= 4.0 * cap[:, ps.index("battery")] + 1e-6).all()


def test_hourly_is_close_to_four_hour_blocks(solar_battery):
    hourly = optimise(solar_battery)
    blocks = optimise(_year(_sources(solar_battery, "solar-pv", "battery"), block=4))
    assert not hourly.relaxations and not blocks.relaxations
    cap = lambda r: r.power.groupby("source").capacity_mw.sum()  # noqa: E731
    for src in ("solar-pv", "battery"):
        assert cap(hourly)[src] == pytest.approx(cap(blocks)[src], rel=0.05)
    cost = lambda r: r.totals["capex_usd"] + r.totals["opex_usd"]  # noqa: E731
    assert cost(hourly) == pytest.approx(cost(blocks), rel=0.02)
    # the hourly year is the harder one: its 4-hour blocks average each block's sun
    assert cap(hourly)["battery"] >= cap(blocks)["battery"] * (1 - 1e-6)


def test_too_many_solar_site_years_are_refused(one_site):
    big = _year(_sources(synthetic_inputs(n_sites=2, n_accelerators=2, n_years=2, seed=1),
                         "solar-pv", "battery"))
    with pytest.raises(PlanError, match=f"35,040 site-hours, over the limit of "
                                        f"{HOURLY_LIMIT_SITE_HOURS:,}"):
        check_dispatch_size(merge_identical_days(big))
    with pytest.raises(PlanError):
        optimise(big)
    check_dispatch_size(merge_identical_days(_year(_sources(one_site, "solar-pv"))))
    # sites without solar do not count
    check_dispatch_size(merge_identical_days(
        _year(_sources(synthetic_inputs(n_sites=4, n_accelerators=2, n_years=4, seed=1),
                       "grid", "battery"))))


def test_hourly_scenario_keeps_the_rest_of_power(catalog):
    import gigawatt as gw

    sc = gw.load_scenario("colossus", catalog)
    h = hourly_scenario(sc)
    assert (h.power.representative_days, h.power.hours_per_block) == (365, 1)
    if sc.power is not None:
        assert h.power.carbon_price_usd_per_tco2 == sc.power.carbon_price_usd_per_tco2


def test_cli_hourly_over_the_limit_exits_2(cli, tmp_path):
    from pathlib import Path

    small = Path(__file__).resolve().parents[1] / "data" / "plan" / "small.yaml"
    text = small.read_text().replace("end_year: 2027", "end_year: 2029").replace(
        "end_year: 2027, budget_usd", "end_year: 2029, budget_usd")
    path = tmp_path / "long.yaml"
    path.write_text(text)
    r = cli("plan", "--scenario", path, "--hourly", "--no-report")
    assert r.code == 2
    assert "site-hours, over the limit" in r.stderr and "Traceback" not in r.stderr
