"""The ceiling on the global batch: how many tokens one optimizer step may take before
more data parallelism stops buying progress per token.

Beyond the critical batch size a larger batch needs proportionally more tokens to reach
the same loss, so a training estimate that grows the batch with the accelerator count
(2,048 tokens per accelerator at any scale) describes a run nobody would make. The
default ceiling is the compute-optimal batch of the DeepSeek LLM scaling study,

    B_opt = 0.2920 * C ** 0.3271   tokens,  C = M * D,

with M the non-embedding training FLOPs per token and D the training tokens (DeepSeek-AI,
"DeepSeek LLM: Scaling Open-Source Language Models with Longtermism", arXiv 2401.02954,
section 3.1, fitted on grid searches of small compute budgets, so at frontier budgets of
1e24 FLOPs and more it is an extrapolation). Without a token count the run is assumed
compute-optimal in the Chinchilla sense, 20 tokens per parameter (Hoffmann et al.,
"Training Compute-Optimal Large Language Models", arXiv 2203.15556).
``--max-batch-tokens`` overrides the law.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ValidationError
from .llm import ModelSpec

#: DeepSeek LLM (arXiv 2401.02954) eq. (1): B_opt = COEF * C ** EXPONENT tokens
BATCH_LAW_COEF = 0.2920
BATCH_LAW_EXPONENT = 0.3271
#: tokens per parameter of a compute-optimal run (Hoffmann et al. 2022)
CHINCHILLA_TOKENS_PER_PARAM = 20.0
LAW_SOURCE = ("DeepSeek LLM (arXiv 2401.02954) sec. 3.1: B_opt = 0.2920 * C^0.3271 tokens, "
              "C = non-embedding FLOPs/token x tokens")


@dataclass(frozen=True)
class BatchCeiling:
    """The largest global batch a run may use (tokens) and where it comes from."""

    max_batch_tokens: float
    basis: str
    compute_flop: float | None = None
    tokens: float | None = None

    def max_sequences(self, seq_len: int) -> int:
        """The ceiling in sequences of ``seq_len`` tokens (at least 1)."""
        return max(1, int(self.max_batch_tokens // seq_len))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        return {"max_batch_tokens": self.max_batch_tokens, "basis": self.basis,
                "compute_flop": self.compute_flop, "tokens": self.tokens}


def non_embedding_flop_per_token(spec: ModelSpec) -> float:
    """DeepSeek's M: training FLOPs per token without the output layer, FLOP."""
    return spec.model_flop_per_token() - 6.0 * spec.hidden * spec.vocab


def batch_ceiling(spec: ModelSpec, tokens: float | None = None,
                  max_batch_tokens: float | None = None) -> BatchCeiling:
    """The global-batch ceiling of training ``spec`` on ``tokens`` tokens.

    Parameters
    ----------
    spec : ModelSpec
    tokens : float, optional
        Training tokens (default: 20 per parameter, a compute-optimal run).
    max_batch_tokens : float, optional
        An explicit ceiling in tokens; replaces the law.
    """
    if max_batch_tokens is not None:
        if not (isinstance(max_batch_tokens, (int, float)) and max_batch_tokens >= 1
                and max_batch_tokens < 1e15):
            raise ValidationError(f"max_batch_tokens = {max_batch_tokens!r} is out of range; "
                                  "allowed: >= 1 and < 1e15 tokens", field="max_batch_tokens")
        return BatchCeiling(float(max_batch_tokens), "given (--max-batch-tokens)")
    basis = LAW_SOURCE
    if tokens is None:
        tokens = CHINCHILLA_TOKENS_PER_PARAM * spec.params()
        basis += "; tokens assumed 20 per parameter (Chinchilla), give --tokens"
    compute = non_embedding_flop_per_token(spec) * float(tokens)
    return BatchCeiling(BATCH_LAW_COEF * compute ** BATCH_LAW_EXPONENT, basis, compute,
                        float(tokens))
