"""Capability tables from the real performance models, their disk cache, and the
scenario -> PlanInputs derivation on the built-in scenarios."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

import gigawatt as gw
from gigawatt.plan import capability_for, optimise, plan_inputs
from gigawatt.plan.model import site_limit_mw


@pytest.fixture(scope="module")
def colossus(catalog):
    return gw.load_scenario("colossus", catalog)


def test_mfu_comes_from_the_training_model(colossus, catalog):
    cap = capability_for(colossus, catalog)
    seq = catalog.model(colossus.reference_model).seq_len
    batch = round(colossus.reference_global_batch_tokens / seq)
    best = gw.perf.search_training(colossus.reference_model, "h100-sxm", cap.cluster_gpus,
                                   precision="bf16", global_batch=batch, seq_len=seq).best
    assert best.plan["global_batch"] * seq == pytest.approx(
        colossus.reference_global_batch_tokens, rel=0.01)
    assert cap.mfu["h100-sxm"] == pytest.approx(best.mfu)
    assert all(0 < m < 1 for m in cap.mfu.values())


def test_installed_base_accelerators_are_in_the_tables(colossus, catalog):
    inputs = plan_inputs(colossus, catalog, capability_for(colossus, catalog))
    options = {o.accelerator for o in colossus.accelerators}
    base_only = {e.accelerator for e in colossus.existing} - options
    assert base_only and base_only <= set(inputs.accelerators.index)
    for a in base_only:  # counted, never bought
        assert inputs.accelerators.loc[a, "available_from"] > colossus.end_year
        assert inputs.accelerators.loc[a, "effective_flop_per_s"] > 0


def test_disk_cache_round_trip(colossus, catalog, tmp_path):
    first = capability_for(colossus, catalog, cache_dir=tmp_path)
    files = list(tmp_path.glob("capability-*.json"))
    assert len(files) == 1
    again = capability_for(colossus, catalog, cache_dir=tmp_path)
    assert again.mfu == first.mfu
    pd.testing.assert_frame_equal(again.training_tokens_per_s_per_gpu,
                                  first.training_tokens_per_s_per_gpu, check_dtype=False)
    other = colossus.model_copy(update={"reference_model": "llama-3.1-70b"})
    capability_for(other, catalog, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("capability-*.json"))) == 2  # a new key, not a stale hit


def test_installed_base_is_powered_whatever_the_schedule(colossus, catalog):
    inputs = plan_inputs(colossus, catalog, capability_for(colossus, catalog))
    dark = inputs.site_power_mw * 0.0
    limit = site_limit_mw(dataclasses.replace(inputs, site_power_mw=dark))
    first = int(inputs.years[0])
    assert limit.loc[first].sum() > 0  # the 2024-25 H100/H200 base still draws power


def test_same_scenario_same_answer(colossus, catalog):
    inputs = plan_inputs(colossus, catalog, capability_for(colossus, catalog))
    a, b = optimise(inputs).to_dict(), optimise(inputs).to_dict()
    a.pop("solve_time_s"), b.pop("solve_time_s")
    assert a == b
