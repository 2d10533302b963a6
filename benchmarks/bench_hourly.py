"""Speed of hourly dispatch (`gigawatt plan --hourly`) against representative days:
prints a markdown table (`python benchmarks/bench_hourly.py`).

* one solar-plus-battery site (32 N, capacity factor 0.27), every hour of the year, one
  and three site-years (the limit, ``HOURLY_LIMIT_SITE_HOURS``), beside the same site on
  4 representative days of 4-hour blocks; each with its solve stages (LP relaxation,
  rounding MIP, LP with the units fixed) from HiGHS's own counters;
* the built-in colossus scenario (2 sites, 2025-2028, no solar) hourly: its days are all
  alike, so they merge into one (exact) and it solves as fast as representative days;
* `gigawatt plan --scenario stargate` (default representative days) as a whole process,
  warm cache, which the hourly work must leave as it was.
"""

from __future__ import annotations

import dataclasses
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

import numpy as np  # noqa: E402

import gigawatt as gw  # noqa: E402
from gigawatt.plan import capability_for, hourly_scenario, plan_inputs  # noqa: E402
from gigawatt.plan import solve as S  # noqa: E402
from gigawatt.plan.synthetic import synthetic_inputs  # noqa: E402
from gigawatt.solar import hourly_capacity_factor, representative_days  # noqa: E402


def solar_site(n_years: int, hourly: bool):
    """A one-site synthetic programme whose only supply is solar PV and batteries."""
    inp = synthetic_inputs(n_sites=1, n_accelerators=2, n_years=n_years, seed=1,
                           objective="min_cost")
    ok = inp.site_sources.copy()
    ok[:] = False
    ok["solar-pv"] = ok["battery"] = True
    year = hourly_capacity_factor(32.0, 0.27)
    if hourly:
        cf, hours, block = year.ravel(), np.ones(8760), 1.0
    else:
        prof, w = representative_days(year, 4)
        cf, hours, block = prof.reshape(4, 6, 4).mean(axis=2).ravel(), np.repeat(w * 4, 6), 4.0
    return dataclasses.replace(inp, site_sources=ok, solar_cf=cf[None],
                               period_hours=hours[None], block_hours=block)


def timed_solve(inputs) -> tuple[float, list[float], object]:
    """Wall time of :func:`solve_inputs` and of each of its HiGHS runs."""
    runs: list[float] = []
    orig = S.Session.run

    def run(self):
        t = time.perf_counter()
        try:
            return orig(self)
        finally:
            runs.append(time.perf_counter() - t)

    S.Session.run = run
    try:
        t0 = time.perf_counter()
        solved = S.solve_inputs(inputs, time_limit_s=600.0)
        return time.perf_counter() - t0, runs, solved
    finally:
        S.Session.run = orig


def colossus_hourly() -> tuple[float, float]:
    cat = gw.load_catalog()
    sc = gw.load_scenario("colossus", cat)
    cap = capability_for(sc, cat)
    rep, _, a = timed_solve(plan_inputs(sc, cat, cap))
    hourly, _, b = timed_solve(plan_inputs(hourly_scenario(sc), cat, cap))
    assert abs(a.objective - b.objective) < 1e-6 * abs(a.objective)
    return rep, hourly


def stargate_process(repeats: int = 3) -> list[float]:
    exe = ROOT / ".venv" / "bin" / "gigawatt"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "gigawatt"]
    out = Path(tempfile.mkdtemp()) / "report"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    times = []
    for _ in range(repeats + 1):  # the first run fills the cache
        t = time.perf_counter()
        subprocess.run(cmd + ["plan", "--scenario", "stargate", "--out", str(out), "--json"],
                       check=True, env=env, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    shutil.rmtree(out.parent, ignore_errors=True)
    return times[1:]


def main() -> None:
    rows = []
    for years, hourly in ((3, False), (2, True), (3, True)):
        wall, runs, solved = timed_solve(solar_site(years, hourly))
        what = "every hour" if hourly else "4 representative days x 4-h blocks"
        rows.append((f"one solar + battery site, {what}, {years} site-years", wall,
                     " / ".join(f"{r:.2f}" for r in runs), solved.objective))
    rep, hourly = colossus_hourly()
    proc = stargate_process()
    print("## Hourly dispatch (`gigawatt plan --hourly`)\n")
    print(f"`python benchmarks/bench_hourly.py` on {platform.machine()}, {os.cpu_count()} "
          f"cores, load average {os.getloadavg()[0]:.1f} at the end.\n")
    print("| case | solve | HiGHS runs (LP / MIP / LP), s | objective |\n"
          "| --- | ---: | ---: | ---: |")
    for what, wall, runs, obj in rows:
        print(f"| {what} | {wall:.2f} s | {runs} | {obj:.6g} |")
    print(f"| colossus (2 sites, 2025-2028, no solar), representative days | {rep:.2f} s "
          "| | |")
    print(f"| colossus hourly (365 days merge into 1, exact) | {hourly:.2f} s | | |")
    print(f"| `gigawatt plan --scenario stargate --out DIR --json`, whole process, warm cache "
          f"(best of {len(proc)}) | {min(proc):.2f} s | | |")


if __name__ == "__main__":
    main()
