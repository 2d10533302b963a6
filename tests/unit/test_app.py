"""The workbench without a browser: levers become a valid scenario, bad levers are one
clear error, the server answers its API on 127.0.0.1, and `gigawatt app` stops cleanly on
Ctrl-C (SIGINT)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from gigawatt.app.levers import apply_levers, scenario_yaml
from gigawatt.errors import ValidationError
from gigawatt.scenario import load_scenario, parse_scenario

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def colossus(catalog):
    return load_scenario("colossus", catalog)


def test_levers_write_the_scenario(colossus, catalog):
    site = colossus.sites[0].site
    acc = colossus.accelerators[0].accelerator
    v = apply_levers(colossus, catalog, {
        "budget_usd": {colossus.phases[0].id: 1e9}, "price_usd": {acc: 12345.0},
        "site_delay_years": {site: 2}, "site_power_factor": {site: 0.5},
        "vendor_max_share": 0.9, "objective": "min_cost"})
    assert v.phases[0].budget_usd == 1e9 and v.accelerators[0].price_usd == 12345.0
    assert v.objective == "min_cost" and v.vendor_max_share == 0.9
    base = colossus.sites[0].power_mw_by_year or catalog.site(site).power_mw_by_year
    assert v.sites[0].power_mw_by_year == {y + 2: mw * 0.5 for y, mw in base.items()}
    again = parse_scenario(scenario_yaml(v, "colossus-test", "a test"), "v.yaml", catalog)
    assert again.id == "colossus-test" and again.phases[0].budget_usd == 1e9


@pytest.mark.parametrize("levers, field", [
    ({"budget_usd": {"nope": 1e9}}, "levers.budget_usd"),
    ({"site_power_factor": {"memphis-tn": float("nan")}}, "levers.site_power_factor"),
    ({"objective": "max_fun"}, "levers.objective"),
    ({"failure_rate_factor": -1}, "levers.failure_rate_factor"),
    ({"colour": 1}, "levers"),
])
def test_bad_levers_are_named(colossus, catalog, levers, field):
    with pytest.raises(ValidationError) as e:
        apply_levers(colossus, catalog, levers)
    assert field in e.value.render()


def _get(url: str, body: dict | None = None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_api_plan_save_compare(colossus, catalog, tmp_path):
    from gigawatt.app.server import App, make_server
    from gigawatt.app.workbench import Workbench

    srv = make_server(App(Workbench(colossus, catalog), tmp_path), "127.0.0.1", 0)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{srv.server_address[1]}"
    try:
        assert srv.server_address[0] == "127.0.0.1"
        status, state = _get(url + "/api/state")
        assert status == 200 and state["scenario"] == "colossus"
        _, base = _get(url + "/api/plan", {"levers": {}, "risk": False})
        phase = colossus.phases[-1].id
        _, cut = _get(url + "/api/plan", {"levers": {"budget_usd": {phase: 1e9}}, "risk": False})
        assert cut["totals"]["capex_usd"] < base["totals"]["capex_usd"]
        status, bad = _get(url + "/api/plan", {"levers": {"objective": "x"}})
        assert status == 400 and "levers.objective" in bad["error"]
        _get(url + "/api/save", {"name": "base", "levers": {}})
        _, saved = _get(url + "/api/save", {"name": "cut", "levers": {"budget_usd": {phase: 1e9}}})
        assert Path(saved["path"]).exists()
        _, cmp = _get(url + "/api/compare?a=base&b=cut")
        row = next(r for r in cmp["rows"] if r["metric"] == "capex_usd")
        assert row["difference"] == pytest.approx(row["b"] - row["a"]) and row["difference"] < 0
    finally:
        srv.shutdown()
        srv.server_close()


def test_cli_app_stops_on_ctrl_c(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen([sys.executable, "-m", "gigawatt", "app", "--scenario", "colossus",
                             "--port", "0", "--no-browser", "--out", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        line = ""
        deadline = time.time() + 120
        while "http://127.0.0.1:" not in line and time.time() < deadline:
            line = proc.stderr.readline()
        assert "http://127.0.0.1:" in line
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and "Traceback" not in err and out == ""
