"""Executors: who evaluates the chunks of draws (a registry, chosen by name).

``local``: a process pool on this machine (``concurrent.futures``); ``ray``: Ray tasks on
an existing cluster (``address``) or on a local one started for the run. Both split the
draws into chunks ``[start, stop)``, run ``evaluator.evaluate_chunk(seed, start, stop)``
somewhere, and hand the chunk results back; :func:`assemble` then checks that every draw
index came back exactly once. A chunk whose worker dies is run again (the process pool
is rebuilt; Ray retries the task), so no draw is lost or counted twice, and because each
draw is seeded by its index the retried chunk gives the same numbers.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Callable, Protocol

import numpy as np

from ..errors import GigawattError, ValidationError

Progress = Callable[[int, int], None]


class ExecutorError(GigawattError):
    """The executor cannot run the draws (unreachable cluster, missing extra, crashes)."""


@dataclass(frozen=True, eq=False)
class ChunkResult:
    """The draws ``start..stop-1``: sampled inputs and computed outcomes, row per draw."""

    start: int
    stop: int
    inputs: np.ndarray
    outcomes: np.ndarray
    error: str | None = None


class DrawEvaluator(Protocol):
    """What an executor runs: a picklable object that evaluates a chunk of draws."""

    def evaluate_chunk(self, seed: int, start: int, stop: int) -> ChunkResult: ...


def chunks(n: int, chunk_size: int) -> list[tuple[int, int]]:
    """Split ``0..n-1`` into consecutive ``[start, stop)`` spans of at most ``chunk_size``."""
    if n <= 0:
        raise ValidationError(f"draws = {n}; allowed: an integer >= 1", field="draws")
    if chunk_size <= 0:
        raise ValidationError(f"chunk_size = {chunk_size}; allowed: >= 1", field="chunk_size")
    return [(s, min(s + chunk_size, n)) for s in range(0, n, chunk_size)]


def default_chunk_size(n: int, workers: int) -> int:
    """About 8 chunks per worker (load balance, retry granularity), 1..500 draws each."""
    return int(max(1, min(500, -(-n // (8 * max(1, workers))))))


def _safe_chunk(evaluator: DrawEvaluator, seed: int, start: int, stop: int) -> ChunkResult:
    """Run a chunk; an exception comes back as text (exceptions do not always pickle)."""
    try:
        return evaluator.evaluate_chunk(seed, start, stop)
    except GigawattError as exc:
        return ChunkResult(start, stop, np.empty((0, 0)), np.empty((0, 0)), exc.render())


def assemble(results: list[ChunkResult], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Stack chunk results in draw order; every index ``0..n-1`` exactly once.

    Raises
    ------
    ExecutorError
        A chunk reported an error, or a draw is missing or present twice.
    """
    for r in results:
        if r.error:
            raise ExecutorError(f"draws {r.start}..{r.stop - 1}: {r.error}")
    ordered = sorted(results, key=lambda r: r.start)
    seen = np.zeros(n, dtype=int)
    for r in ordered:
        seen[r.start:r.stop] += 1
    if np.any(seen != 1):
        lost, twice = np.flatnonzero(seen == 0), np.flatnonzero(seen > 1)
        raise ExecutorError(f"draw bookkeeping broke: {len(lost)} draws missing, "
                            f"{len(twice)} counted more than once (first {lost[:3]}, {twice[:3]})")
    return (np.concatenate([r.inputs for r in ordered]),
            np.concatenate([r.outcomes for r in ordered]))


# --------------------------------------------------------------------------- local
_WORKER_EVALUATOR: Any = None
#: How often a waiting executor looks for Ctrl-C, s.
_POLL_S = 0.25


def _init_worker(evaluator: DrawEvaluator) -> None:
    global _WORKER_EVALUATOR
    # Ctrl-C reaches the whole process group; the parent decides (it terminates the pool),
    # so a worker must not turn it into a failed chunk and carry on with the next one
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    _WORKER_EVALUATOR = evaluator


def _exit_with_parent(parent: int) -> None:
    """A worker whose parent is gone (killed) exits rather than finish a long chunk."""
    import time

    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _run_in_worker(seed: int, start: int, stop: int) -> ChunkResult:
    return _safe_chunk(_WORKER_EVALUATOR, seed, start, stop)


class LocalExecutor:
    """A process pool on this machine; ``workers=1`` runs in this process.

    Parameters
    ----------
    workers : int, optional
        Processes (default: the machine's CPU count).
    max_restarts : int
        How many times a pool whose worker died is rebuilt before giving up.
    """

    name = "local"

    def __init__(self, workers: int | None = None, max_restarts: int = 3, **_: Any) -> None:
        self.workers = _check_workers(workers or os.cpu_count() or 1)
        self.max_restarts = max_restarts

    def run(self, evaluator: DrawEvaluator, seed: int, spans: list[tuple[int, int]],
            progress: Progress | None = None) -> list[ChunkResult]:
        """Evaluate every span; return one result per span (any order)."""
        total = sum(b - a for a, b in spans)
        if self.workers == 1:
            return _serial(evaluator, seed, spans, total, progress)
        done: dict[tuple[int, int], ChunkResult] = {}
        for _attempt in range(self.max_restarts + 1):
            pending = [s for s in spans if s not in done]
            if not pending:
                break
            try:
                self._pool_pass(evaluator, seed, pending, done, total, progress)
            except BrokenProcessPool:
                if not done and _needs_main(evaluator):
                    raise ExecutorError(_SCRIPT_HINT) from None
                continue
        missing = [s for s in spans if s not in done]
        if missing:
            raise ExecutorError(f"local workers kept dying: {len(missing)} chunks not done "
                                f"after {self.max_restarts} pool restarts")
        return list(done.values())

    def _pool_pass(self, evaluator: DrawEvaluator, seed: int, pending: list[tuple[int, int]],
                   done: dict, total: int, progress: Progress | None) -> None:
        # spawn, not fork: the parent has usually solved the base plan, and forking a
        # process whose solver/IO libraries run thread pools can deadlock the child
        ctx = mp.get_context("spawn")
        pool = ProcessPoolExecutor(min(self.workers, len(pending)), mp_context=ctx,
                                   initializer=_init_worker, initargs=(evaluator,))
        try:
            self._collect(pool, seed, pending, done, total, progress,
                          _needs_main(evaluator))
        except BaseException:
            _stop_pool(pool)  # Ctrl-C or an error: stop the workers now, not after the queue
            raise
        pool.shutdown(wait=True)

    @staticmethod
    def _collect(pool: ProcessPoolExecutor, seed: int, pending: list[tuple[int, int]],
                 done: dict, total: int, progress: Progress | None,
                 needs_main: bool) -> None:
        # the pool starts its processes on submit
        with _children_without_sigint(), _main_not_reimported(needs_main):
            futures = {pool.submit(_run_in_worker, seed, a, b): (a, b) for a, b in pending}
        waiting = set(futures)
        while waiting:
            # a timeout, not a blocking wait: Ctrl-C may be delivered to another thread
            # (a solver's), and the main thread only sees it between waits
            finished, waiting = wait(waiting, timeout=_POLL_S, return_when=FIRST_COMPLETED)
            for f in finished:
                if f.exception() is None:
                    done[futures[f]] = f.result()
                    _report(progress, done, total)
            broken = [f for f in finished if isinstance(f.exception(), BrokenProcessPool)]
            if broken:
                for f in waiting:  # collect what finished before the pool broke
                    if f.done() and f.exception() is None:
                        done[futures[f]] = f.result()
                raise BrokenProcessPool("a worker died")
            for f in finished:
                if f.exception() is not None:
                    raise f.exception()


@contextlib.contextmanager
def _children_without_sigint() -> Iterator[None]:
    """Block SIGINT while worker processes are started: they inherit the blocked signal,
    so Ctrl-C reaches only this process, which then terminates them (a worker still
    importing would otherwise print a KeyboardInterrupt traceback). A Ctrl-C that comes
    meanwhile is delivered here once the signal is unblocked."""
    if threading.current_thread() is not threading.main_thread() \
            or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


_SCRIPT_HINT = (
    "local worker processes died before finishing any draw: the model passed to the "
    "workers is defined in your script (__main__), so each worker re-imports the script. "
    "Put the code that runs the draws under 'if __name__ == \"__main__\":', define the "
    "model in an importable module, or run with workers=1")


def _needs_main(evaluator: Any) -> bool:
    """Whether unpickling ``evaluator`` needs the user's ``__main__`` module (an object
    defined in the running script)."""
    import pickle

    try:
        return b"__main__" in pickle.dumps(evaluator)
    except Exception:  # noqa: BLE001 - unpicklable: the pool reports it
        return True


@contextlib.contextmanager
def _main_not_reimported(needed: bool) -> Iterator[None]:
    """Start workers without re-importing the user's script.

    A spawned worker normally re-runs ``__main__`` (the script, or nothing for
    ``python - <<EOF``); a script without an ``if __name__ == "__main__":`` guard then
    starts the whole run again in every worker, which fails. gigawatt's own evaluators
    need only the gigawatt package, so while the workers start, ``__main__`` is shown to
    multiprocessing without its file and spec and is not re-imported. When the evaluator
    does need ``__main__`` (a model defined in the script) it is left alone.
    """
    main = sys.modules.get("__main__")
    if needed or main is None:
        yield
        return
    saved = {k: main.__dict__[k] for k in ("__file__", "__spec__") if k in main.__dict__}
    main.__dict__.pop("__file__", None)
    main.__dict__["__spec__"] = None
    try:
        yield
    finally:
        main.__dict__.pop("__spec__", None)
        main.__dict__.update(saved)


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel what is queued and terminate the worker processes (they hold no state)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        if p.is_alive():
            p.terminate()
    for p in processes:
        p.join(timeout=5)


def _serial(evaluator: DrawEvaluator, seed: int, spans: list[tuple[int, int]], total: int,
            progress: Progress | None) -> list[ChunkResult]:
    out: dict[tuple[int, int], ChunkResult] = {}
    for a, b in spans:
        out[(a, b)] = _safe_chunk(evaluator, seed, a, b)
        _report(progress, out, total)
    return list(out.values())


def _report(progress: Progress | None, done: dict, total: int) -> None:
    if progress is not None:
        progress(sum(b - a for a, b in done), total)


def _check_workers(workers: int) -> int:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValidationError(f"workers = {workers!r}; allowed: an integer >= 1",
                              field="workers")
    return workers


# --------------------------------------------------------------------------- ray
def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ExecutorError("executor 'ray' needs Ray: pip install 'gigawatt[ray]' "
                            "(or pip install ray)") from None
    return ray


def check_address(address: str, timeout_s: float = 3.0) -> tuple[str, int]:
    """Parse ``HOST:PORT`` and check that something listens there (fast, clear failure).

    Raises
    ------
    ExecutorError
        The address is malformed or nothing answers on it within ``timeout_s``.
    """
    host, sep, port_text = address.rpartition(":")
    if address.startswith("ray://"):
        host, sep, port_text = address[len("ray://"):].rpartition(":")
    if not sep or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ExecutorError(f"--address '{address}' is not HOST:PORT (e.g. 127.0.0.1:6379)",
                            field="address")
    try:
        with socket.create_connection((host, int(port_text)), timeout=timeout_s):
            pass
    except OSError as exc:
        raise ExecutorError(f"cannot reach a Ray cluster at {address} ({exc.strerror or exc}); "
                            "start one with 'ray start --head' or fix --address",
                            field="address") from None
    return host, int(port_text)


def _match_token_auth() -> None:
    """Send the Ray auth token when one exists and RAY_AUTH_MODE is unset.

    Ray 2.5x's ``ray start`` turns token authentication on when ``~/.ray/auth_token``
    exists, but a driver with ``RAY_AUTH_MODE`` unset does not send the token and is
    refused (InvalidAuthToken); Ray's own helper does what ``ray start`` does.
    """
    try:
        from ray._private.authentication.authentication_token_setup import (
            maybe_enable_token_auth_if_token_available)
    except ImportError:  # other Ray versions: nothing to match
        return
    maybe_enable_token_auth_if_token_available(warn_if_disabled=False)


def _ray_chunk(evaluator: DrawEvaluator, seed: int, start: int, stop: int) -> ChunkResult:
    return _safe_chunk(evaluator, seed, start, stop)


class RayExecutor:
    """Ray tasks, one per chunk, at most ``workers`` in flight.

    Parameters
    ----------
    workers : int, optional
        Tasks in flight (default: the cluster's CPUs). Without ``address`` a local Ray
        instance with this many CPUs is started for the run and shut down after it.
    address : str, optional
        ``HOST:PORT`` of an existing cluster's head (``ray start --head``).
    max_retries : int
        Ray's retries of a task whose worker process died.
    """

    name = "ray"

    def __init__(self, workers: int | None = None, address: str | None = None,
                 max_retries: int = 3, **_: Any) -> None:
        self.workers = _check_workers(workers) if workers is not None else None
        self.address = address
        self.max_retries = max_retries

    def run(self, evaluator: DrawEvaluator, seed: int, spans: list[tuple[int, int]],
            progress: Progress | None = None) -> list[ChunkResult]:
        """Evaluate every span as a Ray task; return one result per span."""
        ray = _import_ray()
        # Ray prints "(raylet) A worker died ..." and other cluster messages on stdout
        # from a thread of its own; while this run holds the connection they go to stderr
        # so that stdout stays the one JSON document of --json
        with contextlib.redirect_stdout(sys.stderr):
            started = self._connect(ray)
            try:
                return self._submit_all(ray, evaluator, seed, spans, progress)
            finally:
                if started:
                    ray.shutdown()

    def _connect(self, ray: Any) -> bool:
        """Connect (or start a local instance); True when this run owns the connection."""
        if ray.is_initialized():
            return False
        if self.address:
            check_address(self.address)
            _match_token_auth()
            try:
                ray.init(address=self.address, log_to_driver=False, logging_level="ERROR")
            except (ConnectionError, RuntimeError) as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                raise ExecutorError(f"cannot connect to the Ray cluster at {self.address}: "
                                    f"{first[:300]}", field="address") from None
        else:
            # "local": always a fresh instance, never a cluster another run left behind
            # no dashboard, no usage report, and the node address given rather than found
            # by opening a socket towards a public address
            os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
            ray.init(address="local", num_cpus=self.workers or os.cpu_count(),
                     include_dashboard=False, _node_ip_address="127.0.0.1",
                     log_to_driver=False, logging_level="ERROR")
        return True

    def _submit_all(self, ray: Any, evaluator: DrawEvaluator, seed: int,
                    spans: list[tuple[int, int]], progress: Progress | None) -> list[ChunkResult]:
        task = ray.remote(num_cpus=1, max_retries=self.max_retries)(_ray_chunk)
        ev_ref = ray.put(evaluator)
        limit = self.workers or int(ray.cluster_resources().get("CPU", 1))
        todo, in_flight, done = list(spans), [], {}
        total = sum(b - a for a, b in spans)
        try:
            while todo or in_flight:
                while todo and len(in_flight) < limit:
                    a, b = todo.pop(0)
                    in_flight.append(task.remote(ev_ref, seed, a, b))
                ready, in_flight = ray.wait(in_flight, num_returns=1, timeout=_POLL_S)
                for ref in ready:
                    r = _ray_get(ray, ref)
                    done[(r.start, r.stop)] = r
                    _report(progress, done, total)
        except BaseException:
            for ref in in_flight:  # Ctrl-C or a failure: stop the tasks still running
                ray.cancel(ref, force=True)
            raise
        return list(done.values())


def _ray_get(ray: Any, ref: Any) -> ChunkResult:
    try:
        return ray.get(ref)
    except ray.exceptions.RayError as exc:
        raise ExecutorError(f"a Ray task failed after retries: {type(exc).__name__}: "
                            f"{str(exc).splitlines()[0] if str(exc) else ''}") from None


EXECUTORS: dict[str, type] = {"local": LocalExecutor, "ray": RayExecutor}


def get_executor(name: str, **options: Any) -> LocalExecutor | RayExecutor:
    """An executor by name (``local`` or ``ray``) with its options (workers, address)."""
    if name not in EXECUTORS:
        raise ValidationError(f"executor '{name}'; allowed: {', '.join(EXECUTORS)}",
                              field="executor")
    return EXECUTORS[name](**options)


def run_draws(evaluator: DrawEvaluator, seed: int, n: int, executor: Any,
              chunk_size: int | None = None,
              progress: Progress | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Evaluate draws ``0..n-1`` with ``executor``; (inputs, outcomes) in draw order."""
    workers = getattr(executor, "workers", None) or os.cpu_count() or 1
    spans = chunks(n, chunk_size or default_chunk_size(n, workers))
    return assemble(executor.run(evaluator, seed, spans, progress), n)


__all__ = ["ExecutorError", "ChunkResult", "DrawEvaluator", "LocalExecutor", "RayExecutor",
           "EXECUTORS", "get_executor", "run_draws", "assemble", "chunks", "check_address"]
