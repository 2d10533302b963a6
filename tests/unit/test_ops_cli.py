"""`gigawatt simulate`: JSON contract, --plan, --report, bad input (exit 2, one line)."""

from __future__ import annotations

import json

import pytest

import gigawatt as gw
from gigawatt.errors import ValidationError

PLAN = {"phases": [
    {"id": "p1", "year": 2026, "clusters": [
        {"site": "site-a", "accelerator": "h100-sxm", "count": 16384},
        {"site": "site-a", "accelerator": "a100-80gb", "count": 4096}]},
    {"id": "p2", "year": 2027, "clusters": [
        {"site": "site-b", "accelerator": "h100-sxm", "count": 32768}]}]}


def test_json_contract(cli):
    r = cli("simulate", "--gpus", "16384", "--days", "54", "--seed", "0", "--json")
    assert r.code == 0, r.stderr
    d = r.json()
    for key in ("ettr", "mtbf_h", "lost_gpu_hours", "energy_mwh"):
        assert isinstance(d[key], float), key
    i = d["interruptions"]
    assert i["total"] == i["unexpected"] + i["planned"]
    assert sum(i["by_cause"].values()) == i["unexpected"]
    assert d["lost_gpu_hours"] == pytest.approx(sum(d["lost_gpu_hours_by_reason"].values()))
    same = gw.ops.simulate(16384, 54, seed=0).to_dict()
    assert "sim_wall_s" not in d and "sim_wall_s" not in same
    assert json.loads(json.dumps(same)) == d


@pytest.mark.parametrize("extra", [[], ["--jobs-free"]], ids=["cluster", "plan"])
def test_same_seed_same_bytes(cli, extra, tmp_path):
    if extra:  # the --plan path has its own document
        plan = tmp_path / "plan.json"
        plan.write_text(json.dumps(PLAN))
        args = ["simulate", "--plan", str(plan), "--days", "3", "--seed", "4", "--json"]
    else:
        args = ["simulate", "--gpus", "4096", "--days", "5", "--seed", "4", "--json"]
    first, second = cli(*args), cli(*args)
    assert first.code == 0, first.stderr
    assert first.stdout == second.stdout and "sim_wall_s" not in first.stdout
    timed = cli(*args, "--timings")
    assert timed.code == 0 and isinstance(timed.json()["sim_wall_s"], float)


def test_options_reach_the_model(cli):
    r = cli("simulate", "--gpus", "131072", "--days", "30", "--job-gpus", "65536",
            "--checkpoint-interval-min", "20", "--restart-min", "3", "--recovery", "in-memory",
            "--failure-rate", "5", "--seed", "4", "--json")
    assert r.code == 0, r.stderr
    d = r.json()
    assert d["job_gpus"] == 65536 and d["recovery"] == "in-memory"
    assert d["checkpoint"]["interval_min"] == 20.0 and d["checkpoint"]["restart_min"] == 3.0
    assert d["failure_rate_per_1000_node_days"] == pytest.approx(5.0)


def test_human_output(cli):
    r = cli("simulate", "--gpus", "16384", "--days", "5", "--seed", "0")
    assert r.code == 0 and "ETTR" in r.stdout and "faulty-gpu" in r.stdout


@pytest.mark.parametrize("args, needle", [
    (["--gpus", "16384", "--days", "10", "--failure-rate", "-1"], "--failure-rate"),
    (["--gpus", "1024", "--job-gpus", "2048", "--days", "10"], "job_gpus"),
    (["--gpus", "16384", "--days", "10", "--checkpoint-interval-min", "0.01"],
     "shorter than the checkpoint write time"),
    (["--gpus", "16384", "--days", "10", "--checkpoint-interval-min", "sometimes"],
     "checkpoint_interval_min"),
    (["--gpus", "16384", "--days", "0"], "days"),
    (["--days", "10"], "--gpus"),
    (["--gpus", "16384", "--days", "10", "--spare-nodes", "many"], "--spare-nodes"),
    (["--gpus", "16384", "--days", "10", "--accelerator", "h100"], "unknown accelerator"),
])
def test_bad_input_exit_2_one_line(cli, args, needle):
    r = cli("simulate", *args, "--json")
    assert r.code == 2
    assert r.stdout == ""
    assert needle in r.stderr and "Traceback" not in r.stderr
    assert r.stderr.startswith("error: ")


def test_plan_dir(cli, tmp_path):
    (tmp_path / "plan.json").write_text(json.dumps(PLAN))
    r = cli("simulate", "--plan", str(tmp_path), "--days", "20", "--seed", "1", "--json")
    assert r.code == 0, r.stderr
    d = r.json()
    assert [(c["phase"], c["accelerator"], c["count"]) for c in d["clusters"]] == [
        ("p1", "h100-sxm", 16384), ("p1", "a100-80gb", 4096), ("p2", "h100-sxm", 32768)]
    assert d["totals"]["accelerators"] == 16384 + 4096 + 32768
    sites = {(s["phase"], s["site"]): s for s in d["site_power"]}
    p1 = [c for c in d["clusters"] if c["phase"] == "p1"]
    assert sites[("p1", "site-a")]["mean_facility_power_mw"] == pytest.approx(
        sum(c["mean_facility_power_mw"] for c in p1))
    again = cli("simulate", "--plan", str(tmp_path / "plan.json"), "--days", "20", "--seed",
                "1", "--json").json()
    for a, b in zip(again["clusters"], d["clusters"]):
        assert a["ettr"] == b["ettr"]


@pytest.mark.parametrize("plan, field", [
    ({}, "plan"),
    ({"phases": [{"id": "p1", "clusters": [{"site": "x", "count": 8}]}]},
     "phases[0].clusters[0]"),
    ({"phases": [{"id": "p1", "clusters": [{"site": "x", "accelerator": "h100-sxm",
                                            "count": -8}]}]}, "phases[0].clusters[0].count"),
    ({"phases": [{"id": "p1", "clusters": []}]}, "phases"),
])
def test_bad_plan(plan, field):
    with pytest.raises(ValidationError) as exc:
        gw.ops.simulate_plan(plan, 10)
    assert exc.value.field == field


def test_plan_missing_or_not_json(cli, tmp_path):
    r = cli("simulate", "--plan", str(tmp_path), "--days", "5")
    assert r.code == 2 and "no plan.json" in r.stderr
    (tmp_path / "plan.json").write_text("{not json")
    r = cli("simulate", "--plan", str(tmp_path), "--days", "5")
    assert r.code == 2 and "not a JSON document" in r.stderr


def test_report_written(cli, tmp_path):
    out = tmp_path / "rep"
    r = cli("simulate", "--gpus", "16384", "--days", "10", "--seed", "0", "--report",
            str(out), "--json")
    assert r.code == 0, r.stderr
    page = (out / "simulate.html").read_text()
    assert r.json()["report"] == str(out / "simulate.html")
    assert "Plotly.newPlot" in page and "power" in page
    csv = (out / "simulate_timeseries.csv").read_text().splitlines()
    assert csv[0].startswith("run,time_h,job_activity,it_power_mw")
    assert len(csv) == 1 + 10 * 24 * 6  # 10-minute bins: at most 2000 per run
    assert not list(out.glob(".*.tmp"))


def test_plan_site_limits_from_scenario_then_catalog(catalog):
    plan = {"phases": [{"id": "p", "year": 2027, "clusters": [
        {"site": "abilene-tx", "accelerator": "h100-sxm", "count": 8192}]}]}
    plain = gw.ops.simulate_plan(plan, 5, seed=0).to_dict()["site_power"][0]
    assert plain["limit_from"] == "catalog"
    assert plain["limit_mw"] == catalog.site("abilene-tx").power_mw_in(2027)
    scen = gw.load_scenario("stargate")
    override = next(s for s in scen.sites if s.site == "abilene-tx").power_mw_by_year
    withs = gw.ops.simulate_plan({**plan, "scenario": "stargate"}, 5, seed=0).to_dict()
    assert withs["site_power"][0]["limit_from"] == "scenario stargate"
    assert withs["site_power"][0]["limit_mw"] == max(
        v for y, v in override.items() if y <= 2027)
    site_pue = catalog.get("coolings", catalog.site("abilene-tx").cooling).pue
    assert withs["clusters"][0]["pue"] == site_pue
