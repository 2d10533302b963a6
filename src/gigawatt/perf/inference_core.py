"""The vectorised serving cost model: one plan, an array of batch sizes.

Per GPU of one model replica (``replica_gpus = max(tp, ep)`` GPUs, attention sharded by
TP, routed experts by EP, attention data-parallel across ``replica_gpus / tp`` groups):

* **decode step** (every running sequence emits one token): linear layers take the
  larger of streaming the weights from HBM and their GEMM FLOPs (a roofline per kernel),
  attention the larger of streaming the batch's KV cache and its FLOPs; plus TP
  all-reduces (two per layer) and EP all-to-alls (dispatch and combine per MoE layer)
  over the scale-up link. Kernels run one after another,
  so the parts add (Pope et al. 2022, "Efficiently Scaling Transformer Inference").
* **prefill** of one prompt: compute-bound linear FLOPs plus causal attention FLOPs
  growing with the square of the prompt, plus TP communication of the prompt's
  activations.
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
from .inference_shapes import ACTIVATION_BYTES, KV_BYTES, WEIGHT_BYTES, ModelShape

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


def kv_bytes_per_token(shape: ModelShape, tp: int, precision: str) -> float:
    """KV-cache bytes one GPU stores per token of context.

    Standard attention: ``2 x layers x kv_heads x head_dim`` split by TP. MLA: the
    ``kv_lora_rank + qk_rope_head_dim`` latent of every layer, which each TP rank needs
    whole for its heads, so it is replicated, not split.
    """
    if shape.is_mla:
        return shape.layers * shape.mla_cache_dim * KV_BYTES[precision]
    return 2.0 * shape.layers * kv_heads_per_gpu(shape, tp) * shape.head_dim \
        * KV_BYTES[precision]


def plan_memory(shape: ModelShape, acc: Accelerator, tp: int, ep: int, precision: str,
                lengths: Lengths, stack: ServingStack) -> PlanMemory:
    """Weights, KV bytes per token and the largest batch that fits, per GPU."""
    replica = max(tp, ep)
    wb = WEIGHT_BYTES[precision]
    emb = embedding_bytes(precision)
    weights = ((shape.attention_params + shape.dense_ffn_params) / tp * wb
               + shape.expert_params / replica * wb
               + (shape.embedding_params + shape.lm_head_params) / tp * emb)
    kv_tok = kv_bytes_per_token(shape, tp, precision)
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
            tokens_per_gpu, stack: ServingStack):
    """TP all-reduce (ring) and EP all-to-all time for a step's tokens, s."""
    link = acc.scaleup_gb_per_s * 1e9 * stack.scaleup_efficiency
    t = 0.0
    if tp > 1:
        msg = tokens_per_group * shape.hidden * ACTIVATION_BYTES
        per = 2.0 * (tp - 1) / tp * msg / link + stack.collective_latency_s
        t = t + 2.0 * shape.layers * per
    if ep > 1 and shape.moe_layers:
        msg = tokens_per_gpu * shape.top_k * shape.hidden * ACTIVATION_BYTES * (ep - 1) / ep
        t = t + shape.moe_layers * 2.0 * (msg / link + stack.collective_latency_s)
    return t


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
                  mem: PlanMemory) -> dict[str, np.ndarray]:
    """Decode-step time of a replica at each batch size, with its parts, s."""
    replica = max(tp, ep)
    batch = np.asarray(batch, dtype=float)
    per_group = batch / mem.attention_groups
    bw = acc.hbm_tb_per_s * 1e12 * stack.hbm_efficiency
    peak = acc.peak_tflop_per_s(precision) * 1e12
    wb = WEIGHT_BYTES[precision]
    dense_bytes = (mem.weights_bytes - shape.expert_params / replica * wb
                   - shape.embedding_params / tp * embedding_bytes(precision))
    w_bytes = dense_bytes + _expert_bytes_read(shape, replica, wb, batch)
    gemm_flops = (2.0 * per_group * shape.shared_params / tp
                  + 2.0 * batch * shape.active_expert_params / replica)
    linear = _roofline(w_bytes / bw, gemm_flops / (peak * stack.gemm_efficiency), stack)
    kv_bytes = per_group * context_tokens * mem.kv_bytes_per_token
    attn_flops = _decode_attn_flops(shape, tp, context_tokens) * per_group
    attention = _roofline(kv_bytes / bw, attn_flops / (peak * stack.attention_efficiency),
                          stack)
    comm = _comm_s(shape, acc, tp, ep, per_group, batch / replica, stack) * np.ones_like(batch)
    total = linear + attention + comm
    return {"step_s": total, "linear_s": linear, "attention_s": attention, "comm_s": comm}


def prefill_s(shape: ModelShape, acc: Accelerator, tp: int, ep: int, precision: str,
              lengths: Lengths, stack: ServingStack) -> float:
    """Mean prefill time of one prompt on one attention group of the replica, s."""
    replica = max(tp, ep)
    peak = acc.peak_tflop_per_s(precision) * 1e12
    p = lengths.prompt_mean
    linear = 2.0 * p * (shape.shared_params / tp + shape.active_expert_params / replica)
    causal = _prefill_attn_flops(shape, tp, lengths.prompt_causal)
    comm = _comm_s(shape, acc, tp, ep, p, p / replica, stack)
    return (linear / (peak * stack.gemm_efficiency)
            + causal / (peak * stack.attention_efficiency) + comm)


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
