"""Placement of a plan's reference training runs: one site and accelerator type each, at
the rate and simulated ETTR of its own job size."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pandas as pd
import pytest

from gigawatt.ops.placement import place_training


def _plan(groups: dict[tuple[str, str], int], year: int = 2027):
    builds = pd.DataFrame([{"year": year, "site": s, "accelerator": a, "accelerators": n}
                           for (s, a), n in groups.items()])
    phases = pd.DataFrame({"start_year": [year], "end_year": [year]},
                          index=pd.Index(["p1"], name="phase"))
    return SimpleNamespace(builds=builds, phases=phases)


def _scenario(tokens: float, max_days: float = 120.0, model: str = "llama-3.1-70b"):
    w = SimpleNamespace(id="run", model=model, tokens=tokens, deadline_year=2027,
                        max_days=max_days, precision="bf16")
    return SimpleNamespace(workloads=SimpleNamespace(training=[w]))


def test_run_goes_to_the_site_that_trains_it_soonest(catalog):
    plan = _plan({("small", "h100-sxm"): 4096, ("big", "h100-sxm"): 32768})
    row = place_training(plan, _scenario(15e12), catalog).iloc[0]
    assert row.placement == ["big"]
    assert row.gpus <= 32768
    assert 0 < row.ettr < 1
    assert row.time_to_train_days == pytest.approx(row.ideal_days / row.ettr)
    assert row.meets_max_days


def test_fleet_is_not_one_job(catalog):
    """Two sites of 16k do not train like one job of 32k: the run uses one of them."""
    split = place_training(_plan({("a", "h100-sxm"): 16384, ("b", "h100-sxm"): 16384}),
                           _scenario(15e12), catalog).iloc[0]
    one = place_training(_plan({("a", "h100-sxm"): 32768}), _scenario(15e12),
                         catalog).iloc[0]
    assert split.gpus <= 16384
    assert split.time_to_train_days > one.time_to_train_days


def test_doubling_failures_lengthens_the_placed_run(catalog):
    plan, sc = _plan({("a", "h100-sxm"): 65536}), _scenario(15e12)
    base = place_training(plan, sc, catalog).iloc[0]
    worse = place_training(plan, sc, catalog, failure_multiplier=2.0).iloc[0]
    assert worse.time_to_train_days > base.time_to_train_days


def test_a_run_too_large_for_every_site_is_reported_as_missing_its_limit(catalog):
    row = place_training(_plan({("a", "h100-sxm"): 2048}), _scenario(1e15, max_days=30),
                         catalog).iloc[0]
    assert not row.meets_max_days
    assert row.time_to_train_days > 30


def test_no_group_can_run_it(catalog):
    row = place_training(_plan({("a", "h100-sxm"): 512}), _scenario(15e12), catalog).iloc[0]
    assert row.placement == [] and math.isinf(row.time_to_train_days)
    assert not row.meets_max_days


def test_plan_json_rows_are_composed(cli, tmp_path):
    r = cli("plan", "--scenario", "korea-2023", "--no-report", "--json")
    assert r.code == 0, r.stderr
    rows = r.json()["time_to_train"]
    assert rows
    for row in rows:
        assert row["placement"] and 0 < row["ettr"] < 1
        assert row["time_to_train_days"] == pytest.approx(row["ideal_days"] / row["ettr"])


def test_plan_frontier_per_phase_year(catalog):
    from gigawatt.ops.frontier import plan_frontier

    f = plan_frontier(_plan({("a", "h100-sxm"): 8192, ("b", "h100-sxm"): 32768}), 60,
                      catalog=catalog)
    (row,) = f["years"]
    assert row["site"] == "b" and row["accelerators"] == 32768
    assert row["gpus"] <= 32768 and row["wall_days"] <= 60
    assert row["binding"] in ("accelerators", "failures", "batch ceiling", "communication",
                              "latency")
    assert f["sweep"] and all("utilisation" in p for p in f["sweep"])


def test_plan_report_has_a_frontier_section(cli, tmp_path):
    out = tmp_path / "rep"
    r = cli("plan", "--scenario", "korea-2023", "--out", str(out))
    assert r.code == 0, r.stderr
    html = (out / "index.html").read_text()
    assert 'id="frontier"' in html and "Largest run per year" in html
    import json

    doc = json.loads((out / "plan.json").read_text())
    assert [y["year"] for y in doc["frontier"]["years"]]


def _link(sites, tbps=100.0, ms=5.0):
    return SimpleNamespace(id="wan", sites=sites, wan_tbps=tbps, wan_latency_ms=ms,
                           mode="auto")


def test_a_run_too_large_for_one_site_goes_to_a_linked_group(catalog):
    plan = _plan({("a", "h100-sxm"): 8192, ("b", "h100-sxm"): 8192})
    sc = _scenario(1.5e13, max_days=20)  # ~24 days on one site of 8,192, ~14 on both
    alone = place_training(plan, sc, catalog).iloc[0]
    assert not alone.meets_max_days
    sc.links = [_link(["a", "b"])]
    linked = place_training(plan, sc, catalog).iloc[0]
    assert linked.placement == ["a", "b"] and linked.gpus == 16384
    assert linked.meets_max_days
    assert linked.plan["sites"]["sites"] == 2
    # a thin, slow link costs time against the same job on one site
    sc.links = [_link(["a", "b"], tbps=0.1, ms=50.0)]
    thin = place_training(plan, sc, catalog).iloc[0]
    assert thin.placement != ["a", "b"] or thin.time_to_train_days > linked.time_to_train_days


def test_scenario_links_are_validated(cli, tmp_path):
    import yaml

    import gigawatt as gw

    doc = yaml.safe_load(gw.load_scenario("stargate").model_dump_json())
    doc["id"] = "linked"
    doc["links"] = [{"id": "tx", "sites": ["abilene-tx", "milam-tx"], "wan_tbps": 400,
                     "wan_latency_ms": 2}]
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(doc))
    assert cli("scenario", "validate", str(good)).code == 0
    sc = gw.load_scenario(str(good))
    assert sc.links[0].sites == ["abilene-tx", "milam-tx"]
    doc["links"][0]["sites"] = ["abilene-tx", "atlantis"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(doc))
    r = cli("scenario", "validate", str(bad))
    assert r.code == 2 and "atlantis" in r.stderr and "links[0].sites[1]" in r.stderr
    doc["links"][0].update(sites=["abilene-tx", "milam-tx"], wan_tbps=-1)
    bad.write_text(yaml.safe_dump(doc))
    r = cli("scenario", "validate", str(bad))
    assert r.code == 2 and "wan_tbps" in r.stderr
