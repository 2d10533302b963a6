"""The plan report: charts of a build-out, its tables, and the folder it is written to.

``write_plan_report(results, out_dir)`` writes ``index.html`` (with ``plotly.min.js``
beside it: offline), ``tables/*.csv`` and ``plan.json`` with the report folder writer
(:mod:`gigawatt.report.folder`), so an interrupted run never leaves a half-written report
that looks complete and files gigawatt did not write are kept. With several results
(``--compare``) the page puts them side by side.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from .files import json_text
from .finance import finance_section
from .folder import write_report_folder
from .frontier import frontier_section
from .html import BUNDLE, Section, Table, bullet_list, plotly_js, render_page
from .power import power_section
from .tables import TITLES, comparison_table, plan_tables

HEIGHT = 400


def _layout(fig: Any, title: str, y: str, x: str = "") -> Any:
    # automargin: the margins grow to fit tick labels and axis titles, never clip them
    fig.update_layout(title={"text": title, "font": {"size": 14}}, height=HEIGHT,
                      margin={"t": 50, "b": 10, "l": 10, "r": 10},
                      legend={"font": {"size": 10}}, template="plotly_white")
    fig.update_yaxes(title_text=y, automargin=True)
    fig.update_xaxes(automargin=True)
    if x:
        fig.update_xaxes(title_text=x)
    return fig


def _nonzero(values: Any) -> bool:
    """Whether a trace has anything to draw (a legend entry for no bars misleads)."""
    import numpy as np

    v = np.asarray(values, dtype=float)
    return bool(np.any(np.nan_to_num(v) != 0))


def buildout_figure(r: Any) -> Any:
    """New accelerators by phase, stacked by vendor / accelerator."""
    import plotly.graph_objects as go

    fig = go.Figure()
    b = r.builds[r.builds.new_accelerators > 0]
    phases = list(r.phases.index)
    if len(b):
        g = b.groupby(["vendor", "accelerator", "phase"]).new_accelerators.sum()
        for (vendor, acc), s in g.groupby(level=[0, 1]):
            s = s.droplevel([0, 1]).reindex(phases).fillna(0)
            fig.add_trace(go.Bar(x=phases, y=s.to_numpy(), name=f"{vendor} / {acc}"))
    fig.update_layout(barmode="stack")
    return _layout(fig, "Build-out: accelerators installed per phase, by vendor and "
                   "accelerator", "accelerators")


def power_figure(r: Any) -> Any:
    """Power capacity by site and source (bars) against the site limit and the load."""
    import plotly.graph_objects as go

    fig = go.Figure()
    sites = r.sites
    # one category per (year, site), every one labelled: a two-level axis drops labels
    # when crowded (15 of 30 shown for stargate)
    x = [f"{y} {s}" for y, s in zip(sites.year, sites.site)]
    key = list(zip(sites.year, sites.site))
    if len(r.power):
        for src, g in r.power.groupby("source"):
            s = g.set_index(["year", "site"]).capacity_mw.reindex(key).fillna(0)
            if _nonzero(s):
                fig.add_trace(go.Bar(x=x, y=s.to_numpy(), name=f"capacity: {src}"))
    fig.add_trace(go.Scatter(x=x, y=sites.site_limit_mw, mode="markers", name="site power limit",
                             marker={"symbol": "line-ew-open", "size": 14, "color": "black",
                                     "line": {"width": 2}}))
    fig.add_trace(go.Scatter(x=x, y=sites.facility_power_mw, mode="markers",
                             name="facility load (IT x PUE)",
                             marker={"symbol": "diamond", "size": 7, "color": "crimson"}))
    fig.update_layout(barmode="stack")
    fig = _layout(fig, "Power by site and source against the site limits", "MW")
    fig.update_xaxes(tickmode="array", tickvals=x, ticktext=x, tickangle=-60,
                     tickfont={"size": 9})
    fig.update_layout(height=HEIGHT + 8 * max(len(s) for s in x) if x else HEIGHT)
    return fig


def capex_figure(r: Any) -> Any:
    """Cumulative capex against the cumulative budget."""
    import plotly.graph_objects as go

    c = r.costs
    years = c.index.to_numpy()
    budget = pd.Series(0.0, index=c.index)
    for _, p in r.phases.iterrows():
        budget[budget.index >= p.start_year] += p.budget_usd
    fig = go.Figure()
    for col, name in (("capex_accelerators_usd", "accelerators, systems, network"),
                      ("capex_data_hall_usd", "data halls"), ("capex_power_usd", "power plant")):
        if _nonzero(c[col]):
            fig.add_trace(go.Bar(x=years, y=c[col].cumsum() / 1e9, name=name))
    fig.add_trace(go.Scatter(x=years, y=budget / 1e9, mode="lines+markers",
                             name="cumulative budget", line={"shape": "hv", "color": "black"}))
    fig.update_layout(barmode="stack")
    return _layout(fig, "Cumulative capex against budget", "billion USD", "year")


def compute_figure(results: list[Any]) -> Any:
    """Effective (peak x MFU) and peak exaFLOP/s of the active fleet by year."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for r in results:
        tag = f"{r.scenario}: " if len(results) > 1 else ""
        f = r.fleet
        fig.add_trace(go.Scatter(x=f.index, y=f.effective_exaflops, mode="lines+markers",
                                 name=f"{tag}effective"))
        fig.add_trace(go.Scatter(x=f.index, y=f.peak_exaflops, mode="lines", name=f"{tag}peak",
                                 line={"dash": "dot"}))
    return _layout(fig, "Compute over time: effective (peak x MFU on the reference model) "
                   "and peak", "exaFLOP/s (dense BF16)", "year")


def hbm_figure(r: Any) -> Any:
    """HBM drawn by each supplier's customers against its supply, by year."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for sup, g in r.hbm.groupby("supplier"):
        if _nonzero(g.demand_gb):
            fig.add_trace(go.Bar(x=g.year, y=g.demand_gb / 1e6, name=f"demand: {sup}",
                                 offsetgroup=sup))
        if g.supply_gb.notna().any():
            fig.add_trace(go.Scatter(x=g.year, y=g.supply_gb / 1e6, mode="markers",
                                     name=f"supply: {sup}",
                                     marker={"symbol": "line-ew-open", "size": 16,
                                             "line": {"width": 2}}))
    fig.update_layout(barmode="group")
    return _layout(fig, "HBM demand by supplier against supply", "million GB", "year")


def training_figure(r: Any) -> Any:
    """Days to train each reference workload at each phase's end, as placed."""
    import plotly.graph_objects as go

    fig = go.Figure()
    t = r.training
    for w, g in t.groupby("workload"):
        fig.add_trace(go.Bar(x=g.phase, y=g.time_to_train_days, name=w,
                             text=[f"{d:.3g} d" for d in g.time_to_train_days],
                             textposition="outside"))
    # log axis: runs of hours and a limit of months on one chart (a linear axis drew the
    # stargate bars at under 1% of the limit, an empty-looking chart); the limit is a
    # trace, as a shape's y on a log axis would be read as an exponent
    fig.update_layout(barmode="group")
    if len(t):
        import math

        limit = float(t.max_days.max())
        fig.add_trace(go.Scatter(x=list(dict.fromkeys(t.phase)), y=[limit] * t.phase.nunique(),
                                 mode="lines", name=f"limit: {limit:g} days",
                                 line={"dash": "dash", "color": "black"}))
        days = t.time_to_train_days[t.time_to_train_days > 0]
        lo = float(days.min()) if len(days) else limit
        fig.update_yaxes(type="log", range=[math.log10(min(lo, limit)) - 0.5,
                                            math.log10(max(float(days.max()) if len(days)
                                                           else limit, limit)) + 0.5])
    if not len(t):
        fig.add_annotation(text="no training workloads in this scenario", showarrow=False)
    return _layout(fig, "Time to train the reference workloads (placed on one site, wall "
                   "clock)", "days (log scale)")


def _kpis(r: Any) -> list[dict[str, str]]:
    from ..numfmt import field, money

    t = r.totals
    return [
        {"label": "status", "value": r.status, "cls": f"status-{r.status}"},
        {"label": "capex / budget", "value": f"{money(t['capex_usd'])} / "
         f"{money(t['budget_usd'])}", "cls": ""},
        {"label": "accelerators installed", "value": field("accelerators", t["accelerators"]),
         "cls": ""},
        {"label": "peak facility power",
         "value": field("facility_power_mw", t["facility_power_mw"]), "cls": ""},
        {"label": "effective compute (peak year)",
         "value": field("effective_exaflops", t["effective_exaflops"]), "cls": ""},
        {"label": "cost per GPU-hour", "value": money(t["cost_per_gpu_hour_usd"]), "cls": ""},
    ]


def plan_sections(r: Any, prefix: str = "", finance: Any = None) -> list[Section]:
    """The sections of one plan: summary, charts, power (sources, emissions, cost per MWh,
    ramp, duals), binding constraints, finance (when the scenario has a financing block),
    tables."""
    tables = plan_tables(r)
    msgs = [x["message"] for x in r.relaxations]
    summary = (f"<p>Objective: <b>{r.objective}</b>; status <b>{r.status}</b>; solved in "
               f"{r.solve_time_s:.2f} s.</p>" + (
                   "<p><b>Relaxed to make the plan feasible:</b></p>" + bullet_list(msgs)
                   if msgs else "<p>Every limit holds.</p>") + bullet_list(r.notes))
    name = lambda n: f"{prefix}{n}"  # noqa: E731
    frontier = frontier_section(r, prefix)
    return [
        Section(name("summary"), f"{prefix}Summary", html=summary,
                tables=[Table(name("phases"), TITLES["phases"], tables["phases"])]),
        Section(name("charts"), f"{prefix}What to build, where, when, and what it delivers",
                charts=[buildout_figure(r), power_figure(r), capex_figure(r),
                        compute_figure([r]), hbm_figure(r), training_figure(r)]),
        power_section(r, prefix),
        *([frontier] if frontier is not None else []),
        _calibration(r, prefix),
        Section(name("limits"), f"{prefix}What limits it",
                html=bullet_list([b["message"] for b in r.binding]),
                tables=[Table(name("binding"), TITLES["binding"], tables["binding"]),
                        Table(name("relaxations"), TITLES["relaxations"],
                              tables["relaxations"])]),
        *([] if finance is None else [finance_section(finance, prefix)]),
        Section(name("tables"), f"{prefix}Tables",
                tables=[Table(name(n), TITLES[n], tables[n])
                        for n in ("by_phase", "builds", "sites", "power", "supply", "costs",
                                  "fleet",
                                  "hbm", "training", "accelerators")]),
    ]


def _calibration(r: Any, prefix: str) -> Section:
    from .calibration import calibration_section

    return calibration_section(r, prefix)


def render_plan(r: Any, finance: Any = None) -> str:
    """The report page of one plan (with its finance section when given)."""
    return render_page(f"gigawatt plan: {r.scenario}",
                       f"build-out plan, {int(r.fleet.index[0])}-{int(r.fleet.index[-1])}",
                       plan_sections(r, finance=finance), _kpis(r))


def render_comparison(results: list[Any], finances: dict[str, Any] | None = None) -> str:
    """Scenarios side by side, then each plan's own sections."""
    import plotly.graph_objects as go

    cmp = comparison_table(results)
    capex = go.Figure()
    for r in results:
        capex.add_trace(go.Scatter(x=r.costs.index, y=r.costs.capex_usd.cumsum() / 1e9,
                                   mode="lines+markers", name=r.scenario))
    _layout(capex, "Cumulative capex by scenario", "billion USD", "year")
    fleet = go.Figure()
    for r in results:
        fleet.add_trace(go.Scatter(x=r.fleet.index, y=r.fleet.accelerators,
                                   mode="lines+markers", name=r.scenario))
    _layout(fleet, "Active accelerators by scenario", "accelerators", "year")
    sections = [Section("comparison", "Scenarios side by side",
                        charts=[compute_figure(results), capex, fleet],
                        tables=[Table("comparison", "Totals by scenario, with the difference "
                                      f"from {results[0].scenario}", cmp, row_field="total")])]
    for r in results:
        sections += plan_sections(r, prefix=f"{r.scenario}: ",
                                  finance=(finances or {}).get(r.scenario))
    return render_page("gigawatt plan: " + " vs ".join(r.scenario for r in results),
                       "scenarios compared", sections)


def plan_document(results: list[Any], report: str | None = None,
                  finances: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON document (``plan.json`` and ``--json``): one plan, or a comparison; each
    plan whose scenario has a financing block carries its ``finance`` document."""
    finances = finances or {}

    def one(r: Any) -> dict[str, Any]:
        d = r.to_dict()
        if r.scenario in finances:
            d["finance"] = finances[r.scenario].to_dict()
        return d

    if len(results) == 1:
        doc = one(results[0])
    else:
        doc = {"comparison": [one(r) for r in results]}
    if report is not None:
        doc["report"] = report
    return doc


def write_plan_report(results: list[Any], out_dir: Path, doc: dict[str, Any],
                      finances: dict[str, Any] | None = None) -> Path:
    """Write index.html, tables/*.csv and plan.json into ``out_dir`` (the report folder
    writer of :mod:`gigawatt.report.folder`: atomic, other files kept). With several
    results each scenario's tables go to ``tables/<scenario>/`` (ids made distinct by
    :func:`distinct_scenarios`); ``finances`` (by scenario id) add the finance section and
    ``cash_flow.csv``. Returns the path of ``index.html``."""
    finances = finances or {}
    if len(results) == 1:
        f = finances.get(getattr(results[0], "scenario", None))
        page = render_plan(results[0]) if f is None else render_plan(results[0], f)
    else:
        page = render_comparison(results, finances)
    files: dict[str, str | bytes] = {"index.html": page}
    for r in results:
        sub = "tables" if len(results) == 1 else f"tables/{r.scenario}"
        for name, df in plan_tables(r).items():
            files[f"{sub}/{name}.csv"] = df.to_csv(index=False)
        if r.scenario in finances:
            files[f"{sub}/cash_flow.csv"] = finances[r.scenario].to_frame().to_csv(index=False)
    files["plan.json"] = json_text(doc)
    files[BUNDLE] = plotly_js()
    write_report_folder(out_dir, "plan", files)
    return Path(out_dir) / "index.html"


def distinct_scenarios(results: list[Any], refs: list[str]) -> list[Any]:
    """Results whose scenario ids are distinct: the second and later results of a
    repeated id (two files with the same ``id:``, as a copy made with ``scenario show
    --yaml`` has) are relabelled ``<id>-2``, ``<id>-3`` …, with a note naming the file,
    so a comparison never writes one scenario's tables over another's."""
    import dataclasses

    taken = {r.scenario for r in results}
    seen: set[str] = set()
    out = []
    for r, ref in zip(results, refs):
        if r.scenario not in seen:
            seen.add(r.scenario)
            out.append(r)
            continue
        k = 2
        while f"{r.scenario}-{k}" in taken:
            k += 1
        label = f"{r.scenario}-{k}"
        taken.add(label)
        note = (f"scenario id '{r.scenario}' is repeated in the comparison; the one from "
                f"{ref} is labelled '{label}'")
        out.append(dataclasses.replace(r, scenario=label, notes=list(r.notes) + [note]))
    return out
