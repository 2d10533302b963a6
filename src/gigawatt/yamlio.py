"""Safe YAML reading: data only, bounded size, line numbers for every field path.

Hostile files are refused before anything is built: no Python-object tags (only the
YAML core schema is constructed), no alias bombs (the expanded node count is bounded),
no binary junk, no huge files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import InputFileError, UnsafeInputError

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_EXPANDED_NODES = 200_000
_CORE_TAGS = {
    "tag:yaml.org,2002:" + t
    for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
}


def path_key(loc: tuple[Any, ...] | list[Any]) -> str:
    """Render a field path as ``phases[0].budget_usd``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class YamlDoc:
    """A parsed YAML document: its data and the line of each field path."""

    def __init__(self, data: Any, lines: dict[str, int], file: str) -> None:
        self.data = data
        self.lines = lines
        self.file = file

    def line_of(self, loc: tuple[Any, ...] | list[Any]) -> int | None:
        """The line of the field path, or of its nearest parent that has one."""
        loc = list(loc)
        while loc:
            key = path_key(loc)
            if key in self.lines:
                return self.lines[key]
            loc.pop()
        return self.lines.get("")


def _check_nodes(node: yaml.Node, file: str) -> None:
    seen: dict[int, int] = {}

    def size(n: yaml.Node) -> int:
        if id(n) in seen:
            return seen[id(n)]
        if n.tag not in _CORE_TAGS:
            raise UnsafeInputError(
                f"YAML tag '{n.tag}' is not allowed (plain data only)",
                file=file, line=n.start_mark.line + 1)
        seen[id(n)] = 1  # guards against recursive aliases
        total = 1
        if isinstance(n, yaml.SequenceNode):
            total += sum(size(c) for c in n.value)
        elif isinstance(n, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in n.value)
        if total > MAX_EXPANDED_NODES:
            raise UnsafeInputError(
                f"document expands to more than {MAX_EXPANDED_NODES} nodes "
                "(alias bomb or far too large)", file=file, line=n.start_mark.line + 1)
        seen[id(n)] = total
        return total

    size(node)


def _line_map(node: yaml.Node, prefix: list[Any], out: dict[str, int], depth: int = 0) -> None:
    if depth > 64:
        return
    out.setdefault(path_key(prefix), node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            key = k.value if isinstance(k, yaml.ScalarNode) else str(k.start_mark)
            out[path_key(prefix + [key])] = k.start_mark.line + 1
            _line_map(v, prefix + [key], out, depth + 1)
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            _line_map(v, prefix + [i], out, depth + 1)


def _read_text(path: Path) -> str:
    if not path.exists():
        raise InputFileError("file not found", file=str(path))
    if not path.is_file():
        raise InputFileError("not a regular file", file=str(path))
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputFileError(
            f"file is {size:,} bytes; at most {MAX_FILE_BYTES:,} are accepted", file=str(path))
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise InputFileError("binary file (NUL bytes); expected YAML text", file=str(path))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(f"not UTF-8 text (byte {exc.start})", file=str(path)) from None


def parse_yaml(text: str, file: str = "<string>") -> YamlDoc:
    """Parse one YAML document safely and map its field paths to lines."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise InputFileError("empty document", file=file, line=1)
        _check_nodes(node, file)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise InputFileError(f"malformed YAML: {exc.problem or exc.context}",
                             file=file, line=line) from None
    except yaml.YAMLError as exc:
        raise InputFileError(f"malformed YAML: {exc}", file=file) from None
    except RecursionError:
        raise UnsafeInputError("YAML nested too deeply", file=file) from None
    finally:
        loader.dispose()
    lines: dict[str, int] = {}
    _line_map(node, [], lines)
    return YamlDoc(data, lines, file)


def read_yaml(path: str | Path) -> YamlDoc:
    """Read and safely parse a YAML file (see :func:`parse_yaml`)."""
    path = Path(path)
    return parse_yaml(_read_text(path), file=str(path))
