"""The local executor from a plain script and from `python - <<EOF`: the Python example of
docs/risk.md runs when pasted into a script (spawned workers must not re-run it), and a
model defined in an unguarded script fails at once with what to do."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def _docs_snippet() -> str:
    text = (ROOT / "docs" / "risk.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    assert "run_risk(" in code and "workers=2" in code
    code = re.sub(r"draws=[\d_]+", "draws=12", code)  # few draws, same code
    return code + "\nprint('draws', res.to_dict()['draws'])\n"


def _run(args: list[str], cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    return subprocess.run([sys.executable, *args], input=stdin, capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=240)


def test_docs_risk_example_runs_as_a_script(tmp_path):
    script = tmp_path / "example.py"
    script.write_text(_docs_snippet())
    r = _run([str(script)], tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.strip().endswith("draws 12")


def test_docs_risk_example_runs_from_stdin(tmp_path):
    r = _run(["-"], tmp_path, stdin=_docs_snippet())
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.strip().endswith("draws 12")


MAIN_MODEL = '''
import numpy as np
from gigawatt.risk.executors import LocalExecutor, run_draws
from gigawatt.risk.run import DrawEvaluator

class Model:
    outcome_names = ["y"]
    def evaluate(self, x):
        return np.array([float(x.sum())])

print(run_draws(DrawEvaluator(Model(), ()), 1, 8, LocalExecutor(workers=2), chunk_size=2))
'''


def test_a_model_in_an_unguarded_script_fails_at_once(tmp_path):
    script = tmp_path / "mine.py"
    script.write_text(MAIN_MODEL)
    t0 = time.monotonic()
    r = _run([str(script)], tmp_path)
    assert r.returncode != 0
    assert 'if __name__ == "__main__":' in r.stderr, r.stderr[-3000:]
    assert "pool restarts" not in r.stderr
    assert time.monotonic() - t0 < 60
