"""Unit tests of the operations simulator core (gigawatt.ops)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gigawatt as gw
from gigawatt.errors import GigawattError, UnknownIdError, ValidationError
from gigawatt.ops import renewal_ettr
from gigawatt.ops.failures import renewal_times
from gigawatt.ops.recovery import Timeline, activity
from gigawatt.ops.spares import auto_spares, repair_done, serve

sim = gw.ops.simulate


def _summary(r):
    return r.to_dict()


def test_same_seed_same_result_different_seed_different():
    a, b = sim(16384, 30, seed=7), sim(16384, 30, seed=7)
    assert _summary(a) == _summary(b)
    assert a.to_frame().equals(b.to_frame())
    assert _summary(sim(16384, 30, seed=8)) != _summary(a)


@pytest.mark.parametrize("recovery", ["restart", "in-memory", "elastic"])
def test_gpu_hours_are_conserved(recovery):
    r = sim(65536, 60, seed=3, recovery=recovery, spare_nodes=5)
    total = r.inputs["job_gpus"] * 60 * 24
    assert r.useful_gpu_hours + r.lost_gpu_hours == pytest.approx(total, rel=1e-9)
    assert 0.0 <= r.ettr <= 1.0
    assert all(v >= -1e-6 for v in r.lost_gpu_hours_by_reason.values())


def test_no_failures_no_loss():
    r = sim(8192, 10, seed=0, failure_rate=0.0, planned_per_day=0.0)
    assert r.interruptions == {"total": 0, "unexpected": 0, "planned": 0, "by_cause": {}}
    assert r.ettr == 1.0 and r.mtbf_h is None and r.spare_nodes == 0
    assert math.isinf(r.checkpoint["interval_min"])


def test_energy_without_failures_is_power_times_time(catalog):
    acc = catalog.accelerator("h100-sxm")
    pue = catalog.get("coolings", catalog.system(acc.system).cooling).pue
    r = sim(8192, 10, seed=0, failure_rate=0.0, planned_per_day=0.0)
    assert r.energy_mwh == pytest.approx(8192 * acc.all_in_power_w * pue * 240 / 1e6, rel=1e-9)
    assert r.it_energy_mwh == pytest.approx(r.energy_mwh / pue, rel=1e-9)


def test_fixed_interval_without_failures_costs_the_write_share():
    r = sim(8192, 10, seed=0, failure_rate=0.0, planned_per_day=0.0,
            checkpoint_interval_min=10.0, checkpoint_gb_per_gpu=7.32)  # 1-min writes
    w = r.checkpoint["blocking_write_min"]
    assert w == pytest.approx(1.0, rel=1e-3)
    assert r.ettr == pytest.approx(10.0 / (10.0 + w), abs=2e-4)


def test_failure_rate_scales_counts_and_keeps_the_mix():
    base = np.mean([sim(16384, 54, seed=s).interruptions["unexpected"] for s in range(10)])
    double = np.mean([sim(16384, 54, seed=s, failure_rate=2 * 3.7887).interruptions["unexpected"]
                      for s in range(10)])
    assert double / base == pytest.approx(2.0, rel=0.06)
    r = sim(16384, 54, seed=0, failure_multiplier=0.0)
    assert r.interruptions["unexpected"] == 0


def test_recovery_modes_rank_at_scale():
    kw = dict(gpus=131072, days=60, seed=2)
    restart = sim(**kw).ettr
    memory = sim(recovery="in-memory", **kw).ettr
    elastic = sim(recovery="elastic", **kw).ettr
    assert restart < memory < elastic
    assert restart < 0.75  # a failure every ~11 minutes: stop-and-reload loses most time


def test_too_few_spares_means_waiting_and_capacity_matters():
    auto = sim(16384, 54, seed=1)
    none = sim(16384, 54, seed=1, spare_nodes=0)
    few = sim(16384, 54, seed=1, spare_nodes=20)
    slow = sim(16384, 54, seed=1, spare_nodes=20, repair_capacity=4)
    wait = {k: x.lost_gpu_hours_by_reason["waiting_for_spares"]
            for k, x in dict(auto=auto, none=none, few=few, slow=slow).items()}
    assert wait["auto"] < wait["few"] < wait["slow"] <= wait["none"]
    assert none.ettr < 0.05 < auto.ettr  # without spares every GPU fault waits for a repair


def test_auto_spares_cover_repairs():
    assert auto_spares(0.0, 0.0, 10) == 0
    assert auto_spares(16.0, 16.0, 1.0) >= 16 + 2 * 4
    assert auto_spares(16.0, 64.0, 100.0) > auto_spares(16.0, 16.0, 100.0)


def test_repair_queue_fifo_with_limited_capacity():
    t = np.array([0.0, 0.0, 0.0])
    d = np.array([10.0, 10.0, 10.0])
    assert repair_done(t, d, None).tolist() == [10.0, 10.0, 10.0]
    assert repair_done(t, d, 1).tolist() == [10.0, 20.0, 30.0]
    assert repair_done(t, d, 2).tolist() == [10.0, 10.0, 20.0]


def test_spare_pool_serves_in_order():
    rng = np.random.default_rng(0)
    t = np.sort(rng.random(200) * 100)
    units = rng.integers(0, 3, 200)
    pool = serve(t, units, np.full(200, 50.0), 5, None, np.random.default_rng(1))
    assert np.all(pool.ready_h >= t)
    assert np.all(pool.unit_served_h >= pool.unit_fail_h)
    assert np.all(np.diff(pool.unit_served_h) >= 0)  # FIFO
    plenty = serve(t, units, np.full(200, 50.0), int(units.sum()), None,
                   np.random.default_rng(1))
    assert np.array_equal(plenty.ready_h, t)


def test_weibull_lifetimes_keep_the_mean_rate():
    t = renewal_times(20000, 1 / 500.0, 1.5, 50000.0, np.random.default_rng(0))
    assert t.size / (20000 * 100.0) == pytest.approx(1.0, rel=0.03)
    assert np.all((t >= 0) & (t < 50000.0))
    # same mean life, new hardware at t = 0: infant mortality (k < 1) fails more in the
    # first year than exponential lifetimes, wear-out (k > 1) fewer
    early = sim(16384, 365, seed=0, lifetime="weibull", weibull_shape=0.7)
    flat = sim(16384, 365, seed=0)
    wear = sim(16384, 365, seed=0, lifetime="weibull", weibull_shape=2.0)
    counts = [x.interruptions["unexpected"] for x in (early, flat, wear)]
    assert counts[0] > counts[1] > counts[2]


def test_renewal_formula_limits():
    assert renewal_ettr(0.0, 30.0, 1.0, 10.0) == pytest.approx(30 / 31)
    small = renewal_ettr(1e-9, 30.0, 0.0, 10.0)
    assert small == pytest.approx(1.0, abs=1e-6)
    assert renewal_ettr(1.0, 30.0, 1.0, 10.0) < 1e-4


def test_activity_binning_integrates_segments():
    tl = Timeline(0.0, {}, np.array([0.5, 2.0]), np.array([1.5, 4.0]), np.array([1.0, 1.0]),
                  1.0)
    act = activity(np.array([0.0, 1.0, 2.0, 3.0, 4.0]), tl)
    assert act.tolist() == pytest.approx([0.5, 0.5, 1.0, 1.0])


def test_time_series_frame():
    r = sim(16384, 54, seed=0)
    df = r.to_frame()
    assert list(df.columns) == ["time_h", "job_activity", "it_power_mw", "facility_power_mw",
                                "interruptions", "nodes_in_repair", "spares_available"]
    assert len(df) == 54 * 24 and df.attrs["step_h"] == 1.0
    assert df["interruptions"].sum() == r.interruptions["total"]
    assert (df["spares_available"] >= 0).all() and (df["nodes_in_repair"] >= 0).all()
    assert df["facility_power_mw"].max() == pytest.approx(r.peak_facility_power_mw)
    ev = r.events_frame()
    assert len(ev) == r.interruptions["total"] and ev["time_h"].is_monotonic_increasing


def test_power_limit_hours():
    r = sim(16384, 20, seed=0, power_limit_mw=25.0)
    assert 0 < r.hours_over_power_limit < 20 * 24
    assert sim(16384, 20, seed=0, power_limit_mw=1000.0).hours_over_power_limit == 0.0


def test_accelerator_sets_power(catalog):
    a = sim(8192, 5, seed=0, accelerator="a100-80gb")
    h = sim(8192, 5, seed=0)
    ratio = catalog.accelerator("a100-80gb").all_in_power_w / catalog.accelerator(
        "h100-sxm").all_in_power_w
    assert a.energy_mwh / h.energy_mwh == pytest.approx(ratio, rel=0.05)
    with pytest.raises(UnknownIdError):
        sim(8192, 5, accelerator="h100-sxmm")


def test_inference_nodes_raise_utilisation_not_ettr():
    r = sim(32768, 30, job_gpus=16384, seed=0)
    assert r.inputs["job_gpus"] == 16384
    assert r.utilisation > r.ettr
    assert r.fleet_failures > r.interruptions["unexpected"]


def test_elastic_loses_no_work_to_rollback():
    r = sim(131072, 30, seed=0, recovery="elastic")
    assert r.lost_gpu_hours_by_reason["rework"] == 0.0
    assert r.lost_gpu_hours_by_reason["degraded"] > 0.0


def test_async_checkpoint_blocks_less():
    s = sim(16384, 54, seed=0, checkpoint_gb_per_gpu=4.0)
    a = sim(16384, 54, seed=0, checkpoint_gb_per_gpu=4.0, async_checkpoint=True)
    assert a.checkpoint["blocking_write_min"] < s.checkpoint["blocking_write_min"]
    assert a.checkpoint["commit_min"] == pytest.approx(s.checkpoint["blocking_write_min"])
    assert a.ettr > s.ettr


@pytest.mark.parametrize("kwargs, field", [
    ({"failure_rate": -1.0}, "failure_rate"),
    ({"job_gpus": 20000}, "job_gpus"),
    ({"checkpoint_interval_min": 0.01}, "checkpoint_interval_min"),
    ({"checkpoint_interval_min": "often"}, "checkpoint_interval_min"),
    ({"recovery": "pray"}, "recovery"),
    ({"restart_min": -5.0}, "restart_min"),
    ({"spare_nodes": -1}, "spare_nodes"),
    ({"repair_capacity": 0}, "repair_capacity"),
    ({"failure_multiplier": float("nan")}, "failure_multiplier"),
    ({"lifetime": "gamma"}, "lifetime"),
    ({"power_limit_mw": -3.0}, "power_limit_mw"),
    ({"seed": -1}, "seed"),
])
def test_bad_input_names_the_field(kwargs, field):
    with pytest.raises(ValidationError) as exc:
        sim(16384, 10, **kwargs)
    assert exc.value.field == field
    assert "allowed" in str(exc.value)


@pytest.mark.parametrize("gpus, days", [(0, 10), (16384, 0), (16384, -1), (-8, 5)])
def test_bad_sizes(gpus, days):
    with pytest.raises(GigawattError):
        sim(gpus, days)


def test_interval_shorter_than_write_time_message():
    with pytest.raises(ValidationError, match="shorter than the checkpoint write time"):
        sim(16384, 10, checkpoint_interval_min=0.5, checkpoint_gb_per_gpu=4.0)


def test_failure_model_file_errors_name_file_line_field(tmp_path):
    from gigawatt.ops.failures import DATA_FILE, load_failure_model

    text = DATA_FILE.read_text().replace("count: 148", "count: -148")
    bad = tmp_path / "failures.yaml"
    bad.write_text(text)
    with pytest.raises(ValidationError) as exc:
        load_failure_model(str(bad))
    assert exc.value.field == "causes[0].count" and exc.value.line is not None
    assert "-148" in str(exc.value) and str(bad) in str(exc.value)
    bad.write_text(DATA_FILE.read_text().replace("  node_days: 110592\n", ""))
    with pytest.raises(ValidationError, match="required field is missing"):
        load_failure_model(str(bad))
    ok = tmp_path / "ok.yaml"
    ok.write_text(DATA_FILE.read_text().replace("count: 148", "count: 296"))
    m = load_failure_model(str(ok))
    r = sim(16384, 54, seed=0, failure_model=m)
    assert m.per_1000_node_days == pytest.approx(1000 * 567 / 110592)
    assert r.interruptions["by_cause"]["faulty-gpu"] > 250


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=25, deadline=None, derandomize=True)
@given(gpus=st.integers(8, 300_000), days=st.floats(0.5, 60),
       recovery=st.sampled_from(["restart", "in-memory", "elastic"]),
       interval=st.one_of(st.just("auto"), st.floats(1.0, 240.0)),
       spares=st.one_of(st.just("auto"), st.integers(0, 50)),
       rate=st.floats(0.0, 40.0), seed=st.integers(0, 2**32))
def test_invariants_hold_for_any_input(gpus, days, recovery, interval, spares, rate, seed):
    r = sim(gpus, days, recovery=recovery, checkpoint_interval_min=interval,
            spare_nodes=spares, failure_rate=rate, seed=seed)
    total = r.inputs["job_gpus"] * days * 24
    assert 0.0 <= r.ettr <= 1.0
    assert r.useful_gpu_hours + r.lost_gpu_hours == pytest.approx(total, rel=1e-6, abs=1e-6)
    assert r.interruptions["total"] == r.interruptions["unexpected"] + r.interruptions["planned"]
    assert (r.series.spares_available >= 0).all()
    assert r.energy_mwh > 0
    assert r.peak_facility_power_mw >= r.mean_facility_power_mw * (1 - 1e-12)
