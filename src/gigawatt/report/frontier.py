"""Frontier charts and the plan report's frontier section: utilisation (MFU x ETTR)
against training compute, the largest run per year, the placed reference runs."""

from __future__ import annotations

from typing import Any


def sweep_figure(points: list[dict[str, Any]], *, title: str, days: float,
                 max_flop: float | None = None):
    """A plotly figure of frontier sweep points (dicts of
    :meth:`gigawatt.ops.frontier.FrontierPoint.to_dict`): MFU, ETTR and their product
    against training compute (log axis), runs that do not finish marked."""
    import plotly.graph_objects as go

    pts = [p for p in points if p.get("mfu") is not None]
    x = [p["training_flop"] for p in pts]
    custom = [[p["gpus"], p["wall_days"], p["binding"] or "finishes"] for p in pts]
    fig = go.Figure()
    for name, key in (("utilisation (MFU x ETTR)", "utilisation"), ("MFU", "mfu"),
                      ("ETTR", "ettr")):
        fig.add_trace(go.Scatter(x=x, y=[p[key] for p in pts], mode="lines+markers",
                                 name=name, customdata=custom,
                                 hovertemplate=("%{x:.2e} FLOP<br>%{y:.3f}<br>"
                                                "%{customdata[0]:,} accelerators<br>"
                                                "%{customdata[1]:.0f} days<br>"
                                                "%{customdata[2]}<extra></extra>")))
    bad = [p for p in pts if not p["feasible"]]
    if bad:
        fig.add_trace(go.Scatter(x=[p["training_flop"] for p in bad],
                                 y=[p["utilisation"] for p in bad], mode="markers",
                                 marker={"symbol": "x", "size": 12, "color": "crimson"},
                                 name=f"does not finish in {days:g} days"))
    if max_flop:
        fig.add_vline(x=max_flop, line_dash="dot",
                      annotation_text=f"largest: {max_flop:.2e} FLOP")
    fig.update_layout(title=title, xaxis_title="training compute, FLOP",
                      yaxis_title="fraction", xaxis_type="log", yaxis_range=[0, 1.05],
                      template="plotly_white")
    return fig


def frontier_figure(result: Any):
    """The sweep chart of a :class:`gigawatt.ops.frontier.FrontierResult`."""
    return sweep_figure([p.to_dict() for p in result.sweep], days=result.days,
                        max_flop=result.max_training_flop,
                        title=(f"Largest training run on {result.accelerator} in "
                               f"{result.days:g} days ({result.recovery} recovery)"))


def frontier_html(result: Any) -> str:
    """The sweep chart as a self-contained HTML page (plotly.js inlined)."""
    return frontier_figure(result).to_html(include_plotlyjs=True, full_html=True)


def frontier_section(r: Any, prefix: str = "") -> Any:
    """The plan report's frontier section (None when the plan has no frontier)."""
    import pandas as pd

    from .html import Section, Table

    f = r.frontier
    if f is None:
        return None
    years = pd.DataFrame(f["years"])
    for col in ("max_training_flop", "params"):  # FLOP and parameters read best as 9.3e+26
        if col in years:
            years[col] = years[col].map(lambda v: "–" if v is None or v != v else f"{v:.3g}")
    last = f["years"][-1] if f["years"] else None
    chart = sweep_figure(f["sweep"], days=f["days"],
                         max_flop=last and last.get("max_training_flop"),
                         title=(f"Run size vs utilisation, {last['site']} {last['year']}"
                                if last else "no accelerators"))
    runs = r.training.drop(columns=["plan"], errors="ignore").copy()
    if "placement" in runs:
        runs["placement"] = runs.placement.map(lambda p: ", ".join(p))
    html = (f"<p>The largest training run (FLOP) that finishes within {f['days']:g} days "
            "at each phase's end, on the site and accelerator type with most accelerators "
            "that year: a compute-optimal dense model (20 tokens per parameter), the job "
            "size that finishes soonest, its MFU and the ETTR the operations simulator "
            f"gives one synchronous job of that size ({f['recovery']} recovery). "
            "Binding: what stops the next size up."
            + (f" The chart sweeps run sizes at {last['site']} in {last['year']} "
               f"({last['accelerators']:,} x {last['accelerator']})." if last else "")
            + "</p>")
    return Section(f"{prefix}frontier", f"{prefix}Frontier: the largest run it can train",
                   html=html, charts=[chart],
                   tables=[Table(f"{prefix}frontier", "Largest run per year", years),
                           Table(f"{prefix}training-placed",
                                 "Reference runs as placed (wall clock, with ETTR)", runs)])
