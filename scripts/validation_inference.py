"""Inference model vs published serving throughput: prints the markdown section
"## Inference" of docs/validation.md (per-row predicted vs published, error, MAPE), from
the same code that tests/validation/test_inference.py runs.

Usage: ``python scripts/validation_inference.py`` (markdown) or ``--fit`` (re-derive the
serving-stack factors of ``trtllm-1.0`` by Nelder-Mead on all fixed-length rows, as
shipped; ``--fit --subset`` on the cross-validation subset only). scipy comes with linopy.

Each fixed-length row runs through ``gigawatt serve`` in maximum-throughput mode (no
``--batch``, no SLOs) with the row's model, accelerator, GPU count, TP and precision, and
compares the whole group's output tokens/s. Rows whose lengths come from a data set
(MLPerf, ``dataset``) are listed as not run unless both mean lengths can be cited.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "validation" / "data" / "inference.csv"
#: cross-validation: factors fitted on these rows only (H100, Llama 3.1 8B and 3.3 70B)
#: predict the H200 rows and the Llama 3.1 405B (TP8) rows. The shipped factors use all rows.
FIT_MODELS = ("llama-3.1-8b", "llama-3.3-70b")
FIT_ACCELERATORS = ("h100-sxm",)
#: rows beyond MISS_THRESHOLD are marked misses in the docs; ROW_TOLERANCE is the guard
MISS_THRESHOLD = 0.25
ROW_TOLERANCE = 0.45
MAPE_TARGET = 0.15
FIT_NAMES = ("gemm_efficiency", "attention_efficiency", "roofline_overlap_loss",
             "collective_latency_s", "runtime_reserve_gb", "scaleup_efficiency")


def load_rows(path: Path = DATA) -> list[dict[str, str]]:
    """The published measurements, one dict per row (comment lines skipped)."""
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def is_fixed_length(row: dict[str, str]) -> bool:
    return row["prompt_tokens"].isdigit() and row["output_tokens"].isdigit()


def is_check(row: dict[str, str]) -> bool:
    """A held-out check row (MoE serving): never fitted, reported and used for the MoE
    error band."""
    return row.get("role", "") == "check"


def is_fit_row(row: dict[str, str]) -> bool:
    return row["model"] in FIT_MODELS and row["accelerator"] in FIT_ACCELERATORS


def serve_args(row: dict[str, str]) -> list[str]:
    """The `gigawatt serve` command line of one row (maximum-throughput mode)."""
    args = ["serve", "--model", row["model"], "--accelerator", row["accelerator"],
            "--gpus", row["gpus"], "--precision", row["precision"],
            "--prompt-tokens", row["prompt_tokens"], "--output-tokens", row["output_tokens"],
            "--json"]
    if row["tp"]:
        args += ["--tp", row["tp"]]
    if row.get("ep"):
        args += ["--ep", row["ep"]]
    return args


def run_cli(args: list[str]) -> tuple[int, str, str]:
    """Run `gigawatt ARGS` in-process; returns exit code, stdout, stderr."""
    from gigawatt.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(args)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return code, out.getvalue(), err.getvalue()


def predict(row: dict[str, str]) -> dict[str, Any]:
    """Run one fixed-length row through `gigawatt serve`; predicted vs published. A row
    with a published batch (or a stack limit on concurrent sequences) is evaluated at that
    batch, capped at the largest the model fits."""
    args = serve_args(row)
    code, out, err = run_cli(args)
    if code != 0:
        raise RuntimeError(f"gigawatt {' '.join(args)} failed: {err.strip()}")
    res = json.loads(out)
    cap = _batch_cap(row, res)
    if cap is not None:
        code, out, err = run_cli(args + ["--batch", str(cap)])
        if code != 0:
            raise RuntimeError(f"gigawatt {' '.join(args)} --batch {cap} failed: {err}")
        res = json.loads(out)
    published = float(row["output_tokens_per_s_total"])
    predicted = float(res["output_tokens_per_s"])
    return {"id": row["id"], "source": row["source"], "published": published,
            "predicted": predicted, "error": (predicted - published) / published,
            "subset": is_fit_row(row), "batch": res["batch"], "max_batch": res["max_batch"],
            "tpot_s": res["tpot_s"], "plan": res["plan"],
            "source_id": row.get("source_id", ""), "family": _family(row)}


def _batch_cap(row: dict[str, str], res: dict[str, Any]) -> int | None:
    """The batch a row's published conditions impose (None: the model's own maximum)."""
    limit = row.get("batch") or row.get("max_seqs")
    if not limit:
        return None
    b = min(int(limit), int(res["max_batch"]))
    return b if b != int(res["batch"]) else None


def _family(row: dict[str, str]) -> str:
    from gigawatt.catalog import load_catalog

    return load_catalog().accelerator(row["accelerator"]).family


def run() -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Results of every fixed-length row, and the rows not run."""
    rows = load_rows()
    return ([predict(r) for r in rows if is_fixed_length(r) and not is_check(r)],
            [r for r in rows if not is_fixed_length(r)])


def mape(results: list[dict[str, Any]]) -> float:
    """Mean absolute percentage error as a fraction."""
    return sum(abs(r["error"]) for r in results) / len(results) if results else 0.0


def markdown(results: list[dict[str, Any]], not_run: list[dict[str, str]],
             cv: dict[str, Any] | None = None) -> str:
    """The "## Inference" section."""
    from gigawatt.perf.inference_eff import DEFAULT_STACK, STACKS

    stack = STACKS[DEFAULT_STACK]
    factors = ", ".join(f"{n}={getattr(stack, n):g}" for n in FIT_NAMES)
    from gigawatt.perf import calibration

    doc = calibration.load()["inference"]
    loso = {r["id"]: r for r in doc["loso"]}
    fams = "; ".join(f"{f}: gemm {v['gemm_efficiency']:g}, hbm {v['hbm_efficiency']:g} "
                     f"({v['stack']})" for f, v in sorted(doc["params"].items())
                     if "gemm_efficiency" in v and f != "global")
    lo = [loso[r["id"]] for r in results]
    lines = [
        "## Inference", "",
        "`gigawatt serve` in maximum-throughput mode (the largest batch that fits, no SLOs) "
        "with each row's model, accelerator, GPU count, TP and precision; total output "
        "tokens/s of the group. A published batch size (Gaudi 3 table) or a stack limit on "
        "concurrent sequences (vLLM max-num-seqs, AMD table) is applied, capped at the "
        "largest batch the model fits. Data and sources: "
        "`tests/validation/data/inference.csv`. Hopper uses the serving-stack generation "
        f"`{stack.id}`: {factors} fitted jointly on the 24 H100/H200 rows "
        "(`python scripts/validation_inference.py --fit`, rounded); "
        f"hbm_efficiency={stack.hbm_efficiency:g} (estimate, held fixed), "
        f"kv_memory_fraction={stack.kv_memory_fraction:g} (the table's set-up). Every other "
        "family with data gets gemm and HBM efficiency fitted on its own rows over those "
        f"factors (`--calibrate`): {fams}. No per-row factor.", "",
        f"**Leave-one-source-out MAPE: {mape(lo):.1%} over {len(lo)} rows**; in-sample "
        f"{mape(results):.1%}, worst in-sample row "
        f"{max(abs(r['error']) for r in results):.1%}. Targets: LOSO MAPE <= "
        f"{MAPE_TARGET:.0%} per family; rows beyond {MISS_THRESHOLD:.0%} are marked misses "
        f"(guard: each row within {ROW_TOLERANCE:.0%}).", "",
        "| id | family | published tok/s | predicted tok/s | in-sample | LOSO (basis) | "
        "batch (max) | TPOT ms |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        lr = loso[r["id"]]
        miss = " **miss**" if abs(lr["error"]) > MISS_THRESHOLD else ""
        lines.append(f"| {r['id']} | {r['family']} | {r['published']:,.0f} | "
                     f"{r['predicted']:,.0f} | {r['error']:+.1%} | {lr['error']:+.1%}{miss} "
                     f"({lr['basis']}) | {r['batch']} ({r['max_batch']}) | "
                     f"{r['tpot_s'] * 1e3:.1f} |")
    if cv:
        errs = cv["errors"]
        worst = max(errs.values(), key=abs)
        cv_mape = sum(abs(e) for e in errs.values()) / len(errs)
        fitted = ", ".join(f"{n}={cv['factors'][n]:.3g}" for n in FIT_NAMES)
        lines += ["", "**Hopper cross-validation of the six trtllm-1.0 factors.** Fitted on "
                  "the 12 H100 rows of Llama 3.1 8B "
                  f"(TP1) and Llama 3.3 70B (TP2) only ({fitted}), the model predicts the 12 "
                  f"held-out rows (H200 TP1; Llama 3.1 405B on 8x H100, TP8) with MAPE "
                  f"{cv_mape:.1%}, worst {worst:+.1%}" + (
                      f" ({sum(abs(e) > ROW_TOLERANCE for e in errs.values())} row(s) beyond "
                      f"{ROW_TOLERANCE:.0%}: TP8 communication is not identifiable from TP<=2 "
                      "rows)" if abs(worst) > ROW_TOLERANCE else "") + ":", "",
                  "| held-out id | error |", "| --- | ---: |"]
        lines += [f"| {k} | {v:+.1%} |" for k, v in errs.items()]
    checks = doc.get("checks", [])
    if checks:
        lines += ["", f"**MoE serving, held out of every fit** ({len(checks)} rows of the "
                  "same TensorRT-LLM page: Llama 4 Maverick and Qwen3-235B-A22B on 8 GPUs, run "
                  "as the page states: one 8-GPU replica, TP8 with attention DP, i.e. "
                  "attention data-parallel over 8 GPUs and experts over 8 (tp 1, ep 8)): "
                  f"MAPE {mape(checks):.1%}. These misses are not tuned away; they set the "
                  "MoE error band of `gigawatt serve` (P10/P90 of these errors).", "",
                  "| id | error |", "| --- | ---: |"]
        lines += [f"| {r['id']} | {r['error']:+.1%}"
                  f"{' **miss**' if abs(r['error']) > MISS_THRESHOLD else ''} |"
                  for r in checks]
    if not_run:
        lines += ["", "Not run (data-set lengths): the MLPerf Inference v4.1 Llama 2 70B "
                  "offline rows use OpenOrca's length distribution. Its mean output (294.45 "
                  "tokens per sample) is stated in mlcommons/inference "
                  "`language/llama2-70b/README.md`, but we found no citable mean input "
                  "length, so these rows are not modelled:", ""]
        lines += [f"- {r['id']}: {r['accelerator']} x{r['gpus']}, published "
                  f"{float(r['output_tokens_per_s_total']):,.0f} tokens/s ({r['notes']})"
                  for r in not_run]
    return "\n".join(lines) + "\n"


def _row_error(row: dict[str, str], stack: Any, cat: Any) -> float:
    """log(predicted / published) of one row with a given stack, via the library (the
    same conditions as :func:`predict`)."""
    import math

    from gigawatt.perf import estimate_serving, max_throughput

    kw = dict(prompt_tokens=int(row["prompt_tokens"]), output_tokens=int(row["output_tokens"]),
              gpus=int(row["gpus"]), tp=int(row["tp"]) if row["tp"] else None,
              precision=row["precision"], catalog=cat, stack=stack)
    est = max_throughput(row["model"], row["accelerator"],
                         ep=int(row["ep"]) if row.get("ep") else None, **kw)
    cap = _batch_cap(row, {"batch": est.batch, "max_batch": est.max_batch})
    if cap is not None:
        est = estimate_serving(row["model"], row["accelerator"], batch=cap,
                               ep=est.plan["ep"], **{**kw, "tp": est.plan["tp"]})
    return math.log(est.output_tokens_per_s / float(row["output_tokens_per_s_total"]))


def fit(subset: bool = False) -> dict[str, float]:
    """Nelder-Mead on mean |log error| over the stack's free factors (all H100/H200 rows of
    the TensorRT-LLM table, or the cross-validation subset)."""
    import numpy as np
    from scipy.optimize import minimize

    from gigawatt.catalog import load_catalog
    from gigawatt.perf import inference_eff

    cat = load_catalog()
    rows = [r for r in hopper_rows() if (is_fit_row(r) or not subset)]
    base = inference_eff.STACKS[inference_eff.DEFAULT_STACK]
    scale = np.array([1.0, 1.0, 1.0, 1e-5, 1.0, 1.0])
    bounds = [(0.05, 1.0), (0.05, 1.0), (0.0, 1.0), (0.0, 1e-3), (0.5, 20.0), (0.05, 1.0)]

    def loss(z: np.ndarray) -> float:
        x = z * scale
        if any(not lo <= v <= hi for v, (lo, hi) in zip(x, bounds)):
            return 10.0
        stack = replace(base, **dict(zip(FIT_NAMES, map(float, x))))
        return float(np.mean([abs(_row_error(r, stack, cat)) for r in rows]))

    x0 = np.array([getattr(base, n) for n in FIT_NAMES]) / scale
    res = minimize(loss, x0, method="Nelder-Mead", options={"maxiter": 800, "xatol": 1e-4,
                                                            "fatol": 1e-6})
    return {n: float(v) for n, v in zip(FIT_NAMES, res.x * scale)} | {"loss": float(res.fun)}


def hopper_rows() -> list[dict[str, str]]:
    """The TensorRT-LLM H100/H200 rows the shipped ``trtllm-1.0`` factors were fitted on."""
    return [r for r in load_rows() if is_fixed_length(r) and not is_check(r)
            and r["accelerator"] in ("h100-sxm", "h200")]


def cross_validation() -> dict[str, Any]:
    """Fit on the subset, then the errors of the held-out rows with those factors."""
    import math

    from gigawatt.catalog import load_catalog
    from gigawatt.perf import inference_eff

    factors = fit(subset=True)
    base = inference_eff.STACKS[inference_eff.DEFAULT_STACK]
    stack = replace(base, **{n: factors[n] for n in FIT_NAMES})
    cat = load_catalog()
    held = [r for r in hopper_rows() if not is_fit_row(r)]
    errs = {r["id"]: math.exp(_row_error(r, stack, cat)) - 1.0 for r in held}
    return {"factors": factors, "errors": errs}


#: maximum-throughput tables barely separate compute from memory efficiency, so the fitted
#: HBM efficiency is kept in the range sustained-bandwidth measurements of HBM parts span
#: (a prior, not a fit: below half of peak a memory-bound decode would be implausible)
HBM_BOUNDS = (0.5, 0.95)


def _fit_family(rows: list[dict[str, str]], cat: Any, tag: str) -> dict[str, Any]:
    """gemm_efficiency (0.05-1.0) and hbm_efficiency (HBM_BOUNDS), over trtllm-1.0's other
    factors, minimising the mean |log error| of ``rows`` (Nelder-Mead)."""
    import numpy as np
    from scipy.optimize import minimize

    from gigawatt.perf import inference_eff

    base = inference_eff.STACKS[inference_eff.DEFAULT_STACK]

    def loss(x: np.ndarray) -> float:
        if not (0.05 <= x[0] <= 1.0 and HBM_BOUNDS[0] <= x[1] <= HBM_BOUNDS[1]):
            return 10.0
        st = replace(base, gemm_efficiency=float(x[0]), hbm_efficiency=float(x[1]))
        return float(np.mean([abs(_row_error(r, st, cat)) for r in rows]))

    res = minimize(loss, np.array([base.gemm_efficiency, min(base.hbm_efficiency,
                                                             HBM_BOUNDS[1])]),
                   method="Nelder-Mead", options={"maxiter": 60, "xatol": 5e-3, "fatol": 1e-4})
    return {"stack": tag, "gemm_efficiency": round(float(res.x[0]), 3),
            "hbm_efficiency": round(float(res.x[1]), 3), "rows": len(rows),
            "sources": sorted({r["source_id"] for r in rows})}


def _stack_for(fit: dict[str, Any] | None) -> Any:
    from gigawatt.perf import inference_eff

    base = inference_eff.STACKS[inference_eff.DEFAULT_STACK]
    if fit is None or fit.get("shipped"):
        return base
    return replace(base, gemm_efficiency=fit["gemm_efficiency"],
                   hbm_efficiency=fit["hbm_efficiency"])


def calibrate() -> dict[str, Any]:
    """Per-family fits, in-sample errors, leave-one-source-out errors. Hopper keeps the
    shipped 6-factor ``trtllm-1.0`` fit; in its LOSO folds gemm and HBM efficiency are
    refitted on the other Hopper source (the other four factors saw both: optimistic)."""
    import math

    from gigawatt.catalog import load_catalog

    cat = load_catalog()
    every = [r for r in load_rows() if is_fixed_length(r)]
    checks = [r for r in every if is_check(r)]
    rows = [r for r in every if not is_check(r)]
    fam = {r["id"]: cat.accelerator(r["accelerator"]).family for r in every}
    fams = sorted(set(fam.values()))

    def fits_without(src: str | None) -> dict[str, Any]:
        keep = [r for r in rows if r["source_id"] != src]
        out: dict[str, Any] = {}
        for f in fams:
            rs = [r for r in keep if fam[r["id"]] == f]
            if not rs:
                continue
            if f == "hopper" and src is None:
                out[f] = {"stack": "trtllm-1.0", "shipped": True, "rows": len(rs),
                          "sources": sorted({r["source_id"] for r in rs})}
            else:
                out[f] = _fit_family(rs, cat, rs[0]["stack"])
        out["global"] = _fit_family(keep, cat, "pooled")
        return out

    def record(r: dict[str, str], fits: dict[str, Any]) -> dict[str, Any]:
        f = fam[r["id"]]
        fit = fits.get(f) or fits["global"]
        err = math.expm1(_row_error(r, _stack_for(fit), cat))
        moe = bool(getattr(cat.model(r["model"]), "moe", None))
        return {"id": r["id"], "source_id": r["source_id"], "stack": r["stack"], "family": f,
                "precision": r["precision"], "moe": moe, "error": round(err, 5),
                "basis": "family" if f in fits else "global"}

    full = fits_without(None)
    in_sample = [record(r, full) for r in rows]
    loso = []
    for src in sorted({r["source_id"] for r in rows}):
        fits = fits_without(src)
        loso += [record(r, fits) for r in rows if r["source_id"] == src]
    return {"params": full, "in_sample": in_sample, "loso": loso,
            "checks": [record(r, full) for r in checks]}


def main(argv: list[str]) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    if "--calibrate" in argv:
        from validation_training import write_calibration

        write_calibration("inference", calibrate())
        return
    if "--fit" in argv:
        print(fit(subset="--subset" in argv))
        return
    print(markdown(*run(), cross_validation()))


if __name__ == "__main__":
    main(sys.argv[1:])
