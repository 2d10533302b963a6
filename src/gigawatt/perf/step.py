"""The vectorised step-time model: arrays of parallel plans in, arrays of times out.

One training step of the bottleneck pipeline stage is

    step = (m + (pp-1)/vp) * t_mb  +  exposed DP communication  +  optimizer

where ``m`` is the number of micro-batches per pipeline and ``t_mb`` the forward,
backward and recomputation time of one micro-batch on that stage: GEMMs timed by shape
(:mod:`.gemm`), attention over the sequence, memory-bound kernels (HBM traffic), exposed
tensor-parallel, expert all-to-all, context-parallel and pipeline point-to-point
communication (:mod:`.collectives`). Every field of ``plans`` is a numpy array; nothing
here loops over plans.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import collectives as col
from . import memory as mem
from .sharded import ShardingOptions, dp_comm_s, fsdp_buffer_bytes
from .sites import SiteLink, wan_s
from .gemm import FamilyEfficiency, gemm_efficiency, gemm_time_s
from .llm import ModelSpec

ACT_BYTES = 2.0          # BF16 activations and their gradients on the wire
ADAM_BYTES_PER_PARAM = 30.0   # FP32 master/m/v/grad read + write, BF16 copy (HBM traffic)


@dataclass(frozen=True)
class Hardware:
    """One accelerator type as the model sees it (catalog values, SI units)."""

    accelerator: str
    family: str
    gemm_flop_per_s: float      # dense peak at the training precision
    bf16_flop_per_s: float
    hbm_bytes: float
    hbm_bytes_per_s: float
    domain: int
    scaleup_gb_per_s: float
    scaleout_gb_per_s: float
    scaleout_latency_s: float
    eff: FamilyEfficiency
    fp8: bool = False
    fabric: Any = None          # gigawatt.fabric.FabricSpec, or None (no topology)


def _bw(ranks_span: np.ndarray, hw: Hardware) -> tuple[np.ndarray, np.ndarray]:
    """Achieved bandwidth (GB/s) and per-step latency (s) for a group spanning
    ``ranks_span`` consecutive ranks: inside the scale-up domain or across it (then with
    the switch hops of the fabric tiers the span reaches)."""
    inside = ranks_span <= hw.domain
    bw = np.where(inside, hw.scaleup_gb_per_s * hw.eff.scaleup_eff,
                  hw.scaleout_gb_per_s * hw.eff.scaleout_eff)
    out = hw.scaleout_latency_s
    if hw.fabric is not None:   # the fabric row's latency is one leaf hop; farther, more
        span = np.ceil(np.asarray(ranks_span, dtype=float) / hw.domain)
        out = out + np.maximum(hw.fabric.hops(span) - 1.0, 0.0) * hw.fabric.hop_latency_s
    lat = np.where(inside, hw.eff.scaleup_latency_us * 1e-6, out)
    return bw, lat


def _layer_gemm_s(spec: ModelSpec, hw: Hardware, T: np.ndarray, tp: np.ndarray,
                  ep: np.ndarray, moe: bool) -> np.ndarray:
    """Forward GEMM time of one layer and micro-batch (projections and MLP), s."""
    peak = hw.gemm_flop_per_s * (hw.eff.fp8_gemm_ratio if hw.fp8 else 1.0)
    h, up = spec.hidden, 2 if spec.gated else 1
    t = _attn_proj_gemm_s(spec, hw, T, tp, peak)
    if not moe:
        return t + gemm_time_s(T, up * spec.ffn / tp, h, peak, hw.eff) \
            + gemm_time_s(T, h, spec.ffn / tp, peak, hw.eff)
    f = spec.expert_ffn
    local = spec.experts / ep
    m_e = np.maximum(T * spec.top_k * ep / spec.experts, 1.0)
    t = t + gemm_time_s(m_e, up * f / tp, h, peak, hw.eff, local) \
        + gemm_time_s(m_e, h, f / tp, peak, hw.eff, local)
    if spec.shared_experts:
        fs = spec.shared_experts * f
        t = t + gemm_time_s(T, up * fs / tp, h, peak, hw.eff) \
            + gemm_time_s(T, h, fs / tp, peak, hw.eff)
    return t + gemm_time_s(T, spec.experts, h, peak, hw.eff)


def _attn_proj_gemm_s(spec: ModelSpec, hw: Hardware, T: np.ndarray, tp: np.ndarray,
                      peak: float) -> np.ndarray:
    """Forward GEMM time of one layer's attention projections, s.

    Standard attention: the fused QKV and the output projection, split by TP. MLA
    (non-absorbed training form): the query and key/value down-projections replicated on
    every TP rank (Megatron-core), their up-projections and the output projection split
    by TP.
    """
    h = spec.hidden
    if not spec.is_mla:
        t = gemm_time_s(T, (spec.q_dim + 2 * spec.kv_dim) / tp, h, peak, hw.eff)
        return t + gemm_time_s(T, h, spec.q_dim / tp, peak, hw.eff)
    n, qk, kv = spec.heads, spec.qk_head_dim, spec.kv_lora_rank
    t = gemm_time_s(T, kv + spec.qk_rope_head_dim, h, peak, hw.eff)
    t = t + gemm_time_s(T, n * (spec.qk_nope_head_dim + spec.v_dim) / tp, kv, peak, hw.eff)
    if spec.q_lora_rank:
        t = t + gemm_time_s(T, spec.q_lora_rank, h, peak, hw.eff) \
            + gemm_time_s(T, n * qk / tp, spec.q_lora_rank, peak, hw.eff)
    else:
        t = t + gemm_time_s(T, n * qk / tp, h, peak, hw.eff)
    return t + gemm_time_s(T, h, n * spec.v_dim / tp, peak, hw.eff)


def _attention_s(spec: ModelSpec, hw: Hardware, mb: np.ndarray, tp: np.ndarray,
                 cp: np.ndarray, unfused: bool) -> np.ndarray:
    """Forward time of Q K^T and attention x V of one layer and micro-batch, s.

    Unfused kernels (Megatron 2021-22) compute the full s x s matrix as batched GEMMs;
    fused causal (flash) kernels skip the masked half at ``attn_eff_ratio`` of a GEMM.
    """
    s_q, s_k, d = spec.seq_len / cp, float(spec.seq_len), float(spec.head_dim)
    batch = mb * spec.heads / tp
    flop = 4.0 * batch * s_q * s_k * d
    if spec.is_mla:       # scores over qk-wide heads, values v wide: efficiency at the mean
        d = (spec.qk_head_dim + spec.v_dim) / 2.0
        flop = 2.0 * batch * s_q * s_k * (spec.qk_head_dim + spec.v_dim)
    eff = gemm_efficiency(s_q, s_k, d, hw.eff)
    if unfused:
        return flop / (hw.bf16_flop_per_s * eff)
    return 0.5 * flop / (hw.bf16_flop_per_s * eff * hw.eff.attn_eff_ratio)


def _memory_bound_s(spec: ModelSpec, hw: Hardware, T, tp, sp, unfused: bool) -> np.ndarray:
    """Forward time of norms, activation functions, dropout, softmax, residuals, s."""
    act = mem.layer_activation_bytes(spec, T, tp, sp, unfused)
    return hw.eff.ew_traffic * act / (hw.hbm_bytes_per_s * hw.eff.mem_eff)


def _softmax_s(spec: ModelSpec, hw: Hardware, T, tp, unfused: bool) -> np.ndarray:
    """The part of :func:`_memory_bound_s` due to the unfused softmax and its dropout."""
    if not unfused:
        return np.zeros_like(T)
    act = T * mem.softmax_bytes_per_token(spec) / tp
    return hw.eff.ew_traffic * act / (hw.hbm_bytes_per_s * hw.eff.mem_eff)


def _layer_times(spec: ModelSpec, hw: Hardware, p: dict, moe: bool, unfused: bool,
                 overlap_ep: bool = True) -> dict:
    """Per-layer, per-micro-batch times (s) of compute and TP / EP / CP communication."""
    tp, cp, ep, mb, sp, rc = p["tp"], p["cp"], p["ep"], p["mb"], p["sp"], p["rc"]
    full = np.where(rc == 2, p["rf"], 0.0)          # fraction of layers fully recomputed
    T = mb * spec.seq_len / cp
    gemm = _layer_gemm_s(spec, hw, T, tp, ep, moe)
    attn = _attention_s(spec, hw, mb, tp, cp, unfused)
    ew = _memory_bound_s(spec, hw, T, tp, sp, unfused)
    fwd = gemm + attn + ew
    # selective recomputation repeats the attention core (unfused kernels); a fused
    # kernel never stores the score matrix and recomputes it inside its backward (2.5x)
    selective = attn + _softmax_s(spec, hw, T, tp, unfused) if unfused else 0.0
    recompute = full * fwd + np.where(rc == 1, selective, 0.0)
    if not unfused:
        recompute = recompute + 0.5 * attn
    bw, lat = _bw(tp, hw)
    tp_one = col.all_reduce_s(T * spec.hidden * ACT_BYTES, tp, bw, lat)
    n_tp = 4 + 2 * full                           # 2 fwd + 2 bwd (+2 recomputed fwd)
    out = {"compute": 3 * fwd + recompute, "fwd": fwd, "tp_comm": n_tp * tp_one,
           "ep_comm": np.zeros_like(T), "cp_comm": np.zeros_like(T)}
    if moe:
        bw_e, lat_e = _bw(tp * ep, hw)
        a2a = col.all_to_all_s(T * spec.top_k * spec.hidden * ACT_BYTES / tp, ep, bw_e, lat_e)
        out["ep_comm"] = (4 + 2 * full) * a2a
        if overlap_ep:
            # dispatch/combine of one micro-batch run under another's compute (DeepSeek-V3
            # DualPipe, Megatron-core MoE all-to-all overlap): only the excess is exposed
            out["ep_comm"] = np.maximum(out["ep_comm"] - out["compute"], 0.0)
    bw_c, lat_c = _bw(tp * cp, hw)
    kv_width = spec.kv_width / np.minimum(tp, spec.kv_heads)   # K and V elements per token
    kv = mb * spec.seq_len * kv_width * ACT_BYTES
    cp_fwd = col.all_gather_s(kv, cp, bw_c, lat_c)
    # KV all-gather (forward) and dKV reduce-scatter (backward) overlap attention compute
    out["cp_comm"] = np.where(cp > 1, np.maximum(cp_fwd - attn, 0.0)
                              + np.maximum(cp_fwd - 2 * attn, 0.0), 0.0)
    return out


def _logits_s(spec: ModelSpec, hw: Hardware, T, tp) -> np.ndarray:
    """Forward + backward of the output layer and cross-entropy for one micro-batch, s."""
    peak = hw.gemm_flop_per_s * (hw.eff.fp8_gemm_ratio if hw.fp8 else 1.0)
    gemm = 3 * gemm_time_s(T, spec.vocab / tp, spec.hidden, peak, hw.eff)
    ce = 3 * 4.0 * T * spec.vocab / tp / (hw.hbm_bytes_per_s * hw.eff.mem_eff)
    return gemm + ce


#: plan fields that per-layer, per-micro-batch quantities depend on
LAYER_FIELDS = ("tp", "cp", "ep", "mb", "sp", "rc", "rf")


def _per_layer(spec: ModelSpec, hw: Hardware, p: dict, unfused: bool,
               overlap_ep: bool = True) -> dict:
    """Per-layer times and memory of one micro-batch (MoE and dense layers mixed in
    proportion), the output layer's time, for arrays of plans."""
    moe_share = spec.moe_layers / spec.layers
    out = {k: (1 - moe_share) * v for k, v in _layer_times(spec, hw, p, False, unfused).items()}
    if spec.is_moe:
        moe = _layer_times(spec, hw, p, True, unfused, overlap_ep)
        out = {k: out[k] + moe_share * v for k, v in moe.items()}
    T = p["mb"] * spec.seq_len / p["cp"]
    out["logits"] = _logits_s(spec, hw, T, p["tp"])
    # FP8 recipes save the FP8 copies of the GEMM inputs (Transformer Engine)
    out["stored"], out["working"] = mem.layer_memory(spec, T, p["tp"], p["sp"], p["rc"],
                                                     unfused, p["rf"], hw.fp8)
    return out


def _per_layer_unique(spec: ModelSpec, hw: Hardware, p: dict, unfused: bool,
                      overlap_ep: bool = True) -> dict:
    """:func:`_per_layer` computed once per distinct combination of :data:`LAYER_FIELDS`
    (a few hundred among up to millions of plans) and gathered back."""
    key = np.zeros(p["tp"].shape, dtype=np.int64)
    for name in LAYER_FIELDS:
        col = np.rint(np.asarray(p[name], dtype=float) * 4).astype(np.int64)
        key = key * (int(col.max(initial=0)) + 1) + col
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    uniq = {k: np.asarray(p[k])[first] for k in LAYER_FIELDS}
    return {k: np.broadcast_to(v, first.shape)[inverse]
            for k, v in _per_layer(spec, hw, uniq, unfused, overlap_ep).items()}


def evaluate(spec: ModelSpec, hw: Hardware, p: dict, *, unfused_attn: bool = False,
             overlap_dp: bool = True, overlap_ep: bool = True,
             sharding: ShardingOptions | None = None,
             link: SiteLink | None = None,
             grad_reduce_fp32: bool = True) -> dict[str, np.ndarray]:
    """Step time, its breakdown and memory for arrays of plans.

    Parameters
    ----------
    spec, hw : ModelSpec, Hardware
        The model and the accelerator.
    p : dict of numpy arrays
        ``tp pp dp vp cp ep mb gb rc rf zero sp`` (``rc``: 0 none, 1 selective, 2 full;
        ``rf``: fraction of layers fully recomputed when ``rc`` is 2).
    unfused_attn : bool
        Attention as unfused batched GEMMs + softmax (Megatron 2021-22) instead of a fused
        causal kernel.
    overlap_dp : bool
        Overlap DP communication with backward/forward compute (Megatron-LM since 2023,
        FSDP); False for runs made without it.
    overlap_ep : bool
        Overlap MoE all-to-all with the compute of another micro-batch.
    sharding : ShardingOptions, optional
        Bucket size, prefetch depth and compute slowdown of data-parallel communication
        (:mod:`.sharded`); its ``overlap`` is set from ``overlap_dp``. ``p`` may carry
        ``zg``, the ZeRO shard-group size (HSDP when below ``dp``; default ``dp``).
    link : SiteLink, optional
        The job spread over sites joined by a WAN (:mod:`.sites`): adds ``wan_comm`` to
        the breakdown, ``wan_layout`` (0 DP, 1 PP across the link) and ``site_ok``.
    grad_reduce_fp32 : bool
        Main gradients in FP32 (4 bytes per parameter); False: BF16 (2 bytes).
    """
    from dataclasses import replace

    opt = replace(sharding or ShardingOptions(), overlap=overlap_dp)
    p = {k: np.asarray(v) for k, v in p.items()}
    p.setdefault("zg", p["dp"])
    tp, pp, dp, vp = p["tp"], p["pp"], p["dp"], p["vp"]
    p["m"] = m = p["gb"] / (dp * p["mb"])
    T = p["mb"] * spec.seq_len / p["cp"]
    layers = np.ceil(spec.layers / pp)
    lay = _per_layer_unique(spec, hw, p, unfused_attn, overlap_ep)
    per_mb = {k: layers * lay[k] for k in ("compute", "tp_comm", "ep_comm", "cp_comm")}
    per_mb["compute"] = per_mb["compute"] + lay["logits"]
    bw, lat = _bw(tp * p["cp"] * dp, hw)
    # Megatron's scatter/gather optimisation (Narayanan et al. section 4.1): each of the
    # tp ranks sends 1/tp of the activation over its own link, then all-gathers over TP
    p2p = col.p2p_s(T * spec.hidden * ACT_BYTES / tp, bw, lat)
    per_mb["pp_comm"] = np.where(pp > 1, 2 * vp * p2p, 0.0)
    t_mb = sum(per_mb.values())
    params = mem.stage_params(spec, tp, pp, p["ep"])
    # windows DP communication can hide under: a micro-batch's forward (weights gathered)
    # and its backward including recomputation (gradients reduced)
    fwd_mb = layers * lay["fwd"] + lay["logits"] / 3
    dp_s = dp_comm_s(hw, spec, p, fwd_mb, per_mb["compute"] - fwd_mb, opt)
    local = params["dense"] + params["expert"]
    opt_s = ADAM_BYTES_PER_PARAM * local / np.where(p["zero"] >= 1, p["zg"] * p["cp"], 1) \
        / (hw.hbm_bytes_per_s * hw.eff.mem_eff)
    breakdown = {k: m * v for k, v in per_mb.items()}
    breakdown["bubble"] = (pp - 1) / vp * t_mb
    breakdown["dp_comm"] = dp_s
    breakdown["optimizer"] = opt_s
    wan = None
    if link is not None and link.sites > 1:
        wan, layout = wan_s(link, spec, p, per_mb["compute"] - fwd_mb, m * t_mb)
        breakdown["wan_comm"] = np.where(np.isfinite(wan), wan, 0.0)
    step = sum(breakdown.values())
    # context-parallel ranks hold the same weights and reduce gradients with the DP ranks,
    # so sharded states split over DP x CP (Megatron-Core get_megatron_optimizer builds the
    # DistributedOptimizer on intra_dp_cp_group)
    states = mem.state_bytes(params, p["zg"] * p["cp"], p["ep"], p["zero"],
                             mem.GRAD_BYTES if grad_reduce_fp32 else mem.WEIGHT_BYTES)
    acts = mem.pipeline_activation_bytes(spec, lay["stored"], lay["working"], T, tp, pp, vp, m)
    gathered = fsdp_buffer_bytes(params, layers, p["zero"], opt)
    memory = {**states, "activations": acts, "buffers": gathered}
    total = sum(memory.values())
    out = {"step_time_s": step, "breakdown_s": breakdown, "memory_bytes": memory,
           "memory_total_bytes": total, "t_microbatch_s": t_mb,
           "fits": total <= hw.hbm_bytes * (1 - mem.RESERVE_FRACTION)}
    if wan is not None:
        out.update(site_ok=np.isfinite(wan), wan_layout=layout)
    return out
