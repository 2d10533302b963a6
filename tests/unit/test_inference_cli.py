"""`gigawatt serve`: JSON contract, demand sizing, plot file, and bad input (exit 2)."""

from __future__ import annotations

import pytest

BASE = ["serve", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm",
        "--prompt-tokens", "1000", "--output-tokens", "1000"]


def test_json_max_throughput(cli):
    r = cli(*BASE, "--json")
    assert r.code == 0, r.stderr
    d = r.json()
    for key in ("plan", "output_tokens_per_s", "output_tokens_per_s_per_gpu", "ttft_s",
                "tpot_s", "batch", "max_batch"):
        assert key in d
    assert d["batch"] == d["max_batch"] and d["output_tokens_per_s_per_gpu"] > 1000


def test_json_with_slo_and_fixed_batch(cli):
    slo = cli(*BASE, "--tpot-slo", "0.02", "--json").json()
    assert slo["tpot_s"] <= 0.02
    fixed = cli(*BASE, "--batch", "8", "--tp", "1", "--json").json()
    assert fixed["batch"] == 8 and fixed["plan"]["tp"] == 1


def test_json_with_demand(cli):
    r = cli("serve", "--accelerator", "h200", "--demand", "chatgpt-chat", "--json")
    assert r.code == 0, r.stderr
    d = r.json()
    assert d["demand"] == "chatgpt-chat" and d["model"] == "llama-3.1-405b"
    assert d["accelerators"] > 0 and d["it_power_mw"] > 0
    assert d["usd_per_million_output_tokens"] > 0


def test_demand_without_accelerator_ranks_all(cli, catalog):
    r = cli("serve", "--demand", "chatgpt-chat", "--json")
    assert r.code == 0, r.stderr
    opts = r.json()["options"]
    assert {o["accelerator"] for o in opts} == set(catalog.accelerators)
    costs = [o["usd_per_million_output_tokens"] for o in opts if o["feasible"]]
    assert costs == sorted(costs)
    table = cli("serve", "--demand", "chatgpt-chat")
    assert table.code == 0 and "USD" in table.stdout and "$" in table.stdout


def test_json_with_rate(cli):
    d = cli(*BASE, "--rate", "50", "--json").json()
    assert d["accelerators"] >= 1 and d["usd_per_million_output_tokens"] > 0


def test_table_output(cli):
    r = cli(*BASE)
    assert r.code == 0 and "output tokens/s per GPU" in r.stdout


def test_plot_writes_self_contained_html(cli, tmp_path):
    path = tmp_path / "frontier.html"
    r = cli(*BASE, "--plot", str(path), "--json")
    assert r.code == 0, r.stderr
    html = path.read_text()
    assert "plotly" in html.lower() and "throughput-latency frontier" in html
    assert 'src="https://cdn.plot.ly' not in html and len(html) > 1_000_000  # plotly.js inlined


@pytest.mark.parametrize("args,needle", [
    (["--precision", "bf16", "--model", "llama-3.1-405b"], "does not fit"),
    (["--tpot-slo", "0.0001"], "no batch size meets the SLOs"),
    (["--rate", "0"], "--rate: 0.0 is out of range; allowed: > 0"),
    (["--rate", "5", "--demand", "chatgpt-chat"], "either --demand or --rate"),
    (["--batch", "1000000"], "does not fit"),
    (["--tp", "3"], "must divide"),
    (["--precision", "int4"], "precision"),
])
def test_bad_input_exit_2_one_line(cli, args, needle):
    argv = list(BASE)
    if "--model" in args:
        i = argv.index("--model")
        del argv[i:i + 2]
    r = cli(*argv, *args)
    assert r.code == 2
    assert needle in r.stderr and "Traceback" not in r.stderr


def test_missing_accelerator_without_demand(cli):
    r = cli("serve", "--model", "llama-3.1-8b", "--prompt-tokens", "5", "--output-tokens", "5")
    assert r.code == 2 and "accelerator is required" in r.stderr


def test_missing_lengths_without_demand(cli):
    r = cli("serve", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm")
    assert r.code == 2 and "prompt_tokens is required" in r.stderr
