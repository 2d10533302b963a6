"""Planner fuzz (hypothesis): small scenarios with drawn budgets, supply caps, site power,
HBM caps, prices and workloads go through `gigawatt plan --json`; the answer is a plan
(no NaN/inf/null in its totals) or one error line with exit 2, within the time limit.
Solves a small scenario (~0.1 s each), so 25 examples cost a few seconds."""

from __future__ import annotations

import json
import math
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SMALL = yaml.safe_load((Path(__file__).resolve().parents[1] / "data" / "plan"
                        / "small.yaml").read_text())

EDGE = st.sampled_from([float("nan"), float("inf"), 1e300, 10**30, True, -1, 0])


def _maybe(valid):
    return st.one_of(valid, valid, valid, EDGE)  # mostly valid, sometimes hostile


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(budget=_maybe(st.floats(1e7, 1e11)), cap=_maybe(st.integers(0, 200_000)),
       power=_maybe(st.floats(0, 5_000)), hbm=_maybe(st.floats(0, 1e8)),
       price=_maybe(st.floats(1e3, 1e5)),
       tokens=_maybe(st.floats(1e9, 1e14)), scale=_maybe(st.floats(0.01, 10)))
def test_plan_answers_or_refuses(cli, tmp_path_factory, budget, cap, power, hbm, price,
                                 tokens, scale):
    doc = json.loads(json.dumps(SMALL))
    doc["phases"][0]["budget_usd"] = budget
    doc["accelerators"][0]["supply_cap_by_year"] = {2025: cap}
    doc["accelerators"][1]["price_usd"] = price
    doc["sites"][0]["power_mw_by_year"] = {2025: power}
    doc["hbm_supply_gb_by_year"] = {"sk-hynix": {2026: hbm}}
    doc["workloads"] = {
        "training": [{"id": "t", "model": "llama-3.1-8b", "tokens": tokens,
                      "deadline_year": 2027}],
        "inference": [{"id": "i", "demand": "chatgpt-chat", "from_year": 2026,
                       "scale": scale}]}
    path = tmp_path_factory.mktemp("fuzz") / "s.yaml"
    path.write_text(yaml.safe_dump(doc))
    r = cli("plan", "--scenario", path, "--no-report", "--json", "--time-limit-s", "30")
    assert r.code in (0, 2), r.stderr[-2000:]
    assert "Traceback" not in r.stderr
    if r.code == 2:
        assert r.stdout == "" and r.stderr.startswith("error: "), r.stderr
        return

    def bad(name):
        raise AssertionError(f"{name} in the plan document")
    out = json.loads(r.stdout, parse_constant=bad)
    assert out["status"] in ("optimal", "relaxed", "time_limit"), out["status"]
    for key in ("capex_usd", "budget_usd", "accelerators", "it_power_mw",
                "effective_exaflops"):
        v = out["totals"][key]
        assert isinstance(v, (int, float)) and math.isfinite(v), (key, v)
    assert out["totals"]["capex_usd"] <= out["totals"]["budget_usd"] * (1 + 1e-6)
