"""Risk draws on a real Ray head started on 127.0.0.1: same bytes as the local executor,
and a worker killed mid-run is retried with no draw lost or counted twice."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

pytestmark = [pytest.mark.ray, pytest.mark.e2e]

import test_risk_toy  # noqa: E402  (tests/unit is on the path: the toy model, by name)
from test_risk_toy import SMALL  # noqa: E402

from gigawatt.risk.executors import (ExecutorError, LocalExecutor, RayExecutor,  # noqa: E402
                                     check_address, run_draws)
from gigawatt.risk.run import DrawEvaluator  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def ray_head(tmp_path_factory):
    """`ray start --head` on 127.0.0.1 with 2 CPUs, in its own process group."""
    port = _free_port()
    ray_bin = Path(sys.executable).with_name("ray")
    log = open(tmp_path_factory.mktemp("ray") / "head.log", "w")
    proc = subprocess.Popen([str(ray_bin), "start", "--head", "--node-ip-address", "127.0.0.1",
                             "--port", str(port), "--num-cpus", "2", "--include-dashboard=false",
                             "--disable-usage-stats", "--block"],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    address = f"127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            check_address(address, timeout_s=1)
            break
        except ExecutorError:
            if time.time() > deadline or proc.poll() is not None:
                _stop(proc)
                pytest.fail(f"Ray head did not start: see {log.name}")
            time.sleep(0.5)
    yield address
    _stop(proc)
    log.close()


def _stop(proc: subprocess.Popen) -> None:
    """Stop the head we started (its process group only), then reap it."""
    for sig, wait_s in ((signal.SIGTERM, 15), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
            proc.wait(wait_s)
            return
        except subprocess.TimeoutExpired:
            continue
        except ProcessLookupError:
            return


def test_ray_equals_local_bit_for_bit(cli, ray_head, tmp_path):
    scenario = tmp_path / "small.yaml"
    scenario.write_text(SMALL)
    args = ("risk", "--scenario", str(scenario), "--draws", "400", "--seed", "21",
            "--fixed-plan", "--json")
    local = cli(*args, "--workers", "1")
    on_ray = cli(*args, "--executor", "ray", "--address", ray_head, "--workers", "2",
                 "--chunk-size", "13")
    assert local.code == 0 and on_ray.code == 0, on_ray.stderr
    assert on_ray.stdout == local.stdout
    assert on_ray.json()["draws"] == 400


def test_ray_worker_killed_mid_run_is_retried(ray_head, tmp_path, capfd):
    marker = tmp_path / "died"
    uncs = test_risk_toy.TOY_UNCS
    ref = run_draws(DrawEvaluator(test_risk_toy.ToyModel(), uncs), 11, 200,
                    LocalExecutor(workers=1))
    ray.cloudpickle.register_pickle_by_value(test_risk_toy)  # workers cannot import tests
    try:
        x, y = run_draws(DrawEvaluator(test_risk_toy.ToyModel(marker=str(marker)), uncs),
                         11, 200, RayExecutor(workers=2, address=ray_head), chunk_size=10)
    finally:
        ray.cloudpickle.unregister_pickle_by_value(test_risk_toy)
    assert marker.exists() and int(marker.read_text()) != os.getpid()  # a worker died
    assert x.tobytes() == ref[0].tobytes() and y.tobytes() == ref[1].tobytes()
    out = capfd.readouterr().out
    assert "raylet" not in out and "worker died" not in out.lower(), out  # stdout stays clean


def test_ray_run_stops_at_ctrl_c(ray_head, tmp_path):
    """SIGINT during re-solve draws on a Ray cluster: in-flight tasks are cancelled, exit
    130 with nothing on stdout."""
    from interrupt_helpers import check_stopped, interrupt, start

    proc = start(["risk", "--scenario", "stargate", "--draws", "2000", "--executor", "ray",
                  "--address", ray_head, "--json"])
    time.sleep(20)
    assert proc.poll() is None, proc.communicate()[1][-2000:]
    code, out, err, took = interrupt(proc, timeout_s=30)
    check_stopped(code, out, err, proc)
    assert took < 15, f"took {took:.1f} s to stop"
