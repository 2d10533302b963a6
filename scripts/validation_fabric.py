"""The fabric bill of materials vs the published H100 + InfiniBand cluster cost sheet the
catalog cites (h100-cluster-cost-sheet, Aug 2024: 64-port 400G switches at $36k, 8 x 400G
per 8-GPU node): prints the "## Network fabric" section of docs/validation.md from the same
code tests/validation/test_fabric.py runs.

The switch count comes from the topology alone (rail-optimised folded Clos of 64-port
switches, :mod:`gigawatt.fabric`); the switch price is the sheet's unit price; the
link price is the sheet's 3-tier figure ($3,800 per GPU / 3 links), so the 1- and 2-tier
rows check the link counting and the 3-tier rows agree by construction.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "validation" / "data" / "fabric_cost_sheet.csv"
#: each row's switch count, switch capex and optics capex within this fraction
TOLERANCE = 0.05


def run(catalog: Any = None) -> list[dict[str, Any]]:
    """Each row of the sheet beside the sized fabric."""
    from gigawatt.catalog import load_catalog
    from gigawatt.fabric import fabric_spec, size_fabric

    spec = fabric_spec(catalog or load_catalog(), "h100-sxm")
    out = []
    with open(DATA, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            t = size_fabric(spec, int(row["gpus"]))
            pub = {k: float(row[k]) for k in ("switches", "switch_usd",
                                               "connectors_and_cables_usd")}
            got = {"switches": t.switches, "switch_usd": t.capex_usd["switches"],
                   "connectors_and_cables_usd": t.capex_usd["optics_and_cables"]}
            out.append({"gpus": int(row["gpus"]), "tiers": t.tiers, "published": pub,
                        "predicted": got, "error": {k: got[k] / pub[k] - 1 for k in pub}})
    return out


def markdown(rows: list[dict[str, Any]]) -> str:
    """The "## Network fabric" section."""
    worst = max(abs(e) for r in rows for e in r["error"].values())
    lines = ["## Network fabric", "",
             "`gigawatt.fabric.size_fabric` for H100 (ib-ndr, Quantum-2 64-port "
             "switches, 8 rails) against the cluster cost sheet the catalog cites "
             "(`h100-cluster-cost-sheet`, Aug 2024). Switch counts come from the topology "
             "alone; link price is the sheet's 3-tier figure, so 1- and 2-tier rows check "
             f"the link count. Tolerance {TOLERANCE:.0%} per quantity; worst {worst:.1%}.",
             "", "| GPUs | tiers | switches (sheet) | switches | switch USD error | optics "
             "and cables USD (sheet) | predicted | error |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        p, g, e = r["published"], r["predicted"], r["error"]
        lines.append(f"| {r['gpus']:,} | {r['tiers']} | {p['switches']:,.0f} | "
                     f"{g['switches']:,} | {e['switch_usd']:+.1%} | "
                     f"{p['connectors_and_cables_usd']:,.0f} | "
                     f"{g['connectors_and_cables_usd']:,.0f} | "
                     f"{e['connectors_and_cables_usd']:+.1%} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    print(markdown(run()))


if __name__ == "__main__":
    main()
