"""Scenario validation refuses what the planner cannot use: duplicate ids, NaN/inf,
``true`` as a number, values beyond the stated ranges (gigawatt.limits) and negative
delays, each with the field and the allowed range."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from gigawatt.errors import ValidationError
from gigawatt.scenario import parse_scenario

BASE = yaml.safe_load((Path(__file__).resolve().parent.parent / "data" / "good"
                       / "minimal.yaml").read_text())


def _with(path: list, value) -> str:
    doc = copy.deepcopy(BASE)
    doc.setdefault("workloads", {"training": [{"id": "t", "model": "llama-3.1-8b",
                                               "tokens": 1e12, "deadline_year": 2027}],
                                 "inference": [{"id": "i", "demand": "chatgpt-chat",
                                                "from_year": 2026}]})
    doc.setdefault("uncertainties", [
        {"id": "delay", "kind": "power_delay_years", "of": "abilene-tx",
         "distribution": "triangular", "min": 0, "mode": 0.5, "max": 2}])
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value(node[path[-1]]) if callable(value) else value
    return yaml.safe_dump(doc)


def _refused(text: str) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        parse_scenario(text, file="x.yaml")
    return info.value


def test_the_base_document_is_valid():
    assert parse_scenario(_with(["id"], "minimal"), file="x.yaml").id == "minimal"


@pytest.mark.parametrize("path,key", [
    (["phases"], "id"), (["sites"], "site"), (["accelerators"], "accelerator"),
    (["workloads", "training"], "id"), (["workloads", "inference"], "id"),
    (["uncertainties"], "id")])
def test_duplicate_ids_are_refused(path, key):
    def dup(items):
        extra = copy.deepcopy(items[-1])
        if path == ["phases"]:  # a second phase that does not overlap
            extra.update(start_year=2027, end_year=2027)
        return items + [extra]
    text = _with(path, dup)
    if path == ["phases"]:
        text = _with(["phases", 1, "id"], "p1")
    exc = _refused(text)
    assert "duplicate" in exc.message and key in exc.field, exc.render()
    assert exc.line is not None


BAD_NUMBERS = [float("nan"), float("inf"), -float("inf"), 1e300, 10**30, True]
FIELDS = [
    ["phases", 0, "budget_usd"], ["accelerators", 0, "supply_cap_by_year", 2025],
    ["accelerators", 0, "price_usd"], ["reference_global_batch_tokens"],
    ["workloads", "training", 0, "tokens"], ["workloads", "inference", 0, "scale"],
    ["uncertainties", 0, "max"], ["hardware_life_years"], ["discount_rate"],
]


@pytest.mark.parametrize("value", BAD_NUMBERS, ids=repr)
@pytest.mark.parametrize("path", FIELDS, ids=lambda p: ".".join(map(str, p)))
def test_non_finite_huge_and_bool_numbers_are_refused(path, value):
    exc = _refused(_with(path, value))
    assert "allowed" in exc.render() or "finite" in exc.render() or "true/false" in \
        exc.render(), exc.render()


@pytest.mark.parametrize("value", BAD_NUMBERS, ids=repr)
def test_site_power_and_hbm_supply_refuse_bad_numbers(value):
    _refused(_with(["sites", 0], {"site": "abilene-tx", "power_mw_by_year": {2025: value}}))
    _refused(_with(["hbm_supply_gb_by_year"], {"sk-hynix": {2025: value}}))


def test_a_range_is_stated():
    exc = _refused(_with(["phases", 0, "budget_usd"], 1e300))
    assert "<= 1e+13" in exc.render()
    exc = _refused(_with(["accelerators", 0, "supply_cap_by_year", 2025], 10**30))
    assert "<= 1e+08" in exc.render()


def test_year_keys_are_years():
    _refused(_with(["accelerators", 0, "supply_cap_by_year"], {10**30: 5}))


def test_true_as_a_year_key_is_refused():
    _refused(_with(["accelerators", 0, "supply_cap_by_year"], {True: 5}))


@pytest.mark.parametrize("field,value", [("min", -1), ("mode", -0.5), ("max", 25)])
def test_delays_are_non_negative_and_bounded(field, value):
    doc = _with(["uncertainties", 0, field], value)
    if field == "mode":
        doc = _with(["uncertainties", 0], {"id": "delay", "kind": "power_delay_years",
                                           "of": "abilene-tx", "distribution": "triangular",
                                           "min": -1, "mode": -0.5, "max": 0})
    exc = _refused(doc)
    assert "delay" in exc.render() and ">= 0" in exc.render(), exc.render()


def test_discrete_negative_delay_is_refused():
    exc = _refused(_with(["uncertainties", 0], {
        "id": "delay", "kind": "power_delay_years", "of": "abilene-tx",
        "distribution": "discrete", "values": [-1, 1], "probs": [0.5, 0.5]}))
    assert "values[0]" in exc.render()


def test_cli_validate_exit_2(cli, tmp_path):
    p = tmp_path / "dup.yaml"
    p.write_text(_with(["sites"], lambda s: s + s))
    r = cli("scenario", "validate", str(p))
    assert r.code == 2 and "duplicate site 'abilene-tx'" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


def test_yaml_copy_of_a_builtin_has_its_own_id(cli, tmp_path):
    r = cli("scenario", "show", "stargate", "--yaml")
    assert r.code == 0
    copy = tmp_path / "my.yaml"
    copy.write_text(r.stdout)
    v = cli("scenario", "validate", copy)
    assert v.code == 0, v.stderr
    from gigawatt.scenario import load_scenario
    assert load_scenario(copy).id == "stargate-copy"
    # the user's own file is printed as it is
    again = cli("scenario", "show", copy, "--yaml")
    assert again.stdout == r.stdout
