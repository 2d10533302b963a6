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
