"""Ctrl-C (SIGINT to the process group, as a terminal sends it) during `plan` and `risk`:
the run stops within seconds, its worker processes too, says "interrupted", writes no
report and exits 130."""

from __future__ import annotations

import sys
import time

import pytest
from interrupt_helpers import check_stopped, children, interrupt, start

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")]


def test_risk_local_workers_stop_at_ctrl_c(tmp_path):
    out_dir = tmp_path / "risk"
    proc = start(["risk", "--scenario", "stargate", "--draws", "2000", "--workers", "2",
                  "--json", "--out", str(out_dir)])
    deadline = time.monotonic() + 90
    while len(children(proc.pid)) < 2:  # the pool is up: the re-solve draws are running
        assert proc.poll() is None, proc.communicate()[1][-2000:]
        assert time.monotonic() < deadline, "the worker pool never started"
        time.sleep(0.2)
    time.sleep(1.0)
    code, out, err, took = interrupt(proc)
    check_stopped(code, out, err, proc)
    assert took < 10, f"took {took:.1f} s to stop"
    assert not out_dir.exists()


def test_plan_stops_at_ctrl_c(tmp_path):
    out_dir = tmp_path / "plan"
    proc = start(["plan", "--compare", "stargate", "--compare", "stargate-2024",
                  "--compare", "colossus", "--compare", "korea-2023", "--out", str(out_dir),
                  "--json"])
    time.sleep(3.0)
    assert proc.poll() is None, "finished before it could be interrupted"
    code, out, err, _ = interrupt(proc)
    check_stopped(code, out, err, proc)
    assert not out_dir.exists()
