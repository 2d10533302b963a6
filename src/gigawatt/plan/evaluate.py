"""Evaluate a fixed plan under (perturbed) inputs: what it costs, what it delivers, and
which limits it breaks, without re-optimising. Used by the risk layer."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from . import accounting as acc
from .inputs import PlanInputs
from .result import PlanResult


def evaluate_plan(result: PlanResult, inputs: PlanInputs) -> dict[str, Any]:
    """Outcomes of ``result``'s decisions under ``inputs``.

    Accelerators are installed no earlier than their availability year in ``inputs``
    (a delayed accelerator shifts the installs that depended on it), then costs, compute
    and the shortfalls against each limit are computed with the same arithmetic as the
    optimiser's read-out.

    Returns
    -------
    dict with ``capex_usd``, ``opex_usd``, ``npv_usd``, ``effective_exaflops_by_year``,
    ``effective_exaflop_s_years``, ``budget_overrun_usd`` (per phase, >= 0),
    ``site_power_shortfall_mw`` (largest over years, per site), ``supply_shortfall``
    (accelerators over a cap, per accelerator), ``training_late`` (workload -> days over
    ``max_days`` at its deadline, 0 when on time), ``feasible`` (no shortfall at all).
    """
    d = _delay(result.decisions, inputs)
    costs = acc.cost_by_year(inputs, d)
    fleet = acc.fleet_rates(inputs, d)
    sites = acc.site_table(inputs, d)
    disc = (1 + inputs.discount_rate) ** -(costs.index.to_numpy() - inputs.start_year)
    by_phase = costs.groupby("phase").capex_usd.sum()
    overrun = {p: _over(float(by_phase.get(p, 0.0)), float(b), 1e-9 * b + 1.0)
               for p, b in inputs.phases.budget_usd.items()}
    over = (sites.facility_power_mw - sites.site_limit_mw - 1e-6).clip(lower=0)
    power_short = sites.assign(over=over).groupby("site").over.max().to_dict()
    supply_short = _supply_shortfall(inputs, d)
    late = {}
    for w, t in inputs.training.iterrows():
        year = int(min(max(t.deadline_year, inputs.years[0]), inputs.years[-1]))
        rate = _tokens_per_s_at(inputs, d, w, year)
        need = t.tokens / rate / 86400.0 if rate > 0 else np.inf
        late[w] = _over(float(need), float(t.max_days), 1e-6)
    feasible = not any(v > 0 for d in (overrun, power_short, supply_short, late)
                       for v in d.values())
    return {"capex_usd": float(costs.capex_usd.sum()), "opex_usd": float(costs.opex_usd.sum()),
            "npv_usd": float(((costs.capex_usd + costs.opex_usd) * disc).sum()),
            "effective_exaflops_by_year": {int(y): float(v) for y, v in
                                           fleet.effective_exaflops.items()},
            "effective_exaflop_s_years": float(fleet.effective_exaflops.sum()),
            "budget_overrun_usd": overrun, "site_power_shortfall_mw": power_short,
            "supply_shortfall": supply_short, "training_late_days": late,
            "feasible": bool(feasible)}


def _over(value: float, limit: float, tolerance: float) -> float:
    """How far ``value`` exceeds ``limit`` (0 within the solver's float tolerance)."""
    return value - limit if value - limit > tolerance else 0.0


def _tokens_per_s_at(inputs: PlanInputs, d: acc.Decisions, workload: str, year: int) -> float:
    _, active = acc.fleet(inputs, d)
    counts = active[list(inputs.years).index(year)].sum(axis=0)
    rate = inputs.training_tokens_per_s_per_gpu[workload].reindex(
        inputs.accelerators.index).fillna(0).to_numpy()
    return float(counts @ rate)


def _delay(d: acc.Decisions, inputs: PlanInputs) -> acc.Decisions:
    """Move installs before an accelerator's (new) first year to that year; installs
    after its last year or the programme are dropped."""
    units = d.units.copy()
    if len(units):
        first = inputs.accelerators.available_from.reindex(units.accelerator).to_numpy()
        units["year"] = np.maximum(units.year.to_numpy(), first)
        units = units[units.year <= int(inputs.years[-1])]
        units = units.groupby(["year", "site", "accelerator"], as_index=False).units.sum()
    return dataclasses.replace(d, units=units)


def _supply_shortfall(inputs: PlanInputs, d: acc.Decisions) -> dict[str, float]:
    new, _ = acc.fleet(inputs, d)
    per_year = new.sum(axis=1)
    cap = inputs.supply_cap.reindex(index=inputs.years,
                                    columns=inputs.accelerators.index).to_numpy()
    over = np.where(np.isnan(cap), 0.0, np.clip(per_year - np.nan_to_num(cap) - 0.5, 0, None))
    return {a: float(over[:, j].max()) for j, a in enumerate(inputs.accelerators.index)}
