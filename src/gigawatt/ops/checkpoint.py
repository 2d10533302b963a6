"""Checkpoint policy: write times, Young's and Daly's optimum intervals, and the exact
renewal-theory ETTR of a single job that the simulator is validated against.

All times in this module are in the same unit (the caller's, minutes or hours).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from ..errors import ValidationError


def young_interval(write: float, mtbi: float) -> float:
    """Young (1974): tau = sqrt(2 delta M), the first-order optimum compute interval."""
    return math.sqrt(2.0 * write * mtbi)


def daly_interval(write: float, mtbi: float) -> float:
    """Daly (2006), higher-order optimum compute time between checkpoints.

    tau = sqrt(2 delta M) [1 + (1/3) sqrt(delta/2M) + (1/9) (delta/2M)] - delta for
    delta < 2M, else M (delta: checkpoint write time, M: mean time between interrupts).
    """
    if write >= 2.0 * mtbi:
        return mtbi
    x = write / (2.0 * mtbi)
    return math.sqrt(2.0 * write * mtbi) * (1.0 + math.sqrt(x) / 3.0 + x / 9.0) - write


#: checkpoint-interval policies by name: f(write time, mean time between interrupts)
POLICIES: dict[str, Callable[[float, float], float]] = {
    "auto": daly_interval,
    "daly": daly_interval,
    "young": young_interval,
}


def choose_interval(policy: float | str, write_min: float, mtbi_min: float,
                    commit_min: float = 0.0) -> float:
    """The compute interval between checkpoints, minutes, for a policy name or a number.

    A fixed interval shorter than the time it takes to write a checkpoint is refused
    (``commit_min``: the full write time when asynchronous, else ``write_min``).
    """
    need = max(write_min, commit_min)
    if isinstance(policy, str):
        if policy not in POLICIES:
            raise ValidationError(f"{policy!r} is not allowed; allowed:"
                                  f" a number of minutes or one of {', '.join(POLICIES)}",
                                  field="checkpoint_interval_min")
        if not math.isfinite(mtbi_min):
            return math.inf
        return max(POLICIES[policy](write_min, mtbi_min), need)
    tau = float(policy)
    if not (tau > 0 and math.isfinite(tau)):
        raise ValidationError(f"{policy!r} is out of range; allowed:"
                              " > 0 minutes, or 'auto'", field="checkpoint_interval_min")
    if tau < need:
        raise ValidationError(f"{tau:g} min is shorter than the "
                              f"checkpoint write time {need:.3g} min; allowed: >= {need:.3g}",
                              field="checkpoint_interval_min")
    return tau


def renewal_ettr(rate: float, tau: float, write: float, downtime: float) -> float:
    """Exact long-run ETTR of one job under Poisson interrupts (renewal theory).

    Interrupts arrive at ``rate``; each costs ``downtime`` (restarted by an interrupt
    during it) and rolls back to the last completed checkpoint; the job computes ``tau``
    then blocks ``write`` per checkpoint. Each gap g ~ Exp(rate) between interrupts
    yields tau * floor((g - D)+ / (tau + write)) useful time, so
    ETTR = rate tau exp(-rate D) / (exp(rate (tau + write)) - 1).
    """
    if rate <= 0:
        return tau / (tau + write) if math.isfinite(tau) else 1.0
    return rate * tau * math.exp(-rate * downtime) / math.expm1(rate * (tau + write))
