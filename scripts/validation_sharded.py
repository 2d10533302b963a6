"""Sharded data parallelism (ZeRO-3 / FSDP) vs published runs: prints the markdown section
"## Sharded data parallelism" of docs/validation.md, from the same code that
tests/validation/test_sharded.py runs.

Usage: ``python scripts/validation_sharded.py``.

Each row runs the published plan (no tensor or pipeline parallelism, ZeRO stage 3, the
stated micro-batch and global batch, full recomputation, unfused attention as Megatron
and DeepSpeed ran in 2021) and compares the model TFLOP/s per GPU by the paper's eq. (3)
(which counts the recomputed forward pass) with the published figure. The PTD-P rows of
the same table (T1-T6 in training.csv) are the comparison the paper draws.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "validation" / "data" / "training_sharded.csv"
#: rows are reported and their error bounded loosely; the ranking against PTD-P is asserted
ROW_TOLERANCE = 0.5
#: Megatron eq. (3) padded vocabulary of the SC21 runs
VOCAB = 51200


#: FSDP2 scale-out: the same per-GPU work on one node and on 16 (TorchTitan, Dec 2024)
SCALE_OUT = {
    "id": "TT1", "model": "llama-3.1-8b", "accelerator": "h100-sxm", "seq_len": 8192,
    "microbatch": 2, "gpus": (8, 128), "measured_tokens_per_s_per_gpu": (5762.0, 5605.0),
    "software": "PyTorch FSDP2 (torch 2024-12-23, torchtitan 9dec370), eager, selective AC",
    "source": "pytorch/torchtitan docs/performance.md, Tables 1 and 3: Llama 3.1 8B, 1D "
              "FSDP, local batch 2, on 8 and 128 H100 (Grand Teton, 400 Gb/s RDMA per GPU, "
              "500 W power limit, 96 GB HBM2e)",
}
#: the predicted 128/8 throughput ratio within this many points of the measured one
RATIO_TOLERANCE = 0.05


def scale_out(catalog: Any = None) -> dict[str, Any]:
    """Per-GPU throughput at 128 vs 8 GPUs, predicted and measured (the FSDP scale-out
    cost; absolute throughput is reported but the catalog H100 is not the 500 W part)."""
    from gigawatt.perf import estimate_training

    c = SCALE_OUT
    rate = []
    for n in c["gpus"]:
        e = estimate_training(c["model"], c["accelerator"], n, tp=1, pp=1,
                              microbatch=c["microbatch"], global_batch=c["microbatch"] * n,
                              seq_len=c["seq_len"], recompute="selective", zero=3,
                              catalog=catalog)
        rate.append(e.tokens_per_s / n)
    meas = c["measured_tokens_per_s_per_gpu"]
    pred_ratio, meas_ratio = rate[1] / rate[0], meas[1] / meas[0]
    return {**c, "predicted_tokens_per_s_per_gpu": tuple(rate), "predicted_ratio": pred_ratio,
            "measured_ratio": meas_ratio, "ratio_error": pred_ratio - meas_ratio}


def load_rows(path: Path = DATA) -> list[dict[str, str]]:
    """The published measurements, one dict per row."""
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def eq3_flop_per_step(spec: Any, global_batch: int) -> float:
    """Narayanan et al. eq. (3): 96 B s l h^2 (1 + s/6h + V/16lh), FLOP per step."""
    b, s, l_, h = global_batch, spec.seq_len, spec.layers, spec.hidden
    return 96.0 * b * s * l_ * h * h * (1 + s / (6 * h) + VOCAB / (16 * l_ * h))


def predict(row: dict[str, str], catalog: Any = None, flat: bool = False) -> dict[str, Any]:
    """Run one row through the model; eq. (3) TFLOP/s per GPU, predicted vs published."""
    from dataclasses import replace

    from gigawatt.catalog import load_catalog
    from gigawatt.perf import estimate_training
    from gigawatt.perf.llm import model_spec

    cat = catalog or load_catalog()
    # dropout: the 2021 Megatron/DeepSpeed GPT runs kept Megatron-LM's default 0.1 (its
    # dropout masks are stored for backward, see perf/memory.py)
    spec = replace(model_spec(cat.model(row["model"]), 2048, name=row["model"]), vocab=VOCAB,
                   dropout=float(row["dropout"]))
    gpus, gb = int(row["gpus"]), int(row["global_batch"])
    est = estimate_training(spec, row["accelerator"], gpus, tp=1, pp=1, dp=gpus,
                            microbatch=int(row["microbatch"]), global_batch=gb,
                            recompute="full", zero=int(row["zero"]), catalog=cat,
                            attention="unfused", sp=False, overlap_dp=True,
                            max_batch_tokens=1e9, dp_flat_ring=flat)
    pred = eq3_flop_per_step(spec, gb) / (est.step_time_s * gpus) / 1e12
    meas = float(row["published_tflops_per_gpu"])
    return {"id": row["id"], "source": row["source"], "software": row["software"],
            "measured": meas, "predicted": pred, "error": (pred - meas) / meas,
            "fits": est.fits, "breakdown_s": est.breakdown_s, "step_time_s": est.step_time_s}


def run(catalog: Any = None, flat: bool = False) -> list[dict[str, Any]]:
    """Every row's result (``flat``: each rank's gathers through its own NIC only)."""
    return [predict(r, catalog, flat) for r in load_rows()]


def mape(results: list[dict[str, Any]]) -> float:
    """Mean absolute percentage error as a fraction."""
    return sum(abs(r["error"]) for r in results) / len(results)


def markdown(results: list[dict[str, Any]], flat: list[dict[str, Any]]) -> str:
    """The "## Sharded data parallelism" section."""
    lines = ["## Sharded data parallelism (ZeRO-3 / FSDP)", "",
             "ZeRO-3 without model parallelism, as published, run through "
             "`estimate_training` with the published plan (tp 1, pp 1, stage 3, stated "
             "micro-batch and batch, full recomputation); eq. (3) TFLOP/s per GPU. Data: "
             "`tests/validation/data/training_sharded.csv`. Nothing is fitted. Two runs of "
             "the same model: with NCCL's hierarchical rings (a node's ranks share its "
             "NICs; the default, as NCCL runs today) and with `dp_flat_ring` "
             "(`--dp-flat-ring`: each rank's gathers through its own NIC only). The 2021 "
             "DeepSpeed ZeRO-3 rows match the flat ring, not the hierarchical one: that "
             "software generation did not reach NCCL's multi-NIC bandwidth; with the "
             "default the rows are a **miss** (the model is too optimistic for them).", "",
             f"**MAPE: {mape(results):.1%} (default) / {mape(flat):.1%} (flat ring) over "
             f"{len(results)} rows.**", "",
             "| id | software | measured TFLOP/s | predicted (default) | error | predicted "
             "(flat ring) | error | exposed dp_comm s (flat) |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r, f in zip(results, flat):
        lines.append(f"| {r['id']} | {r['software']} | {r['measured']:.4g} | "
                     f"{r['predicted']:.4g} | {r['error']:+.1%} | {f['predicted']:.4g} | "
                     f"{f['error']:+.1%} | {f['breakdown_s'].get('dp_comm', 0.0):.3g} |")
    so = scale_out()
    lines += ["", f"**FSDP2 scale-out (TT1, {so['software']})**: {so['source']}. Per-GPU "
              f"throughput at 128 GPUs over 8: measured {so['measured_ratio']:.3f}, predicted "
              f"{so['predicted_ratio']:.3f} ({so['ratio_error']:+.3f}; tolerance "
              f"{RATIO_TOLERANCE:.2f}). Absolute tokens/s per GPU, measured "
              f"{so['measured_tokens_per_s_per_gpu'][0]:,.0f} / "
              f"{so['measured_tokens_per_s_per_gpu'][1]:,.0f}, predicted "
              f"{so['predicted_tokens_per_s_per_gpu'][0]:,.0f} / "
              f"{so['predicted_tokens_per_s_per_gpu'][1]:,.0f} on the catalog's 700 W HBM3 "
              "H100 (a **miss** of about +70%, which this check does not attribute: the "
              "measured part runs at 500 W with HBM2e and eager PyTorch, which the catalog "
              "does not describe). "
              "The model under-predicts the scale-out cost: NCCL latency at 128 ranks is "
              "small beside 1.6 s of compute per step."]
    return "\n".join(lines) + "\n"


def main() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    print(markdown(run(), run(flat=True)))


if __name__ == "__main__":
    main()
