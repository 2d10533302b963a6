"""What a fixed build plan delivers in a drawn world (vectorised numpy, ~0.1 ms a draw).

The planner's accounting (:mod:`gigawatt.plan.accounting`) turns the plan into arrays
once; each draw then only moves batches in time and scales prices:

* a batch of accelerators the plan installs in year ``y`` at site ``s`` comes online at
  ``y + D``, where ``D`` is the longest of its critical paths: the accelerator's delivery
  delay, the site's power-interconnection delay, the extra data-hall build time
  (``build_years x (construction_factor - 1)``) and an HBM shortage (a supplier covering
  only a share ``r`` of the year's HBM demand delays that year's batches by ``1 - r``
  years on average). The longest path sets the date, as on a project's critical path;
* in year ``Y`` a batch contributes the fraction ``clip(Y + 1 - y - D, 0, 1)`` of its
  rate (phased in over the year it arrives), and retires ``hardware_life_years`` later;
* accelerator capex scales with the price factor; energy opex with the electricity price
  factor and the accelerator-years actually online; hardware support with the capex of
  what is online; halls and power plants cost what the plan says.

With every delay 0 and every factor 1 the outcomes equal the planner's own accounting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..plan.accounting import Decisions, cost_by_year, fleet
from ..plan.inputs import PlanInputs
from .world import World


@dataclass(frozen=True, eq=False)
class PlanArrays:
    """A plan and its inputs as arrays (years x sites x accelerators)."""

    years: np.ndarray
    sites: list[str]
    accelerators: list[str]
    new: np.ndarray                 # (Y, S, A) accelerators installed per year
    existing_flop_per_s: np.ndarray  # (Y,) effective FLOP/s of the installed base
    capex_usd_per_accelerator: np.ndarray  # (A,)
    effective_flop_per_s: np.ndarray       # (A,) per accelerator (peak x MFU)
    it_power_w: np.ndarray                 # (A,)
    hbm_gb: np.ndarray                     # (A, H) HBM per accelerator per supplier
    hbm_supply_gb: np.ndarray              # (Y, H) NaN: no cap
    suppliers: list[str]
    build_years: float
    life_years: int
    budget_usd: float
    capex_other_usd: float          # halls + power plants
    opex_energy_usd: float
    opex_fixed_usd: float           # power O&M + hall maintenance
    opex_support_usd: float         # hardware support
    base_acc_years: float           # accelerator-years online (IT energy weight)
    base_capex_years_usd: float     # capex-weighted accelerator-years online


def plan_arrays(inputs: PlanInputs, decisions: Decisions) -> PlanArrays:
    """Read a plan (decisions) and its inputs into :class:`PlanArrays`."""
    new, _ = fleet(inputs, decisions)
    acc = inputs.accelerators
    costs = cost_by_year(inputs, decisions)
    hbm = inputs.hbm_share.mul(acc.hbm_gb, axis=0).reindex(acc.index).fillna(0.0)
    years = inputs.years.to_numpy()
    ex = np.zeros(len(years))
    life = inputs.life_years_int()
    for e in inputs.existing.itertuples():
        if e.accelerator in acc.index:
            on = (years >= e.installed_year) & (years < e.installed_year + life)
            ex += on * e.count * float(acc.effective_flop_per_s[e.accelerator])
    arr = PlanArrays(
        years=years, sites=list(inputs.sites.index), accelerators=list(acc.index), new=new,
        existing_flop_per_s=ex,
        capex_usd_per_accelerator=acc.capex_usd_per_accelerator.to_numpy(float),
        effective_flop_per_s=acc.effective_flop_per_s.to_numpy(float),
        it_power_w=acc.it_power_w.to_numpy(float), hbm_gb=hbm.to_numpy(float),
        hbm_supply_gb=inputs.hbm_supply_gb.reindex(index=inputs.years, columns=hbm.columns)
        .to_numpy(float), suppliers=list(hbm.columns),
        build_years=float(inputs.facility["build_years"]), life_years=life,
        budget_usd=float(inputs.phases.budget_usd.sum()),
        capex_other_usd=float(costs.capex_data_hall_usd.sum() + costs.capex_power_usd.sum()),
        opex_energy_usd=float(costs.opex_energy_usd.sum()),
        opex_fixed_usd=float(costs.opex_power_om_usd.sum() + costs.opex_hall_usd.sum()),
        opex_support_usd=float(costs.opex_hardware_support_usd.sum()),
        base_acc_years=0.0, base_capex_years_usd=0.0)
    online = _online(arr, np.zeros_like(new))
    return _with_base(arr, online)


def _with_base(arr: PlanArrays, online: np.ndarray) -> PlanArrays:
    from dataclasses import replace

    return replace(arr, base_acc_years=float((online * arr.it_power_w).sum()),
                   base_capex_years_usd=float((online * arr.capex_usd_per_accelerator).sum()))


def _online(arr: PlanArrays, delay: np.ndarray) -> np.ndarray:
    """Accelerators online in each programme year: (Y_eval, Y, S, A), phased in and out."""
    y_eval = arr.years[:, None, None, None].astype(float)
    start = arr.years[None, :, None, None] + delay[None]
    on = np.clip(y_eval + 1 - start, 0, 1) - np.clip(y_eval + 1 - start - arr.life_years, 0, 1)
    return on * arr.new[None]


def batch_delay(arr: PlanArrays, world: World) -> np.ndarray:
    """Delay of each batch (Y, S, A), years: the longest of its critical paths."""
    acc = np.array([world.accelerator_delay_years.get(a, 0.0) for a in arr.accelerators])
    site = np.array([world.power_delay_years.get(s, 0.0) for s in arr.sites])
    hall = arr.build_years * max(0.0, world.construction_factor - 1.0)
    d = np.maximum(acc[None, None, :], site[None, :, None])
    d = np.maximum(d, hall)
    return np.maximum(np.maximum(d, _hbm_delay(arr, world)[:, None, :]), 0.0)


def _hbm_delay(arr: PlanArrays, world: World) -> np.ndarray:
    """(Y, A) average delay from HBM shortage: 1 - the share of demand a supplier covers."""
    if not arr.suppliers:
        return np.zeros((len(arr.years), len(arr.accelerators)))
    f = np.array([world.hbm_supply_factor.get(h, 1.0) for h in arr.suppliers])
    demand = np.einsum("ysa,ah->yh", arr.new, arr.hbm_gb)
    supply = arr.hbm_supply_gb * f[None]
    with np.errstate(divide="ignore", invalid="ignore"):
        covered = np.where(np.isnan(supply) | (demand <= 0), 1.0,
                           np.minimum(1.0, supply / np.where(demand > 0, demand, 1.0)))
    short = 1.0 - covered                                   # (Y, H)
    uses = (arr.hbm_gb > 0).astype(float)                   # (A, H)
    return (short[:, None, :] * uses[None]).max(axis=2)


def outcome_names(milestone_years: Sequence[int], with_goodput: bool) -> list[str]:
    """Names (with units) of the outcomes :func:`evaluate` returns, in order."""
    names = ["total_cost_usd", "capex_usd", "budget_margin_usd", "full_capacity_year"]
    names += [f"effective_exaflops_{y}" for y in milestone_years]
    if with_goodput:
        names += ["goodput_ettr", f"goodput_exaflops_{milestone_years[-1]}"]
    return names


def evaluate(arr: PlanArrays, world: World, milestone_years: Sequence[int],
             ettr: float | None = None) -> np.ndarray:
    """Outcomes of the plan in ``world`` (order: :func:`outcome_names`).

    Parameters
    ----------
    arr : the plan as arrays.
    world : the drawn world.
    milestone_years : years whose effective exaFLOP/s (yearly average) are reported.
    ettr : effective training time ratio at the world's failure rate (None: no goodput).
    """
    delay = batch_delay(arr, world)
    online = _online(arr, delay)
    price = np.array([world.accelerator_price_factor.get(a, 1.0) for a in arr.accelerators])
    capex_acc = float((arr.new * arr.capex_usd_per_accelerator * price).sum())
    capex = capex_acc + arr.capex_other_usd
    acc_years = float((online * arr.it_power_w).sum())
    capex_years = float((online * arr.capex_usd_per_accelerator * price).sum())
    opex = (arr.opex_energy_usd * world.electricity_price_factor * _ratio(acc_years,
                                                                         arr.base_acc_years)
            + arr.opex_fixed_usd
            + arr.opex_support_usd * _ratio(capex_years, arr.base_capex_years_usd))
    built = arr.new > 0
    full = float((arr.years[:, None, None] + delay)[built].max()) if built.any() else np.nan
    model = np.array([world.accelerator_mfu_factor.get(a, 1.0) for a in arr.accelerators])
    flops = np.einsum("tysa,a->t", online, arr.effective_flop_per_s * model) * world.mfu_factor
    flops = flops + arr.existing_flop_per_s * world.mfu_factor
    at = {int(y): flops[i] / 1e18 for i, y in enumerate(arr.years)}
    eff = [at.get(int(y), np.nan) for y in milestone_years]
    out = [capex + opex, capex, arr.budget_usd * world.budget_factor - capex, full, *eff]
    if ettr is not None:
        out += [ettr, eff[-1] * ettr]
    return np.array(out, dtype=float)


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else 0.0


__all__ = ["PlanArrays", "plan_arrays", "evaluate", "outcome_names", "batch_delay"]
