"""Memory per accelerator of a training plan: weights, gradients, optimizer states,
activations (Korthikanti et al., "Reducing Activation Recomputation in Large Transformer
Models", MLSys 2023, section 4) and buffers. All functions take numpy arrays of plans.

Mixed-precision bytes per parameter (Megatron-LM distributed optimizer documentation):
BF16 weights 2, FP32 main gradients 4 (2 with BF16 gradient reduction), FP32 master
weights + Adam moments 12. ZeRO stage 1 shards the 12, stage 2 also the gradients, stage 3
also the weights, over the data-parallel ranks including the context-parallel ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .llm import ModelSpec

WEIGHT_BYTES = 2.0
GRAD_BYTES = 4.0
OPTIM_BYTES = 12.0
#: CUDA context, NCCL and allocator reserve as a fraction of HBM (not usable by tensors)
RESERVE_FRACTION = 0.08


def stage_params(spec: ModelSpec, tp: Any, pp: Any, ep: Any) -> dict[str, np.ndarray]:
    """Parameters held by one accelerator of the largest pipeline stage.

    Returns ``dense`` (replicated over DP, sharded by TP) and ``expert`` (sharded by EP and
    TP) parameter counts.
    """
    tp, pp, ep = (np.asarray(x, dtype=float) for x in (tp, pp, ep))
    layers = np.ceil(spec.layers / pp)
    moe_frac = spec.moe_layers / spec.layers
    per_layer = spec.attn_params() + spec.norm_params()
    dense_mlp = (1 - moe_frac) * spec.dense_mlp_params() + moe_frac * (
        spec.shared_experts * spec.expert_params() + spec.hidden * spec.experts)
    # the first stage holds the input embedding, the last the output layer; with one
    # stage both (tied embeddings: one copy)
    emb = spec.vocab * spec.hidden * np.where(pp > 1, 1.0, 2.0 - spec.tied_embeddings)
    dense = (layers * (per_layer + dense_mlp) + emb) / tp
    expert = layers * moe_frac * spec.experts * spec.expert_params() / (ep * tp)
    return {"dense": dense, "expert": expert}


def state_bytes(params: dict[str, np.ndarray], dp: Any, ep: Any, zero: Any,
                grad_bytes: float = GRAD_BYTES) -> dict[str, np.ndarray]:
    """Weights, gradients and optimizer states per accelerator, bytes; ``dp`` is the group
    the states are sharded over (DP x CP for Megatron's distributed optimizer) and
    ``grad_bytes`` the main-gradient width (4: FP32 accumulation and reduction, Megatron-LM's
    rule for BF16; 2 with Megatron-Core ``grad_reduce_in_fp32=False``, whose gradient
    buffer takes the parameter dtype)."""
    dp, ep, zero = (np.asarray(x, dtype=float) for x in (dp, ep, zero))
    shards = {"dense": dp, "expert": np.maximum(dp / ep, 1.0)}
    out = {"weights": 0.0, "gradients": 0.0, "optimizer": 0.0}
    for kind, n in params.items():
        d = shards[kind]
        out["weights"] = out["weights"] + n * WEIGHT_BYTES / np.where(zero >= 3, d, 1.0)
        out["gradients"] = out["gradients"] + n * grad_bytes / np.where(zero >= 2, d, 1.0)
        out["optimizer"] = out["optimizer"] + n * OPTIM_BYTES / np.where(zero >= 1, d, 1.0)
    return out


def softmax_bytes_per_token(spec: ModelSpec) -> float:
    """What the unfused softmax of one layer stores per token, all heads, bytes: its
    output (2 a s), plus with attention dropout the mask (a s) and the dropped-out
    probabilities (2 a s) (Korthikanti et al. section 4.1: ``5 a s``)."""
    return (5.0 if spec.dropout > 0 else 2.0) * spec.heads * spec.seq_len


def layer_activation_bytes(spec: ModelSpec, tokens: Any, tp: Any, sp: Any,
                           unfused_attn: bool, fp8: bool = False) -> np.ndarray:
    """Activations one layer stores for backward without recomputation, bytes.

    Korthikanti et al. eq. (1)-(2) generalised to GQA, MLA and gated MLPs: per token
    ``34 h`` for GPT (LN 4h, attention 11h, MLP 19h) plus ``5 a s`` for the unfused
    softmax; with TP the norms, dropout masks and GEMM inputs (10h) stay replicated
    unless sequence parallelism (``sp``) splits them too. MLA's latents stay replicated
    (:meth:`~gigawatt.perf.llm.ModelSpec.attn_activation_bytes_per_token`).

    The two 1-byte dropout masks (after attention and after the MLP, 2h) are kept only
    when the model trains with dropout (``spec.dropout > 0``: GPT-3-era Megatron runs;
    Llama-family configs set ``hidden_dropout = attention_dropout = 0``, and PyTorch's
    dropout at p = 0 returns its input without a mask). With ``fp8`` the inputs of the
    four linear layers (QKV, output projection, FC1, FC2) are saved as the FP8 copies the
    forward GEMMs consumed (Transformer Engine ``_Linear`` / ``LayerNormLinear`` /
    ``LayerNormMLP`` save the quantized input for the weight-gradient GEMM), 1 byte per
    element; the norm inputs, Q/K/V of the attention kernel and the FC1 output that the
    activation function's backward reads stay BF16.
    """
    h, f = spec.hidden, (spec.expert_ffn * (spec.top_k + spec.shared_experts)
                         if spec.is_moe else spec.ffn)
    tp = np.asarray(tp, dtype=float)
    gemm_in = 1.0 if fp8 else 2.0                             # bytes per saved GEMM input
    attn_split, mla_latent = spec.attn_activation_bytes_per_token()  # Q, K, V, proj input
    attn_split = attn_split - (2.0 - gemm_in) * spec.heads * spec.v_dim
    # activation-function input (FC1 output, BF16) and output (FC2 input)
    mlp_split = (4 if spec.gated else 2) * f + gemm_in * f
    masks = 2.0 * h if spec.dropout > 0 else 0.0
    replicated = 4.0 * h + 2 * gemm_in * h + masks            # norm inputs, GEMM inputs, masks
    softmax = softmax_bytes_per_token(spec) if unfused_attn else 0.0
    per_token = np.where(sp, replicated / tp, replicated) + (attn_split + mlp_split
                                                             + softmax) / tp
    if mla_latent:
        per_token = per_token + mla_latent
    return np.asarray(tokens, dtype=float) * per_token


def stored_activation_bytes(spec: ModelSpec, tokens: Any, tp: Any, sp: Any, recompute: Any,
                            unfused_attn: bool, fraction: Any = 1.0,
                            fp8: bool = False) -> np.ndarray:
    """Activations one layer keeps between forward and backward, bytes, by recompute mode
    (0 none, 1 selective: drops the softmax/attention terms, 2 full: keeps the input, on
    ``fraction`` of the layers; the others keep everything)."""
    full = layer_activation_bytes(spec, tokens, tp, sp, unfused_attn, fp8)
    tp = np.asarray(tp, dtype=float)
    softmax = (softmax_bytes_per_token(spec) if unfused_attn else 0.0) / tp
    selective = full - np.asarray(tokens, dtype=float) * softmax
    layer_input = 2.0 * np.asarray(tokens, dtype=float) * spec.hidden / np.where(sp, tp, 1.0)
    rc = np.asarray(recompute)
    frac = np.asarray(fraction, dtype=float)
    return np.where(rc == 2, frac * layer_input + (1 - frac) * full,
                    np.where(rc == 1, selective, full))


def activation_bytes(spec: ModelSpec, tokens: Any, tp: Any, pp: Any, vp: Any, sp: Any,
                     recompute: Any, unfused_attn: bool, microbatches: Any,
                     fraction: Any = 1.0, fp8: bool = False) -> np.ndarray:
    """Activations of the first pipeline stage at its 1F1B peak, bytes.

    That stage holds ``min(pp, microbatches)`` micro-batches in flight (x ``1 + (pp-1)/
    (pp*vp)`` with interleaving, Korthikanti et al. section 4.2.3), each with ``ceil(L/pp)``
    layers' stored activations, plus one layer's full working set when recomputing, and
    the FP32 logits on a single stage.
    """
    stored, working = layer_memory(spec, tokens, tp, sp, recompute, unfused_attn, fraction,
                                   fp8)
    return pipeline_activation_bytes(spec, stored, working, tokens, tp, pp, vp, microbatches)


def layer_memory(spec: ModelSpec, tokens: Any, tp: Any, sp: Any, recompute: Any,
                 unfused_attn: bool, fraction: Any = 1.0,
                 fp8: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(stored bytes per layer and micro-batch, working set of a recomputed layer)."""
    stored = stored_activation_bytes(spec, tokens, tp, sp, recompute, unfused_attn, fraction,
                                     fp8)
    working = np.where(np.asarray(recompute) > 0,
                       layer_activation_bytes(spec, tokens, tp, sp, unfused_attn, fp8), 0.0)
    return stored, working


def pipeline_activation_bytes(spec: ModelSpec, stored: Any, working: Any, tokens: Any, tp: Any,
                              pp: Any, vp: Any, microbatches: Any) -> np.ndarray:
    """Peak activations of the first stage from per-layer figures (see
    :func:`activation_bytes`), bytes."""
    pp, vp = np.asarray(pp, dtype=float), np.asarray(vp, dtype=float)
    layers = np.ceil(spec.layers / pp)
    in_flight = np.minimum(pp, np.asarray(microbatches, dtype=float)) * np.where(
        vp > 1, 1 + (pp - 1) / (pp * vp), 1.0)
    logits = np.where(pp > 1, 0.0, 4.0 * np.asarray(tokens, dtype=float) * spec.vocab
                      / np.asarray(tp, dtype=float))
    return layers * in_flight * stored + working + logits
