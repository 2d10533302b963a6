"""The one number-formatting layer: engineering units, plain years, human labels, and
terminal tables that fit 80 columns without cutting a number."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from gigawatt.numfmt import field, label, money, number, si, unit_of, year

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.mark.parametrize("name, value, text", [
    ("capex_usd", 343_592_801_860, "$344B"),
    ("price_usd", 36_000, "$36,000"),
    ("cost_per_gpu_hour_usd", 2.1, "$2.10"),
    ("usd_per_million_output_tokens", 0.672, "$0.672"),
    ("budget_margin_usd", -5.2e9, "-$5.2B"),
    ("accelerators", 4_245_048, "4.25M"),
    ("racks", 3125, "3,125"),
    ("floor_m2", 7812, "7,812 m²"),
    ("peak_flop_per_s", 2.5e15, "2.5 PFLOP/s"),
    ("tflops_per_gpu", 442.3, "442 TFLOP/s"),
    ("facility_power_mw", 8913, "8.91 GW"),
    ("it_power_mw", 122.4, "122 MW"),
    ("energy_mwh", 40_898, "40.9 GWh"),
    ("full_capacity_year", 2029.43, "2029.4"),
    ("year", 2029, "2029"),
    ("step_time_s", 6.09, "6.09 s"),
    ("hbm_gb", 80, "80 GB"),
    ("mfu", 0.446, "0.446"),
    ("output_tokens_per_s_per_gpu", 2190.4, "2,190"),
    ("effective_exaflops", 6200.2, "6,200 EFLOP/s"),
])
def test_field_formats(name, value, text):
    assert field(name, value) == text


def test_numbers_and_missing_values():
    assert number(1979) == "1,979" and number(1307.4) == "1,307"  # one separator rule
    assert number(65.53) == "65.5" and number(0.0489) == "0.0489" and number(0) == "0"
    assert number(None) == "–" and number(math.nan) == "–" and money(math.inf) == "–"
    assert year(2029.0) == "2029" and "," not in year(2030.97)
    assert si(0, "W") == "0 W" and si(1.5e-3, "s") == "1.5 ms"


def test_units_and_labels_from_names():
    assert unit_of("capex_usd") == "USD" and unit_of("it_power_mw") == "MW"
    assert unit_of("accelerators") == "" and unit_of("deadline_year") == "year"
    assert label("it_power_mw") == "IT power"
    assert label("facility_power_mw", unit=True) == "facility power (MW)"
    assert label("output_tokens_per_s_per_gpu") == "output tokens/s per GPU"
    assert label("memory_gb_per_gpu") == "memory per GPU"
    assert label("already human") == "already human"


@pytest.mark.parametrize("args", [
    ["catalog", "list", "accelerators"], ["catalog", "list", "demands"],
    ["catalog", "list", "systems"], ["catalog", "show", "h100-sxm"], ["scenario", "list"],
    ["scenario", "show", "stargate"],
    ["size", "--accelerator", "h100-sxm", "--count", "100000", "--site", "memphis-tn"],
    ["train", "--model", "llama-3-8b", "--accelerator", "h100-sxm", "--gpus", "64",
     "--tokens", "1e12"],
    ["serve", "--model", "llama-3.3-70b", "--accelerator", "h100-sxm", "--prompt-tokens",
     "1000", "--output-tokens", "1000", "--rate", "50"],
    ["simulate", "--gpus", "4096", "--days", "3", "--seed", "1"],
])
def test_terminal_output_fits_80_columns(cli, monkeypatch, args):
    """Every line fits 80 columns and nothing is cut with an ellipsis; money and big
    counts come in engineering units, never as 12-digit runs."""
    import re

    monkeypatch.setenv("COLUMNS", "80")
    r = cli(*args)
    assert r.code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines and max(len(line.rstrip()) for line in lines) <= 80
    assert "…" not in r.stdout
    assert not re.search(r"\d{1,3}(,\d{3}){3,}", r.stdout)  # no 1,000,000,000-style runs
    assert not re.search(r"\b2,0[2-3]\d\b", r.stdout)  # no year printed as 2,029


def test_catalog_list_shows_every_price_whole(cli, monkeypatch, catalog):
    monkeypatch.setenv("COLUMNS", "80")
    out = cli("catalog", "list", "accelerators").stdout
    for a in catalog.table("accelerators").values():
        assert money(a.price_usd) in out and a.id in out


def test_size_table_uses_units(cli):
    out = cli("size", "--accelerator", "h100-sxm", "--count", "100000").stdout
    assert "12,500" in out and "3,125" in out and "$5.49B" in out and " MW" in out


def test_plan_and_risk_output_fit_80_columns(cli, monkeypatch, tmp_path):
    """The two long-running commands' summaries: money as $B, years plain, 80 columns,
    and the reference batch behind the MFU is said."""
    import re

    from test_risk_toy import SMALL

    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("GIGAWATT_CACHE_DIR", str(tmp_path / "cache"))
    plan = cli("plan", "--scenario", str(DATA / "plan" / "small.yaml"), "--no-report")
    path = tmp_path / "risk-small.yaml"
    path.write_text(SMALL)
    risk = cli("risk", "--scenario", str(path), "--draws", "40", "--seed", "1",
               "--fixed-plan", "--workers", "1")
    for r in (plan, risk):
        assert r.code == 0, r.stderr
        assert max(len(x.rstrip()) for x in r.stdout.splitlines()) <= 80
        assert "…" not in r.stdout
        assert not re.search(r"\d{1,3}(,\d{3}){3,}", r.stdout)
        assert not re.search(r"\b2,0[2-3]\d\b", r.stdout)
    assert re.search(r"\$\d[\d.]*[MB]\b", plan.stdout)
    assert "global batch of" in re.sub(r"\s+", " ", plan.stdout)
