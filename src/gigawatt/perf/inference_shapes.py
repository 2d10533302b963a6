"""What an LLM's shape costs at inference: parameters, bytes, FLOPs and KV cache per token.

Pure arithmetic on an :class:`~gigawatt.catalog.schema.LLMArchitecture`. Counts follow
the standard transformer accounting (Kaplan et al. 2020, "Scaling Laws for Neural
Language Models", table 1; Pope et al. 2022, "Efficiently Scaling Transformer
Inference", section 2): 2 FLOPs per multiply-accumulate, attention score and value
products 2 x 2 x context x heads x head_dim FLOPs per token and layer, and a KV cache of
2 x layers x kv_heads x head_dim values per token.

Multi-head latent attention (MLA; DeepSeek-AI, "DeepSeek-V2", arXiv 2405.04434, section
2.1) caches ``kv_lora_rank + qk_rope_head_dim`` values per token and layer (the latent and
the shared RoPE key), whatever the number of heads. Its attention weights are the five
projections of :meth:`gigawatt.perf.llm.ModelSpec.mla_matrices`; with weight absorption at
decode the key/value up-projection is applied per head to the query and the attention
output instead of the cache, so linear FLOPs stay 2 per weight and token.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..catalog.schema import LLMArchitecture
from ..errors import ValidationError
from .llm import model_spec

#: bytes per stored weight. FP4 adds one FP8 scale per 16 values (NVFP4 micro-scaling:
#: NVIDIA, "Introducing NVFP4 for efficient and accurate low-precision inference", 2025).
WEIGHT_BYTES: dict[str, float] = {"bf16": 2.0, "fp8": 1.0, "fp4": 0.5 + 1.0 / 16}
#: bytes per KV-cache value by weight precision: FP8 and FP4 deployments keep an FP8 KV
#: cache (TensorRT-LLM's FP8 KV-cache quantisation), BF16 deployments a BF16 one.
KV_BYTES: dict[str, float] = {"bf16": 2.0, "fp8": 1.0, "fp4": 1.0}
#: KV-cache dtypes a user can choose (``--kv-dtype``); attention runs at this precision
#: (FP8 attention on an FP8 cache, BF16 otherwise), whatever the weights' precision.
KV_DTYPES: dict[str, float] = {"bf16": 2.0, "fp8": 1.0}
#: activations exchanged between GPUs (TP all-reduce, EP all-to-all) are BF16.
ACTIVATION_BYTES = 2.0
PRECISIONS = tuple(WEIGHT_BYTES)


@dataclass(frozen=True)
class ModelShape:
    """Parameter and cache accounting of one LLM (all counts are whole-model).

    Attributes
    ----------
    layers, hidden, heads, kv_heads, head_dim : the architecture.
    attention_params : Q, K, V and O projection parameters over all layers.
    dense_ffn_params : FFN parameters of dense layers (and of MoE shared experts).
    expert_params : routed-expert parameters over all MoE layers (0 for dense models).
    active_expert_params : routed-expert parameters one token uses (top-k of them).
    experts, top_k, moe_layers : routed experts per MoE layer, experts per token, MoE layers.
    embedding_params, lm_head_params : input embedding and output projection.
    kv_lora_rank, qk_rope_head_dim, qk_head_dim, v_head_dim : MLA widths (the first 0
        without MLA; the last two then equal head_dim).
    """

    layers: int
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int
    attention_params: float
    dense_ffn_params: float
    expert_params: float
    active_expert_params: float
    experts: int
    top_k: int
    moe_layers: int
    embedding_params: float
    lm_head_params: float
    kv_lora_rank: int = 0
    qk_rope_head_dim: int = 0
    qk_head_dim: int = 0
    v_head_dim: int = 0

    @property
    def is_mla(self) -> bool:
        return self.kv_lora_rank > 0

    @property
    def mla_cache_dim(self) -> int:
        """MLA values cached per token and layer (latent + RoPE key); 0 without MLA."""
        return self.kv_lora_rank + self.qk_rope_head_dim if self.is_mla else 0

    @property
    def total_params(self) -> float:
        """All parameters (tied embeddings counted once)."""
        return (self.attention_params + self.dense_ffn_params + self.expert_params
                + self.embedding_params + self.lm_head_params)

    @property
    def shared_params(self) -> float:
        """Parameters every token uses and TP shards: attention, dense FFN, output head."""
        return self.attention_params + self.dense_ffn_params + self.lm_head_params

    @property
    def active_params(self) -> float:
        """Parameters that multiply each token (excludes the embedding lookup)."""
        return self.shared_params + self.active_expert_params

    def kv_values_per_token(self) -> float:
        """KV-cache values stored per token of context, whole model."""
        if self.is_mla:
            return float(self.layers * self.mla_cache_dim)
        return 2.0 * self.layers * self.kv_heads * self.head_dim

    def decode_attn_flop_per_context_token(self) -> float:
        """Attention FLOPs of one decoded token per token of context and layer, all heads.

        Standard: scores and values ``2 x 2 x heads x head_dim``. MLA, weight-absorbed:
        each head's query (``kv_lora_rank + qk_rope`` wide) is dotted with the cached
        latent and RoPE key, and its output is formed in the ``kv_lora_rank``-wide latent.
        """
        if self.is_mla:
            return 2.0 * self.heads * (self.mla_cache_dim + self.kv_lora_rank)
        return 4.0 * self.heads * self.head_dim

    def prefill_attn_flop_per_causal_pair(self) -> float:
        """Prefill attention FLOPs per unit of ``P (P + 1)`` and layer, all heads (causal:
        half of ``2 x heads x (qk + v)`` per query-key pair). MLA runs non-absorbed here:
        ``qk_nope + qk_rope`` wide scores, ``v_head_dim`` wide values."""
        if self.is_mla:
            return float(self.heads * (self.qk_head_dim + self.v_head_dim))
        return 2.0 * self.heads * self.head_dim

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "total_params": self.total_params,
                "active_params": self.active_params}


def model_shape(arch: LLMArchitecture) -> ModelShape:
    """Split the parameters of an architecture into dense and routed-expert parts.

    The counts come from :class:`~gigawatt.perf.llm.ModelSpec`, the one parameter counter
    the training model uses too (MLA projections included); norms are left out here, as
    serving reads them negligibly.
    """
    spec = model_spec(arch)
    expert_one = spec.expert_params()
    dense_ffn = float((spec.layers - spec.moe_layers) * spec.dense_mlp_params()
                      + spec.moe_layers * (spec.shared_experts * expert_one
                                           + spec.hidden * spec.experts))
    embedding = float(spec.vocab * spec.hidden)
    lm_head = 0.0 if spec.tied_embeddings else embedding
    if spec.tied_embeddings:
        # the tied matrix is still multiplied at the output: count its reads and FLOPs there
        lm_head, embedding = embedding, 0.0
    return ModelShape(
        layers=spec.layers, hidden=spec.hidden, heads=spec.heads, kv_heads=spec.kv_heads,
        head_dim=spec.head_dim, attention_params=float(spec.layers * spec.attn_params()),
        dense_ffn_params=dense_ffn,
        expert_params=float(spec.moe_layers * spec.experts * expert_one),
        active_expert_params=float(spec.moe_layers * spec.top_k * expert_one),
        experts=spec.experts, top_k=spec.top_k, moe_layers=spec.moe_layers,
        embedding_params=embedding, lm_head_params=lm_head,
        kv_lora_rank=spec.kv_lora_rank, qk_rope_head_dim=spec.qk_rope_head_dim,
        qk_head_dim=spec.qk_head_dim, v_head_dim=spec.v_dim)


def kv_dtype_for(precision: str, kv_dtype: str | None = None) -> str:
    """The KV-cache dtype: the one given (validated), else FP8 for FP8/FP4 weights and
    BF16 for BF16 weights."""
    if kv_dtype is None:
        return "bf16" if precision == "bf16" else "fp8"
    if kv_dtype not in KV_DTYPES:
        raise ValidationError(f"kv_dtype '{kv_dtype}' is not supported; allowed: "
                              f"{', '.join(KV_DTYPES)}", field="kv_dtype")
    return kv_dtype


def check_precision(precision: str) -> str:
    """Validate a precision name (bf16, fp8, fp4)."""
    if precision not in WEIGHT_BYTES:
        raise ValidationError(f"precision '{precision}' is not supported; allowed: "
                              f"{', '.join(PRECISIONS)}", field="precision")
    return precision
