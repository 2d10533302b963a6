"""Calibration per accelerator family, and prediction intervals from out-of-sample errors.

The fitted efficiency parameters and the leave-one-source-out (LOSO) errors live in
``perf/data/calibration.json``, written by ``scripts/validation_training.py --calibrate``
and ``scripts/validation_inference.py --calibrate`` from the cited rows in
``tests/validation/data/`` (protocol: ``docs/calibration.md``). This module only reads it.

Error convention: ``e = (predicted - measured) / measured`` of one held-out row. For a new
prediction ``x`` the measured value consistent with an error ``e`` is ``x / (1 + e)``, so
the interval of the quantity is ``[x / (1 + e_p90), x / (1 + e_p10)]`` with ``e_p10`` and
``e_p90`` the 10th and 90th percentiles of the family's LOSO errors. Families without data
get the spread of the cross-family errors (rows predicted with no data of their own
family), never narrower than ``UNCALIBRATED_MIN_HALF_WIDTH``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

DATA = Path(__file__).with_name("data") / "calibration.json"
#: half-width (fraction of the estimate) an uncalibrated family's band is at least
UNCALIBRATED_MIN_HALF_WIDTH = 0.4
#: fewest LOSO errors a family needs for its own percentiles (fewer: widened by 1.5x)
MIN_ROWS = 8
KINDS = ("training", "inference")


@dataclass(frozen=True)
class Interval:
    """P10-P90 of a predicted quantity (same unit as the estimate)."""

    quantity: str
    estimate: float
    p10: float
    p90: float
    error_p10: float
    error_p90: float
    basis: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@lru_cache(maxsize=1)
def load() -> dict[str, Any]:
    """The calibration document (fitted parameters, LOSO and in-sample errors)."""
    if not DATA.exists():
        return {k: {"params": {}, "loso": [], "in_sample": []} for k in KINDS}
    with open(DATA, encoding="utf-8") as f:
        return json.load(f)


def params(kind: str, key: str) -> dict[str, Any] | None:
    """Fitted parameters under ``key`` (``stack/family``, ``family`` or ``global``)."""
    return load()[kind]["params"].get(key)


def family_rows(kind: str, family: str) -> list[dict[str, Any]]:
    """LOSO rows of one family."""
    return [r for r in load()[kind]["loso"] if r["family"] == family]


def _q(errors: list[float]) -> tuple[float, float]:
    e = np.asarray(errors, dtype=float)
    return float(np.percentile(e, 10)), float(np.percentile(e, 90))


def error_band(kind: str, family: str, precision: str | None = None,
               moe: bool = False) -> dict[str, Any]:
    """P10/P90 of the relative error for a family and regime, with its basis and flags."""
    rows = family_rows(kind, family)
    if not rows:
        cross = [r["error"] for r in load()[kind]["loso"] if r["basis"] == "global"]
        lo, hi = _q(cross) if cross else (-UNCALIBRATED_MIN_HALF_WIDTH,
                                          UNCALIBRATED_MIN_HALF_WIDTH)
        w = UNCALIBRATED_MIN_HALF_WIDTH
        return {"error_p10": min(lo, -w), "error_p90": max(hi, w), "calibrated": False,
                "covered": False, "rows": 0, "sources": [],
                "basis": f"uncalibrated: no published {kind} measurement of family "
                         f"'{family}' in the validation set; band from the errors of "
                         f"families predicted without their own data ({len(cross)} rows), "
                         f"at least +-{w:.0%}"}
    sources = sorted({r["source_id"] for r in rows})
    checks = [r for r in load()[kind].get("checks", []) if r["family"] == family]
    regime = [r for r in rows + checks if (precision is None or r["precision"] == precision)
              and bool(r.get("moe", False)) == bool(moe)]
    lo, hi = _q([r["error"] for r in (regime or rows)])
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    widen = len(regime) < MIN_ROWS
    if widen:
        lo, hi = 1.5 * lo, 1.5 * hi
    flags = []
    if not regime:
        flags.append(f"regime not covered by the validation ({precision or ''}"
                     f"{' MoE' if moe else ' dense'} on {family})")
    sources = sorted({r["source_id"] for r in (regime or rows)})
    kind_of = "held-out MoE check" if moe and regime else "LOSO"
    basis = (f"{kind_of} errors of {len(regime or rows)} {family} rows from {len(sources)} "
             f"source(s) ({', '.join(sources)})" + ("; widened 1.5x (few rows)" if widen else "")
             + ("; " + "; ".join(flags) if flags else ""))
    return {"error_p10": lo, "error_p90": hi, "calibrated": True, "covered": bool(regime),
            "rows": len(rows), "sources": sources, "basis": basis}


def interval(kind: str, quantity: str, estimate: float, family: str,
             precision: str | None = None, moe: bool = False,
             lower_is_better: bool = False) -> tuple[Interval, dict[str, Any]]:
    """The P10-P90 interval of ``estimate`` and the calibration record of its family.

    ``lower_is_better`` marks quantities that scale inversely with the modelled speed
    (step time, days): their band is the speed band inverted.
    """
    band = error_band(kind, family, precision, moe)
    lo, hi = band["error_p10"], band["error_p90"]
    if lower_is_better:
        p10, p90 = estimate * (1 + lo), estimate * (1 + hi)
    else:
        p10, p90 = estimate / (1 + hi), estimate / (1 + lo)
    iv = Interval(quantity=quantity, estimate=estimate, p10=p10, p90=p90, error_p10=lo,
                  error_p90=hi, basis=band["basis"])
    cal = {"family": family, "calibrated": band["calibrated"], "covered": band["covered"],
           "rows": band["rows"], "sources": band["sources"], "basis": band["basis"]}
    return iv, cal


def mape(rows: list[dict[str, Any]]) -> float:
    """Mean absolute relative error of rows with an ``error`` field."""
    return float(np.mean([abs(r["error"]) for r in rows])) if rows else float("nan")


def summary(kind: str, which: str = "loso") -> dict[str, dict[str, Any]]:
    """Per family: rows, sources and MAPE of the LOSO (or in-sample) errors."""
    out: dict[str, dict[str, Any]] = {}
    rows = load()[kind][which]
    for fam in sorted({r["family"] for r in rows}):
        fr = [r for r in rows if r["family"] == fam]
        out[fam] = {"rows": len(fr), "sources": len({r["source_id"] for r in fr}),
                    "mape": mape(fr)}
    return out


def attach(kind: str, result: dict[str, Any], quantity: str, family: str,
           precision: str | None, moe: bool,
           inverse: tuple[str, ...] = ()) -> dict[str, Any]:
    """``result`` (a ``to_dict()``) with ``interval`` (P10/P90 of ``quantity`` and of the
    ``inverse`` quantities, which scale as 1/speed) and ``calibration`` added."""
    iv, cal = interval(kind, quantity, float(result[quantity]), family, precision, moe)
    out = dict(result)
    ivd = iv.to_dict()
    for name in inverse:
        if result.get(name) is not None:
            x = float(result[name])
            ivd[name] = {"p10": x * (1 + iv.error_p10), "p90": x * (1 + iv.error_p90)}
    prior = result.get("calibration")
    out["interval"] = ivd
    out["calibration"] = {**cal, "precision": precision, "moe": moe,
                          **({"efficiency": prior} if isinstance(prior, dict) else {})}
    return out


def describe(result: dict[str, Any]) -> str:
    """One line for the terminal: the interval and its calibration basis."""
    iv, cal = result["interval"], result["calibration"]
    tag = "calibrated" if cal["calibrated"] else "UNCALIBRATED"
    cover = "" if cal["covered"] else ", regime NOT COVERED"
    return (f"{iv['quantity']} P10-P90: {iv['p10']:,.4g} - {iv['p90']:,.4g} "
            f"(error band {iv['error_p10']:+.0%} / {iv['error_p90']:+.0%}); {cal['family']}, "
            f"{tag}{cover}: {cal['basis']}")
