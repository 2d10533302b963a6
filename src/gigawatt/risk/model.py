"""World models of a scenario for the Monte Carlo: fixed plan or re-solve per draw.

Both solve the base plan once (the planner of :mod:`gigawatt.plan`, every input at its
catalog value). :class:`FixedPlanModel` then evaluates that plan in each drawn world
(:mod:`gigawatt.risk.outcomes`, a fraction of a millisecond); :class:`ResolveModel`
writes the world into the planner's inputs, solves again, and evaluates the new plan
with what the planner's whole years could not hold (the fractional delays).
"""

from __future__ import annotations

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

    @property
    def outcome_names(self) -> list[str]:
        return outcome_names(self.years, self.ettr is not None)

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
        return out

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
        return evaluate(self.arrays, w, self.years, self.ettr_at(w))


@dataclass(frozen=True, eq=False)
class ResolveModel(_Base):
    """The plan solved again in each drawn world (the planner adapts to it)."""

    inputs: PlanInputs | None = None
    time_limit_s: float = 60.0

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        from ..plan import optimise
        from ..plan.inputs import precheck

        w = self.world(x)
        inputs, residual = apply_world(self.inputs, w)
        try:
            precheck(inputs)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                decisions = optimise(inputs, time_limit_s=self.time_limit_s).decisions
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
        return inputs, optimise(inputs).decisions


def build_model(sc: Scenario, cat: Catalog, *, fixed_plan: bool = True, seed: int = 0,
                with_goodput: bool = True, base: tuple[PlanInputs, Decisions] | None = None
                ) -> tuple[Any, list[str]]:
    """The world model of a scenario, and notes on what it leaves out.

    Parameters
    ----------
    sc, cat : the scenario and its catalog.
    fixed_plan : evaluate the base plan (True) or re-solve per draw (False).
    seed : seed of the operations simulations behind the goodput curve.
    with_goodput : compute goodput (ETTR) with the operations simulator.
    base : an already solved (inputs, decisions) to reuse.
    """
    inputs, decisions = base or base_plan(sc, cat)
    arrays = plan_arrays(inputs, decisions)
    years = milestone_years(sc)
    notes: list[str] = []
    curve = None
    if with_goodput:
        curve, why = ettr_curve(REFERENCE_CLUSTER_GPUS, sc.uncertainties, seed=seed)
        if why:
            notes.append(why)
    common = _common(sc, arrays, years, curve)
    if fixed_plan:
        return FixedPlanModel(**common, arrays=arrays), notes
    return ResolveModel(**common, inputs=inputs), notes


def _common(sc: Scenario, arrays: PlanArrays, years: Sequence[int],
            curve: EttrCurve | None) -> dict[str, Any]:
    neutral = evaluate(arrays, World(), years, None if curve is None else curve(1.0))
    names = outcome_names(years, curve is not None)
    primary = "total_cost_usd" if sc.objective == "min_cost" else f"effective_exaflops_{years[-1]}"
    return {"uncertainties": tuple(sc.uncertainties), "years": tuple(years), "ettr": curve,
            "promise": dict(zip(names, map(float, neutral))),
            "last_phase_year": sc.phases[-1].end_year, "primary_outcome": primary}


__all__ = ["FixedPlanModel", "ResolveModel", "build_model", "base_plan", "milestone_years"]
