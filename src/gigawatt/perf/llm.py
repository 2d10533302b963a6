"""Shapes, parameter counts and FLOP counts of a transformer LLM (dense or MoE).

FLOP conventions (so that published figures compare like with like):

* *model FLOPs* per token = 3 x forward (forward + backward), counting every matrix
  multiplication including attention scores over the full (non-causal) ``s x s`` matrix
  and the output logits: for GPT-3-style models this is eq. (3) of Narayanan et al. (SC21)
  without the recomputation term, and the PaLM/Llama MFU convention.
* *hardware FLOPs* add what activation recomputation repeats: one more forward pass with
  full recomputation (Narayanan et al. eq. 3: the factor 4 instead of 3), the attention
  score and value products with selective recomputation (Korthikanti et al.).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ModelSpec:
    """The numbers the performance model needs about an LLM (dimensions in elements)."""

    name: str
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int
    ffn: int
    vocab: int
    seq_len: int
    gated: bool
    tied_embeddings: bool
    experts: int = 0
    top_k: int = 0
    expert_ffn: int = 0
    shared_experts: int = 0
    dense_layers: int = 0

    @property
    def q_dim(self) -> int:
        return self.heads * self.head_dim

    @property
    def kv_dim(self) -> int:
        return self.kv_heads * self.head_dim

    @property
    def is_moe(self) -> bool:
        return self.experts > 0

    @property
    def moe_layers(self) -> int:
        return self.layers - self.dense_layers if self.is_moe else 0

    @property
    def mlp_mats(self) -> int:
        """Weight matrices per MLP: 3 for gated (SwiGLU), 2 for GELU."""
        return 3 if self.gated else 2

    def attn_params(self) -> int:
        return self.hidden * (2 * self.q_dim + 2 * self.kv_dim)

    def dense_mlp_params(self) -> int:
        return self.mlp_mats * self.hidden * self.ffn

    def expert_params(self) -> int:
        """Parameters of one routed expert."""
        return self.mlp_mats * self.hidden * self.expert_ffn

    def embedding_params(self) -> int:
        return self.vocab * self.hidden * (1 if self.tied_embeddings else 2)

    def params(self) -> int:
        """Total parameters (norm weights included, biases ignored)."""
        per_layer = self.attn_params() + 4 * self.hidden
        dense = (self.layers - self.moe_layers) * self.dense_mlp_params()
        moe = self.moe_layers * ((self.experts + self.shared_experts) * self.expert_params()
                                 + self.hidden * self.experts)
        return self.layers * per_layer + dense + moe + self.embedding_params()

    def active_params(self) -> int:
        """Parameters used per token (routed experts counted top_k times)."""
        if not self.is_moe:
            return self.params()
        unused = self.moe_layers * (self.experts - self.top_k) * self.expert_params()
        return self.params() - unused

    def layer_fwd_flop_per_token(self, moe: bool) -> float:
        """Forward FLOPs of one layer per token, excluding attention over the sequence."""
        attn = 2 * self.attn_params()
        if moe:
            mlp = 2 * (self.top_k + self.shared_experts) * self.expert_params() \
                + 2 * self.hidden * self.experts
        else:
            mlp = 2 * self.dense_mlp_params()
        return float(attn + mlp)

    def attn_core_fwd_flop_per_token(self) -> float:
        """Forward FLOPs of Q K^T and attention x V per token (non-causal count)."""
        return 4.0 * self.seq_len * self.q_dim

    def fwd_flop_per_token(self) -> float:
        """Forward FLOPs of the whole model per token (model-FLOP convention)."""
        dense_layers = self.layers - self.moe_layers
        layers = (dense_layers * self.layer_fwd_flop_per_token(False)
                  + self.moe_layers * self.layer_fwd_flop_per_token(True))
        return layers + self.layers * self.attn_core_fwd_flop_per_token() \
            + 2.0 * self.hidden * self.vocab

    def model_flop_per_token(self) -> float:
        """Training FLOPs per token without recomputation (3 x forward)."""
        return 3.0 * self.fwd_flop_per_token()

    def recompute_flop_per_token(self, recompute: str) -> float:
        """Extra FLOPs per token that activation recomputation repeats."""
        if recompute == "full":
            return self.fwd_flop_per_token() - 2.0 * self.hidden * self.vocab
        if recompute == "selective":
            return self.layers * self.attn_core_fwd_flop_per_token()
        return 0.0


def model_spec(arch: Any, seq_len: int | None = None, name: str | None = None) -> ModelSpec:
    """A :class:`ModelSpec` from a catalog ``LLM`` / ``ModelFile`` / ``LLMArchitecture``."""
    moe = arch.moe
    return ModelSpec(
        name=name or getattr(arch, "name", None) or getattr(arch, "id", "model"),
        layers=arch.layers, hidden=arch.hidden, heads=arch.heads, kv_heads=arch.n_kv_heads,
        head_dim=arch.d_head, ffn=arch.d_ffn, vocab=arch.vocab,
        seq_len=int(seq_len or arch.seq_len), gated=arch.activation == "swiglu",
        tied_embeddings=bool(arch.tied_embeddings),
        experts=moe.experts if moe else 0, top_k=moe.top_k if moe else 0,
        expert_ffn=moe.expert_ffn_hidden if moe else 0,
        shared_experts=moe.shared_experts if moe else 0,
        dense_layers=moe.dense_layers if moe else 0)
