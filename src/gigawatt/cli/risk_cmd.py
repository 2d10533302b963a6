"""`gigawatt risk`: Monte Carlo over a scenario's uncertainties, local or on Ray."""

from __future__ import annotations

import time
from typing import Any, Literal, Optional

import typer

from . import app
from ..numfmt import field
from .output import console, emit_json, err_console, fmt, progress_enabled, table


def _progress_bar() -> tuple[Any, Any]:
    """(rich progress, callback) on a terminal; (None, None) otherwise."""
    if not progress_enabled():
        return None, None
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn("draws + tornado points"), BarColumn(),
                   TextColumn("{task.completed:,.0f}"), TimeRemainingColumn(),
                   console=err_console(), transient=True)
    task = bar.add_task("evaluations", total=None)
    return bar, lambda done, total: bar.update(task, completed=done, total=total)


def _print(result: Any, wall_s: float, executor: str) -> None:
    out = console()
    mode = "fixed plan" if result.fixed_plan else "plan re-solved per draw"
    out.print(f"[bold]{result.scenario}[/bold]: {result.draws:,} draws, seed {result.seed}, "
              f"{mode}, executor {executor}, {wall_s:.1f} s")
    summary = result.outcome_summary()
    out.print(table("outcomes", ["outcome", "P10", "P50", "P90", "mean", "at median",
                                 "planned"],
                    [[n] + [_value(n, v) for v in (s["p10"], s["p50"], s["p90"], s["mean"],
                                                   result.base[n], result.planned.get(n))]
                     for n, s in summary.items()]))
    out.print(table("milestones", ["milestone", "probability", "meaning"],
                    [[m.name, f"{result.milestone_probabilities[m.name]:.1%}", m.description]
                     for m in result.milestones]))
    bars = result.tornado.get(result.primary_outcome, [])
    out.print(table(f"tornado: {result.primary_outcome}", ["input", "swing", "at P10",
                                                          "at P90", "Spearman"],
                    [[b.input] + [_value(result.primary_outcome, v) for v in
                                  (b.swing, b.outcome_at_p10, b.outcome_at_p90)]
                     + [fmt(round(b.spearman, 3))] for b in bars]))
    for n in result.notes:
        out.print(f"[yellow]note:[/yellow] {n}")


def _value(name: str, v: Any) -> str:
    """An outcome's value in its own unit (``total_cost_usd`` -> ``$372B``, a year ->
    ``2029.4``)."""
    return field(name, v)


@app.command("risk")
def risk(
    scenario: str = typer.Option("stargate", "--scenario", help="Built-in id or YAML file."),
    draws: int = typer.Option(1000, "--draws", help="Monte Carlo draws (>= 1)."),
    seed: int = typer.Option(0, "--seed", help="Seed (>= 0); same seed, same result on "
                             "any executor and worker count."),
    executor: Literal["local", "ray"] = typer.Option("local", "--executor",
                                                     help="local (process pool) or ray."),
    address: Optional[str] = typer.Option(None, "--address", help="Ray head HOST:PORT "
                                          "(default: start a local Ray)."),
    workers: Optional[int] = typer.Option(None, "--workers", help="Processes / Ray tasks in "
                                          "flight (default: CPUs)."),
    fixed_plan: bool = typer.Option(False, "--fixed-plan", help="Evaluate the base plan in "
                                    "each drawn world instead of re-solving (much faster)."),
    chunk_size: Optional[int] = typer.Option(None, "--chunk-size", help="Draws per task."),
    out: Optional[str] = typer.Option(None, "--out", help="Folder for risk.html, risk.json, "
                                      "risk_draws.csv."),
    json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """P10/P50/P90 of cost, full-capacity date, compute and goodput; milestone odds; tornado."""
    from pathlib import Path

    from ..catalog import load_catalog
    from ..errors import ValidationError
    from ..risk import build_model, get_executor, run_risk
    from ..risk.run import check_draws
    from ..scenario import load_scenario

    check_draws(draws)
    if address and executor != "ray":
        raise ValidationError(f"--address {address} needs --executor ray (got {executor})",
                              field="address")
    get_executor(executor, workers=workers, address=address)  # bad names fail before solving
    if executor == "ray" and address:
        from ..risk.executors import check_address
        check_address(address)
    if out:
        from ..report.folder import check_report_folder
        check_report_folder(Path(out), "--out")  # before the draws, not after
    cat = load_catalog()
    sc = load_scenario(scenario, cat)
    t0 = time.perf_counter()
    from .cache import JsonFolderCache
    from .plan_cmd import cache_dir

    model, notes = build_model(sc, cat, fixed_plan=fixed_plan, seed=seed,
                               cache=JsonFolderCache(cache_dir() / "runs"))
    bar, callback = _progress_bar()
    try:
        if bar is not None:
            bar.start()
        result = run_risk(model, model.uncertainties, scenario=sc.id, draws=draws, seed=seed,
                          executor=executor, workers=workers, address=address,
                          chunk_size=chunk_size, fixed_plan=fixed_plan, progress=callback,
                          notes=notes)
    finally:
        if bar is not None:
            bar.stop()
    wall_s = time.perf_counter() - t0
    doc = result.to_dict()
    if out:
        from ..report.risk import write_risk_report
        paths = write_risk_report(result, Path(out))
        doc["report"] = str(paths["html"])
    if json:
        emit_json(doc)
        return
    _print(result, wall_s, executor)
    if out:
        console().print(f"report: {doc['report']}")
