"""The finance section of the plan report: sources and uses of funds by year (stacked
bars, uses below zero) with the cumulative funding position, and the cash-flow table."""

from __future__ import annotations

from typing import Any

from .html import Section, Table

#: uses of funds, drawn below zero (column, label)
USES = [("capex_usd", "capex (owned)"), ("opex_usd", "opex"), ("lease_rent_usd", "lease rent"),
        ("interest_usd", "interest"), ("principal_usd", "principal repaid"), ("tax_usd", "tax")]


def _sources(table: Any) -> list[tuple[str, str]]:
    cols = [c for c in table.columns if c.startswith(("equity_", "debt_", "vendor_"))
            and c not in ("equity_usd",)]
    return [(c, c[:-4].replace("_", ": ", 1)) for c in cols] + [
        ("revenue_usd", "revenue")]


def sources_uses_figure(f: Any) -> Any:
    """Stacked bars of sources (up) and uses (down) of funds by year, billion USD, and the
    cumulative funding position (line)."""
    import plotly.graph_objects as go

    t = f.table
    x = t.year.to_numpy()
    fig = go.Figure()
    for col, label in _sources(t):
        if t[col].abs().sum() > 0:
            fig.add_trace(go.Bar(x=x, y=t[col] / 1e9, name=f"in: {label}"))
    for col, label in USES:
        if t[col].abs().sum() > 0:
            fig.add_trace(go.Bar(x=x, y=-t[col] / 1e9, name=f"out: {label}"))
    fig.add_trace(go.Scatter(x=x, y=t.cumulative_position_usd / 1e9, mode="lines+markers",
                             name="cumulative funding position",
                             line={"color": "black", "width": 2}))
    fig.update_layout(barmode="relative", title="Sources (above zero) and uses (below) of "
                      "funds by year, and the cumulative position", height=420,
                      template="plotly_white", margin={"t": 50, "b": 40, "l": 60, "r": 20},
                      legend={"font": {"size": 10}})
    fig.update_yaxes(title_text="billion USD")
    fig.update_xaxes(title_text="year")
    return fig


def _summary_html(f: Any) -> str:
    irr = "undefined" + (f" ({f.irr_note})" if f.irr_note else "") if f.irr is None \
        else f"{f.irr:.2%}"
    gap = ("none: the committed money covers every year" if f.funding_gap_usd <= 0 else
           f"${f.funding_gap_usd / 1e9:,.1f}B in {f.funding_gap_year} (the position first "
           f"goes below zero in {f.first_shortfall_year})")
    per_tok = ("–" if f.usd_per_million_tokens is None
               else f"${f.usd_per_million_tokens:,.3g}")
    per_h = "–" if f.usd_per_gpu_hour is None else f"${f.usd_per_gpu_hour:,.2f}"
    items = [f"NPV at {f.cost_of_capital:.1%}: <b>${f.npv_usd / 1e9:,.1f}B</b>",
             f"IRR: <b>{irr}</b>", f"payback year: <b>{f.payback_year or 'not within the years'}</b>",
             f"funding gap: <b>{gap}</b>",
             f"equity and loans in: ${f.funding_usd / 1e9:,.1f}B",
             f"fully loaded cost per GPU-hour: <b>{per_h}</b>; per million output tokens: "
             f"<b>{per_tok}</b>",
             f"lease rent still owed after the last year: "
             f"${f.lease_rent_after_horizon_usd / 1e9:,.1f}B"]
    return "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


def finance_section(f: Any, prefix: str = "") -> Section:
    """The report section of a :class:`~gigawatt.finance.FinanceResult`."""
    cols = ["year"] + [c for c, _ in _sources(f.table)] + [c for c, _ in USES] + [
        "leased_capex_usd", "depreciation_usd", "net_cash_usd", "cumulative_position_usd",
        "debt_outstanding_usd", "project_cash_flow_usd"]
    cols = list(dict.fromkeys(cols))  # a source column (outstanding debt) is listed once
    return Section(f"{prefix}finance", f"{prefix}Money: who pays, when, and whether it pays "
                   "back", html=_summary_html(f), charts=[sources_uses_figure(f)],
                   tables=[Table(f"{prefix}cash_flow", "Cash flow by year (USD)",
                                 f.table[cols])])


__all__ = ["finance_section", "sources_uses_figure"]
