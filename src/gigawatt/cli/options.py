"""Shared validation of command-line input: the range of every numeric flag of every
command, stated once, and the precisions an accelerator supports.

:func:`bound_numbers` wraps the type of each integer and float option of every command
so that NaN, infinity and values outside the option's range are refused while the
command line is parsed (one usage line, exit 2), with the range in the message. Ranges
come from :data:`RANGES` by option name, so ``--gpus`` has the same limit in ``train``,
``serve``, ``size`` and ``simulate``; an option not listed gets :data:`DEFAULT_RANGE`.
"""

from __future__ import annotations

import math
from typing import Any

from ..limits import (MAX_BATCH_TOKENS, MAX_COUNT, MAX_DAYS, MAX_MAGNITUDE, MAX_RATE,
                      MAX_TOKENS, range_text)

#: (low, high, low is exclusive) per option (the Python parameter name).
RANGES: dict[str, tuple[float, float, bool]] = {
    **{name: (1, MAX_COUNT, False) for name in (
        "gpus", "job_gpus", "count", "tp", "pp", "vp", "dp", "cp", "ep", "microbatch",
        "global_batch", "batch", "chunk_size")},
    "seq_len": (1, MAX_BATCH_TOKENS, False),
    "prompt_tokens": (1, MAX_BATCH_TOKENS, False),
    "output_tokens": (1, MAX_BATCH_TOKENS, False),
    "tokens": (0, MAX_TOKENS, True),
    "zero": (0, 3, False),
    "top": (1, 1000, False),
    "workers": (1, 4096, False),
    "draws": (1, 10_000_000, False),
    "seed": (0, 2**63 - 1, False),
    "days": (0, MAX_DAYS, True),
    "rate": (0, MAX_RATE, True),
    "failure_rate": (0, MAX_RATE, False),
    "restart_min": (0, 60 * 24 * 30, False),
    "ttft_slo": (0, 86_400, True),
    "tpot_slo": (0, 3_600, True),
    "life_years": (0, 30, True),
    "time_limit_s": (1, 3600, False),
}
#: Any other numeric option: finite, of at most this magnitude.
DEFAULT_RANGE = (-MAX_MAGNITUDE, MAX_MAGNITUDE, False)


def bound_numbers(command: Any) -> Any:
    """Check every numeric option of ``command`` (a click group or command) and its
    sub-commands against its range as the command line is parsed; returns ``command``."""
    for sub in getattr(command, "commands", {}).values():
        bound_numbers(sub)
    for param in getattr(command, "params", []):
        if _is_numeric(param):
            lo, hi, lo_open = RANGES.get(param.name or "", DEFAULT_RANGE)
            param.process_value = _checked(param, param.process_value, lo, hi, lo_open)
            if param.help and "allowed" not in param.help:
                param.help = f"{param.help} (allowed: {range_text(lo, hi, lo_open)})"
    return command


def _is_numeric(param: Any) -> bool:
    default = getattr(param, "default", None)
    kind = str(getattr(param, "type_descriptor", "") or getattr(param, "type", ""))
    if isinstance(default, (int, float)) and not isinstance(default, bool):
        return True
    return any(k in kind.lower() for k in ("int", "float")) and "bool" not in kind.lower()


def _checked(param: Any, process: Any, lo: float, hi: float, lo_open: bool) -> Any:
    """``param``'s own conversion, then: finite and in ``lo..hi`` (else one
    ``error: --flag: ...`` line, exit 2, as for every other bad input)."""
    from ..errors import ValidationError

    flag = max(param.opts, key=len) if getattr(param, "opts", None) else param.name

    def process_value(ctx: Any, value: Any) -> Any:
        v = process(ctx, value)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return v
        allowed = range_text(lo, hi, lo_open)
        if isinstance(v, float) and not math.isfinite(v):
            raise ValidationError(f"{v!r} is not a finite number; allowed: {allowed}",
                                  field=flag)
        if (v <= lo if lo_open else v < lo) or v > hi:
            raise ValidationError(f"{v!r} is out of range; allowed: {allowed}", field=flag)
        return v
    return process_value


def supported_precisions(accelerator: Any) -> list[str]:
    """Number formats with a stated peak on this accelerator (bf16 always)."""
    out = ["bf16"]
    if accelerator.fp8_tflop_per_s:
        out.append("fp8")
    if accelerator.fp4_tflop_per_s:
        out.append("fp4")
    return out


def check_precision(accelerator_id: str | None, precision: str,
                    option: str = "--precision") -> None:
    """Refuse a precision the accelerator has no peak for (fp4 on an H100, fp8 on an
    A100), naming the ones it has; an unknown accelerator is left to the command."""
    from ..catalog import load_catalog
    from ..errors import ValidationError

    cat = load_catalog()
    if accelerator_id is None or accelerator_id not in cat.table("accelerators"):
        return
    acc = cat.accelerator(accelerator_id)
    allowed = supported_precisions(acc)
    if precision not in allowed:
        raise ValidationError(f"{precision!r} is not supported on {acc.name} (it has no "
                              f"stated {precision} peak); allowed: {', '.join(allowed)}",
                              field=option)
