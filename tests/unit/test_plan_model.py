"""The build-out optimisation on input tables built here (no catalog, no perf layer):
every limit holds in the answer, each limit moves the answer the way it should, and an
infeasible problem is answered with the relaxation it needs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from gigawatt.errors import InfeasibleError
from gigawatt.plan import evaluate_plan, optimise
from gigawatt.plan.inputs import precheck
from gigawatt.plan.model import build_model
from gigawatt.plan.synthetic import synthetic_inputs


@pytest.fixture(scope="module")
def base():
    return synthetic_inputs(n_sites=2, n_accelerators=3, n_years=4, seed=1)


@pytest.fixture(scope="module")
def solved(base):
    return optimise(base)


def test_constraint_families_have_greppable_names(base):
    m, _ = build_model(base)
    names = {n.split("[")[0] for n in m.constraints}
    for family in ("hall-it_mw-upper", "site-power_mw-upper", "power-firm_mw-lower",
                   "power-energy_gwh-lower", "supply-kacc-upper", "hbm-supply_tb-upper",
                   "vendor-share_kacc-upper", "training-tokens_t-lower",
                   "inference-mtok_per_s-lower", "budget-phase_busd-upper"):
        assert family in names


def test_every_limit_holds(solved, base):
    r = solved
    assert r.status == "optimal"
    by_phase = r.costs.groupby("phase").capex_usd.sum()
    for pid, budget in base.phases.budget_usd.items():
        assert by_phase.get(pid, 0.0) <= budget * (1 + 1e-6)
    s = r.sites
    assert (s.facility_power_mw <= s.site_limit_mw + 1e-6).all()
    assert (s.it_power_mw <= s.hall_mw + 1e-6).all()
    assert (s.land_m2 <= s.land_limit_m2 + 1e-3).all()
    new = r.builds.groupby(["year", "accelerator"]).new_accelerators.sum()
    for (year, acc), n in new.items():
        cap = base.supply_cap.loc[year, acc]
        assert np.isnan(cap) or n <= cap
    hbm = r.hbm.dropna(subset=["supply_gb"])
    assert (hbm.demand_gb <= hbm.supply_gb * (1 + 1e-6)).all()
    fleet = r.builds.groupby(["year", "vendor"]).accelerators.sum()
    for year, g in fleet.groupby(level=0):
        assert g.max() <= base.vendor_max_share * g.sum() * (1 + 1e-6) + 1


def test_units_are_whole_systems(solved, base):
    per = base.accelerators.accelerators_per_unit
    b = solved.builds
    units = b.new_accelerators / per.reindex(b.accelerator).to_numpy()
    assert np.allclose(units, np.round(units))
    assert solved.rounding_gap >= -1e-6


def test_power_built_covers_the_load(solved):
    cap = solved.power.groupby(["year", "site"]).capacity_mw.sum()
    load = solved.sites.set_index(["year", "site"]).facility_power_mw
    assert (cap.reindex(load.index).fillna(0) >= load - 1e-6).all()


def test_more_budget_never_less_compute(base, solved):
    rich = dataclasses.replace(base, phases=base.phases.assign(budget_usd=base.phases.budget_usd * 2))
    poor = dataclasses.replace(base, phases=base.phases.assign(budget_usd=base.phases.budget_usd / 4))
    e = lambda r: r.totals["effective_exaflop_s_years"]  # noqa: E731
    assert e(optimise(poor)) < e(solved) <= e(optimise(rich)) * (1 + 1e-6)


def test_effective_compute_counts_mfu_not_peak(base):
    """Two identical chips but for MFU: the plan buys the one that achieves more."""
    acc = base.accelerators.iloc[:2].copy()
    acc.iloc[1] = acc.iloc[0]
    acc["vendor"] = "nvidia"
    acc["mfu"] = [0.2, 0.5]
    acc["effective_flop_per_s"] = acc.peak_flop_per_s * acc.mfu
    inputs = dataclasses.replace(
        base, accelerators=acc, hbm_share=base.hbm_share.iloc[:2],
        supply_cap=base.supply_cap.iloc[:, :2] * np.nan, vendor_max_share=None,
        training_tokens_per_s_per_gpu=base.training_tokens_per_s_per_gpu.iloc[:2],
        inference_tokens_per_s_per_gpu=base.inference_tokens_per_s_per_gpu.iloc[:2])
    r = optimise(inputs)
    bought = r.builds.groupby("accelerator").new_accelerators.sum()
    assert bought.get(acc.index[1], 0) > 0 and bought.get(acc.index[0], 0) == 0


def test_no_site_power_no_load(base):
    power = base.site_power_mw.copy()
    power.iloc[:, 0] = 0.0
    r = optimise(dataclasses.replace(base, site_power_mw=power))
    site0 = r.sites[r.sites.site == power.columns[0]]
    assert (site0.facility_power_mw <= 1e-6).all() or r.status == "relaxed"


def test_infeasible_deadline_is_relaxed_with_the_shortfall(base):
    training = base.training.assign(tokens=base.training.tokens * 1e4)
    r = optimise(dataclasses.replace(base, training=training))
    assert r.status == "relaxed"
    rel = [x for x in r.relaxations if x["constraint"] == "training-tokens_t-lower"]
    assert rel and rel[0]["unit"] == "tokens"
    # the shortfall is what the largest affordable fleet cannot do
    w = base.training.index[0]
    ttt = r.training[r.training.workload == w]
    year = int(base.training.deadline_year.iloc[0])
    done = float(ttt.loc[ttt.year == year, "tokens_per_s"].iloc[0]) * \
        base.training.max_days.iloc[0] * 86400 if (ttt.year == year).any() else None
    if done is not None:
        assert rel[0]["amount"] >= training.tokens.iloc[0] - done - 1e12
    assert "missed by" in rel[0]["message"]


def test_supply_shortage_binds_with_a_dual(base):
    cap = base.supply_cap.copy()
    cap.loc[:, :] = 1000.0
    r = optimise(dataclasses.replace(base, supply_cap=cap,
                                     training=base.training.iloc[:0],
                                     inference_demand_tokens_per_s=base.inference_demand_tokens_per_s * 0))
    assert r.status == "optimal"
    fams = {b["constraint"] for b in r.binding}
    assert "supply-kacc-upper" in fams
    assert all(b["value_per_unit"] > 0 for b in r.binding)


def test_min_cost_meets_inference_demand_at_least_cost(base):
    inputs = dataclasses.replace(base, objective="min_cost", training=base.training.iloc[:0])
    r = optimise(inputs)
    assert r.status == "optimal"
    # demand is met: the fleet can serve it
    rate = base.inference_tokens_per_s_per_gpu["chat"]
    for year, need in base.inference_demand_tokens_per_s["chat"].items():
        fleet = r.builds[r.builds.year == year].groupby("accelerator").accelerators.sum()
        assert float((fleet * rate.reindex(fleet.index)).sum()) >= need * (1 - 1e-6)
    # and it is cheaper than the max-compute plan
    rich = optimise(dataclasses.replace(base, training=base.training.iloc[:0]))
    assert r.costs.capex_usd.sum() < rich.costs.capex_usd.sum()


def test_existing_fleet_counts_and_retires(base):
    year0 = int(base.years[0])
    existing = pd.DataFrame([{"site": base.sites.index[0], "accelerator": base.accelerators.index[0],
                              "count": 8000, "installed_year": year0 - 4}])
    r = optimise(dataclasses.replace(base, existing=existing, hardware_life_years=5))
    fleet = r.builds[(r.builds.accelerator == base.accelerators.index[0])
                     & (r.builds.site == base.sites.index[0])].set_index("year")
    assert fleet.loc[year0, "accelerators"] >= 8000
    assert fleet.loc[year0, "new_accelerators"] == 0 or fleet.loc[year0, "accelerators"] > 8000
    # retired the year after its five years
    nxt = fleet.accelerators.get(year0 + 1, 0) - fleet.new_accelerators.get(year0 + 1, 0)
    assert nxt <= fleet.loc[year0, "accelerators"] - 8000 + 1e-6


def test_evaluate_plan_agrees_with_the_result_and_sees_a_cut(solved, base):
    same = evaluate_plan(solved, base)
    assert same["feasible"]
    assert same["capex_usd"] == pytest.approx(solved.totals["capex_usd"])
    cut = dataclasses.replace(base, phases=base.phases.assign(budget_usd=base.phases.budget_usd / 2))
    worse = evaluate_plan(solved, cut)
    assert not worse["feasible"] and max(worse["budget_overrun_usd"].values()) > 0


def test_evaluate_plan_delays_installs(solved, base):
    acc = solved.builds[solved.builds.new_accelerators > 0].accelerator.iloc[0]
    late = base.accelerators.copy()
    late.loc[acc, "available_from"] = int(base.years[-1])
    out = evaluate_plan(solved, dataclasses.replace(base, accelerators=late))
    assert out["effective_exaflop_s_years"] < solved.totals["effective_exaflop_s_years"]


def test_budget_that_buys_nothing_is_refused(base):
    tiny = dataclasses.replace(base, phases=base.phases.assign(budget_usd=1000.0))
    with pytest.raises(InfeasibleError, match="buys nothing"):
        precheck(tiny)


def test_no_accelerator_in_window_is_refused(base):
    acc = base.accelerators.assign(available_from=2099, available_to=2099)
    with pytest.raises(InfeasibleError, match="no accelerator can be installed"):
        precheck(dataclasses.replace(base, accelerators=acc))


def test_result_document_shape(solved):
    d = solved.to_dict()
    for key in ("capex_usd", "opex_usd", "budget_usd", "accelerators", "it_power_mw",
                "facility_power_mw", "effective_exaflops", "peak_exaflops"):
        assert key in d["totals"]
    assert d["status"] in ("optimal", "relaxed")
    for ph in d["phases"]:
        assert {"id", "year", "clusters"} <= set(ph)
        for c in ph["clusters"]:
            assert set(c) == {"site", "accelerator", "count"} and c["count"] > 0
    assert set(solved.to_frame("builds").columns) >= {"year", "site", "accelerator",
                                                       "new_accelerators", "capex_usd"}


def test_synthetic_inputs_are_deterministic():
    a = synthetic_inputs(seed=3)
    b = synthetic_inputs(seed=3)
    pd.testing.assert_frame_equal(a.accelerators, b.accelerators)
    assert not synthetic_inputs(seed=4).accelerators.equals(a.accelerators)


def test_vendor_cap_no_mix_can_meet_is_refused(base):
    with pytest.raises(InfeasibleError, match="vendor_max_share"):
        precheck(dataclasses.replace(base, vendor_max_share=0.2))


def test_zero_supply_everywhere_is_refused(base):
    with pytest.raises(InfeasibleError, match="supply cap is 0"):
        precheck(dataclasses.replace(base, supply_cap=base.supply_cap.fillna(0.0) * 0.0))


@pytest.mark.parametrize("seed, objective", [(2, "max_effective_compute"), (5, "min_cost")])
def test_invariants_on_other_problems(seed, objective):
    """Capex within budget, load within site power, whole units, demand met or reported."""
    inputs = synthetic_inputs(n_sites=3, n_accelerators=4, n_years=4, seed=seed,
                              objective=objective)
    r = optimise(inputs)
    by_phase = r.costs.groupby("phase").capex_usd.sum()
    relaxed = {x["constraint"] for x in r.relaxations}
    if "budget-phase_busd-upper" not in relaxed:
        assert (by_phase <= inputs.phases.budget_usd.reindex(by_phase.index) * (1 + 1e-6)).all()
    if "site-power_mw-upper" not in relaxed:
        assert (r.sites.facility_power_mw <= r.sites.site_limit_mw + 1e-6).all()
    assert r.status == ("relaxed" if relaxed else "optimal")
    out = evaluate_plan(r, inputs)
    assert out["feasible"] == (not relaxed or relaxed <= {"inference-mtok_per_s-lower"})


def test_exact_milp_agrees_with_the_default_on_a_small_problem():
    inputs = synthetic_inputs(n_sites=2, n_accelerators=2, n_years=3, seed=7)
    fast, exact = optimise(inputs), optimise(inputs, exact=True)
    e = lambda r: r.totals["effective_exaflop_s_years"]  # noqa: E731
    assert e(fast) == pytest.approx(e(exact), rel=1e-3)


def test_by_phase_table_adds_up(solved):
    bp = solved.to_frame("by_phase")
    assert bp.new_accelerators.sum() == pytest.approx(solved.builds.new_accelerators.sum())
    assert bp.capex_usd.sum() == pytest.approx(solved.builds.capex_usd.sum())
    last = solved.phases.index[-1]
    end = bp[bp.phase == last].accelerators.sum()
    assert end == pytest.approx(solved.fleet.accelerators.iloc[-1])
