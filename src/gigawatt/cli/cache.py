"""A JSON-file cache folder as a mapping (key -> JSON-safe value), for results that are
slow to compute and deterministic (the ops layer's training runs). A file that cannot be
read counts as missing; one that cannot be written is skipped: a cache only saves time."""

from __future__ import annotations

import json
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any


class JsonFolderCache(MutableMapping):
    """One ``<key>.json`` file per entry under ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def __getitem__(self, key: str) -> Any:
        try:
            return json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise KeyError(key) from None

    def __setitem__(self, key: str, value: Any) -> None:
        from ..report.files import json_text, write_atomic

        try:
            write_atomic(self._path(key), json_text(value))
        except OSError:
            pass

    def __delitem__(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def __iter__(self) -> Iterator[str]:
        return (p.stem for p in self.folder.glob("*.json"))

    def __len__(self) -> int:
        return sum(1 for _ in self)
