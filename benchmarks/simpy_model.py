"""A straightforward SimPy model of the same cluster, for the speed comparison.

The textbook way: one SimPy process per node draws its time to failure, interrupts the
training job and takes hot spares from a ``Container``; one process per repair returns
the nodes to the pool; the job process computes, checkpoints, and on an interrupt rolls
back to its last checkpoint, waits for detection, for its replacement nodes and for the
restart. Same failure model, spares and recovery semantics as ``gigawatt.ops.simulate``
with ``recovery="restart"`` (exponential lifetimes, synchronous checkpoints, unlimited
repair capacity), so the two can be compared on the same input.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import simpy

import gigawatt as gw
from gigawatt.ops import load_failure_model


class Cluster:
    """State shared by the processes: the job, the spare pool and pending replacements."""

    def __init__(self, env: simpy.Environment, spares: int) -> None:
        self.env = env
        self.pool = simpy.Container(env, init=max(spares, 0), capacity=math.inf)
        self.pending = 0
        self.all_ready = env.event()
        self.job: simpy.Process | None = None
        self.interruptions = 0
        self.planned = 0
        self.useful_h = 0.0

    def replacement_done(self) -> None:
        self.pending -= 1
        if self.pending == 0:
            self.all_ready.succeed()
            self.all_ready = self.env.event()


def node(env, c: Cluster, rate_h: float, probs, units, repair_h, rng) -> Any:
    """One node: fails, interrupts the job, takes spares, sends itself to repair."""
    while True:
        yield env.timeout(rng.exponential(1.0 / rate_h))
        k = rng.choice(len(probs), p=probs)
        c.interruptions += 1
        if c.job.is_alive:
            c.job.interrupt("failure")
        if units[k]:
            c.pending += 1
            env.process(replace(env, c, int(units[k]), repair_h[k], rng))


def replace(env, c: Cluster, n: int, mean_h: float, rng) -> Any:
    """Send the ``n`` failed nodes to repair and take ``n`` spares (waiting if the pool
    is empty)."""
    for _ in range(n):
        env.process(repair(env, c, mean_h * rng.exponential(1.0)))
    yield c.pool.get(n)
    c.replacement_done()


def repair(env, c: Cluster, duration_h: float) -> Any:
    yield env.timeout(duration_h)
    yield c.pool.put(1)


def planned(env, c: Cluster, per_h: float, rng) -> Any:
    while per_h > 0:
        yield env.timeout(rng.exponential(1.0 / per_h))
        c.planned += 1
        if c.job.is_alive:
            c.job.interrupt("planned")


def job(env, c: Cluster, p: dict[str, float]) -> Any:
    """Compute tau, write a checkpoint, repeat; on an interrupt recover and roll back."""
    cause = None
    while True:
        try:
            if cause is not None:
                if cause == "failure":
                    yield env.timeout(p["detect_h"])
                while c.pending:
                    yield c.all_ready
                yield env.timeout(p["restart_h"])
                cause = None
            start = env.now
            yield env.timeout(p["tau_h"])
            yield env.timeout(p["write_h"])
            c.useful_h += p["tau_h"]
        except simpy.Interrupt as irq:
            if cause is None and irq.cause == "planned":
                c.useful_h += max(0.0, min(env.now - start, p["tau_h"]))
            cause = irq.cause if cause != "failure" else "failure"


def run(gpus: int, days: float, seed: int = 0, **kw: Any) -> dict[str, Any]:
    """Simulate with SimPy; parameters are those ``gigawatt.ops.simulate`` resolves for
    the same input (``kw``: its checkpoint_interval_min, restart_min, spare_nodes)."""
    ref = gw.ops.simulate(gpus, days, seed=seed, timestep_min=1440, **kw)  # resolved inputs
    t0 = time.perf_counter()
    ck = ref.checkpoint
    m = load_failure_model()
    nodes = -(-gpus // m.gpus_per_node)
    rates = np.array([c.rate_per_node_day for c in m.causes]) / 24.0
    units = np.array([c.nodes_affected if c.replace else 0 for c in m.causes])
    repair_h = np.array([c.repair_h for c in m.causes])
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    c = Cluster(env, ref.spare_nodes)
    p = {"detect_h": ck["detect_min"] / 60, "restart_h": ck["restart_min"] / 60,
         "tau_h": ck["interval_min"] / 60, "write_h": ck["blocking_write_min"] / 60}
    c.job = env.process(job(env, c, p))
    for _ in range(nodes):
        env.process(node(env, c, rates.sum(), rates / rates.sum(), units, repair_h, rng))
    env.process(planned(env, c, m.planned_per_day / 24.0, rng))
    env.run(until=days * 24.0)
    return {"ettr": c.useful_h / (days * 24.0), "unexpected": c.interruptions,
            "planned": c.planned, "sim_wall_s": time.perf_counter() - t0}


if __name__ == "__main__":
    import sys

    print(run(int(sys.argv[1]) if len(sys.argv) > 1 else 16384,
              float(sys.argv[2]) if len(sys.argv) > 2 else 54))
