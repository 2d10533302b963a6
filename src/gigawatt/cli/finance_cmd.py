"""`gigawatt finance`: who pays for a scenario's plan, when, and whether it pays back."""

from __future__ import annotations

from typing import Any, Optional

import typer

from . import app
from .output import console, emit_json, err_console, progress_enabled, table

#: cash-flow columns shown in the terminal table (billions of USD)
SHOWN = [("capex_usd", "capex"), ("leased_capex_usd", "leased"), ("opex_usd", "opex"),
         ("lease_rent_usd", "rent"), ("interest_usd", "interest"),
         ("principal_usd", "principal"), ("tax_usd", "tax"), ("revenue_usd", "revenue"),
         ("funding_in_usd", "funding in"), ("cumulative_position_usd", "position"),
         ("project_cash_flow_usd", "project CF")]


def solve_with_inputs(ref: str, time_limit_s: float = 60.0) -> tuple[Any, Any, Any, Any]:
    """(scenario, catalog, planner inputs, plan) with the plan command's capability cache."""
    from ..catalog import load_catalog
    from ..plan import capability_for, plan_inputs
    from ..scenario import load_scenario
    from .plan_cmd import cache_dir, plan_placed

    cat = load_catalog()
    sc = load_scenario(ref, cat)
    inputs = plan_inputs(sc, cat, capability_for(sc, cat, cache_dir=cache_dir()))
    # the plan `gigawatt plan` makes: training runs placed (a re-solve where one misses)
    return sc, cat, inputs, plan_placed(sc, cat, frontier=False, time_limit_s=time_limit_s)


def finances_for(refs: list[str], results: list[Any], cat: Any) -> dict[str, Any]:
    """Finance results of the planned scenarios that have a financing block (for the plan
    report and plan.json), by scenario id."""
    from ..finance import finance_plan
    from ..plan import capability_for, plan_inputs
    from ..scenario import load_scenario
    from .plan_cmd import cache_dir

    out = {}
    for ref, r in zip(refs, results):
        sc = load_scenario(ref, cat)
        if sc.financing is not None:
            inputs = plan_inputs(sc, cat, capability_for(sc, cat, cache_dir=cache_dir()))
            out[r.scenario] = finance_plan(sc, inputs, r, cat)
    return out


def _summary(f: Any) -> None:
    out = console()
    b = 1e9
    rows = [[int(r.year), *[getattr(r, c) / b for c, _ in SHOWN]]
            for r in f.table.itertuples()]
    out.print(table(f"{f.scenario}: cash flow by year (billion USD)",
                    ["year", *[name for _, name in SHOWN]], rows))
    irr = "–" if f.irr is None else f"{f.irr:.2%}"
    out.print(table("what it adds up to", ["", "value"], [
        ["npv_usd (at cost of capital %.1f%%)" % (100 * f.cost_of_capital), f.npv_usd],
        ["irr", irr], ["payback_year", f.payback_year],
        ["funding_gap_usd", f.funding_gap_usd], ["funding_gap_year", f.funding_gap_year],
        ["first_shortfall_year", f.first_shortfall_year],
        ["funding_usd (equity + loans)", f.funding_usd],
        ["usd_per_gpu_hour (fully loaded)", f.usd_per_gpu_hour],
        ["usd_per_million_tokens (fully loaded)", f.usd_per_million_tokens],
        ["lease_rent_after_horizon_usd", f.lease_rent_after_horizon_usd],
        ["debt_outstanding_end_usd", f.debt_outstanding_end_usd]]))
    if f.irr is None and f.irr_note:
        out.print(f"irr: {f.irr_note}")
    for note in f.notes:
        out.print(f"note: {note}")


@app.command("finance")
def finance(
    scenario: Optional[str] = typer.Option(None, "--scenario", metavar="ID|PATH",
                                           help="Built-in scenario id or YAML file "
                                           "(default: stargate)."),
    time_limit_s: float = typer.Option(60.0, "--time-limit-s", min=1, max=3600,
                                       help="Solver time limit, s."),
    json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Plan a scenario, then finance it: yearly cash flow (capex, opex, rent, interest,
    revenue, cash in by source), NPV, IRR, payback year, the funding gap and the fully
    loaded cost per GPU-hour and per million tokens."""
    from ..finance import finance_plan, require_financing
    from ..scenario import load_scenario

    ref = scenario or "stargate"
    require_financing(load_scenario(ref))   # fail before the solve
    if progress_enabled() and not json:
        err_console().print(f"planning {ref} ...")
    sc, cat, inputs, plan = solve_with_inputs(ref, time_limit_s)
    f = finance_plan(sc, inputs, plan, cat)
    if json:
        emit_json(f.to_dict())
        return
    _summary(f)
