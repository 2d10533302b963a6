"""The Python API in a notebook: short reprs, HTML views, units on every DataFrame, a
summary frame, and the same default cache folder as the CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def _numeric_units_complete(df: pd.DataFrame) -> None:
    units = df.attrs.get("unit")
    assert isinstance(units, dict), df.columns
    for c in df.columns:
        assert str(c) in units, c


@pytest.fixture(scope="module")
def plan_result(tmp_path_factory):
    from gigawatt.plan import plan_scenario

    return plan_scenario("colossus", cache_dir=tmp_path_factory.mktemp("cache"))


def test_plan_result_repr_is_short_and_has_html(plan_result):
    text = repr(plan_result)
    assert len(text) < 300 and text.startswith("PlanResult(scenario='colossus'")
    assert "$" in text  # money in engineering units
    page = plan_result._repr_html_()
    assert page.startswith("<table>") and "capex" in page


def test_plan_frames_carry_units(plan_result):
    from gigawatt.plan.result import TABLES

    for name in TABLES:
        _numeric_units_complete(plan_result.to_frame(name))
    builds = plan_result.to_frame("builds")
    assert builds.attrs["unit"]["capex_usd"] == "USD"
    assert builds.attrs["unit"]["it_power_mw"] == "MW"
    assert plan_result.costs.attrs["unit"]["capex_usd"] == "USD"  # attributes too


def test_training_and_serving_results(catalog):
    from gigawatt.perf.inference import max_throughput, serving_frontier
    from gigawatt.perf.training import search_training

    s = search_training("llama-3-8b", "h100-sxm", 64, catalog=catalog)
    assert len(repr(s)) < 400 and "mfu=" in repr(s) and "<table>" in s._repr_html_()
    df = s.to_frame()
    _numeric_units_complete(df)
    assert df.attrs["unit"]["step_time_s"] == "s"
    est = max_throughput("llama-3-8b", "h100-sxm", prompt_tokens=100, output_tokens=100,
                         catalog=catalog)
    assert len(repr(est)) < 400
    fr = serving_frontier("llama-3-8b", "h100-sxm", prompt_tokens=100, output_tokens=100,
                          catalog=catalog)
    assert fr.to_frame().attrs["unit"]["ttft_s"] == "s"


def test_ops_result_repr_and_units():
    from gigawatt.ops import simulate

    r = simulate(1024, 2, seed=1)
    assert len(repr(r)) < 300 and "ettr=" in repr(r)
    df = r.to_frame()
    _numeric_units_complete(df)
    assert df.attrs["unit"]["facility_power_mw"] == "MW" and df.attrs["unit"]["time_h"] == "h"


def test_risk_summary_is_a_frame():
    from test_risk_toy import TOY_UNCS, ToyModel  # by name: pool workers import it

    from gigawatt.risk import run_risk

    r = run_risk(ToyModel(), TOY_UNCS, scenario="toy", draws=400, seed=5, workers=1)
    s = r.summary()
    assert isinstance(s, pd.DataFrame) and s.index.name == "outcome"
    assert {"p10", "p50", "p90", "mean", "at_median", "planned"} <= set(s.columns)
    assert list(s.index) == r.outcome_names
    k = r.outcome_names[0]
    assert s.loc[k, "p50"] == pytest.approx(np.nanmedian(r.outcome(k)), rel=0.05)
    assert len(repr(r)) < 400 and "<table>" in r._repr_html_()
    _numeric_units_complete(r.to_frame())


def test_default_cache_folder(monkeypatch, tmp_path):
    from gigawatt.cache import default_cache_dir, resolve_cache_dir

    monkeypatch.setenv("GIGAWATT_CACHE_DIR", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"
    assert resolve_cache_dir(None) == tmp_path / "c" and resolve_cache_dir(False) is None
    monkeypatch.delenv("GIGAWATT_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir().name == "gigawatt"


def test_plan_scenario_uses_the_default_cache(monkeypatch, tmp_path, catalog):
    """plan_scenario() without a cache folder writes (and then reads) the user cache, as
    the CLI does."""
    from gigawatt.plan import plan_scenario

    monkeypatch.setenv("GIGAWATT_CACHE_DIR", str(tmp_path))
    plan_scenario("colossus", catalog)
    assert list(tmp_path.glob("capability-*.json"))


def test_catalog_and_capability_frames_carry_units(catalog):
    df = catalog.to_frame("accelerators")
    assert df.attrs["unit"]["price_usd"] == "USD" and df.attrs["unit"]["tdp_w"] == "W"
    assert df.attrs["unit"]["bf16_tflop_per_s"] == "TFLOP/s"
