"""One training run at each job size: the plan search of the performance model, then
the ETTR the operations simulator gives a synchronous job of exactly that many
accelerators, so ideal and wall-clock days can be compared across job sizes.

Job sizes are the powers of two from 1,024 up to a cap (and the cap itself). The global
batch is the run's ceiling (:func:`gigawatt.perf.batch.batch_ceiling`) rounded down to a
multiple of the power of two an eighth of its size, so power-of-two data parallelism
divides it: the largest batch the run may use, which lets the biggest job be fed.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import MutableMapping
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import PlanError, ValidationError
from ..perf.batch import batch_ceiling
from ..perf.llm import ModelSpec
from ..perf.training import search_training
from .time_to_train import compose_time_to_train

#: smallest job searched, log2 accelerators
MIN_GPUS_LOG2 = 10


@dataclass(frozen=True)
class RunOption:
    """A run of ``gpus`` accelerators: its best plan, ideal days, ETTR, wall days."""

    gpus: int
    plan: dict[str, Any]
    mfu: float
    ideal_days: float
    ettr: float
    wall_days: float
    breakdown_s: dict[str, float]

    @property
    def utilisation(self) -> float:
        return self.mfu * self.ettr


def pow2_unit(n: int) -> int:
    """The power of two about an eighth of ``n`` (so a multiple of it is within ~12%)."""
    return 2 ** max(0, int(math.log2(max(n, 1))) - 3)


def round_batch(sequences: int) -> int:
    """The batch at most ``sequences`` that power-of-two data parallelism divides: a
    multiple of the power of two an eighth of its size (at most 12.5% below)."""
    n = max(1, sequences)
    return n // pow2_unit(n) * pow2_unit(n)


def gpu_grid(max_gpus: int) -> list[int]:
    """Job sizes searched: powers of two from 1,024 up to ``max_gpus``, and the cap."""
    top = int(math.floor(math.log2(max(max_gpus, 1))))
    grid = [2 ** k for k in range(MIN_GPUS_LOG2, top + 1)]
    if max_gpus >= 2 ** MIN_GPUS_LOG2 and (not grid or grid[-1] != max_gpus):
        grid.append(int(max_gpus))
    return grid


@lru_cache(maxsize=1)
def _source_digest() -> str:
    """Hash of the performance model's and the operations simulator's sources and data."""
    h = hashlib.sha256()
    root = Path(__file__).resolve().parent.parent
    for sub in ("perf", "ops"):
        for path in sorted((root / sub).rglob("*")):
            if path.is_file() and path.suffix in (".py", ".yaml", ".json"):
                h.update(str(path.relative_to(root)).encode())
                h.update(path.read_bytes())
    return h.hexdigest()


@dataclass
class RunSearch:
    """Evaluates runs of one accelerator type; caches ETTR per (job size, state size).

    ``cache`` (optional) is a mapping from a key string to a run's fields, kept between
    processes by the caller (the CLI keeps it on disk); its keys hash everything a run
    depends on, the performance model's and simulator's sources included.
    """

    accelerator: Any
    recovery: str = "restart"
    failure_multiplier: float = 1.0
    max_batch_tokens: float | None = None
    seed: int = 0
    catalog: Any = None
    cache: MutableMapping[str, Any] | None = None
    #: sites one run spans over a WAN (``gigawatt.perf.sites.SiteLink`` fields), or None
    link: dict[str, Any] | None = None
    _ettr: dict[tuple[int, int], float] = field(default_factory=dict)
    _options: dict[tuple, RunOption | None] = field(default_factory=dict)

    @property
    def accelerator_id(self) -> str:
        a = self.accelerator
        return a if isinstance(a, str) else a.id

    def ceiling(self, spec: ModelSpec, tokens: float) -> float:
        return batch_ceiling(spec, tokens, self.max_batch_tokens).max_batch_tokens

    def ettr(self, ideal_days: float, gpus: int, params: float) -> float:
        key = (gpus, round(math.log2(max(params, 1.0)) * 4))
        if key not in self._ettr:
            self._ettr[key] = compose_time_to_train(
                ideal_days, gpus, params=params, recovery=self.recovery,
                failure_multiplier=self.failure_multiplier, accelerator=self.accelerator_id,
                seed=self.seed, catalog=self.catalog).ettr
        return self._ettr[key]

    def option(self, spec: ModelSpec, tokens: float, gpus: int,
               precision: str = "bf16") -> RunOption | None:
        """The run on ``gpus`` accelerators (None: no valid plan at that size)."""
        key = (spec, float(tokens), int(gpus), precision)
        if key not in self._options:
            self._options[key] = self._cached(spec, tokens, gpus, precision)
        return self._options[key]

    def _cached(self, spec: ModelSpec, tokens: float, gpus: int,
                precision: str) -> RunOption | None:
        if self.cache is None:
            return self._option(spec, tokens, gpus, precision)
        text = json.dumps([_source_digest(), asdict(spec), self.accelerator_id,
                           float(tokens), int(gpus), precision, self.recovery,
                           self.failure_multiplier, self.max_batch_tokens, self.seed,
                           self.link],
                          sort_keys=True, default=str)
        key = hashlib.sha256(text.encode()).hexdigest()[:32]
        hit = self.cache.get(key)
        if isinstance(hit, dict):
            try:
                return RunOption(**hit["run"]) if hit.get("run") else None
            except TypeError:
                pass  # an entry of another layout: recompute
        o = self._option(spec, tokens, gpus, precision)
        self.cache[key] = {"run": asdict(o) if o else None}
        return o

    def _option(self, spec: ModelSpec, tokens: float, gpus: int,
                precision: str) -> RunOption | None:
        ceiling = self.ceiling(spec, tokens)
        try:
            r = search_training(spec, self.accelerator, gpus, precision=precision,
                                global_batch=round_batch(int(ceiling // spec.seq_len)),
                                seq_len=spec.seq_len, tokens=tokens, top_k=1,
                                catalog=self.catalog, max_batch_tokens=ceiling,
                                **self._link_kwargs()).best
        except (PlanError, ValidationError):  # no plan, or a run outside the model's range
            return None
        ideal = float(r.time_to_train_days)
        ettr = self.ettr(ideal, gpus, float(spec.params()))
        return RunOption(gpus, r.plan, float(r.mfu), ideal, ettr,
                         ideal / ettr if ettr > 0 else math.inf, dict(r.breakdown_s))

    def _link_kwargs(self) -> dict[str, Any]:
        if not self.link:
            return {}
        k = self.link
        return {"sites": int(k["sites"]), "wan_tbps": float(k["wan_tbps"]),
                "wan_latency_ms": float(k["wan_latency_ms"]),
                "wan_mode": k.get("mode", "auto")}

    def grid(self, max_gpus: int) -> list[int]:
        """Job sizes searched: :func:`gpu_grid`, or over a link an equal power-of-two
        share per site times the number of sites."""
        if not self.link:
            return gpu_grid(max_gpus)
        n = int(self.link["sites"])
        return [n * g for g in gpu_grid(max_gpus // n)]

    def ladder(self, spec: ModelSpec, tokens: float, max_gpus: int, *,
               within_days: float | None = None, precision: str = "bf16",
               start_gpus: int = 0) -> list[tuple[int, RunOption | None]]:
        """Runs at growing job sizes from ``start_gpus`` up to ``max_gpus``: stops at the
        first that finishes within ``within_days`` (if given), or once three valid sizes
        in a row got slower."""
        out: list[tuple[int, RunOption | None]] = []
        walls: list[float] = []
        for g in (g for g in self.grid(max_gpus) if g >= start_gpus):
            o = self.option(spec, tokens, g, precision)
            out.append((g, o))
            if o is None:
                continue
            if within_days is not None and o.wall_days <= within_days:
                break
            walls.append(o.wall_days)
            if len(walls) >= 3 and walls[-1] > walls[-2] > walls[-3]:
                break
        return out

    def fastest(self, spec: ModelSpec, tokens: float, max_gpus: int,
                precision: str = "bf16") -> RunOption | None:
        """The job size up to ``max_gpus`` that trains soonest (wall clock).

        Searched from the largest size down, halving, until a valid size is slower than
        the best one found: wall-clock time against job size falls while compute scales
        and rises once failures or communication dominate, so the first rise after the
        best ends the search (two sizes past the best are tried, for noise)."""
        best: RunOption | None = None
        worse = 0
        for g in reversed(self.grid(max_gpus)):
            o = self.option(spec, tokens, g, precision)
            if o is None:
                continue
            if best is None or o.wall_days < best.wall_days:
                best, worse = o, 0
            else:
                worse += 1
                if worse >= 2:
                    break
        return best
