"""Conventions a user expects: --version, completion, choices in --help, --json on every
command, GPU-hours, a failure-rate multiplier, unstated defaults printed."""

from __future__ import annotations

import re
import tomllib

import pytest

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_version_matches_the_package(cli):
    r = cli("--version")
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert r.code == 0 and r.stdout.strip() == f"gigawatt {version}"


def test_shell_completion_is_offered(cli):
    r = cli("--help")
    assert "--install-completion" in r.stdout and "--show-completion" in r.stdout


@pytest.mark.parametrize("command, choices", [
    ("train", ["<none|selective|full>", "<0|1|2|3>", "<bf16|fp8>"]),
    ("serve", ["<bf16|fp8|fp4>"]),
    ("simulate", ["<restart|in-memory|elastic>", "<fifo|priority|backfill>"]),
    ("risk", ["<local|ray>"]),
])
def test_choices_listed_in_help(cli, command, choices):
    text = re.sub(r"\s+", " ", cli(command, "--help").stdout)
    for c in choices:
        assert c in text, (command, c)


def test_bad_choice_is_a_usage_error(cli):
    r = cli("simulate", "--gpus", "64", "--days", "1", "--recovery", "reboot")
    assert r.code == 2 and "restart" in r.stderr and "Traceback" not in r.stderr


def test_scenario_schema_takes_json(cli):
    r = cli("scenario", "schema", "--json")
    assert r.code == 0 and "properties" in r.json()


def test_train_reports_gpu_hours_and_days(cli):
    args = ["train", "--model", "llama-3-8b", "--accelerator", "h100-sxm", "--gpus", "64",
            "--tokens", "1e12"]
    d = cli(*args, "--json").json()
    assert d["gpu_hours"] == pytest.approx(64 * d["time_to_train_days"] * 24)
    assert d["gpu_days"] == pytest.approx(d["gpu_hours"] / 24)
    out = cli(*args).stdout
    assert "GPU-hours" in out and "GPU-days" in out


def test_train_prints_the_default_global_batch(cli):
    args = ["train", "--model", "llama-3-8b", "--accelerator", "h100-sxm", "--gpus", "64"]
    out = re.sub(r"\s+", " ", cli(*args).stdout)
    assert "is the default" in out and "--global-batch" in out
    given = re.sub(r"\s+", " ", cli(*args, "--global-batch", "64").stdout)
    assert "is the default" not in given


def test_simulate_failure_scale_multiplies_the_rate(cli):
    base = cli("simulate", "--gpus", "4096", "--days", "5", "--seed", "3", "--json").json()
    twice = cli("simulate", "--gpus", "4096", "--days", "5", "--seed", "3",
                "--failure-scale", "2", "--json").json()
    assert twice["failure_rate_per_1000_node_days"] == pytest.approx(
        2 * base["failure_rate_per_1000_node_days"])
    assert twice["interruptions"]["unexpected"] > 1.4 * base["interruptions"]["unexpected"]
    r = cli("simulate", "--gpus", "64", "--days", "1", "--failure-scale", "-1")
    assert r.code == 2 and "--failure-scale" in r.stderr


def test_completion_completes_commands_and_choices():
    """The shell-completion protocol through the real entry point: a command name, then
    the choices of an option."""
    import os
    import subprocess
    import sys

    def complete(words: str, cword: int) -> list[str]:
        env = dict(os.environ, _GIGAWATT_COMPLETE="complete_bash", COMP_WORDS=words,
                   COMP_CWORD=str(cword))
        code = "import sys; sys.argv = ['gigawatt']; from gigawatt.cli import main; main()"
        r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                           text=True, timeout=60)
        return r.stdout.split()

    assert complete("gigawatt sim", 1) == ["simulate"]
    assert complete("gigawatt simulate --recovery ", 3) == ["restart", "in-memory", "elastic"]
