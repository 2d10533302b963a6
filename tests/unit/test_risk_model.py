"""Risk world model: drawn worlds applied to the planner's inputs, fixed-plan outcomes
against the planner's own accounting, re-solve under a budget cut."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from gigawatt.plan.accounting import cost_by_year, fleet_rates
from gigawatt.risk.model import ResolveModel, base_plan, build_model
from gigawatt.risk.outcomes import evaluate, outcome_names, plan_arrays
from gigawatt.risk.world import World, apply_world, split_delay, world_from_vector
from gigawatt.scenario import parse_scenario
from test_risk_toy import SMALL



def _x(model, **values):
    """A neutral input vector for ``model.uncertainties`` (0 for delays, 1 for factors),
    with the named ones set (by uncertainty id, ``-`` written ``_``)."""
    x = np.array([0.0 if u.kind.endswith("_years") else 1.0 for u in model.uncertainties])
    for key, v in values.items():
        x[[u.id for u in model.uncertainties].index(key.replace("_", "-"))] = v
    return x


@pytest.fixture(scope="module")
def small(catalog):
    sc = parse_scenario(SMALL, catalog=catalog)
    return sc, base_plan(sc, catalog)


def test_world_from_vector_adds_delays_and_multiplies_factors(small):
    sc, _ = small
    x = np.array([0.5, 0.25, 1.2, 1.0, 1.1, 1.3, 0.9, 0.8, 2.0, 0.7])
    w = world_from_vector(sc.uncertainties, x)
    assert w.accelerator_delay_years == {"gb200": 0.75}
    assert w.accelerator_price_factor == {"gb200": 1.2}
    assert w.power_delay_years == {"abilene-tx": 1.0}
    assert (w.construction_factor, w.mfu_factor, w.budget_factor) == (1.1, 0.9, 0.8)
    assert w.failure_rate_factor == 2.0 and w.hbm_supply_factor == {"sk-hynix": 0.7}


def test_neutral_world_reproduces_planner_accounting(small):
    sc, (inputs, decisions) = small
    arr = plan_arrays(inputs, decisions)
    out = dict(zip(outcome_names((2028, 2030), False), evaluate(arr, World(), (2028, 2030))))
    costs = cost_by_year(inputs, decisions)
    rates = fleet_rates(inputs, decisions)
    assert out["capex_usd"] == pytest.approx(costs.capex_usd.sum(), rel=1e-9)
    assert out["total_cost_usd"] == pytest.approx(costs.capex_usd.sum() + costs.opex_usd.sum(),
                                                  rel=1e-9)
    for y in (2028, 2030):
        assert out[f"effective_exaflops_{y}"] == pytest.approx(rates.effective_exaflops[y],
                                                               rel=1e-9)
    assert out["effective_exaflops_2030"] > 0
    built = decisions.units[decisions.units.units > 0].year
    assert out["full_capacity_year"] == built.max()


def test_one_year_delay_shifts_compute_by_one_year(small):
    _, (inputs, decisions) = small
    arr = plan_arrays(inputs, decisions)
    years = tuple(range(2027, 2031))
    on_time = evaluate(arr, World(), years)
    late = World(accelerator_delay_years={a: 1.0 for a in arr.accelerators})
    shifted = evaluate(arr, late, years)
    k = outcome_names(years, False).index("effective_exaflops_2027")
    # with no installed base, the late fleet in year Y is the on-time fleet of Y - 1
    assert shifted[k + 1:k + 4] == pytest.approx(on_time[k:k + 3], rel=1e-9)
    assert shifted[3] == on_time[3] + 1.0  # full capacity one year later
    # a half-year delay phases batches in: between on-time and one year late
    half = evaluate(arr, World(accelerator_delay_years={a: 0.5 for a in arr.accelerators}),
                    years)
    assert np.all(half[k:] <= on_time[k:] + 1e-9) and np.all(half[k:] >= shifted[k:] - 1e-9)


def test_price_and_critical_path(small):
    _, (inputs, decisions) = small
    arr = plan_arrays(inputs, decisions)
    base = evaluate(arr, World(), (2030,))
    gb = arr.accelerators.index("gb200")
    gb_capex = float((arr.new[..., gb] * arr.capex_usd_per_accelerator[gb]).sum())
    dear = evaluate(arr, World(accelerator_price_factor={"gb200": 1.25}), (2030,))
    assert dear[1] - base[1] == pytest.approx(0.25 * gb_capex, rel=1e-9)
    # the longest path wins: power 0.3 y late and chips 0.8 y late == chips 0.8 y late
    both = World(accelerator_delay_years={a: 0.8 for a in arr.accelerators},
                 power_delay_years={"abilene-tx": 0.3})
    chips = World(accelerator_delay_years={a: 0.8 for a in arr.accelerators})
    assert evaluate(arr, both, (2030,)).tobytes() == evaluate(arr, chips, (2030,)).tobytes()


def test_apply_world_whole_years_to_inputs_fraction_left(small):
    _, (inputs, _) = small
    w = World(accelerator_delay_years={"gb200": 1.4}, power_delay_years={"abilene-tx": 2.0},
              budget_factor=0.5, accelerator_price_factor={"gb200": 1.2}, mfu_factor=0.9)
    new, residual = apply_world(inputs, w)
    assert new.accelerators.loc["gb200", "available_from"] == \
        inputs.accelerators.loc["gb200", "available_from"] + 1
    assert new.supply_cap.loc[2027, "gb200"] == inputs.supply_cap.loc[2026, "gb200"]
    assert new.supply_cap.loc[2026, "gb200"] == 0
    assert list(new.site_power_mw["abilene-tx"].iloc[:2]) == [0.0, 0.0]
    assert new.phases.budget_usd.sum() == pytest.approx(0.5 * inputs.phases.budget_usd.sum())
    assert new.accelerators.loc["gb200", "capex_usd_per_accelerator"] == pytest.approx(
        1.2 * inputs.accelerators.loc["gb200", "capex_usd_per_accelerator"])
    assert residual.accelerator_delay_years["gb200"] == pytest.approx(0.4)
    assert residual.power_delay_years["abilene-tx"] == 0.0
    assert inputs.phases.budget_usd.sum() == 9.0e9  # the original is untouched
    assert split_delay(-0.5) == (0, 0.0)


def test_resolve_adapts_to_a_budget_cut_fixed_plan_does_not(small, catalog):
    sc, base = small
    fixed, _ = build_model(sc, catalog, fixed_plan=True, base=base, with_goodput=False)
    resolve, _ = build_model(sc, catalog, fixed_plan=False, base=base, with_goodput=False)
    assert isinstance(resolve, ResolveModel)
    med = _x(fixed)
    cut = _x(fixed, budget=0.5)  # budget halved
    margin = fixed.outcome_names.index("budget_margin_usd")
    # the base plan spends up to its budget (to the rounding of whole units), a cut
    # budget leaves the fixed plan short
    assert fixed.evaluate(cut)[margin] < -0.1 * sc.budget_usd
    assert fixed.evaluate(med)[margin] >= -1e-6 * sc.budget_usd
    assert resolve.evaluate(cut)[margin] >= -1e-6 * sc.budget_usd


def test_goodput_falls_with_failure_rate(small, catalog):
    sc, base = small
    model, notes = build_model(sc, catalog, fixed_plan=True, base=base)
    assert model.ettr is not None, notes
    k = model.outcome_names.index("goodput_ettr")
    x = _x(model)
    worse = _x(model, fail=3.0)
    assert 0 < model.evaluate(worse)[k] < model.evaluate(x)[k] <= 1
    assert dataclasses.is_dataclass(model.ettr)


def test_resolve_world_where_nothing_can_be_built_is_undefined_not_an_error(small, catalog):
    sc, base = small
    resolve, _ = build_model(sc, catalog, fixed_plan=False, base=base, with_goodput=False)
    x = _x(resolve, budget=1e-6)  # budget x 1e-6: buys nothing
    assert np.isnan(resolve.evaluate(x)).all()
