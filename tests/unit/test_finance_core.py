"""Finance core: schedules, metrics and the cash flow on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from gigawatt.finance import crf, finance_flows, irr, loan_schedule, npv, payback_year
from gigawatt.finance import funding_gap, straight_line
from gigawatt.finance.flows import PlanFlows
from gigawatt.financing import Financing, Loan

YEARS = np.arange(2025, 2035)


def _loan(**kw):
    base = dict(id="l", lender="bank", year=2025, amount_usd=1000.0, rate=0.1, tenor_years=4)
    return Loan(**{**base, **kw})


def test_crf_matches_the_annuity_formula():
    assert crf(0.08, 5) == pytest.approx(0.08 / (1 - 1.08 ** -5))
    assert crf(0.0, 4) == 0.25


def test_annuity_loan_repays_principal_with_level_payments():
    s = loan_schedule(_loan(), YEARS)
    assert s.draw[0] == 1000 and s.interest[0] == 0
    assert s.interest[1] == pytest.approx(100.0)
    assert s.principal.sum() == pytest.approx(1000.0)
    pay = (s.interest + s.principal)[1:5]
    assert np.allclose(pay, pay[0]) and pay[0] == pytest.approx(1000 * crf(0.1, 4))
    assert s.outstanding[4] == pytest.approx(0.0) and s.interest[5:].sum() == 0


def test_bullet_linear_grace_and_balloon():
    b = loan_schedule(_loan(amortisation="bullet"), YEARS)
    assert b.principal[1:4].sum() == 0 and b.principal[4] == pytest.approx(1000)
    assert b.interest[1:5] == pytest.approx([100] * 4)
    lin = loan_schedule(_loan(amortisation="linear", grace_years=1), YEARS)
    assert lin.principal[1] == 0 and lin.principal[2:5] == pytest.approx([1000 / 3] * 3)
    bal = loan_schedule(_loan(tenor_years=20, balloon_year=2028), YEARS)
    assert bal.outstanding[3] == pytest.approx(0.0)
    assert bal.principal[3] > 900     # most of the principal is the balloon
    half = loan_schedule(_loan(), YEARS, scale=0.5)
    assert half.principal.sum() == pytest.approx(500.0)


def test_npv_irr_payback_gap():
    years = np.arange(3)
    assert npv(0.1, np.array([-100.0, 110.0, 0.0]), years) == pytest.approx(0.0)
    assert irr(np.array([-100.0, 0.0, 121.0]), years).value == pytest.approx(0.10, abs=1e-8)
    assert irr(np.array([-100.0, -5.0, 0.0]), years).value is None
    none = irr(np.array([-100.0, 230.0, -132.0]), years)        # roots 10% and 20%
    assert none.value is None and "several" in none.reason
    assert payback_year(np.array([-100.0, 60.0, 60.0]), np.array([2025, 2026, 2027])) == 2027
    assert payback_year(np.array([-100.0, 60.0]), np.array([2025, 2026])) is None
    assert funding_gap(np.array([5.0, -3.0, -7.0, 2.0]), np.arange(2025, 2029)) == (7.0, 2027)
    assert funding_gap(np.array([1.0, 2.0]), np.arange(2)) == (0.0, None)


def test_straight_line_spreads_each_purchase_over_its_life():
    dep = straight_line(np.array([100.0, 0, 50.0, 0, 0, 0]), 2.5)
    assert dep[:2] == pytest.approx([40, 40]) and dep.sum() == pytest.approx(150)
    assert dep[2] == pytest.approx(20 + 20)   # the part year of the first + the second


def _flows(n=5, capex=1000.0):
    y = np.arange(2025, 2025 + n)
    z = np.zeros(n)
    acc = np.where(y <= 2029, 100.0, 0.0)
    return PlanFlows(years=y, end_year=2026,
                     capex_usd={"accelerators": np.r_[capex, z[1:]], "halls": z.copy(),
                                "power": z.copy()},
                     capex_by_site_usd={}, opex_energy_usd=np.full(n, 10.0),
                     opex_fixed_usd=z.copy(), opex_support_usd=z.copy(), accelerators=acc,
                     served_tokens=z.copy(), inference_accelerators=z.copy())


def _fin(**kw):
    base = {"cost_of_capital": 0.1, "partners": [{"id": "a", "name": "A"}],
            "equity": [{"partner": "a", "year": 2025, "amount_usd": 600.0}],
            "revenue": {"gpu_hours": {"usd_per_gpu_hour": 0.0005, "price_year": 2025,
                                      "utilisation": 1.0}}}
    return Financing.model_validate({**base, **kw})


def test_cash_flow_by_hand():
    f = finance_flows(_flows(), _fin(), scenario="t", life_years=5)
    t = f.table
    rev = 100 * 8760 * 0.0005
    assert t.revenue_usd.to_numpy() == pytest.approx([rev] * 5)
    assert t.project_cash_flow_usd[0] == pytest.approx(rev - 10 - 1000)
    assert t.cumulative_position_usd[0] == pytest.approx(600 + rev - 10 - 1000)
    assert t.depreciation_usd.to_numpy()[:5].sum() == pytest.approx(1000)
    assert 600 + rev - 1010 > 0 and f.funding_gap_usd == 0 and f.funded_through(2029)
    # the capital charge: 1000 x crf(10%, 5) per year of life, plus opex, per GPU-hour
    hours = 100 * 8760 * 5
    assert f.usd_per_gpu_hour == pytest.approx((1000 * crf(0.1, 5) * 5 + 50) / hours)
    assert f.irr is not None and npv(f.irr, t.project_cash_flow_usd, t.year) == \
        pytest.approx(0, abs=1e-6)


def test_a_lease_turns_capex_into_rent_and_funding_scale_cuts_equity():
    fin = _fin(leases=[{"id": "l", "lessor": "L", "asset_class": "accelerators",
                        "from_year": 2025, "term_years": 5, "rate": 0.1}])
    f = finance_flows(_flows(capex=1e7), fin, scenario="t", life_years=5)
    assert f.table.capex_usd.sum() == 0 and f.table.leased_capex_usd[0] == 1e7
    assert f.table.lease_rent_usd.to_numpy()[:5] == pytest.approx([1e7 * crf(0.1, 5)] * 5)
    poor = finance_flows(_flows(capex=1e7), _fin(), scenario="t", life_years=5,
                         funding_scale=0.5)
    assert poor.table.equity_usd.sum() == 300
    assert poor.funding_gap_usd > 0 and poor.first_shortfall_year == 2025
    assert not poor.funded_through(2026)
