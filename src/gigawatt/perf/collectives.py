"""Collective communication times from message size, group size, bandwidth and latency.

Ring algorithms (as NCCL uses for large messages): an all-reduce over ``n`` ranks moves
``2 (n-1)/n`` times the message through each rank's link in ``2 (n-1)`` steps; a
reduce-scatter or all-gather moves ``(n-1)/n`` in ``n-1`` steps; an all-to-all sends
``(n-1)/n`` of the buffer. ``bw_gb_per_s`` is the achieved bus bandwidth per rank (catalog
bandwidth x family efficiency), GB/s; every function takes numpy arrays of plans.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _n(ranks: Any) -> np.ndarray:
    return np.maximum(np.asarray(ranks, dtype=float), 1.0)


def all_reduce_s(size_bytes: Any, ranks: Any, bw_gb_per_s: Any, latency_s: Any) -> np.ndarray:
    """Ring all-reduce of ``size_bytes`` per rank over ``ranks`` ranks, s (0 for 1 rank)."""
    n = _n(ranks)
    return (2 * (n - 1) / n * np.asarray(size_bytes) / (np.asarray(bw_gb_per_s) * 1e9)
            + 2 * (n - 1) * latency_s)


def reduce_scatter_s(size_bytes: Any, ranks: Any, bw_gb_per_s: Any,
                     latency_s: Any) -> np.ndarray:
    """Ring reduce-scatter of a ``size_bytes`` buffer (full size, per rank), s."""
    n = _n(ranks)
    return ((n - 1) / n * np.asarray(size_bytes) / (np.asarray(bw_gb_per_s) * 1e9)
            + (n - 1) * latency_s)


def all_gather_s(size_bytes: Any, ranks: Any, bw_gb_per_s: Any, latency_s: Any) -> np.ndarray:
    """Ring all-gather producing a ``size_bytes`` buffer on each rank, s."""
    return reduce_scatter_s(size_bytes, ranks, bw_gb_per_s, latency_s)


def all_to_all_s(size_bytes: Any, ranks: Any, bw_gb_per_s: Any, latency_s: Any) -> np.ndarray:
    """All-to-all where each rank holds ``size_bytes`` to spread over ``ranks`` ranks, s."""
    n = _n(ranks)
    return np.where(n > 1, (n - 1) / n * np.asarray(size_bytes)
                    / (np.asarray(bw_gb_per_s) * 1e9) + latency_s, 0.0)


def p2p_s(size_bytes: Any, bw_gb_per_s: Any, latency_s: Any) -> np.ndarray:
    """One point-to-point send of ``size_bytes``, s."""
    return np.asarray(size_bytes) / (np.asarray(bw_gb_per_s) * 1e9) + latency_s
