"""The answer of ``gigawatt finance``: a typed result with ``to_dict()`` (the ``--json``
document) and ``to_frame()`` (the yearly cash-flow table)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

#: units of the cash-flow table's columns (df.attrs["units"])
def _unit(col: str) -> str:
    if col.endswith("_usd"):
        return "USD"
    return {"year": "year", "accelerators": "accelerators", "served_tokens": "output tokens",
            "inference_accelerators": "accelerators"}.get(col, "")


@dataclass(frozen=True, eq=False)
class FinanceResult:
    """A plan's cash flow under its financing, and what it adds up to.

    Attributes
    ----------
    scenario : scenario id.
    table : one row per year (see :func:`gigawatt.finance.cashflow.finance_flows`).
    cost_of_capital : rate of the NPV and of the capital charge, per year.
    npv_usd : NPV of the project cash flow at the cost of capital, to the first year.
    irr : internal rate of return of the project cash flow (None: undefined, see irr_note).
    payback_year : first year from which the cumulative project cash flow stays >= 0.
    funding_gap_usd : largest shortfall of the cumulative funding position (0: none).
    funding_gap_year : the year of that shortfall.
    first_shortfall_year : first year the funding position is below zero.
    usd_per_gpu_hour : fully loaded cost per accelerator-hour (capital at the cost of
        capital over each asset class's life, opex and rent).
    usd_per_million_tokens : that cost of the accelerators serving inference per million
        output tokens served.
    funding_usd : equity and loans that come in, USD.
    lease_rent_after_horizon_usd : rent still owed after the last year.
    debt_outstanding_end_usd : principal outstanding at the end of the last year.
    end_year : the programme's last year.
    """

    scenario: str
    table: pd.DataFrame
    cost_of_capital: float
    npv_usd: float
    irr: float | None
    irr_note: str | None
    payback_year: int | None
    funding_gap_usd: float
    funding_gap_year: int | None
    first_shortfall_year: int | None
    usd_per_gpu_hour: float | None
    usd_per_million_tokens: float | None
    funding_usd: float
    lease_rent_after_horizon_usd: float
    debt_outstanding_end_usd: float
    end_year: int
    notes: list[str] = field(default_factory=list)

    def funded_through(self, year: int) -> bool:
        """True when the funding position stays >= 0 in every year up to ``year``."""
        return self.first_shortfall_year is None or self.first_shortfall_year > year

    def to_frame(self) -> pd.DataFrame:
        """The yearly cash flow (units in ``df.attrs["units"]``)."""
        df = self.table.copy()
        df.attrs["units"] = {c: _unit(c) for c in df.columns}
        return df

    def to_dict(self) -> dict[str, Any]:
        """The ``gigawatt finance --json`` document (JSON-safe)."""
        rows = [{k: _num(v) for k, v in r.items()} for r in self.table.to_dict("records")]
        return {"scenario": self.scenario, "cash_flow": rows, "npv_usd": _num(self.npv_usd),
                "irr": _num(self.irr), "irr_note": self.irr_note,
                "payback_year": self.payback_year,
                "funding_gap_usd": _num(self.funding_gap_usd),
                "funding_gap_year": self.funding_gap_year,
                "first_shortfall_year": self.first_shortfall_year,
                "funded_through_end": self.funded_through(self.end_year),
                "usd_per_gpu_hour": _num(self.usd_per_gpu_hour),
                "usd_per_million_tokens": _num(self.usd_per_million_tokens),
                "cost_of_capital": self.cost_of_capital, "funding_usd": _num(self.funding_usd),
                "lease_rent_after_horizon_usd": _num(self.lease_rent_after_horizon_usd),
                "debt_outstanding_end_usd": _num(self.debt_outstanding_end_usd),
                "totals": self.totals(), "notes": self.notes}

    def totals(self) -> dict[str, float]:
        """Sums over the horizon of the main columns, USD."""
        t = self.table
        return {c: float(t[c].sum()) for c in (
            "capex_usd", "leased_capex_usd", "lease_rent_usd", "opex_usd", "revenue_usd",
            "interest_usd", "principal_usd", "tax_usd", "equity_usd", "loans_drawn_usd")}


def _num(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v) if math.isfinite(v) else None
    return v


__all__ = ["FinanceResult"]
