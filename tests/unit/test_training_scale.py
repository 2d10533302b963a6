"""Training at scale: the global-batch ceiling, max_useful_gpus, sharded data parallelism,
the fabric and cross-site training (issue 10)."""

from __future__ import annotations

import pytest

from gigawatt.errors import PlanError
from gigawatt.perf.batch import batch_ceiling
from gigawatt.perf.llm import model_spec
from gigawatt.perf.training import search_training

L405 = "llama-3.1-405b"


@pytest.fixture(scope="module")
def sweep():
    return {n: search_training(L405, "h100-sxm", n, seq_len=8192, top_k=1).best
            for n in (16384, 131072, 1048576)}


def test_batch_law_matches_deepseek_formula(catalog):
    spec = model_spec(catalog.model(L405), 8192)
    c = batch_ceiling(spec, tokens=15.6e12)
    # B_opt = 0.2920 C^0.3271 with C = M D (DeepSeek LLM eq. 1)
    assert c.max_batch_tokens == pytest.approx(0.2920 * c.compute_flop ** 0.3271)
    assert 1e7 < c.max_batch_tokens < 2e8          # tens of millions of tokens at 4e25 FLOP
    assert batch_ceiling(spec, max_batch_tokens=4e6).max_batch_tokens == 4e6


def test_global_batch_within_ceiling_at_every_scale(sweep):
    for n, est in sweep.items():
        tokens = est.plan["global_batch"] * est.plan["seq_len"]
        assert tokens <= est.batch_ceiling["max_batch_tokens"], n


def test_throughput_per_gpu_falls_past_the_ceiling(sweep):
    rate = {n: e.tokens_per_s / n for n, e in sweep.items()}
    assert rate[1048576] < rate[131072] < rate[16384]
    assert rate[1048576] < 0.8 * rate[16384]


def test_given_batch_above_ceiling_is_refused():
    with pytest.raises(PlanError, match="batch ceiling"):
        search_training(L405, "h100-sxm", 16384, seq_len=8192, global_batch=16384,
                        max_batch_tokens=16e6)


def test_max_batch_tokens_override_binds():
    est = search_training(L405, "h100-sxm", 16384, seq_len=8192, top_k=1,
                          max_batch_tokens=8e6).best
    assert est.plan["global_batch"] * 8192 <= 8e6
    assert est.batch_ceiling["max_batch_tokens"] == 8e6


def test_max_useful_gpus_below_a_million_for_405b():
    est = search_training(L405, "h100-sxm", 1048576, seq_len=8192, top_k=1,
                          scaling=True).best
    assert est.max_useful_gpus is not None and est.max_useful_gpus < 1048576
    best = max(r["tokens_per_s_per_gpu"] for r in est.scaling)
    useful = [r for r in est.scaling if r["gpus"] == est.max_useful_gpus][0]
    assert useful["tokens_per_s_per_gpu"] >= 0.9 * best
    assert all(r["tokens_per_s_per_gpu"] < 0.9 * best for r in est.scaling
               if r["gpus"] > est.max_useful_gpus)


# ----------------------------------------------------------------------------- sharded DP

def test_search_does_not_pick_full_zero3_at_16k(sweep):
    p = sweep[16384].plan
    assert not (p["zero"] == 3 and p["zero_group"] == p["dp"] and p["dp"] >= 1024)


def test_zero3_over_4096_ranks_pays_exposed_dp_comm():
    from gigawatt.perf import estimate_training

    kw = dict(tp=4, pp=1, microbatch=1, recompute="full", seq_len=8192)
    z3 = estimate_training(L405, "h100-sxm", 16384, zero=3, **kw)
    assert z3.breakdown_s["dp_comm"] > 0.1 * z3.step_time_s
    no_prefetch = estimate_training(L405, "h100-sxm", 16384, zero=3, prefetch=0, **kw)
    assert no_prefetch.step_time_s > z3.step_time_s
    hsdp = estimate_training(L405, "h100-sxm", 16384, zero=3, zero_group=2, **kw)
    assert hsdp.breakdown_s["dp_comm"] < z3.breakdown_s["dp_comm"]
    assert hsdp.memory_breakdown_gb["weights"] > z3.memory_breakdown_gb["weights"]


def test_bucket_size_sets_fsdp_buffer_memory():
    from gigawatt.perf import estimate_training

    kw = dict(tp=8, pp=1, microbatch=1, recompute="full", zero=3, seq_len=8192)
    small = estimate_training(L405, "h100-sxm", 1024, bucket_mb=100, **kw)
    big = estimate_training(L405, "h100-sxm", 1024, bucket_mb=2000, **kw)
    assert big.memory_breakdown_gb["buffers"] > 5 * small.memory_breakdown_gb["buffers"]
    assert small.breakdown_s["dp_comm"] > big.breakdown_s["dp_comm"]   # more latencies


# ----------------------------------------------------------------------------- fabric

def test_fabric_grows_tiers_and_cost_per_gpu_with_size(catalog):
    from gigawatt.fabric import fabric_spec, size_fabric

    spec = fabric_spec(catalog, "h100-sxm")
    small, big = size_fabric(spec, 16384), size_fabric(spec, 1048576)
    assert (small.tiers, big.tiers) == (2, 4)
    assert big.capex_usd["total"] / 1048576 > small.capex_usd["total"] / 16384
    assert big.max_latency_us > small.max_latency_us
    assert spec.hops(1) == 0 and spec.hops(32) == 1 and spec.hops(33) == 3


def test_size_network_capex_comes_from_the_bill_of_materials(catalog):
    from gigawatt.plan.sizing import size

    doc = size(catalog, "h100-sxm", 131072).to_dict()
    assert doc["capex_usd"]["network"] == doc["network"]["capex_usd"]["total"]
    assert doc["network"]["tiers"] == 3 and doc["network"]["switches"] == 10240


def test_train_json_has_network_block(sweep):
    net = sweep[1048576].network
    assert net["tiers"] == 4 and net["switches"] > 0 and net["capex_usd"]["total"] > 0


# ----------------------------------------------------------------------------- sites

SITE = dict(seq_len=8192, top_k=1, sites=2, wan_latency_ms=10)


def test_slow_wan_costs_throughput_and_shows_in_breakdown():
    one = search_training(L405, "h100-sxm", 32768, seq_len=8192, top_k=1).best
    slow = search_training(L405, "h100-sxm", 32768, wan_tbps=0.4, wan_mode="dp",
                           **SITE).best
    assert slow.tokens_per_s < one.tokens_per_s
    assert slow.breakdown_s["wan_comm"] > 0
    assert slow.plan["dp"] % 2 == 0 and slow.plan["sites"]["layout"] == "dp"


def test_pipeline_across_sites_splits_stages():
    est = search_training(L405, "h100-sxm", 32768, wan_tbps=0.4, wan_mode="pp",
                          **SITE).best
    assert est.plan["pp"] % 2 == 0 and est.plan["sites"]["layout"] == "pp"
    assert est.breakdown_s["wan_comm"] >= 2 * 10e-3      # fill and drain latency


def test_diloco_is_labelled_and_cheaper_than_synchronous_dp():
    kw = dict(wan_tbps=0.4, tp=8, pp=16, cp=1, **SITE)
    sync = search_training(L405, "h100-sxm", 32768, wan_mode="dp", **kw).best
    lowc = search_training(L405, "h100-sxm", 32768, wan_mode="diloco", outer_steps=100,
                           **kw).best
    assert lowc.breakdown_s["wan_comm"] < sync.breakdown_s["wan_comm"]
    assert "DiLoCo" in lowc.plan["sites"]["convergence_assumption"]
    assert "convergence_assumption" not in sync.plan["sites"]


@pytest.mark.parametrize("bad", [dict(wan_tbps=None), dict(wan_tbps=-1),
                                 dict(wan_tbps=1, wan_mode="async"), dict(sites=0),
                                 dict(wan_tbps=float("nan"))])
def test_bad_site_options_are_refused(bad):
    from gigawatt.errors import ValidationError

    kw = {**SITE, "wan_tbps": 1, **bad}
    with pytest.raises(ValidationError):
        search_training(L405, "h100-sxm", 16384, **kw)


def test_cli_sites_json(tmp_path):
    from typer.testing import CliRunner

    from gigawatt.cli import app

    r = CliRunner().invoke(app, ["train", "--model", L405, "--accelerator", "h100-sxm",
                                 "--gpus", "16384", "--seq-len", "8192", "--sites", "2",
                                 "--wan-tbps", "1", "--wan-latency-ms", "5", "--json"])
    assert r.exit_code == 0, r.output
    import json

    d = json.loads(r.stdout)
    assert d["plan"]["sites"]["sites"] == 2 and "wan_comm" in d["breakdown_s"]
    assert d["network"]["tiers"] >= 2 and d["max_useful_gpus"] >= 1


def test_collectives_pay_fabric_hops_and_use_in_network_reduction(catalog):
    from dataclasses import replace

    import numpy as np

    from gigawatt.perf import sharded
    from gigawatt.perf.training import hardware

    hw = hardware("h100-sxm", catalog, "bf16")
    bare = replace(hw, fabric=None)
    ranks, stride = np.array([4096.0]), np.array([8.0])      # one rank per node, 4,096 nodes
    small = 1e3                                               # latency-bound message
    assert sharded.gather_s(hw, small, ranks, stride) > sharded.gather_s(bare, small, ranks,
                                                                           stride)
    no_sharp = replace(hw, fabric=replace(hw.fabric, in_network_reduction=False))
    big = 1e9
    assert sharded.all_reduce_s(hw, big, ranks, stride) < sharded.all_reduce_s(
        no_sharp, big, ranks, stride)
