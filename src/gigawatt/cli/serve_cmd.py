"""`gigawatt serve`: throughput, latency and serving capacity of an LLM on an accelerator."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Optional

import typer

from . import app
from ..perf.calibration import describe
from ..numfmt import number
from .output import console, emit_json, table


def _demand(cat, demand: str | None, rate: float | None, model, prompt, output, ttft, tpot):
    """The demand to size for (None without --demand/--rate), with CLI overrides."""
    from ..errors import ValidationError
    from ..perf.serving_sizing import as_demand, demand_from_rate

    if demand and rate is not None:
        raise ValidationError("give either --demand or --rate, not both", field="demand")
    if rate is not None:
        return demand_from_rate(model, rate, prompt_tokens=prompt, output_tokens=output,
                                ttft_slo_s=ttft, tpot_slo_s=tpot)
    return as_demand(demand, cat) if demand else None


def _required(name: str, value: Any) -> Any:
    from ..errors import ValidationError

    if value is None:
        raise ValidationError(f"{name} is required (or give --demand, which sets it)",
                              field=name)
    return value


def _operating_point(cat, model, accelerator, a: dict[str, Any]):
    from ..errors import PlanError
    from ..perf.inference import estimate_serving, max_throughput

    common = dict(gpus=a["gpus"], tp=a["tp"], precision=a["precision"],
                  prompt_tokens=a["prompt"], output_tokens=a["output"], catalog=cat,
                  disaggregated=a["disaggregated"], kv_dtype=a["kv_dtype"])
    if a["batch"] is None:
        return max_throughput(model, accelerator, ep=a["ep"], ttft_slo_s=a["ttft"],
                              tpot_slo_s=a["tpot"], **common)
    est = estimate_serving(model, accelerator, ep=a["ep"] or 1, batch=a["batch"], **common)
    if not est.fits:
        raise PlanError(f"batch {a['batch']} does not fit: its KV cache needs more HBM than "
                        f"{accelerator} has left after weights; the largest batch that fits "
                        f"this plan (tp={est.plan['tp']}) is {est.max_batch}", field="batch")
    return est


def _print(est, sized) -> None:
    rows = [["plan", ", ".join(f"{k}={v}" for k, v in est.plan.items())],
            ["output_tokens_per_s (group)", est.output_tokens_per_s],
            ["output_tokens_per_s_per_gpu", est.output_tokens_per_s_per_gpu],
            ["output_tokens_per_s_per_mw", est.output_tokens_per_s_per_mw],
            ["ttft_s", est.ttft_s], ["tpot_s", est.tpot_s],
            ["batch / max batch", f"{est.batch:,} / {est.max_batch:,}"],
            ["weights_gb_per_gpu", est.weights_gb_per_gpu],
            ["kv_cache_gb_per_gpu", est.kv_cache_gb]]
    if sized is not None:
        rows += [["accelerators", sized.accelerators], ["racks", sized.racks],
                 ["it_power_mw", sized.it_power_mw],
                 ["facility_power_mw", sized.facility_power_mw],
                 ["capex_usd", sized.capex_usd],
                 ["usd_per_million_output_tokens", sized.usd_per_million_output_tokens]]
    console().print(table(f"{est.model} on {est.accelerator}, {est.prompt_tokens:,}+"
                          f"{est.output_tokens:,} tokens", ["quantity", "value"], rows))


@app.command("serve")
def serve(
    model: Optional[str] = typer.Option(None, "--model", help="LLM id (catalog models)."),
    model_file: Optional[str] = typer.Option(None, "--model-file", help="Model YAML file "
                                             "(as for train)."),
    accelerator: Optional[str] = typer.Option(None, "--accelerator", help="Accelerator id "
                                              "(with --demand/--rate and no --accelerator: "
                                              "every accelerator, ranked by cost)."),
    gpus: Optional[int] = typer.Option(None, "--gpus", min=1, help="GPUs in the group "
                                       "(a multiple of the replica size)."),
    tp: Optional[int] = typer.Option(None, "--tp", min=1, help="Tensor-parallel degree "
                                     "(default: searched)."),
    ep: Optional[int] = typer.Option(None, "--ep", min=1, help="Expert-parallel degree "
                                     "(default: 1 for dense, searched for MoE)."),
    precision: Literal["bf16", "fp8", "fp4"] = typer.Option("fp8", "--precision",
                                                            help="Weight/compute precision."),
    kv_dtype: Optional[str] = typer.Option(None, "--kv-dtype", help="KV-cache dtype, bf16 "
                                           "| fp8 (attention runs at it; default: fp8 for "
                                           "fp8/fp4 weights, bf16 for bf16)."),
    prompt_tokens: Optional[int] = typer.Option(None, "--prompt-tokens", min=1,
                                                help="Prompt tokens per request."),
    output_tokens: Optional[int] = typer.Option(None, "--output-tokens", min=1,
                                                help="Output tokens per request."),
    batch: Optional[int] = typer.Option(None, "--batch", min=1, help="Concurrent sequences "
                                        "per replica (default: max throughput)."),
    ttft_slo: Optional[float] = typer.Option(None, "--ttft-slo", help="TTFT SLO, s."),
    tpot_slo: Optional[float] = typer.Option(None, "--tpot-slo", help="TPOT SLO, s."),
    demand: Optional[str] = typer.Option(None, "--demand", help="Demand id to size for."),
    rate: Optional[float] = typer.Option(None, "--rate", help="Requests/s to size for."),
    site: Optional[str] = typer.Option(None, "--site", help="Site id (PUE, power price)."),
    life_years: float = typer.Option(5.0, "--life-years", help="Capex amortisation, years."),
    disaggregated: bool = typer.Option(False, "--disaggregated", help="Prefill on "
                                       "separate GPUs."),
    plot: Optional[Path] = typer.Option(None, "--plot", help="Write the throughput-latency "
                                        "frontier as HTML."),
    json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Serving throughput, TTFT/TPOT and memory; with --demand/--rate, the fleet and cost."""
    from ..catalog import load_catalog
    from ..perf.serving_sizing import option_from_estimate

    cat = load_catalog()
    if model_file is not None:
        from ..errors import ValidationError
        from .train_cmd import load_model_file

        if model is not None:
            raise ValidationError("give either --model or --model-file, not both",
                                  field="model")
        model = load_model_file(model_file)
    dem = _demand(cat, demand, rate, model, prompt_tokens, output_tokens, ttft_slo, tpot_slo)
    if dem is not None:
        model = model or dem.model
        prompt_tokens = prompt_tokens or dem.prompt_tokens
        output_tokens = output_tokens or dem.output_tokens
        ttft_slo = ttft_slo if ttft_slo is not None else dem.ttft_slo_s
        tpot_slo = tpot_slo if tpot_slo is not None else dem.tpot_slo_s
    if accelerator is None and dem is not None:
        _ranked(cat, dem, site, life_years, precision, json)
        return
    accelerator = _required("accelerator", accelerator)
    from .options import check_precision

    check_precision(accelerator, precision)
    args = {"gpus": gpus, "tp": tp, "ep": ep if ep is not None else (1 if batch else None),
            "precision": precision, "batch": batch, "ttft": ttft_slo, "tpot": tpot_slo,
            "prompt": _required("prompt_tokens", prompt_tokens),
            "output": _required("output_tokens", output_tokens),
            "disaggregated": disaggregated, "kv_dtype": kv_dtype}
    est = _operating_point(cat, _required("model", model), accelerator, args)
    sized = option_from_estimate(cat, dem, est, site, life_years) if dem else None
    if plot is not None:
        _write_plot(plot, cat, model, accelerator, args, est)
    out = _with_interval(cat, est, model)
    if json:
        if sized is not None:
            out.update({k: v for k, v in sized.to_dict().items()
                        if k not in ("plan", "accelerator", "feasible", "reason", "batch",
                                     "output_tokens_per_s_per_gpu", "ttft_s", "tpot_s")})
            out["demand"] = dem.id
        if plot is not None:
            out["plot"] = str(plot)
        emit_json(out)
        return
    _print(est, sized)
    console().print(describe(out))


def _with_interval(cat, est, model) -> dict[str, Any]:
    """The estimate's dict with its P10-P90 interval and calibration basis."""
    from ..perf.calibration import attach

    arch = cat.model(model) if isinstance(model, str) else model
    return attach("inference", est.to_dict(), "output_tokens_per_s",
                  cat.accelerator(est.accelerator).family, est.plan["precision"],
                  bool(getattr(arch, "moe", None)),
                  inverse=("tpot_s",))


def _ranked(cat, dem, site, life_years: float, precision: str, as_json: bool) -> None:
    """Size the demand on every catalog accelerator, cheapest first."""
    from ..perf.serving_sizing import size_serving

    sz = size_serving(dem, site=site, catalog=cat, life_years=life_years, precision=precision)
    if as_json:
        emit_json(sz.to_dict())
        return
    rows = [[o.accelerator, o.accelerators, o.racks, o.it_power_mw, o.facility_power_mw,
             o.output_tokens_per_s_per_gpu, o.tpot_s, o.usd_per_million_output_tokens,
             _band(cat, o.accelerator, precision, dem.model)]
            for o in sz.options]
    console().print(table(
        f"{dem.id}: {dem.model}, {dem.prompt_tokens:,}+{dem.output_tokens:,} tokens, peak "
        f"{number(sz.peak_output_tokens_per_s)} output tokens/s",
        ["accelerator", "count", "racks", "IT", "facility", "tok/s/GPU", "TPOT",
         "USD per M tokens", "tok/s band"], rows,
        fields=["", "accelerators", "racks", "it_power_mw", "facility_power_mw",
                "tokens_per_s", "tpot_s", "usd_per_million_tokens", ""]))
    for o in sz.options:
        if not o.feasible:
            console().print(f"{o.accelerator}: not feasible: {o.reason}", markup=False)


def _band(cat, accelerator: str, precision: str, model: str) -> str:
    """The P10/P90 error band of an accelerator's serving estimate, and whether its
    family is calibrated (perf.calibration)."""
    from ..perf.calibration import error_band

    b = error_band("inference", cat.accelerator(accelerator).family, precision,
                   bool(getattr(cat.model(model), "moe", None)))
    tag = "" if b["calibrated"] else " uncal."
    return f"{b['error_p10']:+.0%}/{b['error_p90']:+.0%}{tag}"


def _write_plot(path: Path, cat, model, accelerator, a: dict[str, Any], est) -> None:
    from ..perf.inference import serving_frontier
    from ..report.files import write_output_file
    from ..report.serving import frontier_html

    fr = serving_frontier(model, accelerator, prompt_tokens=a["prompt"],
                          output_tokens=a["output"], precision=a["precision"],
                          tp=est.plan["tp"], ep=est.plan["ep"], catalog=cat,
                          disaggregated=a["disaggregated"], kv_dtype=a["kv_dtype"])
    write_output_file(path, frontier_html(fr, est), "--plot")
