"""Serving physics added by issue 12: chunked prefill, MoE as served (EP without the double
TP all-reduce, attention-DP prefill), attention at the KV dtype, explicit --kv-dtype, the
stack's batch limit, and `gigawatt serve --model-file`."""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import replace

import numpy as np
import pytest

from gigawatt.catalog import load_catalog
from gigawatt.catalog.schema import LLMArchitecture, MoE
from gigawatt.errors import ValidationError
from gigawatt.perf import inference_core as core
from gigawatt.perf.inference import estimate_serving, max_throughput
from gigawatt.perf.inference_eff import serving_stack
from gigawatt.perf.inference_shapes import model_shape

CAT = load_catalog()
STACK = serving_stack()
L = core.Lengths.fixed
MOE = LLMArchitecture(layers=32, hidden=4096, heads=32, kv_heads=8, ffn_hidden=14336,
                      vocab=32000, seq_len=4096, activation="swiglu",
                      moe=MoE(experts=8, top_k=2, expert_ffn_hidden=14336))


def test_short_prompts_share_a_chunks_collective_latency():
    shape = model_shape(CAT.model("llama-3.1-405b"))
    acc = CAT.accelerator("h100-sxm")
    flat = replace(STACK, gemm_half_m=0.0)  # isolate the latency
    short = core.prefill_s(shape, acc, 8, 1, "fp8", L(128, 128), flat)
    per_prompt = replace(flat, prefill_chunk_tokens=128)  # one prompt per chunk
    old = core.prefill_s(shape, acc, 8, 1, "fp8", L(128, 128), per_prompt)
    latency = 2 * shape.layers * STACK.collective_latency_s
    assert old - short == pytest.approx(latency * (1 - 128 / 8192), rel=0.05)


def test_ep_moe_layers_have_one_tp_all_reduce():
    shape = model_shape(MOE)
    acc = CAT.accelerator("h100-sxm")
    a2a_stack = replace(STACK, moe_dispatch="alltoall")
    no_ep = core._comm_s(shape, acc, 4, 1, 64.0, 16.0, a2a_stack)
    with_ep = core._comm_s(shape, acc, 4, 4, 64.0, 16.0, a2a_stack)
    link = acc.scaleup_gb_per_s * 1e9 * STACK.scaleup_efficiency
    per_ar = 2 * 3 / 4 * 64 * shape.hidden * 2 / link + STACK.collective_latency_s
    a2a = shape.moe_layers * 2 * (16 * 2 * shape.hidden * 2 * 3 / 4 / link
                                  + STACK.collective_latency_s)
    assert no_ep == pytest.approx(2 * shape.layers * per_ar)
    assert with_ep == pytest.approx(shape.layers * per_ar + a2a)


def test_allgather_dispatch_moves_every_ranks_tokens_whatever_top_k():
    """trtllm-1.0 with attention DP on DGX parts: all-gather + reduce-scatter per MoE
    layer, (ep - 1) x tokens per GPU each way, not top_k x (ep - 1) / ep."""
    acc = CAT.accelerator("h200")
    assert STACK.moe_dispatch == "allgather"
    link = acc.scaleup_gb_per_s * 1e9 * STACK.scaleup_efficiency
    for top_k in (1, 2):
        shape = model_shape(LLMArchitecture(
            layers=32, hidden=4096, heads=32, kv_heads=8, ffn_hidden=14336, vocab=32000,
            seq_len=4096, activation="swiglu",
            moe=MoE(experts=8, top_k=top_k, expert_ffn_hidden=14336)))
        t = core._comm_s(shape, acc, 1, 8, 64.0, 64.0, STACK)
        gather = shape.moe_layers * 2 * (64 * 7 * shape.hidden * 2 / link
                                         + STACK.collective_latency_s)
        assert t == pytest.approx(gather)
        a2a = core._comm_s(shape, acc, 1, 8, 64.0, 64.0, replace(STACK, moe_dispatch="alltoall"))
        assert a2a < t  # top-k 1 or 2 of 8 ranks: the all-to-all moves less


def test_fp4_weights_attend_at_fp8():
    acc = CAT.accelerator("b200")
    assert core._attention_peak(acc, "fp4", None) == acc.fp8_tflop_per_s * 1e12
    assert core._attention_peak(acc, "fp4", "bf16") == acc.bf16_tflop_per_s * 1e12


def test_kv_dtype_is_explicit():
    kw = dict(prompt_tokens=2000, output_tokens=2000, catalog=CAT, tp=1)
    fp8 = max_throughput("llama-3.1-8b", "h100-sxm", **kw)
    bf16 = max_throughput("llama-3.1-8b", "h100-sxm", kv_dtype="bf16", **kw)
    assert fp8.plan["kv_dtype"] == "fp8" and bf16.plan["kv_dtype"] == "bf16"
    assert bf16.max_batch == pytest.approx(fp8.max_batch / 2, rel=0.02)
    with pytest.raises(ValidationError, match="kv_dtype"):
        max_throughput("llama-3.1-8b", "h100-sxm", kv_dtype="fp4", **kw)


def test_stack_batch_limit_bounds_the_max_throughput_point():
    kw = dict(prompt_tokens=128, output_tokens=128, catalog=CAT, tp=1)
    capped = max_throughput("llama-3.1-8b", "h100-sxm", **kw)
    free = max_throughput("llama-3.1-8b", "h100-sxm",
                          stack=replace(STACK, max_batch=None), **kw)
    assert capped.batch <= STACK.max_batch < free.batch
    assert capped.tpot_s < free.tpot_s
    # an explicit batch is the user's choice, not capped
    est = estimate_serving("llama-3.1-8b", "h100-sxm", batch=3000, **kw)
    assert est.batch == 3000


def test_expert_gemms_see_tokens_per_expert():
    shape = model_shape(MOE)
    acc = CAT.accelerator("h100-sxm")
    mem = core.plan_memory(shape, acc, 1, 8, "fp8", L(500, 500), STACK)
    b = np.array([64.0])
    fast = core.decode_step_s(shape, acc, 1, 8, "fp8", 750, b, replace(STACK, gemm_half_m=0.0),
                              mem)
    slow = core.decode_step_s(shape, acc, 1, 8, "fp8", 750, b, STACK, mem)
    assert slow["linear_s"][0] > fast["linear_s"][0]


def test_serve_model_file(tmp_path):
    from gigawatt.cli import main

    f = tmp_path / "m.yaml"
    f.write_text("name: my-8b\nlayers: 32\nhidden: 4096\nheads: 32\nkv_heads: 8\n"
                 "ffn_hidden: 14336\nvocab: 128256\nseq_len: 8192\nactivation: swiglu\n")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), pytest.raises(SystemExit) as exc:
        main(["serve", "--model-file", str(f), "--accelerator", "h100-sxm", "--gpus", "1",
              "--prompt-tokens", "1000", "--output-tokens", "1000", "--json"])
    assert exc.value.code in (0, None)
    d = json.loads(buf.getvalue())
    assert d["model"] == "my-8b" and d["interval"]["p10"] < d["output_tokens_per_s"]
    ref = max_throughput("llama-3.1-8b", "h100-sxm", gpus=1, prompt_tokens=1000,
                         output_tokens=1000, catalog=CAT)
    assert d["output_tokens_per_s"] == pytest.approx(ref.output_tokens_per_s, rel=1e-6)
