"""Training performance: step time, MFU, memory and energy of an LLM on a cluster under a
parallel plan (:func:`estimate_training`), and the search for the best plan
(:func:`search_training`).

The numbers come from the vectorised model in :mod:`.step` (GEMMs timed by shape per
accelerator family, communication by message size over the domain it crosses, pipeline
bubble, memory per Korthikanti et al.); see ``docs/train.md`` and ``docs/validation.md``
for its accuracy against published runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..errors import GigawattError, PlanError, ValidationError
from .batch import BatchCeiling, batch_ceiling
from ..fabric import fabric_spec, size_fabric
from ..numfmt import ResultRepr, with_units
from .gemm import family_efficiency
from .llm import ModelSpec, model_spec
from .sharded import ShardingOptions
from .sites import SiteLink
from .plans import RECOMPUTE, RECOMPUTE_NAMES, default_global_batch, enumerate_plans
from .step import Hardware, evaluate

PRECISIONS = ("bf16", "fp8")
ZERO_STAGES = (0, 1, 2, 3)
#: straight-line amortisation of the system price for the GPU-hour cost, years
AMORTISATION_YEARS = 5.0
ELECTRICITY_REGION = "us-average"
PLAN_FIELDS = ("tp", "pp", "dp", "vp", "cp", "ep", "microbatch", "global_batch",
               "recompute", "recompute_fraction", "zero", "zero_group", "sp")
#: model options besides the plan fields (see estimate_training)
OPTIONS = ("attention", "overlap_dp", "overlap_ep", "tp_cross_domain", "max_batch_tokens",
           "bucket_mb", "prefetch", "compute_slowdown", "dp_flat_ring", "sites",
           "wan_tbps", "wan_latency_ms", "wan_mode", "outer_steps", "grad_reduce_fp32")
#: a run "uses" accelerators while its per-accelerator throughput stays within this share
#: of the best per-accelerator throughput found for it (max_useful_gpus)
USEFUL_FRACTION = 0.9
_SHORT = {"microbatch": "mb", "global_batch": "gb", "recompute": "rc", "zero_group": "zg"}


@dataclass(frozen=True, repr=False)
class TrainingEstimate(ResultRepr):
    """One plan's predicted performance (times in s, memory in GB = 10^9 bytes)."""

    model: str
    accelerator: str
    gpus: int
    precision: str
    seq_len: int
    plan: dict[str, Any]
    step_time_s: float
    breakdown_s: dict[str, float]
    tflops_per_gpu: float
    hw_tflops_per_gpu: float
    mfu: float
    memory_gb_per_gpu: float
    memory_breakdown_gb: dict[str, float]
    memory_limit_gb: float
    fits: bool
    tokens_per_s: float
    calibration: dict[str, Any]
    tokens: float | None = None
    time_to_train_days: float | None = None
    energy_mwh: float | None = None
    cost_usd: float | None = None
    cost_basis: dict[str, Any] = field(default_factory=dict)
    vs_best: str | None = None
    batch_ceiling: dict[str, Any] = field(default_factory=dict)
    network: dict[str, Any] = field(default_factory=dict)
    max_useful_gpus: int | None = None
    scaling: list[dict[str, Any]] = field(default_factory=list)

    def _headline(self) -> dict[str, Any]:
        head = {"model": self.model, "accelerator": self.accelerator, "gpus": self.gpus,
                "plan": " ".join(f"{k}={v}" for k, v in self.plan.items()
                                 if k in ("tp", "pp", "dp", "global_batch")),
                "step_time_s": self.step_time_s, "mfu": self.mfu,
                "memory_gb_per_gpu": self.memory_gb_per_gpu}
        if self.time_to_train_days is not None:
            head["time_to_train_days"] = self.time_to_train_days
        return head

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict with the DESIGN.md field names."""
        d = {"model": self.model, "accelerator": self.accelerator, "gpus": self.gpus,
             "precision": self.precision, "seq_len": self.seq_len, "plan": dict(self.plan),
             "step_time_s": self.step_time_s, "breakdown_s": dict(self.breakdown_s),
             "tflops_per_gpu": self.tflops_per_gpu,
             "hw_tflops_per_gpu": self.hw_tflops_per_gpu, "mfu": self.mfu,
             "memory_gb_per_gpu": self.memory_gb_per_gpu,
             "memory_breakdown_gb": dict(self.memory_breakdown_gb),
             "memory_limit_gb": self.memory_limit_gb, "fits": self.fits,
             "tokens_per_s": self.tokens_per_s,
             "tokens_per_s_per_gpu": self.tokens_per_s / self.gpus,
             "max_batch_tokens": self.batch_ceiling.get("max_batch_tokens"),
             "batch_ceiling": dict(self.batch_ceiling),
             "network": dict(self.network), "calibration": dict(self.calibration)}
        if self.max_useful_gpus is not None:
            d["max_useful_gpus"] = self.max_useful_gpus
            d["scaling"] = [dict(r) for r in self.scaling]
        if self.tokens is not None:
            d.update(tokens=self.tokens, time_to_train_days=self.time_to_train_days,
                     energy_mwh=self.energy_mwh, cost_usd=self.cost_usd,
                     cost_basis=dict(self.cost_basis))
        if self.vs_best is not None:
            d["vs_best"] = self.vs_best
        return d


@dataclass(frozen=True, repr=False)
class TrainingSearch(ResultRepr):
    """Result of a plan search: the best plan, the runners-up and what was rejected."""

    best: TrainingEstimate
    top: list[TrainingEstimate]
    evaluated: int
    valid: int
    considered: int
    rejected: dict[str, int]
    fastest_rejected: dict[str, Any] | None = None

    def _headline(self) -> dict[str, Any]:
        return {**self.best._headline(), "valid": self.valid, "evaluated": self.evaluated}

    def _repr_extra_html(self) -> str:
        return self.to_frame().to_html(index=False, float_format=lambda v: f"{v:,.4g}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict: the best plan's fields at top level, then the search."""
        return {**self.best.to_dict(),
                "search": {"evaluated": self.evaluated, "valid": self.valid,
                           "considered": self.considered, "rejected": dict(self.rejected),
                           "fastest_rejected": self.fastest_rejected,
                           "top": [t.to_dict() for t in self.top]}}

    def to_frame(self):  # -> pandas.DataFrame
        """The top plans, one row each (plan fields, step time, MFU, memory, why)."""
        import pandas as pd

        rows = [{**t.plan, "step_time_s": t.step_time_s, "mfu": t.mfu,
                 "tflops_per_gpu": t.tflops_per_gpu, "memory_gb_per_gpu": t.memory_gb_per_gpu,
                 "vs_best": t.vs_best or ""} for t in self.top]
        return with_units(pd.DataFrame(rows))


# ----------------------------------------------------------------------------- inputs

def _catalog(catalog: Any) -> Any:
    if catalog is not None:
        return catalog
    from ..catalog import load_catalog

    return load_catalog()


def resolve_model(model: Any, catalog: Any, seq_len: int | None) -> ModelSpec:
    """A :class:`ModelSpec` from a catalog id, an architecture object or a spec."""
    if seq_len is not None and (int(seq_len) != seq_len or seq_len < 1):
        raise ValidationError(f"seq_len must be a positive integer, got {seq_len!r}",
                              field="seq_len")
    if isinstance(model, ModelSpec):
        if seq_len:
            from dataclasses import replace

            return replace(model, seq_len=int(seq_len))
        return model
    if isinstance(model, str):
        return model_spec(_catalog(catalog).model(model), seq_len, name=model)
    return model_spec(model, seq_len)


def hardware(acc: Any, catalog: Any, precision: str) -> Hardware:
    """The :class:`Hardware` view of a catalog accelerator (id or row)."""
    if precision not in PRECISIONS:
        raise ValidationError(f"precision '{precision}' is not allowed; allowed: "
                              f"{', '.join(PRECISIONS)}", field="precision")
    cat = _catalog(catalog)
    acc = cat.accelerator(acc) if isinstance(acc, str) else acc
    latency_us = 5.0
    try:
        latency_us = cat.get("fabrics", cat.system(acc.system).fabric).latency_us
    except GigawattError:  # a system or fabric row missing from this catalog: default
        pass
    return Hardware(
        accelerator=acc.id, family=acc.family,
        gemm_flop_per_s=acc.peak_tflop_per_s(precision) * 1e12,
        bf16_flop_per_s=acc.bf16_tflop_per_s * 1e12, hbm_bytes=acc.hbm_gb * 1e9,
        hbm_bytes_per_s=acc.hbm_tb_per_s * 1e12, domain=acc.scaleup_domain,
        scaleup_gb_per_s=acc.scaleup_gb_per_s,
        scaleout_gb_per_s=acc.scaleout_gbit_per_s / 8.0,
        scaleout_latency_s=latency_us * 1e-6, eff=family_efficiency(acc.family),
        fp8=precision == "fp8" and acc.fp8_tflop_per_s is not None,
        fabric=fabric_spec(cat, acc))


def _check_int(name: str, value: Any, lo: int, hi: int | None = None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or int(value) != value or value < lo or (hi and value > hi):
        rng = f">= {lo}" + (f" and <= {hi}" if hi else "")
        raise ValidationError(f"{name} = {value!r} is out of range; allowed: integer {rng}",
                              field=name)


def _fixed_fields(fixed: dict[str, Any]) -> dict[str, Any]:
    """Validate user-given plan fields; map recompute names to codes."""
    unknown = set(fixed) - set(PLAN_FIELDS) - set(OPTIONS) - {"_tokens"}
    if unknown:
        raise ValidationError(f"unknown plan field(s) {sorted(unknown)}; allowed: "
                              f"{', '.join(PLAN_FIELDS)}", field=sorted(unknown)[0])
    out = dict(fixed)
    for key in ("tp", "pp", "dp", "vp", "cp", "ep", "microbatch", "global_batch",
                "zero_group"):
        _check_int(key, out.get(key), 1)
    _check_int("prefetch", out.get("prefetch"), 0, 64)
    for key, hi in (("bucket_mb", 1e6), ("compute_slowdown", 1.0)):
        v = out.get(key)
        if v is not None and not (isinstance(v, (int, float)) and 0 <= v < hi
                                  and (key != "bucket_mb" or v > 0)):
            raise ValidationError(f"{key} = {v!r} is out of range; allowed: "
                                  f"{'> 0' if key == 'bucket_mb' else '>= 0'} and < {hi:g}",
                                  field=key)
    _check_int("zero", out.get("zero"), 0, 3)
    rc = out.get("recompute")
    if rc is not None:
        if rc not in RECOMPUTE:
            raise ValidationError(f"recompute '{rc}' is not allowed; allowed: "
                                  f"{', '.join(RECOMPUTE)}", field="recompute")
        out["recompute"] = RECOMPUTE[rc]
    frac = out.get("recompute_fraction")
    if frac is not None and out.get("recompute") in (0, 1) and frac == 0:
        out["recompute_fraction"] = frac = None     # "none"/"selective" recompute no layers
    if frac is not None and not (isinstance(frac, (int, float)) and 0 < frac <= 1):
        raise ValidationError(f"recompute_fraction = {frac!r} is out of range; allowed: "
                              "> 0 and <= 1", field="recompute_fraction")
    g = out.get("grad_reduce_fp32")
    if g is not None and not isinstance(g, bool):
        raise ValidationError(f"grad_reduce_fp32 = {g!r} is not allowed; allowed: true, false",
                              field="grad_reduce_fp32")
    if out.get("attention") not in (None, "flash", "unfused"):
        raise ValidationError(f"attention '{out['attention']}' is not allowed; allowed: "
                              "flash, unfused", field="attention")
    return out


def _site_link(fixed: dict[str, Any]) -> SiteLink | None:
    """The :class:`SiteLink` the options describe, or None for one site."""
    sites = fixed.get("sites")
    if sites is None or sites == 1:
        return None
    _check_int("sites", sites, 1, 1024)
    missing = [k for k in ("wan_tbps", "wan_latency_ms") if fixed.get(k) is None]
    if missing:
        raise ValidationError(f"sites = {sites} needs {' and '.join(missing)} "
                              "(--wan-tbps, --wan-latency-ms)", field=missing[0])
    return SiteLink(int(sites), float(fixed["wan_tbps"]), float(fixed["wan_latency_ms"]),
                    fixed.get("wan_mode") or "auto", int(fixed.get("outer_steps") or 500))


def _site_fields(p: dict[str, np.ndarray], i: int, link: SiteLink | None) -> dict[str, Any]:
    if link is None:
        return {}
    layout = "pp" if int(p.get("_wan_layout", np.zeros(i + 1, dtype=int))[i]) else "dp"
    return {"sites": {**link.to_dict(), "layout": "diloco" if link.mode == "diloco"
                      else layout}}


# ----------------------------------------------------------------------------- results

def _plan_dict(p: dict[str, np.ndarray], i: int, precision: str, seq_len: int,
               opts: dict[str, Any]) -> dict[str, Any]:
    return {"tp": int(p["tp"][i]), "pp": int(p["pp"][i]), "dp": int(p["dp"][i]),
            "vp": int(p["vp"][i]), "cp": int(p["cp"][i]), "ep": int(p["ep"][i]),
            "microbatch": int(p["mb"][i]), "global_batch": int(p["gb"][i]),
            "seq_len": seq_len, "recompute": RECOMPUTE_NAMES[int(p["rc"][i])],
            "recompute_fraction": float(p["rf"][i]),
            "zero": int(p["zero"][i]), "zero_group": int(p["zg"][i]),
            "sp": bool(p["sp"][i]), "precision": precision,
            "attention": opts["attention"], "overlap_dp": opts["overlap_dp"],
            "overlap_ep": opts["overlap_ep"], "grad_reduce_fp32": opts["grad_reduce_fp32"],
            **opts["sharding"].to_dict(),
            **_site_fields(p, i, opts["link"])}


def _flops(spec: ModelSpec, p: dict[str, np.ndarray], res: dict, gpus: int,
           unfused: bool) -> tuple[np.ndarray, np.ndarray]:
    """Model and hardware TFLOP/s per GPU (model FLOPs: see :mod:`.llm`)."""
    tokens = p["gb"] * spec.seq_len
    model = spec.model_flop_per_token() * tokens
    extra = np.select([p["rc"] == 2, p["rc"] == 1],
                      [p["rf"] * spec.recompute_flop_per_token("full"),
                       spec.recompute_flop_per_token("selective") if unfused else 0.0], 0.0)
    denom = res["step_time_s"] * gpus * 1e12
    return model / denom, (model + extra * tokens) / denom


@dataclass(frozen=True)
class _Context:
    spec: ModelSpec
    hw: Hardware
    acc: Any
    cat: Any
    gpus: int
    precision: str
    opts: dict[str, Any]
    ceiling: BatchCeiling
    network: dict[str, Any]


def _estimate_at(ctx: _Context, p: dict, res: dict, i: int, tokens: float | None,
                 vs_best: str | None = None) -> TrainingEstimate:
    """The :class:`TrainingEstimate` of plan ``i`` of an evaluated array of plans."""
    unfused = ctx.opts["attention"] == "unfused"
    tf, hw_tf = _flops(ctx.spec, p, res, ctx.gpus, unfused)
    step = float(res["step_time_s"][i])
    peak = ctx.hw.gemm_flop_per_s / 1e12
    mem = {k: float(np.broadcast_to(v, res["fits"].shape)[i]) / 1e9
           for k, v in res["memory_bytes"].items()}
    tok_s = float(p["gb"][i] * ctx.spec.seq_len / step)
    est = dict(
        model=ctx.spec.name, accelerator=ctx.hw.accelerator, gpus=ctx.gpus,
        precision=ctx.precision, seq_len=ctx.spec.seq_len,
        plan=_plan_dict(p, i, ctx.precision, ctx.spec.seq_len, ctx.opts), step_time_s=step,
        breakdown_s={k: float(np.broadcast_to(v, res["fits"].shape)[i])
                     for k, v in res["breakdown_s"].items()},
        tflops_per_gpu=float(tf[i]), hw_tflops_per_gpu=float(hw_tf[i]),
        mfu=float(tf[i]) / peak, memory_gb_per_gpu=sum(mem.values()),
        memory_breakdown_gb=mem, memory_limit_gb=ctx.hw.hbm_bytes / 1e9,
        fits=bool(res["fits"][i]), tokens_per_s=tok_s,
        calibration={"family": ctx.hw.family, **ctx.hw.eff.to_dict()}, vs_best=vs_best,
        batch_ceiling=ctx.ceiling.to_dict(), network=ctx.network)
    if tokens is not None:
        est.update(_time_energy_cost(ctx, tokens, tok_s))
    return TrainingEstimate(**est)


def _time_energy_cost(ctx: _Context, tokens: float, tokens_per_s: float) -> dict[str, Any]:
    """Days, energy (all-in IT power x PUE) and cost (amortised capex + energy)."""
    time_s = tokens / tokens_per_s
    system = ctx.cat.system(ctx.acc.system) if ctx.acc.system in ctx.cat.table(
        "systems") else None
    pue = ctx.cat.get("coolings", system.cooling).pue if system else 1.0
    energy_mwh = ctx.gpus * ctx.acc.all_in_power_w * pue * time_s / 3.6e9
    capex_per_gpu = system.price_usd / system.accelerators if system else ctx.acc.price_usd
    usd_per_gpu_hour = capex_per_gpu / (AMORTISATION_YEARS * 8760.0)
    prices = ctx.cat.table("electricity_prices")
    usd_per_mwh = prices[ELECTRICITY_REGION].usd_per_mwh if ELECTRICITY_REGION in prices \
        else None
    cost = ctx.gpus * time_s / 3600.0 * usd_per_gpu_hour + energy_mwh * (usd_per_mwh or 0.0)
    basis = {"usd_per_gpu_hour": usd_per_gpu_hour, "capex_usd_per_gpu": capex_per_gpu,
             "amortisation_years": AMORTISATION_YEARS, "pue": pue,
             "all_in_power_w": ctx.acc.all_in_power_w, "usd_per_mwh": usd_per_mwh,
             "electricity_region": ELECTRICITY_REGION if usd_per_mwh else None}
    return {"tokens": float(tokens), "time_to_train_days": time_s / 86400.0,
            "energy_mwh": energy_mwh, "cost_usd": cost, "cost_basis": basis}


def _why(best: dict[str, float], other: dict[str, float]) -> str:
    """The component that makes ``other`` slower than ``best`` the most."""
    delta = {k: other.get(k, 0.0) - best.get(k, 0.0) for k in other}
    key = max(delta, key=delta.get)
    total = sum(other.values()) - sum(best.values())
    return "best" if total <= 0 else f"+{total:.3g} s, mostly {key} (+{delta[key]:.3g} s)"


# ----------------------------------------------------------------------------- core

def _context(model: Any, accelerator: Any, gpus: int, precision: str, seq_len: int | None,
             catalog: Any, fixed: dict[str, Any]) -> _Context:
    _check_int("gpus", gpus, 1)
    tokens = fixed.get("_tokens")
    if tokens is not None and not (isinstance(tokens, (int, float)) and 0 < tokens < 1e18):
        raise ValidationError(f"tokens = {tokens!r} is out of range; allowed: > 0 and < 1e18",
                              field="tokens")
    cat = _catalog(catalog)
    acc = cat.accelerator(accelerator) if isinstance(accelerator, str) else accelerator
    spec = resolve_model(model, cat, seq_len)
    overlap_dp = bool(fixed.get("overlap_dp", True))
    bucket = fixed.get("bucket_mb")
    sharding = ShardingOptions(
        overlap=overlap_dp, bucket_bytes=None if bucket is None else bucket * 1e6,
        prefetch=int(fixed.get("prefetch", ShardingOptions.prefetch)),
        compute_slowdown=float(fixed.get("compute_slowdown",
                                         ShardingOptions.compute_slowdown)),
        flat_ring=bool(fixed.get("dp_flat_ring", False)))
    opts = {"attention": fixed.get("attention") or "flash", "overlap_dp": overlap_dp,
            "overlap_ep": bool(fixed.get("overlap_ep", True)), "sharding": sharding,
            "link": _site_link(fixed),
            "grad_reduce_fp32": bool(fixed.get("grad_reduce_fp32", True))}
    ceiling = batch_ceiling(spec, tokens, fixed.get("max_batch_tokens"))
    gb = fixed.get("global_batch")
    if gb is not None and gb > ceiling.max_sequences(spec.seq_len):
        raise PlanError(
            f"global_batch = {gb} sequences ({gb * spec.seq_len:,} tokens) exceeds the batch "
            f"ceiling of {ceiling.max_batch_tokens:,.0f} tokens "
            f"({ceiling.max_sequences(spec.seq_len)} sequences of {spec.seq_len}; "
            f"{ceiling.basis}); allowed: global_batch <= "
            f"{ceiling.max_sequences(spec.seq_len)}, or raise --max-batch-tokens",
            field="global_batch")
    hw = hardware(acc, cat, precision)
    network = size_fabric(hw.fabric, int(gpus)).to_dict() if hw.fabric is not None else {
        "fabric": None, "basis": "the fabric names no switch: no topology"}
    return _Context(spec, hw, acc, cat, int(gpus), precision, opts, ceiling, network)


def _run(ctx: _Context, fixed: dict[str, Any]) -> tuple[dict, dict, dict[str, int], int]:
    """Enumerate and evaluate every plan compatible with ``fixed``."""
    tp = fixed.get("tp")
    if tp is not None and tp > ctx.hw.domain and not fixed.get("tp_cross_domain"):
        raise PlanError(f"tp = {tp} exceeds the scale-up domain of {ctx.hw.accelerator} "
                        f"({ctx.hw.domain} accelerators); allowed: tp <= {ctx.hw.domain}, "
                        "or say tp_cross_domain (--tp-cross-domain) to run TP over the "
                        "scale-out network", field="tp")
    fixed = {**fixed, "_max_gb": ctx.ceiling.max_sequences(ctx.spec.seq_len)}
    p, rejected, considered = enumerate_plans(ctx.spec, ctx.gpus, ctx.hw.domain, fixed)
    if fixed.get("dp") is not None:
        keep = p["dp"] == fixed["dp"]
        rejected["divisibility"] += int((~keep).sum())
        p = {k: v[keep] for k, v in p.items()}
    res = evaluate(ctx.spec, ctx.hw, p, unfused_attn=ctx.opts["attention"] == "unfused",
                   overlap_dp=ctx.opts["overlap_dp"], overlap_ep=ctx.opts["overlap_ep"],
                   sharding=ctx.opts["sharding"], link=ctx.opts["link"],
                   grad_reduce_fp32=ctx.opts["grad_reduce_fp32"])
    if "site_ok" in res:
        p["_wan_layout"] = res["wan_layout"]
        rejected["sites"] = int((~res["site_ok"]).sum())
        res["fits"] = res["fits"] & res["site_ok"]
        rejected["memory"] = int((~res["fits"] & res["site_ok"]).sum())
    else:
        rejected["memory"] = int((~res["fits"]).sum())
    return p, res, rejected, considered


def _take(p: dict, res: dict, idx: np.ndarray) -> tuple[dict, dict]:
    n = res["fits"].shape
    sub = lambda v: np.broadcast_to(v, n)[idx]  # noqa: E731
    res2 = {k: (sub(v) if not isinstance(v, dict) else {kk: sub(vv) for kk, vv in v.items()})
            for k, v in res.items()}
    return {k: v[idx] for k, v in p.items()}, res2


def _nearest(ctx: _Context, fixed: dict[str, Any], n: int = 3) -> list[str]:
    """Short descriptions of the valid plans closest to the requested one."""
    free = {k: v for k, v in fixed.items() if k in ("global_batch", "sp") + OPTIONS}
    try:
        p, res, _, _ = _run(ctx, free)
    except PlanError:
        return []
    ok = np.flatnonzero(res["fits"])
    if ok.size == 0:
        return []
    dist = np.zeros(ok.size)
    for key, val in fixed.items():
        arr = p.get(_SHORT.get(key, key))
        if arr is not None and isinstance(val, (int, np.integer)) and val > 0:
            dist += np.abs(np.log2(np.maximum(arr[ok], 0.5) / val))
    out: list[str] = []
    for i in ok[np.lexsort((res["step_time_s"][ok], dist))]:
        text = " ".join(f"--{k} {p[_SHORT.get(k, k)][i]}" for k in ("tp", "pp", "dp", "cp"))
        if not any(o.startswith(text) for o in out):
            out.append(text + " " + " ".join(f"--{k} {p[_SHORT.get(k, k)][i]}"
                                             for k in ("vp", "microbatch")))
        if len(out) == n:
            break
    return out


def _no_plan(ctx: _Context, fixed: dict[str, Any], rejected: dict[str, int],
             what: str) -> PlanError:
    reasons = ", ".join(f"{k}: {v}" for k, v in rejected.items() if v) or "none enumerated"
    near = _nearest(ctx, fixed)
    if near:
        hint = "; nearest valid plans: " + "; ".join(near)
    elif rejected.get("memory"):
        hint = (f"; no plan of {ctx.spec.name} fits {ctx.gpus} x {ctx.hw.accelerator} "
                f"({ctx.hw.hbm_bytes / 1e9:.0f} GB each): use more accelerators")
    else:
        hint = (f"; no split of {ctx.gpus} accelerators passes the divisibility rules: "
                "try another accelerator count or --global-batch")
    return PlanError(f"{what} for {ctx.spec.name} on {ctx.gpus} x {ctx.hw.accelerator} "
                     f"(rejected by reason: {reasons}){hint}")


# ----------------------------------------------------------------------------- public

def estimate_training(model: Any, accelerator: Any, gpus: int, *, tp: int, pp: int,
                      dp: int | None = None, vp: int = 1, cp: int = 1, ep: int = 1,
                      microbatch: int = 1, global_batch: int | None = None,
                      seq_len: int | None = None, recompute: str = "selective",
                      zero: int = 1, precision: str = "bf16", tokens: float | None = None,
                      catalog: Any = None, **options: Any) -> TrainingEstimate:
    """Predict one parallel plan's step time, throughput, MFU, memory (and, with
    ``tokens``, days, energy and cost) for training ``model`` on ``gpus`` accelerators.

    Parameters
    ----------
    model : str or LLMArchitecture or ModelFile or ModelSpec
        Catalog model id or architecture.
    accelerator : str or Accelerator
        Catalog accelerator id or row.
    gpus : int
        Accelerators in the job; must equal ``tp * pp * cp * dp``.
    tp, pp, dp, vp, cp, ep : int
        Tensor, pipeline, data, virtual-pipeline (interleaving), context, expert
        parallelism (``dp`` defaults to ``gpus / (tp * pp * cp)``).
    microbatch, global_batch : int
        Sequences per micro-batch and per step (default: ~2,048 tokens per accelerator).
    seq_len : int, optional
        Tokens per sequence (default: the model's).
    recompute : {"none", "selective", "full"}
    zero : {0, 1, 2, 3}
        0 plain DP, 1 distributed optimizer, 2 + sharded gradients, 3 FSDP.
    precision : {"bf16", "fp8"}
    tokens : float, optional
        Training tokens; adds ``time_to_train_days``, ``energy_mwh``, ``cost_usd``.
    catalog : Catalog, optional
    **options
        ``sp`` (sequence parallelism, default ``tp > 1``), ``attention`` ("flash" or
        "unfused" as in Megatron 2021-22), ``overlap_dp`` and ``overlap_ep`` (overlap DP
        and MoE all-to-all communication with compute; default True),
        ``recompute_fraction`` (share of layers fully recomputed with ``"full"``),
        ``tp_cross_domain`` (allow TP beyond the scale-up domain, over scale-out),
        ``grad_reduce_fp32`` (gradients accumulated and reduced in FP32, 4 bytes per
        parameter, default True as Megatron-LM forces for BF16; False keeps them in the
        parameter dtype, 2 bytes, as Megatron-Core ``grad_reduce_in_fp32=False``).

    Raises
    ------
    PlanError
        The plan cannot exist (divisibility, scale-up domain, micro-batches); the message
        names the reason and the nearest valid plans. A plan that does not fit in memory
        is returned with ``fits=False``.
    """
    fixed = _fixed_fields(dict(tp=tp, pp=pp, dp=dp, vp=vp, cp=cp, ep=ep,
                               microbatch=microbatch, global_batch=global_batch,
                               recompute=recompute, zero=zero, _tokens=tokens, **options))
    ctx = _context(model, accelerator, gpus, precision, seq_len, catalog, fixed)
    if global_batch is None and gpus % (tp * pp * cp) == 0:
        # the default batch, rounded to this plan's data-parallel micro-batches
        per_step = (dp or gpus // (tp * pp * cp)) * microbatch
        max_gb = ctx.ceiling.max_sequences(ctx.spec.seq_len)
        target = default_global_batch(ctx.spec, ctx.gpus, max_gb)
        steps = max(1, round(target / per_step))
        fixed["global_batch"] = per_step * max(1, min(steps, max_gb // per_step))
    p, res, rejected, _ = _run(ctx, fixed)
    if p["tp"].size == 0:
        raise _no_plan(ctx, fixed, rejected, "this plan cannot exist")
    return _estimate_at(ctx, p, res, 0, tokens)


def _scaling(model: Any, accelerator: Any, gpus: int, best: TrainingEstimate,
             kwargs: dict[str, Any], fixed: dict[str, Any]) -> tuple[int, list[dict]]:
    """The most accelerators this run can use within :data:`USEFUL_FRACTION` of its best
    per-accelerator throughput, from searches at ``gpus`` x 2^k (same model, batch
    ceiling and fixed plan fields; ``dp`` follows the count), and the ladder searched."""
    fixed = {k: v for k, v in fixed.items() if k != "dp"}
    rate = {gpus: best.tokens_per_s / gpus}

    def at(n: int) -> float | None:
        try:
            r = search_training(model, accelerator, n, top_k=1, scaling=False, **kwargs,
                                **fixed).best
        except GigawattError:
            return None
        rate[n] = r.tokens_per_s / n
        return rate[n]

    n = gpus
    for _ in range(16):                     # smaller jobs, down to the smallest that fits
        if n % 2 or n < 2 or at(n // 2) is None:
            break
        n //= 2
    n = gpus
    for _ in range(6):                      # larger jobs until they fall below the bar
        if n * 2 > 2 ** 25:
            break
        got = at(n * 2)
        n *= 2
        if got is None or got < USEFUL_FRACTION * max(rate.values()):
            break
    top = max(rate.values())
    useful = max(k for k, v in rate.items() if v >= USEFUL_FRACTION * top)
    ladder = [{"gpus": k, "tokens_per_s_per_gpu": v, "vs_best": v / top}
              for k, v in sorted(rate.items())]
    return useful, ladder


def search_training(model: Any, accelerator: Any, gpus: int, *, precision: str = "bf16",
                    global_batch: int | None = None, seq_len: int | None = None,
                    tokens: float | None = None, top_k: int = 10, catalog: Any = None,
                    scaling: bool = False, **fixed_plan_fields: Any) -> TrainingSearch:
    """Search every valid parallel plan (fields not given in ``fixed_plan_fields``) and
    return the fastest that fits in memory, the ``top_k`` runners-up with why they lose,
    and how many plans were rejected for which reason.

    Parameters are those of :func:`estimate_training`; any plan field (``tp``, ``pp``,
    ``dp``, ``vp``, ``cp``, ``ep``, ``microbatch``, ``recompute``, ``zero``, ``sp``) may be
    fixed. ``scaling=True`` also searches the same run at 2^k times the accelerators and
    sets the best estimate's ``max_useful_gpus`` (the most accelerators used within 10% of
    the best per-accelerator throughput) and ``scaling`` (the ladder). Raises
    :class:`PlanError` when no plan fits, naming the reasons.
    """
    _check_int("top_k", top_k, 1)
    fixed = _fixed_fields({**{k: v for k, v in fixed_plan_fields.items() if v is not None},
                           "global_batch": global_batch, "_tokens": tokens})
    ctx = _context(model, accelerator, gpus, precision, seq_len, catalog, fixed)
    p, res, rejected, considered = _run(ctx, fixed)
    ok = np.flatnonzero(res["fits"])
    if ok.size == 0:
        raise _no_plan(ctx, fixed, rejected, "no valid plan")
    # highest throughput first (plans differ in global batch under the batch ceiling, so
    # time per sequence, not per step); among equals the one needing less memory
    per_seq = res["step_time_s"][ok] / p["gb"][ok]
    order = ok[np.lexsort((res["memory_total_bytes"][ok],
                           np.round(per_seq / per_seq.min(), 9)))][:top_k]
    tp_, tr = _take(p, res, order)
    best = _estimate_at(ctx, tp_, tr, 0, tokens)
    # runners-up compared at the best plan's batch (step components per sequence)
    top = [_estimate_at(ctx, tp_, tr, j, tokens, _why(best.breakdown_s, {
        k: float(v[j]) * best.plan["global_batch"] / float(tp_["gb"][j])
        for k, v in tr["breakdown_s"].items()})) for j in range(order.size)]
    fastest = None
    bad = np.flatnonzero(~res["fits"])
    bad_rate = res["step_time_s"][bad] / p["gb"][bad] if bad.size else bad
    if bad.size and bad_rate.min() < best.step_time_s / best.plan["global_batch"]:
        j = bad[np.argmin(bad_rate)]
        bp, br = _take(p, res, np.array([j]))
        fastest = {"plan": _plan_dict(bp, 0, precision, ctx.spec.seq_len, ctx.opts),
                   "step_time_s": float(br["step_time_s"][0]),
                   "memory_gb_per_gpu": float(br["memory_total_bytes"][0]) / 1e9,
                   "reason": "memory"}
    if scaling:
        kwargs = dict(precision=precision, global_batch=global_batch, seq_len=seq_len,
                      tokens=tokens, catalog=ctx.cat)
        useful, ladder = _scaling(model, accelerator, gpus, best, kwargs, fixed_plan_fields)
        best = replace(best, max_useful_gpus=useful, scaling=ladder)
    return TrainingSearch(best=best, top=top, evaluated=int(p["tp"].size), valid=int(ok.size),
                          considered=considered, rejected=rejected, fastest_rejected=fastest)
