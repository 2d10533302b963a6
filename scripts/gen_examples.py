"""Regenerate every worked example in README.md and docs/*.md from a real run.

A page marks each example with a comment that names what to run, followed by one fenced
block (its output, replaced on every run) and a closing comment::

    <!-- gen: gigawatt size --accelerator h100-sxm --count 100000 -->
    ```
    $ gigawatt size --accelerator h100-sxm --count 100000
    ... output ...
    ```
    <!-- /gen -->

``<!-- gen: CMD1 ;; CMD2 -->`` runs several shell commands in order in one fresh folder
(a later command may read what an earlier one wrote), each shown as ``$ CMD`` and its
output (stdout and stderr). A command may pipe (``| head -20``) to trim. A Python example
is marked ``<!-- gen: python -->`` and has two fenced blocks: the code (kept; run as a
script with ``python FILE``) and its output (replaced).

Commands run with ``gigawatt`` being this checkout's package (``python -m gigawatt``),
``COLUMNS=80``, no terminal, in a temporary folder holding links to the repository's
``tests`` and ``docs`` folders (so ``tests/data/...`` paths resolve, and ``--out`` writes
nowhere in the repository).

Staleness: after writing the pages, ``docs/generated.json`` records a digest of the
inputs (every file under ``src/gigawatt``, the validation scripts and test data) and a
hash of each generated block and generated page. ``tests/unit/test_docs_current.py``
checks both without running anything, so it costs milliseconds and fails when the code
changed since ``make docs`` or a block was edited by hand. Outputs that hold wall times
(``solved in 1.5 s``) can differ between runs; that is why the test compares recorded
hashes rather than re-running the commands.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))]
MANIFEST = ROOT / "docs" / "generated.json"
#: generated whole by gen_docs.py (their hash is recorded too)
WHOLE_PAGES = ["docs/validation.md", "docs/scenarios.md"]
#: what the generated text depends on (hashed into the manifest's "inputs")
INPUTS = ["src/gigawatt", *sorted(str(p.relative_to(ROOT))
                                   for p in (ROOT / "scripts").glob("validation_*.py")),
          "scripts/gen_scenario_reference.py", "scripts/gen_examples.py",
          "tests/validation/data", "tests/data", "pyproject.toml"]

BLOCK = re.compile(r"<!-- gen: (?P<spec>.*?) -->\n(?P<body>.*?)<!-- /gen -->\n", re.S)
FENCE = re.compile(r"```(?P<lang>[a-z]*)\n(?P<text>.*?)```\n", re.S)


@dataclass
class Block:
    """One marked example of a page."""

    page: str
    spec: str
    body: str

    @property
    def commands(self) -> list[str]:
        return [c.strip() for c in self.spec.split(";;") if c.strip()]

    @property
    def is_python(self) -> bool:
        return self.spec.strip() == "python"


def blocks(text: str, page: str) -> list[Block]:
    """The marked examples of a page, in order."""
    return [Block(page, m["spec"], m["body"]) for m in BLOCK.finditer(text)]


def block_hash(b: Block) -> str:
    return hashlib.sha256(f"{b.spec}\n{b.body}".encode()).hexdigest()[:16]


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def inputs_digest(root: Path = ROOT) -> str:
    """Digest of every file the generated docs depend on (paths and contents)."""
    h = hashlib.sha256()
    for item in INPUTS:
        p = root / item
        files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
        for f in files:
            if "__pycache__" in f.parts or f.suffix in (".pyc", ".pyo"):
                continue
            h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:32]


def _workdir() -> tempfile.TemporaryDirectory:
    tmp = tempfile.TemporaryDirectory(prefix="gigawatt-docs-")
    for name in ("tests", "docs"):
        os.symlink(ROOT / name, Path(tmp.name) / name)
    return tmp


def _env(bindir: Path, cache: Path) -> dict[str, str]:
    env = dict(os.environ, COLUMNS="80", GIGAWATT_CACHE_DIR=str(cache), TERM="dumb",
               PYTHONPATH=str(ROOT / "src"), NO_COLOR="1")
    env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"
    return env


def _shim(bindir: Path) -> None:
    """A ``gigawatt`` on PATH that is this checkout's package."""
    exe = bindir / "gigawatt"
    exe.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -m gigawatt \"$@\"\n")
    exe.chmod(0o755)


def _run(cmd: str, cwd: Path, env: dict[str, str]) -> str:
    r = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], cwd=cwd, env=env,
                       capture_output=True, text=True, timeout=900)
    if r.returncode not in (0, 1, 2, 141):  # 2: a bad-input example; 141: head closed
        raise SystemExit(f"example failed (exit {r.returncode}): {cmd}\n{r.stderr[-2000:]}")
    out = r.stdout + r.stderr
    return "\n".join(line.rstrip() for line in out.rstrip("\n").splitlines())


def render(b: Block, env: dict[str, str]) -> str:
    """The new body of a block, from a real run."""
    with _workdir() as tmp:
        cwd = Path(tmp)
        if b.is_python:
            fences = list(FENCE.finditer(b.body))
            if not fences:
                raise SystemExit(f"{b.page}: a python example needs a ```python block")
            code = fences[0]["text"]
            (cwd / "example.py").write_text(code)
            out = _run(f"{shlex.quote(sys.executable)} example.py", cwd, env)
            return f"```python\n{code}```\n\n```\n{out}\n```\n"
        parts = []
        for cmd in b.commands:
            quoted = "'" in cmd or '"' in cmd  # a backslash inside quotes would not paste
            shown = cmd if len(cmd) <= 88 or quoted else _wrap(cmd)
            parts.append(f"$ {shown}\n{_run(cmd, cwd, env)}".rstrip())
        return "```\n" + "\n".join(parts) + "\n```\n"


def _wrap(cmd: str, width: int = 86) -> str:
    """A long command over several lines with backslashes."""
    lines, line = [], ""
    for word in cmd.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line + " \\")
            line = "      " + word
        else:
            line = f"{line} {word}" if line else word
    return "\n".join(lines + [line])


def regenerate(pages: list[str] = PAGES) -> dict:
    """Re-run every marked example, rewrite the pages and the manifest.

    Only a run over every page records the new inputs digest: after regenerating some
    pages, the others may still be stale, and the staleness test keeps saying so.
    """
    old = json.loads(MANIFEST.read_text()) if MANIFEST.exists() else {}
    with tempfile.TemporaryDirectory(prefix="gigawatt-docs-bin-") as bindir:
        _shim(Path(bindir))
        env = _env(Path(bindir), Path(bindir) / "cache")
        manifest = {"inputs": inputs_digest() if list(pages) == PAGES else old.get("inputs"),
                    "blocks": dict(old.get("blocks", {})), "pages": {}}
        for page in pages:
            path = ROOT / page
            text = path.read_text(encoding="utf-8")
            found = blocks(text, page)
            if not found:
                continue
            out, last = [], 0
            for m, b in zip(BLOCK.finditer(text), found):
                b.body = render(b, env)
                out += [text[last:m.start()], f"<!-- gen: {b.spec} -->\n{b.body}<!-- /gen -->\n"]
                last = m.end()
                print(f"{page}: {b.spec[:70]}", file=sys.stderr)
            text = "".join(out) + text[last:]
            path.write_text(text, encoding="utf-8")
            manifest["blocks"][page] = [block_hash(b) for b in blocks(text, page)]
    for page in WHOLE_PAGES:
        if (ROOT / page).exists():
            manifest["pages"][page] = text_hash((ROOT / page).read_text(encoding="utf-8"))
    MANIFEST.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


if __name__ == "__main__":
    regenerate(sys.argv[1:] or PAGES)
    print(f"wrote {MANIFEST.relative_to(ROOT)}", file=sys.stderr)
