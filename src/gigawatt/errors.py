"""One exception hierarchy for everything a user can get wrong.

Every error carries enough context (file, line, field path, value, allowed range) to be
fixed without reading a traceback. The CLI turns any :class:`GigawattError` into one
message on stderr and exit code 2.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class GigawattError(Exception):
    """Base class: a problem with the user's input or request (exit code 2)."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.field = field
        super().__init__(self.render())

    def render(self) -> str:
        """The message with its location prefix (``file:line: field: message``)."""
        where = []
        if self.file:
            where.append(self.file if self.line is None else f"{self.file}:{self.line}")
        if self.field:
            where.append(self.field)
        return (": ".join(where) + ": " if where else "") + self.message


class InputFileError(GigawattError):
    """A file that cannot be read or parsed (missing, too large, binary, bad YAML)."""


class UnsafeInputError(InputFileError):
    """A file that tries to do more than describe data (YAML tags, alias bombs)."""


class ValidationError(GigawattError):
    """A value outside its allowed range, or values inconsistent with each other."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 field: str | None = None, problems: list[str] | None = None) -> None:
        self.problems = problems or [message]
        super().__init__(message, file=file, line=line, field=field)


class UnknownIdError(GigawattError):
    """An id that the catalog or scenario does not know; suggests the nearest ids."""

    def __init__(self, kind: str, key: str, known: Iterable[str], *, file: str | None = None,
                 line: int | None = None, field: str | None = None) -> None:
        known = sorted(known)
        prefixed = [k for k in known if k.startswith(key) or key.startswith(k)]
        near = sorted(prefixed, key=len)[:3]
        near += [k for k in difflib.get_close_matches(key, known, n=3, cutoff=0.5)
                 if k not in near][: 3 - len(near)]
        hint = f"did you mean {', '.join(near)}?" if near else f"known: {', '.join(known)}"
        self.kind, self.key, self.suggestions = kind, key, near
        super().__init__(f"unknown {kind} '{key}'; {hint}", file=file, line=line, field=field)


class PlanError(GigawattError):
    """A parallel or serving plan that cannot exist (divisibility, domain size, memory)."""


class InfeasibleError(GigawattError):
    """A request that no plan can satisfy, with the constraints that bind."""


class OutputError(GigawattError):
    """An output path gigawatt cannot or must not write (a file where a folder is meant,
    a folder of someone else's files, no permission)."""
