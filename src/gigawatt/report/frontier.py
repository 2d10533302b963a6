"""Frontier charts: utilisation (MFU x ETTR) and job size against training compute."""

from __future__ import annotations

from typing import Any


def frontier_figure(result: Any):
    """A plotly figure of a :class:`gigawatt.ops.frontier.FrontierResult` sweep: MFU, ETTR
    and their product against training compute (log axis), infeasible points marked."""
    import plotly.graph_objects as go

    pts = [p for p in result.sweep if p.mfu is not None]
    x = [p.training_flop for p in pts]
    fig = go.Figure()
    for name, values in (("utilisation (MFU x ETTR)", [p.utilisation for p in pts]),
                         ("MFU", [p.mfu for p in pts]), ("ETTR", [p.ettr for p in pts])):
        fig.add_trace(go.Scatter(x=x, y=values, mode="lines+markers", name=name,
                                 customdata=[[p.gpus, p.wall_days, p.binding or "finishes"]
                                             for p in pts],
                                 hovertemplate=("%{x:.2e} FLOP<br>%{y:.3f}<br>%{customdata[0]:,}"
                                                " accelerators<br>%{customdata[1]:.0f} days"
                                                "<br>%{customdata[2]}<extra></extra>")))
    bad = [p for p in pts if not p.feasible]
    if bad:
        fig.add_trace(go.Scatter(x=[p.training_flop for p in bad],
                                 y=[p.utilisation for p in bad], mode="markers",
                                 marker={"symbol": "x", "size": 12, "color": "crimson"},
                                 name=f"does not finish in {result.days:g} days"))
    if result.max_training_flop:
        fig.add_vline(x=result.max_training_flop, line_dash="dot",
                      annotation_text=f"largest: {result.max_training_flop:.2e} FLOP")
    fig.update_layout(title=(f"Largest training run on {result.accelerator} in "
                             f"{result.days:g} days ({result.recovery} recovery)"),
                      xaxis_title="training compute, FLOP", yaxis_title="fraction",
                      xaxis_type="log", yaxis_range=[0, 1.05], template="plotly_white")
    return fig


def frontier_html(result: Any) -> str:
    """The sweep chart as a self-contained HTML page (plotly.js inlined)."""
    return frontier_figure(result).to_html(include_plotlyjs=True, full_html=True)
