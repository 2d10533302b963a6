"""Hot spares and the repair pipeline.

A hardware failure takes its node(s) out of the job; each is swapped for a hot spare and
sent to repair. Repaired nodes return to the spare pool. With a limited repair capacity
(parallel repair slots) repairs queue FIFO: that is the one part of the simulator whose
state is advanced event by event.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SparePool:
    """Outcome of the spare pool for a stream of failure events.

    Attributes
    ----------
    ready_h : per event, when all nodes it needs are available (its time if none needed).
    unit_fail_h, unit_served_h, unit_repaired_h : per failed node: when it failed, when its
        replacement arrived, when it returned from repair (hours).
    """

    ready_h: np.ndarray
    unit_fail_h: np.ndarray
    unit_served_h: np.ndarray
    unit_repaired_h: np.ndarray

    @property
    def wait_h(self) -> float:
        """Total node-hours spent waiting for a spare."""
        return float((self.unit_served_h - self.unit_fail_h).sum())


def auto_spares(mean_in_repair: float, var_in_repair: float, windows: float,
                miss: float = 0.05) -> int:
    """Hot spare nodes that cover the nodes in repair over a whole run.

    Nodes in repair form an M/G/infinity population (mean ``mean_in_repair``, variance
    ``var_in_repair``, larger than the mean when one event takes out several nodes). Over
    ``windows`` independent repair periods, the pool runs dry with probability about
    ``miss`` when it holds the mean plus z standard deviations, with the Gaussian tail
    exp(-z^2 / 2) = miss / windows.
    """
    if mean_in_repair <= 0:
        return 0
    z = math.sqrt(2.0 * math.log(max(windows, 1.0) / miss))
    return int(math.ceil(mean_in_repair + z * math.sqrt(var_in_repair)))


def repair_done(fail_h: np.ndarray, duration_h: np.ndarray, capacity: int | None) -> np.ndarray:
    """Repair completion times with ``capacity`` parallel slots (None: unlimited), FIFO."""
    if capacity is None or capacity >= fail_h.size:
        return fail_h + duration_h
    free = [0.0] * capacity
    out = np.empty(fail_h.size)
    for i, (t, d) in enumerate(zip(fail_h.tolist(), duration_h.tolist())):
        start = max(t, heapq.heappop(free))
        out[i] = start + d
        heapq.heappush(free, start + d)
    return out


def serve(time_h: np.ndarray, units: np.ndarray, repair_mean_h: np.ndarray, spares: int,
          capacity: int | None, rng: np.random.Generator) -> SparePool:
    """Match failed nodes to spares, FIFO.

    Parameters
    ----------
    time_h : sorted event times, hours.
    units : nodes each event takes out of service (0 for a restart-only fault).
    repair_mean_h : mean repair time per event, hours (repair times are exponential).
    spares : hot spare nodes at the start.
    capacity : parallel repair slots (None: unlimited).
    """
    owner = np.repeat(np.arange(time_h.size), units)
    fail = time_h[owner]
    repaired = repair_done(fail, rng.exponential(1.0, owner.size) * repair_mean_h[owner],
                           capacity)
    supply = np.sort(repaired)
    k = np.arange(owner.size)
    # the k-th node to fail gets the k-th spare to become free: one of the initial
    # spares, or the (k - spares)-th node to come back from repair
    served = fail.copy()
    late = k >= spares
    if late.any():
        served[late] = np.maximum(fail[late], supply[k[late] - spares])
    ready = time_h.copy()
    if owner.size:
        np.maximum.at(ready, owner, served)
    return SparePool(ready, fail, served, repaired)


def counts_at(edges_h: np.ndarray, pool: SparePool, spares: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes in repair and hot spares available at each time in ``edges_h``."""
    failed = np.searchsorted(np.sort(pool.unit_fail_h), edges_h, side="right")
    served = np.searchsorted(np.sort(pool.unit_served_h), edges_h, side="right")
    back = np.searchsorted(np.sort(pool.unit_repaired_h), edges_h, side="right")
    return failed - back, spares - served + back
