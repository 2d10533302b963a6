"""Speed of the build-out planner (`make bench`): prints a markdown table.

* ``gigawatt plan --scenario stargate --out DIR`` as a whole process (load, capability
  tables from the performance models, optimise, report): cold capability cache and warm
  (target: under 5 s);
* the in-process stages of that run (catalog + scenario, capability, build + solve +
  read, report);
* a synthetic 20 sites x 16 accelerators x 8 years problem solved (target: under 30 s),
  with its size and the rounding gap against the LP relaxation; and the same with the
  exact MILP under a time limit, for comparison.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))

import gigawatt as gw  # noqa: E402
from gigawatt.plan import capability_for, optimise, plan_inputs  # noqa: E402
from gigawatt.plan.synthetic import synthetic_inputs  # noqa: E402


def process(cache: Path, repeats: int = 3) -> list[float]:
    """Wall times of the whole `gigawatt plan` process (first run with an empty cache)."""
    exe = ROOT / ".venv" / "bin" / "gigawatt"
    out = Path(tempfile.mkdtemp()) / "report"
    env = {**os.environ, "GIGAWATT_CACHE_DIR": str(cache)}
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        subprocess.run([str(exe) if exe.exists() else "gigawatt", "plan", "--scenario",
                        "stargate", "--out", str(out), "--json"], check=True, env=env,
                       stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    shutil.rmtree(out.parent, ignore_errors=True)
    return times


def stages() -> dict[str, float]:
    """In-process stages of the stargate plan (fresh process state for capability)."""
    from gigawatt.report.plan_report import plan_document, write_plan_report

    t = {}
    t0 = time.perf_counter()
    cat = gw.load_catalog()
    sc = gw.load_scenario("stargate", cat)
    t["catalog + scenario"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    cap = capability_for(sc, cat)
    t["capability (performance models, uncached)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    r = optimise(plan_inputs(sc, cat, cap))
    t["build + solve + read (LP, rounding MILP, polish)"] = time.perf_counter() - t0
    out = Path(tempfile.mkdtemp()) / "report"
    t0 = time.perf_counter()
    write_plan_report([r], out, plan_document([r], str(out / "index.html")))
    t["report (HTML with plotly inlined, CSV, JSON)"] = time.perf_counter() - t0
    shutil.rmtree(out.parent, ignore_errors=True)
    return t


def synthetic(exact: bool = False, time_limit_s: float = 60.0) -> tuple[float, object, str]:
    inputs = synthetic_inputs(n_sites=20, n_accelerators=16, n_years=8, seed=0)
    t0 = time.perf_counter()
    r = optimise(inputs, exact=exact, time_limit_s=time_limit_s)
    return time.perf_counter() - t0, r, inputs.scenario_id


def main() -> None:
    cache = Path(tempfile.mkdtemp())
    runs = process(cache)
    shutil.rmtree(cache, ignore_errors=True)
    st = stages()
    wall, r, sid = synthetic()
    wall_exact, r_exact, _ = synthetic(exact=True, time_limit_s=30.0)
    e = r.totals["effective_exaflop_s_years"]
    e_exact = r_exact.totals["effective_exaflop_s_years"]
    print("## Build-out planner (`gigawatt plan`)\n")
    print(f"`python benchmarks/bench_plan.py` on {platform.machine()}, {os.cpu_count()} "
          f"cores, load average {os.getloadavg()[0]:.1f} at the end (shared machine: "
          "noisy).\n")
    print("| measurement | time |\n| --- | ---: |")
    print(f"| `gigawatt plan --scenario stargate --out DIR` whole process, empty capability "
          f"cache | {runs[0]:.2f} s |")
    print(f"| same, warm cache (best of {len(runs) - 1}) | {min(runs[1:]):.2f} s |")
    for name, secs in st.items():
        print(f"| stargate in-process: {name} | {secs:.2f} s |")
    print(f"| synthetic {sid} (20 sites x 16 accelerators x 8 years), default "
          f"(LP + rounding MILP + polish), status {r.status} | {wall:.2f} s |")
    print(f"| same, exact MILP (`--exact`, 30 s limit per solve), status {r_exact.status} | "
          f"{wall_exact:.2f} s |")
    print(f"\nSynthetic problem: objective {e:,.1f} effective exaFLOP/s-years by default, "
          f"{e_exact:,.1f} with the exact MILP under its time limit; rounding gap against "
          f"the LP relaxation {r.rounding_gap:.3g} objective units.")


if __name__ == "__main__":
    main()
