"""Training power swings: the job's power over a step and when it stalls
(gigawatt.perf.power_profile), the MW per site and year a placed run can drop
(gigawatt.ops.power_swing.site_swing_mw), one simulated job's power from its events and
the largest drops within a second and a minute."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from gigawatt.errors import ValidationError
from gigawatt.ops import simulate
from gigawatt.ops.power_swing import (
    accelerator_swing_fraction, job_power_series, ramp_stats, scenario_swing_mw,
    site_swing_mw, swing_absorber_usd_per_mw,
)
from gigawatt.perf.power_profile import (
    GPU_IDLE_FRACTION, busy_idle_w, step_power, swing_fraction,
)
from gigawatt.plan.synthetic import synthetic_inputs

H100 = {"tdp_w": 700.0, "all_in_w": 1220.0}
STEP = {"compute": 6.0, "optimizer": 0.2, "tp_comm": 0.5, "dp_comm": 0.8, "bubble": 1.5}


# --- perf.power_profile --------------------------------------------------------------

def test_idle_accelerator_keeps_its_host_share():
    busy, idle = busy_idle_w(**H100)
    assert busy == 1220.0
    assert idle == pytest.approx(520.0 + GPU_IDLE_FRACTION * 700.0)


def test_step_waveform_is_busy_then_waiting():
    sp = step_power(STEP, **H100)
    busy, idle = busy_idle_w(**H100)
    assert sp.step_time_s == pytest.approx(sum(STEP.values()))
    assert sp.phase[:2] == ("compute", "optimizer")
    assert set(sp.power_w[:2]) == {busy} and set(sp.power_w[2:]) == {idle}
    assert np.allclose(sp.start_s[1:], np.cumsum(sp.duration_s)[:-1])
    assert idle < sp.mean_w < busy
    assert sp.mean_w == pytest.approx((6.2 * busy + 2.8 * idle) / 9.0)


def test_stall_is_the_worst_case_and_smoothing_absorbs_part_of_it():
    stall = swing_fraction(**H100)
    step = swing_fraction(**H100, breakdown_s=STEP, case="step")
    assert 0.4 < stall < 0.6  # the failure model's stalled-job share is 0.48
    assert step == pytest.approx(stall)  # the step's waits are at idle too
    assert swing_fraction(**H100, breakdown_s={"compute": 1.0}, case="step") == 0.0
    assert swing_fraction(**H100, smoothing_fraction=0.3) == pytest.approx(0.7 * stall)


def test_power_profile_rejects_bad_inputs():
    with pytest.raises(ValidationError, match="all_in_power_w"):
        busy_idle_w(700.0, 500.0)
    with pytest.raises(ValidationError, match="breakdown_s"):
        swing_fraction(**H100, case="step")
    with pytest.raises(ValidationError, match="case"):
        swing_fraction(**H100, case="peak")


def test_catalog_smoothing_lowers_the_gb300_swing(catalog):
    gb300 = catalog.accelerator("gb300")
    raw = swing_fraction(gb300.tdp_w, gb300.all_in_power_w)
    assert accelerator_swing_fraction(catalog, "gb300") == pytest.approx(0.7 * raw)
    h100 = catalog.accelerator("h100-sxm")
    assert accelerator_swing_fraction(catalog, "h100-sxm") == pytest.approx(
        swing_fraction(h100.tdp_w, h100.all_in_power_w))


# --- ops.power_swing.site_swing_mw ---------------------------------------------------

def _inputs(rows):
    base = synthetic_inputs(n_sites=3, n_accelerators=2, n_years=4, seed=1)
    return dataclasses.replace(base, training_sites=pd.DataFrame(
        rows, columns=["workload", "year", "site", "accelerator", "kacc"]))


def test_swing_grows_with_job_size():
    base = synthetic_inputs(n_sites=3, n_accelerators=2, n_years=4, seed=1)
    year, site, acc = int(base.years[-1]), base.sites.index[0], base.accelerators.index[0]
    small = site_swing_mw(_inputs([("w", year, site, acc, 10.0)]))
    large = site_swing_mw(_inputs([("w", year, site, acc, 30.0)]))
    assert small.shape == (len(base.years), len(base.sites))
    assert large.loc[year, site] == pytest.approx(3 * small.loc[year, site])
    expected = 10e3 * base.accelerators.it_power_w[acc] * base.sites.pue[site] * 0.52 / 1e6
    assert small.loc[year, site] == pytest.approx(expected)  # no catalog entry: 1 - 0.48
    assert (small.drop(columns=site).to_numpy() == 0).all()
    assert site_swing_mw(base).to_numpy().sum() == 0  # no placed runs, no swing


def test_largest_run_per_site_year_and_linked_shares():
    base = synthetic_inputs(n_sites=3, n_accelerators=2, n_years=4, seed=1)
    y, (a, b, _), acc = int(base.years[-1]), base.sites.index, base.accelerators.index[0]
    one = site_swing_mw(_inputs([("w", y, a, acc, 10.0)])).loc[y, a]
    out = site_swing_mw(_inputs([("w", y, a, acc, 10.0), ("v", y, a, acc, 20.0),
                                 ("x", y, a, acc, 5.0), ("x", y, b, acc, 5.0)]))
    assert out.loc[y, a] == pytest.approx(2 * one)  # the largest run, not the sum
    pue = base.sites.pue
    assert out.loc[y, b] == pytest.approx(0.5 * one * pue[b] / pue[a])  # its share


def test_scenario_swing_uses_the_catalog(catalog):
    sc = SimpleNamespace(years=[2026, 2027], sites=[SimpleNamespace(site="abilene-tx",
                                                                    pue=None)])
    req = pd.DataFrame([{"workload": "w", "year": 2027, "site": "abilene-tx",
                         "accelerator": "gb300", "kacc": 100.0}])
    out = scenario_swing_mw(req, sc, catalog)
    acc = catalog.accelerator("gb300")
    pue = catalog.get("coolings", catalog.site("abilene-tx").cooling).pue
    mw = 100e3 * acc.all_in_power_w * pue * accelerator_swing_fraction(catalog, "gb300") / 1e6
    assert out.loc[2027, "abilene-tx"] == pytest.approx(mw)
    assert out.loc[2026, "abilene-tx"] == 0
    assert 30 < mw < 100  # 100k GB300 with smoothing: tens of MW in seconds


# --- ops.power_swing.job_power_series and ramp_stats ---------------------------------

@pytest.fixture(scope="module")
def sim():
    return simulate(16384, 5, seed=3)


def test_a_failure_drops_the_job_to_idle_power(sim, catalog):
    s = job_power_series(sim)
    acc = catalog.accelerator("h100-sxm")
    busy_w, idle_w = busy_idle_w(acc.tdp_w, acc.all_in_power_w)
    scale = sim.inputs["job_gpus"] * sim.inputs["pue"] / 1e6
    assert s.power_mw.iloc[0] == pytest.approx(busy_w * scale)
    fail = sim.events.time_h[list(sim.events.kind).index("unexpected")] * 3600
    at = s.power_mw[s.t_s <= fail].iloc[-1]
    assert at == pytest.approx(idle_w * scale)
    # back to busy after detection and restart
    back = fail + (sim.checkpoint["detect_min"] + sim.checkpoint["restart_min"]) * 60
    later = s[(s.t_s >= back - 1e-6) & (s.t_s < back + 1)]
    assert later.power_mw.iloc[0] == pytest.approx(busy_w * scale)
    assert s.power_mw.min() == pytest.approx(idle_w * scale)
    assert (np.diff(s.t_s) > 0).all() and (np.diff(s.power_mw) != 0).all()


def test_checkpoints_dip_between_failures(sim):
    s = job_power_series(sim, window_h=1.0)
    assert s.t_s.max() < 3600
    levels = sorted(set(np.round(s.power_mw, 6)))
    assert len(levels) >= 2  # busy and checkpointing at least


def test_ramp_stats_of_a_hand_series():
    s = pd.DataFrame({"t_s": [0.0, 10.0, 10.5, 100.0], "power_mw": [100.0, 40.0, 20.0,
                                                                    100.0]})
    r = ramp_stats(s, windows_s=(0.1, 1.0, 60.0))
    assert r["max_drop_mw_0.1s"] == 60.0  # 100 -> 40 at once; 20 is 0.5 s later
    assert r["max_drop_mw_1s"] == 80.0
    assert r["max_rise_mw_1s"] == 80.0  # 20 -> 100 at t = 100 s
    assert r["max_drop_mw_60s"] == 80.0


def test_ramp_stats_of_a_job_equal_its_stall_swing(sim):
    s = job_power_series(sim)
    r = ramp_stats(s)
    assert r["max_drop_mw_1s"] == pytest.approx(s.power_mw.max() - s.power_mw.min())
    assert r["max_drop_mw_60s"] >= r["max_drop_mw_1s"]


def test_bad_window_is_named(sim):
    with pytest.raises(ValidationError, match="window_h"):
        job_power_series(sim, window_h=-1)


def test_absorbing_a_swing_costs_the_battery_power_part_plus_handover_energy(catalog):
    bat = catalog.get("power_sources", "battery")
    fast = swing_absorber_usd_per_mw(catalog, 100.0, 100.0)  # handed over in 1 minute
    slow = swing_absorber_usd_per_mw(catalog, 100.0, 10.0)   # 10 minutes
    assert fast == pytest.approx(bat.capex_usd_per_kw * 1e3
                                 + bat.capex_usd_per_kwh * 1e3 * 0.5 / 60)
    assert slow > fast > bat.capex_usd_per_kw * 1e3
    with pytest.raises(ValidationError, match="swing_mw"):
        swing_absorber_usd_per_mw(catalog, 0.0, 10.0)
