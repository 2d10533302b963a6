"""Finance vs published cost figures: prints the markdown section "## Finance" of
docs/validation.md, from the same code that tests/validation/test_finance.py runs.

Each case costs a deployment sized by ``gigawatt size`` (catalog capex and opex only) with
:mod:`gigawatt.finance.tco` at a stated cost of capital and asset lives, and compares one
figure with the published one. Nothing is tuned per case; misses are reported as misses.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import gigawatt as gw  # noqa: E402
from gigawatt.deploy import size_deployment, unit_costs  # noqa: E402
from gigawatt.finance.tco import annual_tco_usd, breakeven_usd_per_gpu_hour  # noqa: E402

EPOCH = "Epoch AI, 2026-05-14 [1]"
LATENT = "Latent Space, 2024-10 [2]"
CITATIONS = [("Epoch AI (B. Cottier, A. Michael), 'Servers account for 60% of the total cost of "
         "ownership of a one-gigawatt AI data center', 2026-05-14: GB200 NVL72, 1 GW of IT; "
         "$38B capex, $0.9B/yr opex ($0.6B energy), $8.5M per MW-year; IT 5 and facility "
         "14 years; https://epoch.ai/data-insights/ai-datacenter-cost-breakdown"),
             ("E. Cheah, '$2 H100s: How the GPU Rental Bubble Burst', Latent Space, 2024-10 "
          "(second-hand, as summarised at neighborhoodsf.com: below ~$1.65/h a new H100 "
          "never recoups its capex; above ~$2.85/h it beats a stock-market return); "
              "https://www.latent.space/p/gpu-bubble")]
#: the cost of capital of Epoch's annualisation: "CapEx annualized over each asset's
#: lifespan" (their $5B/yr of servers is ~$25B / 5 years: no rate); our reading
EPOCH_RATE = 0.0
#: a stock-market return for the "beats the stock market" price (S&P 500 long-run nominal
#: total return ~10%/yr; an assumption of this check)
STOCK_RATE = 0.10


def _gw(cat: gw.Catalog):
    """GB200 NVL72 deployment with 1 GW of IT power at a generic US site."""
    n = int(round(1e9 / unit_costs(cat, "gb200")["it_power_w"]))
    return size_deployment(cat, "gb200", n)


def _h100(cat: gw.Catalog):
    return size_deployment(cat, "h100-sxm", 1024)


@dataclass(frozen=True)
class Case:
    id: str
    name: str
    reported: float
    unit: str
    source: str
    predict: Callable[[gw.Catalog], float]
    tolerance: float = 0.15
    note: str = ""


CASES: list[Case] = [
    Case("epoch-tco-per-mw", "GB200 NVL72 1 GW IT: annual TCO per MW of IT, capital at "
         f"{EPOCH_RATE:.0%} over 5 / 14 years", 8.5, "M USD/MW-yr", EPOCH,
         lambda c: annual_tco_usd(_gw(c), EPOCH_RATE, 5, 14)["total"] / 1e9),
    Case("epoch-tco-per-mw-8pct", "the same with capital at 8% a year (the built-in "
         "scenarios' cost of capital)", 8.5, "M USD/MW-yr", EPOCH,
         lambda c: annual_tco_usd(_gw(c), 0.08, 5, 14)["total"] / 1e9,
         note="Epoch annualises without a rate; a financed cost is higher"),
    Case("epoch-capex-per-mw", "GB200 NVL72 1 GW IT: capex per MW of IT", 38.0, "M USD/MW",
         EPOCH, lambda c: _gw(c).capex_usd["total"] / 1e9),
    Case("epoch-energy-per-mw", "GB200 NVL72 1 GW IT: energy cost per MW-year", 0.6,
         "M USD/MW-yr", EPOCH, lambda c: _gw(c).opex_usd_per_year["energy"] / 1e9),
    Case("epoch-opex-per-mw", "GB200 NVL72 1 GW IT: all opex per MW-year", 0.9,
         "M USD/MW-yr", EPOCH, lambda c: _gw(c).opex_usd_per_year["total"] / 1e9,
         note="the catalog's hardware support (5% of hardware capex a year, an estimate) "
         "is $1.27B of our $2.2B"),
    Case("h100-never-recoups", "1,024 H100: break-even rental price over the 5-year life, "
         "no cost of capital, every hour billed", 1.65, "USD/GPU-h", LATENT,
         lambda c: breakeven_usd_per_gpu_hour(_h100(c), 0.0, 5, 14)),
    Case("h100-beats-stocks", "1,024 H100: break-even rental price over the 5-year life at "
         f"{STOCK_RATE:.0%} a year, every hour billed", 2.85, "USD/GPU-h", LATENT,
         lambda c: breakeven_usd_per_gpu_hour(_h100(c), STOCK_RATE, 5, 14),
         note="the source's price path and utilisation are not known to us"),
]

#: published H100 rental prices (one-year contracts), USD per GPU-hour
RENTAL = {"low (Oct 2025)": 1.70, "Mar 2026": 2.35, "early 2024": 2.85}
RENTAL_SOURCE = ("SemiAnalysis GPU rental index via TechReaderDaily, 2026-04-02; Latent "
                 "Space 2024-10 for early 2024")


def payback_range(cat: gw.Catalog | None = None) -> dict[str, float]:
    """Break-even H100 rental prices (USD/GPU-hour) over the 5-year depreciation life: at
    no cost of capital and at 8%, every hour billed and 70% billed."""
    d = _h100(cat or gw.load_catalog())
    return {f"r={r:.0%}, billed {u:.0%}": breakeven_usd_per_gpu_hour(d, r, 5, 14, u)
            for r in (0.0, 0.08) for u in (1.0, 0.7)}


def evaluate(cat: gw.Catalog | None = None) -> list[dict]:
    cat = cat or gw.load_catalog()
    out = []
    for case in CASES:
        pred = float(case.predict(cat))
        err = pred / case.reported - 1.0
        out.append({"case": case, "predicted": pred, "error": err,
                    "hit": abs(err) <= case.tolerance})
    return out


def markdown(results: list[dict], cat: gw.Catalog | None = None) -> str:
    hits = sum(r["hit"] for r in results)
    lines = ["## Finance", "",
             "Fully loaded cost (capital at a stated cost of capital over each asset "
             "class's life, plus opex) of deployments sized from the catalog, with "
             "`gigawatt.finance.tco`; produced by `scripts/validation_finance.py`, the same "
             "cases are `tests/validation/test_finance.py`. Nothing is tuned per case. "
             f"{hits} of {len(results)} within tolerance.", "",
             "| case | published | predicted | error | tolerance | result | source |",
             "| --- | ---: | ---: | ---: | ---: | --- | --- |"]
    for r in results:
        c = r["case"]
        note = f" ({c.note})" if c.note else ""
        lines.append(f"| {c.name}{note} | {c.reported:,.3g} {c.unit} | "
                     f"{r['predicted']:,.3g} {c.unit} | {r['error']:+.1%} | "
                     f"±{c.tolerance:.0%} | {'hit' if r['hit'] else '**miss**'} | "
                     f"{c.source} |")
    rng = payback_range(cat)
    lines += ["", "Rental price at which a 1,024-H100 cluster (catalog capex "
              "$54.5k per GPU with its hall, opex $3.3k per GPU-year) pays back within its "
              "5-year depreciation life, against published one-year H100 rental prices "
              f"({RENTAL_SOURCE}):", "",
              "| break-even case | USD/GPU-hour |", "| --- | ---: |"]
    lines += [f"| {k} | {v:.2f} |" for k, v in rng.items()]
    lines += [f"| published: {k} | {v:.2f} |" for k, v in RENTAL.items()]
    lines += [""] + [f"[{i}] {text}" + ("  " if i < len(CITATIONS) else "")
                     for i, text in enumerate(CITATIONS, 1)]
    return "\n".join(lines) + "\n"


def main() -> None:
    print(markdown(evaluate()))


if __name__ == "__main__":
    main()
