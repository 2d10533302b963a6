"""`gigawatt finance`: the JSON contract, invariants against the plan, the table, and bad
input (one line, exit 2)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).resolve().parents[1] / "data"
SMALL = DATA / "finance" / "small.yaml"
KEYS = {"cash_flow", "npv_usd", "irr", "payback_year", "funding_gap_usd",
        "funding_gap_year", "usd_per_gpu_hour", "usd_per_million_tokens"}


@pytest.fixture(scope="module")
def small_doc():
    from tests.conftest import run_cli

    r = run_cli("finance", "--scenario", str(SMALL), "--json")
    assert r.code == 0, r.stderr
    plan = run_cli("plan", "--scenario", str(SMALL), "--no-report", "--json")
    assert plan.code == 0, plan.stderr
    return r.json(), plan.json()


def test_json_has_the_design_fields(small_doc):
    doc, _ = small_doc
    assert set(doc) >= KEYS
    years = [r["year"] for r in doc["cash_flow"]]
    assert years == list(range(2025, 2027 + 5))   # programme + hardware life - 1
    assert doc["usd_per_gpu_hour"] > 0 and doc["usd_per_million_tokens"] > 0


def test_cash_flow_adds_up_to_the_plan_and_the_sources(small_doc):
    doc, plan = small_doc
    cf = {k: np.array([r[k] for r in doc["cash_flow"]]) for k in doc["cash_flow"][0]}
    # every dollar of the plan's capex is either owned or leased
    assert (cf["capex_usd"] + cf["leased_capex_usd"]).sum() == pytest.approx(
        plan["totals"]["capex_usd"], rel=1e-9)
    # opex within the programme is the plan's
    assert cf["opex_usd"][:3].sum() == pytest.approx(plan["totals"]["opex_usd"], rel=1e-9)
    # the funding sources sum to the commitment; loans are repaid
    assert cf["funding_in_usd"].sum() == pytest.approx(3.0e9)
    assert cf["principal_usd"].sum() == pytest.approx(1.0e9)
    assert (cf["equity_alpha_usd"].sum(), cf["equity_beta_usd"].sum()) == (1.2e9, 0.8e9)
    assert cf["cumulative_position_usd"] == pytest.approx(np.cumsum(cf["net_cash_usd"]))
    gap = max(0.0, -cf["cumulative_position_usd"].min())
    assert doc["funding_gap_usd"] == pytest.approx(gap)
    assert cf["served_tokens"][0] == 0 and cf["served_tokens"][1] == pytest.approx(
        1.25e12 * 0.002 * 365.0, rel=1e-9)


def test_terminal_table(cli):
    r = cli("finance", "--scenario", str(SMALL))
    assert r.code == 0, r.stderr
    assert "cash flow by year" in r.stdout and "funding gap" in r.stdout


def test_scenario_without_financing_is_one_line_exit_2(cli):
    r = cli("finance", "--scenario", str(DATA / "plan" / "small.yaml"))
    assert r.code == 2 and r.stdout == ""
    assert "no 'financing:' block" in r.stderr and "Traceback" not in r.stderr


def test_plan_report_has_the_finance_section(cli, tmp_path):
    out = tmp_path / "rep"
    r = cli("plan", "--scenario", str(SMALL), "--out", str(out), "--json")
    assert r.code == 0, r.stderr
    doc = r.json()
    assert set(doc["finance"]) >= KEYS
    html = (out / "index.html").read_text()
    assert "Money: who pays, when, and whether it pays back" in html
    assert "Sources (above zero) and uses (below)" in html
    assert (out / "tables" / "cash_flow.csv").read_text().startswith("year,")


def test_risk_reports_the_funding_gap():
    """The fixed-plan risk model draws the funding gap: with the neutral world it equals
    the finance command's; half the money in (budget factor 0.5) makes it larger; a price
    rise on the accelerators too."""
    from gigawatt.catalog import load_catalog
    from gigawatt.risk.model import build_model
    from gigawatt.risk.world import World
    from gigawatt.scenario import load_scenario
    from tests.conftest import run_cli

    cat = load_catalog()
    sc = load_scenario(SMALL, cat)
    model, _ = build_model(sc, cat, fixed_plan=True, with_goodput=False)
    names = model.outcome_names
    assert {"funding_gap_usd", "funded_through_end"} <= set(names)
    assert "funded_through_end" in [m.name for m in model.milestones()]
    doc = run_cli("finance", "--scenario", str(SMALL), "--json").json()
    fm, arr = model.funding, model.arrays
    neutral = fm.evaluate(arr, World())
    assert neutral[0] == pytest.approx(doc["funding_gap_usd"], rel=1e-6, abs=1.0)
    poor = fm.evaluate(arr, World(budget_factor=0.5))
    dear = fm.evaluate(arr, World(accelerator_price_factor={"h100-sxm": 1.5, "h200": 1.5}))
    assert poor[0] > neutral[0] and dear[0] > neutral[0]
    assert poor[2] == 0.0     # not funded through the end with half the money


def test_risk_planned_funding_gap_is_the_finance_commands():
    from gigawatt.catalog import load_catalog
    from gigawatt.risk.model import build_model
    from gigawatt.scenario import load_scenario
    from tests.conftest import run_cli

    cat = load_catalog()
    model, _ = build_model(load_scenario(SMALL, cat), cat, fixed_plan=True,
                           with_goodput=False)
    doc = run_cli("finance", "--scenario", str(SMALL), "--json").json()
    assert model.promise["funding_gap_usd"] == pytest.approx(doc["funding_gap_usd"],
                                                             rel=1e-6, abs=1.0)
