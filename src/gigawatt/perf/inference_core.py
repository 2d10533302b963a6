"""The vectorised serving cost model: one plan, an array of batch sizes.

Per GPU of one model replica (``replica_gpus = max(tp, ep)`` GPUs, attention sharded by
TP, routed experts by EP, attention data-parallel across ``replica_gpus / tp`` groups):

* **decode step** (every running sequence emits one token): linear layers take the
  larger of streaming the weights from HBM and their GEMM FLOPs (a roofline per kernel),
  attention the larger of streaming the batch's KV cache and its FLOPs; plus TP
  all-reduces and EP all-to-alls (dispatch and combine per MoE layer) over the scale-up
  link (all-to-all, or all-gather + reduce-scatter, as the stack dispatches). With EP the combine all-to-all reduces the routed experts' outputs, so a MoE
  layer has one TP all-reduce (after attention), a dense layer two. Kernels run one
  after another, so the parts add (Pope et al. 2022, "Efficiently Scaling Transformer
  Inference"). A GEMM's compute efficiency falls with its rows ``m`` as ``m / (m +
  gemm_half_m)``: ``m`` is the attention group's batch for shared weights and the tokens
  routed to one expert (``batch x top_k / experts``) for expert weights.
* **prefill** of one prompt: compute-bound linear FLOPs plus causal attention FLOPs
  growing with the square of the prompt, plus TP communication of the prompt's
  activations. Prompts are batched into chunks of ``prefill_chunk_tokens`` (chunked
  prefill), so a short prompt pays its share of one chunk's per-layer collective
  latency, not a latency per prompt.
* **attention precision**: attention runs at the KV-cache dtype (FP8 on an FP8 cache,
  else BF16), not at the weights' precision (FP4 weights still attend in FP8).
* **continuous batching steady state** (Orca, Yu et al. OSDI 2022; chunked prefill,
  Agrawal et al. 2024): while a batch of B sequences emits O tokens each, B new prompts
  are prefilled in the same steps, so one cycle lasts ``O * step(B) + B * prefill`` and
  yields ``B * O`` tokens. TPOT is the cycle over O; TTFT is one prompt's prefill plus
  the step it rides on. With prefill/decode disaggregation the prefill runs on other GPUs
  (counted in the per-GPU throughput) and TPOT is the bare decode step.
* **KV capacity**: HBM minus runtime reserve and weights, times the stack's KV memory
  fraction; a sequence reserves its full prompt + output length (no eviction).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..catalog.schema import Accelerator
from .inference_eff import ServingStack
from .inference_shapes import (ACTIVATION_BYTES, KV_DTYPES, WEIGHT_BYTES, ModelShape,
                               kv_dtype_for)

#: the embedding and output projection stay BF16 in FP8/FP4 checkpoints (NVIDIA
#: TensorRT Model Optimizer quantises the transformer's linear layers, not lm_head).
EMBEDDING_BYTES = 2.0


@dataclass(frozen=True)
class Lengths:
    """Request lengths as the model needs them (tokens); from fixed lengths or samples.

    Attributes
    ----------
    prompt_mean, output_mean : mean prompt and output tokens per request.
    reserve_tokens : mean KV-cache tokens a sequence reserves (prompt + output).
    decode_context_tokens : mean context seen by a decode step, weighted by output tokens.
    prompt_causal : mean of ``P * (P + 1)`` (causal attention cost of prefill).
    """

    prompt_mean: float
    output_mean: float
    reserve_tokens: float
    decode_context_tokens: float
    prompt_causal: float

    @classmethod
    def fixed(cls, prompt_tokens: int, output_tokens: int) -> "Lengths":
        p, o = float(prompt_tokens), float(output_tokens)
        return cls(p, o, p + o, p + o / 2.0, p * (p + 1.0))

    @classmethod
    def samples(cls, prompt_tokens: np.ndarray, output_tokens: np.ndarray) -> "Lengths":
        """Paired samples of a length distribution (e.g. a data set's requests)."""
        p = np.asarray(prompt_tokens, dtype=float)
        o = np.asarray(output_tokens, dtype=float)
        return cls(float(p.mean()), float(o.mean()), float((p + o).mean()),
                   float((o * (p + o / 2.0)).mean() / o.mean()), float((p * (p + 1.0)).mean()))


@dataclass(frozen=True)
class PlanMemory:
    """Per-GPU memory of one serving plan (bytes unless named otherwise)."""

    weights_bytes: float
    kv_bytes_per_token: float
    kv_capacity_bytes: float
    max_batch: int
    attention_groups: int

    @property
    def fits(self) -> bool:
        return self.max_batch >= 1


def embedding_bytes(precision: str) -> float:
    """Bytes per embedding / output-head weight at a deployment precision."""
    return EMBEDDING_BYTES if precision != "bf16" else WEIGHT_BYTES["bf16"]


def kv_heads_per_gpu(shape: ModelShape, tp: int) -> float:
    """KV heads one GPU stores: shared across TP, replicated when TP exceeds them."""
    return max(shape.kv_heads / tp, 1.0)


def kv_bytes_per_token(shape: ModelShape, tp: int, precision: str,
                       kv_dtype: str | None = None) -> float:
    """KV-cache bytes one GPU stores per token of context.

    Standard attention: ``2 x layers x kv_heads x head_dim`` split by TP. MLA: the
    ``kv_lora_rank + qk_rope_head_dim`` latent of every layer, which each TP rank needs
    whole for its heads, so it is replicated, not split.
    """
    b = KV_DTYPES[kv_dtype_for(precision, kv_dtype)]
    if shape.is_mla:
        return shape.layers * shape.mla_cache_dim * b
    return 2.0 * shape.layers * kv_heads_per_gpu(shape, tp) * shape.head_dim * b


def plan_memory(shape: ModelShape, acc: Accelerator, tp: int, ep: int, precision: str,
                lengths: Lengths, stack: ServingStack,
                kv_dtype: str | None = None) -> PlanMemory:
    """Weights, KV bytes per token and the largest batch that fits, per GPU."""
    replica = max(tp, ep)
    wb = WEIGHT_BYTES[precision]
    emb = embedding_bytes(precision)
    weights = ((shape.attention_params + shape.dense_ffn_params) / tp * wb
               + shape.expert_params / replica * wb
               + (shape.embedding_params + shape.lm_head_params) / tp * emb)
    kv_tok = kv_bytes_per_token(shape, tp, precision, kv_dtype)
    free = (acc.hbm_gb - stack.runtime_reserve_gb) * 1e9 - weights
    capacity = max(free, 0.0) * stack.kv_memory_fraction
    groups = replica // tp
    per_group = int(capacity // (kv_tok * lengths.reserve_tokens))
    return PlanMemory(weights_bytes=weights, kv_bytes_per_token=kv_tok,
                      kv_capacity_bytes=capacity, max_batch=per_group * groups,
                      attention_groups=groups)


def _expert_bytes_read(shape: ModelShape, replica: int, wb: float,
                       tokens: np.ndarray) -> np.ndarray:
    """Routed-expert weights one GPU streams in a step: only experts some token picks.

    With uniform routing a given expert is missed by all of ``tokens`` top-k choices with
    probability ``(1 - k/E) ** tokens``.
    """
    if shape.expert_params == 0:
        return np.zeros_like(tokens)
    touched = 1.0 - (1.0 - shape.top_k / shape.experts) ** tokens
    return shape.expert_params / replica * wb * touched


def _comm_s(shape: ModelShape, acc: Accelerator, tp: int, ep: int, tokens_per_group,
            tokens_per_gpu, stack: ServingStack, latency_share: float = 1.0):
    """TP all-reduce (ring) and EP all-to-all time for a step's tokens, s.

    ``latency_share``: the fraction of one collective's fixed latency these tokens pay (1
    for a decode step; a prompt's share of a prefill chunk). With EP > 1 the MoE layers'
    FFN output is reduced by the combine all-to-all, so they need one TP all-reduce (after
    attention), dense layers two.
    """
    link = acc.scaleup_gb_per_s * 1e9 * stack.scaleup_efficiency
    lat = stack.collective_latency_s * latency_share
    t = 0.0
    if tp > 1:
        msg = tokens_per_group * shape.hidden * ACTIVATION_BYTES
        per = 2.0 * (tp - 1) / tp * msg / link + lat
        moe = shape.moe_layers if ep > 1 else 0
        t = t + (2.0 * shape.layers - moe) * per
    if ep > 1 and shape.moe_layers:
        # bytes one GPU receives per MoE layer and direction: all-to-all sends each token
        # to its top-k experts' ranks; all-gather brings every other rank's tokens
        fan = (ep - 1.0) if stack.moe_dispatch == "allgather" else shape.top_k * (ep - 1) / ep
        msg = tokens_per_gpu * fan * shape.hidden * ACTIVATION_BYTES
        t = t + shape.moe_layers * 2.0 * (msg / link + lat)
    return t


def _m_eff(m, stack: ServingStack):
    """Compute-efficiency factor of a GEMM with ``m`` rows (tokens), in (0, 1)."""
    m = np.maximum(np.asarray(m, dtype=float), 1e-9)
    return m / (m + stack.gemm_half_m)


def _attention_peak(acc: Accelerator, precision: str, kv_dtype: str | None) -> float:
    """FLOP/s attention runs at: the KV dtype's peak (FP8 needs an FP8-capable part)."""
    kd = kv_dtype_for(precision, kv_dtype)
    return acc.peak_tflop_per_s("fp8" if kd == "fp8" and acc.fp8_tflop_per_s else
                                "bf16") * 1e12


def _roofline(memory_s, compute_s, stack: ServingStack):
    """Kernel time from its memory and compute times: the longer, plus the part of the
    shorter the stack does not overlap."""
    return np.maximum(memory_s, compute_s) + stack.roofline_overlap_loss * np.minimum(
        memory_s, compute_s)


def _decode_attn_flops(shape: ModelShape, tp: int, context_tokens: float) -> float:
    """Attention FLOPs of one decoded token on one GPU (its ``heads / tp`` heads)."""
    if shape.is_mla:
        return shape.layers * context_tokens * shape.decode_attn_flop_per_context_token() / tp
    return 4.0 * shape.layers * context_tokens * shape.heads / tp * shape.head_dim


def _prefill_attn_flops(shape: ModelShape, tp: int, prompt_causal: float) -> float:
    """Causal attention FLOPs of one prompt on one GPU (``prompt_causal``: mean P(P+1))."""
    if shape.is_mla:
        return shape.layers * shape.prefill_attn_flop_per_causal_pair() / tp * prompt_causal
    return 2.0 * shape.layers * shape.heads / tp * shape.head_dim * prompt_causal


def decode_step_s(shape: ModelShape, acc: Accelerator, tp: int, ep: int, precision: str,
                  context_tokens: float, batch: np.ndarray, stack: ServingStack,
                  mem: PlanMemory, kv_dtype: str | None = None) -> dict[str, np.ndarray]:
    """Decode-step time of a replica at each batch size, with its parts, s."""
    replica = max(tp, ep)
    batch = np.asarray(batch, dtype=float)
    per_group = batch / mem.attention_groups
    bw = acc.hbm_tb_per_s * 1e12 * stack.hbm_efficiency
    peak = acc.peak_tflop_per_s(precision) * 1e12 * stack.gemm_efficiency
    wb = WEIGHT_BYTES[precision]
    dense_bytes = (mem.weights_bytes - shape.expert_params / replica * wb
                   - shape.embedding_params / tp * embedding_bytes(precision))
    w_bytes = dense_bytes + _expert_bytes_read(shape, replica, wb, batch)
    gemm_s = 2.0 * per_group * shape.shared_params / tp / (peak * _m_eff(per_group, stack))
    if shape.experts:
        per_expert = batch * shape.top_k / shape.experts
        gemm_s = gemm_s + 2.0 * batch * shape.active_expert_params / replica / (
            peak * _m_eff(per_expert, stack))
    linear = _roofline(w_bytes / bw, gemm_s, stack)
    kv_bytes = per_group * context_tokens * mem.kv_bytes_per_token
    attn_flops = _decode_attn_flops(shape, tp, context_tokens) * per_group
    attention = _roofline(kv_bytes / bw, attn_flops / (
        _attention_peak(acc, precision, kv_dtype) * stack.attention_efficiency), stack)
    comm = _comm_s(shape, acc, tp, ep, per_group, batch / replica, stack) * np.ones_like(batch)
    total = linear + attention + comm
    return {"step_s": total, "linear_s": linear, "attention_s": attention, "comm_s": comm}


def prefill_s(shape: ModelShape, acc: Accelerator, tp: int, ep: int, precision: str,
              lengths: Lengths, stack: ServingStack, kv_dtype: str | None = None) -> float:
    """Mean prefill time of one prompt on one attention group of the replica, s.

    Prompts are batched into chunks of ``stack.prefill_chunk_tokens``: the GEMMs see a
    chunk's rows, and a prompt pays ``P / chunk`` of each collective's latency (at least
    one chunk's worth per chunk it spans). With attention data-parallel groups (``ep >
    tp``) all groups prefill at once, so one prompt's expert FLOPs and all-to-all traffic
    are spread over its own ``tp`` GPUs' share of the replica, not over the replica."""
    peak = acc.peak_tflop_per_s(precision) * 1e12 * stack.gemm_efficiency
    p = lengths.prompt_mean
    chunk = float(max(stack.prefill_chunk_tokens, 1))
    m = max(p, chunk)
    linear = 2.0 * p * shape.shared_params / tp / (peak * float(_m_eff(m, stack)))
    if shape.experts:
        # every attention group prefills at once and the replica's GPUs share the experts:
        # per group and prompt the expert FLOPs are those of its tp GPUs' share
        linear += 2.0 * p * shape.active_expert_params / tp / (
            peak * float(_m_eff(m * shape.top_k / shape.experts, stack)))
    causal = _prefill_attn_flops(shape, tp, lengths.prompt_causal)
    comm = _comm_s(shape, acc, tp, ep, p, p / tp, stack, latency_share=p / chunk)
    return (linear + causal / (_attention_peak(acc, precision, kv_dtype)
                               * stack.attention_efficiency) + comm)


def steady_state(step_s: np.ndarray, prefill_one_s: float, batch: np.ndarray,
                 output_tokens: float, tp: int, replica_gpus: int, attention_groups: int,
                 disaggregated: bool) -> dict[str, np.ndarray]:
    """Continuous-batching steady state of one replica.

    Returns the replica's output tokens/s, TPOT and TTFT (s), and the GPUs it occupies:
    ``replica_gpus``, plus with disaggregation the share of a prefill pool (TP groups of
    ``tp`` GPUs) that keeps up with its request rate.
    """
    batch = np.asarray(batch, dtype=float)
    ttft = prefill_one_s + step_s
    if disaggregated:
        cycle = output_tokens * step_s
        requests_per_s = batch / cycle
        gpus = replica_gpus + requests_per_s * prefill_one_s * tp
    else:
        cycle = output_tokens * step_s + batch * prefill_one_s / attention_groups
        gpus = np.full_like(batch, float(replica_gpus))
    return {"tokens_per_s": batch * output_tokens / cycle, "tpot_s": cycle / output_tokens,
            "ttft_s": ttft, "gpus": gpus}
