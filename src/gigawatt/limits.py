"""The stated range of every number a user can give, in one place.

Scenario fields, catalog rows and CLI flags take their limits from here, so one quantity
has one range everywhere (a count of accelerators is at most :data:`MAX_COUNT` in a
scenario, in ``train --gpus`` and in ``simulate --gpus``). Every float rejects NaN and
infinity and ``true``/``false`` where a number is meant: none of them means anything in a
gigawatt input. The maxima are far above any real programme (the largest announced
build-outs are ~$500B, ~10 GW, a few million accelerators) and exist so that a typo such as
``1e300`` or ``10**30`` is refused with the range instead of overflowing the solver.
"""

from __future__ import annotations

import math
import typing
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: Money: a budget, capex or any total, USD (ten trillion: ~20x the largest announced
#: programme, Stargate's $500B).
MAX_USD = 1e13
#: The price of one unit (an accelerator, a system), USD.
MAX_UNIT_PRICE_USD = 1e8
#: A count of things: accelerators, GPUs, units per year, spare nodes, requests in flight.
MAX_COUNT = 100_000_000
#: Tokens of a training run (the largest published runs use ~4e13; a limit far above
#: that keeps deliberately infeasible workloads expressible).
MAX_TOKENS = 1e21
#: Tokens of one request or one optimizer step.
MAX_BATCH_TOKENS = 1e9
#: Electric power of one site or source, MW (100 GW: ~4x the largest power plant).
MAX_POWER_MW = 1e5
#: HBM one supplier can ship in a year, GB.
MAX_HBM_GB = 1e11
#: A dimensionless multiplier (scale, price or supply factor).
MAX_FACTOR = 1e3
#: A delay, years (delays are >= 0: an early delivery is a different distribution).
MAX_DELAY_YEARS = 20.0
#: A duration in days (a run, a simulation): a century.
MAX_DAYS = 36500.0
#: Failure events one simulation may draw (a memory bound, ~1 GB of event arrays).
MAX_EVENTS = 10_000_000
#: A rate (requests/s, failures per 1000 node-days).
MAX_RATE = 1e7
#: Calendar years a scenario may name.
MIN_YEAR, MAX_YEAR = 2015, 2060
#: Any other number a flag takes: finite and of at most this magnitude.
MAX_MAGNITUDE = 1e15

Year = Annotated[int, Field(ge=MIN_YEAR, le=MAX_YEAR)]
Usd = Annotated[float, Field(le=MAX_USD)]
UnitPriceUsd = Annotated[float, Field(le=MAX_UNIT_PRICE_USD)]
Count = Annotated[int, Field(le=MAX_COUNT)]
Tokens = Annotated[float, Field(le=MAX_TOKENS)]
BatchTokens = Annotated[float, Field(le=MAX_BATCH_TOKENS)]
PowerMw = Annotated[float, Field(ge=0, le=MAX_POWER_MW)]
HbmGb = Annotated[float, Field(ge=0, le=MAX_HBM_GB)]
Factor = Annotated[float, Field(le=MAX_FACTOR)]
Days = Annotated[float, Field(le=MAX_DAYS)]
#: A number of no stated unit (distribution parameters): finite, |x| <= MAX_MAGNITUDE.
Finite = Annotated[float, Field(ge=-MAX_MAGNITUDE, le=MAX_MAGNITUDE)]


def _allows_bool(annotation: Any) -> bool:
    """Whether a field's type accepts a bool anywhere (``bool``, ``bool | None`` …)."""
    if annotation is bool:
        return True
    return any(_allows_bool(a) for a in typing.get_args(annotation))


def _has_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, dict):
        return any(_has_bool(k) or _has_bool(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_has_bool(v) for v in value)
    return False


def _is_model(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return any(_is_model(a) for a in typing.get_args(annotation))


class StrictNumbers(BaseModel):
    """Base of every input model: NaN/inf refused in every float, ``true`` refused where a
    number (or a mapping/list of numbers) is meant."""

    model_config = ConfigDict(allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_as_number(cls, value: Any, info: Any) -> Any:
        field = cls.model_fields.get(info.field_name)
        if field is None or _allows_bool(field.annotation):
            return value
        nested = isinstance(value, (dict, list, tuple)) and not _is_model(field.annotation)
        if isinstance(value, bool) or (nested and _has_bool(value)):
            raise ValueError("true/false is not a number here; write the number")
        return value


def check_number(value: float | int, *, name: str, lo: float | None = None,
                 hi: float | None = None, lo_open: bool = False) -> None:
    """Raise a :class:`~gigawatt.errors.ValidationError` unless ``value`` is a finite
    number in ``[lo, hi]`` (``(lo, hi]`` with ``lo_open``); for the Python API."""
    from .errors import ValidationError

    allowed = range_text(lo, hi, lo_open)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError(f"{value!r} is not a number; allowed: {allowed}", field=name)
    bad = (isinstance(value, float) and not math.isfinite(value)) \
        or (lo is not None and (value <= lo if lo_open else value < lo)) \
        or (hi is not None and value > hi)
    if bad:
        raise ValidationError(f"{value!r} is out of range; allowed: {allowed}", field=name)


def range_text(lo: float | None, hi: float | None, lo_open: bool = False) -> str:
    """``'> 0 and <= 1e+08'``: the allowed range in words."""
    parts = []
    if lo is not None:
        parts.append(f"{'>' if lo_open else '>='} {_num(lo)}")
    if hi is not None:
        parts.append(f"<= {_num(hi)}")
    return " and ".join(parts) if parts else "a finite number"


def _num(x: float) -> str:
    return f"{x:g}" if abs(x) >= 1e6 or x != int(x) else str(int(x))


__all__ = ["StrictNumbers", "check_number", "range_text", "MAX_USD", "MAX_COUNT",
           "MAX_TOKENS", "MAX_POWER_MW", "MAX_HBM_GB", "MAX_FACTOR", "MAX_DELAY_YEARS",
           "MAX_DAYS", "MAX_EVENTS", "MAX_RATE", "MAX_MAGNITUDE", "MAX_UNIT_PRICE_USD", "MAX_BATCH_TOKENS"]
