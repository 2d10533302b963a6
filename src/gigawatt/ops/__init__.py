"""Operations simulator: failures, checkpoints, spares, recovery modes and power.

``gigawatt.ops.simulate(gpus, days, ...)`` returns an :class:`OpsResult`. Names are
resolved lazily so ``import gigawatt.ops`` stays cheap.
"""

from __future__ import annotations

from ..lazy import lazy_getattr

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


__getattr__ = lazy_getattr(__name__, _EXPORTS)


__all__ = list(_EXPORTS)
