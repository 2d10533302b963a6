"""gigawatt.risk: Monte Carlo over a scenario's uncertainties, on a local pool or on Ray.

``build_model(scenario, catalog, fixed_plan=...)`` solves the base plan and returns the
world model; ``run_risk(model, model.uncertainties, draws=..., seed=...)`` samples the
draws (draw ``i`` seeded by ``SeedSequence(seed).spawn(draws)[i]``), evaluates them on an
executor and returns a :class:`RiskResult` (percentiles, milestone odds, tornado, draws).
"""

from __future__ import annotations

from .distributions import quantile, sample
from .executors import EXECUTORS, ExecutorError, LocalExecutor, RayExecutor, get_executor
from .model import FixedPlanModel, ResolveModel, build_model
from .result import Milestone, RiskResult
from .run import run_risk
from .world import World, apply_world, world_from_vector

__all__ = ["build_model", "run_risk", "RiskResult", "Milestone", "FixedPlanModel",
           "ResolveModel", "World", "apply_world", "world_from_vector", "quantile", "sample",
           "get_executor", "EXECUTORS", "ExecutorError", "LocalExecutor", "RayExecutor"]
