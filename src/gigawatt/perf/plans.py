"""Enumerate parallel training plans as numpy arrays, with the reason each invalid one
is rejected (divisibility, bubble, batch). Memory fit is decided by the model later.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .llm import ModelSpec

RECOMPUTE = {"none": 0, "selective": 1, "full": 2}
RECOMPUTE_NAMES = {v: k for k, v in RECOMPUTE.items()}
#: candidate values of searched fields
CANDIDATES: dict[str, tuple[int, ...]] = {
    "cp": (1, 2, 4, 8, 16, 32),
    "vp": (1, 2, 3, 4, 6, 8),
    "microbatch": (1, 2, 4, 8, 16),
    "recompute": (0, 1, 2),
    "zero": (0, 1, 2, 3),
}
#: ZeRO code of the HSDP variant of stage 3 (shard group = the DP ranks of one scale-up
#: domain, replicated across domains) in the enumeration grid
HSDP_CODE = 4
#: fractions of each stage's layers fully recomputed (Megatron --recompute-num-layers)
RECOMPUTE_FRACTIONS = (0.25, 0.5, 0.75, 1.0)
#: tokens per global batch per accelerator when the batch is not given
DEFAULT_BATCH_TOKENS_PER_GPU = 2048


def divisors(n: int, limit: int | None = None) -> list[int]:
    """Divisors of ``n`` up to ``limit``, ascending."""
    limit = n if limit is None else min(n, limit)
    return [d for d in range(1, limit + 1) if n % d == 0]


def default_global_batch(spec: ModelSpec, gpus: int, max_sequences: int | None = None) -> int:
    """Default global batch in sequences: ~2,048 tokens per accelerator (Megatron-LM
    SC21 Table 1 and Llama 3 Table 4 both use 1-2k tokens per GPU), at least 1, and at
    most ``max_sequences`` (the batch ceiling, :mod:`.batch`)."""
    target = max(1, round(gpus * DEFAULT_BATCH_TOKENS_PER_GPU / spec.seq_len))
    return target if max_sequences is None else min(target, max_sequences)


def _candidates(spec: ModelSpec, gpus: int, domain: int, fixed: dict[str, Any]) -> dict:
    c = {"tp": divisors(gpus, domain), "pp": divisors(gpus, spec.layers),
         "cp": [x for x in CANDIDATES["cp"] if x <= gpus],
         "ep": divisors(spec.experts, gpus) if spec.is_moe else [1]}
    for key in ("vp", "microbatch", "recompute", "zero"):
        c[key] = list(CANDIDATES[key])
    for key, value in fixed.items():
        if value is not None and key in c:
            c[key] = [value]
    return c


def _grid(c: dict[str, list[int]]) -> dict[str, np.ndarray]:
    keys = list(c)
    mesh = np.meshgrid(*[np.asarray(c[k], dtype=np.int64) for k in keys], indexing="ij")
    return {k: a.ravel() for k, a in zip(keys, mesh)}


def _recompute_pairs(modes: list[int], fixed: dict[str, Any]) -> list[tuple[int, float]]:
    """(mode, fraction of layers fully recomputed) combinations: a given ``full`` means
    every layer unless ``recompute_fraction`` says otherwise; a searched one tries
    partial recomputation too."""
    frac = fixed.get("recompute_fraction")
    if frac is not None:
        fracs: tuple[float, ...] = (float(frac),)
    elif fixed.get("recompute") is not None:
        fracs = (1.0,)
    else:
        fracs = RECOMPUTE_FRACTIONS
    return [(m, 0.0) for m in modes if m != 2] + ([(2, f) for f in fracs] if 2 in modes
                                                  else [])


def enumerate_plans(spec: ModelSpec, gpus: int, domain: int, fixed: dict[str, Any],
                    ) -> tuple[dict[str, np.ndarray], dict[str, int], int]:
    """Every combination of the searched fields, filtered by divisibility.

    Returns the surviving plans (arrays ``tp pp dp vp cp ep mb gb rc rf zero sp``), the
    number of combinations rejected per reason, and the number of combinations
    considered.
    """
    c = _candidates(spec, gpus, domain, fixed)
    shape = _grid({k: c[k] for k in ("tp", "pp", "cp", "ep", "vp")})
    tp, pp, cp, ep, vp = (shape[k] for k in ("tp", "pp", "cp", "ep", "vp"))
    kv = spec.kv_heads
    ok = gpus % (tp * pp * cp) == 0
    dp = np.where(ok, gpus // np.maximum(tp * pp * cp, 1), 0)
    ok &= spec.heads % tp == 0
    ok &= (kv % tp == 0) | (tp % kv == 0)
    ok &= spec.seq_len % (2 * cp) == 0
    layers = -(-spec.layers // pp)
    ok &= (vp == 1) | ((layers % vp == 0) & (pp > 1))
    ok &= (dp % ep == 0) & (ep <= np.maximum(dp, 1))
    if spec.is_moe:
        ok &= spec.experts % ep == 0
    pairs = _recompute_pairs(c["recompute"], fixed)
    rest = len(c["microbatch"]) * len(pairs) * len(c["zero"])
    rejected = {"divisibility": int((~ok).sum()) * rest, "bubble": 0, "batch": 0,
                "batch_ceiling": 0}
    considered = int(ok.size) * rest
    shape = {k: v[ok] for k, v in {**shape, "dp": dp}.items()}
    given_zg = fixed.get("zero_group")
    # ZeRO code HSDP_CODE: stage 3 sharded within one scale-up domain (HSDP variant)
    zcodes = list(c["zero"]) + ([HSDP_CODE] if 3 in c["zero"] and given_zg is None else [])
    tail = _grid({"i": list(range(len(shape["tp"]))), "mb": c["microbatch"],
                  "pair": list(range(len(pairs))), "zero": zcodes})
    ti, mb = tail["i"], tail["mb"]
    dp_t, pp_t, vp_t = shape["dp"][ti], shape["pp"][ti], shape["vp"][ti]
    local = np.minimum(np.maximum(domain // (shape["tp"] * shape["cp"]), 1), shape["dp"])[ti]
    hsdp = tail["zero"] == HSDP_CODE
    exists = ~hsdp | ((local > 1) & (local < dp_t) & (dp_t % np.maximum(local, 1) == 0))
    considered += int((hsdp & exists).sum())
    gb, good = _global_batch(spec, gpus, fixed, dp_t * mb, mb, exists, rejected)
    m = gb // (dp_t * mb)
    bubble = good & ~((m >= pp_t) & ((vp_t == 1) | (m % pp_t == 0)))
    rejected["bubble"] += int(bubble.sum())
    good &= ~bubble
    zg = np.where(hsdp, local, dp_t)
    if given_zg is not None:
        zg = np.full(zg.shape, int(given_zg))
        bad = good & ~((dp_t % given_zg == 0) & (given_zg <= dp_t))
        rejected["divisibility"] += int(bad.sum())
        good &= ~bad
    idx = np.flatnonzero(good)
    rows = ti[idx]
    p = {k: v[rows] for k, v in shape.items()}
    rc_rf = np.asarray(pairs, dtype=float)[tail["pair"][idx]]
    p.update(mb=mb[idx], rc=rc_rf[:, 0].astype(np.int64), rf=rc_rf[:, 1],
             zero=np.minimum(tail["zero"][idx], 3), gb=gb[idx], zg=zg[idx])
    p["sp"] = p["tp"] > 1 if fixed.get("sp") is None else np.full(p["tp"].shape, bool(
        fixed["sp"]))
    return p, rejected, considered


def _global_batch(spec: ModelSpec, gpus: int, fixed: dict[str, Any], per_step: np.ndarray,
                  mb: np.ndarray, exists: np.ndarray, rejected: dict[str, int],
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Each plan's global batch (sequences) and which plans keep a valid one: a given
    batch must divide by dp x micro-batch; the default (~2,048 tokens per accelerator,
    capped by the batch ceiling ``_max_gb``) is rounded to a multiple of it."""
    gb_fixed = fixed.get("global_batch")
    max_gb = fixed.get("_max_gb")
    if gb_fixed:
        gb = np.full_like(per_step, gb_fixed)
        bad = exists & (gb_fixed % per_step != 0)
        rejected["divisibility"] += int(bad.sum())
    else:
        target = default_global_batch(spec, gpus, max_gb)
        steps = np.maximum(np.rint(target / per_step), 1)
        if max_gb is not None:   # round down where rounding to the nearest would exceed it
            steps = np.maximum(np.minimum(steps, max_gb // per_step), 1)
        gb = per_step * steps.astype(np.int64)
        bad = exists & ~((per_step <= 2 * target) | (mb == 1))   # >= 1 sequence per rank
        rejected["batch"] += int(bad.sum())
    good = exists & ~bad
    if max_gb is not None:       # the ceiling binds every plan: one sequence per DP rank
        over = good & (gb > max_gb)
        rejected["batch_ceiling"] += int(over.sum())
        good &= ~over
    return gb, good
