"""The planner's answer: a typed result with ``to_dict()`` (the ``gigawatt plan --json``
document) and ``to_frame()`` tables."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import accounting as acc
from .accounting import Decisions
from ..numfmt import ResultRepr, with_units
from .inputs import PlanInputs, to_records

HOURS_PER_DAY = 24.0


@dataclass(frozen=True, repr=False)
class PlanResult(ResultRepr):
    """A solved build-out.

    Attributes
    ----------
    scenario : scenario id.
    status : ``optimal`` (every limit held) or ``relaxed`` (some limit was relaxed; see
        ``relaxations``); ``time_limit`` when the solver stopped at its time limit with
        every limit held.
    objective : what was optimised.
    decisions : the build decisions (units, halls, power, energy).
    builds, sites, power, costs, fleet, hbm, training : tables (see :mod:`.accounting`).
    binding : constraints with non-zero duals, with their value per unit.
    relaxations : limits relaxed, by how much.
    solve_time_s : wall time of build + solve + read, s.
    rounding_gap : objective lost to whole deployable units, against the LP relaxation
        (objective units).
    warm_start : the LP's basis (:class:`gigawatt.plan.solve.WarmStart`), to re-solve a
        perturbed copy of the inputs from; not part of ``to_dict()``.
    notes : capability notes.
    """

    scenario: str
    status: str
    objective: str
    decisions: Decisions
    builds: pd.DataFrame
    sites: pd.DataFrame
    power: pd.DataFrame
    costs: pd.DataFrame
    fleet: pd.DataFrame
    hbm: pd.DataFrame
    training: pd.DataFrame
    phases: pd.DataFrame
    budget_usd: float
    binding: list[dict[str, Any]] = field(default_factory=list)
    relaxations: list[dict[str, Any]] = field(default_factory=list)
    solve_time_s: float = 0.0
    notes: list[str] = field(default_factory=list)
    accelerators: pd.DataFrame | None = None
    rounding_gap: float = 0.0
    warm_start: Any = None
    #: the largest training run per year, set by the layer above (``gigawatt plan`` via
    #: :func:`gigawatt.ops.frontier.plan_frontier`); None when not computed
    frontier: dict[str, Any] | None = None
    #: per year x site: supply by kind, cost per MWh, load shed when a source trips
    #: (:func:`gigawatt.plan.accounting.supply_table`)
    supply: pd.DataFrame | None = None
    #: year x site MW of the largest on-site unit each site's firm reserve holds, and
    #: the source whose whole MW it is (N+1, :mod:`gigawatt.plan.reserve`); None when
    #: not settled
    contingency_mw: pd.DataFrame | None = None
    contingency_source: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        for name in ("builds", "sites", "power", "costs", "fleet", "hbm", "training", "phases",
                     "accelerators", "supply"):
            if isinstance(getattr(self, name), pd.DataFrame):
                with_units(getattr(self, name))

    def _headline(self) -> dict[str, Any]:
        t = self.totals
        return {"scenario": self.scenario, "status": self.status, "capex_usd": t["capex_usd"],
                "budget_usd": t["budget_usd"], "accelerators": t["accelerators"],
                "facility_power_mw": t["facility_power_mw"],
                "effective_exaflops": t["effective_exaflops"]}

    def _repr_extra_html(self) -> str:
        return self.to_frame("phases").to_html(index=False, float_format=lambda v: f"{v:,.4g}")

    @property
    def totals(self) -> dict[str, float]:
        """Programme totals (see :func:`totals`)."""
        return totals(self)

    def to_frame(self, table: str = "builds") -> pd.DataFrame:
        """One table: builds, sites, power, costs, fleet, hbm, training, phases, binding,
        relaxations, accelerators."""
        if table in ("binding", "relaxations"):
            return with_units(pd.DataFrame(getattr(self, table)))
        if table not in TABLES:
            from ..errors import UnknownIdError
            raise UnknownIdError("plan table", table, TABLES)
        if table == "by_phase":
            return with_units(by_phase_table(self.builds, self.phases))
        df = getattr(self, table)
        return with_units(df.reset_index() if table in ("costs", "fleet", "accelerators",
                                                         "phases") else df)

    def to_dict(self) -> dict[str, Any]:
        """The ``gigawatt plan --json`` document (JSON-safe)."""
        return {"scenario": self.scenario, "status": self.status, "objective": self.objective,
                "totals": self.totals, "phases": phase_records(self),
                "years": to_records(self.fleet.join(self.costs[["capex_usd", "opex_usd"]])),
                "power": to_records(self.power[[c for c in POWER_KEYS
                                                if c in self.power.columns]]
                                    .set_index("year")),
                "power_supply": (to_records(self.supply.set_index("year"))
                                 if self.supply is not None else []),
                "binding": self.binding, "relaxations": self.relaxations,
                "time_to_train": to_records(self.training),
                "accelerators": (to_records(self.accelerators)
                                 if self.accelerators is not None else []),
                "notes": self.notes, "solve_time_s": self.solve_time_s,
                "rounding_gap": self.rounding_gap,
                **({"frontier": self.frontier} if self.frontier is not None else {})}


#: the plan.json ``power`` row fields
POWER_KEYS = ("year", "site", "source", "capacity_mw", "new_mw", "energy_gwh",
              "emissions_tco2")

TABLES = ("builds", "by_phase", "sites", "power", "supply", "costs", "fleet", "hbm", "training",
          "phases", "accelerators")


def totals(r: PlanResult) -> dict[str, float]:
    """Totals over the programme.

    ``accelerators`` counts those the programme installs; ``it_power_mw``,
    ``facility_power_mw``, ``effective_exaflops`` and ``peak_exaflops`` are the largest
    yearly values of the active fleet; ``cost_per_gpu_hour_usd`` divides programme capex +
    opex by the accelerator-hours delivered within the programme years (hardware still in
    service at the end is not credited), ``cost_per_effective_exaflop_day_usd`` likewise
    by effective exaFLOP/s-days.
    """
    cost = float(r.costs.capex_usd.sum() + r.costs.opex_usd.sum())
    gpu_h = float(r.fleet.accelerators.sum() * 8760.0)
    ef_days = float(r.fleet.effective_exaflops.sum() * 365.0)
    return {
        "capex_usd": float(r.costs.capex_usd.sum()),
        "opex_usd": float(r.costs.opex_usd.sum()),
        "budget_usd": r.budget_usd,
        "accelerators": float(r.builds.new_accelerators.sum()) if len(r.builds) else 0.0,
        "it_power_mw": float(r.sites.groupby("year").it_power_mw.sum().max()),
        "facility_power_mw": float(r.sites.groupby("year").facility_power_mw.sum().max()),
        "effective_exaflops": float(r.fleet.effective_exaflops.max()),
        "peak_exaflops": float(r.fleet.peak_exaflops.max()),
        "effective_exaflop_s_years": float(r.fleet.effective_exaflops.sum()),
        "emissions_tco2": (float(r.power.emissions_tco2.sum())
                           if "emissions_tco2" in r.power else 0.0),
        "cost_per_gpu_hour_usd": cost / gpu_h if gpu_h else math.nan,
        "cost_per_effective_exaflop_day_usd": cost / ef_days if ef_days else math.nan,
    }


def phase_table(inputs: PlanInputs, builds: pd.DataFrame, costs: pd.DataFrame,
                fleet: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
    """Per phase: budget, capex, opex, accelerators added and at the end, power, compute."""
    rows = []
    for pid, p in inputs.phases.iterrows():
        end = int(p.end_year)
        in_p = (costs.index >= p.start_year) & (costs.index <= end)
        at_end = sites[sites.year == end]
        rows.append({"phase": pid, "start_year": int(p.start_year), "end_year": end,
                     "budget_usd": float(p.budget_usd),
                     "capex_usd": float(costs.capex_usd[in_p].sum()),
                     "opex_usd": float(costs.opex_usd[in_p].sum()),
                     "new_accelerators": float(builds.new_accelerators[
                         builds.phase == pid].sum()) if len(builds) else 0.0,
                     "accelerators": float(fleet.accelerators.get(end, 0.0)),
                     "it_power_mw": float(at_end.it_power_mw.sum()),
                     "facility_power_mw": float(at_end.facility_power_mw.sum()),
                     "effective_exaflops": float(fleet.effective_exaflops.get(end, 0.0)),
                     "peak_exaflops": float(fleet.peak_exaflops.get(end, 0.0))})
    return pd.DataFrame(rows).set_index("phase")


#: build-table columns summed over a phase's years; the others are read at its end
_FLOWS = ("new_accelerators", "new_units", "capex_usd", "opex_usd")


def by_phase_table(builds: pd.DataFrame, phases: pd.DataFrame) -> pd.DataFrame:
    """Per phase x site x vendor x accelerator: installed in the phase (units, capex,
    opex, HBM drawn) and at its end (accelerators, IT and facility MW, compute, land)."""
    if not len(builds):
        return pd.DataFrame(columns=["phase", "site", "vendor", "accelerator"])
    keys = ["phase", "site", "vendor", "accelerator"]
    flows = [c for c in builds.columns if c in _FLOWS or c.startswith("hbm_gb:")]
    summed = builds.groupby(keys, sort=False)[flows].sum()
    ends = phases.end_year.rename("year").reset_index()
    stocks = [c for c in builds.columns if c not in flows and c not in keys + ["year"]]
    at_end = builds.merge(ends, on=["phase", "year"]).set_index(keys)[stocks]
    return summed.join(at_end, how="left").fillna(0.0).reset_index()


def phase_records(r: PlanResult) -> list[dict[str, Any]]:
    """Phases for JSON, each with the clusters active at its end (for the simulator)."""
    out = []
    for pid, p in r.phases.iterrows():
        end = int(p.end_year)
        at_end = r.builds[(r.builds.year == end) & (r.builds.accelerators > 0)]
        clusters = [{"site": row.site, "accelerator": row.accelerator,
                     "count": int(round(row.accelerators))} for row in at_end.itertuples()]
        ttt = r.training[r.training.phase == pid]
        rec = {"id": pid, "year": end, **{k: _num(v) for k, v in p.items()},
               "start_year": int(p.start_year), "end_year": end,
               "clusters": clusters,
               "time_to_train_days": {w: _num(d) for w, d in
                                      zip(ttt.workload, ttt.time_to_train_days)}}
        out.append(rec)
    return out


def _num(v: Any) -> Any:
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v) if np.isfinite(v) else None
    return v


def read_result(inputs: PlanInputs, d: Decisions, *, status: str,
                binding: list[dict[str, Any]], relaxations: list[dict[str, Any]],
                solve_time_s: float = 0.0, rounding_gap: float = 0.0) -> PlanResult:
    """Assemble the result tables from the decisions."""
    builds = acc.build_table(inputs, d)
    costs = acc.cost_by_year(inputs, d)
    fleet = acc.fleet_rates(inputs, d)
    sites = acc.site_table(inputs, d)
    power = acc.power_table(inputs, d)
    return PlanResult(
        scenario=inputs.scenario_id, status=status, objective=inputs.objective, decisions=d,
        builds=builds, sites=sites, power=power, supply=acc.supply_table(inputs, power, sites),
        costs=costs,
        fleet=fleet, hbm=acc.hbm_table(inputs, d), training=acc.time_to_train_days(inputs, d),
        phases=phase_table(inputs, builds, costs, fleet, sites),
        budget_usd=float(inputs.phases.budget_usd.sum()), binding=binding,
        relaxations=relaxations, solve_time_s=solve_time_s, notes=list(inputs.notes),
        accelerators=inputs.accelerators.copy(), rounding_gap=rounding_gap)
