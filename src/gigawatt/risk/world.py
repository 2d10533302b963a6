"""A drawn world: the values of a scenario's uncertainties, and the planner inputs they imply.

One draw is a vector with one value per uncertainty (in the scenario's order). Several
uncertainties of the same kind on the same target combine: delays add, factors multiply.
:func:`apply_world` writes the world into a copy of :class:`~gigawatt.plan.inputs.PlanInputs`
for a re-solve; the planner works in whole years, so the whole years of each delay go
into the inputs and the fraction left over is returned, to be applied when the new
plan's outcomes are evaluated (:mod:`gigawatt.risk.outcomes`).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from ..plan.inputs import PlanInputs
from ..scenario import Uncertainty

DELAY_KINDS = {"accelerator_delay_years", "power_delay_years"}


@dataclass(frozen=True)
class World:
    """Perturbations of the plan's inputs (neutral: no delay, every factor 1).

    Attributes
    ----------
    accelerator_delay_years : accelerator id -> delivery delay, years.
    accelerator_price_factor : accelerator id -> multiplier on its price.
    hbm_supply_factor : HBM supplier id -> multiplier on its supply.
    power_delay_years : site id -> delay of its power interconnection, years.
    construction_factor : multiplier on data-hall build duration.
    electricity_price_factor : multiplier on energy prices.
    failure_rate_factor : multiplier on the fleet's failure rate (goodput).
    mfu_factor : multiplier on achieved MFU (and workload rates).
    accelerator_mfu_factor : accelerator id -> multiplier on its MFU and workload rates
        (the model error of its family: risk.model_error).
    budget_factor : multiplier on every phase budget.
    """

    accelerator_delay_years: dict[str, float] = field(default_factory=dict)
    accelerator_price_factor: dict[str, float] = field(default_factory=dict)
    hbm_supply_factor: dict[str, float] = field(default_factory=dict)
    power_delay_years: dict[str, float] = field(default_factory=dict)
    construction_factor: float = 1.0
    electricity_price_factor: float = 1.0
    failure_rate_factor: float = 1.0
    mfu_factor: float = 1.0
    budget_factor: float = 1.0
    accelerator_mfu_factor: dict[str, float] = field(default_factory=dict)


def world_from_vector(uncertainties: Sequence[Uncertainty], x: np.ndarray) -> World:
    """The world of one draw (``x[j]`` is the value of ``uncertainties[j]``)."""
    per: dict[str, dict[str, float]] = {"accelerator_delay_years": {},
                                        "accelerator_price_factor": {},
                                        "hbm_supply_factor": {}, "power_delay_years": {},
                                        "accelerator_mfu_factor": {}}
    scalar = {"construction_factor": 1.0, "electricity_price_factor": 1.0,
              "failure_rate_factor": 1.0, "mfu_factor": 1.0, "budget_factor": 1.0}
    for u, v in zip(uncertainties, np.asarray(x, dtype=float)):
        v = float(v)
        if u.kind in per:
            table = per[u.kind]
            neutral = 0.0 if u.kind in DELAY_KINDS else 1.0
            prev = table.get(u.of, neutral)
            table[u.of] = prev + v if u.kind in DELAY_KINDS else prev * v
        else:
            scalar[u.kind] *= v
    return World(**per, **scalar)


def split_delay(delay_years: float) -> tuple[int, float]:
    """(whole years, fraction) of a delay; negative delays (early) become 0."""
    d = max(0.0, float(delay_years))
    whole = int(math.floor(d + 1e-9))
    return whole, max(0.0, d - whole)


def _shift_rows(df: pd.DataFrame, column: str, years: int) -> None:
    """Move a column of a year-indexed table ``years`` later (first years: 0)."""
    if years <= 0 or column not in df.columns:
        return
    values = df[column].to_numpy(dtype=float)
    shifted = np.concatenate([np.zeros(min(years, len(values))), values[:-years]
                              if years < len(values) else np.empty(0)])
    df[column] = shifted


def apply_world(inputs: PlanInputs, world: World) -> tuple[PlanInputs, World]:
    """A copy of ``inputs`` perturbed by ``world``, and the residual world.

    Returns
    -------
    (inputs, residual) : the perturbed planner inputs; the residual world holds the
        fractional delays (and the failure-rate factor, which the planner does not read),
        every other factor neutral because it is already in the inputs.
    """
    acc = inputs.accelerators.copy()
    cap = inputs.supply_cap.copy()
    residual_acc: dict[str, float] = {}
    for a, delay in world.accelerator_delay_years.items():
        whole, frac = split_delay(delay)
        if a in acc.index:
            acc.loc[a, "available_from"] = acc.loc[a, "available_from"] + whole
            _shift_rows(cap, a, whole)
            residual_acc[a] = frac
    for a, f in world.accelerator_price_factor.items():
        if a in acc.index:
            acc.loc[a, "capex_usd_per_accelerator"] *= f
    per = pd.Series(world.accelerator_mfu_factor, dtype=float).reindex(acc.index).fillna(1.0)
    acc["mfu"] = np.minimum(1.0, acc["mfu"] * world.mfu_factor * per)
    acc["effective_flop_per_s"] = acc["peak_flop_per_s"] * acc["mfu"]
    power = inputs.site_power_mw.copy()
    residual_site: dict[str, float] = {}
    for s, delay in world.power_delay_years.items():
        whole, frac = split_delay(delay)
        _shift_rows(power, s, whole)
        residual_site[s] = frac
    hbm = inputs.hbm_supply_gb.copy()
    for h, f in world.hbm_supply_factor.items():
        if h in hbm.columns:
            hbm[h] = hbm[h] * f
    return dataclasses.replace(
        inputs, accelerators=acc, supply_cap=cap, site_power_mw=power, hbm_supply_gb=hbm,
        sites=_scale(inputs.sites, "electricity_usd_per_mwh", world.electricity_price_factor),
        power_sources=_scale(inputs.power_sources, "energy_usd_per_mwh",
                             world.electricity_price_factor),
        phases=_scale(inputs.phases, "budget_usd", world.budget_factor),
        facility={**inputs.facility, "build_years": inputs.facility["build_years"]
                  * world.construction_factor},
        training_tokens_per_s_per_gpu=_rows(inputs.training_tokens_per_s_per_gpu,
                                            world.accelerator_mfu_factor) * world.mfu_factor,
        inference_tokens_per_s_per_gpu=_rows(inputs.inference_tokens_per_s_per_gpu,
                                             world.accelerator_mfu_factor) * world.mfu_factor,
    ), World(accelerator_delay_years=residual_acc, power_delay_years=residual_site,
             failure_rate_factor=world.failure_rate_factor)


def _rows(df: pd.DataFrame, factors: dict[str, float]) -> pd.DataFrame:
    """``df`` (accelerator x workload) with each accelerator's row scaled by its factor."""
    if not factors:
        return df
    f = pd.Series(factors, dtype=float).reindex(df.index).fillna(1.0)
    return df.mul(f, axis=0)


def _scale(df: pd.DataFrame, column: str, factor: float) -> pd.DataFrame:
    out = df.copy()
    if column in out.columns:
        out[column] = out[column] * factor
    return out


__all__ = ["World", "world_from_vector", "apply_world", "split_delay"]
