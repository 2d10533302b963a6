"""Fuzzing (hypothesis): the scenario loader and every command's numeric flags.

Whatever the input, the answer is a result or one GigawattError line with exit 2: never
a traceback, never a hang, and an exit-0 JSON document holds no NaN/infinity (which the
writer would turn into null) in its numbers. Example counts are small so the suite stays
fast; the planner fuzz, which solves, is in test_fuzz_plan.py.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gigawatt.errors import GigawattError
from gigawatt.scenario import parse_scenario

BASE = yaml.safe_load((Path(__file__).resolve().parent.parent / "data" / "good"
                       / "minimal.yaml").read_text())
FAST = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.too_slow,
                                       HealthCheck.function_scoped_fixture])

HOSTILE = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**30, 10**30),
    st.booleans(), st.none(), st.text(max_size=8), st.sampled_from([1e300, -1e300, 10**30]),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.integers(2000, 2100),
                                                         st.floats(), max_size=3))

#: places in the minimal scenario a fuzzed value may go
PATHS = [["phases", 0, "budget_usd"], ["phases", 1, "start_year"], ["start_year"],
         ["end_year"], ["discount_rate"], ["hardware_life_years"],
         ["accelerators", 0, "supply_cap_by_year"], ["accelerators", 0, "price_usd"],
         ["accelerators", 0, "available_from"], ["sites", 0, "power_mw_by_year"],
         ["sites", 0, "pue"], ["reference_global_batch_tokens"], ["vendor_max_share"],
         ["hbm_supply_gb_by_year"], ["phases"], ["sites"], ["accelerators"], ["id"]]


def _set(doc: dict, path: list, value) -> dict:
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return doc


@FAST
@given(edits=st.lists(st.tuples(st.sampled_from(PATHS), HOSTILE), min_size=1, max_size=4),
       duplicate=st.sampled_from([None, "phases", "sites", "accelerators"]))
def test_scenario_loader_answers_or_refuses(edits, duplicate):
    doc = copy.deepcopy(BASE)
    for path, value in edits:
        try:
            _set(doc, path, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit replaced the container
    if duplicate and isinstance(doc.get(duplicate), list) and doc[duplicate]:
        doc[duplicate] = doc[duplicate] + doc[duplicate][:1]
    try:
        text = yaml.safe_dump(doc)
    except yaml.YAMLError:
        return
    try:
        sc = parse_scenario(text, file="fuzz.yaml")
    except GigawattError as exc:
        assert exc.render().startswith("fuzz.yaml"), exc.render()
        return
    assert math.isfinite(sc.budget_usd) and 0 < sc.budget_usd <= 1e13 * len(sc.phases)
    assert len({p.id for p in sc.phases}) == len(sc.phases)
    assert len({s.site for s in sc.sites}) == len(sc.sites)


def _no_nan(text: str) -> object:
    def bad(name: str):
        raise AssertionError(f"{name} in a JSON document")
    return json.loads(text, parse_constant=bad)


NUMBERS = st.one_of(
    st.sampled_from(["nan", "inf", "-inf", "0", "-1", "1e300", "9223372036854775808",
                     "1e9", "0.5", "1", "8", "64", "1024"]),
    st.integers(-5, 10**9).map(str), st.floats(allow_nan=False, width=32).map(repr))

COMMANDS = {
    "train": (["train", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm"],
              ["--gpus", "--tp", "--pp", "--microbatch", "--global-batch", "--seq-len",
               "--tokens", "--zero"], {"--gpus": "64"},
              ["step_time_s", "mfu", "tokens_per_s", "memory_gb_per_gpu"]),
    "serve": (["serve", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm"],
              ["--prompt-tokens", "--output-tokens", "--batch", "--rate", "--life-years",
               "--ttft-slo", "--gpus"], {"--prompt-tokens": "512", "--output-tokens": "128"},
              ["output_tokens_per_s", "ttft_s", "tpot_s"]),
    "size": (["size", "--accelerator", "h100-sxm"], ["--count"], {"--count": "1024"},
             ["racks", "it_power_mw", "facility_power_mw"]),
    "simulate": (["simulate"], ["--gpus", "--days", "--failure-rate", "--restart-min",
                                "--job-gpus", "--seed"], {"--gpus": "512", "--days": "2"},
                 ["ettr", "energy_mwh"]),  # mtbf_h: null with no failure (documented)
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_commands_flags_answer_or_refuse(cli, name):
    base, flags, required, numeric = COMMANDS[name]

    @FAST
    @given(values=st.dictionaries(st.sampled_from(flags), NUMBERS, min_size=1, max_size=3))
    def run(values):
        given_flags = {**required, **values}
        args = base + [x for kv in given_flags.items() for x in kv] + ["--json"]
        r = cli(*args)  # an uncaught exception fails the test here: a traceback
        assert r.code in (0, 2), (args, r.code, r.stderr[-500:])
        assert "Traceback" not in r.stderr, (args, r.stderr[-2000:])
        if r.code == 2:
            assert r.stdout == "" and r.stderr.strip(), args
            return
        doc = _no_nan(r.stdout)
        for key in numeric:
            v = doc.get(key)
            assert isinstance(v, (int, float)) and math.isfinite(v), (args, key, v)
    run()
