"""Training model vs published runs: prints the markdown section "## Training" of
docs/validation.md (per-row predicted vs measured, error, MAPE), from the same code that
tests/validation/test_training.py runs.

Usage: ``python scripts/validation_training.py`` (markdown), ``--calibrate`` (fit
``gemm_eff_max`` per training stack and accelerator family on every row, then
leave-one-source-out: refit without each source and predict it; writes the "training"
part of src/gigawatt/perf/data/calibration.json), or ``--fit`` (the original 2-parameter
ampere grid on SC21 Table 1 only, printed).

Each row is run with the plan its source states. Fields a source does not state (empty in
the data: micro-batch size, interleaving, recomputation and ZeRO stage for Llama 3) are
searched by the model (the fastest plan that fits, as a tuned run would be). Rows with a
step time (stated, or derived by the source's own FLOP convention) compare step times;
the others compare model TFLOP/s per GPU.
"""

from __future__ import annotations

import csv
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "validation" / "data" / "training.csv"
#: rows used to fit the ampere family parameters; every other row is held out
FIT_ROWS = tuple(f"M{i}" for i in range(1, 11))
#: in-sample: each row within ROW_TOLERANCE, MAPE within MAPE_TARGET; out of sample
#: (LOSO): the issue's target LOSO_TARGET overall and per family (a family above it is
#: reported as a miss), LOSO_FAMILY_CEILING as the regression guard on every family
ROW_TOLERANCE = 0.30
MAPE_TARGET = 0.08
LOSO_TARGET = 0.10
LOSO_FAMILY_CEILING = 0.15

#: published runs outside tests/validation/data/training.csv, reported but not asserted
CHECKS = [{
    "id": "DS1", "model": "deepseek-v3", "accelerator": "h800", "gpus": 2048,
    "precision": "fp8", "seq_len": 4096, "global_batch": 15360,
    "plan": {"tp": 1, "pp": 16, "cp": 1, "ep": 64, "zero": 1,
             "max_batch_tokens": 15360 * 4096},   # 1.9x the DeepSeek LLM law's B_opt
    "metric": "tokens_per_s_per_gpu", "measured": 14.8e12 / (2.664e6 * 3600),
    "source": "DeepSeek-AI, DeepSeek-V3 Technical Report, arXiv 2412.19437: 14.8T tokens in "
              "2.664M H800 GPU-hours of pre-training on 2,048 GPUs (PP16, EP64 over 8 nodes, "
              "ZeRO-1 DP, no TP, FP8, batch up to 15,360 x 4,096 tokens); GPU-hours include "
              "any downtime, so the measured rate is a lower bound",
    "moe": True,
}] + [{
    # Gaudi 2 Llama 3.1 70B rows of the tables whose 8B rows are in training.csv (G1, G2):
    # the recipe's plan (HabanaAI/Megatron-LM examples/llama/README.md: TP8 DP8 PP1,
    # selective recompute, no sequence parallelism with FP8) does not fit 96 GB in the
    # memory model, so recomputation is searched; reported here as a miss, not fitted
    "id": cid, "model": "llama-3.1-70b", "accelerator": "gaudi2", "gpus": 64,
    "precision": "fp8", "seq_len": 8192, "global_batch": 128,
    "plan": {"tp": 8, "pp": 1, "dp": 8, "cp": 1, "zero": 1, "microbatch": 1, "sp": False},
    "metric": "tokens_per_s_per_gpu", "measured": tps / 64,
    "source": f"Intel, Model Performance Data for Intel Gaudi 2 (training, {rel}): Llama 3.1 "
              f"70B, 64 cards, seq 8192, FP8, batch 128, {tps:,} tokens/s; plan from the "
              "HabanaAI/Megatron-LM Llama 3.1 recipe (estimate)",
} for cid, rel, tps in (("GC1", "1.18.0", 43677), ("GC2", "1.19.0", 43332))] + [{
    # MLPerf Training v5.0 Llama 3.1 405B (closed), NVIDIA NeMo 25.01 / 25.04 containers, FP8,
    # MBS 1, distributed optimizer (config_common.sh USE_DIST_OPTIMIZER=True), BF16 gradient
    # reduction (pretrain.py: DistributedDataParallelConfig(grad_reduce_in_fp32=False)), no
    # activation recomputation in any config (recompute left to the search); plan from the
    # config file name and exports (TENSOR/PIPELINE/INTERLEAVED/CONTEXT_PARALLEL); the
    # measured step is the median over each run of tracked_stats train_step_time, then the
    # median of the 3 runs. Held out (software older than the fitted NeMo tables): checks
    "id": cid, "model": "llama-3.1-405b", "accelerator": acc, "gpus": gpus,
    "precision": "fp8", "seq_len": 8192, "global_batch": gbs,
    "plan": {"tp": tp, "pp": 8, "vp": 8, "cp": 2, "dp": gpus // (tp * 16), "zero": 1,
             "microbatch": 1, "sp": True, "max_batch_tokens": gbs * 8192,
             "grad_reduce_fp32": False},
    "metric": "tokens_per_s_per_gpu", "measured": gbs * 8192 / (step_s * gpus),
    "source": f"MLCommons, MLPerf Training v5.0 results (github mlcommons/"
              f"training_results_v5.0, commit 0fdc28f0), {org} {system} llama31_405b: "
              f"result_0-2.txt (median train_step_time {step_s} s, GBS {gbs}) and "
              f"benchmarks/llama31_405b/implementations/{system}/{cfg}",
} for cid, org, system, acc, gpus, tp, gbs, step_s, cfg in (
    ("MP1", "NVIDIA", "tyche_ngpu256_ngc25.04_nemo", "gb200", 256, 4, 448, 19.168,
     "config_GB200_64x4x112xtp4pp8cp2_cg.sh"),
    ("MP2", "NVIDIA", "tyche_ngpu512_ngc25.04_nemo", "gb200", 512, 4, 896, 19.432,
     "config_GB200_128x4x112xtp4pp8cp2_cg_dplast.sh"),
    ("MP3", "IBM+CoreWeave+NVIDIA", "carina_ngpu512_ngc25.04_nemo", "gb200", 512, 4, 896,
     19.278, "config_GB200_128x4x112xtp4pp8cp2.sh"),
    ("MP4", "IBM+CoreWeave+NVIDIA", "carina_ngpu1024_ngc25.04_nemo", "gb200", 1024, 4, 768,
     8.448, "config_GB200_256x4x48xtp4pp8cp2.sh"),
    ("MP5", "IBM+CoreWeave+NVIDIA", "carina_ngpu2048_ngc25.04_nemo", "gb200", 2048, 4, 1280,
     7.158, "config_GB200_512x4x40xtp4pp8cp2.sh"),
    ("MP6", "IBM+CoreWeave+NVIDIA", "carina_ngpu2496_ngc25.04_nemo", "gb200", 2496, 4, 1248,
     5.823, "config_GB200_624x4x32xtp4pp8cp2.sh"),
    ("MP7", "NVIDIA", "eos-dfw_n64_ngc25.01_nemo", "h100-sxm", 512, 8, 1152, 55.143,
     "config_DGXH100_64x8x288xtp8pp8cp2.sh"),
    ("MP8", "NVIDIA", "eos-dfw_n256_ngc25.01_nemo", "h100-sxm", 2048, 8, 1152, 14.222,
     "config_DGXH100_256x8x72xtp8pp8cp2.sh"))]


def load_rows(path: Path = DATA) -> list[dict[str, str]]:
    """The published measurements, one dict per row."""
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _int(v: str) -> int | None:
    return int(v) if v not in ("", None) else None


def _arch(row: dict[str, str]) -> Any:
    from gigawatt.catalog.schema import LLMArchitecture

    return LLMArchitecture(
        layers=int(row["layers"]), hidden=int(row["hidden"]), heads=int(row["heads"]),
        kv_heads=int(row["kv_heads"]), ffn_hidden=int(row["ffn_hidden"]),
        vocab=int(row["vocab"]), seq_len=int(row["seq_len"]), activation=row["activation"],
        tied_embeddings=row["tied_embeddings"] == "true")


def predict(row: dict[str, str], catalog: Any = None) -> dict[str, Any]:
    """Run one published row through the model with the row's training stack."""
    from gigawatt.perf.gemm import training_stack

    with training_stack(row.get("stack") or None):
        return _predict(row, catalog)


def _spec(row: dict[str, str]) -> Any:
    """The row's model with its training dropout (``dropout`` column: 0.1 for the
    Megatron-LM 2021 runs, its ``--hidden-dropout``/``--attention-dropout`` default; 0 for
    the Llama family, whose NeMo/Megatron-Bridge ``Llama3Config`` sets both to 0)."""
    from gigawatt.perf.llm import model_spec

    return replace(model_spec(_arch(row), name=row["model"]), dropout=float(row["dropout"]))


def _predict(row: dict[str, str], catalog: Any = None) -> dict[str, Any]:
    from gigawatt.perf import search_training

    fixed = {k: _int(row[k]) for k in ("tp", "pp", "vp", "dp", "cp", "zero", "microbatch")}
    fixed["recompute"] = row["recompute"] or None
    res = search_training(
        _spec(row), row["accelerator"], int(row["gpus"]), precision=row["precision"],
        global_batch=int(row["global_batch"]), top_k=1, catalog=catalog,
        sp=row["sp"] == "true", attention=row["attention"],
        overlap_dp=row["overlap_dp"] == "true",
        # the published batch is what ran: the ceiling is a planning default, not a limit
        # on reproducing a measurement
        max_batch_tokens=int(row["global_batch"]) * int(row["seq_len"]), **fixed)
    best = res.best
    if row["step_time_s"]:
        metric, measured, predicted = "step_time_s", float(row["step_time_s"]), best.step_time_s
    else:
        metric, measured = "tflops_per_gpu", float(row["published_value"])
        predicted = best.tflops_per_gpu
    return {"id": row["id"], "source": row["source"], "metric": metric,
            "measured": measured, "predicted": predicted,
            "error": (predicted - measured) / measured, "fit": row["id"] in FIT_ROWS,
            "family": best.calibration["family"], "stack": row.get("stack", ""),
            "source_id": row.get("source_id", ""), "precision": row["precision"],
            "plan": best.plan, "hw_tflops_per_gpu": best.hw_tflops_per_gpu,
            "tflops_per_gpu": best.tflops_per_gpu, "mfu": best.mfu,
            "memory_gb_per_gpu": best.memory_gb_per_gpu}


def run(catalog: Any = None) -> list[dict[str, Any]]:
    """Every row's result."""
    return [predict(r, catalog) for r in load_rows()]


def run_checks(catalog: Any = None) -> list[dict[str, Any]]:
    """The out-of-sample checks, each with and without MoE all-to-all overlap."""
    from gigawatt.perf import search_training

    out = []
    for c in CHECKS:
        for overlap in ((True, False) if c.get("moe") else (True,)):
            best = search_training(c["model"], c["accelerator"], c["gpus"],
                                   precision=c["precision"], seq_len=c["seq_len"],
                                   global_batch=c["global_batch"], top_k=1, catalog=catalog,
                                   overlap_ep=overlap, **c["plan"]).best
            pred = best.tokens_per_s / c["gpus"]
            out.append({**c, "overlap_ep": overlap, "predicted": pred, "plan_found": best.plan,
                        "error": (pred - c["measured"]) / c["measured"]})
    return out


def mape(results: list[dict[str, Any]]) -> float:
    """Mean absolute percentage error as a fraction."""
    return sum(abs(r["error"]) for r in results) / len(results)


def _plan_text(p: dict[str, Any]) -> str:
    rc = p["recompute"]
    if rc == "full" and p["recompute_fraction"] < 1:
        rc = f"full on {p['recompute_fraction']:.0%} of layers"
    return (f"tp{p['tp']} pp{p['pp']} dp{p['dp']} vp{p['vp']} cp{p['cp']} mb{p['microbatch']}"
            f" {rc} z{p['zero']}")


def markdown(results: list[dict[str, Any]]) -> str:
    """The "## Training" section: per row the in-sample and leave-one-source-out error."""
    from gigawatt.perf import calibration

    doc = calibration.load()["training"]
    loso = {r["id"]: r for r in doc["loso"]}
    fits = "; ".join(f"{k}: " + ", ".join(f"{n} {v[n]:g}" for n in ("gemm_eff_max",
                                                                    "fp8_gemm_ratio") if n in v)
                     for k, v in sorted(doc["params"].items()) if "/" in k)
    lo = [loso[r["id"]] for r in results]
    lines = [
        "## Training", "",
        "`gigawatt.perf.search_training` run with each published plan (fields the source "
        "does not state are searched) under the row's training stack. Step times are "
        "compared: stated, derived by the source's FLOP convention (Megatron SC21 eq. 3), "
        "batch x sequence / (tokens/s per GPU x GPUs) for the NeMo and MaxText tables, or "
        "global batch / samples per s for the MLPerf logs; "
        "model TFLOP/s per GPU for Llama 3. Data and sources: "
        "`tests/validation/data/training.csv`. One efficiency number per (training stack, "
        "family) is fitted (`python scripts/validation_training.py --calibrate`): "
        "gemm_eff_max, or fp8_gemm_ratio where every row of the group is FP8; the curve "
        "shape (ampere SC21 Table 1 fit), memory and network efficiencies are fixed. "
        f"Fitted: {fits}.", "",
        f"**Leave-one-source-out MAPE: {mape(lo):.1%} over {len(lo)} rows**; in-sample "
        f"{mape(results):.1%}, worst in-sample row "
        f"{max(abs(r['error']) for r in results):.1%}. Guards: in-sample MAPE <= "
        f"{MAPE_TARGET:.0%}, each row within {ROW_TOLERANCE:.0%}; LOSO target "
        f"{LOSO_TARGET:.0%} per family (misses marked). Rows beyond 15% are marked misses.",
        "",
        "| id | source | family | stack | metric | measured | predicted | in-sample | LOSO "
        "(basis) | plan (searched fields filled) |",
        "| --- | --- | --- | --- | --- | ---: | ---: | ---: | ---: | --- |"]
    for r in results:
        src = r["source"].split(",")[0][:40]
        lr = loso[r["id"]]
        miss = " **miss**" if abs(lr["error"]) > 0.15 else ""
        lines.append(f"| {r['id']} | {src} | {r['family']} | {r['stack']} | {r['metric']} | "
                     f"{r['measured']:.4g} | {r['predicted']:.4g} | {r['error']:+.1%} | "
                     f"{lr['error']:+.1%}{miss} ({lr['basis']}) | {_plan_text(r['plan'])} |")
    lines += ["", "### Out-of-sample checks (not in the test data, not asserted)", "",
              "| id | source | metric | measured | predicted | error | note |",
              "| --- | --- | --- | ---: | ---: | ---: | --- |"]
    for c in run_checks():
        note = ("dense; recomputation searched" if not c.get("moe") else
                "MoE all-to-all overlapped with compute (default)" if c["overlap_ep"]
                else "all-to-all fully exposed")
        lines.append(f"| {c['id']} | {c['source']} | {c['metric']} | {c['measured']:.4g} | "
                     f"{c['predicted']:.4g} | {c['error']:+.1%} | {note}; "
                     f"{_plan_text(c['plan_found'])} |")
    return "\n".join(lines) + "\n"


def fit() -> dict[str, float]:
    """Least squares (log step time) over a grid of the two ampere GEMM parameters on the
    fit rows only. ``ew_traffic`` is not fitted: 1.0 (each stored activation byte written
    once by a memory-bound kernel); fitting it too runs it to the grid's lower edge."""
    import itertools

    import numpy as np

    from gigawatt.perf import gemm

    rows = [r for r in load_rows() if r["id"] in FIT_ROWS]
    base = gemm.FAMILIES["ampere"]
    best: tuple[float, dict[str, float]] = (np.inf, {})
    grid = itertools.product(np.arange(0.60, 0.95, 0.01),
                             (16.0, 32.0, 64.0, 96.0, 128.0, 160.0, 192.0, 256.0), (1.0,))
    for e_max, d0, ew in grid:
        gemm.FAMILIES["ampere"] = replace(base, gemm_eff_max=float(e_max),
                                          gemm_half_dim=d0, ew_traffic=ew)
        errs = [np.log(predict(r)["predicted"] / float(r["step_time_s"])) for r in rows]
        sse = float(np.sum(np.square(errs)))
        if sse < best[0]:
            best = (sse, {"gemm_eff_max": round(float(e_max), 3), "gemm_half_dim": d0,
                          "ew_traffic": ew})
    gemm.FAMILIES["ampere"] = base
    return best[1]


def _family(row: dict[str, str], cat: Any) -> str:
    return cat.accelerator(row["accelerator"]).family


def _log_errors(rows: list[dict[str, str]], doc: dict[str, Any], cat: Any) -> list[float]:
    import math

    from gigawatt.perf.gemm import calibration_override

    with calibration_override(doc):
        return [math.log1p(predict(r, cat)["error"]) for r in rows]


def _fit_key(rows: list[dict[str, str]], key: str, cat: Any) -> dict[str, Any]:
    """One efficiency number for ``rows`` under params key ``key``, least squares on the
    log step-time error: ``fp8_gemm_ratio`` (bounded 0.5-1.3) when every row is FP8, so
    FP8 tables do not move the BF16 ceiling; else ``gemm_eff_max`` (0.3-0.95)."""
    import numpy as np
    from scipy.optimize import minimize_scalar

    name, lo, hi = (("fp8_gemm_ratio", 0.5, 1.3) if all(r["precision"] == "fp8" for r in rows)
                    else ("gemm_eff_max", 0.3, 0.95))

    def loss(x: float) -> float:
        doc = {"params": {key: {name: x, "rows": 0, "sources": []}}, "default_stack": {}}
        return float(np.mean(np.square(_log_errors(rows, doc, cat))))

    res = minimize_scalar(loss, bounds=(lo, hi), method="bounded", options={"xatol": 0.004})
    return {name: round(float(res.x), 3), "rows": len(rows),
            "sources": sorted({r["source_id"] for r in rows})}


def fit_all(rows: list[dict[str, str]], cat: Any) -> dict[str, Any]:
    """Fits per (stack, family), per family and over all families, and each family's
    default (newest) stack."""
    from gigawatt.perf.gemm import TRAINING_STACKS

    order = list(TRAINING_STACKS)
    params: dict[str, Any] = {}
    fam = {r["id"]: _family(r, cat) for r in rows}
    groups: dict[str, list] = {}
    for r in rows:
        groups.setdefault(f"{r['stack']}/{fam[r['id']]}", []).append(r)
        groups.setdefault(fam[r["id"]], []).append(r)
    for key, rs in groups.items():
        params[key] = _fit_key(rs, key, cat)
    params["global"] = _fit_key(rows, "global", cat)
    default = {}
    for r in rows:
        f = fam[r["id"]]
        if f not in default or order.index(r["stack"]) > order.index(default[f]):
            default[f] = r["stack"]
    return {"params": params, "default_stack": default}


def _basis(row: dict[str, str], family: str, doc: dict[str, Any]) -> str:
    if f"{row['stack']}/{family}" in doc["params"]:
        return "stack"
    return "family" if family in doc["params"] else "global"


def calibrate() -> dict[str, Any]:
    """Full fit, in-sample errors, and leave-one-source-out errors."""
    from gigawatt.catalog import load_catalog
    from gigawatt.perf.gemm import calibration_override

    cat = load_catalog()
    rows = load_rows()
    full = fit_all(rows, cat)

    def record(r: dict[str, str], doc: dict[str, Any]) -> dict[str, Any]:
        with calibration_override(doc):
            res = predict(r, cat)
        fam = _family(r, cat)
        return {"id": r["id"], "source_id": r["source_id"], "stack": r["stack"],
                "family": fam, "precision": r["precision"], "moe": False,
                "error": round(res["error"], 5), "basis": _basis(r, fam, doc)}

    in_sample = [record(r, full) for r in rows]
    loso = []
    for src in sorted({r["source_id"] for r in rows}):
        doc = fit_all([r for r in rows if r["source_id"] != src], cat)
        loso += [record(r, doc) for r in rows if r["source_id"] == src]
    return {**full, "in_sample": in_sample, "loso": loso}


def write_calibration(kind: str, doc: dict[str, Any]) -> None:
    """Replace the ``kind`` part of src/gigawatt/perf/data/calibration.json."""
    import json

    path = ROOT / "src" / "gigawatt" / "perf" / "data" / "calibration.json"
    path.parent.mkdir(exist_ok=True)
    full = json.loads(path.read_text()) if path.exists() else {}
    full[kind] = doc
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(full, indent=1, sort_keys=True) + "\n")
    tmp.replace(path)


def main(argv: list[str]) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    if "--fit" in argv:
        print(fit())
        return
    if "--calibrate" in argv:
        write_calibration("training", calibrate())
        return
    print(markdown(run()))


if __name__ == "__main__":
    main(sys.argv[1:])
