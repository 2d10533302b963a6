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


def width() -> int | None:
    """Terminal width: the terminal's own, else $COLUMNS, else 80 (what a pipe, a file
    and the docs get)."""
    import os

    if sys.stdout.isatty():
        return None
    cols = os.environ.get("COLUMNS", "")
    return int(cols) if cols.isdigit() and int(cols) >= 40 else 80


def console():
    """A rich console on stdout (human output)."""
    from rich.console import Console

    return Console(highlight=False, width=width(), soft_wrap=False)


def err_console():
    """A rich console on stderr (logs and progress)."""
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def bullet(text: str) -> str:
    """``  - text`` wrapped to the output width with a hanging indent."""
    import textwrap

    return textwrap.fill(text, width=(width() or 80) - 1, initial_indent="  - ",
                         subsequent_indent="    ")


def cell(v: Any, name: str = "") -> str:
    """One table cell: text as is, a number formatted by the field ``name`` it holds
    (:func:`gigawatt.numfmt.field`: units from the name's suffix)."""
    from ..numfmt import field

    if isinstance(v, str):
        return v
    return field(name, v) if name else fmt(v)


def table(title: str, columns: list[str], rows: list[list[Any]],
          fields: list[str] | None = None):
    """A rich table: numbers formatted by the field each column holds (``fields``, by
    default the column headers, so ``capex_usd`` prints ``$344B``), headers made human
    (``capex_usd`` -> ``capex``), numeric columns right-aligned and never cut.

    A two-column table whose first header is empty is a key/value table: each value is
    formatted by the field named in its row (``["step_time_s", 6.09]`` -> ``6.09 s``).
    """
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    from ..numfmt import label

    fields = fields or list(columns)
    kv = len(columns) == 2 and columns[0] in ("", "figure", "quantity", "field")
    cells = [[cell(v, str(r[0]).split(" ")[0] if kv and i == 1 else fields[i])
              for i, v in enumerate(r)] for r in rows]
    if kv:
        cells = [[label(str(r[0]))] + c[1:] for r, c in zip(rows, cells)]
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, padding=(0, 1, 0, 0),
              show_header=not kv)
    for i, c in enumerate(columns):
        numeric = i > 0 and all(_looks_numeric(c_[i]) for c_ in cells if i < len(c_))
        widest = max((len(c_[i]) for c_ in cells if i < len(c_)), default=0)
        head = label(c)
        word = max((len(w) for w in head.split()), default=0)
        fixed = numeric or i == 0
        fit = max(min(widest, 24), word)
        t.add_column(head, justify="right" if numeric else "left", overflow="fold",
                     min_width=fit if fixed else min(widest, 16),
                     max_width=fit if numeric else None)
    for r in cells:
        t.add_row(*r)
    return Group(Text(title, style="bold"), t) if title else t


def _looks_numeric(text: str) -> bool:
    """A formatted number (``12,500``, ``$344B``, ``~36,000``, ``8.91 GW``, ``–``)."""
    import re

    return bool(re.fullmatch(r"[~<>]?-?\$?[0-9][0-9,.]*[A-Za-z%µ²/ -]{0,12}|–", text))


def fmt(v: Any) -> str:
    """A plain number, formatted by the one formatting layer (:mod:`gigawatt.numfmt`)."""
    from ..numfmt import number

    return number(v)


def progress_enabled() -> bool:
    """Progress bars only on an interactive terminal."""
    return sys.stderr.isatty()
