"""Time to train composed with the job's simulated ETTR, and the frontier search."""

from __future__ import annotations

import math

import pytest

from gigawatt.ops.frontier import dense_shape, frontier
from gigawatt.ops.time_to_train import compose_time_to_train


def test_ettr_falls_with_job_size_and_wall_clock_follows():
    small = compose_time_to_train(60.0, 16_384, params=405e9)
    big = compose_time_to_train(60.0, 1_048_576, params=405e9)
    assert big.ettr < small.ettr < 1.0
    assert big.wall_days > small.wall_days > 60.0
    assert math.isclose(small.wall_days, 60.0 / small.ettr)


def test_doubling_the_failure_rate_lengthens_the_composed_time():
    base = compose_time_to_train(60.0, 65_536, params=405e9)
    double = compose_time_to_train(60.0, 65_536, params=405e9, failure_multiplier=2.0)
    assert double.wall_days > base.wall_days
    assert double.ideal_days == base.ideal_days


def test_in_memory_recovery_beats_restart_from_storage_at_scale():
    restart = compose_time_to_train(30.0, 262_144, params=1e12)
    memory = compose_time_to_train(30.0, 262_144, params=1e12, recovery="in-memory")
    assert memory.ettr > restart.ettr


def test_train_with_tokens_reports_ideal_ettr_and_wall_clock(cli):
    r = cli("train", "--model", "llama-3.1-405b", "--accelerator", "h100-sxm",
                "--gpus", "16384", "--global-batch", "2048", "--seq-len", "8192",
                "--tokens", "15.6e12", "--json")
    assert r.code == 0, r.stderr
    d = r.json()
    assert 0.5 < d["ettr"] < 1.0
    assert math.isclose(d["time_to_train_days"], d["ideal_days"] / d["ettr"])
    assert d["time_to_train"]["gpus"] == 16384


@pytest.mark.parametrize("params", [1e9, 70e9, 405e9, 2e12, 2e13])
def test_dense_shape_matches_the_parameter_target(params):
    s = dense_shape(params)
    assert abs(s.params() / params - 1) < 0.15
    assert s.hidden == 128 * s.layers
    # layers are a multiple of a power of two about an eighth of their number
    unit = 2 ** max(0, int(math.log2(s.layers)) - 3)
    assert s.layers % unit == 0


@pytest.fixture(scope="module")
def h100():
    return frontier("h100-sxm", 90, sweep=True)


def test_frontier_finishes_in_time_and_utilisation_falls_with_size(h100):
    b = h100.best
    assert b.feasible and b.wall_days <= 90
    assert 1e25 < h100.max_training_flop < 1e29
    assert h100.next_infeasible is not None and not h100.next_infeasible.feasible
    small = [p for p in h100.sweep if p.feasible][0]
    assert b.utilisation < small.utilisation
    # the global batch never exceeds the ceiling
    for p in h100.sweep:
        if p.plan:
            assert p.plan["global_batch"] * p.plan["seq_len"] <= p.max_batch_tokens


def test_frontier_limits_name_what_binds():
    few = frontier("h100-sxm", 90, max_gpus=4096)
    assert few.next_infeasible.binding == "accelerators"
    assert few.best.gpus <= 4096
    tiny_batch = frontier("h100-sxm", 90, max_batch_tokens=4e6)
    assert tiny_batch.next_infeasible.binding == "batch ceiling"
    assert tiny_batch.max_training_flop < frontier("h100-sxm", 90).max_training_flop


def test_no_failures_allows_a_larger_run(h100):
    ideal = frontier("h100-sxm", 90, failure_multiplier=0.0)
    assert ideal.max_training_flop > h100.max_training_flop


def test_frontier_cli_json_and_bad_input(cli, tmp_path):
    r = cli("frontier", "--accelerator", "gb200", "--days", "30", "--json")
    assert r.code == 0, r.stderr
    d = r.json()
    for key in ("max_training_flop", "gpus", "model", "tokens", "plan", "mfu", "ettr",
                "wall_days", "binding", "sweep"):
        assert key in d
    assert d["wall_days"] <= 30
    for args in (["--accelerator", "nope", "--days", "9"],
                 ["--accelerator", "h100-sxm", "--days", "-1"],
                 ["--accelerator", "h100-sxm", "--days", "nan"],
                 ["--accelerator", "h100-sxm", "--days", "9", "--recovery", "x"],
                 ["--days", "9"],
                 ["--accelerator", "h100-sxm", "--days", "9", "--plot", str(tmp_path / "x")]):
        bad = cli("frontier", *args)
        assert bad.code == 2, (args, bad.stdout, bad.stderr)
        assert "Traceback" not in bad.stderr
