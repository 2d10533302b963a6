"""The ceiling on a training run's global batch: the critical batch size as a power of
training compute.

DeepSeek-AI, "DeepSeek LLM: Scaling Open-Source Language Models with Longtermism"
(arXiv 2401.02954, Jan 2024), section 3.1, eq. (1): the near-optimal batch size
B_opt = 0.2920 * C^0.3271 tokens for a compute budget C (FLOP), fitted on IsoFLOP sweeps
from 1e17 to 3e20 FLOP; beyond it larger batches waste tokens (loss per token rises).
Extrapolated to frontier budgets it gives ~21M tokens at 1e24 FLOP and ~68M at Llama 3
405B's 3.8e25 FLOP (which ended its pre-training at a 16M-token batch, arXiv 2407.21783
section 3.4.1): an upper bound, not what every run uses.
"""

from __future__ import annotations

import math

B_OPT_COEFF = 0.2920
B_OPT_EXPONENT = 0.3271
SOURCE = "DeepSeek LLM (arXiv 2401.02954) eq. 1: B_opt = 0.2920 C^0.3271 tokens"


def critical_batch_tokens(training_flop: float) -> float:
    """Largest useful global batch, tokens, for a run of ``training_flop`` FLOP."""
    c = float(training_flop)
    if not (math.isfinite(c) and c > 0):
        raise ValueError(f"training compute must be finite and > 0, got {training_flop!r}")
    return B_OPT_COEFF * c ** B_OPT_EXPONENT
