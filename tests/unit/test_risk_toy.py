"""Shared risk test fixtures, imported by name (``from test_risk_toy import ...``) so that
spawned pool workers and Ray workers can unpickle them: a toy world model with fault
injection, and a small scenario with one uncertainty of every kind."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gigawatt.risk.result import Milestone
from gigawatt.scenario import Uncertainty


def U(**kw) -> Uncertainty:
    base = {"id": kw.pop("id", "u"), "kind": kw.pop("kind", "mfu_factor")}
    return Uncertainty(**base, **kw)


@dataclass(frozen=True)
class ToyModel:
    """cost = 100 * price * (1 + 0.1 * delay); delivered = 10 / (1 + delay) * mfu."""

    outcome_names = ["cost_usd", "delivered_exaflops"]
    primary_outcome = "cost_usd"
    marker: str | None = None

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        price, delay, mfu = x
        return np.array([100 * price * (1 + 0.1 * delay), 10 / (1 + delay) * mfu])

    def evaluate_many(self, x: np.ndarray) -> np.ndarray:
        # fault injection: the first chunk holding a long delay kills its worker process
        if self.marker and not Path(self.marker).exists() and (x[:, 1] > 1.9).any():
            Path(self.marker).write_text(str(os.getpid()))
            os._exit(17)
        return np.array([self.evaluate(r) for r in x])

    def milestones(self):
        return [Milestone("cost_under_120", "cost_usd", 120.0, at_most=True)]


TOY_UNCS = (U(id="price", kind="accelerator_price_factor", of="x", distribution="triangular",
              min=0.8, mode=1.0, max=1.5),
            U(id="delay", kind="accelerator_delay_years", of="x", distribution="uniform",
              min=0.0, max=2.0),
            U(id="mfu", distribution="discrete", values=[0.8, 1.0], probs=[0.3, 0.7]))


SMALL = """
id: risk-small
name: Small risk test programme
start_year: 2026
end_year: 2030
phases:
  - {id: p1, start_year: 2026, end_year: 2027, budget_usd: 3.0e9}
  - {id: p2, start_year: 2028, end_year: 2030, budget_usd: 6.0e9}
sites:
  - site: abilene-tx
accelerators:
  - accelerator: h100-sxm
    available_from: 2026
    supply_cap_by_year: {2026: 10000, 2027: 20000}
  - accelerator: gb200
    available_from: 2026
    supply_cap_by_year: {2026: 5000, 2027: 20000, 2028: 40000}
hbm_supply_gb_by_year:
  sk-hynix: {2026: 3.0e6, 2027: 6.0e6, 2028: 8.0e6}
uncertainties:
  - {id: gb200-delay, kind: accelerator_delay_years, of: gb200, distribution: triangular,
     min: 0, mode: 0.25, max: 1.5}
  - {id: gb200-delay-2, kind: accelerator_delay_years, of: gb200, distribution: uniform,
     min: 0, max: 0.5}
  - {id: gb200-price, kind: accelerator_price_factor, of: gb200, distribution: lognormal,
     median: 1.0, sigma: 0.15}
  - {id: power-delay, kind: power_delay_years, of: abilene-tx, distribution: discrete,
     values: [0, 0.5, 1], probs: [0.6, 0.3, 0.1]}
  - {id: build, kind: construction_factor, distribution: uniform, min: 0.9, max: 1.4}
  - {id: elec, kind: electricity_price_factor, distribution: triangular, min: 0.8,
     mode: 1.0, max: 1.5}
  - {id: mfu, kind: mfu_factor, distribution: triangular, min: 0.8, mode: 1.0, max: 1.05}
  - {id: budget, kind: budget_factor, distribution: uniform, min: 0.5, max: 1.1}
  - {id: fail, kind: failure_rate_factor, distribution: lognormal, median: 1.0, sigma: 0.4}
  - {id: hbm, kind: hbm_supply_factor, of: sk-hynix, distribution: uniform, min: 0.5, max: 1.2}
"""
