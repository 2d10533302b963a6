"""Where gigawatt keeps its on-disk cache (the planner's capability tables).

One answer for the CLI and the Python API: ``$GIGAWATT_CACHE_DIR`` if set, else the
user's cache folder — ``platformdirs.user_cache_dir("gigawatt")`` where platformdirs is
installed (it is not a dependency), else ``$XDG_CACHE_HOME/gigawatt``, else
``~/.cache/gigawatt``. Entries are keyed by a digest of every input, the performance
code included, so a stale entry is never read.
"""

from __future__ import annotations

import os
from pathlib import Path


def default_cache_dir() -> Path:
    """The cache folder (see the module docstring); not created here."""
    env = os.environ.get("GIGAWATT_CACHE_DIR")
    if env:
        return Path(env)
    try:
        import platformdirs
    except ImportError:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return Path(base) / "gigawatt"
    return Path(platformdirs.user_cache_dir("gigawatt", appauthor=False))


def resolve_cache_dir(cache_dir: Path | str | None | bool) -> Path | None:
    """``None`` or ``True``: the default folder; ``False``: no disk cache; else the path."""
    if cache_dir is None or cache_dir is True:
        return default_cache_dir()
    if cache_dir is False:
        return None
    return Path(cache_dir)
