"""Speed of the operations simulator (`make bench`): prints a markdown table.

* the event core on 1,000,000 accelerators for 365 days (target: under 2 s, one core),
  per recovery mode, median of 5 runs of ``sim_wall_s``;
* the straightforward SimPy model of the same cluster (benchmarks/simpy_model.py) on the
  same input, and the speed ratio (target: >= 10x);
* the whole ``gigawatt simulate`` process for that case (target: under 3 s);
* a cross-check that both models agree (ETTR, interruptions).
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import gigawatt as gw  # noqa: E402
import simpy_model  # noqa: E402

GPUS, DAYS = 1_000_000, 365


def core(recovery: str, repeats: int = 5) -> tuple[float, float, object]:
    runs = [gw.ops.simulate(GPUS, DAYS, seed=s, recovery=recovery) for s in range(repeats)]
    walls = [r.sim_wall_s for r in runs]
    return statistics.median(walls), max(walls), runs[0]


def cli(repeats: int = 3) -> list[float]:
    exe = ROOT / ".venv" / "bin" / "gigawatt"
    cmd = [str(exe) if exe.exists() else "gigawatt", "simulate", "--gpus", str(GPUS),
           "--days", str(DAYS), "--seed", "0", "--json"]
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    gw.ops.simulate(16384, 5, seed=0)  # warm imports and the catalog
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.2f}")
    print()
    print("| case | median s | max s | ETTR | unexpected interruptions |")
    print("| --- | --- | --- | --- | --- |")
    med = {}
    for rec in ("restart", "in-memory", "elastic"):
        m, mx, r = core(rec)
        med[rec] = m
        print(f"| gigawatt core, 1M GPUs x 365 d, {rec} | {m:.3f} | {mx:.3f} | {r.ettr:.4f} | "
              f"{r.interruptions['unexpected']:,} |")
    s = simpy_model.run(GPUS, DAYS, seed=0)
    print(f"| SimPy model, 1M GPUs x 365 d, restart | {s['sim_wall_s']:.2f} | (1 run) | "
          f"{s['ettr']:.4f} | {s['unexpected']:,} |")
    c = cli()
    print(f"| whole `gigawatt simulate` process, 1M x 365 d | {statistics.median(c):.2f} | "
          f"{max(c):.2f} | | |")
    print()
    print(f"SimPy / gigawatt core (restart): {s['sim_wall_s'] / med['restart']:.0f}x")
    print()
    print("Cross-check on 16,384 GPUs x 365 days (same seeds, different random streams):")
    for seed in range(3):
        a = gw.ops.simulate(16384, 365, seed=seed)
        b = simpy_model.run(16384, 365, seed=seed)
        print(f"- seed {seed}: gigawatt ETTR {a.ettr:.4f}, {a.interruptions['unexpected']} "
              f"interruptions; SimPy ETTR {b['ettr']:.4f}, {b['unexpected']} interruptions")


if __name__ == "__main__":
    main()
