"""Synthetic planner inputs of any size, for tests and the speed benchmark.

The numbers are plausible (an H100-like accelerator costs about 45,000 USD all-in and
draws 1.2 kW), drawn from a seeded ``numpy.random.Generator``; they are not facts about
any real programme.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .inputs import PlanInputs

VENDORS = ("nvidia", "amd", "google", "aws")
SUPPLIERS = ("sk-hynix", "samsung", "micron")


def _accelerators(rng: np.random.Generator, n: int, years: pd.Index) -> pd.DataFrame:
    ids = [f"acc-{i:02d}" for i in range(n)]
    gen = rng.integers(0, 3, n)  # three generations, each ~2.5x faster than the last
    peak = 1e15 * 2.5 ** gen * rng.uniform(0.8, 1.2, n)
    mfu = rng.uniform(0.3, 0.45, n)
    per_unit = np.where(gen == 2, 72, 8)
    return pd.DataFrame({
        "vendor": [VENDORS[i % len(VENDORS)] for i in range(n)],
        "system": [f"sys-{i:02d}" for i in range(n)],
        "accelerators_per_unit": per_unit,
        "capex_usd_per_accelerator": 45_000 * 1.6 ** gen * rng.uniform(0.7, 1.1, n),
        "it_power_w": 1200 * 1.4 ** gen, "peak_flop_per_s": peak, "mfu": mfu,
        "effective_flop_per_s": peak * mfu, "hbm_gb": 80 * 2.2 ** gen,
        "available_from": years[0] + gen * max(1, len(years) // 4),
        "available_to": int(years[-1]),
    }, index=pd.Index(ids, name="accelerator"))


def _power_sources() -> pd.DataFrame:
    return pd.DataFrame({
        "kind": ["grid", "solar", "battery", "gas"],
        "capex_usd_per_kw": [300.0, 1100.0, 300.0, 1000.0],
        "capex_usd_per_kwh": [0.0, 0.0, 250.0, 0.0],
        "fixed_opex_usd_per_kw_year": [0.0, 20.0, 10.0, 20.0],
        "energy_usd_per_mwh": [np.nan, 0.0, 0.0, 45.0],
        "capacity_factor": [1.0, 0.25, 1.0, 0.9],
        "firm": [True, False, True, True],
        "lead_time_years": [1.0, 1.0, 1.0, 2.0],
        "life_years": [40.0, 30.0, 15.0, 30.0],
    }, index=pd.Index(["grid", "solar-pv", "battery", "gas-turbine"], name="source"))


def synthetic_inputs(n_sites: int = 3, n_accelerators: int = 3, n_years: int = 4,
                     seed: int = 0, start_year: int = 2025, budget_usd_per_year: float = 2e10,
                     objective: str = "max_effective_compute") -> PlanInputs:
    """A build-out of the given size: one phase per year, every limit populated.

    Parameters
    ----------
    n_sites, n_accelerators, n_years : problem size.
    seed : seed of the generator that draws the numbers.
    budget_usd_per_year : capex budget of each one-year phase, USD.
    objective : ``max_effective_compute`` or ``min_cost``.
    """
    rng = np.random.default_rng(seed)
    years = pd.Index(range(start_year, start_year + n_years), name="year")
    acc = _accelerators(rng, n_accelerators, years)
    sites = pd.Index([f"site-{i:02d}" for i in range(n_sites)], name="site")
    ramp = np.minimum(1.0, (np.arange(n_years) + 1) / max(1, n_years - 1))
    power = pd.DataFrame(np.outer(ramp, rng.uniform(300, 1500, n_sites)).round(),
                         index=years, columns=sites)
    share = pd.DataFrame(0.0, index=acc.index, columns=pd.Index(SUPPLIERS, name="supplier"))
    for i, a in enumerate(acc.index):
        share.loc[a, [SUPPLIERS[i % 3], SUPPLIERS[(i + 1) % 3]]] = 0.5
    supply = pd.DataFrame(np.nan, index=years, columns=acc.index)
    supply.iloc[:, ::2] = rng.integers(50_000, 300_000, (n_years, (n_accelerators + 1) // 2))
    hbm = pd.DataFrame(np.outer(np.linspace(1, 3, n_years), [3e7, 2e7, 1.5e7]),
                       index=years, columns=share.columns)
    src = _power_sources()
    return PlanInputs(
        scenario_id=f"synthetic-{n_sites}x{n_accelerators}x{n_years}", years=years,
        phases=pd.DataFrame({"start_year": years, "end_year": years,
                             "budget_usd": budget_usd_per_year},
                            index=pd.Index([f"y{y}" for y in years], name="phase")),
        accelerators=acc, hbm_share=share, supply_cap=supply,
        sites=pd.DataFrame({"pue": rng.uniform(1.1, 1.4, n_sites),
                            "electricity_usd_per_mwh": rng.uniform(40, 90, n_sites),
                            "land_m2": rng.uniform(2e6, 8e6, n_sites)}, index=sites),
        site_power_mw=power, power_sources=src,
        site_sources=pd.DataFrame(True, index=sites, columns=src.index),
        hbm_supply_gb=hbm,
        existing=pd.DataFrame(columns=["site", "accelerator", "count", "installed_year"]),
        training=pd.DataFrame({"model": ["ref"], "tokens": [1.5e13],
                               "deadline_year": [int(years[-1])], "max_days": [90.0]},
                              index=pd.Index(["frontier-run"], name="workload")),
        training_tokens_per_s_per_gpu=pd.DataFrame(
            {"frontier-run": acc.effective_flop_per_s / (6 * 4e11)}),
        inference_demand_tokens_per_s=pd.DataFrame(
            {"chat": np.r_[0.0, np.linspace(1e6, 4e6, n_years)[1:]] * (years >= years[0] + 2)},
            index=years),
        inference_tokens_per_s_per_gpu=pd.DataFrame(
            {"chat": acc.effective_flop_per_s / 1e12 * 1.5}),
        facility={"capex_usd_per_mw": 12e6, "build_years": 1.5, "land_m2_per_mw": 3000.0,
                  "opex_fraction_per_year": 0.03, "hardware_support_fraction_per_year": 0.05,
                  "average_load_fraction": 0.75},
        discount_rate=0.08, hardware_life_years=5, vendor_max_share=0.7,
        objective=objective, reference_model="ref")
