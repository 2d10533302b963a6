"""The workbench's state and answers (no I/O): a base scenario, the variants a planner
has tried, and for each lever setting the plan, its charts' data, its binding limits and
a few risk draws.

Each re-plan is the planner's own chain (:func:`gigawatt.plan.plan_inputs` ->
:func:`gigawatt.plan.optimise`) on the scenario with the levers applied; the capability
tables (the performance models, the slow part) do not depend on any lever and are
computed once per scenario. The risk panel solves the plan again in ``RISK_DRAWS``
drawn worlds of the scenario's uncertainties (the re-solve model of the risk layer).
"""

from __future__ import annotations

import dataclasses

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..catalog import Catalog
from ..errors import GigawattError
from ..scenario import Scenario
from .levers import apply_levers, lever_space, scenario_yaml

#: re-solve draws behind the risk panel (each a full re-plan, ~0.1 s on stargate)
RISK_DRAWS = 4
#: accelerators of the reference training job whose goodput the failure-rate lever moves
GOODPUT_GPUS = 16_384
#: days simulated for that job's goodput
GOODPUT_DAYS = 30.0
#: totals compared side by side
COMPARED = ("capex_usd", "opex_usd", "budget_usd", "accelerators", "it_power_mw",
            "facility_power_mw", "effective_exaflops", "peak_exaflops",
            "effective_exaflop_s_years", "cost_per_gpu_hour_usd", "goodput_ettr",
            "goodput_effective_exaflops", "risk_effective_exaflops_p10",
            "risk_effective_exaflops_p50", "risk_total_cost_usd_p50", "risk_within_budget")


@dataclass
class Workbench:
    """A base scenario and the variants planned from it (by name)."""

    scenario: Scenario
    catalog: Catalog
    variants: dict[str, dict[str, Any]] = field(default_factory=dict)
    _capability: Any = None
    _goodput: dict[float, float] = field(default_factory=dict)
    _units: dict[str, Any] | None = None

    def levers(self) -> dict[str, Any]:
        return lever_space(self.scenario, self.catalog)

    def capability(self) -> Any:
        if self._capability is None:
            from ..plan import capability_for

            self._capability = capability_for(self.scenario, self.catalog)
        return self._capability

    def variant_scenario(self, levers: dict[str, Any]) -> Scenario:
        return apply_levers(self.scenario, self.catalog, levers)

    def evaluate(self, levers: dict[str, Any], *, risk: bool = True) -> dict[str, Any]:
        """Plan the scenario under ``levers``: totals, charts' data, binding limits,
        relaxations, goodput and (with ``risk``) a few re-solve draws; timings in s."""
        from ..plan import optimise, plan_inputs

        t0 = time.perf_counter()
        sc = self.variant_scenario(levers)
        inputs = plan_inputs(sc, self.catalog, self.capability())
        if self._units is not None:  # the last plan's N+1 units, as the first guess
            inputs = dataclasses.replace(inputs, **self._units)
        # the LP relaxation: a what-if in a fraction of a second (the rounding MIP is
        # most of a plan's solve time); gigawatt plan rounds the same plan to whole units
        result = optimise(inputs, relaxation=True)
        self._units = {"contingency_mw": result.contingency_mw,
                       "contingency_source": result.contingency_source}
        t_plan = time.perf_counter() - t0
        totals = {k: float(v) for k, v in result.totals.items()}
        ettr = self.goodput(float(levers.get("failure_rate_factor", 1.0)))
        totals["goodput_ettr"] = ettr
        totals["goodput_effective_exaflops"] = totals["effective_exaflops"] * ettr
        out = {"scenario": sc.id, "status": result.status, "objective": sc.objective,
               "totals": totals, "charts": _charts(result), "binding": result.binding[:12],
               "relaxations": result.relaxations, "notes": result.notes}
        if risk:
            t1 = time.perf_counter()
            out["risk"] = self.risk(sc, inputs, result, float(levers.get(
                "failure_rate_factor", 1.0)))
            out["risk"]["wall_s"] = time.perf_counter() - t1
            for k, v in out["risk"]["summary"].items():
                totals[f"risk_{k}"] = v
        out["timings_s"] = {"plan": t_plan, "total": time.perf_counter() - t0}
        return out

    def goodput(self, failure_rate_factor: float) -> float:
        """ETTR of the reference training job at this failure-rate multiplier."""
        key = round(failure_rate_factor, 4)
        if key not in self._goodput:
            from ..ops import simulate

            self._goodput[key] = float(simulate(GOODPUT_GPUS, GOODPUT_DAYS, seed=0,
                                                failure_multiplier=key).ettr)
        return self._goodput[key]

    def risk(self, sc: Scenario, inputs: Any, result: Any, failure_rate_factor: float
             ) -> dict[str, Any]:
        """Re-solve the variant in ``RISK_DRAWS`` drawn worlds (seed 0)."""
        from ..risk.distributions import transform
        from ..risk.model import build_model
        from ..risk.seeding import draw_uniforms

        if not sc.uncertainties:
            return {"draws": 0, "summary": {}, "note": "the scenario has no uncertainties"}
        model, _ = build_model(sc, self.catalog, fixed_plan=False,
                               base=(inputs, result.decisions), with_goodput=False)
        uncs = list(sc.uncertainties)
        x = transform(uncs, draw_uniforms(0, 0, RISK_DRAWS, len(uncs)))
        y = np.array([model.evaluate(row) for row in x])
        names = model.outcome_names
        eff_name = [n for n in names if n.startswith("effective_exaflops_")][-1]
        eff = y[:, names.index(eff_name)]
        cost = y[:, names.index("total_cost_usd")]
        margin = y[:, names.index("budget_margin_usd")]
        ok = np.isfinite(cost)
        pct = (lambda v, q: float(np.nanpercentile(v, q)) if ok.any() else float("nan"))
        ettr = self.goodput(failure_rate_factor)
        return {"draws": RISK_DRAWS, "outcome": eff_name,
                "summary": {"effective_exaflops_p10": pct(eff, 10) * ettr,
                            "effective_exaflops_p50": pct(eff, 50) * ettr,
                            "total_cost_usd_p50": pct(cost, 50),
                            "within_budget": float(np.mean(margin[ok] >= 0)) if ok.any()
                            else 0.0},
                "note": f"{RISK_DRAWS} re-solve draws of the scenario's uncertainties "
                        "(seed 0); effective compute times the goodput (ETTR) at the "
                        "failure-rate lever"}

    def save(self, name: str, levers: dict[str, Any]) -> tuple[str, str]:
        """The variant's id and its scenario YAML; the variant is kept for comparison."""
        vid = _variant_id(self.scenario.id, name)
        sc = self.variant_scenario(levers)
        text = scenario_yaml(sc, vid, f"{name} (saved by gigawatt app from {self.scenario.id})")
        self.variants[name] = {"levers": levers, "totals": self.evaluate(levers)["totals"]}
        return vid, text

    def compare(self, a: str, b: str) -> list[dict[str, Any]]:
        """Totals of two saved variants side by side, with ``b - a``."""
        for n in (a, b):
            if n not in self.variants:
                raise GigawattError(f"no variant named {n!r}; saved: "
                                    f"{', '.join(self.variants) or 'none'}")
        ta, tb = self.variants[a]["totals"], self.variants[b]["totals"]
        return [{"metric": k, "a": ta.get(k), "b": tb.get(k),
                 "difference": (tb[k] - ta[k]) if k in ta and k in tb else None}
                for k in COMPARED if k in ta or k in tb]


def _variant_id(base: str, name: str) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")
    slug = "-".join(p for p in slug.split("-") if p) or "variant"
    return f"{base}-{slug}"[:80]


def _charts(result: Any) -> dict[str, Any]:
    """Chart data: fleet by accelerator per year, compute and capex per year."""
    b = result.builds
    years = [int(y) for y in result.fleet.index]
    by_acc = b.groupby(["accelerator", "year"]).accelerators.sum()
    fleet = {a: [float(by_acc.get((a, y), 0.0)) for y in years]
             for a in sorted(set(b.accelerator))}
    costs = result.costs
    return {"years": years, "fleet_by_accelerator": fleet,
            "effective_exaflops": [float(v) for v in result.fleet.effective_exaflops],
            "capex_usd": [float(costs.capex_usd.get(y, 0.0)) for y in years],
            "opex_usd": [float(costs.opex_usd.get(y, 0.0)) for y in years]}
