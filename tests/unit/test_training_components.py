"""Unit tests of the training model's parts: FLOP counts, memory, GEMM and collectives."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from gigawatt.catalog.schema import LLMArchitecture
from gigawatt.perf import collectives as col
from gigawatt.perf import memory as mem
from gigawatt.perf.gemm import FAMILIES, family_efficiency, gemm_efficiency, gemm_time_s
from gigawatt.perf.llm import model_spec
from gigawatt.perf.plans import enumerate_plans

GPT3 = LLMArchitecture(layers=96, hidden=12288, heads=96, vocab=51200, seq_len=2048,
                       tied_embeddings=True)


def test_megatron_eq3_flops():
    """Model + full-recompute FLOPs equal eq. (3) of Narayanan et al. (SC21)."""
    s = model_spec(GPT3)
    l, h, V, seq = 96, 12288, 51200, 2048
    eq3 = 96 * seq * l * h**2 * (1 + seq / (6 * h) + V / (16 * l * h)) / seq  # per token
    ours = s.model_flop_per_token() + s.recompute_flop_per_token("full")
    assert ours == pytest.approx(eq3, rel=1e-9)
    assert s.model_flop_per_token() == pytest.approx(eq3 * 3 / 4, rel=0.01)


def test_param_count_gpt3():
    assert model_spec(GPT3).params() == pytest.approx(174.6e9, rel=0.01)


def test_korthikanti_activation_formula():
    """34 s b h + 5 a s^2 b bytes per layer without parallelism (their eq. 1) and
    s b h (10 + 24/t + 5 a s / (h t)) with TP (eq. 2), 34/t with SP (eq. 4), for a model
    trained with dropout as theirs was."""
    s = replace(model_spec(GPT3), dropout=0.1)
    sbh = 2048 * 12288
    per_layer = mem.layer_activation_bytes(s, 2048, 1, False, True)
    assert per_layer == pytest.approx(sbh * (34 + 5 * 96 * 2048 / 12288))
    tp8 = mem.layer_activation_bytes(s, 2048, 8, False, True)
    assert tp8 == pytest.approx(sbh * (10 + 24 / 8 + 5 * 96 * 2048 / (12288 * 8)))
    sel_sp = mem.stored_activation_bytes(s, 2048, 8, True, 1, True)
    assert sel_sp == pytest.approx(sbh * 34 / 8)
    full = mem.stored_activation_bytes(s, 2048, 8, False, 2, True)
    assert full == pytest.approx(2 * sbh)


def test_no_dropout_masks_without_dropout():
    """Without dropout the two 1-byte masks (2 s b h) and the softmax mask and dropped-out
    probabilities (3 a s^2 b) are not stored."""
    with_dropout = replace(model_spec(GPT3), dropout=0.1)
    without = model_spec(GPT3)
    assert without.dropout == 0.0
    sbh, a, s = 2048 * 12288, 96, 2048
    gap = (mem.layer_activation_bytes(with_dropout, 2048, 1, False, True)
           - mem.layer_activation_bytes(without, 2048, 1, False, True))
    assert gap == pytest.approx(2 * sbh + 3 * a * s * 2048)
    assert mem.layer_activation_bytes(without, 2048, 1, False, False) == pytest.approx(32 * sbh)


def test_fp8_keeps_fp8_copies_of_gemm_inputs():
    """Under FP8 the QKV, projection, FC1 and FC2 inputs are saved at 1 byte: GPT-3
    (f = 4h) saves h + h + h + 4h = 7 s b h fewer bytes; the norm inputs, Q/K/V and the
    GeLU input stay BF16."""
    s = model_spec(GPT3)
    sbh = 2048 * 12288
    bf16 = mem.layer_activation_bytes(s, 2048, 1, False, False)
    fp8 = mem.layer_activation_bytes(s, 2048, 1, False, False, fp8=True)
    assert bf16 - fp8 == pytest.approx(7 * sbh)
    full = mem.stored_activation_bytes(s, 2048, 8, True, 2, False, fp8=True)
    assert full == pytest.approx(2 * sbh / 8)      # the BF16 layer input, whatever the GEMMs


def test_context_parallel_shards_optimizer_states():
    """The distributed optimizer shards over DP x CP: doubling CP at fixed DP halves the
    optimizer states per accelerator; BF16 gradient reduction halves the gradients."""
    from gigawatt.perf.training import estimate_training

    kw = dict(tp=8, pp=8, dp=4, vp=8, microbatch=1, global_batch=64, zero=1,
              precision="fp8", seq_len=8192)
    cp1 = estimate_training("llama-3.1-405b", "h100-sxm", 256, cp=1, **kw)
    cp2 = estimate_training("llama-3.1-405b", "h100-sxm", 512, cp=2, **kw)
    assert cp2.memory_breakdown_gb["optimizer"] == pytest.approx(
        cp1.memory_breakdown_gb["optimizer"] / 2)
    bf16g = estimate_training("llama-3.1-405b", "h100-sxm", 512, cp=2, grad_reduce_fp32=False,
                              **kw)
    assert bf16g.memory_breakdown_gb["gradients"] == pytest.approx(
        cp2.memory_breakdown_gb["gradients"] / 2)


def test_optimizer_state_sharding():
    params = {"dense": np.array([1e9]), "expert": np.array([0.0])}
    z0 = mem.state_bytes(params, 8, 1, 0)
    z1 = mem.state_bytes(params, 8, 1, 1)
    z3 = mem.state_bytes(params, 8, 1, 3)
    assert sum(v[0] for v in z0.values()) == pytest.approx(18e9)
    assert sum(v[0] for v in z1.values()) == pytest.approx(6e9 + 12e9 / 8)
    assert sum(v[0] for v in z3.values()) == pytest.approx(18e9 / 8)


def test_gemm_efficiency_grows_with_size_and_is_bounded():
    eff = FAMILIES["ampere"]
    small, large = gemm_efficiency(256, 256, 256, eff), gemm_efficiency(8192, 8192, 8192, eff)
    assert small < large < eff.gemm_eff_max
    t1 = gemm_time_s(4096, 4096, 4096, 312e12, eff)
    assert t1 == pytest.approx(2 * 4096**3 / (312e12 * gemm_efficiency(4096, 4096, 4096, eff)))


def test_unknown_family_gets_documented_default():
    eff = family_efficiency("trainium")
    assert not eff.calibrated and "uncalibrated" in eff.basis
    assert family_efficiency("tpu").calibrated  # MaxText rows (issue 12)


def test_collectives():
    size = 1e9
    assert col.all_reduce_s(size, 1, 100.0, 1e-5) == 0
    ar = col.all_reduce_s(size, 8, 100.0, 0.0)
    assert ar == pytest.approx(2 * 7 / 8 * size / 100e9)
    rs = col.reduce_scatter_s(size, 8, 100.0, 0.0)
    assert rs + col.all_gather_s(size, 8, 100.0, 0.0) == pytest.approx(ar)
    assert col.all_to_all_s(size, 1, 100.0, 1e-5) == 0
    assert col.p2p_s(size, 100.0, 1e-5) == pytest.approx(0.01 + 1e-5)


def test_enumeration_respects_divisibility():
    s = model_spec(GPT3)
    p, rejected, considered = enumerate_plans(s, 384, 8, {"global_batch": 1536})
    assert p["tp"].size > 0 and rejected["divisibility"] > 0
    assert np.all(p["tp"] * p["pp"] * p["cp"] * p["dp"] == 384)
    assert np.all(96 % p["tp"] == 0) and np.all(p["tp"] <= 8)
    assert np.all(1536 % (p["dp"] * p["mb"]) == 0)
    m = p["gb"] // (p["dp"] * p["mb"])
    assert np.all(m >= p["pp"])
    assert considered >= p["tp"].size + sum(rejected.values())


def test_grad_reduce_fp32_must_be_a_bool():
    from gigawatt.errors import ValidationError
    from gigawatt.perf.training import search_training

    with pytest.raises(ValidationError, match="grad_reduce_fp32"):
        search_training("llama-3.1-8b", "h100-sxm", 8, grad_reduce_fp32="no")
