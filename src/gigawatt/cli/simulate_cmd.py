"""`gigawatt simulate`: failures, checkpoints, recovery, spares and power of a cluster."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import typer

from ..errors import InputFileError, ValidationError
from . import app
from ..numfmt import number
from .output import console, emit_json, fmt, table

_RECOVERY = ("restart", "in-memory", "elastic")


def _interval(text: str) -> float | str:
    """``--checkpoint-interval-min``: a number of minutes or a policy name."""
    import math

    try:
        minutes = float(text)
    except ValueError:
        return text
    if not (math.isfinite(minutes) and 0 < minutes <= 60 * 24 * 365):
        raise ValidationError(f"{text!r} is not allowed; allowed: minutes > 0 and <= "
                              "525600, or auto | young", field="--checkpoint-interval-min")
    return minutes


def _read_plan(path: str) -> Any:
    import json

    p = Path(path)
    f = p / "plan.json" if p.is_dir() else p
    if not f.is_file():
        raise InputFileError(f"no plan.json in '{path}' (write one with gigawatt plan --out "
                             "DIR)", file=str(f))
    def no_constants(name: str) -> None:
        raise ValueError(f"{name} is not a number a plan can hold")

    try:
        return json.loads(f.read_text(encoding="utf-8"), parse_constant=no_constants)
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError is a ValueError
        raise InputFileError(f"not a JSON document (a gigawatt plan): {exc}", file=str(f)) from None
    except RecursionError:
        raise InputFileError("not a JSON document (a gigawatt plan): nested too "
                             "deeply", file=str(f)) from None


def _print(d: dict[str, Any]) -> None:
    out = console()
    lost = d["lost_gpu_hours_by_reason"]
    out.print(f"simulate: {fmt(d['gpus'])} x {d['accelerator']} ({fmt(d['job_gpus'])} in the "
              f"training job), {fmt(d['days'])} days, recovery {d['recovery']}, seed {d['seed']}")
    out.print(table("result", ["figure", "value"], [
        ["ettr", d["ettr"]],
        ["failure rate (per 1000 node-days)", number(d["failure_rate_per_1000_node_days"])],
        ["interruptions (unexpected / planned)",
         f"{d['interruptions']['unexpected']} / {d['interruptions']['planned']}"],
        ["mtbf_h", d["mtbf_h"]], ["checkpoint_interval_min", d["checkpoint"]["interval_min"]],
        ["spare_nodes", d["spare_nodes"]], ["utilisation", d["utilisation"]],
        ["energy_mwh", d["energy_mwh"]], ["peak_facility_power_mw", d["peak_facility_power_mw"]],
        ["max_power_swing_mw", d["max_power_swing_mw"]]]
        + ([["sim_wall_s", d["sim_wall_s"]]] if "sim_wall_s" in d else [])))
    out.print(table("lost GPU-hours by reason", ["reason", "lost_gpu_hours"],
                    [[k, v] for k, v in lost.items()] + [["total", d["lost_gpu_hours"]]]))
    out.print(table("unexpected interruptions by cause", ["cause", "count"],
                    sorted(d["interruptions"]["by_cause"].items(), key=lambda kv: -kv[1])))


def _read_jobs(path: str) -> Any:
    from ..yamlio import read_yaml

    data = read_yaml(path).data
    return data.get("jobs") if isinstance(data, dict) else data


def _print_jobs(d: dict[str, Any]) -> None:
    out = console()
    t = d["totals"]
    out.print(table("simulate --jobs: totals", ["figure", "value"],
                    [[k, v] for k, v in t.items()]))
    out.print(table("jobs", ["id", "gpus", "prio", "submit_h", "start_h", "finish_h",
                             "wait_h", "ettr", "interrupts"],
                    [[j["id"], j["gpus"], j["priority"], j["submit_h"], j["start_h"],
                      j["finish_h"], j["wait_h"], j["ettr"], j["interruptions"]]
                     for j in d["jobs"]]))


def _print_plan(d: dict[str, Any]) -> None:
    out = console()
    out.print(table("simulate --plan: clusters (stops: interruptions, unexpected + planned)",
                    ["phase", "site", "accelerator", "count", "ettr", "stops", "energy_mwh"],
                    [[c["phase"], c["site"], c["accelerator"], c["count"], c["ettr"],
                      c["interruptions"]["total"], c["energy_mwh"]] for c in d["clusters"]]))
    out.print(table("site power", ["phase", "site", "peak_facility_power_mw", "limit_mw",
                                   "hours_over_limit"],
                    [[s["phase"], s["site"], s["peak_facility_power_mw"], s["limit_mw"],
                      s["hours_over_limit"]] for s in d["site_power"]]))


@app.command("simulate")
def simulate(
    gpus: int = typer.Option(None, "--gpus", help="Accelerators in the cluster (8 per node)."),
    days: float = typer.Option(..., "--days", help="Simulated time, days."),
    job_gpus: int = typer.Option(None, "--job-gpus", help="Accelerators of the training job "
                                 "(default: all); the rest serve inference."),
    checkpoint_interval_min: str = typer.Option("auto", "--checkpoint-interval-min",
                                                help="Minutes of compute between checkpoints, "
                                                "or auto (Daly's optimum) | young."),
    restart_min: float = typer.Option(None, "--restart-min", help="Restart time after a "
                                      "failure, minutes (default 8; in-memory 2)."),
    recovery: Literal["restart", "in-memory", "elastic"] = typer.Option(
        "restart", "--recovery", help="How the job recovers from a failure."),
    failure_rate: float = typer.Option(None, "--failure-rate", help="Unexpected failures per "
                                       "1000 node-days, scaling the default mix (default 3.79, "
                                       "Llama 3)."),
    failure_scale: float = typer.Option(1.0, "--failure-scale", help="Multiplier on the "
                                        "failure rate (default or --failure-rate): 2 = twice "
                                        "as many failures of every cause."),
    seed: int = typer.Option(0, "--seed", help="Seed; same seed, same result."),
    accelerator: str = typer.Option("h100-sxm", "--accelerator", help="Catalog accelerator id."),
    spare_nodes: str = typer.Option("auto", "--spare-nodes", help="Hot spare nodes, or auto."),
    failure_model: str = typer.Option(None, "--failure-model", help="A failure-model YAML "
                                      "file in the format of the built-in one "
                                      "(gigawatt/ops/data/failures.yaml)."),
    plan: str = typer.Option(None, "--plan", help="Simulate the clusters of a `gigawatt plan "
                             "--out DIR` output (DIR or DIR/plan.json)."),
    jobs: str = typer.Option(None, "--jobs", help="YAML list of training jobs {id, gpus, "
                             "work_h|work_days, submit_h, priority} sharing the cluster; idle "
                             "accelerators serve inference."),
    scheduler: Literal["fifo", "priority", "backfill"] = typer.Option(
        "backfill", "--scheduler", help="With --jobs: the queue policy (backfill: EASY)."),
    report: str = typer.Option(None, "--report", help="Write an HTML report with the time "
                               "series to this folder."),
    timings: bool = typer.Option(False, "--timings", help="Add sim_wall_s (wall time "
                                 "spent simulating, s) to the output; without it the same "
                                 "seed gives the same bytes."),
    json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Simulate failures, checkpoints, recovery, spares and power of a training cluster."""
    from ..ops import simulate as run, simulate_plan

    if recovery not in _RECOVERY:
        raise ValidationError(f"{recovery!r} is not allowed; allowed: "
                              f"{', '.join(_RECOVERY)}", field="--recovery")
    if report is not None:
        from ..report.folder import check_report_folder
        check_report_folder(Path(report), "--report")  # before simulating, not after
    spares: int | str = spare_nodes if spare_nodes == "auto" else _int(spare_nodes)
    kw = dict(checkpoint_interval_min=_interval(checkpoint_interval_min),
              restart_min=restart_min, recovery=recovery, failure_rate=failure_rate,
              spare_nodes=spares)
    if failure_scale != 1.0:
        if not 0 <= failure_scale < 1e6:  # NaN fails too
            raise ValidationError(f"{failure_scale} is out of range; allowed: 0 to 1e6 "
                                  "(a multiplier on the failure rate)", field="--failure-scale")
        kw["failure_multiplier"] = failure_scale
    if failure_model is not None:
        from ..ops import load_failure_model

        kw["failure_model"] = load_failure_model(failure_model)
    if jobs is not None:
        if gpus is None or plan is not None or job_gpus is not None:
            raise ValidationError("--jobs needs --gpus (the cluster) and takes neither --plan "
                                  "nor --job-gpus", field="--jobs")
        from ..ops import simulate_jobs

        res = simulate_jobs(gpus, days, _read_jobs(jobs), scheduler=scheduler, seed=seed,
                            accelerator=accelerator, **kw)
    elif plan is not None:
        if gpus is not None or job_gpus is not None:
            raise ValidationError("--plan takes the cluster sizes from the plan; drop --gpus "
                                  "and --job-gpus", field="--plan")
        res = simulate_plan(_read_plan(plan), days, seed=seed, **kw)
    else:
        if gpus is None:
            raise ValidationError("--gpus is required (or --plan DIR)", field="--gpus")
        res = run(gpus, days, job_gpus=job_gpus, seed=seed, accelerator=accelerator, **kw)
    doc = res.to_dict(timings=timings)
    if report is not None:
        from ..report.ops import write_ops_report

        doc["report"] = str(write_ops_report(res, Path(report)))
    if json:
        emit_json(doc)
    elif jobs is not None:
        _print_jobs(doc)
    elif plan is not None:
        _print_plan(doc)
    else:
        _print(doc)
    if report is not None and not json:
        console().print(f"report: {doc['report']}")


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValidationError(f"{text!r} is not allowed; allowed: a whole "
                              "number >= 0 or auto", field="--spare-nodes") from None
