"""Speed of `gigawatt size --power-mix` (`make bench`): prints a markdown table.

The one-site power question (``gigawatt.plan.power_mix.power_mix``) at Abilene for
400,000 GB200 (836 MW of facility load, a 467 MW training swing, $50/tCO2): on 4
representative days of 4-hour blocks (the default), on every day in 4-hour blocks, and on
every hour of the year (``--hourly``).
"""

from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from gigawatt.catalog import load_catalog  # noqa: E402
from gigawatt.plan.power_mix import power_mix  # noqa: E402

CASES = [("4 representative days x 4 h", 4, 4, 5), ("365 days x 4 h", 365, 4, 1),
         ("every hour (365 x 1 h, --hourly)", 365, 1, 1)]


def main() -> None:
    cat = load_catalog()
    print(f"power mix, abilene-tx, 836 MW ({platform.machine()}, Python "
          f"{platform.python_version()})\n")
    print("| dispatch | periods | best of runs, s | all-in USD/MWh |")
    print("| --- | ---: | ---: | ---: |")
    for name, days, block, runs in CASES:
        times, r = [], None
        for _ in range(runs):
            t = time.perf_counter()
            r = power_mix(cat, "abilene-tx", 836.0, average_load_fraction=0.75,
                          swing_mw=467.0, carbon_price_usd_per_tco2=50.0,
                          representative_days=days, hours_per_block=block)
            times.append(time.perf_counter() - t)
        print(f"| {name} | {days * 24 // block:,} | {min(times):.3f} | "
              f"{r.totals['all_in_usd_per_mwh']:.2f} |")


if __name__ == "__main__":
    main()
