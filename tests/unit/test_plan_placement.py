"""The planner's placement requirement (``training_sites``): a placed run's site holds
the accelerators its job needs, in both formulations; and the plan-place-replan loop."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pandas as pd
import pytest

from gigawatt.ops.placement import plan_with_placement
from gigawatt.plan import build_model, optimise, solve_model
from gigawatt.plan.lp import build_arrays
from gigawatt.plan.solve import Session
from gigawatt.plan.synthetic import synthetic_inputs


def _active(result, year, site, acc):
    b = result.builds
    row = b[(b.year == year) & (b.site == site) & (b.accelerator == acc)]
    return float(row.accelerators.sum())


def _requirement(inputs, kacc):
    year = int(inputs.years[-1])
    site, acc = inputs.sites.index[0], inputs.accelerators.index[0]
    return pd.DataFrame([{"workload": "w", "year": year, "site": site, "accelerator": acc,
                          "kacc": kacc}]), year, site, acc


def test_requirement_is_met_and_costs_objective():
    base = synthetic_inputs(n_sites=3, n_accelerators=3, n_years=4, seed=1)
    free = optimise(base)
    req, year, site, acc = _requirement(base, 0.0)
    need = _active(free, year, site, acc) / 1e3 + 5.0   # 5,000 more than the plan has
    req["kacc"] = need
    placed = optimise(dataclasses.replace(base, training_sites=req))
    assert _active(placed, year, site, acc) >= need * 1e3 - 1e-6
    assert not [r for r in placed.relaxations if r["constraint"] == "training-site_kacc-lower"]


def test_both_formulations_agree_with_a_requirement():
    base = synthetic_inputs(n_sites=2, n_accelerators=3, n_years=4, seed=1)
    req, *_ = _requirement(base, 3.0)
    inputs = dataclasses.replace(base, training_sites=req)
    m, _ = build_model(inputs, integer=False)
    s = Session(build_arrays(inputs), 60.0, 1e-5)
    s.run()
    assert s.objective == pytest.approx(solve_model(m), rel=1e-9, abs=1e-9)


def test_impossible_requirement_is_a_named_relaxation():
    base = synthetic_inputs(n_sites=2, n_accelerators=2, n_years=3, seed=3)
    req, *_ = _requirement(base, 1e6)            # a billion accelerators at one site
    r = optimise(dataclasses.replace(base, training_sites=req))
    rel = [x for x in r.relaxations if x["constraint"] == "training-site_kacc-lower"]
    assert rel and "placed training run" in rel[0]["message"]


@dataclasses.dataclass(frozen=True)
class _FakePlan:
    builds: pd.DataFrame
    phases: pd.DataFrame
    notes: tuple = ()
    training: object = None
    power: pd.DataFrame = dataclasses.field(default_factory=lambda: pd.DataFrame(
        columns=["year", "site", "source", "capacity_mw"]))


def _split_planner(sites: tuple[str, str], calls: list[dict]):
    """A fake planner that splits 16,384 H100s over two sites unless a requirement
    concentrates them at one; it records the keywords of each call."""
    def plan(sc, cat, training_sites=None, **kw):
        calls.append({"training_sites": training_sites, **kw})
        if training_sites is None:
            groups = {(sites[0], "h100-sxm"): 8192, (sites[1], "h100-sxm"): 8192}
        else:
            r = training_sites.iloc[0]
            groups = {(r.site, r.accelerator): int(round(r.kacc * 1e3))}
        builds = pd.DataFrame([{"year": 2027, "site": s, "accelerator": a,
                                "accelerators": n} for (s, a), n in groups.items()])
        phases = pd.DataFrame({"start_year": [2026], "end_year": [2027]},
                              index=pd.Index(["p1"], name="phase"))
        return _FakePlan(builds, phases)
    return plan


def _one_run_scenario(sites: tuple[str, str]) -> SimpleNamespace:
    w = SimpleNamespace(id="run", model="llama-3.1-70b", tokens=1.5e13, deadline_year=2027,
                        max_days=20.0, precision="bf16")
    return SimpleNamespace(workloads=SimpleNamespace(training=[w]), links=[],
                           years=[2026, 2027],
                           accelerators=[SimpleNamespace(accelerator="h100-sxm")],
                           sites=[SimpleNamespace(site=s, pue=None) for s in sites])


def test_plan_place_replan_loop(catalog):
    """A fake planner splits the fleet over two sites unless a requirement concentrates
    it: the loop finds the run misses, requires one site, and the re-plan meets it."""
    calls: list[dict] = []
    sites = ("abilene-tx", "memphis-tn")
    out = plan_with_placement(_one_run_scenario(sites), catalog,
                              plan=_split_planner(sites, calls))
    calls = [c["training_sites"] for c in calls]
    assert calls[0] is None and calls[1] is not None
    assert calls[1].kacc.iloc[0] * 1e3 >= 16384
    row = out.training.iloc[-1]
    assert row.meets_max_days and row.gpus >= 16384
    assert any("placed at" in n for n in out.notes)


def test_placement_gives_the_planner_the_swing_of_required_runs(catalog):
    calls: list[dict] = []
    sites = ("abilene-tx", "memphis-tn")
    plan_with_placement(_one_run_scenario(sites), catalog, plan=_split_planner(sites, calls))
    swing = calls[-1]["site_swing_mw"]
    assert swing is not None and swing.loc[2027].max() > 10  # >= 16k H100s: > 10 MW
    assert swing.loc[2026].max() == 0


def test_a_run_that_meets_its_days_still_brings_its_swing(catalog):
    """A run placed where the plan put it (no requirement) still swings the site: a
    65,536-H100 job drops more than Memphis's grid follows in a minute, so the planner is
    asked again with the swing (and no requirement), to hold what absorbs it."""
    calls: list[dict] = []

    def plan(sc, cat, training_sites=None, **kw):
        calls.append({"training_sites": training_sites, **kw})
        builds = pd.DataFrame([{"year": 2027, "site": "memphis-tn", "accelerator": "h100-sxm",
                                "accelerators": 65536}])
        phases = pd.DataFrame({"start_year": [2026], "end_year": [2027]},
                              index=pd.Index(["p1"], name="phase"))
        return _FakePlan(builds, phases)

    sc = _one_run_scenario(("memphis-tn", "abilene-tx"))
    sc.workloads.training[0].max_days = 120.0
    plan_with_placement(sc, catalog, plan=plan)
    assert len(calls) == 2 and calls[1]["training_sites"] is None
    swing = calls[1]["site_swing_mw"]
    ramp = catalog.site("memphis-tn").grid_ramp_mw_per_min
    assert swing.loc[2027, "memphis-tn"] > ramp > 0
    assert swing.loc[2027, "abilene-tx"] == 0

