"""Data-parallel communication as the frameworks issue it: ZeRO-1/2 gradient buckets and
ZeRO-3 / FSDP per-unit parameter all-gathers and gradient reduce-scatters, HSDP (shard
within a group, replicate across groups), each collective with its latency, over the
bandwidth of the domain the group crosses, overlapped with compute only as far as the
prefetch allows and at the price of slower compute while communication runs.

Collective latency follows NCCL's own cost model (NVIDIA/nccl ``src/graph/tuning.cc``,
``ncclTopoTuneModel``, stored commit 01afd20): a ring step inside a node costs
``hwLat[NVLINK]``, one across nodes ``hwLat[NET]``, plus a base latency per call;
all-gather and reduce-scatter only have the ring algorithm (n-1 steps), all-reduce
chooses ring or tree (2 log2(nodes) network steps) by the lower predicted time, as NCCL
does by message size. Bandwidth: a group with ``k`` ranks per scale-up domain moves
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
    return np.where(nodes <= 1, up, out), k, nodes


def _net_step_s(hw: Any, nodes: np.ndarray) -> np.ndarray:
    """Latency of one ring step across nodes: NCCL's network step plus the switch hops
    of the fabric tiers a group of ``nodes`` domains spans (see :mod:`.fabric`)."""
    hops = getattr(hw, "fabric_hops", None)
    extra = hops(nodes) * hw.switch_latency_s if hops is not None else 0.0
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
    return (n - 1) / n * np.asarray(size_bytes) / (bw * 1e9) + ring_latency_s(hw, n, k, nodes)


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
    return np.where(n > 1, np.minimum(ring, tree), 0.0)


def _overlapped(comm, window, slow: float, overlap: bool) -> np.ndarray:
    """Exposed time of ``comm`` run beside ``window`` of compute: the excess, plus the
    slowdown of the compute that ran under it."""
    if not overlap:
        return comm
    return np.maximum(comm - window, 0.0) + slow * np.minimum(comm, window)


def bucketed_dp_s(hw: Any, p: dict, params: dict, fwd_mb, bwd_mb,
                  opt: ShardingOptions) -> np.ndarray:
    """ZeRO-0/1/2: gradients reduced once per step in buckets under the last micro-batch's
    backward; ZeRO-1/2 gather the updated weights under the next forward, s."""
    tp, cp, dp, ep, zero = p["tp"], p["cp"], p["dp"], p["ep"], p["zero"]
    fl = opt.flat_ring
    total = 0.0
    for kind, ranks, stride in (("dense", dp, tp * cp), ("expert", np.maximum(dp / ep, 1),
                                                          tp * cp * ep)):
        n = params[kind]
        bucket = opt.bucket_bytes or np.maximum(BUCKET_PARAMS_MIN,
                                                BUCKET_PARAMS_PER_DP * dp) * mem.GRAD_BYTES
        buckets = np.maximum(np.ceil(n * mem.GRAD_BYTES / bucket), 1.0)
        g_one = np.where(zero >= 1, gather_s(hw, n * mem.GRAD_BYTES / buckets, ranks, stride, fl),
                         all_reduce_s(hw, n * mem.GRAD_BYTES / buckets, ranks, stride, fl))
        w_one = np.where(zero >= 1, gather_s(hw, n * mem.WEIGHT_BYTES / buckets, ranks,
                                             stride, fl), 0.0)
        grads, weights = buckets * g_one, buckets * w_one
        last = g_one if opt.overlap else 0.0      # the last bucket has no compute after it
        total = total + _overlapped(grads, bwd_mb, opt.compute_slowdown, opt.overlap) \
            + last + _overlapped(weights, fwd_mb, opt.compute_slowdown, opt.overlap)
    return np.where(zero >= 3, 0.0, total)


def fsdp_units(params: dict, layers, opt: ShardingOptions) -> np.ndarray:
    """Gather units per stage: one per layer (FSDP / DeepSpeed per-module wrapping), or
    the stage's weights cut into ``bucket_bytes`` pieces."""
    if opt.bucket_bytes is None:
        return np.asarray(layers, dtype=float)
    local = (params["dense"] + params["expert"]) * mem.WEIGHT_BYTES
    return np.maximum(np.ceil(local / opt.bucket_bytes), 1.0)


def fsdp_dp_s(hw: Any, p: dict, params: dict, layers, fwd_mb, bwd_mb,
              opt: ShardingOptions) -> np.ndarray:
    """ZeRO-3 / FSDP / HSDP: per micro-batch, each unit's weights gathered in forward and
    again in backward, its gradients reduce-scattered; a gather overlaps the previous
    unit's compute when prefetching. HSDP adds one all-reduce of the gradient shards
    across the replica groups per step. s per step."""
    tp, cp, dp, ep, zg, m = p["tp"], p["cp"], p["dp"], p["ep"], p["zg"], p["m"]
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
    cf, cb = fwd_mb / units, bwd_mb / units
    slow = opt.compute_slowdown
    if opt.overlap and opt.prefetch > 0:
        fwd = a + units * (np.maximum(a - cf, 0.0) + slow * np.minimum(a, cf))
        bwd = a + r + units * (np.maximum(a + r - cb, 0.0) + slow * np.minimum(a + r, cb))
    else:
        fwd, bwd = units * a, units * (a + r)
    replicas = _overlapped(hsdp, bwd_mb, slow, opt.overlap)
    return np.where(p["zero"] >= 3, m * (fwd + bwd) + np.where(zg < dp, replicas, 0.0), 0.0)


def fsdp_buffer_bytes(params: dict, layers, zero, opt: ShardingOptions) -> np.ndarray:
    """Gathered-weight buffers of the unit computing and the ``prefetch`` units ahead,
    plus its unsharded gradients, bytes (ZeRO-3 only)."""
    unit = (params["dense"] + params["expert"]) / fsdp_units(params, layers, opt)
    buf = (1 + opt.prefetch) * unit * mem.WEIGHT_BYTES + unit * SHARDED_GRAD_BYTES
    return np.where(np.asarray(zero) >= 3, buf, 0.0)


def dp_comm_s(hw: Any, p: dict, params: dict, layers, fwd_mb, bwd_mb,
              opt: ShardingOptions) -> np.ndarray:
    """Exposed data-parallel communication per step, s, for every ZeRO stage."""
    return bucketed_dp_s(hw, p, params, fwd_mb, bwd_mb, opt) \
        + fsdp_dp_s(hw, p, params, layers, fwd_mb, bwd_mb, opt)
