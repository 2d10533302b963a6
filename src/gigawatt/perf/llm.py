"""Shapes, parameter counts and FLOP counts of a transformer LLM (dense or MoE).

FLOP conventions (so that published figures compare like with like):

* *model FLOPs* per token = 3 x forward (forward + backward), counting every matrix
  multiplication including attention scores over the full (non-causal) ``s x s`` matrix
  and the output logits: for GPT-3-style models this is eq. (3) of Narayanan et al. (SC21)
  without the recomputation term, and the PaLM/Llama MFU convention.
* *hardware FLOPs* add what activation recomputation repeats: one more forward pass with
  full recomputation (Narayanan et al. eq. 3: the factor 4 instead of 3), the attention
  score and value products with selective recomputation (Korthikanti et al.).

Multi-head latent attention (MLA; DeepSeek-AI, "DeepSeek-V2", arXiv 2405.04434, section
2.1, and "DeepSeek-V3", arXiv 2412.19437, section 2.1.1) is counted in its training
(non-absorbed) form: a query down-projection to ``q_lora_rank`` and up-projection to
``heads x (qk_nope + qk_rope)``, a key/value down-projection to ``kv_lora_rank + qk_rope``
and up-projection to ``heads x (qk_nope + v_head)``, an output projection from
``heads x v_head``; scores over ``qk_nope + qk_rope`` wide heads, values ``v_head`` wide.
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
    q_lora_rank: int = 0          # MLA query latent width (0: no query compression)
    kv_lora_rank: int = 0         # MLA key/value latent width (0: no MLA)
    qk_nope_head_dim: int = 0
    qk_rope_head_dim: int = 0
    v_head_dim: int = 0
    #: dropout probability of training (hidden and attention); 0 for the Llama family
    #: (Megatron-Bridge/NeMo ``Llama3Config``: ``hidden_dropout = attention_dropout = 0``),
    #: 0.1 for GPT-3-era Megatron-LM runs (its ``--hidden-dropout`` default). Dropout
    #: masks are stored for backward only when it is above 0 (:mod:`.memory`).
    dropout: float = 0.0

    @property
    def is_mla(self) -> bool:
        return self.kv_lora_rank > 0

    @property
    def qk_head_dim(self) -> int:
        """Query/key width of one head (the RoPE part included with MLA)."""
        return self.qk_nope_head_dim + self.qk_rope_head_dim if self.is_mla else self.head_dim

    @property
    def v_dim(self) -> int:
        """Value width of one head."""
        return self.v_head_dim if self.is_mla else self.head_dim

    @property
    def kv_width(self) -> int:
        """Key plus value elements per token of one layer after projection (what context
        parallelism exchanges): ``2 kv_heads head_dim``, with MLA ``heads (qk + v)``."""
        if self.is_mla:
            return self.heads * (self.qk_head_dim + self.v_dim)
        return 2 * self.kv_dim

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
        """Attention projection weights of one layer (Q, K, V, O; MLA: its five)."""
        if self.is_mla:
            return self.mla_matrices()["total"]
        return self.hidden * (2 * self.q_dim + 2 * self.kv_dim)

    def mla_matrices(self) -> dict[str, int]:
        """Weights of each MLA projection of one layer (elements), and their total."""
        h, n, qk = self.hidden, self.heads, self.qk_head_dim
        if self.q_lora_rank:
            q = {"q_down": h * self.q_lora_rank, "q_up": self.q_lora_rank * n * qk}
        else:
            q = {"q": h * n * qk}
        m = {**q, "kv_down": h * (self.kv_lora_rank + self.qk_rope_head_dim),
             "kv_up": self.kv_lora_rank * n * (self.qk_nope_head_dim + self.v_dim),
             "o": n * self.v_dim * h}
        return {**m, "total": sum(m.values())}

    def norm_params(self) -> int:
        """Norm parameters of one layer: ``4 hidden`` (MLA: plus its latent norms)."""
        latent = self.q_lora_rank + self.kv_lora_rank if self.is_mla else 0
        return 4 * self.hidden + latent

    def dense_mlp_params(self) -> int:
        return self.mlp_mats * self.hidden * self.ffn

    def expert_params(self) -> int:
        """Parameters of one routed expert."""
        return self.mlp_mats * self.hidden * self.expert_ffn

    def embedding_params(self) -> int:
        return self.vocab * self.hidden * (1 if self.tied_embeddings else 2)

    def params(self) -> int:
        """Total parameters (norm weights included, biases ignored)."""
        per_layer = self.attn_params() + self.norm_params()
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
        if self.is_mla:
            return 2.0 * self.seq_len * self.heads * (self.qk_head_dim + self.v_dim)
        return 4.0 * self.seq_len * self.q_dim

    def attn_activation_bytes_per_token(self) -> tuple[int, int]:
        """Attention activations one layer stores per token for backward at 2 bytes per
        element, bytes: (part split by TP, part every TP rank holds).

        Q, K, V and the output projection's input (Korthikanti et al.); with MLA also the
        query and key/value latents before and after their norms (the down-projections
        are replicated across TP ranks, as in Megatron-core's MLA) and the RoPE key.
        """
        if not self.is_mla:
            return 4 * self.q_dim + 4 * self.kv_dim, 0
        split = 4 * self.heads * (self.qk_head_dim + self.v_dim)
        return split, 4 * (self.q_lora_rank + self.kv_lora_rank) + 2 * self.qk_rope_head_dim

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
        dense_layers=moe.dense_layers if moe else 0,
        dropout=float(getattr(arch, "dropout", 0.0) or 0.0), **_mla_fields(arch))


def _mla_fields(arch: Any) -> dict[str, int]:
    """The MLA widths of an architecture (none without an ``mla`` block)."""
    mla = getattr(arch, "mla", None)
    if mla is None:
        return {}
    return {"q_lora_rank": mla.q_lora_rank or 0, "kv_lora_rank": mla.kv_lora_rank,
            "qk_nope_head_dim": mla.qk_nope_head_dim,
            "qk_rope_head_dim": mla.qk_rope_head_dim, "v_head_dim": mla.v_head_dim}
