"""Multi-head latent attention (MLA): schema, parameter and FLOP counts, KV cache.

Reference shapes: DeepSeek-V3 (arXiv 2412.19437 section 2.1.1 and its config.json:
61 layers, hidden 7168, 128 heads, q_lora_rank 1536, kv_lora_rank 512, qk_nope 128,
qk_rope 64, v_head 128; 671B total, 37B active) and DeepSeek-V2-Lite (config.json: 27
layers, hidden 2048, 16 heads, no query compression, same MLA widths; 15.7B total).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from pydantic import ValidationError as PydanticValidationError

from gigawatt.catalog.schema import LLMArchitecture, ModelFile
from gigawatt.perf import memory
from gigawatt.perf.inference_core import kv_bytes_per_token
from gigawatt.perf.inference_shapes import KV_BYTES, model_shape
from gigawatt.perf.llm import model_spec

V2_LITE = dict(name="deepseek-v2-lite", layers=27, hidden=2048, heads=16, ffn_hidden=10944,
               vocab=102400, seq_len=4096, activation="swiglu",
               moe=dict(experts=64, top_k=6, expert_ffn_hidden=1408, shared_experts=2,
                        dense_layers=1),
               mla=dict(kv_lora_rank=512, qk_nope_head_dim=128, qk_rope_head_dim=64,
                        v_head_dim=128))


@pytest.fixture
def ds3(catalog):
    return catalog.model("deepseek-v3")


def test_catalog_row_carries_the_published_mla_widths(catalog, ds3):
    a = ds3.mla
    assert (a.q_lora_rank, a.kv_lora_rank, a.qk_nope_head_dim, a.qk_rope_head_dim,
            a.v_head_dim) == (1536, 512, 128, 64, 128)
    assert (ds3.heads, ds3.n_kv_heads, ds3.d_head) == (128, 128, 128)
    assert a.qk_head_dim == 192 and a.cache_dim == 576
    assert "config.json" in catalog.cite(ds3, "mla")["note"]
    # every other model still validates and has no MLA block
    others = [m for m in catalog.table("models").values() if m.id != "deepseek-v3"]
    assert others and all(m.mla is None for m in others)


@pytest.mark.parametrize("field,value", [("kv_lora_rank", 0), ("v_head_dim", -1),
                                         ("qk_rope_head_dim", -3), ("q_lora_rank", 0)])
def test_mla_widths_out_of_range_are_rejected(field, value):
    bad = {**V2_LITE, "mla": {**V2_LITE["mla"], field: value}}
    with pytest.raises(PydanticValidationError, match=field):
        ModelFile.model_validate(bad)


def test_mla_needs_one_kv_head_per_query_head():
    with pytest.raises(PydanticValidationError, match="kv_heads"):
        ModelFile.model_validate({**V2_LITE, "kv_heads": 1})
    assert ModelFile.model_validate({**V2_LITE, "kv_heads": 16}).n_kv_heads == 16


def test_mla_unknown_key_is_rejected():
    with pytest.raises(PydanticValidationError, match="kv_rank"):
        ModelFile.model_validate({**V2_LITE, "mla": {**V2_LITE["mla"], "kv_rank": 512}})


def test_deepseek_v3_attention_weights_match_the_mla_projections(ds3):
    m = model_spec(ds3).mla_matrices()
    assert m == {"q_down": 7168 * 1536, "q_up": 1536 * 128 * 192,
                 "kv_down": 7168 * 576, "kv_up": 512 * 128 * 256, "o": 128 * 128 * 7168,
                 "total": 187_105_280}


def test_deepseek_v3_parameter_counts_training_and_inference_sides(ds3):
    spec, shape = model_spec(ds3), model_shape(ds3)
    assert spec.params() == pytest.approx(671e9, rel=0.01)
    assert spec.active_params() == pytest.approx(37e9, rel=0.02)
    # both sides count the same weights (the training side adds norm weights)
    assert shape.total_params == pytest.approx(spec.params(), rel=1e-4)
    assert shape.attention_params == 61 * 187_105_280
    # inference's active count leaves out the input-embedding lookup
    assert shape.active_params + shape.embedding_params == pytest.approx(
        spec.active_params(), rel=1e-4)


def test_mla_without_query_compression_counts_v2_lite():
    arch = ModelFile.model_validate(V2_LITE)
    spec = model_spec(arch)
    assert "q_down" not in spec.mla_matrices()
    per_layer = 2048 * 16 * 192 + 2048 * 576 + 512 * 16 * 256 + 16 * 128 * 2048
    assert spec.attn_params() == per_layer
    assert spec.params() == pytest.approx(15.7e9, rel=0.01)
    assert model_shape(arch).total_params == pytest.approx(spec.params(), rel=1e-4)


def test_kv_cache_is_the_latent_plus_rope_key_replicated_over_tp(ds3, catalog):
    shape = model_shape(ds3)
    assert shape.kv_values_per_token() == 61 * 576
    for precision in ("bf16", "fp8"):
        for tp in (1, 2, 8):
            assert kv_bytes_per_token(shape, tp, precision) == 61 * 576 * KV_BYTES[precision]
    # a GQA model still splits its KV heads over TP
    llama = model_shape(catalog.model("llama-3.1-70b"))
    assert kv_bytes_per_token(llama, 8, "bf16") == 2 * 80 * 1 * 128 * 2.0
    assert kv_bytes_per_token(llama, 2, "bf16") == 2 * 80 * 4 * 128 * 2.0


def test_decode_attention_runs_absorbed_over_the_latent(ds3):
    shape = model_shape(ds3)
    # per head: q (512 + 64) . cache, output in the 512-wide latent, 2 FLOPs per MAC
    assert shape.decode_attn_flop_per_context_token() == 2 * 128 * (576 + 512)
    # ~4x what 128 heads of width 128 would cost (the old GQA mapping)
    assert shape.decode_attn_flop_per_context_token() / (4 * 128 * 128) == pytest.approx(4.25)
    # prefill runs non-absorbed: 192-wide scores, 128-wide values
    assert shape.prefill_attn_flop_per_causal_pair() == 128 * (192 + 128)


def test_non_mla_inference_counts_are_unchanged(catalog):
    shape = model_shape(catalog.model("llama-3.1-70b"))
    assert not shape.is_mla
    assert shape.decode_attn_flop_per_context_token() == 4.0 * 64 * 128
    assert shape.prefill_attn_flop_per_causal_pair() == 2.0 * 64 * 128
    assert shape.kv_values_per_token() == 2.0 * 80 * 8 * 128


def test_training_attention_core_uses_qk_and_v_widths(ds3, catalog):
    spec = model_spec(ds3)
    assert spec.attn_core_fwd_flop_per_token() == 2.0 * 4096 * 128 * (192 + 128)
    assert spec.kv_width == 128 * (192 + 128)
    # model FLOPs: 2 per layer weight and token (non-absorbed) + attention core + logits
    layers_fwd = spec.fwd_flop_per_token() - 61 * spec.attn_core_fwd_flop_per_token() \
        - 2.0 * 7168 * 129280
    layer_weights = spec.active_params() - 2 * 129280 * 7168 - 61 * spec.norm_params()
    assert layers_fwd == pytest.approx(2.0 * layer_weights, rel=1e-9)
    llama = model_spec(catalog.model("llama-3.1-70b"))
    assert llama.attn_core_fwd_flop_per_token() == 4.0 * llama.seq_len * llama.q_dim
    assert llama.kv_width == 2 * llama.kv_dim


def test_training_activations_hold_mla_q_k_v_and_replicated_latents(ds3):
    spec = model_spec(ds3)
    split, latent = spec.attn_activation_bytes_per_token()
    assert split == 4 * 128 * (192 + 128)
    assert latent == 4 * (1536 + 512) + 2 * 64
    no_mla = dataclasses.replace(spec, q_lora_rank=0, kv_lora_rank=0, qk_nope_head_dim=0,
                                 qk_rope_head_dim=0, v_head_dim=0)
    tokens, tp = 4096.0, np.array([1.0, 8.0])
    got = memory.layer_activation_bytes(spec, tokens, tp, np.array([True, True]), False)
    base = memory.layer_activation_bytes(no_mla, tokens, tp, np.array([True, True]), False)
    base_split, _ = no_mla.attn_activation_bytes_per_token()
    # the latents do not shrink with TP; the per-head tensors do
    np.testing.assert_allclose(got - base, tokens * ((split - base_split) / tp + latent))


def test_train_and_serve_run_an_mla_model_file(cli, tmp_path):
    import yaml

    f = tmp_path / "lite.yaml"
    f.write_text(yaml.safe_dump(V2_LITE))
    r = cli("train", "--model-file", f, "--accelerator", "h100-sxm", "--gpus", "64", "--json")
    assert r.code == 0, r.stderr
    assert r.json()["model"] == "deepseek-v2-lite"
    bad = {**V2_LITE, "mla": {**V2_LITE["mla"], "kv_lora_rank": 0}}
    f.write_text(yaml.safe_dump(bad))
    r = cli("train", "--model-file", f, "--accelerator", "h100-sxm", "--gpus", "64")
    assert r.code == 2 and "kv_lora_rank" in r.stderr and "Traceback" not in r.stderr


def test_mla_arch_defaults_keep_existing_models_valid():
    arch = LLMArchitecture(layers=2, hidden=64, heads=4, vocab=100, seq_len=16)
    assert arch.mla is None and not model_spec(arch, name="t").is_mla
