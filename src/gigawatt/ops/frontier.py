"""The largest training run that finishes: for a training compute C (FLOP) the
compute-optimal dense model and its tokens (cited rules below), the smallest job of
accelerators that trains it within a duration, its plan, MFU, ETTR and wall-clock days;
and the largest C for which any job finishes, with the limit that binds past it.

Rules (each overridable):

* model size and tokens: Chinchilla's compute-optimal 20 tokens per parameter (Hoffmann et
  al. 2022, "Training Compute-Optimal Large Language Models", arXiv 2203.15556, Table 3:
  e.g. 67B -> 1.5T, 175B -> 3.7T tokens), with C = 6 N D (model FLOPs);
* shape: width/depth aspect ratio d_model / n_layers = 128, the ratio of GPT-3 175B (96
  layers x 12,288, Brown et al. 2020 Table 2.1) and Llama 3 405B (126 x 16,384, arXiv
  2407.21783 Table 3); Kaplan et al. 2020 (arXiv 2001.08361, Fig. 5) find loss within a few
  per cent over aspect ratios of ~20-200, so the shape is a convention, not an optimum.
  Layers are rounded to a multiple of the power of two about an eighth of their number
  (126 -> 128, 432 -> 448 = 7 x 64) so that power-of-two pipelines of up to ~L/8 stages
  divide them, as production shapes are chosen. Heads of 128, 8 key/value heads and a SwiGLU MLP of 3.5 d_model as in Llama 3 405B
  (53,248 / 16,384 = 3.25, rounded to the 128-multiple nearest 3.5 d when larger), 128,256
  vocabulary, 8,192-token sequences;
* global batch: at most the ceiling of :func:`gigawatt.perf.batch.batch_ceiling` (the
  critical-batch law of the DeepSeek LLM paper, or ``max_batch_tokens``), rounded down to a multiple of the power of two an eighth of its
  size so that power-of-two data parallelism divides it; a bigger cluster cannot be fed
  by data parallelism alone;
* ETTR: the operations simulator for a synchronous job of exactly that many accelerators
  (:mod:`.time_to_train`), restart from storage by default.

Accelerator counts are searched over powers of two (and the cap): the answer is the
smallest such job that finishes, so figures move in factor-of-two steps of cluster size.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import ValidationError
from ..perf.llm import ModelSpec
from .runs import MIN_GPUS_LOG2, RunOption, RunSearch, pow2_unit

TOKENS_PER_PARAM = 20.0
ASPECT_RATIO = 128
HEAD_DIM = 128
KV_HEADS = 8
FFN_MULT = 3.5
VOCAB = 128_256
SEQ_LEN = 8192
#: smallest job searched (2^10 accelerators) and the default cap (2^24)
DEFAULT_MAX_GPUS = 2 ** 24
#: training compute searched, log10 FLOP
LOG10_FLOP_RANGE = (23.0, 33.0)
RULES = {
    "tokens": "Chinchilla: 20 tokens per parameter (Hoffmann et al. 2022, arXiv 2203.15556)",
    "shape": "d_model / layers = 128 (GPT-3 175B, Llama 3 405B); heads of 128, 8 KV heads, "
             "SwiGLU 3.5 d_model, vocab 128,256, seq 8,192",
    "batch": "global batch <= critical batch (perf.batch)",
    "ettr": "operations simulator, one synchronous job of the chosen size",
}


def dense_shape(params: float, *, seq_len: int = SEQ_LEN) -> ModelSpec:
    """The dense decoder of about ``params`` parameters under the shape rule above."""
    if not (math.isfinite(params) and params >= 1e6):
        raise ValidationError(f"{params!r} is out of range; allowed: >= 1e6 parameters",
                              field="params")

    def spec(layers: int) -> ModelSpec:
        d = ASPECT_RATIO * layers
        ffn = max(HEAD_DIM, int(round(FFN_MULT * d / HEAD_DIM)) * HEAD_DIM)
        heads = max(1, d // HEAD_DIM)
        return ModelSpec(name=f"dense-{_short(params)}", layers=layers, hidden=d,
                         heads=heads, kv_heads=min(KV_HEADS, heads), head_dim=HEAD_DIM,
                         ffn=ffn, vocab=VOCAB, seq_len=seq_len, gated=True,
                         tied_embeddings=False)

    # non-embedding parameters ~ layers * (GQA attention ~2.25 d^2 + SwiGLU 3 d ffn)
    guess = (params / (ASPECT_RATIO ** 2 * (2.25 + 3 * FFN_MULT))) ** (1 / 3)
    unit = pow2_unit(max(1, int(guess)))
    base = max(unit, int(round(guess / unit)) * unit)
    cands = [spec(base + k * unit) for k in (-1, 0, 1) if base + k * unit >= unit]
    return min(cands, key=lambda s: abs(math.log(s.params() / params)))


def _short(x: float) -> str:
    for unit, v in (("T", 1e12), ("B", 1e9), ("M", 1e6)):
        if x >= v:
            return f"{x / v:.3g}{unit}"
    return f"{x:.3g}"


@dataclass(frozen=True)
class FrontierPoint:
    """One training compute: the model, the job that trains it soonest within the
    duration (or, when none does, the job that comes closest), and why."""

    training_flop: float
    params: float
    tokens: float
    model: dict[str, Any]
    max_batch_tokens: float
    feasible: bool
    gpus: int | None
    plan: dict[str, Any] | None
    mfu: float | None
    ettr: float | None
    ideal_days: float | None
    wall_days: float | None
    binding: str | None
    note: str = ""

    @property
    def utilisation(self) -> float | None:
        """Model FLOPs delivered over peak: MFU x ETTR."""
        return None if self.mfu is None or self.ettr is None else self.mfu * self.ettr

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["utilisation"] = self.utilisation
        return d


@dataclass(frozen=True)
class FrontierResult:
    """``gigawatt frontier``: the largest training compute that finishes in ``days``."""

    accelerator: str
    days: float
    max_gpus: int
    recovery: str
    best: FrontierPoint | None
    next_infeasible: FrontierPoint | None
    sweep: list[FrontierPoint] = field(default_factory=list)
    rules: dict[str, str] = field(default_factory=lambda: dict(RULES))
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def max_training_flop(self) -> float | None:
        return None if self.best is None else self.best.training_flop

    def to_dict(self) -> dict[str, Any]:
        b = self.best
        return {"accelerator": self.accelerator, "days": self.days,
                "max_gpus": self.max_gpus, "recovery": self.recovery,
                "max_training_flop": self.max_training_flop,
                "gpus": b.gpus if b else None, "model": b.model if b else None,
                "params": b.params if b else None, "tokens": b.tokens if b else None,
                "plan": b.plan if b else None, "mfu": b.mfu if b else None,
                "ettr": b.ettr if b else None,
                "utilisation": b.utilisation if b else None,
                "ideal_days": b.ideal_days if b else None,
                "wall_days": b.wall_days if b else None,
                "max_batch_tokens": b.max_batch_tokens if b else None,
                "binding": self.next_infeasible.binding if self.next_infeasible else None,
                "next_infeasible": (self.next_infeasible.to_dict()
                                    if self.next_infeasible else None),
                "sweep": [p.to_dict() for p in self.sweep], "rules": dict(self.rules),
                **({"context": self.context} if self.context else {})}

    def to_frame(self):  # -> pandas.DataFrame
        """The sweep, one row per training compute."""
        import pandas as pd

        cols = ["training_flop", "params", "tokens", "feasible", "gpus", "mfu", "ettr",
                "utilisation", "ideal_days", "wall_days", "binding"]
        df = pd.DataFrame([{c: p.to_dict()[c] for c in cols} for p in self.sweep],
                          columns=cols)
        df.attrs["unit"] = {"training_flop": "FLOP", "ideal_days": "d", "wall_days": "d"}
        return df


def _binding(tried: list[tuple[int, RunOption | None]], days: float, max_gpus: int) -> str:
    """What stops the job that comes closest (least wall-clock time) from growing or
    finishing, in this order:

    * ``accelerators``: it is already the largest job allowed (or the next power of two
      is above the cap and the cap itself has no valid split);
    * ``batch ceiling``: no bigger job has a valid plan (the batch cannot be split
      further among more data-parallel replicas, and TP/PP/CP are at their limits);
    * ``failures``: a bigger job computes faster but loses more to failures than it
      gains, or this job would finish without failures;
    * ``communication`` / ``latency``: bigger jobs have plans but compute no faster (the
      pipeline bubble counts as latency, other non-compute terms as communication).
    """
    valid = [o for _, o in tried if o is not None]
    if not valid:
        return "batch ceiling"
    best = min(valid, key=lambda o: o.wall_days)
    bigger_ok = [o for o in valid if o.gpus > best.gpus]
    if best.gpus >= max_gpus:
        return "accelerators"
    if not bigger_ok:  # no bigger power of two fits under the cap, or none has a plan
        return "accelerators" if 2 * best.gpus > max_gpus else "batch ceiling"
    if best.ideal_days <= days or any(o.ideal_days < best.ideal_days for o in bigger_ok):
        return "failures"
    bd = bigger_ok[0].breakdown_s
    comm = {k: v for k, v in bd.items() if k not in ("compute", "optimizer")}
    return "latency" if comm and max(comm, key=comm.get) == "bubble" else "communication"


def _point(s: RunSearch, flop: float, days: float, max_gpus: int,
           tokens_per_param: float, start_gpus: int = 0) -> FrontierPoint:
    params = math.sqrt(flop / (6.0 * tokens_per_param))
    spec = dense_shape(params)
    n = float(spec.params())
    tokens = flop / (6.0 * n)
    ceiling = s.ceiling(spec, tokens)
    shape = {"layers": spec.layers, "hidden": spec.hidden, "heads": spec.heads,
             "kv_heads": spec.kv_heads, "ffn_hidden": spec.ffn, "vocab": spec.vocab,
             "seq_len": spec.seq_len, "params": n}
    ladder = s.ladder(spec, tokens, max_gpus, within_days=days, start_gpus=start_gpus)
    valid = [o for _, o in ladder if o is not None]
    if valid and valid[-1].wall_days <= days:
        o = valid[-1]
        return FrontierPoint(flop, n, tokens, shape, ceiling, True, o.gpus, o.plan, o.mfu,
                             o.ettr, o.ideal_days, o.wall_days, None)
    why = _binding(ladder, days, max_gpus)
    if not valid:
        return FrontierPoint(flop, n, tokens, shape, ceiling, False, None, None, None, None,
                             None, None, why, "no valid parallel plan at any job size")
    b = min(valid, key=lambda o: o.wall_days)
    return FrontierPoint(flop, n, tokens, shape, ceiling, False, b.gpus, b.plan, b.mfu,
                         b.ettr, b.ideal_days, b.wall_days, why)


def frontier(accelerator: Any, days: float, *, max_gpus: int | None = None,
             recovery: str = "restart", tokens_per_param: float = TOKENS_PER_PARAM,
             max_batch_tokens: float | None = None, failure_multiplier: float = 1.0,
             sweep: bool = False, sweep_step: float = 0.5, seed: int = 0,
             catalog: Any = None, context: dict[str, Any] | None = None,
             cache: Any = None) -> FrontierResult:
    """The largest training compute (FLOP) that finishes within ``days`` on at most
    ``max_gpus`` accelerators of one type (default 2^24), with the model, plan, MFU and
    ETTR of that run and the limit that binds past it; with ``sweep``, every point of a
    grid of training compute (``sweep_step`` decades apart) as well.

    Bisection on log10 FLOP to 0.05 decades between the largest feasible and the
    smallest infeasible grid point (utilisation falls with size, so feasibility is
    monotone in C for a fixed cap); each run's job-size search starts at the size the
    next smaller feasible run needed. ``cache``: see :class:`~.runs.RunSearch`.
    """
    days = _positive("days", days, 1e4)
    cap = int(_positive("max_gpus", DEFAULT_MAX_GPUS if max_gpus is None else max_gpus,
                        2.0 ** 31))
    if cap < 2 ** MIN_GPUS_LOG2:
        raise ValidationError(f"{cap} is out of range; allowed: >= {2 ** MIN_GPUS_LOG2}",
                              field="max_gpus")
    tpp = _positive("tokens_per_param", tokens_per_param, 1e5)
    mbt = None if max_batch_tokens is None else _positive("max_batch_tokens",
                                                          max_batch_tokens, 1e13)
    fm = float(failure_multiplier)
    if not (math.isfinite(fm) and fm >= 0):
        raise ValidationError(f"{failure_multiplier!r} is out of range; allowed: finite >= 0",
                              field="failure_multiplier")
    s = RunSearch(accelerator, recovery, fm, mbt, seed, catalog, cache)
    lo_e, hi_e = LOG10_FLOP_RANGE
    points: list[FrontierPoint] = []
    e = lo_e
    lo = hi = None
    while e <= hi_e + 1e-9:
        p = _point(s, 10.0 ** e, days, cap, tpp, lo[1].gpus if lo else 0)
        points.append(p)
        if p.feasible:
            lo = (e, p)
        else:
            hi = (e, p)
            if not sweep or sum(not q.feasible for q in points) >= 2:
                break
        e += sweep_step
    if lo is None:
        return FrontierResult(_acc_id(accelerator), days, cap, recovery, None,
                              hi[1] if hi else None, points if sweep else [],
                              context=context or {})
    if hi is not None:
        a, b = lo, hi
        while b[0] - a[0] > 0.05:
            mid = (a[0] + b[0]) / 2
            q = _point(s, 10.0 ** mid, days, cap, tpp, a[1].gpus)
            a, b = ((mid, q), b) if q.feasible else (a, (mid, q))
        lo, hi = a, b
    return FrontierResult(_acc_id(accelerator), days, cap, recovery, lo[1],
                          hi[1] if hi else None,
                          sorted(points, key=lambda p: p.training_flop) if sweep else [],
                          context=context or {})


def plan_frontier(result: Any, days: float, *, recovery: str = "restart", seed: int = 0,
                  catalog: Any = None, cache: Any = None) -> dict[str, Any]:
    """The largest run a planned build-out can train in ``days`` at each phase's end, at
    the (site, accelerator type) group with most accelerators that year; the last
    year's with its sweep (for the utilisation chart).

    Returns a JSON-safe dict: ``days``, ``years`` (one row per phase end year: year, site,
    accelerator, accelerators, max_training_flop, params, gpus, mfu, ettr, wall_days,
    binding) and ``sweep`` (the last year's points).
    """
    b = result.builds
    rows: list[dict[str, Any]] = []
    sweep: list[dict[str, Any]] = []
    years = sorted({int(p.end_year) for _, p in result.phases.iterrows()})
    for i, year in enumerate(years):
        g = (b[(b.year == year) & (b.accelerators > 0)]
             .groupby(["site", "accelerator"]).accelerators.sum().sort_values())
        if g.empty:
            continue
        (site, acc), n = g.index[-1], int(round(g.iloc[-1]))
        last = i == len(years) - 1
        row = {"year": year, "site": site, "accelerator": acc, "accelerators": n}
        if n < 2 ** MIN_GPUS_LOG2:
            rows.append({**row, "max_training_flop": None, "binding": "accelerators"})
            continue
        r = frontier(acc, days, max_gpus=n, recovery=recovery, sweep=last, seed=seed,
                     catalog=catalog, cache=cache)
        d = r.to_dict()
        rows.append({**row, **{k: d[k] for k in ("max_training_flop", "params", "gpus",
                                                 "mfu", "ettr", "utilisation",
                                                 "wall_days", "binding")}})
        if last:
            sweep = d["sweep"]
    return {"days": float(days), "recovery": recovery, "years": rows, "sweep": sweep,
            "rules": dict(RULES)}


def _acc_id(acc: Any) -> str:
    return acc if isinstance(acc, str) else acc.id


def _positive(name: str, value: Any, hi: float) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{value!r} is not a number; allowed: > 0 and <= {hi:g}",
                              field=name) from None
    if not (math.isfinite(v) and 0 < v <= hi):
        raise ValidationError(f"{value!r} is out of range; allowed: > 0 and <= {hi:g}",
                              field=name)
    return v


__all__ = ["FrontierPoint", "FrontierResult", "dense_shape", "frontier", "plan_frontier"]
