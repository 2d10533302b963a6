"""Inference model: shapes, memory, decode/prefill behaviour, plan search, SLOs, errors."""

from __future__ import annotations

import numpy as np
import pytest

from gigawatt.catalog.schema import LLMArchitecture, MoE
from gigawatt.errors import InfeasibleError, PlanError, UnknownIdError, ValidationError
from gigawatt.perf import inference_core as core
from gigawatt.perf.inference import estimate_serving, max_throughput, serving_frontier
from gigawatt.perf.inference_eff import STACKS, serving_stack
from gigawatt.perf.inference_shapes import model_shape

LLAMA_8B = LLMArchitecture(layers=32, hidden=4096, heads=32, kv_heads=8, ffn_hidden=14336,
                           vocab=128256, seq_len=8192, activation="swiglu")
LLAMA_70B = LLMArchitecture(layers=80, hidden=8192, heads=64, kv_heads=8, ffn_hidden=28672,
                            vocab=128256, seq_len=8192, activation="swiglu")
MIXTRAL = LLMArchitecture(layers=32, hidden=4096, heads=32, kv_heads=8, ffn_hidden=14336,
                          vocab=32000, seq_len=32768, activation="swiglu",
                          moe=MoE(experts=8, top_k=2, expert_ffn_hidden=14336))
STACK = serving_stack()
L = core.Lengths.fixed


def test_dense_parameter_counts_match_published_sizes():
    # Llama 3.1 model card: 8.03B and 70.6B parameters
    assert model_shape(LLAMA_8B).total_params == pytest.approx(8.03e9, rel=0.01)
    assert model_shape(LLAMA_70B).total_params == pytest.approx(70.6e9, rel=0.01)


def test_moe_total_and_active_parameters():
    # Mixtral 8x7B paper: 46.7B parameters, 12.9B active per token
    shape = model_shape(MIXTRAL)
    assert shape.total_params == pytest.approx(46.7e9, rel=0.01)
    assert shape.active_params + shape.embedding_params == pytest.approx(12.9e9, rel=0.02)


def test_kv_cache_bytes_per_token(catalog):
    acc = catalog.accelerator("h100-sxm")
    shape = model_shape(LLAMA_8B)
    fp8 = core.plan_memory(shape, acc, 1, 1, "fp8", L(128, 128), STACK)
    bf16 = core.plan_memory(shape, acc, 1, 1, "bf16", L(128, 128), STACK)
    assert fp8.kv_bytes_per_token == 2 * 32 * 8 * 128 * 1
    assert bf16.kv_bytes_per_token == 2 * fp8.kv_bytes_per_token
    # TP shards KV heads; beyond the KV heads they are replicated
    tp8 = core.plan_memory(shape, acc, 8, 1, "fp8", L(128, 128), STACK)
    assert tp8.kv_bytes_per_token == fp8.kv_bytes_per_token / 8


def test_max_batch_follows_hbm_and_sequence_length(catalog):
    shape = model_shape(LLAMA_70B)
    h100, h200 = catalog.accelerator("h100-sxm"), catalog.accelerator("h200")
    short = core.plan_memory(shape, h200, 1, 1, "fp8", L(1000, 1000), STACK).max_batch
    long = core.plan_memory(shape, h200, 1, 1, "fp8", L(20000, 2000), STACK).max_batch
    assert short > 5 * long > 0
    assert core.plan_memory(shape, h100, 1, 1, "fp8", L(1000, 1000), STACK).max_batch < short
    assert core.plan_memory(shape, h100, 2, 1, "fp8", L(1000, 1000), STACK).max_batch > 0


def test_decode_step_grows_with_batch_and_throughput_saturates(catalog):
    fr = serving_frontier(LLAMA_8B, "h100-sxm", prompt_tokens=1000, output_tokens=1000,
                          catalog=catalog)
    assert np.all(np.diff(fr.tpot_s) > 0)
    assert np.all(np.diff(fr.output_tokens_per_s_per_gpu) >= -1e-9)
    # batching pays: the largest batch gives many times the batch-1 throughput
    assert fr.output_tokens_per_s_per_gpu[-1] > 20 * fr.output_tokens_per_s_per_gpu[0]
    assert len(fr.to_frame()) == len(fr.batch)


def test_batch_one_decode_is_weight_bandwidth_bound(catalog):
    acc = catalog.accelerator("h100-sxm")
    est = estimate_serving(LLAMA_70B, acc, tp=2, prompt_tokens=128, output_tokens=128,
                           batch=1, catalog=catalog)
    floor_s = est.weights_gb_per_gpu * 1e9 / (acc.hbm_tb_per_s * 1e12)
    assert floor_s < est.step_time_s < 2.5 * floor_s


def test_prefill_grows_faster_than_linearly_with_prompt(catalog):
    short = estimate_serving(LLAMA_8B, "h100-sxm", prompt_tokens=1000, output_tokens=10,
                             batch=1, catalog=catalog)
    long = estimate_serving(LLAMA_8B, "h100-sxm", prompt_tokens=32000, output_tokens=10,
                            batch=1, catalog=catalog)
    assert long.prefill_time_s > 32 * short.prefill_time_s


def test_tp_adds_communication_and_cuts_per_gpu_weights(catalog):
    tp1 = estimate_serving(LLAMA_70B, "h200", tp=1, prompt_tokens=500, output_tokens=500,
                           batch=32, catalog=catalog)
    tp4 = estimate_serving(LLAMA_70B, "h200", tp=4, prompt_tokens=500, output_tokens=500,
                           batch=32, catalog=catalog)
    assert tp1.breakdown_s["comm_s"] == 0 and tp4.breakdown_s["comm_s"] > 0
    assert tp4.weights_gb_per_gpu == pytest.approx(tp1.weights_gb_per_gpu / 4, rel=0.01)
    assert tp4.tpot_s < tp1.tpot_s


def test_group_throughput_counts_replicas(catalog):
    one = max_throughput(LLAMA_8B, "h100-sxm", tp=1, prompt_tokens=500, output_tokens=500,
                         catalog=catalog)
    eight = max_throughput(LLAMA_8B, "h100-sxm", tp=1, gpus=8, prompt_tokens=500,
                           output_tokens=500, catalog=catalog)
    assert eight.plan["replicas"] == 8
    assert eight.output_tokens_per_s == pytest.approx(8 * one.output_tokens_per_s)


def test_slos_trade_throughput_for_latency(catalog):
    free = max_throughput(LLAMA_70B, "h100-sxm", prompt_tokens=1000, output_tokens=500,
                          catalog=catalog)
    slo = max_throughput(LLAMA_70B, "h100-sxm", prompt_tokens=1000, output_tokens=500,
                         tpot_slo_s=0.03, ttft_slo_s=0.5, catalog=catalog)
    assert slo.tpot_s <= 0.03 and slo.ttft_s <= 0.5
    assert slo.output_tokens_per_s_per_gpu < free.output_tokens_per_s_per_gpu
    assert slo.batch < free.batch


def test_unreachable_slo_says_what_is_reachable(catalog):
    with pytest.raises(InfeasibleError, match="best reachable TTFT .* TPOT"):
        max_throughput(LLAMA_70B, "h100-sxm", prompt_tokens=1000, output_tokens=500,
                       tpot_slo_s=0.0005, catalog=catalog)


def test_model_that_does_not_fit_names_sizes_and_fixes(catalog):
    with pytest.raises(PlanError, match=r"does not fit on a100-80gb: .* GB of weights .*fp4"):
        max_throughput("llama-3.1-405b", "a100-80gb", precision="bf16", prompt_tokens=100,
                       output_tokens=100, catalog=catalog)


@pytest.mark.parametrize("kwargs,match", [
    ({"tp": 3}, "must divide the model's 64 attention heads"),
    ({"tp": 16}, "scale-up domain"),
    ({"ep": 2}, "mixture-of-experts"),
    ({"gpus": 3, "tp": 2}, "not a multiple of the replica size"),
])
def test_invalid_plans_raise_plan_error(catalog, kwargs, match):
    with pytest.raises(PlanError, match=match):
        max_throughput(LLAMA_70B, "h100-sxm", prompt_tokens=100, output_tokens=100,
                       catalog=catalog, **kwargs)


@pytest.mark.parametrize("kwargs,field", [
    ({"precision": "int3"}, "precision"), ({"prompt_tokens": 0}, "prompt_tokens"),
    ({"ttft_slo_s": -1.0}, "ttft_slo_s"),
])
def test_bad_values_raise_validation_error(catalog, kwargs, field):
    args = {"prompt_tokens": 100, "output_tokens": 100, **kwargs}
    with pytest.raises(ValidationError) as exc:
        max_throughput(LLAMA_8B, "h100-sxm", catalog=catalog, **args)
    assert exc.value.field == field


def test_unknown_ids_suggest(catalog):
    with pytest.raises(UnknownIdError, match="h100-sxm"):
        max_throughput(LLAMA_8B, "h100-sx", prompt_tokens=10, output_tokens=10,
                       catalog=catalog)
    with pytest.raises(UnknownIdError):
        serving_stack("vllm-0.1")


def test_batch_beyond_hbm_is_reported_not_fitting(catalog):
    est = estimate_serving(LLAMA_8B, "h100-sxm", tp=1, prompt_tokens=20000,
                           output_tokens=2000, batch=10_000, catalog=catalog)
    assert not est.fits and est.max_batch < 10_000


def test_fp4_beats_fp8_where_fp4_is_native(catalog):
    kw = dict(prompt_tokens=1000, output_tokens=1000, catalog=catalog)
    fp8 = max_throughput("llama-3.3-70b", "b200", precision="fp8", **kw)
    fp4 = max_throughput("llama-3.3-70b", "b200", precision="fp4", **kw)
    assert fp4.output_tokens_per_s_per_gpu > 1.3 * fp8.output_tokens_per_s_per_gpu


def test_moe_reads_fewer_expert_weights_at_small_batch(catalog):
    shape = model_shape(MIXTRAL)
    acc = catalog.accelerator("h100-sxm")
    mem = core.plan_memory(shape, acc, 2, 2, "fp8", L(500, 500), STACK)
    one = core.decode_step_s(shape, acc, 2, 2, "fp8", 750, np.array([1.0]), STACK, mem)
    assert mem.fits
    # batch 1 touches 2 of 8 experts: far less than streaming all weights
    all_bytes = mem.weights_bytes / (acc.hbm_tb_per_s * 1e12 * STACK.hbm_efficiency)
    assert one["linear_s"][0] < 0.7 * all_bytes
    est = max_throughput(MIXTRAL, "h100-sxm", ep=None, prompt_tokens=500, output_tokens=500,
                         catalog=catalog)
    assert est.plan["ep"] >= 1 and est.output_tokens_per_s_per_gpu > 0


def test_disaggregation_cuts_tpot_and_charges_prefill_gpus(catalog):
    kw = dict(tp=1, prompt_tokens=4000, output_tokens=200, batch=64, catalog=catalog)
    agg = estimate_serving(LLAMA_8B, "h100-sxm", **kw)
    dis = estimate_serving(LLAMA_8B, "h100-sxm", disaggregated=True, **kw)
    assert dis.tpot_s == pytest.approx(dis.step_time_s)
    assert dis.tpot_s < agg.tpot_s
    # the decode replica alone would give batch / step; prefill GPUs dilute it per GPU
    assert dis.output_tokens_per_s_per_gpu < 64 / dis.step_time_s


def test_length_samples_use_means_and_second_moments(catalog):
    kw = dict(tp=1, catalog=catalog)
    fixed = max_throughput(LLAMA_8B, "h100-sxm", prompt_tokens=1000, output_tokens=300, **kw)
    same = max_throughput(LLAMA_8B, "h100-sxm", prompt_tokens=[1000, 1000],
                          output_tokens=[300, 300], **kw)
    assert same.output_tokens_per_s_per_gpu == pytest.approx(fixed.output_tokens_per_s_per_gpu)
    # same means, spread prompts: the quadratic prefill term makes it slower
    spread = max_throughput(LLAMA_8B, "h100-sxm", prompt_tokens=[100, 1900],
                            output_tokens=[300, 300], **kw)
    assert spread.prompt_tokens == 1000 and spread.max_batch == fixed.max_batch
    assert spread.output_tokens_per_s_per_gpu < fixed.output_tokens_per_s_per_gpu
    lengths = core.Lengths.samples(np.array([100, 300]), np.array([10, 30]))
    assert lengths.decode_context_tokens == pytest.approx((10 * 105 + 30 * 315) / 40)
    with pytest.raises(ValidationError, match="pair up"):
        max_throughput(LLAMA_8B, "h100-sxm", prompt_tokens=[1, 2, 3], output_tokens=[1, 2],
                       **kw)
    with pytest.raises(ValidationError, match="integer >= 1"):
        max_throughput(LLAMA_8B, "h100-sxm", prompt_tokens=[10, 0], output_tokens=5, **kw)


def test_every_catalog_accelerator_serves_or_raises_plan_error(catalog):
    for acc in catalog.accelerators:
        try:
            est = max_throughput("llama-3.3-70b", acc, prompt_tokens=1000, output_tokens=500,
                                 catalog=catalog)
        except PlanError:
            continue
        assert est.output_tokens_per_s_per_gpu > 0 and est.fits
        assert est.plan["tp"] <= catalog.accelerator(acc).scaleup_domain


def test_estimate_to_dict_is_json_safe(catalog):
    import json

    est = max_throughput(LLAMA_8B, "h100-sxm", prompt_tokens=100, output_tokens=100,
                         catalog=catalog)
    data = json.loads(json.dumps(est.to_dict()))
    for key in ("plan", "output_tokens_per_s", "output_tokens_per_s_per_gpu", "ttft_s",
                "tpot_s", "batch", "max_batch", "kv_cache_gb", "fits"):
        assert key in data
    assert STACKS[data["plan"]["stack"]].source
