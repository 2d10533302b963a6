"""Solve the build-out model with HiGHS (highspy, no files) and read the decisions, the
relaxations and the binding constraints (with duals of the LP at the integer solution).

The model is :func:`gigawatt.plan.lp.build_arrays`'s arrays. A solve can start from the
simplex basis of an earlier one (:class:`WarmStart`): a what-if or a risk draw changes
numbers, not the layout, so the base plan's basis is a near-optimal start and the LP
re-solves in a few iterations. Warm starts always come from a fixed basis (the base
plan's), never from whatever was solved last, so a draw's result does not depend on
which draws a worker happened to solve before it (local and Ray agree bit for bit).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InfeasibleError, PlanError
from .accounting import Decisions
from .inputs import PlanInputs
from .lp import SLACKS, ArrayModel, build_arrays

#: slack variable -> (scale to original units, original unit)
SLACK_UNITS = {
    "slack-budget_busd": (1e9, "USD"),
    "slack-site_power_mw": (1.0, "MW"),
    "slack-supply_kacc": (1e3, "accelerators"),
    "slack-hbm_tb": (1e3, "GB"),
    "slack-vendor_kacc": (1e3, "accelerators"),
    "slack-training_ttokens": (1e12, "tokens"),
    "slack-training_site_kacc": (1e3, "accelerators"),
    "slack-inference_mtok_per_s": (1e6, "output tokens/s"),
    "slack-grid_mw": (1.0, "MW"),
    "slack-ramp_mw": (1.0, "MW"),
    "slack-emissions_mtco2": (1e6, "tCO2"),
}
#: constraint family -> (what one unit of its right-hand side is, in words)
RHS_UNITS = {
    "budget-phase_busd-upper": "billion USD of phase budget",
    "site-power_mw-upper": "MW of site power",
    "supply-kacc-upper": "thousand accelerators of supply",
    "hbm-supply_tb-upper": "TB of HBM supply",
    "vendor-share_kacc-upper": "thousand accelerators of vendor headroom",
    "training-tokens_t-lower": "trillion training tokens",
    "training-site_kacc-lower": "thousand accelerators a placed training run needs",
    "inference-mtok_per_s-lower": "million output tokens/s of demand",
    "site-land_km2-upper": "km2 of land",
    "hall-it_mw-upper": "MW of data hall",
    "hall-lead_mw-upper": "MW of hall already under construction",
    "grid-capacity_mw-upper": "MW of grid interconnection in the year",
    "power-ramp_mw-lower": "MW of training-load swing the grid cannot follow",
    "power-supply_mw-upper": "MW of new supply (e.g. turbine slots) of the source",
    "emissions-mtco2-upper": "MtCO2 of emissions cap (the shadow carbon price)",
}

FAMILY_ORDER = {f: i for i, f in enumerate(RHS_UNITS)}
#: families written one constraint per item: the item's dimension name
INDEX_OF = {"budget-phase_busd-upper": "phase", "training-tokens_t-lower": "workload"}
#: families whose binding entries are listed site first (the order the linopy
#: formulation reports them in, which the plan's JSON keeps)
SITE_FIRST = {"hall-it_mw-upper", "hall-lead_mw-upper", "site-land_km2-upper",
              "site-power_mw-upper", "grid-capacity_mw-upper"}


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


@dataclass(frozen=True)
class WarmStart:
    """A simplex basis to start an LP from (statuses as integers, so it pickles), and the
    layout it belongs to; a model of another layout ignores it."""

    key: tuple
    col_status: np.ndarray
    row_status: np.ndarray


class Session:
    """One HiGHS instance holding one :class:`ArrayModel`: solve, change bounds, solve."""

    def __init__(self, m: ArrayModel, time_limit_s: float, mip_rel_gap: float) -> None:
        import highspy

        self.m = m
        self._hs = highspy
        arrays = m.arrays()
        with _quiet_stdout():
            self.h = highspy.Highs()
        for k, v in (("output_flag", False), ("log_to_console", False), ("threads", 1),
                     ("time_limit", float(time_limit_s)), ("mip_rel_gap", mip_rel_gap)):
            self.h.setOptionValue(k, v)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = m.n_col, m.n_row
        lp.col_cost_, lp.col_lower_, lp.col_upper_ = (arrays["cost"], arrays["col_lower"],
                                                      arrays["col_upper"])
        lp.row_lower_, lp.row_upper_ = arrays["row_lower"], arrays["row_upper"]
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = m.n_col, m.n_row
        lp.a_matrix_.start_, lp.a_matrix_.index_ = arrays["start"], arrays["index"]
        lp.a_matrix_.value_ = arrays["value"]
        self.h.passModel(lp)
        self.time_limit_s = float(time_limit_s)
        self.x: np.ndarray = np.zeros(m.n_col)
        self.row_dual: np.ndarray = np.zeros(m.n_row)

    def warm(self, start: WarmStart | None) -> None:
        """Start the next LP from ``start``'s basis (when it fits this layout)."""
        if start is None or start.key != self.m.key:
            return
        b = self._hs.HighsBasis()
        status = self._hs.HighsBasisStatus
        b.col_status = [status(int(v)) for v in start.col_status]
        b.row_status = [status(int(v)) for v in start.row_status]
        b.valid = True
        self.h.setBasis(b)

    def basis(self) -> WarmStart:
        b = self.h.getBasis()
        return WarmStart(self.m.key, np.array([int(s) for s in b.col_status], np.int8),
                         np.array([int(s) for s in b.row_status], np.int8))

    def set_units(self, lower: np.ndarray, upper: np.ndarray, integer: bool) -> None:
        sl = self.m.col_slice("units")
        idx = np.arange(sl.start, sl.stop, dtype=np.int32)
        self.h.changeColsBounds(len(idx), idx, lower, upper)
        kind = self._hs.HighsVarType.kInteger if integer else self._hs.HighsVarType.kContinuous
        self.h.changeColsIntegrality(len(idx), idx, np.full(len(idx), int(kind), np.uint8))

    def run(self) -> str:
        """Solve; returns the termination condition (``optimal`` or ``time_limit``).

        Raises
        ------
        InfeasibleError
            The solver found no solution (the elastic model is feasible whenever the
            installed base fits its own sites, so this is a numerical failure or a
            time limit hit before any solution).
        """
        with _quiet_stdout():
            self.h.run()
        ms = self._hs.HighsModelStatus
        status = self.h.getModelStatus()
        info = self.h.getInfo()
        if status == ms.kOptimal:
            condition = "optimal"
        elif status == ms.kTimeLimit and info.primal_solution_status == 2:
            condition = "time_limit"
        elif status == ms.kTimeLimit:
            raise InfeasibleError(f"no solution found within {self.time_limit_s} s "
                                  "(time_limit_s)")
        elif status in (ms.kInfeasible, ms.kUnboundedOrInfeasible):
            raise InfeasibleError(
                "the build-out model is infeasible even with every limit elastic: the "
                "installed base (existing fleet) does not fit its own sites' halls, land "
                "or power; check scenario 'existing' against the sites", field="existing")
        else:
            raise InfeasibleError(f"the solver stopped without a solution "
                                  f"({self.h.modelStatusToString(status)})")
        sol = self.h.getSolution()
        self.x = np.asarray(sol.col_value, float)
        self.row_dual = np.asarray(sol.row_dual, float)
        self.objective = float(info.objective_function_value)
        return condition

    def values(self, name: str) -> np.ndarray:
        """The solution of a column block, in its shape."""
        b = self.m.cols[name]
        return self.x[b.offset:b.offset + b.size].reshape(b.shape)


def _long(m: ArrayModel, name: str, values: np.ndarray, column: str) -> pd.DataFrame:
    b = m.cols[name]
    idx = pd.MultiIndex.from_product([pd.Index(c) for c in b.coords], names=list(b.dims))
    df = pd.DataFrame({column: values.ravel()}, index=idx).reset_index()
    return df[df[column].abs() > 1e-6].reset_index(drop=True)


def read_decisions(s: Session) -> Decisions:
    """The decision variables' solution as long tables (units rounded to integers)."""
    m = s.m
    units = np.round(np.where(np.concatenate(m.col_open)[m.col_slice("units")]
                              .reshape(m.cols["units"].shape), s.values("units"), 0.0))
    return Decisions(units=_long(m, "units", units, "units"),
                     hall_mw=_long(m, "hall_mw", s.values("hall_mw"), "hall_mw"),
                     power_mw=_long(m, "power_mw", s.values("power_mw"), "power_mw"),
                     gen_gwh=_long(m, "gen_gwh", _energy_gwh(s), "gen_gwh"),
                     battery_gwh=_battery_gwh(s))


def _battery_gwh(s: Session) -> pd.DataFrame | None:
    """Battery charge and discharge per year and site, GWh: the dispatch periods' MW
    weighted by the hours each stands for (None without dispatch)."""
    if "discharge_mw" not in s.m.cols:
        return None
    b, w = s.m.cols["discharge_mw"], s.m.period_hours[None]  # site x period
    idx = pd.MultiIndex.from_product([pd.Index(c) for c in b.coords[:2]], names=list(b.dims[:2]))
    return pd.DataFrame({f"{k}_gwh": (s.values(f"{k}_mw") * w).sum(axis=2).ravel() / 1e3
                         for k in ("charge", "discharge")}, index=idx).reset_index()


def _energy_gwh(s: Session) -> np.ndarray:
    """Energy drawn per year, site and source: the dispatch weighted by the hours each
    period stands for where the model dispatches (the annual energy variable is only
    bounded below by it, and its cost is below the solver's tolerance in the
    max-compute objective), else the annual energy variable."""
    if "dispatch_mw" not in s.m.cols:
        return s.values("gen_gwh")
    w = s.m.period_hours  # site x period
    return (s.values("dispatch_mw") * w[None, :, None, :]).sum(axis=3) / 1e3


def read_relaxations(s: Session) -> list[dict[str, Any]]:
    """Each limit the solution had to relax, by how much (original units)."""
    out = []
    for family, (var, _, _) in SLACKS.items():
        if var not in s.m.cols:
            continue
        scale, unit = SLACK_UNITS[var]
        block = s.m.cols[var]
        values = s.values(var).ravel()
        for flat in np.flatnonzero(values > 1e-6):
            where = block.where(int(flat))
            amount = float(values[flat]) * scale
            out.append({"constraint": family, "index": where, "amount": amount,
                        "unit": unit, "message": _relax_message(family, where, amount, unit)})
    return out


def _relax_message(family: str, where: dict[str, Any], amount: float, unit: str) -> str:
    what = {"budget-phase_busd-upper": "budget", "site-power_mw-upper": "site power limit",
            "supply-kacc-upper": "accelerator supply cap", "hbm-supply_tb-upper": "HBM supply",
            "vendor-share_kacc-upper": "vendor share limit",
            "training-tokens_t-lower": "training demand (shortfall)",
            "training-site_kacc-lower": "placed training run's accelerators (demand "
                                        "shortfall)",
            "inference-mtok_per_s-lower": "inference demand (shortfall)",
            "grid-capacity_mw-upper": "grid interconnection",
            "emissions-mtco2-upper": "emissions cap",
            "power-ramp_mw-lower": "swing absorbed on site (battery MW short)"}[family]
    at = ", ".join(f"{k} {v}" for k, v in where.items())
    verb = "missed by" if "demand" in what else "raised by"
    return f"{what} ({at}) {verb} {amount:,.4g} {unit}"


#: rounding boxes tried in turn, (relative, absolute) widening around the LP's floor and
#: ceiling: the narrow box is solved in well under a second; the wider one only runs when
#: the narrow box cannot round without relaxing a limit the LP held
ROUNDING_BOXES = ((0.0, 0.0), (0.02, 2.0))


def rounding_bounds(x: np.ndarray, widen_rel: float = 0.0, widen_abs: float = 0.0
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of the rounding stage around the LP relaxation's units ``x``: its floor and
    ceiling, widened by ``max(widen_abs, widen_rel * x)`` where ``x`` is non-zero."""
    x = np.nan_to_num(np.asarray(x, float))
    w = np.maximum(widen_abs, widen_rel * x)
    lower = np.maximum(0.0, np.floor(x + 1e-6) - w)
    upper = np.where(x > 1e-6, np.ceil(x - 1e-6) + w, 0.0)
    return lower, upper


def _relaxed_keys(s: Session) -> set[tuple]:
    return {(r["constraint"], tuple(sorted(r["index"].items()))) for r in read_relaxations(s)}


def read_binding(s: Session, inputs: PlanInputs, per_family_top: int = 5
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
    lower = np.concatenate(s.m.row_lower)
    upper = np.concatenate(s.m.row_upper)
    live = np.isfinite(lower) | np.isfinite(upper)
    rows = []
    for name, block in s.m.rows.items():
        family = s.m.families[name]
        if family not in RHS_UNITS:
            continue
        dual = s.row_dual[block.offset:block.offset + block.size]
        ok = live[block.offset:block.offset + block.size]
        hit = ok & np.isfinite(dual) & (np.abs(dual) >= 1e-5)
        order = np.arange(block.size).reshape(block.shape)
        flip = family in SITE_FIRST
        for flat in (order.T if flip else order).ravel():
            if not hit[flat]:
                continue
            where = block.where(int(flat))
            if flip:
                where = dict(reversed(list(where.items())))
            if "[" in name:
                where[INDEX_OF.get(family, "index")] = name.split("[", 1)[1].rstrip("]")
            rows.append(_binding_row(family, where, abs(float(dual[flat])), objective_unit))
    penalties = {w for _, w, _ in SLACKS.values()}
    rows = [r for r in rows if not any(abs(r["value_per_unit"] - p) < 1e-6 * p
                                       for p in penalties)]  # priced by a slack: degenerate
    # equal values (to 9 digits: solver noise) keep the sites' and years' order
    rows.sort(key=lambda r: (FAMILY_ORDER.get(r["constraint"], 99),
                             -float(f"{r['value_per_unit']:.9g}")))
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


#: most dispatch periods x years, summed over sites, that an hourly model may have after
#: identical days are merged (:func:`merge_identical_days`): three site-years of hours,
#: which HiGHS solves in under half a minute on one core (benchmarks/README.md; five
#: site-years take minutes: the simplex's work grows faster than the model)
HOURLY_LIMIT_SITE_HOURS = 3 * 8760


#: columns from which the last LP (units fixed) starts from the first LP's basis (on an
#: hourly model it can save a third of the time; the small default models keep the path
#: they always had, the same vertex where the optimum is degenerate)
LARGE_MODEL_COLS = 50_000


def merge_identical_days(inputs: PlanInputs) -> PlanInputs:
    """The same dispatch with each set of identical days written once, weighted by how
    many days it stands for (exact: nothing but the solar profile differs from one
    dispatch period to another, and a battery cycles within its day, so identical days
    have identical optimal dispatch). A site without solar has one distinct day a year,
    so an hourly year of it costs what one day does."""
    cf = inputs.solar_cf
    if cf is None:
        return inputs
    k = int(round(24 / inputs.block_hours))
    n_days = cf.shape[1] // k
    seen = cf * _has_solar(inputs)[:, None]  # a site without solar ignores its profile
    days = seen.reshape(cf.shape[0], n_days, k).transpose(1, 0, 2).reshape(n_days, -1)
    _, first, inverse = np.unique(np.round(days, 12), axis=0, return_index=True,
                                  return_inverse=True)
    if len(first) == n_days:
        return inputs
    keep = np.sort(first)
    slot = np.searchsorted(keep, first[inverse.ravel()])  # each day -> its kept day
    hours = inputs.period_hours.reshape(cf.shape[0], n_days, k)
    merged = np.zeros((cf.shape[0], len(keep), k))
    np.add.at(merged, (slice(None), slot), hours)
    take = (keep[:, None] * k + np.arange(k)[None, :]).ravel()
    return dataclasses.replace(inputs, solar_cf=cf[:, take],
                               period_hours=merged.reshape(cf.shape[0], -1))


def _has_solar(inputs: PlanInputs) -> np.ndarray:
    """Per site: whether it may build a solar source (the only one whose availability
    changes from hour to hour)."""
    ps = inputs.power_sources
    solar = ps.index[(ps.kind == "solar").to_numpy()]
    allowed = inputs.site_sources.reindex(index=inputs.sites.index, columns=solar)
    return allowed.fillna(False).to_numpy(bool).any(axis=1)


def hourly_scenario(sc: Any) -> Any:
    """``sc`` with its supply dispatched in every hour of the year (``power``:
    ``representative_days`` 365, ``hours_per_block`` 1); the rest of ``power`` kept."""
    from ..scenario import PowerOptions

    power = (sc.power or PowerOptions()).model_copy(
        update={"representative_days": 365, "hours_per_block": 1})
    return sc.model_copy(update={"power": power})


def check_dispatch_size(inputs: PlanInputs) -> None:
    """Refuse a model of 1-hour blocks too large to solve in reasonable time (inputs
    after :func:`merge_identical_days`): at most :data:`HOURLY_LIMIT_SITE_HOURS` periods x
    years summed over the sites that may build solar (the others' days are all alike
    and merge into one).

    Raises
    ------
    PlanError
        The model is over the limit; the message names it and what to do instead.
    """
    if inputs.solar_cf is None or inputs.block_hours != 1:
        return
    varying = _has_solar(inputs)
    size = int(varying.sum()) * inputs.solar_cf.shape[1] * len(inputs.years)
    if size > HOURLY_LIMIT_SITE_HOURS:
        names = [s for s, v in zip(inputs.sites.index, varying) if v]
        raise PlanError(
            f"hourly dispatch of {int(varying.sum())} solar site(s) ({', '.join(names)}) over "
            f"{len(inputs.years)} year(s) is {size:,} site-hours, over the limit of "
            f"{HOURLY_LIMIT_SITE_HOURS:,} ({HOURLY_LIMIT_SITE_HOURS // 8760} site-years) "
            "that solves within a minute; plan fewer solar sites or years hourly (a "
            "scenario with only those sites, or a shorter horizon), or dispatch "
            "representative days instead (without --hourly; power.representative_days "
            "below 365 or hours_per_block 2-6)", field="power.representative_days")


@dataclass(frozen=True)
class Solved:
    """What the two solves return: the rounded model's decisions and condition, the
    relaxations it needed, the binding constraints (LP duals) and both objectives;
    ``start`` is the LP's basis (a warm start for a perturbed copy of the inputs)."""

    condition: str
    decisions: Decisions
    relaxations: list[dict[str, Any]]
    binding: list[dict[str, Any]]
    lp_objective: float
    objective: float
    start: WarmStart | None = None


def _round_by_mip(s: Session, x: np.ndarray, is_open: np.ndarray, exact: bool,
                  time_limit_s: float, mip_rel_gap: float, lp_relaxed: set) -> str:
    """The units as integers: the full MILP (``exact``) or a small MIP in each rounding
    box in turn until one needs no relaxation the LP did not; its condition."""
    for widen_rel, widen_abs in ((None, None),) if exact else ROUNDING_BOXES:
        if widen_rel is None:
            lower, upper = np.zeros_like(x), np.where(is_open, np.inf, 0.0)
        else:  # units: integers in a box around the LP's values
            lower, upper = rounding_bounds(x, widen_rel, widen_abs)
        s.set_units(lower, upper, integer=True)
        s.h.setOptionValue("time_limit", time_limit_s if widen_rel in (None, 0.0)
                           else min(time_limit_s, 20.0))
        # the wide box at the full gap too: at 1e-4 HiGHS may stop on an incumbent that
        # relaxes a budget by a few kUSD (a penalty inside the gap)
        s.h.setOptionValue("mip_rel_gap", mip_rel_gap)
        condition = s.run()
        if _relaxed_keys(s) <= lp_relaxed:
            break
    return condition


def solve_inputs(inputs: PlanInputs, *, time_limit_s: float = 60.0,
                 mip_rel_gap: float = 1e-5, exact: bool = False,
                 warm: WarmStart | None = None, lp_only: bool = False) -> Solved:
    """Build, solve and read (``lp_only``: the LP relaxation alone, fractional units).

    By default two fast solves: the LP relaxation (its duals price the binding
    constraints), then a small MIP with each unit count between the floor and ceiling of
    the LP's, which rounds the build to whole deployable units at a cost in objective
    below ``lp_objective - objective``; then the LP with the units fixed (a MIP stops
    within its gap, which can hide the small cost terms that time power builds).
    ``exact=True`` solves the full MILP instead (minutes on large problems: HiGHS's root
    node is slow on these models). ``warm``: start the LP from this basis.

    Identical dispatch days are merged first (exact, :func:`merge_identical_days`), and
    an hourly model over :data:`HOURLY_LIMIT_SITE_HOURS` is refused
    (:func:`check_dispatch_size`).
    """
    inputs = merge_identical_days(inputs)
    check_dispatch_size(inputs)
    m = build_arrays(inputs)
    s = Session(m, time_limit_s, mip_rel_gap)
    s.warm(warm)
    s.run()
    start = s.basis()
    binding = read_binding(s, inputs)
    lp_objective = s.objective
    if lp_only:
        return Solved(condition="optimal", decisions=read_decisions(s),
                      relaxations=read_relaxations(s), binding=binding,
                      lp_objective=lp_objective, objective=lp_objective, start=start)
    lp_relaxed = _relaxed_keys(s)
    x = s.values("units").ravel()
    is_open = np.concatenate(m.col_open)[m.col_slice("units")]
    x = np.where(is_open, x, 0.0)
    condition = _round_by_mip(s, x, is_open, exact, time_limit_s, mip_rel_gap, lp_relaxed)
    fixed = np.round(s.values("units").ravel())
    s.set_units(fixed, fixed, integer=False)
    if m.n_col >= LARGE_MODEL_COLS:  # the LP's basis is a few pivots from this one's
        s.warm(start)
    s.h.setOptionValue("time_limit", float(time_limit_s))
    s.run()
    return Solved(condition=condition, decisions=read_decisions(s),
                  relaxations=read_relaxations(s), binding=binding,
                  lp_objective=lp_objective, objective=s.objective, start=start)
