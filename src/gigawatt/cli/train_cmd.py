"""`gigawatt train`: step time, MFU, memory and time-to-train of an LLM on a cluster, with
the parallel plan searched over every field not given."""

from __future__ import annotations

from typing import Any, Literal, Optional

import typer

from . import app
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


def gpu_hours(est: Any) -> float:
    """Accelerator-hours of the whole run: accelerators x wall-clock hours."""
    return est.gpus * est.time_to_train_days * 24.0


def _batch_note(search: Any, given: int | None) -> str:
    """Say the global batch when the search chose it: it moves step time and MFU a lot."""
    if given is not None:
        return ""
    gb, seq = search.best.plan["global_batch"], search.best.seq_len
    return (f"global batch {gb:,} sequences ({number(gb * seq)} tokens) is the default "
            f"(~{DEFAULT_BATCH_TOKENS_PER_GPU:,} tokens per accelerator, rounded to the "
            "plan); set it with --global-batch")


def _print(search: Any, batch_note: str = "") -> None:
    best = search.best
    out = console()
    cal = best.calibration
    out.print(f"[bold]{best.model}[/bold] on {best.gpus:,} x {best.accelerator} "
              f"({best.precision}, seq {best.seq_len:,}): best of {search.valid:,} valid plans "
              f"({search.evaluated:,} evaluated)")
    p = best.plan
    rows = [["plan", f"tp {p['tp']} pp {p['pp']} dp {p['dp']:,} vp {p['vp']} cp {p['cp']} "
             f"ep {p['ep']}, micro-batch {p['microbatch']}, global batch {p['global_batch']:,}, "
             f"recompute {_recompute(p)}, zero {p['zero']}"],
            ["step_time_s", best.step_time_s], ["tokens_per_s", best.tokens_per_s],
            ["tflops_per_gpu (model)", field("tflops_per_gpu", best.tflops_per_gpu)],
            ["hw_tflops_per_gpu (with recompute)",
             field("tflops_per_gpu", best.hw_tflops_per_gpu)], ["mfu", best.mfu],
            ["memory_gb_per_gpu", f"{best.memory_gb_per_gpu:.1f} of {best.memory_limit_gb:g} GB"]]
    if best.time_to_train_days is not None:
        rows += [["time_to_train_days", best.time_to_train_days],
                 ["GPU-hours", number(gpu_hours(best))],
                 ["GPU-days", number(gpu_hours(best) / 24)],
                 ["energy_mwh", best.energy_mwh], ["cost_usd", best.cost_usd]]
    out.print(table("best plan", ["", "value"], rows))
    total = best.step_time_s
    out.print(table("where the step time goes", ["component", "time_s", "share"],
                    [[k, v, f"{v / total:.1%}"] for k, v in best.breakdown_s.items() if v > 0],
                    fields=["", "time_s", ""]))
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
    precision: Literal["bf16", "fp8"] = typer.Option("bf16", "--precision",
                                                     help="Training precision."),
    tokens: Optional[float] = typer.Option(None, "--tokens", help="Training tokens (adds "
                                           "days, energy, cost)."),
    tp_cross_domain: bool = typer.Option(False, "--tp-cross-domain", help="Allow --tp "
                                         "beyond the scale-up domain (over scale-out)."),
    top: int = typer.Option(5, "--top", help="Runners-up to show."),
    json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Predict step time, MFU, memory and time-to-train; omitted plan fields are searched."""
    from ..errors import ValidationError
    from ..perf.training import search_training

    if (model is None) == (model_file is None):
        raise ValidationError("give exactly one of --model ID or --model-file FILE",
                              field="model")
    arch = model if model is not None else load_model_file(model_file)
    result = search_training(
        arch, accelerator, gpus, precision=precision, global_batch=global_batch,
        seq_len=seq_len, tokens=tokens, top_k=top, tp=tp, pp=pp, vp=vp, dp=dp, cp=cp, ep=ep,
        microbatch=microbatch, recompute=recompute, zero=zero,
        **({"tp_cross_domain": True} if tp_cross_domain else {}))
    if json:
        doc = result.to_dict()
        if result.best.time_to_train_days is not None:
            doc["gpu_hours"] = gpu_hours(result.best)
            doc["gpu_days"] = doc["gpu_hours"] / 24.0
        emit_json(doc)
        return
    _print(result, _batch_note(result, global_batch))
