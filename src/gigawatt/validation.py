"""Turn pydantic's validation errors into gigawatt errors that name file, line, field,
value and the allowed range."""

from __future__ import annotations

import difflib
from typing import Any

import pydantic

from .errors import ValidationError
from .yamlio import YamlDoc, path_key

_BOUNDS = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}


def _describe(err: dict[str, Any], missing: list[str] = ()) -> str:
    ctx = err.get("ctx") or {}
    value = err.get("input")
    shown = repr(value) if not isinstance(value, (dict, list)) else type(value).__name__
    if len(shown) > 60:
        shown = shown[:57] + "..."
    bounds = [f"{_BOUNDS[k]} {_number(v)}" for k, v in ctx.items() if k in _BOUNDS]
    if bounds:
        return f"{shown} is out of range; allowed: {' and '.join(bounds)}"
    if err["type"] == "extra_forbidden":
        near = difflib.get_close_matches(str(err["loc"][-1]), missing, n=1, cutoff=0.6)
        hint = f"did you mean '{near[0]}'?" if near else "check the spelling"
        return f"unknown field (not in the schema; {hint})"
    if err["type"] == "int_parsing_size":
        return f"{shown} is too large; allowed: a whole number in the field's range"
    if err["type"] == "finite_number":
        return f"{shown} is not allowed; allowed: a finite number"
    if err["type"] == "missing":
        return "required field is missing"
    if err["type"] == "literal_error":
        return f"{shown} is not allowed; allowed: {ctx.get('expected')}"
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    return f"{msg} (got {shown})"


def _number(v: Any) -> str:
    """A bound as written in the docs: 1e+13 rather than 10000000000000.0."""
    if isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) >= 1e6:
        return f"{v:g}"
    return str(v)


def validation_error(exc: pydantic.ValidationError, doc: YamlDoc | None = None,
                     prefix: list[Any] | None = None, file: str | None = None) -> ValidationError:
    """A :class:`ValidationError` for the first problem, listing all of them."""
    prefix = prefix or []
    problems = []
    first: tuple[list[Any], str] | None = None
    errs = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
    missing = [str(e["loc"][-1]) for e in errs if e["type"] == "missing" and e["loc"]]
    for err in errs:
        # drop pydantic's synthetic loc parts (union tags, function-after validators)
        loc = [p for p in err["loc"] if not (isinstance(p, str) and "[" in p)]
        full = prefix + loc
        text = _describe(err, missing)
        line = doc.line_of(full) if doc else None
        problems.append(f"{path_key(full) or '(document)'}" + (f" (line {line})" if line else "")
                        + f": {text}")
        if first is None:
            first = (full, text)
    assert first is not None
    full, text = first
    more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
    return ValidationError(text + more, file=doc.file if doc else file,
                           line=doc.line_of(full) if doc else None,
                           field=path_key(full) or None, problems=problems)
