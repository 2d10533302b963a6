"""File output: atomic writes (an interrupted run never leaves a half-written file) and
JSON text that is always valid JSON."""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write a file via a temp file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a report is meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_output_file(path: Path | str, data: str | bytes, option: str) -> Path:
    """Write one output file the user named (``serve --plot F``) atomically; a folder at
    the path, a parent that is a file, or no permission is one clear error (exit 2)."""
    from ..errors import OutputError

    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path} is a folder; {option} takes a file name", field=option)
    try:
        write_atomic(path, data)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}",
                          field=option) from None
    return path


def json_safe(obj: Any) -> Any:
    """Make a document JSON-safe: NaN/inf -> None, numpy scalars -> plain, keys -> str."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def json_text(doc: Any) -> str:
    """The document as indented JSON text with a final newline (NaN/inf as null)."""
    return json.dumps(json_safe(doc), indent=2, allow_nan=False) + "\n"
