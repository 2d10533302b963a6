"""Printing helpers shared by the commands: JSON on stdout, tables via rich, progress."""

from __future__ import annotations

import sys
from typing import Any


def to_json(obj: Any) -> str:
    """One JSON document, keys in the order given (NaN/inf as null)."""
    from ..report.files import json_text

    return json_text(obj).rstrip("\n")


def emit_json(obj: Any) -> None:
    """Print exactly one JSON document on stdout."""
    sys.stdout.write(to_json(obj) + "\n")
    sys.stdout.flush()


def console():
    """A rich console on stdout (human output)."""
    from rich.console import Console

    return Console(highlight=False, width=None if sys.stdout.isatty() else 220)


def err_console():
    """A rich console on stderr (logs and progress)."""
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def table(title: str, columns: list[str], rows: list[list[Any]]):
    """A rich table with right-aligned numeric columns."""
    from rich.table import Table

    t = Table(title=title, title_justify="left")
    for i, c in enumerate(columns):
        t.add_column(c, justify="left" if i == 0 else "right")
    for r in rows:
        t.add_row(*[fmt(v) for v in r])
    return t


def fmt(v: Any) -> str:
    """Human formatting of a number with thousands separators and 3 significant digits."""
    if v is None:
        return "–"
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, int) or float(v).is_integer() and abs(v) >= 1000:
        return f"{int(v):,}" if abs(v) >= 10_000 else str(int(v))
    a = abs(v)
    if a >= 100:
        return f"{v:,.0f}"
    if a >= 1:
        return f"{v:,.2f}".rstrip("0").rstrip(".")
    return f"{v:.3g}"


def progress_enabled() -> bool:
    """Progress bars only on an interactive terminal."""
    return sys.stderr.isatty()
