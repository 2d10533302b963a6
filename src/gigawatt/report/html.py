"""Self-contained HTML pages: plotly figures and tables in one file, plotly.js inlined.

Generic helpers used by the plan report (and available to other reports): a figure as a
``<div>`` without its library, a table with a CSV download link (a ``data:`` URI, so it
works offline), and the page template (jinja2, ``templates/report.html.j2``).
"""

from __future__ import annotations

import html
import urllib.parse
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class Table:
    """A table to show, with the file name of its CSV download."""

    name: str
    title: str
    frame: Any  # pandas.DataFrame

    def render(self) -> dict[str, str]:
        csv = self.frame.to_csv(index=False)
        return {"name": self.name, "title": self.title,
                "href": "data:text/csv;charset=utf-8," + urllib.parse.quote(csv),
                "html": self.frame.to_html(index=False, classes="data", border=0,
                                           float_format=_fmt, na_rep="–")}


@dataclass
class Section:
    """A titled part of a page: free HTML, charts (plotly figures) and tables."""

    id: str
    title: str
    charts: list[Any] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    html: str = ""


def _fmt(v: float) -> str:
    a = abs(v)
    if a == 0:
        return "0"
    if a >= 1e4:
        return f"{v:,.0f}"
    if a >= 1:
        return f"{v:,.2f}"
    return f"{v:.3g}"


def figure_div(fig: Any, div_id: str) -> str:
    """A plotly figure as an HTML ``<div>`` (plotly.js not included)."""
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                       default_width="100%", config={"displaylogo": False,
                                                     "responsive": True})


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """The plotly.js bundle, to inline in the page."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def render_page(title: str, subtitle: str, sections: list[Section],
                kpis: list[dict[str, str]] | None = None) -> str:
    """The whole page as one HTML string."""
    import jinja2

    from .. import __version__

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=False)
    n = 0
    rendered = []
    for s in sections:
        charts = []
        for fig in s.charts:
            n += 1
            charts.append(figure_div(fig, f"chart-{n}"))
        rendered.append({"id": s.id, "title": html.escape(s.title), "html": s.html,
                         "charts": charts, "tables": [t.render() for t in s.tables]})
    kpis = [{**k, "label": html.escape(k["label"]), "value": html.escape(k["value"])}
            for k in (kpis or [])]
    return env.get_template("report.html.j2").render(
        title=html.escape(title), subtitle=html.escape(subtitle), sections=rendered,
        kpis=kpis, plotly_js=plotly_js(), version=__version__)


def bullet_list(items: list[str]) -> str:
    """Escaped ``<ul>`` of messages (empty string for none)."""
    if not items:
        return ""
    return "<ul class='msgs'>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>"
