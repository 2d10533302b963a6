"""Data-parallel communication as the frameworks issue it: ZeRO-1/2 gradient buckets and
ZeRO-3 / FSDP per-unit parameter all-gathers and gradient reduce-scatters, HSDP (shard
within a group, replicate across groups), each collective with its latency, over the
bandwidth of the domain the group crosses, overlapped with compute only as far as the
prefetch allows and at the price of slower compute while communication runs.

Collective latency follows NCCL's own cost model (NVIDIA/nccl ``src/graph/tuning.cc``,
``ncclTopoTuneModel``, stored commit 01afd20): a ring step inside a node costs
``hwLat[NVLINK]``, one across nodes ``hwLat[NET]``, plus a base latency per call;
all-gather and reduce-scatter only have the ring algorithm (n-1 steps), all-reduce
chooses ring, tree (2 log2(nodes) network steps) or, where the fabric reduces in the
network (SHARP), CollNet by the lower predicted time, as NCCL does by message size and
scope. Across nodes a step also pays the switch hops of the fabric tiers the group spans
(:mod:`gigawatt.fabric`), and oversubscribed leaves divide the bandwidth above them.
Bandwidth: a group with ``k`` ranks per scale-up domain moves
``1/k`` of each rank's traffic through each of the node's NICs (NCCL runs one ring per
NIC), so its per-rank bandwidth is ``min(scale-up, k x scale-out per accelerator)``.

Compute slowdown under concurrent communication: Lee et al., "Characterizing
Compute-Communication Overlap in GPU-Accelerated Distributed Deep Learning: Performance
and Power Implications", arXiv 2507.03114 (2025), measured an average 18.9% (up to 40%)
slowdown of compute kernels while collectives ran beside them on A100, H100, MI250 and
MI210; that average is the default, applied to the compute that runs under communication.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import memory as mem

#: NCCL ring/Simple base latency per call and per-step latencies, µs (tuning.cc)
NCCL_BASE_LATENCY_US = 8.4
NCCL_RING_NVLINK_STEP_US = 3.4
NCCL_RING_NET_STEP_US = 9.6
NCCL_TREE_NET_STEP_US = 50.0
#: average compute slowdown while communication runs beside it (Lee et al. 2025)
COMPUTE_SLOWDOWN = 0.189
#: units gathered ahead of the one computing (FSDP forward/backward prefetch default: 1)
PREFETCH_UNITS = 1
#: Megatron-LM DDP bucket: max(40M, 1M x dp) parameters (megatron/core/distributed)
BUCKET_PARAMS_MIN = 40e6
BUCKET_PARAMS_PER_DP = 1e6
#: ZeRO-3 / FSDP reduce-scatter gradients in the training dtype (2 bytes), not FP32
SHARDED_GRAD_BYTES = 2.0


@dataclass(frozen=True)
class ShardingOptions:
    """How data-parallel communication is issued (``bucket_bytes`` None: framework
    default; ``prefetch`` units gathered ahead, 0 = none; ``compute_slowdown`` fraction;
    ``flat_ring``: each rank's traffic crosses the network through its own NIC only, no
    aggregation of a node's NICs, as the 2021 DeepSpeed ZeRO-3 rows behave)."""

    overlap: bool = True
    bucket_bytes: float | None = None
    prefetch: int = PREFETCH_UNITS
    compute_slowdown: float = COMPUTE_SLOWDOWN
    flat_ring: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"overlap_dp": self.overlap, "bucket_mb": None if self.bucket_bytes is None
                else self.bucket_bytes / 1e6, "prefetch": self.prefetch,
                "compute_slowdown": self.compute_slowdown,
                "dp_flat_ring": self.flat_ring}


def group_link(hw: Any, ranks: np.ndarray, stride: np.ndarray, flat: bool = False,
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(bandwidth GB/s per rank, ranks per scale-up domain, domains spanned) of a group of
    ``ranks`` ranks spaced ``stride`` apart (``flat``: no NIC aggregation)."""
    ranks = np.maximum(np.asarray(ranks, dtype=float), 1.0)
    k = np.minimum(np.maximum(hw.domain // np.maximum(stride, 1), 1), ranks)
    nodes = np.ceil(ranks / k)
    up = hw.scaleup_gb_per_s * hw.eff.scaleup_eff
    out = np.minimum(up, (1.0 if flat else k) * hw.scaleout_gb_per_s * hw.eff.scaleout_eff)
    fab = getattr(hw, "fabric", None)
    if fab is not None and fab.oversubscription > 1:   # traffic above the leaves shares
        out = out / np.where(fab.hops(nodes) > 1, fab.oversubscription, 1.0)
    return np.where(nodes <= 1, up, out), k, nodes


def _net_step_s(hw: Any, nodes: np.ndarray) -> np.ndarray:
    """Latency of one ring step across nodes: NCCL's network step plus the switch hops
    of the fabric tiers a group of ``nodes`` domains spans (see :mod:`.fabric`)."""
    fab = getattr(hw, "fabric", None)
    if fab is None:
        return NCCL_RING_NET_STEP_US * 1e-6
    # NCCL's network step is taken as one leaf hop; farther groups pay the extra hops
    extra = np.maximum(fab.hops(nodes) - 1.0, 0.0) * fab.hop_latency_s
    return NCCL_RING_NET_STEP_US * 1e-6 + extra


def ring_latency_s(hw: Any, ranks, k, nodes, steps_factor: float = 1.0) -> np.ndarray:
    """NCCL ring latency of one all-gather / reduce-scatter (x2 for all-reduce), s."""
    ranks = np.maximum(np.asarray(ranks, dtype=float), 1.0)
    intra = (ranks - nodes) * NCCL_RING_NVLINK_STEP_US * 1e-6
    inter = (nodes - 1) * _net_step_s(hw, nodes)
    lat = NCCL_BASE_LATENCY_US * 1e-6 + steps_factor * (intra + inter)
    return np.where(ranks > 1, lat, 0.0)


def gather_s(hw: Any, size_bytes, ranks, stride, flat: bool = False) -> np.ndarray:
    """Ring all-gather (or reduce-scatter) of a ``size_bytes`` buffer, s."""
    bw, k, nodes = group_link(hw, ranks, stride, flat)
    n = np.maximum(np.asarray(ranks, dtype=float), 1.0)
    size = np.asarray(size_bytes)
    t = (n - 1) / n * size / (bw * 1e9) + ring_latency_s(hw, n, k, nodes)
    return np.where(size > 0, t, 0.0)


def all_reduce_s(hw: Any, size_bytes, ranks, stride, flat: bool = False) -> np.ndarray:
    """All-reduce, ring or tree whichever NCCL's model predicts faster, s."""
    bw, k, nodes = group_link(hw, ranks, stride, flat)
    n = np.maximum(np.asarray(ranks, dtype=float), 1.0)
    ring = 2 * (n - 1) / n * np.asarray(size_bytes) / (bw * 1e9) \
        + ring_latency_s(hw, n, k, nodes, 2.0)
    tree_lat = NCCL_BASE_LATENCY_US * 1e-6 + 2 * (
        (k - 1) * NCCL_RING_NVLINK_STEP_US * 1e-6
        + np.log2(np.maximum(nodes, 1)) * (NCCL_TREE_NET_STEP_US * 1e-6
                                           + _net_step_s(hw, nodes)
                                           - NCCL_RING_NET_STEP_US * 1e-6))
    tree = 2 * np.asarray(size_bytes) / (0.9 * bw * 1e9) + tree_lat   # busBw x 0.9, algbw/2
    best = np.minimum(ring, tree)
    fab = getattr(hw, "fabric", None)
    if fab is not None and fab.in_network_reduction:
        # in-network reduction (NCCL CollNet over SHARP): each rank sends its data once
        # and receives the result (busBw x 0.9); latency 2 (k-1) intra steps + 1 network
        lat = NCCL_BASE_LATENCY_US * 1e-6 + 2 * (k - 1) * NCCL_RING_NVLINK_STEP_US * 1e-6 \
            + _net_step_s(hw, nodes)
        collnet = np.asarray(size_bytes) / (0.9 * bw * 1e9) + lat
        best = np.where(nodes > 1, np.minimum(best, collnet), best)
    return np.where((n > 1) & (np.asarray(size_bytes) > 0), best, 0.0)


def _overlapped(comm, window, slow: float, overlap: bool) -> np.ndarray:
    """Exposed time of ``comm`` run beside ``window`` of compute: the excess, plus the
    slowdown of the compute that ran under it."""
    if not overlap:
        return comm
    return np.maximum(comm - window, 0.0) + slow * np.minimum(comm, window)


def _bucketed_terms(hw: Any, p: dict, params: dict, opt: ShardingOptions) -> dict:
    """ZeRO-0/1/2 per step: gradient reduction and (ZeRO >= 1) weight gathering in
    buckets, and one bucket's time, s."""
    tp, cp, dp, ep, zero = p["tp"], p["cp"], p["dp"], p["ep"], p["zero"]
    fl = opt.flat_ring
    grads = weights = last = 0.0
    for kind, ranks, stride in (("dense", dp, tp * cp), ("expert", np.maximum(dp / ep, 1),
                                                          tp * cp * ep)):
        n = params[kind]
        bucket = opt.bucket_bytes or np.maximum(BUCKET_PARAMS_MIN,
                                                BUCKET_PARAMS_PER_DP * dp) * mem.GRAD_BYTES
        buckets = np.maximum(np.ceil(n * mem.GRAD_BYTES / bucket), 1.0)
        size = n * mem.GRAD_BYTES / buckets
        g_one = np.where(zero >= 1, gather_s(hw, size, ranks, stride, fl),
                         all_reduce_s(hw, size, ranks, stride, fl))
        w_one = np.where(zero >= 1, gather_s(hw, n * mem.WEIGHT_BYTES / buckets, ranks,
                                             stride, fl), 0.0)
        grads, weights, last = grads + buckets * g_one, weights + buckets * w_one, \
            last + g_one
    return {"grads": grads, "weights": weights, "last": last}


def fsdp_units(params: dict, layers, opt: ShardingOptions) -> np.ndarray:
    """Gather units per stage: one per layer (FSDP / DeepSpeed per-module wrapping), or
    the stage's weights cut into ``bucket_bytes`` pieces."""
    if opt.bucket_bytes is None:
        return np.asarray(layers, dtype=float)
    local = (params["dense"] + params["expert"]) * mem.WEIGHT_BYTES
    return np.maximum(np.ceil(local / opt.bucket_bytes), 1.0)


def _fsdp_terms(hw: Any, p: dict, params: dict, layers, opt: ShardingOptions) -> dict:
    """ZeRO-3 / FSDP / HSDP per unit: weight all-gather ``a`` and gradient reduce-scatter
    ``r`` within the shard group, units per stage, and the per-step all-reduce of the
    gradient shards across replica groups (HSDP), s."""
    tp, cp, dp, ep, zg = p["tp"], p["cp"], p["dp"], p["ep"], p["zg"]
    units = fsdp_units(params, layers, opt)
    fl = opt.flat_ring
    a = r = hsdp = 0.0
    for kind, ranks, stride in (("dense", zg, tp * cp), ("expert", np.maximum(zg / ep, 1),
                                                         tp * cp * ep)):
        n = params[kind] / units
        a = a + gather_s(hw, n * mem.WEIGHT_BYTES, ranks, stride, fl)
        r = r + gather_s(hw, n * SHARDED_GRAD_BYTES, ranks, stride, fl)
        shard = params[kind] * SHARDED_GRAD_BYTES / np.maximum(ranks, 1)
        hsdp = hsdp + all_reduce_s(hw, shard, dp / zg, stride * zg, fl)
    return {"a": a, "r": r, "units": units, "hsdp": np.where(zg < dp, hsdp, 0.0)}


def _exposed_s(t: dict, zero, m, fwd_mb, bwd_mb, opt: ShardingOptions) -> np.ndarray:
    """Exposed time per step from the communication terms and the compute windows of a
    micro-batch: ZeRO-0/1/2 under the last backward / next forward; ZeRO-3 per unit, a
    gather overlapping the previous unit's compute when prefetching."""
    slow, ov = opt.compute_slowdown, opt.overlap
    bucketed = _overlapped(t["grads"], bwd_mb, slow, ov) + (t["last"] if ov else 0.0) \
        + _overlapped(t["weights"], fwd_mb, slow, ov)
    a, r, units = t["a"], t["r"], t["units"]
    if ov and opt.prefetch > 0:
        cf, cb = fwd_mb / units, bwd_mb / units
        fwd = a + units * (np.maximum(a - cf, 0.0) + slow * np.minimum(a, cf))
        bwd = a + r + units * (np.maximum(a + r - cb, 0.0) + slow * np.minimum(a + r, cb))
    else:
        fwd, bwd = units * a, units * (a + r)
    sharded = m * (fwd + bwd) + _overlapped(t["hsdp"], bwd_mb, slow, ov)
    return np.where(zero >= 3, sharded, bucketed)


def fsdp_buffer_bytes(params: dict, layers, zero, opt: ShardingOptions) -> np.ndarray:
    """Gathered-weight buffers of the unit computing and the ``prefetch`` units ahead,
    plus its unsharded gradients, bytes (ZeRO-3 only)."""
    unit = (params["dense"] + params["expert"]) / fsdp_units(params, layers, opt)
    buf = (1 + opt.prefetch) * unit * mem.WEIGHT_BYTES + unit * SHARDED_GRAD_BYTES
    return np.where(np.asarray(zero) >= 3, buf, 0.0)


#: plan fields the communication terms depend on (with the model)
COMM_FIELDS = ("tp", "pp", "cp", "dp", "ep", "zero", "zg")


def dp_comm_s(hw: Any, spec: Any, p: dict, fwd_mb, bwd_mb,
              opt: ShardingOptions) -> np.ndarray:
    """Exposed data-parallel communication per step, s, for every ZeRO stage. The
    collective terms are computed once per distinct (tp pp cp dp ep zero zg) and
    gathered back, so the cost per plan is a few array operations."""
    key = np.zeros(np.shape(p["tp"]), dtype=np.int64)
    for name in COMM_FIELDS:
        col = np.asarray(p[name], dtype=np.int64)
        key = key * (int(col.max(initial=0)) + 1) + col
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    q = {k: np.asarray(p[k])[first] for k in COMM_FIELDS}
    params = mem.stage_params(spec, q["tp"], q["pp"], q["ep"])
    layers = np.ceil(spec.layers / q["pp"])
    terms = {**_bucketed_terms(hw, q, params, opt), **_fsdp_terms(hw, q, params, layers, opt)}
    full = {k: np.broadcast_to(v, first.shape)[inverse] for k, v in terms.items()}
    return _exposed_s(full, p["zero"], p["m"], fwd_mb, bwd_mb, opt)
