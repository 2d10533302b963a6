"""HTML report pages that work offline: plotly figures and tables on the shared page
template (jinja2, ``templates/report.html.j2``).

A report folder holds one copy of plotly.js, ``plotly.min.js``, beside its pages
(:func:`write_plotly_bundle`), which load it with a relative ``<script src>``: the plan,
risk and simulate reports then cost 4.8 MB once per folder, not per page, and still need
no network. ``render_page(..., plotly="inline")`` inlines the bundle for a page that has
to stand alone. Tables show human headers and numbers through :mod:`gigawatt.numfmt`
(their CSV downloads, ``data:`` URIs, keep the raw values).
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
    #: a column naming each row's field (``"total"``: rows ``capex_usd``, ...): numbers
    #: are then formatted by their row, not their column
    row_field: str | None = None

    def render(self) -> dict[str, str]:
        from ..numfmt import field, label

        csv = self.frame.to_csv(index=False)
        df = self.frame
        names = (df[self.row_field].astype(str).tolist() if self.row_field else None)
        numeric = {c: df[c].dtype.kind in "iuf" for c in df.columns}
        head = "".join(f"<th class='{'num' if numeric[c] else 'txt'}'>"
                       f"{html.escape(label(str(c)))}</th>" for c in df.columns)
        body = []
        for i, row in enumerate(df.itertuples(index=False)):
            cells = []
            for c, v in zip(df.columns, row):
                num = _is_number(v)
                if num:
                    text = field(names[i] if names else str(c), v)
                elif self.row_field and c == self.row_field:
                    text = label(str(v))
                else:
                    text = "–" if v is None or v != v else str(v)
                cells.append(f"<td class='{'num' if num else 'txt'}'>{html.escape(text)}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        table = (f"<table class='data'><thead><tr>{head}</tr></thead><tbody>"
                 + "".join(body) + "</tbody></table>")
        return {"name": self.name, "title": self.title,
                "href": "data:text/csv;charset=utf-8," + urllib.parse.quote(csv),
                "html": table}


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) or (
        hasattr(v, "dtype") and getattr(v.dtype, "kind", "") in "iuf")


@dataclass
class Section:
    """A titled part of a page: free HTML, charts (plotly figures) and tables."""

    id: str
    title: str
    charts: list[Any] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    html: str = ""


def figure_div(fig: Any, div_id: str) -> str:
    """A plotly figure as an HTML ``<div>`` (plotly.js not included)."""
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                       default_width="100%", config={"displaylogo": False,
                                                     "responsive": True})


BUNDLE = "plotly.min.js"


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """The plotly.js bundle (the one the installed plotly ships)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def write_plotly_bundle(folder: Path) -> Path:
    """Write ``plotly.min.js`` into ``folder`` (atomically; skipped when the same bundle is
    already there), for the pages that :func:`render_page` writes beside it."""
    from .files import write_atomic

    path = Path(folder) / BUNDLE
    js = plotly_js()
    if not (path.is_file() and path.stat().st_size == len(js.encode())
            and path.read_text(encoding="utf-8") == js):
        write_atomic(path, js)
    return path


def render_page(title: str, subtitle: str, sections: list[Section],
                kpis: list[dict[str, str]] | None = None, plotly: str = "file") -> str:
    """The whole page as one HTML string.

    ``plotly="file"`` loads ``plotly.min.js`` from the page's folder (write it there with
    :func:`write_plotly_bundle`); ``"inline"`` puts the bundle in the page.
    """
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
        kpis=kpis, plotly_js=plotly_js() if plotly == "inline" else None, bundle=BUNDLE,
        version=__version__)


def bullet_list(items: list[str]) -> str:
    """Escaped ``<ul>`` of messages (empty string for none)."""
    if not items:
        return ""
    return "<ul class='msgs'>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>"
