"""The risk section of the report: outcome histograms with CDFs, the tornado, the draws.

:func:`risk_figures` builds the plotly figures; :func:`risk_report_section` returns them
with the summary tables as a :class:`gigawatt.report.html.Section` (for any page built
with ``render_page``, such as the plan report); :func:`risk_section` is the same as a
plain HTML fragment; :func:`write_risk_report` writes ``risk.html`` (self-contained, the
shared page template), ``risk.json`` (the summary) and ``risk_draws.csv`` (one row per
draw) into a report folder (:mod:`gigawatt.report.folder`: all three or none).
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import numpy as np

from ..numfmt import field
from ..risk.result import RiskResult
from .folder import write_report_folder


def histogram_cdf(result: RiskResult, outcome: str) -> Any:
    """Histogram of one outcome's draws with its empirical CDF and P10/P50/P90 lines."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    v = result.outcome(outcome)
    v = np.sort(v[np.isfinite(v)])
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Histogram(x=v, nbinsx=50, name="draws", opacity=0.7), secondary_y=False)
    fig.add_trace(go.Scatter(x=v, y=np.arange(1, len(v) + 1) / max(1, len(v)), name="CDF",
                             mode="lines"), secondary_y=True)
    s = result.outcome_summary()[outcome]
    for q in ("p10", "p50", "p90"):
        if np.isfinite(s[q]):
            fig.add_vline(x=s[q], line_dash="dash", annotation_text=q.upper())
    fig.update_layout(title=f"{outcome} ({result.draws:,} draws)", bargap=0.02,
                      height=360, margin={"t": 50, "b": 40})
    fig.update_xaxes(title_text=outcome)
    fig.update_yaxes(title_text="draws", secondary_y=False)
    fig.update_yaxes(title_text="probability <= x", range=[0, 1], secondary_y=True)
    return fig


def tornado_figure(result: RiskResult, outcome: str | None = None) -> Any:
    """One-at-a-time swings of an outcome (each input at P10 and P90, others at median)."""
    import plotly.graph_objects as go

    outcome = outcome or result.primary_outcome
    bars = list(reversed(result.tornado[outcome]))
    base = result.base[outcome]
    names = [b.input for b in bars]
    fig = go.Figure()
    fig.add_trace(go.Bar(y=names, x=[b.outcome_at_p10 - base for b in bars], base=base,
                         orientation="h", name="input at P10"))
    fig.add_trace(go.Bar(y=names, x=[b.outcome_at_p90 - base for b in bars], base=base,
                         orientation="h", name="input at P90"))
    fig.update_layout(title=f"tornado: {outcome} (others at median; all at median: "
                            f"{base:.4g})",
                      barmode="overlay", height=120 + 28 * len(bars), margin={"t": 50})
    fig.update_xaxes(title_text=outcome)
    return fig


def risk_figures(result: RiskResult) -> list[Any]:
    """The tornado of the primary outcome, then a histogram/CDF per outcome."""
    figs = [tornado_figure(result)] if result.input_names else []
    return figs + [histogram_cdf(result, o) for o in result.outcome_names]


def _table(result: RiskResult) -> str:
    rows = []
    for name, s in result.outcome_summary().items():
        cells = "".join(f"<td>{html.escape(field(name, s[k]))}</td>"
                        for k in ("p10", "p50", "p90", "mean"))
        rows.append(f"<tr><td>{html.escape(name)}</td>{cells}</tr>")
    odds = result.milestone_probabilities
    ms = "".join(f"<tr><td>{html.escape(m.name)}</td><td>{odds[m.name]:.1%}"
                 f"</td><td>{html.escape(m.description)}</td></tr>" for m in result.milestones)
    return ("<table class='risk-outcomes'><tr><th>outcome</th><th>P10</th><th>P50</th>"
            f"<th>P90</th><th>mean</th></tr>{''.join(rows)}</table>"
            "<table class='risk-milestones'><tr><th>milestone</th><th>probability</th>"
            f"<th>meaning</th></tr>{ms}</table>")


def risk_section(result: RiskResult, include_plotlyjs: bool | str = False) -> str:
    """An HTML fragment: summary tables and the figures."""
    parts = [f"<section id='risk'><h2>Risk: {html.escape(result.scenario)}, "
             f"{result.draws:,} draws, seed {result.seed}, "
             f"{'fixed plan' if result.fixed_plan else 're-solved per draw'}</h2>",
             _table(result)]
    for i, fig in enumerate(risk_figures(result)):
        parts.append(fig.to_html(full_html=False,
                                 include_plotlyjs=include_plotlyjs if i == 0 else False))
    parts += [f"<p class='note'>{html.escape(n)}</p>" for n in result.notes]
    return "\n".join(parts + ["</section>"])


def _frames(result: RiskResult) -> tuple[Any, Any, Any]:
    """(outcomes, milestones, tornado) as DataFrames for the page's tables."""
    import pandas as pd

    outcomes = pd.DataFrame([{"outcome": n, **{k: s[k] for k in ("p10", "p50", "p90", "mean")},
                              "inputs_at_median": result.base[n],
                              "planned": result.planned.get(n, float("nan"))}
                             for n, s in result.outcome_summary().items()])
    milestones = pd.DataFrame([{"milestone": m.name,
                                "probability": result.milestone_probabilities[m.name],
                                "meaning": m.description} for m in result.milestones])
    tornado = pd.DataFrame([b.to_dict() for b in result.tornado.get(result.primary_outcome, [])])
    return outcomes, milestones, tornado


def risk_report_section(result: RiskResult) -> Any:
    """A :class:`~gigawatt.report.html.Section`: figures plus outcome, milestone and
    tornado tables (with CSV downloads)."""
    from .html import Section, Table, bullet_list

    outcomes, milestones, tornado = _frames(result)
    mode = "fixed plan" if result.fixed_plan else "plan re-solved per draw"
    return Section(
        id="risk", title=f"Risk: {result.draws:,} draws, seed {result.seed}, {mode}",
        charts=risk_figures(result), html=bullet_list(result.notes),
        tables=[Table("risk_outcomes", "outcomes (P10/P50/P90 over the draws)", outcomes,
                      row_field="outcome"),
                Table("risk_milestones", "milestones (probability over the draws)",
                      milestones),
                Table("risk_tornado", f"tornado: {result.primary_outcome}", tornado)])


def write_risk_report(result: RiskResult, out_dir: Path) -> dict[str, Path]:
    """Write ``risk.html``, ``risk.json`` and ``risk_draws.csv`` into ``out_dir``."""
    from .html import BUNDLE, plotly_js, render_page

    out_dir = Path(out_dir)
    kpis = [{"label": m.name, "value": f"{result.milestone_probabilities[m.name]:.0%}",
             "cls": ""} for m in result.milestones]
    page = render_page(f"gigawatt risk: {result.scenario}",
                       f"{result.draws:,} draws, seed {result.seed}", [risk_report_section(result)],
                       kpis=kpis)
    paths = {"html": out_dir / "risk.html", "json": out_dir / "risk.json",
             "csv": out_dir / "risk_draws.csv"}
    write_report_folder(out_dir, "risk", {
        paths["csv"].name: result.to_frame().to_csv(),
        paths["json"].name: json.dumps(_json_safe(result.to_dict()), indent=2),
        paths["html"].name: page, BUNDLE: plotly_js()})
    return paths


def _json_safe(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


__all__ = ["risk_figures", "risk_section", "risk_report_section", "write_risk_report",
           "histogram_cdf", "tornado_figure"]
