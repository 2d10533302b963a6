"""Serving-capacity sizing: fleet size, power and cost per million tokens for a demand."""

from __future__ import annotations

import math

import pytest

from gigawatt.deploy import size_deployment
from gigawatt.errors import UnknownIdError, ValidationError
from gigawatt.perf import size_serving
from gigawatt.perf.serving_sizing import ServingDemand, demand_from_rate

ACCS = ["h100-sxm", "h200", "b200", "a100-80gb"]


def _demand(**kw):
    base = dict(id="test", model="llama-3.3-70b", tokens_per_day=1e10, prompt_tokens=1000,
                output_tokens=500, ttft_slo_s=2.0, tpot_slo_s=0.05, peak_to_mean=1.5)
    return ServingDemand(**{**base, **kw})


def test_options_ranked_by_cost_and_cover_peak(catalog):
    sz = size_serving(_demand(), accelerators=ACCS, catalog=catalog)
    costs = [o.usd_per_million_output_tokens for o in sz.options if o.feasible]
    assert costs == sorted(costs) and len(costs) == len(ACCS)
    assert sz.peak_output_tokens_per_s == pytest.approx(1e10 / 86400 * 1.5)
    for o in sz.options:
        assert o.accelerators * o.output_tokens_per_s_per_gpu >= sz.peak_output_tokens_per_s
        assert o.accelerators % o.plan["replica_gpus"] == 0
        assert o.tpot_s <= 0.05 and o.ttft_s <= 2.0
    assert sz.best is sz.options[0]
    assert set(sz.to_frame().index) == set(ACCS)


def test_cost_per_million_tokens_is_deployment_cost_over_tokens(catalog):
    o = size_serving(_demand(), accelerators=["h100-sxm"], catalog=catalog, life_years=4).best
    dep = size_deployment(catalog, "h100-sxm", o.accelerators)
    annual = dep.capex_total_usd / 4 + dep.opex_usd_per_year["total"]
    assert o.usd_per_million_output_tokens == pytest.approx(annual / (1e10 * 365 / 1e6))
    assert o.it_power_mw == pytest.approx(dep.it_power_mw)
    assert o.racks == dep.racks


def test_twice_the_demand_needs_about_twice_the_fleet(catalog):
    one = size_serving(_demand(), accelerators=["h200"], catalog=catalog).best
    two = size_serving(_demand(tokens_per_day=2e10), accelerators=["h200"],
                       catalog=catalog).best
    assert two.accelerators == pytest.approx(2 * one.accelerators, rel=0.05)
    assert two.usd_per_million_output_tokens == pytest.approx(
        one.usd_per_million_output_tokens, rel=0.05)


def test_rate_demand(catalog):
    d = demand_from_rate("llama-3.1-8b", 100.0, prompt_tokens=500, output_tokens=200)
    assert d.tokens_per_day == pytest.approx(100 * 200 * 86400)
    o = size_serving(d, accelerators=["h100-sxm"], catalog=catalog).best
    assert o.accelerators == math.ceil(d.peak_output_tokens_per_s
                                       / o.output_tokens_per_s_per_gpu)


def test_infeasible_accelerators_keep_a_reason(catalog):
    sz = size_serving(_demand(model="llama-3.1-405b", tpot_slo_s=0.08),
                      accelerators=["h200", "a100-80gb"], catalog=catalog, precision="bf16")
    bad = [o for o in sz.options if not o.feasible]
    assert bad and all(o.reason for o in bad) and not sz.options[-1].feasible


def test_builtin_demand_presets_size(catalog):
    for key in catalog.table("demands"):
        sz = size_serving(key, accelerators=["h200", "b200"], catalog=catalog)
        assert sz.best.accelerators > 0 and sz.best.usd_per_million_output_tokens > 0


@pytest.mark.parametrize("bad", [0.0, -5.0])
def test_zero_or_negative_demand_is_rejected(catalog, bad):
    with pytest.raises(ValidationError, match="tokens_per_day must be > 0"):
        size_serving(_demand(tokens_per_day=bad), accelerators=["h100-sxm"], catalog=catalog)
    with pytest.raises(ValidationError, match="rate must be > 0"):
        demand_from_rate("llama-3.1-8b", bad, prompt_tokens=10, output_tokens=10)


def test_bad_life_and_unknown_accelerator(catalog):
    with pytest.raises(ValidationError, match="life_years"):
        size_serving(_demand(), accelerators=["h100-sxm"], catalog=catalog, life_years=0)
    with pytest.raises(UnknownIdError):
        size_serving(_demand(), accelerators=["h100-sx"], catalog=catalog)
