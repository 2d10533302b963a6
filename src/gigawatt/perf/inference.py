"""Inference performance: a serving plan's throughput, TTFT, TPOT and memory.

``estimate_serving`` evaluates one plan at one batch size; ``max_throughput`` searches
the plans (TP, EP, batch) of an accelerator for the most output tokens/s per GPU, under
optional latency SLOs; ``serving_frontier`` gives the throughput-latency curve over
batch sizes. The cost model itself is in :mod:`gigawatt.perf.inference_core`; the
serving-stack efficiencies in :mod:`gigawatt.perf.inference_eff`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..catalog import Catalog, load_catalog
from ..catalog.schema import Accelerator, LLMArchitecture
from ..errors import InfeasibleError, PlanError, ValidationError
from ..numfmt import ResultRepr, with_units
from . import inference_core as core
from .inference_eff import ServingStack, serving_stack
from .inference_shapes import ModelShape, check_precision, kv_dtype_for, model_shape

#: tensor-parallel degrees tried by the plan search (powers of two).
TP_CHOICES = (1, 2, 4, 8, 16, 32, 64)
#: batch sizes evaluated exactly up to this many; beyond, a geometric grid.
EXACT_BATCH_LIMIT = 16384


@dataclass(frozen=True, repr=False)
class ServingEstimate(ResultRepr):
    """One serving operating point (units in field names).

    ``plan`` holds tp, ep, replica_gpus, replicas, gpus, precision, stack and
    disaggregated. ``prompt_tokens`` and ``output_tokens`` are per request (means when
    the workload was given as samples). Throughputs count output tokens; ``batch`` and ``max_batch`` are
    concurrent sequences per model replica. ``kv_cache_gb`` is the KV cache one GPU holds
    at this batch; ``weights_gb_per_gpu`` its share of the weights.
    """

    model: str
    accelerator: str
    plan: dict[str, Any]
    prompt_tokens: float
    output_tokens: float
    output_tokens_per_s: float
    output_tokens_per_s_per_gpu: float
    output_tokens_per_s_per_mw: float
    ttft_s: float
    tpot_s: float
    batch: int
    max_batch: int
    kv_cache_gb: float
    weights_gb_per_gpu: float
    fits: bool
    step_time_s: float
    prefill_time_s: float
    breakdown_s: dict[str, float] = field(default_factory=dict)

    def _headline(self) -> dict[str, Any]:
        return {"model": self.model, "accelerator": self.accelerator,
                "tp": self.plan.get("tp"), "batch": self.batch,
                "output_tokens_per_s_per_gpu": self.output_tokens_per_s_per_gpu,
                "ttft_s": self.ttft_s, "tpot_s": self.tpot_s}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ServingFrontier:
    """Throughput-latency frontier of one plan over batch sizes (arrays, one per batch)."""

    model: str
    accelerator: str
    plan: dict[str, Any]
    batch: np.ndarray
    output_tokens_per_s_per_gpu: np.ndarray
    tpot_s: np.ndarray
    ttft_s: np.ndarray

    def to_frame(self):  # -> pandas.DataFrame
        import pandas as pd

        df = pd.DataFrame({"batch": self.batch,
                           "output_tokens_per_s_per_gpu": self.output_tokens_per_s_per_gpu,
                           "tpot_s": self.tpot_s, "ttft_s": self.ttft_s})
        return with_units(df)

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "accelerator": self.accelerator, "plan": self.plan,
                "points": self.to_frame().to_dict(orient="records")}


@dataclass(frozen=True)
class _Ctx:
    """Resolved inputs shared by the functions below."""

    model_id: str
    arch: LLMArchitecture
    shape: ModelShape
    acc: Accelerator
    precision: str
    lengths: core.Lengths
    stack: ServingStack
    disaggregated: bool
    kv_dtype: str


def _resolve(model, accelerator, precision, prompt_tokens, output_tokens, catalog,
             stack, disaggregated, kv_dtype=None) -> _Ctx:
    cat: Catalog | None = catalog
    if isinstance(model, str) or isinstance(accelerator, str):
        cat = cat or load_catalog()
    arch = cat.model(model) if isinstance(model, str) else model
    acc = cat.accelerator(accelerator) if isinstance(accelerator, str) else accelerator
    if not isinstance(arch, LLMArchitecture):
        raise ValidationError(f"model must be a catalog id or an LLMArchitecture (got "
                              f"{type(arch).__name__})", field="model")
    lengths = _lengths(prompt_tokens, output_tokens)
    model_id = model if isinstance(model, str) else getattr(
        arch, "id", getattr(arch, "name", "custom-model"))
    return _Ctx(model_id=model_id, arch=arch, shape=model_shape(arch), acc=acc,
                precision=check_precision(precision), lengths=lengths,
                stack=serving_stack(stack, acc.family),
                kv_dtype=kv_dtype_for(precision, kv_dtype),
                disaggregated=bool(disaggregated))


def _lengths(prompt_tokens, output_tokens) -> core.Lengths:
    """Fixed lengths (ints >= 1) or paired samples (sequences of ints >= 1)."""
    arrays = {}
    for name, value in (("prompt_tokens", prompt_tokens), ("output_tokens", output_tokens)):
        arr = np.atleast_1d(np.asarray(value))
        if arr.size == 0 or arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer) \
                or arr.min() < 1:
            raise ValidationError(f"{name} must be an integer >= 1 or a non-empty sequence "
                                  f"of them (got {value!r:.60})", field=name)
        arrays[name] = arr
    p, o = arrays["prompt_tokens"], arrays["output_tokens"]
    if p.size == 1 and o.size == 1:
        return core.Lengths.fixed(int(p[0]), int(o[0]))
    if p.size != o.size and 1 not in (p.size, o.size):
        raise ValidationError(f"prompt_tokens and output_tokens samples must pair up (got "
                              f"{p.size} and {o.size})", field="output_tokens")
    p, o = np.broadcast_arrays(p, o)
    return core.Lengths.samples(p, o)


def _num(x: float) -> float | int:
    """An int where the value is whole (fixed lengths stay ints in results)."""
    return int(x) if float(x).is_integer() else float(x)


def _fmt_lengths(ctx: "_Ctx") -> str:
    return f"{ctx.lengths.prompt_mean:g}+{ctx.lengths.output_mean:g} tokens"


def _check_tp_ep(ctx: _Ctx, tp: int, ep: int) -> str | None:
    """Why a (tp, ep) pair is not a valid plan, or None."""
    shape, acc = ctx.shape, ctx.acc
    if tp < 1 or ep < 1:
        return f"tp and ep must be >= 1 (got tp={tp}, ep={ep})"
    if shape.heads % tp:
        return f"tp={tp} must divide the model's {shape.heads} attention heads"
    if tp > shape.kv_heads and tp % shape.kv_heads:
        return f"tp={tp} must be a multiple of the model's {shape.kv_heads} KV heads"
    if ep > 1 and not shape.experts:
        return f"ep={ep} needs a mixture-of-experts model (this one is dense)"
    if ep > 1 and shape.experts % ep:
        return f"ep={ep} must divide the model's {shape.experts} experts"
    if max(tp, ep) % min(tp, ep):
        return f"the smaller of tp={tp} and ep={ep} must divide the larger"
    if max(tp, ep) > acc.scaleup_domain:
        return (f"tp/ep={max(tp, ep)} exceeds {acc.id}'s scale-up domain of "
                f"{acc.scaleup_domain} accelerators")
    return None


def _search_limit(ctx: _Ctx, mem: core.PlanMemory) -> int:
    """Largest batch the throughput search considers: what fits, and no more than the
    stack schedules (``max_batch`` sequences per attention group)."""
    if ctx.stack.max_batch is None:
        return mem.max_batch
    return max(1, min(mem.max_batch, ctx.stack.max_batch * mem.attention_groups))


def _batch_grid(max_batch: int) -> np.ndarray:
    if max_batch <= EXACT_BATCH_LIMIT:
        return np.arange(1, max_batch + 1, dtype=float)
    grid = np.unique(np.geomspace(1, max_batch, EXACT_BATCH_LIMIT).round())
    return grid


def _evaluate(ctx: _Ctx, tp: int, ep: int, batch: np.ndarray,
              mem: core.PlanMemory) -> dict[str, np.ndarray]:
    """All per-batch quantities of one plan (per replica)."""
    step = core.decode_step_s(ctx.shape, ctx.acc, tp, ep, ctx.precision,
                              ctx.lengths.decode_context_tokens, batch, ctx.stack, mem,
                              kv_dtype=ctx.kv_dtype)
    pre = core.prefill_s(ctx.shape, ctx.acc, tp, ep, ctx.precision, ctx.lengths, ctx.stack,
                         kv_dtype=ctx.kv_dtype)
    ss = core.steady_state(step["step_s"], pre, batch, ctx.lengths.output_mean, tp,
                           max(tp, ep),
                           mem.attention_groups, ctx.disaggregated)
    return {**step, **ss, "prefill_s": np.full_like(np.asarray(batch, float), pre),
            "per_gpu": ss["tokens_per_s"] / ss["gpus"]}


def _estimate(ctx: _Ctx, tp: int, ep: int, gpus: int | None, batch: int,
              mem: core.PlanMemory, ev: dict[str, np.ndarray], i: int) -> ServingEstimate:
    replica = max(tp, ep)
    gpus = gpus or replica
    replicas = gpus // replica
    per_gpu = float(ev["per_gpu"][i])
    kv_tokens = batch / mem.attention_groups * ctx.lengths.decode_context_tokens
    plan = {"tp": tp, "ep": ep, "replica_gpus": replica, "replicas": replicas, "gpus": gpus,
            "precision": ctx.precision, "kv_dtype": ctx.kv_dtype, "stack": ctx.stack.id,
            "disaggregated": ctx.disaggregated}
    parts = {k: float(ev[k][i]) for k in ("linear_s", "attention_s", "comm_s")}
    return ServingEstimate(
        model=ctx.model_id, accelerator=ctx.acc.id, plan=plan,
        prompt_tokens=_num(ctx.lengths.prompt_mean), output_tokens=_num(ctx.lengths.output_mean),
        output_tokens_per_s=float(ev["tokens_per_s"][i]) * replicas,
        output_tokens_per_s_per_gpu=per_gpu,
        output_tokens_per_s_per_mw=per_gpu / ctx.acc.all_in_power_w * 1e6,
        ttft_s=float(ev["ttft_s"][i]), tpot_s=float(ev["tpot_s"][i]), batch=int(batch),
        max_batch=mem.max_batch, kv_cache_gb=kv_tokens * mem.kv_bytes_per_token / 1e9,
        weights_gb_per_gpu=mem.weights_bytes / 1e9, fits=bool(batch <= mem.max_batch),
        step_time_s=float(ev["step_s"][i]), prefill_time_s=float(ev["prefill_s"][i]),
        breakdown_s=parts)


def _plans(ctx: _Ctx, gpus: int | None, tp: int | None, ep: int | None) -> list[tuple]:
    """Valid (tp, ep) pairs for the request; raises PlanError naming why none is."""
    tps = [tp] if tp else [t for t in TP_CHOICES if t <= ctx.acc.scaleup_domain]
    eps = [ep] if ep else ([e for e in TP_CHOICES if e <= ctx.acc.scaleup_domain]
                           if ctx.shape.experts else [1])
    plans, reasons = [], []
    for t in tps:
        for e in eps:
            why = _check_tp_ep(ctx, t, e)
            if why is None and gpus is not None and gpus % max(t, e):
                why = f"gpus={gpus} is not a multiple of the replica size {max(t, e)}"
            (reasons if why else plans).append(why or (t, e))
    if not plans:
        raise PlanError(f"no valid serving plan for {ctx.model_id} on {ctx.acc.id}: "
                        f"{reasons[0]}", field="tp" if tp else "gpus")
    return plans


def _no_fit(ctx: _Ctx, plans: list[tuple]) -> PlanError:
    mems = [(core.plan_memory(ctx.shape, ctx.acc, *p, ctx.precision, ctx.lengths,
                              ctx.stack, kv_dtype=ctx.kv_dtype), p) for p in plans]
    mem, best = min(mems, key=lambda mp: mp[0].weights_bytes)
    need = ctx.shape.total_params
    order = ["bf16", "fp8", "fp4"]
    lower = order[order.index(ctx.precision) + 1:]
    smaller = f"a smaller precision ({'/'.join(lower)}), " if lower else ""
    return PlanError(
        f"{ctx.model_id} ({need / 1e9:.0f}B parameters, {ctx.precision}) does not fit on "
        f"{ctx.acc.id}: with tp={best[0]}, ep={best[1]} each GPU needs "
        f"{mem.weights_bytes / 1e9:.1f} GB of weights plus "
        f"{ctx.lengths.reserve_tokens * mem.kv_bytes_per_token / 1e9:.2f} GB "
        f"of KV cache per sequence, of {ctx.acc.hbm_gb:g} GB HBM "
        f"({ctx.stack.runtime_reserve_gb:g} GB reserved); try {smaller}shorter sequences, "
        f"more GPUs per replica, or an accelerator with more HBM", field="model")


def estimate_serving(model, accelerator, *, gpus: int | None = None, tp: int | None = None,
                     ep: int = 1, precision: str = "fp8", prompt_tokens: int,
                     output_tokens: int, batch: int, catalog: Catalog | None = None,
                     stack: str | ServingStack | None = None,
                     disaggregated: bool = False,
                     kv_dtype: str | None = None) -> ServingEstimate:
    """Throughput and latency of one serving plan at one batch size.

    Parameters
    ----------
    model, accelerator : catalog ids or the row objects.
    gpus : GPUs in the group (a multiple of the replica size); default one replica.
    tp, ep : tensor- and expert-parallel degrees; tp default: the smallest that fits.
    precision : weight precision, ``bf16``, ``fp8`` or ``fp4``.
    prompt_tokens, output_tokens : tokens per request, or paired samples of a length
        distribution (sequences of ints; means and second moments are used).
    batch : concurrent sequences per replica.
    stack : serving-stack generation (default: the newest).
    disaggregated : prefill on separate GPUs (counted in per-GPU throughput).

    Returns
    -------
    ServingEstimate ; ``fits`` is False when the batch's KV cache exceeds the HBM.
    """
    ctx = _resolve(model, accelerator, precision, prompt_tokens, output_tokens, catalog,
                   stack, disaggregated, kv_dtype)
    if not isinstance(batch, (int, np.integer)) or batch < 1:
        raise ValidationError(f"batch must be an integer >= 1 (got {batch!r})", field="batch")
    plans = sorted(_plans(ctx, gpus, tp, ep))
    mems = [core.plan_memory(ctx.shape, ctx.acc, t, e, ctx.precision, ctx.lengths, ctx.stack,
                             kv_dtype=ctx.kv_dtype)
            for t, e in plans]
    if not any(m.fits for m in mems):
        raise _no_fit(ctx, plans)
    # the smallest replica whose HBM holds the batch, else the one that holds the most
    holding = [i for i, m in enumerate(mems) if m.fits and m.max_batch >= batch]
    i = holding[0] if holding else max(range(len(mems)), key=lambda j: mems[j].max_batch)
    (t, e), mem = plans[i], mems[i]
    ev = _evaluate(ctx, t, e, np.array([float(batch)]), mem)
    return _estimate(ctx, t, e, gpus, batch, mem, ev, 0)


def _slo_mask(ev: dict[str, np.ndarray], ttft_slo_s, tpot_slo_s) -> np.ndarray:
    ok = np.ones_like(ev["tpot_s"], dtype=bool)
    if ttft_slo_s is not None:
        ok &= ev["ttft_s"] <= ttft_slo_s
    if tpot_slo_s is not None:
        ok &= ev["tpot_s"] <= tpot_slo_s
    return ok


def _check_slo(name: str, value: float | None) -> None:
    if value is not None and not value > 0:
        raise ValidationError(f"{name} must be > 0 s (got {value})", field=name)


def max_throughput(model, accelerator, *, prompt_tokens: int, output_tokens: int,
                   precision: str = "fp8", gpus: int | None = None, tp: int | None = None,
                   ep: int | None = 1, ttft_slo_s: float | None = None,
                   tpot_slo_s: float | None = None, catalog: Catalog | None = None,
                   stack: str | ServingStack | None = None,
                   disaggregated: bool = False,
                     kv_dtype: str | None = None) -> ServingEstimate:
    """The plan and batch with the most output tokens/s per GPU, within the SLOs.

    Searches tp (powers of two within the scale-up domain, dividing the heads), ep
    (``None``: searched for MoE models) and every batch size up to the largest that fits
    in HBM. Without SLOs this is the maximum-throughput operating point.

    Raises
    ------
    PlanError : the model fits no plan on this accelerator.
    InfeasibleError : no batch size of any plan meets the SLOs (the message gives the
        best TTFT and TPOT reachable).
    """
    _check_slo("ttft_slo_s", ttft_slo_s)
    _check_slo("tpot_slo_s", tpot_slo_s)
    ctx = _resolve(model, accelerator, precision, prompt_tokens, output_tokens, catalog,
                   stack, disaggregated, kv_dtype)
    best, fitted, floor = None, False, [np.inf, np.inf]
    for t, e in _plans(ctx, gpus, tp, ep):
        mem = core.plan_memory(ctx.shape, ctx.acc, t, e, ctx.precision, ctx.lengths,
                               ctx.stack, kv_dtype=ctx.kv_dtype)
        if not mem.fits:
            continue
        fitted = True
        grid = _batch_grid(_search_limit(ctx, mem))
        ev = _evaluate(ctx, t, e, grid, mem)
        floor = [min(floor[0], float(ev["ttft_s"].min())), min(floor[1], float(ev["tpot_s"].min()))]
        score = np.where(_slo_mask(ev, ttft_slo_s, tpot_slo_s), ev["per_gpu"], -np.inf)
        i = len(score) - 1 - int(np.argmax(score[::-1]))  # ties: the largest batch
        if np.isfinite(score[i]) and (best is None or score[i] > best[0]):
            best = (float(score[i]), t, e, int(grid[i]), mem, ev, i)
    if not fitted:
        raise _no_fit(ctx, _plans(ctx, gpus, tp, ep))
    if best is None:
        raise InfeasibleError(
            f"no batch size meets the SLOs for {ctx.model_id} on {ctx.acc.id} "
            f"({_fmt_lengths(ctx)}): best reachable TTFT "
            f"{floor[0]:.3g} s (SLO {ttft_slo_s}), TPOT {floor[1]:.3g} s (SLO {tpot_slo_s}); "
            f"relax the SLO to at least these, use a faster accelerator, a larger tp or a "
            f"smaller precision", field="ttft_slo_s" if floor[0] > (ttft_slo_s or np.inf)
            else "tpot_slo_s")
    _, t, e, b, mem, ev, i = best
    return _estimate(ctx, t, e, gpus, b, mem, ev, i)


def serving_frontier(model, accelerator, *, prompt_tokens: int, output_tokens: int,
                     precision: str = "fp8", tp: int | None = None, ep: int | None = 1,
                     catalog: Catalog | None = None, stack: str | ServingStack | None = None,
                     disaggregated: bool = False, points: int = 64,
                     kv_dtype: str | None = None) -> ServingFrontier:
    """Throughput per GPU against TPOT/TTFT over batch sizes, for the max-throughput plan."""
    top = max_throughput(model, accelerator, prompt_tokens=prompt_tokens,
                         output_tokens=output_tokens, precision=precision, tp=tp, ep=ep,
                         catalog=catalog, stack=stack, disaggregated=disaggregated,
                         kv_dtype=kv_dtype)
    ctx = _resolve(model, accelerator, precision, prompt_tokens, output_tokens, catalog,
                   stack, disaggregated, kv_dtype)
    t, e = top.plan["tp"], top.plan["ep"]
    mem = core.plan_memory(ctx.shape, ctx.acc, t, e, ctx.precision, ctx.lengths,
                           ctx.stack, kv_dtype=ctx.kv_dtype)
    grid = np.unique(np.geomspace(1, _search_limit(ctx, mem), max(points, 2)).round())
    ev = _evaluate(ctx, t, e, grid, mem)
    return ServingFrontier(model=ctx.model_id, accelerator=ctx.acc.id, plan=top.plan,
                           batch=grid.astype(int), output_tokens_per_s_per_gpu=ev["per_gpu"],
                           tpot_s=ev["tpot_s"], ttft_s=ev["ttft_s"])


def __getattr__(name: str) -> Any:
    # sizing lives in its own module; re-exported here for gigawatt.perf's lazy exports
    if name in ("size_serving", "ServingSizing", "ServingOption"):
        from . import serving_sizing

        return getattr(serving_sizing, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
