"""`gigawatt plan`: the build-out optimisation of a scenario, its report and tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from . import app
from ..numfmt import field, money, number
from .output import bullet, console, emit_json, err_console, progress_enabled, table


def _batch_note(sc: Any) -> str:
    """The reference global batch behind every MFU of the plan: it moves the answer a lot,
    so say it, and say when it is the default."""
    tokens = sc.reference_global_batch_tokens
    default = "reference_global_batch_tokens" not in sc.model_fields_set
    return (f"MFU and effective compute assume a global batch of {number(tokens)} tokens "
            f"per step" + (" (the default, Llama 3 405B's; set reference_global_batch_tokens "
                           "in the scenario)" if default else " (from the scenario)"))


def _summary(r: Any, report: Path | None, batch_note: str = "") -> None:
    out = console()
    t = r.totals
    out.print(f"[bold]{r.scenario}[/bold]: {r.status} ({r.objective}), solved in "
              f"{r.solve_time_s:.2f} s")
    out.print(table("totals", ["", "value"], [
        ["capex_usd", f"{money(t['capex_usd'])} of {money(t['budget_usd'])} budget"],
        ["opex_usd (programme)", t["opex_usd"]], ["accelerators installed", t["accelerators"]],
        ["it_power_mw (peak year)", field("it_power_mw", t["it_power_mw"])],
        ["facility_power_mw (peak year)", field("facility_power_mw", t["facility_power_mw"])],
        ["effective_exaflops (peak year)", field("effective_exaflops",
                                                  t["effective_exaflops"])],
        ["peak_exaflops (peak year)", field("peak_exaflops", t["peak_exaflops"])],
        ["cost_per_gpu_hour_usd", t["cost_per_gpu_hour_usd"]],
        ["cost_per_effective_exaflop_day_usd", t["cost_per_effective_exaflop_day_usd"]]]))
    out.print(table("phases (fleet, facility power and compute at each phase's end)",
                    ["phase", "years", "budget_usd", "capex_usd", "fleet",
                     "facility_power_mw", "effective EFLOP/s"],
                    [[pid, f"{int(p.start_year)}-{int(p.end_year)}", p.budget_usd, p.capex_usd,
                      p.accelerators, p.facility_power_mw, p.effective_exaflops]
                     for pid, p in r.phases.iterrows()],
                    fields=["", "", "budget_usd", "capex_usd", "accelerators",
                            "facility_power_mw", ""]))
    by = r.builds[r.builds.new_accelerators > 0].groupby(
        ["year", "site", "accelerator"]).new_accelerators.sum()
    out.print(table("what to build, where, when", ["year", "site", "accelerator", "installed"],
                    [[y, s, a, n] for (y, s, a), n in by.items()],
                    fields=["year", "", "", "accelerators"]))
    if r.relaxations:
        out.print("[bold]relaxed:[/bold]")
        for x in r.relaxations:
            out.print(bullet(x["message"]), markup=False)
    if r.binding:
        out.print("[bold]what limits it[/bold] (LP duals):")
        for b in r.binding[:8]:
            out.print(bullet(b["message"]), markup=False)
    for note in r.notes:
        out.print(f"note: {note}", markup=False)
    if batch_note:
        out.print(f"note: {batch_note}", markup=False)
    if report is not None:
        out.print(f"report: {report}")


def cache_dir() -> Path:
    """Where capability tables are cached between runs (the same folder as the Python
    API's, :func:`gigawatt.cache.default_cache_dir`)."""
    from ..cache import default_cache_dir

    return default_cache_dir()


def plan_placed(sc: Any, cat: Any, *, frontier: bool = True, **kwargs: Any) -> Any:
    """The plan with its training runs placed (each on one site or linked group, at its
    job size's rate and simulated ETTR; :func:`gigawatt.ops.placement.plan_with_placement`)
    and the largest run per year (:func:`gigawatt.ops.frontier.plan_frontier`); the runs
    are cached on disk."""
    from dataclasses import replace

    from ..ops.frontier import plan_frontier
    from ..ops.placement import plan_with_placement
    from ..plan import plan_scenario
    from .cache import JsonFolderCache

    cache = JsonFolderCache(cache_dir() / "runs")
    result = plan_with_placement(sc, cat, plan=plan_scenario, cache=cache,
                                 cache_dir=cache_dir(), **kwargs)
    if not frontier:
        return result
    days = max([w.max_days for w in sc.workloads.training], default=120.0)
    return replace(result, frontier=plan_frontier(result, days, catalog=cat, cache=cache))


@app.command("plan")
def plan(
    scenario: Optional[str] = typer.Option(None, "--scenario", metavar="ID|PATH",
                                           help="Built-in scenario id or YAML file "
                                           "(default: stargate)."),
    out: Path = typer.Option(Path("gigawatt-report"), "--out", metavar="DIR",
                             help="Folder for index.html, tables/*.csv and plan.json."),
    compare: list[str] = typer.Option([], "--compare", metavar="ID|PATH",
                                      help="Plan several scenarios and put them side by "
                                      "side (repeat the option)."),
    time_limit_s: float = typer.Option(60.0, "--time-limit-s", min=1, max=3600,
                                       help="Solver time limit per solve, s."),
    exact: bool = typer.Option(False, "--exact", help="Solve the full MILP instead of LP "
                               "relaxation + rounding (slow on large scenarios)."),
    hourly: bool = typer.Option(False, "--hourly", help="Dispatch power in every hour of "
                                "the year instead of representative days (for one or a "
                                "few solar sites: at most three site-years of solar hours; "
                                "sites without solar cost no more)."),
    no_report: bool = typer.Option(False, "--no-report", help="Do not write the report "
                                   "folder."),
    json: bool = typer.Option(False, "--json", help="Print one JSON document (plan.json)."),
) -> None:
    """Optimise a build-out: what to build, where, when, for how much, what it delivers and
    what limits it; writes a self-contained HTML report."""
    from ..catalog import load_catalog
    from ..plan.solve import hourly_scenario
    from ..scenario import load_scenario
    from ..report.folder import check_report_folder
    from ..report.plan_report import distinct_scenarios, plan_document, write_plan_report

    if not no_report:
        check_report_folder(out, "--out")  # refuse a bad folder before solving
    refs = list(dict.fromkeys(([scenario] if scenario else []) + list(compare))) or ["stargate"]
    cat = load_catalog()
    results = []
    for ref in refs:
        if progress_enabled() and not json:
            err_console().print(f"planning {ref} ...")
        sc = load_scenario(ref, cat)
        if hourly:
            sc = hourly_scenario(sc)
        results.append(plan_placed(sc, cat, time_limit_s=time_limit_s, exact=exact))
    results = distinct_scenarios(results, refs)
    from .finance_cmd import finances_for

    finances = finances_for(refs, results, cat)
    report = None if no_report else out / "index.html"
    doc = plan_document(results, None if report is None else str(report), finances)
    if report is not None:
        write_plan_report(results, out, doc, finances)
    if json:
        emit_json(doc)
        return
    from ..scenario import load_scenario

    for ref, r in zip(refs, results):
        _summary(r, None, _batch_note(load_scenario(ref, cat)))
    if report is not None:
        console().print(f"report: {report}  (tables: {out / 'tables'}, {out / 'plan.json'})")
