"""Layering: lower layers never import higher ones; nothing imports the CLI."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "src" / "gigawatt"
ORDER = ["core", "perf", "plan", "ops", "finance", "risk", "report", "app", "cli"]
CORE = {"errors", "yamlio", "validation", "catalog", "scenario", "deploy", "__init__"
}


def layer_of(module: str) -> str:
    head = module.split(".")[0]
    if head == "__main__":
        return "cli"
    return head if head in ORDER else "core"  # core modules and names of the package root


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    rel = path.relative_to(PKG).with_suffix("")
    pkg_parts = list(rel.parts[:-1])
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg_parts[: len(pkg_parts) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
                if not node.module:
                    out |= {".".join(base + [a.name]) for a in node.names}
                    continue
            elif node.module and node.module.startswith("gigawatt."):
                name = node.module[len("gigawatt."):]
            else:
                continue
            out.add(name)
        elif isinstance(node, ast.Import):
            out |= {a.name[len("gigawatt."):] for a in node.names
                    if a.name.startswith("gigawatt.")}
    return {m for m in out if m}


FILES = sorted(p for p in PKG.rglob("*.py"))


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(PKG)) for p in FILES])
def test_no_upward_imports(path: Path):
    me = layer_of(str(path.relative_to(PKG).with_suffix("")).replace("/", "."))
    for mod in imports(path):
        other = layer_of(mod)
        if me == "core" and path.name == "__init__.py" and path.parent == PKG:
            continue  # the package root lazily exposes every layer
        assert ORDER.index(other) <= ORDER.index(me), f"{me} imports {mod} ({other})"
