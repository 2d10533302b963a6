"""Serving charts: the throughput-latency frontier of a serving plan (plotly, HTML)."""

from __future__ import annotations

from typing import Any


def frontier_figure(frontier: Any, operating_point: Any | None = None):
    """A plotly figure: output tokens/s per GPU against TPOT over batch sizes.

    Parameters
    ----------
    frontier : :class:`gigawatt.perf.inference.ServingFrontier`.
    operating_point : optional :class:`~gigawatt.perf.inference.ServingEstimate` to mark.
    """
    import plotly.graph_objects as go

    df = frontier.to_frame()
    hover = ("batch %{customdata[0]}<br>TPOT %{x:.1f} ms<br>TTFT %{customdata[1]:.3f} s"
             "<br>%{y:,.0f} output tokens/s per GPU<extra></extra>")
    fig = go.Figure(go.Scatter(
        x=df["tpot_s"] * 1e3, y=df["output_tokens_per_s_per_gpu"], mode="lines+markers",
        name="batch sizes", customdata=df[["batch", "ttft_s"]].to_numpy(),
        hovertemplate=hover))
    if operating_point is not None:
        fig.add_trace(go.Scatter(
            x=[operating_point.tpot_s * 1e3], y=[operating_point.output_tokens_per_s_per_gpu],
            mode="markers", marker={"size": 14, "symbol": "star"},
            name=f"operating point (batch {operating_point.batch})"))
    plan = frontier.plan
    fig.update_layout(
        title=(f"{frontier.model} on {frontier.accelerator} (tp={plan['tp']}, ep={plan['ep']}, "
               f"{plan['precision']}): throughput-latency frontier"),
        xaxis_title="time per output token, ms", yaxis_title="output tokens/s per GPU",
        template="plotly_white")
    return fig


def frontier_html(frontier: Any, operating_point: Any | None = None) -> str:
    """The frontier as a self-contained HTML page (plotly.js inlined)."""
    return frontier_figure(frontier, operating_point).to_html(include_plotlyjs=True,
                                                              full_html=True)
