"""From a plan's flows and its financing to the yearly cash flow and its metrics.

Two views of the same money:

* the **project** cash flow (before financing): revenue - opex - lease rent - owned
  capex - tax on operating profit, plus the undepreciated book value of owned assets in
  the last year; its NPV at the cost of capital, IRR and payback year answer "does it
  pay back?";
* the **funding position**: cumulative equity, loans and revenue in, minus everything
  out (capex, opex, rent, interest, principal, tax after interest); its lowest point is
  the funding gap, "when does the money run out, and by how much?".
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..financing import ASSET_CLASSES, Financing
from .flows import PlanFlows
from .metrics import funding_gap, irr, npv, payback_year
from .result import FinanceResult
from .schedules import crf, level_payments, loan_schedule, payments_after, straight_line

HOURS_PER_YEAR = 8760.0


def _price(p0: float, year0: int, decline: float, years: np.ndarray) -> np.ndarray:
    return p0 * (1.0 - decline) ** (years - year0)


def _leases(flows: PlanFlows, fin: Financing) -> tuple[dict[str, np.ndarray], np.ndarray,
                                                       np.ndarray, float]:
    """(owned capex by class, leased capex by year, rent by year, rent owed after)."""
    owned = {k: v.copy() for k, v in flows.capex_usd.items()}
    leased_total = np.zeros(len(flows.years))
    rent = np.zeros(len(flows.years))
    after = 0.0
    for lease in fin.leases:
        base = (flows.capex_usd[lease.asset_class] if lease.site is None else
                flows.capex_by_site_usd.get((lease.asset_class, lease.site),
                                            np.zeros(len(flows.years))))
        last = lease.to_year if lease.to_year is not None else flows.end_year
        window = (flows.years >= lease.from_year) & (flows.years <= last)
        amount = np.minimum(base * lease.share * window, owned[lease.asset_class])
        owned[lease.asset_class] = owned[lease.asset_class] - amount
        leased_total += amount
        rent += level_payments(amount, lease.rate, lease.term_years)
        after += payments_after(amount, lease.rate, lease.term_years)
    return owned, leased_total, rent, after


def _revenue(flows: PlanFlows, fin: Financing, capacity_share: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    y = flows.years
    tokens = np.zeros(len(y))
    hours = np.zeros(len(y))
    t, g = fin.revenue.tokens, fin.revenue.gpu_hours
    if t is not None:
        tokens = (flows.served_tokens * capacity_share / 1e6
                  * _price(t.usd_per_million_tokens, t.price_year, t.decline_per_year, y))
    if g is not None:
        free = np.maximum(flows.accelerators - flows.inference_accelerators, 0.0)
        hours = (free * capacity_share * HOURS_PER_YEAR * g.sold_share * g.utilisation
                 * _price(g.usd_per_gpu_hour, g.price_year, g.decline_per_year, y))
    return tokens, hours


def _tax(rate: float, taxable: np.ndarray) -> np.ndarray:
    """Tax on positive income after losses carried forward."""
    tax = np.zeros(len(taxable))
    losses = 0.0
    for i, x in enumerate(taxable):
        if x < 0:
            losses -= x
            continue
        used = min(losses, x)
        losses -= used
        tax[i] = rate * (x - used)
    return tax


def _lives(fin: Financing, life_years: float) -> dict[str, float]:
    d = fin.depreciation_years
    return {"accelerators": d.accelerators or life_years, "halls": d.halls, "power": d.power}


def capital_charge(owned: dict[str, np.ndarray], lives: dict[str, float], rate: float
                   ) -> np.ndarray:
    """Yearly capital charge (capex x capital recovery factor over each class's life, in
    each year of the asset's life within the years), USD."""
    n = len(next(iter(owned.values())))
    out = np.zeros(n)
    for k, capex in owned.items():
        factor = crf(rate, lives[k])
        span = int(np.ceil(lives[k] - 1e-9))
        for i, c in enumerate(capex):
            if c:
                out[i:min(n, i + span)] += c * factor
    return out


def money_by_year(flows: PlanFlows, fin: Financing, *, life_years: float,
                  funding_scale: float = 1.0, capacity_share: np.ndarray | None = None
                  ) -> dict[str, Any]:
    """Every money column by year (arrays over ``flows.years``) and the lease and book
    totals; the shared core of :func:`finance_flows` and the risk layer's draws."""
    y = flows.years
    n = len(y)
    share = np.ones(n) if capacity_share is None else np.asarray(capacity_share, float)
    owned, leased, rent, rent_after = _leases(flows, fin)
    lives = _lives(fin, life_years)
    dep = {k: straight_line(v, lives[k]) for k, v in owned.items()}
    m: dict[str, Any] = {"owned": owned, "lives": lives, "leased": leased, "rent": rent,
                         "rent_after": rent_after, "capex": sum(owned.values()),
                         "depreciation": sum(dep.values())}
    book = float(sum(owned[k].sum() - dep[k].sum() for k in ASSET_CLASSES))
    m["terminal"] = np.zeros(n)
    if fin.terminal_value == "book":
        m["terminal"][-1] = max(book, 0.0)
    m["rev_tokens"], m["rev_hours"] = _revenue(flows, fin, share)
    m["revenue"] = m["rev_tokens"] + m["rev_hours"]
    m["opex"] = flows.opex_usd
    cols: dict[str, np.ndarray] = {}
    interest, principal, draws, outstanding = (np.zeros(n) for _ in range(4))
    for kind, loan in fin.loans:
        s = loan_schedule(loan, y, funding_scale)
        interest += s.interest
        principal += s.principal
        draws += s.draw
        outstanding += s.outstanding
        cols[f"{kind}_{loan.id}_usd"] = s.draw
    equity = np.zeros(n)
    for p in fin.partners:
        e = np.zeros(n)
        for row in fin.equity:
            if row.partner == p.id:
                e[y == row.year] += row.amount_usd * funding_scale
        equity += e
        cols[f"equity_{p.id}_usd"] = e
    operating = m["revenue"] - m["opex"] - rent
    m["tax_unlevered"] = _tax(fin.tax_rate, operating - m["depreciation"])
    m["tax"] = _tax(fin.tax_rate, operating - m["depreciation"] - interest)
    m["project"] = operating - m["capex"] - m["tax_unlevered"] + m["terminal"]
    m["net"] = equity + draws + operating - m["capex"] - interest - principal - m["tax"]
    m["position"] = np.cumsum(m["net"])
    m.update(interest=interest, principal=principal, draws=draws, outstanding=outstanding,
             equity=equity, cols=cols)
    return m


def finance_flows(flows: PlanFlows, fin: Financing, *, scenario: str, life_years: float,
                  funding_scale: float = 1.0, capacity_share: np.ndarray | None = None
                  ) -> FinanceResult:
    """The cash flow of a plan under its financing.

    Parameters
    ----------
    flows : the plan's flows by year (see :func:`gigawatt.finance.flows.plan_flows`).
    fin : the scenario's financing.
    scenario : scenario id (for the result).
    life_years : the scenario's accelerator life (default depreciation life).
    funding_scale : multiplier on every equity and loan amount (the risk layer's drawn
        budget factor).
    capacity_share : by year, the share of the planned capacity actually online (the risk
        layer's delays); scales revenue. Default 1.
    """
    y = flows.years
    m = money_by_year(flows, fin, life_years=life_years, funding_scale=funding_scale,
                      capacity_share=capacity_share)
    position = m["position"]
    gap, gap_year = funding_gap(position, y)
    short = np.nonzero(position < 0)[0]
    rate = fin.cost_of_capital
    hours = flows.accelerators * HOURS_PER_YEAR
    loaded = capital_charge(m["owned"], m["lives"], rate) + m["opex"] + m["rent"]
    per_hour = float(loaded.sum() / hours.sum()) if hours.sum() > 0 else None
    inf_hours = float((flows.inference_accelerators * HOURS_PER_YEAR).sum())
    tok = float(flows.served_tokens.sum())
    per_mtok = per_hour * inf_hours / tok * 1e6 if per_hour is not None and tok > 0 else None
    r = irr(m["project"], y)
    owned = m["owned"]
    table = pd.DataFrame({
        "year": y, "capex_accelerators_usd": owned["accelerators"],
        "capex_halls_usd": owned["halls"], "capex_power_usd": owned["power"],
        "capex_usd": m["capex"], "leased_capex_usd": m["leased"], "lease_rent_usd": m["rent"],
        "opex_energy_usd": flows.opex_energy_usd, "opex_fixed_usd": flows.opex_fixed_usd,
        "opex_support_usd": flows.opex_support_usd, "opex_usd": m["opex"],
        "revenue_tokens_usd": m["rev_tokens"], "revenue_gpu_hours_usd": m["rev_hours"],
        "revenue_usd": m["revenue"], "depreciation_usd": m["depreciation"],
        "interest_usd": m["interest"], "principal_usd": m["principal"], "tax_usd": m["tax"],
        "equity_usd": m["equity"], "loans_drawn_usd": m["draws"], **m["cols"],
        "funding_in_usd": m["equity"] + m["draws"], "net_cash_usd": m["net"],
        "cumulative_position_usd": position, "debt_outstanding_usd": m["outstanding"],
        "project_cash_flow_usd": m["project"], "terminal_value_usd": m["terminal"],
        "accelerators": flows.accelerators, "served_tokens": flows.served_tokens,
        "inference_accelerators": flows.inference_accelerators})
    return FinanceResult(
        scenario=scenario, table=table, cost_of_capital=rate,
        npv_usd=npv(rate, m["project"], y), irr=r.value, irr_note=r.reason,
        payback_year=payback_year(m["project"], y), funding_gap_usd=gap,
        funding_gap_year=gap_year,
        first_shortfall_year=int(y[short[0]]) if len(short) else None,
        usd_per_gpu_hour=per_hour, usd_per_million_tokens=per_mtok,
        funding_usd=float((m["equity"] + m["draws"]).sum()),
        lease_rent_after_horizon_usd=m["rent_after"],
        debt_outstanding_end_usd=float(m["outstanding"][-1]), end_year=flows.end_year,
        notes=list(flows.notes))


__all__ = ["finance_flows", "money_by_year", "capital_charge"]
