"""`gigawatt frontier`: the largest training run that finishes within a duration on one
accelerator type (or a planned site's fleet), with its plan, MFU, ETTR and the limit
that binds past it."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from . import app
from .output import console, emit_json, table


def _site_fleet(scenario: str, site: Optional[str], year: Optional[int]) -> dict[str, Any]:
    """The accelerator type and count of a planned site in a year (default: the site and
    accelerator type with the most accelerators in the last year)."""
    from ..catalog import load_catalog
    from ..errors import UnknownIdError, ValidationError
    from ..scenario import load_scenario
    from .plan_cmd import plan_placed

    cat = load_catalog()
    r = plan_placed(load_scenario(scenario, cat), cat, frontier=False)
    b = r.builds
    years = sorted(b.year.unique())
    y = years[-1] if year is None else int(year)
    if y not in years:
        raise ValidationError(f"{y} is not a year of the plan; allowed: "
                              f"{years[0]}..{years[-1]}", field="year")
    rows = b[(b.year == y) & (b.accelerators > 0)]
    if site is not None:
        if site not in set(r.sites.index if hasattr(r.sites, "index") else []) | set(b.site):
            raise UnknownIdError("site", site, sorted(set(b.site)))
        rows = rows[rows.site == site]
    if rows.empty:
        raise ValidationError(f"the plan has no accelerators{' at ' + site if site else ''} "
                              f"in {y}", field="site")
    g = rows.groupby(["site", "accelerator"]).accelerators.sum().sort_values()
    (s, a), n = g.index[-1], int(round(g.iloc[-1]))
    return {"scenario": r.scenario, "site": s, "year": int(y), "accelerator": a,
            "accelerators": n}


def _print(r: Any, plot: Path | None) -> None:
    out = console()
    where = r.context
    head = (f"{where['scenario']}: {where['site']} in {where['year']}, "
            f"{where['accelerators']:,} x {r.accelerator}" if where else
            f"{r.accelerator}, up to {r.max_gpus:,} accelerators")
    out.print(f"[bold]largest training run in {r.days:g} days[/bold] — {head} "
              f"({r.recovery} recovery)")
    b = r.best
    if b is None:
        nxt = r.next_infeasible
        out.print(f"no run of the smallest size searched finishes; binding: "
                  f"{nxt.binding if nxt else '?'}")
    else:
        p = b.plan
        out.print(table("the run", ["", "value"], [
            ["max_training_flop", f"{b.training_flop:.3g}"],
            ["model", f"dense {b.params / 1e9:,.0f}B: {b.model['layers']} layers x "
                      f"{b.model['hidden']:,}"],
            ["tokens", f"{b.tokens:.3g}"], ["accelerators", b.gpus],
            ["plan", f"tp {p['tp']} pp {p['pp']} dp {p['dp']} cp {p['cp']} vp {p['vp']}, "
                     f"global batch {p['global_batch']:,} x {p['seq_len']:,} tokens"],
            ["max_batch_tokens", f"{b.max_batch_tokens:.3g}"],
            ["mfu", b.mfu], ["ettr", b.ettr], ["utilisation (mfu x ettr)", b.utilisation],
            ["ideal_days", b.ideal_days], ["wall_days", b.wall_days],
            ["binding (next size up)", r.next_infeasible.binding if r.next_infeasible
             else "none within the searched range"]]))
    if r.sweep:
        out.print(table("sweep", ["FLOP", "params", "accelerators", "mfu", "ettr",
                                  "utilisation", "wall_days", "finishes / binding"],
                        [[f"{q.training_flop:.2g}", f"{q.params:.3g}", q.gpus, q.mfu, q.ettr,
                          q.utilisation, q.wall_days, "yes" if q.feasible else q.binding]
                         for q in r.sweep]))
    if plot is not None:
        out.print(f"chart: {plot}")


@app.command("frontier")
def frontier(
    accelerator: Optional[str] = typer.Option(None, "--accelerator", help="Catalog "
                                              "accelerator id."),
    scenario: Optional[str] = typer.Option(None, "--scenario", metavar="ID|PATH",
                                           help="Plan this scenario and use a site's fleet "
                                           "(instead of --accelerator)."),
    site: Optional[str] = typer.Option(None, "--site", help="With --scenario: the site "
                                       "(default: the one with most accelerators)."),
    year: Optional[int] = typer.Option(None, "--year", help="With --scenario: the year "
                                       "(default: the last)."),
    days: float = typer.Option(..., "--days", help="Longest wall-clock duration, days."),
    max_gpus: Optional[int] = typer.Option(None, "--max-gpus", help="Most accelerators "
                                           "(default 16,777,216; with --scenario the site's)."),
    recovery: str = typer.Option("restart", "--recovery", help="restart|in-memory|elastic"),
    tokens_per_param: float = typer.Option(20.0, "--tokens-per-param", help="Training "
                                           "tokens per parameter (Chinchilla: 20)."),
    max_batch_tokens: Optional[float] = typer.Option(None, "--max-batch-tokens",
                                                     help="Global-batch ceiling, tokens "
                                                     "(default: the critical batch law)."),
    failure_scale: float = typer.Option(1.0, "--failure-scale", help="Multiplier on the "
                                        "failure rate (0: no failures)."),
    sweep: bool = typer.Option(False, "--sweep", help="Also tabulate every half decade "
                               "of training compute."),
    plot: Optional[Path] = typer.Option(None, "--plot", metavar="FILE.html",
                                        help="With --sweep: write the chart."),
    seed: int = typer.Option(0, "--seed", help="Seed of the failure simulation."),
    json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """The largest training compute (FLOP) that finishes within --days: model, tokens,
    plan, MFU, ETTR and what binds past it."""
    from ..errors import ValidationError
    from ..ops.frontier import frontier as run
    from ..ops.recovery import MODES

    if (accelerator is None) == (scenario is None):
        raise ValidationError("give exactly one of --accelerator ID or --scenario ID|PATH",
                              field="accelerator")
    if (site is not None or year is not None) and scenario is None:
        raise ValidationError("--site and --year need --scenario", field="site")
    if recovery not in MODES:
        raise ValidationError(f"{recovery!r} is not allowed; allowed: {', '.join(MODES)}",
                              field="recovery")
    if plot is not None and not sweep:
        raise ValidationError("--plot needs --sweep", field="plot")
    context: dict[str, Any] = {}
    if scenario is not None:
        context = _site_fleet(scenario, site, year)
        accelerator = context["accelerator"]
        max_gpus = context["accelerators"] if max_gpus is None else min(
            max_gpus, context["accelerators"])
    else:
        from ..catalog import load_catalog
        load_catalog().accelerator(accelerator)  # unknown ids: a clear error first
    from .cache import JsonFolderCache
    from .plan_cmd import cache_dir

    result = run(accelerator, days, max_gpus=max_gpus, recovery=recovery,
                 tokens_per_param=tokens_per_param, max_batch_tokens=max_batch_tokens,
                 failure_multiplier=failure_scale, sweep=sweep, seed=seed, context=context,
                 cache=JsonFolderCache(cache_dir() / "runs"))
    if plot is not None:
        from ..report.files import write_atomic
        from ..report.frontier import frontier_html

        write_atomic(plot, frontier_html(result))
    if json:
        doc = result.to_dict()
        if plot is not None:
            doc["plot"] = str(plot)
        emit_json(doc)
        return
    _print(result, plot)
