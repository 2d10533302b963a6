"""Solve the build-out model with HiGHS and read the decisions, the relaxations and the
binding constraints (with duals of the LP at the integer solution)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import linopy
import numpy as np
import pandas as pd
import xarray as xr

from ..errors import InfeasibleError
from .accounting import Decisions
from .inputs import PlanInputs
from .model import SLACKS, build_model

#: slack variable -> (scale to original units, original unit)
SLACK_UNITS = {
    "slack-budget_busd": (1e9, "USD"),
    "slack-site_power_mw": (1.0, "MW"),
    "slack-supply_kacc": (1e3, "accelerators"),
    "slack-hbm_tb": (1e3, "GB"),
    "slack-vendor_kacc": (1e3, "accelerators"),
    "slack-training_ttokens": (1e12, "tokens"),
    "slack-inference_mtok_per_s": (1e6, "output tokens/s"),
}
#: constraint family -> (what one unit of its right-hand side is, in words)
RHS_UNITS = {
    "budget-phase_busd-upper": "billion USD of phase budget",
    "site-power_mw-upper": "MW of site power",
    "supply-kacc-upper": "thousand accelerators of supply",
    "hbm-supply_tb-upper": "TB of HBM supply",
    "vendor-share_kacc-upper": "thousand accelerators of vendor headroom",
    "training-tokens_t-lower": "trillion training tokens",
    "inference-mtok_per_s-lower": "million output tokens/s of demand",
    "site-land_km2-upper": "km2 of land",
    "hall-it_mw-upper": "MW of data hall",
    "hall-lead_mw-upper": "MW of hall already under construction",
}


FAMILY_ORDER = {f: i for i, f in enumerate(RHS_UNITS)}
#: families written one constraint per item: the item's dimension name
INDEX_OF = {"budget-phase_busd-upper": "phase", "training-tokens_t-lower": "workload"}


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Silence C-level writes to stdout (HiGHS prints a banner there) during a solve."""
    fd = 1  # the process's stdout, whatever sys.stdout is (a StringIO under tests)
    try:
        sys.stdout.flush()
    except (AttributeError, ValueError, OSError):
        pass
    try:
        saved = os.dup(fd)
    except OSError:
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)


def solve(m: linopy.Model, time_limit_s: float = 60.0, mip_rel_gap: float = 1e-3) -> str:
    """Solve with HiGHS, quietly; returns the termination condition.

    Raises
    ------
    InfeasibleError
        The solver found no solution (the elastic model is never infeasible, so this means
        a time limit too short or a numerical failure).
    """
    with _quiet_stdout():
        status, condition = m.solve("highs", output_flag=False, log_to_console=False,
                                    time_limit=float(time_limit_s), mip_rel_gap=mip_rel_gap,
                                    threads=1)
    if status != "ok" and condition not in ("time_limit",):
        raise InfeasibleError(f"the solver returned {status}/{condition}; try a longer "
                              f"time limit (time_limit_s={time_limit_s})")
    if m.objective.value is None or not np.isfinite(m.objective.value):
        raise InfeasibleError(f"no solution found within {time_limit_s} s (time_limit_s)")
    return str(condition)


def _long(sol: xr.DataArray, name: str) -> pd.DataFrame:
    df = sol.fillna(0.0).to_dataframe(name=name).reset_index()
    return df[df[name].abs() > 1e-6].reset_index(drop=True)


def read_decisions(m: linopy.Model) -> Decisions:
    """The decision variables' solution as long tables (units rounded to integers)."""
    units = m.variables["units"].solution.fillna(0.0).round()
    return Decisions(units=_long(units, "units"),
                     hall_mw=_long(m.variables["hall_mw"].solution, "hall_mw"),
                     power_mw=_long(m.variables["power_mw"].solution, "power_mw"),
                     gen_gwh=_long(m.variables["gen_gwh"].solution, "gen_gwh"))


def read_relaxations(m: linopy.Model) -> list[dict[str, Any]]:
    """Each limit the solution had to relax, by how much (original units)."""
    out = []
    for family, (var, _, _) in SLACKS.items():
        if var not in m.variables:
            continue
        scale, unit = SLACK_UNITS[var]
        sol = m.variables[var].solution.fillna(0.0)
        for idx, value in sol.to_series().items():
            if value <= 1e-6:
                continue
            where = dict(zip(sol.dims, idx if isinstance(idx, tuple) else (idx,)))
            amount = float(value) * scale
            out.append({"constraint": family, "index": _plain(where), "amount": amount,
                        "unit": unit, "message": _relax_message(family, where, amount, unit)})
    return out


def _plain(where: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in where.items()}


def _relax_message(family: str, where: dict[str, Any], amount: float, unit: str) -> str:
    what = {"budget-phase_busd-upper": "budget", "site-power_mw-upper": "site power limit",
            "supply-kacc-upper": "accelerator supply cap", "hbm-supply_tb-upper": "HBM supply",
            "vendor-share_kacc-upper": "vendor share limit",
            "training-tokens_t-lower": "training demand (shortfall)",
            "inference-mtok_per_s-lower": "inference demand (shortfall)"}[family]
    at = ", ".join(f"{k} {v}" for k, v in _plain(where).items())
    verb = "missed by" if "demand" in what else "raised by"
    return f"{what} ({at}) {verb} {amount:,.4g} {unit}"


#: rounding boxes tried in turn, (relative, absolute) widening around the LP's floor and
#: ceiling: the narrow box is solved in well under a second; the wider one only runs when
#: the narrow box cannot round without relaxing a limit the LP held
ROUNDING_BOXES = ((0.0, 0.0), (0.02, 2.0))


def rounding_bounds(x: xr.DataArray, widen_rel: float = 0.0, widen_abs: float = 0.0
                    ) -> tuple[xr.DataArray, xr.DataArray]:
    """Bounds of the rounding stage around the LP relaxation's units ``x``: its floor and
    ceiling, widened by ``max(widen_abs, widen_rel * x)`` where ``x`` is non-zero."""
    x = x.fillna(0.0)
    w = np.maximum(widen_abs, widen_rel * x)
    lower = np.maximum(0.0, np.floor(x + 1e-6) - w)
    upper = xr.where(x > 1e-6, np.ceil(x - 1e-6) + w, 0.0)
    return lower, upper


def _polish(m: linopy.Model, time_limit_s: float) -> None:
    """Fix the integer units and solve the LP again, so the continuous decisions (halls,
    power, energy) are exactly optimal for them (a MIP stops within its gap, which can
    hide the small cost terms that time power builds)."""
    units = m.variables["units"]
    fixed = units.solution.fillna(0.0).round()
    units.lower[:] = fixed.where(units.labels != -1, 0)
    units.upper[:] = fixed.where(units.labels != -1, 0)
    units.attrs["integer"] = False
    solve(m, time_limit_s)


def _relaxed_keys(m: linopy.Model) -> set[tuple]:
    return {(r["constraint"], tuple(sorted(r["index"].items()))) for r in read_relaxations(m)}


def read_binding(lp: linopy.Model, inputs: PlanInputs, per_family_top: int = 5
                 ) -> list[dict[str, Any]]:
    """Constraints with a non-zero dual in the LP at the integer solution.

    ``value_per_unit`` is how much the objective improves per unit of the constraint's
    right-hand side relaxed: effective exaFLOP/s-years for ``max_effective_compute``,
    billion USD of NPV for ``min_cost``. The ``per_family_top`` most valuable entries of
    each family are kept; duals equal to a slack penalty (degenerate: the limit is priced
    by its own relaxation) are dropped.
    """
    objective_unit = ("effective exaFLOP/s-years" if inputs.objective != "min_cost"
                      else "billion USD NPV")
    rows = []
    for name in lp.constraints:
        family = name.split("[")[0]
        if family not in RHS_UNITS:
            continue
        dual = lp.constraints[name].dual
        if dual is None:
            continue
        series = dual.to_series() if dual.ndim else pd.Series([float(dual)], index=[()])
        for idx, value in series.items():
            if not np.isfinite(value) or abs(value) < 1e-5:
                continue
            keys = idx if isinstance(idx, tuple) else (idx,)
            where = _plain(dict(zip(dual.dims, keys)))
            if "[" in name:
                where[INDEX_OF.get(family, "index")] = name.split("[", 1)[1].rstrip("]")
            rows.append(_binding_row(family, where, abs(float(value)), objective_unit))
    penalties = {w for _, w, _ in SLACKS.values()}
    rows = [r for r in rows if not any(abs(r["value_per_unit"] - p) < 1e-6 * p
                                       for p in penalties)]  # priced by a slack: degenerate
    rows.sort(key=lambda r: (FAMILY_ORDER.get(r["constraint"], 99), -r["value_per_unit"]))
    per_family: dict[str, int] = {}
    out = []
    for r in rows:
        per_family[r["constraint"]] = per_family.get(r["constraint"], 0) + 1
        if per_family[r["constraint"]] <= per_family_top:
            out.append(r)
    return out


def _binding_row(family: str, where: dict[str, Any], value: float, unit: str) -> dict[str, Any]:
    at = ", ".join(f"{k} {v}" for k, v in where.items())
    rhs = RHS_UNITS[family]
    return {"constraint": family, "index": where, "value_per_unit": value,
            "rhs_unit": rhs, "objective_unit": unit,
            "message": f"one more {rhs} ({at}) is worth {value:.4g} {unit}"}


@dataclass(frozen=True)
class Solved:
    """What the two solves return: the rounded model's decisions and condition, the
    relaxations it needed, the binding constraints (LP duals) and both objectives."""

    condition: str
    decisions: Decisions
    relaxations: list[dict[str, Any]]
    binding: list[dict[str, Any]]
    lp_objective: float
    objective: float


def solve_inputs(inputs: PlanInputs, *, time_limit_s: float = 60.0,
                 mip_rel_gap: float = 1e-5, exact: bool = False) -> Solved:
    """Build, solve and read.

    By default two fast solves: the LP relaxation (its duals price the binding
    constraints), then a small MIP with each unit count between the floor and ceiling of
    the LP's, which rounds the build to whole deployable units at a cost in objective
    below ``lp_objective - objective``. ``exact=True`` solves the full MILP instead
    (minutes on large problems: HiGHS's root node is slow on these models).
    """
    m, _ = build_model(inputs, integer=False)
    solve(m, time_limit_s, mip_rel_gap)
    binding = read_binding(m, inputs)
    lp_objective = float(m.objective.value)
    lp_relaxed = _relaxed_keys(m)
    units = m.variables["units"]
    x = units.solution
    units.attrs["integer"] = True
    for widen_rel, widen_abs in ((None, None),) if exact else ROUNDING_BOXES:
        if widen_rel is not None:  # units: integers in a box around the LP's values
            lower, upper = rounding_bounds(x, widen_rel, widen_abs)
            units.lower[:] = lower.where(units.labels != -1, 0)
            units.upper[:] = upper.where(units.labels != -1, 0)
        condition = solve(m, time_limit_s if widen_rel in (None, 0.0)
                          else min(time_limit_s, 20.0), max(mip_rel_gap, 1e-4)
                          if widen_rel else mip_rel_gap)
        if _relaxed_keys(m) <= lp_relaxed:
            break
    _polish(m, time_limit_s)
    return Solved(condition=condition, decisions=read_decisions(m),
                  relaxations=read_relaxations(m), binding=binding,
                  lp_objective=lp_objective, objective=float(m.objective.value))
