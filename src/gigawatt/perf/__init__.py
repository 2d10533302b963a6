"""Performance models: training (step time, MFU, memory, plan search) and inference
(prefill/decode, TTFT/TPOT, throughput, serving-capacity sizing).

Names are resolved lazily so ``import gigawatt.perf`` stays cheap.
"""

from __future__ import annotations

from ..lazy import lazy_getattr

#: public name -> submodule that defines it
_EXPORTS: dict[str, str] = {
    # training (gigawatt.perf.training)
    "estimate_training": "training",
    "search_training": "training",
    "TrainingEstimate": "training",
    "TrainingSearch": "training",
    "family_efficiency": "gemm",
    "gemm_time_s": "gemm",
    # inference (gigawatt.perf.inference)
    "estimate_serving": "inference",
    "max_throughput": "inference",
    "size_serving": "inference",
    "serving_frontier": "inference",
    "ServingEstimate": "inference",
    "ServingFrontier": "inference",
    "ServingSizing": "serving_sizing",
    "ServingDemand": "serving_sizing",
    "demand_from_rate": "serving_sizing",
}


__getattr__ = lazy_getattr(__name__, _EXPORTS)


__all__ = list(_EXPORTS)
