"""`gigawatt train`: step time, MFU, memory and time-to-train of an LLM on a cluster, with
the parallel plan searched over every field not given."""

from __future__ import annotations

from typing import Any, Literal, Optional

import typer

from . import app
from ..perf.calibration import describe
from ..numfmt import field, number
from ..perf.plans import DEFAULT_BATCH_TOKENS_PER_GPU
from .output import console, emit_json, fmt, table


def _recompute(plan: dict) -> str:
    """'full', or 'full (25% of layers)' for partial full recomputation."""
    frac = plan.get("recompute_fraction", 1.0)
    if plan["recompute"] == "full" and frac < 1:
        return f"full ({frac:.0%} of layers)"
    return plan["recompute"]


def load_model_file(path: str) -> Any:
    """A :class:`ModelFile` from YAML, errors with file:line and field."""
    import pydantic

    from ..catalog.schema import ModelFile
    from ..validation import validation_error
    from ..yamlio import read_yaml

    doc = read_yaml(path)
    try:
        return ModelFile.model_validate(doc.data)
    except pydantic.ValidationError as exc:
        raise validation_error(exc, doc) from None


def gpu_hours(gpus: int, days: float) -> float:
    """Accelerator-hours of a run: accelerators x wall-clock hours."""
    return gpus * days * 24.0


def _batch_note(search: Any, given: int | None) -> str:
    """Say the global batch when the search chose it: it moves step time and MFU a lot."""
    if given is not None:
        return ""
    gb, seq = search.best.plan["global_batch"], search.best.seq_len
    return (f"global batch {gb:,} sequences ({number(gb * seq)} tokens) is the default "
            f"(~{DEFAULT_BATCH_TOKENS_PER_GPU:,} tokens per accelerator, rounded to the "
            "plan); set it with --global-batch")


def _print(search: Any, composed: dict[str, Any] | None, batch_note: str = "") -> None:
    best = search.best
    out = console()
    cal = best.calibration
    out.print(f"[bold]{best.model}[/bold] on {best.gpus:,} x {best.accelerator} "
              f"({best.precision}, seq {best.seq_len:,}): best of {search.valid:,} valid plans "
              f"({search.evaluated:,} evaluated)")
    p = best.plan
    rows = [["plan", f"tp {p['tp']} pp {p['pp']} dp {p['dp']} vp {p['vp']} cp {p['cp']} "
             f"ep {p['ep']}, micro-batch {p['microbatch']}, global batch {p['global_batch']:,}, "
             f"recompute {_recompute(p)}, zero {p['zero']} (shard group {p['zero_group']})"],
            ["step_time_s", best.step_time_s], ["tokens_per_s", best.tokens_per_s],
            ["tokens_per_s_per_gpu", best.tokens_per_s / best.gpus],
            ["global batch tokens (ceiling)", f"{p['global_batch'] * p['seq_len']:,} "
             f"({best.batch_ceiling['max_batch_tokens']:,.0f})"],
            ["tflops_per_gpu (model)", field("tflops_per_gpu", best.tflops_per_gpu)],
            ["hw_tflops_per_gpu (with recompute)",
             field("tflops_per_gpu", best.hw_tflops_per_gpu)], ["mfu", best.mfu],
            ["memory_gb_per_gpu", f"{best.memory_gb_per_gpu:.1f} of {best.memory_limit_gb:g} GB"]]
    if "sites" in p:
        st = p["sites"]
        rows.append(["sites", f"{st['sites']} over {st['wan_tbps']:g} Tbit/s, "
                     f"{st['wan_latency_ms']:g} ms: {st['layout']} across the link"])
    if best.max_useful_gpus is not None:
        rows.append(["max_useful_gpus", best.max_useful_gpus])
    if composed is not None:
        ct = composed["time_to_train"]
        rows += [["ideal_days (no failures)", composed["ideal_days"]],
                 [f"ettr ({ct['recovery']}, simulated for {best.gpus:,} accelerators)",
                  composed["ettr"]],
                 ["time_to_train_days (wall clock)", composed["time_to_train_days"]],
                 ["GPU-hours (wall clock)", number(composed["gpu_hours"])],
                 ["GPU-days (wall clock)", number(composed["gpu_days"])],
                 ["energy_mwh (compute time)", best.energy_mwh],
                 ["cost_usd (wall-clock GPU-hours)", composed.get("cost_usd", best.cost_usd)]]
    out.print(table("best plan", ["", "value"], rows))
    total = best.step_time_s
    out.print(table("where the step time goes", ["component", "time_s", "share"],
                    [[k, v, f"{v / total:.1%}"] for k, v in best.breakdown_s.items() if v > 0],
                    fields=["", "time_s", ""]))
    net = best.network
    if net.get("tiers"):
        out.print(f"network: {net['basis']['topology']} of {net['switch']}: "
                  f"{net['switches']:,} switches, {net['transceivers']:,} transceivers, "
                  f"{fmt(net['capex_usd']['total'])} USD, {net['power_mw']:.3g} MW, up to "
                  f"{net['max_hops']} switch hops")
    out.print(table("memory per accelerator", ["part", "memory_gb"],
                    [[k, v] for k, v in best.memory_breakdown_gb.items() if v > 0]))
    out.print(table(f"top {len(search.top)} plans", ["#", "tp", "pp", "dp", "vp", "cp", "ep",
                                                     "mb", "recompute", "zero", "step_s",
                                                     "mfu", "memory_gb"],
                    [[str(i)] + [t.plan[k] for k in ("tp", "pp", "dp", "vp", "cp", "ep",
                                                     "microbatch")]
                     + [_recompute(t.plan).replace(" of layers", ""), t.plan["zero"]]
                     + [t.step_time_s, t.mfu, t.memory_gb_per_gpu]
                     for i, t in enumerate(search.top, 1)]))
    out.print("vs best: " + "; ".join(f"#{i} {t.vs_best}" for i, t in
                                      enumerate(search.top, 1) if i > 1 and t.vs_best))
    rej = ", ".join(f"{k} {fmt(v)}" for k, v in search.rejected.items() if v)
    out.print(f"rejected: {rej or 'none'}")
    if search.fastest_rejected:
        f = search.fastest_rejected
        out.print(f"fastest rejected plan needs {f['memory_gb_per_gpu']:.1f} GB "
                  f"({f['step_time_s']:.3g} s/step): {f['reason']}")
    if p.get("sites", {}).get("convergence_assumption"):
        out.print(f"[yellow]assumption:[/yellow] {p['sites']['convergence_assumption']}")
    if batch_note:
        out.print(f"note: {batch_note}")
    if not cal["calibrated"]:
        out.print(f"[yellow]note:[/yellow] {cal['basis']}")


@app.command("train")
def train(
    model: Optional[str] = typer.Option(None, "--model", help="Catalog model id."),
    model_file: Optional[str] = typer.Option(None, "--model-file", help="Model YAML file."),
    accelerator: str = typer.Option(..., "--accelerator", help="Catalog accelerator id."),
    gpus: int = typer.Option(..., "--gpus", help="Accelerators in the job."),
    tp: Optional[int] = typer.Option(None, "--tp", help="Tensor parallelism."),
    pp: Optional[int] = typer.Option(None, "--pp", help="Pipeline stages."),
    vp: Optional[int] = typer.Option(None, "--vp", help="Virtual stages per pipeline stage."),
    dp: Optional[int] = typer.Option(None, "--dp", help="Data parallelism."),
    cp: Optional[int] = typer.Option(None, "--cp", help="Context parallelism."),
    ep: Optional[int] = typer.Option(None, "--ep", help="Expert parallelism."),
    microbatch: Optional[int] = typer.Option(None, "--microbatch", help="Sequences per "
                                             "micro-batch."),
    global_batch: Optional[int] = typer.Option(None, "--global-batch", help="Sequences per "
                                               "step (default ~2,048 tokens per GPU)."),
    seq_len: Optional[int] = typer.Option(None, "--seq-len", help="Tokens per sequence."),
    recompute: Optional[Literal["none", "selective", "full"]] = typer.Option(
        None, "--recompute", help="Activation recomputation (default: searched)."),
    zero: Optional[Literal[0, 1, 2, 3]] = typer.Option(None, "--zero", help="ZeRO stage "
                                                       "(1: distributed optimizer, 3: FSDP; "
                                                       "default: searched)."),
    zero_group: Optional[int] = typer.Option(None, "--zero-group", help="ZeRO shard-group "
                                             "size (HSDP: shard within, replicate across)."),
    bucket_mb: Optional[float] = typer.Option(None, "--bucket-mb", help="DP bucket / FSDP "
                                              "unit size, MB (default: per layer)."),
    prefetch: Optional[int] = typer.Option(None, "--prefetch", help="FSDP units gathered "
                                           "ahead (default 1; 0: none)."),
    overlap_dp: bool = typer.Option(True, "--overlap-dp/--no-overlap-dp", help="Overlap DP "
                                    "communication with compute."),
    dp_flat_ring: bool = typer.Option(False, "--dp-flat-ring", help="DP gathers through "
                                      "each rank's own NIC only (2021 DeepSpeed ZeRO-3)."),
    sp: Optional[bool] = typer.Option(None, "--sp/--no-sp", help="Sequence parallelism "
                                      "(default: with tp > 1)."),
    attention: Literal["flash", "unfused"] = typer.Option("flash", "--attention",
                                                          help="Attention implementation."),
    sites: Optional[int] = typer.Option(None, "--sites", help="Sites (or halls) the job "
                                        "spans, joined by a WAN."),
    wan_tbps: Optional[float] = typer.Option(None, "--wan-tbps", help="WAN bandwidth per "
                                             "site, Tbit/s, one direction."),
    wan_latency_ms: Optional[float] = typer.Option(None, "--wan-latency-ms", help="WAN "
                                                   "one-way latency, ms."),
    wan_mode: Literal["auto", "dp", "pp", "diloco"] = typer.Option(
        "auto", "--wan-mode", help="Layout across the WAN (diloco: "
                                 "outer sync every --outer-steps; assumes DiLoCo's "
                                 "convergence)."),
    outer_steps: int = typer.Option(500, "--outer-steps", help="DiLoCo inner steps per "
                                    "outer synchronisation."),
    precision: Literal["bf16", "fp8"] = typer.Option("bf16", "--precision",
                                                     help="Training precision."),
    tokens: Optional[float] = typer.Option(None, "--tokens", help="Training tokens (adds "
                                           "days, energy, cost)."),
    max_batch_tokens: Optional[float] = typer.Option(
        None, "--max-batch-tokens", help="Ceiling on the global batch, tokens (default: "
        "DeepSeek LLM critical-batch law from the training compute)."),
    tp_cross_domain: bool = typer.Option(False, "--tp-cross-domain", help="Allow --tp "
                                         "beyond the scale-up domain (over scale-out)."),
    recovery: Literal["restart", "in-memory", "elastic"] = typer.Option(
        "restart", "--recovery", help="With --tokens: recovery mode of the simulated ETTR."),
    stack: Optional[str] = typer.Option(None, "--stack", help="Training software stack "
                                        "whose efficiency set to use (megatron-2021, "
                                        "meta-llama3-2024, nemo-2025, maxtext-2025; "
                                        "default: the family's newest calibrated)."),
    top: int = typer.Option(5, "--top", help="Runners-up to show."),
    json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Predict step time, MFU, memory and time-to-train; omitted plan fields are searched."""
    from ..errors import ValidationError
    from ..perf.training import search_training

    if (model is None) == (model_file is None):
        raise ValidationError("give exactly one of --model ID or --model-file FILE",
                              field="model")
    from ..perf.gemm import training_stack

    from .options import check_precision

    check_precision(accelerator, precision)
    arch = model if model is not None else load_model_file(model_file)
    kw = dict(precision=precision, global_batch=global_batch, seq_len=seq_len, tokens=tokens,
              top_k=top, tp=tp, pp=pp, vp=vp, dp=dp, cp=cp, ep=ep, microbatch=microbatch,
              recompute=recompute, zero=zero, scaling=True, max_batch_tokens=max_batch_tokens,
              zero_group=zero_group, bucket_mb=bucket_mb, prefetch=prefetch,
              overlap_dp=overlap_dp, sp=sp, attention=attention,
              **({"dp_flat_ring": True} if dp_flat_ring else {}),
              **({"sites": sites, "wan_tbps": wan_tbps, "wan_latency_ms": wan_latency_ms,
                  "wan_mode": wan_mode, "outer_steps": outer_steps} if sites is not None else {}),
              **({"tp_cross_domain": True} if tp_cross_domain else {}))
    with training_stack(stack):
        result = search_training(arch, accelerator, gpus, **kw)
        out = _with_interval(result, arch)
    composed = None
    if tokens is not None:
        from ..ops.time_to_train import compose_search

        composed = compose_search(result, recovery=recovery, model=arch)
        composed["gpu_hours"] = gpu_hours(gpus, composed["time_to_train_days"])
        composed["gpu_days"] = composed["gpu_hours"] / 24.0
        out.update(composed)
    if json:
        emit_json(out)
        return
    _print(result, composed, _batch_note(result, global_batch))
    console().print(describe(out))


def _with_interval(result: Any, arch: Any) -> dict[str, Any]:
    """The search's dict with the best plan's P10-P90 interval and calibration basis
    (perf.calibration, from the leave-one-source-out errors of its family)."""
    from ..perf.calibration import attach

    out = result.to_dict()
    best = result.best
    if isinstance(arch, str):
        from ..catalog import load_catalog

        arch = load_catalog().model(arch)
    part = out["best"] if "best" in out else out
    done = attach("training", part, "tokens_per_s", best.calibration["family"],
                  best.precision, bool(getattr(arch, "moe", None)),
                  inverse=("step_time_s", "time_to_train_days"))
    if "best" in out:
        out["best"] = done
        out["interval"], out["calibration"] = done["interval"], done["calibration"]
        return out
    return done
