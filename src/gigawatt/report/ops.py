"""Report section of the operations simulator: plotly charts of its time series.

``ops_section_html`` returns an HTML fragment (plotly.js not included) for a larger
report; ``ops_sections`` the same as :class:`~gigawatt.report.html.Section` objects for the
shared page template; ``write_ops_report`` writes ``simulate.html`` on that template (with
``plotly.min.js`` beside it: offline) and the time series as ``simulate_timeseries.csv``
into a report folder (:mod:`gigawatt.report.folder`).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from ..numfmt import field, number
from .folder import write_report_folder


def _subtitle(res: Any) -> str:
    if hasattr(res, "jobs"):
        return f"{len(res.jobs)} jobs, {res.totals['days']:g} days"
    if hasattr(res, "clusters"):
        return f"{len(res.clusters)} clusters of a plan"
    d = res.inputs
    return (f"{d['gpus']:,} x {d['accelerator']}, {d['days']:g} days, recovery "
            f"{d['recovery']}, seed {d.get('seed')}")


def _power_figure(res: Any, title: str):
    import plotly.graph_objects as go

    s = res.series
    days = s.time_h / 24.0
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=days, y=s.facility_power_mw, name="facility power (MW)",
                             line={"shape": "hv"}))
    fig.add_trace(go.Scatter(x=days, y=s.it_power_mw, name="IT power (MW)",
                             line={"shape": "hv"}))
    limit = res.inputs.get("power_limit_mw")
    if limit:
        fig.add_hline(y=limit, line_dash="dash", annotation_text="site limit")
    fig.update_layout(title=f"{title}: power (mean per {s.step_h * 60:g}-minute bin)",
                      xaxis_title="time (days)", yaxis_title="power (MW)", height=360)
    return fig


def _activity_figure(res: Any, title: str):
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    s = res.series
    days = s.time_h / 24.0
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Scatter(x=days, y=s.job_activity, name="job running (fraction)",
                             line={"shape": "hv"}), secondary_y=False)
    fig.add_trace(go.Bar(x=days, y=s.interruptions, name="interruptions per bin",
                         opacity=0.5), secondary_y=True)
    fig.update_layout(title=f"{title}: training job activity and interruptions", height=360,
                      xaxis_title="time (days)")
    fig.update_yaxes(title_text="running fraction", range=[0, 1.05], secondary_y=False)
    fig.update_yaxes(title_text="interruptions", secondary_y=True)
    return fig


def _spares_figure(res: Any, title: str):
    import plotly.graph_objects as go

    s = res.series
    days = s.time_h / 24.0
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=days, y=s.spares_available, name="hot spares available (nodes)",
                             line={"shape": "hv"}))
    fig.add_trace(go.Scatter(x=days, y=s.nodes_in_repair, name="nodes in repair",
                             line={"shape": "hv"}))
    fig.update_layout(title=f"{title}: spares and repair pipeline", height=320,
                      xaxis_title="time (days)", yaxis_title="nodes")
    return fig


def _lost_figure(res: Any, title: str):
    import plotly.graph_objects as go

    lost = res.lost_gpu_hours_by_reason
    fig = go.Figure(go.Bar(x=list(lost), y=list(lost.values())))
    fig.update_layout(title=f"{title}: lost GPU-hours by reason (ETTR {res.ettr:.3f})",
                      yaxis_title="GPU-hours", height=320)
    return fig


def ops_figures(res: Any, title: str = "simulate") -> list:
    """The charts of one simulation: power, job activity, spares, lost GPU-hours."""
    return [f(res, title) for f in (_power_figure, _activity_figure, _spares_figure,
                                    _lost_figure)]


def schedule_figures(res: Any) -> list:
    """Charts of a many-job run: accelerators training vs serving inference, power, and
    each job's queue wait and run (a Gantt chart)."""
    import plotly.graph_objects as go

    s = res.series
    days = s["time_h"] / 24.0
    use = go.Figure()
    use.add_trace(go.Scatter(x=days, y=s["training_gpus"], name="training", stackgroup="a"))
    use.add_trace(go.Scatter(x=days, y=s["inference_gpus"], name="inference", stackgroup="a"))
    use.update_layout(title="accelerators by use", xaxis_title="time (days)",
                      yaxis_title="accelerators", height=340)
    power = go.Figure(go.Scatter(x=days, y=s["facility_power_mw"], name="facility power",
                                 line={"shape": "hv"}))
    power.update_layout(title="facility power (MW)", xaxis_title="time (days)", height=320)
    gantt = go.Figure()
    for j in res.jobs:
        d = j.to_dict()
        end = d["finish_h"] if d["finish_h"] is not None else res.totals["days"] * 24
        if d["start_h"] is not None:
            gantt.add_trace(go.Bar(y=[d["id"]], x=[(d["start_h"] - d["submit_h"]) / 24],
                                   base=[d["submit_h"] / 24], orientation="h",
                                   marker_color="lightgrey", name="queued", showlegend=False))
            gantt.add_trace(go.Bar(y=[d["id"]], x=[(end - d["start_h"]) / 24],
                                   base=[d["start_h"] / 24], orientation="h",
                                   name=f"{d['id']} ({d['gpus']:,} GPUs)"))
    gantt.update_layout(title="jobs: queued (grey) and running", barmode="overlay",
                        xaxis_title="time (days)", height=120 + 30 * len(res.jobs))
    return [use, power, gantt]


def _runs(res: Any) -> list[tuple[str, Any]]:
    if hasattr(res, "clusters"):
        return [(f"{c.phase} {c.site} {c.accelerator} x{c.count}", r) for c, r in res.clusters]
    d = res.inputs
    return [(f"{d['gpus']:,} x {d['accelerator']}, {d['recovery']}", res)]


def ops_section_html(res: Any) -> str:
    """An HTML section with the charts of a simulation (or of each cluster of a plan)."""
    parts = ["<section id='operations'><h2>Operations</h2>"]
    if hasattr(res, "jobs"):
        t = res.totals
        parts.append(f"<p>{t['jobs_completed']} of {t['jobs']} jobs completed; mean wait "
                     f"{(t['mean_wait_h'] or 0):,.1f} h; training goodput "
                     f"{t['training_goodput']:.3f}; utilisation {t['utilisation']:.3f}.</p>")
        parts += [f.to_html(full_html=False, include_plotlyjs=False)
                  for f in schedule_figures(res)]
        return "\n".join(parts + ["</section>"])
    for title, r in _runs(res):
        i = r.interruptions
        parts.append(f"<h3>{html.escape(title)}</h3><p>ETTR {r.ettr:.3f}; "
                     f"{i['unexpected']} unexpected and {i['planned']} planned interruptions;"
                     f" {r.spare_nodes} hot spare nodes; energy {r.energy_mwh:,.0f} MWh.</p>")
        parts += [fig.to_html(full_html=False, include_plotlyjs=False)
                  for fig in ops_figures(r, title)]
    parts.append("</section>")
    return "\n".join(parts)


def ops_sections(res: Any) -> list:
    """The simulation as page sections: one per run (or cluster), or the many-job view."""
    from .html import Section

    if hasattr(res, "jobs"):
        t = res.totals
        text = (f"<p>{t['jobs_completed']} of {t['jobs']} jobs completed; mean wait "
                f"{(t['mean_wait_h'] or 0):,.1f} h; training goodput "
                f"{t['training_goodput']:.3f}; utilisation {t['utilisation']:.3f}.</p>")
        return [Section("operations", "Operations: jobs sharing the cluster", html=text,
                        charts=schedule_figures(res))]
    out = []
    for n, (title, r) in enumerate(_runs(res)):
        i = r.interruptions
        text = (f"<p>ETTR {r.ettr:.3f}; {i['unexpected']:,} unexpected and "
                f"{i['planned']:,} planned interruptions; {r.spare_nodes:,} hot spare nodes; "
                f"energy {field('energy_mwh', r.energy_mwh)}.</p>")
        out.append(Section(f"run-{n}", title, html=text, charts=ops_figures(r, title)))
    return out


def _kpis(res: Any) -> list[dict[str, str]]:
    if hasattr(res, "jobs") or hasattr(res, "clusters"):
        return []
    return [{"label": "ETTR (goodput)", "value": f"{res.ettr:.3f}", "cls": ""},
            {"label": "interruptions", "value": f"{res.interruptions['total']:,}", "cls": ""},
            {"label": "MTBF", "value": field("mtbf_h", res.mtbf_h), "cls": ""},
            {"label": "lost GPU-hours", "value": number(res.lost_gpu_hours), "cls": ""},
            {"label": "energy", "value": field("energy_mwh", res.energy_mwh), "cls": ""}]


def write_ops_report(res: Any, out_dir: Path) -> Path:
    """Write ``simulate.html`` (the shared page template, ``plotly.min.js`` beside it) and
    ``simulate_timeseries.csv``."""
    import pandas as pd

    from .html import BUNDLE, plotly_js, render_page

    out_dir = Path(out_dir)
    frames = [res.to_frame()] if hasattr(res, "jobs") else []
    for title, r in ([] if frames else _runs(res)):
        df = r.to_frame()
        df.insert(0, "run", title)
        frames.append(df)

    page = render_page("gigawatt simulate", _subtitle(res), ops_sections(res), _kpis(res))
    write_report_folder(out_dir, "simulate", {
        "simulate_timeseries.csv": pd.concat(frames).to_csv(index=False),
        "simulate.html": page, BUNDLE: plotly_js()}, option="--report")
    return out_dir / "simulate.html"
