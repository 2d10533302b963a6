"""The build-out planner (linopy + HiGHS): what to build, where, when, for how much.

``plan_scenario(scenario)`` runs the whole chain: capability tables from the performance
models -> :class:`PlanInputs` -> ``build_model`` -> ``solve`` -> :class:`PlanResult`.
Each step is its own function so the risk layer can perturb a ``PlanInputs`` and solve
again, or evaluate a fixed plan under other inputs (:func:`evaluate_plan`).
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

from ..cache import resolve_cache_dir
from ..catalog import Catalog, load_catalog
from ..lazy import lazy_getattr
from ..scenario import Scenario, load_scenario
from .capability import Capability, capability_for
from .evaluate import evaluate_plan
from .inputs import PlanInputs, plan_inputs
from .reserve import settle_contingency
from .result import PlanResult, read_result
from .solve import WarmStart, hourly_scenario, solve_inputs

#: the linopy formulation (the readable reference; importing linopy costs ~0.5 s)
__getattr__ = lazy_getattr(__name__, {"build_model": "model", "solve_model": "model"})


def optimise(inputs: PlanInputs, *, time_limit_s: float = 60.0, mip_rel_gap: float = 1e-5,
             exact: bool = False, warm: WarmStart | None = None,
             relaxation: bool = False) -> PlanResult:
    """Solve a build-out given its input tables.

    Parameters
    ----------
    inputs : the planner's tables (see :class:`PlanInputs`).
    time_limit_s : solver wall-time limit per solve, s.
    mip_rel_gap : relative optimality gap at which the MILP stops.
    exact : solve the full MILP rather than LP relaxation + rounding (see
        :func:`gigawatt.plan.solve.solve_inputs`).
    warm : a basis to start the LP from (see :class:`gigawatt.plan.solve.WarmStart`);
        the result is the same as without it, to the solver's tolerance.
    relaxation : stop at the LP relaxation (fractional deployable units, no rounding
        MIP: the what-if workbench's fast answer; ``rounding_gap`` 0 and a note say so).

    With ``inputs.n_plus_one`` the plan is re-solved until each site's reserve holds the
    largest on-site unit it builds, from ``inputs.contingency_mw`` as the first guess
    when given (:func:`gigawatt.plan.reserve.settle_contingency`);
    ``result.contingency_mw`` and ``result.contingency_source`` are the settled units.
    """
    t0 = time.perf_counter()

    def solve(x: PlanInputs, start: WarmStart | None, lp_only: bool = False) -> Any:
        return solve_inputs(x, time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap,
                            exact=exact, warm=start, lp_only=lp_only)

    if inputs.n_plus_one:  # settle the N+1 units on the LP relaxation, then round once
        lp = settle_contingency(inputs, solve(inputs, warm, True),
                                lambda x, start: solve(x, start, True))
        inputs, warm = lp[0], lp[1].start
    if relaxation:
        inputs, s = settle_contingency(inputs, solve(inputs, warm, True),
                                       lambda x, start: solve(x, start, True))
    else:  # whole units move the load a little: re-settle only if the rounded plan's
        # own largest units are no longer covered
        inputs, s = settle_contingency(inputs, solve(inputs, warm), solve)
    status = "relaxed" if s.relaxations else ("optimal" if s.condition == "optimal"
                                              else s.condition)
    result = read_result(inputs, s.decisions, status=status, binding=s.binding,
                         relaxations=s.relaxations, solve_time_s=time.perf_counter() - t0,
                         rounding_gap=abs(s.objective - s.lp_objective))
    notes = result.notes + (["LP relaxation: deployable units are fractional (gigawatt plan "
                             "rounds them to whole units, within its rounding gap)"]
                            if relaxation else [])
    return dataclasses.replace(result, warm_start=s.start, contingency_mw=inputs.contingency_mw,
                               contingency_source=inputs.contingency_source, notes=notes)


def plan_scenario(scenario: Scenario | str, catalog: Catalog | None = None, *,
                  cache_dir: Path | str | None | bool = None, training_sites: Any = None,
                  site_swing_mw: Any = None, hourly: bool = False, **kwargs) -> PlanResult:
    """Plan a scenario (object, built-in id or path) with the real performance models.

    ``cache_dir`` holds the capability tables between runs (see :func:`capability_for`):
    by default the user's cache folder, as for the CLI
    (:func:`gigawatt.cache.default_cache_dir`; ``$GIGAWATT_CACHE_DIR`` moves it),
    ``False`` for none; ``training_sites`` are placement requirements of training runs
    (see :class:`PlanInputs`; :func:`gigawatt.ops.placement.plan_with_placement` sets
    them), ``site_swing_mw`` the MW those runs can drop within seconds at each site
    (year x site, from :func:`gigawatt.ops.power_swing.scenario_swing_mw`); ``hourly``
    dispatches every hour of the year (:func:`gigawatt.plan.solve.hourly_scenario`; for
    one or a few solar sites, see :data:`gigawatt.plan.solve.HOURLY_LIMIT_SITE_HOURS`);
    other keywords go to :func:`optimise`.
    """
    cat = catalog or load_catalog()
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario, cat)
    if hourly:
        sc = hourly_scenario(sc)
    cap = capability_for(sc, cat, cache_dir=resolve_cache_dir(cache_dir))
    inputs = plan_inputs(sc, cat, cap)
    if training_sites is not None:
        inputs = dataclasses.replace(inputs, training_sites=training_sites)
    if site_swing_mw is not None:
        inputs = dataclasses.replace(inputs, site_swing_mw=site_swing_mw)
    return optimise(inputs, **kwargs)


__all__ = ["Capability", "PlanInputs", "PlanResult", "WarmStart", "build_model",
           "capability_for", "evaluate_plan", "hourly_scenario", "optimise", "plan_inputs",
           "plan_scenario", "solve_inputs", "solve_model"]
