"""Helpers for the Ctrl-C tests (tests/e2e): start the CLI in its own process group,
send SIGINT to the group as a terminal does, and check that it stopped cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def start(args: list[str]) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    return subprocess.Popen([sys.executable, "-m", "gigawatt", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True, env=env)


def children(pid: int) -> list[str]:
    out = subprocess.run(["ps", "-ww", "-o", "pid=,cmd=", "--ppid", str(pid)], capture_output=True,
                         text=True).stdout
    return [line for line in out.splitlines() if "spawn_main" in line]


def session(pid: int) -> list[str]:
    out = subprocess.run(["ps", "-ww", "-o", "pid=,stat=,cmd=", "-s", str(pid)], capture_output=True,
                         text=True).stdout
    return [line for line in out.splitlines() if " Z" not in line and "<defunct>" not in line]


def interrupt(proc: subprocess.Popen, timeout_s: float = 20) -> tuple[int, str, str, float]:
    os.killpg(proc.pid, signal.SIGINT)
    t0 = time.monotonic()
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"still running {timeout_s} s after SIGINT")
    return proc.returncode, out, err, time.monotonic() - t0


def check_stopped(code: int, out: str, err: str, proc: subprocess.Popen) -> None:
    # 130, or killed by SIGINT: what a shell reports as $? = 130 either way (Python ends a
    # run whose KeyboardInterrupt passed through a C extension by re-raising SIGINT)
    assert code in (130, -signal.SIGINT), (code, err[-2000:])
    assert out == "" and "interrupted" in err and "Traceback" not in err, err[-2000:]
    time.sleep(1.5)
    assert session(proc.pid) == [], "worker processes outlived the run"
