"""`gigawatt risk` through the CLI: JSON shape, determinism, report files, bad input."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from test_risk_toy import SMALL

BAD = Path(__file__).resolve().parents[1] / "data" / "bad" / "bad_uncertainty.yaml"


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory):
    p = tmp_path_factory.mktemp("risk") / "small.yaml"
    p.write_text(SMALL)
    return str(p)


def test_json_shape_and_determinism(cli, scenario_file):
    args = ("risk", "--scenario", scenario_file, "--draws", "300", "--seed", "9",
            "--fixed-plan", "--json")
    r = cli(*args, "--workers", "1")
    assert r.code == 0, r.stderr
    d = r.json()
    assert d["draws"] == 300 and d["fixed_plan"] is True
    for name in ("total_cost_usd", "full_capacity_year", "effective_exaflops_2028",
                 "effective_exaflops_2030", "goodput_ettr"):
        s = d["outcomes"][name]
        assert s["p10"] <= s["p50"] <= s["p90"], name
    assert set(d["milestones"]) >= {"within_budget", "full_capacity_by_2030"}
    assert all(0 <= p <= 1 for p in d["milestones"].values())
    target = {m["name"]: m["threshold"] for m in d["milestone_definitions"]}
    assert target["compute_2030_at_90pct_of_plan"] == pytest.approx(
        0.9 * d["planned"]["effective_exaflops_2030"])
    assert d["planned"]["effective_exaflops_2030"] > 0
    assert {t["input"] for t in d["tornado"]} == {
        "gb200-delay", "gb200-delay-2", "gb200-price", "power-delay", "build", "elec",
        "model-error-gb200", "model-error-h100-sxm", "budget", "fail", "hbm"}  # not "mfu"
    assert any("replaced by the per-family calibration" in n for n in d["notes"])
    swings = [t["swing"] for t in d["tornado"]]
    assert swings == sorted(swings, reverse=True)
    again = cli(*args, "--workers", "2", "--chunk-size", "7")
    assert again.stdout == r.stdout  # same seed: same bytes, whatever the workers
    other = cli("risk", "--scenario", scenario_file, "--draws", "300", "--seed", "10",
                "--fixed-plan", "--json", "--workers", "1")
    assert other.json()["outcomes"] != d["outcomes"]


def test_out_writes_report(cli, scenario_file, tmp_path):
    r = cli("risk", "--scenario", scenario_file, "--draws", "50", "--seed", "1",
            "--fixed-plan", "--workers", "1", "--out", str(tmp_path))
    assert r.code == 0, r.stderr
    html = (tmp_path / "risk.html").read_text()
    assert "tornado" in html and "plotly" in html.lower()
    rows = (tmp_path / "risk_draws.csv").read_text().splitlines()
    assert len(rows) == 51 and rows[0].startswith("draw,input:gb200-delay")
    assert json.loads((tmp_path / "risk.json").read_text())["draws"] == 50
    assert "P50" in r.stdout and "tornado" in r.stdout


@pytest.mark.parametrize("draws", ["0", "-5"])
def test_draws_must_be_positive(cli, draws):
    r = cli("risk", "--draws", draws, "--seed", "1", "--fixed-plan")
    assert r.code == 2 and "draws" in r.stderr and "allowed" in r.stderr
    assert "Traceback" not in r.stderr


def test_impossible_distribution_refused(cli):
    r = cli("risk", "--scenario", str(BAD), "--draws", "10", "--seed", "1")
    assert r.code == 2
    assert "min (2.0) > max (1.0)" in r.stderr and "uncertainties[0]" in r.stderr


def test_negative_sigma_refused(cli, tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text(SMALL.replace("median: 1.0, sigma: 0.15", "median: 1.0, sigma: -0.15"))
    r = cli("risk", "--scenario", str(p), "--draws", "10", "--seed", "1")
    assert r.code == 2 and "sigma" in r.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_ray_address(cli):
    r = cli("risk", "--draws", "10", "--seed", "1", "--executor", "ray",
            "--address", f"127.0.0.1:{_free_port()}", "--fixed-plan")
    assert r.code == 2 and "cannot reach a Ray cluster" in r.stderr


def test_bad_executor_and_address(cli):
    r = cli("risk", "--draws", "10", "--seed", "1", "--executor", "dask")
    assert r.code == 2 and "'local', 'ray'" in r.stderr  # a choice: a usage error
    r = cli("risk", "--draws", "10", "--seed", "1", "--address", "1.2.3.4:6379")
    assert r.code == 2 and "needs --executor ray" in r.stderr
    r = cli("risk", "--draws", "10", "--seed", "1", "--executor", "ray", "--address", "nohost")
    assert r.code == 2 and "HOST:PORT" in r.stderr
