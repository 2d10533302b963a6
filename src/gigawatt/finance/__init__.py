"""Finance: who pays for a plan, when, what it costs per GPU-hour and per million tokens
once financed and depreciated, whether it pays back, and when the money runs out.

``finance_plan(scenario, inputs, plan, catalog)`` reads the solved plan's flows by year
(:mod:`.flows`), applies the scenario's ``financing:`` (leases, loans, equity, prices,
tax; :mod:`.cashflow`) and returns a :class:`FinanceResult`. Pure: no I/O.
"""

from __future__ import annotations

from ..catalog import Catalog
from ..errors import ValidationError
from ..financing import Financing, horizon_end
from ..plan.inputs import PlanInputs
from ..plan.result import PlanResult
from ..scenario import Scenario
from .cashflow import capital_charge, finance_flows
from .flows import PlanFlows, plan_flows
from .metrics import Irr, funding_gap, irr, npv, payback_year
from .result import FinanceResult
from .schedules import crf, loan_schedule, straight_line
from .tco import annual_tco_usd, breakeven_usd_per_gpu_hour


def scenario_flows(sc: Scenario, inputs: PlanInputs, plan: PlanResult, catalog: Catalog
                   ) -> PlanFlows:
    """The plan's flows over the scenario's finance horizon."""
    fin = require_financing(sc)
    demand_ids = {w.id: w.demand for w in sc.workloads.inference}
    return plan_flows(inputs, plan, catalog, horizon_end(fin, sc.end_year,
                                                         sc.hardware_life_years), demand_ids)


def require_financing(sc: Scenario) -> Financing:
    """The scenario's financing block, or a clear error when it has none."""
    if sc.financing is None:
        raise ValidationError(f"scenario '{sc.id}' has no 'financing:' block; add one "
                              "(funding sources, cost_of_capital, prices; see "
                              "docs/finance.md)", field="financing")
    return sc.financing


def finance_plan(sc: Scenario, inputs: PlanInputs, plan: PlanResult, catalog: Catalog
                 ) -> FinanceResult:
    """Cash flow, NPV, IRR, payback, funding gap and unit costs of a solved plan."""
    fin = require_financing(sc)
    return finance_flows(scenario_flows(sc, inputs, plan, catalog), fin, scenario=sc.id,
                         life_years=sc.hardware_life_years)


__all__ = ["FinanceResult", "PlanFlows", "finance_plan", "finance_flows", "plan_flows",
           "scenario_flows", "require_financing", "npv", "irr", "Irr", "payback_year",
           "funding_gap", "crf", "loan_schedule", "straight_line", "capital_charge",
           "annual_tco_usd", "breakeven_usd_per_gpu_hour"]
