"""Per-family efficiency curves: GEMM throughput against matrix shape, memory-bound kernels
against HBM bandwidth, and collectives against link bandwidth.

Compute time in the training (and, if wanted, inference) model is never "FLOPs / (peak x
one flat MFU)": each matrix multiplication of shape (m, n, k) runs at

    eff(m, n, k) = gemm_eff_max * m/(m + d0) * n/(n + d0) * k/(k + d0)

of the dense peak, a saturating curve that captures tile and wave under-utilisation of
small or thin matrices (d0 = ``gemm_half_dim``: a dimension of d0 halves throughput). The
parameters are global per accelerator family, never per workload; how each set was
obtained is in its ``basis`` (fitted on which published rows, or a documented default).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from ..errors import UnknownIdError


@dataclass(frozen=True)
class FamilyEfficiency:
    """Efficiency parameters of one accelerator family (all dimensionless unless named).

    Attributes
    ----------
    gemm_eff_max : float
        Fraction of dense peak reached by large BF16 GEMMs.
    gemm_half_dim : float
        Matrix dimension (elements) at which the per-dimension factor is 1/2.
    fp8_gemm_ratio : float
        FP8 GEMM efficiency relative to BF16 (scaling/casting overheads).
    attn_eff_ratio : float
        Fused (flash) attention efficiency relative to a GEMM of the same size.
    mem_eff : float
        Fraction of HBM bandwidth reached by memory-bound kernels.
    ew_traffic : float
        HBM bytes moved by the forward pass's memory-bound kernels (norms, activations,
        dropout, softmax, residuals) per byte of activations it stores (Korthikanti et al.).
    scaleup_eff, scaleout_eff : float
        Achieved bus bandwidth of large collectives over the scale-up domain and the
        scale-out network, as a fraction of the catalog per-accelerator bandwidth.
    scaleup_latency_us : float
        Per-step latency of a collective inside the scale-up domain, µs.
    calibrated : bool
        True when fitted to published training runs of this family.
    basis : str
        How the numbers were obtained.
    """

    family: str
    gemm_eff_max: float
    gemm_half_dim: float
    fp8_gemm_ratio: float
    attn_eff_ratio: float
    mem_eff: float
    ew_traffic: float
    scaleup_eff: float
    scaleout_eff: float
    scaleup_latency_us: float
    calibrated: bool
    basis: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict of the parameters."""
        return asdict(self)


# Ampere: gemm_eff_max and gemm_half_dim were fitted (least squares on log step time over
# a grid, scripts/validation_training.py --fit) on Megatron-LM SC21 Table 1 only (rows
# M1-M10); Table 2 and Korthikanti et al. Table 5 are held out. ew_traffic = 1 is set,
# not fitted (each stored activation byte is written once by a memory-bound kernel).
# The fitted ceiling (0.72) is below cuBLAS's ~0.85 on large A100 GEMMs: it absorbs what
# the model leaves out (kernel launches, stragglers, imperfect overlap). Collective
# efficiencies: nccl-tests all_reduce bus bandwidth on DGX A100, ~230 GB/s of 300 GB/s
# NVLink, and ~23 GB/s of 25 GB/s per HDR port; memory-bound kernels reach ~80% of HBM.
_AMPERE = FamilyEfficiency(
    family="ampere", gemm_eff_max=0.72, gemm_half_dim=128.0, fp8_gemm_ratio=1.0,
    attn_eff_ratio=0.7, mem_eff=0.8, ew_traffic=1.0, scaleup_eff=0.77, scaleout_eff=0.9,
    scaleup_latency_us=5.0, calibrated=True,
    basis="fitted on Megatron-LM SC21 Table 1 (M1-M10); Table 2 and Korthikanti Table 5 "
          "held out; collective efficiencies from nccl-tests on DGX A100")

# Hopper: assumed ceiling 0.74 (~730 of 989 TFLOP/s, the range public cuBLAS BF16
# microbenchmarks of H100 SXM report for large GEMMs; not re-measured here); NVLink4
# all-reduce ~360 of 450 GB/s; curve shape and memory-bound traffic as the ampere fit.
# Set before the Llama 3 rows were run; those rows are held out.
_HOPPER = replace(
    _AMPERE, family="hopper", gemm_eff_max=0.74, fp8_gemm_ratio=0.8, attn_eff_ratio=0.7,
    scaleup_eff=0.8, scaleup_latency_us=5.0, calibrated=False,
    basis="assumed GEMM ceiling 0.74 (public H100 cuBLAS microbenchmark range); curve "
          "shape and memory-bound traffic from the ampere fit; Llama 3 Table 4 held out "
          "(not fitted)")

# Blackwell: cuBLAS BF16 on B200 reaches 1,532-1,652 of 2,250 TFLOP/s for 4096-8192
# GEMMs (pyptx.dev/performance, 2025): ceiling 0.73; the rest as hopper.
_BLACKWELL = replace(
    _HOPPER, family="blackwell", gemm_eff_max=0.73, calibrated=False,
    basis="GEMM ceiling from published cuBLAS B200 microbenchmarks (pyptx.dev/performance); "
          "curve shape and memory-bound traffic from the ampere fit; no published training "
          "run in the validation set")

#: family -> parameters. Families without published calibration use the hopper set as
#: a documented default (``calibrated=False``, reported in every estimate).
FAMILIES: dict[str, FamilyEfficiency] = {
    "ampere": _AMPERE,
    "hopper": _HOPPER,
    "blackwell": _BLACKWELL,
}


#: training software generations: the efficiency set is selected by (stack, family), so
#: old papers and new tables are each compared with the software they ran. Fitted values
#: (``gemm_eff_max`` per stack and family) come from perf/data/calibration.json.
TRAINING_STACKS: dict[str, str] = {
    "megatron-2021": "Megatron-LM on A100 (SC21, Korthikanti et al. 2022)",
    "meta-llama3-2024": "Meta's Llama 3 pre-training stack on H100 (2024)",
    "nemo-2025": "NeMo / Megatron-Bridge containers 25.09-26.04 (Megatron-Core, 2025-26)",
    "maxtext-2025": "MaxText on Cloud TPU (JAX/XLA, 2025)",
    "gaudi-megatron-2024": "Intel Gaudi Megatron-LM fork (Megatron-Core r0.9 base), Intel Gaudi "
                           "software 1.18-1.19 (2024-25)",
    "rocm-megatron-2025": "AMD ROCm NeMo 2.x / Megatron-Core with ROCm Transformer Engine and "
                          "hipBLASLt, ROCm 7.0 (MLPerf Training v5.1 Llama 3.1 8B "
                          "implementation, 2025)",
}

_STACK: ContextVar[str | None] = ContextVar("training_stack", default=None)
_OVERRIDE: ContextVar[dict[str, Any] | None] = ContextVar("training_calibration",
                                                          default=None)


@contextmanager
def training_stack(stack: str | None) -> Iterator[None]:
    """Evaluate training estimates inside with the efficiency set of ``stack``."""
    if stack is not None and stack not in TRAINING_STACKS:
        raise UnknownIdError("training stack", stack, TRAINING_STACKS, field="stack")
    token = _STACK.set(stack)
    try:
        yield
    finally:
        _STACK.reset(token)


@contextmanager
def calibration_override(doc: dict[str, Any]) -> Iterator[None]:
    """Use ``doc`` (the "training" part of calibration.json) instead of the shipped fit
    (the fitting and cross-validation scripts refit with sources left out)."""
    token = _OVERRIDE.set(doc)
    try:
        yield
    finally:
        _OVERRIDE.reset(token)


def _calibration() -> dict[str, Any]:
    doc = _OVERRIDE.get()
    if doc is None:
        from .calibration import load

        doc = load()["training"]
    return doc


def _base(family: str) -> FamilyEfficiency:
    if family in FAMILIES:
        return FAMILIES[family]
    return replace(_HOPPER, family=family, calibrated=False,
                   basis=f"no published calibration for family '{family}': default curve "
                         "(hopper parameters) applied to this accelerator's catalog peaks")


def active_stack(family: str) -> str | None:
    """The training stack in force for a family: the selected one, else the family's
    newest calibrated stack."""
    return _STACK.get() or _calibration().get("default_stack", {}).get(family)


def family_efficiency(family: str) -> FamilyEfficiency:
    """The efficiency parameters of a family under the active training stack.

    Resolution: the fit of (stack, family); else the family's fit over all its stacks;
    else the fit over every family (``calibrated=False``: no data of this family)."""
    base = _base(family)
    doc = _calibration()
    fits = doc.get("params", {})
    stack = active_stack(family)
    for key, calibrated in ((f"{stack}/{family}", True), (family, True), ("global", False)):
        fit = fits.get(key)
        if fit:
            values = {n: float(fit[n]) for n in ("gemm_eff_max", "fp8_gemm_ratio") if n in fit}
            how = (", ".join(f"{n} {v:.3f}" for n, v in values.items())
                   + f" fitted on {fit['rows']} rows of {len(fit['sources'])} source(s) "
                   f"({', '.join(fit['sources'])})")
            if not calibrated:
                how = (f"uncalibrated: no published training run of family '{family}'; "
                       f"{how} of all families")
            elif key == family:
                how += f" (no rows of stack '{stack}')"
            return replace(base, **values, calibrated=calibrated,
                           basis=f"{how}; stack {stack or 'default'}; {base.basis}")
    return base


def gemm_efficiency(m: Any, n: Any, k: Any, eff: FamilyEfficiency) -> np.ndarray:
    """Fraction of dense peak reached by GEMMs of shape (m, n, k) (arrays broadcast)."""
    d0 = eff.gemm_half_dim
    m, n, k = (np.asarray(x, dtype=float) for x in (m, n, k))
    return eff.gemm_eff_max * (m / (m + d0)) * (n / (n + d0)) * (k / (k + d0))


def gemm_time_s(m: Any, n: Any, k: Any, peak_flop_per_s: float,
                eff: FamilyEfficiency, count: Any = 1.0) -> np.ndarray:
    """Time of ``count`` GEMMs of shape (m, n, k) on one accelerator, s.

    Parameters
    ----------
    m, n, k : array_like
        Rows of the output, columns of the output, inner dimension (elements).
    peak_flop_per_s : float
        Dense peak at the precision used, FLOP/s.
    eff : FamilyEfficiency
        Family curve.
    count : array_like
        Number of such GEMMs (batched heads, experts, ...).
    """
    m, n, k = (np.asarray(x, dtype=float) for x in (m, n, k))
    flop = 2.0 * m * n * k * count
    return flop / (peak_flop_per_s * gemm_efficiency(m, n, k, eff))
