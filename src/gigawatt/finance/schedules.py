"""Yearly schedules of money over a range of years (pure numpy): loans, lease rents,
straight-line depreciation (the capital recovery factor lives in :mod:`gigawatt.annuity`).

Every schedule is an array over ``years`` (consecutive integers); amounts are USD in the
year they fall. Conventions: a loan is drawn in its year and repaid from the next year
on; a lease's rent and an asset's depreciation start in the year the asset is built
(full-year convention).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..annuity import crf
from ..financing import Loan


@dataclass(frozen=True)
class LoanSchedule:
    """One loan's cash flows over the years: drawn, interest, principal repaid,
    outstanding at each year's end (USD)."""

    draw: np.ndarray
    interest: np.ndarray
    principal: np.ndarray
    outstanding: np.ndarray


def loan_schedule(loan: Loan, years: np.ndarray, scale: float = 1.0) -> LoanSchedule:
    """Interest and principal of ``loan`` (its amount times ``scale``) by year.

    Interest is charged on the balance outstanding at the start of each year after the
    draw; amortisation starts after ``grace_years`` and follows ``amortisation``; at
    ``balloon_year`` whatever is outstanding is repaid at once.
    """
    n = len(years)
    draw, interest, principal, out = (np.zeros(n) for _ in range(4))
    balance = 0.0
    amount = loan.amount_usd * scale
    amort_years = loan.tenor_years - loan.grace_years
    pay = amount * crf(loan.rate, amort_years)
    for i, y in enumerate(years):
        k = int(y) - loan.year            # years since drawing
        if k == 0:
            draw[i] = amount
            balance = amount
        elif 0 < k <= loan.tenor_years and balance > 0:
            interest[i] = balance * loan.rate
            repay = _repayment(loan, k, balance, amount, amort_years, pay, interest[i])
            if loan.balloon_year is not None and y >= loan.balloon_year:
                repay = balance
            principal[i] = min(repay, balance)
            balance -= principal[i]
        out[i] = balance if k >= 0 else 0.0
    return LoanSchedule(draw, interest, principal, out)


def _repayment(loan: Loan, k: int, balance: float, amount: float, amort_years: int,
               pay: float, interest: float) -> float:
    if k <= loan.grace_years:
        return 0.0
    if loan.amortisation == "bullet":
        return balance if k == loan.tenor_years else 0.0
    if loan.amortisation == "linear":
        return amount / amort_years
    return pay - interest if k < loan.tenor_years else balance   # annuity


def straight_line(capex: np.ndarray, life_years: float) -> np.ndarray:
    """Depreciation by year of assets bought ``capex[i]`` in year i, each over
    ``life_years`` from its purchase year (a fractional life ends with a part year)."""
    n = len(capex)
    dep = np.zeros(n)
    full = int(np.floor(life_years + 1e-9))
    frac = life_years - full
    for i, c in enumerate(capex):
        if c == 0:
            continue
        per = c / life_years
        dep[i:min(n, i + full)] += per
        if frac > 1e-9 and i + full < n:
            dep[i + full] += per * frac
    return dep


def level_payments(amounts: np.ndarray, rate: float, term_years: int) -> np.ndarray:
    """Rent by year for assets worth ``amounts[i]`` in year i, each paid back as a level
    annuity at ``rate`` over ``term_years`` starting the year it is built (rents past the
    last year are cut off; see :func:`payments_after`)."""
    n = len(amounts)
    rent = np.zeros(n)
    factor = crf(rate, term_years)
    for i, a in enumerate(amounts):
        if a:
            rent[i:min(n, i + term_years)] += a * factor
    return rent


def payments_after(amounts: np.ndarray, rate: float, term_years: int) -> float:
    """Total (undiscounted) rent still owed after the last year, USD."""
    n = len(amounts)
    factor = crf(rate, term_years)
    return float(sum(a * factor * max(0, i + term_years - n) for i, a in enumerate(amounts)))


__all__ = ["crf", "LoanSchedule", "loan_schedule", "straight_line", "level_payments",
           "payments_after"]
