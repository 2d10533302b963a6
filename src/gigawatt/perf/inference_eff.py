"""Serving-stack efficiency: how much of the hardware's peak a serving stack reaches.

Serving software improves fast (MLPerf Inference: the same 8x H100 system gained about
28% on Llama 2 70B between two rounds), so efficiencies belong to a serving-stack
*generation*, not to an accelerator and never to a single benchmark row. A generation
is one small set of numbers applied to every model, accelerator and sequence length.

The factors are fitted once, jointly, on a whole published table of that generation (not
per row) and the table is then reproduced by the validation test; see
``docs/validation.md``. Generations without their own table must say so in ``source``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from ..errors import UnknownIdError


@dataclass(frozen=True)
class ServingStack:
    """Achieved fractions of peak for one serving-software generation.

    Attributes
    ----------
    id : registry key, e.g. ``trtllm-1.0``.
    year : year of the software release the factors describe.
    gemm_efficiency : achieved fraction of dense peak TFLOP/s in the linear layers
        (weights x activations) of prefill and decode.
    attention_efficiency : achieved fraction of dense peak TFLOP/s in attention
        score/value products (prefill, where they are compute-bound).
    hbm_efficiency : achieved fraction of peak HBM bandwidth when streaming weights and
        the KV cache in decode.
    roofline_overlap_loss : fraction of the shorter of a kernel's memory and compute times
        that is not hidden behind the longer (0: ideal roofline, 1: no overlap).
    collective_latency_s : fixed latency of one TP all-reduce or EP all-to-all, s.
    scaleup_efficiency : achieved fraction of the scale-up link bandwidth in collectives.
    kv_memory_fraction : fraction of the HBM left after weights that the KV cache gets.
    runtime_reserve_gb : HBM per GPU kept for the runtime, activations and workspace, GB.
    source : where the factors come from (the table they were fitted on).
    max_batch : most sequences in flight one engine (attention group) schedules; bounds
        the maximum-throughput point (None: only memory bounds it).
    prefill_chunk_tokens : tokens per scheduler iteration (chunked / batched prefill): a
        prompt shorter than this shares one chunk's per-layer collective latency.
    gemm_half_m : GEMM rows (tokens) at which a linear layer's compute efficiency halves
        (tile under-use of small batches and of few tokens per expert).
    moe_dispatch : how EP moves tokens to their experts: ``"alltoall"`` (each token goes
        to the ranks of its top-k experts) or ``"allgather"`` (every rank gathers every
        rank's tokens and reduce-scatters the expert outputs, whatever top-k is).
    """

    id: str
    year: int
    gemm_efficiency: float
    attention_efficiency: float
    hbm_efficiency: float
    roofline_overlap_loss: float
    collective_latency_s: float
    scaleup_efficiency: float
    kv_memory_fraction: float
    runtime_reserve_gb: float
    source: str
    max_batch: int | None = None
    prefill_chunk_tokens: int = 8192
    gemm_half_m: float = 16.0
    moe_dispatch: str = "alltoall"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_TRTLLM_TABLE = ("NVIDIA/TensorRT-LLM docs/source/performance/perf-overview.md (v1.0 docs, "
                 "commit 00f37686), trtllm-bench offline maximum throughput, FP8, H100/H200")

#: serving-stack generations; the first is the default.
STACKS: dict[str, ServingStack] = {
    "trtllm-1.0": ServingStack(
        id="trtllm-1.0", year=2025,
        gemm_efficiency=0.54, attention_efficiency=0.36, hbm_efficiency=0.90,
        roofline_overlap_loss=0.15, collective_latency_s=31e-6, scaleup_efficiency=0.63,
        kv_memory_fraction=0.90, runtime_reserve_gb=3.9,
        source=(f"gemm and attention efficiency, overlap loss, collective latency, scale-up "
                f"bandwidth efficiency and runtime reserve fitted jointly (6 numbers for all "
                f"24 H100/H200 rows, none per row, rounded; "
                f"scripts/validation_inference.py --fit) on "
                f"{_TRTLLM_TABLE}; HBM efficiency 0.90 is an estimate (sustained copy "
                f"bandwidth of HBM3 parts), held fixed; KV memory fraction 0.90 as stated in "
                f"that table's set-up (0.90-0.95); max_batch 2048 and prefill chunk 8192 "
                f"tokens are TensorRT-LLM's defaults (LLM API max_batch_size, BuildConfig "
                f"max_num_tokens); gemm_half_m 16 is an estimate (decode GEMMs with few "
                f"tokens run swap-AB with 8-16-wide token tiles, not 128-row tiles); MoE "
                f"dispatch is all-gather + reduce-scatter: with attention DP the v1.0 "
                f"PyTorch MoE (tensorrt_llm/_torch/modules/fused_moe, AlltoallMethodType / "
                f"select_alltoall_method_type: MNNVL, else DeepEP, else not enabled; read "
                f"at a later commit than the table's, an estimate for v1.0) uses an "
                f"all-to-all only with MNNVL (GB200 NVL72) or DeepEP, and "
                f"allgather/reducescatter otherwise (DGX H100/H200/B200 of that table)"),
        max_batch=2048, prefill_chunk_tokens=8192, gemm_half_m=16.0,
        moe_dispatch="allgather"),
}
DEFAULT_STACK = "trtllm-1.0"


def family_stack(family: str) -> ServingStack | None:
    """The serving stack calibrated for an accelerator family (perf/data/calibration.json:
    gemm and HBM efficiency fitted on that family's published rows over the default
    stack's other factors). A family without published serving data gets the fit over
    every family's rows (``pooled@family``), as its leave-one-source-out prediction did;
    None only when there is no calibration file."""
    from .calibration import params

    fit, own = params("inference", family), True
    if not fit:
        fit, own = params("inference", "global"), False
    if not fit:
        return None
    if fit.get("shipped"):
        return STACKS[fit["stack"]]
    base = STACKS[DEFAULT_STACK]
    limit = base.max_batch if fit["stack"].startswith("trtllm") else None
    what = (f"{family} rows" if own else "rows of every family with data (uncalibrated: no "
            f"published serving measurement of family '{family}')")
    return replace(base, id=f"{fit['stack']}@{family}", max_batch=limit,
                   gemm_efficiency=float(fit["gemm_efficiency"]),
                   hbm_efficiency=float(fit["hbm_efficiency"]),
                   source=(f"gemm_efficiency and hbm_efficiency fitted on {fit['rows']} "
                           f"{what} ({', '.join(fit['sources'])}); other factors from "
                           f"{base.id}"))


def serving_stack(stack: str | ServingStack | None = None,
                  family: str | None = None) -> ServingStack:
    """A serving stack by id, the object itself, or (``None``) the stack calibrated for
    ``family`` (default stack when that family has none)."""
    if isinstance(stack, ServingStack):
        return stack
    if stack is None and family is not None:
        fam = family_stack(family)
        if fam is not None:
            return fam
    key = stack or DEFAULT_STACK
    if key not in STACKS:
        raise UnknownIdError("serving stack", key, STACKS, field="stack")
    return STACKS[key]
