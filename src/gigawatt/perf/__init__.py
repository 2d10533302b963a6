"""Performance models: training (step time, MFU, memory, plan search) and inference
(prefill/decode, TTFT/TPOT, throughput, serving-capacity sizing).

Names are resolved lazily so ``import gigawatt.perf`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

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


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'gigawatt.perf' has no attribute '{name}'")


__all__ = list(_EXPORTS)
