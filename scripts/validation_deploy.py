"""Deployment sizing vs reported deployments: prints the markdown section
"## Deployment sizing" of docs/validation.md, from the same code that
tests/validation/test_deploy.py runs.

Each case sizes a reported deployment with ``gigawatt size`` (``gigawatt.plan.sizing.size``,
built on ``gigawatt.deploy.size_deployment``) from catalog facts only, and compares one
predicted figure with the reported one. No per-case tuning: every case uses the catalog's
default rows (all-in power per accelerator, PUE of the site's cooling, prices). Misses are
reported as misses.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import gigawatt as gw  # noqa: E402
from gigawatt.plan.sizing import size  # noqa: E402

KRW_PER_USD = 1390.0  # the catalog's own conversion (h100-sxm price note)


@dataclass(frozen=True)
class Case:
    """A reported deployment figure and how the model predicts it."""

    id: str
    name: str
    reported: float
    unit: str
    source: str
    predict: Callable[[gw.Catalog], float]
    tolerance: float = 0.20
    held_out: bool = False
    note: str = ""


def _facility_mw(cat: gw.Catalog, parts: list[tuple[str, int]], site: str | None) -> float:
    return sum(size(cat, a, n, site).deployment.facility_power_mw for a, n in parts)


def _capex_per_gw_usd(cat: gw.Catalog, acc: str, site: str) -> float:
    """Total capex (systems, network, hall, power) of 1 GW of facility power, USD."""
    probe = size(cat, acc, 100_000, site)
    count = int(round(100_000 * 1000.0 / probe.deployment.facility_power_mw))
    return size(cat, acc, count, site).capex_usd["total"]


def _hardware_usd(cat: gw.Catalog, parts: list[tuple[str, int]]) -> float:
    total = 0.0
    for a, n in parts:
        c = size(cat, a, n).capex_usd
        total += c["accelerators_and_systems"] + c["network"]
    return total


CASES: list[Case] = [
    Case("colossus-100k-generic", "xAI Colossus: 100,000 H100, facility power (system's own "
         "air cooling, generic US site)", 150, "MW",
         "Tom's Hardware 2025: 150 MW from MLGW/TVA for Colossus (xAI: 100k GPUs in 122 days)",
         lambda c: _facility_mw(c, [("h100-sxm", 100_000)], None)),
    Case("colossus-100k-memphis", "xAI Colossus: 100,000 H100, facility power at memphis-tn "
         "(catalog site: liquid-cooled halls)", 150, "MW",
         "Tom's Hardware 2025: 150 MW from MLGW/TVA",
         lambda c: _facility_mw(c, [("h100-sxm", 100_000)], "memphis-tn")),
    Case("colossus-200k", "xAI Colossus doubled: 150,000 H100 + 50,000 H200, facility power "
         "at memphis-tn", 300, "MW",
         "Tom's Hardware 2025: 150 MW grid + 150 MW Megapacks; second substation to 300 MW",
         lambda c: _facility_mw(c, [("h100-sxm", 150_000), ("h200", 50_000)], "memphis-tn"),
         held_out=True),
    Case("abilene-phase-1", "Stargate Abilene phase 1: two buildings of ~50,000 GB200 each, "
         "facility power", 200, "MW",
         "Compute Institute: phase 1, two buildings, 200+ MW energized H1 2025",
         lambda c: _facility_mw(c, [("gb200", 100_000)], "abilene-tx"), held_out=True,
         note="200+ MW is a lower bound"),
    Case("abilene-400k", "Stargate Abilene: 400,000 GB200, facility power vs the 1.2 GW site",
         1200, "MW", "Financial Times via Tom's Hardware, 24 May 2025 (400k GB200 for Abilene, "
         "1.2 GW campus)",
         lambda c: _facility_mw(c, [("gb200", 400_000)], "abilene-tx"), held_out=True,
         note="1.2 GW is the campus's power, including the 360 MW of on-site turbines; "
         "400k GPUs need not fill it"),
    Case("stargate-usd-per-gw", "Stargate: $500B for 10 GW, capex per GW of facility power "
         "(GB300 NVL72 at Abilene)", 50, "USD bn/GW",
         "OpenAI, 23 Sep 2025: 10 GW, $500B commitment",
         lambda c: _capex_per_gw_usd(c, "gb300", "abilene-tx") / 1e9, tolerance=0.30,
         held_out=True, note="the $500B is a programme figure, not only capex"),
    Case("korea-13k", "Korea 2025: 13,000 GPUs (10,000 B200 + 3,000 H200), hardware and "
         "network capex", 1.46e12 / KRW_PER_USD / 1e9, "USD bn",
         "Ministry of Science and ICT 2025: about 1.46 trillion KRW for about 13,000 GPUs",
         lambda c: _hardware_usd(c, [("b200", 10_000), ("h200", 3_000)]) / 1e9,
         tolerance=0.30, held_out=True, note="the B200/H200 split is the korea-2023 "
         "scenario's assumption"),
]


def evaluate(cat: gw.Catalog | None = None) -> list[dict]:
    """Every case with its prediction, relative error and hit/miss."""
    cat = cat or gw.load_catalog()
    out = []
    for case in CASES:
        pred = float(case.predict(cat))
        err = pred / case.reported - 1.0
        out.append({"case": case, "predicted": pred, "error": err,
                    "hit": abs(err) <= case.tolerance})
    return out


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.3g}"


def markdown(results: list[dict]) -> str:
    """The section as markdown."""
    hits = sum(r["hit"] for r in results)
    lines = ["## Deployment sizing", "",
             "`gigawatt size` (catalog facts only, no per-case tuning) against reported "
             "deployments. Produced by `scripts/validation_deploy.py`; the same cases are "
             "`tests/validation/test_deploy.py`. Held-out cases were chosen after the sizing "
             "code was written and were not used to tune it (nothing is tuned per case). "
             f"{hits} of {len(results)} within tolerance.", "",
             "| case | reported | predicted | error | tolerance | result | set | source |",
             "| --- | ---: | ---: | ---: | ---: | --- | --- | --- |"]
    for r in results:
        c = r["case"]
        note = f" ({c.note})" if c.note else ""
        lines.append(f"| {c.name}{note} | {_fmt(c.reported)} {c.unit} | "
                     f"{_fmt(r['predicted'])} {c.unit} | {r['error']:+.1%} | "
                     f"±{c.tolerance:.0%} | {'hit' if r['hit'] else '**miss**'} | "
                     f"{'held-out' if c.held_out else 'issue'} | {c.source} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    print(markdown(evaluate()))


if __name__ == "__main__":
    main()
