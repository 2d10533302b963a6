"""Every numeric flag of every command refuses NaN, infinity and values beyond its
stated range while the command line is parsed (exit 2, the range in the message, no
traceback); precisions the hardware lacks are refused with the allowed set."""

from __future__ import annotations

import json

import pytest

from gigawatt.cli import command
from gigawatt.cli.options import DEFAULT_RANGE, RANGES

SERVE = ["serve", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm", "--prompt-tokens",
         "100", "--output-tokens", "100"]
TRAIN = ["train", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm", "--gpus", "8"]
SIM = ["simulate", "--gpus", "64", "--days", "1"]

BAD = [
    (["train", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm", "--gpus",
      "9223372036854775808"], "--gpus"),
    (TRAIN + ["--tokens", "inf"], "--tokens"),
    (TRAIN + ["--tokens", "nan"], "--tokens"),
    (TRAIN + ["--tp", "0"], "--tp"),
    (SERVE + ["--rate", "inf"], "--rate"),
    (SERVE + ["--rate", "nan"], "--rate"),
    (SERVE + ["--rate", "10", "--life-years", "0"], "--life-years"),
    (SERVE + ["--rate", "10", "--life-years", "-1"], "--life-years"),
    (SERVE + ["--ttft-slo", "-1"], "--ttft-slo"),
    (["size", "--accelerator", "h100-sxm", "--count", "1000000000"], "--count"),
    (SIM + ["--failure-rate", "1e300"], "--failure-rate"),
    (SIM + ["--failure-rate", "nan"], "--failure-rate"),
    (["simulate", "--gpus", "64", "--days", "inf"], "--days"),
    (SIM + ["--seed", "-1"], "--seed"),
    (["risk", "--draws", "0"], "--draws"),
    (["risk", "--draws", "10", "--workers", "0"], "--workers"),
    (["plan", "--time-limit-s", "nan", "--no-report"], "--time-limit-s"),
]


@pytest.mark.parametrize("args,flag", BAD, ids=[" ".join(a[-2:]) for a, _ in BAD])
def test_bad_numbers_exit_2_with_the_range(cli, args, flag):
    r = cli(*args)
    assert r.code == 2, (r.code, r.stderr)
    assert r.stdout == "" and "Traceback" not in r.stderr and r.stderr.count("\n") <= 4
    # the range is stated (typer's own min/max words it "less than or equal to")
    assert flag in r.stderr and ("allowed" in r.stderr or "equal to" in r.stderr), r.stderr


def test_every_numeric_flag_is_bounded():
    """No numeric option of any command escapes the check (new flags included)."""
    from gigawatt.cli.options import _is_numeric

    cmd = command()
    seen = set()
    for name, sub in cmd.commands.items():
        for p in getattr(sub, "commands", {name: sub}).values():
            for param in p.params:
                if _is_numeric(param):
                    assert param.process_value.__name__ == "process_value", param.name
                    seen.add(param.name)
    assert {"gpus", "days", "rate", "life_years", "failure_rate", "draws"} <= seen
    assert all(lo < hi for lo, hi, _ in [*RANGES.values(), DEFAULT_RANGE])


def test_one_gpu_limit_across_commands(cli):
    for args in (["train", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm", "--gpus"],
                 ["size", "--accelerator", "h100-sxm", "--count"],
                 ["simulate", "--days", "1", "--gpus"], SERVE + ["--gpus"]):
        r = cli(*args, "100000001")
        assert r.code == 2 and "<= 1e+08" in r.stderr, (args, r.stderr)


def test_simulate_event_count_is_bounded(cli):
    r = cli("simulate", "--gpus", "8000000", "--days", "100", "--failure-rate", "100000",
            "--json")
    assert r.code == 2 and "at most 1e+07" in r.stderr, r.stderr


def test_simulate_checkpoint_interval_refuses_nan(cli):
    r = cli(*SIM, "--checkpoint-interval-min", "nan")
    assert r.code == 2 and "checkpoint-interval-min" in r.stderr


@pytest.mark.parametrize("content", ["[" * 100_000 + "]" * 100_000,
                                     '{"phases": [{"id": "p", "count": NaN}]}'],
                         ids=["deep", "nan"])
def test_simulate_plan_refuses_deep_or_nan_json(cli, tmp_path, content):
    f = tmp_path / "plan.json"
    f.write_text(content)
    r = cli("simulate", "--plan", f, "--days", "1", "--json")
    assert r.code == 2 and "not a JSON document" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("args,allowed", [
    (SERVE + ["--precision", "fp4"], "bf16, fp8"),
    (["train", "--model", "llama-3.1-8b", "--accelerator", "a100-80gb", "--gpus", "8",
      "--precision", "fp8"], "allowed: bf16"),
])
def test_precision_the_hardware_lacks_is_refused(cli, args, allowed):
    r = cli(*args)
    assert r.code == 2 and allowed in r.stderr and "not supported" in r.stderr, r.stderr


def test_a_supported_precision_still_works(cli):
    r = cli(*SERVE, "--precision", "fp8", "--json")
    assert r.code == 0, r.stderr
    assert json.loads(r.stdout)["output_tokens_per_s"] > 0


def test_help_states_the_range(cli):
    r = cli("simulate", "--help")
    assert "allowed: > 0 and <=" in r.stdout


def test_model_file_sizes_are_bounded(cli, tmp_path):
    f = tmp_path / "m.yaml"
    f.write_text("name: huge\nlayers: 32\nhidden: 1000000000000000000000000000000\n"
                 "heads: 32\nvocab: 128000\nseq_len: 8192\n")
    r = cli("train", "--model-file", f, "--accelerator", "h100-sxm", "--gpus", "64")
    assert r.code == 2 and "hidden" in r.stderr and "<= 1e+08" in r.stderr, r.stderr
    f.write_text("name: x\nlayers: 32\nhidden: .nan\nheads: 32\nvocab: 128000\nseq_len: 8192\n")
    r = cli("train", "--model-file", f, "--accelerator", "h100-sxm", "--gpus", "64")
    assert r.code == 2 and "hidden" in r.stderr, r.stderr
