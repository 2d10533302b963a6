"""The array model (plan/lp.py, the one solved) against the linopy formulation
(plan/model.py, the readable reference), and warm re-solves against cold ones."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from gigawatt.plan import build_model, optimise, solve_model
from gigawatt.plan.lp import build_arrays
from gigawatt.plan.solve import Session
from gigawatt.plan.synthetic import synthetic_inputs

SYNTHETIC = [dict(n_sites=2, n_accelerators=3, n_years=4, seed=1),
             dict(n_sites=3, n_accelerators=4, n_years=5, seed=2),
             dict(n_sites=4, n_accelerators=2, n_years=6, seed=3)]


def _lp_objective(inputs) -> float:
    s = Session(build_arrays(inputs), 60.0, 1e-5)
    s.run()
    return s.objective


@pytest.mark.parametrize("kw", SYNTHETIC, ids=lambda k: "x".join(map(str, k.values())))
def test_array_model_has_the_linopy_optimum(kw):
    inputs = synthetic_inputs(**kw)
    m, _ = build_model(inputs, integer=False)
    ref = solve_model(m)
    assert _lp_objective(inputs) == pytest.approx(ref, rel=1e-9, abs=1e-9)
    cost = dataclasses.replace(inputs, objective="min_cost")
    m, _ = build_model(cost, integer=False)
    assert _lp_objective(cost) == pytest.approx(solve_model(m), rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("scenario", ["stargate", "colossus", "stargate-2024", "korea-2023"])
def test_builtin_scenarios_same_optimum(scenario, catalog):
    from gigawatt.plan import capability_for, plan_inputs
    from gigawatt.scenario import load_scenario

    sc = load_scenario(scenario, catalog)
    inputs = plan_inputs(sc, catalog, capability_for(sc, catalog))
    m, _ = build_model(inputs, integer=False)
    # to HiGHS's primal/dual feasibility tolerance (1e-7): the two formulations reach the
    # same optimum; on a degenerate LP the two simplex paths stop within it
    assert _lp_objective(inputs) == pytest.approx(solve_model(m), rel=1e-7)


def test_layout_is_fixed_under_perturbation():
    base = synthetic_inputs(n_sites=2, n_accelerators=3, n_years=4, seed=1)
    acc = base.accelerators.copy()
    acc["available_from"] += 1                  # masks move: the layout does not
    late = dataclasses.replace(base, accelerators=acc,
                               facility={**base.facility, "build_years": 3.0})
    a, b = build_arrays(base), build_arrays(late)
    assert a.key == b.key and (a.n_col, a.n_row) == (b.n_col, b.n_row)


def test_warm_resolve_equals_cold():
    base = synthetic_inputs(n_sites=3, n_accelerators=4, n_years=5, seed=2)
    first = optimise(base)
    rng = np.random.default_rng(0)
    for _ in range(4):
        phases = base.phases.assign(budget_usd=base.phases.budget_usd
                                    * rng.uniform(0.6, 1.3, len(base.phases)))
        acc = base.accelerators.copy()
        acc["capex_usd_per_accelerator"] *= rng.uniform(0.8, 1.3, len(acc))
        what_if = dataclasses.replace(base, phases=phases, accelerators=acc,
                                      site_power_mw=base.site_power_mw * rng.uniform(0.7, 1.2))
        cold, warm = optimise(what_if), optimise(what_if, warm=first.warm_start)
        for k, v in cold.totals.items():
            assert warm.totals[k] == pytest.approx(v, rel=1e-6, abs=1e-6), k
        assert warm.status == cold.status


def test_installed_base_too_big_for_its_land_is_named():
    import pandas as pd

    from gigawatt.errors import InfeasibleError
    from gigawatt.plan.inputs import precheck

    base = synthetic_inputs(n_sites=2, n_accelerators=3, n_years=4, seed=1)
    site, acc = base.sites.index[0], base.accelerators.index[0]
    big = pd.DataFrame([{"site": site, "accelerator": acc, "count": 5_000_000,
                         "installed_year": 2024}])
    with pytest.raises(InfeasibleError) as e:
        precheck(dataclasses.replace(base, existing=big))
    msg = str(e.value)
    assert site in msg and "land" in msg and "time limit" not in msg


def test_no_linopy_problem_files_left(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)
    inputs = synthetic_inputs(n_sites=2, n_accelerators=3, n_years=4, seed=1)
    optimise(inputs)
    m, _ = build_model(inputs, integer=False)
    solve_model(m)
    assert not list(tmp_path.glob("linopy-*"))
