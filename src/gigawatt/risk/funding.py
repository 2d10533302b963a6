"""The funding gap of a plan in a drawn world (outcome ``funding_gap_usd``, milestones
``funded_through_end`` and "the money lasts to phase 3").

The plan's finance flows (:mod:`gigawatt.finance.flows`) are read once; each draw scales
them with what the risk model already draws: accelerator capex by the price factors of
the batches bought each year, revenue, energy and hardware support by the share of the
planned accelerators actually online each year (delays), and every equity and loan
amount by the budget factor (the partners' money falls short as the budget does).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..finance.cashflow import money_by_year
from ..finance.flows import PlanFlows
from ..financing import Financing
from .outcomes import PlanArrays, _online, batch_delay
from .world import World

NAMES = ("funding_gap_usd", "first_shortfall_year", "funded_through_end")


@dataclass(frozen=True, eq=False)
class FundingModel:
    """What the funding outcomes need: the plan's flows, its financing, the years."""

    flows: PlanFlows
    financing: Financing
    life_years: float
    end_year: int

    @property
    def never_short_year(self) -> float:
        """The value of ``first_shortfall_year`` when the money never runs out."""
        return float(self.flows.years[-1] + 1)

    def evaluate(self, arr: PlanArrays, world: World) -> np.ndarray:
        """(funding gap USD, first shortfall year, 1 if funded through the end else 0)."""
        share = online_share(self.flows.years, arr, world)
        flows = perturbed_flows(self.flows, arr, world, share)
        pos = money_by_year(flows, self.financing, life_years=self.life_years,
                            funding_scale=world.budget_factor, capacity_share=share)["position"]
        years = self.flows.years
        short = np.nonzero(pos < 0)[0]
        first = float(years[short[0]]) if len(short) else self.never_short_year
        gap = float(max(0.0, -pos.min()))
        return np.array([gap, first, float(first > self.end_year)])


def online_share(years: np.ndarray, arr: PlanArrays, world: World) -> np.ndarray:
    """By horizon year: accelerators online in the drawn world over those planned (1 after
    the programme, and where nothing is planned)."""
    planned = _online(arr, np.zeros_like(arr.new)).sum(axis=(1, 2, 3))
    drawn = _online(arr, batch_delay(arr, world)).sum(axis=(1, 2, 3))
    share = np.ones(len(years))
    idx = np.searchsorted(years, arr.years)
    share[idx] = np.divide(drawn, planned, out=np.ones_like(drawn), where=planned > 0)
    return share


def perturbed_flows(flows: PlanFlows, arr: PlanArrays, world: World, share: np.ndarray
                    ) -> PlanFlows:
    """The flows with drawn accelerator prices (capex) and online shares ``share`` by year
    (energy and hardware support)."""
    price = np.array([world.accelerator_price_factor.get(a, 1.0) for a in arr.accelerators])
    spend = np.einsum("ysa,a->y", arr.new, arr.capex_usd_per_accelerator)
    drawn = np.einsum("ysa,a->y", arr.new, arr.capex_usd_per_accelerator * price)
    factor = np.ones(len(flows.years))
    idx = np.searchsorted(flows.years, arr.years)
    factor[idx] = np.divide(drawn, spend, out=np.ones_like(drawn), where=spend > 0)
    capex = {**flows.capex_usd, "accelerators": flows.capex_usd["accelerators"] * factor}
    return replace(flows, capex_usd=capex,
                   opex_energy_usd=flows.opex_energy_usd * share
                   * world.electricity_price_factor,
                   opex_support_usd=flows.opex_support_usd * share)


__all__ = ["FundingModel", "NAMES", "online_share", "perturbed_flows"]
