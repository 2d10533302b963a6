"""One number-formatting layer for everything a person reads: terminal tables, HTML
reports, notebook reprs.

Numbers are shown with engineering units and three significant digits, so a column of
money never outgrows an 80-column terminal: ``$344B``, ``4.25M``, ``2.5 PFLOP/s``,
``8.91 GW``, ``40.9 GWh``. Whole numbers under a million keep every digit with thousands
separators (``12,500``, ``3,125``); years are plain (``2029``, or ``2029.4`` when
fractional). Machine-readable output (``--json``, CSV) is never formatted.

The unit of a field comes from its name, by the project's naming convention (``capex_usd``,
``it_power_mw``, ``peak_flop_per_s``, ``deadline_year``): :func:`unit_of` maps a name to its
unit and :func:`field` formats a value by its name. No library is used: ``humanize`` has
``metric()`` but no money or per-name units, and this stays dependency-free.
"""

from __future__ import annotations

import math
import re
from typing import Any

DASH = "–"
_BIG = [(1e12, "T"), (1e9, "B"), (1e6, "M")]
_SI = [(1e24, "Y"), (1e21, "Z"), (1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"),
       (1e6, "M"), (1e3, "k"), (1.0, ""), (1e-3, "m"), (1e-6, "µ")]


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and not math.isfinite(v))


def _sig(x: float, digits: int = 3) -> str:
    """``x`` (0 < |x| < 1000) to ``digits`` significant digits, trailing zeros dropped."""
    a = abs(x)
    if a >= 100:
        s = f"{x:.0f}"
    elif a >= 10:
        s = f"{x:.{max(0, digits - 2)}f}"
    elif a >= 1:
        s = f"{x:.{max(0, digits - 1)}f}"
    else:
        return f"{x:.{digits}g}"
    return s.rstrip("0").rstrip(".") if "." in s else s


def number(v: Any) -> str:
    """A plain quantity: ``12,500``, ``40,898``, ``4.25M``, ``344B``, ``65.5``, ``0.0489``."""
    if _missing(v):
        return DASH
    if isinstance(v, bool) or not isinstance(v, (int, float)) and not hasattr(v, "item"):
        return str(v)
    v = v.item() if hasattr(v, "item") else v
    a = abs(v)
    for scale, suffix in _BIG:
        if a >= scale * 0.9995:
            return _sig(v / scale) + suffix
    if a >= 1000 or (float(v).is_integer() and a >= 1):
        return f"{round(v):,}"
    if v == 0:
        return "0"
    return _sig(v)


def money(v: Any, currency: str = "$") -> str:
    """Money: ``$344B``, ``$5.48B``, ``$660M``, ``$36,000``, ``$2.31``, ``-$1.2B``."""
    if _missing(v):
        return DASH
    v = float(v)
    sign, a = ("-" if v < 0 else ""), abs(v)
    body = f"{a:.2f}" if 1 <= a < 10 else number(a)
    return f"{sign}{currency}{body}"


def si(v: Any, unit: str, digits: int = 3) -> str:
    """A value in a base unit with an SI prefix: ``si(2.5e15, "FLOP/s") == "2.5 PFLOP/s"``."""
    if _missing(v):
        return DASH
    v = float(v)
    if v == 0:
        return f"0 {unit}"
    a = abs(v)
    for scale, prefix in _SI:
        if a >= scale * 0.9995:
            return f"{_sig(v / scale, digits)} {prefix}{unit}"
    return f"{v:.{digits}g} {unit}"


def year(v: Any) -> str:
    """A year: ``2029``, or ``2029.4`` when fractional (never ``2,029``)."""
    if _missing(v):
        return DASH
    v = float(v)
    return str(int(v)) if v.is_integer() else f"{v:.1f}"


def percent(v: Any, digits: int = 1) -> str:
    """A fraction as a percentage: ``0.446`` -> ``44.6%``."""
    return DASH if _missing(v) else f"{float(v) * 100:.{digits}f}%"


def with_unit(v: Any, unit: str) -> str:
    """A number followed by a unit that takes no prefix: ``48.2 GB``, ``65.5 days``."""
    return DASH if _missing(v) else f"{number(v)} {unit}"


#: name suffix -> (unit shown in a header / attrs, formatter); the first match wins, so
#: longer suffixes come first
_RULES: list[tuple[str, str, Any]] = [
    (r"usd_per_(\w+)$", "USD/{0}", money),
    (r"(^|_)usd$", "USD", money),
    (r"_usd_per_year$", "USD/year", money),
    (r"(^|_)tokens_per_s(_per_(gpu|mw))?$", "tokens/s", number),
    # exaFLOP/s stay exaFLOP/s (the planner's unit, as in its duals), not ZFLOP/s
    (r"(^|_)exaflops(_\d{4})?$", "EFLOP/s", lambda v: with_unit(v, "EFLOP/s")),
    (r"(^|_)exaflop_s_years$", "EFLOP/s-years", lambda v: with_unit(v, "EFLOP/s-years")),
    (r"(^|_)tflops?_per_(s|gpu)$", "TFLOP/s", lambda v: si(v * 1e12, "FLOP/s")),
    (r"(^|_)flops?_per_s$", "FLOP/s", lambda v: si(v, "FLOP/s")),
    (r"(^|_)flop$", "FLOP", lambda v: si(v, "FLOP")),
    (r"(^|_)mwh_per_year$", "MWh/year", lambda v: si(v * 1e6, "Wh")),
    (r"(^|_)mwh$", "MWh", lambda v: si(v * 1e6, "Wh")),
    (r"(^|_)gwh$", "GWh", lambda v: si(v * 1e9, "Wh")),
    (r"(^|_)mw$", "MW", lambda v: si(v * 1e6, "W")),
    (r"(^|_)gw$", "GW", lambda v: si(v * 1e9, "W")),
    (r"(^|_)kw$", "kW", lambda v: si(v * 1e3, "W")),
    (r"(^|_)w$", "W", lambda v: si(v, "W")),
    (r"(^|_)tb_per_s$", "TB/s", lambda v: with_unit(v, "TB/s")),
    (r"(^|_)gbit_per_s$", "Gbit/s", lambda v: with_unit(v, "Gbit/s")),
    (r"(^|_)(gbps|gb_per_s)$", "GB/s", lambda v: with_unit(v, "GB/s")),
    (r"(^|_)gb(_per_gpu)?$", "GB", lambda v: with_unit(v, "GB")),
    (r"(^|_)m2$", "m²", lambda v: with_unit(v, "m²")),
    (r"(^|_)tco2$", "tCO2", lambda v: with_unit(v, "tCO2")),
    (r"(^|_)us$", "µs", lambda v: with_unit(v, "µs")),
    (r"(^|_)ms$", "ms", lambda v: with_unit(v, "ms")),
    (r"(^|_)s$", "s", lambda v: with_unit(v, "s")),
    (r"(^|_)min$", "min", lambda v: with_unit(v, "min")),
    (r"(^|_)h$", "h", lambda v: with_unit(v, "h")),
    (r"gpu_hours$", "GPU-hours", lambda v: with_unit(v, "GPU-h")),
    (r"gpu_days$", "GPU-days", lambda v: with_unit(v, "GPU-days")),
    (r"(^|_)days$", "days", lambda v: with_unit(v, "days")),
    (r"(^|_)years$", "years", lambda v: with_unit(v, "years")),
    (r"(^|_)year$", "year", year),
    (r"(^|_)(share|fraction|pct)$", "fraction", number),
    (r"(^|_)probability$", "probability", percent),
]
_COMPILED = [(re.compile(p), u, f) for p, u, f in _RULES]


def _rule(name: str):
    key = name.strip().lower().split(":")[0]  # "hbm_gb:micron" is in GB
    for rx, unit, fn in _COMPILED:
        m = rx.search(key)
        if m:
            return unit.format(*[g for g in m.groups() if g and g != "_"]), fn
    return "", number


def unit_of(name: str) -> str:
    """The unit a field name states by convention (``"capex_usd"`` -> ``"USD"``,
    ``"it_power_mw"`` -> ``"MW"``, ``"accelerators"`` -> ``""`` for counts and ratios)."""
    return _rule(name)[0]


def field(name: str, v: Any) -> str:
    """Format a value by its field name: ``field("capex_usd", 3.4e11) == "$340B"``."""
    if _missing(v):
        return DASH
    if isinstance(v, bool) or not isinstance(v, (int, float)) and not hasattr(v, "item"):
        return str(v)
    return _rule(name)[1](v)


_ACRONYMS = {"it": "IT", "hbm": "HBM", "mfu": "MFU", "ettr": "ETTR", "pue": "PUE",
             "gpu": "GPU", "gpus": "GPUs", "ttft": "TTFT", "tpot": "TPOT", "mtbf": "MTBF",
             "bf16": "BF16", "fp8": "FP8", "fp4": "FP4", "kv": "KV", "tp": "TP", "pp": "PP",
             "dp": "DP", "ep": "EP", "cp": "CP", "vp": "VP", "lp": "LP", "id": "id",
             "usd": "USD", "tco2": "tCO2", "mw": "MW", "mwh": "MWh", "gw": "GW", "gb": "GB",
             "om": "O&M"}
_UNIT_WORDS = re.compile(r"(_(usd|mw|gw|kw|w|mwh|gwh|gb|m2|tco2|s|h|min|ms|us|days|"
                         r"tb_per_s|gbit_per_s|gbps|flop_per_s|tflop_per_s|usd_per_year|"
                         r"mwh_per_year))+$")


def label(name: str, unit: bool = False) -> str:
    """A human header for a snake_case field: ``"it_power_mw"`` -> ``"IT power"``
    (``"IT power (MW)"`` with ``unit=True``); ``"effective_exaflops"`` -> ``"effective
    EFLOP/s"``."""
    head, sep, rest = name.partition(":")
    if sep and re.fullmatch(r"[a-z0-9_]+", head):
        return label(head, unit) + ": " + rest.strip()  # "hbm_gb:micron" -> "HBM: micron"
    head, sep, rest = name.partition(" ")
    if sep and re.fullmatch(r"[a-z0-9_]+", head):
        return label(head, unit) + " " + rest
    if not re.fullmatch(r"[a-z0-9_]+", name):
        return name
    u = unit_of(name)
    stem = re.sub(r"_(tflops?|flops?|tb|gb|gbit)_per_s$", "", name)
    stem = re.sub(r"_per_s(?=_|$)", "/s", stem)
    stem = re.sub(r"_(gb|usd|mw|s)_per_", "_per_", stem)
    if not name.startswith("usd_per") and not re.search(r"_per_[a-z0-9]+$", stem):
        stem = _UNIT_WORDS.sub("", stem)
    elif name.startswith("usd_per"):
        stem = name
    stem = stem.replace("exaflop_s_years", "compute").replace("exaflops", "compute").replace("tflops", "TFLOP/s")
    words = [_ACRONYMS.get(w, w) for w in stem.split("_") if w]
    text = " ".join(words) or name
    if "per" in words and u.startswith("USD/"):
        text = " ".join(_ACRONYMS.get(w, w) for w in name.split("_"))
        u = "USD"
    return f"{text} ({u})" if unit and u and u not in text.split() else text


def short_repr(cls_name: str, items: dict[str, Any]) -> str:
    """``ClassName(key=value, ...)`` with each value formatted by its name; for the short
    ``__repr__`` of result objects (a notebook shows this, not a page of arrays)."""
    parts = [f"{k}={field(k, v) if isinstance(v, (int, float)) and not isinstance(v, bool) else repr(v)}"
             for k, v in items.items()]
    return f"{cls_name}({', '.join(parts)})"


def html_table(title: str, items: dict[str, Any]) -> str:
    """A small two-column HTML table of named values (a result's ``_repr_html_``)."""
    import html

    rows = "".join(f"<tr><th style='text-align:left'>{html.escape(label(k))}</th>"
                   f"<td style='text-align:right'>{html.escape(field(k, v))}</td></tr>"
                   for k, v in items.items())
    return f"<table><caption>{html.escape(title)}</caption>{rows}</table>"


def with_units(df: Any, units: dict[str, str] | None = None) -> Any:
    """Set ``df.attrs["unit"]`` to ``{column: unit}`` for every column and named index level
    (as PyPSA does), units from the names by convention (:func:`unit_of`; ``""`` for counts,
    ratios and text), ``units`` overriding. Returns ``df``."""
    names = [n for n in getattr(df.index, "names", []) if n] + [str(c) for c in df.columns]
    found = dict(df.attrs.get("unit") or {}) if isinstance(df.attrs.get("unit"), dict) else {}
    df.attrs["unit"] = {n: found.get(n, unit_of(n)) for n in names} | (units or {})
    return df


class ResultRepr:
    """A short ``__repr__`` and a notebook ``_repr_html_`` for a result object, built from
    its ``_headline()`` (a dict of named values, formatted by their names). A dataclass
    using it must pass ``repr=False`` so this ``__repr__`` is kept."""

    def _headline(self) -> dict[str, Any]:  # pragma: no cover - each result defines it
        raise NotImplementedError

    def _repr_extra_html(self) -> str:
        """More HTML for the notebook view (a table, say); none by default."""
        return ""

    def __repr__(self) -> str:
        return short_repr(type(self).__name__, self._headline())

    def _repr_html_(self) -> str:
        return html_table(type(self).__name__, self._headline()) + self._repr_extra_html()
