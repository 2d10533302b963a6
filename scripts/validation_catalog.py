"""Catalog validation: per-accelerator rows against the rack, pod and campus figures that
vendors and reports publish. Prints one markdown section for docs/validation.md.

Two kinds of case:

* ``spec``: a vendor's system-level figure (an NVL72 rack's HBM, a TPU pod's FLOP/s) that
  the per-accelerator rows must reproduce; a miss means a row is wrong.
* ``deployment``: a reported deployment (cost of a 1 GW campus, chips at a 1.2 GW site)
  against what the catalog's prices and powers imply through ``deploy.size_deployment``;
  these test the estimates, and misses are reported as misses, not tuned away.

``tests/unit/test_catalog_data.py`` runs the same cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from gigawatt import load_catalog
from gigawatt.catalog.loader import Catalog


@dataclass(frozen=True)
class Case:
    """One published figure and how the catalog reproduces it."""

    name: str
    kind: str  # "spec" | "deployment"
    published: float
    unit: str
    source: str
    model: Callable[[Catalog], float]
    tolerance: float = 0.015  # relative; within it the case is a hit


def _acc(cat: Catalog, key: str, fact: str) -> float:
    return float(getattr(cat.accelerator(key), fact))


def _gb200_gpus_at_site_mw(cat: Catalog, site_mw: float) -> float:
    """GB200 GPUs that fit a site's power at the liquid hall's PUE."""
    acc = cat.accelerator("gb200")
    pue = cat.get("coolings", "liquid").pue
    return site_mw * 1e6 / (acc.all_in_power_w * pue)


def _capex_per_gw_it_usd(cat: Catalog, key: str) -> float:
    """Up-front capex of 1 GW of IT power of one accelerator (systems, network, halls)."""
    from gigawatt.deploy import size_deployment

    count = 100_000
    dep = size_deployment(cat, key, count)
    return dep.capex_total_usd * 1000.0 / dep.it_power_mw


CASES: list[Case] = [
    Case("GB200 NVL72 HBM3e capacity", "spec", 13.4, "TB",
         "NVIDIA GB200 NVL72 product page", lambda c: 72 * _acc(c, "gb200", "hbm_gb") / 1e3),
    Case("GB200 NVL72 HBM bandwidth", "spec", 576, "TB/s",
         "NVIDIA GB200 NVL72 product page", lambda c: 72 * _acc(c, "gb200", "hbm_tb_per_s")),
    Case("GB200 NVL72 NVLink bandwidth", "spec", 130, "TB/s",
         "NVIDIA GB200 NVL72 product page",
         lambda c: 72 * 2 * _acc(c, "gb200", "scaleup_gb_per_s") / 1e3),
    Case("GB200 NVL72 FP4 (sparse)", "spec", 1440, "PFLOP/s",
         "NVIDIA GB200 NVL72 product page",
         lambda c: 72 * 2 * _acc(c, "gb200", "fp4_tflop_per_s") / 1e3),
    Case("GB200 NVL72 FP8 (sparse)", "spec", 720, "PFLOP/s",
         "NVIDIA GB200 NVL72 product page",
         lambda c: 72 * 2 * _acc(c, "gb200", "fp8_tflop_per_s") / 1e3),
    Case("GB300 NVL72 HBM3e capacity", "spec", 20.7, "TB",
         "AwesomeAgents GB300 NVL72 (NVIDIA spec)",
         lambda c: 72 * _acc(c, "gb300", "hbm_gb") / 1e3),
    Case("GB300 NVL72 FP4 (dense)", "spec", 1.1, "EFLOP/s",
         "Introl / NVIDIA GB300 NVL72", lambda c: 72 * _acc(c, "gb300", "fp4_tflop_per_s") / 1e6,
         tolerance=0.03),
    Case("DGX B200 GPU memory", "spec", 1440, "GB", "NVIDIA DGX B200 User Guide",
         lambda c: 8 * _acc(c, "b200", "hbm_gb")),
    Case("DGX H100 FP8 (sparse)", "spec", 32, "PFLOP/s", "NVIDIA DGX H100 datasheet",
         lambda c: 8 * 2 * _acc(c, "h100-sxm", "fp8_tflop_per_s") / 1e3),
    Case("TPU7x Ironwood pod FP8", "spec", 42.5, "EFLOP/s", "Google (Cloud Next 2025, CNBC)",
         lambda c: _acc(c, "tpu-ironwood", "scaleup_domain")
         * _acc(c, "tpu-ironwood", "fp8_tflop_per_s") / 1e6),
    Case("TPU v6e pod BF16", "spec", 234.9, "PFLOP/s", "Google Cloud TPU v6e documentation",
         lambda c: _acc(c, "tpu-v6e", "scaleup_domain")
         * _acc(c, "tpu-v6e", "bf16_tflop_per_s") / 1e3),
    Case("Trn2 UltraServer device memory bandwidth", "spec", 185.6, "TB/s",
         "AWS Neuron Trn2 architecture", lambda c: 64 * _acc(c, "trainium2", "hbm_tb_per_s")),
    Case("Trn2 UltraServer BF16", "spec", 40, "PFLOP/s", "AWS Neuron Trn2 architecture",
         lambda c: 64 * _acc(c, "trainium2", "bf16_tflop_per_s") / 1e3),
    Case("Capex of a 1 GW (IT) GB200 NVL72 campus", "deployment", 38, "USD bn",
         "Epoch AI data insight, 14 May 2026",
         lambda c: _capex_per_gw_it_usd(c, "gb200") / 1e9, tolerance=0.15),
    Case("GB200 GPUs at Stargate Abilene (1.2 GW)", "deployment", 400_000, "GPUs",
         "Financial Times via Tom's Hardware, 24 May 2025",
         lambda c: _gb200_gpus_at_site_mw(c, 1200), tolerance=0.15),
    Case("Oracle's Abilene GB200 order value", "deployment", 40, "USD bn",
         "Financial Times via Tom's Hardware, 24 May 2025",
         lambda c: 400_000 * c.system("gb200-nvl72").price_usd / 72 / 1e9, tolerance=0.15),
]


def evaluate(cat: Catalog | None = None) -> list[dict]:
    """Every case with the catalog's value, relative error and hit/miss."""
    cat = cat or load_catalog()
    out = []
    for case in CASES:
        model = case.model(cat)
        err = model / case.published - 1.0
        out.append({"case": case, "model": model, "error": err,
                    "hit": abs(err) <= case.tolerance})
    return out


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1e4 else f"{x:,.4g}"


def markdown(results: list[dict]) -> str:
    """The validation section as markdown."""
    lines = ["## Catalog", "",
             "Per-accelerator catalog rows against published system-level figures "
             "(`spec`), and catalog prices and powers against reported deployments "
             "(`deployment`, through `deploy.size_deployment`). Produced by "
             "`scripts/validation_catalog.py`.", "",
             "| case | kind | published | catalog | error | within | result | source |",
             "| --- | --- | ---: | ---: | ---: | ---: | --- | --- |"]
    for r in results:
        c = r["case"]
        lines.append(f"| {c.name} | {c.kind} | {_fmt(c.published)} {c.unit} | "
                     f"{_fmt(r['model'])} {c.unit} | {r['error']:+.1%} | "
                     f"±{c.tolerance:.1%} | {'hit' if r['hit'] else '**miss**'} | {c.source} |")
    hits = sum(r["hit"] for r in results)
    lines += ["", f"{hits} of {len(results)} cases within tolerance."]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(evaluate()))
