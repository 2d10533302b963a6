"""World models of a scenario for the Monte Carlo: fixed plan or re-solve per draw.

Both solve the base plan once (the planner of :mod:`gigawatt.plan`, every input at its
catalog value). :class:`FixedPlanModel` then evaluates that plan in each drawn world
(:mod:`gigawatt.risk.outcomes`, a fraction of a millisecond); :class:`ResolveModel`
writes the world into the planner's inputs, solves again, and evaluates the new plan
with what the planner's whole years could not hold (the fractional delays).
"""

from __future__ import annotations

import dataclasses

import warnings
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ..catalog import Catalog
from ..errors import InfeasibleError
from ..plan.accounting import Decisions
from ..plan.capability import REFERENCE_CLUSTER_GPUS
from ..plan.inputs import PlanInputs
from ..scenario import Scenario, Uncertainty
from .funding import NAMES as FUNDING_NAMES
from .funding import FundingModel
from .goodput import EttrCurve, ettr_curve
from .outcomes import PlanArrays, evaluate, outcome_names, plan_arrays
from .result import Milestone
from .world import World, apply_world, world_from_vector

#: years whose compute the issue asks about; the scenario's phase ends when outside it
DEFAULT_MILESTONE_YEARS = (2028, 2030)
#: share of the planned compute a draw must reach to count as meeting the milestone
COMPUTE_MILESTONE_SHARE = 0.9
#: one day in years: "by the end of Y" means online on 31 December of Y at the latest
ONE_DAY_YEARS = 1.0 / 365.25


def milestone_years(sc: Scenario) -> tuple[int, ...]:
    """2028 and 2030 where the programme covers them, else the phases' last years."""
    inside = tuple(y for y in DEFAULT_MILESTONE_YEARS if sc.start_year <= y <= sc.end_year)
    return inside or tuple(sorted({p.end_year for p in sc.phases}))


@dataclass(frozen=True, eq=False)
class _Base:
    """What both models share: the inputs' order, outcome names and the milestones."""

    uncertainties: tuple[Uncertainty, ...]
    years: tuple[int, ...]
    ettr: EttrCurve | None
    promise: dict[str, float]       # the base plan's outcomes in the neutral world
    last_phase_year: int
    primary_outcome: str
    funding: FundingModel | None = None
    phase_starts: tuple[tuple[str, int], ...] = ()

    @property
    def outcome_names(self) -> list[str]:
        names = outcome_names(self.years, self.ettr is not None)
        return names + list(FUNDING_NAMES) if self.funding is not None else names

    def _funding_milestones(self) -> list[Milestone]:
        if self.funding is None:
            return []
        out = [Milestone("funded_through_end", "funded_through_end", 1.0, at_most=False,
                         description="the committed equity, loans and revenue cover every "
                                     f"year to the programme's end ({self.funding.end_year})")]
        if len(self.phase_starts) >= 3:
            pid, start = self.phase_starts[2]
            out.append(Milestone(f"money_lasts_to_{pid}", "first_shortfall_year",
                                 float(start), at_most=False,
                                 description=f"the committed money does not run out before "
                                             f"phase 3 ({pid}, {start})"))
        return out

    def milestones(self) -> list[Milestone]:
        """Budget held, full capacity by the last phase, 90% of planned compute by year."""
        out = [Milestone("within_budget", "budget_margin_usd", 0.0, at_most=False,
                         description="capex within the (drawn) total budget"),
               Milestone(f"full_capacity_by_{self.last_phase_year}", "full_capacity_year",
                         self.last_phase_year + 1.0 - ONE_DAY_YEARS, at_most=True,
                         description="every planned accelerator online by the end of "
                                     f"{self.last_phase_year}")]
        for y in self.years:
            name = f"effective_exaflops_{y}"
            target = COMPUTE_MILESTONE_SHARE * self.promise[name]
            out.append(Milestone(f"compute_{y}_at_90pct_of_plan", name, target, at_most=False,
                                 description=f">= {COMPUTE_MILESTONE_SHARE:.0%} of the "
                                             f"planned {self.promise[name]:.4g} effective "
                                             f"exaFLOP/s in {y}"))
        return out + self._funding_milestones()

    def world(self, x: np.ndarray) -> World:
        return world_from_vector(self.uncertainties, x)

    def ettr_at(self, world: World) -> float | None:
        return None if self.ettr is None else self.ettr(world.failure_rate_factor)


@dataclass(frozen=True, eq=False)
class FixedPlanModel(_Base):
    """The base plan, evaluated under each drawn world."""

    arrays: PlanArrays | None = None

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        w = self.world(x)
        out = evaluate(self.arrays, w, self.years, self.ettr_at(w))
        if self.funding is None:
            return out
        return np.concatenate([out, self.funding.evaluate(self.arrays, w)])


@dataclass(frozen=True, eq=False)
class ResolveModel(_Base):
    """The plan solved again in each drawn world (the planner adapts to it)."""

    inputs: PlanInputs | None = None
    time_limit_s: float = 60.0

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        from ..plan.inputs import precheck
        from ..plan.solve import solve_inputs

        w = self.world(x)
        inputs, residual = apply_world(self.inputs, w)
        try:
            precheck(inputs)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # solved from scratch (the array model builds in tens of ms): a start
                # from another basis can land on another of equally good roundings
                decisions = solve_inputs(inputs, time_limit_s=self.time_limit_s).decisions
        except InfeasibleError:  # a world where nothing can be built: every outcome
            return np.full(len(self.outcome_names), np.nan)  # undefined, milestones missed
        return evaluate(plan_arrays(inputs, decisions), residual, self.years,
                        self.ettr_at(residual))


def base_plan(sc: Scenario, cat: Catalog) -> tuple[PlanInputs, Decisions]:
    """The scenario's planner inputs and its optimal plan (every input at its value)."""
    from ..cache import default_cache_dir
    from ..plan import capability_for, optimise, plan_inputs

    inputs = plan_inputs(sc, cat, capability_for(sc, cat, cache_dir=default_cache_dir()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = optimise(inputs)
    # a draw keeps the base plan's N+1 units (re-settling them would re-solve each draw)
    return dataclasses.replace(inputs, contingency_mw=r.contingency_mw,
                               contingency_source=r.contingency_source), r.decisions


def placed_job_gpus(sc: Scenario, cat: Catalog, inputs: PlanInputs, decisions: Decisions,
                    cache: Any = None) -> int | None:
    """Accelerators of the largest reference training run of the base plan's last phase,
    placed as `gigawatt plan` places it (None: the scenario has no training run the plan
    can place)."""
    from ..ops.placement import place_training
    from ..plan.result import read_result

    result = read_result(inputs, decisions, status="optimal", binding=[], relaxations=[])
    rows = place_training(result, sc, cat, cache=cache)
    rows = rows[rows.year == rows.year.max()] if not rows.empty else rows
    return int(rows.gpus.max()) if not rows.empty and rows.gpus.max() > 0 else None


def build_model(sc: Scenario, cat: Catalog, *, fixed_plan: bool = True, seed: int = 0,
                with_goodput: bool = True, base: tuple[PlanInputs, Decisions] | None = None,
                cache: Any = None) -> tuple[Any, list[str]]:
    """The world model of a scenario, and notes on what it leaves out.

    Parameters
    ----------
    sc, cat : the scenario and its catalog.
    fixed_plan : evaluate the base plan (True) or re-solve per draw (False).
    seed : seed of the operations simulations behind the goodput curve.
    with_goodput : compute goodput (ETTR) with the operations simulator.
    base : an already solved (inputs, decisions) to reuse.
    cache : mapping kept between calls for the placed training runs (see
        :class:`gigawatt.ops.runs.RunSearch`).

    Goodput (ETTR) is that of one synchronous job of the size the base plan's largest
    reference training run is placed on (:func:`placed_job_gpus`), or of the planner's
    16,384-accelerator reference cluster where the scenario has no training run.

    The model's uncertainties are the scenario's, with any ``mfu_factor`` replaced by the
    model error of each accelerator the base plan installs (:mod:`.model_error`); run
    :func:`run_risk` with ``model.uncertainties``.
    """
    from .model_error import with_model_error

    inputs, decisions = base or base_plan(sc, cat)
    arrays = plan_arrays(inputs, decisions)
    years = milestone_years(sc)
    bought = [a for i, a in enumerate(arrays.accelerators) if arrays.new[..., i].sum() > 0]
    uncs, notes = with_model_error(sc.uncertainties, bought, cat)
    curve = None
    if with_goodput and any(u.kind == "failure_rate_factor" for u in uncs):
        job = placed_job_gpus(sc, cat, inputs, decisions, cache) or REFERENCE_CLUSTER_GPUS
        curve, why = ettr_curve(job, uncs, seed=seed)
        if why:
            notes.append(why)
        else:
            notes.append(f"goodput: ETTR of one synchronous job of {job:,} accelerators "
                         "(the base plan's largest placed training run)")
    common = _common(sc, arrays, years, curve, uncs)
    if fixed_plan:
        funding = _funding(sc, cat, inputs, decisions, notes)
        if funding is not None:
            common["promise"].update(zip(FUNDING_NAMES,
                                         map(float, funding.evaluate(arrays, World()))))
        return FixedPlanModel(**common, arrays=arrays, funding=funding,
                              phase_starts=tuple((p.id, p.start_year) for p in sc.phases)
                              ), notes
    if sc.financing is not None:
        notes.append("funding outcomes are drawn with the fixed plan only (--fixed-plan)")
    if inputs.solar_cf is not None:
        # a draw re-solved on representative days takes ~0.2-0.9 s instead of ~0.06 s
        notes.append("re-solved draws balance power as annual energy and firm capacity, "
                     "not on the base plan's representative days (a draw's solar and "
                     "battery needs are optimistic)")
        inputs = dataclasses.replace(inputs, solar_cf=None, period_hours=None)
    return ResolveModel(**common, inputs=inputs), notes


def _funding(sc: Scenario, cat: Catalog, inputs: PlanInputs, decisions: Decisions,
             notes: list[str]) -> FundingModel | None:
    """The funding outcomes' model when the scenario has a financing block."""
    if sc.financing is None:
        return None
    from ..finance import scenario_flows
    from ..plan.result import read_result

    plan = read_result(inputs, decisions, status="optimal", binding=[], relaxations=[])
    notes.append("funding outcomes count the inference demand as fully served by the base "
                 "plan (revenue scales with the accelerators online in each draw)")
    return FundingModel(scenario_flows(sc, inputs, plan, cat), sc.financing,
                        sc.hardware_life_years, sc.end_year)


def _common(sc: Scenario, arrays: PlanArrays, years: Sequence[int],
            curve: EttrCurve | None, uncertainties: Sequence[Any]) -> dict[str, Any]:
    neutral = evaluate(arrays, World(), years, None if curve is None else curve(1.0))
    names = outcome_names(years, curve is not None)
    primary = "total_cost_usd" if sc.objective == "min_cost" else f"effective_exaflops_{years[-1]}"
    return {"uncertainties": tuple(uncertainties), "years": tuple(years), "ettr": curve,
            "promise": dict(zip(names, map(float, neutral))),
            "last_phase_year": sc.phases[-1].end_year, "primary_outcome": primary}


__all__ = ["FixedPlanModel", "ResolveModel", "build_model", "base_plan", "milestone_years"]
