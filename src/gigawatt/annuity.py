"""The capital recovery factor: the level yearly charge that repays an investment over its
life at a discount rate (shared by the planner's cost per MWh and the finance layer)."""

from __future__ import annotations


def crf(rate: float, life_years: float) -> float:
    """Capital recovery factor: the level yearly payment that repays 1 USD over
    ``life_years`` at ``rate``, ``rate / (1 - (1 + rate) ** -life_years)`` (1 / life at a
    zero rate)."""
    if life_years <= 0:
        raise ValueError("life_years must be > 0")
    if rate <= 0:
        return 1.0 / life_years
    return rate / (1.0 - (1.0 + rate) ** -life_years)
