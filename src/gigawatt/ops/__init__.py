"""Operations simulator: failures, checkpoints, spares, recovery modes and power.

``gigawatt.ops.simulate(gpus, days, ...)`` returns an :class:`OpsResult`. Names are
resolved lazily so ``import gigawatt.ops`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

#: public name -> submodule that defines it
_EXPORTS: dict[str, str] = {
    "simulate": "engine",
    "OpsResult": "result",
    "Series": "result",
    "FailureModel": "failures",
    "Cause": "failures",
    "load_failure_model": "failures",
    "daly_interval": "checkpoint",
    "young_interval": "checkpoint",
    "renewal_ettr": "checkpoint",
    "MODES": "recovery",
    "simulate_plan": "plan_input",
    "PlanOpsResult": "plan_input",
    "read_plan_clusters": "plan_input",
    "simulate_jobs": "scheduler",
    "ScheduleResult": "scheduler",
    "JobSpec": "scheduler",
    "JobRun": "scheduler",
    "SCHEDULERS": "scheduler",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'gigawatt.ops' has no attribute '{name}'")


__all__ = list(_EXPORTS)
