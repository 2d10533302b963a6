"""Many jobs on one cluster: FIFO, priorities, EASY backfill, inference absorbing idle GPUs."""

from __future__ import annotations

import pytest

import gigawatt as gw
from gigawatt.errors import ValidationError
from gigawatt.ops.recovery import MODES, Interrupts, JobParams, rollback_finish

import numpy as np

JOBS = [
    {"id": "big", "gpus": 16384, "work_days": 20, "priority": 1},
    {"id": "a", "gpus": 4096, "work_days": 5},
    {"id": "b", "gpus": 8192, "work_days": 3, "submit_h": 10},
    {"id": "c", "gpus": 2048, "work_days": 2, "submit_h": 20},
    {"id": "d", "gpus": 16384, "work_days": 5, "submit_h": 30},
]


def _by_id(res):
    return {j.spec.id: j for j in res.jobs}


def test_fifo_blocks_and_backfill_fills_the_gap():
    fifo = _by_id(gw.ops.simulate_jobs(24576, 60, JOBS, scheduler="fifo", seed=0))
    easy = _by_id(gw.ops.simulate_jobs(24576, 60, JOBS, scheduler="backfill", seed=0))
    # c (2048 GPUs) fits the 4096 idle GPUs at its submission, but FIFO holds it behind b
    assert fifo["c"].start_h >= fifo["b"].start_h > 20
    assert easy["c"].start_h == 20.0
    # backfilling c does not delay the head of the queue (b)
    assert easy["b"].start_h == pytest.approx(fifo["b"].start_h)
    # a job's own failures do not depend on when it starts: same ETTR, same count
    assert easy["c"].interruptions == fifo["c"].interruptions
    assert (easy["c"].finish_h - easy["c"].start_h) == pytest.approx(
        fifo["c"].finish_h - fifo["c"].start_h)


def test_priority_orders_the_queue():
    jobs = [{"id": "first", "gpus": 16384, "work_days": 2},
            {"id": "low", "gpus": 16384, "work_days": 1, "submit_h": 1},
            {"id": "high", "gpus": 16384, "work_days": 1, "submit_h": 2, "priority": 5}]
    fifo = _by_id(gw.ops.simulate_jobs(16384, 30, jobs, scheduler="fifo", seed=1))
    prio = _by_id(gw.ops.simulate_jobs(16384, 30, jobs, scheduler="priority", seed=1))
    assert fifo["low"].start_h < fifo["high"].start_h
    assert prio["high"].start_h < prio["low"].start_h


def test_work_is_done_and_hours_add_up():
    res = gw.ops.simulate_jobs(24576, 60, JOBS, seed=0)
    t = res.totals
    assert t["jobs_completed"] == len(JOBS)
    assert t["useful_training_gpu_hours"] == pytest.approx(
        sum(j["gpus"] * j["work_days"] * 24 for j in JOBS))
    for j in res.jobs:
        d = j.to_dict()
        assert d["finish_h"] - d["start_h"] > d["work_h"]  # failures cost time
        assert 0.8 < d["ettr"] < 1.0
    df = res.to_frame()
    assert (df["training_gpus"] + df["inference_gpus"]).max() == pytest.approx(24576)
    assert t["inference_gpu_hours"] + t["allocated_training_gpu_hours"] == pytest.approx(
        24576 * 60 * 24)
    assert t["utilisation"] > t["training_goodput"]


def test_unfinished_jobs_are_reported():
    jobs = [{"id": "long", "gpus": 8192, "work_days": 100},
            {"id": "never", "gpus": 16384, "work_days": 1}]
    res = _by_id(gw.ops.simulate_jobs(16384, 10, jobs, scheduler="fifo", seed=0))
    assert res["long"].finish_h is None and 0 < res["long"].useful_h < 100 * 24
    assert res["never"].start_h is None and res["never"].to_dict()["completed"] is False


@pytest.mark.parametrize("recovery", ["restart", "in-memory", "elastic"])
def test_finish_time_consistent_with_timeline(recovery):
    rng = np.random.default_rng(0)
    fail = np.sort(rng.random(40) * 200)
    ints = Interrupts(fail, fail.copy(), np.ones(40, np.int64), np.array([50.0]))
    p = JobParams(horizon_h=400.0, detect_h=0.05, restart_h=0.2, tau_h=0.5, block_h=0.01,
                  commit_h=0.0, replica_fraction=0.01, reconfigure_h=0.02, join_h=0.1)
    fin = MODES[recovery].finish(ints, p, 150.0)
    assert fin is not None and 150.0 < fin < 400.0
    q = JobParams(**{**p.__dict__, "horizon_h": fin})
    from gigawatt.ops.recovery import _truncate

    done = MODES[recovery].timeline(_truncate(ints, fin), q).useful_h
    assert done == pytest.approx(150.0, abs=0.02)
    assert rollback_finish(ints, p, 1e6) is None


@pytest.mark.parametrize("jobs, field", [
    ([], "jobs"),
    ([{"id": "x", "gpus": 99999, "work_h": 5}], "jobs[0].gpus"),
    ([{"id": "x", "gpus": 8, "work_h": -5}], "jobs[0].work_h"),
    ([{"id": "x", "gpus": 8}], "jobs[0].work_h"),
    ([{"id": "x", "gpus": 8, "work_h": 1, "gpu": 3}], "jobs[0]"),
    ([{"id": "x", "gpus": 8, "work_h": 1, "submit_h": -1}], "jobs[0].submit_h"),
])
def test_bad_jobs(jobs, field):
    with pytest.raises(ValidationError) as exc:
        gw.ops.simulate_jobs(16384, 10, jobs)
    assert exc.value.field == field


def test_cli_jobs(cli, tmp_path):
    import yaml

    f = tmp_path / "jobs.yaml"
    f.write_text(yaml.safe_dump({"jobs": JOBS}))
    r = cli("simulate", "--gpus", "24576", "--days", "60", "--jobs", str(f), "--scheduler",
            "fifo", "--seed", "0", "--json")
    assert r.code == 0, r.stderr
    d = r.json()
    assert [j["id"] for j in d["jobs"]] == [j["id"] for j in JOBS]
    assert d["totals"]["jobs_completed"] == 5
    bad = cli("simulate", "--gpus", "24576", "--days", "60", "--jobs", str(f), "--scheduler",
              "lottery")
    assert bad.code == 2 and "scheduler" in bad.stderr
    rep = cli("simulate", "--gpus", "24576", "--days", "60", "--jobs", str(f), "--report",
              str(tmp_path / "rep"), "--json")
    assert rep.code == 0 and (tmp_path / "rep" / "simulate.html").exists()
